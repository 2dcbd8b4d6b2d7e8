// SPDX-License-Identifier: GPL-2.0-only
/*
 * The patched kernel's CPUID leaves 0x4FFFFFF8-0x4FFFFFFF (the CMPE 283
 * interface, kernel/README.md): the exit counts of the reading VM, read from
 * inside it. The VMM must enable them (KVM_CAP_X86_EXIT_STATS_CPUID); this
 * source does so for the test VM. Two leaf orders exist; each is a source.
 *
 * The reads are done by a reader vCPU added to the test VM, run in a
 * short-lived thread of its own, so the test's vCPU and the per-thread
 * tracepoint counter never see them. Every exit of the reader counts in the
 * VM's sums: after each read its own exits are taken off, read from its
 * exits_by_reason stat (the ucall that reports the read, one I/O exit after
 * the CPUID, excepted). So a value is the VM's other vCPUs' exits at the
 * moment of the read. Exit counts are 32 bits (EAX) and are extended across
 * wrap-around. Each reason of the test's plan is one leaf read per reading;
 * the sums cover every vCPU of the VM but the reader's: with several, the
 * source counts them all together. Leaves 0x4FFFFFF8-0x4FFFFFFB give the
 * part taken in L2, read for nested plans only (each read is one more exit
 * of the reader).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "counters.h"
#include "kvm_stats.h"

#ifndef KVM_CAP_X86_EXIT_STATS_CPUID
#define KVM_CAP_X86_EXIT_STATS_CPUID 239
#endif

#define VMX_CPUID 10
#define VMX_IO 30
#define SVM_CPUID 0x72
#define SVM_IO 0x7b
/* The L2 leaves are 4 below the leaves of all levels. */
#define L2_LEAF_OFFSET 4

struct leaf_order {
	uint32_t total_exits, reason_exits;
};

static const struct leaf_order order_a = { .total_exits = 0x4FFFFFFF, .reason_exits = 0x4FFFFFFD };
static const struct leaf_order order_b = { .total_exits = 0x4FFFFFFC, .reason_exits = 0x4FFFFFFE };

/* Written by the host before each read; the reader vCPU executes it. */
static struct {
	uint32_t leaf, ecx;
} reader_cmd;

static void reader_guest(void)
{
	for (;;) {
		uint32_t eax = READ_ONCE(reader_cmd.leaf), ecx = READ_ONCE(reader_cmd.ecx), ebx, edx;

		__asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
		GUEST_SYNC4(eax, ebx, ecx, edx);
	}
}

static struct {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kvm_stats stats;
	const struct kvm_stats_desc *desc;
	int io_bucket;
	/* Its own exits as of its latest CPUID (the ucall after it not yet). */
	uint64_t own[EXIT_BUCKETS];
	uint64_t own_total;
	int users;
} reader;

static void *reader_run(void *arg)
{
	struct ucall *uc = arg;

	vcpu_run(reader.vcpu);
	if (get_ucall(reader.vcpu, uc) != UCALL_SYNC)
		uc->cmd = UCALL_NONE;
	return NULL;
}

/* Execute CPUID(@leaf, @ecx) in the reader vCPU; 0 or -1. */
static int reader_cpuid(uint32_t leaf, uint32_t ecx, uint32_t regs[4])
{
	struct ucall uc = { 0 };
	pthread_t thr;
	int i;

	reader_cmd.leaf = leaf;
	reader_cmd.ecx = ecx;
	sync_global_to_guest(reader.vm, reader_cmd);
	if (pthread_create(&thr, NULL, reader_run, &uc) || pthread_join(thr, NULL))
		return -1;
	if (uc.cmd != UCALL_SYNC)
		return -1;
	if (kvm_stats_read(&reader.stats, reader.desc, reader.own, EXIT_BUCKETS))
		return -1;
	reader.own[reader.io_bucket]--;
	reader.own_total = 0;
	for (i = 0; i < EXIT_BUCKETS; i++)
		reader.own_total += reader.own[i];
	for (i = 0; i < 4; i++)
		regs[i] = (uint32_t)uc.args[i];
	return 0;
}

