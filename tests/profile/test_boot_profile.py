#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tests of ./boot_profile that need no emulator (a few seconds):

- profile_helper compact + analysis/profile_report.py rebuild give back exit_top's CSV
  exactly, on synthetic timelines and on a real exit_top run against a
  table that a writer keeps changing;
- the analysis of a synthetic run: totals are the counter deltas, the sum
  of the timeline is the final delta per reason, shares, the busiest
  interval and what the console said then, console phases, plots;
- every check fails when it should: counts that do not add up, a missing
  sample, exits after the last sample, another VM, a failed sampler, a
  guest that panics, hangs, reboots or cannot start; and no result file is
  written then;
- --nested: the split by level (L1, the guest hypervisor; L2, its guest)
  of a synthetic nested boot: per reason L1 + L2 = all in every file, L1 =
  all - L2, VMRUN all L1's and IOIO all L2's, one plot per level; the same
  raw data without --nested gives the files of before; a timeline without
  L2 counts (an older exit_top) is refused with --nested, and L2 counts
  that do not add up are refused;
- profile_helper run: timestamps, exit statuses, timeout;
- ./boot_profile: usage errors, --env native refusing here with the reason,
  and (where /dev/kvm exists) a whole native run against a fake table, with
  a fake VM that prints a console and moves the counters.

