// SPDX-License-Identifier: GPL-2.0-only
/*
 * The runner every exit test shares: options, VM set-up (one vCPU or
 * several, a thread each), the expected exits resolved against KVM's
 * configuration, iteration scaling, warm-up, timed trials with baseline
 * subtraction, counter windows around each timed loop, and the result
 * (KTAP line, JSON).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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
#include "expect.h"
#include "guest.h"
#include "apic.h"
#include "kvm_config.h"
#include "reasons.h"
#include "result.h"
#include "stats.h"

static struct options opts;
static struct result res;

/*
 * Longest a loop of n iterations may take before the run is declared hung:
 * LOOP_TIMEOUT_S + n / 10000 s (of the machine's own clock; an emulator's
 * runs slower than the wall).
 */
#define LOOP_TIMEOUT_S 10
/* Longest a whole test may be expected to take (-n, --target-cycles). */
#define MAX_TEST_S 3600
/*
 * Progress on stderr once a test has run this long, and then this often;
 * EXITBENCH_PROGRESS_S overrides it (1 in an emulator, whose guest clock
 * runs far slower than the host's under Bochs: emu/job_suite.sh).
 */
#define PROGRESS_AFTER_S 5

static time_t test_start, last_progress, progress_s = PROGRESS_AFTER_S;

/* "exit_cpuid: trial 3 of 11 (12 s)" on stderr, at most every few seconds. */
static void progress(const char *fmt, ...)
{
	time_t now = time(NULL);
	char what[256];
	va_list ap;

	if (now - test_start < progress_s || now - last_progress < progress_s)
		return;
	last_progress = now;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "exit_%s: %s (%lld s)\n", exit_test.name, what,
		(long long)(now - test_start));
}

static void usage_error(const char *prog, const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	print_usage_hint(stderr, prog);
	exit(EXIT_USAGE);
}

/* A failed write to stdout: the KTAP output is lost, which is an error. */
static void check_stdout(const char *prog, const char *what)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write %s to stdout: %s\n", prog, what, strerror(errno));
		exit(EXIT_ERROR);
	}
}

/*
 * Is the /dev/kvm we opened KVM? Anything else (a file or another device
 * put there) would end in the selftest library's assertion on its first
 * ioctl; say what it is instead.
 */
static void check_kvm_device(int fd)
{
	static char why[256];
	struct stat st;
	int v;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
		snprintf(why, sizeof(why), "/dev/kvm is not KVM: it is not a character device "
			 "(KVM's is 10:232): see what is mounted or linked there");
		result_skip_early(&exit_test, opts.json_path, why, 0);
	}
	v = ioctl(fd, KVM_GET_API_VERSION, NULL);
	if (v != KVM_API_VERSION) {
		char answer[64];

		if (v < 0)
			snprintf(answer, sizeof(answer), "fails: %s", strerror(errno));
		else
			snprintf(answer, sizeof(answer), "says %d, not %d", v, KVM_API_VERSION);
		snprintf(why, sizeof(why), "/dev/kvm is not KVM: it is character device %u:%u "
			 "(KVM's is 10:232), whose KVM_GET_API_VERSION %s; see what is mounted or "
			 "linked there", major(st.st_rdev), minor(st.st_rdev), answer);
		result_skip_early(&exit_test, opts.json_path, why, 0);
	}
}

static unsigned int nr_vcpus_wanted(void)
{
	return opts.vcpus ? opts.vcpus : exit_test.vcpus ? exit_test.vcpus : 1;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Runs before the KVM selftest library's constructor (which opens /dev/kvm
 * and sysfs files and exits when they are missing), so that --help, usage
 * errors and a missing /dev/kvm get our own messages and exit codes. Every
 * option is checked here, before any work and before any file is made.
 */
static bool in_early_options;

/*
 * An exit() from early_options(): flushed, then _exit(). In a statically
 * linked test, constructor(101) runs before crtbegin's frame_dummy has
 * registered the unwind tables, and exit()'s destructors would abort() in
 * __deregister_frame_info_bases (an exit 134 instead of ours).
 */
static void early_exit(int status, void *arg __maybe_unused)
{
	if (!in_early_options)
		return;
	fflush(NULL);
	_exit(status);
}

