/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The KVM configuration that decides which exits a guest's instruction
 * causes, read from /sys/module/kvm{,_intel,_amd}/parameters of the vendor
 * that runs (kvm_intel and kvm_amd may both be built in; only one is used).
 * KVM writes back what the hardware lacks (enable_apicv=N without APICv,
 * ple_gap=0 without PAUSE-loop exiting), so these are the working values.
 */
#ifndef EXITBENCH_KVM_CONFIG_H
#define EXITBENCH_KVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "reasons.h"

struct json;

struct kvm_config {
	enum vendor vendor;
	bool apicv;		/* VMX enable_apicv, SVM avic */
	bool ipiv;		/* VMX enable_ipiv, and APICv on */
	bool flexpriority;	/* VMX: an APIC-access page virtualizes xAPIC MMIO */
	bool tpr_shadow;	/* VMX: CR8 and TPR reads/writes are virtualized (CPU flag) */
	bool tdp;		/* VMX ept, SVM npt */
	/*
	 * PAUSE-loop exiting: VMX ple_gap; SVM pause_filter_count when
	 * pause_filter_thresh is set too (else KVM lets PAUSE run); 0: off.
	 */
	uint32_t ple_gap;
	uint32_t ple_window;	/* VMX ple_window (cycles); SVM pause_filter_count (PAUSEs) */
	bool preemption_timer;	/* VMX: the APIC timer runs on the preemption timer */
	bool nrips;		/* SVM next-RIP save */
	bool vnmi;		/* virtual NMIs (VMX vnmi, SVM vnmi) */
	bool pmu;		/* kvm.enable_pmu */
	/* Nested guests (L2): offered at all (nested), and what L1's own exits become. */
	bool nested;		/* VMX, SVM nested */
	bool shadow_vmcs;	/* VMX enable_shadow_vmcs: L1's VMREAD/VMWRITE of shadowed fields do not exit */
	bool vls;		/* SVM vls: L1's VMLOAD/VMSAVE do not exit */
	/* The VM's set-up (the harness's, not KVM's): the guest APIC's mode... */
	bool x2apic;
	/* ...and whether the vCPUs' kvmclock is on (--kvmclock). */
	bool kvmclock;
	/* Parameters that were missing (older kernels): listed, defaults used. */
	char missing[256];
};

/* Predicates for struct exit_expect's when. */
static inline bool kvm_apicv(const struct kvm_config *c)
{
	return c->apicv;
}

static inline bool kvm_no_apicv(const struct kvm_config *c)
{
	return !c->apicv;
}

/* Nested tests: does L1 exit on VMREAD/VMWRITE (VMX) or VMLOAD/VMSAVE (SVM)? */
static inline bool kvm_l1_vm_insns_exit(const struct kvm_config *c)
{
	return c->vendor == VENDOR_VMX ? !c->shadow_vmcs : !c->vls;
}

/* Read the configuration of the KVM for @v; missing parameters are noted. */
void kvm_config_read(struct kvm_config *c, enum vendor v);
/* The same as a JSON object's members (the caller opens the object). */
void kvm_config_write(struct json *j, const struct kvm_config *c);

#endif
