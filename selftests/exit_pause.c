// SPDX-License-Identifier: GPL-2.0-only
/*
 * PAUSE-loop exiting: the guest spins on PAUSE; once a spin lasts longer
 * than the PLE window (VMX: ple_window TSC cycles; SVM: pause_filter_count
 * PAUSEs), the CPU exits and KVM looks for a vCPU to yield to. The guest
 * cannot cause the exit at will, so it times it: a gap between two TSC
 * reads of the spin well above its period is an exit. After each exit KVM
 * doubles the window, and resets it when the vCPU is next scheduled out:
 * each loop first halts for 2 ms (a LAPIC timer wakes it) to start from
 * the base window.
 */
#include "apic_tests.h"

#define RESET_VECTOR	0x42
#define RESET_NS	2000000		/* KVM's APIC timer counts at 1 GHz */
#define BUDGET_CYCLES	(1ULL << 26)	/* give up on more exits after this long */

static void reset_handler(struct ex_regs *regs __maybe_unused)
{
	wrmsr(X2APIC_MSR_EOI, 0);
}

static void guest_setup(void)
{
	x2apic_enable();
	x2apic_write_reg(APIC_TDCR, 0xb);	/* divide by 1 */
	x2apic_write_reg(APIC_LVTT, RESET_VECTOR);	/* one-shot */
}

static void guest_loop(uint64_t n)
{
	uint64_t prev, now, d, period = ~0ULL, deadline, gaps = 0, cycles = 0;

	/* Sleep once, so that KVM schedules the vCPU out and resets the window. */
	x2apic_write_reg(APIC_TMICT, RESET_NS);
	__asm__ __volatile__("sti\n\thlt\n\tcli" ::: "memory");

	prev = rdtsc();
	deadline = prev + BUDGET_CYCLES;
	while (gaps < n && prev < deadline) {
		__asm__ __volatile__("pause" ::: "memory");
		now = rdtsc();
		d = now - prev;
		if (d < period) {
			period = d;
		} else if (d > 8 * period + 500) {
			gaps++;
			cycles += d - period;
			guest_event(1);
		}
		prev = now;
	}
	guest_report(cycles, gaps);
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, RESET_VECTOR, reset_handler);
}

static const char *unsupported_config(const struct kvm_config *c)
{
	if (!c->ple_gap)
		return c->vendor == VENDOR_SVM ?
		       "KVM lets PAUSE run in the guest: no pause filter here (kvm_amd pause_filter_count or pause_filter_thresh is 0, as without the CPU feature, e.g. QEMU's TCG)" :
		       "KVM lets PAUSE run in the guest: PAUSE-loop exiting is off (kvm_intel ple_gap=0, as without the CPU feature)";
	return x2apic_unsupported_config(c);
}

static const char *check_loop(unsigned int vcpu __maybe_unused, uint64_t n __maybe_unused,
			      bool baseline __maybe_unused, const uint64_t *events, bool *skip __maybe_unused)
{
	return events[0] ? NULL : "no PAUSE-loop exit in 2^26 TSC cycles of spinning on PAUSE";
}

EXIT_TEST(
	.name = "pause",
	.summary = "a spin on PAUSE until the CPU's PAUSE-loop exiting fires, the gaps timed by the guest (no baseline)",
	.expect = {
		{ .reason = { EXIT_REASON_PAUSE_INSTRUCTION, SVM_EXIT_PAUSE }, .per_iteration = 1, .per_host_exit = -1,
		  .why = "one PAUSE-loop exit per gap the guest saw (a gap can also be a host interrupt: those are taken off)" },
		{ .reason = { EXIT_REASON_HLT, SVM_EXIT_HLT }, .per_window = 1,
		  .why = "the HLT that resets the PLE window, once per loop" },
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_window = 2,
		  .why = "arming the 2 ms LAPIC timer and its EOI (x2APIC MSRs), once per loop" },
	},
	.events = { "gaps seen" },
	.guest_setup = guest_setup,
	.guest_loop = guest_loop,
	.setup = setup,
	.self_timed = true,
	.fixed_iterations = 8,
	.unsupported_config = unsupported_config,
	.check_loop = check_loop,
	.note = "N is the number of exits waited for; the window doubles after each (KVM's ple_window_grow), so a loop spins 255 base windows; the HLT that resets it is outside the timed gaps",
);
