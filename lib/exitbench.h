/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an exit test declares. A test file holds a guest loop, its baseline
 * (the same loop with a non-exiting instruction in place of the exiting one)
 * and one EXIT_TEST() descriptor; lib/ does everything else.
 */
#ifndef EXITBENCH_H
#define EXITBENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"

/* The exit a test causes, as the hardware reports it on each vendor. */
struct exit_reason_id {
	uint32_t vmx;	/* VMX basic exit reason (EXIT_REASON_*) */
	uint32_t svm;	/* SVM exit code (SVM_EXIT_*) */
};

struct exit_test {
	/* "cpuid": binary exit_cpuid, JSON name "exit_cpuid". */
	const char *name;
	/* Name of the same micro-benchmark in kvm-unit-tests x86/vmexit.c. */
	const char *kut_name;
	/* One line for --help: what the guest does. */
	const char *summary;
	struct exit_reason_id reason;
	/* Exits of @reason per loop iteration; 0 means 1. */
	uint32_t exits_per_iteration;

	/* Guest: @n iterations of the exiting instruction, and the baseline. */
	void (*guest_loop)(uint64_t n);
	void (*guest_baseline)(uint64_t n);

	/* Host, all optional. */
	/* NULL when the platform can run the test, else why it cannot. */
	const char *(*unsupported)(void);
	void (*setup)(struct kvm_vm *vm, struct kvm_vcpu *vcpu);
	/* Called before every loop (timed, baseline, warm-up) of @n iterations. */
	void (*before_loop)(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n,
			    bool baseline);
	/*
	 * A KVM_RUN return that is not a ucall: handle it and return true, or
	 * return false to fail the test as an unexpected exit.
	 */
	bool (*handle_exit)(struct kvm_vcpu *vcpu);
	/* Each exit of the loop reaches userspace as this KVM_EXIT_* (0: none). */
	uint32_t userspace_exit;

	/*
	 * Host-timed tests (the guest cannot time itself, e.g. it dies): run @n
	 * iterations and return the host TSC cycles they took.
	 */
	uint64_t (*host_loop)(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n,
			      bool baseline);
	/*
	 * Self-timed guest loops (exits the guest cannot cause at will): the loop
	 * calls guest_report() with the net cycles spent in exits and how many
	 * exits it saw; the baseline is not run.
	 */
	bool self_timed;

	/* Upper bound on iterations (e.g. fresh pages available); 0: none. */
	uint64_t max_iterations;
	/* Default iterations when not scaled by time, for slow exits; 0: scale. */
	uint64_t fixed_iterations;
	/* 0: the count must be exact; else the relative tolerance for 'within'. */
	double tolerance;
	/* Caveat printed with -v and stored in the JSON. */
	const char *note;
};

/*
 * Exits of the test's own reason that the harness adds to each window: the
 * ucall ending a guest loop is one IO exit (host-timed tests make none).
 */
static inline unsigned int exitbench_harness_exits(const struct exit_test *t)
{
	return !t->host_loop && t->reason.vmx == 30 && t->reason.svm == 0x7b;
}

#define EXIT_TEST(...) const struct exit_test exit_test = { __VA_ARGS__ }

extern const struct exit_test exit_test;

/* Guest side: self-timed loops report through this. */
void guest_report(uint64_t exit_cycles, uint64_t exits_seen);

/* Host side: host_loop tests report each userspace exit they handle. */
void exitbench_note_userspace_exit(uint32_t kvm_exit_reason);

/*
 * The loop watchdog (lib/watchdog.c): set up on the vCPU thread, then armed
 * for @seconds (0 stops it); exitbench_timed_out() says whether it fired.
 */
void exitbench_watchdog_init(void);
void exitbench_watchdog(unsigned int seconds);
bool exitbench_timed_out(void);

int exitbench_main(const struct exit_test *test, int argc, char **argv);

#endif
