// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kvm:kvm_exit tracepoint, counted with perf_event_open() on the vCPU
 * thread: one counter filtered on each exit reason of the test's plan, one
 * unfiltered for the total. Works on any kernel with tracefs and perf events; the
 * reason numbers are the vendor's, so it needs VMX or SVM.
 *
 * A perf event on kvm_exit registers the tracepoint's probe when it is
 * created, not when it is enabled: from then on every exit of every vCPU
 * runs the probe, disabled event or not (about 41 TSC cycles per CPUID exit
 * measured under Bochs). So the events exist only inside this source's own
 * untimed window after the trials: created when the window opens, read and
 * closed when it ends. open() only checks that they can be created.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counters.h"

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing/events/kvm",
	"/sys/kernel/debug/tracing/events/kvm",
};

/*
 * Nested guests (plan->nested): kvm_exit has no field that says whether
 * the vCPU ran L2. kvm_nested_vmexit fires for each exit taken in L2 that
 * reaches the vendor's exit handler (vmx_handle_exit(), svm_handle_exit()),
 * kvm_nested_vmexit_inject for each VM exit KVM delivers to L1, reflected
 * or synthesized. An entry counts one event, less another: L2's exits of a
 * reason are kvm_nested_vmexit's, L1's are kvm_exit's less those.
 */
enum tp_event { TP_EXIT, TP_NESTED_EXIT, TP_NESTED_INJECT, TP_EVENTS };
static const char *const tp_event_name[TP_EVENTS] = {
	"kvm_exit", "kvm_nested_vmexit", "kvm_nested_vmexit_inject",
};
static const char *const tp_event_field[TP_EVENTS] = {
	"exit_reason", "exit_reason", "exit_code",
};

#define TP_COUNTERS (2 * MAX_TARGET_REASONS)

struct tp_priv {
	uint64_t id[TP_EVENTS];		/* 0: the kernel lacks the event */
	pid_t tid;
	int n;				/* filtered counters, made once each */
	int primary;			/* plan index of the test's reason, or -1 */
	enum tp_event event[TP_COUNTERS];
	char filter[TP_COUNTERS][64];
	/* Plan reason k counts counter plus[k], less counter minus[k] (-1: none). */
	int plus[MAX_TARGET_REASONS], minus[MAX_TARGET_REASONS];
	int fd[TP_COUNTERS], total_fd;	/* -1 outside the window */
	/* Counts of the windows closed so far. */
	uint64_t count[TP_COUNTERS], total;
};

