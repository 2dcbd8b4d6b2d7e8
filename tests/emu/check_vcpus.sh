#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The multi-vCPU exactness check in a kernel under test: a few tests with 2
# and 4 vCPUs (threads sharing the emulator's one CPU), N vCPUs doing M
# exits each counting exactly N x M per vCPU and summed, from every source
# (tests/emu/check_vcpus.py). One emulator per call.
# usage: check_vcpus.sh ENV KERNEL TMPDIR [ITERATIONS [RUN_ALL-OPTIONS...]]
# ITERATIONS per vCPU and loop (default 500); the options go to run_all.sh
# (CI's Bochs run: --counters without the kernel log, whose one-a-second
# rate limit costs tens of seconds a test there).
# Prints ok / not ok lines and "PASS: ..." or "FAIL: ..." last.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
env=$1 kernel=$2 tmp=$3
iterations=${4:-500}
shift $(($# < 4 ? $# : 4))
[[ $iterations =~ ^[1-9][0-9]*$ ]] || { echo "check_vcpus.sh: ITERATIONS '$iterations': want a whole number above 0" >&2; exit 2; }
status=0
for n in 2 4; do
	out=$tmp/vcpus-$env-$n
	rc=0
	"$top/run_all.sh" --env "$env" --kernel "$kernel" --results "$out" \
		'exit_(cpuid|io_kernel|vmcall|msr_read)$' --vcpus "$n" -n "$iterations" -t 2 "$@" \
		>"$out.log" 2>&1 || rc=$?
	run=$(find "$out" -mindepth 1 -maxdepth 1 -type d -name '2*' | head -n 1)
	if [ -z "$run" ]; then
		tail -n 15 "$out.log"
		echo "not ok - $env: $n vCPUs: run_all.sh exit $rc and no run"
		status=1
		continue
	fi
	python3 "$top/tests/emu/check_vcpus.py" "$run" "$n" "$iterations" || status=1
done
if [ "$status" -eq 0 ]; then echo "PASS: $env: 2 and 4 vCPUs count N x M exactly"; else echo "FAIL: $env: multi-vCPU counts"; fi
exit "$status"
