#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kselftest collection inside a kernel under test: 'make
# kselftest-tarball', an initramfs holding that archive and busybox, booted
# in QEMU TCG (AMD SVM) by emu/boot.sh; its job (emu/job_kselftest.sh)
# unpacks the archive and runs run_kselftest.sh (every test, -t, -s) as a
# lab would; each output checked by the kernel's KTAP parser
# (tests/kselftest/check_ktap.py). Ends with "N passed, N failed".
#
# usage: tests/kselftest/check_emu.sh BZIMAGE
# KSFT_TEST_ARGS: options for every test, through the runner's
# KSELFTEST_<TEST>_ARGS (e.g. "-t 3"); default none, as a lab runs it.
# KSFT_ENV (default qemu-tcg) picks the emulator. OUT=DIR keeps the results.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	echo "usage: $0 BZIMAGE (the kernel under test, e.g. from 'kernel/build.sh --print-path')" >&2
	exit 2
fi
kernel=$1
env=${KSFT_ENV:-qemu-tcg}
test_args=${KSFT_TEST_ARGS:-}
tmp=$(mktemp -d /tmp/exitbench-ksft-emu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
t0=$(date +%s)
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
elapsed() { echo "$(($(date +%s) - t0)) s"; }

kunit=$(lib/prepare_ksrc.sh)/tools/testing/kunit/kunit.py
echo "# make kselftest-tarball ($(elapsed))"
if ! make -s kselftest-tarball KSFT_TARBALL="$tmp/kselftest.tar.gz" >"$tmp/tar.log" 2>&1; then
	tail -n 20 "$tmp/tar.log"
	not_ok "make kselftest-tarball"
	echo "$pass passed, $fail failed"
	exit 1
fi
tar -xzOf "$tmp/kselftest.tar.gz" kselftest/kselftest-list.txt >"$tmp/list"
list=$(sed -n 's/^kvm-exitbench://p' "$tmp/list" | paste -sd,)
read -r -a tests <<<"${list//,/ }"

# The job's settings: the runner's per-test options, one variable per test.
{
	echo "# written by tests/kselftest/check_emu.sh"
	if [ -n "$test_args" ]; then
		for t in "${tests[@]}"; do
			name=$(echo "$t" | tr '[:lower:]' '[:upper:]')
			printf 'export KSELFTEST_%s_ARGS=%q\n' "$name" "$test_args"
		done
	fi
} >"$tmp/run.conf"
# shellcheck disable=SC2054 # the commas are part of the cdev entry
python3 emu/mkinitramfs.py "$tmp/initrd.gz" dir:bin dir:dev dir:proc dir:sys dir:tmp dir:exitbench \
	cdev:dev/console=5,1 file:bin/busybox=/bin/busybox:0755 file:init=emu/init.sh:0755 \
	file:exitbench/run.conf="$tmp/run.conf":0644 file:exitbench/job.sh=emu/job_kselftest.sh:0644 \
	file:exitbench/kselftest.tar.gz="$tmp/kselftest.tar.gz":0644

echo "# $env: boot, unpack, run_kselftest.sh (tests with '${test_args:-default options}') ($(elapsed))"
out=$tmp/out
start=$(date +%s)
if emu/boot.sh --env "$env" --kernel "$kernel" --initrd "$tmp/initrd.gz" --out "$out" --timeout 1200 \
	>"$tmp/boot.log" 2>&1; then
	ok "$env: booted $kernel, results back in $(($(date +%s) - start)) s (kernel $(sed -n 's/.*"kernel":"\([^"]*\)".*/\1/p' "$out/metadata.json"))"
else
	tail -n 20 "$tmp/boot.log"
	not_ok "$env: the boot failed"
	echo "$pass passed, $fail failed"
	exit 1
fi
if cmp -s "$tmp/list" "$out/kselftest-list.out"; then
	ok "run_kselftest.sh --list inside: the ${#tests[@]} tests of kselftest-list.txt"
else
	not_ok "run_kselftest.sh --list inside: $(head -c 300 "$out/kselftest-list.out")"
fi

# check NAME WHAT TESTS [check_ktap options]
check() {
	local name=$1 what=$2 names=$3 rc
	shift 3
	rc=$(cat "$out/$name.status" 2>/dev/null || echo missing)
	if [ "$rc" != 0 ]; then
		not_ok "$what: run_kselftest.sh exit $rc"
	fi
	if python3 tests/kselftest/check_ktap.py "$out/$name.ktap" --kunit "$kunit" --tests "$names" "$@" \
		>"$tmp/$name.check" 2>&1; then
		ok "$what: $(grep -c '^ok' "$tmp/$name.check") checks, $(cat "$out/$name.seconds") s inside ($(grep -o 'Ran [0-9]* tests.*)' "$tmp/$name.check" | head -n 1)"
	else
		grep '^not ok\|^#' "$tmp/$name.check" | head -n 20
		not_ok "$what"
	fi
	grep '^# exit_' "$tmp/$name.check" | sed 's/^/#   /' || true
}
check all "$env: run_kselftest.sh (all tests): the kernel's parser accepts it" "$list" --print-metrics
check one "$env: run_kselftest.sh -t kvm-exitbench:exit_cpuid" exit_cpuid
check summary "$env: run_kselftest.sh -s -t kvm-exitbench:exit_io_user" exit_io_user --log "$out/summary-output.log"
# The patched kernel's counters attribute the exits there: at least the
# exits every source sees must come out exact.
exact=$(grep -c 'attribution=exact' "$out/all.ktap" || true)
if [ "$exact" -ge 1 ]; then
	ok "$env: $exact tests report attribution=exact in their metrics lines"
else
	not_ok "$env: no test reports attribution=exact"
fi

if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT" && cp -a "$out"/. "$OUT"/ && echo "# kept the results in $OUT"
fi
echo "# kselftest in $env took $(elapsed)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
