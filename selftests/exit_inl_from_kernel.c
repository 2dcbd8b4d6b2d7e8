// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c inl_from_kernel: IN (8-bit, despite the name) of
 * port 0x4d0, the edge/level control register of the in-kernel PIC (which
 * KVM_CREATE_IRQCHIP makes): KVM answers in the kernel.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define ELCR_PORT 0x4d0

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "in %%dx, %%al", ("d"(ELCR_PORT)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("d"(ELCR_PORT)), "rax");
}

EXIT_TEST(
	.name = "inl_from_kernel",
	.kut_name = "inl_from_kernel",
	.summary = "IN (8-bit) of port 0x4d0, the in-kernel PIC's ELCR, answered in the kernel; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 1,
		  .why = "IN from the in-kernel PIC: completed by KVM, no return to userspace" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
