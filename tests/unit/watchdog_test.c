// SPDX-License-Identifier: GPL-2.0-only
/*
 * The loop watchdog must end a KVM_RUN that blocks for good: a guest that
 * halts with interrupts off, while another thread of the process exists
 * (as KVM's own worker thread does in Linux 6.12) to take stray signals.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "exitbench.h"

static void guest_halt_forever(void)
{
	__asm__ __volatile__("cli; hlt");
	GUEST_DONE();
}

static void *bystander(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct timespec t0, t1;
	pthread_t thr;
	double s;
	int r;

	ksft_print_header();
	ksft_set_plan(1);
	pthread_create(&thr, NULL, bystander, NULL);
	exitbench_watchdog_init();
	vm = vm_create_with_one_vcpu(&vcpu, guest_halt_forever);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	exitbench_watchdog(2);
	r = __vcpu_run(vcpu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (r == -1 && errno == EINTR && exitbench_timed_out() && s >= 1.9 && s < 10)
		ksft_test_result_pass("a halted vCPU's KVM_RUN ended by the watchdog after %.2f s\n", s);
	else
		ksft_test_result_fail("KVM_RUN returned %d (errno %d, watchdog fired %d) after %.2f s\n",
				      r, errno, exitbench_timed_out(), s);
	kvm_vm_free(vm);
	ksft_finished();
}
