// SPDX-License-Identifier: GPL-2.0-only
/*
 * INVLPG of a mapped page. With EPT/NPT the guest's TLB is its own: KVM
 * does not intercept INVLPG, and the test proves it exit for exit. Without
 * them KVM must sync its shadow page tables: an exit each.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static uint64_t page[512] __attribute__((aligned(4096)));

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "invlpg (%[p])", ([p] "r"(page)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ([p] "r"(page)));
}

static bool no_tdp(const struct kvm_config *c)
{
	return !c->tdp;
}

EXIT_TEST(
	.name = "invlpg",
	.summary = "INVLPG of a mapped page (no exit with EPT/NPT); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_INVLPG, SVM_EXIT_INVLPG }, .per_iteration = 1, .when = no_tdp,
		  .why = "without EPT/NPT: KVM intercepts INVLPG to sync its shadow page tables" },
		{ .reason = { EXIT_REASON_INVLPG, SVM_EXIT_INVLPG }, .per_iteration = 0,
		  .why = "none with EPT/NPT: the guest owns its TLB" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
