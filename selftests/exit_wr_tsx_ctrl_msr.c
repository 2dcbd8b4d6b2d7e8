// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c wr_tsx_ctrl_msr: WRMSR of 0 to IA32_TSX_CTRL,
 * which KVM offers when the host has it (IA32_ARCH_CAPABILITIES.TSX_CTRL)
 * and intercepts: a user-return MSR that KVM loads on the way to the guest.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "wrmsr", ("c"(MSR_IA32_TSX_CTRL), "a"(0), "d"(0)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("c"(MSR_IA32_TSX_CTRL), "a"(0), "d"(0)));
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	       (kvm_get_feature_msr(MSR_IA32_ARCH_CAPABILITIES) & ARCH_CAP_TSX_CTRL_MSR) ? NULL :
	       "KVM does not offer IA32_TSX_CTRL (the host's IA32_ARCH_CAPABILITIES lacks TSX_CTRL)";
}

EXIT_TEST(
	.name = "wr_tsx_ctrl_msr",
	.kut_name = "wr_tsx_ctrl_msr",
	.summary = "WRMSR of 0 to IA32_TSX_CTRL (intercepted); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 1,
		  .why = "WRMSR of IA32_TSX_CTRL: intercepted" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
);
