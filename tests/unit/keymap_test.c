/*
 * keymap_test.c - the shared key table: every key through the i8042 model
 * (set 2 bytes in, the set 1 bytes a PC guest reads out), and the keysym,
 * SDL and name lookups.
 */
#include "unit.h"

#include <SDL2/SDL_scancode.h>
#include <linux/input-event-codes.h>
#include <rfb/keysym.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "display/keymap.h"
#include "vmm/dev/i8042.h"

/*
 * Set 1 of the keys whose KEY_* code is not their set 1 code (for the
 * others, KEY_* 1..88 is the set 1 make code, as in Linux's atkbd) - from
 * IBM's scancode tables, written out here independently of keymap.c.
 */
static const struct {
	unsigned int code;
	uint8_t make[6];
	unsigned int make_len;
	uint8_t brk[6];
	unsigned int brk_len;
} set1_special[] = {
	{ KEY_KPENTER, { 0xE0, 0x1C }, 2, { 0xE0, 0x9C }, 2 },
	{ KEY_RIGHTCTRL, { 0xE0, 0x1D }, 2, { 0xE0, 0x9D }, 2 },
	{ KEY_KPSLASH, { 0xE0, 0x35 }, 2, { 0xE0, 0xB5 }, 2 },
	{ KEY_SYSRQ, { 0xE0, 0x2A, 0xE0, 0x37 }, 4, { 0xE0, 0xB7, 0xE0, 0xAA }, 4 },
	{ KEY_RIGHTALT, { 0xE0, 0x38 }, 2, { 0xE0, 0xB8 }, 2 },
	{ KEY_HOME, { 0xE0, 0x47 }, 2, { 0xE0, 0xC7 }, 2 },
	{ KEY_UP, { 0xE0, 0x48 }, 2, { 0xE0, 0xC8 }, 2 },
	{ KEY_PAGEUP, { 0xE0, 0x49 }, 2, { 0xE0, 0xC9 }, 2 },
	{ KEY_LEFT, { 0xE0, 0x4B }, 2, { 0xE0, 0xCB }, 2 },
	{ KEY_RIGHT, { 0xE0, 0x4D }, 2, { 0xE0, 0xCD }, 2 },
	{ KEY_END, { 0xE0, 0x4F }, 2, { 0xE0, 0xCF }, 2 },
	{ KEY_DOWN, { 0xE0, 0x50 }, 2, { 0xE0, 0xD0 }, 2 },
	{ KEY_PAGEDOWN, { 0xE0, 0x51 }, 2, { 0xE0, 0xD1 }, 2 },
	{ KEY_INSERT, { 0xE0, 0x52 }, 2, { 0xE0, 0xD2 }, 2 },
	{ KEY_DELETE, { 0xE0, 0x53 }, 2, { 0xE0, 0xD3 }, 2 },
	{ KEY_PAUSE, { 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5 }, 6, { 0 }, 0 },
	{ KEY_LEFTMETA, { 0xE0, 0x5B }, 2, { 0xE0, 0xDB }, 2 },
	{ KEY_RIGHTMETA, { 0xE0, 0x5C }, 2, { 0xE0, 0xDC }, 2 },
	{ KEY_COMPOSE, { 0xE0, 0x5D }, 2, { 0xE0, 0xDD }, 2 },
};

/* The set 1 bytes a key must produce; false when the test knows none. */
static bool expected_set1(unsigned int code, bool down, uint8_t *out, unsigned int *len)
{
	for (size_t i = 0; i < sizeof(set1_special) / sizeof(set1_special[0]); i++) {
		if (set1_special[i].code != code)
			continue;
		*len = down ? set1_special[i].make_len : set1_special[i].brk_len;
		memcpy(out, down ? set1_special[i].make : set1_special[i].brk, *len);
		return true;
	}
	if (code >= 1 && code <= 88 && code != 84 && code != 85) {
		out[0] = (uint8_t)(code | (down ? 0 : 0x80));
		*len = 1;
		return true;
	}
	return false;
}

static int rd(struct i8042 *c)
{
	if (!(i8042_read_status(c) & I8042_STR_OBF))
		return -1;
	return i8042_read_data(c);
}

