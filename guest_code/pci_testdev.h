/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The harness's stand-in for QEMU's pci-testdev, which kvm-unit-tests'
 * vmexit.c uses for pci-mem and pci-io: three 1-byte registers, written in
 * turn each iteration: one the harness completes in userspace
 * ("no-eventfd"), one bound to an ioeventfd that takes any value
 * ("wildcard-eventfd": on MMIO a zero-length one, which VMX completes on
 * its fast MMIO path without emulating), one bound to an ioeventfd that
 * matches the value written ("datamatch-eventfd"). Each write is timed
 * on its own: three figures, as vmexit.c prints one per register.
 *
 * A test file defines TESTDEV_MMIO (1: memory BAR, 0: I/O BAR) and
 * includes this once.
 */
#ifndef EXITBENCH_PCI_TESTDEV_H
#define EXITBENCH_PCI_TESTDEV_H

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "processor.h"

#include "exit_codes.h"
#include "exitbench.h"
#include "guest.h"

#define TESTDEV_GPA	0xe0000000UL	/* no memslot: every access is MMIO */
#define TESTDEV_PORT	0xc000UL
#define TESTDEV_NOMATCH	0xCE		/* pci-testdev's values */
#define TESTDEV_MATCH	0xFA

enum { TD_NO_EVENTFD, TD_WILDCARD, TD_DATAMATCH, TD_REGS };

static uint8_t td_scratch_mem[TD_REGS];
static int td_eventfd[TD_REGS];
static uint64_t td_userspace;	/* writes the harness completed this loop */

static __attribute__((always_inline)) inline void td_write(int reg, uint8_t val, bool base)
{
	if (base)
		WRITE_ONCE(td_scratch_mem[reg], val);
	else if (TESTDEV_MMIO)
		*(volatile uint8_t *)(TESTDEV_GPA + reg) = val;
	else
		__asm__ __volatile__("out %%al, %%dx" :: "a"(val), "d"(TESTDEV_PORT + reg) : "memory");
}

static __attribute__((always_inline)) inline void td_loop(uint64_t n, bool base)
{
	static const uint8_t val[TD_REGS] = { TESTDEV_NOMATCH, TESTDEV_NOMATCH, TESTDEV_MATCH };
	uint64_t i, t0;
	int r;

	for (i = 0; i < n; i++) {
		for (r = 0; r < TD_REGS; r++) {
			t0 = rdtsc_fenced();
			td_write(r, val[r], base);
			guest_figure_add(r, rdtsc_fenced() - t0);
		}
	}
}

static void guest_loop(uint64_t n)
{
	td_loop(n, false);
}

static void guest_baseline(uint64_t n)
{
	td_loop(n, true);
}

static void td_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu __maybe_unused)
{
	int r;

	if (TESTDEV_MMIO)
		virt_map(vm, TESTDEV_GPA, TESTDEV_GPA, 1);
	for (r = TD_WILDCARD; r < TD_REGS; r++) {
		struct kvm_ioeventfd ioev = {
			.addr = TESTDEV_MMIO ? TESTDEV_GPA + r : TESTDEV_PORT + r,
			/* A zero length takes any write, and on MMIO the fast path. */
			.len = r == TD_WILDCARD && TESTDEV_MMIO ? 0 : 1,
			.datamatch = TESTDEV_MATCH,
			.flags = (TESTDEV_MMIO ? 0 : KVM_IOEVENTFD_FLAG_PIO) |
				 (r == TD_DATAMATCH ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
		};

		td_eventfd[r] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		TEST_ASSERT(td_eventfd[r] >= 0, "eventfd() failed");
		ioev.fd = td_eventfd[r];
		vm_ioctl(vm, KVM_IOEVENTFD, &ioev);
	}
}

/* The "no-eventfd" register: the harness is the device. */
static bool td_handle_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool ok = TESTDEV_MMIO ?
		  run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == TESTDEV_GPA &&
		  run->mmio.is_write && run->mmio.len == 1 && run->mmio.data[0] == TESTDEV_NOMATCH :
		  run->exit_reason == KVM_EXIT_IO && run->io.port == TESTDEV_PORT &&
		  run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 &&
		  *((uint8_t *)run + run->io.data_offset) == TESTDEV_NOMATCH;

	td_userspace += ok;
	return ok;
}

/* Each register took each write: n in userspace, n on each eventfd. */
static const char *td_check_loop(unsigned int vcpu __maybe_unused, uint64_t n, bool baseline,
				 const uint64_t *events __maybe_unused, bool *skip __maybe_unused)
{
	static char why[160];
	uint64_t got[TD_REGS] = { td_userspace };
	int r;

	td_userspace = 0;
	for (r = TD_WILDCARD; r < TD_REGS; r++)
		if (read(td_eventfd[r], &got[r], sizeof(got[r])) != sizeof(got[r]) && errno != EAGAIN)
			return "reading an ioeventfd failed";
	for (r = 0; r < TD_REGS; r++) {
		if (got[r] == (baseline ? 0 : n))
			continue;
		snprintf(why, sizeof(why), "register %d of the test device took %llu of %llu writes",
			 r, (unsigned long long)got[r], (unsigned long long)(baseline ? 0 : n));
		return why;
	}
	return NULL;
}

static const char *td_unsupported(void)
{
	return kvm_has_cap(KVM_CAP_IOEVENTFD) ? NULL : "KVM lacks KVM_CAP_IOEVENTFD";
}

#endif
