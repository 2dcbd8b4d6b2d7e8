#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Diagnose a kernel's exit counters from one run of the suite (./check_kernel).

usage: python3 -m analysis.check_kernel RUN_DIR [--json FILE]

RUN_DIR is a run directory of run_all.sh made with the counter sources that
./check_kernel asks for. The kernel's own interface (the subject) is the
first usable source of SUBJECTS in a test; the kvm:kvm_exit tracepoint is
the evidence of what really happened; the test's plan says what should
have. With no interface of its own (a stock kernel) the tracepoint itself
is the subject. Prints one finding per test, the names the kernel prints
that disagree with its own tables, and a summary; --json writes the same
(FILE must not exist). Exit status: 0 every checked test counted exactly,
1 findings, 2 bad input, 3 a write failed, 4 nothing could be checked.
"""
import json
import os
import re
import sys

from analysis.cli import ToolError, UsageError, loads_strict, run, write_stdout

PROG = "check_kernel"
# The kernel's interfaces, in the order they are preferred as the subject.
SUBJECTS = ["patched-stats", "debugfs", "cpuid-a", "cpuid-b", "dmesg",
            "course-cpuid", "kmsg-dump", "file"]
WHAT = {
    "patched-stats": "the project's patched kernel: exits_by_reason vCPU stat",
    "debugfs": "the project's patched kernel: debugfs exit table",
    "cpuid-a": "the project's patched kernel: CPUID leaves, order A",
    "cpuid-b": "the project's patched kernel: CPUID leaves, order B",
    "dmesg": "the project's patched kernel: exit_stats log summaries",
    "course-cpuid": "CPUID leaves 0x4FFFFFFC-0x4FFFFFFF",
    "kmsg-dump": "exit dumps in the kernel log",
    "file": "a counter file",
    "tracepoint": "the kvm:kvm_exit tracepoint (no counter interface of its own)",
}
# Exits KVM can complete in its fastpath, re-entering the guest without
# reaching the exit handler (__vmx_handle_exit, svm_handle_exit): by test.
FASTPATH = {
    "exit_hlt": "HLT is completed in KVM's fastpath (handle_fastpath_hlt) when an interrupt is "
                "already pending, without reaching the exit handler",
    "exit_tscdeadline": "WRMSR to IA32_TSC_DEADLINE is completed in KVM's fastpath "
                        "(handle_fastpath_set_msr_irqoff)",
    "exit_tscdeadline_immed": "WRMSR to IA32_TSC_DEADLINE is completed in KVM's fastpath "
                              "(handle_fastpath_set_msr_irqoff)",
    "exit_ipi": "WRMSR to the x2APIC ICR is completed in KVM's fastpath (handle_fastpath_set_msr_irqoff)",
    "exit_ipi_halt": "WRMSR to the x2APIC ICR and HLT are completed in KVM's fastpath",
    "exit_preemption_timer": "the VMX preemption timer exit is completed in KVM's fastpath "
                             "(handle_fastpath_preemption_timer)",
    "exit_invd": "INVD is completed in the fastpath on newer kernels",
}
for _t in ("x2apic_self_ipi_sti_nop", "x2apic_self_ipi_sti_hlt", "x2apic_self_ipi_tpr",
           "x2apic_self_ipi_tpr_sti_nop", "x2apic_self_ipi_tpr_sti_hlt"):
    FASTPATH["exit_" + _t] = ("WRMSR to the x2APIC ICR is completed in KVM's fastpath "
                              "(handle_fastpath_set_msr_irqoff)")
FIX = {
    "missed": "count where every exit passes exactly once: next to trace_kvm_exit() in "
              "vmx_vcpu_run() / svm_vcpu_run(), not in __vmx_handle_exit() / svm_handle_exit(), "
              "which fastpath exits never reach",
    "twice": "count each exit in one place only (svm_invoke_exit_handler() is also called from "
             "SEV-ES paths; a count in both the handler and the run loop doubles)",
    "names": "take names from the kernel's own tables (VMX_EXIT_REASONS in <asm/vmx.h>, "
             "SVM_EXIT_REASONS in <asm/svm.h>) instead of a hand-written table",
    "other": "index the counters by the basic exit reason (exit_reason.basic on VMX, "
             "the exit code on SVM)",
    "undefined": "answer a reason that the SDM / APM does not define with EAX = EBX = ECX = 0 and "
                 "EDX = 0xFFFFFFFF",
    "lost": "several vCPUs update a global counter at once: use per-vCPU counters, or "
            "atomic64_inc() / per-CPU counters",
}


def load(path):
    try:
        with open(path) as f:
            return loads_strict(f.read())
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}")
    except ValueError as e:
        raise UsageError(f"{path}: not valid JSON ({e})")


def source(att, name):
    for s in att.get("sources") or []:
        if s.get("name") == name:
            return s
    return None


def reason_of(s, code):
    for r in s.get("reasons") or []:
        if r.get("code") == code and r.get("kind") == "judged":
            return r
    return None


def diagnose_test(name, res):
    """One finding for one test result."""
    status = res.get("status")
    att = res.get("attribution") or {}
    out = {"test": name, "status": status}
    if status in ("skip", "error") or not att.get("sources"):
        out["finding"] = "not checked"
        out["detail"] = res.get("status_reason") or "the test did not run here"
        # A test skipped for its cycles (not measurable) still says which
        # counter sources it had: when none could count, that is the reason
        # to give, whatever the timing did.
        srcs = att.get("sources") or []
        if status == "skip" and srcs and not any(
                s.get("usable") and s.get("sees_reason") for s in srcs):
            out["detail"] = ("no usable counter source sees this test's reason "
                             "(the tracepoint neither); the test also skipped: "
                             + out["detail"])
        return out, None
    subj = None
    for n in SUBJECTS:
        s = source(att, n)
        if s and s.get("usable") and s.get("sees_reason"):
            subj = s
            break
    tp = source(att, "tracepoint")
    tp = tp if tp and tp.get("usable") and tp.get("sees_reason") else None
    if subj is None:
        subj = tp
    if subj is None:
        out["finding"] = "not checked"
        out["detail"] = "no usable counter source sees this test's reason (the tracepoint neither)"
        return out, None
    out["interface"] = subj["name"]
    vendor = res.get("vendor")
    code = (res.get("reason") or {}).get("svm" if vendor == "svm" else "vmx")
    rname = (res.get("reason") or {}).get("svm_name" if vendor == "svm" else "vmx_name") or str(code)
    mine = reason_of(subj, code)
    if mine is None or mine.get("expected") is None:
        out["finding"] = "not checked"
        out["detail"] = f"{subj['name']} does not judge {rname} here"
        return out, subj
    exp, cnt = mine["expected"], mine["counted"]
    out.update(expected=exp, counted=cnt, reason=rname, code=code)
    tp_each = {}
    if tp is not None and tp is not subj:
        tp_each = {r["code"]: r.get("cross_check_counted") for r in tp.get("reasons") or []}
        out["tracepoint_counted"] = tp_each.get(code)

    def evidence(r):
        """What the tracepoint and the counter saw of @r in the window both counted."""
        seen, xc = tp_each.get(r["code"]), r.get("cross_check_counted")
        if seen is None or xc is None:
            return "the tracepoint could not count here"
        return f"in the window both counted, the tracepoint saw {seen}, the counter {xc}"

    def classify(r, primary):
        """(finding, detail, fix) of plan reason @r that the subject got wrong."""
        e, c, nm = r["expected"], r["counted"], r["name"]
        if e and c == 2 * e:
            return "counted twice", f"{nm} (reason {r['code']}): {c} counted for {e} exits; {evidence(r)}", FIX["twice"]
        if c > e:
            return "counted too often", f"{nm} (reason {r['code']}): {c} counted for {e} exits; {evidence(r)}", None
        for o in subj.get("reasons") or []:
            if o.get("kind") == "judged" and o.get("code") != r["code"] and o.get("expected") is not None \
                    and o["counted"] - o["expected"] == e - c:
                return ("counted under another reason",
                        f"{e - c} {nm} exits (reason {r['code']}) counted as {o['name']} (reason {o['code']}); "
                        f"{evidence(r)}", FIX["other"])
        vcpus = res.get("vcpus") or 1
        if isinstance(vcpus, int) and vcpus > 1 and c > 0:
            return ("lost under concurrency",
                    f"{nm}: {c} of {e} counted with {vcpus} vCPUs exiting at once; {evidence(r)}", FIX["lost"])
        cause = FASTPATH.get(name) if primary else None
        part = "none" if c == 0 else f"{c}"
        return ("missed", f"{nm} (reason {r['code']}): counted {part} of {e}; {evidence(r)}"
                + (f"; likely cause: {cause}" if cause else ""), FIX["missed"] if cause else None)

    if mine.get("verdict") == "exact":
        # Every reason of the plan that the subject judges, exact too?
        bad = [r for r in subj.get("reasons") or []
               if r.get("kind") == "judged" and r.get("verdict") not in ("exact", None)
               and r.get("expected") is not None]
        if not bad:
            out["finding"] = "counted exactly"
            out["detail"] = f"{rname} (reason {code}): {cnt} of {exp} expected exits"
            return out, subj
        f, detail, fix = classify(bad[0], False)
        out.update(finding=f, detail=f"{rname} exact ({cnt}), but {detail}", fix=fix)
        return out, subj
    f, detail, fix = classify(mine, True)
    out.update(finding=f, detail=detail, fix=fix)
    return out, subj


def wrong_names(subjects, vendor):
    """Names the kernel prints that its own tables give another reason."""
    table = "SVM_EXIT_REASONS" if vendor == "svm" else "VMX_EXIT_REASONS"
    seen = {}
    for s in subjects:
        for p in s.get("printed_names") or []:
            seen.setdefault(p["code"], p)
    out = []
    for code in sorted(seen):
        p = seen[code]
        kernel, printed = p.get("kernel"), p.get("printed") or ""
        if kernel is not None and printed.lower() == kernel.lower():
            continue
        msg = (f"your kernel prints {printed or '(nothing)'} for reason {code}, which {table} calls "
               f"{kernel or 'nothing (not a reason)'}")
        if p.get("printed_is", -1) >= 0:
            msg += f"; {printed} is {p['printed_is']}"
        out.append({"code": code, "printed": printed, "kernel": kernel,
                    "printed_is": p.get("printed_is"), "finding": msg})
    return out


def undefined_convention(found):
    """course-cpuid's answer for a reason no table defines: the convention of
    course assignments is all zeros but EDX = 0xFFFFFFFF, which tells "no
    such reason" from "no exits of it"."""
    m = re.search(r"undefined reason (0x[0-9a-f]+): EAX (0x[0-9a-f]+) EBX (0x[0-9a-f]+) "
                  r"ECX (0x[0-9a-f]+) EDX (0x[0-9a-f]+)", found or "")
    if not m:
        return None
    reason, eax, ebx, ecx, edx = (int(x, 16) for x in m.groups())
    if (eax, ebx, ecx, edx) == (0, 0, 0, 0xFFFFFFFF):
        return None
    return (f"for reason {reason:#x}, which no exit-reason table defines, the per-reason leaf answers "
            f"EAX {eax:#x} EBX {ebx:#x} ECX {ecx:#x} EDX {edx:#x}: the convention is all zeros with "
            f"EDX 0xFFFFFFFF, so that a guest can tell an undefined reason from one with no exits")


