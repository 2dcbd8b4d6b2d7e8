// SPDX-License-Identifier: GPL-2.0-only
/*
 * The patched kernel's per-vCPU debugfs table,
 * /sys/kernel/debug/kvm/<pid>-<vm fd>/vcpu<id>/exit_reasons (kernel/README.md):
 *   # vendor vmx|svm
 *   # reason count cycles l2_count l2_cycles name
 *   <reason> <count> <cycles> <l2_count> <l2_cycles> <NAME>
 * reason decimal on VMX, 0x.. on SVM, '-' for the UNKNOWN bucket; count and
 * cycles cover both levels, l2_* the exits taken while L2 ran. The only
 * patched interface with per-reason cycles besides the CPUID leaves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "debugfs_table.h"

struct debugfs_priv {
	char path[256];
	uint32_t code;
	enum vendor vendor;
};

static int debugfs_open(struct counter_source *src, const struct counter_target *t,
			char *why, size_t len)
{
	struct debugfs_priv *p;
	struct exit_table tab;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the table lists VMX or SVM reasons and this KVM is neither");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	snprintf(p->path, sizeof(p->path), "/sys/kernel/debug/kvm/%d-%d/vcpu%u/exit_reasons",
		 (int)getpid(), t->vm->fd, t->vcpu->id);
	p->code = t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx;
	p->vendor = t->vendor;
	if (exit_table_read(p->path, &tab, why, len)) {
		free(p);
		return -1;
	}
	if (tab.vendor != t->vendor) {
		snprintf(why, len, "%s says vendor %s, this host is %s", p->path,
			 vendor_name(tab.vendor), vendor_name(t->vendor));
		free(p);
		return -1;
	}
	src->priv = p;
	src->sees_reason = true;
	src->sees_total = true;
	return 0;
}

static int debugfs_read(struct counter_source *src, struct counter_reading *r,
			char *why, size_t len)
{
	struct debugfs_priv *p = src->priv;
	const struct exit_table_row *row;
	struct exit_table tab;
	int i;

	if (exit_table_read(p->path, &tab, why, len))
		return -1;
	row = exit_table_row(&tab, p->code);
	r->reason = row ? row->count : 0;
	r->l2_reason = row ? row->l2_count : 0;
	r->has_cycles = true;
	r->reason_cycles = row ? row->cycles : 0;
	r->total = tab.total;
	r->l2_total = tab.l2_total;
	memset(r->buckets, 0, sizeof(r->buckets));
	memset(r->l2_buckets, 0, sizeof(r->l2_buckets));
	for (i = 0; i < tab.nrows; i++) {
		int b = exit_table_row_bucket(p->vendor, &tab.rows[i]);

		r->buckets[b] += tab.rows[i].count;
		r->l2_buckets[b] += tab.rows[i].l2_count;
	}
	r->has_buckets = true;
	r->has_l2 = true;
	return 0;
}

static void debugfs_close(struct counter_source *src)
{
	free(src->priv);
	src->priv = NULL;
}

const struct counter_source_ops counter_debugfs = {
	.name = "debugfs",
	.what = "patched kernel: per-vCPU debugfs table kvm/<pid>-<fd>/vcpu<N>/exit_reasons",
	.open = debugfs_open,
	.read = debugfs_read,
	.close = debugfs_close,
};
