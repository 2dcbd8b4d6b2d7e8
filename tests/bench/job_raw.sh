# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# A job for emu/init.sh (tests/bench/cpuid_vs_raw.py --env): the raw guest
# and exit_cpuid (with the stats fd alone, then with the default counter
# sources), alternating, ROUNDS rounds of TRIALS trials at N iterations.

exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	say "STAGE round $((r + 1))/$ROUNDS"
	/exitbench/raw_guest "$N" "$TRIALS" >"/results/raw2m-$r.txt" 2>&1
	/exitbench/raw_guest "$N" "$TRIALS" 4k >"/results/raw4k-$r.txt" 2>&1
	/exitbench/raw_guest "$N" "$TRIALS" 4k irqchip >"/results/raw4kirq-$r.txt" 2>&1
	/exitbench/exit_cpuid -n "$N" -t "$TRIALS" --counters stats-fd \
		--json "/results/exit_cpuid-$r.json" >"/results/exit_cpuid-$r.tap" 2>&1
	# The default: every counter source that works here (what users run).
	/exitbench/exit_cpuid -n "$N" -t "$TRIALS" \
		--json "/results/exit_cpuid_default-$r.json" >"/results/exit_cpuid_default-$r.tap" 2>&1
	r=$((r + 1))
done
