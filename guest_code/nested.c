// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's side of the nested tests (lib/nested.h): L1 sets up VMX or
 * SVM with the selftest library, runs L2's loop, handles every exit that
 * reaches it and resumes L2; L2 runs the loop and times it.
 *
 * L1 keeps L2's general registers across its exits, as any hypervisor
 * does: the entry code below loads them before VMRESUME/VMRUN and saves
 * them after the exit, so L2's loop counter survives. On VMX the exit
 * lands on a stack and RIP of its own (HOST_RSP/HOST_RIP are written once,
 * not at every entry as the library's vmresume() does: a VMWRITE of a
 * field that shadow VMCS does not cover is an exit of its own). One vCPU.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"
#include "vmx.h"

#include "driver.h"
#include "exitbench.h"
#include "guest.h"
#include "nested.h"

struct nested_state nested_state;

/* L2's general registers while L1 runs (no RSP: the VMCS/VMCB holds it; SVM: no RAX). */
struct nested_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct nested_regs nested_l2_regs;
uint64_t nested_l1_rsp;

static uint8_t l2_stack[4096] __attribute__((aligned(16)));
static uint8_t exit_stack[256] __attribute__((aligned(16)));

/* VMCALL/VMMCALL ends each L2 loop; 3 bytes either way. */
#define DONE_INSN_LEN 3

/*
 * int nested_vmx_enter(int launch): VMLAUNCH (@launch) or VMRESUME L2 with
 * its registers; returns 0 after its next VM exit (at nested_vmx_exit),
 * 1 when the entry failed. L1's callee-saved registers stay on its stack.
 * void nested_svm_enter(uint64_t vmcb_gpa): VMLOAD, VMRUN, VMSAVE, as the
 * library's run_guest() does, with L2's registers around VMRUN.
 */
#define L2_LOAD(op)							\
	op "nested_l2_regs+8(%rip), %rbx\n\t"				\
	op "nested_l2_regs+16(%rip), %rcx\n\t"				\
	op "nested_l2_regs+24(%rip), %rdx\n\t"				\
	op "nested_l2_regs+32(%rip), %rsi\n\t"				\
	op "nested_l2_regs+40(%rip), %rdi\n\t"				\
	op "nested_l2_regs+48(%rip), %rbp\n\t"				\
	op "nested_l2_regs+56(%rip), %r8\n\t"				\
	op "nested_l2_regs+64(%rip), %r9\n\t"				\
	op "nested_l2_regs+72(%rip), %r10\n\t"				\
	op "nested_l2_regs+80(%rip), %r11\n\t"				\
	op "nested_l2_regs+88(%rip), %r12\n\t"				\
	op "nested_l2_regs+96(%rip), %r13\n\t"				\
	op "nested_l2_regs+104(%rip), %r14\n\t"				\
	op "nested_l2_regs+112(%rip), %r15\n\t"
#define L2_SAVE								\
	"mov %rbx, nested_l2_regs+8(%rip)\n\t"				\
	"mov %rcx, nested_l2_regs+16(%rip)\n\t"				\
	"mov %rdx, nested_l2_regs+24(%rip)\n\t"				\
	"mov %rsi, nested_l2_regs+32(%rip)\n\t"				\
	"mov %rdi, nested_l2_regs+40(%rip)\n\t"				\
	"mov %rbp, nested_l2_regs+48(%rip)\n\t"				\
	"mov %r8, nested_l2_regs+56(%rip)\n\t"				\
	"mov %r9, nested_l2_regs+64(%rip)\n\t"				\
	"mov %r10, nested_l2_regs+72(%rip)\n\t"				\
	"mov %r11, nested_l2_regs+80(%rip)\n\t"				\
	"mov %r12, nested_l2_regs+88(%rip)\n\t"				\
	"mov %r13, nested_l2_regs+96(%rip)\n\t"				\
	"mov %r14, nested_l2_regs+104(%rip)\n\t"			\
	"mov %r15, nested_l2_regs+112(%rip)\n\t"
#define L1_PUSH "push %rbp\n\tpush %rbx\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
#define L1_POP "pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbx\n\tpop %rbp\n\t"

__asm__(
	".text\n\t"
	".globl nested_vmx_enter\n\t"
	".type nested_vmx_enter, @function\n"
	"nested_vmx_enter:\n\t"
	L1_PUSH
	"mov %rsp, nested_l1_rsp(%rip)\n\t"
	/* The flags survive the loads: MOV does not change them. */
	"test %edi, %edi\n\t"
	L2_LOAD("mov ")
	"mov nested_l2_regs(%rip), %rax\n\t"
	"jnz 1f\n\t"
	"vmresume\n\t"
	"jmp 2f\n"
	"1:\n\t"
	"vmlaunch\n"
	"2:\n\t"
	"mov nested_l1_rsp(%rip), %rsp\n\t"
	L1_POP
	"mov $1, %eax\n\t"
	"ret\n\t"
	".size nested_vmx_enter, . - nested_vmx_enter\n\t"
	".globl nested_vmx_exit\n\t"
	".type nested_vmx_exit, @function\n"
	"nested_vmx_exit:\n\t"
	"mov %rax, nested_l2_regs(%rip)\n\t"
	L2_SAVE
	"mov nested_l1_rsp(%rip), %rsp\n\t"
	L1_POP
	"xor %eax, %eax\n\t"
	"ret\n\t"
	".size nested_vmx_exit, . - nested_vmx_exit\n\t"
	".globl nested_svm_enter\n\t"
	".type nested_svm_enter, @function\n"
	"nested_svm_enter:\n\t"
	L1_PUSH
	"mov %rdi, %rax\n\t"
	L2_LOAD("mov ")
	"vmload %rax\n\t"
	"vmrun %rax\n\t"
	"vmsave %rax\n\t"
	L2_SAVE
	L1_POP
	"ret\n\t"
	".size nested_svm_enter, . - nested_svm_enter\n\t"
);

