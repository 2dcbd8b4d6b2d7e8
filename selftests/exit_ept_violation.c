// SPDX-License-Identifier: GPL-2.0-only
/*
 * First touch of guest pages that have no EPT/NPT entry. Before each timed
 * loop the host drops the backing pages (MADV_DONTNEED), so KVM's MMU
 * notifier zaps their entries and each store faults once: an EPT violation
 * (NPF on SVM) that KVM fixes by mapping a fresh host page. The baseline
 * stores to the same pages again, now mapped.
 */
#include <sys/mman.h>

#include "processor.h"

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

static void setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	/* Anonymous 4 KiB pages: no THP, so each page faults on its own. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT,
				    TEST_PAGES, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	host_mem = addr_gpa2hva(vm, TEST_GPA);
	TEST_ASSERT(!madvise(host_mem, TEST_PAGES * 4096, MADV_NOHUGEPAGE),
		    "madvise(MADV_NOHUGEPAGE) failed");
}

static void before_loop(struct kvm_vm *vm __maybe_unused, struct kvm_vcpu *vcpu __maybe_unused,
			uint64_t n __maybe_unused, bool baseline)
{
	if (!baseline)
		TEST_ASSERT(!madvise(host_mem, TEST_PAGES * 4096, MADV_DONTNEED),
			    "madvise(MADV_DONTNEED) failed");
}

EXIT_TEST(
	.name = "ept_violation",
	.summary = "a store to each of N guest pages whose EPT/NPT entries were just zapped; baseline: the same stores, mapped",
	.reason = { .vmx = 48, .svm = 0x400 },
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = setup,
	.before_loop = before_loop,
	.max_iterations = TEST_PAGES,
	.note = "the cost includes the host page fault that allocates and zeroes each fresh page",
);
