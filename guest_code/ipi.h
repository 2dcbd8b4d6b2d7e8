/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPI tests of kvm-unit-tests' vmexit.c (ipi, ipi_halt): vCPU 0 sends
 * vCPU 1 a fixed IPI and waits until its handler has run (vmexit.c's
 * on_cpu(1, nop)); vCPU 1 idles in HLT with interrupts on, as its idle loop
 * does. Whether an IPI finds vCPU 1 halted, running, or in its handler is
 * timing, so vCPU 1's interrupt-window exits are timing-dependent; its HLT
 * exits are exact, because it counts the HLTs it executes. One more IPI
 * per loop tells vCPU 1 that the loop is over.
 *
 * A test file defines IPI_WAIT_CYCLES (0: none) and includes this once.
 */
#ifndef EXITBENCH_IPI_H
#define EXITBENCH_IPI_H

#include "apic_tests.h"

/*
 * Written by the sender, read by the receiver: run-qualified, no reset race.
 * ipi_stop_taken is what the handler saw of ipi_stop_run: the receiver ends
 * its loop once it took the stop IPI itself, not merely saw the flag (which
 * the sender sets just before sending it).
 */
static volatile uint64_t ipi_acked, ipi_stop_run, ipi_stop_taken, ipi_receiver_up;
extern char ipi_hlt_insn[];

/*
 * The receiver's handler: what on_cpu()'s nop function and ipi_entry do.
 * QEMU TCG's second delivery of an IPI (guest_irq_redelivered()) is not
 * acked: counted twice, the ack made vCPU 0 wait for a count already passed.
 */
static void ipi_handler(struct ex_regs *regs)
{
	if (guest_irq_redelivered(regs))
		return;
	/*
	 * QEMU's TCG may deliver the IPI inside STI's shadow, at the HLT,
	 * which would then block: step over it (not counted as executed).
	 */
	if (regs->rip == (uint64_t)ipi_hlt_insn) {
		regs->rip++;
		guest_event(2);
	}
	guest_event(3);
	WRITE_ONCE(ipi_stop_taken, READ_ONCE(ipi_stop_run));
	WRITE_ONCE(ipi_acked, ipi_acked + 1);
	guest_apic_eoi();
}

static noinline __attribute__((used)) void ipi_sti_hlt(void)
{
	__asm__ __volatile__("sti\n\tipi_hlt_insn: hlt\n\tcli" ::: "memory");
}

/* vCPU 0: @n IPIs to vCPU 1, each waited for, then the one that stops it. */
static void ipi_sender(uint64_t n)
{
	uint64_t i, run = guest_run_id(), base = READ_ONCE(ipi_acked);

	if (!n)
		return;
	for (i = 1; i <= n + 1; i++) {
		if (i == n + 1)
			WRITE_ONCE(ipi_stop_run, run);
		guest_apic_icr(APIC_INT_ASSERT | APIC_DEST_PHYSICAL | APIC_DM_FIXED | TEST_VECTOR, 1);
		/* "<": a count past this one is ipi_check_loop()'s to report, not a hang. */
		while (READ_ONCE(ipi_acked) < base + i)
			;
		if (IPI_WAIT_CYCLES) {
			uint64_t until = rdtsc() + IPI_WAIT_CYCLES;

			while (rdtsc() < until)
				;
		}
	}
}

static void ipi_sender_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ());
}

/*
 * vCPU 1: HLT until the stop IPI, interrupts off only between the check
 * and "sti; hlt" (whose shadow keeps a wake-up from slipping in between).
 */
static void ipi_receiver(uint64_t n)
{
	uint64_t run = guest_run_id();

	if (!n)
		return;
	/* Interrupts are off here: ipi_guest_setup() and each "sti; hlt; cli". */
	while (READ_ONCE(ipi_stop_taken) != run) {
		guest_event(1);
		ipi_sti_hlt();
	}
}

/*
 * Each vCPU's APIC on, then vCPU 0 waits for vCPU 1's: a fixed IPI to a
 * software-disabled APIC is dropped, so the first loop's first IPI could
 * be lost when vCPU 0 gets there first (it did under QEMU TCG with two
 * CPUs, which runs one CPU for long turns: the warm-up never finished).
 */
