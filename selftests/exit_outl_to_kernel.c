// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c outl_to_kernel: OUT (8-bit) of 0 to port 0x4d0,
 * the in-kernel PIC's edge/level control register, which holds 0 already:
 * KVM completes it in the kernel and nothing changes. (exit_io_kernel
 * writes a port bound to an ioeventfd instead.)
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define ELCR_PORT 0x4d0

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tout %%al, %%dx", ("d"(ELCR_PORT)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tnop", ("d"(ELCR_PORT)), "rax");
}

EXIT_TEST(
	.name = "outl_to_kernel",
	.kut_name = "outl_to_kernel",
	.summary = "OUT (8-bit) of 0 to port 0x4d0, the in-kernel PIC's ELCR, completed in the kernel; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 1,
		  .why = "OUT to the in-kernel PIC: completed by KVM, no return to userspace" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
