// SPDX-License-Identifier: GPL-2.0-only
/*
 * Course kernels' CPUID leaves 0x4FFFFFFC-0x4FFFFFFF: host-wide exit counts
 * that any guest reads, with no KVM capability to enable (unlike the
 * project's own leaves, counter_cpuid.c). Several layouts are in use
 * (lib/course_parse.h); this source finds which by probing: a reader vCPU
 * added to the test VM reads each leaf back to back, and the leaf that rises
 * by exactly the read's own CPUID exit is the per-reason one, the one that
 * rises by the read's two exits (its CPUID and the I/O exit of its report)
 * the total, one that rises by thousands counts cycles. Reason numbers are
 * the VMX basic reason or the SVM exit code, by vendor.
 *
 * The reader runs in a short-lived thread of its own, so the test's vCPU and
 * the per-thread tracepoint counter never see its exits; each read is one
 * CPUID and one I/O exit of the reader, taken off the counts of those two
 * reasons (and twice off the total). Its host interrupts cannot be taken
 * off: the source is piecewise (it does not judge exits of no reason).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "counters.h"
#include "course_parse.h"

#ifndef KVM_CAP_X86_EXIT_STATS_CPUID
#define KVM_CAP_X86_EXIT_STATS_CPUID 239
#endif

#define LEAF_BASE 0x4FFFFFFC
#define VMX_CPUID 10
#define VMX_IO 30
#define VMX_WBINVD 54
#define SVM_CPUID 0x72
#define SVM_IO 0x7b
#define SVM_WBINVD 0x89
/* Not a reason of either vendor: what does the kernel answer? */
#define UNDEFINED_REASON 0xFFFF

static struct {
	uint32_t leaf, ecx;
} course_cmd;

static void course_reader_guest(void)
{
	for (;;) {
		uint32_t eax = READ_ONCE(course_cmd.leaf), ecx = READ_ONCE(course_cmd.ecx), ebx, edx;

		__asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
		GUEST_SYNC4(eax, ebx, ecx, edx);
	}
}

static struct {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint64_t reads;		/* reads done: the reader's own CPUID and I/O exits */
} creader;

static void *creader_run(void *arg)
{
	struct ucall *uc = arg;

	vcpu_run(creader.vcpu);
	if (get_ucall(creader.vcpu, uc) != UCALL_SYNC)
		uc->cmd = UCALL_NONE;
	return NULL;
}

static int creader_cpuid(uint32_t leaf, uint32_t ecx, uint32_t regs[4])
{
	struct ucall uc = { 0 };
	pthread_t thr;
	int i;

	course_cmd.leaf = leaf;
	course_cmd.ecx = ecx;
	sync_global_to_guest(creader.vm, course_cmd);
	if (pthread_create(&thr, NULL, creader_run, &uc) || pthread_join(thr, NULL))
		return -1;
	if (uc.cmd != UCALL_SYNC)
		return -1;
	creader.reads++;
	for (i = 0; i < 4; i++)
		regs[i] = (uint32_t)uc.args[i];
	return 0;
}

#define TOTAL MAX_TARGET_REASONS

struct course_priv {
	enum course_layout layout;
	uint32_t total_leaf, reason_leaf;
	uint32_t cpuid_code, io_code;
	int n;
	uint32_t code[TOTAL + 1];
	uint32_t last[TOTAL + 1];
	uint64_t value[TOTAL + 1];
};

/* Counter @c (a plan reason, or TOTAL), less the reader's own exits. */
static int course_count(struct course_priv *p, int c, uint64_t *out)
{
	uint32_t regs[4];
	uint64_t own;

	if (creader_cpuid(c == TOTAL ? p->total_leaf : p->reason_leaf,
			  c == TOTAL ? 0 : p->code[c], regs))
		return -1;
	p->value[c] += (uint32_t)(regs[0] - p->last[c]);
	p->last[c] = regs[0];
	own = c == TOTAL ? 2 * creader.reads :
	      p->code[c] == p->cpuid_code || p->code[c] == p->io_code ? creader.reads : 0;
	*out = p->value[c] - own;
	return 0;
}

static uint32_t next_id(struct kvm_vm *vm)
{
	struct kvm_vcpu *vcpu;
	uint32_t id = 0;

	list_for_each_entry(vcpu, &vm->vcpus, list)
		if (vcpu->id >= id)
			id = vcpu->id + 1;
	return id;
}

/* Two back-to-back reads of @leaf with @ecx: how much EAX and EBX:ECX rose. */
static int probe_rise(uint32_t leaf, uint32_t ecx, uint32_t *eax_rise, uint64_t *ebx_ecx_rise)
{
	uint32_t a[4], b[4];

	if (creader_cpuid(leaf, ecx, a) || creader_cpuid(leaf, ecx, b))
		return -1;
	*eax_rise = b[0] - a[0];
	if (ebx_ecx_rise)
		*ebx_ecx_rise = (((uint64_t)b[1] << 32) | b[2]) - (((uint64_t)a[1] << 32) | a[2]);
	return 0;
}

