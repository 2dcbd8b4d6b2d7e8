// SPDX-License-Identifier: GPL-2.0-only
/* exitbench_info: the run metadata that summary.json carries, as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "sysinfo.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: exitbench_info [--json FILE]\n"
		"Writes what a run was measured on (kernel, CPU, microcode, CPU\n"
		"vulnerabilities, kvm module parameters, vendor, tsc_khz) as JSON to\n"
		"FILE (which must not exist) or to stdout.\n");
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct json j;
	FILE *f = stdout;
	int fd;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--json") && argv[2][0]) {
		path = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "exitbench_info: bad arguments\n");
		usage(stderr);
		return 2;
	}
	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "exitbench_info: cannot create %s: %s%s\n", path, strerror(errno),
				errno == EEXIST ? " (results are never overwritten: pick a new name)" : "");
			return 1;
		}
	}
	json_init(&j, f);
	json_begin_object(&j);
	json_kv_u64(&j, "schema_version", 1);
	sysinfo_write(&j, sysinfo_vm_tsc_khz());
	json_end_object(&j);
	fputc('\n', f);
	if (!json_ok(&j) || fclose(f)) {
		fprintf(stderr, "exitbench_info: writing %s failed\n", path ? path : "stdout");
		if (path)
			unlink(path);
		return 1;
	}
	return 0;
}
