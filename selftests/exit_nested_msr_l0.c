// SPDX-License-Identifier: GPL-2.0-only
/*
 * RDMSR of IA32_TSC_ADJUST in L2 with L1 not intercepting it (an empty MSR
 * bitmap on VMX, no MSR intercept on SVM): KVM intercepts it for L2 as it
 * does for L1, emulates it for L2 and resumes L2. L1 never runs.
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

static const char *unsupported(void)
{
	if (!kvm_cpu_has(X86_FEATURE_TSC_ADJUST))
		return "KVM does not offer IA32_TSC_ADJUST to guests";
	return NULL;
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_NONE, EXIT_NONE },
	.unsupported = unsupported,
	.msr = MSR_IA32_TSC_ADJUST,
};

NESTED_TEST(l2,
	.name = "nested_msr_l0",
	.summary = "RDMSR IA32_TSC_ADJUST in L2, not intercepted by L1: emulated by KVM, L1 not involved; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_READ, SVM_EXIT_MSR }, .level = EXIT_L2,
		  .per_iteration = 1, .why = "L2's RDMSR of an MSR L1 does not intercept: KVM emulates it for L2, not reflected" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(0),
	},
);
