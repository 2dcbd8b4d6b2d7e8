/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny nested guest for tests/profile/run_emu_profile.sh: booting a Linux
 * two levels deep under QEMU TCG takes minutes, this takes a moment.
 *
 * QEMU's -kernel (x86 boot protocol 2.06, docs: Documentation/arch/x86/
 * boot.rst) loads it like a bzImage and jumps to offset 0x200 in real mode,
 * CS = setup segment + 0x20, DS = SS = setup segment. It prints a line on
 * the serial port (one I/O exit per byte), writes to 96 pages it has never
 * touched (nested page faults), runs CPUID 16 times, prints another line
 * and ends with a triple fault, which ends QEMU under -no-reboot.
 *
 * Build: as --32 -o tiny_l2.o tiny_l2.S &&
 *        ld -m elf_i386 -Ttext 0 --oformat binary -o tiny_l2.bin tiny_l2.o
 */
	.code16
	.text
	.globl	_start
_start:
	/* The boot sector is never run; its header fields are. */
	.org	0x1f1
	.byte	1			/* setup_sects: one after the boot sector */
	.word	0			/* root_flags */
	.long	1			/* syssize: the protected-mode part, 16-byte units */
	.word	0, 0, 0			/* ram_size, vid_mode, root_dev */
	.word	0xaa55			/* boot_flag */
	.byte	0xeb, main - 0x202	/* 0x200, the entry point: jmp main */
	.ascii	"HdrS"			/* 0x202 */
	.word	0x0206			/* 0x206: boot protocol 2.06 */
	.long	0			/* 0x208 realmode_swtch */
	.word	0, 0			/* 0x20c start_sys_seg, kernel_version */
	.byte	0, 1			/* 0x210 type_of_loader, loadflags: LOADED_HIGH */
	.word	0			/* 0x212 setup_move_size */
	.long	0x100000		/* 0x214 code32_start */
	.long	0, 0, 0			/* 0x218 ramdisk_image, ramdisk_size, bootsect_kludge */
	.word	0			/* 0x224 heap_end_ptr */
	.byte	0, 0			/* 0x226 ext_loader_ver, ext_loader_type */
	.long	0			/* 0x228 cmd_line_ptr */
	.long	0x37ffffff		/* 0x22c initrd_addr_max */
main:
	cli
	mov	$msg_start, %si
	call	puts
	/* One byte in each 4 KiB page from 192 KiB to 576 KiB. */
	mov	$0x3000, %ax
1:	mov	%ax, %es
	movb	$1, %es:0
	add	$0x100, %ax
	cmp	$0x9000, %ax
	jb	1b
	mov	$16, %cx
2:	push	%cx
	xor	%eax, %eax
	cpuid
	pop	%cx
	loop	2b
	mov	$msg_end, %si
	call	puts
	/* No IDT: the breakpoint faults, then the #GP, then the #DF. */
	lidt	idt_none
	int3
3:	hlt
	jmp	3b

/* The string at DS:SI to COM1 (QEMU's UART takes a byte at once). */
puts:	lodsb
	test	%al, %al
	jz	4f
	mov	$0x3f8, %dx
	out	%al, %dx
	jmp	puts
4:	ret

idt_none:
	.word	0
	.long	0
msg_start:
	.asciz	"exitbench-tiny-l2: started (a nested guest for tests, not Linux)\r\n"
msg_end:
	.asciz	"exitbench-tiny-l2: done; powering off by triple fault\r\n"
	.org	0x400
	.fill	16, 1, 0xf4		/* the protected-mode part: never run */
