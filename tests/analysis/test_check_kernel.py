#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""analysis/check_kernel.py on synthetic run directories: each finding
(exact, missed with its fastpath cause, twice, under another reason, lost
under concurrency, not checked), wrong names, the undefined-reason
convention, the subject chosen (a kernel interface before the tracepoint),
and the exit status.

usage: python3 tests/analysis/test_check_kernel.py
Prints "ok N - ..." / "not ok N - ..." lines, then "N passed, M failed".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, TOP)
from analysis import check_kernel  # noqa: E402

passed = failed = number = 0


def report(ok, desc, diag=""):
    global passed, failed, number
    number += 1
    if ok:
        passed += 1
        print(f"ok {number} - {desc}")
    else:
        failed += 1
        print(f"not ok {number} - {desc}")
        for line in str(diag).splitlines()[:20]:
            print(f"#   {line}")


def reason(code, name, expected, counted, xc=None, kind="judged"):
    return {"name": name, "code": code, "kind": kind, "expected": expected, "counted": counted,
            "verdict": "exact" if expected == counted else "mismatch",
            "cross_check_counted": counted if xc is None else xc}


def source(name, reasons, printed=(), found=None):
    return {"name": name, "usable": True, "sees_reason": True, "reasons": list(reasons),
            "printed_names": list(printed), "found": found}


def result(code, vname, sources, vcpus=1, status="pass"):
    return {"status": status, "vendor": "vmx", "vcpus": vcpus,
            "reason": {"vmx": code, "svm": 0, "vmx_name": vname, "svm_name": vname.lower()},
            "attribution": {"sources": sources}}


made = []


def run_dir(tests):
    d = tempfile.mkdtemp(prefix="exitbench-ck-test.")
    made.append(d)
    with open(os.path.join(d, "metadata.json"), "w") as f:
        json.dump({"kernel": "6.12.117", "vendor": "vmx"}, f)
    for name, res in tests.items():
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump(res, f)
    return d


def finding(d, test):
    return next(t for t in d["tests"] if t["test"] == test)


tp = lambda *r: source("tracepoint", r)  # noqa: E731
course = {
    "exit_cpuid": result(10, "CPUID", [tp(reason(10, "CPUID", 64, 64)),
                                       source("kmsg-dump", [reason(10, "CPUID", 128, 128, 64)],
                                              [{"code": 30, "printed": "MSR_WRITE", "kernel": "IO_INSTRUCTION",
                                                "printed_is": 32},
                                               {"code": 10, "printed": "cpuid", "kernel": "CPUID",
                                                "printed_is": 10}])]),
    "exit_hlt": result(12, "HLT", [tp(reason(12, "HLT", 64, 64)),
                                   source("kmsg-dump", [reason(12, "HLT", 128, 0)])]),
    "exit_msr_read": result(31, "MSR_READ", [tp(reason(31, "MSR_READ", 64, 64)),
                                             source("kmsg-dump", [reason(31, "MSR_READ", 128, 256, 128)])]),
    "exit_vmcall": result(18, "VMCALL", [tp(reason(18, "VMCALL", 64, 64)),
                                         source("kmsg-dump", [reason(18, "VMCALL", 128, 0),
                                                              reason(30, "IO_INSTRUCTION", 1, 129)])]),
    "exit_io_user": result(30, "IO_INSTRUCTION", [tp(reason(30, "IO_INSTRUCTION", 64, 64)),
                                                  source("kmsg-dump", [reason(30, "IO_INSTRUCTION", 128, 100)])],
                           vcpus=4),
    "exit_xsetbv": result(55, "XSETBV", [], status="skip"),
}
d = check_kernel.diagnose(run_dir(course))
f = finding(d, "exit_cpuid")
report(f["finding"] == "counted exactly" and f["interface"] == "kmsg-dump",
       "the kernel's interface is the subject, before the tracepoint", f)
f = finding(d, "exit_hlt")
report(f["finding"] == "missed" and "fastpath" in f["detail"] and "tracepoint saw 64" in f["detail"],
       "HLT missed: the fastpath named, the tracepoint's count as evidence", f)
f = finding(d, "exit_msr_read")
report(f["finding"] == "counted twice", "twice the expected count is 'counted twice'", f)
f = finding(d, "exit_vmcall")
report(f["finding"] == "counted under another reason" and "IO_INSTRUCTION" in f["detail"],
       "the missing exits found under another reason", f)
f = finding(d, "exit_io_user")
report(f["finding"] == "lost under concurrency", "short with 4 vCPUs: lost under concurrency", f)
report(finding(d, "exit_xsetbv")["finding"] == "not checked", "a skipped test is not checked")
report([n["code"] for n in d["wrong_names"]] == [30] and "MSR_WRITE is 32" in d["wrong_names"][0]["finding"],
       "a wrong printed name, and not one that differs in case only", d["wrong_names"])
report(not d["all_exact"] and any("trace_kvm_exit" in w for w in d["what_to_do"]),
       "findings: not all exact; what to do names where to count", d["what_to_do"])

stock = {"exit_cpuid": result(10, "CPUID", [tp(reason(10, "CPUID", 64, 64))])}
d = check_kernel.diagnose(run_dir(stock))
report(d["all_exact"] and finding(d, "exit_cpuid")["interface"] == "tracepoint",
       "a stock kernel: judged through the tracepoint, all exact", d)

conv = {"exit_cpuid": result(10, "CPUID", [tp(reason(10, "CPUID", 64, 64)), source(
    "course-cpuid", [reason(10, "CPUID", 64, 64)],
    found="layout B; undefined reason 0xffff: EAX 0x0 EBX 0x0 ECX 0x0 EDX 0x0")])}
d = check_kernel.diagnose(run_dir(conv))
report(len(d["wrong_conventions"]) == 1 and not d["all_exact"], "all zeros for an undefined reason is flagged",
       d["wrong_conventions"])
conv["exit_cpuid"]["attribution"]["sources"][1]["found"] = \
    "layout A; undefined reason 0xffff: EAX 0x0 EBX 0x0 ECX 0x0 EDX 0xffffffff"
d = check_kernel.diagnose(run_dir(conv))
report(not d["wrong_conventions"] and d["all_exact"], "EDX 0xFFFFFFFF for an undefined reason is right")

p = subprocess.run([sys.executable, "-m", "analysis.check_kernel", run_dir(course)], cwd=TOP,
                   capture_output=True, text=True)
report(p.returncode == 1 and "summary: 6 tests" in p.stdout, "the command: exit 1 with findings", p.stdout + p.stderr)
d = run_dir(stock)
out = os.path.join(d, "ck.json")
p = subprocess.run([sys.executable, "-m", "analysis.check_kernel", d, "--json", out], cwd=TOP,
                   capture_output=True, text=True)
report(p.returncode == 0 and json.load(open(out))["all_exact"], "exit 0 when all exact; --json written",
       p.stdout + p.stderr)
p = subprocess.run([sys.executable, "-m", "analysis.check_kernel", d, "--json", out], cwd=TOP,
                   capture_output=True, text=True)
report(p.returncode == 2 and "never overwritten" in p.stderr, "--json never overwrites", p.stderr)
for d in made:
    shutil.rmtree(d)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
