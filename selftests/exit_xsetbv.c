// SPDX-License-Identifier: GPL-2.0-only
/* XSETBV of XCR0 with its current value: always exits; XGETBV does not. */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%ecx, %%ecx\n\txgetbv\n\txsetbv", (), "rax", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%ecx, %%ecx\n\txgetbv\n\tnop", (), "rax", "rcx", "rdx");
}

/* The selftest library leaves CR4.OSXSAVE clear: without it XSETBV is #UD. */
static void setup(struct kvm_vm *vm __maybe_unused, struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	vcpu_sregs_set(vcpu, &sregs);
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_XSAVE) ? NULL : "KVM does not offer XSAVE to guests";
}

EXIT_TEST(
	.name = "xsetbv",
	.summary = "XSETBV of XCR0 with the value XGETBV just read; baseline: XGETBV alone",
	.expect = {
		{ .reason = { EXIT_REASON_XSETBV, SVM_EXIT_XSETBV }, .per_iteration = 1, .why = "XSETBV: always exits (XGETBV does not)" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported = unsupported,
);
