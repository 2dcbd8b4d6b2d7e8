#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the L1 guest of ./boot_profile --nested: a Linux with KVM that
# boots the L2 guest with its own qemu-system-x86_64 -enable-kvm, L2's
# console on L1's (so on the profiled console), then powers off. The L1
# initramfs holds busybox, this script, QEMU with its libraries and
# firmware, and L2's kernel and initramfs in /l1.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# L1's own kernel messages off the console: the lines that follow are L2's.
dmesg -n 1
if [ -e /dev/kvm ]; then
	echo "L1: starting the L2 guest"
	. /l1/l2.conf
	rc=0
	LD_LIBRARY_PATH=/l1/lib "$@" || rc=$?
	echo "L1: the L2 guest is gone (exit status $rc)"
else
	echo "L1: no /dev/kvm, no nested guest: $(dmesg | grep -i -E 'kvm|vmx|svm' | tail -n 2 | tr '\n' ' ')"
fi
sync
poweroff -f
