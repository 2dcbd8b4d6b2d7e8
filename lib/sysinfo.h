/* SPDX-License-Identifier: GPL-2.0-only */
/* Run metadata: what a figure was measured on. */
#ifndef EXITBENCH_SYSINFO_H
#define EXITBENCH_SYSINFO_H

#include "json.h"

/* TSC kHz that KVM gives a new VM (KVM_GET_TSC_KHZ), 0 when unknown. */
unsigned long sysinfo_vm_tsc_khz(void);
/*
 * The hypervisor this host itself runs under, from CPUID 0x40000000 when
 * CPUID.1:ECX.HYPERVISOR is set ("TCGTCGTCGTCG" under QEMU TCG,
 * "KVMKVMKVM" under KVM); NULL on bare metal or Bochs, which set no bit.
 */
const char *sysinfo_hypervisor(void);
/*
 * Write the metadata keys into the JSON object being written: kernel,
 * cpu_model, microcode, hypervisor, vulnerabilities {}, kvm_params {}, vendor,
 * tsc_khz.
 */
void sysinfo_write(struct json *j, unsigned long tsc_khz);

#endif