static void expect_bytes(struct i8042 *c, const uint8_t *want, unsigned int n,
			 unsigned int code)
{
	for (unsigned int i = 0; i < n; i++) {
		int b = rd(c);
		if (b != want[i])
			fail_msg("key %u (%s): byte %u is %#x, want %#x", code,
				 keymap_name(code), i, b, want[i]);
	}
	int extra = rd(c);
	if (extra != -1)
		fail_msg("key %u (%s): extra byte %#x", code, keymap_name(code), extra);
}

/* Every key, pressed and released, through the translating controller. */
static void test_every_key_set1_translated(void **state)
{
	(void)state;
	struct i8042 *c = i8042_create(NULL, NULL, NULL);
	assert_non_null(c);
	for (size_t i = 0; i < keymap_count(); i++) {
		const struct keymap_key *k = keymap_at(i);
		uint8_t buf[KEYMAP_SET2_MAX], want[8];
		unsigned int wn;

		if (!expected_set1(k->code, true, want, &wn))
			fail_msg("no expected set 1 code for key %u (%s)", k->code, k->name);
		for (int down = 1; down >= 0; down--) {
			size_t n = keymap_set2(k->code, down, buf);
			assert_true(n <= KEYMAP_SET2_MAX);
			assert_true(expected_set1(k->code, down, want, &wn));
			if (n)
				i8042_kbd_input(c, buf, n);
			expect_bytes(c, want, wn, k->code);
		}
	}
	i8042_destroy(c);
}

/* The same with the keyboard itself in set 1 and translation off. */
static void test_every_key_keyboard_set1(void **state)
{
	(void)state;
	struct i8042 *c = i8042_create(NULL, NULL, NULL);
	assert_non_null(c);
	i8042_write_cmd(c, 0x60);
	i8042_write_data(c, 0x04);        /* no translation, no interrupts */
	i8042_write_data(c, 0xF0);
	assert_int_equal(rd(c), 0xFA);
	i8042_write_data(c, 0x01);
	assert_int_equal(rd(c), 0xFA);
	for (size_t i = 0; i < keymap_count(); i++) {
		const struct keymap_key *k = keymap_at(i);
		for (int down = 1; down >= 0; down--) {
			uint8_t buf[KEYMAP_SET2_MAX], want[8];
			unsigned int wn;
			size_t n = keymap_set2(k->code, down, buf);
			assert_true(expected_set1(k->code, down, want, &wn));
			if (n)
				i8042_kbd_input(c, buf, n);
			expect_bytes(c, want, wn, k->code);
		}
	}
	i8042_destroy(c);
}

/* Untranslated set 2: the bytes come out as given; breaks carry F0. */
static void test_set2_raw(void **state)
{
	(void)state;
	uint8_t buf[KEYMAP_SET2_MAX];
	static const uint8_t a_up[] = { 0xF0, 0x1C };
	static const uint8_t right_up[] = { 0xE0, 0xF0, 0x74 };
	static const uint8_t prt_dn[] = { 0xE0, 0x12, 0xE0, 0x7C };
	static const uint8_t pause_dn[] = { 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77 };

	assert_int_equal(keymap_set2(KEY_A, true, buf), 1);
	assert_int_equal(buf[0], 0x1C);
	assert_int_equal(keymap_set2(KEY_A, false, buf), 2);
	assert_memory_equal(buf, a_up, 2);
	assert_int_equal(keymap_set2(KEY_RIGHT, false, buf), 3);
	assert_memory_equal(buf, right_up, 3);
	assert_int_equal(keymap_set2(KEY_SYSRQ, true, buf), 4);
	assert_memory_equal(buf, prt_dn, 4);
	assert_int_equal(keymap_set2(KEY_PAUSE, true, buf), 8);
	assert_memory_equal(buf, pause_dn, 8);
	assert_int_equal(keymap_set2(KEY_PAUSE, false, buf), 0);
	assert_int_equal(keymap_set2(KEY_RESERVED, true, buf), 0);
	assert_int_equal(keymap_set2(KEY_MUTE, true, buf), 0);
	assert_int_equal(keymap_set2(100000, true, buf), 0);

	/* and through a controller with translation off */
	struct i8042 *c = i8042_create(NULL, NULL, NULL);
	assert_non_null(c);
	i8042_write_cmd(c, 0x60);
	i8042_write_data(c, 0x04);
	size_t n = keymap_set2(KEY_KPENTER, false, buf);
	i8042_kbd_input(c, buf, n);
	expect_bytes(c, buf, (unsigned int)n, KEY_KPENTER);
	i8042_destroy(c);
}

