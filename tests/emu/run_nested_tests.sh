#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-emu, nested guests: the exit_nested_* tests inside the kernels
# under test, three levels deep (emulator, kernel under test, L1, L2), each
# run checked level by level with tests/emu/check_nested.py: QEMU TCG (SVM
# with NPT) on the patched and the stock kernel, Bochs (VMX with EPT) on the
# patched kernel with shadow VMCS and without. Called by run_emu_tests.sh.
# As in the main suite: two trials of 64 iterations (the counts are exact at
# any N; the figures of record come from longer runs, the README's table),
# and in Bochs without the kernel log and the CPUID leaves (their rate limit
# and reader thread are most of a test's time there; QEMU TCG reads them).
# On the patched kernel, the sources of NESTED_LEVELS_FROM (default: every
# patched source, patched-stats,debugfs,cpuid-a,dmesg; in Bochs only those it
# reads) must also judge L1's exits and L2's apart, exactly. EMU_ENVS as in run_emu_tests.sh. Ends with "N passed, N failed"; exit 1 on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# Checked first: a misspelt emulator would run nothing and pass.
envs=" ${EMU_ENVS:-qemu-tcg bochs} "
for e in $envs; do
	case "$e" in
	qemu-tcg | bochs) ;;
	*) echo "run_nested_tests.sh: EMU_ENVS: unknown emulator '$e' (qemu-tcg, bochs or both)" >&2; exit 2 ;;
	esac
done
[ -n "${envs// /}" ] || { echo "run_nested_tests.sh: EMU_ENVS is empty (qemu-tcg, bochs or both)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/exitbench-nested-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

declare -A kernel=()
kernel[patched]=$(kernel/build.sh --print-path 2>/dev/null) || { echo "not ok - no patched kernel built (make kernel)"; exit 1; }
kernel[stock]=$(STOCK=1 kernel/build.sh --print-path 2>/dev/null) || { echo "not ok - no stock kernel built (make kernel STOCK=1)"; exit 1; }
tests=$(for f in selftests/exit_nested_*.c; do t=${f##*/}; printf '%s,' "${t%.c}"; done)
tests=${tests%,}
bochs_counters=patched-stats,debugfs,tracepoint,stats-fd,vmm
levels_from=${NESTED_LEVELS_FROM-patched-stats,debugfs,cpuid-a,dmesg}

# nested ENV FLAVOR NAME CHECK-ARGS -- RUN_ALL-ARGS...: one run, then its check.
nested() {
	local env=$1 flavor=$2 name=$3 rc=0 run check=() out levels=()
	shift 3
	while [ "$1" != -- ]; do check+=("$1"); shift; done
	shift
	out=$tmp/$name
	./run_all.sh --env "$env" --kernel "${kernel[$flavor]}" --results "$out" "$@" >"$out.out" 2>&1 || rc=$?
	run=$(find "$out" -mindepth 1 -maxdepth 1 -type d -name '2*' | head -n 1)
	if [ -z "$run" ]; then
		tail -n 20 "$out.out"
		fail=$((fail + 1))
		echo "not ok - $name: run_all.sh exit $rc and no run directory ($(elapsed))"
		return
	fi
	rc=0
	if [ "$flavor" = patched ] && [ -n "$levels_from" ]; then
		# Each source named must have been read: in Bochs, those of
		# $bochs_counters only.
		local want=$levels_from src keep=()
		if [ "$env" = bochs ]; then
			for src in ${levels_from//,/ }; do
				[[ ",$bochs_counters," == *",$src,"* ]] && keep+=("$src")
			done
			want=$(IFS=,; echo "${keep[*]}")
		fi
		[ -z "$want" ] || levels=(--levels-from "$want")
	fi
	python3 tests/emu/check_nested.py "$run" --env "$env" --kernel "$flavor" "${check[@]}" \
		"${levels[@]}" >"$out.check" 2>&1 || rc=$?
	grep -E '^not ok' "$out.check" || true
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $(tail -n 1 "$out.check") ($(elapsed))"
	else
		fail=$((fail + 1))
		echo "not ok - $(tail -n 1 "$out.check") ($(elapsed))"
	fi
}

if [[ $envs == *" qemu-tcg "* ]]; then
	echo "# nested guests under QEMU TCG (SVM), patched and stock ($(elapsed))"
	nested qemu-tcg patched tcg-patched --tests "$tests" -- exit_nested_ -t 2 -n 64
	nested qemu-tcg stock tcg-stock --tests "$tests" -- exit_nested_ -t 2 -n 64
fi
if [[ $envs == *" bochs "* ]]; then
	echo "# nested guests under Bochs (VMX), patched, shadow VMCS on and off ($(elapsed))"
	nested bochs patched bochs-shadow --shadow-vmcs on --tests "$tests" -- \
		exit_nested_ -t 2 -n 64 --counters "$bochs_counters"
	nested bochs patched bochs-noshadow --shadow-vmcs off \
		--tests exit_nested_cpuid,exit_nested_io_l0,exit_nested_l1_vm_insns -- \
		--append kvm_intel.enable_shadow_vmcs=0 'exit_nested_(cpuid|io_l0|l1_vm_insns)' \
		-t 2 -n 64 --counters "$bochs_counters"
fi

echo "# nested checks took $(elapsed)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
