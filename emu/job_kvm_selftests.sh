# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# A job for emu/init.sh (tests/emu/run_kselftests.sh boots it): the 6.12
# tree's x86_64 KVM selftests (kernel/kselftests.sh), one after another, each
# with its own timeout (/exitbench/ksft/tests.list: "NAME SECONDS" lines).
# /results/results.txt gets one line per test, "NAME EXIT SECONDS" (exit 143:
# killed by the timeout), and each test's output goes to /results/NAME.log.
# Every result is also a STAGE line on the console, so a kernel that dies
# half-way still tells how far it got.

[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mkdir -p /dev/shm
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
: >/results/results.txt
# kvm_clock_test, hyperv_clock and vmx_nested_tsc_scaling_test need the
# TSC as the clocksource ("tsc"; they skip under "tsc-early"), and the
# kernel switches from tsc-early to tsc only once it has refined the TSC's
# calibration, a while after boot (under Bochs the first tests ran before
# that). Where the TSC is a clocksource, wait for it, 60 s at most.
cs=/sys/devices/system/clocksource/clocksource0
n=0
if grep -qE '(^| )tsc(-early)?( |$)' "$cs/available_clocksource" 2>/dev/null; then
	while [ "$(cat "$cs/current_clocksource")" != tsc ] && [ "$n" -lt 60 ]; do
		sleep 1
		n=$((n + 1))
	done
fi
say "STAGE ksft clocksource $(cat "$cs/current_clocksource" 2>/dev/null || echo unknown), after $n s"
while read -r t limit; do
	say "STAGE ksft start $t (at most $limit s)"
	start=$(date +%s)
	# A selftest says nothing while it runs (heartbeat: emu/init.sh).
	heartbeat "$t" &
	beat=$!
	timeout -s TERM "$limit" "/exitbench/ksft/$t" >"/results/$t.log" 2>&1 </dev/null
	rc=$?
	kill "$beat"
	wait "$beat" 2>/dev/null
	secs=$(($(date +%s) - start))
	echo "$t $rc $secs" >>/results/results.txt
	say "STAGE ksft result $t $rc $secs"
done </exitbench/ksft/tests.list
