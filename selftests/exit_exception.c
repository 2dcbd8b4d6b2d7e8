// SPDX-License-Identifier: GPL-2.0-only
/*
 * #UD from UD2: KVM always intercepts #UD (to emulate VMCALL/VMMCALL), finds
 * an instruction it cannot emulate and reflects #UD into the guest, whose
 * IDT handler skips the two bytes. The baseline runs a two-byte NOP.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void ud_handler(struct ex_regs *regs)
{
	regs->rip += 2;
}

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "ud2", ());
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xchg %%ax, %%ax", ());
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, UD_VECTOR, ud_handler);
}

EXIT_TEST(
	.name = "exception",
	.summary = "UD2, reflected by KVM as #UD to a guest IDT handler that skips it; baseline: a 2-byte NOP",
	.expect = {
		{ .reason = { EXIT_REASON_EXCEPTION_NMI, SVM_EXIT_EXCP_BASE + UD_VECTOR }, .per_iteration = 1, .why = "UD2: KVM intercepts #UD, cannot emulate it, reflects it into the guest" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.note = "the cost includes the guest's own #UD delivery and IRET",
);