__attribute__((constructor(101)))
static void early_options(int argc, char **argv, char **envp)
{
	const struct exit_test *t = &exit_test;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	unsigned int nv, lo, hi, i;
	cpu_set_t orig;
	char err[512];
	int fd;

	in_early_options = true;
	on_exit(early_exit, NULL);
	if (fcntl(STDOUT_FILENO, F_GETFL) < 0) {
		fprintf(stderr, "%s: stdout is closed: the KTAP result has nowhere to go "
			"(give it a terminal, a file or a pipe)\n", prog);
		exit(EXIT_ERROR);
	}
	if (parse_options(argc, argv, &opts, err, sizeof(err)))
		usage_error(prog, err);
	if (opts.help) {
		print_usage(stdout, prog, t->summary);
		check_stdout(prog, "the help");
		exit(0);
	}
	if (opts.counters && counters_validate(opts.counters, err, sizeof(err)))
		usage_error(prog, err);
	if (opts.json_path && check_new_file("--json", opts.json_path, err, sizeof(err)))
		usage_error(prog, err);
	if (t->max_iterations && opts.iterations > t->max_iterations) {
		snprintf(err, sizeof(err), "-n %llu is more than this test can do per trial (at most %llu)",
			 (unsigned long long)opts.iterations,
			 (unsigned long long)t->max_iterations);
		usage_error(prog, err);
	}
	nv = nr_vcpus_wanted();
	lo = t->min_vcpus ? t->min_vcpus : t->vcpus ? t->vcpus : 1;
	hi = t->max_vcpus ? t->max_vcpus : t->vcpus ? t->vcpus : 1;
	if (nv < lo || nv > hi) {
		if (lo == hi)
			snprintf(err, sizeof(err), "--vcpus %u: this test runs %u vCPU%s", nv, lo,
				 lo == 1 ? "" : "s");
		else
			snprintf(err, sizeof(err), "--vcpus %u: this test runs %u to %u vCPUs", nv, lo, hi);
		usage_error(prog, err);
	}
	if (opts.ncpus > 1 && opts.ncpus != nv) {
		snprintf(err, sizeof(err), "-c names %u CPUs for %u vCPUs: name one CPU for all, or one per vCPU",
			 opts.ncpus, nv);
		usage_error(prog, err);
	}
	sched_getaffinity(0, sizeof(orig), &orig);
	for (i = 0; i < opts.ncpus; i++) {
		if (pin_self(opts.cpus[i])) {
			snprintf(err, sizeof(err), "-c %s: cannot pin to CPU %d: %s (see 'nproc' and "
				 "/sys/devices/system/cpu/online)", opts.cpu_arg, opts.cpus[i], strerror(errno));
			usage_error(prog, err);
		}
	}
	/* One vCPU runs on this thread: pinned now. Several: each thread pins itself. */
	if (opts.ncpus && nv == 1)
		pin_self(opts.cpus[0]);
	else
		sched_setaffinity(0, sizeof(orig), &orig);
	detect_vendor();	/* a bad EXITBENCH_VENDOR is refused here */
	if (opts.dry_run)
		exit(0);

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		result_skip_early(t, opts.json_path, e == ENOENT ?
			"/dev/kvm does not exist: load kvm_intel or kvm_amd (modprobe), or enable virtualization in the firmware or the outer VM" :
			e == EACCES || e == EPERM ?
			"no permission to open /dev/kvm: run as root or add this user to the 'kvm' group" :
			"cannot open /dev/kvm", e);
	}
	check_kvm_device(fd);
	close(fd);
	if (access("/sys/module/kvm/parameters", F_OK))
		result_skip_early(t, opts.json_path,
			"/sys/module/kvm/parameters is missing: the KVM selftest library needs the kvm module's sysfs parameters",
			0);
	in_early_options = false;
	(void)envp;
}

struct loop_out {
	uint64_t cycles;	/* guest TSC cycles of the loop (or host, host_loop) */
	uint64_t self_cycles;	/* self-timed loops: net cycles in exits */
	uint64_t self_exits;	/* self-timed loops: exits seen */
	uint64_t figures[MAX_FIGURES];
	uint64_t events[MAX_EVENTS];
};

/* One vCPU: its thread (several vCPUs) and what its last loop reported. */
struct vcpu_ctx {
	unsigned int index;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pid_t tid;
	pthread_t thread;
	uint64_t vmm_exits[VMM_EXIT_SLOTS];
	/* A command for the thread: generation, loop length, baseline. */
	uint64_t gen, done_gen;
	uint64_t n;
	bool baseline;
	struct loop_out out;
};

static struct vcpu_ctx vcpus[MAX_VCPUS];
static unsigned int nvcpus;
static bool threaded;
static pthread_mutex_t cmd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cmd_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
/* The vCPU whose userspace exits this thread counts (host_loop tests). */
static __thread struct vcpu_ctx *this_vcpu;

void exitbench_note_userspace_exit(uint32_t kvm_exit_reason)
{
	if (this_vcpu && kvm_exit_reason < VMM_EXIT_SLOTS)
		this_vcpu->vmm_exits[kvm_exit_reason]++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sum_counters(void);

/* The attribution so far into res.counters (before any result_finish). */
static void collect_counters(void)
{
	if (nvcpus <= 1)
		res.counters = res.vcpu[0].counters;
	else
		sum_counters();
}

/* The platform could not do what the loop asks: skip on a software
 * hypervisor, fail on VMX/SVM where every test's exit must work. */
static void platform_cannot(const char *fmt, ...)
{
	va_list ap;

	result_claim();
	if (res.vcpu && res.vcpu[0].counters.target)
		collect_counters();
	va_start(ap, fmt);
	vsnprintf(res.reason, sizeof(res.reason), fmt, ap);
	va_end(ap);
	result_finish(&res, res.vendor == VENDOR_OTHER ? RESULT_SKIP : RESULT_FAIL);
}

/*
 * A loop past its timeout: where each vCPU was, on stderr, so that a hang
 * tells more than that it hung: its RIP and IF, its run state, the vectors
 * pending (IRR) and in service (ISR) in its local APIC, and the events its
 * guest counted in the loop. The caller holds the result (result_claim()),
 * and the watchdog has signalled every vCPU thread out of KVM_RUN.
 */
static void report_vcpus(void)
{
	static const char *const mp_names[] = {
		"runnable", "uninitialized", "INIT received", "halted",
		"SIPI received", "stopped", "check-stop", "operating", "load",
	};
	unsigned int i, k, w, b;

	for (i = 0; i < nvcpus; i++) {
		struct kvm_vcpu *vcpu = vcpus[i].vcpu;
		struct guest_vcpu *gv = addr_gva2hva(vcpus[i].vm, (vm_vaddr_t)&guest_vcpus[i]);
		struct kvm_lapic_state apic;
		struct kvm_mp_state mp;
		struct kvm_regs regs;

		fprintf(stderr, "%s: at the timeout, vCPU %u:", program_invocation_short_name, i);
		if (!__vcpu_ioctl(vcpu, KVM_GET_REGS, &regs))
			fprintf(stderr, " RIP 0x%llx, IF=%d;", (unsigned long long)regs.rip,
				!!(regs.rflags & EXITBENCH_RFLAGS_IF));
		if (!__vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp))
			fprintf(stderr, " %s;", mp.mp_state < ARRAY_SIZE(mp_names) ?
				mp_names[mp.mp_state] : "unknown run state");
		if (!__vcpu_ioctl(vcpu, KVM_GET_LAPIC, &apic)) {
			/* IRR at 0x200, ISR at 0x100: 8 words of 32 vectors, 16 bytes apart. */
			static const struct { const char *name; unsigned int off; } regs_[] = {
				{ "IRR", 0x200 }, { "ISR", 0x100 },
			};

			for (k = 0; k < ARRAY_SIZE(regs_); k++) {
				int any = 0;

				fprintf(stderr, " %s", regs_[k].name);
				for (w = 0; w < 8; w++) {
					uint32_t v;

					memcpy(&v, apic.regs + regs_[k].off + 16 * w, sizeof(v));
					for (b = 0; b < 32; b++)
						if (v & (1u << b)) {
							fprintf(stderr, "%s0x%x", any ? "," : " ", w * 32 + b);
							any = 1;
						}
				}
				fprintf(stderr, "%s;", any ? "" : " empty");
			}
		}
		fprintf(stderr, " guest events:");
		for (k = 0; k < MAX_EVENTS; k++)
			if (exit_test.events[k])
				fprintf(stderr, " %s %llu%s", exit_test.events[k],
					(unsigned long long)gv->events[k],
					k + 1 < MAX_EVENTS && exit_test.events[k + 1] ? "," : "");
		fprintf(stderr, "\n");
	}
}

