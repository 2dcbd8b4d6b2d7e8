// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interrupt window: with interrupts off the guest sends itself an IPI
 * (x2APIC SELF IPI), then "sti; nop". KVM cannot inject it and asks for an
 * exit as soon as the guest can take it: after STI's shadow. The baseline
 * sends the same IPI with interrupts on, so KVM injects it at once: the
 * difference is the window's exit.
 */
#include "apic_tests.h"

static void handler(struct ex_regs *regs)
{
	if (guest_irq_redelivered(regs))
		return;
	guest_event(1);
	wrmsr(X2APIC_MSR_EOI, 0);
}

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "cli\n\twrmsr\n\tsti\n\tnop",
		   ("c"(X2APIC_MSR_SELF_IPI), "a"(TEST_VECTOR), "d"(0)));
	__asm__ __volatile__("cli" ::: "memory");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "sti\n\twrmsr\n\tnop\n\tnop",
		   ("c"(X2APIC_MSR_SELF_IPI), "a"(TEST_VECTOR), "d"(0)));
	__asm__ __volatile__("cli" ::: "memory");
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, TEST_VECTOR, handler);
}

static const char *unsupported_config(const struct kvm_config *c)
{
	if (c->apicv)
		return "with APICv/AVIC the IPI is delivered by the CPU, with no interrupt-window exit";
	return x2apic_unsupported_config(c);
}

static const char *check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline __maybe_unused,
			      const uint64_t *events, bool *skip __maybe_unused)
{
	return events[0] == n ? NULL : "not every IPI of the loop was taken";
}

EXIT_TEST(
	.name = "interrupt_window",
	.summary = "a self-IPI raised with interrupts off, taken after sti; nop (an interrupt-window exit); baseline: the same IPI with interrupts on",
	.expect = {
		{ .reason = { EXIT_REASON_INTERRUPT_WINDOW, SVM_EXIT_VINTR }, .per_iteration = 1,
		  .why = "the interrupt window KVM opens for the IPI, exiting after STI's shadow" },
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 2,
		  .why = "the SELF IPI and EOI writes (x2APIC MSRs), in both loops" },
	},
	.events = { "IPIs taken", [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },
	.guest_setup = x2apic_enable,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported_config = unsupported_config,
	.check_loop = check_loop,
	.note = "the baseline differs in the IF state too: the figure is the window's exit and the injection it leads to, less an injection on entry",
);
