// SPDX-License-Identifier: GPL-2.0-only
/* CPUID exits unconditionally on VMX and is intercepted by KVM on SVM. */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tcpuid", (),
		   "rax", "rbx", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tnop", (),
		   "rax", "rbx", "rcx", "rdx");
}

EXIT_TEST(
	.name = "cpuid",
	.kut_name = "cpuid",
	.summary = "CPUID leaf 0 in a loop; baseline: the same loop with NOP",
	.expect = {
		{ .reason = { EXIT_REASON_CPUID, SVM_EXIT_CPUID }, .per_iteration = 1, .why = "CPUID: exits unconditionally on VMX, intercepted by KVM on SVM" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