/* Run @n iterations of the loop (or baseline) on one vCPU, from its thread. */
static struct loop_out enter_loop(struct vcpu_ctx *c, uint64_t n, bool baseline)
{
	const struct exit_test *t = &exit_test;
	struct kvm_vcpu *vcpu = c->vcpu;
	struct guest_vcpu *gv;
	struct loop_out out = { 0 };
	unsigned int timeout = LOOP_TIMEOUT_S + (unsigned int)(n / 10000);
	struct ucall uc;
	int k;

	if (t->host_loop) {
		out.cycles = t->host_loop(c->vm, vcpu, n, baseline);
		return out;
	}
	/* With one vCPU the host writes the command here; with several, before. */
	if (!threaded) {
		guest_cmd.iterations = n;
		guest_cmd.baseline = baseline;
		guest_cmd.run_id++;
		sync_global_to_guest(c->vm, guest_cmd);
		exitbench_watchdog(timeout);
	}
	for (;;) {
		struct kvm_run *run = vcpu->run;
		int r = __vcpu_run(vcpu);

		if (r && errno == EINTR && exitbench_timed_out()) {
			result_claim();
			report_vcpus();
			platform_cannot("the guest loop of %llu iterations did not finish within %u s%s: "
					"this platform's KVM does not complete the exit",
					(unsigned long long)n, timeout,
					threaded ? " (on one of the vCPUs)" : "");
		}
		if (r && errno == EINTR)
			continue;
		/* Not TEST_ASSERT(): it would call strerror() on every exit. */
		if (r)
			TEST_FAIL("KVM_RUN failed: %s", strerror(errno));
		exitbench_note_userspace_exit(run->exit_reason);
		/*
		 * The test's own exits first, before get_ucall(): that clears a
		 * 1 KiB struct ucall on every call, which cost 4,600 TSC cycles
		 * per exit to userspace in Bochs (exit_inl_from_qemu measured
		 * 7,955 where the same loop without it measures 2,650). No
		 * test's handler claims the ucall port.
		 */
		if (t->handle_exit && t->handle_exit(vcpu))
			continue;
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == GUEST_STAGE_RESULT,
				    "unexpected GUEST_SYNC(0x%lx) from the guest", uc.args[0]);
			if (!threaded)
				exitbench_watchdog(0);
			out.cycles = uc.args[1];
			out.self_cycles = uc.args[2];
			out.self_exits = uc.args[3];
			gv = addr_gva2hva(c->vm, (vm_vaddr_t)&guest_vcpus[c->index]);
			for (k = 0; k < MAX_FIGURES; k++)
				out.figures[k] = gv->figures[k];
			for (k = 0; k < MAX_EVENTS; k++)
				out.events[k] = gv->events[k];
			return out;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			TEST_FAIL("the guest driver returned");
			break;
		default:
			if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				platform_cannot("KVM could not handle the guest's instruction "
						"(KVM_EXIT_INTERNAL_ERROR, suberror %u)",
						run->internal.suberror);
			TEST_FAIL("unexpected exit to userspace: %s (%u)",
				  exit_reason_str(run->exit_reason), run->exit_reason);
		}
	}
}

/* A vCPU thread (several vCPUs): run the loops the main thread asks for. */
static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	int cpu = opts.ncpus ? opts.cpus[opts.ncpus > 1 ? c->index : 0] : -1;

	if (cpu >= 0)
		TEST_ASSERT(!pin_self(cpu), "cannot pin vCPU %u to CPU %d", c->index, cpu);
	this_vcpu = c;
	exitbench_watchdog_add_thread();
	pthread_mutex_lock(&cmd_lock);
	c->tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&done_cond);
	for (;;) {
		uint64_t gen, n;
		bool baseline;

		while (c->gen == c->done_gen)
			pthread_cond_wait(&cmd_cond, &cmd_lock);
		gen = c->gen;
		n = c->n;
		baseline = c->baseline;
		pthread_mutex_unlock(&cmd_lock);
		c->out = enter_loop(c, n, baseline);
		pthread_mutex_lock(&cmd_lock);
		c->done_gen = gen;
		pthread_cond_broadcast(&done_cond);
	}
	return NULL;
}

/*
 * Run @n iterations on every vCPU (@only < 0) or on vCPU @only, from its
 * thread, and wait for them. With one vCPU: on this thread. A kick (a
 * counter source's round) runs without the test's before_loop hook.
 */
