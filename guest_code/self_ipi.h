/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The self-IPI tests of kvm-unit-tests' vmexit.c, one file each: an IPI the
 * vCPU sends itself, through the ICR with the self shorthand (self_ipi_*) or
 * the x2APIC SELF IPI register (x2apic_self_ipi_*), taken after "sti; nop",
 * after "sti; hlt", or when lowering TPR (CR8) unmasks it; the handler times
 * its EOI. Figures, as vmexit.c prints them: the whole iteration, the IPI
 * write and the EOI, each less the same bracket around a store to memory in
 * the baseline (which sends no IPI and takes no interrupt).
 *
 * A test file defines SELF_IPI_FLAGS and includes this header once.
 */
#ifndef EXITBENCH_SELF_IPI_H
#define EXITBENCH_SELF_IPI_H

#include "apic_tests.h"

#define SI_CLI	1	/* interrupts off around the IPI, then "sti; nop|hlt" */
#define SI_TPR	2	/* TPR raised to 15 around the IPI, then lowered to 0 */
#define SI_HLT	4	/* "sti; hlt" instead of "sti; nop" */
#define SI_MSR	8	/* the x2APIC SELF IPI register instead of the ICR */

static volatile uint64_t si_taken;
static uint64_t si_scratch;
extern char si_hlt_insn[];

static void si_handler(struct ex_regs *regs)
{
	uint64_t t0;

	if (guest_irq_redelivered(regs))
		return;
	si_taken++;
	guest_event(2);
	/*
	 * QEMU's TCG now and then delivers the IPI inside STI's shadow, at
	 * the HLT, which would then block for good: step over it, and count it.
	 */
	if (regs->rip == (uint64_t)si_hlt_insn) {
		regs->rip++;
		guest_event(1);
	}
	t0 = rdtsc_fenced();
	guest_apic_eoi();
	guest_figure_add(1, rdtsc_fenced() - t0);
}

static noinline __attribute__((used)) void si_sti_hlt(void)
{
	__asm__ __volatile__("sti\n\tsi_hlt_insn: hlt" ::: "memory");
}

static noinline void si_sti_nop(void)
{
	__asm__ __volatile__("sti\n\tnop" ::: "memory");
}

static __attribute__((always_inline)) inline void si_iteration(bool base)
{
	uint64_t t0;

	if (SELF_IPI_FLAGS & SI_CLI)
		__asm__ __volatile__("cli" ::: "memory");
	if (SELF_IPI_FLAGS & SI_TPR)
		guest_set_cr8(0xf);
	t0 = rdtsc_fenced();
	if (base)
		WRITE_ONCE(si_scratch, TEST_VECTOR);
	else if (SELF_IPI_FLAGS & SI_MSR)
		wrmsr(X2APIC_MSR_SELF_IPI, TEST_VECTOR);
	else
		guest_apic_icr(APIC_INT_ASSERT | APIC_DEST_SELF | APIC_DEST_PHYSICAL |
			       APIC_DM_FIXED | TEST_VECTOR, 0);
	guest_figure_add(0, rdtsc_fenced() - t0);
	if (SELF_IPI_FLAGS & SI_TPR)
		guest_set_cr8(0);
	if (!(SELF_IPI_FLAGS & SI_CLI))
		__asm__ __volatile__("nop" ::: "memory");
	else if ((SELF_IPI_FLAGS & SI_HLT) && !base)
		si_sti_hlt();
	else
		si_sti_nop();
	if (base) {
		/* The handler's EOI bracket, around a store. */
		t0 = rdtsc_fenced();
		WRITE_ONCE(si_scratch, 0);
		guest_figure_add(1, rdtsc_fenced() - t0);
	}
}

static void si_loop(uint64_t n)
{
	uint64_t i;

	si_taken = 0;
	if (!(SELF_IPI_FLAGS & SI_CLI))
		__asm__ __volatile__("sti" ::: "memory");
	for (i = 0; i < n; i++)
		si_iteration(false);
	__asm__ __volatile__("cli" ::: "memory");
}

static void si_baseline(uint64_t n)
{
	uint64_t i;

	if (!(SELF_IPI_FLAGS & SI_CLI))
		__asm__ __volatile__("sti" ::: "memory");
	for (i = 0; i < n; i++)
		si_iteration(true);
	__asm__ __volatile__("cli" ::: "memory");
}

/* Each IPI of the loop was taken, once. */
static const char *si_check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline,
				 const uint64_t *events, bool *skip __maybe_unused)
{
	static char why[128];

	if (baseline || events[1] == n)
		return NULL;
	snprintf(why, sizeof(why), "the guest took %llu of the %llu self-IPIs it sent: this KVM did not deliver them",
		 (unsigned long long)events[1], (unsigned long long)n);
	return why;
}

static void si_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, TEST_VECTOR, si_handler);
}

static const char *si_unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_X2APIC) || !(SELF_IPI_FLAGS & SI_MSR) ? NULL :
	       "KVM does not offer x2APIC to guests";
}

static const char *si_unsupported_config(const struct kvm_config *c)
{
	return SELF_IPI_FLAGS & SI_MSR ? x2apic_unsupported_config(c) : apic_unsupported_config(c);
}

/* The exits besides the IPI write and the EOI, by variant. */
#define SI_EXPECT_REST								\
	{ .reason = { EXIT_REASON_INTERRUPT_WINDOW, SVM_EXIT_VINTR },		\
	  .per_iteration = !!(SELF_IPI_FLAGS & SI_CLI), .when = kvm_no_apicv,	\
	  .why = "the interrupt window KVM opens for an IPI raised with interrupts off (exits after STI's shadow; with HLT, once the handler returns); none without STI" }, \
	{ .reason = { EXIT_REASON_TPR_BELOW_THRESHOLD, SVM_EXIT_WRITE_CR8 },	\
	  .per_iteration = !!(SELF_IPI_FLAGS & SI_TPR), .when = kvm_no_apicv,	\
	  .why = "lowering TPR (MOV to CR8) below the pending IPI: TPR-below-threshold exit (VMX), CR8-write intercept (SVM); none without TPR" }, \
	{ .reason = { EXIT_REASON_HLT, SVM_EXIT_HLT }, .per_iteration = !!(SELF_IPI_FLAGS & SI_HLT), \
	  .event = 1, .per_event = -1,						\
	  .why = "HLT with the IPI pending: exits, KVM does not block (less each HLT stepped over); none with NOP" }

#define SI_DESCRIPTOR							\
	.per_iteration_figure = true,					\
	.figures = {							\
		{ "ipi_cycles", "TSC cycles per IPI write" },		\
		{ "eoi_cycles", "TSC cycles per EOI" },			\
	},								\
	.events = { "HLTs stepped over (IPI inside STI's shadow)", "IPIs taken",	\
		    [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },		\
	.check_loop = si_check_loop,					\
	.guest_setup = guest_apic_enable,				\
	.guest_loop = si_loop,						\
	.guest_baseline = si_baseline,					\
	.setup = si_setup,						\
	.unsupported = si_unsupported,					\
	.unsupported_config = si_unsupported_config

#endif
