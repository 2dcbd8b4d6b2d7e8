// SPDX-License-Identifier: GPL-2.0-only
/*
 * OUT in L2 to a port L1 does not intercept, bound to an ioeventfd: KVM
 * takes the exit (it intercepts all I/O of L2 itself), sees that L1 does
 * not want it, completes it in the kernel and resumes L2. L1 never runs.
 */
#include <sys/eventfd.h>

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

#define TEST_PORT 0x81

static void l2_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tout %%al, %[port]", ([port] "i"(TEST_PORT)), "rax");
}

static void l2_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tnop", ([port] "i"(TEST_PORT)), "rax");
}

static void setup(struct kvm_vm *vm)
{
	struct kvm_ioeventfd ioev = {
		.addr = TEST_PORT,
		.len = 1,
		.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};

	TEST_ASSERT(ioev.fd >= 0, "eventfd() failed");
	vm_ioctl(vm, KVM_IOEVENTFD, &ioev);
}

static const char *unsupported(void)
{
	if (!kvm_has_cap(KVM_CAP_IOEVENTFD))
		return "KVM lacks KVM_CAP_IOEVENTFD";
	return NULL;
}

static const struct nested_test l2 = {
	.l2_loop = l2_loop,
	.l2_baseline = l2_baseline,
	.l1_sees = { EXIT_NONE, EXIT_NONE },
	.unsupported = unsupported,
	.setup = setup,
};

NESTED_TEST(l2,
	.name = "nested_io_l0",
	.summary = "OUT in L2 to port 0x81 (not intercepted by L1, bound to an ioeventfd): completed by KVM, L1 not involved; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .level = EXIT_L2,
		  .per_iteration = 1, .why = "L2's OUT to a port L1 does not intercept: KVM completes it for L2 (an ioeventfd), not reflected" },
		NESTED_DONE_EXIT,
		NESTED_L1_EXITS(0),
	},
);
