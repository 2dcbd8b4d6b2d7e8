// SPDX-License-Identifier: GPL-2.0-only
/* WBINVD: exits on both vendors; KVM ignores it without non-coherent DMA. */
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
	.reason = { .vmx = 54, .svm = 0x89 },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
);
