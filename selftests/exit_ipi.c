// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c ipi: vCPU 0 sends vCPU 1 an IPI and waits for its
 * handler to run (on_cpu(1, nop)), over and over; vCPU 1 idles in HLT.
 * The figure is the round trip, per IPI, less a loop of NOPs.
 */
#define IPI_WAIT_CYCLES 0
#include "ipi.h"

EXIT_TEST(
	.name = "ipi",
	.kut_name = "ipi",
	.summary = "vCPU 0 sends vCPU 1 (halted or not) an IPI and waits for its handler; baseline: NOPs",
	IPI_DESCRIPTOR,
	.note = "two vCPUs: pin them with -c CPU,CPU; the IPI may find vCPU 1 running (not yet back in HLT), as in vmexit.c",
);
