// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kvm_config.h"

/*
 * One parameter of @module: Y/N and 1/0 as booleans, numbers as themselves.
 * Missing: @dflt, and the name goes to c->missing.
 */
static uint64_t param(struct kvm_config *c, const char *module, const char *name,
		      uint64_t dflt)
{
	char path[128], buf[64], *end;
	size_t n;
	FILE *f;
	uint64_t v;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		n = strlen(c->missing);
		snprintf(c->missing + n, sizeof(c->missing) - n, "%s%s.%s", n ? " " : "",
			 module, name);
		return dflt;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	if (!strcmp(buf, "Y"))
		return 1;
	if (!strcmp(buf, "N"))
		return 0;
	v = strtoull(buf, &end, 0);
	return end != buf && !*end ? v : dflt;
}

/* Is @flag in the "flags" line of /proc/cpuinfo (the host's own CPU)? */
static bool cpu_flag(const char *flag)
{
	char line[8192], *tok, *save;
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok_r(strchr(line, ':'), " \t\n:", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			found |= !strcmp(tok, flag);
		break;
	}
	if (f)
		fclose(f);
	return found;
}

void kvm_config_read(struct kvm_config *c, enum vendor v)
{
	memset(c, 0, sizeof(*c));
	c->vendor = v;
	c->pmu = param(c, "kvm", "enable_pmu", 1);
	if (v == VENDOR_VMX) {
		c->apicv = param(c, "kvm_intel", "enable_apicv", 0);
		/* enable_ipiv stays Y when APICv is off: IPIv needs both. */
		c->ipiv = c->apicv && param(c, "kvm_intel", "enable_ipiv", 0);
		c->flexpriority = param(c, "kvm_intel", "flexpriority", 1);
		/* KVM uses the TPR shadow whenever the CPU has it (in-kernel LAPIC). */
		c->tpr_shadow = cpu_flag("tpr_shadow");
		c->tdp = param(c, "kvm_intel", "ept", 1);
		c->ple_gap = (uint32_t)param(c, "kvm_intel", "ple_gap", 0);
		c->ple_window = (uint32_t)param(c, "kvm_intel", "ple_window", 0);
		c->preemption_timer = param(c, "kvm_intel", "preemption_timer", 0);
		c->vnmi = param(c, "kvm_intel", "vnmi", 1);
		c->nested = param(c, "kvm_intel", "nested", 0);
		/* KVM writes N back when the CPU lacks shadow VMCS. */
		c->shadow_vmcs = c->nested && param(c, "kvm_intel", "enable_shadow_vmcs", 0);
	} else if (v == VENDOR_SVM) {
		c->apicv = param(c, "kvm_amd", "avic", 0);
		c->tdp = param(c, "kvm_amd", "npt", 1);
		/* svm_vm_init(): PAUSE is intercepted only with a count and a threshold. */
		c->ple_window = (uint32_t)param(c, "kvm_amd", "pause_filter_count", 0);
		c->ple_gap = param(c, "kvm_amd", "pause_filter_thresh", 0) ? c->ple_window : 0;
		c->nrips = param(c, "kvm_amd", "nrips", 0);
		c->vnmi = param(c, "kvm_amd", "vnmi", 0);
		c->nested = param(c, "kvm_amd", "nested", 0);
		/* KVM writes 0 back when the CPU lacks VMLOAD/VMSAVE virtualization. */
		c->vls = c->nested && param(c, "kvm_amd", "vls", 0);
	}
}

void kvm_config_write(struct json *j, const struct kvm_config *c)
{
	json_kv_string(j, "vendor", vendor_name(c->vendor));
	json_kv_bool(j, "apicv", c->apicv);
	json_kv_bool(j, "ipiv", c->ipiv);
	json_kv_bool(j, "flexpriority", c->flexpriority);
	json_kv_bool(j, "tpr_shadow", c->tpr_shadow);
	json_kv_bool(j, "tdp", c->tdp);
	json_kv_u64(j, "ple_gap", c->ple_gap);
	json_kv_u64(j, "ple_window", c->ple_window);
	json_kv_bool(j, "preemption_timer", c->preemption_timer);
	json_kv_bool(j, "nrips", c->nrips);
	json_kv_bool(j, "vnmi", c->vnmi);
	json_kv_bool(j, "pmu", c->pmu);
	json_kv_bool(j, "nested", c->nested);
	json_kv_bool(j, "shadow_vmcs", c->shadow_vmcs);
	json_kv_bool(j, "vls", c->vls);
	json_kv_string(j, "guest_apic", c->x2apic ? "x2apic" : "xapic");
	json_kv_bool(j, "kvmclock", c->kvmclock);
	json_kv_string(j, "missing", c->missing[0] ? c->missing : NULL);
}
