// SPDX-License-Identifier: GPL-2.0-only
/*
 * exit_top: the global VM-exit counters of the patched kernel
 * (/sys/kernel/debug/kvm/exit_reasons, kernel/README.md), live, like top;
 * --once prints them, --csv logs every sample (a boot profiler's sampler).
 * On a stock kernel it says which interface is missing and counts the
 * kvm:kvm_exit tracepoint instead, per reason on every online CPU (counts
 * and rates, no cycles). Plain ANSI output: it must run, statically linked,
 * in a busybox initramfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* <linux/kvm.h> first: SVM_EXIT_REASONS uses its *_VECTOR constants. */
#include <linux/kvm.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#include "debugfs_table.h"
#include "reasons.h"

#define DEBUGFS_DIR		"/sys/kernel/debug"
#define GLOBAL_TABLE		DEBUGFS_DIR "/kvm/exit_reasons"
#define EXIT_CYCLES_PARAM	"/sys/module/kvm/parameters/exit_cycles"
#define NSEC_PER_SEC		1000000000LL
#define MIN_INTERVAL_NS		1000000LL		/* 1 ms */
#define MAX_INTERVAL_NS		(3600 * NSEC_PER_SEC)

enum source { SRC_AUTO, SRC_DEBUGFS, SRC_TRACEPOINT };
enum sort_key { SORT_COUNT, SORT_CYCLES, SORT_RATE, SORT_L2 };
static const char *const sort_names[] = { "count", "cycles", "rate", "l2" };
#define NSORT ((int)(sizeof(sort_names) / sizeof(sort_names[0])))

struct top_opts {
	int64_t interval_ns;		/* -d */
	enum sort_key sort;		/* -s */
	uint64_t samples;		/* --samples; 0: until stopped */
	bool once, csv;
	enum source source;
	const char *table;		/* --debugfs */
	bool table_given;
	const char *cycles_param;	/* --cycles-param */
	uint64_t bench;			/* --bench N; 0: off */
	bool clock_origin;		/* --clock-origin */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: exit_top [options]\n"
"Live view of the VM exits that the patched kernel (kernel/patches) counts\n"
"per exit reason, from " GLOBAL_TABLE " (all vCPUs of\n"
"all VMs since kvm.ko was loaded), like top. On a stock kernel it says which\n"
"interface is missing and counts the kvm:kvm_exit tracepoint instead: counts\n"
"and rates since exit_top started, no cycles.\n"
"\n"
"options:\n"
"  -d, --interval T       time between samples, a number with a unit: 10ms,\n"
"                         0.5s, 500us, or plain seconds (2); from 1ms to\n"
"                         3600s (default 1s)\n"
"  -s, --sort KEY         row order: count (total exits, default), cycles\n"
"                         (total cycles), rate (exits/s in the last interval),\n"
"                         l2 (exits of nested guests; debugfs only)\n"
"      --samples N        stop after N samples (the first is taken at once)\n"
"      --once             print the totals once, without rates, and exit\n"
"                         (tracepoint: the exits of one interval)\n"
"      --csv              log every sample as CSV on stdout, one row per\n"
"                         reason, until --samples N or SIGINT/SIGTERM\n"
"      --debugfs FILE     read FILE instead of the global table, e.g. a\n"
"                         vCPU's " DEBUGFS_DIR "/kvm/<pid>-<fd>/vcpu<N>/exit_reasons;\n"
"                         implies --source debugfs\n"
"      --source S         debugfs or tracepoint (default: debugfs if the\n"
"                         table exists, else the tracepoint)\n"
"      --cycles-param FILE  where kvm.exit_cycles is read (default\n"
"                         " EXIT_CYCLES_PARAM ")\n"
"      --bench N          time N samples (read + parse; CSV rows) and print\n"
"                         the median, p10, p90 and max in microseconds\n"
"      --clock-origin     say on stderr which CLOCK_MONOTONIC time time_s 0\n"
"                         is, to line other logs up with the samples\n"
"  -h, --help             this help\n"
"\n"
"columns:\n"
"  reason       hardware exit reason: VMX basic reason (decimal; a failed\n"
"               VM-entry by its basic reason, 33, 34 or 41), SVM exit code\n"
"               (hex); '-' for UNKNOWN and (tracepoint) OTHER, the exits\n"
"               whose reason matched no known code\n"
"  name         the kernel's name for it (VMX_EXIT_REASONS, SVM_EXIT_REASONS)\n"
"  exits        exits counted, in total: of every level (L1 and L2)\n"
"  exits/s      exits per second over the last interval\n"
"  cycles       host TSC cycles from each VM-exit to the next VM-entry, in\n"
"               total; only while kvm.exit_cycles=1 ('off' otherwise)\n"
"  cycles/exit  cycles / exits\n"
"  exits_%%      share of all exits; cycles_%%: share of all cycles\n"
"  l2_exits     of the exits, those taken while the vCPU ran a nested guest\n"
"               (L2: the guest of a guest hypervisor); the rest are L1's\n"
"               (the guest hypervisor's own, or a plain guest's): L1 = exits\n"
"               - l2_exits. The patched kernel's table counts them (its\n"
"               l2_count column); the tracepoint does not: with it these\n"
"               columns are left out and the header says so\n"
"  l2_cycles    cycles of the L2 exits ('off' as cycles)\n"
"\n"
"CSV (--csv): one header line (wrapped below), then per sample one row per\n"
"reason seen so far, in table order, each sample written and flushed whole:\n"
"  sample,time_s,interval_s,reason,name,exits,cycles,exits_delta,cycles_delta,\n"
"  l2_exits,l2_cycles,l2_exits_delta,l2_cycles_delta\n"
"  sample        0, 1, 2, ...\n"
"  time_s        CLOCK_MONOTONIC seconds since sample 0 (6 decimals)\n"
"  interval_s    seconds since the previous sample (0 for sample 0)\n"
"  reason, name  as in the table\n"
"  exits, cycles cumulative counts of the table (tracepoint: since\n"
"                exit_top started; cycles empty)\n"
"  exits_delta, cycles_delta  growth since the previous sample (0 in\n"
"                sample 0; the whole count for a reason that appears later)\n"
"  l2_*          the same for the exits of nested guests (L2), a part of\n"
"                exits and cycles (L1 = exits - l2_exits); empty with the\n"
"                tracepoint, which does not count levels\n"
"\n"
"exit status: 0 done (also when stopped by SIGINT or SIGTERM), 2 usage\n"
"error, 3 no source of exit counts, a read, format or counter error, or a\n"
"failed write (stdout full or closed).\n");
}

