// SPDX-License-Identifier: GPL-2.0-only
/* exitbench_info: the run metadata that summary.json carries, as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "kvm_stats.h"
#include "sysinfo.h"

/*
 * "stats_abi": {"vm": {...}, "vcpu": {...}}, each with the number of binary
 * stats descriptors and of those that break api.rst's rule (only histograms
 * have more than one element), the first of them described; null when
 * KVM_GET_STATS_FD does not work here.
 */
static void write_stats_abi_of(struct json *j, const char *key, int fd)
{
	struct kvm_stats s;
	char why[256] = "";
	int bad;

	json_key(j, key);
	if (fd < 0 || kvm_stats_open_vcpu(&s, fd)) {
		json_null(j);
		return;
	}
	bad = kvm_stats_check_abi(&s, why, sizeof(why));
	json_begin_object(j);
	json_kv_u64(j, "descriptors", s.header.num_desc);
	json_kv_u64(j, "violations", (uint64_t)bad);
	json_kv_string(j, "first", bad ? why : NULL);
	json_end_object(j);
	kvm_stats_close(&s);
}

static void write_stats_abi(struct json *j)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	int vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);

	json_key(j, "stats_abi");
	json_begin_object(j);
	write_stats_abi_of(j, "vm", vm);
	write_stats_abi_of(j, "vcpu", vcpu);
	json_end_object(j);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: exitbench_info [--json FILE]\n"
		"Writes what a run was measured on (kernel, CPU, microcode, CPU\n"
		"vulnerabilities, kvm module parameters, vendor, tsc_khz) as JSON to\n"
		"FILE (which must not exist; its directory must) or to stdout.\n"
		"Exit status: 0 written, 2 usage error, 3 the write failed.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "exitbench_info: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: exitbench_info [--json FILE]; 'exitbench_info --help' for more\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	char err[512];
	struct json j;
	FILE *f = stdout;
	int fd, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return fflush(stdout) || ferror(stdout) ? EXIT_ERROR : 0;
		} else if (!strcmp(a, "--json") || !strncmp(a, "--json=", 7)) {
			const char *v = a[6] == '=' ? a + 7 : i + 1 < argc ? argv[++i] : NULL;

			if (path)
				return usage_error("--json given twice (one FILE only)%s", "");
			if (!v || !*v)
				return usage_error("--json needs a file name%s", "");
			path = v;
		} else if (a[0] == '-') {
			return usage_error("unknown option '%s'", a);
		} else {
			return usage_error("unexpected argument '%s' (the file goes after --json)", a);
		}
	}
	if (path && check_new_file("--json", path, err, sizeof(err)))
		return usage_error("%s", err);
	if (!path && fcntl(STDOUT_FILENO, F_GETFL) < 0) {
		fprintf(stderr, "exitbench_info: stdout is closed: nowhere to write (use --json FILE)\n");
		return EXIT_ERROR;
	}
	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "exitbench_info: cannot create %s: %s%s\n", path, strerror(errno),
				errno == EEXIST ? " (results are never overwritten: pick a new name)" : "");
			return EXIT_ERROR;
		}
	}
	json_init(&j, f);
	json_begin_object(&j);
	json_kv_u64(&j, "schema_version", 1);
	sysinfo_write(&j, sysinfo_vm_tsc_khz());
	write_stats_abi(&j);
	json_end_object(&j);
	fputc('\n', f);
	if (!json_ok(&j) || fflush(f) || ferror(f) || fclose(f)) {
		fprintf(stderr, "exitbench_info: writing %s failed: %s\n", path ? path : "stdout",
			errno ? strerror(errno) : "JSON writer error");
		if (path)
			unlink(path);
		return EXIT_ERROR;
	}
	return 0;
}
