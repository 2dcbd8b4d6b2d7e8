// SPDX-License-Identifier: GPL-2.0-only
/*
 * A store to guest-physical memory with no memslot. The first access is an
 * EPT violation after which KVM installs a reserved-bit "MMIO SPTE", so every
 * later one is an EPT misconfig (NPF on SVM); KVM emulates the store and
 * returns to userspace with KVM_EXIT_MMIO, which the harness completes.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define MMIO_GPA 0xc0000000UL	/* 3 GiB: no memslot there */

static uint64_t scratch;

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "movl $0, (%[p])", ([p] "r"(MMIO_GPA)));
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "movl $0, (%[p])", ([p] "r"(&scratch)));
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	virt_map(vm, MMIO_GPA, MMIO_GPA, 1);
}

static bool handle_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	return run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_GPA &&
	       run->mmio.is_write && run->mmio.len == 4;
}

EXIT_TEST(
	.name = "mmio",
	.summary = "a 4-byte store to unbacked guest-physical memory, completed in userspace; baseline: a store to RAM",
	.expect = {
		{ .reason = { EXIT_REASON_EPT_MISCONFIG, SVM_EXIT_NPF }, .per_iteration = 1, .why = "a store to guest-physical memory with no memslot: an MMIO SPTE (EPT misconfig; NPF on SVM)" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.handle_exit = handle_exit,
	.userspace_exit = KVM_EXIT_MMIO,
	.note = "the first access of a VM is an EPT violation; the warm-up takes it",
);