static void usage_hint(FILE *f)
{
	fprintf(f, "usage: exit_top [-d INTERVAL] [-s KEY] [--samples N] [--once | --csv] "
		"[options]; 'exit_top --help' for more\n");
}

/* ---- options ---- */

/* "10ms", "0.5s", "500us", "2": nanoseconds, or -1. */
static int64_t parse_interval(const char *s)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
	};
	char *end;
	double v;
	size_t i;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.') || strpbrk(s, "xX"))
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].unit)) {
			double ns = v * units[i].ns;

			if (ns < MIN_INTERVAL_NS || ns > MAX_INTERVAL_NS)
				return -1;
			return (int64_t)(ns + 0.5);
		}
	}
	return -1;
}

static int parse_count(const char *s, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || !*v ? -1 : 0;
}

enum { OPT_ONCE = 256, OPT_CSV, OPT_DEBUGFS, OPT_SOURCE, OPT_CYCLES_PARAM, OPT_BENCH,
       OPT_CLOCK_ORIGIN, OPT_SAMPLES };

/* 0, 1 for -h, or -1 with the reason in @err. */
static int parse_options(int argc, char **argv, struct top_opts *o, char *err, size_t len)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "iterations", optional_argument, NULL, 'n' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "debugfs", required_argument, NULL, OPT_DEBUGFS },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "cycles-param", required_argument, NULL, OPT_CYCLES_PARAM },
		{ "bench", required_argument, NULL, OPT_BENCH },
		{ "clock-origin", no_argument, NULL, OPT_CLOCK_ORIGIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool sort_given = false;
	int c, i;

	memset(o, 0, sizeof(*o));
	o->interval_ns = NSEC_PER_SEC;
	o->table = GLOBAL_TABLE;
	o->cycles_param = EXIT_CYCLES_PARAM;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->interval_ns = parse_interval(optarg);
			if (o->interval_ns < 0) {
				snprintf(err, len, "-d wants a time from 1ms to 3600s, e.g. 10ms, 0.5s, 2 (got '%s')", optarg);
				return -1;
			}
			break;
		case 's':
			for (i = 0; i < NSORT && strcmp(optarg, sort_names[i]); i++)
				;
			if (i == NSORT) {
				snprintf(err, len, "-s wants count, cycles, rate or l2 (got '%s')", optarg);
				return -1;
			}
			o->sort = (enum sort_key)i;
			sort_given = true;
			break;
		case 'n':
			/* -n is --iterations in the exit tests: not a sample count here. */
			snprintf(err, len, "'%s' is not an exit_top option: the number of samples is "
				 "--samples N (in the exit tests, -n is --iterations)", argv[optind - 1]);
			return -1;
		case OPT_SAMPLES:
			if (parse_count(optarg, &o->samples)) {
				snprintf(err, len, "--samples wants a whole number of samples from 1 "
					 "(got '%s')", optarg);
				return -1;
			}
			break;
		case OPT_ONCE:
			o->once = true;
			break;
		case OPT_CSV:
			o->csv = true;
			break;
		case OPT_DEBUGFS:
			o->table = optarg;
			o->table_given = true;
			break;
		case OPT_SOURCE:
			if (!strcmp(optarg, "debugfs")) {
				o->source = SRC_DEBUGFS;
			} else if (!strcmp(optarg, "tracepoint")) {
				o->source = SRC_TRACEPOINT;
			} else {
				snprintf(err, len, "--source wants debugfs or tracepoint (got '%s')", optarg);
				return -1;
			}
			break;
		case OPT_CYCLES_PARAM:
			o->cycles_param = optarg;
			break;
		case OPT_BENCH:
			if (parse_count(optarg, &o->bench)) {
				snprintf(err, len, "--bench wants a whole number of samples >= 1 (got '%s')", optarg);
				return -1;
			}
			break;
		case OPT_CLOCK_ORIGIN:
			o->clock_origin = true;
			break;
		case 'h':
			return 1;
		case ':':
			snprintf(err, len, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				snprintf(err, len, "unknown option '-%c'", optopt);
			else
				snprintf(err, len, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, len, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->sort == SORT_L2 && o->source == SRC_TRACEPOINT) {
		snprintf(err, len, "-s l2 needs the patched kernel's table: the tracepoint does not "
			 "count the exits of nested guests (L2) apart");
		return -1;
	}
	if (o->table_given && o->source == SRC_TRACEPOINT) {
		snprintf(err, len, "--debugfs and --source tracepoint exclude each other");
		return -1;
	}
	if (o->table_given)
		o->source = SRC_DEBUGFS;
	if (o->once && o->samples) {
		snprintf(err, len, "--once and --samples exclude each other");
		return -1;
	}
	if (o->once && o->sort == SORT_RATE) {
		snprintf(err, len, "-s rate needs two samples, --once takes one");
		return -1;
	}
	if (o->csv && sort_given) {
		snprintf(err, len, "-s does not apply to --csv (rows are in table order)");
		return -1;
	}
	if (o->bench && (o->once || o->csv || o->samples)) {
		snprintf(err, len, "--bench excludes --once, --csv and --samples");
		return -1;
	}
	if (o->once)
		o->samples = 1;
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* ---- source 1: the patched kernel's debugfs table ---- */

static bool is_fs(const char *dir, long magic)
{
	struct statfs s;

	return !statfs(dir, &s) && s.f_type == magic;
}

/* Why @path (missing: ENOENT) is not there; says which interface is missing. */
static void explain_missing(const char *path, char *why, size_t len)
{
	struct stat st;

	if (strncmp(path, DEBUGFS_DIR "/", strlen(DEBUGFS_DIR "/")))
		snprintf(why, len, "cannot open %s: %s", path, strerror(ENOENT));
	else if (!is_fs(DEBUGFS_DIR, DEBUGFS_MAGIC))
		snprintf(why, len, "no %s: debugfs is not mounted on " DEBUGFS_DIR
			 " (mount -t debugfs none " DEBUGFS_DIR ")", path);
	else if (stat(DEBUGFS_DIR "/kvm", &st))
		snprintf(why, len, "no %s: KVM is not loaded (no " DEBUGFS_DIR
			 "/kvm; modprobe kvm_intel or kvm_amd)", path);
	else if (stat(GLOBAL_TABLE, &st))
		snprintf(why, len, "no %s: this kernel does not have the exit-stats patch series "
			 "(kernel/patches)", path);
	else
		snprintf(why, len, "no %s (a vCPU's table exists while its VM runs: ls "
			 DEBUGFS_DIR "/kvm/)", path);
}

/* 0; -1 with @why; -2 (with @why) when the file does not exist. */
static int read_table(const char *path, struct exit_table *t, char *why, size_t len)
{
	static char text[64 * 1024];
	char msg[512];
	size_t got = 0;
	ssize_t n = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT) {
			explain_missing(path, why, len);
			return -2;
		}
		snprintf(why, len, "cannot open %s: %s%s", path, strerror(err),
			 err == EACCES || err == EPERM ? " (debugfs is for root: run as root)" : "");
		return -1;
	}
	while (got < sizeof(text) - 1) {
		n = read(fd, text + got, sizeof(text) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	err = errno;
	close(fd);
	if (n < 0) {
		snprintf(why, len, "reading %s: %s", path, strerror(err));
		return -1;
	}
	if (got == sizeof(text) - 1) {
		snprintf(why, len, "%s: larger than %zu bytes, not an exit_reasons table", path, got);
		return -1;
	}
	text[got] = 0;
	if (exit_table_parse(text, t, msg, sizeof(msg))) {
		snprintf(why, len, "%s: %s", path, msg);
		return -1;
	}
	return 0;
}

/* ---- source 2: the kvm:kvm_exit tracepoint, counted on every online CPU ---- */

struct tp_reason {
	uint32_t code;
	const char *name;
};

static const struct tp_reason tp_vmx[] = { VMX_EXIT_REASONS };
static const struct tp_reason tp_svm[] = { SVM_EXIT_REASONS };

static const char *const tp_id_paths[] = {
	"/sys/kernel/tracing/events/kvm/kvm_exit/id",
	DEBUGFS_DIR "/tracing/events/kvm/kvm_exit/id",
};

/*
 * Per CPU, one perf event group: the leader counts every kvm_exit, each
 * member the exits whose exit_reason equals one code of the vendor's table;
 * one read() of the leader returns the whole group, consistently.
 */
struct tp_source {
	enum vendor vendor;
	const struct tp_reason *r;
	int nr, ncpu;
	int *cpus;
	int *fds;			/* ncpu * (nr + 1); [cpu * (nr + 1)] leads */
	uint64_t *buf, *count;		/* 2 + nr; nr */
	uint64_t other;			/* exits of no known code, kept monotonic */
};

static int online_cpus(int **cpus)
{
	char line[4096], *p = line;
	int n = 0, cap = 64, a, b, i;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	*cpus = malloc(cap * sizeof(int));
	if (!*cpus)
		abort();
	if (f && fgets(line, sizeof(line), f)) {
		while (sscanf(p, "%d", &a) == 1) {
			b = a;
			while (*p >= '0' && *p <= '9')
				p++;
			if (*p == '-' && sscanf(++p, "%d", &b) == 1)
				while (*p >= '0' && *p <= '9')
					p++;
			for (i = a; i <= b; i++) {
				if (n == cap) {
					cap *= 2;
					*cpus = realloc(*cpus, cap * sizeof(int));
					if (!*cpus)
						abort();
				}
				(*cpus)[n++] = i;
			}
			if (*p != ',')
				break;
			p++;
		}
	}
	if (f)
		fclose(f);
	if (!n) {
		long m = sysconf(_SC_NPROCESSORS_ONLN);

		for (i = 0; i < m && i < cap; i++)
			(*cpus)[n++] = i;
	}
	return n;
}

static int tp_event(uint64_t id, int cpu, int group, const char *filter, char *why, size_t len)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = id;
	attr.read_format = PERF_FORMAT_GROUP;
	attr.disabled = group < 0;	/* the group starts when its leader is enabled */
	fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, group, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		snprintf(why, len, "perf_event_open(kvm:kvm_exit, cpu %d) failed: %s%s", cpu, strerror(err),
			 err == EACCES || err == EPERM ?
			 " (counting on every CPU needs root, or CAP_PERFMON)" :
			 err == EMFILE || err == ENFILE ? " (raise the open-file limit: ulimit -n)" :
			 err == ENOENT || err == ENODEV || err == EOPNOTSUPP ?
			 " (a kernel without CONFIG_PERF_EVENTS or CONFIG_EVENT_TRACING?)" : "");
		return -1;
	}
	if (filter && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
		snprintf(why, len, "filter '%s' on kvm:kvm_exit: %s", filter, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void tp_close(struct tp_source *tp)
{
	int i;

	for (i = 0; tp->fds && i < tp->ncpu * (tp->nr + 1); i++)
		if (tp->fds[i] >= 0)
			close(tp->fds[i]);
	free(tp->fds);
	free(tp->cpus);
	free(tp->buf);
	free(tp->count);
	memset(tp, 0, sizeof(*tp));
}

static int tp_open(struct tp_source *tp, enum vendor v, char *why, size_t len)
{
	unsigned long long id = 0;
	struct rlimit rl;
	char filter[64];
	size_t i;
	int c, k, nfd;
	FILE *f = NULL;

	memset(tp, 0, sizeof(*tp));
	if (v == VENDOR_OTHER) {
		snprintf(why, len, "the kvm:kvm_exit tracepoint reports VMX or SVM exit codes, and this "
			 "host's KVM is neither (vendor other: /proc/cpuinfo has no vmx or svm flag, e.g. "
			 "a software hypervisor such as kvm_pvm); set EXITBENCH_VENDOR=vmx|svm if that is wrong");
		return -1;
	}
	for (i = 0; i < sizeof(tp_id_paths) / sizeof(tp_id_paths[0]) && !f; i++)
		f = fopen(tp_id_paths[i], "r");
	if (!f) {
		if (!is_fs("/sys/kernel/tracing", TRACEFS_MAGIC))
			snprintf(why, len, "no kvm:kvm_exit tracepoint: tracefs is not mounted "
				 "(mount -t tracefs nodev /sys/kernel/tracing)");
		else
			snprintf(why, len, "no kvm:kvm_exit tracepoint in /sys/kernel/tracing/events/kvm "
				 "(KVM not loaded, or a kernel without CONFIG_FTRACE/CONFIG_TRACEPOINTS)");
		return -1;
	}
	c = fscanf(f, "%llu", &id);
	fclose(f);
	if (c != 1) {
		snprintf(why, len, "unreadable kvm:kvm_exit event id in tracefs");
		return -1;
	}
	tp->vendor = v;
	tp->r = v == VENDOR_VMX ? tp_vmx : tp_svm;
	tp->nr = v == VENDOR_VMX ? (int)(sizeof(tp_vmx) / sizeof(tp_vmx[0])) :
				   (int)(sizeof(tp_svm) / sizeof(tp_svm[0]));
	tp->ncpu = online_cpus(&tp->cpus);
	nfd = tp->ncpu * (tp->nr + 1);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)nfd + 32) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)nfd + 32 ? rl.rlim_max : (rlim_t)nfd + 32;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	tp->fds = malloc(nfd * sizeof(int));
	tp->buf = calloc(tp->nr + 2, sizeof(uint64_t));
	tp->count = calloc(tp->nr, sizeof(uint64_t));
	if (!tp->fds || !tp->buf || !tp->count)
		abort();
	for (k = 0; k < nfd; k++)
		tp->fds[k] = -1;
	for (c = 0; c < tp->ncpu; c++) {
		int *fds = tp->fds + c * (tp->nr + 1);

		fds[0] = tp_event(id, tp->cpus[c], -1, NULL, why, len);
		for (k = 0; fds[0] >= 0 && k < tp->nr; k++) {
			snprintf(filter, sizeof(filter), "exit_reason == %u", tp->r[k].code);
			fds[k + 1] = tp_event(id, tp->cpus[c], fds[0], filter, why, len);
			if (fds[k + 1] < 0)
				break;
		}
		if (fds[0] < 0 || k < tp->nr) {
			tp_close(tp);
			return -1;
		}
	}
	for (c = 0; c < tp->ncpu; c++) {
		if (ioctl(tp->fds[c * (tp->nr + 1)], PERF_EVENT_IOC_ENABLE, 0)) {
			snprintf(why, len, "enabling the kvm:kvm_exit counters: %s", strerror(errno));
			tp_close(tp);
			return -1;
		}
	}
	return 0;
}