/* A 105-key keyboard: every key once, codes and set 2 codes unique. */
static void test_table_complete_unique(void **state)
{
	(void)state;
	static const unsigned int must[] = {
		KEY_ESC, KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8,
		KEY_F9, KEY_F10, KEY_F11, KEY_F12, KEY_SYSRQ, KEY_SCROLLLOCK, KEY_PAUSE,
		KEY_102ND, KEY_LEFTMETA, KEY_RIGHTMETA, KEY_COMPOSE, KEY_RIGHTALT,
		KEY_RIGHTCTRL, KEY_KPENTER, KEY_KPSLASH, KEY_NUMLOCK, KEY_KPDOT,
	};
	assert_int_equal(keymap_count(), 105);
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		assert_non_null(keymap_by_code(must[i]));
	for (size_t i = 0; i < keymap_count(); i++) {
		const struct keymap_key *a = keymap_at(i);
		assert_ptr_equal(keymap_by_code(a->code), a);
		for (size_t j = i + 1; j < keymap_count(); j++) {
			const struct keymap_key *b = keymap_at(j);
			assert_int_not_equal(a->code, b->code);
			if (strcasecmp(a->name, b->name) == 0)
				fail_msg("name %s twice", a->name);
			if (a->sdl && a->sdl == b->sdl)
				fail_msg("SDL scancode %u twice", a->sdl);
			if (a->set2_len && a->set2_len == b->set2_len &&
			    memcmp(a->set2, b->set2, a->set2_len) == 0)
				fail_msg("set 2 code of %s and %s", a->name, b->name);
			if (a->keysym && (a->keysym == b->keysym || a->keysym == b->keysym_shift))
				fail_msg("keysym %#x of %s also on %s", a->keysym, a->name, b->name);
		}
	}
	assert_null(keymap_at(keymap_count()));
}

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < keymap_count(); i++) {
		const struct keymap_key *k = keymap_at(i);
		assert_int_equal(keymap_from_name(k->name), k->code);
		assert_string_equal(keymap_name(k->code), k->name);
	}
	assert_int_equal(keymap_from_name("ctrl"), KEY_LEFTCTRL);
	assert_int_equal(keymap_from_name("CTRL"), KEY_LEFTCTRL);
	assert_int_equal(keymap_from_name("alt"), KEY_LEFTALT);
	assert_int_equal(keymap_from_name("shift"), KEY_LEFTSHIFT);
	assert_int_equal(keymap_from_name("ret"), KEY_ENTER);
	assert_int_equal(keymap_from_name("esc"), KEY_ESC);
	assert_int_equal(keymap_from_name("f1"), KEY_F1);
	assert_int_equal(keymap_from_name("kp_add"), KEY_KPPLUS);
	assert_int_equal(keymap_from_name("print"), KEY_SYSRQ);
	assert_int_equal(keymap_from_name("pause"), KEY_PAUSE);
	assert_int_equal(keymap_from_name("delete"), KEY_DELETE);
	assert_int_equal(keymap_from_name("asterisk"), KEY_KPASTERISK);
	assert_int_equal(keymap_from_name("spc"), KEY_SPACE);
	assert_int_equal(keymap_from_name(""), 0);
	assert_int_equal(keymap_from_name(NULL), 0);
	assert_int_equal(keymap_from_name("f13"), 0);
	assert_int_equal(keymap_from_name("ctrl-alt"), 0);
	assert_null(keymap_name(KEY_MUTE));
}

