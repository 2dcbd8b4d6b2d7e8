/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hardware exit reasons by their kernel names (EXIT_REASON_* for VMX,
 * SVM_EXIT_* for SVM), from the uapi headers of the kernel tree the tests
 * build against: never a hand-written table.
 */
#ifndef EXITBENCH_EXIT_CODES_H
#define EXITBENCH_EXIT_CODES_H

/* <linux/kvm.h> first: <asm/svm.h> uses its *_VECTOR constants. */
#include <linux/kvm.h>
#include <asm/svm.h>
#include <asm/vmx.h>

/* The x2APIC MSRs of the registers the tests write (0x800 + offset / 16). */
#define X2APIC_MSR_TPR		0x808
#define X2APIC_MSR_EOI		0x80b
#define X2APIC_MSR_ICR		0x830
#define X2APIC_MSR_SELF_IPI	0x83f

#endif
