#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The boot profile's analysis: from what emu/job_profile.sh gathered (the
sampler's packed timeline, the global exit table before and after, the VM's
timestamped console) to the timeline, totals, console, summary and plots of
./boot_profile (docs/boot_profile.md).

usage: profile_report.py analyze RAW_DIR OUT_DIR --env ENV [--run-id ID] [--top N]
                  [--interval T] [--interval-s S] [--guest-cmdline ARGS]
                  [--tool-seconds S] [--kernel F] [--guest-kernel F] [--guest-initrd F]
                  [--nested]
       profile_report.py rebuild PACKED_CSV[.gz]

analyze: checks everything first (the sampler ran to the end, every count
of the timeline adds up, its sums per reason equal the counter deltas read
before and after, the guest booted and powered off); on any failure it
writes OUT_DIR/FAILED with the reason, prints it and exits 3, writing
no result file. Otherwise it writes timeline.csv, totals.csv, console.csv,
console_exits.csv, summary.json, summary.txt, metadata.json and the plots
into OUT_DIR and prints the summary. --nested (./boot_profile --nested):
the VM is a guest hypervisor (L1) running a nested guest (L2); every count
is also split by level, from the table's and the sampler's L2 counts (L1 =
all - L2), and the split is checked as the totals are.
rebuild: the full exit_top --csv from a packed one (profile_helper compact).
Exit status: 0 done, 2 usage or (rebuild) a malformed input, 3 a failed
check, a bad input of analyze or a failed write (the README's table).
"""
import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys

from analysis import profile_plot  # noqa: E402

SCHEMA_VERSION = 1
CSV_HEADER = ["sample", "time_s", "interval_s", "reason", "name", "exits", "cycles",
              "exits_delta", "cycles_delta"]
# exit_top --csv with the patched kernel's L2 counts (an older exit_top wrote CSV_HEADER).
L2_FIELDS = ["l2_exits", "l2_cycles", "l2_exits_delta", "l2_cycles_delta"]
CSV_HEADER_L2 = CSV_HEADER + L2_FIELDS
# timeline.csv of a --nested run: per level, after exits_per_s.
LEVEL_FIELDS = ["l1_exits", "l1_cycles", "l1_exits_delta", "l1_cycles_delta"] + L2_FIELDS
PANIC_RE = re.compile(r"Kernel panic - not syncing")
POWER_DOWN_RE = re.compile(r"reboot: Power down")
# emu/profile_l1init.sh, the guest hypervisor's /init (--nested).
L1_GONE_RE = re.compile(r"L1: the L2 guest is gone \(exit status ([0-9]+)\)")
L1_NO_KVM_RE = re.compile(r"L1: no /dev/kvm")
ORIGIN_RE = re.compile(r"time_s 0 is CLOCK_MONOTONIC ([0-9]+\.[0-9]+) s")


class ProfileError(Exception):
    """A check failed or an input is unusable: the run has no results."""


# ---- the packed timeline ----

def parse_int(text, what):
    if not re.fullmatch(r"[0-9]+", text):
        raise ProfileError(f"{what}: not a whole number: {text!r}")
    return int(text)


def load_timeline(text, source="timeline"):
    """Samples of a (packed or full) exit_top --csv: a list of
    {sample, time_s, interval_s, rows: {key: row}} in file order, where key
    is (reason, name) and row holds the strings and integers of one line."""
    rd = csv.reader(io.StringIO(text))
    try:
        header = next(rd)
    except StopIteration:
        raise ProfileError(f"{source}: empty (the sampler wrote nothing)") from None
    if header not in (CSV_HEADER, CSV_HEADER_L2):
        raise ProfileError(f"{source}: not exit_top --csv output (header {','.join(header)!r})")
    samples = []
    for no, f in enumerate(rd, 2):
        if len(f) != len(header):
            raise ProfileError(f"{source} line {no}: {len(f)} fields, {len(header)} expected")
        where = f"{source} line {no}"
        if f[6] == "" or f[8] == "":
            raise ProfileError(f"{where}: no cycles: this is the tracepoint fallback, not the "
                               "patched kernel's table")
        row = {"sample": parse_int(f[0], where), "time_s": f[1], "interval_s": f[2],
               "reason": f[3], "name": f[4], "exits": parse_int(f[5], where),
               "cycles": parse_int(f[6], where), "exits_delta": parse_int(f[7], where),
               "cycles_delta": parse_int(f[8], where)}
        if header == CSV_HEADER_L2:
            for i, k in enumerate(L2_FIELDS, 9):
                row[k] = parse_int(f[i], where)
            if row["l2_exits"] > row["exits"] or row["l2_exits_delta"] > row["exits_delta"] or \
                    row["l2_cycles"] > row["cycles"] or row["l2_cycles_delta"] > row["cycles_delta"]:
                raise ProfileError(f"{where}: more L2 exits or cycles than of all levels")
        for k in ("time_s", "interval_s"):
            if not re.fullmatch(r"[0-9]+\.[0-9]+", row[k]):
                raise ProfileError(f"{where}: {k} is not a time in seconds: {row[k]!r}")
        if not samples or samples[-1]["sample"] != row["sample"]:
            samples.append({"sample": row["sample"], "time_s": row["time_s"],
                            "interval_s": row["interval_s"], "rows": {}})
        s = samples[-1]
        if (row["time_s"], row["interval_s"]) != (s["time_s"], s["interval_s"]):
            raise ProfileError(f"{where}: sample {row['sample']} has two times")
        key = (row["reason"], row["name"])
        if key in s["rows"]:
            raise ProfileError(f"{where}: reason {key[0]} {key[1]} twice in sample {row['sample']}")
        s["rows"][key] = row
    return samples


def rebuild(samples, source="timeline"):
    """The full timeline from a packed one, checking every count: returns
    (samples, order, baseline) where each sample's rows hold every reason
    seen so far, in the table's order, order is that order and baseline
    the counts before the first sample's deltas ({key: (exits, cycles)}, with
    (l2_exits, l2_cycles) after them when the timeline has L2 counts)."""
    if not samples:
        return [], [], {}
    last = samples[-1]
    order = list(last["rows"])
    l2 = "l2_exits" in next(iter(last["rows"].values()), {})
    fields = ["exits", "cycles"] + (["l2_exits", "l2_cycles"] if l2 else [])
    known = {}
    baseline = {}
    out = []
    for i, s in enumerate(samples):
        where = f"{source}: sample {s['sample']}"
        if i and s["sample"] != samples[i - 1]["sample"] + 1:
            raise ProfileError(f"{where} follows sample {samples[i - 1]['sample']}: samples are "
                               "missing (a truncated or edited timeline)")
        if i and float(s["time_s"]) < float(samples[i - 1]["time_s"]):
            raise ProfileError(f"{where}: time goes backwards")
        for key, row in s["rows"].items():
            if key not in order:
                raise ProfileError(f"{where}: reason {key[0]} {key[1]} is missing from the last "
                                   "sample (reasons never disappear from the table)")
            if key in known:
                prev = known[key]
            elif s["sample"] == 0:
                prev = tuple(row[f] for f in fields)
                if any(row[f + "_delta"] for f in fields):
                    raise ProfileError(f"{where}: sample 0 has a delta for {key[0]} {key[1]}")
            else:
                prev = (0,) * len(fields)
            if key not in known:
                baseline[key] = prev
            for f, p in zip(fields, prev):
                if row[f] != p + row[f + "_delta"]:
                    raise ProfileError(
                        f"{where}: reason {key[0]} {key[1]}: {f} {row[f]} is not the previous {p} "
                        f"plus the delta {row[f + '_delta']} (the counts do not add up)")
            known[key] = tuple(row[f] for f in fields)
        rows = {}
        for key in order:
            if key in s["rows"]:
                rows[key] = s["rows"][key]
            elif key in known:
                rows[key] = {"sample": s["sample"], "time_s": s["time_s"],
                             "interval_s": s["interval_s"], "reason": key[0], "name": key[1]}
                for f, v in zip(fields, known[key]):
                    rows[key][f] = v
                    rows[key][f + "_delta"] = 0
        out.append({"sample": s["sample"], "time_s": s["time_s"], "interval_s": s["interval_s"],
                    "rows": rows})
    return out, order, baseline


def has_l2(samples):
    """The timeline carries the kernel's L2 counts (exit_top's l2_* columns)."""
    return bool(samples) and all("l2_exits" in r for s in samples[:1] for r in s["rows"].values())


def csv_text(samples, extra=False, levels=False):
    """exit_top's CSV of rebuilt samples, with its L2 columns when they have
    them; extra: exits_per_s (timeline.csv), and with levels the L1 and L2
    columns of each row instead of exit_top's L2 columns (L1 = all - L2)."""
    l2 = has_l2(samples)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if extra:
        w.writerow(CSV_HEADER + ["exits_per_s"] + (LEVEL_FIELDS if levels else []))
    else:
        w.writerow(CSV_HEADER_L2 if l2 else CSV_HEADER)
    for s in samples:
        dt = float(s["interval_s"])
        for r in s["rows"].values():
            line = [r["sample"], r["time_s"], r["interval_s"], r["reason"], r["name"], r["exits"],
                    r["cycles"], r["exits_delta"], r["cycles_delta"]]
            if extra:
                line.append(f"{r['exits_delta'] / dt:.1f}" if dt > 0 else "0.0")
                if levels:
                    line += [r["exits"] - r["l2_exits"], r["cycles"] - r["l2_cycles"],
                             r["exits_delta"] - r["l2_exits_delta"], r["cycles_delta"] - r["l2_cycles_delta"]]
                    line += [r[k] for k in L2_FIELDS]
            elif l2:
                line += [r[k] for k in L2_FIELDS]
            w.writerow(line)
    return buf.getvalue()


