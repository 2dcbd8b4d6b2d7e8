// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exits the harness handles itself: when every exit of a loop returns to
 * userspace (KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_SHUTDOWN...), the VMM sees
 * each one, whatever the kernel's counters say. The ucall that ends a window
 * is a KVM_EXIT_IO too, matching the harness exit added to an IO expectation.
 */
#include <stdio.h>
#include <string.h>

#include <linux/compiler.h>

#include "counters.h"

struct vmm_priv {
	const uint64_t *exits;
	uint32_t kind;
};

static struct vmm_priv vmm_priv;

static int vmm_open(struct counter_source *src, const struct counter_target *t,
		    char *why, size_t len)
{
	if (!t->vmm_exits) {
		snprintf(why, len, "the runner keeps no userspace exit counts");
		return -1;
	}
	vmm_priv.exits = t->vmm_exits;
	vmm_priv.kind = t->userspace_exit;
	src->priv = &vmm_priv;
	src->sees_reason = t->userspace_exit && t->userspace_exit < VMM_EXIT_SLOTS;
	src->sees_total = false;
	return 0;
}

static int vmm_read(struct counter_source *src, struct counter_reading *r,
		    char *why __maybe_unused, size_t len __maybe_unused)
{
	struct vmm_priv *p = src->priv;

	memset(r, 0, sizeof(*r));
	if (p->kind && p->kind < VMM_EXIT_SLOTS)
		r->reason = p->exits[p->kind];
	return 0;
}

const struct counter_source_ops counter_vmm = {
	.name = "vmm",
	.what = "exits that reach userspace, counted by the harness as it handles them",
	.open = vmm_open,
	.read = vmm_read,
};
