#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_result.py JSON EXIT_CODE VENDOR: assert what one exit test's result
must show on this platform. Prints a one-line summary; exit 1 on a problem."""
import json
import math
import sys

# Exits every KVM shows exactly, whatever the vendor: halt_exits and
# hypercalls are bumped in common x86 code; the vmm source sees userspace exits.
EXACT_ANYWHERE = {
    "exit_hlt": "stats-fd",
    "exit_vmcall": "stats-fd",
    "exit_io_user": "vmm",
    "exit_mmio": "vmm",
    "exit_triple_fault": "vmm",
}


def fail(msg):
    print(msg)
    sys.exit(1)


def main():
    path, rc, vendor = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        r = json.load(open(path))
    except (OSError, ValueError) as e:
        fail(f"no valid JSON result ({e})")
    name = r["name"]
    if r["schema_version"] != 1:
        fail("schema_version")
    if rc == 4:
        if r["status"] != "skip" or not r.get("status_reason"):
            fail(f"exit 4 but status {r['status']!r}, reason {r.get('status_reason')!r}")
        print(f"skip, with reason: {r['status_reason']}")
        return
    if rc != 0 or r["status"] != "pass":
        fail(f"exit {rc}, status {r['status']}: {r.get('status_reason')}")
    cpe, a = r["cycles_per_exit"], r["attribution"]
    samples = r["samples"]
    if len(samples) != r["trials"] or not all(isinstance(s, (int, float)) and math.isfinite(s) for s in samples):
        fail(f"samples {samples} do not match trials {r['trials']}")
    if not (cpe["median"] > 0 and cpe["min"] <= cpe["p10"] <= cpe["median"] <= cpe["p90"] <= cpe["max"]):
        fail(f"cycle figures not sane/monotone: {cpe}")
    ns = r["ns_per_exit"]["median"]
    if abs(ns - cpe["median"] * 1e6 / r["tsc_khz"]) > 1e-6 * max(1.0, ns):
        fail(f"ns_per_exit {ns} does not follow from tsc_khz {r['tsc_khz']}")
    if a["verdict"] not in ("exact", "within", "unverified"):
        fail(f"verdict {a['verdict']}")
    epi = r["exits_per_iteration"]
    harness = a["harness_exits_per_trial"]
    if r["timing"] != "guest-self" and a["expected"] is not None and \
            a["expected"] != a["windows"] * (r["iterations"] * epi + harness):
        fail(f"expected {a['expected']} != windows*(iterations*{epi}+{harness})")
    if a["windows"] is not None and a["source"] and a["source"] != "tracepoint" and a["windows"] != r["trials"]:
        fail(f"{a['windows']} windows for {r['trials']} trials")
    want = EXACT_ANYWHERE.get(name)
    if vendor in ("vmx", "svm") and a["verdict"] == "unverified":
        usable = [s["name"] for s in a["sources"] if s["usable"]]
        if "tracepoint" in usable:
            fail("tracepoint usable on VMX/SVM yet the verdict is unverified")
    if want:
        if a["source"] is None or a["verdict"] != "exact":
            fail(f"{name} must be counted exactly (by {want} at least); got {a['verdict']} by {a['source']}")
        src = {s["name"]: s for s in a["sources"]}
        if src.get(want, {}).get("verdict") != "exact":
            fail(f"{want} did not count {name} exactly: {src.get(want)}")
    print(f"{cpe['median']:.1f} cycles/exit (CV {cpe['cv'] * 100:.1f}%), "
          f"{a['verdict']} by {a['source'] or 'no source'}")


main()
