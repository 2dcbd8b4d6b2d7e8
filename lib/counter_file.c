// SPDX-License-Identifier: GPL-2.0-only
/*
 * Any counter file a user names: --counters file:PATH:FORMAT, read whole at
 * each reading. FORMAT (lib/course_parse.h, docs/check_kernel.md):
 *   pairs  "REASON COUNT [NAME]" a line (REASON decimal or 0x-hex)
 *   array  one count a line, line i for reason i
 *   kmsg   dump lines as a kernel log has them; the last dump counts
 * Reasons are the VMX basic reason or the SVM exit code, by vendor. The
 * counts are taken as host-wide (every vCPU of every VM) and as one
 * snapshot; reading a file makes no exit, so it counts in the timed windows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "course_parse.h"

#define MAX_FILE_BYTES (1 << 20)

struct file_priv {
	char path[256];
	enum counter_file_format format;
	enum vendor vendor;
	int bucket;
};

static int read_file(struct counter_source *src, struct file_priv *p, struct exit_dump *d,
		     char *why, size_t len)
{
	FILE *f = fopen(p->path, "r");
	char *buf;
	size_t n;
	int rc, i;

	if (!f) {
		snprintf(why, len, "cannot open %s: %s", p->path, strerror(errno));
		return -1;
	}
	buf = malloc(MAX_FILE_BYTES + 1);
	if (!buf)
		abort();
	n = fread(buf, 1, MAX_FILE_BYTES, f);
	fclose(f);
	buf[n] = 0;
	rc = counter_file_parse(buf, p->format, p->vendor, d, why, len);
	free(buf);
	if (rc)
		return -1;
	for (i = 0; i < d->n_names; i++)
		counter_source_note_name(src, d->names[i].code, d->names[i].name);
	return 0;
}

static int file_check_arg(const char *arg, char *why, size_t len)
{
	const char *colon = strrchr(arg, ':');
	enum counter_file_format f;

	if (!colon || colon == arg) {
		snprintf(why, len, "file:PATH:FORMAT wants a path and a format (pairs, array or kmsg), got 'file:%s'",
			 arg);
		return -1;
	}
	if (counter_file_format_parse(colon + 1, &f)) {
		snprintf(why, len, "unknown counter file format '%s' (pairs, array or kmsg)", colon + 1);
		return -1;
	}
	return 0;
}

static int file_open(struct counter_source *src, const struct counter_target *t,
		     char *why, size_t len)
{
	struct file_priv *p;
	struct exit_dump d;
	char *colon = strrchr(src->arg, ':');
	uint32_t code;

	if (!colon || colon == src->arg) {
		snprintf(why, len, "file:PATH:FORMAT wants a path and a format (pairs, array or kmsg), got '%s'",
			 src->arg);
		return -1;
	}
	if (t->vendor == VENDOR_OTHER) {
		snprintf(why, len, "the file's reasons are VMX or SVM numbers and this KVM is neither");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	snprintf(p->path, sizeof(p->path), "%.*s", (int)(colon - src->arg), src->arg);
	if (counter_file_format_parse(colon + 1, &p->format)) {
		snprintf(why, len, "unknown counter file format '%s' (pairs, array or kmsg)", colon + 1);
		free(p);
		return -1;
	}
	p->vendor = t->vendor;
	code = t->vendor == VENDOR_SVM ? t->reason.svm : t->reason.vmx;
	p->bucket = code == EXIT_NONE ? -1 : exit_bucket(t->vendor, code);
	if (read_file(src, p, &d, why, len)) {
		free(p);
		return -1;
	}
	snprintf(src->found, sizeof(src->found), "counter file %.100s, format %.10s", p->path, colon + 1);
	src->priv = p;
	src->sees_reason = p->bucket >= 0;
	src->sees_total = true;
	src->all_vcpus = true;
	return 0;
}

static int file_read(struct counter_source *src, struct counter_reading *r, char *why, size_t len)
{
	struct file_priv *p = src->priv;
	struct exit_dump d;

	if (read_file(src, p, &d, why, len))
		return -1;
	memset(r, 0, sizeof(*r));
	memcpy(r->buckets, d.buckets, sizeof(r->buckets));
	r->total = d.total;
	r->has_buckets = true;
	r->reason = p->bucket >= 0 ? d.buckets[p->bucket] : 0;
	return 0;
}

static void file_close(struct counter_source *src)
{
	free(src->priv);
	src->priv = NULL;
}

const struct counter_source_ops counter_file = {
	.name = "file",
	.what = "any counter file: --counters file:PATH:FORMAT (pairs, array, kmsg), host-wide",
	.open = file_open,
	.read = file_read,
	.close = file_close,
	.explicit_only = true,
	.has_arg = true,
	.check_arg = file_check_arg,
};
