#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The debug-kernel tier: the patched kernel built with KASAN, UBSAN,
# PROVE_LOCKING, DEBUG_ATOMIC_SLEEP and KFENCE (kernel/config/debug/debug.config)
# runs the exit suite (one trial) and the series' own selftest under QEMU TCG
# (AMD SVM) and Bochs (Intel VMX), and its kernel log holds no report of
# those checkers (tests/emu/scan_kernel_reports.sh; a report fails with the
# splat printed). First the scanner is shown to fail: a boot running KASAN's
# KUnit test kmalloc_oob_right (KFENCE off for it) must be caught. Ends with
# "N passed, N failed"; exit status 1 if anything failed.
#
# Environment: DEBUG_ENVS (default 'qemu-tcg bochs') picks the emulators;
# DEBUG_TESTS='REGEX...' runs only those exit tests (default: the whole
# suite); DEBUG_TEST_OPTS (default '-t 1') goes to every test, and in
# Bochs '--counters' without the kernel log and the CPUID leaves, as the
# emulator tier reads them there (DEBUG_BOCHS_OPTS replaces that).
set -euo pipefail

case "${1:-}" in
-h | --help)
	sed -n '3,18s/^# \{0,1\}//p' "$0"
	exit 0
	;;
"") ;;
*)
	echo "$0: no arguments wanted (got '$1'); see --help" >&2
	exit 2
	;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d /tmp/exitbench-debug-tier.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