static void test_keysyms(void **state)
{
	(void)state;
	enum keymap_shift sh;

	for (size_t i = 0; i < keymap_count(); i++) {
		const struct keymap_key *k = keymap_at(i);
		if (k->keysym)
			assert_int_equal(keymap_from_keysym(k->keysym, NULL), k->code);
		if (k->keysym_shift)
			assert_int_equal(keymap_from_keysym(k->keysym_shift, NULL), k->code);
	}
	/* every printable ASCII keysym reaches a key, with a shift state */
	for (uint32_t ks = 0x21; ks <= 0x7E; ks++) {
		unsigned int code = keymap_from_keysym(ks, &sh);
		if (!code)
			fail_msg("keysym %#x '%c' unmapped", ks, (int)ks);
		assert_int_not_equal(sh, KEYMAP_SHIFT_ANY);
	}
	assert_int_equal(keymap_from_keysym('a', &sh), KEY_A);
	assert_int_equal(sh, KEYMAP_SHIFT_OFF);
	assert_int_equal(keymap_from_keysym('A', &sh), KEY_A);
	assert_int_equal(sh, KEYMAP_SHIFT_ON);
	assert_int_equal(keymap_from_keysym('!', &sh), KEY_1);
	assert_int_equal(sh, KEYMAP_SHIFT_ON);
	assert_int_equal(keymap_from_keysym('1', &sh), KEY_1);
	assert_int_equal(sh, KEYMAP_SHIFT_OFF);
	assert_int_equal(keymap_from_keysym('<', &sh), KEY_COMMA);
	assert_int_equal(sh, KEYMAP_SHIFT_ON);
	assert_int_equal(keymap_from_keysym(' ', &sh), KEY_SPACE);
	assert_int_equal(sh, KEYMAP_SHIFT_ANY);
	assert_int_equal(keymap_from_keysym(XK_Return, &sh), KEY_ENTER);
	assert_int_equal(sh, KEYMAP_SHIFT_ANY);
	assert_int_equal(keymap_from_keysym(XK_ISO_Left_Tab, &sh), KEY_TAB);
	assert_int_equal(sh, KEYMAP_SHIFT_ANY);
	assert_int_equal(keymap_from_keysym(XK_KP_Home, &sh), KEY_KP7);
	assert_int_equal(keymap_from_keysym(XK_KP_7, &sh), KEY_KP7);
	assert_int_equal(keymap_from_keysym(XK_Home, &sh), KEY_HOME);
	assert_int_equal(keymap_from_keysym(XK_ISO_Level3_Shift, &sh), KEY_RIGHTALT);
	assert_int_equal(keymap_from_keysym(XK_Mode_switch, &sh), KEY_RIGHTALT);
	assert_int_equal(keymap_from_keysym(XK_Print, &sh), KEY_SYSRQ);
	assert_int_equal(keymap_from_keysym(XK_Pause, &sh), KEY_PAUSE);
	assert_int_equal(keymap_from_keysym(XK_Meta_L, &sh), KEY_LEFTMETA);
	assert_int_equal(keymap_from_keysym(XK_Super_R, &sh), KEY_RIGHTMETA);
	assert_int_equal(keymap_from_keysym(XK_F12, &sh), KEY_F12);
	assert_int_equal(keymap_from_keysym(0, &sh), 0);
	assert_int_equal(keymap_from_keysym(XK_eacute, &sh), 0);
	assert_int_equal(keymap_from_keysym(0xFFFFFFFFu, &sh), 0);
}

