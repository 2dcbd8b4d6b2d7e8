// SPDX-License-Identifier: GPL-2.0-only
/*
 * The patched kernel's CPUID leaves 0x4FFFFFFC-0x4FFFFFFF (the CMPE 283
 * interface): exit counts summed over every vCPU of every VM, read from
 * inside a guest. Two leaf orders exist (kernel/README.md); each is a source.
 *
 * The reads are done by a separate reader VM whose vCPU runs in a short-lived
 * thread, so the test's vCPU and the per-thread tracepoint counter never see
 * them. Each read is itself a CPUID exit, counted before the leaf returns its
 * value, and each is followed by one ucall (an IO exit): after k reads, a
 * value includes k CPUID and k - 1 IO exits of the reader, which are taken
 * off. Exit counts are 32 bits (EAX) and are extended across wrap-around.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "counters.h"

#define VMX_CPUID 10
#define VMX_IO 30
#define SVM_CPUID 0x72
#define SVM_IO 0x7b

struct leaf_order {
	uint32_t total_exits, reason_exits;
};

static const struct leaf_order order_a = { .total_exits = 0x4FFFFFFF, .reason_exits = 0x4FFFFFFD };
static const struct leaf_order order_b = { .total_exits = 0x4FFFFFFC, .reason_exits = 0x4FFFFFFE };

/* Written by the host before each read; the reader guest executes it. */
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
	uint64_t reads;		/* reads done so far: k */
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

/* Execute CPUID(@leaf, @ecx) in the reader guest; 0 or -1. */
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
	reader.reads++;
	for (i = 0; i < 4; i++)
		regs[i] = (uint32_t)uc.args[i];
	return 0;
}

struct cpuid_priv {
	const struct leaf_order *order;
	uint32_t code;
	bool reason_is_cpuid, reason_is_io;
	uint32_t last_reason, last_total;	/* raw EAX, for wrap-around */
	uint64_t ext_reason, ext_total;
};

/* Read one exit-count leaf; the value less the reader's own exits up to it. */
static int read_count(struct cpuid_priv *p, bool total, uint64_t *out)
{
	uint32_t regs[4];
	uint32_t *last = total ? &p->last_total : &p->last_reason;
	uint64_t *ext = total ? &p->ext_total : &p->ext_reason;
	uint64_t k, own;

	if (reader_cpuid(total ? p->order->total_exits : p->order->reason_exits,
			 total ? 0 : p->code, regs))
		return -1;
	*ext += (uint32_t)(regs[0] - *last);
	*last = regs[0];
	k = reader.reads;
	own = total ? k + (k - 1) : (p->reason_is_cpuid ? k : 0) + (p->reason_is_io ? k - 1 : 0);
	*out = *ext - own;
	return 0;
}

static int cpuid_open(struct counter_source *src, const struct counter_target *t,
		      const struct leaf_order *order, char *why, size_t len)
{
	struct cpuid_priv *p;
	uint32_t regs[4], first;
	uint32_t cpuid_code;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the leaves take VMX or SVM reason numbers and this KVM is neither");
		return -1;
	}
	if (!reader.vm)
		reader.vm = vm_create_with_one_vcpu(&reader.vcpu, reader_guest);
	reader.users++;

	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->order = order;
	p->code = t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx;
	cpuid_code = t->vendor == VENDOR_SVM ? SVM_CPUID : VMX_CPUID;
	p->reason_is_cpuid = p->code == cpuid_code;
	p->reason_is_io = p->code == (t->vendor == VENDOR_SVM ? SVM_IO : VMX_IO);
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
	if (reader_cpuid(order->reason_exits, p->code, regs))
		goto broken;
	p->last_reason = regs[0];
	p->ext_reason = regs[0];
	if (reader_cpuid(order->total_exits, 0, regs))
		goto broken;
	p->last_total = regs[0];
	p->ext_total = regs[0];
	src->sees_reason = true;
	src->sees_total = true;
	return 0;
broken:
	snprintf(why, len, "the CPUID reader guest did not answer");
fail:
	free(p);
	src->priv = NULL;
	reader.users--;
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

	if (read_count(p, false, &r->reason) || read_count(p, true, &r->total)) {
		snprintf(why, len, "the CPUID reader guest did not answer");
		return -1;
	}
	return 0;
}

static void cpuid_close(struct counter_source *src)
{
	free(src->priv);
	src->priv = NULL;
	if (reader.vm && --reader.users <= 0) {
		kvm_vm_free(reader.vm);
		reader.vm = NULL;
		reader.users = 0;
	}
}

const struct counter_source_ops counter_cpuid_a = {
	.name = "cpuid-a",
	.what = "patched kernel: CPUID leaves in order A (0x4FFFFFFF total, 0x4FFFFFFD per reason), global sums read from a reader guest",
	.open = cpuid_a_open,
	.read = cpuid_read,
	.close = cpuid_close,
};

const struct counter_source_ops counter_cpuid_b = {
	.name = "cpuid-b",
	.what = "patched kernel: CPUID leaves in order B (0x4FFFFFFC total, 0x4FFFFFFE per reason), global sums read from a reader guest",
	.open = cpuid_b_open,
	.read = cpuid_read,
	.close = cpuid_close,
};
