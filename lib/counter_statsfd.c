// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stock KVM binary stats of the vCPU (KVM_GET_STATS_FD): "exits" counts every
 * exit, and a few stats count one reason each. Which stat counts which reason
 * is read off arch/x86/kvm (6.12): halt_exits and hypercalls are bumped in
 * common x86 code, io_exits and irq_exits only by the VMX and SVM handlers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/svm.h>
#include <asm/vmx.h>

#include "counters.h"
#include "kvm_stats.h"

static const struct {
	struct exit_reason_id reason;
	const char *stat;
	bool vendor_code;	/* bumped in vmx.c/svm.c: only VMX and SVM */
} reason_stats[] = {
	{ { EXIT_REASON_HLT, SVM_EXIT_HLT }, "halt_exits", false },
	{ { EXIT_REASON_VMCALL, SVM_EXIT_VMMCALL }, "hypercalls", false },
	{ { EXIT_REASON_IO_INSTRUCTION, SVM_EXIT_IOIO }, "io_exits", true },
	{ { EXIT_REASON_EXTERNAL_INTERRUPT, SVM_EXIT_INTR }, "irq_exits", true },
};

struct statsfd_priv {
	struct kvm_stats stats;
	const struct kvm_stats_desc *total;
	/* The stat of each plan reason that has one (NULL: none). */
	const struct kvm_stats_desc *each[MAX_TARGET_REASONS];
	int n, primary;
};

static int statsfd_open(struct counter_source *src, const struct counter_target *t,
			char *why, size_t len)
{
	struct statsfd_priv *p = calloc(1, sizeof(*p));
	size_t i;
	int k;

	if (!p || kvm_stats_open_vcpu(&p->stats, t->vcpu->fd)) {
		snprintf(why, len, "KVM_GET_STATS_FD on the vCPU failed");
		free(p);
		return -1;
	}
	src->priv = p;
	p->total = kvm_stats_find(&p->stats, "exits");
	p->n = t->plan->n;
	p->primary = t->plan->primary;
	for (k = 0; k < t->plan->n && k < 32; k++) {
		struct exit_reason_id id = t->plan->r[k].id;

		for (i = 0; i < sizeof(reason_stats) / sizeof(reason_stats[0]); i++) {
			if (reason_stats[i].reason.vmx != id.vmx || reason_stats[i].reason.svm != id.svm)
				continue;
			if (reason_stats[i].vendor_code && t->vendor == VENDOR_OTHER)
				break;
			p->each[k] = kvm_stats_find(&p->stats, reason_stats[i].stat);
		}
		if (p->each[k])
			src->sees |= 1u << k;
	}
	src->sees_total = p->total != NULL;
	src->sees_reason = p->primary >= 0 && p->each[p->primary];
	/* An L2 exit KVM reflects into L1 bumps none of these. */
	src->l0_handled = true;
	return 0;
}

static int statsfd_read(struct counter_source *src, struct counter_reading *r,
			char *why, size_t len)
{
	struct statsfd_priv *p = src->priv;
	int k;

	memset(r, 0, sizeof(*r));
	if (p->total && kvm_stats_read(&p->stats, p->total, &r->total, 1))
		goto fail;
	for (k = 0; k < p->n; k++)
		if (p->each[k] && kvm_stats_read(&p->stats, p->each[k], &r->each[k], 1))
			goto fail;
	if (p->primary >= 0)
		r->reason = r->each[p->primary];
	return 0;
fail:
	snprintf(why, len, "reading the vCPU stats fd failed");
	return -1;
}

static void statsfd_close(struct counter_source *src)
{
	struct statsfd_priv *p = src->priv;

	if (p)
		kvm_stats_close(&p->stats);
	free(p);
	src->priv = NULL;
}

const struct counter_source_ops counter_statsfd = {
	.name = "stats-fd",
	.what = "stock KVM vCPU binary stats: exits, halt_exits, hypercalls, io_exits, irq_exits",
	.open = statsfd_open,
	.read = statsfd_read,
	.close = statsfd_close,
};