static void run_vcpus_hook(int only, uint64_t n, bool baseline, bool hook)
{
	unsigned int i, timeout = LOOP_TIMEOUT_S + (unsigned int)(n / 10000);

	if (hook && exit_test.before_loop)
		exit_test.before_loop(vcpus[0].vm, vcpus[0].vcpu, n, baseline);
	if (!threaded) {
		vcpus[0].out = enter_loop(&vcpus[0], n, baseline);
		return;
	}
	guest_cmd.iterations = n;
	guest_cmd.baseline = baseline;
	guest_cmd.run_id++;
	sync_global_to_guest(vcpus[0].vm, guest_cmd);
	exitbench_watchdog(timeout);
	pthread_mutex_lock(&cmd_lock);
	for (i = 0; i < nvcpus; i++) {
		if (only >= 0 && i != (unsigned int)only)
			continue;
		vcpus[i].n = n;
		vcpus[i].baseline = baseline;
		vcpus[i].gen++;
	}
	pthread_cond_broadcast(&cmd_cond);
	for (i = 0; i < nvcpus; i++)
		while (vcpus[i].gen != vcpus[i].done_gen)
			pthread_cond_wait(&done_cond, &cmd_lock);
	pthread_mutex_unlock(&cmd_lock);
	exitbench_watchdog(0);
}

static void run_vcpus(int only, uint64_t n, bool baseline)
{
	unsigned int i;
	const char *why;

	run_vcpus_hook(only, n, baseline, true);
	for (i = 0; exit_test.check_loop && i < nvcpus; i++) {
		bool skip = false;

		if (only >= 0 && i != (unsigned int)only)
			continue;
		why = exit_test.check_loop(i, n, baseline, vcpus[i].out.events, &skip);
		if (why && skip) {
			snprintf(res.reason, sizeof(res.reason), "%s", why);
			if (res.vcpu && res.vcpu[0].counters.target)
				collect_counters();
			result_finish(&res, RESULT_SKIP);
		}
		if (why)
			platform_cannot("%s (vCPU %u, %s loop of %llu iterations)", why, i,
					baseline ? "baseline" : "exiting", (unsigned long long)n);
	}
}

/*
 * One short round of the guest for a counter source that needs an exit to
 * happen (counter_dmesg.c): an empty loop and its report, or one iteration
 * of a host-timed test, on the source's vCPU.
 */
static int kick(const struct counter_target *t)
{
	unsigned int i;

	for (i = 0; i < nvcpus; i++)
		if (vcpus[i].vcpu == t->vcpu)
			run_vcpus_hook(threaded ? (int)i : -1, exit_test.host_loop ? 1 : 0, false, false);
	return 0;
}

/*
 * vCPU 0's set last at the start and first at the end: its sources of every
 * vCPU at once (CPUID leaves) then bracket the other sets' own rounds (the
 * kernel log's kicks), which are not the loop's.
 */
static void windows_begin(bool perturbing)
{
	unsigned int i;

	for (i = nvcpus; i-- > 0;) {
		memset(vcpus[i].vmm_exits, 0, sizeof(vcpus[i].vmm_exits));
		counters_begin(&res.vcpu[i].counters, perturbing);
	}
}

/* "3.2 hours": a duration in seconds, in the unit a reader expects. */
static const char *human_seconds(double s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0f min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, len, "%.1f hours", s / 3600);
	else
		snprintf(buf, len, "%.0f days", s / 86400);
	return buf;
}

/*
 * Refuse an -n or --target-cycles that would keep the test running for
 * hours, with how long it would take: a probe of 1000 iterations times
 * the exit here. Loops: scaling (about two at the target), warm-up,
 * trials, their baselines and the cross-check loop.
 */
static void check_duration(void)
{
	const struct exit_test *t = &exit_test;
	double loops = (double)(opts.trials + 1) * (t->self_timed ? 1 : 2) + 1;
	double hz = (double)res.tsc_khz * 1e3, per_loop, secs, per_iteration = 0;
	const char *prog = program_invocation_short_name;
	char err[512], took[32];

	if (!res.tsc_khz)
		return;
	if (opts.iterations) {
		uint64_t probe = 1000;

		if (opts.iterations <= probe * 10)
			return;
		run_vcpus(-1, probe, false);
		per_iteration = (double)vcpus[0].out.cycles / (double)probe;
		per_loop = per_iteration * (double)opts.iterations;
	} else if (!t->fixed_iterations && opts.target_cycles) {
		per_loop = (double)opts.target_cycles;
		loops += 2;
	} else {
		return;
	}
	secs = per_loop * loops / hz;
	if (secs <= MAX_TEST_S)
		return;
	human_seconds(secs, took, sizeof(took));
	if (opts.iterations)
		snprintf(err, sizeof(err), "-n %llu would keep this test running for about %s "
			 "(%.0f TSC cycles per iteration here, %.0f loops of N): at most %.0f fit in "
			 "%d min; use a smaller -n, or leave it out to scale to --target-cycles",
			 (unsigned long long)opts.iterations, took, per_iteration, loops,
			 MAX_TEST_S * hz / loops / per_iteration, MAX_TEST_S / 60);
	else
		snprintf(err, sizeof(err), "--target-cycles %llu would keep this test running for "
			 "about %s (%.0f loops of that length at %lu kHz): at most %.0f fit in %d min",
			 (unsigned long long)opts.target_cycles, took, loops, res.tsc_khz,
			 MAX_TEST_S * hz / loops, MAX_TEST_S / 60);
	usage_error(prog, err);
}

/* Iterations a vCPU's window stands for: self-timed loops count exits seen. */
static uint64_t window_iterations(unsigned int i, uint64_t n)
{
	return exit_test.self_timed ? vcpus[i].out.self_exits : n;
}