def diagnose(run_dir):
    names = sorted(f[:-5] for f in os.listdir(run_dir) if f.startswith("exit_") and f.endswith(".json"))
    if not names:
        raise UsageError(f"{run_dir}: no exit_*.json results (not a run directory of run_all.sh?)")
    meta = load(os.path.join(run_dir, "metadata.json"))
    tests, subjects, found = [], [], {}
    for n in names:
        res = load(os.path.join(run_dir, n + ".json"))
        f, subj = diagnose_test(n, res)
        tests.append(f)
        if subj is not None:
            subjects.append(subj)
            if subj.get("found"):
                found[subj["name"]] = subj["found"]
    vendor = meta.get("vendor")
    interfaces = sorted({t["interface"] for t in tests if t.get("interface")})
    names_bad = wrong_names(subjects, vendor)
    conventions = sorted({c for c in (undefined_convention(found.get("course-cpuid")),) if c})
    counts = {}
    for t in tests:
        counts[t["finding"]] = counts.get(t["finding"], 0) + 1
    fixes = sorted({t["fix"] for t in tests if t.get("fix")})
    if names_bad:
        fixes.append(FIX["names"])
    if conventions:
        fixes.append(FIX["undefined"])
    return {
        "schema_version": 1,
        "kernel": meta.get("kernel") or meta.get("kernel_version"),
        "vendor": vendor,
        "interfaces": [{"name": i, "what": WHAT.get(i, i), "found": found.get(i)} for i in interfaces],
        "tests": tests,
        "wrong_names": names_bad,
        "wrong_conventions": conventions,
        "summary": counts,
        "what_to_do": fixes,
        "all_exact": all(t["finding"] in ("counted exactly", "not checked") for t in tests)
                     and not names_bad and not conventions and counts.get("counted exactly", 0) > 0,
    }


