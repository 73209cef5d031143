/*
 * keymap.h - the one key table every input path shares.
 *
 * The vocabulary is the Linux input event code (KEY_* from
 * <linux/input-event-codes.h>): SDL scancodes, VNC keysyms and `sendkey`
 * names are turned into a KEY_* code, and a KEY_* code is turned into PS/2
 * scancode set 2 bytes for the i8042 (or passed as is to a virtio-input
 * keyboard, which speaks KEY_* codes natively).  One row per physical key
 * of a 105-key PC keyboard (ISO layout, US legends): the main block, the
 * modifiers, the navigation block, the keypad, F1-F12, PrtSc, Scroll Lock
 * and Pause.
 *
 * Keysyms are those of a US layout: the guest's own layout decides what
 * a key means, the table only says which key carries a given US legend.
 * All functions are pure lookups over const tables: any thread.
 */
#ifndef TTYVM_KEYMAP_H
#define TTYVM_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most set-2 bytes one key event takes (Pause: 8). */
#define KEYMAP_SET2_MAX 8

/* Shift state a keysym or character needs on its key. */
enum keymap_shift {
	KEYMAP_SHIFT_ANY = 0,   /* not a shift-dependent symbol: leave as is */
	KEYMAP_SHIFT_OFF,       /* the key's unshifted symbol ('a', '1', ';') */
	KEYMAP_SHIFT_ON,        /* the key's shifted symbol ('A', '!', ':') */
};

/* One physical key. */
struct keymap_key {
	uint16_t code;          /* KEY_* */
	const char *name;       /* sendkey name, QEMU's spelling ("ret", "kp_add") */
	uint8_t set2[4];        /* make bytes; the break inserts F0 before the last */
	uint8_t set2_len;       /* 0: a special sequence (Pause, PrtSc) */
	uint32_t keysym;        /* X11 keysym; the unshifted one for symbols */
	uint32_t keysym_shift;  /* shifted symbol, or a second keysym; 0: none */
	bool symbol;            /* keysym/keysym_shift are shift-dependent */
	uint16_t sdl;           /* SDL_Scancode; 0: none */
};

/* The table: keymap_count() rows, in no particular order. */
size_t keymap_count(void);
const struct keymap_key *keymap_at(size_t i);

/* The row for a KEY_* code, or NULL when the table has no such key. */
const struct keymap_key *keymap_by_code(unsigned int code);

/*
 * The set 2 bytes of pressing (down) or releasing a key into buf, which
 * holds KEYMAP_SET2_MAX bytes.  Returns the number of bytes: 0 for an
 * unknown code and for releasing Pause (which has no break code).
 */
size_t keymap_set2(unsigned int code, bool down, uint8_t *buf);

/*
 * The key for an X11 keysym as a VNC client sends it, and in *shift
 * whether that keysym needs Shift held (KEYMAP_SHIFT_ON for 'A' and '!'),
 * released (KEYMAP_SHIFT_OFF for 'a' and '1') or does not care.  Keysyms
 * 0x20-0x7E are ASCII; Latin-1 letters outside ASCII are not mapped.
 * Returns the KEY_* code, or 0 (KEY_RESERVED) when no key carries it.
 */
unsigned int keymap_from_keysym(uint32_t keysym, enum keymap_shift *shift);

/* The key for an SDL_Scancode, or 0. */
unsigned int keymap_from_sdl(int scancode);

/*
 * The key for a sendkey name ("ctrl", "alt_r", "f1", "kp_add"; case does
 * not matter; a few QEMU aliases such as "asterisk" and "sysrq" too), or 0.
 */
unsigned int keymap_from_name(const char *name);

/* The sendkey name of a key code (the table's one), or NULL. */
const char *keymap_name(unsigned int code);

/*
 * The key that types ASCII character c on a US layout, and in *shift
 * whether Shift must be held (never KEYMAP_SHIFT_ANY for a printable
 * character; '\n' is Return, '\t' Tab, '\b' Backspace, 0x1B Escape).
 * Returns the KEY_* code, or 0 for a character no key types.
 */
unsigned int keymap_ascii(int c, enum keymap_shift *shift);

#endif
