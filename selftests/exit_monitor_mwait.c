// SPDX-License-Identifier: GPL-2.0-only
/*
 * MONITOR, then MWAIT: KVM intercepts both (unless userspace let the guest
 * have them, KVM_X86_DISABLE_EXITS_MWAIT) and treats them as NOPs. Each is
 * timed on its own.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static uint64_t line[8] __attribute__((aligned(64)));
static uint64_t scratch;

static __attribute__((always_inline)) inline void iteration(bool base)
{
	uint64_t t0 = rdtsc_fenced();

	if (base)
		WRITE_ONCE(scratch, 1);
	else
		__asm__ __volatile__("monitor" :: "a"(line), "c"(0), "d"(0) : "memory");
	guest_figure_add(0, rdtsc_fenced() - t0);
	t0 = rdtsc_fenced();
	if (base)
		WRITE_ONCE(scratch, 2);
	else
		__asm__ __volatile__("mwait" :: "a"(0), "c"(0) : "memory");
	guest_figure_add(1, rdtsc_fenced() - t0);
}

static void guest_loop(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		iteration(false);
}

static void guest_baseline(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		iteration(true);
}

EXIT_TEST(
	.name = "monitor_mwait",
	.summary = "MONITOR then MWAIT (intercepted, emulated as NOPs), each timed; baseline: stores",
	.expect = {
		{ .reason = { EXIT_REASON_MONITOR_INSTRUCTION, SVM_EXIT_MONITOR }, .per_iteration = 1,
		  .why = "MONITOR: intercepted, a NOP to KVM" },
		{ .reason = { EXIT_REASON_MWAIT_INSTRUCTION, SVM_EXIT_MWAIT }, .per_iteration = 1,
		  .why = "MWAIT: intercepted, a NOP to KVM" },
	},
	.per_iteration_figure = true,
	.figures = {
		{ "monitor_cycles", "TSC cycles per MONITOR exit" },
		{ "mwait_cycles", "TSC cycles per MWAIT exit" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
);
