#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Native checks of issue 15 (tests/run_tests.sh calls this): the layout
# (one-way imports, thin commands), ./compare's statistics against SciPy's,
# ./history on synthetic runs with known answers and on two real runs, and
# the kselftest collection installed and run on this machine. One "ok" or
# "not ok" line per suite, its failures, then "N passed, N failed".
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
pass=0
fail=0
# Debian's python3-scipy is for Debian's python3 (PATH may hold another one).
scipy_python=/usr/bin/python3
[ -x "$scipy_python" ] || scipy_python=python3

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
		# (head closes the pipe early: under pipefail that is exit 141, not a failure to report)
		tail -n +"$(( ${first:-1} > 3 ? ${first:-1} - 3 : 1 ))" "$out" | grep -v '^#   # exit_' | head -n 40 || true
		echo "not ok - $name (exit $rc): $(tail -n 1 "$out")"
	fi
}

suite "layout: one-way imports, thin commands" python3 tests/analysis/test_layout.py
suite "statistics agree with SciPy" "$scipy_python" tests/analysis/test_stats_scipy.py
suite "history" python3 tests/history/test_history.py
suite "check_kernel's diagnosis" python3 tests/analysis/test_check_kernel.py
suite "kselftest collection, installed and run here" tests/kselftest/check_install.sh
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