static void windows_end(bool perturbing, uint64_t n)
{
	/* The loop's report, kept: a source's own round (a kick) overwrites it. */
	static uint64_t events[MAX_VCPUS][MAX_EVENTS], events_all[MAX_EVENTS];
	uint64_t iterations[MAX_VCPUS];
	unsigned int i, k;

	memset(events_all, 0, sizeof(events_all));
	for (i = 0; i < nvcpus; i++) {
		iterations[i] = window_iterations(i, n);
		for (k = 0; k < MAX_EVENTS; k++) {
			events[i][k] = vcpus[i].out.events[k];
			events_all[k] += events[i][k];
		}
	}
	res.vcpu[0].counters.events_all = events_all;
	for (i = 0; i < nvcpus; i++)
		counters_end_events(&res.vcpu[i].counters, perturbing, iterations[i], events[i]);
}

/* Does vCPU @i run the test's loop (not a receiver)? */
static bool runs_loop(unsigned int i)
{
	return !i || !exit_test.guest_receiver;
}

/* Main figure of vCPU @i for loop @o against baseline @b. */
static double sample_of(const struct loop_out *o, const struct loop_out *b, uint64_t n)
{
	if (exit_test.self_timed)
		return o->self_exits ? (double)o->self_cycles / (double)o->self_exits : NAN;
	return ((double)o->cycles - (double)b->cycles) / (double)(n * res.figure_divisor);
}

/*
 * The main figure's divisor: exits of the test's reason per iteration
 * (per iteration when it has none here, or it reports per iteration).
 */
static void figure_unit(const struct exit_test *t)
{
	char name[64];
	uint64_t per = res.plan.primary >= 0 ? res.plan.r[res.plan.primary].per_iteration : 0;

	if (t->self_timed) {
		snprintf(res.unit, sizeof(res.unit), "TSC cycles per exit seen by the guest");
		res.figure_divisor = 1;
	} else if (t->per_iteration_figure || !per || res.plan.primary < 0) {
		snprintf(res.unit, sizeof(res.unit), "TSC cycles per iteration");
		res.figure_divisor = 1;
	} else {
		snprintf(res.unit, sizeof(res.unit), "TSC cycles per %s exit",
			 expect_reason_name(res.vendor, &res.plan.r[res.plan.primary], name, sizeof(name)));
		res.figure_divisor = per;
	}
}

/* Resolve the plans of every vCPU role, and their sum. */
static void resolve_plans(const struct exit_test *t)
{
	bool io = !t->host_loop;
	unsigned int i;

	TEST_ASSERT(!expect_resolve(&res.plan, t->expect, &res.config, io),
		    "exit_%s states more reasons than fit (%d)", t->name, MAX_TARGET_REASONS);
	memset(&res.plan_all, 0, sizeof(res.plan_all));
	for (i = 0; i < nvcpus; i++) {
		struct expect_plan *p = &res.vcpu[i].plan;

		res.vcpu[i].receiver = !runs_loop(i);
		if (res.vcpu[i].receiver)
			TEST_ASSERT(!expect_resolve(p, t->expect_receiver, &res.config, io),
				    "exit_%s: too many receiver reasons", t->name);
		else
			*p = res.plan;
		TEST_ASSERT(!expect_add(&res.plan_all, p), "exit_%s: too many reasons in all", t->name);
	}
	/* The sum's test reason is the sender's, at the same place. */
	res.plan_all.primary = -1;
	if (res.plan.primary >= 0)
		for (i = 0; i < (unsigned int)res.plan_all.n; i++)
			if (res.plan_all.r[i].code == res.plan.r[res.plan.primary].code &&
			    res.plan_all.r[i].id.vmx == res.plan.r[res.plan.primary].id.vmx &&
			    res.plan_all.r[i].id.svm == res.plan.r[res.plan.primary].id.svm)
				res.plan_all.primary = (int)i;
}

/* Index of @r's reason in @p, or -1. */
static int plan_index(const struct expect_plan *p, const struct expect_reason *r)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->r[i].id.vmx == r->id.vmx && p->r[i].id.svm == r->id.svm)
			return i;
	return -1;
}

/*
 * Several vCPUs: the attribution of the whole VM, source by source, is the
 * sum over the vCPUs' counters (a source that counts every vCPU at once is
 * taken from vCPU 0's), judged against the sum of their plans.
 */
static void sum_counters(void)
{
	struct counter_set *sum = &res.counters;
	unsigned int v;
	int k, i;

	*sum = res.vcpu[0].counters;
	sum->target = &res.target_all;
	for (k = 0; k < sum->n; k++) {
		struct counter_source *s = &sum->src[k];

		if (s->all_vcpus)
			continue;
		/* Re-index the per-reason sums from vCPU 0's plan into the sum's. */
		memset(s->r_expected, 0, sizeof(s->r_expected));
		memset(s->r_counted, 0, sizeof(s->r_counted));
		memset(s->r_verdict, 0, sizeof(s->r_verdict));
		memset(s->xcheck_each, 0, sizeof(s->xcheck_each));
		s->sees = 0;
		s->sees_reason = false;
		s->expected = s->counted = s->total = s->other = s->xcheck_other = 0;
		s->xcheck_counted = s->cycles = 0;
		memset(s->by_bucket, 0, sizeof(s->by_bucket));
		for (v = 0; v < nvcpus; v++) {
			const struct counter_set *cs = &res.vcpu[v].counters;
			const struct counter_source *x = &cs->src[k];
			const struct expect_plan *p = &res.vcpu[v].plan;

			if (!x->usable) {
				s->usable = false;
				snprintf(s->why, sizeof(s->why), "vCPU %u: %s", v, x->why);
				continue;
			}
			for (i = 0; i < p->n; i++) {
				int j = plan_index(&res.plan_all, &p->r[i]);

				if (j < 0 || !counters_sees(cs, x, i))
					continue;
				s->sees |= 1u << j;
				s->r_expected[j] += x->r_expected[i];
				s->r_counted[j] += x->r_counted[i];
				s->r_verdict[j] = verdict_worse(s->r_verdict[j], x->r_verdict[i]);
				s->xcheck_each[j] += x->xcheck_each[i];
			}
			s->total += x->total;
			s->other += x->other;
			s->xcheck_other += x->xcheck_other;
			s->judges_other &= x->judges_other;
			s->other_verdict = verdict_worse(s->other_verdict, x->other_verdict);
			s->verdict = verdict_worse(s->verdict, x->verdict);
			s->cycles += x->cycles;
			s->has_cycles &= x->has_cycles;
			s->has_buckets &= x->has_buckets;
			s->xcheck &= x->xcheck;
			for (i = 0; i < EXIT_BUCKETS; i++)
				s->by_bucket[i] += x->by_bucket[i];
		}
		/* Seen through buckets now means seen through sees. */
		s->has_buckets = false;
		if (res.plan_all.primary >= 0 && (s->sees & (1u << res.plan_all.primary))) {
			s->expected = s->r_expected[res.plan_all.primary];
			s->counted = s->r_counted[res.plan_all.primary];
			s->xcheck_counted = s->xcheck_each[res.plan_all.primary];
		} else if (res.plan_all.primary < 0 && s->judges_other) {
			s->counted = s->other;
			s->xcheck_counted = s->xcheck_other;
		}
	}
	/* The per-vCPU sets' buckets are summed above; the sum keeps them. */
	for (k = 0; k < sum->n; k++) {
		struct counter_source *s = &sum->src[k];
		bool buckets = !s->all_vcpus;

		for (v = 0; v < nvcpus && buckets; v++)
			buckets = res.vcpu[v].counters.src[k].has_buckets;
		if (!s->all_vcpus)
			s->has_buckets = buckets;
	}
}

