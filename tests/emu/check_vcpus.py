#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_vcpus.py RUN_DIR VCPUS ITERATIONS: N vCPUs doing M exits each count N x M.

For every test of a run made with --vcpus VCPUS -n ITERATIONS: each vCPU's
attribution is exact and counts ITERATIONS exits of the test's reason per
window (plus the ucall of IO tests); every source of the summed attribution
counts exactly VCPUS times that (the CPUID leaves, which count every vCPU of
the host at once, included); and the one loop of the cross-check is counted
alike by every source. Prints ok / not ok lines; exits 1 if anything is wrong.
"""
import json
import os
import sys

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    failures += not cond
    return cond


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    run, nv, m = argv[1], int(argv[2]), int(argv[3])
    with open(os.path.join(run, "summary.json"), encoding="utf-8") as f:
        s = json.load(f)
    tests = [t for t in s["tests"] if t["status"] != "skip"]
    check(tests, f"{run}: tests ran ({len(s['tests'])}, {len(s['tests']) - len(tests)} skipped)")
    for t in tests:
        name, a = t["name"], t.get("attribution") or {}
        if not check(t["status"] == "pass", f"{name}: {t['status']} {t.get('status_reason') or ''}"):
            continue
        check(t["vcpus"] == nv and len(a["vcpus"] or []) == nv, f"{name}: {t['vcpus']} vCPUs")
        primary = next(p for p in a["plan"] if p["primary"])
        # Exits of the reason in one window, all vCPUs (the summed plan), and one vCPU's share.
        window_all = m * primary["per_iteration"] + primary["per_window"]
        per_vcpu = a["windows"] * window_all // nv
        for v in a["vcpus"]:
            check(v["verdict"] == "exact" and v["expected"] == per_vcpu and v["counted"] == per_vcpu,
                  f"{name}: vCPU {v['vcpu']}: {v['counted']} of {v['expected']} by {v['source']} "
                  f"(want {per_vcpu}), {v['verdict']}")
        for src in a["sources"]:
            if not src["usable"] or src["counted"] is None:
                continue
            # Each source over the windows it counted (the perturbing ones: the cross-check's only).
            want = src["windows"] * window_all
            check(src["verdict"] == "exact" and src["counted"] == want,
                  f"{name}: {src['name']}{' (every vCPU at once)' if src['all_vcpus'] else ''} "
                  f"counted {src['counted']} = {nv} x {want // nv} over {src['windows']} window(s): {src['verdict']}")
        xc = a.get("cross_check") or {}
        check(xc.get("agree") is True, f"{name}: the cross-check loop counted alike: {xc.get('counted')}")
    print(f"{'FAIL' if failures else 'PASS'}: {nv} vCPUs x {m} iterations, {len(tests)} tests, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
