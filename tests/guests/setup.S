/*
 * setup.S - boot sector, setup header and 16-bit setup of testkernel.bzImage.
 *
 * Layout per Documentation/arch/x86/boot.rst, protocol 2.15:
 *
 *   0x0000  boot sector (cli; hlt: not bootable from a disk)
 *   0x01F1  setup header ("HdrS", version 0x020F, LOADED_HIGH, XLF_KERNEL_64)
 *   0x026C  near jump to the setup code
 *   0x1000  16-bit setup code (the real-mode entry; only for loaders that
 *           use it, such as QEMU's linuxboot ROM; ttyvm does not)
 *   0x1200  end: setup_sects = 8; the protected-mode part follows and is
 *           loaded at 1 MiB (its 64-bit entry at +0x200 is in head.S).
 *
 * The size-dependent fields (setup_sects, syssize, init_size,
 * kernel_info_offset) are symbols computed by setup.ld from the linked
 * kernel (testkernel.pvh, given to the link with --just-symbols).
 *
 * The 16-bit setup uses the loaded setup itself as the zero page: the
 * first 4 KiB are laid out as struct boot_params, the header the loader
 * filled in already sits at 0x1F1, and the code lives above 4 KiB.  It adds
 * the BIOS E820 map (e820_entries 0x1E8, e820_table 0x2D0), enables A20,
 * enters 32-bit protected mode with a flat GDT (0x10 code, 0x18 data) and
 * jumps to code32_start with %esi = the zero page, as the 32-bit boot
 * protocol says.  acpi_rsdp_addr stays 0: the kernel scans for the RSDP.
 */
#include "tk.h"

#define SMAP	0x534d4150

	.section .setup, "ax"
	.code16
	.globl setup_begin
setup_begin:
	cli
1:	hlt
	jmp	1b

	.org	0x1f1
hdr_setup_sects:	.byte	tk_setup_sects
hdr_root_flags:		.word	0
hdr_syssize:		.long	tk_syssize
hdr_ram_size:		.word	0
hdr_vid_mode:		.word	0xffff		/* NORMAL_VGA */
hdr_root_dev:		.word	0
hdr_boot_flag:		.word	0xaa55
	/* 0x200: real-mode entry */
hdr_jump:		.byte	0xeb, start_of_setup - 1f
1:			.ascii	"HdrS"
hdr_version:		.word	0x020f
hdr_realmode_swtch:	.long	0
hdr_start_sys_seg:	.word	0x1000
hdr_kernel_version:	.word	kernel_version - 0x200
hdr_type_of_loader:	.byte	0
hdr_loadflags:		.byte	0x01		/* LOADED_HIGH */
hdr_setup_move_size:	.word	0x8000
hdr_code32_start:	.long	TK_LOAD_ADDR
hdr_ramdisk_image:	.long	0
hdr_ramdisk_size:	.long	0
hdr_bootsect_kludge:	.long	0
hdr_heap_end_ptr:	.word	0
hdr_ext_loader_ver:	.byte	0
hdr_ext_loader_type:	.byte	0
hdr_cmd_line_ptr:	.long	0
hdr_initrd_addr_max:	.long	0x7fffffff
hdr_kernel_alignment:	.long	0x100000
hdr_relocatable_kernel:	.byte	0
hdr_min_alignment:	.byte	12
hdr_xloadflags:		.word	0x0001		/* XLF_KERNEL_64 */
hdr_cmdline_size:	.long	0xffff
hdr_hardware_subarch:	.long	0
hdr_hardware_subarch_data: .quad 0
hdr_payload_offset:	.long	0
hdr_payload_length:	.long	0
hdr_setup_data:		.quad	0
hdr_pref_address:	.quad	TK_LOAD_ADDR
hdr_init_size:		.long	tk_init_size
hdr_handover_offset:	.long	0
hdr_kernel_info_offset:	.long	tk_kernel_info_offset
	/* 0x26C: end of the header */
start_of_setup:
	jmp	setup_main

	.org	0x1000
setup_main:
	cli
	cld
	movw	%cs, %ax
	subw	$0x20, %ax			/* CS = zero page segment + 0x20 */
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x8000, %sp
	sti

	/* BIOS E820 map into the zero page */
	xorl	%ebx, %ebx
	movw	$0x2d0, %di
	xorw	%bp, %bp
	movb	$0, 0x1e8
2:	movl	$0xe820, %eax
	movl	$SMAP, %edx
	movl	$20, %ecx
	int	$0x15
	jc	3f
	cmpl	$SMAP, %eax
	jne	3f
	incw	%bp
	addw	$20, %di
	cmpw	$128, %bp
	jae	3f
	testl	%ebx, %ebx
	jnz	2b
3:	movw	%bp, %ax
	movb	%al, 0x1e8

	/* fast A20 */
	inb	$0x92, %al
	orb	$0x02, %al
	andb	$0xfe, %al
	outb	%al, $0x92

	cli
	xorl	%ebx, %ebx			/* linear address of the zero page */
	movw	%ds, %bx
	shll	$4, %ebx
	movl	$setup_gdt, %eax
	addl	%ebx, %eax
	movl	%eax, setup_gdt_desc + 2
	movl	$in_pm32, %eax
	addl	%ebx, %eax
	movl	%eax, pm_jump + 2
	lgdtl	setup_gdt_desc
	movl	hdr_code32_start, %edx
	movl	%ebx, %esi
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
pm_jump:
	.byte	0x66, 0xea			/* ljmpl $0x10, $in_pm32 (patched) */
	.long	0
	.word	0x10

	.code32
in_pm32:
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmp	*%edx

	.balign 8
setup_gdt:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff		/* 0x10: __BOOT_CS, 32-bit flat */
	.quad	0x00cf92000000ffff		/* 0x18: __BOOT_DS */
setup_gdt_desc:
	.word	setup_gdt_desc - setup_gdt - 1
	.long	0

kernel_version:
	.asciz	"ttyvm testkernel"

	.balign	512, 0

	.section .note.GNU-stack, "", @progbits
