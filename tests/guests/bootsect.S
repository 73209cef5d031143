/*
 * bootsect.S - a boot sector for the firmware-boot tests.
 *
 * The BIOS loads it at 0000:7C00 from the first disk (or the CD's El Torito
 * no-emulation image is not used: this is for hard disks).  It prints
 * "bootsect: start" on COM1 (direct port I/O, no BIOS serial services),
 * reads sectors 1-3 of the boot drive with INT 13h AH=42h (extended read,
 * LBA) into 0000:8000, prints the NUL-terminated string at the start of
 * each sector as "bootsect: <string>", then powers the machine off through
 * ttyvm's ACPI PM1a control register (port 0x604, SLP_TYP 5 | SLP_EN).
 * On a read error it prints "bootsect: FAIL read" and halts.
 */
	.code16
	.section .text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7000, %sp
	sti
	movb	%dl, drive

	movw	$msg_start, %si
	call	puts

	movw	$1, %bx			/* sector number */
1:	movw	%bx, dap_lba
	movb	$0x42, %ah
	movb	drive, %dl
	movw	$dap, %si
	int	$0x13
	jc	fail
	movw	$msg_prefix, %si
	call	puts_nonl
	movw	$0x8000, %si
	call	puts
	incw	%bx
	cmpw	$4, %bx
	jne	1b

	movw	$msg_done, %si
	call	puts
	movw	$0x604, %dx
	movw	$((5 << 10) | (1 << 13)), %ax
	outw	%ax, %dx
	movw	$msg_still, %si
	call	puts
	jmp	halt

fail:
	movw	$msg_fail, %si
	call	puts
halt:
	cli
	hlt
	jmp	halt

/* puts: string at %si, then CR LF */
puts:
	call	puts_nonl
	movb	$'\r', %al
	call	putc
	movb	$'\n', %al
	call	putc
	ret

puts_nonl:
	lodsb
	testb	%al, %al
	jz	2f
	call	putc
	jmp	puts_nonl
2:	ret

/* putc: %al to COM1, waiting for THR empty */
putc:
	pushw	%dx
	pushw	%ax
	movw	$0x3fd, %dx
3:	inb	%dx, %al
	testb	$0x20, %al
	jz	3b
	popw	%ax
	movw	$0x3f8, %dx
	outb	%al, %dx
	popw	%dx
	ret

	.balign 4
dap:	.byte	0x10, 0
	.word	1			/* one sector */
	.word	0x8000, 0		/* to 0000:8000 */
dap_lba:
	.quad	0
drive:	.byte	0
msg_start:	.asciz "bootsect: start"
msg_prefix:	.asciz "bootsect: "
msg_done:	.asciz "bootsect: done"
msg_still:	.asciz "bootsect: FAIL still running"
msg_fail:	.asciz "bootsect: FAIL read"

	.org	510
	.byte	0x55, 0xAA