# ---- the global table (kernel/README.md, "debugfs") ----

TABLE_HEADER = "# reason count cycles l2_count l2_cycles name"


def parse_table(text, source):
    """(vendor, {(reason, name): (exits, cycles, l2_exits, l2_cycles)}): the
    counts of both levels, then those of L2."""
    lines = text.splitlines()
    if len(lines) < 2 or not re.fullmatch(r"# vendor (vmx|svm)", lines[0]) or lines[1] != TABLE_HEADER:
        raise ProfileError(f"{source}: not the patched kernel's exit table")
    rows = {}
    for no, line in enumerate(lines[2:], 3):
        f = line.split(" ")
        if len(f) < 6 or not all(x.isdigit() for x in f[1:5]):
            raise ProfileError(f"{source} line {no}: malformed: {line!r}")
        n = tuple(int(x) for x in f[1:5])
        if n[2] > n[0] or n[3] > n[1]:
            raise ProfileError(f"{source} line {no}: more L2 exits or cycles than of all levels: {line!r}")
        rows[(f[0], " ".join(f[5:]))] = n
    return lines[0].split()[-1], rows


# ---- the console ----

def load_console(text, origin, source="console.txt"):
    """[{time_s, end_s, stream, text}] sorted by time, times relative to origin."""
    lines = []
    for no, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        f = line.split(" ", 3)
        if len(f) < 3 or not all(re.fullmatch(r"[0-9]+\.[0-9]+", x) for x in f[:2]):
            raise ProfileError(f"{source} line {no}: not a timestamped line: {line[:80]!r}")
        lines.append({"time_s": float(f[0]) - origin, "end_s": float(f[1]) - origin,
                      "stream": f[2], "text": f[3] if len(f) > 3 else ""})
    lines.sort(key=lambda x: (x["time_s"], x["end_s"]))
    return lines


def tail(console, n=8):
    shown = [c for c in console if c["stream"] in ("out", "err", "error", "timeout", "exit")]
    return "\n".join(f"    | {c['time_s']:9.3f} s {c['stream']}: {c['text']}" for c in shown[-n:])


def check_nested_guest(console):
    """--nested: the guest hypervisor ran its guest, which ended with status 0
    (the power-off line alone may be the guest hypervisor's own)."""
    out = [c for c in console if c["stream"] == "out"]
    no_kvm = [c["text"] for c in out if L1_NO_KVM_RE.search(c["text"])]
    gone = [L1_GONE_RE.search(c["text"]) for c in out]
    gone = [int(m.group(1)) for m in gone if m]
    why = None
    if no_kvm:
        why = f"the guest hypervisor could not run its guest: {no_kvm[0]}"
    elif not gone:
        why = ("the guest hypervisor never said that its guest ended ('L1: the L2 guest is gone'): "
               "it stopped before")
    elif gone[0] != 0:
        why = (f"the nested guest's QEMU (in the guest hypervisor) exited with status {gone[0]}")
    if why:
        raise ProfileError(f"{why}\n  last console lines:\n{tail(console)}")


