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
#define BACKSTOP_VECTOR 0x41
/* LAPIC timer ticks (1 GHz in KVM) between backstop interrupts: 10 ms. */
#define BACKSTOP_PERIOD 10000000

static void wake_handler(struct ex_regs *regs __maybe_unused)
{
	x2apic_write_reg(APIC_EOI, 0);
}

/*
 * A slow periodic LAPIC timer wakes a HLT whose IPI was taken before it.
 * That cannot happen on hardware (STI's interrupt shadow covers HLT), but
 * QEMU's TCG now and then delivers the interrupt inside the shadow, and the
 * HLT would then block for good. Rare, and both loops have it.
 */
static void backstop_start(void)
{
	x2apic_enable();
	x2apic_write_reg(APIC_TDCR, 0xb);	/* divide by 1 */
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | BACKSTOP_VECTOR);
	x2apic_write_reg(APIC_TMICT, BACKSTOP_PERIOD);
}

static void backstop_stop(void)
{
	x2apic_write_reg(APIC_TMICT, 0);
}

/* x2APIC SELF IPI register (MSR 0x83f): KVM delivers it in the kernel. */
#define SELF_IPI_MSR 0x83f

static void guest_loop(uint64_t n)
{
	backstop_start();
	GUEST_LOOP(n, "wrmsr\n\tsti\n\thlt\n\tcli",
		   ("c"(SELF_IPI_MSR), "a"(WAKE_VECTOR), "d"(0)));
	backstop_stop();
}

static void guest_baseline(uint64_t n)
{
	backstop_start();
	GUEST_LOOP(n, "wrmsr\n\tsti\n\tnop\n\tcli",
		   ("c"(SELF_IPI_MSR), "a"(WAKE_VECTOR), "d"(0)));
	backstop_stop();
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, WAKE_VECTOR, wake_handler);
	vm_install_exception_handler(vm, BACKSTOP_VECTOR, wake_handler);
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
	.note = "each iteration also takes a self-IPI (x2APIC MSR write) and an EOI, in both loops; a 10 ms LAPIC timer in both loops wakes a HLT whose wake-up an emulator delivered too early",
);