/* The counts since tp_open(), as a table: rows with exits, then OTHER. */
static int tp_read(struct tp_source *tp, struct exit_table *t, char *why, size_t len)
{
	size_t want = (tp->nr + 2) * sizeof(uint64_t);
	uint64_t total = 0, known = 0;
	int c, k;

	memset(tp->count, 0, tp->nr * sizeof(uint64_t));
	for (c = 0; c < tp->ncpu; c++) {
		ssize_t n = read(tp->fds[c * (tp->nr + 1)], tp->buf, want);

		if (n != (ssize_t)want || tp->buf[0] != (uint64_t)tp->nr + 1) {
			snprintf(why, len, "reading the kvm:kvm_exit counters of cpu %d: %s", tp->cpus[c],
				 n < 0 ? strerror(errno) : "short read");
			return -1;
		}
		total += tp->buf[1];
		for (k = 0; k < tp->nr; k++)
			tp->count[k] += tp->buf[k + 2];
	}
	memset(t, 0, sizeof(*t));
	t->vendor = tp->vendor;
	for (k = 0; k < tp->nr && t->nrows < EXIT_TABLE_MAX_ROWS - 1; k++) {
		struct exit_table_row *row;

		if (!tp->count[k])
			continue;
		row = &t->rows[t->nrows++];
		row->reason = tp->r[k].code;
		snprintf(row->name, sizeof(row->name), "%s", tp->r[k].name);
		row->count = tp->count[k];
		known += tp->count[k];
	}
	/* VMX exits with flag bits (e.g. bit 31, failed entry), unlisted codes. */
	if (total > known && total - known > tp->other)
		tp->other = total - known;
	if (tp->other) {
		struct exit_table_row *row = &t->rows[t->nrows++];

		row->reason = -1;
		snprintf(row->name, sizeof(row->name), "OTHER");
		row->count = tp->other;
	}
	t->total = known + tp->other;
	return 0;
}

