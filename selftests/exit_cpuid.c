// SPDX-License-Identifier: GPL-2.0-only
/* CPUID exits unconditionally on VMX and is intercepted by KVM on SVM. */
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
	.reason = { .vmx = 10, .svm = 0x72 },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
);