/* Fill vCPU @i's target, and open its counters; 0 or -1 with @err. */
static int open_counters(unsigned int i, char *err, size_t len)
{
	struct counter_target *tg = &res.vcpu[i].target;
	const struct expect_plan *p = &res.vcpu[i].plan;
	int k;

	memset(tg, 0, sizeof(*tg));
	tg->vm = vcpus[i].vm;
	tg->vcpu = vcpus[i].vcpu;
	tg->tid = threaded ? vcpus[i].tid : 0;
	tg->vendor = res.vendor;
	tg->reason = p->primary >= 0 ? p->r[p->primary].id :
		     (struct exit_reason_id){ EXIT_NONE, EXIT_NONE };
	tg->plan = p;
	tg->plan_all = nvcpus > 1 ? &res.plan_all : NULL;
	tg->userspace_exit = exit_test.userspace_exit;
	tg->vmm_exits = vcpus[i].vmm_exits;
	tg->kick = kick;
	if (counters_open(&res.vcpu[i].counters, opts.counters, tg, exit_test.tolerance, err, len))
		return -1;
	/* A source of every vCPU at once counts with vCPU 0's set only. */
	for (k = 0; i && k < res.vcpu[i].counters.n; k++) {
		struct counter_source *s = &res.vcpu[i].counters.src[k];

		if (s->usable && s->all_vcpus) {
			if (s->ops->close)
				s->ops->close(s);
			s->usable = false;
			snprintf(s->why, sizeof(s->why), "counts every vCPU at once: read with vCPU 0's counters");
		}
	}
	return 0;
}

/*
 * --kvmclock: what QEMU's VM has when its guest starts, SeaBIOS having
 * turned kvmclock on and left it on. Host-initiated writes of
 * MSR_KVM_SYSTEM_TIME_NEW, one 32-byte pvclock_vcpu_time_info per vCPU in
 * one page that nothing else uses; from then on, each clock update KVM
 * makes for a vCPU rewrites its pvclock in guest memory.
 */
#define PVCLOCK_SIZE 32	/* sizeof(struct pvclock_vcpu_time_info) */

/* Returns the page's guest-physical address, for kvmclock_check(). */
static vm_paddr_t kvmclock_on(struct kvm_vm *vm, struct kvm_vcpu **list, unsigned int nvcpus)
{
	vm_paddr_t gpa = addr_gva2gpa(vm, vm_vaddr_alloc_page(vm));
	unsigned int i;

	for (i = 0; i < nvcpus; i++) {
		uint64_t v = (gpa + i * PVCLOCK_SIZE) | 1;

		TEST_ASSERT(_vcpu_set_msr(list[i], MSR_KVM_SYSTEM_TIME_NEW, v) == 1,
			    "--kvmclock: KVM refused MSR_KVM_SYSTEM_TIME_NEW = 0x%llx for vCPU %u",
			    (unsigned long long)v, i);
	}
	return gpa;
}

/*
 * After the vCPUs have run: did KVM write each one's pvclock? Its version
 * field (the first u32) is 0 until the first update. NULL, or the reason.
 */
static const char *kvmclock_check(struct kvm_vm *vm, vm_paddr_t gpa, unsigned int nvcpus,
				  char *why, size_t len)
{
	unsigned int i;

	for (i = 0; i < nvcpus; i++) {
		uint32_t version = *(uint32_t *)addr_gpa2hva(vm, gpa + i * PVCLOCK_SIZE);

		if (!version) {
			snprintf(why, len, "--kvmclock: KVM accepted MSR_KVM_SYSTEM_TIME_NEW but never wrote vCPU %u's pvclock (version 0 after the warm-up)", i);
			return why;
		}
	}
	return NULL;
}

/* Put vCPU @i's own data where its %gs points. */
static void setup_vcpu_data(struct kvm_vm *vm, unsigned int i)
{
	struct guest_vcpu *gv = addr_gva2hva(vm, (vm_vaddr_t)&guest_vcpus[i]);
	struct kvm_sregs sregs;

	gv->self = &guest_vcpus[i];
	gv->index = i;
	vcpu_sregs_get(vcpus[i].vcpu, &sregs);
	sregs.gs.base = (uint64_t)&guest_vcpus[i];
	vcpu_sregs_set(vcpus[i].vcpu, &sregs);
}

