/* SPDX-License-Identifier: GPL-2.0-only */
/* Named access to a KVM binary stats fd that never reads a missing stat. */
#ifndef EXITBENCH_KVM_STATS_H
#define EXITBENCH_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

struct kvm_stats {
	int fd;
	struct kvm_stats_header header;
	struct kvm_stats_desc *desc;	/* header.num_desc entries */
};

/* 0, or -1 with errno set. */
int kvm_stats_open_vcpu(struct kvm_stats *s, int vcpu_fd);
void kvm_stats_close(struct kvm_stats *s);
/* The descriptor of @name, or NULL when this kernel has no such stat. */
const struct kvm_stats_desc *kvm_stats_find(const struct kvm_stats *s, const char *name);
/* The @i-th descriptor. */
const struct kvm_stats_desc *kvm_stats_desc_at(const struct kvm_stats *s, uint32_t i);
/*
 * Documentation/virt/kvm/api.rst: a stat of type CUMULATIVE, INSTANT or PEAK
 * has size 1, only histograms have more elements, and a linear histogram has
 * a non-zero bucket size. Returns how many descriptors break the rule, and
 * describes the first in @why (kvm_binary_stats_test does not check this).
 */
int kvm_stats_check_abi(const struct kvm_stats *s, char *why, size_t len);
/* Read @n elements of @d into @data; 0, or -1 on a short read. */
int kvm_stats_read(const struct kvm_stats *s, const struct kvm_stats_desc *d,
		   uint64_t *data, size_t n);

#endif
