// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c tscdeadline: WRMSR of a TSC deadline 3000 cycles
 * ahead, then spin until the timer's interrupt. With the VMX preemption
 * timer KVM arms it and the expiry is an exit of its own; without it, a
 * host hrtimer fires (a host interrupt, when the vCPU is running) or, on a
 * slow host, the deadline has passed before KVM arms it and fires at once.
 */
#include "tsc_deadline.h"

#define DEADLINE_CYCLES 3000

static void guest_loop(uint64_t n)
{
	uint64_t i;

	td_fired = 0;
	if (td_skewed)
		return;		/* the host skips the test, saying why */
	__asm__ __volatile__("sti" ::: "memory");
	for (i = 0; i < n; i++) {
		wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + DEADLINE_CYCLES);
		while (td_fired == i)
			__asm__ __volatile__("" ::: "memory");
	}
	__asm__ __volatile__("cli" ::: "memory");
}

static void guest_baseline(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		WRITE_ONCE(td_scratch, rdtsc() + DEADLINE_CYCLES);
		td_fake_eoi();
	}
}

static bool hv_timer(const struct kvm_config *c)
{
	return c->preemption_timer;
}

EXIT_TEST(
	.name = "tscdeadline",
	.kut_name = "tscdeadline",
	.summary = "WRMSR of a TSC deadline 3000 cycles ahead, then spin until its interrupt; baseline: a store",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 1,
		  .why = "the WRMSR of IA32_TSC_DEADLINE (KVM's fastpath)" },
		EXPECT_EOI(1, "the timer's handler"),
		{ .reason = { EXIT_REASON_PREEMPTION_TIMER, EXIT_NONE }, .per_iteration = 1, .timing = true,
		  .when = hv_timer,
		  .why = "with the VMX preemption timer: its expiry, unless the deadline passed before KVM armed it (timing)" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	TD_DESCRIPTOR,
	.note = "the figure includes the 3000-cycle wait, as vmexit.c's does; without the preemption timer the expiry is a host hrtimer interrupt (counted as the host's) or nothing",
);
