/* SPDX-License-Identifier: GPL-2.0-only */
/* One test's result: the KTAP line, the JSON file and the exit status. */
#ifndef EXITBENCH_RESULT_H
#define EXITBENCH_RESULT_H

#include "cli.h"
#include "counters.h"
#include "exitbench.h"
#include "reasons.h"
#include "stats.h"

#define RESULT_SCHEMA_VERSION 1

enum result_kind {
	RESULT_MEASURED,	/* pass or fail decided from the figures */
	RESULT_SKIP,
	RESULT_FAIL,
};

struct result {
	const struct exit_test *test;
	const struct options *opts;
	enum vendor vendor;
	unsigned long tsc_khz;
	bool scaled;
	uint64_t iterations;
	unsigned int ntrials;
	double samples[MAX_TRIALS];		/* TSC cycles per exit */
	uint64_t loop_cycles[MAX_TRIALS];
	uint64_t baseline_cycles[MAX_TRIALS];
	uint64_t loop_iterations[MAX_TRIALS];	/* self-timed: exits seen */
	struct counter_set counters;
	char reason[512];			/* why skipped or failed */
};

void result_init(struct result *r, const struct exit_test *t, const struct options *o);
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
