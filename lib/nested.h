/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Nested exit tests: the guest (L1) is itself a hypervisor that runs an L2
 * guest with the KVM selftest library's nested VMX or SVM support. L2 times
 * its own loop (the test's figure, per L2 exit round trip); L1 handles each
 * exit that reaches it (checks the reason, skips the instruction, resumes
 * L2) and times that too (the figure l1_handler_cycles). A test file holds
 * the L2 loop, its baseline, a struct nested_test and NESTED_TEST(); the
 * exits it lists are per level (struct exit_expect's level and reflected).
 *
 * L1 runs L2 without EPT/NPT of its own, in L1's address space and on L1's
 * page tables (as the selftest library's nested tests do), with VPID on
 * when offered (VMX); KVM's EPT/NPT (L0's) maps both.
 */
#ifndef EXITBENCH_NESTED_H
#define EXITBENCH_NESTED_H

#include <stdbool.h>
#include <stdint.h>

#include "exit_codes.h"
#include "exitbench.h"
#include "kvm_config.h"

/* What L1 intercepts for L2 besides CPUID and VMCALL/VMMCALL (struct nested_test's intercept). */
#define NESTED_HLT	(1u << 0)	/* HLT exits to L1 */
#define NESTED_IO	(1u << 1)	/* I/O to @port exits to L1 */
#define NESTED_MSR	(1u << 2)	/* RDMSR of @msr exits to L1, which returns 0 */

struct nested_test {
	/* L2: @n iterations of the exiting instruction, and the baseline. */
	void (*l2_loop)(uint64_t n);
	void (*l2_baseline)(uint64_t n);
	/*
	 * The exit that reaches L1 in each iteration ({ EXIT_NONE, EXIT_NONE }:
	 * none, KVM handles L2's exit itself), and its length in bytes for SVM
	 * without next-RIP saving (VMX gives the length in the VMCS).
	 */
	struct exit_reason_id l1_sees;
	uint8_t insn_len;
	uint32_t intercept;
	uint16_t port;		/* NESTED_IO */
	uint32_t msr;		/* NESTED_MSR: intercepted; else, with MSR bitmaps, not */
	/* Host, optional: why not here (after nested_unsupported()), more set-up. */
	const char *(*unsupported)(void);
	void (*setup)(struct kvm_vm *vm);
	/* L1 only: L2 is set up but never entered in a loop (the loop runs in L1). */
	bool l1_only;
};

/* The figure L1 measures: its handler, per L2 exit that reaches it. */
#define NESTED_L1_FIGURE						\
	{ .name = "l1_handler_cycles",					\
	  .unit = "TSC cycles in L1's exit handler per L2 iteration (from saving L2's registers to the next VM entry)" }

/*
 * The exits of L1's work per window and per L2 exit that reaches it (@it:
 * 1, or 0 when none does): on VMX, VMRESUME, and VMREAD (exit reason,
 * instruction length, guest RIP) and VMWRITE (guest RIP) unless shadow
 * VMCS absorbs them; on SVM, VMRUN, and VMLOAD and VMSAVE around it unless
 * VMLOAD/VMSAVE virtualization absorbs them. Per window: L2's entry at the
 * start, and L1's handling of the VMCALL/VMMCALL that ends L2's loop
 * (NESTED_DONE_EXIT).
 */
#define NESTED_L1_EXITS(it)						\
	{ .reason = { EXIT_REASON_VMRESUME, SVM_EXIT_VMRUN }, .per_iteration = (it), .per_window = 1, \
	  .why = "L1 resumes L2 after each exit it handled, and once to start the loop: VMRESUME/VMRUN" }, \
	{ .reason = { EXIT_REASON_VMREAD, EXIT_NONE }, .per_iteration = 3 * (it), .per_window = 3, \
	  .when = kvm_l1_vm_insns_exit,					\
	  .why = "L1's VMREADs of the exit reason, instruction length and guest RIP: exit without shadow VMCS" }, \
	{ .reason = { EXIT_REASON_VMWRITE, EXIT_NONE }, .per_iteration = (it), .per_window = 1, \
	  .when = kvm_l1_vm_insns_exit,					\
	  .why = "L1's VMWRITE of the guest RIP past the instruction: exits without shadow VMCS" }, \
	{ .reason = { EXIT_NONE, SVM_EXIT_VMLOAD }, .per_iteration = (it), .per_window = 1, \
	  .when = kvm_l1_vm_insns_exit,					\
	  .why = "L1's VMLOAD before each VMRUN: exits without VMLOAD/VMSAVE virtualization (vls)" }, \
	{ .reason = { EXIT_NONE, SVM_EXIT_VMSAVE }, .per_iteration = (it), .per_window = 1, \
	  .when = kvm_l1_vm_insns_exit,					\
	  .why = "L1's VMSAVE after each #VMEXIT: exits without VMLOAD/VMSAVE virtualization (vls)" }

/* L2's VMCALL/VMMCALL that ends each loop, reflected to L1. */
#define NESTED_DONE_EXIT						\
	{ .reason = { EXIT_REASON_VMCALL, SVM_EXIT_VMMCALL }, .level = EXIT_L2, .reflected = true, \
	  .per_window = 1, .why = "L2's VMCALL/VMMCALL that ends its loop, reflected to L1" }

/* A nested test: its nested_test, then EXIT_TEST()'s fields (name, summary, expect...). */
#define NESTED_TEST(desc, ...)						\
	EXIT_TEST(.nested = &(desc),					\
		  .guest_setup = nested_guest_setup,			\
		  .guest_loop = nested_guest_loop,			\
		  .guest_baseline = nested_guest_baseline,		\
		  .setup = nested_host_setup,				\
		  .unsupported = nested_unsupported,			\
		  .figures = { NESTED_L1_FIGURE },			\
		  __VA_ARGS__)

/* A test whose loop runs in L1 with VMX or SVM set up (nested_test.l1_only). */
#define NESTED_L1_TEST(desc, ...)					\
	EXIT_TEST(.nested = &(desc),					\
		  .guest_setup = nested_guest_setup,			\
		  .setup = nested_host_setup,				\
		  .unsupported = nested_unsupported,			\
		  __VA_ARGS__)

/* L1's pages (written by the host) and what L1 and L2 tell each other. */
struct nested_state {
	uint64_t svm;		/* SVM, else VMX */
	uint64_t pages;		/* struct vmx_pages * or struct svm_test_data * (GVA) */
	/* SVM: the I/O and MSR permission maps, a VMCB for L1-only loops. */
	uint64_t iopm, iopm_gpa, msrpm, msrpm_gpa, scratch_vmcb_gpa;
	/* L1 to L2: the loop to run; L2 to L1: its cycles, and that it ended. */
	uint64_t n, baseline, l2_cycles, done;
};

extern struct nested_state nested_state;

/* Host: why this KVM cannot run nested guests, or NULL. */
const char *nested_unsupported(void);
/* Host: allocate L1's VMX or SVM pages and the test's set-up. */
void nested_host_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu);

/* Guest (L1): enter VMX operation or enable SVM, set up L2 and run it once. */
void nested_guest_setup(void);
/* Guest (L1): run L2's loop (or baseline) of @n iterations, handling its exits. */
void nested_guest_loop(uint64_t n);
void nested_guest_baseline(uint64_t n);
/* Guest (L1): the VMCB that VMLOAD/VMSAVE of L1-only SVM loops use (a GPA). */
uint64_t nested_scratch_vmcb_gpa(void);
/* Guest: is this SVM (else VMX)? */
bool nested_guest_svm(void);

#endif