static int course_open(struct counter_source *src, const struct counter_target *t,
		       char *why, size_t len)
{
	const struct expect_plan *plan = t->plan_all ? t->plan_all : t->plan;
	uint32_t idle, regs[4];
	struct leaf_probe probe = { 0 };
	struct course_priv *p;
	uint64_t v;
	int i, c;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the leaves take VMX or SVM reason numbers and this KVM is neither");
		return -1;
	}
	if (kvm_check_cap(KVM_CAP_X86_EXIT_STATS_CPUID)) {
		snprintf(why, len, "this is the project's patched kernel (KVM_CAP_X86_EXIT_STATS_CPUID): "
			 "its leaves are read by cpuid-a and cpuid-b");
		return -1;
	}
	if (creader.vm && creader.vm != t->vm) {
		snprintf(why, len, "one test VM per process");
		return -1;
	}
	if (!creader.vm) {
		creader.vm = t->vm;
		creader.vcpu = vm_vcpu_add(t->vm, next_id(t->vm), course_reader_guest);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->cpuid_code = t->vendor == VENDOR_SVM ? SVM_CPUID : VMX_CPUID;
	p->io_code = t->vendor == VENDOR_SVM ? SVM_IO : VMX_IO;
	idle = t->vendor == VENDOR_SVM ? SVM_WBINVD : VMX_WBINVD;
	/* The reader's first entry faults its pages in: not part of the probe. */
	if (creader_cpuid(0, 0, regs))
		goto broken;
	for (i = 0; i < 4; i++)
		if (probe_rise(LEAF_BASE + i, p->cpuid_code, &probe.rise_cpuid[i], &probe.rise_ebx_ecx[i]) ||
		    probe_rise(LEAF_BASE + i, idle, &probe.rise_idle[i], NULL))
			goto broken;
	p->layout = course_layout_classify(&probe, why, len);
	switch (p->layout) {
	case LAYOUT_A:
		p->total_leaf = 0x4FFFFFFF;
		p->reason_leaf = 0x4FFFFFFD;
		break;
	case LAYOUT_B:
		p->total_leaf = 0x4FFFFFFC;
		p->reason_leaf = 0x4FFFFFFE;
		break;
	case LAYOUT_TWO_LEAF:
		p->total_leaf = 0x4FFFFFFF;
		p->reason_leaf = 0x4FFFFFFE;
		break;
	case LAYOUT_NONE:
		goto fail;
	}
	if (creader_cpuid(p->reason_leaf, UNDEFINED_REASON, regs))
		goto broken;
	snprintf(src->found, sizeof(src->found),
		 "layout %s; undefined reason 0x%x: EAX 0x%x EBX 0x%x ECX 0x%x EDX 0x%x",
		 p->layout == LAYOUT_A ? "A" : p->layout == LAYOUT_B ? "B" : "two-leaf",
		 UNDEFINED_REASON, regs[0], regs[1], regs[2], regs[3]);
	for (c = 0; c < plan->n && c < 32; c++)
		p->code[c] = plan->r[c].code;
	p->n = c;
	src->priv = p;
	for (c = 0; c <= TOTAL; c++) {
		if (c == p->n)
			c = TOTAL;
		if (c < TOTAL && p->code[c] == EXIT_NONE)
			continue;
		if (course_count(p, c, &v))
			goto broken;
		p->value[c] = p->last[c];
		if (c < TOTAL)
			src->sees |= 1u << c;
	}
	src->sees_reason = false;
	src->sees_total = true;
	src->all_vcpus = true;
	src->piecewise = true;
	return 0;
broken:
	snprintf(why, len, "the CPUID reader vCPU did not answer");
fail:
	free(p);
	src->priv = NULL;
	return -1;
}

static int course_read(struct counter_source *src, struct counter_reading *r,
		       char *why, size_t len)
{
	struct course_priv *p = src->priv;
	int c;

	memset(r, 0, sizeof(*r));
	for (c = 0; c < p->n; c++)
		if ((src->sees & (1u << c)) && course_count(p, c, &r->each[c]))
			goto fail;
	if (course_count(p, TOTAL, &r->total))
		goto fail;
	return 0;
fail:
	snprintf(why, len, "the CPUID reader vCPU did not answer");
	return -1;
}

static void course_close(struct counter_source *src)
{
	free(src->priv);
	src->priv = NULL;
}

const struct counter_source_ops counter_course_cpuid = {
	.name = "course-cpuid",
	.what = "course kernel: ungated CPUID leaves 0x4FFFFFFC-0x4FFFFFFF, host-wide, layout (order A, order B, two-leaf) found by probing",
	.open = course_open,
	.read = course_read,
	.close = course_close,
	.explicit_only = true,
};
