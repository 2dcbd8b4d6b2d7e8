// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void print_usage(FILE *f, const char *prog, const char *summary)
{
	fprintf(f,
"usage: %s [options]\n"
"%s%s"
"Runs the exiting loop and its baseline in a KVM guest, reports TSC cycles\n"
"per exit (median over trials, baseline subtracted) and checks that the\n"
"kernel counted the exits under the expected reason. KTAP on stdout;\n"
"exit status 0 pass, 1 fail, 2 usage error, 3 error (a write failed),\n"
"4 skip (also: not measurable here, CV over trials above 50%%).\n"
"\n"
"options:\n"
"  -n, --iterations N     exiting instructions per trial (default: scaled\n"
"                         until one trial lasts --target-cycles)\n"
"  -t, --trials K         timed trials (default %d, at most %d)\n"
"  -c, --cpu CPU[,CPU...] pin the vCPU thread to host CPU number CPU; with\n"
"                         several vCPUs, one CPU each (or one for all)\n"
"      --vcpus N          run N vCPUs (tests that take several; see above)\n"
"      --xapic            the guest's local APIC in xAPIC mode (MMIO); the\n"
"                         default is x2APIC where KVM offers it, as\n"
"                         kvm-unit-tests sets it up\n"
"      --kvmclock         turn the vCPUs' kvmclock on (MSR_KVM_SYSTEM_TIME_NEW)\n"
"                         before the loops, as it is in QEMU's VM (SeaBIOS\n"
"                         turns it on and leaves it on): KVM then rewrites\n"
"                         the guest's pvclock at each clock update, e.g.\n"
"                         after every TSC_ADJUST write (README, vmexit.c)\n"
"      --json FILE        write the result as JSON to FILE (must not exist)\n"
"      --target-cycles C  TSC cycles one trial should last when scaling N\n"
"                         (default: %llu where two of three baseline loops\n"
"                         that long agree within 0.1%%, else %llu)\n"
"      --counters LIST    counter sources to read, comma-separated\n"
"                         (default: every one available; see README);\n"
"                         try:NAME uses NAME when usable, 'default' the\n"
"                         default set; course kernels (explicit only):\n"
"                         kmsg-dump, course-cpuid, file:PATH:FORMAT\n"
"                         (docs/check_kernel.md)\n"
"      --max-cv PCT       above this CV over 3 trials or more, the figure is\n"
"                         'not measurable here': a skip, with the CV and the\n"
"                         attribution (default %g%%)\n"
"  -v, --verbose          print each trial and every counter source\n"
"      --dry-run          check the options and exit (0: they are valid),\n"
"                         without opening /dev/kvm or running anything\n"
"  -h, --help             this help\n",
		prog, summary ? summary : "", summary ? "\n\n" : "",
		DEFAULT_TRIALS, MAX_TRIALS, (unsigned long long)MIN_TARGET_CYCLES,
		(unsigned long long)DEFAULT_TARGET_CYCLES, DEFAULT_MAX_CV * 100);
}

void print_usage_hint(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [-n N] [-t TRIALS] [-c CPU] [--json FILE] [options]; "
		"'%s --help' for more\n", prog, prog);
}

int check_new_file(const char *opt, const char *path, char *err, size_t len)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!lstat(path, &st)) {
		snprintf(err, len, "%s %s: already exists; results are never overwritten: "
			 "name a new file", opt, path);
		return -1;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st)) {
		snprintf(err, len, "%s %s: directory %s: %s (create it first, or name "
			 "a file elsewhere)", opt, path, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s %s: %s is not a directory", opt, path, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, len, "%s %s: cannot create files in %s: %s", opt, path, dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* A whole decimal number in [min, max]; no sign, no suffix, no junk. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum { OPT_JSON = 256, OPT_TARGET, OPT_COUNTERS, OPT_VCPUS, OPT_XAPIC, OPT_KVMCLOCK, OPT_DRY_RUN, OPT_MAX_CV };

/* -c CPU[,CPU...] into o->cpus; -1 on a bad list. */
static int parse_cpus(const char *s, struct options *o)
{
	char buf[256], *tok, *save;
	uint64_t v;

	if (!s || strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == ',')
		return -1;
	strcpy(buf, s);
	o->ncpus = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->ncpus == MAX_CLI_CPUS || parse_u64(tok, 0, CPU_SETSIZE - 1, &v))
			return -1;
		o->cpus[o->ncpus++] = (int)v;
	}
	if (strstr(s, ",,"))
		return -1;
	o->cpu = o->cpus[0];
	return 0;
}

