// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPR below threshold: the guest raises TPR to 15 (MOV to CR8), sends
 * itself an IPI, which TPR masks, then lowers TPR to 0. KVM set the TPR
 * threshold to the pending vector's priority, so the lowering exits
 * (TPR_BELOW_THRESHOLD on VMX; on SVM, the CR8-write intercept KVM sets
 * for the same reason) and KVM injects the IPI. The baseline lowers TPR
 * before the IPI: nothing is masked, nothing exits but the IPI and EOI.
 */
#include "apic_tests.h"

static void handler(struct ex_regs *regs)
{
	if (guest_irq_redelivered(regs))
		return;
	guest_event(1);
	wrmsr(X2APIC_MSR_EOI, 0);
}

static void guest_loop(uint64_t n)
{
	__asm__ __volatile__("sti" ::: "memory");
	GUEST_LOOP(n, "mov %[hi], %%cr8\n\twrmsr\n\tmov %[lo], %%cr8\n\tnop",
		   ("c"(X2APIC_MSR_SELF_IPI), "a"(TEST_VECTOR), "d"(0), [hi] "r"(15UL), [lo] "r"(0UL)));
	__asm__ __volatile__("cli" ::: "memory");
}

static void guest_baseline(uint64_t n)
{
	__asm__ __volatile__("sti" ::: "memory");
	GUEST_LOOP(n, "mov %[hi], %%cr8\n\tmov %[lo], %%cr8\n\twrmsr\n\tnop",
		   ("c"(X2APIC_MSR_SELF_IPI), "a"(TEST_VECTOR), "d"(0), [hi] "r"(15UL), [lo] "r"(0UL)));
	__asm__ __volatile__("cli" ::: "memory");
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, TEST_VECTOR, handler);
}

static const char *unsupported_config(const struct kvm_config *c)
{
	if (c->apicv)
		return "with APICv the CPU delivers the IPI when TPR drops: no TPR-threshold exit";
	if (c->vendor == VENDOR_VMX && !c->tpr_shadow)
		return "VMX without a TPR shadow: every CR8 write exits, there is no TPR threshold";
	return x2apic_unsupported_config(c);
}

static const char *check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline __maybe_unused,
			      const uint64_t *events, bool *skip __maybe_unused)
{
	return events[0] == n ? NULL : "not every IPI of the loop was taken";
}

EXIT_TEST(
	.name = "tpr_below_threshold",
	.summary = "TPR 15, a self-IPI it masks, TPR 0: a TPR-below-threshold exit (SVM: CR8 write); baseline: TPR lowered before the IPI",
	.expect = {
		{ .reason = { EXIT_REASON_TPR_BELOW_THRESHOLD, SVM_EXIT_WRITE_CR8 }, .per_iteration = 1,
		  .why = "lowering TPR below the pending IPI's priority" },
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 2,
		  .why = "the SELF IPI and EOI writes (x2APIC MSRs), in both loops" },
	},
	.events = { "IPIs taken", [IRQ_REDELIVERED_EVENT - 1] = IRQ_REDELIVERED_NAME },
	.guest_setup = x2apic_enable,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported_config = unsupported_config,
	.check_loop = check_loop,
);