def check_guest(console, vm_status):
    """The guest booted and powered off: else ProfileError saying what happened."""
    out = [c for c in console if c["stream"] == "out"]
    why = None
    errors = [c["text"] for c in console if c["stream"] == "error"]
    timeouts = [c["text"] for c in console if c["stream"] == "timeout"]
    panics = [c["text"] for c in out if PANIC_RE.search(c["text"])]
    # A panic first: a panicked guest that does not reboot in time also
    # reaches the timeout (seen under QEMU TCG on a loaded host).
    if errors:
        why = f"the VM could not run: {errors[0]}"
    elif panics:
        why = f"the guest kernel panicked: {panics[0]}"
        if timeouts:
            why += " (and it did not power off before --guest-timeout)"
    elif timeouts:
        why = ("the guest did not power off before --guest-timeout (it hung, or needs more "
               "time: raise --guest-timeout)")
    elif vm_status != 0:
        err = [c["text"] for c in console if c["stream"] == "err"]
        why = f"the VM exited with status {vm_status}" + (f": {err[-1]}" if err else "")
    elif not out:
        why = ("no console output from the guest: give QEMU -nographic or -serial stdio and the "
               "guest console=ttyS0")
    elif not any(POWER_DOWN_RE.search(c["text"]) for c in out):
        why = ("the guest never powered off (no 'reboot: Power down' on its console): it "
               "rebooted, or stopped before the end of its boot")
    if why:
        raise ProfileError(f"{why}\n  last console lines:\n{tail(console)}")


# ---- analysis ----

def intervals(samples, levels=False):
    """Per sample with an interval: start, end, total exits and per-reason
    deltas (levels: also those of L2, per_reason_l2)."""
    out = []
    for s in samples:
        dt = float(s["interval_s"])
        if dt <= 0:
            continue
        end = float(s["time_s"])
        per = {k: r["exits_delta"] for k, r in s["rows"].items() if r["exits_delta"]}
        iv = {"sample": s["sample"], "start_s": end - dt, "end_s": end, "interval_s": dt,
              "exits": sum(per.values()), "per_reason": per}
        if levels:
            iv["per_reason_l2"] = {k: r["l2_exits_delta"] for k, r in s["rows"].items() if r["l2_exits_delta"]}
        out.append(iv)
    return out


def label(key):
    return f"{key[0]} {key[1]}"


def console_at(console, start, end, n=6):
    """What the console said in [start, end]: the line in progress at start
    (the last one begun before it), then the first n lines begun inside and,
    when there are more, the last one (with how many were left out)."""
    out = [c for c in console if c["stream"] in ("out", "start", "exit")]
    before = [c for c in out if c["time_s"] < start]
    inside = [c for c in out if start <= c["time_s"] <= end]
    shown = inside if len(inside) <= n + 1 else inside[:n] + inside[-1:]
    lines = [{"time_s": round(c["time_s"], 6), "text": console_text(c)}
             for c in ([before[-1]] if before else []) + shown]
    if len(inside) > n + 1:
        lines[-1]["text"] = f"({len(inside) - n - 1} more lines) " + lines[-1]["text"]
    return lines


def console_text(c):
    if c["stream"] == "start":
        return "[VM started] " + c["text"]
    if c["stream"] == "exit":
        return "[VM exited] " + c["text"]
    return c["text"]


def split_exits(ivals, spans, field="per_reason"):
    """Exits per reason in each of the sorted, disjoint time spans [t0, t1):
    each interval's exits are split between the spans it overlaps in
    proportion to the overlap (a steady rate within an interval is assumed,
    so the figures are estimates, exact for spans made of whole intervals)."""
    out = [{} for _ in spans]
    j = 0
    for iv in ivals:
        a, b = iv["start_s"], iv["end_s"]
        while j < len(spans) and spans[j][1] <= a:
            j += 1
        k = j
        while k < len(spans) and spans[k][0] < b:
            frac = (min(b, spans[k][1]) - max(a, spans[k][0])) / (b - a)
            if frac > 0:
                for key, v in iv[field].items():
                    out[k][key] = out[k].get(key, 0.0) + v * frac
            k += 1
    return out


def phase_dict(per):
    n = sum(per.values())
    top = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return n, [{"reason": k[0], "name": k[1], "exits": round(v)} for k, v in top if round(v)]


def console_phases(console, ivals, end):
    """Exits (estimated: split_exits) from each console line to the next; the
    last line's span ends at @end."""
    marks = [c for c in console if c["stream"] in ("out", "start", "exit")]
    spans = []
    for i, c in enumerate(marks):
        nxt = marks[i + 1]["time_s"] if i + 1 < len(marks) else max(end, c["time_s"])
        spans.append((c["time_s"], nxt))
    phases = []
    for c, (t0, t1), per in zip(marks, spans, split_exits(ivals, spans)):
        n, top = phase_dict(per)
        phases.append({"time_s": t0, "next_s": t1, "text": console_text(c), "exits": n, "top": top})
    return phases


def boot_phases(ivals, guest):
    """Exits (estimated: split_exits) between the milestones of a Linux boot."""
    marks = [(guest["vm_start_s"], "VM start to the first console line (firmware, kernel loading and "
                                   "decompression, early setup: nothing printed)"),
             (guest["first_console_line_s"], "first console line to 'Run /init' (kernel initialisation)"),
             (guest["run_init_s"], "'Run /init' to 'reboot: Power down' (userspace, then the power-off path)"),
             (guest["power_down_s"], "'reboot: Power down' to the VM's exit"),
             (guest["vm_exit_s"], None)]
    marks = [m for m in marks if m[0] is not None]
    spans = [(t0, t1) for (t0, _), (t1, _) in zip(marks, marks[1:])]
    out = []
    levels = bool(ivals) and all("per_reason_l2" in iv for iv in ivals)
    l2 = split_exits(ivals, spans, "per_reason_l2") if levels else [None] * len(spans)
    for (t0, t1), (_, what), per, per2 in zip(spans, marks, split_exits(ivals, spans), l2):
        n, top = phase_dict(per)
        out.append({"phase": what, "start_s": round(t0, 6), "duration_s": round(t1 - t0, 6), "exits": round(n),
                    "exits_per_s": round(n / (t1 - t0), 1) if t1 > t0 else None, "top_reasons": top})
        if per2 is not None:
            out[-1]["l2_exits"] = round(sum(per2.values()))
            out[-1]["l1_exits"] = out[-1]["exits"] - out[-1]["l2_exits"]
    return out


