/*
 * keymap.c - the shared key table: KEY_* code, sendkey name, PS/2 set 2
 * make bytes, X11 keysyms and SDL scancode of every key of a 105-key PC
 * keyboard, and the lookups over it.
 *
 * Set 2 is the code set a PS/2 keyboard powers up in; the i8042 (or the
 * keyboard itself, if the guest chose set 1) converts it, so the table
 * needs no set 1 column.  A make code is one byte or E0 and one byte; the
 * break code is F0 before the last byte.  Two keys are special (IBM's
 * scancode tables, also Linux's atkbd.c): Print Screen sends E0 12 E0 7C
 * and E0 F0 7C E0 F0 12 (a "fake shift" around E0 7C), and Pause sends
 * E1 14 77 E1 F0 14 F0 77 on press and nothing on release.
 *
 * What it is not: no layouts.  The keysyms are those of a US keyboard;
 * a VNC client on another layout sends keysyms for the symbols it typed,
 * and those map to the US key that carries them (as QEMU's en-us map).
 * The 102nd key (ISO "<>") has no US keysym and is reachable by name
 * ("less"), from SDL and from virtio-input.
 */
#include "display/keymap.h"

#include <SDL2/SDL_scancode.h>
#include <linux/input-event-codes.h>
#include <rfb/keysym.h>
#include <strings.h>

#define E0 0xE0

