// SPDX-License-Identifier: GPL-2.0-only
/* WBINVD: exits on both vendors; KVM ignores it without non-coherent DMA. */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "wbinvd", ());
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ());
}

EXIT_TEST(
	.name = "wbinvd",
	.kut_name = "wbinvd",
	.summary = "WBINVD (KVM skips it: no non-coherent DMA); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_WBINVD, SVM_EXIT_WBINVD }, .per_iteration = 1, .why = "WBINVD: exits on both vendors; KVM skips it" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
