// SPDX-License-Identifier: GPL-2.0-only
/*
 * External interrupts: the guest spins reading the TSC while host interrupts
 * (timer ticks, IPIs) arrive on the CPU it runs on; each one forces an exit.
 * The guest cannot cause them, so it times them itself: a gap between two
 * TSC reads well above the loop's own period is an exit, and its length less
 * that period is the exit's cost. It stops after N gaps or a time budget.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

/* Give up after this long without N interrupts (guest TSC ms). */
#define BUDGET_MS 1000

static void guest_loop(uint64_t n)
{
	uint64_t prev, now, period = ~0ULL, threshold, deadline, gaps = 0, cycles = 0;
	int i;

	/* The loop's own period: the smallest of many back-to-back reads. */
	prev = rdtsc();
	for (i = 0; i < 1000; i++) {
		now = rdtsc();
		if (now - prev < period)
			period = now - prev;
		prev = now;
	}
	threshold = 8 * period + 500;
	deadline = prev + (uint64_t)guest_tsc_khz * BUDGET_MS;
	/*
	 * Host interrupts exit whatever the guest's RFLAGS.IF, but Bochs 2.7
	 * only takes the exit when the guest has IF=1: spin with IF=1, as a
	 * real guest would (no interrupt is ever pending for this guest).
	 */
	__asm__ __volatile__("sti");
	while (gaps < n && prev < deadline) {
		now = rdtsc();
		if (now - prev > threshold) {
			gaps++;
			cycles += now - prev - period;
		}
		prev = now;
	}
	__asm__ __volatile__("cli");
	guest_report(cycles, gaps);
}

/*
 * Under an outer hypervisor or emulator, the outer level's own stalls show
 * as gaps too, and the guest cannot tell them from our host's exits.
 */
static const char *unsupported(void)
{
	return this_cpu_has(X86_FEATURE_HYPERVISOR) ?
	       "this host runs under a hypervisor (CPUID.1:ECX.HYPERVISOR): gaps in the guest's TSC include the outer level's exits, so the guest cannot time or count this host's external-interrupt exits" :
	       NULL;
}

EXIT_TEST(
	.name = "external_interrupt",
	.summary = "the guest spins on RDTSC; host interrupts on its CPU exit (gap timing, no baseline)",
	.expect = {
		{ .reason = { EXIT_REASON_EXTERNAL_INTERRUPT, SVM_EXIT_INTR }, .per_iteration = 1, .why = "host interrupts on the vCPU's CPU (timer ticks, IPIs), one per gap the guest sees" },
	},
	.guest_loop = guest_loop,
	.self_timed = true,
	.unsupported = unsupported,
	.fixed_iterations = 20,
	.tolerance = 0.25,
	.note = "N is the number of interrupts waited for; the count is compared with a 25% tolerance: one gap can hold two interrupts, and a gap can be host preemption",
);
