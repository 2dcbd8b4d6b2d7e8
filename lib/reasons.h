/* SPDX-License-Identifier: GPL-2.0-only */
/* Exit-reason names from the kernel's own tables, and the host's vendor. */
#ifndef EXITBENCH_REASONS_H
#define EXITBENCH_REASONS_H

#include <stddef.h>
#include <stdint.h>

enum vendor {
	VENDOR_OTHER,	/* neither VMX nor SVM: e.g. a software hypervisor */
	VENDOR_VMX,
	VENDOR_SVM,
};

/* VMX_EXIT_REASONS name of a basic reason, or NULL when not defined. */
const char *vmx_reason_name(uint32_t reason);
/* SVM_EXIT_REASONS name of an exit code, or NULL when not defined. */
const char *svm_reason_name(uint32_t code);
const char *vendor_name(enum vendor v);
int vendor_from_name(const char *s, enum vendor *v);	/* 0 on success */

/*
 * Index of a hardware exit reason in the patched kernel's per-reason stats
 * (kernel/README.md, "Buckets"): the VMX basic reason (bits 15:0, so a failed
 * VM-entry counts by its basic reason 33, 34 or 41) when below 0xFF; SVM
 * codes below 0xF0 index themselves, 0x400-0x40A go to 0xF0 + (code - 0x400),
 * the error codes -1 to -4 to 0xFE down to 0xFB; anything else to 0xFF.
 * -1 for VENDOR_OTHER.
 */
#define EXIT_BUCKETS		256
#define EXIT_BUCKET_UNKNOWN	0xFF
int exit_bucket(enum vendor v, uint32_t code);
/* The hardware code a bucket stands for; -1 for UNKNOWN or OTHER. */
int64_t exit_bucket_code(enum vendor v, int bucket);
/* The kernel's name for a bucket's reason, e.g. "CPUID", "npf", "UNKNOWN". */
const char *exit_bucket_name(enum vendor v, int bucket, char *buf, size_t len);

/*
 * Which exit-reason numbering this host's KVM uses: VMX or SVM from the CPU
 * flags in /proc/cpuinfo, else OTHER (e.g. a software hypervisor).
 * EXITBENCH_VENDOR=vmx|svm|other overrides it (for tests).
 */
enum vendor detect_vendor(void);

#endif