/* Counter c of a reading: the plan's reasons, then (TOTAL) every exit. */
#define TOTAL MAX_TARGET_REASONS

/* An EAX exit count extended to 64 bits across wrap-around. */
struct ext_count {
	uint32_t last;
	uint64_t value;
};

struct cpuid_priv {
	const struct leaf_order *order;
	int n;					/* plan reasons read */
	bool l2;				/* also the L2 leaves (a nested plan) */
	uint32_t code[TOTAL + 1];
	int bucket[TOTAL + 1];			/* the reader's own exits: -1 none */
	struct ext_count all[TOTAL + 1], in_l2[TOTAL + 1];
};

/* Read counter @c of @l2's level; the value less the reader's own exits up to it. */
static int read_count(struct cpuid_priv *p, int c, bool l2, uint64_t *out)
{
	uint32_t leaf = (c == TOTAL ? p->order->total_exits : p->order->reason_exits) -
			(l2 ? L2_LEAF_OFFSET : 0);
	struct ext_count *e = l2 ? &p->in_l2[c] : &p->all[c];
	uint32_t regs[4];
	uint64_t own;

	if (reader_cpuid(leaf, c == TOTAL ? 0 : p->code[c], regs))
		return -1;
	e->value += (uint32_t)(regs[0] - e->last);
	e->last = regs[0];
	/* The reader never runs L2. */
	own = l2 ? 0 : c == TOTAL ? reader.own_total :
	      p->bucket[c] >= 0 ? reader.own[p->bucket[c]] : 0;
	*out = e->value - own;
	return 0;
}

/* One past the highest vCPU id of @vm: the test may have several vCPUs. */
static uint32_t next_vcpu_id(struct kvm_vm *vm)
{
	struct kvm_vcpu *vcpu;
	uint32_t id = 0;

	list_for_each_entry(vcpu, &vm->vcpus, list)
		if (vcpu->id >= id)
			id = vcpu->id + 1;
	return id;
}

static void reader_put(void)
{
	if (--reader.users == 0)
		kvm_stats_close(&reader.stats);
}

/*
 * The reader vCPU of @t's VM, added on first use; it stays in the VM (a vCPU
 * cannot be taken out), its stats fd only while a source uses it.
 */
static int reader_get(const struct counter_target *t, char *why, size_t len)
{
	if (reader.users) {
		reader.users++;
		return 0;
	}
	if (reader.vm != t->vm) {
		if (!kvm_check_cap(KVM_CAP_X86_EXIT_STATS_CPUID)) {
			snprintf(why, len, "absent: this kernel has no KVM_CAP_X86_EXIT_STATS_CPUID "
				 "(not built with kernel/patches)");
			return -1;
		}
		if (__vm_enable_cap(t->vm, KVM_CAP_X86_EXIT_STATS_CPUID, 1)) {
			snprintf(why, len, "KVM_ENABLE_CAP(KVM_CAP_X86_EXIT_STATS_CPUID) failed: %s",
				 strerror(errno));
			return -1;
		}
		reader.vm = t->vm;
		reader.vcpu = vm_vcpu_add(t->vm, next_vcpu_id(t->vm), reader_guest);
		reader.io_bucket = exit_bucket(t->vendor, t->vendor == VENDOR_SVM ? SVM_IO : VMX_IO);
	}
	if (kvm_stats_open_vcpu(&reader.stats, reader.vcpu->fd) ||
	    !(reader.desc = kvm_stats_find(&reader.stats, "exits_by_reason")) ||
	    reader.desc->size != EXIT_BUCKETS) {
		snprintf(why, len, "absent: the reader vCPU has no exits_by_reason stat to take its own exits off");
		kvm_stats_close(&reader.stats);
		return -1;
	}
	reader.users = 1;
	return 0;
}