/* ---- samples: cumulative counts and their growth, per reason ---- */

struct top_row {
	int64_t reason;			/* hardware value; -1 for '-' rows */
	char name[64];
	uint64_t key;			/* table order */
	uint64_t count, cycles;		/* this sample */
	uint64_t prev_count, prev_cycles;	/* the sample before */
	uint64_t l2_count, l2_cycles;	/* of those, L2's (debugfs only) */
	uint64_t prev_l2_count, prev_l2_cycles;
	double rate;			/* exits/s over the last interval */
};

struct top {
	enum source source;		/* SRC_DEBUGFS or SRC_TRACEPOINT */
	const char *path;
	struct tp_source tp;
	enum vendor vendor;
	struct exit_table table;	/* the latest read */
	int nrows;
	struct top_row rows[EXIT_TABLE_MAX_ROWS];
	uint64_t samples;		/* taken so far */
	int64_t t0_ns, t_ns, dt_ns;	/* first, latest sample; interval */
};

static uint64_t row_key(int64_t reason, const char *name)
{
	if (reason >= 0)
		return (uint64_t)reason;
	/* The '-' rows last: UNKNOWN (the debugfs table), then OTHER (tracepoint). */
	return (1ULL << 40) + (!strcmp(name, "UNKNOWN") ? 0 : 1);
}