def text(d):
    lines = [f"kernel {d['kernel']}, vendor {d['vendor']}"]
    for i in d["interfaces"]:
        lines.append(f"interface: {i['name']}: {i['what']}" + (f" ({i['found']})" if i["found"] else ""))
    if not d["interfaces"]:
        lines.append("interface: none that the harness reads")
    w = max(len(t["test"]) for t in d["tests"])
    for t in d["tests"]:
        lines.append(f"  {t['test']:<{w}}  {t['finding']}: {t.get('detail', '')}")
    for n in d["wrong_names"]:
        lines.append(f"  wrong name: {n['finding']}")
    for c in d["wrong_conventions"]:
        lines.append(f"  wrong convention: {c}")
    s = ", ".join(f"{v} {k}" for k, v in sorted(d["summary"].items()))
    lines.append(f"summary: {len(d['tests'])} tests: {s}; {len(d['wrong_names'])} wrong names, "
                 f"{len(d['wrong_conventions'])} wrong conventions")
    if d["all_exact"]:
        lines.append("verdict: every exit checked was counted exactly, under the right reason")
    for f in d["what_to_do"]:
        lines.append(f"what to do: {f}")
    return "\n".join(lines) + "\n"


def main(argv):
    args = list(argv)
    if any(a in ("-h", "--help") for a in args):
        write_stdout(__doc__)
        return 0
    out = None
    if "--json" in args:
        i = args.index("--json")
        if i + 1 >= len(args):
            raise UsageError("--json needs a file name")
        out = args[i + 1]
        del args[i:i + 2]
        if os.path.exists(out):
            raise UsageError(f"--json {out}: exists (results are never overwritten)")
    if len(args) != 1 or args[0].startswith("-"):
        raise UsageError("want one RUN_DIR" if not args or not args[0].startswith("-")
                        else f"unknown option '{args[0]}'")
    if not os.path.isdir(args[0]):
        raise UsageError(f"{args[0]}: not a directory")
    d = diagnose(args[0])
    if out:
        tmp = out + ".partial"
        try:
            with open(tmp, "x") as f:
                json.dump(d, f, indent=1)
                f.write("\n")
            os.rename(tmp, out)
        except OSError as e:
            raise ToolError(f"cannot write {out}: {e.strerror}")
    write_stdout(text(d))
    if all(t["finding"] == "not checked" for t in d["tests"]) and not d["wrong_names"] \
            and not d["wrong_conventions"]:
        print(f"{PROG}: NOTHING WAS CHECKED: no test could be judged here (the reasons are above)",
              file=sys.stderr)
        return 4
    return 0 if d["all_exact"] else 1


if __name__ == "__main__":
    sys.exit(run(PROG, main, sys.argv[1:]))
