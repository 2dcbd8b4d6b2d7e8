// SPDX-License-Identifier: GPL-2.0-only
/*
 * MOV to CR4 toggling MCE, twice per iteration (set, clear). MCE is never a
 * guest-owned CR4 bit on VMX, and SVM intercepts every CR4 write, so each
 * write exits (CR_ACCESS on VMX, write_cr4 on SVM) and KVM changes nothing
 * else for it. (kvm-unit-tests toggles PGE, but with EPT PGE is guest-owned
 * on VMX and does not exit; writing an unchanged value does not exit either.)
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %%cr4, %%rax\n\txor %[bit], %%rax\n\tmov %%rax, %%cr4\n\t"
		   "xor %[bit], %%rax\n\tmov %%rax, %%cr4", ([bit] "i"(X86_CR4_MCE)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %%cr4, %%rax\n\txor %[bit], %%rax\n\tnop\n\t"
		   "xor %[bit], %%rax\n\tnop", ([bit] "i"(X86_CR4_MCE)), "rax");
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_MCE) ? NULL : "KVM does not offer MCE (CR4.MCE) to guests";
}

EXIT_TEST(
	.name = "cr_access",
	.summary = "MOV to CR4 setting then clearing MCE (2 exits per iteration); baseline: NOPs",
	.expect = {
		{ .reason = { EXIT_REASON_CR_ACCESS, SVM_EXIT_WRITE_CR4 }, .per_iteration = 2, .why = "two MOV to CR4 (MCE set, then clear): CR4.MCE is never guest-owned, SVM intercepts every CR4 write" },
		{ .reason = { EXIT_NONE, SVM_EXIT_READ_CR4 }, .per_iteration = 1, .why = "SVM: the MOV from CR4 that reads it first (KVM always intercepts CR4 reads, read_cr4); the baseline reads it too" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
	.note = "on SVM the MOV from CR4 may exit too (read_cr4), in both loops",
);
