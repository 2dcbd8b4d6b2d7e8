// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c pci-mem: 1-byte MMIO writes to pci-testdev's
 * memory BAR, one to each of its three registers; here to the harness's own
 * device (guest_code/pci_testdev.h) at guest-physical 0xe0000000, which has
 * no memslot: an MMIO SPTE, so EPT misconfig exits (NPF on SVM).
 */
#define TESTDEV_MMIO 1
#include "pci_testdev.h"

EXIT_TEST(
	.name = "pci_mem",
	.kut_name = "pci-mem",
	.summary = "1-byte MMIO writes to a test device: one completed in userspace, two by ioeventfds in the kernel; baseline: stores to RAM",
	.expect = {
		{ .reason = { EXIT_REASON_EPT_MISCONFIG, SVM_EXIT_NPF }, .per_iteration = 3,
		  .why = "three MMIO writes (no memslot): the userspace one, the zero-length ioeventfd (VMX's fast MMIO path), the datamatch ioeventfd" },
	},
	.per_iteration_figure = true,
	.figures = {
		{ "mmio-no-eventfd", "TSC cycles per MMIO write completed in userspace" },
		{ "mmio-wildcard-eventfd", "TSC cycles per MMIO write to a zero-length ioeventfd" },
		{ "mmio-datamatch-eventfd", "TSC cycles per MMIO write to a datamatch ioeventfd" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = td_setup,
	.handle_exit = td_handle_exit,
	.check_loop = td_check_loop,
	.unsupported = td_unsupported,
	.note = "vmexit.c times each register in its own loop; here one loop writes all three and times each write (less the same bracket around a store to RAM)",
);
