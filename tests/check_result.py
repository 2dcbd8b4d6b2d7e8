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
    "exit_inl_from_qemu": "vmm",
    "exit_inl_from_pmtimer": "vmm",
}


def fail(msg):
    print(msg)
    sys.exit(1)


def check_plan(r, a):
    """The plan is the test's expectations resolved; the figures follow from it."""
    plan = a.get("plan")
    if not isinstance(plan, list):
        fail("attribution.plan missing")
    kinds = {p["kind"] for p in plan}
    if not kinds <= {"judged", "timing", "host", "harness"}:
        fail(f"unknown plan kinds {kinds}")
    primary = [p for p in plan if p["primary"]]
    if len(primary) > 1:
        fail(f"{len(primary)} primary reasons in the plan")
    for e in r["expected_exits"]:
        if not e["why"]:
            fail("an expected exit without a why")
    return primary[0] if primary else None


def main():
    path, rc, vendor = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        r = json.load(open(path))
    except (OSError, ValueError) as e:
        fail(f"no valid JSON result ({e})")
    name = r["name"]
    if r["schema_version"] != 1:
        fail("schema_version")
    # "Not measurable here" (CV above --max-cv): a skip whose attribution ran
    # and must hold like a pass's; its cycle figures are not judged.
    unsteady = rc == 4 and (r.get("status_reason") or "").startswith("not measurable here")
    if rc == 4 and not unsteady:
        if r["status"] != "skip" or not r.get("status_reason"):
            fail(f"exit 4 but status {r['status']!r}, reason {r.get('status_reason')!r}")
        print(f"skip, with reason: {r['status_reason']}")
        return
    if unsteady:
        cpe = r["cycles_per_exit"]
        # Two kinds: a CV above --max-cv, or (a KVM that is neither VMX nor
        # SVM) an exiting loop no slower than its baseline.
        not_slower = "not slower than its baseline" in r["status_reason"]
        if r["status"] != "skip":
            fail(f"not measurable, but status {r['status']!r}")
        if not_slower and (r.get("vendor") != "other" or cpe["median"] is None or cpe["median"] > 0):
            fail(f"'not slower than its baseline' with vendor {r.get('vendor')!r}, median {cpe['median']}")
        if not not_slower and cpe["cv"] is not None and cpe["cv"] <= r["max_cv"]:
            fail(f"not measurable, but CV {cpe['cv']} within {r['max_cv']}")
    elif rc != 0 or r["status"] != "pass":
        fail(f"exit {rc}, status {r['status']}: {r.get('status_reason')}")
    cpe, a = r["cycles_per_exit"], r["attribution"]
    samples = r["samples"]
    if len(samples) != r["trials"] or not all(isinstance(s, (int, float)) and math.isfinite(s) for s in samples):
        fail(f"samples {samples} do not match trials {r['trials']}")
    if not unsteady:
        if not (math.isfinite(cpe["median"]) and
                cpe["min"] <= cpe["p10"] <= cpe["median"] <= cpe["p90"] <= cpe["max"]):
            fail(f"cycle figures not sane/monotone: {cpe}")
        ns = r["ns_per_exit"]["median"]
        if abs(ns - cpe["median"] * 1e6 / r["tsc_khz"]) > 1e-6 * max(1.0, abs(ns)):
            fail(f"ns_per_exit {ns} does not follow from tsc_khz {r['tsc_khz']}")
    if a["verdict"] not in ("exact", "within", "unverified"):
        fail(f"verdict {a['verdict']}")
    for f in r["figures"]:
        if not f["unit"] or len(f["samples"]) != r["trials"]:
            fail(f"figure {f['name']}: no unit or {len(f['samples'])} samples")
    if r["figures"][0]["median"] != cpe["median"] and not (
            r["figures"][0]["median"] is None and cpe["median"] is None):
        fail("the first figure is not cycles_per_exit")
    primary = check_plan(r, a)
    src = {s["name"]: s for s in a["sources"]}
    p = src.get(a["source"]) if a["source"] else None
    # The test's reason: per-window counts are fixed, so the expectation follows from N.
    if p and primary and r["timing"] == "guest" and r["vcpus"] == 1 and primary["kind"] == "judged" and \
            primary["per_host_exit"] == 0 and not any(primary["per_event"]):
        want = a["windows"] * (r["iterations"] * primary["per_iteration"] + primary["per_window"])
        if a["expected"] != want:
            fail(f"expected {a['expected']} != windows*(iterations*{primary['per_iteration']}+{primary['per_window']}) = {want}")
    if a["windows"] is not None and a["source"] and a["source"] != "tracepoint" and a["windows"] != r["trials"]:
        fail(f"{a['windows']} windows for {r['trials']} trials")
    if vendor in ("vmx", "svm") and a["verdict"] == "unverified":
        usable = [s["name"] for s in a["sources"] if s["usable"]]
        if "tracepoint" in usable:
            fail("tracepoint usable on VMX/SVM yet the verdict is unverified")
    want = EXACT_ANYWHERE.get(name)
    if want:
        if a["source"] is None or a["verdict"] != "exact":
            fail(f"{name} must be counted exactly (by {want} at least); got {a['verdict']} by {a['source']}")
        if src.get(want, {}).get("verdict") != "exact":
            fail(f"{want} did not count {name} exactly: {src.get(want)}")
    if unsteady:
        print(f"not measurable here (CV {cpe['cv'] * 100 if cpe['cv'] is not None else float('inf'):.0f}%), "
              f"attribution {a['verdict']} by {a['source'] or 'no source'}")
        return
    print(f"{cpe['median']:.1f} {r['unit']} (CV {(cpe['cv'] or 0) * 100:.1f}%), "
          f"{a['verdict']} by {a['source'] or 'no source'}")


main()
