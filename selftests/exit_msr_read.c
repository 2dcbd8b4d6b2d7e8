// SPDX-License-Identifier: GPL-2.0-only
/* RDMSR of IA32_TSC_ADJUST, which KVM intercepts and emulates on both vendors. */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %[msr], %%ecx\n\trdmsr", ([msr] "i"(MSR_IA32_TSC_ADJUST)),
		   "rax", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tnop", ([msr] "i"(MSR_IA32_TSC_ADJUST)),
		   "rax", "rcx", "rdx");
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_TSC_ADJUST) ? NULL :
	       "KVM does not offer IA32_TSC_ADJUST to guests";
}

EXIT_TEST(
	.name = "msr_read",
	.kut_name = "rd_tsc_adjust_msr",
	.summary = "RDMSR IA32_TSC_ADJUST (intercepted, emulated in the kernel); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_READ, SVM_EXIT_MSR }, .per_iteration = 1, .why = "RDMSR of IA32_TSC_ADJUST: intercepted on both vendors" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
);
