// SPDX-License-Identifier: GPL-2.0-only
/*
 * MOV to CR4 toggling PGE, twice per iteration (off, on). PGE is host-owned
 * on both vendors, so each write exits (CR_ACCESS on VMX, write_cr4 on SVM);
 * writing an unchanged value would not exit on VMX. Reading CR4 does not exit.
 */
#include "processor.h"

#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %%cr4, %%rax\n\txor %[pge], %%rax\n\tmov %%rax, %%cr4\n\t"
		   "xor %[pge], %%rax\n\tmov %%rax, %%cr4", ([pge] "i"(X86_CR4_PGE)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %%cr4, %%rax\n\txor %[pge], %%rax\n\tnop\n\t"
		   "xor %[pge], %%rax\n\tnop", ([pge] "i"(X86_CR4_PGE)), "rax");
}

EXIT_TEST(
	.name = "cr_access",
	.kut_name = "toggle_cr4_pge",
	.summary = "MOV to CR4 clearing then setting PGE (2 exits per iteration); baseline: NOPs",
	.reason = { .vmx = 28, .svm = 0x14 },
	.exits_per_iteration = 2,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.note = "toggling PGE also flushes the guest TLB",
);
