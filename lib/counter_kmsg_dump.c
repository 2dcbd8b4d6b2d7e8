// SPDX-License-Identifier: GPL-2.0-only
/*
 * Course kernels that print every non-zero reason's count to the kernel log
 * each time their global exit total reaches a multiple of N, e.g.
 *   KVM Exit: 10 (CPUID) occurred 5000 times
 * (the line format and its variants: lib/course_parse.h). The kernel prints
 * on its own schedule, so at each reading this source makes it print: a pad
 * vCPU added to the test VM, run in a thread of its own, makes I/O exits to
 * userspace one KVM_RUN at a time until a new dump shows up in /dev/kmsg.
 * A dump printed in an exit is in the log when KVM_RUN returns, so the pads
 * before it are known exactly when that KVM_RUN made one exit only (its
 * "exits" stat says so); when it made more (a host interrupt came first,
 * which might have been the exit that printed), the source pads on to the
 * next dump. A reading is the dump less the pads so far; a window is the
 * difference of two. Reason numbers come from the lines, never the names,
 * which are kept for ./check_kernel to compare with the kernel's tables.
 *
 * Its readings add exits, so it counts in the untimed window only. The
 * counts are host-wide; the pad vCPU's host interrupts stay in them, so it
 * is piecewise (does not judge exits of no reason). Probing a kernel that
 * never dumps costs PROBE_PADS exits: the answer is kept for the boot in
 * ABSENT_FILE, and a kernel log that already holds dump lines needs none.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"

#include "counters.h"
#include "course_parse.h"
#include "kvm_stats.h"

#define PAD_PORT 0x1e7
#define PROBE_PADS 60000
#define READ_PADS 1000000
#define ABSENT_FILE "/tmp/exitbench-kmsg-dump-absent"
#define VMX_IO 30
#define SVM_IO 0x7b

static void pad_guest(void)
{
	for (;;)
		__asm__ __volatile__("outb %%al, %%dx" : : "a"(0), "d"(PAD_PORT));
}

struct kmsg_priv {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kvm_stats stats;
	const struct kvm_stats_desc *exits;
	int kmsg;
	int io_bucket;
	int reason_bucket;	/* the test's reason; -1 none */
	struct dump_parser dp;
	uint64_t pads;		/* I/O exits of the pad vCPU so far */
	uint64_t limit;
	uint64_t gcd;		/* of the dump totals seen: N, as far as they tell */
	struct exit_dump dump;	/* the dump of the latest reading */
	uint64_t dump_pads;	/* pads before it */
	bool ok;
	char why[200];
};

static struct kmsg_priv *kpriv;	/* one pad vCPU per test VM */

/* Feed the kernel log's new records to the parser; flush at its end. */
static void drain(struct kmsg_priv *p)
{
	char rec[1024];

	for (;;) {
		ssize_t n = read(p->kmsg, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		dump_parser_line(&p->dp, msg);
	}
	dump_parser_flush(&p->dp);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Pad until a dump whose pads are known (in the pad thread). */
static void *pad_run(void *arg)
{
	struct kmsg_priv *p = arg;
	uint64_t start = p->pads, exits0, exits1;

	p->ok = false;
	drain(p);	/* what came before is not this reading's */
	p->dp.dumps = 0;
	if (kvm_stats_read(&p->stats, p->exits, &exits0, 1)) {
		snprintf(p->why, sizeof(p->why), "cannot read the pad vCPU's exits stat");
		return NULL;
	}
	while (p->pads - start < p->limit) {
		struct kvm_run *run = p->vcpu->run;

		if (_vcpu_run(p->vcpu)) {
			snprintf(p->why, sizeof(p->why), "KVM_RUN of the pad vCPU failed: %s", strerror(errno));
			return NULL;
		}
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != PAD_PORT) {
			snprintf(p->why, sizeof(p->why), "the pad vCPU exited to userspace with %u, not its I/O",
				 run->exit_reason);
			return NULL;
		}
		p->pads++;
		if (kvm_stats_read(&p->stats, p->exits, &exits1, 1)) {
			snprintf(p->why, sizeof(p->why), "cannot read the pad vCPU's exits stat");
			return NULL;
		}
		drain(p);
		if (p->dp.dumps && exits1 - exits0 == 1) {
			p->dump = p->dp.last;
			p->dump_pads = p->pads;
			p->ok = true;
			return NULL;
		}
		/* A dump after more than one exit: which one printed it? Pad on. */
		p->dp.dumps = 0;
		exits0 = exits1;
	}
	snprintf(p->why, sizeof(p->why), "no exit dump in the kernel log after %llu padding I/O exits",
		 (unsigned long long)p->limit);
	return NULL;
}

static int pad_to_dump(struct kmsg_priv *p, uint64_t limit)
{
	pthread_t thr;

	p->limit = limit;
	if (pthread_create(&thr, NULL, pad_run, p) || pthread_join(thr, NULL)) {
		snprintf(p->why, sizeof(p->why), "cannot start the pad thread");
		return -1;
	}
	return p->ok ? 0 : -1;
}

/* Any dump line in the log since boot? */
static bool log_has_dumps(void)
{
	struct dump_parser dp;
	char rec[1024];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	dump_parser_init(&dp, VENDOR_VMX);
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (msg)
			dump_parser_line(&dp, msg + 1);
	}
	close(fd);
	dump_parser_flush(&dp);
	return dp.dumps > 0;
}

