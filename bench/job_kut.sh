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
	# Two of our tests may carry one name (exit_io_kernel, exit_outl_to_kernel):
	# vmexit.c runs it once. The patched kernel's table of every VM's exits,
	# around the run, tells which exits its benchmark took, by reason (no
	# such file on a stock kernel).
	table=/sys/kernel/debug/kvm/exit_reasons
	if [ ! -e "/results/kut-$name.status" ]; then
		say "STAGE $n: vmexit.c $name (QEMU -enable-kvm, $smp vCPU)"
		[ ! -r $table ] || cat $table >"/results/kut-$name.before"
		# vmexit.c prints once per benchmark, after QEMU's start-up and its
		# loop (minutes of the host's under Bochs): a heartbeat (emu/init.sh),
		# since the host tells a hang by silence (it gets out under QEMU TCG,
		# as ./boot_profile's does; under Bochs none did while QEMU ran, so
		# kut_compare.sh also widens the silence bound); 3600 guest seconds
		# at most.
		heartbeat "vmexit.c $name" &
		beat=$!
		timeout -s TERM 3600 /exitbench/qemu-system-x86_64 -enable-kvm -cpu host -m 64 -smp "$smp" \
			-nodefaults -nographic -serial stdio -device pc-testdev \
			-device isa-debug-exit,iobase=0xf4,iosize=0x4 -device pci-testdev -L /exitbench/share \
			-kernel /exitbench/vmexit.flat -append "$name" >"/results/kut-$name.txt" 2>&1 </dev/null
		echo $? >"/results/kut-$name.status"
		kill "$beat"
		wait "$beat" 2>/dev/null
		[ ! -r $table ] || cat $table >"/results/kut-$name.after"
	fi
	if [ ! -e "/results/$bin.json" ]; then
		say "STAGE $n: $bin"
		heartbeat "$bin" &
		beat=$!
		"/exitbench/$bin" --json "/results/$bin.json" "$@" >"/results/$bin.tap" 2>"/results/$bin.stderr"
		echo $? >"/results/$bin.status"
		kill "$beat"
		wait "$beat" 2>/dev/null
	fi
done
