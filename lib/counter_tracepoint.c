// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kvm:kvm_exit tracepoint, counted with perf_event_open() on the vCPU
 * thread: one counter filtered on the hardware exit reason, one unfiltered
 * for the total. Works on any kernel with tracefs and perf events; the
 * reason numbers are the vendor's, so it needs VMX or SVM. A perf event on
 * kvm_exit adds work to every exit (about a thousand instructions measured
 * under Bochs), so it counts only in an untimed window after the trials.
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

static const char *const id_paths[] = {
	"/sys/kernel/tracing/events/kvm/kvm_exit/id",
	"/sys/kernel/debug/tracing/events/kvm/kvm_exit/id",
};

struct tp_priv {
	int reason_fd, total_fd;
};

static int open_counter(uint64_t id, const char *filter, char *why, size_t len)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = id,
		.sample_period = 1,
		.disabled = 1,	/* on only in its own window: see set_active */
	};
	pid_t tid = (pid_t)syscall(SYS_gettid);
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

static int tp_open(struct counter_source *src, const struct counter_target *t,
		   char *why, size_t len)
{
	unsigned long long id = 0;
	struct tp_priv *p;
	char filter[64];
	uint32_t code;
	size_t i;
	FILE *f = NULL;

	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "kvm_exit reasons are VMX or SVM codes and this host's KVM is neither");
		return -1;
	}
	for (i = 0; i < sizeof(id_paths) / sizeof(id_paths[0]) && !f; i++)
		f = fopen(id_paths[i], "r");
	if (!f) {
		snprintf(why, len, "no kvm/kvm_exit event in tracefs (mount tracefs on /sys/kernel/tracing, as root)");
		return -1;
	}
	if (fscanf(f, "%llu", &id) != 1) {
		fclose(f);
		snprintf(why, len, "unreadable kvm_exit event id in tracefs");
		return -1;
	}
	fclose(f);

	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	code = t->vendor == VENDOR_VMX ? t->reason.vmx : t->reason.svm;
	snprintf(filter, sizeof(filter), "exit_reason == %u", code);
	p->total_fd = open_counter(id, NULL, why, len);
	if (p->total_fd < 0) {
		free(p);
		return -1;
	}
	p->reason_fd = open_counter(id, filter, why, len);
	if (p->reason_fd < 0) {
		close(p->total_fd);
		free(p);
		return -1;
	}
	src->priv = p;
	src->sees_reason = true;
	src->sees_total = true;
	return 0;
}

static int tp_read(struct counter_source *src, struct counter_reading *r,
		   char *why, size_t len)
{
	struct tp_priv *p = src->priv;

	if (read(p->reason_fd, &r->reason, sizeof(r->reason)) != sizeof(r->reason) ||
	    read(p->total_fd, &r->total, sizeof(r->total)) != sizeof(r->total)) {
		snprintf(why, len, "reading the kvm_exit perf counters failed");
		return -1;
	}
	return 0;
}

static void tp_set_active(struct counter_source *src, bool on)
{
	struct tp_priv *p = src->priv;
	unsigned long req = on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE;

	ioctl(p->total_fd, req, 0);
	ioctl(p->reason_fd, req, 0);
}

static void tp_close(struct counter_source *src)
{
	struct tp_priv *p = src->priv;

	if (!p)
		return;
	close(p->reason_fd);
	close(p->total_fd);
	free(p);
	src->priv = NULL;
}

const struct counter_source_ops counter_tracepoint = {
	.name = "tracepoint",
	.what = "kvm:kvm_exit tracepoint counted per reason with perf_event_open on the vCPU thread",
	.open = tp_open,
	.read = tp_read,
	.close = tp_close,
	.set_active = tp_set_active,
};
