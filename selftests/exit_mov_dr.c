// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c mov_dr: MOV of 0x400 to DR7. KVM intercepts
 * debug-register accesses until the first one, then (with no host debugger
 * on the guest) lets the guest own them until its next exit: so one exit
 * per loop, plus one after each exit the host's interrupts cause.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "mov %%rax, %%dr7", ("a"(0x400UL)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "mov %%rax, %%rax", ("a"(0x400UL)));
}

EXIT_TEST(
	.name = "mov_dr",
	.kut_name = "mov_dr",
	.summary = "MOV of 0x400 to DR7 (exits once, then the guest owns DR7 until its next exit); baseline: MOV between registers",
	.expect = {
		{ .reason = { EXIT_REASON_DR_ACCESS, SVM_EXIT_WRITE_DR7 }, .timing = true,
		  .why = "the first DR7 write after any exit: KVM stops intercepting debug registers, and intercepts again after the next exit: once per loop, and once more after each host interrupt that lands between two writes (timing: not one landing before the first or after the last)" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.note = "the figure is per iteration: nearly every write runs without an exit",
	.per_iteration_figure = true,
);
