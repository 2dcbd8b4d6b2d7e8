// SPDX-License-Identifier: GPL-2.0-only
/*
 * The patched kernel's summaries in the kernel log (kernel/README.md,
 * "Interface 4"): with kvm.exit_stats_log_interval=N a vCPU logs
 *   kvm: exit_stats: pid P vcpu V total count C cycles Y
 *   kvm: exit_stats: pid P vcpu V reason <R> <NAME> count C cycles Y
 * every N of its exits, at most one summary a second over all vCPUs.
 *
 * A summary shows the vCPU's counts at the exit that printed it, so this
 * source makes one at each reading: it waits out the rate limit, sets the
 * interval to 1, runs the guest through one do-nothing round (the "kick",
 * whose first exit prints), restores the interval and parses the newest
 * summary of this vCPU from /dev/kmsg. The kick's own exits are taken off,
 * found from the vCPU's exits_by_reason stat around it; that stat also
 * checks the printed line: at the printing exit the two must agree. The
 * waits and kicks make it slow (about a second per reading), so it counts
 * in the untimed window only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "kvm_stats.h"

#define INTERVAL_PARAM "/sys/module/kvm/parameters/exit_stats_log_interval"
#define LOG_PREFIX "kvm: exit_stats: "

struct dmesg_priv {
	int kmsg;
	struct kvm_stats stats;
	const struct kvm_stats_desc *desc;
	const struct counter_target *t;
	enum vendor vendor;
	int bucket;
	int pid, vcpu_id;
	char old_interval[32];
	/* Exits of each bucket that the kicks added so far. */
	uint64_t kicked[EXIT_BUCKETS];
};

