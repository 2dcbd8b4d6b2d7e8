#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check: unit tests, the bad-input table (tests/bad_input.sh), every
# exit test on this machine's /dev/kvm, the N-independence property, and
# run_all.sh end to end.
# Ends with "N passed, N failed"; exit status 1 if anything failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d /tmp/exitbench-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# expect CODE REGEX CMD...: CMD exits CODE and its stdout+stderr match REGEX.
expect() {
	local code=$1 re=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" -eq "$code" ] && grep -qE -- "$re" "$tmp/out"; then
		ok "$* -> exit $code, /$re/"
	else
		not_ok "$* -> exit $rc (want $code), output: $(head -c 400 "$tmp/out" | tr '\n' ' ')"
	fi
}

echo "# unit tests"
if build/tests/unit_tests >"$tmp/unit" 2>&1; then ok "unit tests: $(tail -n 1 "$tmp/unit")"; else cat "$tmp/unit"; not_ok "unit tests"; fi

# run_suite NAME CMD...: a test program that prints ok/not ok lines and ends non-zero on failure.
run_suite() {
	local name=$1 rc=0
	shift
	"$@" >"$tmp/suite" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name: $(tail -n 1 "$tmp/suite")"
	else
		grep -E '^not ok' "$tmp/suite" | head -n 20
		not_ok "$name (exit $rc): $(tail -n 1 "$tmp/suite")"
	fi
}

echo "# loop watchdog"
run_suite "watchdog" timeout 60 build/tests/watchdog_test
echo "# emulator console protocol and watchdog"
run_suite "emu/console.py" python3 tests/emu/test_console.py
echo "# compare"
run_suite "compare" python3 tests/compare/test_compare.py
echo "# exit_top"
run_suite "exit_top" tests/exit_top/test_exit_top.sh
echo "# boot profile (synthetic tables and fake VMs)"
run_suite "boot_profile" python3 tests/profile/test_boot_profile.py
echo "# layout, statistics against SciPy, ./history, the kselftest collection (tests/fleet)"; run_suite "fleet" tests/fleet/native.sh

echo "# bad input: the table (tests/bad_input.table)"
run_suite "bad input table" tests/bad_input.sh

echo "# pinning"
expect 0 "ok 1 exit_io_user" ./exit_io_user -c 0 -t 2 -n 1000 --json "$tmp/pinned.json"
if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["cpu"] != 0)' "$tmp/pinned.json"; then
	ok "-c 0 is recorded as cpu 0"
else
	not_ok "-c 0 not recorded"
fi

echo "# --kvmclock: the vCPUs' kvmclock on (the runner fails the test if KVM never wrote it), recorded"
expect 0 "ok 1 exit_wr_tsc_adjust_msr" ./exit_wr_tsc_adjust_msr --kvmclock -t 2 -n 1000 --vcpus 2 --json "$tmp/kvmclock.json"
if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["kvm_config"]["kvmclock"] is not True)' "$tmp/kvmclock.json"; then
	ok "--kvmclock is recorded in kvm_config"
else
	not_ok "--kvmclock not recorded in kvm_config"
fi

echo "# every exit test on this machine"
vendor=$(./exitbench_info | python3 -c 'import json,sys; print(json.load(sys.stdin)["vendor"])')
for src in selftests/exit_*.c; do
	t=${src##*/}
	t=${t%.c}
	rc=0
	"./$t" -t 3 --json "$tmp/$t.json" >"$tmp/$t.tap" 2>&1 || rc=$?
	if python3 tests/check_result.py "$tmp/$t.json" "$rc" "$vendor" >"$tmp/$t.check" 2>&1; then
		ok "$t: $(cat "$tmp/$t.check")"
	else
		not_ok "$t (exit $rc): $(cat "$tmp/$t.check") | $(tail -n 2 "$tmp/$t.tap" | tr '\n' ' ')"
	fi
done

# A wait longer than a few seconds is never silent (exit_vmcall's VMMCALL
# never completes on kvm_pvm: its loop waits for the watchdog, whose bound
# grows with the iterations): a note every 5 s until the watchdog fires.
wd_s=$(grep -o 'did not finish within [0-9]* s' "$tmp/exit_vmcall.tap" | grep -o '[0-9][0-9]*' || true)
if [ -n "$wd_s" ]; then
	# The note's seconds, in order; 2 s of slack on a loaded machine.
	at=$(sed -n "s/.*still waiting for the guest loop: \([0-9]*\) s of at most $wd_s s\$/\1/p" "$tmp/exit_vmcall.tap" | tr '\n' ' ')
	if [ -n "$at" ] && echo "$at" | awk -v wd="$wd_s" '{ p = 0; for (i = 1; i <= NF; i++) { if ($i - p > 7) exit 1; p = $i } if (wd - p > 7) exit 1 }'; then
		ok "exit_vmcall said it was waiting, every 5 s, until its $wd_s s watchdog (at ${at% } s)"
	else
		not_ok "exit_vmcall waited for its watchdog in silence: $(tr '\n' '|' <"$tmp/exit_vmcall.tap" | head -c 300)"
	fi
fi

echo "# cycles per exit does not depend on N"
if python3 tests/n_independence.py "$vendor" >"$tmp/nind" 2>&1; then
	ok "N-independence: $(tail -n 1 "$tmp/nind")"
else
	not_ok "N-independence: $(cat "$tmp/nind")"
fi
sed 's/^/#   /' "$tmp/nind"

echo "# run_all.sh end to end"
rc=0
./run_all.sh --results "$tmp/results" '^exit_(cpuid|io_user)$' -t 3 >"$tmp/runall" 2>&1 || rc=$?
run=$(find "$tmp/results" -mindepth 1 -maxdepth 1 -name '2*' 2>/dev/null | head -n 1)
# 4: both "not measurable here" on a busy machine, which must be said.
if { [ "$rc" -eq 0 ] || { [ "$rc" -eq 4 ] && grep -q 'NOTHING WAS MEASURED' "$tmp/runall"; }; } &&
	[ -n "$run" ] && python3 tests/check_summary.py "$run" exit_cpuid exit_io_user >"$tmp/sum" 2>&1; then
	ok "run_all.sh (exit $rc): $(cat "$tmp/sum")"
else
	not_ok "run_all.sh exit $rc: $(cat "$tmp/runall" "$tmp/sum" 2>/dev/null | tail -n 5 | tr '\n' ' ')"
fi
./run_all.sh --results "$tmp/results" io_user -t 1 -n 100 >/dev/null 2>&1 || true
n=$(find "$tmp/results" -mindepth 1 -maxdepth 1 -name '2*' | wc -l)
if [ "$n" -eq 2 ]; then ok "a second run gets its own directory"; else not_ok "expected 2 run directories, found $n"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
