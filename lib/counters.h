/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counter sources: ways to learn how many exits of one reason a vCPU took.
 * Each source is one file (lib/counter_*.c) defining a counter_source_ops and
 * one line in the table of lib/counters.c. The runner reads every open source
 * before and after each timed loop and judges the deltas here.
 */
#ifndef EXITBENCH_COUNTERS_H
#define EXITBENCH_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exitbench.h"
#include "reasons.h"

/* KVM_EXIT_* values the harness counts itself (see counter_vmm.c). */
#define VMM_EXIT_SLOTS 64

/* What a source is asked to count. */
struct counter_target {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	enum vendor vendor;
	struct exit_reason_id reason;
	/* KVM_EXIT_* each exit of the loop reaches userspace as; 0: none. */
	uint32_t userspace_exit;
	/* Userspace exits the runner saw, by KVM_EXIT_* (for counter_vmm.c). */
	const uint64_t *vmm_exits;
	/* Run the guest through a round that exits at least once; 0 on success. */
	int (*kick)(const struct counter_target *t);
};

struct counter_reading {
	uint64_t reason;	/* exits of the target reason */
	uint64_t total;		/* exits of every reason */
	/* Host TSC cycles charged to the target reason, when the source has them. */
	bool has_cycles;
	uint64_t reason_cycles;
	/* Sources that see every reason fill in the count of each bucket. */
	bool has_buckets;
	uint64_t buckets[EXIT_BUCKETS];	/* indexed by exit_bucket() */
};

struct counter_source;

struct counter_source_ops {
	const char *name;	/* as given to --counters */
	const char *what;	/* one line for the README and -v */
	/*
	 * Prepare to count for @t. Return 0, or -1 with why the source cannot
	 * be used here in @why. Set src->sees_reason / src->sees_total.
	 */
	int (*open)(struct counter_source *src, const struct counter_target *t,
		    char *why, size_t len);
	/* Read the current values; -1 with @why on failure. */
	int (*read)(struct counter_source *src, struct counter_reading *r,
		    char *why, size_t len);
	void (*close)(struct counter_source *src);
	/*
	 * Sources that add work to every exit (a perf tracepoint counter) would
	 * inflate the timed loops, and sources that run the guest to read
	 * (counter_dmesg.c) would add exits to them: they count in a window of
	 * their own, after the trials, switched on and off here. That window
	 * begins with them, in reverse table order, and ends with them last.
	 */
	void (*set_active)(struct counter_source *src, bool on);
};

enum verdict {
	VERDICT_EXACT,
	VERDICT_WITHIN,
	VERDICT_UNVERIFIED,
	VERDICT_MISMATCH,
};

struct counter_source {
	const struct counter_source_ops *ops;
	void *priv;
	bool usable;		/* opened and consistent so far */
	bool sees_reason;
	bool sees_total;
	char why[256];		/* why not usable */
	struct counter_reading before;
	/* Sums over the timed windows. */
	uint64_t expected, counted, total, windows;
	enum verdict verdict;	/* worst window so far */
	/* Kernel-side cycles of the reason over all windows (exit to next entry). */
	bool has_cycles;
	uint64_t cycles;
	/* Exits of every reason over all windows, when the source sees them. */
	bool has_buckets;
	uint64_t by_bucket[EXIT_BUCKETS];
	/* Its count in the perturbing sources' window, read over the same loop. */
	bool xcheck;
	uint64_t xcheck_counted;
};

#define MAX_COUNTER_SOURCES 16

struct counter_set {
	struct counter_source src[MAX_COUNTER_SOURCES];
	int n;
	double tolerance;
	/* Exits expected in the perturbing window; 0 when there was none. */
	uint64_t xcheck_expected;
};

extern const struct counter_source_ops *const counter_sources[];

/* Check a --counters list; -1 with the unknown name in @err. */
int counters_validate(const char *list, char *err, size_t len);
/*
 * Open the sources named in @list (NULL: all), in priority order. A source
 * named explicitly that cannot be used is an error (-1, @err says why).
 */
int counters_open(struct counter_set *cs, const char *list,
		  const struct counter_target *t, double tolerance,
		  char *err, size_t len);
/*
 * Begin a window for the sources that do not perturb the loop (@perturbing
 * false: the timed trials) or for every source (true: an untimed window in
 * which those that perturb count too, so all of them count the same loop).
 */
void counters_begin(struct counter_set *cs, bool perturbing);
/* End it: @expected exits of the reason should have happened. */
void counters_end(struct counter_set *cs, bool perturbing, uint64_t expected);
/* Is any usable source of the perturbing kind open? */
bool counters_any_perturbing(const struct counter_set *cs);
void counters_close(struct counter_set *cs);
/* The source whose verdict stands: the first usable one that sees the reason. */
const struct counter_source *counters_primary(const struct counter_set *cs);
enum verdict counters_verdict(const struct counter_set *cs);

/*
 * How many sources that see the reason counted the perturbing window, and
 * whether their counts of that one loop are equal (@agree).
 */
int counters_cross_check(const struct counter_set *cs, bool *agree);

enum verdict judge(uint64_t expected, uint64_t counted, double tolerance);
const char *verdict_name(enum verdict v);
enum verdict verdict_worse(enum verdict a, enum verdict b);

#endif
