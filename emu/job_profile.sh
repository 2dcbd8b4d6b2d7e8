# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# The job of ./boot_profile, sourced by emu/init.sh inside the kernel under
# test (busybox sh), or by ./boot_profile --env native on the host (bash):
# sample the patched kernel's global exit table with exit_top while a VM
# ("$@", qemu-system-x86_64 ...) boots, with its console lines timestamped on
# the same clock (profile_helper run), until the VM is gone.
#
# Input (run.conf, or the environment): PROFILE_OUT (where the files go),
# PROFILE_EXIT_TOP, PROFILE_HELPER (the programs), PROFILE_INTERVAL
# (exit_top -d, or off: no sampler, only the tables before and after),
# PROFILE_INTERVAL_S (the same in seconds), PROFILE_GUEST_TIMEOUT (s),
# PROFILE_TABLE (the global table), PROFILE_TMP (scratch), and "$@".
# Output in PROFILE_OUT: table_before.txt, table_after.txt, timeline.csv.gz
# (exit_top --csv, profile_helper compact: rows whose deltas are all 0 left
# out; analysis/profile_report.py rebuilds them), timeline_sizes.txt, exit_top.stderr (its
# clock origin), console.txt (profile_helper run), vm.status,
# exit_top.status, exit_top_bench.txt, kvm_params.txt, job_times.txt,
# interrupts_{before,after}.txt (/proc/interrupts); or
# ERROR (one line: what went wrong) and what was gathered until then.
# `say` prints progress (emu/init.sh's, or boot_profile's).

profile_fail() {
	echo "$*" >"$PROFILE_OUT/ERROR"
	say "STAGE error: $*"
}

# Busy waiting would steal the CPU the guest runs on: poll at 10 ms.
profile_wait_origin() {
	i=0
	while [ $i -lt 1000 ]; do
		if grep -q 'time_s 0 is CLOCK_MONOTONIC' "$PROFILE_OUT/exit_top.stderr" 2>/dev/null; then
			return 0
		fi
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}

# The VM, its console lines timestamped; its exit status in vm.status. A
# heartbeat (emu/init.sh) while it runs: the host tells a hang by silence.
profile_vm() {
	vm_rc=0
	heartbeat "the VM" "$out/console.txt" &
	beat=$!
	"$PROFILE_HELPER" run --timeout "$PROFILE_GUEST_TIMEOUT" -- "$@" >"$out/console.txt" || vm_rc=$?
	kill "$beat" 2>/dev/null
	wait "$beat" 2>/dev/null
	echo "$vm_rc" >"$out/vm.status"
	say "STAGE the VM is gone (exit status $vm_rc)"
}

profile_job() {
	out=$PROFILE_OUT
	tmp=$PROFILE_TMP
	for p in exit_cycles exit_stats_cpuid_order exit_stats_log_interval; do
		printf '%s=%s\n' "$p" "$(cat "/sys/module/kvm/parameters/$p" 2>/dev/null || echo absent)"
	done >"$out/kvm_params.txt"
	echo "job_start_s $("$PROFILE_HELPER" now)" >"$out/job_times.txt"

	if [ ! -e /dev/kvm ]; then
		profile_fail "no /dev/kvm in the kernel under test: KVM did not load ($(dmesg | grep -i -E 'kvm|vmx|svm' | tail -n 2 | tr '\n' ' '))"
		return
	fi
	# A kernel without the counters stops here, with exit_top's reason.
	if ! "$PROFILE_EXIT_TOP" --once --source debugfs --debugfs "$PROFILE_TABLE" >"$tmp/once.txt" 2>"$tmp/once.err"; then
		profile_fail "$(sed 's/^exit_top: //' "$tmp/once.err" | head -n 3 | tr '\n' ' ' | sed 's/ *$//')"
		return
	fi
	cat "$PROFILE_TABLE" >"$out/table_before.txt"
	# The host's own interrupts (a source of external-interrupt exits).
	cat /proc/interrupts >"$out/interrupts_before.txt" 2>/dev/null

	if [ "$PROFILE_INTERVAL" = off ]; then
		say "STAGE no sampling (--interval off); starting the VM: $1"
		profile_vm "$@"
		cat "$PROFILE_TABLE" >"$out/table_after.txt"
		cat /proc/interrupts >"$out/interrupts_after.txt" 2>/dev/null
		echo "job_end_s $("$PROFILE_HELPER" now)" >>"$out/job_times.txt"
		return
	fi
	say "STAGE sampling every $PROFILE_INTERVAL; starting the VM: $1"
	"$PROFILE_EXIT_TOP" --csv -d "$PROFILE_INTERVAL" --debugfs "$PROFILE_TABLE" --clock-origin \
		>"$tmp/timeline.csv" 2>"$out/exit_top.stderr" &
	sampler=$!
	if ! profile_wait_origin "$sampler"; then
		kill "$sampler" 2>/dev/null
		wait "$sampler"
		profile_fail "the sampler did not start: $(head -c 300 "$out/exit_top.stderr" | tr '\n' ' ')"
		return
	fi
	profile_vm "$@"
	# Three more intervals: at least one sample after the VM was freed.
	sleep "$(awk -v s="$PROFILE_INTERVAL_S" 'BEGIN { printf "%.6f", 3 * s + 0.005 }')"
	kill -TERM "$sampler"
	top_rc=0
	wait "$sampler" || top_rc=$?
	echo "$top_rc" >"$out/exit_top.status"
	cat "$PROFILE_TABLE" >"$out/table_after.txt"
	cat /proc/interrupts >"$out/interrupts_after.txt" 2>/dev/null
	echo "job_end_s $("$PROFILE_HELPER" now)" >>"$out/job_times.txt"

	say "STAGE packing the timeline ($(wc -l <"$tmp/timeline.csv") rows)"
	# Rows with nothing new are left out (analysis/profile_report.py rebuilds them and
	# checks every count): the serial console is slow under Bochs.
	if ! "$PROFILE_HELPER" compact <"$tmp/timeline.csv" >"$tmp/compact.csv" 2>"$tmp/compact.err"; then
		profile_fail "packing the timeline failed: $(head -c 300 "$tmp/compact.err")"
		return
	fi
	gzip -9 -c "$tmp/compact.csv" >"$out/timeline.csv.gz"
	echo "timeline_csv_bytes $(wc -c <"$tmp/timeline.csv") packed_csv_bytes $(wc -c <"$tmp/compact.csv") gzip_bytes $(wc -c <"$out/timeline.csv.gz")" >"$out/timeline_sizes.txt"

	# What one sample of the real table costs here (kernel side included).
	"$PROFILE_EXIT_TOP" --debugfs "$PROFILE_TABLE" --bench 200 >"$out/exit_top_bench.txt" 2>&1 || true
}

profile_job "$@"
