/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef EXITBENCH_STATS_H
#define EXITBENCH_STATS_H

#include <stddef.h>

struct summary {
	size_t n;
	double median, min, max, p10, p90, mean, stddev;
	double cv;	/* stddev / |mean|; NAN when the mean is 0 */
};

/* Percentile @p in [0, 100] of sorted @v, linear between closest ranks. */
double percentile_sorted(const double *v, size_t n, double p);
/* Summarize @n samples (not modified); n == 0 gives all NAN. */
struct summary summarize(const double *samples, size_t n);

#endif
