// SPDX-License-Identifier: GPL-2.0-only
/*
 * RDTSC must not exit: KVM offsets (and scales) the TSC in hardware and
 * never sets RDTSC exiting. The test proves it, exit for exit; the figure
 * is what RDTSC costs in the guest.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "rdtsc", (), "rax", "rdx");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", (), "rax", "rdx");
}

EXIT_TEST(
	.name = "rdtsc",
	.summary = "RDTSC (never intercepted: no exit); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_RDTSC, SVM_EXIT_RDTSC }, .per_iteration = 0,
		  .why = "none: KVM does not intercept RDTSC" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
