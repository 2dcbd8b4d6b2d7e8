#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Emulator-tier checks of issue 15 (tests/emu/run_emu_tests.sh calls this):
# the kselftest collection inside the kernel under test (QEMU TCG), then
# ./history over every run the emulator tier made so far (RUNS_DIR).
# One "ok" or "not ok" line per suite, then "N passed, N failed".
#
# usage: tests/fleet/emu.sh BZIMAGE [RUNS_DIR...]
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
	echo "usage: $0 BZIMAGE [RUNS_DIR...]" >&2
	exit 2
fi
kernel=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
pass=0
fail=0

suite() {	# NAME CMD...
	local name=$1 rc=0 start
	shift
	start=$(date +%s)
	"$@" >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $name: $(tail -n 1 "$out") ($(($(date +%s) - start)) s)"
	else
		fail=$((fail + 1))
		# From just before the first failure: what failed and why.
		first=$(grep -n -m 1 '^not ok' "$out" | cut -d: -f1)
		tail -n +"$(( ${first:-1} > 3 ? ${first:-1} - 3 : 1 ))" "$out" | grep -v '^#   # exit_' | head -n 40
		echo "not ok - $name (exit $rc): $(tail -n 1 "$out")"
	fi
	grep -E '^#   # exit_|^# .*(took|s inside)' "$out" | head -n 40 || true
}

suite "kselftest collection in the kernel under test (QEMU TCG)" tests/kselftest/check_emu.sh "$kernel"
if [ $# -gt 0 ]; then
	suite "history over the emulator tier's runs" python3 tests/history/check_ci_runs.py "$@"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
