# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# A job for emu/init.sh (tests/bench/cpuid_vs_raw.py --env): the raw guest
# and exit_$TEST (with the stats fd alone, then with the default counter
# sources), alternating, ROUNDS rounds of TRIALS trials at N iterations;
# RAWX is the raw guest's word for the same loop ("inl" or nothing).

exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	say "STAGE round $((r + 1))/$ROUNDS"
	# shellcheck disable=SC2086 # RAWX is one word or none
	/exitbench/raw_guest "$N" "$TRIALS" $RAWX >"/results/raw2m-$r.txt" 2>&1
	# shellcheck disable=SC2086
	/exitbench/raw_guest "$N" "$TRIALS" 4k $RAWX >"/results/raw4k-$r.txt" 2>&1
	# shellcheck disable=SC2086
	/exitbench/raw_guest "$N" "$TRIALS" 4k irqchip $RAWX >"/results/raw4kirq-$r.txt" 2>&1
	"/exitbench/exit_$TEST" -n "$N" -t "$TRIALS" --counters stats-fd \
		--json "/results/exit_$TEST-$r.json" >"/results/exit_$TEST-$r.tap" 2>&1
	# The default: every counter source that works here (what users run).
	"/exitbench/exit_$TEST" -n "$N" -t "$TRIALS" \
		--json "/results/exit_${TEST}_default-$r.json" >"/results/exit_${TEST}_default-$r.tap" 2>&1
	r=$((r + 1))
done
