#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""./compare's statistics (analysis/stats.py) against SciPy's, on a table
of cases (docs/compare.md says why we keep our own).

usage: /usr/bin/python3 tests/analysis/test_stats_scipy.py

Needs Debian's python3-scipy (./setup.sh installs it), hence Debian's
python3: a missing SciPy is a failure, not a skip.

- Mann-Whitney, no ties, exact (up to 60 samples): our p equals
  scipy.stats.mannwhitneyu(method='exact') to 1e-12.
- Ties, exact: our p is the permutation distribution of the midrank sum
  conditional on the ties; it equals scipy.stats.permutation_test of
  |U - nA nB / 2| (from scipy.stats.rankdata's midranks) over every
  partition (n_resamples=inf). (SciPy 1.10's
  mannwhitneyu(method='exact') ignores ties, so it is not the reference.)
- Above 60 samples: the normal approximation with tie and continuity
  correction equals mannwhitneyu(method='asymptotic') to 1e-9.
- The smallest attainable p, 2 / C(nA + nB, nA), equals SciPy's exact p of
  wholly separated samples.
- Bootstrap of median(B) - median(A) and of median(B) / median(A): our
  percentile interval (Python's seeded random) and scipy.stats.bootstrap's
  (method='percentile', NumPy's seeded generator) draw different resamples;
  at 20000 resamples both ends agree within 3% of the interval's width, at
  ./compare's 2000 within 12%, and they agree on whether the interval
  excludes 0 (what ./compare's verdict uses).

Prints "ok N - ..." / "not ok N - ..." lines, then "N passed, M failed".
"""
import itertools
import math
import os
import random
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, TOP)
from analysis import stats  # noqa: E402

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


def gauss(n, center, cv, seed):
    rng = random.Random(seed)
    return [rng.gauss(center, center * cv) for _ in range(n)]


def grid(n, values, seed):
    rng = random.Random(seed)
    return [rng.choice(values) for _ in range(n)]


# (description, a, b): no two values equal within or across the samples.
NO_TIES = [
    ("1 vs 1", [1.0], [2.0]),
    ("1 vs 5", [3.5], [1.0, 2.0, 4.0, 5.0, 6.0]),
    ("2 vs 2 separated", [1.0, 2.0], [3.0, 4.0]),
    ("3 vs 3 separated", [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    ("3 vs 4 separated (./compare: too few trials)", [10.0, 11.0, 12.0], [20.0, 21.0, 22.0, 23.0]),
    ("4 vs 4 separated", [1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]),
    ("5 vs 5 interleaved", [1.0, 3.0, 5.0, 7.0, 9.0], [2.0, 4.0, 6.0, 8.0, 10.0]),
    ("5 vs 7 shifted", gauss(5, 1000, 0.01, 1), gauss(7, 1010, 0.01, 2)),
    ("8 vs 8 same centre", gauss(8, 1000, 0.02, 3), gauss(8, 1000, 0.02, 4)),
    ("11 vs 11 (the default trials), +1%", gauss(11, 1130, 0.005, 5), gauss(11, 1141, 0.005, 6)),
    ("11 vs 11, same", gauss(11, 16000, 0.05, 7), gauss(11, 16000, 0.05, 8)),
    ("3 vs 11", gauss(3, 500, 0.1, 9), gauss(11, 700, 0.1, 10)),
    ("21 vs 21, +0.5%", gauss(21, 1130, 0.005, 11), gauss(21, 1135.6, 0.005, 12)),
    ("30 vs 30 (60 in all: the last exact size)", gauss(30, 100, 0.2, 13), gauss(30, 110, 0.2, 14)),
]
# Repeated values: Bochs' near-deterministic samples, integer grids.
TIES = [
    ("Bochs-like 4 vs 4, one value shared", [1130.0, 1130.0, 1130.0, 1131.0], [1131.0] * 4),
    ("Bochs-like 5 vs 5, shifted by one cycle", [1130.0] * 3 + [1131.0] * 2, [1131.0] * 4 + [1132.0]),
    ("identical samples (p = 1)", [5.0] * 6, [5.0] * 6),
    ("integer grid 5 vs 5", [1.0, 1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0, 4.0]),
    ("integer grid 7 vs 6", grid(7, [1.0, 2.0, 3.0, 4.0], 15), grid(6, [2.0, 3.0, 4.0, 5.0], 16)),
    ("integer grid 8 vs 8", grid(8, [10.0, 11.0, 12.0], 17), grid(8, [11.0, 12.0, 13.0], 18)),
    ("integer grid 9 vs 9, asymmetric ties", [1.0] * 5 + [2.0, 3.0, 4.0, 9.0], [1.0, 2.0, 2.0, 2.0, 5.0, 6.0, 6.0, 7.0, 8.0]),
    ("ties across: 3 vs 8", [2.0, 2.0, 7.0], grid(8, [1.0, 2.0, 7.0, 8.0], 19)),
]
LARGE = [
    ("31 vs 30 (61 in all: normal approximation), no ties", gauss(31, 100, 0.1, 20), gauss(30, 104, 0.1, 21)),
    ("40 vs 35 with ties", grid(40, [float(x) for x in range(20)], 22), grid(35, [float(x) for x in range(3, 23)], 23)),
    ("100 vs 100, same", gauss(100, 1000, 0.01, 24), gauss(100, 1000, 0.01, 25)),
    ("101 vs 99 Bochs-like with ties", grid(101, [1130.0, 1131.0, 1132.0], 26), grid(99, [1131.0, 1132.0, 1133.0], 27)),
]
BOOTSTRAP = [
    ("11 vs 11, same", gauss(11, 1000, 0.01, 30), gauss(11, 1000, 0.01, 31), False),
    ("11 vs 11, +3%", gauss(11, 1000, 0.005, 32), gauss(11, 1030, 0.005, 33), True),
    ("5 vs 5, +8%", gauss(5, 1000, 0.01, 34), gauss(5, 1080, 0.01, 35), True),
    ("21 vs 21, same, CV 0.5%", gauss(21, 1130, 0.005, 36), gauss(21, 1130, 0.005, 37), False),
    ("3 vs 11, +10%", gauss(3, 1000, 0.02, 38), gauss(11, 1100, 0.02, 39), True),
    ("11 vs 11, CV 50% (a software KVM's noise)", gauss(11, 1000, 0.5, 40), gauss(11, 1000, 0.5, 41), False),
    ("7 vs 9, -3%", gauss(7, 16000, 0.01, 42), gauss(9, 15520, 0.01, 43), True),
]


def main(argv):
    if argv:
        print(__doc__.strip())
        return 0 if argv[0] in ("-h", "--help") else 2
    try:
        import numpy as np
        import scipy
        import scipy.stats as st
    except ImportError as e:
        report(False, f"SciPy is there ({e}): run ./setup.sh (Debian python3-scipy) and use Debian's "
               f"/usr/bin/python3 (this is {sys.executable})")
        print(f"{passed} passed, {failed} failed")
        return 1
    print(f"# scipy {scipy.__version__}, numpy {np.__version__}, {sys.executable}")

    for desc, a, b in NO_TIES:
        ours = stats.mann_whitney_p(a, b)
        ref = st.mannwhitneyu(a, b, alternative="two-sided", method="exact").pvalue
        report(math.isclose(ours, ref, rel_tol=1e-12, abs_tol=1e-15),
               f"Mann-Whitney exact, no ties, {desc}: p {ours:.6g} = SciPy's {ref:.6g}")

    def abs_w(x, y, axis):
        """|rank sum of x - its mean under the null| = |U - nA nB / 2|, on
        midranks from scipy.stats.rankdata (permuting them is permuting the data)."""
        n = x.shape[axis] + y.shape[axis]
        return np.abs(np.sum(x, axis=axis) - x.shape[axis] * (n + 1) / 2)

    for desc, a, b in TIES:
        ours = stats.mann_whitney_p(a, b)
        if len(set(a + b)) == 1:
            report(ours == 1.0, f"Mann-Whitney, {desc}: p {ours}")
            continue
        ranks = st.rankdata(a + b)
        ref = st.permutation_test((ranks[:len(a)], ranks[len(a):]), abs_w, permutation_type="independent",
                                  vectorized=True, n_resamples=np.inf, alternative="greater").pvalue
        naive = st.mannwhitneyu(a, b, alternative="two-sided", method="exact").pvalue
        report(math.isclose(ours, ref, rel_tol=1e-9),
               f"Mann-Whitney exact with ties, {desc}: p {ours:.6g} = SciPy's permutation test {ref:.6g} "
               f"(mannwhitneyu 'exact', which ignores ties: {naive:.6g})")

    for desc, a, b in LARGE:
        ours = stats.mann_whitney_p(a, b)
        ref = st.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True).pvalue
        report(math.isclose(ours, ref, rel_tol=1e-9, abs_tol=1e-15),
               f"Mann-Whitney normal approximation, {desc}: p {ours:.6g} = SciPy's {ref:.6g}")

    sizes = [(1, 1), (1, 39), (1, 40), (2, 7), (2, 8), (3, 3), (3, 4), (4, 4), (5, 5), (11, 11)]
    bad = []
    for na, nb in sizes:
        ref = st.mannwhitneyu(list(range(na)), list(range(na, na + nb)), method="exact").pvalue
        if not math.isclose(stats.min_attainable_p(na, nb), min(1.0, ref), rel_tol=1e-12):
            bad.append(f"{na} vs {nb}: ours {stats.min_attainable_p(na, nb)}, SciPy {ref}")
    report(not bad, "smallest attainable p = SciPy's exact p of separated samples, for "
           + ", ".join(f"{a} vs {b}" for a, b in sizes), "\n".join(bad))

    def sc_interval(a, b, n, ratio):
        if ratio:
            def stat(x, y, axis):
                return np.median(y, axis=axis) / np.median(x, axis=axis)
        else:
            def stat(x, y, axis):
                return np.median(y, axis=axis) - np.median(x, axis=axis)
        r = st.bootstrap((a, b), stat, vectorized=True, paired=False, n_resamples=n, method="percentile",
                         confidence_level=0.95, random_state=1)
        return r.confidence_interval.low, r.confidence_interval.high

    for desc, a, b, excludes_zero in BOOTSTRAP:
        for n, tol in ((20000, 0.03), (2000, 0.12)):
            diffs, ratios = stats.bootstrap_medians(a, b, n, seed=1)
            lo, hi = stats.percentile_interval(diffs, 0.95)
            rlo, rhi = stats.percentile_interval(ratios, 0.95)
            slo, shi = sc_interval(a, b, n, ratio=False)
            srlo, srhi = sc_interval(a, b, n, ratio=True)
            w, rw = hi - lo, rhi - rlo
            close = (abs(lo - slo) <= tol * w and abs(hi - shi) <= tol * w
                     and abs(rlo - srlo) <= tol * rw and abs(rhi - srhi) <= tol * rw)
            same_side = ((lo > 0 or hi < 0) == (slo > 0 or shi < 0) == excludes_zero)
            report(close and same_side,
                   f"bootstrap, {desc}, {n} resamples: ours {lo:+.2f}..{hi:+.2f} TSC cycles "
                   f"({rlo:.4f}x..{rhi:.4f}x), SciPy {slo:+.2f}..{shi:+.2f} ({srlo:.4f}x..{srhi:.4f}x): "
                   f"within {tol:.0%} of the width; excludes 0: {excludes_zero}",
                   f"width {w:.3f}; ends differ by {lo - slo:+.3f}, {hi - shi:+.3f}")

    # The rank test and the interval together: ./compare's verdict on each case.
    verdicts = []
    for desc, a, b, excludes_zero in BOOTSTRAP:
        j = stats.judge(a, b)
        p_ref = st.mannwhitneyu(a, b, alternative="two-sided", method="exact").pvalue
        slo, shi = sc_interval(a, b, 2000, ratio=False)
        ref = ("slower" if p_ref < 0.05 and slo > 0 else "faster" if p_ref < 0.05 and shi < 0 else "same")
        if stats.min_attainable_p(len(a), len(b)) >= 0.05:
            ref = "too few trials"
        verdicts.append((desc, j["verdict"], ref))
    report(all(o == r for _, o, r in verdicts),
           "./compare's verdict from SciPy's p and interval is ours on every bootstrap case ("
           + ", ".join(f"{d}: {o}" for d, o, _ in verdicts) + ")",
           "\n".join(f"{d}: ours {o}, SciPy {r}" for d, o, r in verdicts if o != r))
    # The exact enumeration is complete: every partition was counted.
    a, b = [1.0, 2.0, 2.0], [2.0, 3.0, 4.0, 4.0]
    counts = stats._exact_rank_sum_counts(stats.midranks2(a + b), len(a))
    report(sum(counts.values()) == math.comb(7, 3) == len(list(itertools.combinations(range(7), 3))),
           f"the exact rank-sum distribution counts all C(7, 3) = {math.comb(7, 3)} partitions")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
