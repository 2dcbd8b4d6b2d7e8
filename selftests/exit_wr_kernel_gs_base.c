// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c wr_kernel_gs_base: WRMSR of MSR_KERNEL_GS_BASE,
 * which both VMX and SVM pass through to the guest: no exit at all. The
 * test proves it, exit for exit.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "wrmsr", ("c"(MSR_KERNEL_GS_BASE), "a"(0), "d"(0)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("c"(MSR_KERNEL_GS_BASE), "a"(0), "d"(0)));
}

EXIT_TEST(
	.name = "wr_kernel_gs_base",
	.kut_name = "wr_kernel_gs_base",
	.summary = "WRMSR of MSR_KERNEL_GS_BASE (passed through: no exit); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 0,
		  .why = "none: VMX and SVM let the guest write MSR_KERNEL_GS_BASE" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