static int open_counter(uint64_t id, pid_t tid, const char *filter, char *why, size_t len)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = id,
		.sample_period = 1,
	};
	int fd;

	fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, 0);
	if (fd < 0) {
		snprintf(why, len, "perf_event_open(kvm:kvm_exit) failed: %s%s", strerror(errno),
			 errno == EACCES || errno == EPERM ?
			 " (run as root or lower /proc/sys/kernel/perf_event_paranoid)" : "");
		return -1;
	}
	if (filter && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
		snprintf(why, len, "setting filter '%s' on kvm:kvm_exit failed: %s",
			 filter, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Make both events (counting from now) or fold their counts into the totals
 * and close them; after a failure none is left open.
 */
static int tp_set_active_checked(struct tp_priv *p, bool on, char *why, size_t len)
{
	uint64_t v;
	bool ok = true;
	int i;

	if (on) {
		if (p->total_fd >= 0)
			return 0;
		p->total_fd = open_counter(p->id[TP_EXIT], p->tid, NULL, why, len);
		for (i = 0; i < p->n && p->total_fd >= 0; i++) {
			p->fd[i] = open_counter(p->id[p->event[i]], p->tid, p->filter[i], why, len);
			if (p->fd[i] < 0)
				break;
		}
		if (p->total_fd >= 0 && i == p->n)
			return 0;
		while (--i >= 0) {
			close(p->fd[i]);
			p->fd[i] = -1;
		}
		if (p->total_fd >= 0)
			close(p->total_fd);
		p->total_fd = -1;
		return -1;
	}
	if (p->total_fd < 0)
		return 0;
	for (i = 0; i < p->n; i++) {
		v = 0;
		ok &= read(p->fd[i], &v, sizeof(v)) == sizeof(v);
		p->count[i] += v;
		close(p->fd[i]);
		p->fd[i] = -1;
	}
	v = 0;
	ok &= read(p->total_fd, &v, sizeof(v)) == sizeof(v);
	p->total += v;
	close(p->total_fd);
	p->total_fd = -1;
	if (!ok) {
		snprintf(why, len, "reading the kvm_exit perf counters failed");
		return -1;
	}
	return 0;
}

/* The id of event @name in tracefs, or 0 when it is not there. */
static uint64_t event_id(const char *name)
{
	unsigned long long id = 0;
	char path[128];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/id", tracefs_dirs[i], name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &id) != 1)
			id = 0;
		fclose(f);
		return id;
	}
	return 0;
}

/* The counter of @event filtered on exit @code, made if new; -1 when full. */
static int counter_for(struct tp_priv *p, enum tp_event event, uint32_t code)
{
	char filter[64];
	int i;

	snprintf(filter, sizeof(filter), "%s == %u", tp_event_field[event], code);
	for (i = 0; i < p->n; i++)
		if (p->event[i] == event && !strcmp(p->filter[i], filter))
			return i;
	if (p->n == TP_COUNTERS)
		return -1;
	p->event[p->n] = event;
	snprintf(p->filter[p->n], sizeof(p->filter[0]), "%s", filter);
	p->fd[p->n] = -1;
	return p->n++;
}

static int tp_open(struct counter_source *src, const struct counter_target *t,
		   char *why, size_t len)
{
	const struct expect_plan *plan = t->plan;
	struct tp_priv *p;
	int k, e;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "kvm_exit reasons are VMX or SVM codes and this host's KVM is neither");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	for (e = 0; e < TP_EVENTS; e++)
		p->id[e] = event_id(tp_event_name[e]);
	if (!p->id[TP_EXIT]) {
		free(p);
		snprintf(why, len, "no kvm/kvm_exit event in tracefs (mount tracefs on /sys/kernel/tracing, as root)");
		return -1;
	}
	p->tid = t->tid ? t->tid : (pid_t)syscall(SYS_gettid);
	p->primary = -1;
	p->total_fd = -1;
	/* Levels apart only where the kernel has kvm_nested_vmexit. */
	src->sees_levels = plan->nested && p->id[TP_NESTED_EXIT];
	src->sees_reflected = src->sees_levels && p->id[TP_NESTED_INJECT];
	for (k = 0; k < plan->n && k < 32; k++) {
		const struct expect_reason *r = &plan->r[k];
		uint8_t level = src->sees_levels ? r->level : EXIT_L1_L2;

		p->plus[k] = p->minus[k] = -1;
		if (r->code == EXIT_NONE)
			continue;
		if (!plan->nested)
			level = EXIT_L1_L2;
		if (level == EXIT_L2_REFLECTED && !src->sees_reflected)
			continue;
		p->plus[k] = counter_for(p, level == EXIT_L2 ? TP_NESTED_EXIT :
					 level == EXIT_L2_REFLECTED ? TP_NESTED_INJECT : TP_EXIT,
					 r->code);
		if (level == EXIT_L1)
			p->minus[k] = counter_for(p, TP_NESTED_EXIT, r->code);
		if (p->plus[k] < 0 || (level == EXIT_L1 && p->minus[k] < 0)) {
			free(p);
			snprintf(why, len, "too many tracepoint counters for this plan (%d)", TP_COUNTERS);
			return -1;
		}
		if (k == plan->primary)
			p->primary = k;
		src->sees |= 1u << k;
	}
	/* Can the events be made here? Made and closed at once (see the top). */
	if (tp_set_active_checked(p, true, why, len)) {
		free(p);
		return -1;
	}
	tp_set_active_checked(p, false, why, len);
	memset(p->count, 0, sizeof(p->count));
	p->total = 0;
	src->priv = p;
	src->sees_reason = p->primary >= 0;
	src->sees_total = true;
	return 0;
}

static int tp_read(struct counter_source *src, struct counter_reading *r,
		   char *why, size_t len)
{
	struct tp_priv *p = src->priv;
	uint64_t v;
	int i;

	uint64_t c[TP_COUNTERS];

	memset(r, 0, sizeof(*r));
	for (i = 0; i < p->n; i++) {
		v = 0;
		if (p->fd[i] >= 0 && read(p->fd[i], &v, sizeof(v)) != sizeof(v))
			goto fail;
		c[i] = p->count[i] + v;
	}
	for (i = 0; i < MAX_TARGET_REASONS; i++) {
		if (!(src->sees & (1u << i)))
			continue;
		r->each[i] = c[p->plus[i]] - (p->minus[i] >= 0 ? c[p->minus[i]] : 0);
		if (i == p->primary)
			r->reason = r->each[i];
	}
	v = 0;
	if (p->total_fd >= 0 && read(p->total_fd, &v, sizeof(v)) != sizeof(v))
		goto fail;
	r->total = p->total + v;
	return 0;
fail:
	snprintf(why, len, "reading the kvm_exit perf counters failed");
	return -1;
}

static int tp_set_active(struct counter_source *src, bool on, char *why, size_t len)
{
	return tp_set_active_checked(src->priv, on, why, len);
}

static void tp_close(struct counter_source *src)
{
	struct tp_priv *p = src->priv;
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
	if (p->total_fd >= 0)
		close(p->total_fd);
	free(p);
	src->priv = NULL;
}

const struct counter_source_ops counter_tracepoint = {
	.name = "tracepoint",
	.what = "kvm:kvm_exit tracepoint counted per reason with perf_event_open on the vCPU thread "
		"(nested guests: with kvm_nested_vmexit and kvm_nested_vmexit_inject)",
	.open = tp_open,
	.read = tp_read,
	.close = tp_close,
	.own_window = true,
	.set_active = tp_set_active,
};
