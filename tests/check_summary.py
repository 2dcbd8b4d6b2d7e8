#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_summary.py RUN_DIR TEST...: the run directory holds a complete,
consistent summary.json and summary.csv naming exactly these tests."""
import csv
import json
import os
import sys


def fail(msg):
    print(msg)
    sys.exit(1)


run, names = sys.argv[1], sorted(sys.argv[2:])
s = json.load(open(os.path.join(run, "summary.json")))
if s["schema_version"] != 1:
    fail("schema_version")
m = s["metadata"]
for k in ("kernel", "cpu_model", "microcode", "vulnerabilities", "kvm_params", "tsc_khz",
          "counter_sources", "vendor", "environment"):
    if k not in m:
        fail(f"metadata lacks {k}")
got = sorted(t["name"] for t in s["tests"])
if got != names:
    fail(f"tests {got} != {names}")
for t in s["tests"]:
    for k in ("name", "reason", "iterations", "trials", "cycles_per_exit", "ns_per_exit",
              "samples", "attribution"):
        if k not in t:
            fail(f"{t['name']} lacks {k}")
    for k in ("median", "min", "max", "p10", "p90", "cv"):
        if k not in t["cycles_per_exit"]:
            fail(f"{t['name']} cycles_per_exit lacks {k}")
    for k in ("source", "expected", "counted", "other", "verdict"):
        if k not in t["attribution"]:
            fail(f"{t['name']} attribution lacks {k}")
    if not os.path.exists(os.path.join(run, t["name"] + ".json")):
        fail(f"no per-test JSON for {t['name']}")
rows = list(csv.DictReader(open(os.path.join(run, "summary.csv"))))
if sorted(r["test"] for r in rows) != names:
    fail("summary.csv rows do not match")
print(f"{len(names)} tests, metadata complete, CSV consistent")
