#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run every exit test (or those named) and write results/<run-id>/: one JSON
# per test, metadata.json, summary.json, summary.csv; print the table.
# Every argument, the test options included (each test checks them with
# --dry-run), is checked before anything runs or any file is made.
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
prog=run_all.sh

usage() {
	cat <<USAGE
usage: $0 [--env native|bochs|qemu-tcg|qemu-kvm] [--kernel BZIMAGE]...
          [--append 'KERNEL ARGS'] [--timeout S] [--smp N] [--cpu-model MODEL]
          [--results DIR] [--fail-above PCT] [--dry-run] [TEST|REGEX...] [TEST-OPTIONS...]

  TEST|REGEX     the tests to run: names (exit_cpuid or cpuid), extended
                 regexes ('cpuid|hlt', 'io_'), or both; default: all.
                 --filter REGEX is the same as a REGEX argument
  --env ENV      native (default): this machine's /dev/kvm, running kernel.
                 bochs (Intel VMX with EPT), qemu-tcg (AMD SVM with NPT) or
                 qemu-kvm (QEMU -enable-kvm on a host with nested KVM): boot
                 --kernel in that emulator and run the suite inside it
  --kernel FILE  the kernel under test for --env (default: the one
                 'make kernel' builds; built first, with progress, when
                 there is none yet). Given more than once: a kernel
                 matrix, one run per kernel, then ./compare of the runs
                 (the first kernel is the baseline)
  --append ARGS  more kernel command line for --env, e.g. kvm.exit_cycles=1
  --timeout S    seconds an --env run may take in all (default: bochs
                 7200, qemu-tcg 1200); a hang is also found by console
                 silence (emu/boot.sh --help)
  --smp N        CPUs of the emulated machine for --env, 1 to 8 (default 1);
                 with --vcpus, several vCPUs then exit at once on several
                 CPUs (both emulators interleave them on one host thread)
  --cpu-model M  the emulated CPU for --env bochs (a 'bochs --help cpu' model;
                 default corei7_skylake_x; tigerlake has IA32_SPEC_CTRL and
                 IA32_PRED_CMD, for exit_wr_ibrs_msr and exit_wr_ibpb_msr)
                 or qemu-tcg (a 'qemu-system-x86_64 -cpu help' model, +svm,+npt
                 added; default EPYC); recorded as emulated_cpu
  --results DIR  where run directories go (default: results/)
  --fail-above P with a kernel matrix: exit 1 when a test is slower than on
                 the first kernel, beyond noise, by more than P percent
  --dry-run      check every argument and say what would run; run nothing
  -h, --help     this help

TEST-OPTIONS go to every test, in the tests' own names (each test's -h):
  -n, --iterations N   -t, --trials K   -c, --cpu CPU[,CPU...]   --vcpus N
  --xapic   --kvmclock   --target-cycles C   --counters LIST   --max-cv PCT
  -v, --verbose
  (also -t3, --trials=3)
--json is set by run_all.sh (one file per test in the run directory).
Each run writes a new results/<UTC time>-<env>/ (never overwritten; named
.<id>.partial until it is complete) and prints "k/N, elapsed" per test.
Exit status: 0 every test passed or skipped, some passed; 1 a test failed
(or, with --fail-above, a regression); 2 usage error; 3 the run failed (an
emulator hung or died, a write failed; no run that looks complete is left);
4 every test skipped: nothing was measured here.
USAGE
}

hint() {
	echo "usage: $prog [--env ENV] [--kernel FILE]... [options] [TEST|REGEX...] [TEST-OPTIONS...]; '$prog --help' for more"
}
die_usage() {
	echo "$prog: $1" >&2
	hint >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 3
}
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

