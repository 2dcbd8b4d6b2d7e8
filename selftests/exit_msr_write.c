// SPDX-License-Identifier: GPL-2.0-only
/*
 * WRMSR of IA32_MISC_ENABLE with the value it already holds: intercepted on
 * both vendors, handled in kvm_set_msr_common(), and an unchanged value
 * changes nothing. (IA32_TSC_ADJUST, kvm-unit-tests' choice, requests a
 * guest clock update on every write, even of the same value; VMX passes
 * MSR_KERNEL_GS_BASE through, so writing it does not exit at all.)
 */
#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

/*
 * The current value, read by the host: a guest RDMSR in the timed window
 * would add an exit, and SVM reports reads and writes under one code.
 */
static uint64_t misc_enable;

static void guest_loop(uint64_t n)
{
	uint64_t v = READ_ONCE(misc_enable);

	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tmov %[lo], %%eax\n\tmov %[hi], %%edx\n\twrmsr",
		   ([msr] "i"(MSR_IA32_MISC_ENABLE), [lo] "r"((uint32_t)v),
		    [hi] "r"((uint32_t)(v >> 32))),
		   "rax", "rcx", "rdx");
}

static void guest_baseline(uint64_t n)
{
	uint64_t v = READ_ONCE(misc_enable);

	GUEST_LOOP(n, "mov %[msr], %%ecx\n\tmov %[lo], %%eax\n\tmov %[hi], %%edx\n\tnop",
		   ([msr] "i"(MSR_IA32_MISC_ENABLE), [lo] "r"((uint32_t)v),
		    [hi] "r"((uint32_t)(v >> 32))),
		   "rax", "rcx", "rdx");
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	misc_enable = vcpu_get_msr(vcpu, MSR_IA32_MISC_ENABLE);
	sync_global_to_guest(vm, misc_enable);
}

EXIT_TEST(
	.name = "msr_write",
	.summary = "WRMSR IA32_MISC_ENABLE with its current value (no side effect); baseline: NOP",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 1, .why = "WRMSR of IA32_MISC_ENABLE: intercepted on both vendors" },
	},
	.guest_loop = guest_loop,
	.max_vcpus = MAX_VCPUS,
	.guest_baseline = guest_baseline,
	.setup = setup,
);