static void note_dump(struct counter_source *src, struct kmsg_priv *p)
{
	int i;

	for (i = 0; i < p->dump.n_names; i++)
		counter_source_note_name(src, p->dump.names[i].code, p->dump.names[i].name);
	p->gcd = gcd(p->gcd, p->dump.total);
	snprintf(src->found, sizeof(src->found),
		 "exit dumps in the kernel log; their totals are multiples of %llu exits; %llu padding exits so far",
		 (unsigned long long)p->gcd, (unsigned long long)p->pads);
}

static int kmsg_open(struct counter_source *src, const struct counter_target *t,
		     char *why, size_t len)
{
	struct kmsg_priv *p = kpriv;
	uint32_t code;
	FILE *f;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the dumps name VMX or SVM reasons and this KVM is neither");
		return -1;
	}
	f = fopen(ABSENT_FILE, "r");
	if (f) {
		fclose(f);
		snprintf(why, len, "absent: an earlier probe in this boot found no exit dumps in the kernel log (%s)",
			 ABSENT_FILE);
		return -1;
	}
	if (p && p->vm != t->vm) {
		snprintf(why, len, "one test VM per process");
		return -1;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			abort();
		p->vm = t->vm;
		p->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (p->kmsg < 0 || lseek(p->kmsg, 0, SEEK_END) < 0) {
			snprintf(why, len, "cannot read /dev/kmsg: %s", strerror(errno));
			goto fail;
		}
		p->vcpu = vm_vcpu_add(t->vm, 0x40 + t->vcpu->id, pad_guest);
		if (kvm_stats_open_vcpu(&p->stats, p->vcpu->fd) ||
		    !(p->exits = kvm_stats_find(&p->stats, "exits"))) {
			snprintf(why, len, "the pad vCPU has no exits stat");
			goto fail;
		}
		p->io_bucket = exit_bucket(t->vendor, t->vendor == VENDOR_SVM ? SVM_IO : VMX_IO);
		dump_parser_init(&p->dp, t->vendor);
		kpriv = p;
	}
	if (pad_to_dump(p, log_has_dumps() ? READ_PADS : PROBE_PADS)) {
		if (!log_has_dumps()) {
			f = fopen(ABSENT_FILE, "w");
			if (f)
				fclose(f);
		}
		snprintf(why, len, "%s", p->why);
		return -1;
	}
	note_dump(src, p);
	code = t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx;
	p->reason_bucket = code == EXIT_NONE ? -1 : exit_bucket(t->vendor, code);
	src->priv = p;
	src->has_buckets = false;
	src->sees_reason = true;
	src->sees_total = true;
	src->all_vcpus = true;
	src->piecewise = true;
	return 0;
fail:
	if (p->kmsg >= 0)
		close(p->kmsg);
	free(p);
	return -1;
}

static int kmsg_read(struct counter_source *src, struct counter_reading *r, char *why, size_t len)
{
	struct kmsg_priv *p = src->priv;
	int i;

	if (pad_to_dump(p, READ_PADS)) {
		snprintf(why, len, "%s", p->why);
		return -1;
	}
	note_dump(src, p);
	memset(r, 0, sizeof(*r));
	for (i = 0; i < EXIT_BUCKETS; i++)
		r->buckets[i] = p->dump.buckets[i];
	r->buckets[p->io_bucket] -= p->dump_pads;
	r->total = p->dump.total - p->dump_pads;
	r->has_buckets = true;
	r->reason = p->reason_bucket >= 0 ? r->buckets[p->reason_bucket] : 0;
	return 0;
}

static void kmsg_close(struct counter_source *src)
{
	src->priv = NULL;	/* the pad vCPU stays with its VM */
}

const struct counter_source_ops counter_kmsg_dump = {
	.name = "kmsg-dump",
	.what = "course kernel: per-reason exit dumps printed every N exits to the kernel log, made to print by padding with I/O exits",
	.open = kmsg_open,
	.read = kmsg_read,
	.close = kmsg_close,
	/* Reading pads with exits of its own: a window of its own. */
	.own_window = true,
	.explicit_only = true,
};