static void format_reason(char *buf, size_t len, enum vendor v, int64_t reason)
{
	if (reason < 0)
		snprintf(buf, len, "-");
	else if (v == VENDOR_SVM)
		snprintf(buf, len, "0x%" PRIx64, (uint64_t)reason);
	else
		snprintf(buf, len, "%" PRId64, reason);
}

/* Fold the latest table into the rows; counters only ever grow. */
static int top_update(struct top *tp, char *why, size_t len)
{
	const struct exit_table *t = &tp->table;
	bool seen[EXIT_TABLE_MAX_ROWS] = { false };
	char r[24];
	int i, j;

	if (!tp->samples)
		tp->vendor = t->vendor;
	if (t->vendor != tp->vendor) {
		snprintf(why, len, "%s: vendor changed from %s to %s", tp->path,
			 vendor_name(tp->vendor), vendor_name(t->vendor));
		return -1;
	}
	for (i = 0; i < tp->nrows; i++) {
		tp->rows[i].prev_count = tp->rows[i].count;
		tp->rows[i].prev_cycles = tp->rows[i].cycles;
		tp->rows[i].prev_l2_count = tp->rows[i].l2_count;
		tp->rows[i].prev_l2_cycles = tp->rows[i].l2_cycles;
	}
	for (i = 0; i < t->nrows; i++) {
		const struct exit_table_row *tr = &t->rows[i];
		uint64_t key = row_key(tr->reason, tr->name);
		struct top_row *row = NULL;

		for (j = 0; j < tp->nrows && !row; j++)
			if (tp->rows[j].key == key && !strcmp(tp->rows[j].name, tr->name))
				row = &tp->rows[j];
		if (!row) {
			if (tp->nrows == EXIT_TABLE_MAX_ROWS) {
				snprintf(why, len, "%s: more than %d reasons", tp->path, EXIT_TABLE_MAX_ROWS);
				return -1;
			}
			/* Keep table order: insert before the first row with a larger key. */
			for (j = tp->nrows; j > 0 && tp->rows[j - 1].key > key; j--) {
				tp->rows[j] = tp->rows[j - 1];
				seen[j] = seen[j - 1];
			}
			row = &tp->rows[j];
			memset(row, 0, sizeof(*row));
			row->reason = tr->reason;
			row->key = key;
			snprintf(row->name, sizeof(row->name), "%s", tr->name);
			tp->nrows++;
		}
		if (seen[row - tp->rows]) {
			format_reason(r, sizeof(r), tp->vendor, tr->reason);
			snprintf(why, len, "%s: reason %s %s is listed twice", tp->path, r, tr->name);
			return -1;
		}
		seen[row - tp->rows] = true;
		if (tr->count < row->count || tr->cycles < row->cycles) {
			format_reason(r, sizeof(r), tp->vendor, row->reason);
			snprintf(why, len, "%s: the counters of %s %s went down (exits %" PRIu64 " -> %" PRIu64
				 ", cycles %" PRIu64 " -> %" PRIu64 "): kvm.ko reloaded, or another file?",
				 tp->path, r, row->name, row->count, tr->count, row->cycles, tr->cycles);
			return -1;
		}
		if (tr->l2_count < row->l2_count || tr->l2_cycles < row->l2_cycles) {
			format_reason(r, sizeof(r), tp->vendor, row->reason);
			snprintf(why, len, "%s: the L2 counters of %s %s went down (l2_count %" PRIu64 " -> %"
				 PRIu64 ", l2_cycles %" PRIu64 " -> %" PRIu64 "): kvm.ko reloaded, or another file?",
				 tp->path, r, row->name, row->l2_count, tr->l2_count, row->l2_cycles, tr->l2_cycles);
			return -1;
		}
		/* The table's reader checks l2_count <= count; cycles are added up apart. */
		if (tr->l2_cycles > tr->cycles) {
			format_reason(r, sizeof(r), tp->vendor, row->reason);
			snprintf(why, len, "%s: %s %s has more L2 cycles (%" PRIu64 ") than cycles of all levels "
				 "(%" PRIu64 ")", tp->path, r, row->name, tr->l2_cycles, tr->cycles);
			return -1;
		}
		row->count = tr->count;
		row->cycles = tr->cycles;
		row->l2_count = tr->l2_count;
		row->l2_cycles = tr->l2_cycles;
		if (!tp->samples) {	/* sample 0 is the baseline: no growth yet */
			row->prev_count = row->count;
			row->prev_cycles = row->cycles;
			row->prev_l2_count = row->l2_count;
			row->prev_l2_cycles = row->l2_cycles;
		}
	}
	for (i = 0; i < tp->nrows; i++) {
		if (!seen[i] && tp->rows[i].count) {
			format_reason(r, sizeof(r), tp->vendor, tp->rows[i].reason);
			snprintf(why, len, "%s: reason %s %s (%" PRIu64 " exits) is gone: kvm.ko reloaded, "
				 "or another file?", tp->path, r, tp->rows[i].name, tp->rows[i].count);
			return -1;
		}
	}
	for (i = 0; i < tp->nrows; i++)
		tp->rows[i].rate = tp->dt_ns > 0 ?
			(double)(tp->rows[i].count - tp->rows[i].prev_count) * 1e9 / (double)tp->dt_ns : 0;
	return 0;
}