static void test_sdl(void **state)
{
	(void)state;
	/* the SDL scancodes of a 105-key keyboard */
	static const int sdl[] = {
		SDL_SCANCODE_ESCAPE, SDL_SCANCODE_F1, SDL_SCANCODE_F12, SDL_SCANCODE_PRINTSCREEN,
		SDL_SCANCODE_SCROLLLOCK, SDL_SCANCODE_PAUSE, SDL_SCANCODE_GRAVE,
		SDL_SCANCODE_BACKSPACE, SDL_SCANCODE_TAB, SDL_SCANCODE_CAPSLOCK,
		SDL_SCANCODE_RETURN, SDL_SCANCODE_LSHIFT, SDL_SCANCODE_NONUSBACKSLASH,
		SDL_SCANCODE_RSHIFT, SDL_SCANCODE_LCTRL, SDL_SCANCODE_LGUI, SDL_SCANCODE_LALT,
		SDL_SCANCODE_SPACE, SDL_SCANCODE_RALT, SDL_SCANCODE_RGUI,
		SDL_SCANCODE_APPLICATION, SDL_SCANCODE_RCTRL, SDL_SCANCODE_INSERT,
		SDL_SCANCODE_DELETE, SDL_SCANCODE_HOME, SDL_SCANCODE_END, SDL_SCANCODE_PAGEUP,
		SDL_SCANCODE_PAGEDOWN, SDL_SCANCODE_UP, SDL_SCANCODE_DOWN, SDL_SCANCODE_LEFT,
		SDL_SCANCODE_RIGHT, SDL_SCANCODE_NUMLOCKCLEAR, SDL_SCANCODE_KP_DIVIDE,
		SDL_SCANCODE_KP_MULTIPLY, SDL_SCANCODE_KP_MINUS, SDL_SCANCODE_KP_PLUS,
		SDL_SCANCODE_KP_ENTER, SDL_SCANCODE_KP_PERIOD, SDL_SCANCODE_KP_0,
		SDL_SCANCODE_KP_9, SDL_SCANCODE_NONUSHASH,
	};
	unsigned int n = 0;

	for (int s = SDL_SCANCODE_A; s <= SDL_SCANCODE_Z; s++)
		assert_int_not_equal(keymap_from_sdl(s), 0);
	for (int s = SDL_SCANCODE_1; s <= SDL_SCANCODE_SLASH; s++)
		if (s != SDL_SCANCODE_NONUSHASH)
			assert_int_not_equal(keymap_from_sdl(s), 0);
	for (size_t i = 0; i < sizeof(sdl) / sizeof(sdl[0]); i++)
		if (!keymap_from_sdl(sdl[i]))
			fail_msg("SDL scancode %d unmapped", sdl[i]);
	for (size_t i = 0; i < keymap_count(); i++) {
		const struct keymap_key *k = keymap_at(i);
		assert_int_not_equal(k->sdl, 0);
		assert_int_equal(keymap_from_sdl(k->sdl), k->code);
		n++;
	}
	assert_int_equal(n, 105);
	assert_int_equal(keymap_from_sdl(SDL_SCANCODE_A), KEY_A);
	assert_int_equal(keymap_from_sdl(SDL_SCANCODE_KP_ENTER), KEY_KPENTER);
	assert_int_equal(keymap_from_sdl(SDL_SCANCODE_NONUSHASH), KEY_BACKSLASH);
	assert_int_equal(keymap_from_sdl(0), 0);
	assert_int_equal(keymap_from_sdl(-5), 0);
	assert_int_equal(keymap_from_sdl(SDL_SCANCODE_MUTE), 0);
	assert_int_equal(keymap_from_sdl(100000), 0);
}

static void test_ascii(void **state)
{
	(void)state;
	enum keymap_shift sh;

	for (int c = 0x20; c <= 0x7E; c++) {
		unsigned int code = keymap_ascii(c, &sh);
		if (!code)
			fail_msg("'%c' untypable", c);
		assert_int_not_equal(sh, KEYMAP_SHIFT_ANY);
	}
	assert_int_equal(keymap_ascii('H', &sh), KEY_H);
	assert_int_equal(sh, KEYMAP_SHIFT_ON);
	assert_int_equal(keymap_ascii('h', &sh), KEY_H);
	assert_int_equal(sh, KEYMAP_SHIFT_OFF);
	assert_int_equal(keymap_ascii(' ', &sh), KEY_SPACE);
	assert_int_equal(sh, KEYMAP_SHIFT_OFF);
	assert_int_equal(keymap_ascii('\n', &sh), KEY_ENTER);
	assert_int_equal(keymap_ascii('\t', &sh), KEY_TAB);
	assert_int_equal(keymap_ascii('\b', &sh), KEY_BACKSPACE);
	assert_int_equal(keymap_ascii(0x1B, &sh), KEY_ESC);
	assert_int_equal(keymap_ascii('~', &sh), KEY_GRAVE);
	assert_int_equal(sh, KEYMAP_SHIFT_ON);
	assert_int_equal(keymap_ascii('"', &sh), KEY_APOSTROPHE);
	assert_int_equal(sh, KEYMAP_SHIFT_ON);
	assert_int_equal(keymap_ascii(0, &sh), 0);
	assert_int_equal(keymap_ascii(0x7F, &sh), 0);
	assert_int_equal(keymap_ascii(0xE9, &sh), 0);
	assert_int_equal(keymap_ascii(-1, &sh), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_every_key_set1_translated),
	cmocka_unit_test(test_every_key_keyboard_set1),
	cmocka_unit_test(test_set2_raw),
	cmocka_unit_test(test_table_complete_unique),
	cmocka_unit_test(test_names),
	cmocka_unit_test(test_keysyms),
	cmocka_unit_test(test_sdl),
	cmocka_unit_test(test_ascii),
};

UNIT_SUITE(keymap, tests);
