#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The bad-input table (tests/bad_input.table): every row is a command, the
# exit status it must end with and what its output must say. Rows run in the
# top directory with bash; each gets an empty scratch directory $T, and the
# fixtures below are in $FIX. Helpers a row may use:
#   clean_after CMD...   CMD must leave $T empty: nothing written, not even
#                        a directory (exit 97 otherwise)
#   quick S CMD...       CMD must end within S seconds: the error comes
#                        before any work (exit 98 otherwise)
#   on_vendor V CMD...   only where this machine's KVM vendor is V (vmx,
#                        svm, other); elsewhere the row is skipped (exit 77)
#   as_nobody CMD...     as user nobody (needs root and setpriv; else skipped)
#   no_kvm CMD...        with no /dev/kvm (a private mount namespace)
#   kvm_is FILE CMD...   with FILE mounted on /dev/kvm
# Every row's output must also be free of Python tracebacks. A row whose
# status is 2 (a usage error) must print exactly two lines when its LINES
# column says 2: the error naming the argument, then a "usage:" hint.
# Prints ok / not ok lines and "N passed, N failed"; exit 1 if any failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
table=${1:-$top/tests/bad_input.table}
work=$(mktemp -d /tmp/exitbench-badinput.XXXXXX)
trap 'rm -rf "$work"' EXIT
FIX=$work/fixtures
mkdir -p "$FIX"
pass=0 fail=0 skipped=0

# ---- fixtures ----
# Two runs ./compare accepts; one of them with a skipped test whose JSON
# holds a negative median (a table must not show it).
mkrun() {
	mkdir -p "$FIX/$1"
	python3 - "$FIX/$1/summary.json" "$2" <<'PY'
import json, sys
path, scale = sys.argv[1], float(sys.argv[2])
xs = [1000 * scale + i for i in range(7)]
t = lambda name, status, samples, median: {
    "name": name, "status": status, "status_reason": None if status == "pass" else "not measurable here",
    "reason": {"vmx": 10, "svm": 114, "name": "CPUID/cpuid"}, "iterations": 1000, "trials": len(samples),
    "samples": samples, "cycles_per_exit": {"median": median, "cv": 0.01}, "ns_per_exit": {"median": median / 2},
    "attribution": {"source": "vmm", "expected": 7000, "counted": 7000, "other": 0, "verdict": "exact"}}
s = {"schema_version": 1, "run_id": "fixture", "units": {"cycles_per_exit": "TSC cycles", "ns_per_exit": "ns",
     "samples": "TSC cycles per exit, one per trial"},
     "metadata": {"vendor": "vmx", "kernel": "6.12", "cpu_model": "fixture", "environment": "native",
                  "tsc_khz": None},
     "tests": [t("exit_cpuid", "pass", xs, 1000 * scale + 3), t("exit_hlt", "skip", [-5.0, 3.0, -7.0], -5.0),
               t("exit_mmio", "pass", [-50.0 * scale] * 2 + [100.0 * scale] * 5, 100.0 * scale)],
     "kernel_selftests": []}
json.dump(s, open(path, "w"), indent=1)
PY
}
mkrun A 1.0
mkrun B 1.1
mkdir -p "$FIX/NAN" && sed '0,/1000\.0,/s//NaN,/' "$FIX/A/summary.json" >"$FIX/NAN/summary.json"
# exit_top tables (the series' debugfs format): good, and one bad line each.
hdr='# reason count cycles l2_count l2_cycles name'
printf '# vendor vmx\n%s\n10 600 300000 0 0 CPUID\n30 300 1300000 0 0 IO_INSTRUCTION\n' "$hdr" >"$FIX/table"
printf '# vendor vmx\n%s\n10 -5 0 0 0 CPUID\n' "$hdr" >"$FIX/table-negative"
printf '# vendor vmx\n%s\n10 99999999999999999999999 0 0 0 CPUID\n' "$hdr" >"$FIX/table-huge"
printf '# vendor svm\n%s\n0x1ffffffff 5 0 0 0 cpuid\n' "$hdr" >"$FIX/table-reason"
printf '# vendor vmx\n%s\n10 1.5e3 0 0 0 CPUID\n' "$hdr" >"$FIX/table-float"
# Run directories for the summarizer, each broken in one way.
summ_run() {
	mkdir -p "$FIX/$1"
	./exitbench_info --json "$FIX/$1/metadata.json"
	echo "${3:-0}" >"$FIX/$1/exit_cpuid.status"
	printf '%s\n' "$2" >"$FIX/$1/exit_cpuid.json"
}
good_json=$(python3 -c 'import json; print(json.dumps({"schema_version": 1, "name": "exit_cpuid", "status": "pass",
    "iterations": 10, "trials": 3, "samples": [1.0, 2.0, 3.0], "cycles_per_exit": {"median": 2.0, "cv": 0.4},
    "attribution": {"expected": 30, "counted": 30, "verdict": "exact"}}))')
