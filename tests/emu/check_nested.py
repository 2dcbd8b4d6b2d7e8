#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check the nested tests (exit_nested_*) of a run made inside a kernel under
test, level by level, or print their cost table.

usage: check_nested.py RUN_DIR --env bochs|qemu-tcg|qemu-kvm --kernel patched|stock
                       [--shadow-vmcs on|off] [--levels-from SOURCES] [--tests a,b,...]
       check_nested.py --table RUN_DIR [NOSHADOW_RUN_DIR]

Every nested test that ran must pass with attribution exact, unless it skips
for a known limit of the environment (KNOWN_SKIPS of check_env_run.py, so a
new skip fails). Its KVM configuration is recorded (nested on; shadow VMCS,
VMLOAD/VMSAVE virtualization, next-RIP saving, EPT/NPT) and, with
--shadow-vmcs, is the one asked for. The kvm:kvm_exit tracepoint with
kvm_nested_vmexit(_inject) must judge every reason at its level (L1, L2,
reflected to L1) exactly, and so must each source of --levels-from (the
patched kernel's, which count L2 apart; not reflections). patched: every patched interface
that ran is exact on what it sees and agrees with the tracepoint over the same
loop; stock: they are absent and the tracepoint decides. Without shadow VMCS,
L1's VMREAD/VMWRITE exits must be there and counted exactly (not zero).

--table prints, per nested test, TSC cycles per L2 exit round trip, the part
in L1's handler and the exits of each level per L2 iteration, next to the
same exit taken by L1 itself (the exit_* test of the run, where there is one).
Prints ok / not ok lines; exits 1 if anything is wrong.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_env_run import KNOWN_SKIPS  # noqa: E402

PATCHED = ["patched-stats", "debugfs", "cpuid-a", "dmesg"]
# Every counter source a test reads (lib/counter_*.c).
SOURCES = PATCHED + ["cpuid-b", "tracepoint", "stats-fd", "vmm"]
ABSENT_WORDS = ("absent", "does not count", "cannot open /sys/kernel/debug/kvm")
# The same exit taken by L1 itself, for the table.
L1_TWIN = {
    "exit_nested_cpuid": "exit_cpuid",
    "exit_nested_vmcall": "exit_vmcall",
    "exit_nested_io": "exit_io_kernel",
    "exit_nested_hlt": "exit_hlt",
    "exit_nested_msr_read": "exit_msr_read",
    "exit_nested_io_l0": "exit_io_kernel",
    "exit_nested_msr_l0": "exit_msr_read",
}

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1
    return cond


def load(run_dir):
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def level_of(name):
    if name.endswith(" reflected to L1"):
        return "reflected"
    for lv in ("L1+L2", "L1", "L2"):
        if name.startswith(lv + " "):
            return lv
    return None


def judged(src):
    return [r for r in src.get("reasons") or [] if r["kind"] == "judged"]


def check_levels(label, src, need_reflected):
    """@src judged every reason at its own level, exactly."""
    rs = judged(src)
    levels = {level_of(r["name"]) for r in rs}
    bad = [f"{r['name']} {r['counted']} of {r['expected']}" for r in rs if r["verdict"] != "exact"]
    want = {"L1", "L2"} | ({"reflected"} if need_reflected else set())
    check(src["usable"] and src["verdict"] == "exact" and want <= levels and "L1+L2" not in levels and not bad,
          f"{label}: {src['name']} judges each level: {sorted(x for x in levels if x)}"
          + (f"; wrong: {bad}" if bad else "")
          + ("" if src["usable"] else f"; unusable: {src['why_not']}"))


def check_test(label, t, a):
    name = t["name"]
    # As in check_env_run.py: QEMU TCG's TSC follows host time, so a figure may
    # be "not measurable here" (CV over 3 trials or more above --max-cv); its
    # attribution still ran and must hold like a pass's.
    unmeasurable = (t["status"] == "skip" and a.env == "qemu-tcg"
                    and (t.get("status_reason") or "").startswith("not measurable here"))
    if t["status"] == "skip" and not unmeasurable:
        want = KNOWN_SKIPS.get(a.env, {}).get(name)
        check(want is not None and want in (t.get("status_reason") or ""),
              f"{label}: {name} skipped: {t.get('status_reason')}"
              + ("" if want else " (not a known limit of this environment: list it in check_env_run.py)"))
        return
    if not unmeasurable and not check(t["status"] == "pass",
                                      f"{label}: {name} {t['status']}: {t.get('status_reason') or ''}"):
        return
    attr, cfg = t["attribution"], t["kvm_config"]
    src = {s["name"]: s for s in attr["sources"]}
    check(attr["verdict"] == "exact", f"{label}: {name}: attribution {attr['verdict']} by {attr['source']}")
    keys = ("nested", "shadow_vmcs", "vls", "nrips", "tdp")
    check(all(k in cfg for k in keys) and cfg["nested"],
          f"{label}: {name}: configuration recorded: " + ", ".join(f"{k} {cfg.get(k)}" for k in keys))
    if a.shadow_vmcs:
        check(cfg["shadow_vmcs"] == (a.shadow_vmcs == "on"),
              f"{label}: {name}: shadow VMCS {cfg['shadow_vmcs']}, asked {a.shadow_vmcs}")
    plan = attr.get("plan") or []
    nested_plan = any(level_of(r["name"]) == "L2" for r in plan)
    reflected = any(level_of(r["name"]) == "reflected" for r in plan)
    tp = src.get("tracepoint")
    if nested_plan:
        if tp:
            check_levels(f"{label}: {name}", tp, reflected)
        else:
            check(False, f"{label}: {name}: no tracepoint source")
        for n in a.levels_from:
            if n in src:
                check_levels(f"{label}: {name}", src[n], False)
            else:
                check(False, f"{label}: {name}: --levels-from {n}: that source was not read in this run")
    elif tp:
        check(tp["usable"] and tp["verdict"] == "exact", f"{label}: {name}: tracepoint {tp['verdict']}")
    if a.kernel == "patched":
        ran = [n for n in PATCHED if n in src and src[n]["usable"]]
        bad = [f"{n}: {src[n]['verdict']}" for n in ran if src[n]["verdict"] != "exact"]
        check(set(PATCHED[:2]) <= set(ran) and not bad,
              f"{label}: {name}: patched interfaces {ran} exact on what they see" + (f"; wrong: {bad}" if bad else ""))
        xc = attr.get("cross_check") or {}
        check(xc.get("agree") and "tracepoint" in (xc.get("counted") or {}),
              f"{label}: {name}: one loop counted alike by {sorted(xc.get('counted') or {})}")
    else:
        absent = [n for n in PATCHED if n in src and not src[n]["usable"]
                  and any(w in (src[n]["why_not"] or "") for w in ABSENT_WORDS)]
        present = [n for n in PATCHED if n in src and n not in absent]
        check(not present and attr["source"] == "tracepoint",
              f"{label}: {name}: patched interfaces absent {absent}, the tracepoint decides ({attr['source']})")
    # Without shadow VMCS (VMX), L1's VMREAD/VMWRITE exit: counted, not zero.
    if cfg.get("vendor") == "vmx" and not cfg.get("shadow_vmcs") and tp and tp["usable"]:
        vm = [r for r in judged(tp) if r["code"] in (23, 25)]
        check(vm and all(r["expected"] > 0 and r["counted"] == r["expected"] for r in vm),
              f"{label}: {name}: without shadow VMCS L1's VMREAD/VMWRITE exits are counted: "
              + ", ".join(f"{r['name']} {r['counted']} of {r['expected']}" for r in vm))
    if nested_plan and not unmeasurable:
        figs = {f["name"]: f["median"] for f in t.get("figures") or []}
        rt, l1 = figs.get("cycles_per_exit"), figs.get("l1_handler_cycles")
        check(rt is not None and l1 is not None and rt > 0 and 0 <= l1 < rt,
              f"{label}: {name}: {rt} TSC cycles per L2 round trip, {l1} of them in L1's handler")


def per_iteration(t, base=None):
    """Exits per L2 iteration by level (from the plan), those not in @base marked."""
    def entries(x):
        out = []
        for r in (x or {}).get("attribution", {}).get("plan") or []:
            lv = level_of(r["name"])
            # A plan with no L2 exit names its reasons without a level: L1's.
            nm = r["name"].split(" ", 1)[1] if lv else r["name"]
            if r["kind"] == "judged" and r["per_iteration"] and (lv or "L1") in ("L1", "L2"):
                out.append((lv or "L1", nm, r["per_iteration"]))
        return out

    def reflected(x):
        return {level_of(r["name"]) == "reflected" and r["name"].split(" ")[1]
                for r in (x or {}).get("attribution", {}).get("plan") or [] if r["per_iteration"]}

    mine, refl = entries(t), reflected(t)
    known = set(entries(base)) if base else None
    parts = []
    for lv in ("L2", "L1"):
        xs = [f"{n} {name}" + (", reflected" if lv == "L2" and name in refl else "")
              for (l, name, n) in mine if l == lv and (known is None or (l, name, n) in known)]
        extra = [f"{n} {name}" for (l, name, n) in mine if l == lv and known is not None and (l, name, n) not in known]
        if xs or extra:
            parts.append(f"{lv}: " + ", ".join(xs or ["none"]) + (f" (+{', '.join(extra)} without shadow VMCS)" if extra else ""))
    return "; ".join(parts) or "none"


def table(run, noshadow):
    s = load(run)
    tests = {t["name"]: t for t in s["tests"]}
    ns = {t["name"]: t for t in load(noshadow)["tests"]} if noshadow else {}

    def fig(t, name):
        for f in (t or {}).get("figures") or []:
            if f["name"] == name and f["median"] is not None:
                return f["median"]
        return None

    def fmt(x):
        return "-" if x is None else f"{x:.1f}"

    cols = ["test", "L2 exit round trip (TSC cycles)", "in L1's handler", "in KVM (L0): the rest",
            "the same exit taken by L1 (TSC cycles)", "L2 / L1"]
    if ns:
        cols += ["without shadow VMCS: round trip (TSC cycles)", "in L1's handler", "in KVM (L0)"]
    cols.append("exits per L2 iteration")
    print("| " + " | ".join(cols) + " |")
    print("|---" + "|---:" * (len(cols) - 2) + "|---|")
    for name in sorted(tests):
        if not name.startswith("exit_nested_"):
            continue
        t = tests[name]
        rt, l1 = fig(t, "cycles_per_exit"), fig(t, "l1_handler_cycles")
        twin = tests.get(L1_TWIN.get(name, ""))
        tw = fig(twin, "cycles_per_exit") if twin and twin["status"] == "pass" else None
        row = [name, fmt(rt), fmt(l1), fmt(rt - l1 if rt is not None and l1 is not None else None),
               f"{fmt(tw)} ({twin['name']})" if tw else "-", f"{rt / tw:.1f}x" if rt and tw else "-"]
        u = ns.get(name)
        if ns:
            urt, ul1 = fig(u, "cycles_per_exit"), fig(u, "l1_handler_cycles")
            row += [fmt(urt), fmt(ul1), fmt(urt - ul1 if urt is not None and ul1 is not None else None)]
        row.append(per_iteration(u, t) if u else per_iteration(t))
        print("| " + " | ".join(row) + " |")
    print(f"TSC cycles, medians over trials; runs: {os.path.basename(run.rstrip('/'))}"
          + (f", {os.path.basename(noshadow.rstrip('/'))}" if noshadow else ""))


def main(argv):
    if len(argv) > 1 and argv[1] == "--table":
        if len(argv) not in (3, 4):
            print(__doc__, file=sys.stderr)
            return 2
        table(argv[2], argv[3] if len(argv) == 4 else None)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--env", required=True, choices=["bochs", "qemu-tcg", "qemu-kvm"])
    ap.add_argument("--kernel", required=True, choices=["patched", "stock"])
    ap.add_argument("--shadow-vmcs", choices=["on", "off"])
    ap.add_argument("--levels-from", default="", help="comma-separated sources that must see levels too")
    ap.add_argument("--tests", help="comma-separated tests that must all be in the run")
    a = ap.parse_args(argv[1:])
    a.levels_from = [x for x in a.levels_from.split(",") if x]
    unknown = [x for x in a.levels_from if x not in SOURCES]
    if unknown:
        ap.error(f"--levels-from: unknown counter source {', '.join(map(repr, unknown))} "
                 f"(one of {', '.join(SOURCES)})")
    try:
        s = load(a.run_dir)
    except (OSError, ValueError) as e:
        check(False, f"{a.run_dir}: {e}")
        return 1
    label = f"{a.env}/{a.kernel}" + (f" shadow VMCS {a.shadow_vmcs}" if a.shadow_vmcs else "")
    nested = [t for t in s["tests"] if t["name"].startswith("exit_nested_")]
    names = {t["name"] for t in nested}
    if a.tests:
        missing = sorted(set(a.tests.split(",")) - names)
        check(not missing, f"{label}: every nested test ran (missing: {missing or 'none'})")
    check(nested, f"{label}: {len(nested)} nested tests in the run")
    for t in nested:
        check_test(label, t, a)
    print(f"{'FAIL' if failures else 'PASS'}: {label}: {len(nested)} nested tests, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
