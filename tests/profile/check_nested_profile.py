#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check the level split of a real ./boot_profile --nested run.

usage: check_nested_profile.py RUN_DIR

From the run's own raw tables (the kernel's l2_count column, read before
and after the VM) and its files: the nested guest (L2) took exits; per
reason L1 + L2 = all, in totals.csv, summary.json and every row of
timeline.csv, and the timeline's L1 and L2 deltas add up to each level's
counter growth; the guest hypervisor's instructions for running its
guest (SVM: VMRUN, VMLOAD, VMSAVE, CLGI; VMX: VMLAUNCH, VMRESUME, VMREAD,
VMWRITE) are all L1's exits; the nested guest's I/O and nested page faults (SVM IOIO
and NPF; VMX IO_INSTRUCTION and EPT_VIOLATION) appear as L2's; one plot
per level was drawn. Prints ok / not ok lines and, last, the split of the
top reasons; exit status 1 on a failure, 2 on a usage error.
"""
import csv
import json
import os
import sys

# The guest hypervisor's instructions for running its guest: exits of L1
# only. Not STGI: a Linux nested guest with KVM runs one when it powers off
# (kvm_cpu_svm_disable() sets GIF before it clears EFER.SVME): 1 L2 exit.
L1_ONLY = {"svm": {"0x80": "vmrun", "0x82": "vmload", "0x83": "vmsave", "0x85": "clgi"},
           "vmx": {"20": "VMLAUNCH", "24": "VMRESUME", "23": "VMREAD", "25": "VMWRITE"}}
# What the nested guest does when it boots: exits of L2.
L2_SEEN = {"svm": {"0x7b": "io", "0x400": "npf"}, "vmx": {"30": "IO_INSTRUCTION", "48": "EPT_VIOLATION"}}
fails = 0


def check(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what)
    fails += not cond
    return cond


def table(path):
    """{reason: (exits, l2_exits)} of a raw debugfs table."""
    rows = {}
    lines = open(path, encoding="utf-8").read().splitlines()
    for line in lines[2:]:
        f = line.split(" ")  # reason count cycles l2_count l2_cycles name
        rows[f[0]] = (int(f[1]), int(f[3]))
    return rows


def main(argv):
    if len(argv) != 2 or not os.path.isfile(os.path.join(argv[1], "summary.json")):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    run = argv[1]
    s = json.load(open(os.path.join(run, "summary.json")))
    m = json.load(open(os.path.join(run, "metadata.json")))
    vendor = s["vendor"]
    check(m.get("nested") is True and "levels" in s, "a --nested run: summary.json has the levels")
    lv = s.get("levels") or {"l1": {"exits": 0}, "l2": {"exits": 0}}
    check(lv["l2"]["exits"] > 0, f"the nested guest (L2) took exits: {lv['l2']['exits']}")
    check(lv["l1"]["exits"] > 0, f"the guest hypervisor (L1) took exits: {lv['l1']['exits']}")
    check(lv["l1"]["exits"] + lv["l2"]["exits"] == s["total_exits"],
          f"L1 + L2 = all exits ({lv['l1']['exits']} + {lv['l2']['exits']} = {s['total_exits']})")

    before = table(os.path.join(run, "raw", "table_before.txt"))
    after = table(os.path.join(run, "raw", "table_after.txt"))
    want = {r: (a[0] - before.get(r, (0, 0))[0], a[1] - before.get(r, (0, 0))[1]) for r, a in after.items()}
    want = {r: v for r, v in want.items() if v[0]}
    got = {x["reason"]: (x["exits"], x["l2_exits"]) for x in s["reasons"] if x["exits"]}
    check(got == want, f"summary.json: per reason all and L2 exits = the kernel's counter growth ({len(want)} reasons)")
    check(all(x["l1_exits"] + x["l2_exits"] == x["exits"] for x in s["reasons"]),
          "summary.json: L1 + L2 = all per reason")
    tot = list(csv.DictReader(open(os.path.join(run, "totals.csv"))))
    check(tot and all(int(x["l1_exits"]) + int(x["l2_exits"]) == int(x["exits"]) for x in tot) and
          {x["reason"]: (int(x["exits"]), int(x["l2_exits"])) for x in tot if int(x["exits"])} == want,
          "totals.csv: L1 + L2 = all per reason, L2 = the L2 counter growth")
    sums, rows_ok, n = {}, True, 0
    for x in csv.DictReader(open(os.path.join(run, "timeline.csv"))):
        n += 1
        a = sums.setdefault(x["reason"], [0, 0])
        a[0] += int(x["l1_exits_delta"])
        a[1] += int(x["l2_exits_delta"])
        rows_ok &= int(x["l1_exits_delta"]) + int(x["l2_exits_delta"]) == int(x["exits_delta"]) and \
            int(x["l1_exits"]) + int(x["l2_exits"]) == int(x["exits"])
    check(rows_ok and n > 0, f"timeline.csv: L1 + L2 = all in each of its {n} rows")
    check({r: (v[0] + v[1], v[1]) for r, v in sums.items() if v[0] + v[1]} == want,
          "timeline.csv: per reason the L1 and L2 deltas add up to each level's counter growth")

    by = {x["reason"]: x for x in s["reasons"]}
    for code, name in L1_ONLY.get(vendor, {}).items():
        x = by.get(code)
        if code in ("0x80", "24", "20") or x:
            check(x is not None and x["l1_exits"] > 0 and x["l2_exits"] == 0,
                  f"{code} {name}: all {x['exits'] if x else 0} exits are L1's (the guest hypervisor's own)")
    for code, name in L2_SEEN.get(vendor, {}).items():
        x = by.get(code)
        check(x is not None and x["l2_exits"] > 0,
              f"{code} {name}: the nested guest's appear as L2's ({x['l2_exits'] if x else 0} of "
              f"{x['exits'] if x else 0})")
    for f in ("exits_per_s_l1", "exits_per_s_l2"):
        check(os.path.getsize(os.path.join(run, f + ".dat")) > 0 and
              (os.path.exists(os.path.join(run, f + ".png")) or "gnuplot not found" in " ".join(s.get("plots", []))),
              f"{f}: one stacked plot per level")
    txt = open(os.path.join(run, "summary.txt")).read()
    check("L2, the nested guest: " in txt and "L1, the guest hypervisor itself: " in txt,
          "summary.txt says how many exits were L2's and L1's")
    print(f"# split: L1 {lv['l1']['exits']} exits, L2 {lv['l2']['exits']} of {s['total_exits']}; top reasons: "
          + "; ".join(f"{x['reason']} {x['name']} L1 {x['l1_exits']} L2 {x['l2_exits']}" for x in s["reasons"][:8]))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
