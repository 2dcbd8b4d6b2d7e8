// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c tscdeadline_immed: WRMSR of a TSC deadline that
 * has already passed (the current TSC), then CPUID to serialize it, as
 * vmexit.c does since March 2026. KVM handles the write in its fastpath
 * and fires the timer at once; the interrupt is taken right after.
 */
#include "tsc_deadline.h"

static void guest_loop(uint64_t n)
{
	uint64_t i;

	td_fired = 0;
	if (td_skewed)
		return;		/* the host skips the test, saying why */
	__asm__ __volatile__("sti" ::: "memory");
	for (i = 0; i < n; i++) {
		uint32_t a = 0, b, c = 0, d;

		wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc());
		__asm__ __volatile__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) :: "memory");
	}
	__asm__ __volatile__("cli" ::: "memory");
}

static void guest_baseline(uint64_t n)
{
	uint64_t i;

	__asm__ __volatile__("sti" ::: "memory");
	for (i = 0; i < n; i++) {
		WRITE_ONCE(td_scratch, rdtsc());
		__asm__ __volatile__("nop" ::: "memory");
		td_fake_eoi();
	}
	__asm__ __volatile__("cli" ::: "memory");
}

EXIT_TEST(
	.name = "tscdeadline_immed",
	.kut_name = "tscdeadline_immed",
	.summary = "WRMSR of an expired TSC deadline, then CPUID; the timer interrupt follows at once; baseline: a store and NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 1,
		  .why = "the WRMSR of IA32_TSC_DEADLINE (KVM's fastpath: the timer fires during it)" },
		EXPECT_EOI(1, "the timer's handler"),
		{ .reason = { EXIT_REASON_CPUID, SVM_EXIT_CPUID }, .per_iteration = 1,
		  .why = "the CPUID that serializes the write" },
		{ .reason = { EXIT_REASON_PREEMPTION_TIMER, EXIT_NONE }, .per_iteration = 0,
		  .why = "none: a deadline already passed fires when written, the VMX preemption timer is not armed" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	TD_DESCRIPTOR,
	.note = "the figure includes the CPUID, as vmexit.c's does (its baseline is nothing; ours a NOP loop)",
);
