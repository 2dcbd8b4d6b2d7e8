/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A test's expected exits (struct exit_expect) resolved for this vendor and
 * KVM configuration into the plan every counter source is judged against.
 */
#ifndef EXITBENCH_EXPECT_H
#define EXITBENCH_EXPECT_H

#include "counters.h"
#include "exitbench.h"
#include "kvm_config.h"

/*
 * Resolve @e (ending at the first entry with no why) into @p: one entry per
 * distinct reason of this vendor, counts of entries that apply added up,
 * reasons of entries that do not apply kept with a count of 0. With
 * @harness_io the ucall reporting each loop adds one IO exit per window.
 * The host's own interrupt reasons are added last, counted and not judged
 * (unless the test expects them). Returns 0, or -1 when they do not fit.
 */
int expect_resolve(struct expect_plan *p, const struct exit_expect *e,
		   const struct kvm_config *c, bool harness_io);
/* Add @a's counts into @sum (a plan of the same vendor); -1 when full. */
int expect_add(struct expect_plan *sum, const struct expect_plan *a);
/* The exit the vendor reports for @id, or EXIT_NONE (no vendor, or none there). */
uint32_t expect_code(enum vendor v, struct exit_reason_id id);
/* Does this entry apply with KVM set up as @c? */
bool expect_applies(const struct exit_expect *e, const struct kvm_config *c);
/* The kernel's name of a plan reason: "CPUID", "npf", "IO_INSTRUCTION/io". */
const char *expect_reason_name(enum vendor v, const struct expect_reason *r,
			       char *buf, size_t len);

#endif
