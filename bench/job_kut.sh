# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# The job of bench/kut_compare.sh inside the kernel under test (sourced by
# emu/init.sh): for each kvm-unit-tests vmexit.c name in $KUT_NAMES, its
# vmexit.c run under QEMU -enable-kvm (output in /results/kut-NAME.txt),
# then our test of that name (/results/exit_*.json), in the same boot.
# run.conf sets KUT_NAMES ("name:exit_binary:smp ..."), and "$@" holds the
# options of our tests.

if [ ! -e /dev/kvm ]; then
	say "STAGE no /dev/kvm"
fi
exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr
n=0
for entry in $KUT_NAMES; do
	name=${entry%%:*}
	rest=${entry#*:}
	bin=${rest%%:*}
	smp=${rest#*:}
	n=$((n + 1))
	say "STAGE $n: vmexit.c $name (QEMU -enable-kvm, $smp vCPU)"
	/exitbench/qemu-system-x86_64 -enable-kvm -cpu host -m 64 -smp "$smp" -nodefaults -nographic \
		-serial stdio -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
		-device pci-testdev -L /exitbench/share -kernel /exitbench/vmexit.flat \
		-append "$name" >"/results/kut-$name.txt" 2>&1 </dev/null
	echo $? >"/results/kut-$name.status"
	if [ ! -e "/results/$bin.json" ]; then
		say "STAGE $n: $bin"
		"/exitbench/$bin" --json "/results/$bin.json" "$@" >"/results/$bin.tap" 2>"/results/$bin.stderr"
		echo $? >"/results/$bin.status"
	fi
done
