// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c ple_round_robin: the vCPUs pass a token around,
 * each spinning on PAUSE until its turn. How long a vCPU spins, and so
 * whether PAUSE-loop exiting fires and how often, is timing (and with
 * fewer host CPUs than vCPUs, scheduling: that is what PLE is for). The
 * figure is per hand-off and vCPU, less a loop of NOPs.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

/* The hand-offs so far in this run: run id in the top half, count below. */
static volatile uint64_t rr_turn;

static void guest_loop(uint64_t n)
{
	uint64_t run = guest_run_id(), me = guest_vcpu_index(), nv = guest_nr_vcpus(), k;

	for (k = 0; k < n; k++) {
		uint64_t mine = run << 32 | (k * nv + me);

		/* vCPU 0's first turn comes when the token is still the last run's. */
		while (READ_ONCE(rr_turn) != mine && !(me == 0 && k == 0 && rr_turn >> 32 != run))
			__asm__ __volatile__("pause" ::: "memory");
		WRITE_ONCE(rr_turn, mine + 1);
	}
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ());
}

static bool ple_on(const struct kvm_config *c)
{
	return c->ple_gap;
}

EXIT_TEST(
	.name = "ple_round_robin",
	.kut_name = "ple_round_robin",
	.summary = "the vCPUs pass a token around, spinning on PAUSE until their turn; baseline: NOPs",
	.vcpus = 2,
	.min_vcpus = 2,
	.max_vcpus = MAX_VCPUS,
	.irqs_on = true,
	.expect = {
		{ .reason = { EXIT_REASON_PAUSE_INSTRUCTION, SVM_EXIT_PAUSE }, .timing = true, .when = ple_on,
		  .why = "PAUSE-loop exits, when a vCPU spins longer than the PLE window: timing" },
		{ .reason = { EXIT_REASON_PAUSE_INSTRUCTION, SVM_EXIT_PAUSE }, .per_iteration = 0,
		  .why = "none with PAUSE-loop exiting off (ple_gap=0; pause_filter_count or pause_filter_thresh 0)" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.per_iteration_figure = true,
	.note = "vmexit.c runs it on however many CPUs the VM has (one, in its unittests.cfg, where no PAUSE runs at all); here 2 vCPUs by default (--vcpus N), each doing N hand-offs per loop",
);
