/*
 * head.S - entry points and CPU-mode switching of the test kernel.
 *
 * The image is linked at 1 MiB (TK_LOAD_ADDR) and entered in one of three
 * ways; all end in long_common, which loads our GDT and page tables (an
 * identity map of the first 4 GiB, 2 MiB pages), clears .bss and calls
 * kmain(kind, info) in C:
 *
 *   +0x000  startup_32   bzImage 32-bit boot protocol (boot.rst): 32-bit
 *                        protected mode, paging off, %esi = boot_params.
 *                        Enters long mode and jumps to startup_64.
 *   +0x200  startup_64   bzImage 64-bit boot protocol: long mode, identity
 *                        paging, CS=0x10, DS=0x18, %rsi = boot_params.
 *           pvh_start32  Xen PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): 32-bit
 *                        protected mode, paging off, %ebx = hvm_start_info.
 *
 * It also holds the 256 interrupt stubs and the 64-bit entry of the APs
 * (trampoline.S brings them from real mode to here).  The PVH ELF note is
 * at the end.  Nothing here follows the boot protocol beyond the entry
 * state it documents; the layout of boot_params is read in main.c.
 */
#include "tk.h"

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xC0000080
#define EFER_LME	0x00000100

	.section .text.head, "ax"
	.code32
	.globl startup_32
startup_32:
	cli
	cld
	movl	$tk_boot_stack_top, %esp
	call	enter_long_mode32		/* keeps %esi */
	ljmp	$TK_SEL_CODE64, $bz32_in_long

	/* 64-bit boot protocol entry: load address + 0x200 */
	.org	0x200
	.code64
	.globl startup_64
startup_64:
	cli
	cld
	movl	$TK_BOOT_BZIMAGE, %r12d
	movq	%rsi, %r13
	jmp	long_common

bz32_in_long:
	movl	%esi, %esi			/* upper half is undefined here */
	jmp	startup_64

	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl	$tk_boot_stack_top, %esp
	call	enter_long_mode32		/* keeps %ebx */
	ljmp	$TK_SEL_CODE64, $pvh_in_long

	.code64
pvh_in_long:
	movl	$TK_BOOT_PVH, %r12d
	movl	%ebx, %r13d
	jmp	long_common

/*
 * From 32-bit protected mode (paging off) to compatibility mode: our GDT,
 * flat data segments, PAE, CR3, EFER.LME, paging.  Returns in 32-bit
 * compatibility mode; the caller far-jumps to a 64-bit selector.
 * Clobbers %eax, %ecx, %edx.
 */
	.code32
enter_long_mode32:
	lgdt	tk_gdt_desc
	movl	$TK_SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$tk_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ret

/* Common 64-bit start: %r12d = boot kind, %r13 = boot info pointer. */
	.code64
long_common:
	lgdt	tk_gdt_desc(%rip)
	movl	$TK_SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	tk_boot_stack_top(%rip), %rsp
	pushq	$TK_SEL_CODE64
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movq	$tk_pml4, %rax
	movq	%rax, %cr3
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq
	movl	%r12d, %edi
	movq	%r13, %rsi
	call	kmain
2:	cli
	hlt
	jmp	2b

/* APs arrive here from trampoline.S in long mode on the boot page tables. */
	.globl tk_ap_entry64
tk_ap_entry64:
	lgdt	tk_gdt_desc(%rip)
	movl	$TK_SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movq	tk_ap_stack_top(%rip), %rsp
	cld
	call	tk_ap_main
3:	cli
	hlt
	jmp	3b

/*
 * Interrupt stubs: 256 of 16 bytes each, stub N at tk_isr_stubs + 16*N.
 * Each pushes a zero error code where the CPU pushes none, then the vector,
 * and joins isr_common, which saves the caller-saved registers and calls
 * tk_isr_dispatch(struct isr_frame *) (layout in tk.h).
 */
	.text
	.balign 16
	.globl tk_isr_stubs
tk_isr_stubs:
	.set	vec, 0
	.rept	256
	.balign 16
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.set	vec, vec + 1
	.endr

isr_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	%rsp, %rdi
	cld
	call	tk_isr_dispatch
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq

/* ---- GDT and boot page tables ------------------------------------- */
	.data
	.balign 16
	.globl tk_gdt_desc
tk_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code, flat */
	.quad	0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: data, flat */
tk_gdt_end:
	.balign 8
	/* limit + 64-bit base: lgdt reads 6 bytes in 32-bit and 10 in 64-bit mode */
tk_gdt_desc:
	.word	tk_gdt_end - tk_gdt - 1
	.quad	tk_gdt

	.section .data.pagetables, "aw"
	.balign 4096
	.globl tk_pml4, tk_pdpt
tk_pml4:
	.quad	tk_pdpt + 0x3		/* present, writable */
	.fill	511, 8, 0
tk_pdpt:
	.quad	tk_pd + 0x0000 + 0x3
	.quad	tk_pd + 0x1000 + 0x3
	.quad	tk_pd + 0x2000 + 0x3
	.quad	tk_pd + 0x3000 + 0x3
	.fill	508, 8, 0
tk_pd:					/* 2048 x 2 MiB: 0 .. 4 GiB */
	.set	addr, 0
	.rept	2048
	.quad	addr + 0x83		/* present, writable, 2 MiB page */
	.set	addr, addr + 0x200000
	.endr

/* ---- stacks (not cleared, not in the file) ------------------------- */
	.section .stack, "aw", @nobits
	.balign 4096
	.globl tk_ap_stacks
tk_boot_stack:
	.skip	TK_BOOT_STACK_SIZE
tk_boot_stack_top:
tk_ap_stacks:
	.skip	TK_MAX_CPUS * TK_AP_STACK_SIZE

/*
 * The Xen ELF note that makes the ELF a PVH kernel: XEN_ELFNOTE_PHYS32_ENTRY
 * (type 18), name "Xen", a 4-byte 32-bit physical entry address.
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long	2f - 1f			/* namesz */
	.long	4f - 3f			/* descsz */
	.long	18			/* XEN_ELFNOTE_PHYS32_ENTRY */
1:	.asciz	"Xen"
2:	.balign 4
3:	.long	pvh_start32
4:	.balign 4

/*
 * kernel_info (boot protocol 2.15): found through kernel_info_offset in
 * the setup header.  Header "LToP", size, size_total, setup_type_max.
 */
	.section .rodata
	.balign 4
	.globl tk_kernel_info
tk_kernel_info:
	.ascii	"LToP"
	.long	16
	.long	16
	.long	0

	.section .note.GNU-stack, "", @progbits
