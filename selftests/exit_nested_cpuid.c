// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID in L2: KVM reflects it to L1 (VMX always exits on CPUID; on SVM L1
 * intercepts it), L1 steps over it and resumes L2.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

static void l2_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tcpuid", (),
		   "rax", "rbx", "rcx", "rdx");
}

static void l2_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tnop", (),
		   "rax", "rbx", "rcx", "rdx");
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_REASON_CPUID, SVM_EXIT_CPUID },
	.insn_len = 2,
};

NESTED_TEST(l2,
	.name = "nested_cpuid",
	.kut_name = "cpuid",
	.summary = "CPUID leaf 0 in L2, handled by L1; baseline: the same loop with NOP",
	.expect = {
		{ .reason = { EXIT_REASON_CPUID, SVM_EXIT_CPUID }, .level = EXIT_L2, .reflected = true,
		  .per_iteration = 1, .why = "L2's CPUID: KVM reflects it to L1 (always on VMX; L1 intercepts it on SVM)" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(1),
	},
);
