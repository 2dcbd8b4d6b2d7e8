// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run the Linux 6.12 KVM selftest library on kernels older than 6.8 (Debian
 * 12's own 6.1 among them), so that kernels can be compared with the same
 * binaries. Since 6.8 the library sets memslots with
 * KVM_SET_USER_MEMORY_REGION2 only and requires KVM_CAP_USER_MEMORY2. Every
 * ioctl() of the harness and the library goes through here (the link uses
 * --wrap=ioctl): where the kernel does not know the new ioctl, a memslot
 * without guest_memfd is set with KVM_SET_USER_MEMORY_REGION, whose
 * arguments are the first five fields of the new one, and the capability is
 * reported present. On 6.8 and later nothing changes.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

/* Does this kernel lack KVM_SET_USER_MEMORY_REGION2? -1: not known yet. */
static int old_kernel = -1;

static int set_region_v1(int fd, const struct kvm_userspace_memory_region2 *r2)
{
	struct kvm_userspace_memory_region r = {
		.slot = r2->slot,
		.flags = r2->flags,
		.guest_phys_addr = r2->guest_phys_addr,
		.memory_size = r2->memory_size,
		.userspace_addr = r2->userspace_addr,
	};

	return __real_ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (request == KVM_SET_USER_MEMORY_REGION2 && old_kernel == 1) {
		const struct kvm_userspace_memory_region2 *r2 = arg;

		if (r2->flags & KVM_MEM_GUEST_MEMFD) {
			errno = EINVAL;	/* guest_memfd does not exist there */
			return -1;
		}
		return set_region_v1(fd, r2);
	}
	r = __real_ioctl(fd, request, arg);
	if (request == KVM_SET_USER_MEMORY_REGION2 && r < 0 && errno == ENOTTY &&
	    !(((const struct kvm_userspace_memory_region2 *)arg)->flags & KVM_MEM_GUEST_MEMFD)) {
		old_kernel = 1;
		return set_region_v1(fd, arg);
	}
	if (request == KVM_CHECK_EXTENSION && (long)arg == KVM_CAP_USER_MEMORY2 && r == 0)
		return 1;	/* provided above */
	return r;
}
