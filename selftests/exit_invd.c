// SPDX-License-Identifier: GPL-2.0-only
/* INVD: exits unconditionally on VMX, intercepted on SVM; KVM treats it as a NOP. */
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "invd", ());
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ());
}

EXIT_TEST(
	.name = "invd",
	.kut_name = "invd",
	.summary = "INVD (KVM skips it); baseline: NOP",
	.reason = { .vmx = 13, .svm = 0x76 },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
);
