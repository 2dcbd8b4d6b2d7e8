#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The patch series' own KVM selftest (x86_64/exit_stats_test, added by
# kernel/patches/) inside the patched kernel under QEMU TCG (AMD SVM) and
# Bochs (Intel VMX): every subtest passes; under QEMU TCG also with
# kvm.exit_cycles=1 and kvm.exit_stats_cpuid_order=B, and on the stock
# kernel it skips for the missing capability. Called by
# tests/emu/run_emu_tests.sh; EMU_ENVS="qemu-tcg bochs" (default) picks the
# emulators. Ends with "N passed, N failed"; exit status 1 if anything failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d /tmp/exitbench-series-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
t0=$(date +%s)
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
elapsed() { echo "$(($(date +%s) - t0)) s"; }

bin=build/static/kvm_exit_stats_test
if ! make -s "$bin" >"$tmp/make.log" 2>&1; then
	tail -n 20 "$tmp/make.log"
	not_ok "building $bin from the patched tree (kernel/selftest.sh)"
	echo "$pass passed, $fail failed"
	exit 1
fi
declare -A kernel=()
for flavor in patched stock; do
	if ! kernel[$flavor]=$(STOCK=$([ $flavor = stock ] && echo 1 || echo 0) kernel/build.sh 2>"$tmp/build-$flavor.log" | tail -n 1) ||
		[ ! -f "${kernel[$flavor]}" ]; then
		tail -n 20 "$tmp/build-$flavor.log"
		not_ok "$flavor kernel did not build"
		echo "$pass passed, $fail failed"
		exit 1
	fi
done

# The initramfs: busybox, emu/init.sh, the selftest and a job that runs it,
# its TAP lines also as progress on the console.
strip -o "$tmp/kvm_exit_stats_test" "$bin"
cat >"$tmp/job.sh" <<'EOF'
# shellcheck shell=sh
say "STAGE kvm_exit_stats_test"
/exitbench/kvm_exit_stats_test >/results/selftest.tap 2>&1
echo $? >/results/selftest.status
EOF
: >"$tmp/run.conf"
# shellcheck disable=SC2054 # the commas are part of the cdev entry
python3 emu/mkinitramfs.py "$tmp/initrd.gz" dir:bin dir:dev dir:proc dir:sys dir:tmp dir:exitbench \
	cdev:dev/console=5,1 file:bin/busybox=/bin/busybox:0755 file:init=emu/init.sh:0755 \
	file:exitbench/run.conf="$tmp/run.conf":0644 file:exitbench/job.sh="$tmp/job.sh":0644 \
	file:exitbench/kvm_exit_stats_test="$tmp/kvm_exit_stats_test":0755

# boot ENV FLAVOR NAME [APPEND]: one boot; its files in $tmp/NAME.
boot() {
	local env=$1 flavor=$2 name=$3 append=${4:-}
	if ! emu/boot.sh --env "$env" --kernel "${kernel[$flavor]}" --initrd "$tmp/initrd.gz" \
		--out "$tmp/$name" --timeout 3000 ${append:+--append "$append"} >"$tmp/$name.log" 2>&1; then
		tail -n 15 "$tmp/$name.log"
		not_ok "$env/$flavor $name: the boot failed ($(elapsed))"
		return 1
	fi
}

# passed NAME PLAN: every one of PLAN subtests passed.
passed() {
	local tap=$tmp/$1/selftest.tap totals
	totals=$(grep -m1 '^# Totals:' "$tap" || true)
	if [ "$(cat "$tmp/$1/selftest.status")" = 0 ] && grep -q "^1\.\.$2$" "$tap" &&
		[ "$(grep -c '^ok ' "$tap")" -eq "$2" ] && ! grep -q '^not ok' "$tap"; then
		ok "$1: $2 of $2 subtests pass (${totals#\# }, $(elapsed))"
	else
		grep -E '^(not ok|# )' "$tap" | head -n 20
		not_ok "$1: exit $(cat "$tmp/$1/selftest.status"), ${totals:-no totals}"
	fi
}

plan=9
for env in ${EMU_ENVS:-qemu-tcg bochs}; do
	echo "# $env: the series' selftest on the patched kernel ($(elapsed))"
	if boot "$env" patched "$env-patched"; then passed "$env-patched" "$plan"; fi
done
echo "# qemu-tcg: cycle accounting on, CPUID leaf order B ($(elapsed))"
if boot qemu-tcg patched tcg-cycles-b "kvm.exit_cycles=1 kvm.exit_stats_cpuid_order=B"; then
	passed tcg-cycles-b "$plan"
	if grep -q '^ok .*cycles of CPUID charged' "$tmp/tcg-cycles-b/selftest.tap"; then
		ok "tcg-cycles-b: the CPUID leaves charge cycles with kvm.exit_cycles=1"
	else
		not_ok "tcg-cycles-b: no 'cycles of CPUID charged' subtest"
	fi
fi
echo "# qemu-tcg: the stock kernel ($(elapsed))"
if boot qemu-tcg stock tcg-stock; then
	if [ "$(cat "$tmp/tcg-stock/selftest.status")" = 4 ] &&
		grep -q 'KVM_CAP_X86_EXIT_STATS_CPUID' "$tmp/tcg-stock/selftest.tap"; then
		ok "tcg-stock: skips, naming the missing capability"
	else
		cat "$tmp/tcg-stock/selftest.tap"
		not_ok "tcg-stock: exit $(cat "$tmp/tcg-stock/selftest.status"), want 4 (skip)"
	fi
fi
echo "# the series' selftest took $(elapsed)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
