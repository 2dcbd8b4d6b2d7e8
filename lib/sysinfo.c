// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "reasons.h"
#include "sysinfo.h"

unsigned long sysinfo_vm_tsc_khz(void)
{
	int kvm, vm, khz = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 0;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		khz = ioctl(vm, KVM_GET_TSC_KHZ, 0);
		close(vm);
	}
	close(kvm);
	return khz > 0 ? (unsigned long)khz : 0;
}

const char *sysinfo_hypervisor(void)
{
	static char sig[13];
	uint32_t eax = 1, ebx, ecx = 0, edx;

	__asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (!(ecx & (1u << 31)))
		return NULL;
	eax = 0x40000000;
	ecx = 0;
	__asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	memcpy(sig, &ebx, 4);
	memcpy(sig + 4, &ecx, 4);
	memcpy(sig + 8, &edx, 4);
	sig[12] = 0;
	return sig[0] ? sig : "unnamed";
}

/* First line of a file without its newline; NULL when unreadable. */
static char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return NULL;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return buf;
}

/* Value of the first "key : value" line of /proc/cpuinfo. */
static char *cpuinfo_field(const char *key, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || strncmp(line, key, strlen(key)))
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		snprintf(buf, len, "%s", colon);
		buf[strcspn(buf, "\n")] = 0;
		found = buf;
	}
	fclose(f);
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* {"file": "first line", ...} for the files of @dir, sorted by name. */
static void write_dir(struct json *j, const char *key, const char *dir)
{
	char *names[512], path[512], val[512];
	struct dirent *e;
	int n = 0, i;
	DIR *d;

	json_key(j, key);
	d = opendir(dir);
	json_begin_object(j);
	while (d && n < 512 && (e = readdir(d)))
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		json_kv_string(j, names[i], read_line(path, val, sizeof(val)));
		free(names[i]);
	}
	json_end_object(j);
}

void sysinfo_write(struct json *j, unsigned long tsc_khz)
{
	static const char *const modules[] = { "kvm", "kvm_intel", "kvm_amd", "kvm_pvm" };
	struct utsname u;
	char buf[4096], dir[128];
	size_t i;

	uname(&u);
	/* Which host ran: a fleet's runs are told apart by it (./history). */
	json_kv_string(j, "hostname", u.nodename);
	json_kv_string(j, "kernel", u.release);
	json_kv_string(j, "kernel_version", u.version);
	json_kv_string(j, "machine", u.machine);
	json_kv_string(j, "cpu_model", cpuinfo_field("model name", buf, sizeof(buf)));
	json_kv_string(j, "microcode", cpuinfo_field("microcode", buf, sizeof(buf)));
	json_kv_string(j, "cpu_flags", cpuinfo_field("flags", buf, sizeof(buf)));
	json_kv_u64(j, "online_cpus", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	json_kv_string(j, "hypervisor", sysinfo_hypervisor());
	json_kv_string(j, "vendor", vendor_name(detect_vendor()));
	if (tsc_khz)
		json_kv_u64(j, "tsc_khz", tsc_khz);
	else
		json_kv_string(j, "tsc_khz", NULL);
	write_dir(j, "vulnerabilities", "/sys/devices/system/cpu/vulnerabilities");
	json_key(j, "kvm_params");
	json_begin_object(j);
	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", modules[i]);
		if (!access(dir, F_OK))
			write_dir(j, modules[i], dir);
	}
	json_end_object(j);
}
