// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c wr_ibpb_msr: WRMSR of IBPB to IA32_PRED_CMD.
 * KVM passes PRED_CMD writes through when the guest has IBPB: no exit;
 * the figure is the barrier itself.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "wrmsr", ("c"(MSR_IA32_PRED_CMD), "a"(PRED_CMD_IBPB), "d"(0)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("c"(MSR_IA32_PRED_CMD), "a"(PRED_CMD_IBPB), "d"(0)));
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_SPEC_CTRL) || kvm_cpu_has(X86_FEATURE_AMD_IBPB) ? NULL :
	       "KVM does not offer IBPB (IA32_PRED_CMD) to guests: the host has none";
}

EXIT_TEST(
	.name = "wr_ibpb_msr",
	.kut_name = "wr_ibpb_msr",
	.summary = "WRMSR of IBPB to IA32_PRED_CMD (passed through: no exit); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 0,
		  .why = "none: KVM lets a guest with IBPB write IA32_PRED_CMD" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
);
