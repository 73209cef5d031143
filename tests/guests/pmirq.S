/*
 * pmirq.S - a probe of the host: does /dev/kvm deliver an interrupt in
 * 32-bit protected mode onto a stack segment with a non-zero base, and
 * can it return with IRET?
 *
 * Real hardware does both; iPXE's pcbios build relies on both (it runs
 * with CS/SS based at its relocation address and naps with STI; HLT in
 * protected mode).  The interpreted KVM of the CI machines (TESTING.md)
 * was seen to push the frame at linear ESP, ignoring SS.base, and to stop
 * at a protected-mode IRET (KVM_EXIT_INTERNAL_ERROR), so net_test.c asks
 * this probe before it holds iPXE to its DHCP and HTTP fetch.
 *
 * A flat binary (ttyvm run --flat): entered in real mode at 0000:7C00.
 * It switches to protected mode with flat CS/DS and SS based at 1 MiB,
 * points IRQ0 (PIC base 0x20, PIT at ~1 kHz) at a handler, and halts with
 * interrupts on.  The handler looks for the CPU's frame (EIP, CS, EFLAGS)
 * at SS:ESP and at the flat address ESP and prints on COM1
 *   "pmirq: frame at ss:esp"          - as the architecture says
 *   "pmirq: frame at esp without the ss base"
 *   "pmirq: frame nowhere"
 * then "pmirq: iret", an IRET to the next line, "pmirq: iret ok", and
 * powers off through the ACPI PM1a control port (0x604).  Any other
 * interrupt or exception prints "pmirq: FAIL unexpected vector" and halts.
 */
	.code16
	.section .text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	gdtr
	lidtl	idtr
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $pm32

	.code32
pm32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	$0x18, %ax
	movw	%ax, %ss
	movl	$STACK_TOP, %esp

	/* every vector to "unexpected", IRQ0 (vector 0x20) to the handler */
	movl	$IDT, %edi
	movl	$256, %ecx
1:	movl	$unexpected, %eax
	call	set_gate
	addl	$8, %edi
	loop	1b
	movl	$(IDT + 0x20 * 8), %edi
	movl	$irq0, %eax
	call	set_gate

	/* no frame anywhere yet */
	movl	$0, (STACK_TOP - 12)
	movl	$0, (STACK_TOP - 8)
	movl	$0, (STACK_BASE + STACK_TOP - 12)
	movl	$0, (STACK_BASE + STACK_TOP - 8)

	/* PIC: ICW1-4, base 0x20, only IRQ0; PIT channel 0, mode 2, ~1 kHz */
	movb	$0x11, %al
	outb	%al, $0x20
	movb	$0x20, %al
	outb	%al, $0x21
	movb	$0x04, %al
	outb	%al, $0x21
	movb	$0x01, %al
	outb	%al, $0x21
	movb	$0xfe, %al
	outb	%al, $0x21
	movb	$0xff, %al
	outb	%al, $0xa1
	movb	$0x34, %al
	outb	%al, $0x43
	movb	$0xa9, %al
	outb	%al, $0x40
	movb	$0x04, %al
	outb	%al, $0x40

	movl	$msg_start, %esi
	call	puts
	sti
	hlt
after_hlt:
	cli
	movl	$msg_nointr, %esi
	call	puts
	jmp	stop

/* IRQ0: find the frame, acknowledge, never return through it */
irq0:
	movb	$0x20, %al
	outb	%al, $0x20
	movl	$msg_nowhere, %esi
	cmpl	$after_hlt, (STACK_BASE + STACK_TOP - 12)
	jne	2f
	cmpl	$0x08, (STACK_BASE + STACK_TOP - 8)
	jne	2f
	movl	$msg_based, %esi
2:	cmpl	$after_hlt, (STACK_TOP - 12)
	jne	3f
	cmpl	$0x08, (STACK_TOP - 8)
	jne	3f
	movl	$msg_flat, %esi
3:	call	puts

	/* a same-privilege IRET in protected mode */
	movl	$STACK_TOP, %esp
	movl	$msg_iret, %esi
	call	puts
	pushfl
	pushl	$0x08
	pushl	$iret_back
	iretl
iret_back:
	movl	$msg_iret_ok, %esi
	call	puts
	movw	$0x604, %dx
	movw	$((5 << 10) | (1 << 13)), %ax
	outw	%ax, %dx
stop:
	cli
	hlt
	jmp	stop

unexpected:
	movl	$msg_unexpected, %esi
	call	puts
	jmp	stop

/* a 32-bit interrupt gate to %eax (selector 0x08) at %edi */
set_gate:
	movw	%ax, (%edi)
	movw	$0x08, 2(%edi)
	movw	$0x8e00, 4(%edi)
	shrl	$16, %eax
	movw	%ax, 6(%edi)
	ret

/* the NUL-terminated string at %esi to COM1 */
puts:
	movw	$0x3f8, %dx
4:	lodsb
	testb	%al, %al
	jz	5f
	outb	%al, %dx
	jmp	4b
5:	ret

	.set	STACK_BASE, 0x100000	/* SS.base */
	.set	STACK_TOP, 0x10000	/* ESP: linear 0x110000 */
	.set	IDT, 0x9000

msg_start:	.asciz "pmirq: start\n"
msg_nointr:	.asciz "pmirq: FAIL woke without an interrupt\n"
msg_based:	.asciz "pmirq: frame at ss:esp\n"
msg_flat:	.asciz "pmirq: frame at esp without the ss base\n"
msg_nowhere:	.asciz "pmirq: frame nowhere\n"
msg_iret:	.asciz "pmirq: iret\n"
msg_iret_ok:	.asciz "pmirq: iret ok\n"
msg_unexpected:	.asciz "pmirq: FAIL unexpected vector\n"

	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: code, flat, 32-bit */
	.quad	0x00cf93000000ffff	/* 0x10: data, flat */
	.quad	0x00cf93100000ffff	/* 0x18: data, base 1 MiB (STACK_BASE) */
gdtr:
	.word	gdt_end - gdt - 1
	.long	gdt
gdt_end = gdtr
idtr:
	.word	256 * 8 - 1
	.long	IDT
