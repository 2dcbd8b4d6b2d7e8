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
#include <sys/types.h>

#include "exitbench.h"
#include "reasons.h"

/* KVM_EXIT_* values the harness counts itself (see counter_vmm.c). */
#define VMM_EXIT_SLOTS 64

/*
 * The exits a window should hold, reason by reason, resolved from a test's
 * expectations against the vendor and KVM's configuration (lib/expect.c).
 */
#define MAX_TARGET_REASONS 24
struct expect_reason {
	struct exit_reason_id id;
	uint32_t code;		/* the vendor's exit reason; EXIT_NONE: no vendor */
	uint64_t per_iteration;
	uint64_t per_window;
	int64_t per_host_exit;	/* per host interrupt exit in the window */
	int64_t per_event[MAX_EVENTS];	/* per event the guest counted */
	bool timing;		/* timing-dependent: counted, not judged */
	bool host;		/* the host's own interrupts: counted, not judged */
	bool harness;		/* only the harness's ucall (not stated by the test) */
	/*
	 * Nested plans (@nested): where the exits are taken (enum exit_level),
	 * and whether the same reason is expected at the other level too
	 * (@shared: then only an EXIT_L1_L2 entry, the sum, is seen by a
	 * source that cannot tell the levels apart).
	 */
	uint8_t level;
	bool nested, shared;
};

struct expect_plan {
	enum vendor vendor;
	int n;
	struct expect_reason r[MAX_TARGET_REASONS];
	/* Index of the test's reason in r[], or -1 (the loop should not exit). */
	int primary;
	/* Some exits are expected in L2 (a nested test): entries carry levels. */
	bool nested;
};

/* What a source is asked to count. */
struct counter_target {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	/* The vCPU's thread (per-thread sources, e.g. perf); 0: the caller's. */
	pid_t tid;
	enum vendor vendor;
	/* The test's reason (plan->r[plan->primary]; EXIT_NONE: none). */
	struct exit_reason_id reason;
	/* Every reason to count: the test's expectations and the host's. */
	const struct expect_plan *plan;
	/*
	 * Sources that count every vCPU of the host at once (src->all_vcpus)
	 * are judged against this plan, the sum over the VM's vCPUs; NULL:
	 * the same as @plan (one vCPU).
	 */
	const struct expect_plan *plan_all;
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
	/*
	 * Sources that count reason by reason (no buckets) fill in the count
	 * of each reason of the plan they see (bit i of src->sees: each[i]).
	 */
	uint64_t each[MAX_TARGET_REASONS];
	/*
	 * Sources that tell exits taken while the vCPU ran a nested guest (L2)
	 * from those of L1 (the patched kernel's) fill in the L2 part of the
	 * counts above: reason, total and buckets count both levels, so L1's
	 * are the differences.
	 */
	bool has_l2;
	uint64_t l2_reason, l2_total;
	uint64_t l2_buckets[EXIT_BUCKETS];
	uint64_t l2_each[MAX_TARGET_REASONS];
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
	 * Such a source sets @own_window. A source whose mere presence
	 * perturbs (a perf event on a tracepoint registers its probe when
	 * created) also has @set_active, and exists only while on: return 0,
	 * or -1 with why in @why (the source is then dropped).
	 */
	bool own_window;
	int (*set_active)(struct counter_source *src, bool on, char *why, size_t len);
	/*
	 * Opened only when --counters names it (the readers of course-patch
	 * interfaces: probing them costs exits and time on every other kernel).
	 */
	bool explicit_only;
	/* Takes an argument: named as NAME:ARG (file:PATH:FORMAT). */
	bool has_arg;
	/* Check ARG before any work: 0, or -1 with why in @why. */
	int (*check_arg)(const char *arg, char *why, size_t len);
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
	bool sees_reason;	/* sees the test's reason (reading.reason) */
	bool sees_total;
	/* Bit i: sees plan reason i (reading.each[i]); buckets see them all. */
	uint32_t sees;
	/* Counts every vCPU of the host together (judged against plan_all). */
	bool all_vcpus;
	/*
	 * Reads its counts one at a time, with exits in between (the CPUID
	 * reader's host interrupts): its total and its host-interrupt count
	 * are not one snapshot, so it does not judge exits of no reason.
	 */
	bool piecewise;
	/*
	 * Nested plans: which levels of an exit the source tells apart
	 * (lib/counters.c, level_visible()). @sees_levels: exits taken in L1
	 * and in L2 apart; @sees_reflected: also the L2 exits reflected into
	 * L1; @l0_handled: it counts what KVM handled itself (stock stats),
	 * not hardware exits, so it is judged on L1's exits alone.
	 */
	bool sees_levels, sees_reflected, l0_handled;
	char why[256];		/* why not usable */
	/* NAME:ARG's ARG, for a source that takes one (has_arg). */
	char arg[256];
	/*
	 * What the kernel itself calls the reasons it counts, where its
	 * interface prints names (a course kernel's log lines): checked by
	 * ./check_kernel against the kernel's own tables.
	 */
#define MAX_PRINTED_NAMES 64
	int n_printed;
	struct {
		uint32_t code;
		char name[32];
	} printed[MAX_PRINTED_NAMES];
	/* One line on what the source found (a detected layout, N of a dump). */
	char found[160];
	struct counter_reading before;
	/* Sums over the timed windows, for the test's reason (or, when the
	 * loop should not exit, for the exits of no expected reason). */
	uint64_t expected, counted, total, windows;
	enum verdict verdict;	/* worst window so far, over every judged reason */
	/* The same per plan reason, where seen. */
	uint64_t r_expected[MAX_TARGET_REASONS], r_counted[MAX_TARGET_REASONS];
	enum verdict r_verdict[MAX_TARGET_REASONS];
	/* Exits of no plan reason (must be none), when it sees every reason. */
	bool judges_other;
	uint64_t other;
	enum verdict other_verdict;
	/* Kernel-side cycles of the reason over all windows (exit to next entry). */
	bool has_cycles;
	uint64_t cycles;
	/* Exits of every reason over all windows, when the source sees them. */
	bool has_buckets;
	uint64_t by_bucket[EXIT_BUCKETS];
	/* The part of those taken in L2, when the source tells (has_l2). */
	bool has_l2;
	uint64_t l2_counted, l2_total;
	uint64_t l2_by_bucket[EXIT_BUCKETS];
	/* Its count in the perturbing sources' window, read over the same loop. */
	bool xcheck;
	uint64_t xcheck_counted;
	uint64_t xcheck_each[MAX_TARGET_REASONS];	/* per plan reason, where seen */
	uint64_t xcheck_other;
};

