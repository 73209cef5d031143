/*
 * trampoline.S - real-mode start of the application processors.
 *
 * smp.c copies tk_trampoline_start..tk_trampoline_end to TK_TRAMP_BASE
 * (0x70000) and sends INIT-SIPI-SIPI with vector TK_TRAMP_BASE >> 12.  An AP
 * starts here in real mode at CS:IP = 0x7000:0000, loads the small GDT
 * below (same selectors as the kernel GDT), enters protected mode, then
 * long mode on the boot page tables (tk_pml4) and jumps to tk_ap_entry64
 * in head.S.  The code is assembled for its run-time address: every
 * absolute address is TK_TRAMP_BASE + offset from tk_trampoline_start.
 */
#include "tk.h"

#define REL(x)	((x) - tk_trampoline_start)
#define ABS(x)	(TK_TRAMP_BASE + REL(x))

	.section .rodata.trampoline, "a"
	.balign 16
	.globl tk_trampoline_start, tk_trampoline_end
	.code16
tk_trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	REL(tramp_gdt_desc)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$TK_SEL_CODE32, $ABS(tramp32)

	.code32
tramp32:
	movl	$TK_SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$tk_pml4, %eax
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	$0x80000031, %eax		/* PG | NE | ET | PE; CD, NW clear */
	movl	%eax, %cr0
	ljmp	$TK_SEL_CODE64, $tk_ap_entry64

	.balign 8
tramp_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: data */
tramp_gdt_desc:
	.word	tramp_gdt_desc - tramp_gdt - 1
	.long	ABS(tramp_gdt)
tk_trampoline_end:

	.section .note.GNU-stack, "", @progbits
