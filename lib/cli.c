// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void print_usage(FILE *f, const char *prog, const char *summary)
{
	fprintf(f,
"usage: %s [options]\n"
"%s%s"
"Runs the exiting loop and its baseline in a KVM guest, reports TSC cycles\n"
"per exit (median over trials, baseline subtracted) and checks that the\n"
"kernel counted the exits under the expected reason. KTAP on stdout;\n"
"exit status 0 pass, 1 fail, 2 usage error, 4 skip.\n"
"\n"
"options:\n"
"  -n, --iterations N     exiting instructions per trial (default: scaled\n"
"                         until one trial lasts --target-cycles)\n"
"  -t, --trials K         timed trials (default %d, at most %d)\n"
"  -c, --cpu CPU          pin the vCPU thread to host CPU number CPU\n"
"      --json FILE        write the result as JSON to FILE (must not exist)\n"
"      --target-cycles C  TSC cycles one trial should last when scaling N\n"
"                         (default %llu)\n"
"      --counters LIST    counter sources to read, comma-separated\n"
"                         (default: every one available; see README)\n"
"  -v, --verbose          print each trial and every counter source\n"
"  -h, --help             this help\n",
		prog, summary ? summary : "", summary ? "\n\n" : "",
		DEFAULT_TRIALS, MAX_TRIALS,
		(unsigned long long)DEFAULT_TARGET_CYCLES);
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

enum { OPT_JSON = 256, OPT_TARGET, OPT_COUNTERS };

int parse_options(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "trials", required_argument, NULL, 't' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "target-cycles", required_argument, NULL, OPT_TARGET },
		{ "counters", required_argument, NULL, OPT_COUNTERS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->trials = DEFAULT_TRIALS;
	o->cpu = -1;
	o->target_cycles = DEFAULT_TARGET_CYCLES;

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
			if (parse_u64(optarg, 0, CPU_SETSIZE - 1, &v)) {
				snprintf(err, errlen, "-c wants a host CPU number from 0 to %d, not '%s'", CPU_SETSIZE - 1, optarg);
				return -1;
			}
			o->cpu = (int)v;
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
		case 'h':
			o->help = true;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
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
