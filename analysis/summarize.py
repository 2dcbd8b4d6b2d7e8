#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Merge one run's per-test JSON files into summary.json and summary.csv.

usage: python3 -m analysis.summarize RUN_DIR [--env NAME] [--no-table | --table-only]

RUN_DIR holds metadata.json (from exitbench_info), exit_*.json (from each
test's --json) and exit_*.status (the test's exit code, one line). A test
with a status but no JSON is recorded as an error, never dropped. The summary
files are written last, through a temporary name, so a run that fails before
this point leaves no summary at all. Prints the table to stdout (--no-table:
only write the files; --table-only: only print the table of a summary.json
already written).

Every number read is checked (type, range, finite): a malformed file is an
error naming the file and the field. Figures a test did not measure (a
skip, an error) and cycle figures that are not positive are shown as '-'.
Exit status: 0 done, 2 bad input (a missing, malformed or unknown file),
3 a write failed (the summary files, or stdout).
"""
import csv
import json
import math
import os
import sys

from analysis.cli import EXIT_USAGE, ToolError, loads_strict, run, usage_hint, write_stdout

SCHEMA_VERSION = 1
TABLE_COLUMNS = [
    ("test", "test"),
    ("reason", "reason"),
    ("cycles/exit", "median TSC cycles per exit"),
    ("CV%", "coefficient of variation over trials, %"),
    ("ns/exit", "median ns per exit"),
    ("expected", "exits of the reason expected"),
    ("counted", "exits counted by the source"),
    ("source", "counter source"),
    ("verdict", "attribution verdict"),
    ("status", "pass, fail, skip or error"),
]


# The kernel's own KVM selftests run in a kernel under test: kselftest-NAME.status/.tap.
KSELFTEST = "kselftest-"


class SummaryError(Exception):
    """Bad input (exit 2): the message names the file."""


def read_status(path):
    try:
        with open(path, encoding="utf-8") as f:
            line = f.read().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise SummaryError(f"{path}: cannot read: {e}") from e
    if not line.isdigit() or int(line) > 255:
        raise SummaryError(f"{path}: line 1: not an exit code (0-255): {line!r}")
    return int(line)


def collect_kselftests(run_dir):
    """[{name, exit_code, status, totals}] of the kernel selftests that ran."""
    out = []
    for f in sorted(os.listdir(run_dir)):
        if not (f.startswith(KSELFTEST) and f.endswith(".status")):
            continue
        name = f[len(KSELFTEST):-len(".status")]
        rc = read_status(os.path.join(run_dir, f))
        totals = None
        tap = os.path.join(run_dir, f"{KSELFTEST}{name}.tap")
        if os.path.exists(tap):
            with open(tap, encoding="utf-8", errors="replace") as t:
                totals = next((line.strip("# \n") for line in t if line.startswith("# Totals:")), None)
        # kselftest exit codes: 0 pass, 4 skip, anything else a failure.
        status = {0: "pass", 4: "skip"}.get(rc, "fail")
        out.append({"name": name, "exit_code": rc, "status": status, "totals": totals})
    return out


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return loads_strict(f.read())
    except (OSError, ValueError) as e:
        raise SummaryError(f"{path}: cannot read JSON: {e}") from e


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_test(path, t):
    """The fields the summary and the table read, with their types and ranges."""
    def bad(field, what):
        raise SummaryError(f"{path}: {field}: {what}; the file is damaged: run the test again")

    if not isinstance(t, dict):
        bad("(top level)", "not a JSON object")
    if t.get("status") not in ("pass", "fail", "skip"):
        bad("status", f"{t.get('status')!r} is not pass, fail or skip")
    for key in ("iterations", "trials"):
        v = t.get(key)
        if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
            bad(key, f"{v!r} is not a whole number >= 0")
    for key in ("cycles_per_exit", "ns_per_exit"):
        block = t.get(key)
        if block is None:
            continue
        if not isinstance(block, dict):
            bad(key, "not a JSON object")
        for k, v in block.items():
            if v is not None and not is_num(v):
                bad(f"{key}.{k}", f"{v!r} is not a finite number")
        if block.get("cv") is not None and block["cv"] < 0:
            bad(f"{key}.cv", f"{block['cv']!r} is negative")
    samples = t.get("samples")
    if samples is not None:
        if not isinstance(samples, list):
            bad("samples", "not a JSON array")
        for i, v in enumerate(samples):
            if not is_num(v):
                bad(f"samples[{i}]", f"{v!r} is not a finite number")
    tsc = t.get("tsc_khz")
    if tsc is not None and not (isinstance(tsc, int) and not isinstance(tsc, bool) and tsc > 0):
        bad("tsc_khz", f"{tsc!r} is not a positive whole number of kHz")
    a = t.get("attribution")
    if a is not None:
        if not isinstance(a, dict):
            bad("attribution", "not a JSON object")
        for key in ("expected", "counted", "other", "windows"):
            v = a.get(key)
            if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
                bad(f"attribution.{key}", f"{v!r} is not a whole number of exits >= 0")


def fmt(v, digits=1):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def figure(v, digits=1):
    """A measured figure for the table: '-' unless finite and positive."""
    return fmt(float(v), digits) if is_num(v) and v > 0 else "-"


def collect(run_dir):
    meta_path = os.path.join(run_dir, "metadata.json")
    if not os.path.exists(meta_path):
        raise SummaryError(f"{meta_path}: missing (exitbench_info did not run)")
    meta = load_json(meta_path)
    tests = []
    names = sorted(f[:-len(".status")] for f in os.listdir(run_dir)
                   if f.endswith(".status") and not f.startswith(KSELFTEST))
    if not names:
        raise SummaryError(f"{run_dir}: no test ran (no *.status files)")
    for name in names:
        rc = read_status(os.path.join(run_dir, name + ".status"))
        jpath = os.path.join(run_dir, name + ".json")
        if os.path.exists(jpath):
            t = load_json(jpath)
            if not isinstance(t, dict) or t.get("schema_version") != SCHEMA_VERSION:
                raise SummaryError(f"{jpath}: schema_version "
                                   f"{t.get('schema_version') if isinstance(t, dict) else None!r}, "
                                   f"expected {SCHEMA_VERSION}: not a result of this kvm-exitbench")
            check_test(jpath, t)
            t.pop("host", None)  # the same for every test: kept once, in metadata
            t["exit_code"] = rc
        else:
            tap = os.path.join(run_dir, name + ".tap")
            tail = ""
            if os.path.exists(tap):
                with open(tap, encoding="utf-8", errors="replace") as f:
                    tail = " | ".join(line.strip() for line in f.readlines()[-3:])
            t = {"name": name, "status": "error", "exit_code": rc,
                 "status_reason": f"exited {rc} without writing a result: {tail}"}
        tests.append(t)
    return meta, tests


def row(t):
    a = t.get("attribution") or {}
    cpe = t.get("cycles_per_exit") or {}
    ns = t.get("ns_per_exit") or {}
    cv = cpe.get("cv")
    # Cycle figures only for what was measured: a skip (not measurable here,
    # or not run) and an error have none, whatever the JSON holds.
    measured = t["status"] in ("pass", "fail") and is_num(cpe.get("median")) and cpe["median"] > 0
    return [
        t["name"],
        (t.get("reason") or {}).get("name") or "-",
        figure(cpe.get("median")) if measured else "-",
        fmt(cv * 100.0) if measured and is_num(cv) else "-",
        figure(ns.get("median")) if measured else "-",
        fmt(a.get("expected")),
        fmt(a.get("counted")),
        a.get("source") or "-",
        a.get("verdict") or "-",
        t["status"],
    ]


def write_atomic(path, writer):
    tmp = path + ".partial"
    if os.path.exists(path):
        raise SummaryError(f"{path}: already exists; results are never overwritten")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ToolError(f"cannot write {path}: {e.strerror or e}") from e


PROG = "summarize"
SYNOPSIS = "python3 -m analysis.summarize RUN_DIR [--env NAME] [--no-table | --table-only]"


def table_text(summary):
    tests = summary["tests"]
    meta = summary["metadata"]
    rows = [[c[0] for c in TABLE_COLUMNS]] + [row(t) for t in tests]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        out.append("  ".join(v.rjust(widths[i]) if 2 <= i <= 6 else v.ljust(widths[i])
                             for i, v in enumerate(r)).rstrip())
    khz = meta.get("tsc_khz")
    rate = f"{khz} kHz" if is_num(khz) and khz > 0 else "TSC rate unknown"
    out.append(f"units: cycles/exit in TSC cycles ({rate}), ns/exit in ns; "
               f"kernel {meta.get('kernel') or 'unknown'}, vendor {meta.get('vendor') or 'unknown'}")
    for t in tests:
        if t["status"] in ("skip", "fail", "error") and t.get("status_reason"):
            out.append(f"{t['status']}: {t['name']}: {t['status_reason']}")
    for k in summary.get("kernel_selftests") or []:
        out.append(f"kernel selftest {k['name']}: {k['status']} (exit {k['exit_code']}; "
                   f"{k['totals'] or 'no totals line'})")
    return "\n".join(out) + "\n"


def main(argv):
    args = argv[1:]
    if args and args[0] in ("-h", "--help"):
        write_stdout(__doc__.strip() + "\n")
        return 0
    run_dir = None
    extra = {}
    mode = "both"
    while args:
        a = args.pop(0)
        if a == "--env":
            if not args:
                return usage("--env needs a name (native, bochs, qemu-tcg, qemu-kvm)")
            extra["environment"] = args.pop(0)
        elif a in ("--no-table", "--table-only"):
            if mode != "both":
                return usage("--no-table and --table-only exclude each other")
            mode = a[2:]
        elif a.startswith("-"):
            return usage(f"unknown option {a!r}")
        elif run_dir is None:
            run_dir = a
        else:
            return usage(f"one RUN_DIR only (got {run_dir!r} and {a!r})")
    if run_dir is None:
        return usage("give the run directory")
    if not os.path.isdir(run_dir):
        return usage(f"{run_dir}: {'not a directory' if os.path.exists(run_dir) else 'no such directory'}")
    if mode == "table-only":
        try:
            summary = load_json(os.path.join(run_dir, "summary.json"))
        except SummaryError as e:
            print(f"{PROG}: {e}", file=sys.stderr)
            return EXIT_USAGE
        write_stdout(table_text(summary))
        return 0
    try:
        meta, tests = collect(run_dir)
        env_path = os.path.join(run_dir, "environment.json")
        if os.path.exists(env_path):
            extra["environment_detail"] = load_json(env_path)
        sources = sorted({s["name"] for t in tests
                          for s in (t.get("attribution") or {}).get("sources", []) if s.get("usable")})
        summary = {
            "schema_version": SCHEMA_VERSION,
            "run_id": os.path.basename(os.path.normpath(run_dir)).removesuffix(".partial").removeprefix("."),
            "metadata": dict(meta, counter_sources=sources,
                             environment=extra.get("environment", "native"),
                             **({"environment_detail": extra["environment_detail"]}
                                if "environment_detail" in extra else {})),
            "units": {"cycles_per_exit": "TSC cycles", "ns_per_exit": "ns",
                      "samples": "TSC cycles per exit, one per trial"},
            "tests": tests,
            "kernel_selftests": collect_kselftests(run_dir),
        }
        summary["metadata"].pop("schema_version", None)

        def write_csv(f):
            w = csv.writer(f)
            w.writerow(["test", "reason", "vmx_reason", "svm_reason", "iterations", "trials",
                        "cycles_per_exit_median", "cycles_per_exit_p10", "cycles_per_exit_p90",
                        "cycles_per_exit_cv", "ns_per_exit_median", "exits_expected",
                        "exits_counted", "exits_other", "counter_source", "verdict",
                        "kernel_cycles_per_exit", "status", "status_reason"])
            for t in tests:
                a = t.get("attribution") or {}
                c = t.get("cycles_per_exit") or {}
                r = t.get("reason") or {}
                w.writerow([t["name"], r.get("name"), r.get("vmx"), r.get("svm"),
                            t.get("iterations"), t.get("trials"), c.get("median"), c.get("p10"),
                            c.get("p90"), c.get("cv"), (t.get("ns_per_exit") or {}).get("median"),
                            a.get("expected"), a.get("counted"), a.get("other"), a.get("source"),
                            a.get("verdict"), (a.get("kernel_cycles") or {}).get("per_exit"),
                            t["status"], t.get("status_reason")])

        write_atomic(os.path.join(run_dir, "summary.csv"), write_csv)
        write_atomic(os.path.join(run_dir, "summary.json"),
                     lambda f: (json.dump(summary, f, indent=1, allow_nan=False), f.write("\n")))
    except SummaryError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_USAGE
    if mode == "both":
        write_stdout(table_text(summary))
    return 0


def usage(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)
    print(usage_hint(PROG, SYNOPSIS), file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(run(PROG, main, sys.argv))
