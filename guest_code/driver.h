/* SPDX-License-Identifier: GPL-2.0-only */
/* Host <-> guest protocol of guest_code/driver.c. */
#ifndef EXITBENCH_DRIVER_H
#define EXITBENCH_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

/* Written by the host with sync_global_to_guest() before each run. */
struct guest_cmd {
	uint64_t iterations;
	uint64_t baseline;
};

extern struct guest_cmd guest_cmd;

/* uc.args[0] of the report; args[1..4] = cycles, self cycles, self exits, n. */
#define GUEST_STAGE_RESULT 0xE817

void guest_driver(void);

#endif
