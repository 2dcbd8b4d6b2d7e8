#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Merge one run's per-test JSON files into summary.json and summary.csv.

usage: summarize.py RUN_DIR [--env NAME]

RUN_DIR holds metadata.json (from exitbench_info), exit_*.json (from each
test's --json) and exit_*.status (the test's exit code, one line). A test
with a status but no JSON is recorded as an error, never dropped. The summary
files are written last, through a temporary name, so a run that fails before
this point leaves no summary at all. Prints the table to stdout.
"""
import csv
import json
import math
import os
import sys

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
    pass


def read_status(path):
    with open(path, encoding="utf-8") as f:
        line = f.read().strip()
    try:
        return int(line)
    except ValueError as e:
        raise SummaryError(f"{path}: not an exit code: {line!r}") from e


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
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SummaryError(f"{path}: cannot read JSON: {e}") from e


def fmt(v, digits=1):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


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
            if t.get("schema_version") != SCHEMA_VERSION:
                raise SummaryError(f"{jpath}: schema_version {t.get('schema_version')!r}, expected {SCHEMA_VERSION}")
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
    def real(v):
        # JSON writes 1485.0 as 1485: figures keep one decimal whatever they are.
        return float(v) if isinstance(v, (int, float)) else v

    return [
        t["name"],
        (t.get("reason") or {}).get("name", "-"),
        fmt(real(cpe.get("median"))),
        fmt(cv * 100.0 if isinstance(cv, (int, float)) else None),
        fmt(real(ns.get("median"))),
        fmt(a.get("expected")),
        fmt(a.get("counted")),
        a.get("source") or "-",
        a.get("verdict") or "-",
        t["status"],
    ]


def write_atomic(path, writer):
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer(f)
    if os.path.exists(path):
        os.unlink(tmp)
        raise SummaryError(f"{path}: already exists; results are never overwritten")
    os.rename(tmp, path)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    run_dir = argv[1]
    extra = {}
    rest = argv[2:]
    while rest:
        if rest[0] == "--env" and len(rest) >= 2:
            extra["environment"] = rest[1]
            rest = rest[2:]
        else:
            print(f"summarize.py: unknown argument {rest[0]!r}", file=sys.stderr)
            return 2
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
                     lambda f: (json.dump(summary, f, indent=1), f.write("\n")))
    except SummaryError as e:
        print(f"summarize.py: {e}", file=sys.stderr)
        return 1

    rows = [[c[0] for c in TABLE_COLUMNS]] + [row(t) for t in tests]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(v.rjust(widths[i]) if 2 <= i <= 6 else v.ljust(widths[i])
                        for i, v in enumerate(r)).rstrip())
    print(f"units: cycles/exit in TSC cycles ({meta.get('tsc_khz')} kHz), ns/exit in ns; "
          f"kernel {meta.get('kernel')}, vendor {meta.get('vendor')}")
    for t in tests:
        if t["status"] in ("skip", "fail", "error") and t.get("status_reason"):
            print(f"{t['status']}: {t['name']}: {t['status_reason']}")
    for k in summary["kernel_selftests"]:
        print(f"kernel selftest {k['name']}: {k['status']} (exit {k['exit_code']}; {k['totals'] or 'no totals line'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
