/*
 * kbd.c - test mode `kbdecho`: reads the PS/2 keyboard through the i8042
 * by polling (no interrupt needed), in scancode set 1 as the controller
 * translates it, and echoes what was typed on COM1, a line at a time.
 *
 * Sets the controller's command byte (translation on, interrupts off,
 * mouse port off), enables scanning (0xF4, acknowledged 0xFA), then
 * prints "kbdecho: ready" and, for each line ended by Return, the text
 * as a US keyboard types it (Shift held or not) and the raw bytes:
 *   kbdecho: line=TEXT
 *   kbdecho: bytes=2a 23 a3 aa ...
 * After two lines (or 120 s) it prints "kbdecho: done" (or FAIL).
 */
#include "tk.h"

#define KBD_DATA   0x60
#define KBD_STATUS 0x64
#define ST_OBF     0x01
#define ST_AUXOBF  0x20

/* set 1 make codes 0x00-0x39: unshifted, then shifted */
static const char lower[] =
	"\0\0331234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char upper[] =
	"\0\033!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

static int wait_out(struct deadline *d)
{
	while (!(inb(KBD_STATUS) & ST_OBF)) {
		if (deadline_expired(d))
			return -1;
		cpu_relax();
	}
	return inb(KBD_DATA);
}

static void wait_in_empty(void)
{
	for (int i = 0; i < 100000 && (inb(KBD_STATUS) & 0x02); i++)
		cpu_relax();
}

void kbd_echo_test(void)
{
	struct deadline d;
	char line[128], bytes[3 * 64 + 1] = "";
	unsigned int n = 0, nb = 0, pos = 0, lines = 0;
	int shift = 0, e0 = 0;

	/* drain, then command byte: XLATE | SYS | AUXDIS, no interrupts */
	while (inb(KBD_STATUS) & ST_OBF)
		inb(KBD_DATA);
	wait_in_empty();
	outb(KBD_STATUS, 0x60);
	wait_in_empty();
	outb(KBD_DATA, 0x64);
	wait_in_empty();
	outb(KBD_DATA, 0xF4);
	deadline_start(&d, 5000);
	int ack = wait_out(&d);
	if (ack != 0xFA) {
		kprintf("kbdecho: FAIL enable scanning answered 0x%x\n", ack);
		return;
	}
	kprintf("kbdecho: ready\n");
	deadline_start(&d, 120000);
	while (lines < 2) {
		u8 st = inb(KBD_STATUS);
		if (!(st & ST_OBF)) {
			if (deadline_expired(&d)) {
				kprintf("kbdecho: FAIL no Return within 120 s\n");
				return;
			}
			cpu_relax();
			continue;
		}
		u8 b = inb(KBD_DATA);
		if (st & ST_AUXOBF)
			continue;
		if (nb < 64) {
			pos += (unsigned int)ksnprintf(bytes + pos, sizeof(bytes) - pos, "%s%02x",
						       nb ? " " : "", b);
			nb++;
		}
		if (b == 0xE0) {
			e0 = 1;
			continue;
		}
		int brk = b & 0x80, code = b & 0x7F;
		if (!e0 && (code == 0x2A || code == 0x36)) {
			shift = !brk;
		} else if (!brk && !e0 && code < (int)sizeof(lower) - 1) {
			char c = shift ? upper[code] : lower[code];
			if (c == '\n') {
				line[n] = 0;
				bytes[pos] = 0;
				kprintf("kbdecho: line=%s\n", line);
				kprintf("kbdecho: bytes=%s\n", bytes);
				n = nb = pos = 0;
				lines++;
			} else if (c >= 0x20 && n < sizeof(line) - 1) {
				line[n++] = c;
			}
		}
		e0 = 0;
	}
	kprintf("kbdecho: done\n");
}
