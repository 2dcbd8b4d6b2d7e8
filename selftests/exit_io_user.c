// SPDX-License-Identifier: GPL-2.0-only
/* OUT to a port no in-kernel device claims: every one returns to userspace. */
#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

/* Not the ucall port (0x1000): the harness must tell them apart. */
#define TEST_PORT 0x80

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tout %%al, %[port]", ([port] "i"(TEST_PORT)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tnop", ([port] "i"(TEST_PORT)), "rax");
}

static bool handle_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	return run->exit_reason == KVM_EXIT_IO && run->io.port == TEST_PORT &&
	       run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1;
}

EXIT_TEST(
	.name = "io_user",
	.kut_name = "outl_to_qemu",
	.summary = "OUT to port 0x80, completed by the harness in userspace; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 1, .why = "OUT to a port no device claims, completed by the harness" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.handle_exit = handle_exit,
	.userspace_exit = KVM_EXIT_IO,
);
