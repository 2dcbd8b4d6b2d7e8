// SPDX-License-Identifier: GPL-2.0-only
/*
 * RDPMC of counter 0: KVM always intercepts it (VMX RDPMC exiting, SVM's
 * RDPMC intercept) and emulates it from its virtual PMU; with no vPMU
 * (kvm.enable_pmu=N, or a host without a PMU) it injects #GP, which the
 * guest's handler skips.
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

static void gp_handler(struct ex_regs *regs)
{
	regs->rip += 2;		/* RDPMC is 0f 33 */
	guest_event(1);
}

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "xor %%ecx, %%ecx\n\trdpmc", (), "rax", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	GUEST_LOOP(n, "xor %%ecx, %%ecx\n\txchg %%ax, %%ax", (), "rax", "rcx", "rdx");
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
}

/* Without a vPMU every RDPMC faults; with one, none does. */
static const char *check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline,
			      const uint64_t *events, bool *skip __maybe_unused)
{
	static char why[128];
	uint64_t want = baseline ? 0 : kvm_is_pmu_enabled() ? 0 : n;

	if (events[0] == want)
		return NULL;
	snprintf(why, sizeof(why), "%llu of %llu RDPMCs raised #GP, expected %llu",
		 (unsigned long long)events[0], (unsigned long long)n, (unsigned long long)want);
	return why;
}

EXIT_TEST(
	.name = "rdpmc",
	.summary = "RDPMC of counter 0 (always intercepted; #GP without a vPMU); baseline: a 2-byte NOP",
	.expect = {
		{ .reason = { EXIT_REASON_RDPMC, SVM_EXIT_RDPMC }, .per_iteration = 1,
		  .why = "RDPMC: intercepted on both vendors, emulated from the vPMU" },
	},
	.events = { "#GP taken (no vPMU)" },
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.check_loop = check_loop,
	.note = "without a vPMU (kvm.enable_pmu=N, as in the emulators) the cost includes the guest's #GP delivery",
);
