// SPDX-License-Identifier: GPL-2.0-only
/*
 * The patched kernel's summaries in the kernel log (kernel/README.md, "Kernel
 * log summaries"): writing kvm.exit_stats_log_ms asks every vCPU for a
 * snapshot of its stats, which it takes before its next VM-entry, and a
 * worker prints it, after a prefix, as the rows of the debugfs table:
 *   kvm: exit_stats: pid P vcpu V total <count> <cycles> <l2_count> <l2_cycles>
 *   kvm: exit_stats: pid P vcpu V <reason> <count> <cycles> <l2_count> <l2_cycles> <NAME>
 *   kvm: exit_stats: pid P vcpu V end <rows>
 *
 * So at each reading this source writes the parameter while the vCPU is
 * stopped, runs the guest through one do-nothing round (the "kick", whose
 * first VM-entry takes the snapshot), restores the parameter and waits for
 * the summary in /dev/kmsg. The snapshot holds the counts from before the
 * kick, which the vCPU's exits_by_reason stat read then must equal exactly;
 * the exits of earlier kicks are taken off. The kicks make it count in the
 * untimed window only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "debugfs_table.h"
#include "kvm_stats.h"

#define LOG_PARAM "/sys/module/kvm/parameters/exit_stats_log_ms"
#define LOG_PREFIX "kvm: exit_stats: "
/* While reading, the next periodic summary would come an hour later. */
#define LOG_PERIOD_MS "3600000"
#define SUMMARY_WAIT_MS 3000

struct dmesg_priv {
	int kmsg;
	struct kvm_stats stats;
	const struct kvm_stats_desc *desc, *l2;
	const struct counter_target *t;
	enum vendor vendor;
	int bucket;
	int pid, vcpu_id;
	char old_period[32];
	/* Exits of each bucket that the kicks added so far. */
	uint64_t kicked[EXIT_BUCKETS], l2_kicked[EXIT_BUCKETS];
};

