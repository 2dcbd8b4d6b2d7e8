// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c inl_from_qemu: IN (32-bit) from port 0x1234,
 * which nothing claims: the exit goes to the VMM in userspace, which reads
 * all ones, as QEMU does for an unassigned port. The harness is the VMM.
 */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define TEST_PORT 0x1234

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "in %%dx, %%eax", ("d"(TEST_PORT)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "nop", ("d"(TEST_PORT)), "rax");
}

static bool handle_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason != KVM_EXIT_IO || run->io.port != TEST_PORT ||
	    run->io.direction != KVM_EXIT_IO_IN || run->io.size != 4 || run->io.count != 1)
		return false;
	*(uint32_t *)((uint8_t *)run + run->io.data_offset) = 0xffffffff;
	return true;
}

EXIT_TEST(
	.name = "inl_from_qemu",
	.kut_name = "inl_from_qemu",
	.summary = "IN (32-bit) from port 0x1234, completed by the harness in userspace (all ones); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 1,
		  .why = "IN from a port no in-kernel device claims: to userspace and back" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.handle_exit = handle_exit,
	.userspace_exit = KVM_EXIT_IO,
	.note = "the userspace side is the harness's exit loop, not QEMU's (whose path is longer)",
);
