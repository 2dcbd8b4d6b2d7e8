// SPDX-License-Identifier: GPL-2.0-only
/*
 * Triple fault: the guest loads an empty IDT and divides by zero; #DE cannot
 * be delivered (#GP), nor can that (#DF): shutdown, which KVM reports as
 * KVM_EXIT_SHUTDOWN. The vCPU is dead after each one, so the host restores
 * its registers and times each KVM_RUN itself; the baseline is the same
 * restore with a KVM_RUN that returns at once (immediate_exit).
 */
#include <errno.h>

#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static struct kvm_regs regs0;
static struct kvm_sregs sregs0;

static void guest_triple_fault(void)
{
	static const struct desc_ptr empty_idt = { .size = 0, .address = 0 };

	__asm__ __volatile__("lidt %0\n\txor %%ecx, %%ecx\n\tdiv %%ecx"
			     :: "m"(empty_idt) : "rax", "rcx", "rdx");
}

static void setup(struct kvm_vm *vm __maybe_unused, struct kvm_vcpu *vcpu)
{
	vcpu_regs_get(vcpu, &regs0);
	vcpu_sregs_get(vcpu, &sregs0);
	regs0.rip = (uint64_t)guest_triple_fault;
}

static uint64_t host_loop(struct kvm_vm *vm __maybe_unused, struct kvm_vcpu *vcpu,
			  uint64_t n, bool baseline)
{
	uint64_t t0 = rdtsc(), i;

	for (i = 0; i < n; i++) {
		int r;

		vcpu_regs_set(vcpu, &regs0);
		vcpu_sregs_set(vcpu, &sregs0);
		vcpu->run->immediate_exit = baseline;
		r = __vcpu_run(vcpu);
		vcpu->run->immediate_exit = 0;
		if (baseline) {
			TEST_ASSERT(r == -1 && errno == EINTR,
				    "KVM_RUN with immediate_exit returned %d", r);
			continue;
		}
		/*
		 * Not TEST_ASSERT(): its message's arguments would be computed
		 * on every exit (strerror() among them).
		 */
		if (r)
			TEST_FAIL("KVM_RUN failed: %s", strerror(errno));
		exitbench_note_userspace_exit(vcpu->run->exit_reason);
		if (vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN)
			TEST_FAIL("expected KVM_EXIT_SHUTDOWN, got %s",
				  exit_reason_str(vcpu->run->exit_reason));
	}
	return rdtsc() - t0;
}

EXIT_TEST(
	.name = "triple_fault",
	.summary = "#DE with an empty IDT escalates to a triple fault; host-timed KVM_RUN, baseline: KVM_RUN with immediate_exit",
	.expect = {
		{ .reason = { EXIT_REASON_TRIPLE_FAULT, SVM_EXIT_SHUTDOWN }, .per_iteration = 1, .why = "the triple fault (shutdown) that ends each KVM_RUN" },
	},
	.guest_loop = NULL,
	.host_loop = host_loop,
	.setup = setup,
	.userspace_exit = KVM_EXIT_SHUTDOWN,
	.note = "host-timed: the figure is one KVM_RUN round trip (entry, the guest's faults, shutdown, return to userspace) less an immediate_exit KVM_RUN; both restore registers",
);
