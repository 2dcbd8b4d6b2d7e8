// SPDX-License-Identifier: GPL-2.0-only
/*
 * HLT with a wake-up already pending: the guest sends itself an IPI with
 * interrupts off, then "sti; hlt". STI's interrupt shadow lets HLT execute
 * and exit; KVM sees the pending interrupt, does not block, and injects it.
 * The baseline sends the same IPI and takes it after "sti; nop".
 */
#include "apic.h"
#include "processor.h"

#include "exitbench.h"
#include "guest.h"

#define WAKE_VECTOR 0x40

static void wake_handler(struct ex_regs *regs __maybe_unused)
{
	x2apic_write_reg(APIC_EOI, 0);
}

/* x2APIC SELF IPI register (MSR 0x83f): KVM delivers it in the kernel. */
#define SELF_IPI_MSR 0x83f

static void guest_loop(uint64_t n)
{
	x2apic_enable();
	GUEST_LOOP(n, "wrmsr\n\tsti\n\thlt\n\tcli",
		   ("c"(SELF_IPI_MSR), "a"(WAKE_VECTOR), "d"(0)));
}

static void guest_baseline(uint64_t n)
{
	x2apic_enable();
	GUEST_LOOP(n, "wrmsr\n\tsti\n\tnop\n\tcli",
		   ("c"(SELF_IPI_MSR), "a"(WAKE_VECTOR), "d"(0)));
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, WAKE_VECTOR, wake_handler);
}

static const char *unsupported(void)
{
	return kvm_cpu_has(X86_FEATURE_X2APIC) ? NULL : "KVM does not offer x2APIC to guests";
}

EXIT_TEST(
	.name = "hlt",
	.summary = "HLT with a self-IPI already pending (so it does not block); baseline: NOP in its place",
	.reason = { .vmx = 12, .svm = 0x78 },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.unsupported = unsupported,
	.note = "each iteration also takes a self-IPI (x2APIC MSR write) and an EOI, in both loops",
);
