// SPDX-License-Identifier: GPL-2.0-only
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double percentile_sorted(const double *v, size_t n, double p)
{
	double rank, frac;
	size_t lo;

	if (!n || p < 0 || p > 100)
		return NAN;
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	if (lo + 1 >= n)
		return v[n - 1];
	frac = rank - (double)lo;
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

struct summary summarize(const double *samples, size_t n)
{
	struct summary s = { .n = n };
	double *v, sum = 0, sq = 0;
	size_t i;

	s.median = s.min = s.max = s.p10 = s.p90 = NAN;
	s.mean = s.stddev = s.cv = NAN;
	if (!n)
		return s;

	v = malloc(n * sizeof(*v));
	if (!v)
		abort();
	memcpy(v, samples, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);

	s.min = v[0];
	s.max = v[n - 1];
	s.median = percentile_sorted(v, n, 50);
	s.p10 = percentile_sorted(v, n, 10);
	s.p90 = percentile_sorted(v, n, 90);
	for (i = 0; i < n; i++)
		sum += v[i];
	s.mean = sum / (double)n;
	for (i = 0; i < n; i++)
		sq += (v[i] - s.mean) * (v[i] - s.mean);
	/* Sample standard deviation; a single trial has none. */
	s.stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	s.cv = s.mean != 0 ? s.stddev / fabs(s.mean) : NAN;
	free(v);
	return s;
}
