/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef EXITBENCH_CLI_H
#define EXITBENCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DEFAULT_TRIALS 11
/* The longest a trial's loop is scaled to by default (TSC cycles)... */
#define DEFAULT_TARGET_CYCLES (1ULL << 25)
/* ...and the shortest: where a quiet platform (Bochs) stops. */
#define MIN_TARGET_CYCLES (1ULL << 20)
/* Above this CV over the trials a figure is "not measurable here" (--max-cv). */
#define DEFAULT_MAX_CV 0.5
#define MAX_TRIALS 1000
/* vCPUs a test may run (lib/exitbench.h MAX_VCPUS). */
#define MAX_CLI_CPUS 16

/* Exit codes of every kvm-exitbench tool (README, "Exit status"). */
#define EXIT_USAGE 2	/* bad option, argument or input: nothing started */
#define EXIT_ERROR 3	/* could not finish: a write failed, a missing piece */

struct options {
	uint64_t iterations;	/* -n; 0: scale to --target-cycles */
	unsigned int trials;	/* -t */
	int cpu;		/* -c; -1: do not pin (the first of @cpus) */
	int cpus[MAX_CLI_CPUS];	/* -c CPU,CPU,...: one per vCPU, or one for all */
	unsigned int ncpus;
	const char *cpu_arg;	/* -c as given, for messages */
	unsigned int vcpus;	/* --vcpus; 0: the test's default */
	bool xapic;		/* --xapic: the guest's APIC in xAPIC mode */
	bool kvmclock;		/* --kvmclock: the vCPUs' kvmclock on, as in QEMU's VM */
	const char *json_path;	/* --json */
	int verbose;		/* -v, repeatable */
	uint64_t target_cycles;	/* --target-cycles; 0: scaled to the noise */
	const char *counters;	/* --counters=a,b; NULL: every available */
	bool help;		/* -h */
	bool dry_run;		/* --dry-run: check the options, run nothing */
	double max_cv;		/* --max-cv, as a fraction: not measurable above */
};

/*
 * Parse @argv into @o. Returns 0, or -1 with a one-line reason in @err
 * (the caller prints usage and exits 2).
 */
int parse_options(int argc, char **argv, struct options *o, char *err, size_t errlen);
void print_usage(FILE *f, const char *prog, const char *summary);
/* The line after a usage error: the synopsis and where the help is. */
void print_usage_hint(FILE *f, const char *prog);
/*
 * Can @path be created as a new file (it must not exist; its directory must
 * exist and be writable)? 0, or -1 with a one-line reason naming @opt.
 */
int check_new_file(const char *opt, const char *path, char *err, size_t len);

#endif
