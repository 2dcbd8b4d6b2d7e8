// SPDX-License-Identifier: GPL-2.0-only
/*
 * The runner every exit test shares: options, VM set-up, iteration scaling,
 * warm-up, timed trials with baseline subtraction, counter windows around
 * each timed loop, and the result (KTAP line, JSON).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "cli.h"
#include "counters.h"
#include "driver.h"
#include "exitbench.h"
#include "reasons.h"
#include "result.h"
#include "stats.h"

static struct options opts;
static uint64_t vmm_exits[VMM_EXIT_SLOTS];

/* Longest a single loop may take before the run is declared hung. */
#define LOOP_TIMEOUT_S 30

static void usage_error(const char *prog, const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	print_usage(stderr, prog, NULL);
	exit(2);
}

/*
 * Runs before the KVM selftest library's constructor (which opens /dev/kvm
 * and sysfs files and exits when they are missing), so that --help, usage
 * errors and a missing /dev/kvm get our own messages and exit codes.
 */
__attribute__((constructor(101)))
static void early_options(int argc, char **argv, char **envp)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char err[256];
	int fd;

	if (parse_options(argc, argv, &opts, err, sizeof(err)))
		usage_error(prog, err);
	if (opts.help) {
		print_usage(stdout, prog, exit_test.summary);
		exit(0);
	}
	if (opts.counters && counters_validate(opts.counters, err, sizeof(err)))
		usage_error(prog, err);
	if (opts.json_path && !access(opts.json_path, F_OK)) {
		fprintf(stderr, "%s: %s already exists; results are never overwritten: "
			"name a new file\n", prog, opts.json_path);
		exit(2);
	}
	if (exit_test.max_iterations && opts.iterations > exit_test.max_iterations) {
		snprintf(err, sizeof(err), "-n %llu is more than this test can do per trial (%llu)",
			 (unsigned long long)opts.iterations,
			 (unsigned long long)exit_test.max_iterations);
		usage_error(prog, err);
	}
	if (opts.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opts.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			snprintf(err, sizeof(err), "cannot pin to CPU %d: %s (see 'nproc' and "
				 "/sys/devices/system/cpu/online)", opts.cpu, strerror(errno));
			usage_error(prog, err);
		}
	}

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		result_skip_early(&exit_test, opts.json_path, e == ENOENT ?
			"/dev/kvm does not exist: load kvm_intel or kvm_amd (modprobe), or enable virtualization in the firmware or the outer VM" :
			e == EACCES || e == EPERM ?
			"no permission to open /dev/kvm: run as root or add this user to the 'kvm' group" :
			"cannot open /dev/kvm", e);
	}
	close(fd);
	if (access("/sys/module/kvm/parameters", F_OK))
		result_skip_early(&exit_test, opts.json_path,
			"/sys/module/kvm/parameters is missing: the KVM selftest library needs the kvm module's sysfs parameters",
			0);
	(void)envp;
}

void exitbench_note_userspace_exit(uint32_t kvm_exit_reason)
{
	if (kvm_exit_reason < VMM_EXIT_SLOTS)
		vmm_exits[kvm_exit_reason]++;
}

struct loop_out {
	uint64_t cycles;	/* guest TSC cycles of the loop (or host, host_loop) */
	uint64_t self_cycles;	/* self-timed loops: net cycles in exits */
	uint64_t self_exits;	/* self-timed loops: exits seen */
};

static struct result res;

/* The platform could not do what the loop asks: skip on a software
 * hypervisor, fail on VMX/SVM where every test's exit must work. */
static void platform_cannot(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res.reason, sizeof(res.reason), fmt, ap);
	va_end(ap);
	result_finish(&res, res.vendor == VENDOR_OTHER ? RESULT_SKIP : RESULT_FAIL);
}

/* Run @n iterations of the loop (or baseline) with no set-up hook. */
static struct loop_out enter_loop(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
				  uint64_t n, bool baseline)
{
	const struct exit_test *t = &exit_test;
	struct loop_out out = { 0 };
	struct ucall uc;

	if (t->host_loop) {
		out.cycles = t->host_loop(vm, vcpu, n, baseline);
		return out;
	}

	guest_cmd.iterations = n;
	guest_cmd.baseline = baseline;
	sync_global_to_guest(vm, guest_cmd);

	exitbench_watchdog(LOOP_TIMEOUT_S + (unsigned int)(n / 50000));
	for (;;) {
		struct kvm_run *run = vcpu->run;
		int r = __vcpu_run(vcpu);

		if (r && errno == EINTR && exitbench_timed_out())
			platform_cannot("the guest loop of %llu iterations did not finish within %u s: "
					"this platform's KVM does not complete the exit",
					(unsigned long long)n, LOOP_TIMEOUT_S + (unsigned int)(n / 50000));
		if (r && errno == EINTR)
			continue;
		TEST_ASSERT(!r, "KVM_RUN failed: %s", strerror(errno));
		exitbench_note_userspace_exit(run->exit_reason);

		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == GUEST_STAGE_RESULT,
				    "unexpected GUEST_SYNC(0x%lx) from the guest", uc.args[0]);
			exitbench_watchdog(0);
			out.cycles = uc.args[1];
			out.self_cycles = uc.args[2];
			out.self_exits = uc.args[3];
			return out;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			TEST_FAIL("the guest driver returned");
			break;
		default:
			if (t->handle_exit && t->handle_exit(vcpu))
				continue;
			if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				platform_cannot("KVM could not handle the guest's instruction "
						"(KVM_EXIT_INTERNAL_ERROR, suberror %u)",
						run->internal.suberror);
			TEST_FAIL("unexpected exit to userspace: %s (%u)",
				  exit_reason_str(run->exit_reason), run->exit_reason);
		}
	}
}

