#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check one ./check_kernel diagnosis (check_kernel.json) against what a
kernel is known to have: the interface it was read through, the finding of
every test (those not named: "counted exactly"; those the reference run on
the stock kernel could not check here: "not checked" too), the wrong names
and the wrong conventions; with --cpus and --vcpus, that the run had that
many CPUs (the emulated machine's, online inside it) and vCPUs in each test
that ran. Prints one line; exit 0 when the diagnosis names
exactly the bugs given, 1 when not, 2 bad input.

usage: check_course.py JSON --interface NAME [--found REGEX] [--reference JSON]
         [--expect TEST=FINDING-REGEX]... [--names CODE,CODE...] [--convention]
         [--cpus N] [--vcpus N]
"""
import argparse
import glob
import json
import os
import re
import sys


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("usage: ")[1])
    ap.add_argument("json")
    ap.add_argument("--interface", required=True)
    ap.add_argument("--found", default=None)
    ap.add_argument("--reference", default=None)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--names", default="")
    ap.add_argument("--convention", action="store_true")
    ap.add_argument("--cpus", type=int, default=None)
    ap.add_argument("--vcpus", type=int, default=None)
    a = ap.parse_args()
    run = os.path.dirname(os.path.abspath(a.json))
    try:
        d = json.load(open(a.json))
        ref = json.load(open(a.reference)) if a.reference else None
        env = json.load(open(os.path.join(run, "environment.json"))) if a.cpus else {}
        meta = json.load(open(os.path.join(run, "metadata.json"))) if a.cpus else {}
        results = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(run, "exit_*.json")))] \
            if a.vcpus else []
    except (OSError, ValueError) as e:
        print(f"check_course.py: {e}", file=sys.stderr)
        return 2
    want = {}
    for e in a.expect:
        t, _, f = e.partition("=")
        want["exit_" + t if not t.startswith("exit_") else t] = f
    skipped = {t["test"] for t in (ref or {}).get("tests", []) if t["finding"] == "not checked"}
    wrong = []
    for t in d["tests"]:
        exp = want.get(t["test"], "not checked" if t["test"] in skipped else "counted exactly")
        # A test the platform skipped this time names no bug, and no false one.
        if t["finding"] == "not checked" and t["test"] not in want:
            continue
        if not re.fullmatch(exp, t["finding"]):
            wrong.append(f"{t['test']}: {t['finding']} ({t.get('detail')}), want {exp}")
        if t["finding"] != "not checked" and t.get("interface") != a.interface:
            wrong.append(f"{t['test']}: read through {t.get('interface')}, want {a.interface}")
    if a.cpus is not None:
        for where, got in (("environment.json emulated_cpus", env.get("emulated_cpus")),
                           ("metadata.json online_cpus", meta.get("online_cpus"))):
            if got != a.cpus:
                wrong.append(f"{where} is {got}, want {a.cpus}")
    for r in results:
        # A test that ran (an attribution) with another number of vCPUs.
        if r.get("attribution") and r.get("vcpus") != a.vcpus:
            wrong.append(f"{r.get('name')}: {r.get('vcpus')} vCPUs, want {a.vcpus}")
    if a.vcpus and not results:
        wrong.append("no exit_*.json results next to the diagnosis")
    missing = set(want) - {t["test"] for t in d["tests"]}
    wrong += [f"{t}: no result" for t in sorted(missing)]
    names = sorted(n["code"] for n in d["wrong_names"])
    want_names = sorted(int(c, 0) for c in a.names.split(",") if c)
    if names != want_names:
        wrong.append(f"wrong names for reasons {names}, want {want_names}")
    if bool(d["wrong_conventions"]) != a.convention:
        wrong.append(f"wrong conventions: {d['wrong_conventions'] or 'none'}, want "
                     f"{'one' if a.convention else 'none'}")
    if a.found:
        found = " ".join(i.get("found") or "" for i in d["interfaces"])
        if not re.search(a.found, found):
            wrong.append(f"interface found '{found}', want /{a.found}/")
    if d["all_exact"] != (not want and not want_names and not a.convention):
        wrong.append(f"all_exact is {d['all_exact']}")
    counts = ", ".join(f"{v} {k}" for k, v in sorted(d["summary"].items()))
    if wrong:
        print("; ".join(wrong))
        return 1
    print(f"{len(d['tests'])} tests ({counts}), {len(names)} wrong names, "
          f"{len(d['wrong_conventions'])} wrong conventions: as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
