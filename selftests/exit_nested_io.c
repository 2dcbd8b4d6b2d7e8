// SPDX-License-Identifier: GPL-2.0-only
/*
 * OUT in L2 to a port L1 intercepts (VMX: unconditional I/O exiting; SVM:
 * its I/O permission map): KVM reflects it, L1 completes it by stepping over.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

#define TEST_PORT 0x80

static void l2_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tout %%al, %[port]", ([port] "i"(TEST_PORT)), "rax");
}

static void l2_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tnop", ([port] "i"(TEST_PORT)), "rax");
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO },
	.insn_len = 2,
	.intercept = NESTED_IO,
	.port = TEST_PORT,
};

NESTED_TEST(l2,
	.name = "nested_io",
	.kut_name = "outl_to_kernel",
	.summary = "OUT to port 0x80 in L2, intercepted and completed by L1; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .level = EXIT_L2, .reflected = true,
		  .per_iteration = 1, .why = "L2's OUT to a port L1 intercepts: KVM reflects it to L1" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(1),
	},
	.note = "kvm-unit-tests' outl_to_kernel in an L2 is completed by L1's kernel, as here",
);
