#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kvm-unit-tests' own x86/vmexit.c next to our tests of the same names, in
# one boot of the kernel under test: vmexit.c runs under QEMU -enable-kvm
# inside it (as ./boot_profile runs a guest: QEMU and its libraries in the
# initramfs), then each of our tests; prints both figures and the ratio.
# Not CI: vmexit.c loops until 2^30 TSC cycles per benchmark.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<USAGE
usage: KUT=/path/to/kvm-unit-tests $0 [--env bochs|qemu-tcg] [--kernel BZIMAGE]
       [--append 'KERNEL ARGS'] [--smp N] [--cpu-model MODEL] [--filter REGEX]
       [--results DIR] [--timeout S] [TEST-OPTIONS...]

  KUT            a built kvm-unit-tests tree (x86/vmexit.flat; ./configure && make)
  --env ENV      bochs (default: TSC cycles close to instructions) or qemu-tcg
                 (plumbing only: its TSC follows host time)
  --kernel FILE  the kernel under test (default: 'make kernel's image)
  --append ARGS  more kernel command line, e.g. kvm_intel.preemption_timer=0
  --smp N        CPUs of the emulated machine, 1 to 8 (default 1); ipi,
                 ipi_halt and ple_round_robin need 2: with one, ours skip
                 (vCPU 0 busy-waits for vCPU 1) and vmexit.c's figure is
                 the host's scheduling of its two vCPUs
  --cpu-model M  the emulated CPU (emu/boot.sh --help), e.g. tigerlake in
                 Bochs for wr_ibrs_msr and wr_ibpb_msr (IBRS, IBPB)
  --filter RE    vmexit.c names to run, an extended regex (default: all shared)
  --results DIR  where the run directory goes (default: results/)
  --timeout S    seconds for the whole boot (default 21600)
TEST-OPTIONS go to our tests (default: -t 3 --counters stats-fd, the
counters a stock kernel has too, so that no other source is in the way);
e.g. -t 3 --counters stats-fd --kvmclock for the vCPU set-up QEMU's VM has
(its firmware leaves kvmclock on; wr_tsc_adjust_msr's clock updates pay).
vmexit.c runs with one vCPU but for ipi, ipi_halt and ple_round_robin (2),
as our tests do; QEMU: -enable-kvm -cpu host -m 64 -device pci-testdev.
Prints: name, vmexit.c cycles, ours (TSC cycles), ratio ours/vmexit.c; on
the patched kernel also vmexit.c's exits by reason (kvm/exit_reasons around
each QEMU run), to see what its loop exits on besides the named exit.
Output: results/<UTC time>-kut-<env>/ (never overwritten): every vmexit.c
output, our JSON, comparison.csv and comparison.txt.
Exit status: 0 done, 1 the run failed, 2 usage.
USAGE
}

die_usage() {
	echo "kut_compare.sh: $1" >&2
	usage >&2
	exit 2
}

env=bochs kernel='' append='' filter='' results=$top/results timeout=21600 smp_host=1 cpu_model='' opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--env | --kernel | --append | --filter | --results | --timeout | --smp | --cpu-model)
		[ $# -ge 2 ] || die_usage "$1 needs a value"
		case "$1" in
		--env) env=$2 ;; --kernel) kernel=$2 ;; --append) append=$2 ;; --filter) filter=$2 ;;
		--results) results=$2 ;; --timeout) timeout=$2 ;; --smp) smp_host=$2 ;;
		--cpu-model) cpu_model=$2 ;;
		esac
		shift 2 ;;
	*) opts+=("$1"); shift ;;
	esac
