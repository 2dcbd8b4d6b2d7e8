// SPDX-License-Identifier: GPL-2.0-only
/* kvm-unit-tests vmexit.c self_ipi_tpr_sti_hlt: interrupts off, TPR 15, a self-IPI through the ICR, TPR 0, then sti; hlt takes it. */
#define SELF_IPI_FLAGS (SI_CLI | SI_TPR | SI_HLT)
#include "self_ipi.h"

EXIT_TEST(
	.name = "self_ipi_tpr_sti_hlt",
	.kut_name = "self_ipi_tpr_sti_hlt",
	.summary = "interrupts off, TPR 15, a self-IPI through the ICR, TPR 0, then sti; hlt takes it; baseline: the same with a store in place of the IPI",
	.expect = {
		EXPECT_ICR_WRITE(1, "the self-IPI"),
		{ .reason = { EXIT_REASON_APIC_WRITE, EXIT_NONE }, .per_iteration = 1, .when = cfg_x2apic_ipiv,
		  .why = "the self-IPI with IPI virtualization: an ICR write with the self shorthand is not virtualized, an APIC-write exit" },
		{ .reason = { EXIT_REASON_APIC_WRITE, EXIT_NONE }, .per_iteration = 1, .when = cfg_xapic_apicv,
		  .why = "the self-IPI over xAPIC with APICv: the busy-bit read and ICR2 are virtualized, the ICR write traps" },
		EXPECT_EOI(1, "the handler"),
		SI_EXPECT_REST,
	},
	SI_DESCRIPTOR,
	.note = "the IPI goes through the ICR (self shorthand) in the APIC mode of the guest: x2APIC by default, as kvm-unit-tests runs under KVM; --xapic for MMIO",
);
