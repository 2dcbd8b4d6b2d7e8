// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMCALL/VMMCALL in L2: a hypercall to L1, which KVM reflects to it (with
 * RAX and RCX not a hypercall KVM would take for itself); L1 steps over it.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

static void l2_loop(uint64_t n)
{
	if (nested_guest_svm())
		GUEST_LOOP(n, "mov $0xdeadbeef, %%eax\n\tmov $0xbeefdead, %%ecx\n\tvmmcall", (),
			   "rax", "rcx");
	else
		GUEST_LOOP(n, "mov $0xdeadbeef, %%eax\n\tmov $0xbeefdead, %%ecx\n\tvmcall", (),
			   "rax", "rcx");
}

static void l2_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov $0xdeadbeef, %%eax\n\tmov $0xbeefdead, %%ecx\n\tnopl 0(%%rax)", (),
		   "rax", "rcx");
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_REASON_VMCALL, SVM_EXIT_VMMCALL },
	.insn_len = 3,
};

NESTED_TEST(l2,
	.name = "nested_vmcall",
	.kut_name = "vmcall",
	.summary = "VMCALL/VMMCALL in L2, a hypercall handled by L1; baseline: a 3-byte NOP",
	.expect = {
		{ .reason = { EXIT_REASON_VMCALL, SVM_EXIT_VMMCALL }, .level = EXIT_L2, .reflected = true,
		  .per_iteration = 1, .why = "L2's VMCALL/VMMCALL: KVM reflects it to L1 (L1 intercepts VMMCALL on SVM)" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(1),
	},
);