done
case "$env" in bochs | qemu-tcg) ;; *) die_usage "--env bochs or qemu-tcg" ;; esac
[[ $smp_host =~ ^[1-8]$ ]] || die_usage "--smp wants a number of CPUs from 1 to 8 (got '$smp_host')"
[ -n "${KUT:-}" ] || die_usage "KUT=/path/to/kvm-unit-tests is required"
flat=$KUT/x86/vmexit.flat
[ -f "$flat" ] || die_usage "$flat: missing (build kvm-unit-tests: ./configure && make)"
[ ${#opts[@]} -gt 0 ] || opts=(-t 3 --counters stats-fd)
if [ -z "$kernel" ]; then
	kernel=$("$top/kernel/build.sh" --print-path 2>/dev/null) ||
		die_usage "no --kernel and none built: run 'make kernel'"
fi
[ -f "$kernel" ] || die_usage "--kernel $kernel: no such file"
qemu=$(command -v qemu-system-x86_64) || die_usage "qemu-system-x86_64 is missing: run ./setup.sh"
bios=/usr/share/seabios/bios-256k.bin
[ -r "$bios" ] || die_usage "$bios is missing (Debian package seabios)"
if [ -n "$cpu_model" ]; then
	"$top/emu/boot.sh" --dry-run --env "$env" --out "$results/.dry-run-check" --cpu-model "$cpu_model" || exit $?
fi

make -C "$top" -s static >&2
# name:binary:vCPUs for every vmexit.c name one of our tests carries.
names=()
for src in "$top"/selftests/exit_*.c; do
	# The nested tests carry the name of the vmexit.c benchmark their L2
	# runs; vmexit.c runs here at L1, so they have nothing to compare with.
	[[ ${src##*/} != exit_nested_* ]] || continue
	kut=$(sed -n 's/^\t\.kut_name = "\(.*\)",$/\1/p' "$src")
	[ -n "$kut" ] || continue
	if [ -n "$filter" ] && ! [[ $kut =~ $filter ]]; then continue; fi
	bin=${src##*/}
	bin=${bin%.c}
	case "$kut" in ipi | ipi_halt | ple_round_robin) smp=2 ;; *) smp=1 ;; esac
	names+=("$kut:$bin:$smp")
done
[ ${#names[@]} -gt 0 ] || die_usage "no vmexit.c name matches '$filter'"

work=$(mktemp -d "${TMPDIR:-/tmp}/exitbench-kut.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$results" || die_usage "cannot create --results $results"
run_id=$(date -u +%Y%m%dT%H%M%SZ)-kut-$env
n=0
# A new name every run, taken atomically: two runs started in the same
# second into one results directory get two names (run_all.sh does the same).
while [ -e "$results/$run_id" ] || ! mkdir -- "$results/.$run_id.partial" 2>/dev/null; do
	[ -e "$results/$run_id" ] || [ -e "$results/.$run_id.partial" ] ||
		{ echo "kut_compare.sh: cannot create a run directory in $results" >&2; exit 1; }
	n=$((n + 1)); run_id=$(date -u +%Y%m%dT%H%M%SZ)-kut-$env-$n
	[ $n -lt 100 ] || { echo "kut_compare.sh: cannot create a run directory in $results: 100 names taken" >&2; exit 1; }
done
out=$results/.$run_id.partial

mkdir "$work/bin"
for b in exitbench_info "${names[@]}"; do
	b=${b#*:}
	b=${b%%:*}
	[ -e "$work/bin/$b" ] || strip -o "$work/bin/$b" "$top/build/static/$b"
done
{
	printf '# written by kut_compare.sh\n'
	printf 'KUT_NAMES=%q\n' "${names[*]}"
	printf 'set --'
	for o in "${opts[@]}"; do printf " '%s'" "${o//\'/\'\\\'\'}"; done
	printf '\n'
} >"$work/run.conf"
# shellcheck disable=SC2054 # the commas are part of the cdev entry
entries=(dir:bin dir:dev dir:proc dir:sys dir:tmp dir:exitbench dir:exitbench/share dir:lib dir:lib64
	cdev:dev/console=5,1 file:bin/busybox=/bin/busybox:0755
	file:init="$top/emu/init.sh":0755 file:exitbench/run.conf="$work/run.conf":0644
	file:exitbench/job.sh="$top/bench/job_kut.sh":0644
	file:exitbench/vmexit.flat="$flat":0644 file:exitbench/qemu-system-x86_64="$qemu":0755
	file:exitbench/share/bios-256k.bin="$bios":0644)
for rom in linuxboot_dma.bin multiboot_dma.bin kvmvapic.bin; do
	entries+=("file:exitbench/share/$rom=/usr/share/qemu/$rom:0644")
done
for f in "$work"/bin/*; do
	entries+=("file:exitbench/${f##*/}=$f:0755")
done
# QEMU's shared libraries, at the paths its loader looks for them.
declare -A dirs=([lib]=1 [lib64]=1)
while read -r lib; do
	d=${lib%/*}
	d=${d#/}
	path=
	IFS=/ read -r -a parts <<<"$d"
	for p in "${parts[@]}"; do
		path=${path:+$path/}$p
		if [ -z "${dirs[$path]:-}" ]; then entries+=("dir:$path"); dirs[$path]=1; fi
	done
	entries+=("file:${lib#/}=$(readlink -f "$lib"):0755")
done < <(ldd "$qemu" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
python3 "$top/emu/mkinitramfs.py" "$work/initrd.gz" "${entries[@]}"
echo "kut_compare.sh: ${#names[@]} vmexit.c names; initramfs $(($(stat -c %s "$work/initrd.gz") / 1024)) KiB" >&2

# vmexit.c prints once per benchmark, after QEMU's start-up and its loop:
# under Bochs about 5 minutes of the host's for cpuid, in which the kernel
# under test's console was silent (job_kut.sh's heartbeat did not get out
# while QEMU ran there; it does under QEMU TCG). A boot's silence bound of
# 30 minutes instead of 5; the whole boot stays bounded by --timeout.
export EMU_SILENCE_S=${EMU_SILENCE_S:-1800}
# emu/boot.sh makes its own --out; what it brings back then moves up.
"$top/emu/boot.sh" --env "$env" --kernel "$kernel" --initrd "$work/initrd.gz" --out "$out/boot" \
	--timeout "$timeout" --memory 2048 --smp "$smp_host" ${append:+--append "$append"} ${cpu_model:+--cpu-model "$cpu_model"} -- "${opts[@]}" ||
	{ echo "kut_compare.sh: the boot failed; what came back is in $out/boot" >&2; exit 1; }
find "$out/boot" -mindepth 1 -maxdepth 1 -exec mv -t "$out" -- {} +
rmdir "$out/boot"

python3 - "$out" "${names[@]}" <<'PY'
import csv, json, os, re, sys

out, names = sys.argv[1], sys.argv[2:]
rows = []
for entry in names:
    kut, binary, smp = entry.split(":")
    text = open(os.path.join(out, f"kut-{kut}.txt"), errors="replace").read()
    figures = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(?:(ipi|eoi) )?(?:([\w-]+):)?(\S+) (-?\d+)$", line)
        if m and m.group(3) == kut:
            key = (m.group(1) or "") + ("/" + m.group(2) if m.group(2) else "")
            figures[key] = int(m.group(4))
    ours = {}
    try:
        r = json.load(open(os.path.join(out, f"{binary}.json")))
    except (OSError, ValueError):
        r = None
    if r and r["status"] == "pass":
        for f in r["figures"]:
            ours[f["name"]] = (f["median"], f["unit"])
    # vmexit.c's figures of a test next to ours: the whole, IPI and EOI, each register.
    pairs = [("", "cycles_per_exit"), ("ipi", "ipi_cycles"), ("eoi", "eoi_cycles")]
    pairs += [(f"/{n}", n) for n in ours if n.startswith(("mmio-", "portio-"))]
    for kkey, okey in pairs:
        if kkey not in figures and okey not in ours:
            continue
        k = figures.get(kkey)
        o, unit = ours.get(okey, (None, None))
        if kkey == "" and r and r.get("exits_per_iteration", 1) > 1 and o is not None and \
                not r["unit"].endswith("iteration"):
            o, unit = o * r["exits_per_iteration"], "TSC cycles per iteration"
        # Under half a cycle a loop: the test's instruction did not exit
        # (its verdict says so); no ratio of a figure that is not a cost.
        no_exit = o is not None and abs(o) < 0.5
        rows.append({
            "name": kut + (f" {kkey.lstrip('/')}" if kkey else ""), "test": binary,
            "vmexit_c_cycles": k, "ours_cycles": None if o is None else round(o, 1) + 0.0,
            "ours_unit": unit, "ours_no_exit": no_exit,
            "ratio_ours_to_vmexit_c": None if not (k and o) or no_exit else round(o / k, 3),
            "ours_status": r["status"] if r else "missing",
            "vmexit_c_status": "skipped" if "(skipped)" in text else "ran" if figures else "no figure",
        })
with open(os.path.join(out, "comparison.csv"), "x", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
lines = [f"{'vmexit.c name':32} {'vmexit.c':>10} {'ours':>10} {'ratio':>7}  ours: test, unit"]
for x in rows:
    fmt = lambda v, d=0: "-" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else str(v))
    lines.append(f"{x['name']:32} {fmt(x['vmexit_c_cycles']):>10} {fmt(x['ours_cycles'], 1):>10} "
                 f"{fmt(x['ratio_ours_to_vmexit_c'], 3):>7}  {x['test']}, {x['ours_unit'] or x['ours_status']}"
                 f"{' (no exit: under 0.5 TSC cycles an iteration, no ratio)' if x['ours_no_exit'] else ''}"
                 f"{'' if x['vmexit_c_status'] == 'ran' else ' (vmexit.c: ' + x['vmexit_c_status'] + ')'}")
lines.append("units: TSC cycles; vmexit.c: loop of the benchmark, no baseline subtracted; ours: "
             "baseline-subtracted median (see each test's unit)")


def table(path):
    """{(reason, name): (count, l2_count)} of a kvm/exit_reasons table, or None."""
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return None
    rows = {}
    for line in text.splitlines():
        f = line.split(None, 5)
        if line.startswith("#") or len(f) < 6 or not f[1].isdigit():
            continue
        rows[(f[0], f[5])] = int(f[1])
    return rows


# What each vmexit.c run took, by reason (the patched kernel's global table
# around the QEMU run: its boot and set-up too, a few thousand exits, next
# to the benchmark's loop of about 2^30 TSC cycles).
breakdown = []
for entry in names:
    kut = entry.split(":")[0]
    b, a = table(os.path.join(out, f"kut-{kut}.before")), table(os.path.join(out, f"kut-{kut}.after"))
    if a is None or b is None:
        continue
    d = sorted(((a[k] - b.get(k, 0), k) for k in a if a[k] > b.get(k, 0)), reverse=True)
    if not d:
        continue
    top = d[0][0]
    parts = [f"{name} ({reason}) {n} ({n / top:.3f})" for n, (reason, name) in d[:6]]
    breakdown.append(f"  {kut:30} {sum(n for n, _ in d):>9} exits: " + ", ".join(parts))
if breakdown:
    lines.append("")
    lines.append("vmexit.c's exits by reason, whole QEMU run (kvm/exit_reasons before and after; "
                 "count, and its ratio to the most frequent):")
    lines += breakdown
open(os.path.join(out, "comparison.txt"), "x").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
mv "$out" "$results/$run_id"
echo "results: $results/$run_id" >&2
