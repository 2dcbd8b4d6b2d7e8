/* SPDX-License-Identifier: GPL-2.0-only */
/* Run metadata: what a figure was measured on. */
#ifndef EXITBENCH_SYSINFO_H
#define EXITBENCH_SYSINFO_H

#include "json.h"

/* TSC kHz that KVM gives a new VM (KVM_GET_TSC_KHZ), 0 when unknown. */
unsigned long sysinfo_vm_tsc_khz(void);
/*
 * Write the metadata keys into the JSON object being written: kernel,
 * cpu_model, microcode, vulnerabilities {}, kvm_params {}, vendor, tsc_khz.
 */
void sysinfo_write(struct json *j, unsigned long tsc_khz);

#endif
