#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run every exit test (or those matching FILTER) and write results/<run-id>/:
# one JSON per test, metadata.json, summary.json, summary.csv; print the table.
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<USAGE
usage: $0 [--env native|bochs|qemu-tcg|qemu-kvm] [--kernel BZIMAGE]...
          [--append 'KERNEL ARGS'] [--timeout S] [--results DIR]
          [--fail-above PCT] [FILTER] [TEST-OPTIONS...]

  FILTER         run only tests whose name matches this extended regex
                 (e.g. 'cpuid|hlt'); default: all
  --env ENV      native (default): this machine's /dev/kvm, running kernel.
                 bochs (Intel VMX with EPT), qemu-tcg (AMD SVM with NPT) or
                 qemu-kvm (QEMU -enable-kvm on a host with nested KVM): boot
                 --kernel in that emulator and run the suite inside it
  --kernel FILE  the kernel under test for --env (default: the one
                 'make kernel' built). Given more than once: a kernel
                 matrix, one run per kernel, then ./compare of the runs
                 (the first kernel is the baseline)
  --append ARGS  more kernel command line for --env, e.g. kvm.exit_cycles=1
  --timeout S    seconds before an --env boot is declared hung
  --results DIR  where run directories go (default: results/)
  --fail-above P with a kernel matrix: exit 1 when a test is slower than on
                 the first kernel, beyond noise, by more than P percent
  -h, --help     this help

TEST-OPTIONS are passed to every test: -n ITER, -t TRIALS, -c CPU,
--target-cycles C, --counters LIST, -v. Tests: ./exit_* (see each -h).
Each run writes a new results/<UTC time>-<env>/ (never overwritten).
Exit status: 0 all tests passed or skipped, 1 a test failed or the run
failed, 2 usage error.
USAGE
}

die_usage() {
	echo "run_all.sh: $1" >&2
	usage >&2
	exit 2
}

env=native
kernels=()
fail_above=
append=
timeout=
results=$top/results
filter=
test_opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--env) [ $# -ge 2 ] || die_usage "--env needs a value"; env=$2; shift 2 ;;
	--env=*) env=${1#--env=}; shift ;;
	--kernel) [ $# -ge 2 ] || die_usage "--kernel needs a file"; kernels+=("$2"); shift 2 ;;
	--fail-above) [ $# -ge 2 ] || die_usage "--fail-above needs a percentage"; fail_above=$2; shift 2 ;;
	--results) [ $# -ge 2 ] || die_usage "--results needs a directory"; results=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || die_usage "--append needs kernel arguments"; append=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || die_usage "--timeout needs seconds"; timeout=$2; shift 2 ;;
	-n|-t|-c|--target-cycles|--counters)
		[ $# -ge 2 ] || die_usage "$1 needs a value"
		test_opts+=("$1" "$2"); shift 2 ;;
	--target-cycles=*|--counters=*) test_opts+=("$1"); shift ;;
	-v|--verbose) test_opts+=("$1"); shift ;;
	--json|--json=*) die_usage "--json is set by run_all.sh (one file per test in the run directory)" ;;
	-*) die_usage "unknown option '$1'" ;;
	*)
		[ -z "$filter" ] || die_usage "one FILTER only (got '$filter' and '$1'); use 'a|b'"
		filter=$1; shift ;;
	esac
done

case "$env" in
native|bochs|qemu-tcg|qemu-kvm) ;;
*) die_usage "unknown --env '$env' (native, bochs, qemu-tcg or qemu-kvm)" ;;
esac
kernel=${kernels[0]:-}
if [ "$env" = native ] && [ -n "$kernel$append$timeout" ]; then
	die_usage "--kernel, --append and --timeout need --env bochs, qemu-tcg or qemu-kvm (native runs the running kernel)"
fi
if [ -n "$timeout" ] && { ! [[ $timeout =~ ^[0-9]+$ ]] || [ "$timeout" -eq 0 ]; }; then
	die_usage "--timeout wants whole seconds (got '$timeout')"
