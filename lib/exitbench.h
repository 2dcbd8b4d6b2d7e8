/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What an exit test declares. A test file holds a guest loop, its baseline
 * (the same loop with a non-exiting instruction in place of the exiting one),
 * every exit one iteration causes, and one EXIT_TEST() descriptor; lib/ does
 * everything else.
 */
#ifndef EXITBENCH_H
#define EXITBENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"

#include "kvm_config.h"

/* An exit as the hardware reports it on each vendor. */
struct exit_reason_id {
	uint32_t vmx;	/* VMX basic exit reason (EXIT_REASON_*) */
	uint32_t svm;	/* SVM exit code (SVM_EXIT_*) */
};

/* In an exit_reason_id: this vendor has no such exit. */
#define EXIT_NONE UINT32_MAX

/*
 * Where an exit is taken, for nested tests (lib/nested.h): while the vCPU
 * runs its own code (L1; every exit of a test that is not nested) or the
 * guest that L1 runs (L2). The last two exist only in a resolved plan
 * (lib/expect.c): both levels together, for a source that cannot tell them
 * apart, and the L2 exits that KVM reflects into L1 (not exits of their own).
 */
enum exit_level {
	EXIT_L1,
	EXIT_L2,
	EXIT_L1_L2,
	EXIT_L2_REFLECTED,
};

/*
 * One exit the loop causes: its reason, how many per iteration, and the KVM
 * configuration under which it happens. A test lists every exit it causes;
 * the counts are judged exactly, and an exit of no listed reason (other than
 * the host's own interrupts, which the guest does not cause) is a mismatch.
 * An entry whose @when is false is still judged: its reason must not occur.
 */
struct exit_expect {
	struct exit_reason_id reason;
	uint32_t per_iteration;
	/* Once per loop (e.g. the first debug-register write). */
	uint32_t per_window;
	/* One more after each host interrupt during the loop (negative: fewer). */
	int32_t per_host_exit;
	/*
	 * @per_event more per event @event (1..MAX_EVENTS) the guest counted
	 * with guest_event() in the loop, e.g. each HLT it executed.
	 */
	uint8_t event;
	int32_t per_event;
	/*
	 * The count depends on timing, not only on the loop (e.g. whether an
	 * IPI finds its receiver halted): counted and cross-checked, not judged.
	 */
	bool timing;
	/* NULL: always; else true when the exit happens with KVM set up as @c. */
	bool (*when)(const struct kvm_config *c);
	/* What causes it, and under which configuration: for -v and the JSON. */
	const char *why;
	/* Nested tests: taken in L2 (else L1), and reflected by KVM into L1. */
	uint8_t level;
	bool reflected;
};

#define MAX_EXPECT 12
#define MAX_FIGURES 4
#define MAX_EVENTS 4
#define MAX_VCPUS 16
/* RFLAGS.IF, for the host's view of a vCPU and a guest's of its interrupt frame. */
#define EXITBENCH_RFLAGS_IF (1ull << 9)

/* A figure the guest measures besides the whole loop (guest_figure_add()). */
struct figure_def {
	const char *name;	/* e.g. "ipi_cycles" */
	const char *unit;	/* e.g. "TSC cycles per IPI (ICR write)" */
	/* Timed events per iteration; 0 means 1. */
	uint32_t per_iteration;
};

struct nested_test;

struct exit_test {
	/* "cpuid": binary exit_cpuid, JSON name "exit_cpuid". */
	const char *name;
	/* Name of the same micro-benchmark in kvm-unit-tests x86/vmexit.c. */
	const char *kut_name;
	/* One line for --help: what the guest does. */
	const char *summary;
	/*
	 * Every exit an iteration causes (up to the first entry with no @why).
	 * The first entry that applies here is the test's reason; the main
	 * figure is per exit of that reason (per iteration when none applies,
	 * or with @per_iteration_figure).
	 */
	struct exit_expect expect[MAX_EXPECT];
	/* The main figure is per iteration, as kvm-unit-tests reports it. */
	bool per_iteration_figure;
	/* More figures the guest times itself; samples like the main one. */
	struct figure_def figures[MAX_FIGURES];
	/* What the guest counts with guest_event(k): events[k - 1], for -v and the JSON. */
	const char *events[MAX_EVENTS];

	/* Guest: @n iterations of the exiting instruction, and the baseline. */
	void (*guest_loop)(uint64_t n);
	void (*guest_baseline)(uint64_t n);
	/* Guest, once per vCPU before any loop (outside every window). */
	void (*guest_setup)(void);

	/*
	 * Several vCPUs: @vcpus by default (0 means 1); --vcpus may ask for
	 * @min_vcpus..@max_vcpus (both 0: exactly @vcpus). Every vCPU runs
	 * guest_loop, or with @guest_receiver vCPU 0 runs guest_loop (the
	 * sender) and the others run guest_receiver with @expect_receiver.
	 * guest_vcpu_index() and guest_nr_vcpus() tell a vCPU which it is.
	 */
	unsigned int vcpus, min_vcpus, max_vcpus;
	/* A vCPU busy-waits for another: each needs a host CPU of its own. */
	bool cpu_per_vcpu;
	/*
	 * The vCPUs run (guest_setup and loops) with interrupts on (IF=1), as
	 * vmexit.c's main() does after sti(): for the busy-waiting tests. No
	 * interrupt is sent to a vCPU that does not expect one. (Bochs 2.7
	 * keeps the host's interrupts masked in VMX non-root mode while the
	 * guest has IF=0: a guest busy-waiting with IF=0 holds its CPU until it
	 * exits, and the kernel under test locks up; docs/emulators.md.)
	 */
	bool irqs_on;
	void (*guest_receiver)(uint64_t n);
	void (*guest_receiver_baseline)(uint64_t n);
	struct exit_expect expect_receiver[MAX_EXPECT];

