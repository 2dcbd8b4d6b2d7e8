// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c mov_to_cr8: MOV of 0 to CR8 with no interrupt
 * pending. VMX writes the TPR shadow and exits only below the TPR
 * threshold, which KVM sets only for a pending interrupt; SVM drops its
 * CR8-write intercept while no interrupt is pending. No exit either way,
 * except on VMX without a TPR shadow.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tmov %%rax, %%cr8", (), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tmov %%rax, %%rax", (), "rax");
}

static bool no_tpr_shadow(const struct kvm_config *c)
{
	return !c->tpr_shadow;
}

EXIT_TEST(
	.name = "mov_to_cr8",
	.kut_name = "mov_to_cr8",
	.summary = "MOV of 0 to CR8, no interrupt pending (no exit with the TPR shadow / on SVM); baseline: MOV between registers",
	.expect = {
		{ .reason = { EXIT_REASON_CR_ACCESS, EXIT_NONE }, .per_iteration = 1, .when = no_tpr_shadow,
		  .why = "VMX without a TPR shadow: CR8-store exiting" },
		{ .reason = { EXIT_REASON_TPR_BELOW_THRESHOLD, SVM_EXIT_WRITE_CR8 }, .per_iteration = 0,
		  .why = "no exit otherwise: no interrupt is pending, so KVM sets no TPR threshold (VMX) and no CR8-write intercept (SVM)" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
