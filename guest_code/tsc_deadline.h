/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TSC-deadline tests of kvm-unit-tests' vmexit.c: the LAPIC timer in
 * TSC-deadline mode on TEST_VECTOR, a handler that counts and times its
 * EOI, and what the host must offer for it.
 */
#ifndef EXITBENCH_TSC_DEADLINE_H
#define EXITBENCH_TSC_DEADLINE_H

#include "apic_tests.h"

static volatile uint64_t td_fired;
static uint64_t td_scratch;
/* RDTSC less KVM's IA32_TSC for the guest, read once in guest_setup. */
static int64_t td_tsc_skew;
static bool td_skewed;		/* so far off that no deadline would fire in time */
static struct kvm_vm *td_vm;

static void td_handler(struct ex_regs *regs)
{
	uint64_t t0;

	if (guest_irq_redelivered(regs))
		return;
	td_fired++;
	guest_event(1);
	t0 = rdtsc_fenced();
	guest_apic_eoi();
	guest_figure_add(0, rdtsc_fenced() - t0);
}

static void td_guest_setup(void)
{
	uint64_t before = rdtsc(), msr = rdmsr(MSR_IA32_TSC), after = rdtsc();

	/* KVM times deadlines by its own guest TSC, which RDTSC should show. */
	td_tsc_skew = (int64_t)(before / 2 + after / 2 - msr);
	td_skewed = td_tsc_skew > 1000000000 || td_tsc_skew < -1000000000;
	guest_apic_enable();
	guest_apic_write(APIC_LVTT, APIC_LVT_TIMER_TSCDEADLINE | TEST_VECTOR);
}

/* The baseline's stand-in for the handler's EOI bracket. */
static inline void td_fake_eoi(void)
{
	uint64_t t0 = rdtsc_fenced();

	WRITE_ONCE(td_scratch, 0);
	guest_figure_add(0, rdtsc_fenced() - t0);
}

static void td_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	td_vm = vm;
	vcpu_set_cpuid_feature(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER);
	vm_install_exception_handler(vm, TEST_VECTOR, td_handler);
}

static const char *td_unsupported(void)
{
	return kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER) ? NULL : "KVM lacks KVM_CAP_TSC_DEADLINE_TIMER";
}

/* Each deadline of the loop fired once. */
static const char *td_check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline,
				 const uint64_t *events, bool *skip)
{
	static char why[256];
	int64_t skew;

	sync_global_from_guest(td_vm, td_tsc_skew);
	skew = td_tsc_skew < 0 ? -td_tsc_skew : td_tsc_skew;
	if (skew > 1000000000) {
		*skip = true;
		snprintf(why, sizeof(why), "the guest's RDTSC is %lld TSC cycles off the TSC KVM keeps for it (RDMSR IA32_TSC), so a deadline written from RDTSC fires that much too late or too early (seen under QEMU TCG's nested SVM)",
			 (long long)td_tsc_skew);
		return why;
	}
	if (baseline || events[0] == n)
		return NULL;
	snprintf(why, sizeof(why), "%llu of the %llu timer deadlines fired",
		 (unsigned long long)events[0], (unsigned long long)n);
	return why;
}

#define TD_DESCRIPTOR						\
	.per_iteration_figure = true,				\
	.figures = { { "eoi_cycles", "TSC cycles per EOI" } },	\
	.events = { "timer interrupts taken",				\
		    [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },	\
	.guest_setup = td_guest_setup,				\
	.setup = td_setup,					\
	.unsupported = td_unsupported,				\
	.unsupported_config = apic_unsupported_config,		\
	.check_loop = td_check_loop

#endif
