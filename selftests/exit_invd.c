// SPDX-License-Identifier: GPL-2.0-only
/* INVD: exits unconditionally on VMX, intercepted on SVM; KVM treats it as a NOP. */
#include <string.h>

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "reasons.h"
#include "sysinfo.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "invd", ());
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ());
}

/*
 * QEMU's TCG reports an intercepted INVD as a WBINVD #VMEXIT (0x89): its
 * translator picked the exit code with (b & 2), true for neither opcode
 * (0f 08 / 0f 09); fixed upstream in QEMU 8.1, present in Debian 12's 7.2.
 */
static const char *unsupported(void)
{
	const char *hv = sysinfo_hypervisor();

	return detect_vendor() == VENDOR_SVM && hv && !strcmp(hv, "TCGTCGTCGTCG") ?
	       "QEMU TCG (before 8.1) reports INVD as a WBINVD exit (0x89), so the INVD exit (0x76) cannot happen here" :
	       NULL;
}

EXIT_TEST(
	.name = "invd",
	.kut_name = "invd",
	.summary = "INVD (KVM skips it); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_INVD, SVM_EXIT_INVD }, .per_iteration = 1, .why = "INVD: exits unconditionally on VMX, intercepted on SVM; KVM skips it" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
);
