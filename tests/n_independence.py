#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""n_independence.py VENDOR: cycles per exit must not depend on N.

Runs one exit test at N = 10^3 .. 10^7 and checks every median lies within
max(5%, 3 x CV) of the median of the medians. On VMX/SVM the test is
exit_cpuid; on a KVM that is neither (a software hypervisor emulating every
instruction, where CPUID costs what a NOP does) it is exit_io_user, whose
exit is real there, and N stops at 10^6 (10^7 would take about 3 minutes).
There the floor is 20%, not 5%: one run's trials agree within 0.5-3% but
runs minutes apart differ more (+5.3%, +10.8%, +18.1% from the median seen
in this check on our kvm_pvm machines), so a trial CV understates it; a
cost that grows or shrinks with N (the harness's own per-loop work) still
shows as a factor, not a few percent. A median outside its bound is measured
once more (a machine busy with other work moved one run by 26% at N=10^3
under load, seen 2026-12-02): a cost that depends on N shows again, a
disturbance of one run does not; both figures are printed.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

vendor = sys.argv[1]
if vendor in ("vmx", "svm"):
    test, ns = "exit_cpuid", [10**3, 10**4, 10**5, 10**6, 10**7]
else:
    test, ns = "exit_io_user", [10**3, 10**4, 10**5, 10**6]
def measure(d, n, tag=""):
    """(median, cv) of TSC cycles per exit of @test at N = @n."""
    path = os.path.join(d, f"{n}{tag}.json")
    trials = "3" if n >= 10**6 else "5"
    p = subprocess.run([f"./{test}", "-n", str(n), "-t", trials, "--json", path],
                       capture_output=True, text=True)
    r = json.load(open(path)) if os.path.exists(path) else {}
    # "Not measurable here" (CV above the bound on a busy machine) still
    # holds the figures, with their CV: the allowance below widens.
    unsteady = p.returncode == 4 and (r.get("status_reason") or "").startswith("not measurable here")
    if p.returncode != 0 and not unsteady:
        print(f"{test} -n {n} exited {p.returncode}: {p.stdout[-300:]} {p.stderr[-300:]}")
        sys.exit(1)
    return r["cycles_per_exit"]["median"], r["cycles_per_exit"]["cv"]


def allowance(cv):
    return max(0.05 if vendor in ("vmx", "svm") else 0.20, 3 * cv)


rows = []
with tempfile.TemporaryDirectory() as d:
    for n in ns:
        rows.append((n, *measure(d, n)))
    ref = statistics.median(m for _, m, _ in rows)
    for i, (n, m, cv) in enumerate(rows):
        if abs(m - ref) / ref > allowance(cv):
            m2, cv2 = measure(d, n, ".again")
            print(f"{test} N={n:>8}: {m:9.1f} cycles/exit, CV {cv * 100:4.1f}%, "
                  f"{(abs(m - ref) / ref) * 100:+5.1f}% from {ref:.1f}: measured again: {m2:.1f} (CV {cv2 * 100:.1f}%)")
            rows[i] = (n, m2, cv2)
ref = statistics.median(m for _, m, _ in rows)
bad = False
for n, m, cv in rows:
    dev = abs(m - ref) / ref
    allowed = allowance(cv)
    flag = "" if dev <= allowed else "  <-- outside"
    bad |= dev > allowed
    print(f"{test} N={n:>8}: {m:9.1f} cycles/exit, CV {cv * 100:4.1f}%, {dev * 100:+5.1f}% from {ref:.1f} (allowed {allowed * 100:.1f}%){flag}")
print(f"{test}: medians from N={ns[0]} to N={ns[-1]} within noise of {ref:.1f} cycles/exit"
      if not bad else f"{test}: cycles per exit depends on N")
sys.exit(1 if bad else 0)
