// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_stats.h"

static size_t desc_size(const struct kvm_stats *s)
{
	return sizeof(struct kvm_stats_desc) + s->header.name_size;
}

int kvm_stats_open_vcpu(struct kvm_stats *s, int vcpu_fd)
{
	size_t total;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return -1;
	if (pread(s->fd, &s->header, sizeof(s->header), 0) != sizeof(s->header))
		goto fail;
	total = s->header.num_desc * desc_size(s);
	s->desc = calloc(1, total ? total : 1);
	if (!s->desc)
		goto fail;
	if (pread(s->fd, s->desc, total, s->header.desc_offset) != (ssize_t)total)
		goto fail;
	return 0;
fail:
	if (!errno)
		errno = EIO;
	kvm_stats_close(s);
	return -1;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd > 0)
		close(s->fd);
	free(s->desc);
	s->desc = NULL;
	s->fd = -1;
}

const struct kvm_stats_desc *kvm_stats_desc_at(const struct kvm_stats *s, uint32_t i)
{
	return (const void *)((const char *)s->desc + i * desc_size(s));
}

const struct kvm_stats_desc *kvm_stats_find(const struct kvm_stats *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->header.num_desc; i++) {
		const struct kvm_stats_desc *d = kvm_stats_desc_at(s, i);

		if (!strncmp(d->name, name, s->header.name_size))
			return d;
	}
	return NULL;
}

int kvm_stats_check_abi(const struct kvm_stats *s, char *why, size_t len)
{
	uint32_t i;
	int bad = 0;

	for (i = 0; i < s->header.num_desc; i++) {
		const struct kvm_stats_desc *d = kvm_stats_desc_at(s, i);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		bool hist = type == KVM_STATS_TYPE_LINEAR_HIST || type == KVM_STATS_TYPE_LOG_HIST;
		const char *rule = NULL;

		if (type > KVM_STATS_TYPE_MAX)
			rule = "has an unknown type";
		else if (!hist && d->size != 1)
			rule = "is not a histogram but has a size other than 1";
		else if (hist && !d->size)
			rule = "is a histogram of size 0";
		else if (type == KVM_STATS_TYPE_LINEAR_HIST && !d->bucket_size)
			rule = "is a linear histogram of bucket size 0";
		if (rule && !bad++)
			snprintf(why, len, "stat %.*s (type 0x%x, size %u, bucket size %u) %s",
				 (int)s->header.name_size, d->name, type, d->size, d->bucket_size, rule);
	}
	return bad;
}

int kvm_stats_read(const struct kvm_stats *s, const struct kvm_stats_desc *d,
		   uint64_t *data, size_t n)
{
	size_t bytes;

	if (n > d->size)
		n = d->size;
	bytes = n * sizeof(*data);
	if (pread(s->fd, data, bytes, s->header.data_offset + d->offset) != (ssize_t)bytes)
		return -1;
	return 0;
}
