/* SPDX-License-Identifier: GPL-2.0-only */
/* Host <-> guest protocol of guest_code/driver.c. */
#ifndef EXITBENCH_DRIVER_H
#define EXITBENCH_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "exitbench.h"

/* Written by the host with sync_global_to_guest() before each run. */
struct guest_cmd {
	uint64_t iterations;
	uint64_t baseline;
	uint64_t nr_vcpus;
	uint64_t run_id;	/* the host counts every run */
	uint64_t x2apic;	/* the APIC mode the host set up (--xapic) */
};

extern struct guest_cmd guest_cmd;

/*
 * Each vCPU's own data, found through its GS base (set by the host), so
 * that finding it costs no exit: what the loop reports besides its cycles.
 */
struct guest_vcpu {
	struct guest_vcpu *self;	/* at %gs:0 */
	uint64_t index;
	uint64_t self_cycles, self_exits;
	uint64_t figures[MAX_FIGURES];
	uint64_t events[MAX_EVENTS];
	/* guest_loop_cycles(): the loop's own cycles, when loop_timed. */
	uint64_t loop_cycles, loop_timed;
};

extern struct guest_vcpu guest_vcpus[MAX_VCPUS];

/* uc.args[0] of the report; args[1..4] = cycles, self cycles, self exits, n. */
#define GUEST_STAGE_RESULT 0xE817

void guest_driver(void);

#endif
