// SPDX-License-Identifier: GPL-2.0-only
/*
 * First touch of guest pages that have no EPT/NPT entry. Before each timed
 * loop the host deletes and re-adds the test memslot (same host memory), so
 * KVM zaps its entries and each store faults once: an EPT violation (NPF on
 * SVM) that KVM fixes by mapping the page again. The baseline stores to the
 * same pages again, now mapped. KVM_X86_QUIRK_SLOT_ZAP_ALL is disabled so that
 * deleting the slot zaps that slot only, not the guest's code and stack.
 */
#include <errno.h>
#include <sys/mman.h>

#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define TEST_SLOT	10
#define TEST_GPA	0x40000000UL	/* 1 GiB, above the selftest's own memory */
#define TEST_PAGES	32768UL		/* 128 MiB of 4 KiB pages: N per trial at most */

static void *host_mem;

static void guest_loop(uint64_t n)
{
	GUEST_LOOP(n, "movb $1, (%[p])\n\tadd $4096, %[p]", ([p] "r"(TEST_GPA)));
}

static void guest_baseline(uint64_t n)
{
	guest_loop(n);
}

static const char *unsupported(void)
{
	return kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2) & KVM_X86_QUIRK_SLOT_ZAP_ALL ? NULL :
	       "KVM cannot disable KVM_X86_QUIRK_SLOT_ZAP_ALL (Linux 6.12 or later): "
	       "deleting the test memslot would zap the guest's code and stack too";
}

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	vm_enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_SLOT_ZAP_ALL);
	/* Anonymous 4 KiB pages: no THP, so each page faults on its own. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT,
				    TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	host_mem = addr_gpa2hva(vm, TEST_GPA);
	/* Without transparent huge pages (EINVAL, ENOSYS) memory is 4 KiB anyway. */
	TEST_ASSERT(!madvise(host_mem, TEST_PAGES * 4096, MADV_NOHUGEPAGE) ||
		    errno == EINVAL || errno == ENOSYS, "madvise(MADV_NOHUGEPAGE) failed");
	/* Touch every page on the host: the loop measures KVM, not page allocation. */
	memset(host_mem, 0, TEST_PAGES * 4096);
}

static void before_loop(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused,
			uint64_t n __maybe_unused, bool baseline)
{
	if (baseline)
		return;
	vm_set_user_memory_region(vm, TEST_SLOT, 0, TEST_GPA, 0, host_mem);
	vm_set_user_memory_region(vm, TEST_SLOT, 0, TEST_GPA, TEST_PAGES * 4096, host_mem);
}

EXIT_TEST(
	.name = "ept_violation",
	.summary = "a store to each of N guest pages whose EPT/NPT entries were just zapped; baseline: the same stores, mapped",
	.extra_pages = TEST_PAGES,
	.expect = {
		{ .reason = { EXIT_REASON_EPT_VIOLATION, SVM_EXIT_NPF }, .per_iteration = 1, .why = "the first store to each page whose EPT/NPT entry was just zapped" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.unsupported = unsupported,
	.setup = setup,
	.before_loop = before_loop,
	.max_iterations = TEST_PAGES,
	.note = "host memory stays allocated: the figure is KVM's fault path, not host page allocation",
);
