// SPDX-License-Identifier: GPL-2.0-only
/* kvm-unit-tests vmexit.c x2apic_self_ipi_tpr_sti_hlt: interrupts off, TPR 15, a self-IPI through the x2APIC SELF IPI register, TPR 0, then sti; hlt takes it. */
#define SELF_IPI_FLAGS (SI_MSR | SI_CLI | SI_TPR | SI_HLT)
#include "self_ipi.h"

EXIT_TEST(
	.name = "x2apic_self_ipi_tpr_sti_hlt",
	.kut_name = "x2apic_self_ipi_tpr_sti_hlt",
	.summary = "interrupts off, TPR 15, a self-IPI through the x2APIC SELF IPI register, TPR 0, then sti; hlt takes it; baseline: the same with a store in place of the IPI",
	.expect = {
		{ .reason = { EXIT_REASON_MSR_WRITE, SVM_EXIT_MSR }, .per_iteration = 1, .when = kvm_no_apicv,
		  .why = "the self-IPI, a WRMSR to the x2APIC SELF IPI register (0x83f): intercepted without APICv (virtualized with it)" },
		EXPECT_EOI(1, "the handler"),
		SI_EXPECT_REST,
	},
	SI_DESCRIPTOR,
	.note = "the IPI goes through the x2APIC SELF IPI register; needs the x2APIC",
);