/*
 * How quiet is this platform? The test's baseline loop (no exits), scaled
 * to MIN_TARGET_CYCLES, three times: when two of them agree within 0.1%,
 * loops of MIN_TARGET_CYCLES are long enough (an emulator whose TSC counts
 * instructions, a quiet host); otherwise DEFAULT_TARGET_CYCLES. Judged on
 * the baseline so that an exit's own variation (HLT, interrupts) does not
 * make its loops longer. Returns the target; @spread the closest pair's.
 */
static uint64_t noise_target(const struct exit_test *t, double *spread)
{
	uint64_t n = 1, c[3];
	int k;

	*spread = NAN;
	if (t->self_timed)
		return DEFAULT_TARGET_CYCLES;
	for (;;) {
		progress("timing the baseline loop to choose --target-cycles: %llu iterations",
			 (unsigned long long)n);
		run_vcpus(-1, n, true);
		if (vcpus[0].out.cycles >= MIN_TARGET_CYCLES || n >= (1ULL << 40) ||
		    (t->max_iterations && n >= t->max_iterations))
			break;
		n *= 2;
	}
	if (vcpus[0].out.cycles < MIN_TARGET_CYCLES)
		return DEFAULT_TARGET_CYCLES;
	for (k = 0; k < 3; k++) {
		run_vcpus(-1, n, true);
		c[k] = vcpus[0].out.cycles;
	}
	for (k = 0; k < 3; k++) {
		uint64_t a = c[k], b = c[(k + 1) % 3];
		double d = fabs((double)a - (double)b) / (double)(a < b ? a : b);

		if (isnan(*spread) || d < *spread)
			*spread = d;
	}
	return *spread <= 0.001 ? MIN_TARGET_CYCLES : DEFAULT_TARGET_CYCLES;
}

/* Scale N (doubling) until a loop lasts the target; these loops also warm up. */
static uint64_t scale_iterations(const struct exit_test *t)
{
	uint64_t target = opts.target_cycles;
	uint64_t n = 1;

	res.scaled = true;
	if (!target)
		target = noise_target(t, &res.noise_spread);
	for (;;) {
		progress("scaling to %llu TSC cycles a loop: %llu iterations",
			 (unsigned long long)target, (unsigned long long)n);
		run_vcpus(-1, n, false);
		if (vcpus[0].out.cycles >= target || (t->max_iterations && n >= t->max_iterations))
			break;
		n *= 2;
		if (t->max_iterations && n > t->max_iterations)
			n = t->max_iterations;
	}
	res.target_cycles = target;
	return n;
}

