// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's side of every test: wait for a command from the host, run the
 * exiting loop or its baseline between fenced rdtsc reads, report, repeat.
 * Each report is one ucall, i.e. one IO exit (port 0x1000) that the host
 * accounts for as an exit the harness adds.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "exitbench.h"
#include "guest.h"
#include "driver.h"

struct guest_cmd guest_cmd;

static uint64_t self_cycles, self_exits;

void guest_report(uint64_t exit_cycles, uint64_t exits_seen)
{
	self_cycles = exit_cycles;
	self_exits = exits_seen;
}

void guest_driver(void)
{
	for (;;) {
		uint64_t n = READ_ONCE(guest_cmd.iterations);
		bool baseline = READ_ONCE(guest_cmd.baseline);
		uint64_t t0, t1;

		self_cycles = 0;
		self_exits = 0;
		t0 = rdtsc_fenced();
		if (baseline)
			exit_test.guest_baseline(n);
		else
			exit_test.guest_loop(n);
		t1 = rdtsc_fenced();
		GUEST_SYNC5(GUEST_STAGE_RESULT, t1 - t0, self_cycles,
				self_exits, n);
	}
}