static int cpuid_open(struct counter_source *src, const struct counter_target *t,
		      const struct leaf_order *order, char *why, size_t len)
{
	const struct expect_plan *plan = t->plan_all ? t->plan_all : t->plan;
	uint32_t regs[4], first, cpuid_code;
	struct cpuid_priv *p;
	uint64_t v;
	int c;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the leaves take VMX or SVM reason numbers and this KVM is neither");
		return -1;
	}
	if (reader_get(t, why, len))
		return -1;

	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->order = order;
	cpuid_code = t->vendor == VENDOR_SVM ? SVM_CPUID : VMX_CPUID;
	for (c = 0; c < plan->n && c < 32; c++) {
		p->code[c] = plan->r[c].code;
		p->bucket[c] = p->code[c] == EXIT_NONE ? -1 : exit_bucket(t->vendor, p->code[c]);
	}
	p->n = c;
	p->l2 = plan->nested;
	src->priv = p;

	/*
	 * Does this kernel answer in this order? Two back-to-back reads of the
	 * CPUID count must differ by exactly the second read's own exit.
	 */
	if (reader_cpuid(order->reason_exits, cpuid_code, regs))
		goto broken;
	first = regs[0];
	if (reader_cpuid(order->reason_exits, cpuid_code, regs))
		goto broken;
	if (regs[3] == 0xFFFFFFFF || regs[0] - first != 1) {
		snprintf(why, len, "leaf 0x%X does not count CPUID exits (EAX %u then %u, EDX 0x%x): "
			 "not a patched kernel, or it answers in the other leaf order",
			 order->reason_exits, first, regs[0], regs[3]);
		goto fail;
	}
	/* Start the extended counts from the current raw values. */
	for (c = 0; c <= TOTAL; c++) {
		if (c == p->n)
			c = TOTAL;
		if (read_count(p, c, false, &v) || (p->l2 && read_count(p, c, true, &v)))
			goto broken;
		p->all[c].value = p->all[c].last;
		p->in_l2[c].value = p->in_l2[c].last;
		if (c < TOTAL)
			src->sees |= 1u << c;
	}
	src->sees_reason = false;	/* the plan's reasons, by index */
	src->sees_total = true;
	src->all_vcpus = true;
	src->piecewise = true;
	return 0;
broken:
	snprintf(why, len, "the CPUID reader vCPU did not answer");
fail:
	free(p);
	src->priv = NULL;
	reader_put();
	return -1;
}

static int cpuid_a_open(struct counter_source *src, const struct counter_target *t,
			char *why, size_t len)
{
	return cpuid_open(src, t, &order_a, why, len);
}

static int cpuid_b_open(struct counter_source *src, const struct counter_target *t,
			char *why, size_t len)
{
	return cpuid_open(src, t, &order_b, why, len);
}

static int cpuid_read(struct counter_source *src, struct counter_reading *r,
		      char *why, size_t len)
{
	struct cpuid_priv *p = src->priv;
	int c;

	memset(r, 0, sizeof(*r));
	for (c = 0; c < p->n; c++)
		if (read_count(p, c, false, &r->each[c]) ||
		    (p->l2 && read_count(p, c, true, &r->l2_each[c])))
			goto fail;
	if (read_count(p, TOTAL, false, &r->total) ||
	    (p->l2 && read_count(p, TOTAL, true, &r->l2_total)))
		goto fail;
	r->has_l2 = p->l2;
	return 0;
fail:
	snprintf(why, len, "the CPUID reader vCPU did not answer");
	return -1;
}

static void cpuid_close(struct counter_source *src)
{
	if (!src->priv)
		return;
	free(src->priv);
	src->priv = NULL;
	reader_put();
}

const struct counter_source_ops counter_cpuid_a = {
	.name = "cpuid-a",
	.what = "patched kernel: CPUID leaves in order A (0x4FFFFFFF total, 0x4FFFFFFD per reason), the test VM's own exits, read by a reader vCPU of that VM in its own thread",
	.open = cpuid_a_open,
	.read = cpuid_read,
	.close = cpuid_close,
};

const struct counter_source_ops counter_cpuid_b = {
	.name = "cpuid-b",
	.what = "patched kernel: CPUID leaves in order B (0x4FFFFFFC total, 0x4FFFFFFE per reason), the test VM's own exits, read by a reader vCPU of that VM in its own thread",
	.open = cpuid_b_open,
	.read = cpuid_read,
	.close = cpuid_close,
};
