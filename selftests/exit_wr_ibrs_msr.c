// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c wr_ibrs_msr: WRMSR of IA32_SPEC_CTRL to 1
 * (IBRS), then to 0. KVM intercepts SPEC_CTRL until the guest's first
 * nonzero write, then passes it through (the warm-up makes that write):
 * in the timed loops, no exit.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov $1, %%eax\n\twrmsr\n\txor %%eax, %%eax\n\twrmsr",
		   ("c"(MSR_IA32_SPEC_CTRL), "d"(0)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov $1, %%eax\n\tnop\n\txor %%eax, %%eax\n\tnop",
		   ("c"(MSR_IA32_SPEC_CTRL), "d"(0)), "rax");
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_SPEC_CTRL) ? NULL : "KVM does not offer IA32_SPEC_CTRL (the host has no IBRS)";
}

EXIT_TEST(
	.name = "wr_ibrs_msr",
	.kut_name = "wr_ibrs_msr",
	.summary = "WRMSR of IA32_SPEC_CTRL to 1 then 0 (passed through after the first nonzero write); baseline: NOPs",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 0,
		  .why = "none once the guest has written a nonzero value (in the warm-up): KVM then passes SPEC_CTRL through" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
	.per_iteration_figure = true,
);
