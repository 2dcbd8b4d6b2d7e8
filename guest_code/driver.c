// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's side of every test: wait for a command from the host, run the
 * exiting loop or its baseline between fenced rdtsc reads, report, repeat.
 * Each report is one ucall, i.e. one IO exit (port 0x1000) that the host
 * accounts for as an exit the harness adds. With several vCPUs each runs
 * this driver; vCPU 0 runs the test's loop, the others its receiver loop
 * when it has one.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "exitbench.h"
#include "guest.h"
#include "driver.h"

struct guest_cmd guest_cmd;
struct guest_vcpu guest_vcpus[MAX_VCPUS];

static inline struct guest_vcpu *me(void)
{
	struct guest_vcpu *v;

	__asm__ __volatile__("mov %%gs:0, %0" : "=r"(v));
	return v;
}

unsigned int guest_vcpu_index(void)
{
	return (unsigned int)me()->index;
}

unsigned int guest_nr_vcpus(void)
{
	return (unsigned int)READ_ONCE(guest_cmd.nr_vcpus);
}

uint64_t guest_run_id(void)
{
	return READ_ONCE(guest_cmd.run_id);
}

bool guest_x2apic(void)
{
	return READ_ONCE(guest_cmd.x2apic);
}

void guest_report(uint64_t exit_cycles, uint64_t exits_seen)
{
	struct guest_vcpu *v = me();

	v->self_cycles = exit_cycles;
	v->self_exits = exits_seen;
}

void guest_figure_add(unsigned int k, uint64_t cycles)
{
	me()->figures[k] += cycles;
}

void guest_loop_cycles(uint64_t cycles)
{
	struct guest_vcpu *v = me();

	v->loop_cycles = cycles;
	v->loop_timed = 1;
}

void guest_event(unsigned int k)
{
	me()->events[k - 1]++;
}

void guest_driver(void)
{
	struct guest_vcpu *v = me();
	void (*loop)(uint64_t n), (*baseline)(uint64_t n);
	int k;

	if (v->index && exit_test.guest_receiver) {
		loop = exit_test.guest_receiver;
		baseline = exit_test.guest_receiver_baseline;
	} else {
		loop = exit_test.guest_loop;
		baseline = exit_test.guest_baseline;
	}
	if (exit_test.irqs_on)
		__asm__ __volatile__("sti" ::: "memory");
	if (exit_test.guest_setup)
		exit_test.guest_setup();
	for (;;) {
		uint64_t n = READ_ONCE(guest_cmd.iterations);
		bool base = READ_ONCE(guest_cmd.baseline);
		uint64_t t0, t1;

		/* One store each: no SSE in guest code (some emulators lack it). */
		WRITE_ONCE(v->self_cycles, 0);
		WRITE_ONCE(v->self_exits, 0);
		for (k = 0; k < MAX_FIGURES; k++)
			WRITE_ONCE(v->figures[k], 0);
		for (k = 0; k < MAX_EVENTS; k++)
			WRITE_ONCE(v->events[k], 0);
		WRITE_ONCE(v->loop_timed, 0);
		t0 = rdtsc_fenced();
		if (!base)
			loop(n);
		else if (baseline)
			baseline(n);
		t1 = rdtsc_fenced();
		if (READ_ONCE(v->loop_timed))
			t1 = t0 + READ_ONCE(v->loop_cycles);
		GUEST_SYNC5(GUEST_STAGE_RESULT, t1 - t0, v->self_cycles, v->self_exits, n);
	}
}