static int write_param(const char *val)
{
	int fd = open(INTERVAL_PARAM, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* One summary: the counts it printed, by bucket. */
struct summary_rec {
	bool complete;
	uint64_t total;
	uint64_t buckets[EXIT_BUCKETS];
};

/* "10 CPUID", "0x72 cpuid", "0x46 UD excp", "- FAILED_ENTRY", "- UNKNOWN". */
static int label_bucket(enum vendor v, const char *label)
{
	char *end;
	unsigned long long code;

	if (!strncmp(label, "- ", 2))
		return strstr(label, "FAILED_ENTRY") ? EXIT_BUCKET_FAILED : EXIT_BUCKET_UNKNOWN;
	errno = 0;
	code = strtoull(label, &end, 0);
	if (errno || end == label || *end != ' ' || code > 0xffffffffULL)
		return -1;
	return exit_bucket(v, (uint32_t)code);
}

/*
 * Parse the records of /dev/kmsg that are new since the last call into the
 * newest complete summary of this vCPU; 0 if one was found, 1 if none, -1
 * with @why on a malformed line.
 */
static int read_summaries(struct dmesg_priv *p, struct summary_rec *out, char *why, size_t len)
{
	struct summary_rec cur = { 0 };
	char rec[2048], head[64];
	bool found = false, in = false;

	snprintf(head, sizeof(head), LOG_PREFIX "pid %d vcpu %d ", p->pid, p->vcpu_id);
	for (;;) {
		ssize_t n = read(p->kmsg, rec, sizeof(rec) - 1);
		unsigned long long count, cycles;
		char *msg, *nl, *rest;

		if (n < 0 && errno == EPIPE)	/* records overwritten: go on */
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
		if (strncmp(msg, head, strlen(head))) {
			/* Another vCPU's or another subsystem's line ends nothing. */
			continue;
		}
		rest = msg + strlen(head);
		if (sscanf(rest, "total count %llu cycles %llu", &count, &cycles) == 2) {
			if (in && cur.complete)
				*out = cur, found = true;
			memset(&cur, 0, sizeof(cur));
			cur.total = count;
			cur.complete = true;
			in = true;
			continue;
		}
		if (!strncmp(rest, "reason ", 7) && in) {
			char *c = strstr(rest, " count ");
			int b;

			if (!c || sscanf(c, " count %llu cycles %llu", &count, &cycles) != 2) {
				snprintf(why, len, "malformed kernel log line '%s'", msg);
				return -1;
			}
			*c = 0;
			b = label_bucket(p->vendor, rest + 7);
			if (b < 0) {
				snprintf(why, len, "unknown reason '%s' in kernel log line", rest + 7);
				return -1;
			}
			cur.buckets[b] += count;
			continue;
		}
		snprintf(why, len, "malformed kernel log line '%s'", msg);
		return -1;
	}
	if (in && cur.complete)
		*out = cur, found = true;
	return found ? 0 : 1;
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
	uint64_t before[EXIT_BUCKETS], after[EXIT_BUCKETS], total_before = 0;
	struct summary_rec s;
	int attempt, i, rc = 1, printed_at = -1;

	for (attempt = 0; attempt < 3 && rc == 1; attempt++) {
		/* The rate limit allows one summary a second over all vCPUs. */
		sleep_ms(1100);
		read_summaries(p, &s, why, len);	/* drop what came before */
		if (kvm_stats_read(&p->stats, p->desc, before, EXIT_BUCKETS)) {
			snprintf(why, len, "reading exits_by_reason failed");
			return -1;
		}
		if (write_param("1")) {
			snprintf(why, len, "cannot set %s: %s", INTERVAL_PARAM, strerror(errno));
			return -1;
		}
		rc = p->t->kick(p->t);
		write_param(p->old_interval);
		if (rc) {
			snprintf(why, len, "the guest did not complete a kick round");
			return -1;
		}
		if (kvm_stats_read(&p->stats, p->desc, after, EXIT_BUCKETS)) {
			snprintf(why, len, "reading exits_by_reason failed");
			return -1;
		}
		for (i = 0; i < EXIT_BUCKETS; i++)
			p->kicked[i] += after[i] - before[i];
		rc = read_summaries(p, &s, why, len);
		if (rc < 0)
			return -1;
	}
	if (rc) {
		snprintf(why, len, "no exit_stats summary of pid %d vcpu %d appeared in the kernel log "
			 "(another vCPU may have taken the one-a-second rate limit, or the kernel lacks "
			 "interface 4)", p->pid, p->vcpu_id);
		return -1;
	}
	/* The printing exit is the one bucket that grew by one since 'before'. */
	for (i = 0; i < EXIT_BUCKETS; i++) {
		total_before += before[i];
		if (s.buckets[i] == before[i] + 1 && printed_at < 0)
			printed_at = i;
		else if (s.buckets[i] != before[i])
			printed_at = -2;
	}
	if (printed_at < 0 || s.total != total_before + 1) {
		snprintf(why, len, "the kernel log summary (total %llu) does not match exits_by_reason "
			 "at the exit that printed it (total %llu before it)",
			 (unsigned long long)s.total, (unsigned long long)total_before);
		return -1;
	}
	/*
	 * Counts at the print, less every kick exit up to it: all of the
	 * earlier kicks' and this kick's printing exit.
	 */
	r->total = s.total;
	for (i = 0; i < EXIT_BUCKETS; i++) {
		uint64_t kicked = p->kicked[i] - (after[i] - before[i]) + (i == printed_at);

		r->buckets[i] = s.buckets[i] - kicked;
		r->total -= kicked;
	}
	r->has_buckets = true;
	r->reason = r->buckets[p->bucket];
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
	f = fopen(INTERVAL_PARAM, "r");
	if (!f) {
		snprintf(why, len, "absent: this kernel has no kvm.exit_stats_log_interval "
			 "(not built with kernel/patches)");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	if (!fgets(p->old_interval, sizeof(p->old_interval), f))
		snprintf(p->old_interval, sizeof(p->old_interval), "0");
	fclose(f);
	p->old_interval[strcspn(p->old_interval, "\n")] = 0;
	if (access(INTERVAL_PARAM, W_OK)) {
		snprintf(why, len, "cannot write %s: run as root", INTERVAL_PARAM);
		goto fail;
	}
	if (kvm_stats_open_vcpu(&p->stats, t->vcpu->fd) ||
	    !(p->desc = kvm_stats_find(&p->stats, "exits_by_reason")) ||
	    p->desc->size != EXIT_BUCKETS) {
		snprintf(why, len, "needs the exits_by_reason vCPU stat to account for its own kicks");
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
	if (p->kmsg > 0)
		close(p->kmsg);
	if (p->stats.desc)
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

/* Nothing to switch: it is slow, not perturbing, so it reads in its own window. */
static void dmesg_set_active(struct counter_source *src __attribute__((unused)),
			     bool on __attribute__((unused)))
{
}

const struct counter_source_ops counter_dmesg = {
	.name = "dmesg",
	.what = "patched kernel: exit_stats summaries in the kernel log, forced at each reading",
	.open = dmesg_open,
	.read = dmesg_read,
	.close = dmesg_close,
	.set_active = dmesg_set_active,
};
