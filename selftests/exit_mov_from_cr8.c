// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c mov_from_cr8: MOV from CR8 (the TPR). With the
 * in-kernel LAPIC, VMX reads it from the TPR shadow and SVM never
 * intercepts CR8 reads: no exit. Only VMX without a TPR shadow exits.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %%cr8, %%rax", (), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %%rax, %%rax", (), "rax");
}

static bool no_tpr_shadow(const struct kvm_config *c)
{
	return !c->tpr_shadow;
}

EXIT_TEST(
	.name = "mov_from_cr8",
	.kut_name = "mov_from_cr8",
	.summary = "MOV from CR8 (no exit with the TPR shadow / on SVM); baseline: MOV between registers",
	.expect = {
		{ .reason = { EXIT_REASON_CR_ACCESS, EXIT_NONE }, .per_iteration = 1, .when = no_tpr_shadow,
		  .why = "VMX without a TPR shadow: CR8-load exiting" },
		{ .reason = { EXIT_REASON_CR_ACCESS, SVM_EXIT_READ_CR8 }, .per_iteration = 0,
		  .why = "no exit otherwise: the read is virtualized (VMX) or never intercepted (SVM)" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