static struct loop_out run_loop(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
				uint64_t n, bool baseline)
{
	if (exit_test.before_loop)
		exit_test.before_loop(vm, vcpu, n, baseline);
	return enter_loop(vm, vcpu, n, baseline);
}

/*
 * One short round of the guest for a counter source that needs an exit to
 * happen (counter_dmesg.c): an empty loop and its report, or one iteration
 * of a host-timed test.
 */
static int kick(const struct counter_target *t)
{
	enter_loop(t->vm, t->vcpu, exit_test.host_loop ? 1 : 0, false);
	return 0;
}

static uint64_t epi(void)
{
	return exit_test.exits_per_iteration ? exit_test.exits_per_iteration : 1;
}


int exitbench_main(const struct exit_test *t, int argc, char **argv)
{
	struct counter_target target = { 0 };
	struct counter_set *cs = &res.counters;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char err[512];
	uint64_t n, harness;
	unsigned int i;
	const char *why;

	(void)argc;
	(void)argv;
	ksft_print_header();
	ksft_set_plan(1);
	result_init(&res, t, &opts);
	exitbench_watchdog_init();

	why = t->unsupported ? t->unsupported() : NULL;
	if (why) {
		snprintf(res.reason, sizeof(res.reason), "%s", why);
		result_finish(&res, RESULT_SKIP);
	}

	vm = vm_create_with_one_vcpu(&vcpu, guest_driver);
	if (t->setup)
		t->setup(vm, vcpu);
	res.tsc_khz = (unsigned long)__vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL);

	target.vm = vm;
	target.vcpu = vcpu;
	target.vendor = res.vendor;
	target.reason = t->reason;
	target.userspace_exit = t->userspace_exit;
	target.vmm_exits = vmm_exits;
	target.kick = kick;
	if (counters_open(cs, opts.counters, &target, t->tolerance, err, sizeof(err))) {
		snprintf(res.reason, sizeof(res.reason), "%s", err);
		result_finish(&res, RESULT_FAIL);
	}

	/* Scale N until a loop lasts the target; these runs also warm up. */
	n = opts.iterations ? opts.iterations : t->fixed_iterations ? t->fixed_iterations : 1;
	if (!opts.iterations && !t->fixed_iterations) {
		res.scaled = true;
		for (;;) {
			struct loop_out o = run_loop(vm, vcpu, n, false);

			if (o.cycles >= opts.target_cycles ||
			    (t->max_iterations && n >= t->max_iterations))
				break;
			n *= 2;
			if (t->max_iterations && n > t->max_iterations)
				n = t->max_iterations;
		}
	}
	res.iterations = n;

	/* Warm-up at the final N: caches, predictors, KVM's lazily built state. */
	run_loop(vm, vcpu, n, false);
	if (!t->self_timed)
		run_loop(vm, vcpu, n, true);

	harness = exitbench_harness_exits(t);
	for (i = 0; i < opts.trials; i++) {
		struct loop_out o, b = { 0 };
		uint64_t expected;
		double sample;

		memset(vmm_exits, 0, sizeof(vmm_exits));
		counters_begin(cs, false);
		o = run_loop(vm, vcpu, n, false);
		expected = (t->self_timed ? o.self_exits : n * epi()) + harness;
		counters_end(cs, false, expected);

		if (t->self_timed) {
			sample = o.self_exits ? (double)o.self_cycles / (double)o.self_exits : NAN;
			res.loop_iterations[i] = o.self_exits;
		} else {
			b = run_loop(vm, vcpu, n, true);
			sample = ((double)o.cycles - (double)b.cycles) / (double)(n * epi());
			res.loop_iterations[i] = n;
		}
		res.samples[i] = sample;
		res.loop_cycles[i] = o.cycles;
		res.baseline_cycles[i] = b.cycles;
		res.ntrials++;
		if (opts.verbose)
			printf("# trial %u: %.1f cycles/exit (loop %llu cycles, baseline %llu cycles, %llu iterations)\n",
			       i + 1, sample, (unsigned long long)o.cycles,
			       (unsigned long long)b.cycles,
			       (unsigned long long)res.loop_iterations[i]);
	}
	/* Sources that would have slowed the timed loops count on their own. */
	if (counters_any_perturbing(cs)) {
		struct loop_out o;

		counters_begin(cs, true);
		o = run_loop(vm, vcpu, n, false);
		counters_end(cs, true, (t->self_timed ? o.self_exits : n * epi()) + harness);
	}
	counters_close(cs);
	kvm_vm_free(vm);
	result_finish(&res, RESULT_MEASURED);
	return 0;
}

int main(int argc, char **argv)
{
	return exitbench_main(&exit_test, argc, argv);
}
