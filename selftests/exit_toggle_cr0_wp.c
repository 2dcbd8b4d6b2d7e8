// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c toggle_cr0_wp: clear CR0.WP, then set it. With
 * EPT, VMX lets the guest own CR0.WP: no exit. SVM with NPT lets CR0 writes
 * through when the guest's CR0 matches KVM's, but its selective CR0
 * intercept still catches every change of a bit other than TS and MP.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	uint64_t cr0 = get_cr0() & ~X86_CR0_WP;

	GUEST_LOOP(n, "mov %[off], %%cr0\n\tmov %[on], %%cr0",
		   ([off] "r"(cr0), [on] "r"(cr0 | X86_CR0_WP)));
}

static void guest_baseline(uint64_t n)
{
	uint64_t cr0 = get_cr0() & ~X86_CR0_WP;

	GUEST_LOOP(n, "mov %[off], %%rax\n\tmov %[on], %%rax",
		   ([off] "r"(cr0), [on] "r"(cr0 | X86_CR0_WP)), "rax");
}

static bool no_tdp(const struct kvm_config *c)
{
	return !c->tdp;
}

static bool svm_tdp(const struct kvm_config *c)
{
	return c->vendor == VENDOR_SVM && c->tdp;
}

EXIT_TEST(
	.name = "toggle_cr0_wp",
	.kut_name = "toggle_cr0_wp",
	.summary = "MOV to CR0 clearing then setting WP (no exit on VMX with EPT); baseline: MOV to a register",
	.expect = {
		{ .reason = { EXIT_REASON_CR_ACCESS, SVM_EXIT_WRITE_CR0 }, .per_iteration = 2, .when = no_tdp,
		  .why = "without EPT/NPT, KVM intercepts CR0.WP (it shadows the guest's page tables)" },
		{ .reason = { EXIT_REASON_CR_ACCESS, SVM_EXIT_CR0_SEL_WRITE }, .per_iteration = 2, .when = svm_tdp,
		  .why = "SVM with NPT: the selective CR0 intercept (a bit other than TS/MP changed); none on VMX with EPT, where the guest owns CR0.WP" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.per_iteration_figure = true,
	.note = "vmexit.c writes CR0 = PE|PG and PE|PG|WP; this test keeps the guest's other CR0 bits (NE) and toggles WP only",
);
