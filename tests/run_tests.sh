#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check: unit tests, bad input, every exit test on this machine's
# /dev/kvm, the N-independence property, and run_all.sh end to end.
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

echo "# bad input"
touch "$tmp/exists.json"
expect 2 "unknown option '--bogus'" ./exit_cpuid --bogus
expect 2 "unknown option" ./exit_cpuid -x
expect 2 "-n wants a whole number" ./exit_cpuid -n 0
expect 2 "-n wants a whole number" ./exit_cpuid -n abc
expect 2 "needs a value" ./exit_cpuid -n
expect 2 "-t wants a number of trials" ./exit_cpuid -t 0
expect 2 "-t wants a number of trials" ./exit_cpuid -t 1001
expect 2 "-c wants a host CPU" ./exit_cpuid -c 99999
expect 2 "cannot pin to CPU 1000" ./exit_cpuid -c 1000
expect 2 "never overwritten" ./exit_cpuid --json "$tmp/exists.json"
expect 2 "unexpected argument 'extra'" ./exit_cpuid extra
expect 2 "unknown counter source 'nope'" ./exit_cpuid --counters nope
expect 2 "target-cycles wants" ./exit_cpuid --target-cycles 5
expect 2 "more than this test can do" ./exit_ept_violation -n 99999999
expect 2 "EXITBENCH_VENDOR" env EXITBENCH_VENDOR=intel ./exit_cpuid -t 1
expect 1 "counter source 'tracepoint' cannot be used" env EXITBENCH_VENDOR=other ./exit_cpuid -t 1 --counters tracepoint
expect 0 "usage: exit_cpuid" ./exit_cpuid -h
# The patched kernel's interfaces are reported absent on a stock kernel, never read as garbage.
expect 1 "'patched-stats' cannot be used: absent: this kernel has no exits_by_reason" \
	env EXITBENCH_VENDOR=vmx ./exit_cpuid -t 1 -n 10 --counters patched-stats
expect 1 "'debugfs' cannot be used: cannot open /sys/kernel/debug/kvm/[0-9]+-[0-9]+/vcpu0/exit_reasons" \
	env EXITBENCH_VENDOR=vmx ./exit_cpuid -t 1 -n 10 --counters debugfs
expect 1 "'cpuid-a' cannot be used: leaf 0x4FFFFFFD does not count CPUID exits" \
	env EXITBENCH_VENDOR=vmx ./exit_cpuid -t 1 -n 10 --counters cpuid-a
expect 1 "'cpuid-b' cannot be used: leaf 0x4FFFFFFE does not count CPUID exits" \
	env EXITBENCH_VENDOR=svm ./exit_cpuid -t 1 -n 10 --counters cpuid-b
expect 2 "usage: exitbench_info" ./exitbench_info --bogus
expect 2 "unknown option '--bogus'" ./run_all.sh --bogus
expect 2 "no test matches 'nomatch'" ./run_all.sh nomatch
expect 2 "unknown --env 'foo'" ./run_all.sh --env foo
expect 2 "not a valid extended regex" ./run_all.sh '('
expect 2 "--json is set by run_all.sh" ./run_all.sh --json x
expect 2 "--kernel, --append and --timeout need --env" ./run_all.sh --kernel /nonexistent
expect 2 "unknown --env 'foo'" emu/run_env.sh --env foo
expect 2 "--kernel /nonexistent: no such file" emu/run_env.sh --env qemu-tcg --kernel /nonexistent --bin-dir build/static --out "$tmp/o"
expect 2 "--out .* already exists" emu/run_env.sh --env qemu-tcg --kernel Makefile --bin-dir build/static --out "$tmp"
expect 2 "--timeout wants whole seconds" ./run_all.sh --env qemu-tcg --timeout 0s cpuid
expect 2 "--kernel /nonexistent: no such file" ./run_all.sh --env bochs --kernel /nonexistent cpuid
expect 2 "may not hold quotes" ./run_all.sh --env qemu-tcg --kernel Makefile --append "a'b" cpuid
expect 2 "one FILTER only" ./run_all.sh cpuid hlt
expect 1 "metadata.json: missing" python3 lib/summarize.py "$tmp"
mkdir -p "$tmp/badrun" && echo '{}' >"$tmp/badrun/metadata.json" && echo 0 >"$tmp/badrun/exit_x.status"
echo '{"schema_version": 1, "name": "exit_x", "status"' >"$tmp/badrun/exit_x.json"
expect 1 "badrun/exit_x.json: cannot read JSON" python3 lib/summarize.py "$tmp/badrun"
[ ! -e "$tmp/badrun/summary.json" ] && ok "no summary after a bad input" || not_ok "summary written despite bad input"
echo '{"schema_version": 99}' >"$tmp/badrun/exit_x.json"
expect 1 "schema_version 99" python3 lib/summarize.py "$tmp/badrun"
# No /dev/kvm, no permission: a skip that says what to do.
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	expect 4 "/dev/kvm does not exist: load kvm_intel or kvm_amd" \
		unshare -m sh -c 'mount -t tmpfs none /dev && exec ./exit_cpuid'
else
	echo "# skip: no-/dev/kvm case needs unshare -m (root)"
fi
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	expect 4 "no permission to open /dev/kvm: run as root or add this user to the 'kvm' group" \
		setpriv --reuid=65534 --regid=65534 --clear-groups ./exit_cpuid
else
	echo "# skip: permission case needs root and setpriv"
fi

echo "# pinning"
expect 0 "ok 1 exit_io_user" ./exit_io_user -c 0 -t 2 -n 1000 --json "$tmp/pinned.json"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["cpu"] != 0)' "$tmp/pinned.json" &&
	ok "-c 0 is recorded as cpu 0" || not_ok "-c 0 not recorded"

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

echo "# cycles per exit does not depend on N"
if python3 tests/n_independence.py "$vendor" >"$tmp/nind" 2>&1; then
	ok "N-independence: $(tail -n 1 "$tmp/nind")"
else
	not_ok "N-independence: $(cat "$tmp/nind")"
fi
sed 's/^/#   /' "$tmp/nind"

echo "# run_all.sh end to end"
rc=0
./run_all.sh --results "$tmp/results" 'cpuid|io_user' -t 3 >"$tmp/runall" 2>&1 || rc=$?
run=$(ls -d "$tmp"/results/2* 2>/dev/null | head -n 1)
if [ "$rc" -eq 0 ] && [ -n "$run" ] && python3 tests/check_summary.py "$run" exit_cpuid exit_io_user >"$tmp/sum" 2>&1; then
	ok "run_all.sh: $(cat "$tmp/sum")"
else
	not_ok "run_all.sh exit $rc: $(cat "$tmp/runall" "$tmp/sum" 2>/dev/null | tail -n 5 | tr '\n' ' ')"
fi
./run_all.sh --results "$tmp/results" io_user -t 1 -n 100 >/dev/null 2>&1 || true
n=$(ls -d "$tmp"/results/2* | wc -l)
[ "$n" -eq 2 ] && ok "a second run gets its own directory" || not_ok "expected 2 run directories, found $n"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
