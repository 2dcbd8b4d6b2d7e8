// SPDX-License-Identifier: GPL-2.0-only
/*
 * HLT in L2 with L1 intercepting it (VMX HLT exiting, SVM HLT intercept):
 * KVM reflects it and L2 never blocks; L1 steps over it.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

static void l2_loop(uint64_t n)
{
	GUEST_LOOP(n, "hlt", ());
}

static void l2_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ());
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_REASON_HLT, SVM_EXIT_HLT },
	.insn_len = 1,
	.intercept = NESTED_HLT,
};

NESTED_TEST(l2,
	.name = "nested_hlt",
	.summary = "HLT in L2, intercepted by L1 (never blocks); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_HLT, SVM_EXIT_HLT }, .level = EXIT_L2, .reflected = true,
		  .per_iteration = 1, .why = "L2's HLT, which L1 intercepts: KVM reflects it to L1" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(1),
	},
);
