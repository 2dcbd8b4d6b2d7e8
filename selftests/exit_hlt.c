// SPDX-License-Identifier: GPL-2.0-only
/*
 * HLT with a wake-up already pending: the guest sends itself an IPI with
 * interrupts off, then "sti; hlt". STI's interrupt shadow lets HLT execute
 * and exit; KVM sees the pending interrupt, does not block, and injects it.
 * The baseline sends the same IPI and takes it after "sti; nop".
 */
#include "apic_tests.h"

#define WAKE_VECTOR 0x40

extern char hlt_insn[];

/*
 * QEMU's TCG now and then delivers the interrupt inside STI's shadow, at
 * the HLT, which would then block for good (hardware cannot do that): the
 * handler steps over that HLT, and the guest counts it as not executed.
 */
static void wake_handler(struct ex_regs *regs)
{
	if (guest_irq_redelivered(regs))
		return;
	if (regs->rip == (uint64_t)hlt_insn) {
		regs->rip++;
		guest_event(1);
	}
	x2apic_write_reg(APIC_EOI, 0);
}

static void guest_setup(void)
{
	x2apic_enable();
}

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "wrmsr\n\tsti\n\thlt_insn: hlt\n\tcli",
		   ("c"(X2APIC_MSR_SELF_IPI), "a"(WAKE_VECTOR), "d"(0)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "wrmsr\n\tsti\n\tnop\n\tcli",
		   ("c"(X2APIC_MSR_SELF_IPI), "a"(WAKE_VECTOR), "d"(0)));
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, WAKE_VECTOR, wake_handler);
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_X2APIC) ? NULL : "KVM does not offer x2APIC to guests";
}

EXIT_TEST(
	.name = "hlt",
	.summary = "HLT with a self-IPI already pending (so it does not block); baseline: NOP in its place",
	.expect = {
		{ .reason = { EXIT_REASON_HLT, SVM_EXIT_HLT }, .per_iteration = 1, .event = 1, .per_event = -1,
		  .why = "HLT with an interrupt pending: exits, KVM does not block (less each HLT the guest stepped over)" },
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 2, .when = kvm_no_apicv,
		  .why = "the x2APIC SELF IPI write (MSR 0x83f) and the EOI write (0x80b): intercepted without APICv (both loops)" },
		{ .reason = { EXIT_REASON_INTERRUPT_WINDOW, SVM_EXIT_VINTR }, .per_iteration = 1, .when = kvm_no_apicv,
		  .why = "the interrupt window KVM opens for the IPI raised with interrupts off: it stays armed past the injection and exits once the handler returns (both loops)" },
	},
	.events = { "HLTs stepped over (interrupt inside STI's shadow)",
		    [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },
	.guest_setup = guest_setup,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported = unsupported,
	.note = "each iteration also takes a self-IPI (x2APIC MSR write) and an EOI, in both loops",
);
