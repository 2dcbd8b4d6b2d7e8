// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kvm-exitbench kernel patches' per-vCPU binary stats (kernel/README.md):
 * exits_by_reason, a linear histogram of EXIT_BUCKETS buckets of size 1 whose
 * bucket i counts the exits of bucket i of exit_bucket(); l2_exits_by_reason,
 * the same for the exits taken while L2 ran; exit_reason_isa, which of VMX
 * or SVM numbers the buckets. Counted next to trace_kvm_exit(), fastpath
 * exits included. On a stock kernel the stats do not exist and the source
 * says so; they are never read. The stats carry no cycles (debugfs does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "kvm_stats.h"

/* Values of exit_reason_isa (uapi KVM_X86_EXIT_REASON_VMX/SVM). */
#define STATS_ISA_VMX 1
#define STATS_ISA_SVM 2

struct patched_priv {
	struct kvm_stats stats;
	const struct kvm_stats_desc *desc, *l2;
	int bucket;
};

/* The form the series documents, nothing else: a size 256 linear histogram. */
static bool histogram_ok(const struct kvm_stats_desc *d)
{
	return (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_LINEAR_HIST &&
	       (d->flags & KVM_STATS_UNIT_MASK) == KVM_STATS_UNIT_NONE &&
	       d->size == EXIT_BUCKETS && d->bucket_size == 1 && !d->exponent;
}

static int patched_open(struct counter_source *src, const struct counter_target *t,
			char *why, size_t len)
{
	struct patched_priv *p = calloc(1, sizeof(*p));
	const struct kvm_stats_desc *isa;
	uint64_t isa_value;
	char abi[256];

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
	if (kvm_stats_check_abi(&p->stats, abi, sizeof(abi))) {
		snprintf(why, len, "the vCPU stats break the binary stats ABI: %s", abi);
		goto fail;
	}
	p->l2 = kvm_stats_find(&p->stats, "l2_exits_by_reason");
	isa = kvm_stats_find(&p->stats, "exit_reason_isa");
	if (!histogram_ok(p->desc) || !p->l2 || !histogram_ok(p->l2) || !isa) {
		snprintf(why, len, "exits_by_reason, l2_exits_by_reason or exit_reason_isa is not the "
			 "documented linear histogram of %d buckets of size 1 (kernel/README.md)", EXIT_BUCKETS);
		goto fail;
	}
	if (kvm_stats_read(&p->stats, isa, &isa_value, 1) ||
	    isa_value != (t->vendor == VENDOR_VMX ? STATS_ISA_VMX : t->vendor == VENDOR_SVM ? STATS_ISA_SVM : 0)) {
		snprintf(why, len, "exit_reason_isa is %llu, this host is %s",
			 (unsigned long long)isa_value, vendor_name(t->vendor));
		goto fail;
	}
	p->bucket = exit_bucket(t->vendor, t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx);
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

	if (kvm_stats_read(&p->stats, p->desc, r->buckets, EXIT_BUCKETS) ||
	    kvm_stats_read(&p->stats, p->l2, r->l2_buckets, EXIT_BUCKETS)) {
		snprintf(why, len, "reading exits_by_reason failed");
		return -1;
	}
	r->has_buckets = true;
	r->has_l2 = true;
	r->reason = r->buckets[p->bucket];
	r->l2_reason = r->l2_buckets[p->bucket];
	r->total = 0;
	r->l2_total = 0;
	for (i = 0; i < EXIT_BUCKETS; i++) {
		r->total += r->buckets[i];
		r->l2_total += r->l2_buckets[i];
	}
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
	.what = "patched kernel: exits_by_reason and l2_exits_by_reason vCPU binary stats (linear histograms, every exit, counted at trace_kvm_exit)",
	.open = patched_open,
	.read = patched_read,
	.close = patched_close,
};
