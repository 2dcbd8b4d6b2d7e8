// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hypercall KVM answers in the kernel: an unknown hypercall number, which
 * returns -KVM_ENOSYS with no side effect. VMCALL on Intel, VMMCALL on AMD.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define UNKNOWN_HYPERCALL 0xe817UL

static void guest_loop(uint64_t n)
{
	if (host_cpu_is_amd)
		GUEST_LOOP(n, "mov %[nr], %%eax\n\tvmmcall", ([nr] "i"(UNKNOWN_HYPERCALL)),
			   "rax", "rbx", "rcx", "rdx", "rsi");
	else
		GUEST_LOOP(n, "mov %[nr], %%eax\n\tvmcall", ([nr] "i"(UNKNOWN_HYPERCALL)),
			   "rax", "rbx", "rcx", "rdx", "rsi");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %[nr], %%eax\n\tnopl 0(%%rax)", ([nr] "i"(UNKNOWN_HYPERCALL)),
		   "rax", "rbx", "rcx", "rdx", "rsi");
}

EXIT_TEST(
	.name = "vmcall",
	.kut_name = "vmcall",
	.summary = "VMCALL/VMMCALL of an unknown hypercall (KVM returns -ENOSYS); baseline: a 3-byte NOP",
	.expect = {
		{ .reason = { EXIT_REASON_VMCALL, SVM_EXIT_VMMCALL }, .per_iteration = 1, .why = "VMCALL/VMMCALL: always exits" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