int nested_vmx_enter(int launch);
void nested_vmx_exit(void);
void nested_svm_enter(uint64_t vmcb_gpa);

bool nested_guest_svm(void)
{
	return READ_ONCE(nested_state.svm);
}

uint64_t nested_scratch_vmcb_gpa(void)
{
	return READ_ONCE(nested_state.scratch_vmcb_gpa);
}

/* L2: run the loop or its baseline as L1 says, time it, tell L1 it is done. */
static void l2_main(void)
{
	const struct nested_test *d = exit_test.nested;
	bool svm = nested_guest_svm();

	for (;;) {
		uint64_t n = READ_ONCE(nested_state.n), t0, t1;

		t0 = rdtsc_fenced();
		if (READ_ONCE(nested_state.baseline))
			d->l2_baseline(n);
		else
			d->l2_loop(n);
		t1 = rdtsc_fenced();
		WRITE_ONCE(nested_state.l2_cycles, t1 - t0);
		WRITE_ONCE(nested_state.done, 1);
		/* RAX and RCX not a hypercall KVM itself would take for L1 (as vmcall() does). */
		if (svm)
			__asm__ __volatile__("vmmcall" : : "a"(0xdeadbeef), "c"(0xbeefdead) : "memory");
		else
			__asm__ __volatile__("vmcall" : : "a"(0xdeadbeef), "c"(0xbeefdead) : "memory");
	}
}

/* Enter L2 (launching it the first time on VMX) until its next exit to L1. */
static void enter_l2(bool launch)
{
	if (nested_guest_svm()) {
		struct svm_test_data *svm = (void *)nested_state.pages;

		nested_svm_enter(svm->vmcb_gpa);
	} else {
		GUEST_ASSERT_EQ(nested_vmx_enter(launch), 0);
	}
}

/*
 * Handle one exit of L2 in L1 as a hypervisor would for an instruction it
 * emulates: read the reason, step L2 past the instruction (@len where SVM
 * gives no next RIP), return the reason.
 */
static uint32_t handle_exit(uint8_t len)
{
	uint32_t reason;

	if (nested_guest_svm()) {
		struct vmcb *vmcb = ((struct svm_test_data *)nested_state.pages)->vmcb;

		reason = vmcb->control.exit_code;
		vmcb->save.rip = vmcb->control.next_rip ? vmcb->control.next_rip :
				 vmcb->save.rip + len;
	} else {
		uint64_t ilen, rip;

		reason = (uint32_t)vmreadz(VM_EXIT_REASON) & 0xffff;
		ilen = vmreadz(VM_EXIT_INSTRUCTION_LEN);
		rip = vmreadz(GUEST_RIP);
		vmwrite(GUEST_RIP, rip + ilen);
	}
	return reason;
}

/* What RDMSR returns to L2 when L1 intercepts it. */
static void emulate_rdmsr(void)
{
	if (nested_guest_svm())
		((struct svm_test_data *)nested_state.pages)->vmcb->save.rax = 0;
	else
		nested_l2_regs.rax = 0;
	nested_l2_regs.rdx = 0;
}

/* Run L2 until its loop is done, handling each exit; returns L1's handler cycles. */
static uint64_t run_l2(bool launch)
{
	const struct nested_test *d = exit_test.nested;
	bool svm = nested_guest_svm();
	uint32_t want = svm ? d->l1_sees.svm : d->l1_sees.vmx;
	uint32_t done_reason = svm ? SVM_EXIT_VMMCALL : EXIT_REASON_VMCALL;
	uint64_t l1_cycles = 0;

	WRITE_ONCE(nested_state.done, 0);
	for (;;) {
		uint64_t t0;
		uint32_t reason;
		bool done;

		enter_l2(launch);
		launch = false;
		t0 = rdtsc_fenced();
		done = READ_ONCE(nested_state.done);
		reason = handle_exit(done ? DONE_INSN_LEN : d->insn_len);
		if (done) {
			__GUEST_ASSERT(reason == done_reason,
				       "L2 ended its loop with exit reason 0x%x, not its VMCALL/VMMCALL (0x%x)",
				       reason, done_reason);
			return l1_cycles;
		}
		__GUEST_ASSERT(reason == want,
			       "L2 exited to L1 with reason 0x%x; L1 expects 0x%x%s", reason, want,
			       want == EXIT_NONE ? " (none: KVM should handle it for L2)" : "");
		if (d->intercept & NESTED_MSR)
			emulate_rdmsr();
		l1_cycles += rdtsc_fenced() - t0;
	}
}

