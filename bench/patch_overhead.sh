#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What the exit-stats patch series costs per exit: boots the stock and the
# patched kernel (same config, kernel/build.sh) in Bochs, where a TSC cycle
# is close to one emulated instruction and runs repeat to about 0.5%, runs
# the chosen exit tests on each (and on the patched kernel with cycle
# accounting on, kvm.exit_cycles=1), then prints cycles per exit side by side
# with the ratio to stock (./compare) and the verdict on the 1% goal.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<USAGE
usage: $0 [--env bochs|qemu-tcg] [--results DIR] [TEST|REGEX...] [TEST-OPTIONS...]

  TEST|REGEX    tests to run, as run_all.sh takes them: names or extended
                regexes (default: cpuid; '.' for all); --filter RE is the same
  --env ENV     bochs (default; the only one whose figures mean anything:
                QEMU TCG's TSC follows host time) or qemu-tcg
  --results DIR where the three runs and the comparison go (default results/)
TEST-OPTIONS go to every test, as run_all.sh takes them (default: -t 5).
The stock and the patched kernel are built first when they are not (with
progress). Every argument is checked (run_all.sh --dry-run) before that.
Prints the comparison table, then one line per test:
  <test>: stock S, patched P (+x.xx%), patched+cycles C (+y.yy%) TSC cycles/exit
and the goals: counting at most 0.5% and cycle accounting at most 1% above
stock per CPUID exit. A test whose loop makes no exit prints 'no exit'.
Exit status: 0 done (goal met or not: read the figures), 2 usage, 3 a run failed.
USAGE
}
die_usage() {
	echo "patch_overhead.sh: $1" >&2
	echo "usage: bench/patch_overhead.sh [--env bochs|qemu-tcg] [--results DIR] [TEST|REGEX...] [TEST-OPTIONS...]; 'bench/patch_overhead.sh --help' for more" >&2
	exit 2
}

env=bochs
results=$top/results
selectors=()
opts=()
while [ $# -gt 0 ]; do
	opt=$1 val='' has_val=0
	case "$opt" in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; has_val=1 ;;
	esac
	case "$opt" in
	-h | --help) usage; exit 0 ;;
	--env | --results | --filter)
		if [ "$has_val" -eq 0 ]; then
			[ $# -ge 2 ] || die_usage "$opt needs a value"
			val=$2
			shift
		fi
		shift
		case "$opt" in
		--env) env=$val ;; --results) results=$val ;; --filter) selectors+=("$val") ;;
		esac ;;
	--kernel | --append | --fail-above | --dry-run)
		die_usage "$opt is set by patch_overhead.sh (it runs stock, patched, patched with kvm.exit_cycles=1)" ;;
	-n | -t | -c | --iterations | --trials | --cpu | --target-cycles | --counters | --max-cv)
		opts+=("$1")
		if [ "$has_val" -eq 0 ]; then
			[ $# -ge 2 ] || die_usage "$opt needs a value"
			opts+=("$2")
			shift
		fi
		shift ;;
	-n?* | -t?* | -c?* | -v | --verbose) opts+=("$1"); shift ;;
	-*) die_usage "unknown option '$1'" ;;
	*) selectors+=("$1"); shift ;;
	esac
done
case "$env" in
bochs | qemu-tcg) ;;
*) die_usage "--env '$env': bochs or qemu-tcg" ;;
esac
[ ${#selectors[@]} -gt 0 ] || selectors=(cpuid)
[ ${#opts[@]} -gt 0 ] || opts=(-t 5)
# Everything run_all.sh will be asked, checked before any kernel is built.
rc=0
why=$("$top/run_all.sh" --dry-run --env "$env" --results "$results" "${selectors[@]}" "${opts[@]}" 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then
	why=$(head -n 1 <<<"$why")
	[ "$rc" -ne 2 ] || die_usage "${why#run_all.sh: }"
	echo "patch_overhead.sh: ${why#run_all.sh: }" >&2
	exit 3
fi

stock=$(STOCK=1 "$top/emu/kernel_under_test.sh") || exit 3
patched=$("$top/emu/kernel_under_test.sh") || exit 3

record=$(mktemp)
trap 'rm -f "$record"' EXIT
run() {
	local before
	before=$(wc -l <"$record")
	EXITBENCH_RUN_RECORD=$record "$top/run_all.sh" --env "$env" --results "$results" "$@" \
		"${selectors[@]}" "${opts[@]}" >&2 || true
	if [ "$(wc -l <"$record")" -ne $((before + 1)) ]; then
		echo "patch_overhead.sh: the run ($*) left no results" >&2
		exit 3
	fi
}
echo "patch_overhead.sh: stock kernel $stock" >&2
run --kernel "$stock"
echo "patch_overhead.sh: patched kernel $patched" >&2
run --kernel "$patched"
echo "patch_overhead.sh: patched kernel with kvm.exit_cycles=1" >&2
run --kernel "$patched" --append kvm.exit_cycles=1
mapfile -t runs <"$record"

"$top/compare" "${runs[@]}" || exit 3
python3 - "${runs[@]}" <<'PY'
import json, sys

def medians(run):
    with open(f"{run}/summary.json") as f:
        s = json.load(f)
    return {t["name"]: (t["cycles_per_exit"] or {}).get("median") if t["status"] == "pass" else None
            for t in s["tests"]}

stock, patched, cycles = (medians(r) for r in sys.argv[1:4])
print("\nper exit, median TSC cycles (A = stock, B = patched, C = patched + kvm.exit_cycles=1):")
for name in stock:
    s, p, c = stock[name], patched.get(name), cycles.get(name)
    if s is None or p is None or c is None:
        print(f"  {name}: not measured on every kernel (see the table)")
        continue
    if max(abs(s), abs(p), abs(c)) < 0.5:
        print(f"  {name}: no exit per iteration (under 0.5 TSC cycles on each kernel)")
        continue
    print(f"  {name}: stock {s:.1f}, patched {p:.1f} ({(p / s - 1) * 100:+.2f}%), "
          f"patched+cycles {c:.1f} ({(c / s - 1) * 100:+.2f}%) TSC cycles/exit")
s, p, c = stock.get("exit_cpuid"), patched.get("exit_cpuid"), cycles.get("exit_cpuid")
for what, x, goal in (("counting", p, 0.5), ("cycle accounting", c, 1.0)):
    if s and x:
        over = (x / s - 1) * 100
        print(f"goal ({what}: the CPUID exit at most {goal}% above stock): {over:+.2f}%: "
              f"{'met' if over <= goal else 'NOT met'}")
PY