/* a key with a one-byte make code */
#define K1(code_, name_, b_, ks_, ks2_, sym_, sdl_)                           \
	{ .code = code_, .name = name_, .set2 = { b_ }, .set2_len = 1,       \
	  .keysym = ks_, .keysym_shift = ks2_, .symbol = sym_,               \
	  .sdl = SDL_SCANCODE_##sdl_ }
/* a key with an E0-prefixed make code */
#define KE(code_, name_, b_, ks_, ks2_, sdl_)                                 \
	{ .code = code_, .name = name_, .set2 = { E0, b_ }, .set2_len = 2,   \
	  .keysym = ks_, .keysym_shift = ks2_, .symbol = false,              \
	  .sdl = SDL_SCANCODE_##sdl_ }
/* a letter: keysym lower case unshifted, upper case shifted */
#define KL(code_, name_, b_, c_, C_)                                          \
	K1(code_, name_, b_, XK_##c_, XK_##C_, true, C_)
/* a symbol key: unshifted and shifted keysym */
#define KS(code_, name_, b_, ks_, ks2_, sdl_)                                 \
	K1(code_, name_, b_, XK_##ks_, XK_##ks2_, true, sdl_)
/* any other one-byte key: keysym(s) independent of shift */
#define KN(code_, name_, b_, ks_, ks2_, sdl_)                                 \
	K1(code_, name_, b_, ks_, ks2_, false, sdl_)

static const struct keymap_key keymap[] = {
	/* function row */
	KN(KEY_ESC, "esc", 0x76, XK_Escape, 0, ESCAPE),
	KN(KEY_F1, "f1", 0x05, XK_F1, 0, F1),
	KN(KEY_F2, "f2", 0x06, XK_F2, 0, F2),
	KN(KEY_F3, "f3", 0x04, XK_F3, 0, F3),
	KN(KEY_F4, "f4", 0x0C, XK_F4, 0, F4),
	KN(KEY_F5, "f5", 0x03, XK_F5, 0, F5),
	KN(KEY_F6, "f6", 0x0B, XK_F6, 0, F6),
	KN(KEY_F7, "f7", 0x83, XK_F7, 0, F7),
	KN(KEY_F8, "f8", 0x0A, XK_F8, 0, F8),
	KN(KEY_F9, "f9", 0x01, XK_F9, 0, F9),
	KN(KEY_F10, "f10", 0x09, XK_F10, 0, F10),
	KN(KEY_F11, "f11", 0x78, XK_F11, 0, F11),
	KN(KEY_F12, "f12", 0x07, XK_F12, 0, F12),
	{ .code = KEY_SYSRQ, .name = "print", .set2_len = 0, .keysym = XK_Print,
	  .keysym_shift = XK_Sys_Req, .sdl = SDL_SCANCODE_PRINTSCREEN },
	KN(KEY_SCROLLLOCK, "scroll_lock", 0x7E, XK_Scroll_Lock, 0, SCROLLLOCK),
	{ .code = KEY_PAUSE, .name = "pause", .set2_len = 0, .keysym = XK_Pause,
	  .keysym_shift = XK_Break, .sdl = SDL_SCANCODE_PAUSE },

	/* number row */
	KS(KEY_GRAVE, "grave_accent", 0x0E, grave, asciitilde, GRAVE),
	KS(KEY_1, "1", 0x16, 1, exclam, 1),
	KS(KEY_2, "2", 0x1E, 2, at, 2),
	KS(KEY_3, "3", 0x26, 3, numbersign, 3),
	KS(KEY_4, "4", 0x25, 4, dollar, 4),
	KS(KEY_5, "5", 0x2E, 5, percent, 5),
	KS(KEY_6, "6", 0x36, 6, asciicircum, 6),
	KS(KEY_7, "7", 0x3D, 7, ampersand, 7),
	KS(KEY_8, "8", 0x3E, 8, asterisk, 8),
	KS(KEY_9, "9", 0x46, 9, parenleft, 9),
	KS(KEY_0, "0", 0x45, 0, parenright, 0),
	KS(KEY_MINUS, "minus", 0x4E, minus, underscore, MINUS),
	KS(KEY_EQUAL, "equal", 0x55, equal, plus, EQUALS),
	KN(KEY_BACKSPACE, "backspace", 0x66, XK_BackSpace, 0, BACKSPACE),

	/* top letter row */
	KN(KEY_TAB, "tab", 0x0D, XK_Tab, XK_ISO_Left_Tab, TAB),
	KL(KEY_Q, "q", 0x15, q, Q),
	KL(KEY_W, "w", 0x1D, w, W),
	KL(KEY_E, "e", 0x24, e, E),
	KL(KEY_R, "r", 0x2D, r, R),
	KL(KEY_T, "t", 0x2C, t, T),
	KL(KEY_Y, "y", 0x35, y, Y),
	KL(KEY_U, "u", 0x3C, u, U),
	KL(KEY_I, "i", 0x43, i, I),
	KL(KEY_O, "o", 0x44, o, O),
	KL(KEY_P, "p", 0x4D, p, P),
	KS(KEY_LEFTBRACE, "bracket_left", 0x54, bracketleft, braceleft, LEFTBRACKET),
	KS(KEY_RIGHTBRACE, "bracket_right", 0x5B, bracketright, braceright, RIGHTBRACKET),
	KS(KEY_BACKSLASH, "backslash", 0x5D, backslash, bar, BACKSLASH),

	/* home row */
	KN(KEY_CAPSLOCK, "caps_lock", 0x58, XK_Caps_Lock, 0, CAPSLOCK),
	KL(KEY_A, "a", 0x1C, a, A),
	KL(KEY_S, "s", 0x1B, s, S),
	KL(KEY_D, "d", 0x23, d, D),
	KL(KEY_F, "f", 0x2B, f, F),
	KL(KEY_G, "g", 0x34, g, G),
	KL(KEY_H, "h", 0x33, h, H),
	KL(KEY_J, "j", 0x3B, j, J),
	KL(KEY_K, "k", 0x42, k, K),
	KL(KEY_L, "l", 0x4B, l, L),
	KS(KEY_SEMICOLON, "semicolon", 0x4C, semicolon, colon, SEMICOLON),
	KS(KEY_APOSTROPHE, "apostrophe", 0x52, apostrophe, quotedbl, APOSTROPHE),
	KN(KEY_ENTER, "ret", 0x5A, XK_Return, 0, RETURN),

	/* bottom row */
	KN(KEY_LEFTSHIFT, "shift", 0x12, XK_Shift_L, 0, LSHIFT),
	KN(KEY_102ND, "less", 0x61, 0, 0, NONUSBACKSLASH),
	KL(KEY_Z, "z", 0x1A, z, Z),
	KL(KEY_X, "x", 0x22, x, X),
	KL(KEY_C, "c", 0x21, c, C),
	KL(KEY_V, "v", 0x2A, v, V),
	KL(KEY_B, "b", 0x32, b, B),
	KL(KEY_N, "n", 0x31, n, N),
	KL(KEY_M, "m", 0x3A, m, M),
	KS(KEY_COMMA, "comma", 0x41, comma, less, COMMA),
	KS(KEY_DOT, "dot", 0x49, period, greater, PERIOD),
	KS(KEY_SLASH, "slash", 0x4A, slash, question, SLASH),
	KN(KEY_RIGHTSHIFT, "shift_r", 0x59, XK_Shift_R, 0, RSHIFT),

	/* space row */
	KN(KEY_LEFTCTRL, "ctrl", 0x14, XK_Control_L, 0, LCTRL),
	KE(KEY_LEFTMETA, "meta_l", 0x1F, XK_Super_L, XK_Meta_L, LGUI),
	KN(KEY_LEFTALT, "alt", 0x11, XK_Alt_L, 0, LALT),
	KS(KEY_SPACE, "spc", 0x29, space, space, SPACE),
	KE(KEY_RIGHTALT, "alt_r", 0x11, XK_Alt_R, XK_ISO_Level3_Shift, RALT),
	KE(KEY_RIGHTMETA, "meta_r", 0x27, XK_Super_R, XK_Meta_R, RGUI),
	KE(KEY_COMPOSE, "menu", 0x2F, XK_Menu, 0, APPLICATION),
	KE(KEY_RIGHTCTRL, "ctrl_r", 0x14, XK_Control_R, 0, RCTRL),

	/* navigation block and arrows */
	KE(KEY_INSERT, "insert", 0x70, XK_Insert, 0, INSERT),
	KE(KEY_HOME, "home", 0x6C, XK_Home, 0, HOME),
	KE(KEY_PAGEUP, "pgup", 0x7D, XK_Page_Up, 0, PAGEUP),
	KE(KEY_DELETE, "delete", 0x71, XK_Delete, 0, DELETE),
	KE(KEY_END, "end", 0x69, XK_End, 0, END),
	KE(KEY_PAGEDOWN, "pgdn", 0x7A, XK_Page_Down, 0, PAGEDOWN),
	KE(KEY_UP, "up", 0x75, XK_Up, 0, UP),
	KE(KEY_LEFT, "left", 0x6B, XK_Left, 0, LEFT),
	KE(KEY_DOWN, "down", 0x72, XK_Down, 0, DOWN),
	KE(KEY_RIGHT, "right", 0x74, XK_Right, 0, RIGHT),

	/* keypad: the second keysym is the one sent with Num Lock off */
	KN(KEY_NUMLOCK, "num_lock", 0x77, XK_Num_Lock, 0, NUMLOCKCLEAR),
	KE(KEY_KPSLASH, "kp_divide", 0x4A, XK_KP_Divide, 0, KP_DIVIDE),
	KN(KEY_KPASTERISK, "kp_multiply", 0x7C, XK_KP_Multiply, 0, KP_MULTIPLY),
	KN(KEY_KPMINUS, "kp_subtract", 0x7B, XK_KP_Subtract, 0, KP_MINUS),
	KN(KEY_KP7, "kp_7", 0x6C, XK_KP_7, XK_KP_Home, KP_7),
	KN(KEY_KP8, "kp_8", 0x75, XK_KP_8, XK_KP_Up, KP_8),
	KN(KEY_KP9, "kp_9", 0x7D, XK_KP_9, XK_KP_Prior, KP_9),
	KN(KEY_KPPLUS, "kp_add", 0x79, XK_KP_Add, 0, KP_PLUS),
	KN(KEY_KP4, "kp_4", 0x6B, XK_KP_4, XK_KP_Left, KP_4),
	KN(KEY_KP5, "kp_5", 0x73, XK_KP_5, XK_KP_Begin, KP_5),
	KN(KEY_KP6, "kp_6", 0x74, XK_KP_6, XK_KP_Right, KP_6),
	KN(KEY_KP1, "kp_1", 0x69, XK_KP_1, XK_KP_End, KP_1),
	KN(KEY_KP2, "kp_2", 0x72, XK_KP_2, XK_KP_Down, KP_2),
	KN(KEY_KP3, "kp_3", 0x7A, XK_KP_3, XK_KP_Next, KP_3),
	KE(KEY_KPENTER, "kp_enter", 0x5A, XK_KP_Enter, 0, KP_ENTER),
	KN(KEY_KP0, "kp_0", 0x70, XK_KP_0, XK_KP_Insert, KP_0),
	KN(KEY_KPDOT, "kp_decimal", 0x71, XK_KP_Decimal, XK_KP_Delete, KP_PERIOD),
};

#define NKEYS (sizeof(keymap) / sizeof(keymap[0]))

/* Other spellings: keysyms, SDL scancodes and names seen in the wild. */
static const struct {
	uint32_t keysym;
	uint16_t code;
} keysym_alias[] = {
	{ XK_Mode_switch, KEY_RIGHTALT },
	{ XK_KP_Separator, KEY_KPDOT },
	{ XK_KP_Space, KEY_SPACE },
	{ XK_KP_Tab, KEY_TAB },
	{ XK_KP_Equal, KEY_EQUAL },
	{ XK_Linefeed, KEY_ENTER },
	{ XK_Hyper_L, KEY_LEFTMETA },
	{ XK_Hyper_R, KEY_RIGHTMETA },
	{ XK_Multi_key, KEY_COMPOSE },
};

static const struct {
	const char *name;
	uint16_t code;
} name_alias[] = {
	{ "asterisk", KEY_KPASTERISK },
	{ "sysrq", KEY_SYSRQ },
	{ "space", KEY_SPACE },
	{ "enter", KEY_ENTER },
	{ "return", KEY_ENTER },
	{ "escape", KEY_ESC },
	{ "control", KEY_LEFTCTRL },
	{ "control_r", KEY_RIGHTCTRL },
	{ "altgr", KEY_RIGHTALT },
	{ "compose", KEY_COMPOSE },
	{ "del", KEY_DELETE },
	{ "ins", KEY_INSERT },
	{ "kp_comma", KEY_KPDOT },
	{ "prtsc", KEY_SYSRQ },
	{ "break", KEY_PAUSE },
	{ "lf", KEY_ENTER },
};

size_t keymap_count(void)
{
	return NKEYS;
}

const struct keymap_key *keymap_at(size_t i)
{
	return i < NKEYS ? &keymap[i] : NULL;
}

const struct keymap_key *keymap_by_code(unsigned int code)
{
	if (code == KEY_RESERVED)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++)
		if (keymap[i].code == code)
			return &keymap[i];
	return NULL;
}

size_t keymap_set2(unsigned int code, bool down, uint8_t *buf)
{
	static const uint8_t prtsc_make[] = { 0xE0, 0x12, 0xE0, 0x7C };
	static const uint8_t prtsc_break[] = { 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12 };
	static const uint8_t pause_make[] = { 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77 };
	const struct keymap_key *k = keymap_by_code(code);
	const uint8_t *seq;
	size_t n;

	if (!k)
		return 0;
	if (k->set2_len) {
		n = 0;
		for (unsigned int i = 0; i + 1 < k->set2_len; i++)
			buf[n++] = k->set2[i];
		if (!down)
			buf[n++] = 0xF0;
		buf[n++] = k->set2[k->set2_len - 1];
		return n;
	}
	if (code == KEY_PAUSE) {
		if (!down)
			return 0;
		seq = pause_make;
		n = sizeof(pause_make);
	} else if (down) {
		seq = prtsc_make;
		n = sizeof(prtsc_make);
	} else {
		seq = prtsc_break;
		n = sizeof(prtsc_break);
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = seq[i];
	return n;
}

unsigned int keymap_from_keysym(uint32_t keysym, enum keymap_shift *shift)
{
	enum keymap_shift dummy;

	if (!shift)
		shift = &dummy;
	*shift = KEYMAP_SHIFT_ANY;
	if (keysym == 0)
		return KEY_RESERVED;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct keymap_key *k = &keymap[i];
		if (k->keysym == keysym) {
			/* space is its own shifted symbol: either state types it */
			if (k->symbol && k->keysym != k->keysym_shift)
				*shift = KEYMAP_SHIFT_OFF;
			return k->code;
		}
		if (k->keysym_shift == keysym) {
			if (k->symbol && k->keysym != k->keysym_shift)
				*shift = KEYMAP_SHIFT_ON;
			return k->code;
		}
	}
	for (size_t i = 0; i < sizeof(keysym_alias) / sizeof(keysym_alias[0]); i++)
		if (keysym_alias[i].keysym == keysym)
			return keysym_alias[i].code;
	return KEY_RESERVED;
}

unsigned int keymap_from_sdl(int scancode)
{
	if (scancode <= 0)
		return KEY_RESERVED;
	for (size_t i = 0; i < NKEYS; i++)
		if (keymap[i].sdl == scancode)
			return keymap[i].code;
	/* ISO keyboards report the key left of Return as "non-US #" */
	if (scancode == SDL_SCANCODE_NONUSHASH)
		return KEY_BACKSLASH;
	return KEY_RESERVED;
}

unsigned int keymap_from_name(const char *name)
{
	if (!name || !*name)
		return KEY_RESERVED;
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(keymap[i].name, name) == 0)
			return keymap[i].code;
	for (size_t i = 0; i < sizeof(name_alias) / sizeof(name_alias[0]); i++)
		if (strcasecmp(name_alias[i].name, name) == 0)
			return name_alias[i].code;
	return KEY_RESERVED;
}

const char *keymap_name(unsigned int code)
{
	const struct keymap_key *k = keymap_by_code(code);

	return k ? k->name : NULL;
}

unsigned int keymap_ascii(int c, enum keymap_shift *shift)
{
	enum keymap_shift dummy;

	if (!shift)
		shift = &dummy;
	*shift = KEYMAP_SHIFT_OFF;
	switch (c) {
	case '\n':
	case '\r':
		return KEY_ENTER;
	case '\t':
		return KEY_TAB;
	case '\b':
		return KEY_BACKSPACE;
	case 0x1B:
		return KEY_ESC;
	case ' ':
		return KEY_SPACE;
	default:
		break;
	}
	if (c < 0x21 || c > 0x7E)
		return KEY_RESERVED;
	/* printable ASCII is Latin-1 is the keysym */
	unsigned int code = keymap_from_keysym((uint32_t)c, shift);
	if (*shift == KEYMAP_SHIFT_ANY)
		*shift = KEYMAP_SHIFT_OFF;
	return code;
}