fi
if [[ $append == *[\'\"\\]* ]]; then
	die_usage "--append may not hold quotes or backslashes"
fi
for k in "${kernels[@]}"; do
	[ -f "$k" ] || die_usage "--kernel $k: no such file (build one with 'make kernel')"
done
if [ -n "$fail_above" ]; then
	[ ${#kernels[@]} -gt 1 ] || die_usage "--fail-above needs two --kernel or more (a kernel matrix); or use ./compare"
	[[ $fail_above =~ ^[0-9]+([.][0-9]+)?$ ]] || die_usage "--fail-above wants a percentage (got '$fail_above')"
fi

if [ -n "$filter" ]; then
	rc=0; [[ "" =~ $filter ]] || rc=$?
	[ "$rc" -ne 2 ] || die_usage "FILTER '$filter' is not a valid extended regex"
fi
# The exit tests are the binaries built from selftests/exit_*.c (not exit_top).
all_tests=()
for src in "$top"/selftests/exit_*.c; do
	t=${src##*/}
	t=${t%.c}
	[ -x "$top/$t" ] || { echo "run_all.sh: ./$t is missing: run 'make' first" >&2; exit 1; }
	all_tests+=("$t")
done
tests=()
for t in "${all_tests[@]}"; do
	if [ -z "$filter" ] || [[ "$t" =~ $filter ]]; then
		tests+=("$t")
	fi
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "run_all.sh: no test matches '$filter' (tests: ${all_tests[*]})" >&2
	exit 2
fi
command -v python3 >/dev/null || { echo "run_all.sh: python3 is needed to write the summary: apt-get install python3" >&2; exit 1; }

# A kernel matrix: one run per kernel (this script again), then the comparison.
if [ ${#kernels[@]} -gt 1 ]; then
	record=$(mktemp)
	trap 'rm -f "$record"' EXIT
	status=0
	for k in "${kernels[@]}"; do
		echo "run_all.sh: == kernel $k" >&2
		rc=0
		before=$(wc -l <"$record")
		EXITBENCH_RUN_RECORD=$record "$0" --env "$env" --kernel "$k" --results "$results" \
			${append:+--append "$append"} ${timeout:+--timeout "$timeout"} \
			${filter:+"$filter"} "${test_opts[@]}" || rc=$?
		if [ "$rc" -gt 1 ] || [ "$(wc -l <"$record")" -ne $((before + 1)) ]; then
			echo "run_all.sh: the run on $k failed (exit $rc): no comparison" >&2
			exit 1
		fi
		[ "$rc" -eq 0 ] || status=1
	done
	mapfile -t runs <"$record"
	rc=0
	"$top/compare" "${runs[@]}" ${fail_above:+--fail-above "$fail_above"} || rc=$?
	[ "$rc" -le 1 ] || { echo "run_all.sh: ./compare could not compare the runs (exit $rc)" >&2; exit 1; }
	[ "$rc" -eq 0 ] || status=1
	exit "$status"
fi

mkdir -p "$results"
run_id=$(date -u +%Y%m%dT%H%M%SZ)-$env
n=0
# A new name every run: neither a finished nor a running run may share it.
while [ -e "$results/$run_id" ] || ! mkdir "$results/.$run_id.partial" 2>/dev/null; do
	n=$((n + 1)); run_id=$(date -u +%Y%m%dT%H%M%SZ)-$env-$n
	[ $n -lt 100 ] || { echo "run_all.sh: cannot create a run directory in $results" >&2; exit 1; }
done
work=$results/.$run_id.partial
trap 'echo "run_all.sh: run failed; partial output left in $work (no summary)" >&2' ERR

if [ "$env" = native ]; then
	"$top/exitbench_info" --json "$work/metadata.json"
	for t in "${tests[@]}"; do
		echo "== $t" >&2
		rc=0
		"$top/$t" --json "$work/$t.json" "${test_opts[@]}" >"$work/$t.tap" 2>"$work/$t.stderr" || rc=$?
		echo "$rc" >"$work/$t.status"
		grep -E '^(not )?ok ' "$work/$t.tap" >&2 || { echo "   (no result line; exit $rc)" >&2; tail -n 3 "$work/$t.stderr" >&2; }
	done
else
	if [ -z "$kernel" ]; then
		kernel=$("$top/kernel/build.sh" --print-path 2>/dev/null) ||
			{ echo "run_all.sh: no kernel given and none built: run 'make kernel' or pass --kernel BZIMAGE" >&2; exit 1; }
	fi
	make -C "$top" -s static >&2
	"$top/emu/run_env.sh" --env "$env" --kernel "$kernel" --bin-dir "$top/build/static" \
		--out "$work/emu" --tests "${tests[*]}" ${append:+--append "$append"} \
		${timeout:+--timeout "$timeout"} -- "${test_opts[@]}"
	mv "$work"/emu/* "$work"/ && rmdir "$work/emu"
fi

python3 "$top/lib/summarize.py" "$work" --env "$env"
python3 "$top/lib/plot.py" "$work" >&2 || echo "run_all.sh: the plot failed (the results are complete)" >&2
mv "$work" "$results/$run_id"
trap - ERR
echo "results: $results/$run_id" >&2
if [ -n "${EXITBENCH_RUN_RECORD:-}" ]; then
	echo "$results/$run_id" >>"$EXITBENCH_RUN_RECORD"
fi
failed=$(python3 -c 'import json,sys; s = json.load(open(sys.argv[1])); print(sum(t["status"] in ("fail", "error") for t in s["tests"] + s["kernel_selftests"]))' "$results/$run_id/summary.json")
[ "$failed" -eq 0 ]
