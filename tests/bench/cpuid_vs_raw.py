#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""cpuid_vs_raw.py [-n ITER] [-t TRIALS] [--rounds R]

Benchmark: does exit_cpuid measure what the smallest possible KVM guest
measures? Runs build/tests/raw_guest (raw ioctls, same loop bodies, same
fenced rdtsc) and ./exit_cpuid at the same N, alternating R rounds of T trials,
and prints the median TSC cycles per loop iteration (CPUID loop, NOP baseline
loop) and per exit (difference), with CVs and the harness/raw ratios.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def cv(v):
    return statistics.stdev(v) / statistics.mean(v) if len(v) > 1 and statistics.mean(v) else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("-t", type=int, default=11)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    raw_loop, raw_base, h_loop, h_base = [], [], [], []
    r4_loop, r4_base = [], []
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            for extra, lo_l, ba_l in (([], raw_loop, raw_base), (["4k"], r4_loop, r4_base)):
                p = subprocess.run(["build/tests/raw_guest", str(a.n), str(a.t)] + extra,
                                   capture_output=True, text=True, check=True)
                for line in p.stdout.split("\n"):
                    if line:
                        lo, ba = map(int, line.split())
                        lo_l.append(lo / a.n)
                        ba_l.append(ba / a.n)
            path = os.path.join(d, f"{r}.json")
            p = subprocess.run(["./exit_cpuid", "-n", str(a.n), "-t", str(a.t), "--json", path],
                               capture_output=True, text=True)
            if p.returncode not in (0, 4):
                sys.exit(f"exit_cpuid failed: {p.stdout} {p.stderr}")
            res = json.load(open(path))
            for tr in res["trial_detail"]:
                h_loop.append(tr["loop_cycles"] / a.n)
                h_base.append(tr["baseline_cycles"] / a.n)
    raw_net = [x - y for x, y in zip(raw_loop, raw_base)]
    r4_net = [x - y for x, y in zip(r4_loop, r4_base)]
    h_net = [x - y for x, y in zip(h_loop, h_base)]
    print(f"N={a.n}, {a.rounds} rounds x {a.t} trials each; TSC cycles per iteration (median, CV)")
    print(f"{'':28} {'raw, 2M page':>18} {'raw, 4K pages':>18} {'exit_cpuid':>18} {'/2M':>6} {'/4K':>6}")
    for label, r, r4, h in (("CPUID loop", raw_loop, r4_loop, h_loop),
                            ("NOP baseline loop", raw_base, r4_base, h_base),
                            ("per exit (loop - baseline)", raw_net, r4_net, h_net)):
        mr, m4, mh = statistics.median(r), statistics.median(r4), statistics.median(h)
        print(f"{label:28} {mr:10.1f} ({cv(r) * 100:5.1f}%) {m4:10.1f} ({cv(r4) * 100:5.1f}%) "
              f"{mh:10.1f} ({cv(h) * 100:5.1f}%) {mh / mr:6.3f} {mh / m4:6.3f}")


main()
