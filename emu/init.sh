#!/bin/busybox sh
# shellcheck shell=dash disable=SC1091 # run.conf and job.sh exist only in the initramfs
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the kernel under test (busybox sh): mount what the tools need, run
# the job (/exitbench/job.sh: emu/job_suite.sh runs the exit tests), then send
# every file it left in /results back over the serial console as one framed,
# checksummed archive and power off.
#
# Lines for the host (emu/console.py), all starting "@@EXB ":
#   @@EXB STAGE <what>                     progress
#   @@EXB BEGIN <name> <bytes> <sha256>    then "@@EXB:<base64>" lines
#   @@EXB END <name>
#   @@EXB DONE                             nothing follows but the power-off
# /exitbench/run.conf (written by the host) sets the job's variables and
# positional parameters.

/bin/busybox --install -s /bin
export PATH=/bin:/exitbench

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# Keep kernel messages off the console the frames travel on (panics still show).
dmesg -n 1

say() { echo "@@EXB $*"; }

# heartbeat WHAT [FILE]: "PROGRESS WHAT: still running (N s[, L lines of
# FILE])" every 10 s of the guest's clock until killed, or every
# exitbench.heartbeat_s=S on the kernel command line (emu/boot.sh sets 1 for
# Bochs). A job runs it in the background around a step that says nothing
# for long (a selftest, a VM): the host tells a hang by the console's
# silence (emu/console.py), and under Bochs the guest's clock runs about 50
# times slower than the host's while the CPU is busy (README, "Caveats"):
# 10 guest seconds would be 8 minutes of the host's, over its silence bound.
hb_every=$(sed -n 's/.*exitbench\.heartbeat_s=\([1-9][0-9]*\).*/\1/p' /proc/cmdline)
heartbeat() {
	hb_s=0
	while sleep "${hb_every:-10}"; do
		hb_s=$((hb_s + ${hb_every:-10}))
		if [ -n "${2:-}" ]; then
			say "PROGRESS $1: still running ($hb_s s, $(wc -l <"$2" 2>/dev/null || echo 0) lines of ${2##*/})"
		else
			say "PROGRESS $1: still running ($hb_s s)"
		fi
	done
}

send_file() {
	size=$(wc -c <"$1")
	sum=$(sha256sum "$1")
	say "BEGIN ${1##*/} $size ${sum%% *}"
	base64 -w 76 "$1" | sed 's/^/@@EXB:/'
	say "END ${1##*/}"
}

finish() {
	say "STAGE sending results"
	dmesg >/results/dmesg.txt 2>&1
	cat /proc/cmdline >/results/cmdline.txt
	(cd /results && tar -cf /tmp/results.tar -- *) && gzip -9 /tmp/results.tar &&
		send_file /tmp/results.tar.gz
	say DONE
	sync
	# Bochs' serial file loses what was written just before the power-off.
	sleep 2
	poweroff -f
}

say "STAGE init: $(uname -r)"
mkdir -p /results
. /exitbench/run.conf

# The job: the exit tests (emu/job_suite.sh) or a boot profile.
. /exitbench/job.sh
finish
