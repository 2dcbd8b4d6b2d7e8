// SPDX-License-Identifier: GPL-2.0-only
/*
 * The NMI window: the guest sends itself an NMI (x2APIC ICR, NMI delivery
 * mode, self shorthand), and its handler, with NMIs blocked, sends another.
 * KVM holds the second until the handler's IRET unblocks NMIs: on VMX with
 * virtual NMIs it asks for an NMI-window exit; on SVM without vNMI it
 * intercepts IRET and single-steps past it (#DB). The baseline sends the
 * second NMI after the first handler returned: nothing to wait for.
 */
#include "apic_tests.h"

#define NMI_SELF (APIC_DEST_SELF | APIC_DM_NMI)

static volatile bool nested;

static void nmi_handler(struct ex_regs *regs __maybe_unused)
{
	guest_event(1);
	if (nested) {
		nested = false;
		wrmsr(X2APIC_MSR_ICR, NMI_SELF);
	}
}

static void guest_loop(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		nested = true;
		wrmsr(X2APIC_MSR_ICR, NMI_SELF);
	}
}

static void guest_baseline(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		nested = false;
		wrmsr(X2APIC_MSR_ICR, NMI_SELF);
		wrmsr(X2APIC_MSR_ICR, NMI_SELF);
	}
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
}

static const char *unsupported_config(const struct kvm_config *c)
{
	if (c->vnmi && c->vendor == VENDOR_SVM)
		return "the exits with SVM's virtual NMIs (kvm_amd vnmi=1) are not stated: not verified on any machine of this project";
	if (!c->vnmi && c->vendor == VENDOR_VMX)
		return "VMX without virtual NMIs (kvm_intel vnmi=0) has no NMI-window exit";
	return x2apic_unsupported_config(c);
}

static const char *check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline __maybe_unused,
			      const uint64_t *events, bool *skip __maybe_unused)
{
	return events[0] == 2 * n ? NULL : "not every NMI of the loop was taken";
}

static bool x2_no_ipiv(const struct kvm_config *c)
{
	return !c->ipiv;
}

EXIT_TEST(
	.name = "nmi_window",
	.summary = "an NMI whose handler sends another: KVM waits for the NMI window (VMX) or the IRET (SVM); baseline: two NMIs one after the other",
	.expect = {
		{ .reason = { EXIT_REASON_NMI_WINDOW, SVM_EXIT_EXCP_BASE + DB_VECTOR }, .per_iteration = 1,
		  .why = "VMX: the NMI-window exit once the handler's IRET unblocks NMIs; SVM: the #DB of single-stepping past that IRET" },
		{ .reason = { EXIT_NONE, SVM_EXIT_IRET }, .per_iteration = 2,
		  .why = "SVM without vNMI: KVM intercepts the IRET of each NMI handler (both loops)" },
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 2, .when = x2_no_ipiv,
		  .why = "the two ICR writes that send the NMIs (x2APIC), in both loops" },
	},
	.events = { "NMIs taken" },
	.guest_setup = x2apic_enable,
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported_config = unsupported_config,
	.check_loop = check_loop,
	.per_iteration_figure = true,
);
