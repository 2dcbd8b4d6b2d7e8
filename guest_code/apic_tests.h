/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the tests of the local APIC share (self-IPIs, IPIs, the TSC-deadline
 * timer, TPR): guest helpers that use the APIC in the mode the host set up
 * (x2APIC MSRs by default, as kvm-unit-tests does when the vCPU has x2APIC;
 * xAPIC MMIO with --xapic), and the KVM configurations the exits depend on.
 */
#ifndef EXITBENCH_APIC_TESTS_H
#define EXITBENCH_APIC_TESTS_H

#include "apic.h"
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

/* kvm-unit-tests' vector for these tests (IPI_TEST_VECTOR). */
#define TEST_VECTOR 0xb0

/* Guest: the APIC on, in the host's chosen mode (once, in guest_setup). */
static inline void guest_apic_enable(void)
{
	if (guest_x2apic())
		x2apic_enable();
	else
		xapic_enable();
}

static inline void guest_apic_write(unsigned int reg, uint32_t val)
{
	if (guest_x2apic())
		wrmsr(APIC_BASE_MSR + (reg >> 4), val);
	else
		xapic_write_reg(reg, val);
}

static inline void guest_apic_eoi(void)
{
	guest_apic_write(APIC_EOI, 0);
}

/*
 * An ICR write as kvm-unit-tests makes it: one WRMSR in x2APIC mode; in
 * xAPIC mode a read of the busy bit, the destination, then the command.
 */
static inline void guest_apic_icr(uint32_t val, uint32_t dest)
{
	if (guest_x2apic()) {
		wrmsr(X2APIC_MSR_ICR, (uint64_t)dest << 32 | val);
		return;
	}
	while (xapic_read_reg(APIC_ICR) & APIC_ICR_BUSY)
		;
	xapic_write_reg(APIC_ICR2, dest << 24);
	xapic_write_reg(APIC_ICR, val);
}

/* TPR through CR8, as kvm-unit-tests sets it on x86-64 (CR8 = TPR[7:4]). */
static inline void guest_set_cr8(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr8" :: "r"(v) : "memory");
}

/*
 * Guest, first in every handler of a maskable interrupt: a frame with IF=0
 * is not an interrupt, since none can interrupt code that runs with
 * interrupts off (a handler's, through an interrupt gate). QEMU's TCG makes
 * such frames under nested SVM: VMRUN delivers the interrupt KVM injects
 * (EVENTINJ) at once, yet leaves its vector as the CPU's pending
 * exception, and when its CPU loop is asked to stop before the next
 * exception or #VMEXIT (often with two CPUs taking turns, now and then
 * with one) it delivers the vector a second time, into the handler's first
 * instruction. Traced in an IPI loop that hung: 49 IPIs sent, 49 injected,
 * 50 EOIs, the second run's exit_int_info of "exception" type. Counted as
 * event IRQ_REDELIVERED_EVENT and returned from at once: the first run,
 * returned to, does the handler's work and its EOI (one EOI, one exit).
 */
#define IRQ_REDELIVERED_EVENT	MAX_EVENTS
#define IRQ_REDELIVERED_NAME	"second deliveries of one interrupt (QEMU TCG: IF=0)"

static inline bool guest_irq_redelivered(const struct ex_regs *regs)
{
	if (regs->rflags & EXITBENCH_RFLAGS_IF)
		return false;
	guest_event(IRQ_REDELIVERED_EVENT);
	return true;
}

/* Host: the configurations the APIC tests' exits depend on. */
static inline bool cfg_x2apic(const struct kvm_config *c)
{
	return c->x2apic;
}

static inline bool cfg_x2apic_no_ipiv(const struct kvm_config *c)
{
	return c->x2apic && !c->ipiv;
}

static inline bool cfg_x2apic_ipiv(const struct kvm_config *c)
{
	return c->x2apic && c->ipiv;
}

static inline bool cfg_x2apic_no_apicv(const struct kvm_config *c)
{
	return c->x2apic && !c->apicv;
}

/* xAPIC MMIO trapped through the APIC-access page (VMX FlexPriority). */
static inline bool cfg_xapic_access_page(const struct kvm_config *c)
{
	return !c->x2apic && !c->apicv && c->vendor == VENDOR_VMX && c->flexpriority;
}

/* xAPIC MMIO to the in-kernel LAPIC with no APIC-access page: an MMIO fault. */
static inline bool cfg_xapic_mmio(const struct kvm_config *c)
{
	return !c->x2apic && !c->apicv && (c->vendor != VENDOR_VMX || !c->flexpriority);
}

static inline bool cfg_xapic_apicv(const struct kvm_config *c)
{
	return !c->x2apic && c->apicv;
}

static inline bool cfg_xapic_apicv_no_ipiv(const struct kvm_config *c)
{
	return !c->x2apic && c->apicv && !c->ipiv;
}

/*
 * AVIC changes nearly every exit of these tests and no machine here has
 * it: rather than claim exits nobody checked, the tests skip with it.
 */
static inline const char *apic_unsupported_config(const struct kvm_config *c)
{
	return c->vendor == VENDOR_SVM && c->apicv ?
	       "the exits with AVIC (kvm_amd avic=1) are not stated: not verified on any machine of this project; load kvm_amd with avic=0" :
	       NULL;
}

static inline const char *x2apic_unsupported_config(const struct kvm_config *c)
{
	return !c->x2apic ? "needs the guest's local APIC in x2APIC mode (--xapic was given, or KVM offers no x2APIC)" :
	       apic_unsupported_config(c);
}

/*
 * The exits of an ICR write in each mode and configuration (one entry per
 * case; those that do not apply are judged to be 0), @per per iteration.
 */
#define EXPECT_ICR_WRITE(per, what)								\
	{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = (per),		\
	  .when = cfg_x2apic_no_ipiv,								\
	  .why = what ": a WRMSR to the x2APIC ICR (0x830), intercepted (fastpath) without IPI virtualization" }, \
	{ .reason = { EXIT_REASON_APIC_ACCESS, EXIT_NONE }, .per_iteration = 3 * (per),		\
	  .when = cfg_xapic_access_page,							\
	  .why = what ": xAPIC MMIO, the busy-bit read of ICR, the ICR2 and ICR writes: APIC-access exits (no APICv)" }, \
	{ .reason = { EXIT_REASON_EPT_MISCONFIG, SVM_EXIT_NPF }, .per_iteration = 3 * (per),	\
	  .when = cfg_xapic_mmio,								\
	  .why = what ": xAPIC MMIO with no APIC-access page (SVM without AVIC): three MMIO faults" }

#define EXPECT_EOI(per, what)									\
	{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = (per),		\
	  .when = cfg_x2apic_no_apicv,								\
	  .why = what ": the EOI, a WRMSR to the x2APIC EOI register (0x80b), intercepted without APICv" }, \
	{ .reason = { EXIT_REASON_APIC_ACCESS, EXIT_NONE }, .per_iteration = (per),		\
	  .when = cfg_xapic_access_page,							\
	  .why = what ": the EOI, an xAPIC MMIO write: an APIC-access exit (no APICv)" },	\
	{ .reason = { EXIT_REASON_EPT_MISCONFIG, SVM_EXIT_NPF }, .per_iteration = (per),	\
	  .when = cfg_xapic_mmio,								\
	  .why = what ": the EOI, an xAPIC MMIO write with no APIC-access page: an MMIO fault" }

#endif