/* Read the source and fold it in; 0, -1 with @why (-2: debugfs file missing). */
static int top_sample(struct top *tp, char *why, size_t len)
{
	int64_t t = now_ns();
	int ret;

	ret = tp->source == SRC_DEBUGFS ? read_table(tp->path, &tp->table, why, len) :
					  tp_read(&tp->tp, &tp->table, why, len);
	if (ret)
		return ret;
	if (!tp->samples)
		tp->t0_ns = t;
	tp->dt_ns = tp->samples ? t - tp->t_ns : 0;
	tp->t_ns = t;
	if (top_update(tp, why, len))
		return -1;
	tp->samples++;
	return 0;
}

/* ---- output ---- */

static bool csv_needs_quotes(const char *s)
{
	return strpbrk(s, ",\"\n") != NULL;
}

static void csv_string(FILE *f, const char *s)
{
	if (!csv_needs_quotes(s)) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

#define CSV_HEADER "sample,time_s,interval_s,reason,name,exits,cycles,exits_delta,cycles_delta," \
		   "l2_exits,l2_cycles,l2_exits_delta,l2_cycles_delta\n"

static void csv_sample(FILE *f, const struct top *tp)
{
	bool cycles = tp->source == SRC_DEBUGFS;
	char r[24];
	int i;

	for (i = 0; i < tp->nrows; i++) {
		const struct top_row *row = &tp->rows[i];

		format_reason(r, sizeof(r), tp->vendor, row->reason);
		fprintf(f, "%" PRIu64 ",%.6f,%.6f,%s,", tp->samples - 1,
			(double)(tp->t_ns - tp->t0_ns) / 1e9, (double)tp->dt_ns / 1e9, r);
		csv_string(f, row->name);
		/* The tracepoint has neither cycles nor levels: empty, never 0. */
		if (cycles)
			fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
				",%" PRIu64 ",%" PRIu64 "\n", row->count, row->cycles,
				row->count - row->prev_count, row->cycles - row->prev_cycles, row->l2_count,
				row->l2_cycles, row->l2_count - row->prev_l2_count,
				row->l2_cycles - row->prev_l2_cycles);
		else
			fprintf(f, ",%" PRIu64 ",,%" PRIu64 ",,,,\n", row->count, row->count - row->prev_count);
	}
}

enum cycles_state { CYC_ON, CYC_OFF, CYC_UNKNOWN, CYC_NONE };

/* kvm.exit_cycles: Y, N, or unknown (no such parameter: a stock kvm.ko, or none). */
static enum cycles_state read_cycles_param(const char *path)
{
	char v[8] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return CYC_UNKNOWN;
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	return v[0] == 'Y' || v[0] == 'y' || v[0] == '1' ? CYC_ON :
	       v[0] == 'N' || v[0] == 'n' || v[0] == '0' ? CYC_OFF : CYC_UNKNOWN;
}

static const struct top_row *sort_rows;
static enum sort_key sort_by;

