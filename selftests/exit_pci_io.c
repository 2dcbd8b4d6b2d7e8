// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-unit-tests vmexit.c pci-io: 1-byte OUTs to pci-testdev's I/O BAR, one
 * to each of its three registers; here to the harness's own device
 * (guest_code/pci_testdev.h) at ports 0xc000-0xc002.
 */
#define TESTDEV_MMIO 0
#include "pci_testdev.h"

EXIT_TEST(
	.name = "pci_io",
	.kut_name = "pci-io",
	.summary = "1-byte OUTs to a test device: one completed in userspace, two by ioeventfds in the kernel; baseline: stores to RAM",
	.expect = {
		{ .reason = { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, .per_iteration = 3,
		  .why = "three OUTs: the userspace one, the wildcard ioeventfd, the datamatch ioeventfd" },
	},
	.per_iteration_figure = true,
	.figures = {
		{ "portio-no-eventfd", "TSC cycles per OUT completed in userspace" },
		{ "portio-wildcard-eventfd", "TSC cycles per OUT to a wildcard ioeventfd" },
		{ "portio-datamatch-eventfd", "TSC cycles per OUT to a datamatch ioeventfd" },
	},
	.guest_loop = guest_loop,
	.guest_baseline = guest_baseline,
	.setup = td_setup,
	.handle_exit = td_handle_exit,
	.check_loop = td_check_loop,
	.unsupported = td_unsupported,
	.note = "vmexit.c times each register in its own loop; here one loop writes all three and times each write (less the same bracket around a store to RAM)",
);
