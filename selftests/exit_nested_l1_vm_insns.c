// SPDX-License-Identifier: GPL-2.0-only
/*
 * L1's own virtualization instructions, with no L2 running: VMREAD and
 * VMWRITE of the guest RIP in its current VMCS (VMX), VMLOAD and VMSAVE of
 * a VMCB (SVM). Each exits to KVM unless shadow VMCS (kvm_intel
 * enable_shadow_vmcs) or VMLOAD/VMSAVE virtualization (kvm_amd vls) lets
 * the CPU do it: then the figure is the instructions' own cost.
 */
#include "vmx.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

static void guest_loop(uint64_t n)
{
	if (nested_guest_svm())
		GUEST_LOOP(n, "vmload %%rax\n\tvmsave %%rax", ("a"(nested_scratch_vmcb_gpa())), "rdx");
	else
		GUEST_LOOP(n, "vmread %%rax, %%rdx\n\tvmwrite %%rdx, %%rax", ("a"((uint64_t)GUEST_RIP)),
			   "rdx");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop\n\tnop", ("a"(0ULL)), "rdx");
}

static const struct nested_test l1 = {
	.l1_only = true,
};

NESTED_L1_TEST(l1,
	.name = "nested_l1_vm_insns",
	.summary = "L1 alone: VMREAD+VMWRITE of GUEST_RIP (VMX) or VMLOAD+VMSAVE (SVM); baseline: two NOPs",
	.expect = {
		{ .reason = { EXIT_REASON_VMREAD, SVM_EXIT_VMLOAD }, .per_iteration = 1, .when = kvm_l1_vm_insns_exit,
		  .why = "VMREAD/VMLOAD: exits without shadow VMCS (VMX) or VMLOAD/VMSAVE virtualization (SVM vls)" },
		{ .reason = { EXIT_REASON_VMWRITE, SVM_EXIT_VMSAVE }, .per_iteration = 1, .when = kvm_l1_vm_insns_exit,
		  .why = "VMWRITE/VMSAVE: the same" },
	},
	.per_iteration_figure = true,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
);