env=native
kernels=()
fail_above=
append=
timeout=
smp=
cpu_model=
results=$top/results
selectors=()
test_opts=()
cpu=
dry_run=0
while [ $# -gt 0 ]; do
	opt=$1
	val=
	has_val=0
	case "$opt" in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; has_val=1 ;;
	esac
	case "$opt" in
	-h | --help) usage; exit 0 ;;
	--dry-run | -v | --verbose | --xapic | --kvmclock)
		[ "$has_val" -eq 0 ] || die_usage "$opt takes no value (got '$1')"
		case "$opt" in
		--dry-run) dry_run=1 ;;
		--xapic) test_opts+=(--xapic) ;;
		--kvmclock) test_opts+=(--kvmclock) ;;
		*) test_opts+=(--verbose) ;;
		esac
		shift
		continue ;;
	--json) die_usage "--json is set by run_all.sh (one file per test in the run directory); use --results DIR" ;;
	--env | --kernel | --append | --timeout | --smp | --cpu-model | --results | --fail-above | --filter | \
		--iterations | --trials | --cpu | --vcpus | --target-cycles | --counters | --max-cv | \
		-n | -t | -c)
		if [ "$has_val" -eq 0 ]; then
			[ $# -ge 2 ] || die_usage "$opt needs a value"
			val=$2
			shift
		fi
		shift ;;
	-n?* | -t?* | -c?*) val=${opt:2}; opt=${opt:0:2}; shift ;;
	-*) die_usage "unknown option '$1'" ;;
	*) selectors+=("$1"); shift; continue ;;
	esac
	case "$opt" in
	--env) env=$val ;;
	--kernel) kernels+=("$val") ;;
	--append) append=$val ;;
	--timeout) timeout=$val ;;
	--smp) smp=$val ;;
	--cpu-model) cpu_model=$val ;;
	--results) results=$val ;;
	--fail-above) fail_above=$val ;;
	--filter) selectors+=("$val") ;;
	-n | --iterations) test_opts+=(--iterations "$val") ;;
	-t | --trials) test_opts+=(--trials "$val") ;;
	-c | --cpu) test_opts+=(--cpu "$val"); cpu=$val ;;
	--vcpus | --target-cycles | --counters | --max-cv) test_opts+=("$opt" "$val") ;;
	esac
done

# ---- run_all.sh's own arguments ----
case "$env" in
native | bochs | qemu-tcg | qemu-kvm) ;;
*) die_usage "unknown --env '$env' (native, bochs, qemu-tcg or qemu-kvm)" ;;
esac
kernel=${kernels[0]:-}
if [ "$env" = native ] && [ -n "$kernel$append$timeout$smp" ]; then
	die_usage "--kernel, --append, --timeout and --smp need --env bochs, qemu-tcg or qemu-kvm (native runs the running kernel)"
fi
if [ "$env" = native ] && [ -n "$cpu_model" ]; then
	die_usage "--cpu-model needs --env bochs or qemu-tcg (natively the CPU is this machine's)"
fi
if [ -n "$smp" ] && { ! [[ $smp =~ ^[0-9]+$ ]] || [ "$smp" -lt 1 ] || [ "$smp" -gt 8 ]; }; then
	die_usage "--smp wants a number of CPUs from 1 to 8 (got '$smp')"
fi
if [ -n "$timeout" ] && { ! [[ $timeout =~ ^[0-9]+$ ]] || [ "$timeout" -eq 0 ] || [ "$timeout" -gt 604800 ]; }; then
	die_usage "--timeout wants whole seconds from 1 to 604800 (got '$timeout')"
