// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c wr_tsc_adjust_msr: WRMSR of 0 to
 * IA32_TSC_ADJUST, intercepted on both vendors; KVM adjusts the TSC offset
 * by the difference (none) and requests a guest clock update every time.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "wrmsr", ("c"(MSR_IA32_TSC_ADJUST), "a"(0), "d"(0)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("c"(MSR_IA32_TSC_ADJUST), "a"(0), "d"(0)));
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_TSC_ADJUST) ? NULL : "KVM does not offer IA32_TSC_ADJUST to guests";
}

EXIT_TEST(
	.name = "wr_tsc_adjust_msr",
	.kut_name = "wr_tsc_adjust_msr",
	.summary = "WRMSR of 0 to IA32_TSC_ADJUST (intercepted; a clock update each time); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 1,
		  .why = "WRMSR of IA32_TSC_ADJUST: intercepted on both vendors" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
);
