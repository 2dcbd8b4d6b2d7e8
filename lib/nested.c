// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host's side of the nested tests (lib/nested.h): whether KVM offers
 * VMX or SVM to its guests, and L1's pages for nested operation.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "vmx.h"

#include "nested.h"
#include "reasons.h"

const char *nested_unsupported(void)
{
	static char why[256];
	const char *module, *param = "nested";
	char path[128], val[16] = "";
	FILE *f;

	if (kvm_cpu_has(X86_FEATURE_VMX) || kvm_cpu_has(X86_FEATURE_SVM))
		return exit_test.nested->unsupported ? exit_test.nested->unsupported() : NULL;
	switch (detect_vendor()) {
	case VENDOR_VMX:
		module = "kvm_intel";
		break;
	case VENDOR_SVM:
		module = "kvm_amd";
		break;
	default:
		return "this host's KVM is neither VMX nor SVM (a software hypervisor, e.g. kvm_pvm): "
		       "it cannot run a guest that is itself a hypervisor";
	}
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, param);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(val, sizeof(val), f))
			val[0] = 0;
		fclose(f);
	}
	val[strcspn(val, "\n")] = 0;
	snprintf(why, sizeof(why), "KVM does not offer %s to guests: no nested guests here (%s.%s=%s)",
		 strcmp(module, "kvm_intel") ? "SVM" : "VMX", module, param, val[0] ? val : "unknown");
	return why;
}

void nested_host_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	const struct nested_test *d = exit_test.nested;
	vm_vaddr_t gva;

	memset(&nested_state, 0, sizeof(nested_state));
	nested_state.svm = kvm_cpu_has(X86_FEATURE_SVM);
	if (nested_state.svm) {
		vcpu_alloc_svm(vm, &gva);
		/* Contiguous: 12 KiB of I/O permissions, 8 KiB of MSR permissions. */
		nested_state.iopm = vm_vaddr_alloc_pages(vm, 3);
		nested_state.iopm_gpa = addr_gva2gpa(vm, nested_state.iopm);
		memset(addr_gva2hva(vm, nested_state.iopm), 0, 3 * getpagesize());
		nested_state.msrpm = vm_vaddr_alloc_pages(vm, 2);
		nested_state.msrpm_gpa = addr_gva2gpa(vm, nested_state.msrpm);
		memset(addr_gva2hva(vm, nested_state.msrpm), 0, 2 * getpagesize());
		nested_state.scratch_vmcb_gpa = addr_gva2gpa(vm, vm_vaddr_alloc_page(vm));
	} else {
		vcpu_alloc_vmx(vm, &gva);
	}
	nested_state.pages = gva;
	sync_global_to_guest(vm, nested_state);
	if (d->setup)
		d->setup(vm);
}
