/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef EXITBENCH_CLI_H
#define EXITBENCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DEFAULT_TRIALS 11
#define DEFAULT_TARGET_CYCLES (1ULL << 25)
#define MAX_TRIALS 1000

struct options {
	uint64_t iterations;	/* -n; 0: scale to --target-cycles */
	unsigned int trials;	/* -t */
	int cpu;		/* -c; -1: do not pin */
	const char *json_path;	/* --json */
	int verbose;		/* -v, repeatable */
	uint64_t target_cycles;	/* --target-cycles */
	const char *counters;	/* --counters=a,b; NULL: every available */
	bool help;		/* -h */
};

/*
 * Parse @argv into @o. Returns 0, or -1 with a one-line reason in @err
 * (the caller prints usage and exits 2).
 */
int parse_options(int argc, char **argv, struct options *o, char *err, size_t errlen);
void print_usage(FILE *f, const char *prog, const char *summary);

#endif