def steadiness(ivals, start, end):
    """Bursts or a steady rate, over the intervals of the VM's life."""
    xs = [iv["exits"] for iv in ivals if iv["end_s"] > start and iv["start_s"] < end]
    if not xs:
        return None
    n = len(xs)
    total = sum(xs)
    mean = total / n
    var = sum((x - mean) ** 2 for x in xs) / n
    top = sorted(xs, reverse=True)
    k10 = max(1, n // 10)
    return {"intervals": n, "intervals_with_exits_pct": round(100 * sum(1 for x in xs if x) / n, 1),
            "exits_per_interval_mean": round(mean, 2),
            "exits_per_interval_cv": round(var ** 0.5 / mean, 3) if mean else None,
            "busiest_10pct_of_intervals_exits_pct": round(100 * sum(top[:k10]) / total, 1) if total else None,
            "busiest_1pct_of_intervals_exits_pct":
                round(100 * sum(top[:max(1, n // 100)]) / total, 1) if total else None}


def read(path, required=True):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        if required:
            raise ProfileError(f"{os.path.basename(path)} is missing from {os.path.dirname(path)}: "
                               "the profiling job did not finish") from None
        return None


def sha256(path):
    if not path or not os.path.isfile(path):
        return None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def key_value_file(text):
    out = {}
    for line in (text or "").splitlines():
        for m in re.finditer(r"(\w+)[ =](\S+)", line):
            out[m.group(1)] = m.group(2)
    return out


def parse_interrupts(text):
    """/proc/interrupts: {label: (count summed over CPUs, description)}."""
    lines = (text or "").splitlines()
    if not lines:
        return {}
    ncpu = len(lines[0].split())
    out = {}
    for line in lines[1:]:
        head, _, rest = line.partition(":")
        f = rest.split()
        nums = [int(x) for x in f[:ncpu] if x.isdigit()]
        if head.strip() and nums:
            out[head.strip()] = (sum(nums), " ".join(f[len(nums):]))
    return out


def interrupts_delta(raw):
    """The host's interrupts while the VM ran, by /proc/interrupts label, most first."""
    b = parse_interrupts(read(os.path.join(raw, "interrupts_before.txt"), False))
    a = parse_interrupts(read(os.path.join(raw, "interrupts_after.txt"), False))
    d = [(k, a[k][0] - b.get(k, (0, ""))[0], a[k][1]) for k in a]
    return [{"irq": k, "count": n, "what": w} for k, n, w in sorted(d, key=lambda x: -x[1]) if n > 0]


def bench_figures(text):
    out = {}
    for m in re.finditer(r"^([\w+]+_us): median ([0-9.]+) p10 ([0-9.]+) p90 ([0-9.]+) max ([0-9.]+)",
                         text or "", re.M):
        out[m.group(1).replace("+", "_")] = {"median": float(m.group(2)), "p10": float(m.group(3)),
                                             "p90": float(m.group(4)), "max": float(m.group(5))}
    m = re.search(r"--bench: ([0-9]+) samples of \S+ \(([0-9]+) rows\)", text or "")
    if m:
        out["samples"], out["table_rows"] = int(m.group(1)), int(m.group(2))
    return out


def gather(raw, opts):
    """Read and check everything; return the analysis (ProfileError if any check fails)."""
    vm_status_text = read(os.path.join(raw, "vm.status")).strip()
    if not vm_status_text.isdigit():
        raise ProfileError(f"vm.status: not an exit status: {vm_status_text!r}")
    vm_status = int(vm_status_text)
    sampled = opts["interval"] != "off"
    if sampled:
        origin_m = ORIGIN_RE.search(read(os.path.join(raw, "exit_top.stderr")))
        if not origin_m:
            raise ProfileError("exit_top.stderr: the sampler's clock origin is missing")
        origin = float(origin_m.group(1))
    console_text_raw = read(os.path.join(raw, "console.txt"))
    starts = [ln for ln in console_text_raw.split("\n") if ln.split(" ")[2:3] == ["start"]]
    if not sampled:
        if not starts:
            raise ProfileError("console.txt: no VM start line")
        origin = float(starts[0].split(" ")[0])
    console = load_console(console_text_raw, origin)
    check_guest(console, vm_status)
    if opts.get("nested"):
        check_nested_guest(console)

    vendor, before = parse_table(read(os.path.join(raw, "table_before.txt")), "table_before.txt")
    vendor_after, after = parse_table(read(os.path.join(raw, "table_after.txt")), "table_after.txt")
    if vendor != vendor_after:
        raise ProfileError(f"the vendor changed during the run ({vendor}, then {vendor_after})")
    totals = {}
    for key, a in after.items():
        b = before.get(key, (0, 0, 0, 0))
        d = tuple(x - y for x, y in zip(a, b))
        if min(d) < 0:
            raise ProfileError(f"reason {label(key)} went down during the run (kvm.ko reloaded?)")
        if any(d):
            totals[key] = d
    missing = [label(k) for k in before if k not in after]
    if missing:
        raise ProfileError(f"reasons disappeared from the table during the run: {', '.join(missing)}")

    res = {"vendor": vendor, "vm_status": vm_status, "console": console, "origin": origin,
           "totals": totals, "before": before, "after": after, "sampled": sampled}
    if sampled:
        status = read(os.path.join(raw, "exit_top.status")).strip()
        if status != "0":
            raise ProfileError(f"the sampler (exit_top) failed with exit status {status}: "
                               + read(os.path.join(raw, "exit_top.stderr")).strip().replace("\n", " | "))
        with open(os.path.join(raw, "timeline.csv.gz"), "rb") as f:
            try:
                text = gzip.decompress(f.read()).decode()
            except (OSError, EOFError, UnicodeDecodeError) as e:
                raise ProfileError(f"timeline.csv.gz: unreadable: {e}") from e
        samples, order, baseline = rebuild(load_timeline(text, "timeline.csv.gz"), "timeline.csv.gz")
        if not samples:
            raise ProfileError("the timeline is empty: the sampler saw no exit at all")
        if opts.get("nested") and not has_l2(samples):
            raise ProfileError("--nested: the sampler's timeline has no L2 counts (exit_top --csv without "
                               "its l2_* columns: an older exit_top), so it cannot be split by level")
        check_sums(samples, order, baseline, before, after)
        res.update(samples=samples, order=order, baseline=baseline)
    return res


def check_sums(samples, order, baseline, before, after):
    """Per reason: the sum of the timeline's deltas equals the counter delta
    read before and after (independently of the sampler); and the first and
    last samples are those counts."""
    last = samples[-1]["rows"]
    l2 = has_l2(samples)
    for key in set(order) | set(after):
        d = sum(s["rows"][key]["exits_delta"] for s in samples if key in s["rows"])
        dc = sum(s["rows"][key]["cycles_delta"] for s in samples if key in s["rows"])
        b = before.get(key, (0, 0, 0, 0))
        a = after.get(key, (0, 0, 0, 0))
        if l2:
            d2 = sum(s["rows"][key]["l2_exits_delta"] for s in samples if key in s["rows"])
            dc2 = sum(s["rows"][key]["l2_cycles_delta"] for s in samples if key in s["rows"])
            if key in last and (last[key]["l2_exits"], last[key]["l2_cycles"]) != a[2:]:
                raise ProfileError(f"reason {label(key)}: the last sample's L2 counts ({last[key]['l2_exits']} "
                                   f"exits, {last[key]['l2_cycles']} cycles) are not the final ones "
                                   f"({a[2]}, {a[3]})")
            if (d2, dc2) != (a[2] - b[2], a[3] - b[3]):
                raise ProfileError(f"reason {label(key)}: the timeline's L2 deltas add up to {d2} exits, "
                                   f"{dc2} cycles; the L2 counters grew by {a[2] - b[2]}, {a[3] - b[3]}")
        b, a = b[:2], a[:2]
        if key not in last or (last[key]["exits"], last[key]["cycles"]) != a:
            raise ProfileError(f"reason {label(key)}: the last sample ({last[key]['exits'] if key in last else 0} "
                               f"exits) is not the final count ({a[0]}): exits happened after "
                               "sampling stopped")
        if baseline.get(key, (0, 0))[:2] != b:
            raise ProfileError(f"reason {label(key)}: the first sample ({baseline.get(key, (0, 0))[0]} exits) "
                               f"is not the count read before the VM started ({b[0]}): another VM ran?")
        if (d, dc) != (a[0] - b[0], a[1] - b[1]):
            raise ProfileError(f"reason {label(key)}: the timeline's deltas add up to {d} exits, "
                               f"{dc} cycles; the counters grew by {a[0] - b[0]}, {a[1] - b[1]}")


def analyze(res, opts):
    """The summary dict (everything printed and written)."""
    console = res["console"]
    totals = res["totals"]
    total_exits = sum(t[0] for t in totals.values())
    total_cycles = sum(t[1] for t in totals.values())
    levels = bool(opts.get("nested"))
    cycles_on = opts.get("kvm_params", {}).get("exit_cycles", "N") in ("Y", "1") or total_cycles > 0
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    reasons = []
    for rank, (key, (e, c, e2, c2)) in enumerate(ranked, 1):
        reasons.append({"rank": rank, "reason": key[0], "name": key[1], "exits": e,
                        "exits_share_pct": round(100 * e / total_exits, 3) if total_exits else 0.0,
                        "cycles": c if cycles_on else None,
                        "cycles_share_pct": round(100 * c / total_cycles, 3) if cycles_on and total_cycles else None,
                        "cycles_per_exit": round(c / e, 1) if cycles_on and e else None})
        if levels:
            reasons[-1].update({"l1_exits": e - e2, "l2_exits": e2,
                                "l2_share_pct": round(100 * e2 / e, 3) if e else 0.0,
                                "l1_cycles": c - c2 if cycles_on else None, "l2_cycles": c2 if cycles_on else None})
    start = next((c["time_s"] for c in console if c["stream"] == "start"), 0.0)
    end = next((c["time_s"] for c in console if c["stream"] == "exit"), None)
    first_out = next((c["time_s"] for c in console if c["stream"] == "out"), None)
    power = next((c["time_s"] for c in console if c["stream"] == "out" and POWER_DOWN_RE.search(c["text"])), None)
    init = next((c["time_s"] for c in console if c["stream"] == "out" and
                 re.search(r"Run .* as init process", c["text"])), None)
    guest = {"vm_start_s": round(start, 6), "vm_exit_s": round(end, 6) if end is not None else None,
             "first_console_line_s": round(first_out, 6) if first_out is not None else None,
             "run_init_s": round(init, 6) if init is not None else None,
             "power_down_s": round(power, 6) if power is not None else None,
             "boot_to_power_down_s": round(power - start, 6) if power is not None else None,
             "vm_lifetime_s": round(end - start, 6) if end is not None else None,
             "console_lines": sum(1 for c in console if c["stream"] == "out"),
             "exit_status": res["vm_status"]}
    s = {"schema_version": SCHEMA_VERSION, "run_id": opts.get("run_id"), "env": opts["env"],
         "vendor": res["vendor"], "cycles_counted": cycles_on,
         "units": {"time_s": "s since the sampler's first sample (CLOCK_MONOTONIC of the host "
                             "of the VM: emulated time under Bochs)",
                   "exits": "exits", "cycles": "host TSC cycles, VM-exit to next VM-entry",
                   "exits_per_s": "exits/s", "share_pct": "%", "interval_s": "s"},
         "total_exits": total_exits, "total_cycles": total_cycles if cycles_on else None,
         "exits_per_s_over_vm_lifetime": round(total_exits / guest["vm_lifetime_s"], 1)
         if guest["vm_lifetime_s"] else None,
         "reasons": reasons, "guest": guest,
         "sampler": {"interval": opts["interval"], "interval_s": opts.get("interval_s")}}
    if levels:
        l2e = sum(t[2] for t in totals.values())
        l2c = sum(t[3] for t in totals.values())

        def top_of(exits_of):
            per = sorted(((k, exits_of(t)) for k, t in totals.items() if exits_of(t)),
                         key=lambda kv: (-kv[1], kv[0]))
            return [{"reason": k[0], "name": k[1], "exits": v} for k, v in per[:5]]
        s["levels"] = {
            "l1": {"what": "the guest hypervisor's own exits (the VM the kernel under test runs)",
                   "exits": total_exits - l2e, "cycles": total_cycles - l2c if cycles_on else None,
                   "exits_share_pct": round(100 * (total_exits - l2e) / total_exits, 3) if total_exits else 0.0,
                   "top_reasons": top_of(lambda t: t[0] - t[2])},
            "l2": {"what": "the nested guest's exits (taken while the guest hypervisor ran its guest)",
                   "exits": l2e, "cycles": l2c if cycles_on else None,
                   "exits_share_pct": round(100 * l2e / total_exits, 3) if total_exits else 0.0,
                   "top_reasons": top_of(lambda t: t[2])},
            "source": "the patched kernel's L2 counts (l2_count, l2_cycles of the table; exit_top's l2_* "
                      "columns); L1 = all - L2"}
    if not res["sampled"]:
        s["checks"] = {"timeline": "none (--interval off): totals from the table before and after"}
        return s
    samples, order = res["samples"], res["order"]
    ivals = intervals(samples, levels)
    busiest = max(ivals, key=lambda iv: (iv["exits"], -iv["sample"])) if ivals else None
    top_ivals = sorted(ivals, key=lambda iv: (-iv["exits"], iv["sample"]))[:5]

    def interval_dict(iv):
        per = sorted(iv["per_reason"].items(), key=lambda kv: (-kv[1], kv[0]))
        return {"sample": iv["sample"], "start_s": round(iv["start_s"], 6), "end_s": round(iv["end_s"], 6),
                "interval_s": round(iv["interval_s"], 6), "exits": iv["exits"],
                "exits_per_s": round(iv["exits"] / iv["interval_s"], 1),
                "reasons": [{"reason": k[0], "name": k[1], "exits": v} for k, v in per],
                "console": console_at(console, iv["start_s"], iv["end_s"])}
    phases = console_phases(console, ivals, ivals[-1]["end_s"] if ivals else 0.0)
    s["sampler"].update({"samples": len(samples), "first_sample": samples[0]["sample"],
                         "last_sample": samples[-1]["sample"],
                         "last_sample_s": float(samples[-1]["time_s"]),
                         "clock_origin_monotonic_s": res["origin"]})
    s["busiest_interval"] = interval_dict(busiest) if busiest else None
    s["busiest_intervals"] = [interval_dict(iv) for iv in top_ivals]
    s["steadiness"] = steadiness(ivals, start, end if end is not None else float("inf"))
    s["boot_phases"] = boot_phases(ivals, guest)
    s["phases"] = [{"time_s": round(p["time_s"], 6), "duration_s": round(p["next_s"] - p["time_s"], 6),
                    "exits": round(p["exits"], 1),
                    "top_reason": f"{p['top'][0]['reason']} {p['top'][0]['name']}" if p["top"] else None,
                    "text": p["text"]} for p in phases]
    s["checks"] = {"timeline_sum_equals_counter_delta": {label(k): totals.get(k, (0, 0))[0] for k in order},
                   "reasons_checked": len(order),
                   "rows_checked": sum(len(x["rows"]) for x in samples)}
    if levels:
        s["checks"]["timeline_l2_sum_equals_l2_counter_delta"] = {label(k): totals.get(k, (0, 0, 0))[2]
                                                                 for k in order}
    res["ivals"] = ivals
    res["phases"] = phases
    return s


# ---- output ----

def fmt_int(n):
    return f"{n:,}"


def summary_text(s, res, opts):
    g = s["guest"]
    env = {"bochs": "Bochs, Intel VMX (times: Bochs' emulated clock)",
           "qemu-tcg": "QEMU TCG, AMD SVM (times: host time, of a translated CPU)",
           "native": "native"}.get(s["env"], s["env"])
    lines = [f"boot profile {s['run_id'] or ''}: {env}, vendor {s['vendor']}"]
    if s["env"] == "native":
        start = next((c["text"] for c in res["console"] if c["stream"] == "start"), "?")
        lines.append(f"VM: {start[:150]}")
    else:
        lines.append(f"guest: {opts.get('guest_kernel') or '?'} '{opts.get('guest_cmdline') or ''}'")
    if g["boot_to_power_down_s"] is not None:
        lines.append(f"guest boot: {g['boot_to_power_down_s']:.3f} s from VM start to 'reboot: Power down'"
                     f" ({g['console_lines']} console lines; first at +{g['first_console_line_s'] - g['vm_start_s']:.3f} s"
                     + (f", run /init at +{g['run_init_s'] - g['vm_start_s']:.3f} s" if g["run_init_s"] is not None else "")
                     + ")")
    rate = s["exits_per_s_over_vm_lifetime"]
    lines.append(f"total exits: {fmt_int(s['total_exits'])} over the VM's {g['vm_lifetime_s']:.3f} s life"
                 + (f" ({fmt_int(round(rate))} exits/s on average)" if rate is not None else ""))
    if s["cycles_counted"]:
        lines.append(f"total cycles in exits: {fmt_int(s['total_cycles'])} host TSC cycles")
    lv = s.get("levels")
    if lv:
        def level_line(x):
            top = ", ".join(f"{t['reason']} {t['name']} {fmt_int(t['exits'])}" for t in x["top_reasons"][:3])
            cyc = f", {fmt_int(x['cycles'])} cycles" if x["cycles"] is not None else ""
            return f"{fmt_int(x['exits'])} exits ({x['exits_share_pct']:.2f}%{cyc}; {top or 'none'})"
        lines.append(f"L2, the nested guest: {level_line(lv['l2'])}")
        lines.append(f"L1, the guest hypervisor itself: {level_line(lv['l1'])}")
        lines.append("  (levels from the kernel's L2 counts; L1 = all - L2)")
    lines.append("")
    lines.append("exits per reason, most to least frequent:")
    w = max([len(r["reason"]) + len(r["name"]) + 1 for r in s["reasons"]] + [11])
    head = f"  {'rank':>4}  {'reason name':<{w}} {'exits':>12} {'exits_%':>8}"
    if s["cycles_counted"]:
        head += f" {'cycles/exit':>12} {'cycles_%':>8}"
    if lv:
        head += f" {'L1_exits':>12} {'L2_exits':>12} {'L2_%':>7}"
    lines.append(head)
    for r in s["reasons"]:
        line = f"  {r['rank']:>4}  {r['reason'] + ' ' + r['name']:<{w}} {fmt_int(r['exits']):>12} {r['exits_share_pct']:>8.2f}"
        if s["cycles_counted"]:
            cpe = fmt_int(round(r["cycles_per_exit"])) if r["cycles_per_exit"] is not None else "-"
            line += f" {cpe:>12} {r['cycles_share_pct'] if r['cycles_share_pct'] is not None else 0:>8.2f}"
        if lv:
            line += f" {fmt_int(r['l1_exits']):>12} {fmt_int(r['l2_exits']):>12} {r['l2_share_pct']:>7.2f}"
        lines.append(line)
    irqs = s.get("host_interrupts_during_run") or []
    if irqs:
        lines.append("host interrupts during the run (/proc/interrupts where the VM ran): "
                     + ", ".join(f"{x['irq']} {fmt_int(x['count'])}" for x in irqs[:5]))
    if not res["sampled"]:
        lines.append("")
        lines.append("no timeline (--interval off)")
        return "\n".join(lines) + "\n"
    b = s["busiest_interval"]
    lines.append("")
    if b:
        per = ", ".join(f"{x['reason']} {x['name']} {fmt_int(x['exits'])}" for x in b["reasons"][:4])
        lines.append(f"busiest interval: {b['start_s']:.3f}-{b['end_s']:.3f} s (sample {b['sample']}): "
                     f"{fmt_int(b['exits'])} exits, {fmt_int(round(b['exits_per_s']))} exits/s ({per})")
        lines.append("  the guest console then:")
        for c in b["console"]:
            lines.append(f"    {c['time_s']:9.3f} s  {c['text'][:110]}")
        if all(c["text"].startswith("[VM started]") for c in b["console"]):
            lines.append("    (no console line yet: firmware, kernel loading and decompression print nothing)")
    st = s["steadiness"]
    if st:
        lines.append(f"steady or bursty: {st['intervals_with_exits_pct']}% of the {st['intervals']} intervals of the "
                     f"VM's life had exits; the busiest 10% of them hold {st['busiest_10pct_of_intervals_exits_pct']}% "
                     f"of the exits, the busiest 1% {st['busiest_1pct_of_intervals_exits_pct']}% "
                     f"(coefficient of variation {st['exits_per_interval_cv']})")
    if s["boot_phases"]:
        lines.append("exits by boot phase (an interval that straddles two phases is split in proportion):")
        for p in s["boot_phases"]:
            top = ", ".join(f"{x['reason']} {x['name']} {fmt_int(x['exits'])}" for x in p["top_reasons"])
            rate = f"{fmt_int(round(p['exits_per_s']))} exits/s" if p["exits_per_s"] is not None else "-"
            split = f", L1 {fmt_int(p['l1_exits'])} / L2 {fmt_int(p['l2_exits'])}" if "l2_exits" in p else ""
            lines.append(f"  {fmt_int(p['exits']):>9} exits in {p['duration_s']:7.3f} s ({rate}{split}; {top or 'none'}): "
                         f"{p['phase']}")
    big = sorted([p for p in s["phases"] if p["exits"]], key=lambda p: -p["exits"])[:5]
    if big:
        lines.append("console lines followed by the most exits until the next line (estimated):")
        for p in big:
            dur = f"{p['duration_s']:.3f} s" if p["duration_s"] is not None else "to the end"
            lines.append(f"  {fmt_int(round(p['exits'])):>9} exits in {dur:>10} after {p['time_s']:9.3f} s  "
                         f"(mostly {p['top_reason']})  {p['text'][:70]}")
    smp = s["sampler"]
    lines.append("")
    lines.append(f"sampler: {smp['samples']} samples every {smp['interval']} (samples {smp['first_sample']}.."
                 f"{smp['last_sample']}" + ("; the ones before saw an empty table" if smp["first_sample"] else "")
                 + f"); every count checked: the timeline's deltas add up to the counter deltas for all "
                 f"{s['checks']['reasons_checked']} reasons")
    bench = opts.get("bench") or {}
    if "read_parse_us" in bench:
        lines.append(f"  one sample of the table costs {bench['read_parse_us']['median']} us to read and parse, "
                     f"{bench['csv_rows_us']['median']} us to format (medians, measured where the sampler ran)")
    return "\n".join(lines) + "\n"


def write_new(path, text):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".partial")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    if os.path.exists(path):
        os.unlink(tmp)
        raise ProfileError(f"{path}: already exists; results are never overwritten")
    os.rename(tmp, path)


def totals_csv(s):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    levels = "levels" in s
    w.writerow(["rank", "reason", "name", "exits", "exits_share_pct", "cycles", "cycles_share_pct",
                "cycles_per_exit"] + (["l1_exits", "l1_cycles", "l2_exits", "l2_cycles", "l2_share_pct"]
                                      if levels else []))
    for r in s["reasons"]:
        line = [r["rank"], r["reason"], r["name"], r["exits"], f"{r['exits_share_pct']:.3f}",
                "" if r["cycles"] is None else r["cycles"],
                "" if r["cycles_share_pct"] is None else f"{r['cycles_share_pct']:.3f}",
                "" if r["cycles_per_exit"] is None else f"{r['cycles_per_exit']:.1f}"]
        if levels:
            line += [r["l1_exits"], "" if r["l1_cycles"] is None else r["l1_cycles"], r["l2_exits"],
                     "" if r["l2_cycles"] is None else r["l2_cycles"], f"{r['l2_share_pct']:.3f}"]
        w.writerow(line)
    return buf.getvalue()


def console_csv(console):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time_s", "end_s", "stream", "text"])
    for c in console:
        w.writerow([f"{c['time_s']:.6f}", f"{c['end_s']:.6f}", c["stream"], c["text"]])
    return buf.getvalue()


def phases_csv(s):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time_s", "duration_s", "exits_estimated", "exits_per_s", "top_reason", "text"])
    for p in s["phases"]:
        d = p["duration_s"]
        w.writerow([f"{p['time_s']:.6f}", "" if d is None else f"{d:.6f}", f"{p['exits']:.1f}",
                    f"{p['exits'] / d:.1f}" if d else "", p["top_reason"] or "", p["text"]])
    return buf.getvalue()


def metadata(raw, opts, s):
    env_json = None
    if os.path.exists(os.path.join(raw, "environment.json")):
        with open(os.path.join(raw, "environment.json"), encoding="utf-8") as f:
            env_json = json.load(f)
    starts = [c["text"] for c in opts["console_all"] if c["stream"] == "start"]
    sizes = key_value_file(read(os.path.join(raw, "timeline_sizes.txt"), False))
    l1 = (read(os.path.join(raw, "l1_initrd_bytes.txt"), False) or "").strip()
    return {"schema_version": SCHEMA_VERSION, "run_id": opts.get("run_id"), "env": opts["env"],
            "nested": bool(opts.get("nested")), "vendor": s["vendor"], "interval": opts["interval"], "interval_s": opts.get("interval_s"),
            "kernel_under_test": opts.get("kernel"), "kernel_under_test_sha256": sha256(opts.get("kernel")),
            "guest_kernel": opts.get("guest_kernel"), "guest_kernel_sha256": sha256(opts.get("guest_kernel")),
            "guest_initrd": opts.get("guest_initrd") or ("emu/profile_l2init.c" if opts["env"] != "native" else None),
            "guest_cmdline": opts.get("guest_cmdline") if opts["env"] != "native" else None,
            "vm_command": starts[0] if starts else None,
            "kvm_params": opts.get("kvm_params"), "cycles_counted": s["cycles_counted"],
            "sampler_bench_us": opts.get("bench"),
            "timeline_bytes": {k: int(v) for k, v in sizes.items() if v.isdigit()},
            "l1_initrd_bytes": int(l1) if l1.isdigit() else None,
            "job_times_monotonic_s": {k: float(v) for k, v in
                                      key_value_file(read(os.path.join(raw, "job_times.txt"), False)).items()},
            "tool_seconds": opts.get("tool_seconds"),
            "environment": env_json,
            "units": {"interval_s": "s", "tool_seconds": "s (wall clock of ./boot_profile up to the analysis)",
                      "sampler_bench_us": "microseconds per sample", "timeline_bytes": "bytes",
                      "l1_initrd_bytes": "bytes"}}


def run_analyze(raw, out, opts):
    opts["kvm_params"] = key_value_file(read(os.path.join(raw, "kvm_params.txt"), False))
    opts["bench"] = bench_figures(read(os.path.join(raw, "exit_top_bench.txt"), False))
    res = gather(raw, opts)
    opts["console_all"] = res["console"]
    s = analyze(res, opts)
    s["host_interrupts_during_run"] = interrupts_delta(raw)
    text = summary_text(s, res, opts)
    files = {"summary.txt": text, "totals.csv": totals_csv(s), "console.csv": console_csv(res["console"]),
             "metadata.json": json.dumps(metadata(raw, opts, s), indent=1) + "\n"}
    if res["sampled"]:
        files["timeline.csv"] = csv_text(res["samples"], extra=True, levels=bool(opts.get("nested")))
        files["console_exits.csv"] = phases_csv(s)
    s["files"] = sorted(list(files) + ["summary.json"])
    existing = [f for f in list(files) + ["summary.json"] if os.path.exists(os.path.join(out, f))]
    if existing:
        raise ProfileError(f"{out}: {', '.join(existing)} already exist; results are never overwritten")
    plot_msgs = []
    if res["sampled"]:
        plot_msgs.append(profile_plot.rate_plot(out, res["samples"], res["order"], s, opts.get("top", 6)))
        if opts.get("nested"):
            for level in ("l1", "l2"):
                plot_msgs.append(profile_plot.rate_plot(out, res["samples"], res["order"], s,
                                                        opts.get("top", 6), level))
    plot_msgs.append(profile_plot.totals_plot(out, s))
    s["plots"] = [m for m in plot_msgs if m]
    for name, body in files.items():
        write_new(os.path.join(out, name), body)
    # summary.json last: its presence means the run's files are complete.
    write_new(os.path.join(out, "summary.json"), json.dumps(s, indent=1) + "\n")
    sys.stdout.write(text)
    return 0


def parse_opts(args):
    opts = {"interval": "10ms", "top": 6}
    names = {"--env": "env", "--run-id": "run_id", "--top": "top", "--interval": "interval",
             "--interval-s": "interval_s", "--guest-cmdline": "guest_cmdline",
             "--tool-seconds": "tool_seconds", "--kernel": "kernel", "--guest-kernel": "guest_kernel",
             "--guest-initrd": "guest_initrd"}
    pos = []
    while args:
        a = args.pop(0)
        if a == "--nested":
            opts["nested"] = True
        elif a in names:
            if not args:
                raise ValueError(f"{a} needs a value")
            opts[names[a]] = args.pop(0)
        elif a.startswith("-"):
            raise ValueError(f"unknown option {a!r}")
        else:
            pos.append(a)
    if "env" not in opts:
        raise ValueError("--env is required")
    try:
        opts["top"] = int(opts["top"])
        for k in ("interval_s", "tool_seconds"):
            if k in opts:
                opts[k] = float(opts[k])
    except ValueError:
        raise ValueError("--top, --interval-s and --tool-seconds want numbers") from None
    return pos, opts


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "rebuild" and len(args) == 1:
            opener = gzip.open if args[0].endswith(".gz") else open
            try:
                with opener(args[0], "rt", encoding="utf-8") as f:
                    samples, _, _ = rebuild(load_timeline(f.read(), args[0]), args[0])
            except ProfileError as e:
                raise ValueError(str(e)) from None
            sys.stdout.write(csv_text(samples))
            sys.stdout.flush()
            return 0
        if cmd == "analyze":
            pos, opts = parse_opts(list(args))
            if len(pos) != 2:
                raise ValueError("analyze wants RAW_DIR and OUT_DIR")
            raw, out = pos
            if not os.path.isdir(raw) or not os.path.isdir(out):
                raise ValueError(f"{raw} and {out} must be directories")
            try:
                return run_analyze(raw, out, opts)
            except ProfileError as e:
                with open(os.path.join(out, "FAILED"), "w", encoding="utf-8") as f:
                    f.write(str(e) + "\n")
                raise
        raise ValueError(f"unknown command {cmd!r} or wrong arguments")
    except ValueError as e:
        print(f"profile_report.py: {e} (see --help)", file=sys.stderr)
        return 2
    except (ProfileError, OSError) as e:
        print(f"profile_report.py: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
