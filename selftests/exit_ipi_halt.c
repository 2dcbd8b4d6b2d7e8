// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c ipi_halt: as ipi, but vCPU 0 spins 2000 TSC
 * cycles after each round trip so that the next IPI finds vCPU 1 halted
 * (its wake-up from HLT is in the figure).
 */
#define IPI_WAIT_CYCLES 2000
#include "ipi.h"

EXIT_TEST(
	.name = "ipi_halt",
	.kut_name = "ipi_halt",
	.summary = "vCPU 0 sends halted vCPU 1 an IPI, waits for its handler, then 2000 cycles; baseline: NOPs",
	IPI_DESCRIPTOR,
	.note = "two vCPUs: pin them with -c CPU,CPU; the figure includes the 2000-cycle wait, as vmexit.c's; sharing one host CPU, vCPU 1 may not be halted yet",
);
