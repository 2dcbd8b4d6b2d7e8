# SPDX-License-Identifier: GPL-2.0-only
"""Statistics for ./compare: is run B's cycles/exit different from run A's?

Inputs are the per-trial cycles-per-exit samples of one test in two runs.
A difference is "beyond noise" when both of these hold:

  1. Mann-Whitney U (Wilcoxon rank-sum), two-sided, p < alpha. Exact null
     distribution (ties handled with midranks) up to EXACT_MAX_N samples in
     all, the normal approximation with tie and continuity correction above.
  2. The (1 - alpha) percentile bootstrap interval of median(B) - median(A)
     excludes 0 (equivalently, the interval of the ratio of medians excludes
     1.0x). Seeded: the same inputs always give the same interval.

The rank test is what makes few or near-identical samples behave: it has a
smallest attainable p-value, 2 / C(nA + nB, nA), and when that is not below
alpha (3 vs 4 trials, 1 vs anything under 40) no outcome could be called
significant, so the verdict is "too few trials", never "same". Samples that
repeat to within 0.5% (Bochs) but are wholly separated are significant
however small the shift; identical samples give p = 1.
"""
import math
import random
import zlib

EXACT_MAX_N = 60


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        raise ValueError("median of no samples")
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def quantile(xs, q):
    """Linear interpolation between order statistics (numpy's default, and
    what lib/stats.c reports as p10/p90)."""
    s = sorted(xs)
    if not s:
        raise ValueError("quantile of no samples")
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def midranks2(values):
    """Twice the midrank of each value in the pooled sample (integers)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks2 = [0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        # positions i..j (0-based) share ranks i+1..j+1: twice the mean is i+j+2
        for k in range(i, j + 1):
            ranks2[order[k]] = i + j + 2
        i = j + 1
    return ranks2


def _exact_rank_sum_counts(ranks2, n_a):
    """Number of ways to pick n_a of the pooled (doubled) ranks with each
    possible sum. A generating function, one big integer per subset size:
    bit field s * width of poly[k] holds the count of k-subsets summing to s."""
    total_sum = sum(ranks2)
    width = len(ranks2) + 2  # counts are below 2^len(ranks2)
    poly = [0] * (n_a + 1)
    poly[0] = 1
    for r in ranks2:
        for k in range(n_a, 0, -1):
            if poly[k - 1]:
                poly[k] += poly[k - 1] << (r * width)
    bits = format(poly[n_a], "b").zfill((total_sum + 1) * width)
    counts = {}
    for s in range(total_sum + 1):
        end = len(bits) - s * width
        c = int(bits[end - width:end], 2)
        if c:
            counts[s] = c
    return counts


def mann_whitney_p(a, b):
    """Two-sided p-value of the Mann-Whitney U test of a against b."""
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0:
        raise ValueError("Mann-Whitney needs samples on both sides")
    pooled = list(a) + list(b)
    ranks2 = midranks2(pooled)
    n = n_a + n_b
    w2 = sum(ranks2[:n_a])          # twice A's rank sum
    mean2 = n_a * (n + 1)           # twice its expectation under the null
    if len(set(pooled)) == 1:
        return 1.0
    if n <= EXACT_MAX_N:
        counts = _exact_rank_sum_counts(ranks2, n_a)
        dev = abs(w2 - mean2)
        extreme = sum(c for s, c in counts.items() if abs(s - mean2) >= dev)
        return min(1.0, extreme / sum(counts.values()))
    # Normal approximation on U with tie and continuity correction.
    u = w2 / 2 - n_a * (n_a + 1) / 2
    var = u_variance(a, b)
    if var <= 0:
        return 1.0
    z = (abs(u - n_a * n_b / 2) - 0.5) / math.sqrt(var)
    return min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def u_variance(a, b):
    """Variance of U under the null, corrected for ties."""
    n_a, n_b = len(a), len(b)
    n = n_a + n_b
    ties = {}
    for v in list(a) + list(b):
        ties[v] = ties.get(v, 0) + 1
    tie_term = sum(t ** 3 - t for t in ties.values()) / (n * (n - 1))
    return n_a * n_b / 12 * ((n + 1) - tie_term)


def min_attainable_p(n_a, n_b):
    """The smallest two-sided p-value the rank test can give for these sizes
    (wholly separated samples without ties)."""
    return min(1.0, 2 / math.comb(n_a + n_b, n_a))


def bootstrap_medians(a, b, resamples, seed):
    """Percentile bootstrap of median(b) - median(a) and of median(b) /
    median(a); returns the resampled (differences, ratios), ratios None when
    a resampled median of a is not positive (no ratio exists there)."""
    rng = random.Random(seed)
    diffs, ratios = [], []
    for _ in range(resamples):
        ma = median(rng.choices(a, k=len(a)))
        mb = median(rng.choices(b, k=len(b)))
        diffs.append(mb - ma)
        if ratios is not None:
            if ma > 0:
                ratios.append(mb / ma)
            else:
                ratios = None
    return diffs, ratios


def percentile_interval(xs, level):
    """Order statistics bounding the central `level` of xs (no interpolation,
    so the interval of the difference and of the ratio agree on the sign)."""
    s = sorted(xs)
    tail = (1 - level) / 2
    lo = s[max(0, math.floor(tail * len(s)))]
    hi = s[min(len(s) - 1, math.ceil((1 - tail) * len(s)) - 1)]
    return lo, hi


def test_seed(seed, test_name, run_index):
    """A seed per (test, run) that does not depend on what else is compared."""
    return seed * 1_000_003 + zlib.crc32(test_name.encode()) * 101 + run_index


def judge(a, b, alpha=0.05, resamples=2000, seed=1):
    """Compare samples b against baseline samples a. Returns a dict:
    median_a, median_b (TSC cycles), ratio (x, None unless median_a > 0),
    change_pct, diff_ci (TSC cycles), ratio_ci (x or None), p, min_p,
    verdict: same | slower | faster | too few trials."""
    ma, mb = median(a), median(b)
    ratio = mb / ma if ma > 0 else None
    p = mann_whitney_p(a, b)
    min_p = min_attainable_p(len(a), len(b))
    diffs, ratios = bootstrap_medians(a, b, resamples, seed)
    level = 1 - alpha
    diff_ci = percentile_interval(diffs, level)
    ratio_ci = percentile_interval(ratios, level) if ratios else None
    if min_p >= alpha:
        verdict = "too few trials"
    elif p < alpha and diff_ci[0] > 0:
        verdict = "slower"
    elif p < alpha and diff_ci[1] < 0:
        verdict = "faster"
    else:
        verdict = "same"
    return {
        "median_a": ma,
        "median_b": mb,
        "ratio": ratio,
        "change_pct": (ratio - 1) * 100 if ratio is not None else None,
        "diff_ci": list(diff_ci),
        "ratio_ci": list(ratio_ci) if ratio_ci else None,
        "p": p,
        "min_p": min_p,
        "verdict": verdict,
    }
