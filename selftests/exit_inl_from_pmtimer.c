// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c inl_from_pmtimer: IN of the ACPI PM timer, a
 * 24-bit counter at 3.579545 MHz that the VMM emulates in userspace (QEMU
 * at PM_TMR_BLK 0xb008 on its PC machine). Here the harness is the VMM: it
 * answers from CLOCK_MONOTONIC, as QEMU does from its virtual clock.
 */
#include <time.h>

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define PM_TMR_PORT	0xb008
#define PM_TMR_HZ	3579545ULL

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "in %%dx, %%eax", ("d"(PM_TMR_PORT)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("d"(PM_TMR_PORT)), "rax");
}

static bool handle_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct timespec ts;
	uint64_t ns;

	if (run->exit_reason != KVM_EXIT_IO || run->io.port != PM_TMR_PORT ||
	    run->io.direction != KVM_EXIT_IO_IN || run->io.size != 4 || run->io.count != 1)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	*(uint32_t *)((uint8_t *)run + run->io.data_offset) =
		(uint32_t)((unsigned __int128)ns * PM_TMR_HZ / 1000000000ULL) & 0xffffff;
	return true;
}

EXIT_TEST(
	.name = "inl_from_pmtimer",
	.kut_name = "inl_from_pmtimer",
	.summary = "IN (32-bit) of the ACPI PM timer at port 0xb008, emulated by the harness in userspace; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 1,
		  .why = "IN from a port no in-kernel device claims: to userspace, which returns the timer" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.handle_exit = handle_exit,
	.userspace_exit = KVM_EXIT_IO,
	.note = "the harness's PM timer reads CLOCK_MONOTONIC (one vDSO call), QEMU's its virtual clock",
);
