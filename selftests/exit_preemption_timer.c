// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMX preemption timer, on which KVM runs a guest's TSC-deadline timer
 * when it can (kvm_intel preemption_timer=Y): the guest arms a deadline
 * 20000 cycles ahead and spins until its interrupt; the expiry is an exit
 * of its own, handled in KVM's fastpath. The baseline spins as long, with
 * no timer.
 */
#include "apic_tests.h"

#define DEADLINE_CYCLES 20000

static volatile uint64_t fired;

static void handler(struct ex_regs *regs)
{
	if (guest_irq_redelivered(regs))
		return;
	fired++;
	guest_event(1);
	guest_apic_eoi();
}

static void guest_setup(void)
{
	guest_apic_enable();
	guest_apic_write(APIC_LVTT, APIC_LVT_TIMER_TSCDEADLINE | TEST_VECTOR);
}

static void guest_loop(uint64_t n)
{
	uint64_t i;

	fired = 0;
	__asm__ __volatile__("sti" ::: "memory");
	for (i = 0; i < n; i++) {
		wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + DEADLINE_CYCLES);
		while (fired == i)
			__asm__ __volatile__("" ::: "memory");
	}
	__asm__ __volatile__("cli" ::: "memory");
}

static void guest_baseline(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t until = rdtsc() + DEADLINE_CYCLES;

		while (rdtsc() < until)
			;
	}
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	vcpu_set_cpuid_feature(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER);
	vm_install_exception_handler(vm, TEST_VECTOR, handler);
}

static const char *unsupported_config(const struct kvm_config *c)
{
	if (c->vendor != VENDOR_VMX)
		return "the preemption timer is VMX's";
	if (!c->preemption_timer)
		return "KVM does not use the VMX preemption timer (kvm_intel preemption_timer=N: the CPU has none, e.g. Bochs' corei7_skylake_x)";
	return apic_unsupported_config(c);
}

static const char *check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline,
			      const uint64_t *events, bool *skip __maybe_unused)
{
	return baseline || events[0] == n ? NULL : "not every deadline of the loop fired";
}

EXIT_TEST(
	.name = "preemption_timer",
	.summary = "a TSC deadline 20000 cycles ahead on the VMX preemption timer, spun out; baseline: the same spin, no timer",
	.expect = {
		{ .reason = { EXIT_REASON_PREEMPTION_TIMER, EXIT_NONE }, .per_iteration = 1,
		  .why = "the preemption timer's expiry (KVM's fastpath injects the timer interrupt)" },
		{ .reason = { EXIT_REASON_MSR_WRITE, EXIT_NONE }, .per_iteration = 1,
		  .why = "the WRMSR of IA32_TSC_DEADLINE that arms it" },
		EXPECT_EOI(1, "the timer's handler"),
	},
	.events = { "timer interrupts taken", [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },
	.guest_setup = guest_setup,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported = NULL,
	.unsupported_config = unsupported_config,
	.check_loop = check_loop,
	.per_iteration_figure = true,
	.note = "not verified in this project's emulators, which have no preemption timer: the expectations follow KVM 6.12's code",
);