static void setup_vmx(const struct nested_test *d)
{
	struct vmx_pages *vmx = (void *)nested_state.pages;
	uint64_t ctl, ctl2;

	GUEST_ASSERT(prepare_for_vmx_operation(vmx));
	GUEST_ASSERT(load_vmcs(vmx));
	/* Entered as if called: RSP + 8 is 16-byte aligned. */
	prepare_vmcs(vmx, l2_main, l2_stack + sizeof(l2_stack) - 8);
	ctl = vmreadz(CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_USE_MSR_BITMAPS;
	if (d->intercept & NESTED_HLT)
		ctl |= CPU_BASED_HLT_EXITING;
	if (d->intercept & NESTED_IO)
		ctl |= CPU_BASED_UNCOND_IO_EXITING;
	GUEST_ASSERT(!vmwrite(CPU_BASED_VM_EXEC_CONTROL, ctl));
	/* The read bitmap of MSRs 0-0x1fff is the bitmap page's first 1 KiB. */
	if (d->intercept & NESTED_MSR) {
		GUEST_ASSERT(d->msr < 0x2000);
		((uint8_t *)vmx->msr)[d->msr / 8] |= 1 << (d->msr % 8);
	}
	/* A VPID for L2, as KVM gives its own guests: no TLB flush at each switch. */
	ctl2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32;
	if ((ctl & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (ctl2 & SECONDARY_EXEC_ENABLE_VPID)) {
		GUEST_ASSERT(!vmwrite(SECONDARY_VM_EXEC_CONTROL,
				      vmreadz(SECONDARY_VM_EXEC_CONTROL) | SECONDARY_EXEC_ENABLE_VPID));
		GUEST_ASSERT(!vmwrite(VIRTUAL_PROCESSOR_ID, 1));
	}
	GUEST_ASSERT(!vmwrite(HOST_RSP, (uint64_t)(exit_stack + sizeof(exit_stack))));
	GUEST_ASSERT(!vmwrite(HOST_RIP, (uint64_t)nested_vmx_exit));
}

static void setup_svm(const struct nested_test *d)
{
	struct svm_test_data *svm = (void *)nested_state.pages;
	struct vmcb *vmcb = svm->vmcb;
	uint8_t *iopm = (void *)nested_state.iopm, *msrpm = (void *)nested_state.msrpm;

	generic_svm_setup(svm, l2_main, l2_stack + sizeof(l2_stack) - 8);
	vmcb->control.intercept |= 1ULL << INTERCEPT_CPUID;
	if (d->intercept & NESTED_HLT)
		vmcb->control.intercept |= 1ULL << INTERCEPT_HLT;
	if (d->intercept & NESTED_IO) {
		vmcb->control.intercept |= 1ULL << INTERCEPT_IOIO_PROT;
		iopm[d->port / 8] |= 1 << (d->port % 8);
	}
	/* Two bits per MSR (read, write), MSRs 0-0x1fff first. */
	if (d->intercept & NESTED_MSR) {
		GUEST_ASSERT(d->msr < 0x2000);
		vmcb->control.intercept |= 1ULL << INTERCEPT_MSR_PROT;
		msrpm[d->msr / 4] |= 1 << ((d->msr % 4) * 2);
	}
	vmcb->control.iopm_base_pa = nested_state.iopm_gpa;
	vmcb->control.msrpm_base_pa = nested_state.msrpm_gpa;
	vmcb->save.rflags = 2;
	vmcb->save.rax = 0;
	/* L1-only loops VMLOAD/VMSAVE a VMCB of their own, holding L1's state. */
	__asm__ __volatile__("vmsave %0" : : "a"(nested_state.scratch_vmcb_gpa) : "memory");
}

void nested_guest_setup(void)
{
	const struct nested_test *d = exit_test.nested;

	if (nested_guest_svm())
		setup_svm(d);
	else
		setup_vmx(d);
	/* L2 runs once, an empty loop: launched, and its state warm. */
	if (!d->l1_only) {
		WRITE_ONCE(nested_state.n, 0);
		WRITE_ONCE(nested_state.baseline, 0);
		run_l2(true);
	}
}

static void l1_loop(uint64_t n, bool baseline)
{
	uint64_t l1_cycles;

	WRITE_ONCE(nested_state.n, n);
	WRITE_ONCE(nested_state.baseline, baseline);
	l1_cycles = run_l2(false);
	guest_loop_cycles(READ_ONCE(nested_state.l2_cycles));
	guest_figure_add(0, l1_cycles);
}

void nested_guest_loop(uint64_t n)
{
	l1_loop(n, false);
}

void nested_guest_baseline(uint64_t n)
{
	l1_loop(n, true);
}
