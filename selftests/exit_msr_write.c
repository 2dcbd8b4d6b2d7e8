// SPDX-License-Identifier: GPL-2.0-only
/*
 * WRMSR of IA32_MISC_ENABLE with the value it already holds: intercepted on
 * both vendors, handled in kvm_set_msr_common(), and an unchanged value
 * changes nothing. (IA32_TSC_ADJUST, kvm-unit-tests' choice, requests a
 * guest clock update on every write, even of the same value; VMX passes
 * MSR_KERNEL_GS_BASE through, so writing it does not exit at all.)
 */
#include "processor.h"

#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	uint64_t v = rdmsr(MSR_IA32_MISC_ENABLE);

	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tmov %[lo], %%eax\n\tmov %[hi], %%edx\n\twrmsr",
		   ([msr] "i"(MSR_IA32_MISC_ENABLE), [lo] "r"((uint32_t)v),
		    [hi] "r"((uint32_t)(v >> 32))),
		   "rax", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	uint64_t v = rdmsr(MSR_IA32_MISC_ENABLE);

	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tmov %[lo], %%eax\n\tmov %[hi], %%edx\n\tnop",
		   ([msr] "i"(MSR_IA32_MISC_ENABLE), [lo] "r"((uint32_t)v),
		    [hi] "r"((uint32_t)(v >> 32))),
		   "rax", "rcx", "rdx");
}

EXIT_TEST(
	.name = "msr_write",
	.summary = "WRMSR IA32_MISC_ENABLE with its current value (no side effect); baseline: NOP",
	.reason = { .vmx = 32, .svm = 0x7c },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.note = "the baseline and the loop each read the MSR once before looping (one MSR_READ exit)",
);