	/* Host, all optional. */
	/* NULL when the platform can run the test, else why it cannot. */
	const char *(*unsupported)(void);
	/* Like unsupported, once KVM's configuration is known. */
	const char *(*unsupported_config)(const struct kvm_config *c);
	void (*setup)(struct kvm_vm *vm, struct kvm_vcpu *vcpu);
	/* Called before every loop (timed, baseline, warm-up) of @n iterations. */
	void (*before_loop)(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n,
			    bool baseline);
	/*
	 * A KVM_RUN return that is not a ucall: handle it and return true, or
	 * return false to fail the test as an unexpected exit.
	 */
	bool (*handle_exit)(struct kvm_vcpu *vcpu);
	/*
	 * After each loop of vCPU @vcpu (not a counter source's round): NULL
	 * when it did what it should, given the events its guest counted;
	 * else why not (a skip on a KVM that is neither VMX nor SVM, a
	 * failure on VMX/SVM; setting *skip makes it a skip anywhere: a stated
	 * limit of the platform).
	 */
	const char *(*check_loop)(unsigned int vcpu, uint64_t n, bool baseline,
				  const uint64_t *events, bool *skip);
	/* Each exit of the test's reason reaches userspace as this KVM_EXIT_* (0: none). */
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
	 * exits it saw, which stand for the iterations; the baseline is not run.
	 */
	bool self_timed;

	/*
	 * Guest pages setup() maps outside memslot 0: the selftest library
	 * adds room for their page tables to memslot 0 (its default leaves
	 * about 100 pages free, fewer in a statically linked test, whose ELF
	 * is larger).
	 */
	uint64_t extra_pages;

	/* Upper bound on iterations (e.g. fresh pages available); 0: none. */
	uint64_t max_iterations;
	/* Default iterations when not scaled by time, for slow exits; 0: scale. */
	uint64_t fixed_iterations;
	/* 0: the counts must be exact; else the relative tolerance for 'within'. */
	double tolerance;
	/* Caveat printed with -v and stored in the JSON. */
	const char *note;
	/* The guest is a hypervisor running an L2 guest (lib/nested.h). */
	const struct nested_test *nested;
};

/* The test's reason: its first expected exit. */
static inline struct exit_reason_id exitbench_reason(const struct exit_test *t)
{
	return t->expect[0].why ? t->expect[0].reason :
	       (struct exit_reason_id){ EXIT_NONE, EXIT_NONE };
}

/*
 * Exits of the test's own reason that the harness adds to each window: the
 * ucall ending a guest loop is one IO exit (host-timed tests make none).
 */
static inline unsigned int exitbench_harness_exits(const struct exit_test *t)
{
	struct exit_reason_id r = exitbench_reason(t);

	return !t->host_loop && r.vmx == 30 && r.svm == 0x7b;
}

#define EXIT_TEST(...) const struct exit_test exit_test = { __VA_ARGS__ }

extern const struct exit_test exit_test;

/* Guest side: self-timed loops report through this. */
void guest_report(uint64_t exit_cycles, uint64_t exits_seen);
/* Guest side: add @cycles to figure @k of this vCPU's current loop. */
void guest_figure_add(unsigned int k, uint64_t cycles);
/* Guest side: count one event @k (1..MAX_EVENTS) of this vCPU's current loop. */
void guest_event(unsigned int k);
/*
 * Guest side: the loop timed itself elsewhere (in an L2 guest): @cycles
 * stand for the driver's own reading around the loop (or its baseline).
 */
void guest_loop_cycles(uint64_t cycles);
/* Guest side: which vCPU this is (0 .. guest_nr_vcpus() - 1; its APIC ID). */
unsigned int guest_vcpu_index(void);
unsigned int guest_nr_vcpus(void);
/* Guest side: which run of the loops this is (changes every run). */
uint64_t guest_run_id(void);
/* Guest side: is the local APIC to be used in x2APIC mode (else xAPIC)? */
bool guest_x2apic(void);

/* Host side: host_loop tests report each userspace exit they handle. */
void exitbench_note_userspace_exit(uint32_t kvm_exit_reason);

/*
 * The loop watchdog (lib/watchdog.c): set up on the main thread, each vCPU
 * thread added, then armed for @seconds (0 stops it); exitbench_timed_out()
 * says whether it fired.
 */
void exitbench_watchdog_init(void);
void exitbench_watchdog_add_thread(void);
void exitbench_watchdog(unsigned int seconds);
bool exitbench_timed_out(void);

int exitbench_main(const struct exit_test *test, int argc, char **argv);

#endif