int exitbench_main(const struct exit_test *t, int argc, char **argv)
{
	struct kvm_vcpu *vcpu_list[MAX_VCPUS];
	vm_paddr_t kvmclock_gpa = 0;
	struct kvm_vm *vm;
	char err[512];
	uint64_t n;
	unsigned int i, f, nfig = 0;
	const char *why;
	double t0 = now_s(), t1;

	(void)argc;
	(void)argv;
	ksft_print_header();
	ksft_set_plan(1);
	check_stdout(program_invocation_short_name, "the KTAP header");
	test_start = last_progress = time(NULL);
	if (getenv("EXITBENCH_PROGRESS_S")) {
		long v = strtol(getenv("EXITBENCH_PROGRESS_S"), NULL, 10);

		if (v >= 1 && v <= 3600)
			progress_s = v;
	}
	result_init(&res, t, &opts);
	exitbench_watchdog_init();

	why = t->unsupported ? t->unsupported() : NULL;
	if (why) {
		snprintf(res.reason, sizeof(res.reason), "%s", why);
		result_finish(&res, RESULT_SKIP);
	}
	nvcpus = nr_vcpus_wanted();
	res.nvcpus = nvcpus;
	res.vcpu = calloc(nvcpus, sizeof(*res.vcpu));
	TEST_ASSERT(res.vcpu, "out of memory");
	threaded = nvcpus > 1;
	kvm_config_read(&res.config, res.vendor);
	res.config.x2apic = !opts.xapic && kvm_cpu_has(X86_FEATURE_X2APIC);
	res.config.kvmclock = opts.kvmclock;
	if (opts.kvmclock && !kvm_cpu_has(X86_FEATURE_KVM_CLOCKSOURCE2)) {
		snprintf(res.reason, sizeof(res.reason),
			 "--kvmclock: this KVM does not offer kvmclock (KVM_FEATURE_CLOCKSOURCE2) to guests");
		result_finish(&res, RESULT_SKIP);
	}
	why = t->unsupported_config ? t->unsupported_config(&res.config) : NULL;
	if (why) {
		snprintf(res.reason, sizeof(res.reason), "%s", why);
		result_finish(&res, RESULT_SKIP);
	}
	if (t->cpu_per_vcpu && sysconf(_SC_NPROCESSORS_ONLN) < (long)nvcpus) {
		snprintf(res.reason, sizeof(res.reason),
			 "vCPU 0 busy-waits for vCPU 1's answer, which needs a host CPU of its own: this host has %ld online CPU%s for %u vCPUs (the emulators boot the kernel under test with one)",
			 sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_ONLN) == 1 ? "" : "s", nvcpus);
		result_finish(&res, RESULT_SKIP);
	}
	resolve_plans(t);
	figure_unit(t);
	while (nfig < MAX_FIGURES && t->figures[nfig].name)
		nfig++;

	if (nvcpus == 1) {
		vm = __vm_create_with_one_vcpu(&vcpu_list[0], t->extra_pages, guest_driver);
	} else {
		if (nvcpus > (unsigned int)kvm_check_cap(KVM_CAP_MAX_VCPUS)) {
			snprintf(res.reason, sizeof(res.reason), "KVM allows %d vCPUs per VM, fewer than %u",
				 kvm_check_cap(KVM_CAP_MAX_VCPUS), nvcpus);
			result_finish(&res, RESULT_SKIP);
		}
		vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, nvcpus, t->extra_pages,
					    guest_driver, vcpu_list);
	}
	guest_cmd.nr_vcpus = nvcpus;
	guest_cmd.x2apic = res.config.x2apic;
	sync_global_to_guest(vm, guest_cmd);
	/* The xAPIC page, identity-mapped for tests that use the APIC by MMIO. */
	virt_pg_map(vm, APIC_DEFAULT_GPA, APIC_DEFAULT_GPA);
	for (i = 0; i < nvcpus; i++) {
		vcpus[i].index = i;
		vcpus[i].vm = vm;
		vcpus[i].vcpu = vcpu_list[i];
		setup_vcpu_data(vm, i);
		res.vcpu[i].cpu = opts.ncpus ? opts.cpus[opts.ncpus > 1 ? i : 0] : -1;
	}
	if (opts.kvmclock)
		kvmclock_gpa = kvmclock_on(vm, vcpu_list, nvcpus);
	this_vcpu = &vcpus[0];
	if (t->setup)
		t->setup(vm, vcpu_list[0]);
	res.tsc_khz = (unsigned long)__vcpu_ioctl(vcpu_list[0], KVM_GET_TSC_KHZ, NULL);

	if (threaded) {
		for (i = 0; i < nvcpus; i++)
			TEST_ASSERT(!pthread_create(&vcpus[i].thread, NULL, vcpu_thread, &vcpus[i]),
				    "cannot start the thread of vCPU %u", i);
		pthread_mutex_lock(&cmd_lock);
		for (i = 0; i < nvcpus; i++)
			while (!vcpus[i].tid)
				pthread_cond_wait(&done_cond, &cmd_lock);
		pthread_mutex_unlock(&cmd_lock);
	}
	for (i = 0; i < nvcpus; i++) {
		if (open_counters(i, err, sizeof(err))) {
			snprintf(res.reason, sizeof(res.reason), "%s", err);
			result_finish(&res, RESULT_FAIL);
		}
	}
	if (nvcpus > 1) {
		res.target_all = res.vcpu[0].target;
		res.target_all.plan = &res.plan_all;
		res.target_all.plan_all = &res.plan_all;
	}
	t1 = now_s();
	res.phases.setup = t1 - t0;
	t0 = t1;

	check_duration();
	n = opts.iterations ? opts.iterations : t->fixed_iterations;
	if (!n)
		n = scale_iterations(t);
	res.iterations = n;

	/* Warm-up at the final N: caches, predictors, KVM's lazily built state. */
	progress("warm-up at %llu iterations", (unsigned long long)n);
	run_vcpus(-1, n, false);
	if (!t->self_timed)
		run_vcpus(-1, n, true);
	if (opts.kvmclock && kvmclock_check(vm, kvmclock_gpa, nvcpus, err, sizeof(err))) {
		snprintf(res.reason, sizeof(res.reason), "%s", err);
		result_finish(&res, RESULT_FAIL);
	}
	t1 = now_s();
	res.phases.scaling = t1 - t0;
	t0 = t1;

	for (i = 0; i < opts.trials; i++) {
		struct loop_out o[MAX_VCPUS], b[MAX_VCPUS];
		double sum = 0, figs[MAX_FIGURES] = { 0 };
		unsigned int v, loops = 0;

		progress("trial %u of %u", i + 1, opts.trials);
		windows_begin(false);
		run_vcpus(-1, n, false);
		windows_end(false, n);
		for (v = 0; v < nvcpus; v++)
			o[v] = vcpus[v].out;
		memset(b, 0, sizeof(b));
		if (!t->self_timed) {
			run_vcpus(-1, n, true);
			for (v = 0; v < nvcpus; v++)
				b[v] = vcpus[v].out;
		}
		for (v = 0; v < nvcpus; v++) {
			double s = sample_of(&o[v], &b[v], n);

			res.vcpu[v].samples[i] = s;
			if (!runs_loop(v))
				continue;
			sum += s;
			loops++;
			for (f = 0; f < nfig; f++) {
				uint32_t per = t->figures[f].per_iteration ? t->figures[f].per_iteration : 1;

				figs[f] += ((double)o[v].figures[f] - (double)b[v].figures[f]) /
					   (double)(n * per);
			}
		}
		res.samples[i] = sum / loops;
		for (f = 0; f < nfig; f++)
			res.figure_samples[f][i] = figs[f] / loops;
		res.loop_cycles[i] = o[0].cycles;
		res.baseline_cycles[i] = b[0].cycles;
		res.loop_iterations[i] = t->self_timed ? o[0].self_exits : n;
		res.ntrials++;
		if (opts.verbose) {
			printf("# trial %u: %.1f %s (loop %llu cycles, baseline %llu cycles, %llu iterations",
			       i + 1, res.samples[i], res.unit, (unsigned long long)o[0].cycles,
			       (unsigned long long)b[0].cycles,
			       (unsigned long long)res.loop_iterations[i]);
			for (v = 0; v < nvcpus; v++) {
				if (nvcpus > 1)
					printf("; vCPU %u", v);
				for (f = 0; f < MAX_EVENTS; f++)
					if (t->events[f])
						printf(", %s %llu", t->events[f],
						       (unsigned long long)o[v].events[f]);
			}
			printf(")\n");
		}
	}
	t1 = now_s();
	res.phases.trials = t1 - t0;
	t0 = t1;
	/* Sources that would have slowed the timed loops count on their own. */
	if (counters_any_perturbing(&res.vcpu[0].counters)) {
		progress("one more loop, counted by every source at once");
		windows_begin(true);
		run_vcpus(-1, n, false);
		windows_end(true, n);
	}
	res.phases.cross_check = now_s() - t0;
	for (i = 0; i < nvcpus; i++)
		counters_close(&res.vcpu[i].counters);
	collect_counters();
	result_finish(&res, RESULT_MEASURED);
	return 0;
}

int main(int argc, char **argv)
{
	return exitbench_main(&exit_test, argc, argv);
}