Prints ok/not ok lines, then "N passed, N failed"; exit status 1 on failure.
"""
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, TOP)
os.environ["PYTHONPATH"] = TOP  # for python3 -m analysis.profile_report
from analysis import profile_report as prof  # noqa: E402

HELPER = os.path.join(TOP, "build", "profile", "profile_helper")
EXIT_TOP = os.path.join(TOP, "exit_top")
passed = failed = 0


def ok(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}" + (f": {detail}" if detail else ""))
    return cond


# ---- synthetic exit_top output ----

VMX_NAMES = {"1": "EXTERNAL_INTERRUPT", "10": "CPUID", "12": "HLT", "30": "IO_INSTRUCTION",
             "48": "EPT_VIOLATION", "49": "EPT_MISCONFIG"}
SVM_NAMES = {"0x60": "interrupt", "0x72": "cpuid", "0x7b": "io", "0x80": "vmrun", "0x400": "npf"}
NAMES = {**VMX_NAMES, **SVM_NAMES}


def four(v):
    """(exits, cycles[, l2_exits, l2_cycles]): no L2 counts are 0 of them."""
    return tuple(v) + (0, 0) if len(v) == 2 else tuple(v)


def table_text(counts, vendor="vmx"):
    """The global debugfs table of {reason: (exits, cycles[, l2_exits, l2_cycles])}."""
    lines = [f"# vendor {vendor}", "# reason count cycles l2_count l2_cycles name"]
    for r in sorted(counts, key=lambda x: int(x, 0)):
        e, c, e2, c2 = four(counts[r])
        if e:
            lines.append(f"{r} {e} {c} {e2} {c2} {NAMES[r]}")
    return "\n".join(lines) + "\n"


def exit_top_csv(tables, interval=0.01, l2=False):
    """What exit_top --csv writes for successive tables ({reason: (exits,
    cycles[, l2_exits, l2_cycles])}); l2: with its L2 columns (exit_top now),
    else as an older exit_top wrote it."""
    out = [",".join(prof.CSV_HEADER_L2 if l2 else prof.CSV_HEADER)]
    prev = {}
    for k, t in enumerate(tables):
        time_s, dt = k * interval, (interval if k else 0.0)
        for r in sorted((r for r in t if t[r][0]), key=lambda x: int(x, 0)):
            v = four(t[r])
            p = prev.get(r, v if k == 0 else (0, 0, 0, 0))
            line = f"{k},{time_s:.6f},{dt:.6f},{r},{NAMES[r]},{v[0]},{v[1]},{v[0] - p[0]},{v[1] - p[1]}"
            if l2:
                line += f",{v[2]},{v[3]},{v[2] - p[2]},{v[3] - p[3]}"
            out.append(line)
        prev = {r: four(v) for r, v in t.items() if v[0]}
    return "\n".join(out) + "\n"


def synthetic_tables(n=60, burst_at=30):
    """A boot: CPUID early, EPT violations, a burst of IO at sample burst_at,
    HLT appearing later, quiet samples, cycles charged a sample late."""
    t = {"10": (5, 500)}
    tables = []
    for k in range(n):
        t = dict(t)
        if 2 <= k < 10:
            e, c = t.get("48", (0, 0))
            t["48"] = (e + 7, c + 700)
        if k == 3:
            t["10"] = (t["10"][0] + 20, t["10"][1])
        if k == 4:
            t["10"] = (t["10"][0], t["10"][1] + 2000)	# cycles only: charged at entry
        if k == burst_at:
            e, c = t.get("30", (0, 0))
            t["30"] = (e + 500, c + 50000)
        if k in (40, 41, 50):
            e, c = t.get("12", (0, 0))
            t["12"] = (e + 1, c + 100000)
        if k % 4 == 0 and k:
            e, c = t.get("1", (0, 0))
            t["1"] = (e + 1, c + 300)
        tables.append(t)
    return tables


def with_l2(tables):
    """The same boot with half of each CPUID exit count (and its cycles) L2's."""
    return [{r: (v[0], v[1], v[0] // 2, v[1] // 2) if r == "10" else v for r, v in t.items()} for t in tables]


def nested_tables(n=60):
    """A nested boot on SVM, each count (exits, cycles, l2_exits, l2_cycles),
    100 cycles per exit: the guest hypervisor (L1) boots (NPF, CPUID), then
    enters its guest 10 times per sample (VMRUN: L1's own exits); the nested
    guest (L2) touches its memory (NPF), runs CPUID, prints (IO, a burst at
    sample 30); interrupts on both levels; cycles of one L2 CPUID charged a
    sample late."""
    t = {"0x72": (2, 200, 0, 0)}
    tables = []

    def add(r, l1=0, l2=0, extra_l2_cycles=0):
        e, c, e2, c2 = t.get(r, (0, 0, 0, 0))
        t[r] = (e + l1 + l2, c + 100 * (l1 + l2) + extra_l2_cycles, e2 + l2, c2 + 100 * l2 + extra_l2_cycles)
    for k in range(n):
        t = dict(t)
        if k < 10:
            add("0x400", l1=5)
        if k == 3:
            add("0x72", l1=20)
        if 12 <= k <= 50:
            add("0x80", l1=10)
        if 20 <= k < 28:
            add("0x400", l2=8)
        if k == 22:
            add("0x72", l2=15)
        if k == 23:
            add("0x72", extra_l2_cycles=500)
        if k == 30:
            add("0x7b", l2=300)
        if 13 <= k <= 49 and k % 2:
            add("0x7b", l2=2)
        if k and k % 4 == 0:
            add("0x60", l1=1)
        if k and k % 8 == 0:
            add("0x60", l2=1)
        tables.append(t)
    return tables


L1_GONE = (100.54, "out", "L1: the L2 guest is gone (exit status 0)")  # ORIGIN + 0.54


def make_nested_raw(d, tables, packed=None, after=None, console=None):
    make_raw(d, tables, packed=packed if packed is not None else compact(exit_top_csv(tables, l2=True)),
             before=table_text(tables[0], "svm"), after=after if after is not None else table_text(tables[-1], "svm"),
             console=console if console is not None else console_lines(extra=[L1_GONE]))


def compact(text):
    r = subprocess.run([HELPER, "compact"], input=text, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"profile_helper compact: exit {r.returncode}: {r.stderr}")
    return r.stdout


def rebuilt_csv(packed):
    """The rebuilt CSV, or the error (which then compares unequal)."""
    try:
        samples, _, _ = prof.rebuild(prof.load_timeline(packed))
    except prof.ProfileError as e:
        return f"error: {e}"
    return prof.csv_text(samples)


# ---- a raw run directory as emu/job_profile.sh leaves it ----

ORIGIN = 100.0


def console_lines(burst_at=30, interval=0.01, power=True, extra=()):
    t_start = ORIGIN + 0.005
    lines = [(t_start, "start", "qemu-system-x86_64 -enable-kvm ...")]
    lines.append((ORIGIN + 0.05, "out", "Linux version 6.12 (synthetic)"))
    lines.append((ORIGIN + burst_at * interval - interval * 0.6, "out", "serial: the burst begins here"))
    lines.append((ORIGIN + 0.45, "out", "Run /init as init process"))
    lines += list(extra)
    if power:
        lines.append((ORIGIN + 0.55, "out", "reboot: Power down"))
    lines.append((ORIGIN + 0.56, "exit", "status 0"))
    return "".join(f"{t:.6f} {t + 0.0001:.6f} {tag} {text}\n" for t, tag, text in lines)


def make_raw(d, tables=None, console=None, vm_status=0, top_status=0, origin=True,
             before=None, after=None, packed=None):
    tables = tables or synthetic_tables()
    os.makedirs(d)
    full = exit_top_csv(tables)
    with open(os.path.join(d, "timeline.csv.gz"), "wb") as f:
        f.write(gzip.compress((packed if packed is not None else compact(full)).encode()))
    files = {"table_before.txt": before if before is not None else table_text(tables[0]),
             "table_after.txt": after if after is not None else table_text(tables[-1]),
             "console.txt": console if console is not None else console_lines(),
             "vm.status": f"{vm_status}\n", "exit_top.status": f"{top_status}\n",
             "exit_top.stderr": f"exit_top: time_s 0 is CLOCK_MONOTONIC {ORIGIN:.6f} s\n" if origin else "",
             "kvm_params.txt": "exit_cycles=Y\nexit_stats_cpuid_order=A\nexit_stats_log_interval=0\n",
             "exit_top_bench.txt": "exit_top --bench: 200 samples of /x (5 rows)\n"
                                   "read+parse_us: median 45.2 p10 45.0 p90 47.1 max 85.9\n"
                                   "csv_rows_us: median 25.8 p10 25.6 p90 27.1 max 63.2\n"}
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return full


def analyze(raw, out, *extra):
    os.makedirs(out, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "analysis.profile_report", "analyze", raw, out,
                           "--env", "qemu-tcg", "--run-id", "test", "--interval", "10ms",
                           "--interval-s", "0.01", *extra], capture_output=True, text=True)


def main():
    tmp = tempfile.mkdtemp(prefix="exitbench-profile-test.")
    try:
        run_tests(tmp)
    except Exception:  # a crash is a failure, reported as such
        import traceback
        ok(False, "the tests ran to the end", traceback.format_exc().replace("\n", " | "))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run_tests(tmp):
    print("# build the helpers (as ./boot_profile does)")
    os.makedirs(os.path.dirname(HELPER), exist_ok=True)
    r = subprocess.run(["cc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", HELPER + ".test",
                        os.path.join(TOP, "emu", "profile_helper.c")], capture_output=True, text=True)
    if not ok(r.returncode == 0, "profile_helper.c builds warning-free", r.stderr[-400:]):
        return
    os.replace(HELPER + ".test", HELPER)
    r = subprocess.run(["cc", "-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-fno-pie",
                        "-no-pie", "-O2", "-Wall", "-Wextra", "-Werror", "-o", os.path.join(tmp, "l2init"),
                        os.path.join(TOP, "emu", "profile_l2init.c")], capture_output=True, text=True)
    ok(r.returncode == 0, "profile_l2init.c builds warning-free, freestanding", r.stderr[-400:])

    print("# packed timeline: compact, then rebuild")
    tables = synthetic_tables()
    full = exit_top_csv(tables)
    packed = compact(full)
    ok(rebuilt_csv(packed) == full, "rebuild(compact(csv)) == csv, byte for byte (synthetic)")
    ok(len(packed) < len(full) / 2, f"compact drops the quiet rows ({len(full)} -> {len(packed)} bytes)")
    prows = list(csv.reader(io.StringIO(packed)))[1:]
    ok({r[0] for r in prows} == {str(k) for k in range(len(tables))},
       "every sample keeps a row (its time and interval survive)")
    last = str(len(tables) - 1)
    ok(sum(1 for r in prows if r[0] == last) == sum(1 for v in tables[-1].values() if v[0]),
       "the last sample is kept whole")
    ok(any(r[0] == "4" and r[3] == "10" for r in prows), "a row whose cycles alone moved is kept")
    # A reason that first appears in sample 0 and a table that starts empty.
    empty_first = [{}] * 3 + synthetic_tables(20, 10)
    f2 = exit_top_csv(empty_first)
    ok(rebuilt_csv(compact(f2)) == f2, "round trip when the table starts empty (no rows in early samples)")
    one = exit_top_csv([{"10": (3, 0)}])
    ok(rebuilt_csv(compact(one)) == one, "round trip of a single sample")
    nt = nested_tables()
    for name, text in (("a nested boot", exit_top_csv(nt, l2=True)),
                       ("CPUID half L2's", exit_top_csv(with_l2(tables), l2=True))):
        p2 = compact(text)
        ok(rebuilt_csv(p2) == text, f"round trip with exit_top's L2 columns, byte for byte ({name})")
        ok(len(p2) < len(text) / 2, f"compact drops the quiet rows of a timeline with L2 columns "
           f"({len(text)} -> {len(p2)} bytes)")
    moved = [r for r in csv.reader(io.StringIO(compact(exit_top_csv(nt, l2=True))))
             if r[0] == "23" and r[3] == "0x72"]
    ok(len(moved) == 1 and moved[0][7] == "0" and moved[0][8] == "500" and moved[0][12] == "500",
       "compact keeps a row whose cycles alone moved (with L2 columns)", str(moved))
    r = subprocess.run([HELPER, "compact"], input="time,x\n1,2\n", capture_output=True, text=True)
    ok(r.returncode == 1 and "not exit_top --csv output" in r.stderr, "compact refuses other input", r.stderr)
    r = subprocess.run([HELPER, "compact"], input="", capture_output=True, text=True)
    ok(r.returncode == 1 and "empty input" in r.stderr, "compact refuses empty input", r.stderr)

    print("# a real exit_top against a changing table")
    if os.access(EXIT_TOP, os.X_OK):
        real_exit_top_round_trip(tmp)
    else:
        print(f"# skip: {EXIT_TOP} not built (make exit_top)")

    print("# rebuild refuses timelines that do not add up")
    lines = full.splitlines()
    bad = [ln for ln in lines]
    i = next(i for i, ln in enumerate(bad) if ln.startswith("30,") and ",30," in ln)
    f = bad[i].split(",")
    f[7] = str(int(f[7]) + 1)
    bad[i] = ",".join(f)
    expect_error(lambda: prof.rebuild(prof.load_timeline("\n".join(bad) + "\n")), "do not add up",
                 "a delta that is not the growth of its count")
    gap = "\n".join(ln for ln in lines if not ln.startswith("20,")) + "\n"
    expect_error(lambda: prof.rebuild(prof.load_timeline(gap)), "samples are missing", "a missing sample")
    expect_error(lambda: prof.load_timeline("sample,time_s\n"), "not exit_top --csv output", "a wrong header")
    expect_error(lambda: prof.load_timeline(lines[0] + "\n0,0.0,0.0,10,CPUID,5,,0,\n"), "tracepoint fallback",
                 "a timeline without cycles (the stock-kernel tracepoint fallback)")
    nested_full = exit_top_csv(nested_tables(), l2=True)
    nl = nested_full.splitlines()
    i = next(i for i, ln in enumerate(nl) if ln.startswith("30,") and ",0x7b,io," in ln)
    f = nl[i].split(",")
    f[11] = str(int(f[11]) - 1)
    expect_error(lambda: prof.rebuild(prof.load_timeline("\n".join(nl[:i] + [",".join(f)] + nl[i + 1:]) + "\n")),
                 "do not add up", "an L2 delta that is not the growth of its L2 count")
    f = nl[i].split(",")
    f[9] = str(int(f[5]) + 1)
    expect_error(lambda: prof.load_timeline("\n".join(nl[:i] + [",".join(f)] + nl[i + 1:]) + "\n"),
                 "more L2 exits or cycles than of all levels", "more L2 exits than exits")
    expect_error(lambda: prof.parse_table("# vendor svm\n# reason count cycles l2_count l2_cycles name\n"
                                          "0x7b 5 500 6 500 io\n", "t"),
                 "more L2 exits", "a table row with more L2 exits than exits")
    drop_last = [ln for ln in packed.splitlines() if not (ln.startswith(last + ",") and ",12," in ln)]
    expect_error(lambda: prof.rebuild(prof.load_timeline("\n".join(drop_last) + "\n")),
                 "missing from the last sample", "a last sample that is not whole")

    print("# the analysis of a synthetic run")
    raw = os.path.join(tmp, "raw1")
    make_raw(raw, tables)
    out = os.path.join(tmp, "out1")
    r = analyze(raw, out)
    if ok(r.returncode == 0, "analyze: exit 0", r.stderr + r.stdout[-300:]):
        check_outputs(out, tables, r.stdout)

    print("# --nested: the split by level")
    nested_tests(tmp)

    print("# every failure ends the analysis with the reason and no result file")
    failures = [
        ("vm_panic", dict(console=console_lines(power=False, extra=[(ORIGIN + 0.5, "out",
                          "Kernel panic - not syncing: No working init found.")])), "guest kernel panicked"),
        ("vm_panic_then_timeout", dict(vm_status=124, console=console_lines(power=False, extra=[
            (ORIGIN + 0.5, "out", "Kernel panic - not syncing: No working init found."),
            (ORIGIN + 0.6, "timeout", "qemu still running after the timeout: SIGTERM")])),
         "panicked: Kernel panic - not syncing: No working init found. (and it did not power off"),
        ("no_power_down", dict(console=console_lines(power=False)), "never powered off"),
        ("vm_status", dict(vm_status=1, console=console_lines().replace(
            "exit status 0", "err qemu-system-x86_64: could not load kernel 'x'\n"
                             "100.560000 100.560100 exit status 1")), "exited with status 1: qemu-system"),
        ("timeout", dict(vm_status=124, console=console_lines(power=False, extra=[
            (ORIGIN + 0.5, "timeout", "qemu still running after the timeout: SIGTERM")])), "did not power off"),
        ("cannot_run", dict(vm_status=127, console=f"{ORIGIN:.6f} {ORIGIN:.6f} start nope\n"
                            f"{ORIGIN:.6f} {ORIGIN:.6f} error cannot run nope: No such file\n"), "could not run"),
        ("no_console", dict(console=f"{ORIGIN:.6f} {ORIGIN:.6f} start q\n{ORIGIN + 1:.6f} {ORIGIN + 1:.6f} exit status 0\n"),
         "no console output"),
        ("sampler_failed", dict(top_status=1), "sampler (exit_top) failed"),
        ("no_origin", dict(origin=False), "clock origin is missing"),
        ("after_last_sample", dict(after=table_text({**tables[-1], "30": (tables[-1]["30"][0] + 3, 1)})),
         "exits happened after sampling stopped"),
        ("other_vm_before", dict(before=table_text({**tables[0], "10": (2, 500)})), "another VM ran"),
        ("bad_delta", dict(packed=compact(full).replace("\n30,0.300000,0.010000,30,IO_INSTRUCTION,500,50000,500,",
                                                         "\n30,0.300000,0.010000,30,IO_INSTRUCTION,500,50000,499,")),
         "do not add up"),
    ]
    for name, kw, want in failures:
        d = os.path.join(tmp, "raw-" + name)
        make_raw(d, tables, **kw)
        o = os.path.join(tmp, "out-" + name)
        r = analyze(d, o)
        produced = sorted(f for f in os.listdir(o) if f != "FAILED")
        failed_text = open(os.path.join(o, "FAILED")).read() if os.path.exists(os.path.join(o, "FAILED")) else ""
        ok(r.returncode == 3 and want in r.stderr and want in failed_text and not produced,
           f"{name}: exit 3, says '{want}', FAILED written, no result file",
           f"exit {r.returncode}, stderr {r.stderr[-300:]!r}, files {produced}")

    print("# --interval off: totals only")
    d = os.path.join(tmp, "raw-off")
    make_raw(d, tables)
    os.unlink(os.path.join(d, "timeline.csv.gz"))
    os.unlink(os.path.join(d, "exit_top.stderr"))
    os.unlink(os.path.join(d, "exit_top.status"))
    o = os.path.join(tmp, "out-off")
    os.makedirs(o)
    r = subprocess.run([sys.executable, "-m", "analysis.profile_report", "analyze", d, o, "--env", "bochs",
                        "--interval", "off"], capture_output=True, text=True)
    s = json.load(open(os.path.join(o, "summary.json"))) if r.returncode == 0 else {}
    want = sum(v[0] for v in tables[-1].values()) - sum(v[0] for v in tables[0].values())
    ok(r.returncode == 0 and s.get("total_exits") == want and not os.path.exists(os.path.join(o, "timeline.csv")),
       f"--interval off: totals from the tables ({want} exits), no timeline", r.stderr[-300:])

    print("# profile_helper run")
    helper_run_tests(tmp)

    print("# ./boot_profile: usage and refusals")
    cli_tests(tmp)


def expect_error(fn, want, what):
    try:
        fn()
    except prof.ProfileError as e:
        return ok(want in str(e), f"refused: {what}", str(e))
    return ok(False, f"refused: {what}", "no error")


def real_exit_top_round_trip(tmp):
    table = os.path.join(tmp, "live_table")
    tables = with_l2(synthetic_tables(40, 20))

    def put(t):
        with open(table + ".new", "w") as f:
            f.write(table_text(t))
        os.replace(table + ".new", table)
    put(tables[0])
    top = subprocess.Popen([EXIT_TOP, "--csv", "-d", "5ms", "--debugfs", table, "--clock-origin"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import time
    time.sleep(0.03)
    for t in tables[1:]:
        put(t)
        time.sleep(0.007)
    time.sleep(0.03)
    top.terminate()
    out, err = top.communicate(timeout=10)
    ok(top.returncode == 0 and "time_s 0 is CLOCK_MONOTONIC" in err,
       "exit_top --clock-origin says where time_s 0 is", err)
    packed = compact(out)
    ok(rebuilt_csv(packed) == out, f"rebuild(compact(csv)) == csv for a real exit_top run "
       f"({out.count(chr(10))} rows -> {packed.count(chr(10))})")
    final = {(r, VMX_NAMES[r]): four(v) for r, v in tables[-1].items()}
    start = {(r, VMX_NAMES[r]): four(v) for r, v in tables[0].items()}
    try:
        samples, order, baseline = prof.rebuild(prof.load_timeline(packed))
        ok(prof.has_l2(samples), "a real exit_top run has the L2 columns")
        prof.check_sums(samples, order, baseline, start, final)
        ok(True, "sum of the deltas per reason == final counter delta, both levels (real exit_top run)")
    except prof.ProfileError as e:
        ok(False, "sum of the deltas per reason == final counter delta, both levels (real exit_top run)", str(e))
        return
    try:
        prof.check_sums(samples, order, baseline, start,
                        {**final, ("10", "CPUID"): final[("10", "CPUID")][:2] + (0, 0)})
        ok(False, "an L2 count that disagrees with the timeline is refused")
    except prof.ProfileError as e:
        ok("L2" in str(e), "an L2 count that disagrees with the timeline is refused", str(e))


def nested_tests(tmp):
    tables = nested_tables()
    first, last = tables[0], tables[-1]
    want = {r: tuple(a - b for a, b in zip(four(last[r]), four(first.get(r, (0, 0))))) for r in last}
    raw = os.path.join(tmp, "raw-nested")
    make_nested_raw(raw, tables)
    out = os.path.join(tmp, "out-nested")
    r = analyze(raw, out, "--nested")
    if not ok(r.returncode == 0, "--nested: analyze exit 0", r.stderr + r.stdout[-300:]):
        return
    s = json.load(open(os.path.join(out, "summary.json")))
    got = {x["reason"]: (x["exits"], x["cycles"], x["l2_exits"], x["l2_cycles"]) for x in s["reasons"]}
    ok(got == {k: v for k, v in want.items() if v[0]}, "--nested: per reason all and L2 exits and cycles = "
       "the tables' deltas", f"{got} vs {want}")
    ok(all(x["l1_exits"] == x["exits"] - x["l2_exits"] and x["l1_cycles"] == x["cycles"] - x["l2_cycles"]
           for x in s["reasons"]), "--nested: L1 = all - L2 per reason (exits, cycles)")
    by = {x["reason"]: x for x in s["reasons"]}
    ok(by["0x80"]["l2_exits"] == 0 and by["0x80"]["l1_exits"] == 390 and by["0x7b"]["l1_exits"] == 0
       and by["0x7b"]["l2_exits"] == 338 and by["0x400"]["l1_exits"] == 45 and by["0x400"]["l2_exits"] == 64,
       "--nested: VMRUN all L1's, IOIO all L2's, NPF on both levels", json.dumps(by)[:400])
    lv = s.get("levels") or {}
    l2_total = sum(v[2] for v in want.values())
    ok(lv and lv["l2"]["exits"] == l2_total and lv["l1"]["exits"] == s["total_exits"] - l2_total
       and lv["l2"]["top_reasons"][0]["name"] == "io" and lv["l1"]["top_reasons"][0]["name"] == "vmrun",
       f"--nested: summary.json levels: L2 {l2_total} exits (io first), L1 the rest (vmrun first)",
       json.dumps(lv)[:400])
    rows = list(csv.DictReader(open(os.path.join(out, "timeline.csv"))))
    ok(rows and list(rows[0])[:10] == prof.CSV_HEADER + ["exits_per_s"] and
       list(rows[0])[10:] == prof.LEVEL_FIELDS, "--nested: timeline.csv has exit_top's columns, then L1's and L2's",
       str(list(rows[0]) if rows else None))
    ok(all(int(x[f"l1_{k}"]) + int(x[f"l2_{k}"]) == int(x[k]) for x in rows
           for k in ("exits", "cycles", "exits_delta", "cycles_delta")),
       "--nested: timeline.csv: L1 + L2 = all in every row (counts, cycles, deltas)")
    sums = {}
    for x in rows:
        a = sums.setdefault(x["reason"], [0, 0])
        a[0] += int(x["l1_exits_delta"])
        a[1] += int(x["l2_exits_delta"])
    ok(all(sums.get(k, [0, 0]) == [v[0] - v[2], v[2]] for k, v in want.items()),
       "--nested: timeline.csv: the L1 and L2 deltas per reason sum to the counters' growth of each level",
       f"{sums} vs {want}")
    tot = list(csv.DictReader(open(os.path.join(out, "totals.csv"))))
    ok(tot and all(int(x["l1_exits"]) + int(x["l2_exits"]) == int(x["exits"]) for x in tot)
       and {x["reason"]: int(x["l2_exits"]) for x in tot} == {k: v[2] for k, v in want.items() if v[0]},
       "--nested: totals.csv: l1_exits + l2_exits = exits, l2_exits = the L2 counters' growth")
    txt = open(os.path.join(out, "summary.txt")).read()
    ok(f"L2, the nested guest: {l2_total:,} exits" in txt and "L1, the guest hypervisor itself: " in txt
       and "L1_exits" in txt, "--nested: summary.txt says how many exits were L2's and L1's", txt[:600])
    bp = s.get("boot_phases") or []
    ok(bp and all("l2_exits" in p and 0 <= p["l2_exits"] <= p["exits"] for p in bp),
       "--nested: boot phases split by level", json.dumps(bp)[:300])
    d1 = open(os.path.join(out, "exits_per_s_l1.dat")).read()
    d2 = open(os.path.join(out, "exits_per_s_l2.dat")).read()
    ok("0x80 vmrun" in d1 and "0x7b io" not in d1 and "0x7b io" in d2 and "0x80 vmrun" not in d2,
       "--nested: one stacked plot per level (VMRUN only in L1's, IO only in L2's)")

    def drawn(dat):
        """Exits under the top of a stacked plot: its last column (exits/s) times each bin's length."""
        pts = [[float(x) for x in ln.split()] for ln in dat.splitlines() if ln and not ln.startswith("#")]
        return sum(b[-1] * (b[0] - a[0]) for a, b in zip(pts[::2], pts[1::2]))
    l1_total = s["total_exits"] - l2_total
    ok(abs(drawn(d1) - l1_total) < 1 and abs(drawn(d2) - l2_total) < 1,
       f"--nested: the plot of each level stacks up to that level's exits (L1 {l1_total}, L2 {l2_total})",
       f"{drawn(d1):.1f}, {drawn(d2):.1f}")
    ok(" l1_exits l2_exits" in open(os.path.join(out, "totals.dat")).read(), "--nested: totals.dat per level")
    if shutil.which("gnuplot"):
        for f in ("exits_per_s_l1.png", "exits_per_s_l2.png", "totals.png"):
            p = os.path.join(out, f)
            ok(os.path.exists(p) and os.path.getsize(p) > 1000, f"--nested: {f} drawn by gnuplot")

    # The same raw data without --nested: the files of before, no levels.
    out2 = os.path.join(tmp, "out-nested-plain")
    r = analyze(raw, out2)
    s2 = json.load(open(os.path.join(out2, "summary.json"))) if r.returncode == 0 else {}
    head = next(csv.reader(open(os.path.join(out2, "timeline.csv")))) if r.returncode == 0 else []
    thead = next(csv.reader(open(os.path.join(out2, "totals.csv")))) if r.returncode == 0 else []
    ok(r.returncode == 0 and "levels" not in s2 and head == prof.CSV_HEADER + ["exits_per_s"]
       and thead[-1] == "cycles_per_exit" and "l2_exits" not in s2["reasons"][0]
       and not os.path.exists(os.path.join(out2, "exits_per_s_l2.dat")) and "L2" not in r.stdout,
       "without --nested: timeline.csv, totals.csv, summary as before (no level columns)", r.stderr[-300:])

    # --nested needs the L2 counts in the timeline, and checks them.
    cases = [("old_exit_top", dict(packed=compact(exit_top_csv(tables))), "has no L2 counts"),
             ("l2_qemu_failed", dict(console=console_lines(extra=[(ORIGIN + 0.54, "out",
                                                                   "L1: the L2 guest is gone (exit status 1)")])),
              "the nested guest's QEMU (in the guest hypervisor) exited with status 1"),
             ("l2_never_ended", dict(console=console_lines()), "never said that its guest ended"),
             ("l1_no_kvm", dict(console=console_lines(extra=[(ORIGIN + 0.2, "out", "L1: no /dev/kvm, no nested "
                                                                                   "guest: kvm: no hardware support")])),
              "could not run its guest: L1: no /dev/kvm"),
             ("l2_after", dict(after=table_text({**last, "0x7b": (last["0x7b"][0], last["0x7b"][1],
                                                               last["0x7b"][2] - 1, last["0x7b"][3])}, "svm")),
              "L2 counts")]
    for name, kw, want_msg in cases:
        d = os.path.join(tmp, "raw-nested-" + name)
        make_nested_raw(d, tables, **kw)
        o = os.path.join(tmp, "out-nested-" + name)
        r = analyze(d, o, "--nested")
        produced = sorted(f for f in os.listdir(o) if f != "FAILED")
        ok(r.returncode == 3 and want_msg in r.stderr and not produced,
           f"--nested, {name}: exit 3, says '{want_msg}', no result file",
           f"exit {r.returncode}, {r.stderr[-300:]!r}, {produced}")


def check_outputs(out, tables, stdout):
    s = json.load(open(os.path.join(out, "summary.json")))
    before, after = tables[0], tables[-1]
    want = {VMX_NAMES[r]: after[r][0] - before.get(r, (0, 0))[0] for r in after}
    got = {x["name"]: x["exits"] for x in s["reasons"]}
    ok(got == {k: v for k, v in want.items() if v}, "totals per reason = counter deltas", f"{got} vs {want}")
    ok(s["total_exits"] == sum(want.values()), f"total exits = {sum(want.values())}")
    # Sum of the timeline per reason, from the written timeline.csv.
    rows = list(csv.DictReader(open(os.path.join(out, "timeline.csv"))))
    sums = {}
    for r in rows:
        sums[r["name"]] = sums.get(r["name"], 0) + int(r["exits_delta"])
    ok(all(sums.get(k, 0) == v for k, v in want.items()), "timeline.csv: the deltas per reason sum to the "
       "final counter delta", f"{sums} vs {want}")
    ok(rows and set(rows[0]) >= {"time_s", "interval_s", "exits", "cycles", "exits_delta", "cycles_delta",
                                 "exits_per_s"}, "timeline.csv has time, counts, cycles, deltas, exits_per_s")
    ok(all(float(r["exits_per_s"]) == (int(r["exits_delta"]) / float(r["interval_s"]) if float(r["interval_s"]) else 0)
           or abs(float(r["exits_per_s"]) - int(r["exits_delta"]) / float(r["interval_s"])) < 0.06 for r in rows),
       "exits_per_s = exits_delta / interval_s")
    shares = [x["exits_share_pct"] for x in s["reasons"]]
    ok(abs(sum(shares) - 100) < 0.01, f"shares add up to 100% ({sum(shares):.3f})")
    ok([x["exits"] for x in s["reasons"]] == sorted((x["exits"] for x in s["reasons"]), reverse=True),
       "reasons sorted most to least frequent")
    cpe = {x["name"]: x["cycles_per_exit"] for x in s["reasons"]}
    ok(cpe.get("IO_INSTRUCTION") == 100.0, "cycles per exit from the totals (IO: 50000/500)", str(cpe))
    b = s["busiest_interval"]
    ok(b["sample"] == 30 and b["exits"] == 500 and b["exits_per_s"] == 50000.0,
       "busiest interval: sample 30, 500 exits, 50000 exits/s", json.dumps(b)[:300])
    ok(any("the burst begins here" in c["text"] for c in b["console"]),
       "busiest interval: the console line printed then", json.dumps(b["console"]))
    ph = [p for p in s["phases"] if "burst begins" in p["text"]]
    # The line comes 4 ms into the burst's 10 ms interval: 6/10 of the burst is after it.
    ok(ph and 300 <= ph[0]["exits"] < 320 and ph[0]["top_reason"] == "30 IO_INSTRUCTION",
       "console phases: the burst's exits after its console line, split by time (300 of 500, plus a few later exits)",
       json.dumps(ph)[:300])
    ok(abs(sum(p["exits"] for p in s["phases"]) - s["total_exits"]) < 0.5,
       "console phases add up to all exits", str(sum(p["exits"] for p in s["phases"])))
    bp = s.get("boot_phases") or []
    ok(len(bp) == 4 and bp[1]["top_reasons"][0]["name"] == "IO_INSTRUCTION" and bp[1]["exits"] >= 500
       and bp[0]["top_reasons"][0]["name"] == "EPT_VIOLATION",
       "boot phases: EPT violations before the first console line, the IO burst during kernel init",
       json.dumps(bp)[:400])
    in_life = sum(iv for k, iv in enumerate(
        sum(t.get(r, (0, 0))[0] for r in t) - sum(tables[k - 1].get(r, (0, 0))[0] for r in tables[k - 1])
        for k, t in enumerate(tables)) if k and 0.005 <= (k - 0.5) * 0.01 < 0.56)
    ok(sum(p["exits"] for p in bp) == in_life, f"boot phases add up to the exits of the VM's life ({in_life})",
       str([p["exits"] for p in bp]))
    ok("busiest interval" in stdout and "30 IO_INSTRUCTION" in stdout and "the burst begins here" in stdout,
       "the printed summary names the busiest interval and its console line")
    ok(s["checks"]["reasons_checked"] == len(want), "summary.json records the checks")
    con = list(csv.DictReader(open(os.path.join(out, "console.csv"))))
    ok(con and abs(float(con[0]["time_s"]) - 0.005) < 1e-6 and con[0]["stream"] == "start",
       "console.csv: times on the sampler's clock (origin subtracted)")
    for f in ("totals.csv", "console_exits.csv", "metadata.json", "summary.txt", "exits_per_s.dat",
              "exits_per_s.gp", "totals.dat", "totals.gp"):
        ok(os.path.getsize(os.path.join(out, f)) > 0, f"{f} written")
    if shutil.which("gnuplot"):
        for f in ("exits_per_s.png", "exits_per_s.svg", "totals.png", "totals.svg"):
            p = os.path.join(out, f)
            ok(os.path.exists(p) and os.path.getsize(p) > 1000, f"{f} drawn by gnuplot")
    else:
        print("# skip: no gnuplot, no PNG/SVG check")
    dat = open(os.path.join(out, "exits_per_s.dat")).read()
    ok("30 IO_INSTRUCTION" in dat, "the stacked plot's data names its reasons")
    r = analyze(os.path.join(os.path.dirname(out), "raw1"), out)
    ok(r.returncode == 3 and "never overwritten" in r.stderr, "a second analysis into the same directory is refused",
       r.stderr)


def helper_run_tests(tmp):
    r = subprocess.run([HELPER, "run", "--", "sh", "-c", "echo one; echo two >&2; printf 'three\\r\\n'; exit 3"],
                       capture_output=True, text=True)
    lines = [ln.split(" ", 3) for ln in r.stdout.splitlines()]
    tags = [ln[2] for ln in lines]
    ok(r.returncode == 3 and tags[0] == "start" and tags[-1] == "exit" and lines[-1][3] == "status 3",
       "run: exit status passed on, start and exit lines", r.stdout)
    texts = {ln[3] for ln in lines if ln[2] in ("out", "err")}
    ok(texts == {"one", "two", "three"}, "run: stdout and stderr lines, CR stripped", str(texts))
    times = [float(ln[0]) for ln in lines]
    ok(all(float(ln[0]) <= float(ln[1]) for ln in lines) and max(times) - min(times) < 5,
       "run: first-byte time <= last-byte time, CLOCK_MONOTONIC seconds")
    now = float(subprocess.run([HELPER, "now"], capture_output=True, text=True).stdout)
    ok(abs(now - times[-1]) < 5, "now: the same clock")
    r = subprocess.run([HELPER, "run", "--timeout", "0.3", "--", "sleep", "5"], capture_output=True, text=True)
    ok(r.returncode == 124 and " timeout " in r.stdout, "run: --timeout stops the command, exit 124", r.stdout)
    r = subprocess.run([HELPER, "run", "--", "/nonexistent/qemu"], capture_output=True, text=True)
    ok(r.returncode == 127 and "cannot run /nonexistent/qemu" in r.stdout, "run: a missing command, exit 127")
    r = subprocess.run([HELPER, "run", "--", "sh", "-c", "kill -9 $$"], capture_output=True, text=True)
    ok(r.returncode == 137 and "exit signal 9" in r.stdout, "run: killed by a signal, exit 128+N")
    r = subprocess.run([HELPER, "bogus"], capture_output=True, text=True)
    ok(r.returncode == 125 and "usage" in r.stderr, "bad subcommand: usage, exit 125")


def cli_tests(tmp):
    bp = os.path.join(TOP, "boot_profile")
    res = os.path.join(tmp, "results")

    def run(args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([bp, *args], capture_output=True, text=True, env=e, timeout=300)

    r = run(["--help"])
    ok(r.returncode == 0 and "--guest-kernel" in r.stdout and "Exit status" in r.stdout, "--help")
    for args, want in [(["--bogus"], "unknown argument"),
                       (["--env", "vmware"], "unknown --env"),
                       (["--env", "qemu-tcg", "--interval", "5 ms"], "--interval wants"),
                       (["--env", "qemu-tcg", "--interval", "20s"], "--interval wants"),
                       (["--env", "qemu-tcg", "--top", "0"], "--top wants"),
                       (["--env", "native"], "give its command after --"),
                       (["--env", "native", "--guest-kernel", "x", "--", "true"], "needs --env bochs or qemu-tcg"),
                       (["--env", "qemu-tcg", "--", "qemu-system-x86_64"], "for --env native"),
                       (["--env", "qemu-tcg", "--guest-kernel", "/nonexistent"], "no such file"),
                       (["--env", "qemu-tcg", "--guest-kernel", "/tmp"], "--guest-kernel /tmp: is a directory"),
                       (["--env", "qemu-tcg", "--guest-append", "a'b"], "quotes"),
                       (["--env", "qemu-kvm"], "not offered")]:
        r = run(args + ["--results", res])
        ok(r.returncode == 2 and want in r.stderr, f"{' '.join(args)}: exit 2, '{want}'", r.stderr[-300:])
    ok(not os.path.exists(res) or not os.listdir(res), "usage errors leave no run directory")

    # --env native on this host: its kernel has no exit-stats table.
    r = run(["--env", "native", "--results", res, "--", "true"])
    reason = "exit-stats patch series" if os.path.exists("/sys/kernel/debug/kvm") else "debugfs is not mounted"
    if os.path.exists("/sys/kernel/debug/kvm/exit_reasons"):
        print("# skip: this host's kernel has the exit-stats table; the refusal is not tested here")
    elif not os.path.exists("/dev/kvm"):
        ok(r.returncode == 3 and "needs /dev/kvm" in r.stderr, "--env native without /dev/kvm: refused", r.stderr)
    else:
        ok(r.returncode == 3 and reason in r.stderr and "--env bochs or qemu-tcg" in r.stderr,
           f"--env native on a kernel without the counters: exit 3, '{reason}', what to do", r.stderr[-400:])
        # In a private mount namespace with debugfs mounted, the reason is the kernel's.
        if shutil.which("unshare") and os.geteuid() == 0:
            rr = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t debugfs none /sys/kernel/debug && "
                                 f"exec {bp} --env native --results {res} -- true"],
                                capture_output=True, text=True, timeout=120)
            if "mount" in rr.stderr and rr.returncode != 3:
                print("# skip: cannot mount debugfs in a mount namespace here")
            else:
                ok(rr.returncode == 3 and "does not have the exit-stats patch series" in rr.stderr,
                   "--env native, debugfs mounted, stock kernel: 'does not have the exit-stats patch series'",
                   rr.stderr[-400:])
    ok(not [d for d in (os.listdir(res) if os.path.exists(res) else []) if not d.startswith(".")],
       "refusals leave no complete-looking run directory")

    if os.path.exists("/dev/kvm"):
        native_fake_run(tmp, run)
    else:
        print("# skip: no /dev/kvm, the native run against a fake table is not tested")


FAKE_VM = r"""#!/bin/sh
# A fake VM for tests: prints a console and moves the fake table's counters.
t=$1
put() { printf '# vendor vmx\n# reason count cycles l2_count l2_cycles name\n%s' "$1" >"$t.new" && mv "$t.new" "$t"; }
sleep 0.05
echo "Linux version fake"
put '10 30 3000 0 0 CPUID
48 40 8000 0 0 EPT_VIOLATION
'
sleep 0.05
echo "fake: burst of IO now"
put '10 30 3000 0 0 CPUID
30 900 90000 0 0 IO_INSTRUCTION
48 40 8000 0 0 EPT_VIOLATION
'
sleep 0.05
echo "Run /init as init process"
put '10 30 3000 0 0 CPUID
12 2 40000 0 0 HLT
30 905 91000 0 0 IO_INSTRUCTION
48 40 8000 0 0 EPT_VIOLATION
'
sleep 0.03
echo "reboot: Power down"
"""


def native_fake_run(tmp, run):
    table = os.path.join(tmp, "fake_table")
    with open(table, "w") as f:
        f.write("# vendor vmx\n# reason count cycles l2_count l2_cycles name\n10 10 1000 0 0 CPUID\n")
    vm = os.path.join(tmp, "fake_vm.sh")
    with open(vm, "w") as f:
        f.write(FAKE_VM)
    os.chmod(vm, 0o755)
    res = os.path.join(tmp, "results-native")
    r = run(["--env", "native", "--results", res, "--", vm, table], env={"EXITBENCH_PROFILE_TABLE": table})
    dirs = [d for d in os.listdir(res)] if os.path.exists(res) else []
    done = [d for d in dirs if not d.startswith(".")]
    if not ok(r.returncode == 0 and len(done) == 1 and done[0].endswith("-boot-native"),
              "native run (fake table, fake VM): exit 0, results/<id>-boot-native", r.stderr[-600:]):
        return
    d = os.path.join(res, done[0])
    s = json.load(open(os.path.join(d, "summary.json")))
    got = {x["name"]: x["exits"] for x in s["reasons"]}
    ok(got == {"IO_INSTRUCTION": 905, "EPT_VIOLATION": 40, "CPUID": 20, "HLT": 2},
       "native run: totals are the fake counters' growth", str(got))
    b = s["busiest_interval"]
    ok(b and b["reasons"] and b["reasons"][0]["name"] == "IO_INSTRUCTION" and b["exits"] == 900 and
       any("burst of IO" in c["text"] for c in b["console"]),
       "native run: the busiest interval is the IO burst, with its console line", json.dumps(b)[:400])
    ok("total exits: 967" in r.stdout, "native run: the summary is printed", r.stdout[:300])
    for f in ("timeline.csv", "totals.csv", "console.csv", "metadata.json", "raw/timeline.csv.gz"):
        ok(os.path.exists(os.path.join(d, f)), f"native run: {f}")
    # A VM that fails: no power-off line.
    res2 = os.path.join(tmp, "results-native-fail")
    r = run(["--env", "native", "--results", res2, "--", "sh", "-c", "echo hello; exit 0"],
            env={"EXITBENCH_PROFILE_TABLE": table})
    dirs = os.listdir(res2) if os.path.exists(res2) else []
    ok(r.returncode == 3 and "never powered off" in r.stderr and dirs and all(x.startswith(".") for x in dirs)
       and os.path.exists(os.path.join(res2, dirs[0], "FAILED")) and
       not os.path.exists(os.path.join(res2, dirs[0], "summary.json")),
       "native run of a guest that does not power off: exit 3, says so, only .partial with FAILED",
       r.stderr[-400:])


if __name__ == "__main__":
    sys.exit(main())