fi
if [[ $append == *[\'\"\\]* ]]; then
	die_usage "--append may not hold quotes or backslashes"
fi
for k in ${kernels[@]+"${kernels[@]}"}; do
	if [ ! -e "$k" ]; then
		die_usage "--kernel $k: no such file (leave --kernel out to use, or build, the one 'make kernel' makes)"
	elif [ -d "$k" ]; then
		die_usage "--kernel $k: is a directory; name the bzImage itself"
	elif [ ! -f "$k" ] || [ ! -r "$k" ]; then
		die_usage "--kernel $k: not a readable file"
	fi
done
if [ -n "$fail_above" ]; then
	[ ${#kernels[@]} -gt 1 ] || die_usage "--fail-above needs two --kernel or more (a kernel matrix); or use ./compare"
	[[ $fail_above =~ ^[0-9]+([.][0-9]+)?$ ]] || die_usage "--fail-above wants a percentage, e.g. 5 (got '$fail_above')"
fi
if [ "$env" != native ] && [ -n "$cpu" ]; then
	if [ "${smp:-1}" -eq 1 ] && ! [[ $cpu =~ ^0(,0)*$ ]]; then
		die_usage "--cpu $cpu: the emulated machine of --env $env has one CPU: use --cpu 0, leave it out, or give it more with --smp N"
	fi
	for c in ${cpu//,/ }; do
		if [[ $c =~ ^[0-9]+$ ]] && [ "$((10#$c))" -ge "${smp:-1}" ]; then
			die_usage "--cpu $cpu: the emulated machine of --env $env has $smp CPUs (0 to $((smp - 1))): use those, or raise --smp"
		fi
	done
fi
# The results directory, or the nearest directory above it, must be writable.
d=$results
while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done
[ -d "$d" ] || die_usage "--results $results: $d is not a directory"
if [ ! -w "$d" ] || [ ! -x "$d" ]; then
	die_usage "--results $results: cannot create files in $d (permission denied or read-only)"
fi

# ---- which tests: names and regexes ----
# The exit tests are the binaries built from selftests/exit_*.c (not exit_top);
# a kselftest collection ('make install') has the binaries only, and no emu/.
srcs=("$top"/selftests/exit_*.c)
if [ ! -d "$top/selftests" ]; then
	[ "$env" = native ] || die_usage "--env $env needs the kvm-exitbench source tree (this is an installed collection)"
	srcs=("$top"/exit_*)
fi
all_tests=()
for src in "${srcs[@]}"; do
	t=${src##*/}
	all_tests+=("${t%.c}")
done
declare -A chosen=()
for sel in ${selectors[@]+"${selectors[@]}"}; do
	[ -n "$sel" ] || die_usage "an empty test name or regex"
	hit=0
	for t in "${all_tests[@]}"; do
		if [ "$t" = "$sel" ] || [ "$t" = "exit_$sel" ]; then chosen[$t]=1; hit=1; fi
	done
	[ "$hit" -eq 0 ] || continue
	rc=0
	[[ "" =~ $sel ]] || rc=$?
	[ "$rc" -ne 2 ] || die_usage "'$sel' is neither a test name nor a valid extended regex"
	for t in "${all_tests[@]}"; do
		if [[ $t =~ $sel ]]; then chosen[$t]=1; hit=1; fi
	done
	[ "$hit" -eq 1 ] || die_usage "no test matches '$sel' (tests: ${all_tests[*]#exit_})"
done
tests=()
for t in "${all_tests[@]}"; do
	if [ ${#selectors[@]} -eq 0 ] || [ -n "${chosen[$t]:-}" ]; then
		tests+=("$t")
	fi
done

# ---- what the run needs ----
if [ -d /proc/$$/fd ] && [ ! -L /proc/$$/fd/1 ]; then
	die "stdout is closed: the table has nowhere to go (give it a terminal, a file or a pipe)"
fi
command -v python3 >/dev/null || die "python3 is needed to write the summary: apt-get install python3"
missing=()
for t in "${tests[@]}"; do
	[ -x "$top/$t" ] || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$dry_run" -eq 0 ] || die "cannot check the test options: ./${missing[0]} is not built (run 'make')"
	echo "$prog: the tests are not built yet (./${missing[0]} is missing): building them first" >&2
	"$top/lib/with_progress.sh" "$prog: make" -- make -C "$top" -s -j"$(nproc)" >&2 ||
		die "the build failed (make; see above)"
fi
# Each test checks its options itself, without running.
for t in "${tests[@]}"; do
	rc=0
	why=$("$top/$t" --dry-run ${test_opts[@]+"${test_opts[@]}"} 2>&1 >/dev/null) || rc=$?
	if [ "$rc" -eq 2 ]; then
		die_usage "test option refused by $t: $(head -n 1 <<<"$why" | sed "s/^$t: //")"
	elif [ "$rc" -ne 0 ]; then
		die "$t --dry-run failed (exit $rc): $(head -n 1 <<<"$why")"
	fi
done
if [ "$env" != native ]; then
	"$top/emu/boot.sh" --dry-run --env "$env" ${kernel:+--kernel "$kernel"} --out "$results/.dry-run-check" \
		${append:+--append "$append"} ${timeout:+--timeout "$timeout"} ${smp:+--smp "$smp"} ${cpu_model:+--cpu-model "$cpu_model"} || exit $?
fi

if [ "$dry_run" -eq 1 ]; then
	where="natively (/dev/kvm, kernel $(uname -r))"
	if [ "$env" != native ]; then
		where="in $env${smp:+ with $smp CPUs}${cpu_model:+ (CPU $cpu_model)}, kernel ${kernels[*]:-$("$top/emu/kernel_under_test.sh" --dry-run || true)}"
	fi
	echo "$prog: dry run: the arguments are good: would run ${#tests[@]} of ${#all_tests[@]} tests (${tests[*]}) $where," \
		"test options: ${test_opts[*]:-none}; results under $results" >&2
	exit 0
fi

# ---- a kernel matrix: one run per kernel (this script again), then the comparison ----
if [ ${#kernels[@]} -gt 1 ]; then
	record=$(mktemp)
	trap 'rm -f "$record"' EXIT
	status=0
	for k in "${kernels[@]}"; do
		echo "$prog: == kernel $k" >&2
		rc=0
		before=$(wc -l <"$record")
		EXITBENCH_RUN_RECORD=$record "$0" --env "$env" --kernel "$k" --results "$results" \
			${append:+--append "$append"} ${timeout:+--timeout "$timeout"} ${smp:+--smp "$smp"} \
			${cpu_model:+--cpu-model "$cpu_model"} "${tests[@]}" ${test_opts[@]+"${test_opts[@]}"} || rc=$?
		if [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ] || [ "$rc" -gt 4 ] ||
			[ "$(wc -l <"$record")" -ne $((before + 1)) ]; then
			die "the run on $k failed (exit $rc): no comparison"
		fi
		[ "$rc" -ne 1 ] || status=1
	done
	mapfile -t runs <"$record"
	rc=0
	"$top/compare" "${runs[@]}" ${fail_above:+--fail-above "$fail_above"} || rc=$?
	[ "$rc" -le 1 ] || die "./compare could not compare the runs (exit $rc)"
	[ "$rc" -eq 0 ] || status=1
	exit "$status"
fi

# ---- the run ----
if [ "$env" != native ] && [ -z "$kernel" ]; then
	kernel=$("$top/emu/kernel_under_test.sh") || exit 3
fi
if ! err=$(mkdir -p -- "$results" 2>&1); then
	die "cannot create $results: ${err##*: }"
fi
run_id=$(date -u +%Y%m%dT%H%M%SZ)-$env
n=0
# A new name every run: neither a finished nor a running run may share it.
while [ -e "$results/$run_id" ] || ! err=$(mkdir -- "$results/.$run_id.partial" 2>&1); do
	if [ ! -e "$results/$run_id" ] && [ ! -e "$results/.$run_id.partial" ]; then
		die "cannot create a run directory in $results: ${err##*: }"
	fi
	n=$((n + 1)); run_id=$(date -u +%Y%m%dT%H%M%SZ)-$env-$n
	[ $n -lt 100 ] || die "cannot create a run directory in $results: 100 names taken"
done
work=$results/.$run_id.partial
trap 'echo "$prog: the run failed; partial output left in $work (no summary)" >&2; exit 3' ERR
trap 'echo "$prog: interrupted; partial output left in $work (no summary)" >&2; exit 130' INT TERM
t0=$(date +%s)

if [ "$env" = native ]; then
	"$top/exitbench_info" --json "$work/metadata.json"
	k=0
	for t in "${tests[@]}"; do
		k=$((k + 1))
		echo "[$k/${#tests[@]}, $(mmss $(($(date +%s) - t0))) elapsed] $t" >&2
		# Its stderr (progress every few seconds, errors) is kept and shown.
		{
			rc=0
			"$top/$t" --json "$work/$t.json" ${test_opts[@]+"${test_opts[@]}"} 2>&1 >"$work/$t.tap" || rc=$?
			echo "$rc" >"$work/$t.status"
		} | tee "$work/$t.stderr" | sed -u 's/^/    /' >&2
		rc=$(<"$work/$t.status")
		grep -E '^(not )?ok ' "$work/$t.tap" | sed 's/^/    /' >&2 ||
			echo "    (no result line; exit $rc)" >&2
		if [ "$rc" -eq 2 ]; then
			# An option only the test itself could judge (how long -n takes here).
			echo "$prog: $t refused the test options; the run stops: partial output left in $work" >&2
			exit 2
		fi
	done
else
	if [ ! -x "$top/build/static/${tests[0]}" ]; then
		echo "$prog: the statically linked tests the emulator boots are not built yet: building them (make static)" >&2
	fi
	"$top/lib/with_progress.sh" "$prog: make static" -- make -C "$top" -s -j"$(nproc)" static >&2
	rc=0
	"$top/emu/run_env.sh" --env "$env" --kernel "$kernel" --bin-dir "$top/build/static" \
		--out "$work/emu" --tests "${tests[*]}" ${append:+--append "$append"} \
		${timeout:+--timeout "$timeout"} ${smp:+--smp "$smp"} ${cpu_model:+--cpu-model "$cpu_model"} -- ${test_opts[@]+"${test_opts[@]}"} || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$prog: the $env run failed (exit $rc); what it gathered is in $work (no summary)" >&2
		exit 3
	fi
	mv "$work"/emu/* "$work"/ && rmdir "$work/emu"
fi

rc=0
PYTHONPATH="$top" python3 -m analysis.summarize "$work" --env "$env" --no-table || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "$prog: the summary could not be written (exit $rc); partial output left in $work" >&2
	exit 3
fi
PYTHONPATH="$top" python3 -m analysis.plot "$work" >&2 || echo "$prog: the plot failed (the results are complete)" >&2
mv "$work" "$results/$run_id"
trap - ERR INT TERM
if [ -n "${EXITBENCH_RUN_RECORD:-}" ]; then
	echo "$results/$run_id" >>"$EXITBENCH_RUN_RECORD"
fi
rc=0
PYTHONPATH="$top" python3 -m analysis.summarize "$results/$run_id" --table-only || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "$prog: the table could not be printed (exit $rc); the run itself is complete: $results/$run_id" >&2
	exit 3
fi
echo "results: $results/$run_id ($(mmss $(($(date +%s) - t0))) in all)" >&2

# 1 when a test failed; 4, loudly, when nothing was measured at all.
counts=$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
st = [t["status"] for t in s["tests"]] + [k["status"] for k in s.get("kernel_selftests") or []]
tests = [t["status"] for t in s["tests"]]
print(tests.count("pass"), sum(x in ("fail", "error") for x in st), tests.count("skip"))' "$results/$run_id/summary.json") ||
	die "cannot read $results/$run_id/summary.json back"
read -r passed failed skipped <<<"$counts"
if [ "$failed" -gt 0 ]; then
	echo "$prog: $failed failed (see the table): exit 1" >&2
	exit 1
fi
if [ "$passed" -eq 0 ]; then
	echo "$prog: NOTHING WAS MEASURED: all $skipped tests skipped (the reasons are under the table): exit 4" >&2
	exit 4
fi
