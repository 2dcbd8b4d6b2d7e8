// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of ./boot_profile's default L2 guest: say that userspace was
 * reached and how long the guest kernel took to get there (its own
 * /proc/uptime), then power off. No libc (a few KiB): the guest's boot is
 * what is profiled, not the unpacking of a big initramfs.
 *
 * Build: cc -static -nostdlib -ffreestanding -fno-stack-protector -O2
 */
#define SYS_write	1
#define SYS_open	2
#define SYS_close	3
#define SYS_read	0
#define SYS_mkdir	83
#define SYS_mount	165
#define SYS_sync	162
#define SYS_reboot	169
#define SYS_exit	60

#define LINUX_REBOOT_MAGIC1		0xfee1dead
#define LINUX_REBOOT_MAGIC2		672274793
#define LINUX_REBOOT_CMD_POWER_OFF	0x4321fedc

static long sys(long n, long a, long b, long c, long d, long e)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static unsigned long len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys(SYS_write, 1, (long)s, (long)len(s), 0, 0);
}

void _start(void);
void _start(void)
{
	char uptime[64];
	long n, fd;

	say("exitbench-l2: init started (userspace reached)\n");
	sys(SYS_mkdir, (long)"/proc", 0555, 0, 0, 0);
	if (sys(SYS_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0) == 0 &&
	    (fd = sys(SYS_open, (long)"/proc/uptime", 0, 0, 0, 0)) >= 0) {
		n = sys(SYS_read, fd, (long)uptime, sizeof(uptime) - 1, 0, 0);
		sys(SYS_close, fd, 0, 0, 0, 0);
		if (n > 0) {
			uptime[n] = 0;
			say("exitbench-l2: guest uptime, idle (s): ");
			say(uptime);
		}
	}
	say("exitbench-l2: powering off\n");
	sys(SYS_sync, 0, 0, 0, 0, 0);
	sys(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0);
	sys(SYS_exit, 1, 0, 0, 0, 0);
	for (;;)
		;
}