t0=$(date +%s)
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
elapsed() { echo "$(($(date +%s) - t0)) s"; }
finish() {
	echo "# the debug tier took $(elapsed)"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
# A large log buffer: every report stays in dmesg.txt, whole.
append_base="log_buf_len=8M"
read -r -a envs <<<"${DEBUG_ENVS:-qemu-tcg bochs}"
[ ${#envs[@]} -gt 0 ] || { echo "$0: DEBUG_ENVS is empty: name qemu-tcg, bochs or both" >&2; exit 2; }
for env in "${envs[@]}"; do
	case "$env" in qemu-tcg | bochs) ;; *) echo "$0: DEBUG_ENVS: unknown emulator '$env' (qemu-tcg, bochs)" >&2; exit 2 ;; esac
done

echo "# building the debug kernel (EXTRA_CONFIG=kernel/config/debug/debug.config)"
if ! kernel=$(EXTRA_CONFIG=kernel/config/debug/debug.config kernel/build.sh 2>"$tmp/build.log" | tail -n 1) ||
	[ ! -f "$kernel" ]; then
	tail -n 20 "$tmp/build.log"
	not_ok "the debug kernel did not build"
	finish
fi
bin=build/static/kvm_exit_stats_test
if ! make -s all static "$bin" >"$tmp/make.log" 2>&1; then
	tail -n 20 "$tmp/make.log"
	not_ok "building the static tests and $bin"
	finish
fi
ok "debug kernel $kernel ($(elapsed))"

# scan NAME LOG...: no checker report in the logs, or the splats and not ok.
# The reports in scan_allow (--allow ERE ...) are shown, not counted.
scan_allow=()
scan() {
	local name=$1
	shift
	if tests/emu/scan_kernel_reports.sh ${scan_allow[@]+"${scan_allow[@]}"} "$@" >"$tmp/scan.out"; then
		grep '^# .*: allowed' "$tmp/scan.out" || true
		ok "$name: no KASAN, UBSAN, KFENCE, lockdep, might_sleep, BUG or WARNING report ($(elapsed))"
	else
		cat "$tmp/scan.out"
		not_ok "$name: the kernel reported a problem (above)"
	fi
}

# An initramfs with one job: the series' selftest, or nothing (the KUnit boot).
strip -o "$tmp/kvm_exit_stats_test" "$bin"
cat >"$tmp/job-selftest.sh" <<'EOF'
# shellcheck shell=sh
say "STAGE kvm_exit_stats_test"
/exitbench/kvm_exit_stats_test >/results/selftest.tap 2>&1
echo $? >/results/selftest.status
EOF
echo 'say "STAGE nothing to run: the kernel log is the result"' >"$tmp/job-none.sh"
: >"$tmp/run.conf"
for job in selftest none; do
	# shellcheck disable=SC2054 # the commas are part of the cdev entry
	python3 emu/mkinitramfs.py "$tmp/initrd-$job.gz" dir:bin dir:dev dir:proc dir:sys dir:tmp dir:exitbench \
		cdev:dev/console=5,1 file:bin/busybox=/bin/busybox:0755 file:init=emu/init.sh:0755 \
		file:exitbench/run.conf="$tmp/run.conf":0644 file:exitbench/job.sh="$tmp/job-$job.sh":0644 \
		file:exitbench/kvm_exit_stats_test="$tmp/kvm_exit_stats_test":0755
done
# boot ENV NAME JOB APPEND: one boot of the debug kernel; files in $tmp/NAME.
boot() {
	local env=$1
	shift
	if ! emu/boot.sh --env "$env" --kernel "$kernel" --initrd "$tmp/initrd-$2.gz" \
		--out "$tmp/$1" --timeout 3600 --append "$append_base $3" >"$tmp/$1.log" 2>&1; then
		tail -n 15 "$tmp/$1.log"
		not_ok "$1: the boot failed ($(elapsed))"
		[ ! -f "$tmp/$1/console.log" ] || scan "$1 (console)" "$tmp/$1/console.log" || true
		return 1
	fi
}

# debug_on NAME LOG: the boot's log shows KASAN, KFENCE and lockdep at work
# (a kernel built without them would pass the scan for nothing).
debug_on() {
	local m missing=()
	for m in 'KernelAddressSanitizer initialized' 'kfence: initialized' 'Lock dependency validator'; do
		grep -q "$m" "$2" || missing+=("'$m'")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		ok "$1: the kernel log shows KASAN, KFENCE and lockdep initialized"
	else
		not_ok "$1: no ${missing[*]} in the kernel log: not the debug kernel?"
	fi
}

# 1. The scanner can fail: a real KASAN report, from KASAN's own KUnit test
# (KFENCE off, or it could catch the allocation first and report it itself).
# A QEMU TCG boot: run when qemu-tcg is one of DEBUG_ENVS.
if [[ " ${envs[*]} " == *" qemu-tcg "* ]]; then
echo "# qemu-tcg: KASAN's KUnit test kmalloc_oob_right, to show the scanner fails ($(elapsed))"
if boot qemu-tcg kunit none "kunit.enable=1 kunit.filter_glob=kasan.kmalloc_oob_right kfence.sample_interval=0"; then
	if grep -q 'ok 1 kmalloc_oob_right' "$tmp/kunit/dmesg.txt" &&
		! tests/emu/scan_kernel_reports.sh --context 3 "$tmp/kunit/dmesg.txt" >"$tmp/kunit.scan" &&
		grep -q 'BUG: KASAN: slab-out-of-bounds' "$tmp/kunit.scan"; then
		ok "kunit: the scanner catches the KASAN report of kmalloc_oob_right ($(grep -c -E 'KASAN:' "$tmp/kunit.scan") line(s), $(elapsed))"
	else
		grep -i -E 'kunit|kasan' "$tmp/kunit/dmesg.txt" | head -n 20
		not_ok "kunit: no KASAN report caught from kmalloc_oob_right (or the KUnit test did not pass)"
	fi
fi
fi

# 2. and 3., in each emulator: the series' own selftest, every subtest
# passing, and the exit suite, one trial per test, both with no report.
read -r -a tests <<<"${DEBUG_TESTS:-}"
read -r -a opts <<<"${DEBUG_TEST_OPTS:--t 1}"
read -r -a bochs_opts <<<"${DEBUG_BOCHS_OPTS:---counters patched-stats,debugfs,tracepoint,stats-fd,vmm}"
for env in "${envs[@]}"; do
	scan_allow=()
	suite_append=$append_base
	if [ "$env" = bochs ]; then
		# Two warnings of Bochs 2.7's own CPUID (corei7_skylake_x), at
		# boot, before KVM exists: leaf 1's logical-processor count below
		# leaf 4's cores, and XSAVE area sizes that do not add up (so the
		# kernel turns XSAVE off: why exit_xsetbv skips in Bochs).
		scan_allow=(--allow 'at arch/x86/kernel/cpu/topology_common.c:[0-9]+ parse_legacy'
			--allow 'at arch/x86/kernel/fpu/xstate.c:[0-9]+ fpu__init_system_xstate')
		# One boot, not two: a Bochs boot of this kernel takes minutes.
		# The series' selftest runs in the suite's boot (a kvm_* binary of
		# build/static: emu/run_env.sh), with cycle accounting on for both.
		suite_append="$append_base kvm.exit_cycles=1"
	else
		echo "# $env: the series' selftest on the debug kernel ($(elapsed))"
		if boot "$env" "selftest-$env" selftest "kvm.exit_cycles=1"; then
			d=$tmp/selftest-$env
			st=$(cat "$d/selftest.status")
			if [ "$st" = 0 ] && ! grep -q '^not ok' "$d/selftest.tap" && grep -q '^ok ' "$d/selftest.tap"; then
				ok "$env: selftest: $(grep -c '^ok ' "$d/selftest.tap") subtests pass ($(elapsed))"
			else
				grep -E '^(not ok|# )' "$d/selftest.tap" | head -n 20
				not_ok "$env: selftest: exit $st"
			fi
			debug_on "$env: selftest" "$d/dmesg.txt"
			scan "$env: selftest" "$d/dmesg.txt"
		fi
	fi

	eo=("${opts[@]}")
	[ "$env" != bochs ] || eo+=("${bochs_opts[@]}")
	echo "# $env: the exit suite (${DEBUG_TESTS:-all tests}, ${eo[*]}) on the debug kernel ($(elapsed))"
	mkdir "$tmp/suite-$env"
	rc=0
	./run_all.sh --env "$env" --kernel "$kernel" --append "$suite_append" --results "$tmp/suite-$env" \
		"${tests[@]}" "${eo[@]}" >"$tmp/suite-$env.log" 2>&1 || rc=$?
	run=$(find "$tmp/suite-$env" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | head -n 1)
	if [ "$rc" -ne 0 ] || [ -z "$run" ]; then
		tail -n 25 "$tmp/suite-$env.log"
		not_ok "$env: suite: run_all.sh exit $rc ($(elapsed))"
		while IFS= read -r -d '' f; do
			scan "$env: suite ($f)" "$f"
		done < <(find "$tmp/suite-$env" \( -name dmesg.txt -o -name console.log \) -print0)
	else
		ok "$env: suite: run_all.sh passed ($(find "$run" -maxdepth 1 -name 'exit_*.json' | wc -l) tests' JSON results, $(elapsed))"
		if [ "$env" = bochs ]; then
			st=$(python3 -c 'import json, sys
ks = json.load(open(sys.argv[1] + "/summary.json")).get("kernel_selftests") or []
print(" ".join(k["status"] for k in ks if k["name"] == "kvm_exit_stats_test") or "not run")' "$run")
			if [ "$st" = pass ]; then
				ok "$env: selftest: kvm_exit_stats_test passes in the suite's boot, kvm.exit_cycles=1 ($(grep -c '^ok ' "$run/kselftest-kvm_exit_stats_test.tap" 2>/dev/null || echo '?') subtests)"
			else
				grep -E '^(not ok|# )' "$run/kselftest-kvm_exit_stats_test.tap" 2>/dev/null | head -n 20
				not_ok "$env: selftest: kvm_exit_stats_test $st in the suite's boot"
			fi
		fi
		if [ ! -f "$run/dmesg.txt" ]; then
			not_ok "$env: suite: no dmesg.txt in $run"
		else
			debug_on "$env: suite" "$run/dmesg.txt"
			scan "$env: suite" "$run/dmesg.txt"
		fi
	fi
done
finish