static int cmp_rows(const void *a, const void *b)
{
	const struct top_row *x = &sort_rows[*(const int *)a], *y = &sort_rows[*(const int *)b];

	switch (sort_by) {
	case SORT_CYCLES:
		if (x->cycles != y->cycles)
			return x->cycles < y->cycles ? 1 : -1;
		break;
	case SORT_RATE:
		if (x->rate != y->rate)
			return x->rate < y->rate ? 1 : -1;
		break;
	case SORT_L2:
		if (x->l2_count != y->l2_count)
			return x->l2_count < y->l2_count ? 1 : -1;
		break;
	default:
		break;
	}
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void print_screen(FILE *f, struct top *tp, const struct top_opts *o, bool tty,
			 const char *note)
{
	enum cycles_state cs = tp->source == SRC_TRACEPOINT ? CYC_NONE : read_cycles_param(o->cycles_param);
	bool rates = !o->once;
	bool levels = tp->source == SRC_DEBUGFS;
	uint64_t total = 0, total_cycles = 0, delta = 0, l2_total = 0, l2_total_cycles = 0;
	int order[EXIT_TABLE_MAX_ROWS], i, shown, name_w = 4, max_rows = tp->nrows;
	const char *cyc_cell;
	char r[24];

	for (i = 0; i < tp->nrows; i++) {
		total += tp->rows[i].count;
		total_cycles += tp->rows[i].cycles;
		l2_total += tp->rows[i].l2_count;
		l2_total_cycles += tp->rows[i].l2_cycles;
		delta += tp->rows[i].count - tp->rows[i].prev_count;
		order[i] = i;
		if ((int)strlen(tp->rows[i].name) > name_w)
			name_w = (int)strlen(tp->rows[i].name);
	}
	if (cs == CYC_UNKNOWN && !total_cycles)
		cs = CYC_NONE;
	cyc_cell = cs == CYC_OFF ? "off" : cs == CYC_NONE ? "n/a" : NULL;
	/* Cycles that are off (or absent) would sort at random: by count then. */
	sort_by = (o->sort == SORT_CYCLES && cyc_cell) || (o->sort == SORT_L2 && !levels) ? SORT_COUNT : o->sort;
	sort_rows = tp->rows;
	qsort(order, tp->nrows, sizeof(order[0]), cmp_rows);

	if (tty) {
		int other_lines = note ? 10 : 9;	/* header, column names, "more" */
		struct winsize ws;

		fputs("\033[H\033[J", f);
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > other_lines &&
		    ws.ws_row - other_lines < max_rows)
			max_rows = ws.ws_row - other_lines;
	}
	if (tp->source == SRC_DEBUGFS)
		fprintf(f, "exit_top  source: debugfs %s  vendor: %s\n", tp->path, vendor_name(tp->vendor));
	else
		fprintf(f, "exit_top  source: kvm:kvm_exit tracepoint, %d CPUs x %d reasons  vendor: %s\n",
			tp->tp.ncpu, tp->tp.nr, vendor_name(tp->vendor));
	if (note)
		fprintf(f, "%s\n", note);
	switch (cs) {
	case CYC_ON:
		fprintf(f, "cycles: on (kvm.exit_cycles=Y)\n");
		break;
	case CYC_OFF:
		fprintf(f, "cycles: off (kvm.exit_cycles=N; turn on: echo 1 > %s)\n", o->cycles_param);
		break;
	case CYC_UNKNOWN:
		fprintf(f, "cycles: as in the table (%s unreadable)\n", o->cycles_param);
		break;
	default:
		if (tp->source == SRC_TRACEPOINT)
			fprintf(f, "cycles: n/a (the tracepoint does not time exits: the patched kernel's "
				"table with kvm.exit_cycles=1 does)\n");
		else
			fprintf(f, "cycles: n/a (all 0, and %s unreadable)\n", o->cycles_param);
	}
	if (rates)
		fprintf(f, "sample %" PRIu64 " at %.3f s, interval %.3f s, ", tp->samples,
			(double)(tp->t_ns - tp->t0_ns) / 1e9, (double)tp->dt_ns / 1e9);
	fprintf(f, "sorted by %s%s\n", sort_names[sort_by], sort_by == o->sort ? "" :
		o->sort == SORT_L2 ? " (no L2 counts)" : " (no cycles)");
	fprintf(f, "total%s: %" PRIu64 " exits", tp->source == SRC_TRACEPOINT ?
		" since exit_top started" : "", total);
	if (rates) {
		if (tp->dt_ns > 0)
			fprintf(f, ", %.1f exits/s", (double)delta * 1e9 / (double)tp->dt_ns);
		else
			fprintf(f, ", - exits/s");
	}
	if (!cyc_cell)
		fprintf(f, ", %" PRIu64 " cycles", total_cycles);
	if (!cyc_cell && total)
		fprintf(f, ", %.1f cycles/exit", (double)total_cycles / (double)total);
	fprintf(f, "\n");
	if (levels) {
		fprintf(f, "levels: %" PRIu64 " exits of L2 (nested guests", l2_total);
		if (total)
			fprintf(f, ", %.1f%%", 100.0 * (double)l2_total / (double)total);
		fprintf(f, "), %" PRIu64 " of L1", total - l2_total);
		if (!cyc_cell)
			fprintf(f, "; %" PRIu64 " cycles of L2, %" PRIu64 " of L1", l2_total_cycles,
				total_cycles - l2_total_cycles);
		fprintf(f, "\n");
	} else {
		fprintf(f, "levels: not counted (the tracepoint does not tell the exits of nested guests, "
			"L2, from L1's: its exits are of both; the patched kernel's table does)\n");
	}
	fprintf(f, "\n");

	fprintf(f, "%10s  %-*s %14s", "reason", name_w, "name", "exits");
	if (rates)
		fprintf(f, " %12s", "exits/s");
	if (tp->source == SRC_TRACEPOINT)
		fprintf(f, " %8s\n", "exits_%");
	else
		fprintf(f, " %18s %12s %8s %8s %12s %16s\n", "cycles", "cycles/exit", "exits_%", "cycles_%",
			"l2_exits", "l2_cycles");
	shown = tp->nrows < max_rows ? tp->nrows : max_rows;
	for (i = 0; i < shown; i++) {
		const struct top_row *row = &tp->rows[order[i]];
		char cyc[24], cpe[24], cpct[16], l2cyc[24];

		format_reason(r, sizeof(r), tp->vendor, row->reason);
		fprintf(f, "%10s  %-*s %14" PRIu64, r, name_w, row->name, row->count);
		if (rates && tp->dt_ns > 0)
			fprintf(f, " %12.1f", row->rate);
		else if (rates)
			fprintf(f, " %12s", "-");
		if (tp->source == SRC_TRACEPOINT) {
			fprintf(f, " %8.1f\n", total ? 100.0 * (double)row->count / (double)total : 0.0);
			continue;
		}
		if (cyc_cell) {
			snprintf(cyc, sizeof(cyc), "%s", cyc_cell);
			snprintf(cpe, sizeof(cpe), "%s", cyc_cell);
			snprintf(cpct, sizeof(cpct), "%s", cyc_cell);
			snprintf(l2cyc, sizeof(l2cyc), "%s", cyc_cell);
		} else {
			snprintf(l2cyc, sizeof(l2cyc), "%" PRIu64, row->l2_cycles);
			snprintf(cyc, sizeof(cyc), "%" PRIu64, row->cycles);
			if (row->count)
				snprintf(cpe, sizeof(cpe), "%.1f", (double)row->cycles / (double)row->count);
			else
				snprintf(cpe, sizeof(cpe), "-");
			if (total_cycles)
				snprintf(cpct, sizeof(cpct), "%.1f", 100.0 * (double)row->cycles / (double)total_cycles);
			else
				snprintf(cpct, sizeof(cpct), "-");
		}
		fprintf(f, " %18s %12s %8.1f %8s %12" PRIu64 " %16s\n", cyc, cpe,
			total ? 100.0 * (double)row->count / (double)total : 0.0, cpct, row->l2_count, l2cyc);
	}
	if (shown < tp->nrows)
		fprintf(f, "(%d more reasons: a taller window shows them)\n", tp->nrows - shown);
	if (!tp->nrows)
		fprintf(f, "(no exits counted yet)\n");
}

/* ---- main loop ---- */

