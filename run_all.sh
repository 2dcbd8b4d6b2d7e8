#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run every exit test (or those matching FILTER) and write results/<run-id>/:
# one JSON per test, metadata.json, summary.json, summary.csv; print the table.
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<USAGE
usage: $0 [--env native|bochs|qemu-tcg|qemu-kvm] [--kernel BZIMAGE]
          [--results DIR] [FILTER] [TEST-OPTIONS...]

  FILTER         run only tests whose name matches this extended regex
                 (e.g. 'cpuid|hlt'); default: all
  --env ENV      native (default): this machine's /dev/kvm; bochs (Intel VMX),
                 qemu-tcg (AMD SVM) or qemu-kvm (outer VM with nested KVM):
                 boot --kernel in that emulator and run the suite inside it
  --kernel FILE  the kernel under test for --env (default: the one 'make
                 kernel' built)
  --results DIR  where run directories go (default: results/)
  -h, --help     this help

TEST-OPTIONS are passed to every test: -n ITER, -t TRIALS, -c CPU,
--target-cycles C, --counters LIST, -v. Tests: ./exit_* (see each -h).
Exit status: 0 all tests passed or skipped, 1 a test failed, 2 usage error.
USAGE
}

die_usage() {
	echo "run_all.sh: $1" >&2
	usage >&2
	exit 2
}

env=native
kernel=
results=$top/results
filter=
test_opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--env) [ $# -ge 2 ] || die_usage "--env needs a value"; env=$2; shift 2 ;;
	--env=*) env=${1#--env=}; shift ;;
	--kernel) [ $# -ge 2 ] || die_usage "--kernel needs a file"; kernel=$2; shift 2 ;;
	--results) [ $# -ge 2 ] || die_usage "--results needs a directory"; results=$2; shift 2 ;;
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
if [ "$env" = native ] && [ -n "$kernel" ]; then
	die_usage "--kernel needs --env bochs, qemu-tcg or qemu-kvm (native runs the running kernel)"
fi

if [ -n "$filter" ]; then
	rc=0; [[ "" =~ $filter ]] || rc=$?
	[ "$rc" -ne 2 ] || die_usage "FILTER '$filter' is not a valid extended regex"
fi
mapfile -t all_tests < <(cd "$top" && ls exit_* 2>/dev/null | grep -v '\.' || true)
if [ ${#all_tests[@]} -eq 0 ]; then
	echo "run_all.sh: no ./exit_* binaries in $top: run 'make' first" >&2
	exit 1
fi
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
	[ -x "$top/emu/run_env.sh" ] || { echo "run_all.sh: emu/run_env.sh is missing: --env $env is not available in this checkout" >&2; exit 1; }
	if [ -z "$kernel" ]; then
		kernel=$("$top/kernel/build.sh" --print-path 2>/dev/null || true)
		[ -n "$kernel" ] && [ -f "$kernel" ] || { echo "run_all.sh: no kernel given and none built: run 'make kernel' or pass --kernel BZIMAGE" >&2; exit 1; }
	fi
	make -C "$top" -s static >&2
	"$top/emu/run_env.sh" --env "$env" --kernel "$kernel" --bin-dir "$top/build/static" \
		--out "$work/emu" --filter "^($(IFS='|'; echo "${tests[*]}"))\$" -- "${test_opts[@]}"
	mv "$work"/emu/* "$work"/ && rmdir "$work/emu"
fi

python3 "$top/lib/summarize.py" "$work" --env "$env"
mv "$work" "$results/$run_id"
trap - ERR
echo "results: $results/$run_id" >&2
failed=$(python3 -c 'import json,sys; print(sum(t["status"] in ("fail","error") for t in json.load(open(sys.argv[1]))["tests"]))' "$results/$run_id/summary.json")
[ "$failed" -eq 0 ]
