// SPDX-License-Identifier: GPL-2.0-only
/*
 * WRMSR of IA32_TSC_ADJUST with the value it already holds: intercepted and
 * handled in the kernel on both vendors, and writing the current value
 * adjusts nothing. (MSR_KERNEL_GS_BASE would not do: VMX passes it through.)
 */
#include "processor.h"

#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	uint64_t v = rdmsr(MSR_IA32_TSC_ADJUST);

	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tmov %[lo], %%eax\n\tmov %[hi], %%edx\n\twrmsr",
		   ([msr] "i"(MSR_IA32_TSC_ADJUST), [lo] "r"((uint32_t)v),
		    [hi] "r"((uint32_t)(v >> 32))),
		   "rax", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	uint64_t v = rdmsr(MSR_IA32_TSC_ADJUST);

	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tmov %[lo], %%eax\n\tmov %[hi], %%edx\n\tnop",
		   ([msr] "i"(MSR_IA32_TSC_ADJUST), [lo] "r"((uint32_t)v),
		    [hi] "r"((uint32_t)(v >> 32))),
		   "rax", "rcx", "rdx");
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_TSC_ADJUST) ? NULL :
	       "KVM does not offer IA32_TSC_ADJUST to guests";
}

EXIT_TEST(
	.name = "msr_write",
	.kut_name = "wr_tsc_adjust_msr",
	.summary = "WRMSR IA32_TSC_ADJUST with its current value (no side effect); baseline: NOP",
	.reason = { .vmx = 32, .svm = 0x7c },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
	.note = "the baseline and the loop each read the MSR once before looping (one MSR_READ exit)",
);