summ_run S-truncated '{"schema_version": 1, "name": "exit_cpuid", "status"'
summ_run S-schema '{"schema_version": 99}'
summ_run S-counted "${good_json/\"counted\": 30/\"counted\": -5}"
summ_run S-nan "${good_json/\"samples\": \[1.0/\"samples\": [NaN}"
summ_run S-status "$good_json" abc
summ_run S-good "$good_json"
mkdir -p "$FIX/S-nometa" && echo 0 >"$FIX/S-nometa/exit_cpuid.status"
touch "$FIX/exists.json"
vendor=$(./exitbench_info | python3 -c 'import json, sys; print(json.load(sys.stdin)["vendor"])')

# ---- helpers for the rows (exported to their bash) ----
clean_after() {
	local rc=0
	"$@" || rc=$?
	if [ -n "$(ls -A "$T")" ]; then
		echo "ROW CHECK: the command left files in \$T: $(cd "$T" && find . -mindepth 1 | head -n 5 | tr '\n' ' ')"
		return 97
	fi
	return "$rc"
}
quick() {
	local s=$1 rc=0 t0
	shift
	t0=$(date +%s)
	timeout "$((s + 30))" "$@" || rc=$?
	if [ $(($(date +%s) - t0)) -gt "$s" ]; then
		echo "ROW CHECK: took $(($(date +%s) - t0)) s, more than $s s: work was done before the error"
		return 98
	fi
	return "$rc"
}
on_vendor() {
	[ "$VENDOR" = "$1" ] || { echo "ROW SKIP: needs a KVM of vendor $1 (this one: $VENDOR)"; return 77; }
	shift
	"$@"
}
as_nobody() {
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		echo "ROW SKIP: needs root and setpriv"
		return 77
	fi
	chmod 777 "$T"
	chmod 755 "$(dirname "$T")"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
no_kvm() {
	if ! unshare -m true 2>/dev/null; then echo "ROW SKIP: needs unshare -m (root)"; return 77; fi
	unshare -m sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$@"
}
kvm_is() {
	if ! unshare -m true 2>/dev/null; then echo "ROW SKIP: needs unshare -m (root)"; return 77; fi
	local f=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -c 'mount --bind "$0" /dev/kvm && exec "$@"' "$f" "$@"
}
export -f clean_after quick on_vendor as_nobody no_kvm kvm_is
export FIX VENDOR=$vendor TOP=$top

# ---- the rows ----
row=0
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in '' | '#'*) continue ;; esac
	row=$((row + 1))
	# CLASS | CODE | LINES | EXPECT | COMMAND (the command is the rest: it may hold ' | ')
	class=${line%% | *}; rest=${line#* | }
	code=${rest%% | *}; rest=${rest#* | }
	lines=${rest%% | *}; rest=${rest#* | }
	expect=${rest%% | *}; cmd=${rest#* | }
	if ! [[ $code =~ ^[0-9]+$ ]] || [ "$cmd" = "$rest" ]; then
		fail=$((fail + 1))
		echo "not ok - row $row: malformed table line: $line"
		continue
	fi
	T=$work/row$row
	mkdir -p "$T"
	export T
	rc=0
	t0=$(date +%s.%N)
	bash -c "$cmd" >"$work/out" 2>&1 </dev/null || rc=$?
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" -eq 77 ] && grep -q '^ROW SKIP' "$work/out"; then
		skipped=$((skipped + 1))
		echo "# skip - row $row [$class] $cmd: $(grep -m1 '^ROW SKIP' "$work/out" | cut -c11-)"
		continue
	fi
	why=''
	[ "$rc" -eq "$code" ] || why="exit $rc, want $code"
	# EXPECT: extended regexes joined by ' && '; a leading ! means "must not match".
	rest=$expect
	[ "$rest" != - ] || rest=''
	while [ -n "$rest" ]; do
		re=${rest%% && *}
		[ "$re" != "$rest" ] && rest=${rest#* && } || rest=''
		if [ "${re:0:1}" = '!' ]; then
			! grep -qE -- "${re:1}" "$work/out" || why="${why:+$why; }says /${re:1}/"
		else
			grep -qE -- "$re" "$work/out" || why="${why:+$why; }does not say /$re/"
		fi
	done
	! grep -q 'Traceback (most recent call last)' "$work/out" || why="${why:+$why; }a Python traceback"
	n=$(wc -l <"$work/out")
	case "$lines" in
	-) ;;
	2) { [ "$n" -eq 2 ] && tail -n 1 "$work/out" | grep -q '^usage: '; } ||
		why="${why:+$why; }$n lines, want the error and a usage: line" ;;
	[0-9]*) [ "$n" -eq "$lines" ] || why="${why:+$why; }$n lines, want $lines" ;;
	*) why="bad LINES column '$lines'" ;;
	esac
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok - row $row [$class] $cmd -> exit $rc ($took s)"
	else
		fail=$((fail + 1))
		echo "not ok - row $row [$class] $cmd: $why ($took s); output: $(head -c 500 "$work/out" | tr '\n' '|')"
	fi
done <"$table"

echo "# $skipped rows skipped on this machine"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
