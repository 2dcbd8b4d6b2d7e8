// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c toggle_cr4_pge: flip CR4.PGE, then restore it
 * (the value computed once, as vmexit.c keeps a shadow). With EPT, VMX
 * lets the guest own PGE: no exit. SVM intercepts every CR4 write.
 * (exit_cr_access toggles CR4.MCE, which exits on both.)
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

/* CR4 as the host set it up: read once, as vmexit.c keeps a shadow of it. */
static uint64_t cr4;

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %[flip], %%cr4\n\tmov %[back], %%cr4",
		   ([flip] "r"(cr4 ^ X86_CR4_PGE), [back] "r"(cr4)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %[flip], %%rax\n\tmov %[back], %%rax",
		   ([flip] "r"(cr4 ^ X86_CR4_PGE), [back] "r"(cr4)), "rax");
}

/* From the host: a guest read of CR4 is itself an exit on SVM. */
static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	cr4 = sregs.cr4;
	sync_global_to_guest(vm, cr4);
}

static bool vmx_no_tdp(const struct kvm_config *c)
{
	return !c->tdp;
}

EXIT_TEST(
	.name = "toggle_cr4_pge",
	.kut_name = "toggle_cr4_pge",
	.summary = "MOV to CR4 flipping then restoring PGE (no exit on VMX with EPT); baseline: MOV to a register",
	.expect = {
		{ .reason = { EXIT_NONE, SVM_EXIT_WRITE_CR4 }, .per_iteration = 2,
		  .why = "SVM intercepts every CR4 write" },
		{ .reason = { EXIT_REASON_CR_ACCESS, EXIT_NONE }, .per_iteration = 2, .when = vmx_no_tdp,
		  .why = "VMX without EPT: PGE flushes KVM's shadow TLB, so it is intercepted; with EPT the guest owns it" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.per_iteration_figure = true,
);
