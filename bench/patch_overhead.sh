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
usage: $0 [--env bochs|qemu-tcg] [--results DIR] [--filter REGEX] [TEST-OPTIONS...]

  --filter RE   tests to run, an extended regex (default: 'cpuid'; '.' for all)
  --env ENV     bochs (default; the only one whose figures mean anything:
                QEMU TCG's TSC follows host time) or qemu-tcg
  --results DIR where the three runs and the comparison go (default results/)
TEST-OPTIONS go to every test (default: -t 5).
Prints the comparison table, then one line per test:
  <test>: stock S, patched P (+x.xx%), patched+cycles C (+y.yy%) TSC cycles/exit
and the goal: the patched CPUID exit at most 1% above stock.
Exit status: 0 done (goal met or not: read the figures), 1 a run failed, 2 usage.
USAGE
}

env=bochs
results=$top/results
filter=
opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--env) [ $# -ge 2 ] || { usage >&2; exit 2; }; env=$2; shift 2 ;;
	--results) [ $# -ge 2 ] || { usage >&2; exit 2; }; results=$2; shift 2 ;;
	--filter) [ $# -ge 2 ] || { usage >&2; exit 2; }; filter=$2; shift 2 ;;
	*) opts+=("$1"); shift ;;
	esac
done
case "$env" in bochs | qemu-tcg) ;; *) echo "patch_overhead.sh: --env bochs or qemu-tcg" >&2; exit 2 ;; esac
filter=${filter:-cpuid}
[ ${#opts[@]} -gt 0 ] || opts=(-t 5)

stock=$(STOCK=1 "$top/kernel/build.sh" | tail -n 1)
patched=$("$top/kernel/build.sh" | tail -n 1)

record=$(mktemp)
trap 'rm -f "$record"' EXIT
run() {
	local before
	before=$(wc -l <"$record")
	EXITBENCH_RUN_RECORD=$record "$top/run_all.sh" --env "$env" --results "$results" "$@" \
		"$filter" "${opts[@]}" >&2 || true
	if [ "$(wc -l <"$record")" -ne $((before + 1)) ]; then
		echo "patch_overhead.sh: the run ($*) left no results" >&2
		exit 1
	fi
}
echo "patch_overhead.sh: stock kernel $stock" >&2
run --kernel "$stock"
echo "patch_overhead.sh: patched kernel $patched" >&2
run --kernel "$patched"
echo "patch_overhead.sh: patched kernel with kvm.exit_cycles=1" >&2
run --kernel "$patched" --append kvm.exit_cycles=1
mapfile -t runs <"$record"

"$top/compare" "${runs[@]}"
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
    if not (s and p and c):
        print(f"  {name}: not measured on every kernel (see the table)")
        continue
    print(f"  {name}: stock {s:.1f}, patched {p:.1f} ({(p / s - 1) * 100:+.2f}%), "
          f"patched+cycles {c:.1f} ({(c / s - 1) * 100:+.2f}%) TSC cycles/exit")
s, p = stock.get("exit_cpuid"), patched.get("exit_cpuid")
if s and p:
    over = (p / s - 1) * 100
    print(f"goal (patched CPUID exit at most 1% above stock): {over:+.2f}%: "
          f"{'met' if over <= 1 else 'NOT met'}")
PY