static void ipi_guest_setup(void)
{
	guest_apic_enable();
	if (guest_vcpu_index()) {
		/*
		 * Interrupts off until the loop's "sti; hlt": an IPI taken
		 * before the driver clears the loop's events would be lost
		 * from the count (QEMU TCG, two CPUs: 64 of 65 in one CI run).
		 */
		__asm__ __volatile__("cli" ::: "memory");
		WRITE_ONCE(ipi_receiver_up, 1);
	} else
		while (!READ_ONCE(ipi_receiver_up))
			;
}

static void ipi_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, TEST_VECTOR, ipi_handler);
}

/* Every IPI of the loop reached vCPU 1's handler, once. */
static const char *ipi_check_loop(unsigned int vcpu, uint64_t n, bool baseline,
				  const uint64_t *events, bool *skip __maybe_unused)
{
	static char why[128];

	if (baseline || vcpu != 1 || !n || events[2] == n + 1)
		return NULL;
	snprintf(why, sizeof(why), "vCPU 1 took %llu of the %llu IPIs sent to it",
		 (unsigned long long)events[2], (unsigned long long)n + 1);
	return why;
}

#define IPI_DESCRIPTOR								\
	.vcpus = 2,								\
	.cpu_per_vcpu = true,							\
	.irqs_on = true,							\
	.per_iteration_figure = true,						\
	.events = { "HLTs executed", "HLTs stepped over (IPI inside STI's shadow)", "IPIs taken", \
		    [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },		\
	.guest_setup = ipi_guest_setup,						\
	.guest_loop = ipi_sender,						\
	.guest_baseline = ipi_sender_baseline,					\
	.guest_receiver = ipi_receiver,						\
	.setup = ipi_setup,							\
	.unsupported_config = apic_unsupported_config,				\
	.check_loop = ipi_check_loop,						\
	.expect = {								\
		EXPECT_ICR_WRITE(1, "the IPI to vCPU 1"),			\
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_window = 1, \
		  .when = cfg_x2apic_no_ipiv,					\
		  .why = "the IPI that ends the loop: an ICR write (x2APIC)" },	\
		{ .reason = { EXIT_REASON_APIC_ACCESS, EXIT_NONE }, .per_window = 3, \
		  .when = cfg_xapic_access_page,				\
		  .why = "the IPI that ends the loop: three APIC accesses (xAPIC)" }, \
		{ .reason = { EXIT_REASON_EPT_MISCONFIG, SVM_EXIT_NPF }, .per_window = 3, \
		  .when = cfg_xapic_mmio,					\
		  .why = "the IPI that ends the loop: three MMIO faults (xAPIC)" }, \
		{ .reason = { EXIT_REASON_APIC_WRITE, EXIT_NONE }, .per_iteration = 1, .per_window = 1, \
		  .when = cfg_xapic_apicv_no_ipiv,				\
		  .why = "xAPIC with APICv, no IPI virtualization: the ICR write traps" }, \
	},									\
	.expect_receiver = {							\
		{ .reason = { EXIT_REASON_HLT, SVM_EXIT_HLT }, .event = 1, .per_event = 1, \
		  .why = "each HLT vCPU 1 executes (it counts them): one per IPI, or none when the next IPI came first" }, \
		{ .reason = { EXIT_REASON_HLT, SVM_EXIT_HLT }, .event = 2, .per_event = -1, \
		  .why = "less each HLT it stepped over" },			\
		EXPECT_EOI(1, "vCPU 1's handler"),				\
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_window = 1, \
		  .when = cfg_x2apic_no_apicv, .why = "the EOI of the IPI that ends the loop (x2APIC)" }, \
		{ .reason = { EXIT_REASON_APIC_ACCESS, EXIT_NONE }, .per_window = 1, \
		  .when = cfg_xapic_access_page, .why = "the EOI of the IPI that ends the loop (xAPIC)" }, \
		{ .reason = { EXIT_REASON_EPT_MISCONFIG, SVM_EXIT_NPF }, .per_window = 1, \
		  .when = cfg_xapic_mmio, .why = "the EOI of the IPI that ends the loop (xAPIC, MMIO)" }, \
		{ .reason = { EXIT_REASON_INTERRUPT_WINDOW, SVM_EXIT_VINTR }, .timing = true, \
		  .when = kvm_no_apicv,						\
		  .why = "an IPI that arrives while vCPU 1 has interrupts off (in its handler, or between its check and STI) waits for an interrupt window: timing" }, \
	}

#endif
