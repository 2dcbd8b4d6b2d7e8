// SPDX-License-Identifier: GPL-2.0-only
/*
 * The smallest KVM guest that runs the CPUID loop of selftests/exit_cpuid.c:
 * raw KVM ioctls, 2 MiB of memory, one 2 MiB page, long mode set directly
 * with KVM_SET_SREGS, no selftest library, no IDT, no ucall. It times the
 * same two loops the same way (fenced rdtsc) and reports through one OUT.
 * Used by tests/bench/cpuid_vs_raw.py to check exit_cpuid's figure. With
 * "inl" the loop is exit_inl_from_qemu's instead: IN (32-bit) from port
 * 0x1234, which this VMM completes in userspace with all ones, the
 * smallest exit to userspace there is.
 *
 * usage: raw_guest ITERATIONS TRIALS [4k] [irqchip] [inl]   prints one line per
 *        trial: "loop_cycles baseline_cycles" (TSC cycles). With "4k" the
 *        code is mapped with 4 KiB pages, as the selftest library maps its
 *        guests; the default is one 2 MiB page (the smallest set-up). With
 *        "irqchip" the VM has the in-kernel LAPIC and IOAPIC, as the selftest
 *        library's VMs have.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#define MEM_SIZE	0x200000
#define CODE_GPA	0x10000
#define ARGS_GPA	0x500	/* [0] result cycles, [1] iterations, [2] baseline? */
#define REPORT_PORT	0x10
#define INL_PORT	0x1234

/*
 * A guest's code: per run, read the iterations (0x508) and whether this is
 * the baseline (0x510), time SETUP then LOOP or BASELINE, each followed by
 * dec; jnz, between fenced rdtsc, store the cycles at 0x500 and report
 * with OUT to REPORT_PORT.
 */
#define RAW_CODE(name, setup, loop, baseline)					\
	__asm__(".pushsection .rodata\n"					\
		".globl " #name "_start, " #name "_end\n"			\
		#name "_start:\n"						\
		"0:	mov 0x508, %r9\n"					\
		"	mov 0x510, %r10\n"					\
		"	lfence; rdtsc; lfence\n"				\
		"	shl $32, %rdx; or %rdx, %rax; mov %rax, %r8\n"		\
		setup								\
		"	test %r10, %r10\n"					\
		"	jnz 2f\n"						\
		"1:" loop							\
		"	dec %r9\n"						\
		"	jnz 1b\n"						\
		"	jmp 3f\n"						\
		"2:" baseline							\
		"	dec %r9\n"						\
		"	jnz 2b\n"						\
		"3:	lfence; rdtsc; lfence\n"				\
		"	shl $32, %rdx; or %rdx, %rax; sub %r8, %rax\n"		\
		"	mov %rax, 0x500\n"					\
		"	out %al, $0x10\n"					\
		"	jmp 0b\n"						\
		#name "_end:\n"						\
		".popsection\n");						\
	extern const unsigned char name##_start[], name##_end[]

/* Same loop bodies as exit_cpuid: xor eax; xor ecx; cpuid|nop; dec; jnz. */
RAW_CODE(raw_code, "",
	 "	xor %eax, %eax\n	xor %ecx, %ecx\n	cpuid\n",
	 "	xor %eax, %eax\n	xor %ecx, %ecx\n	nop\n");
/* exit_inl_from_qemu's loop bodies: in %dx, %eax | nop; dec; jnz. */
RAW_CODE(raw_inl, "	mov $0x1234, %edx\n", "	in %dx, %eax\n", "	nop\n");

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void seg64(struct kvm_segment *s, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = code ? 8 : 16;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->type = code ? 11 : 3;
	s->l = code;
	s->db = !code;
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t *mem, iterations;
	int kvm, vm, vcpu, trials, t, base, i, small_pages, irqchip, inl;
	uint8_t *m;

	small_pages = irqchip = inl = 0;
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "4k"))
			small_pages = 1;
		else if (!strcmp(argv[i], "irqchip"))
			irqchip = 1;
		else if (!strcmp(argv[i], "inl"))
			inl = 1;
		else
			break;
	}
	if (argc < 3 || i < argc || !(iterations = strtoull(argv[1], NULL, 10)) ||
	    (trials = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: %s ITERATIONS TRIALS [4k] [irqchip] [inl]\n", argv[0]);
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	m = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uint64_t)m,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");

	/* Identity map of the first 2 MiB: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000. */
	mem = (uint64_t *)m;
	mem[0x1000 / 8] = 0x2000 | 3;
	mem[0x2000 / 8] = 0x3000 | 3;
	if (small_pages) {
		/* ... -> PT 0x4000: 512 present, writable 4 KiB pages. */
		mem[0x3000 / 8] = 0x4000 | 3;
		for (i = 0; i < 512; i++)
			mem[0x4000 / 8 + i] = (uint64_t)i * 4096 | 3;
	} else {
		mem[0x3000 / 8] = 0 | 0x83;	/* present, writable, 2 MiB page */
	}
	if (inl)
		memcpy(m + CODE_GPA, raw_inl_start, raw_inl_end - raw_inl_start);
	else
		memcpy(m + CODE_GPA, raw_code_start, raw_code_end - raw_code_start);

	/* The in-kernel LAPIC and IOAPIC that the selftest library always makes. */
	if (irqchip && ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap vcpu");
	{
		/* Give the guest the host's CPUID, as the selftest library does. */
		struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[256]; } cpuid = { .c.nent = 256 };

		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) || ioctl(vcpu, KVM_SET_CPUID2, &cpuid))
			die("CPUID");
	}
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	seg64(&sregs.cs, 1);
	seg64(&sregs.ds, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr3 = 0x1000;
	sregs.cr4 = 0x20 | 0x200 | 0x400;		/* PAE, OSFXSR, OSXMMEXCPT */
	sregs.cr0 = 0x80000000 | 0x10000 | 0x20 | 0x10 | 0x2 | 0x1; /* PG WP NE ET MP PE */
	sregs.efer = 0x500;				/* LME, LMA */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rsp = 0x200000 - 16;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	mem[ARGS_GPA / 8 + 1] = iterations;
	/* Warm-up of each loop, then the trials, alternating as the harness does. */
	for (t = -1; t < trials; t++) {
		uint64_t cycles[2];

		for (base = 0; base < 2; base++) {
			mem[ARGS_GPA / 8 + 2] = base;
			if (ioctl(vcpu, KVM_RUN, 0))
				die("KVM_RUN");
			/* The loop's IN exits: all ones, as for an unassigned port. */
			while (inl && run->exit_reason == KVM_EXIT_IO && run->io.port == INL_PORT &&
			       run->io.direction == KVM_EXIT_IO_IN && run->io.size == 4) {
				*(uint32_t *)((uint8_t *)run + run->io.data_offset) = 0xffffffff;
				if (ioctl(vcpu, KVM_RUN, 0))
					die("KVM_RUN");
			}
			if (run->exit_reason != KVM_EXIT_IO || run->io.port != REPORT_PORT) {
				fprintf(stderr, "raw_guest: unexpected exit %u\n", run->exit_reason);
				return 1;
			}
			cycles[base] = mem[ARGS_GPA / 8];
		}
		if (t >= 0)
			printf("%llu %llu\n", (unsigned long long)cycles[0],
			       (unsigned long long)cycles[1]);
	}
	return 0;
}
