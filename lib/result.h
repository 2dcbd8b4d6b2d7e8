/* SPDX-License-Identifier: GPL-2.0-only */
/* One test's result: the KTAP line, the JSON file and the exit status. */
#ifndef EXITBENCH_RESULT_H
#define EXITBENCH_RESULT_H

#include "cli.h"
#include "counters.h"
#include "exitbench.h"
#include "kvm_config.h"
#include "reasons.h"
#include "stats.h"

#define RESULT_SCHEMA_VERSION 1

/*
 * A figure whose coefficient of variation over the trials is above
 * --max-cv (DEFAULT_MAX_CV; judged from CV_MIN_TRIALS trials on) is "not
 * measurable here": the test skips, with the CV and its attribution.
 */
#define CV_MIN_TRIALS 3

enum result_kind {
	RESULT_MEASURED,	/* pass or fail decided from the figures */
	RESULT_SKIP,
	RESULT_FAIL,
};

/* One vCPU of a test with several: its role, its counters, its figures. */
struct result_vcpu {
	bool receiver;
	int cpu;				/* pinned to, or -1 */
	struct expect_plan plan;
	struct counter_target target;
	struct counter_set counters;
	double samples[MAX_TRIALS];		/* its own cycles per exit */
};

/* Wall-clock seconds of the run's phases (CLOCK_MONOTONIC). */
struct result_phases {
	double setup, scaling, trials, cross_check;
};

struct result {
	const struct exit_test *test;
	const struct options *opts;
	enum vendor vendor;
	struct kvm_config config;
	unsigned long tsc_khz;
	bool scaled;
	uint64_t iterations;
	uint64_t target_cycles;			/* what N was scaled to */
	double noise_spread;			/* the baseline's, when it chose the target */
	unsigned int ntrials;
	double samples[MAX_TRIALS];		/* TSC cycles per exit */
	uint64_t loop_cycles[MAX_TRIALS];
	uint64_t baseline_cycles[MAX_TRIALS];
	uint64_t loop_iterations[MAX_TRIALS];	/* self-timed: exits seen */
	/* The test's figures besides the main one, per trial. */
	double figure_samples[MAX_FIGURES][MAX_TRIALS];
	/* What the main figure divides by per iteration, and its unit. */
	uint64_t figure_divisor;
	char unit[96];
	/*
	 * The attribution: with one vCPU its counters; with several, their
	 * sum (and each vCPU's in @vcpu[]), judged against @plan_all.
	 */
	struct expect_plan plan, plan_all;
	struct counter_target target_all;
	struct counter_set counters;
	unsigned int nvcpus;
	/*
	 * One per vCPU (allocated: a static array would be loaded into every
	 * guest with the rest of the binary's data).
	 */
	struct result_vcpu *vcpu;
	struct result_phases phases;
	char reason[1024];			/* why skipped or failed */
};

void result_init(struct result *r, const struct exit_test *t, const struct options *o);
/*
 * One result per run: the first thread to call goes on, any other (vCPU
 * threads whose loops time out together) waits until the process exits,
 * so that two never write the result file at once.
 */
void result_claim(void);
/* Print the KTAP line, write the JSON, exit with the kselftest code. */
__attribute__((noreturn)) void result_finish(struct result *r, enum result_kind kind);
/* Skip before the VM exists (no /dev/kvm...): @err is an errno or 0. */
__attribute__((noreturn)) void result_skip_early(const struct exit_test *t,
						 const char *json_path,
						 const char *why, int err);
/* "CPUID" on VMX, "cpuid" on SVM, "CPUID/cpuid" when the vendor is neither. */
const char *result_reason_name(const struct exit_test *t, enum vendor v,
			       char *buf, size_t len);

#endif
