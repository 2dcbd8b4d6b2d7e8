// SPDX-License-Identifier: GPL-2.0-only
/*
 * OUT to a port with an ioeventfd: KVM completes it in the kernel (signals
 * the eventfd) and re-enters the guest without returning to userspace.
 */
#include <sys/eventfd.h>

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define TEST_PORT 0x81

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tout %%al, %[port]", ([port] "i"(TEST_PORT)), "rax");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%eax, %%eax\n\tnop", ([port] "i"(TEST_PORT)), "rax");
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
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
	return kvm_has_cap(KVM_CAP_IOEVENTFD) ? NULL : "KVM lacks KVM_CAP_IOEVENTFD";
}

EXIT_TEST(
	.name = "io_kernel",
	.kut_name = "outl_to_kernel",
	.summary = "OUT to port 0x81 bound to an ioeventfd, completed in the kernel; baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 1, .why = "OUT to a port bound to an ioeventfd, completed in the kernel" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported = unsupported,
);