int parse_options(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "trials", required_argument, NULL, 't' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "target-cycles", required_argument, NULL, OPT_TARGET },
		{ "counters", required_argument, NULL, OPT_COUNTERS },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "xapic", no_argument, NULL, OPT_XAPIC },
		{ "kvmclock", no_argument, NULL, OPT_KVMCLOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "max-cv", required_argument, NULL, OPT_MAX_CV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->trials = DEFAULT_TRIALS;
	o->cpu = -1;
	o->target_cycles = 0;
	o->max_cv = DEFAULT_MAX_CV;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:t:c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, 1, 1ULL << 40, &v)) {
				snprintf(err, errlen, "-n wants a whole number of iterations from 1 to 2^40, not '%s'", optarg);
				return -1;
			}
			o->iterations = v;
			break;
		case 't':
			if (parse_u64(optarg, 1, MAX_TRIALS, &v)) {
				snprintf(err, errlen, "-t wants a number of trials from 1 to %d, not '%s'", MAX_TRIALS, optarg);
				return -1;
			}
			o->trials = (unsigned int)v;
			break;
		case 'c':
			if (parse_cpus(optarg, o)) {
				snprintf(err, errlen, "-c wants a host CPU number from 0 to %d, or up to %d of them separated by commas, not '%s'",
					 CPU_SETSIZE - 1, MAX_CLI_CPUS, optarg);
				return -1;
			}
			o->cpu_arg = optarg;
			break;
		case OPT_VCPUS:
			if (parse_u64(optarg, 1, MAX_CLI_CPUS, &v)) {
				snprintf(err, errlen, "--vcpus wants a number of vCPUs from 1 to %d, not '%s'", MAX_CLI_CPUS, optarg);
				return -1;
			}
			o->vcpus = (unsigned int)v;
			break;
		case OPT_XAPIC:
			o->xapic = true;
			break;
		case OPT_KVMCLOCK:
			o->kvmclock = true;
			break;
		case OPT_JSON:
			if (!*optarg) {
				snprintf(err, errlen, "--json wants a file name");
				return -1;
			}
			o->json_path = optarg;
			break;
		case OPT_TARGET:
			if (parse_u64(optarg, 1000, 1ULL << 40, &v)) {
				snprintf(err, errlen, "--target-cycles wants a number of cycles from 1000 to 2^40, not '%s'", optarg);
				return -1;
			}
			o->target_cycles = v;
			break;
		case OPT_COUNTERS:
			if (!*optarg) {
				snprintf(err, errlen, "--counters wants a comma-separated list of sources");
				return -1;
			}
			o->counters = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_MAX_CV: {
			char *end;
			double pct;

			errno = 0;
			pct = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(pct >= 0.001 && pct <= 100000)) {
				snprintf(err, errlen, "--max-cv wants a percentage from 0.001 to 100000, not '%s'", optarg);
				return -1;
			}
			o->max_cv = pct / 100;
			break;
		}
		case 'h':
			o->help = true;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt >= 256) {
				/* A long option of ours, given a value it does not take. */
				const struct option *l = longopts;

				while (l->name && l->val != optopt)
					l++;
				snprintf(err, errlen, "option '--%s' takes no value (got '%s')",
					 l->name ? l->name : "?", argv[optind - 1]);
			} else if (optopt)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (tests take options only)", argv[optind]);
		return -1;
	}
	return 0;
}
