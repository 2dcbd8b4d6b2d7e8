// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* <linux/kvm.h> first: SVM_EXIT_REASONS uses its *_VECTOR constants. */
#include <linux/kvm.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#include "reasons.h"

struct reason_name {
	uint32_t code;
	const char *name;
};

static const struct reason_name vmx_names[] = { VMX_EXIT_REASONS };
static const struct reason_name svm_names[] = { SVM_EXIT_REASONS };

static const char *lookup(const struct reason_name *t, size_t n, uint32_t code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

const char *vmx_reason_name(uint32_t reason)
{
	return lookup(vmx_names, sizeof(vmx_names) / sizeof(vmx_names[0]), reason);
}

const char *svm_reason_name(uint32_t code)
{
	return lookup(svm_names, sizeof(svm_names) / sizeof(svm_names[0]), code);
}

static const char *const vendor_names[] = {
	[VENDOR_OTHER] = "other",
	[VENDOR_VMX] = "vmx",
	[VENDOR_SVM] = "svm",
};

const char *vendor_name(enum vendor v)
{
	return vendor_names[v];
}

int vendor_from_name(const char *s, enum vendor *v)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (!strcmp(s, vendor_names[i])) {
			*v = (enum vendor)i;
			return 0;
		}
	}
	return -1;
}

static int cpu_has_flag(const char *flag)
{
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok_r(strchr(line, ':'), " \t\n:", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(tok, flag))
				found = 1;
		break;
	}
	fclose(f);
	return found;
}

enum vendor detect_vendor(void)
{
	const char *env = getenv("EXITBENCH_VENDOR");
	enum vendor v;

	if (env) {
		if (!vendor_from_name(env, &v))
			return v;
		fprintf(stderr, "EXITBENCH_VENDOR=%s: use vmx, svm or other (or unset it)\n", env);
		exit(2);
	}
	/*
	 * The CPU flags first: with KVM_INTEL and KVM_AMD both built in, both
	 * /sys/module directories exist whatever the CPU.
	 */
	if (cpu_has_flag("vmx"))
		return VENDOR_VMX;
	if (cpu_has_flag("svm"))
		return VENDOR_SVM;
	return VENDOR_OTHER;
}

/* SVM buckets above the low codes: 11 for 0x400-0x40A, 4 for -4 to -1. */
#define SVM_HIGH_BUCKET		0xF0
#define SVM_NR_HIGH		11
#define SVM_NR_ERR		4

int exit_bucket(enum vendor v, uint32_t code)
{
	switch (v) {
	case VENDOR_VMX:
		return (code & 0xffff) < EXIT_BUCKET_UNKNOWN ? (int)(code & 0xffff) : EXIT_BUCKET_UNKNOWN;
	case VENDOR_SVM:
		if (code < SVM_HIGH_BUCKET)
			return (int)code;
		if (code - 0x400 < SVM_NR_HIGH)
			return SVM_HIGH_BUCKET + (int)(code - 0x400);
		if (code >= (uint32_t)-SVM_NR_ERR)
			return EXIT_BUCKET_UNKNOWN + (int32_t)code;
		return EXIT_BUCKET_UNKNOWN;
	default:
		return -1;
	}
}

int64_t exit_bucket_code(enum vendor v, int bucket)
{
	if (bucket < 0 || bucket >= EXIT_BUCKET_UNKNOWN || v == VENDOR_OTHER)
		return -1;
	if (v == VENDOR_SVM && bucket >= SVM_HIGH_BUCKET + SVM_NR_HIGH)
		return (uint32_t)(bucket - EXIT_BUCKET_UNKNOWN);
	if (v == VENDOR_SVM && bucket >= SVM_HIGH_BUCKET)
		return 0x400 + (bucket - SVM_HIGH_BUCKET);
	return bucket;
}

const char *exit_bucket_name(enum vendor v, int bucket, char *buf, size_t len)
{
	int64_t code = exit_bucket_code(v, bucket);
	const char *name;

	if (code < 0)
		return "UNKNOWN";
	name = v == VENDOR_SVM ? svm_reason_name((uint32_t)code) : vmx_reason_name((uint32_t)code);
	if (name)
		return name;
	snprintf(buf, len, v == VENDOR_SVM ? "UNKNOWN(0x%llx)" : "UNKNOWN(%llu)",
		 (unsigned long long)code);
	return buf;
}
