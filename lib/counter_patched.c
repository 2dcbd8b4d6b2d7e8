// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kvm-exitbench kernel patches' per-vCPU binary stats: exits_by_reason,
 * an array of EXIT_BUCKETS counts indexed by exit_bucket() (kernel/README.md),
 * counted next to trace_kvm_exit() so fastpath exits are included. On a stock
 * kernel the stat does not exist and the source says so; it is never read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "kvm_stats.h"

struct patched_priv {
	struct kvm_stats stats;
	const struct kvm_stats_desc *desc, *cycles;
	int bucket;
};

static int patched_open(struct counter_source *src, const struct counter_target *t,
			char *why, size_t len)
{
	struct patched_priv *p = calloc(1, sizeof(*p));

	if (!p || kvm_stats_open_vcpu(&p->stats, t->vcpu->fd)) {
		snprintf(why, len, "KVM_GET_STATS_FD on the vCPU failed");
		free(p);
		return -1;
	}
	p->desc = kvm_stats_find(&p->stats, "exits_by_reason");
	if (!p->desc) {
		snprintf(why, len, "absent: this kernel has no exits_by_reason vCPU stat "
			 "(not built with kernel/patches)");
		goto fail;
	}
	if (p->desc->size != EXIT_BUCKETS) {
		snprintf(why, len, "exits_by_reason has %u elements, expected %d",
			 p->desc->size, EXIT_BUCKETS);
		goto fail;
	}
	/* exit_cycles_by_reason: 0 unless kvm.exit_cycles is on. */
	p->cycles = kvm_stats_find(&p->stats, "exit_cycles_by_reason");
	if (p->cycles && p->cycles->size != EXIT_BUCKETS)
		p->cycles = NULL;
	p->bucket = exit_bucket(t->vendor, t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx);
	if (p->bucket < 0) {
		snprintf(why, len, "exits_by_reason is indexed by VMX or SVM codes and this KVM is neither");
		goto fail;
	}
	src->priv = p;
	src->sees_reason = true;
	src->sees_total = true;
	return 0;
fail:
	kvm_stats_close(&p->stats);
	free(p);
	return -1;
}

static int patched_read(struct counter_source *src, struct counter_reading *r,
			char *why, size_t len)
{
	struct patched_priv *p = src->priv;
	int i;

	if (kvm_stats_read(&p->stats, p->desc, r->buckets, EXIT_BUCKETS)) {
		snprintf(why, len, "reading exits_by_reason failed");
		return -1;
	}
	r->has_buckets = true;
	r->reason = r->buckets[p->bucket];
	if (p->cycles) {
		uint64_t c[EXIT_BUCKETS];

		if (kvm_stats_read(&p->stats, p->cycles, c, EXIT_BUCKETS)) {
			snprintf(why, len, "reading exit_cycles_by_reason failed");
			return -1;
		}
		r->has_cycles = true;
		r->reason_cycles = c[p->bucket];
	}
	r->total = 0;
	for (i = 0; i < EXIT_BUCKETS; i++)
		r->total += r->buckets[i];
	return 0;
}

static void patched_close(struct counter_source *src)
{
	struct patched_priv *p = src->priv;

	if (p)
		kvm_stats_close(&p->stats);
	free(p);
	src->priv = NULL;
}

const struct counter_source_ops counter_patched = {
	.name = "patched-stats",
	.what = "patched kernel: exits_by_reason vCPU binary stat (every exit, counted at trace_kvm_exit)",
	.open = patched_open,
	.read = patched_read,
	.close = patched_close,
};