/* Exit status 3 with @msg, after what is already on stdout. */
static int fail(const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "exit_top: %s\n", msg);
	return 3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, uint64_t n, double p)
{
	double pos = p * (double)(n - 1);
	uint64_t i = (uint64_t)pos;

	return i + 1 < n ? sorted[i] + (pos - (double)i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

/* --bench: what one sample costs (it matters for a 10 ms sampler). */
static int bench(struct top *tp, uint64_t n)
{
	double *rd = calloc(n, sizeof(double)), *fmt = calloc(n, sizeof(double));
	FILE *null = fopen("/dev/null", "w");
	char why[1024];
	uint64_t i;

	if (!rd || !fmt || !null)
		abort();
	for (i = 0; i < n; i++) {
		int64_t a = now_ns(), b, c;
		int ret = tp->source == SRC_DEBUGFS ? read_table(tp->path, &tp->table, why, sizeof(why)) :
						      tp_read(&tp->tp, &tp->table, why, sizeof(why));

		b = now_ns();
		if (ret || top_update(tp, why, sizeof(why)))
			return fail(why);
		tp->samples++;
		csv_sample(null, tp);
		fflush(null);
		c = now_ns();
		rd[i] = (double)(b - a) / 1e3;
		fmt[i] = (double)(c - b) / 1e3;
	}
	fclose(null);
	qsort(rd, n, sizeof(double), cmp_double);
	qsort(fmt, n, sizeof(double), cmp_double);
	printf("exit_top --bench: %" PRIu64 " samples of %s (%d rows)\n", n,
	       tp->source == SRC_DEBUGFS ? tp->path : "the kvm:kvm_exit tracepoint", tp->nrows);
	printf("read+parse_us: median %.1f p10 %.1f p90 %.1f max %.1f\n",
	       pct(rd, n, 0.5), pct(rd, n, 0.1), pct(rd, n, 0.9), rd[n - 1]);
	printf("csv_rows_us: median %.1f p10 %.1f p90 %.1f max %.1f\n",
	       pct(fmt, n, 0.5), pct(fmt, n, 0.1), pct(fmt, n, 0.9), fmt[n - 1]);
	free(rd);
	free(fmt);
	if (fflush(stdout) || ferror(stdout)) {
		snprintf(why, sizeof(why), "writing the output: %s", strerror(errno));
		return fail(why);
	}
	return 0;
}

/* Wait until @deadline; false when SIGINT or SIGTERM came first. */
static bool wait_until(int64_t deadline, const sigset_t *stop)
{
	for (;;) {
		int64_t left = deadline - now_ns();
		struct timespec ts;
		int sig;

		if (left <= 0)
			left = 0;
		ts.tv_sec = left / NSEC_PER_SEC;
		ts.tv_nsec = left % NSEC_PER_SEC;
		sig = sigtimedwait(stop, NULL, &ts);
		if (sig > 0)
			return false;
		if (errno == EAGAIN)
			return true;
		/* EINTR: another signal; wait on. */
	}
}

int main(int argc, char **argv)
{
	static struct top tp;	/* large: rows and the latest table */
	char why[1024], why_debugfs[1024] = "", note[1200] = "", err[256];
	bool tty = isatty(STDOUT_FILENO), fallback = false;
	struct top_opts o;
	sigset_t stop;
	int64_t next;
	int ret;

	ret = parse_options(argc, argv, &o, err, sizeof(err));
	if (ret > 0) {
		usage(stdout);
		if (fflush(stdout) || ferror(stdout)) {
			snprintf(why, sizeof(why), "writing the help: %s", strerror(errno));
			return fail(why);
		}
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "exit_top: %s\n", err);
		usage_hint(stderr);
		return 2;
	}
	if (fcntl(STDOUT_FILENO, F_GETFL) < 0)
		return fail("stdout is closed: nowhere to show the counters (give it a terminal, "
			    "a file or a pipe)");
	/* Blocked, and taken only between samples: a sample is never cut short. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	tp.path = o.table;
	tp.source = o.source == SRC_TRACEPOINT ? SRC_TRACEPOINT : SRC_DEBUGFS;
	if (tp.source == SRC_DEBUGFS) {
		ret = top_sample(&tp, why_debugfs, sizeof(why_debugfs));
		if (ret == -1 || (ret == -2 && o.source == SRC_DEBUGFS))
			return fail(why_debugfs);
		if (ret == -2) {
			tp.source = SRC_TRACEPOINT;
			fallback = true;
		}
	}
	if (tp.source == SRC_TRACEPOINT) {
		enum vendor v = detect_vendor();

		if (tp_open(&tp.tp, v, why, sizeof(why))) {
			fflush(stdout);
			if (fallback)
				fprintf(stderr, "exit_top: no source of exit counts here:\n"
					"  debugfs table: %s\n  tracepoint fallback: %s\n", why_debugfs, why);
			else
				fprintf(stderr, "exit_top: %s\n", why);
			return 3;
		}
		tp.path = "kvm:kvm_exit";
		if (fallback) {
			snprintf(note, sizeof(note), "%s; counting the kvm:kvm_exit tracepoint instead "
				 "(counts and rates, no cycles)", why_debugfs);
			fprintf(stderr, "exit_top: %s\n", note);
		}
		/* Counting starts at tp_open(): --once shows one interval of it. */
		if (o.once && !wait_until(now_ns() + o.interval_ns, &stop))
			return 0;
		if (top_sample(&tp, why, sizeof(why)))
			return fail(why);
	}
	if (o.bench)
		return bench(&tp, o.bench);
	if (o.clock_origin)
		fprintf(stderr, "exit_top: time_s 0 is CLOCK_MONOTONIC %lld.%06lld s\n",
			(long long)(tp.t0_ns / NSEC_PER_SEC), (long long)(tp.t0_ns % NSEC_PER_SEC / 1000));
	if (o.csv) {
		/* One write per sample, so a reader never sees half a sample. */
		setvbuf(stdout, NULL, _IOFBF, 1 << 18);
		fputs(CSV_HEADER, stdout);
	}
	next = tp.t0_ns;
	for (;;) {
		if (o.csv) {
			csv_sample(stdout, &tp);
		} else {
			print_screen(stdout, &tp, &o, tty && !o.once, note[0] ? note : NULL);
			if (!tty && !o.once)
				putchar('\n');
		}
		if (fflush(stdout) || ferror(stdout)) {
			snprintf(why, sizeof(why), "writing the output: %s", strerror(errno));
			return fail(why);
		}
		if (o.samples && tp.samples >= o.samples)
			break;
		/* On a fixed grid; slots missed (a stalled machine) are skipped. */
		next += o.interval_ns;
		if (next < now_ns())
			next += ((now_ns() - next) / o.interval_ns + 1) * o.interval_ns;
		if (!wait_until(next, &stop))
			break;
		if (top_sample(&tp, why, sizeof(why)))
			return fail(why);
	}
	if (tp.source == SRC_TRACEPOINT)
		tp_close(&tp.tp);
	return 0;
}
