// SPDX-License-Identifier: GPL-2.0-only
/*
 * RDMSR of IA32_TSC_ADJUST in L2 with L1 intercepting it (its MSR bitmap
 * or permission map): KVM reflects it, L1 returns 0 and steps over it.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

static void l2_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %[msr], %%ecx\n\trdmsr", ([msr] "i"(MSR_IA32_TSC_ADJUST)),
		   "rax", "rcx", "rdx");
}

static void l2_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tnop", ([msr] "i"(MSR_IA32_TSC_ADJUST)),
		   "rax", "rcx", "rdx");
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_REASON_MSR_READ, SVM_EXIT_MSR },
	.insn_len = 2,
	.intercept = NESTED_MSR,
	.msr = MSR_IA32_TSC_ADJUST,
};

NESTED_TEST(l2,
	.name = "nested_msr_read",
	.kut_name = "rd_tsc_adjust_msr",
	.summary = "RDMSR IA32_TSC_ADJUST in L2, intercepted and emulated by L1; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_READ, SVM_EXIT_MSR }, .level = EXIT_L2, .reflected = true,
		  .per_iteration = 1, .why = "L2's RDMSR of an MSR L1 intercepts: KVM reflects it to L1" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(1),
	},
);