#define MAX_COUNTER_SOURCES 16

struct counter_set {
	struct counter_source src[MAX_COUNTER_SOURCES];
	int n;
	double tolerance;
	/* Exits expected in the perturbing window; 0 when there was none. */
	uint64_t xcheck_expected;
	/*
	 * The test's reason's exits the plan expects over the timed windows,
	 * whatever source counts them (what a result states when none can);
	 * @plan_expected_known false where that needs the host's exits or the
	 * guest's events, or the loop should not exit.
	 */
	uint64_t plan_expected;
	bool plan_expected_known;
	const struct counter_target *target;
	/* Events of every vCPU, summed: for the sources of every vCPU at once. */
	const uint64_t *events_all;
};

extern const struct counter_source_ops *const counter_sources[];

/*
 * Check a --counters list; -1 with the unknown name in @err. Elements:
 * NAME (must be usable), try:NAME (used when usable), default (every source
 * opened without --counters, each when usable), file:PATH:FORMAT.
 */
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
/*
 * End it: the loop ran @iterations iterations (self-timed loops: the exits
 * the guest saw), so each reason of the plan should have
 * per_iteration x @iterations + per_window + per_host_exit x (host exits)
 * exits, and no other reason any.
 */
void counters_end(struct counter_set *cs, bool perturbing, uint64_t iterations);
/* The same, with the events the guest counted in the loop (MAX_EVENTS; NULL: none). */
void counters_end_events(struct counter_set *cs, bool perturbing, uint64_t iterations,
			 const uint64_t *events);
/* Is any usable source of the perturbing kind open? */
bool counters_any_perturbing(const struct counter_set *cs);
void counters_close(struct counter_set *cs);
/* The plan @s is judged against (plan_all for a source of every vCPU). */
const struct expect_plan *counters_plan(const struct counter_set *cs,
					const struct counter_source *s);
/* Does @s count plan reason @i? */
bool counters_sees(const struct counter_set *cs, const struct counter_source *s, int i);
/* Did @s judge anything (a reason of the plan, or the exits of no reason)? */
bool counters_judged(const struct counter_set *cs, const struct counter_source *s);
/*
 * The source whose figures are reported: the first usable one that judges
 * the test's reason (with none, the one that judges every exit).
 */
const struct counter_source *counters_primary(const struct counter_set *cs);
enum verdict counters_verdict(const struct counter_set *cs);

/*
 * How many sources that see the reason counted the perturbing window, and
 * whether their counts of that one loop are equal (@agree), reason by
 * reason wherever two of them see it.
 */
int counters_cross_check(const struct counter_set *cs, bool *agree);

enum verdict judge(uint64_t expected, uint64_t counted, double tolerance);
const char *verdict_name(enum verdict v);
enum verdict verdict_worse(enum verdict a, enum verdict b);

/* Remember a name the kernel prints for @code (first one wins). */
void counter_source_note_name(struct counter_source *s, uint32_t code, const char *name);

#endif