static int write_param(const char *val)
{
	int fd = open(LOG_PARAM, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

struct summary {
	uint64_t total, l2_total;
	uint64_t buckets[EXIT_BUCKETS], l2_buckets[EXIT_BUCKETS];
	int rows;
};

enum { SUMMARY_NONE, SUMMARY_PARTIAL, SUMMARY_DONE };

/*
 * Fold the /dev/kmsg records that are new since the last call into @s, this
 * vCPU's summary; returns SUMMARY_DONE once its end line came, -1 with @why
 * on a malformed line.
 */
static int read_summary(struct dmesg_priv *p, struct summary *s, int state, char *why, size_t len)
{
	char rec[2048], head[64];

	snprintf(head, sizeof(head), LOG_PREFIX "pid %d vcpu %d ", p->pid, p->vcpu_id);
	for (;;) {
		ssize_t n = read(p->kmsg, rec, sizeof(rec) - 1);
		unsigned long long a, b, c, d;
		struct exit_table_row row;
		char *msg, *nl, *rest;
		int rows, bucket;

		if (n < 0 && errno == EPIPE)	/* records overwritten: go on */
			continue;
		if (n <= 0)
			return state;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (strncmp(msg, head, strlen(head)))
			continue;	/* another vCPU's or another subsystem's line */
		rest = msg + strlen(head);
		if (sscanf(rest, "total %llu %llu %llu %llu", &a, &b, &c, &d) == 4) {
			memset(s, 0, sizeof(*s));
			s->total = a;
			s->l2_total = c;
			state = SUMMARY_PARTIAL;
			continue;
		}
		if (state == SUMMARY_NONE)
			continue;	/* the tail of a summary that began before */
		if (sscanf(rest, "end %d", &rows) == 1) {
			if (state != SUMMARY_PARTIAL || rows != s->rows) {
				snprintf(why, len, "kernel log summary of pid %d vcpu %d ends after %d rows, "
					 "says %d", p->pid, p->vcpu_id, s->rows, rows);
				return -1;
			}
			state = SUMMARY_DONE;
			continue;
		}
		if (exit_table_parse_row(rest, &row)) {
			snprintf(why, len, "malformed kernel log line '%s'", msg);
			return -1;
		}
		bucket = exit_table_row_bucket(p->vendor, &row);
		s->buckets[bucket] += row.count;
		s->l2_buckets[bucket] += row.l2_count;
		s->rows++;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int dmesg_read(struct counter_source *src, struct counter_reading *r, char *why, size_t len)
{
	struct dmesg_priv *p = src->priv;
	uint64_t before[EXIT_BUCKETS], l2_before[EXIT_BUCKETS];
	uint64_t after[EXIT_BUCKETS], l2_after[EXIT_BUCKETS];
	struct summary s;
	int i, waited, state, rc;

	read_summary(p, &s, SUMMARY_NONE, why, len);	/* drop what came before */
	if (kvm_stats_read(&p->stats, p->desc, before, EXIT_BUCKETS) ||
	    kvm_stats_read(&p->stats, p->l2, l2_before, EXIT_BUCKETS)) {
		snprintf(why, len, "reading exits_by_reason failed");
		return -1;
	}
	if (write_param(LOG_PERIOD_MS)) {
		snprintf(why, len, "cannot set %s: %s", LOG_PARAM, strerror(errno));
		return -1;
	}
	rc = p->t->kick(p->t);
	write_param(p->old_period);
	if (rc) {
		snprintf(why, len, "the guest did not complete a kick round");
		return -1;
	}
	if (kvm_stats_read(&p->stats, p->desc, after, EXIT_BUCKETS) ||
	    kvm_stats_read(&p->stats, p->l2, l2_after, EXIT_BUCKETS)) {
		snprintf(why, len, "reading exits_by_reason failed");
		return -1;
	}
	state = SUMMARY_NONE;
	for (waited = 0; state != SUMMARY_DONE; waited += 10) {
		state = read_summary(p, &s, state, why, len);
		if (state < 0)
			return -1;
		if (state != SUMMARY_DONE && waited >= SUMMARY_WAIT_MS) {
			snprintf(why, len, "no complete exit_stats summary of pid %d vcpu %d in the kernel log "
				 "within %d ms of writing %s", p->pid, p->vcpu_id, SUMMARY_WAIT_MS, LOG_PARAM);
			return -1;
		}
		if (state != SUMMARY_DONE)
			sleep_ms(10);
	}
	/* The snapshot was taken before the kick's first entry: it is 'before'. */
	for (i = 0; i < EXIT_BUCKETS; i++) {
		if (s.buckets[i] != before[i] || s.l2_buckets[i] != l2_before[i]) {
			snprintf(why, len, "the kernel log summary does not match exits_by_reason before the kick "
				 "(bucket 0x%x: %llu and %llu in L2 logged, %llu and %llu counted)", i,
				 (unsigned long long)s.buckets[i], (unsigned long long)s.l2_buckets[i],
				 (unsigned long long)before[i], (unsigned long long)l2_before[i]);
			return -1;
		}
	}
	r->total = s.total;
	r->l2_total = s.l2_total;
	for (i = 0; i < EXIT_BUCKETS; i++) {
		r->buckets[i] = s.buckets[i] - p->kicked[i];
		r->l2_buckets[i] = s.l2_buckets[i] - p->l2_kicked[i];
		r->total -= p->kicked[i];
		r->l2_total -= p->l2_kicked[i];
		p->kicked[i] += after[i] - before[i];
		p->l2_kicked[i] += l2_after[i] - l2_before[i];
	}
	r->has_buckets = true;
	r->has_l2 = true;
	r->reason = r->buckets[p->bucket];
	r->l2_reason = r->l2_buckets[p->bucket];
	return 0;
}

static int dmesg_open(struct counter_source *src, const struct counter_target *t,
		      char *why, size_t len)
{
	struct dmesg_priv *p;
	FILE *f;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the summaries name VMX or SVM reasons and this KVM is neither");
		return -1;
	}
	if (!t->kick) {
		snprintf(why, len, "the runner cannot kick the guest");
		return -1;
	}
	f = fopen(LOG_PARAM, "r");
	if (!f) {
		snprintf(why, len, "absent: this kernel has no kvm.exit_stats_log_ms "
			 "(not built with kernel/patches)");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->kmsg = -1;
	if (!fgets(p->old_period, sizeof(p->old_period), f))
		snprintf(p->old_period, sizeof(p->old_period), "0");
	fclose(f);
	p->old_period[strcspn(p->old_period, "\n")] = 0;
	if (access(LOG_PARAM, W_OK)) {
		snprintf(why, len, "cannot write %s: run as root", LOG_PARAM);
		goto fail;
	}
	if (kvm_stats_open_vcpu(&p->stats, t->vcpu->fd) ||
	    !(p->desc = kvm_stats_find(&p->stats, "exits_by_reason")) || p->desc->size != EXIT_BUCKETS ||
	    !(p->l2 = kvm_stats_find(&p->stats, "l2_exits_by_reason")) || p->l2->size != EXIT_BUCKETS) {
		snprintf(why, len, "needs the exits_by_reason and l2_exits_by_reason vCPU stats to check the summaries");
		goto fail;
	}
	p->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (p->kmsg < 0 || lseek(p->kmsg, 0, SEEK_END) < 0) {
		snprintf(why, len, "cannot read /dev/kmsg: %s", strerror(errno));
		goto fail;
	}
	p->t = t;
	p->vendor = t->vendor;
	p->bucket = exit_bucket(t->vendor, t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx);
	p->pid = (int)getpid();
	p->vcpu_id = (int)t->vcpu->id;
	src->priv = p;
	src->sees_reason = true;
	src->sees_total = true;
	return 0;
fail:
	if (p->kmsg >= 0)
		close(p->kmsg);
	kvm_stats_close(&p->stats);
	free(p);
	return -1;
}

static void dmesg_close(struct counter_source *src)
{
	struct dmesg_priv *p = src->priv;

	if (!p)
		return;
	close(p->kmsg);
	kvm_stats_close(&p->stats);
	free(p);
	src->priv = NULL;
}

const struct counter_source_ops counter_dmesg = {
	.name = "dmesg",
	.what = "patched kernel: exit_stats summaries in the kernel log, asked for at each reading",
	.open = dmesg_open,
	.read = dmesg_read,
	.close = dmesg_close,
	/* Reading runs the guest (and waits out a rate limit): a window of its own. */
	.own_window = true,
};
