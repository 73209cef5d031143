/*
 * i8042_test.c - the PS/2 controller, keyboard and mouse through ports
 * 0x60/0x64 as firmware and Linux's i8042/atkbd/psmouse drivers use them.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "i8042_testutil.h"
#include "vmm/dev/i8042.h"
#include "vmm/snap.h"

static void cmd(struct i8042 *c, uint8_t v)
{
	i8042_write_cmd(c, v);
}

static void set_ctr(struct i8042 *c, uint8_t v)
{
	i8042_write_cmd(c, 0x60);
	i8042_write_data(c, v);
}

static void test_self_test_and_ctr(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	uint8_t st = i8042_read_status(c);
	assert_int_not_equal(st, 0xff);
	assert_int_equal(st & (I8042_STR_OBF | I8042_STR_IBF), 0);
	cmd(c, 0xaa);
	assert_true(i8042_read_status(c) & I8042_STR_CMD);
	assert_int_equal(i8042_fx_read(c), 0x55);
	assert_int_equal(i8042_fx_read(c), -1);
	assert_true(i8042_read_status(c) & I8042_STR_SYS);
	cmd(c, 0xab);
	assert_int_equal(i8042_fx_read(c), 0x00);
	cmd(c, 0xa9);
	assert_int_equal(i8042_fx_read(c), 0x00);

	/* command byte round trip, as Linux reads it twice */
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x45);
	set_ctr(c, 0x47 | I8042_CTR_AUXDIS);
	assert_false(i8042_read_status(c) & I8042_STR_CMD);
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x67);
	/* aux enable/disable show in the command byte */
	cmd(c, 0xa8);
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x47);
	cmd(c, 0xa7);
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x67);
	cmd(c, 0xad);
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x77);
	cmd(c, 0xae);
	/* other RAM bytes */
	i8042_write_cmd(c, 0x65);
	i8042_write_data(c, 0x99);
	cmd(c, 0x25);
	assert_int_equal(i8042_fx_read(c), 0x99);
	/* SYS flag follows the command byte */
	set_ctr(c, 0x00);
	assert_false(i8042_read_status(c) & I8042_STR_SYS);
}

static void test_reset_requests(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	cmd(c, 0xfe);
	assert_int_equal(f->resets, 1);
	cmd(c, 0xff);           /* no line pulsed */
	cmd(c, 0xf1);           /* bit 0 set: no reset */
	assert_int_equal(f->resets, 1);
	cmd(c, 0xf0);           /* bit 0 clear among others */
	assert_int_equal(f->resets, 2);

	/* output port: read, write with A20, then drop bit 0 */
	cmd(c, 0xd0);
	int op = i8042_fx_read(c);
	assert_int_equal(op & 0x03, 0x03);
	cmd(c, 0xd1);
	i8042_write_data(c, 0x03);
	assert_int_equal(f->resets, 2);
	cmd(c, 0xdd);
	cmd(c, 0xd0);
	assert_int_equal(i8042_fx_read(c) & 0x03, 0x01);
	cmd(c, 0xd1);
	i8042_write_data(c, 0x02);
	assert_int_equal(f->resets, 3);
	assert_int_equal(f->other_req, 0);

	/* a data byte after a cancelled 0xD1 goes to the keyboard instead */
	cmd(c, 0xd1);
	cmd(c, 0xae);
	i8042_write_data(c, 0xf2);
	assert_int_equal(f->resets, 3);
	assert_int_equal(i8042_fx_read(c), 0xfa);
}

static void test_keyboard_commands(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	set_ctr(c, 0x04);        /* no translation, no interrupts */
	i8042_write_data(c, 0xff);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0xaa);
	assert_int_equal(i8042_fx_read(c), -1);
	i8042_write_data(c, 0xf2);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0xab);
	assert_int_equal(i8042_fx_read(c), 0x83);
	i8042_write_data(c, 0xed);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0x07);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0xf3);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0xee);
	assert_int_equal(i8042_fx_read(c), 0xee);
	i8042_write_data(c, 0xfe);   /* resend */
	assert_int_equal(i8042_fx_read(c), 0xee);
	i8042_write_data(c, 0x42);   /* unknown */
	assert_int_equal(i8042_fx_read(c), 0xfe);
	/* scancode set: get, set 1, get, bad */
	i8042_write_data(c, 0xf0);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0x00);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0x02);
	i8042_write_data(c, 0xf0);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0x01);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), -1);
	i8042_write_data(c, 0xf0);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0x00);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0x01);
	i8042_write_data(c, 0xf0);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_write_data(c, 0x09);
	assert_int_equal(i8042_fx_read(c), 0xfe);
	/* set 1 chosen at the keyboard: it converts itself */
	const uint8_t a_break[] = { 0xf0, 0x1c };
	i8042_kbd_input(c, a_break, sizeof(a_break));
	assert_int_equal(i8042_fx_read(c), 0x9e);
	/* disable: input dropped; enable: flows again */
	i8042_write_data(c, 0xf5);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_kbd_input(c, a_break, sizeof(a_break));
	assert_int_equal(i8042_fx_read(c), -1);
	i8042_write_data(c, 0xf4);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	const uint8_t a_make[] = { 0x1c };
	i8042_kbd_input(c, a_make, 1);
	assert_int_equal(i8042_fx_read(c), 0x1c);     /* F5 restored set 2 */

	/* identify through the translating controller reads AB 41 */
	set_ctr(c, 0x44);
	i8042_write_data(c, 0xf2);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0xab);
	assert_int_equal(i8042_fx_read(c), 0x41);
}

static void test_translation(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	/* A down, A up, Right (E0 74) down and up, Enter, F7 (83) */
	const uint8_t a_make[] = { 0x1c }, a_break[] = { 0xf0, 0x1c };
	const uint8_t r_make[] = { 0xe0, 0x74 }, r_break[] = { 0xe0, 0xf0, 0x74 };
	const uint8_t enter[] = { 0x5a }, f7[] = { 0x83 }, f7_break[] = { 0xf0, 0x83 };

	set_ctr(c, 0x44);        /* translate, no interrupts */
	i8042_kbd_input(c, a_make, sizeof(a_make));
	i8042_kbd_input(c, a_break, sizeof(a_break));
	i8042_kbd_input(c, r_make, sizeof(r_make));
	i8042_kbd_input(c, r_break, sizeof(r_break));
	i8042_kbd_input(c, enter, sizeof(enter));
	i8042_kbd_input(c, f7, sizeof(f7));
	i8042_kbd_input(c, f7_break, sizeof(f7_break));
	const int want[] = { 0x1e, 0x9e, 0xe0, 0x4d, 0xe0, 0xcd, 0x1c, 0x41, 0xc1, -1 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(i8042_fx_read(c), want[i]);

	/* translation off: set 2 bytes as they are */
	set_ctr(c, 0x04);
	i8042_kbd_input(c, r_break, sizeof(r_break));
	assert_int_equal(i8042_fx_read(c), 0xe0);
	assert_int_equal(i8042_fx_read(c), 0xf0);
	assert_int_equal(i8042_fx_read(c), 0x74);
}

static void test_irq(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	const uint8_t k[] = { 0x1c }, k2[] = { 0xf0, 0x1c };

	set_ctr(c, 0x04);
	i8042_kbd_input(c, k, 1);
	assert_int_equal(f->kbd_level, 0);   /* interrupt disabled */
	set_ctr(c, 0x05);                    /* enabling raises it */
	assert_int_equal(f->kbd_level, 1);
	assert_int_equal(f->kbd_rises, 1);
	i8042_kbd_input(c, k2, 2);
	assert_int_equal(i8042_read_data(c), 0x1c);
	/* next byte moved in: a fresh edge */
	assert_int_equal(f->kbd_level, 1);
	assert_int_equal(f->kbd_rises, 2);
	assert_int_equal(i8042_read_data(c), 0xf0);
	assert_int_equal(f->kbd_rises, 3);
	assert_int_equal(i8042_read_data(c), 0x1c);
	assert_int_equal(f->kbd_level, 0);
	assert_int_equal(f->aux_level, 0);

	/* Linux's AUX loop test: 0xD3 data appears as aux data on IRQ 12 */
	set_ctr(c, 0x07);
	cmd(c, 0xd3);
	i8042_write_data(c, 0xa5);
	assert_int_equal(f->aux_level, 1);
	assert_int_equal(f->kbd_level, 0);
	assert_true(i8042_read_status(c) & I8042_STR_AUXOBF);
	assert_int_equal(i8042_read_data(c), 0xa5);
	assert_int_equal(f->aux_level, 0);
	assert_false(i8042_read_status(c) & I8042_STR_AUXOBF);
	/* 0xD2: keyboard buffer */
	cmd(c, 0xd2);
	i8042_write_data(c, 0x5a);
	assert_int_equal(f->kbd_level, 1);
	assert_int_equal(i8042_read_data(c), 0x5a);
	assert_int_equal(f->kbd_level, 0);

	/* keyboard port disabled: data waits, controller replies still come */
	cmd(c, 0xad);
	i8042_kbd_input(c, k, 1);
	assert_int_equal(i8042_fx_read(c), -1);
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x17);
	cmd(c, 0xae);
	assert_int_equal(f->kbd_level, 1);
	assert_int_equal(i8042_fx_read(c), 0x1c);
}

static void test_mouse(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	set_ctr(c, 0x47);
	cmd(c, 0xd4);
	i8042_write_data(c, 0xff);
	assert_int_equal(f->aux_level, 1);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0xaa);
	assert_int_equal(i8042_fx_read(c), 0x00);
	cmd(c, 0xd4);
	i8042_write_data(c, 0xf2);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0x00);
	/* not enabled yet: motion dropped */
	i8042_mouse_input(c, 5, 5, 0, 0);
	assert_int_equal(i8042_fx_read(c), -1);
	/* IntelliMouse knock */
	const uint8_t knock[] = { 0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf2 };
	for (size_t i = 0; i < sizeof(knock); i++) {
		cmd(c, 0xd4);
		i8042_write_data(c, knock[i]);
		assert_int_equal(i8042_fx_read(c), 0xfa);
	}
	assert_int_equal(i8042_fx_read(c), 0x03);
	/* status request */
	cmd(c, 0xd4);
	i8042_write_data(c, 0xe8);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	cmd(c, 0xd4);
	i8042_write_data(c, 0x03);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	cmd(c, 0xd4);
	i8042_write_data(c, 0xe9);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	assert_int_equal(i8042_fx_read(c), 0x00);
	assert_int_equal(i8042_fx_read(c), 0x03);
	assert_int_equal(i8042_fx_read(c), 80);
	/* enable and move: right 5, down 3, wheel 1, left button */
	cmd(c, 0xd4);
	i8042_write_data(c, 0xf4);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	i8042_mouse_input(c, 5, 3, 1, I8042_BTN_LEFT);
	assert_true(i8042_read_status(c) & I8042_STR_AUXOBF);
	assert_int_equal(i8042_fx_read(c), 0x08 | 0x20 | 0x01);
	assert_int_equal(i8042_fx_read(c), 5);
	assert_int_equal(i8042_fx_read(c), 0xfd);
	assert_int_equal(i8042_fx_read(c), 0x01);
	assert_int_equal(i8042_fx_read(c), -1);
	/* a big motion is split */
	i8042_mouse_input(c, -300, 0, 0, 0);
	assert_int_equal(i8042_fx_read(c), 0x18);
	assert_int_equal(i8042_fx_read(c), 0x01);   /* -255 */
	assert_int_equal(i8042_fx_read(c), 0);
	assert_int_equal(i8042_fx_read(c), 0);
	assert_int_equal(i8042_fx_read(c), 0x18);
	assert_int_equal(i8042_fx_read(c), 0xd3);   /* -45 */
	assert_int_equal(i8042_fx_read(c), 0);
	assert_int_equal(i8042_fx_read(c), 0);
	assert_int_equal(i8042_fx_read(c), -1);
	/* unknown command */
	cmd(c, 0xd4);
	i8042_write_data(c, 0x01);
	assert_int_equal(i8042_fx_read(c), 0xfe);
}

static void test_queue_bound(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	uint8_t big[I8042_QUEUE_SIZE + 1];

	set_ctr(c, 0x04);
	for (unsigned int i = 0; i < 200; i++) {
		uint8_t b = (uint8_t)(i % 0x60 + 1);
		i8042_kbd_input(c, &b, 1);
	}
	/* one byte in the output buffer, the queue full behind it, its last
	 * byte the overrun code (set 2: 00) */
	unsigned int n = 0;
	int last = 0, v;
	while ((v = i8042_fx_read(c)) >= 0) {
		n++;
		last = v;
	}
	assert_int_equal(n, I8042_QUEUE_SIZE + 1);
	assert_int_equal(last, 0x00);
	/* an event that can never fit is refused */
	memset(big, 0x1c, sizeof(big));
	i8042_kbd_input(c, big, sizeof(big));
	assert_int_equal(i8042_fx_read(c), -1);
	/* a multi-byte event is dropped whole, never split: one byte in the
	 * output buffer, 61 queued, 3 bytes free of which the last is kept
	 * for the overrun code */
	for (unsigned int i = 0; i < I8042_QUEUE_SIZE - 2; i++) {
		uint8_t b = 0x1c;
		i8042_kbd_input(c, &b, 1);
	}
	const uint8_t r_break[] = { 0xe0, 0xf0, 0x74 };
	i8042_kbd_input(c, r_break, sizeof(r_break));   /* dropped */
	n = 0;
	while ((v = i8042_fx_read(c)) >= 0) {
		n++;
		last = v;
		assert_true(v == 0x1c || (n == I8042_QUEUE_SIZE - 1 && v == 0x00));
	}
	assert_int_equal(n, I8042_QUEUE_SIZE - 1);
	assert_int_equal(last, 0x00);
	/* mouse packets likewise */
	cmd(c, 0xd4);
	i8042_write_data(c, 0xf4);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	for (int i = 0; i < 100; i++)
		i8042_mouse_input(c, 1, 1, 0, 0);
	n = 0;
	while (i8042_fx_read(c) >= 0)
		n++;
	/* the first packet's first byte waits in the output buffer */
	assert_int_equal(n, 3 + ((I8042_QUEUE_SIZE - 2) / 3) * 3);
}

static void test_snapshot_round_trip(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042_fx g;
	struct i8042 *c = f->c;
	struct snap s, l;
	const uint8_t keys[] = { 0x1c, 0xf0, 0x1c, 0xe0, 0x74 };

	set_ctr(c, 0x47);
	cmd(c, 0xd4);
	i8042_write_data(c, 0xf4);
	cmd(c, 0xd4);
	i8042_write_data(c, 0xe8);   /* pending argument */
	i8042_write_cmd(c, 0x61);
	i8042_write_data(c, 0x33);
	i8042_kbd_input(c, keys, 3);
	i8042_kbd_input(c, keys + 3, 2);
	i8042_write_cmd(c, 0xd1);    /* pending controller command */

	snap_init_save(&s);
	assert_int_equal(i8042_snapshot(c, &s), 0);
	memset(&g, 0, sizeof(g));
	struct i8042 *d = i8042_fx_make(&g);
	assert_non_null(d);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(i8042_snapshot(d, &l), 0);
	assert_int_equal(l.pos, l.len);
	assert_int_equal(g.kbd_level, f->kbd_level);
	assert_int_equal(g.aux_level, f->aux_level);

	/* same pending 0xD1 in both: a bit-0 write resets both */
	i8042_write_data(c, 0x03);
	i8042_write_data(d, 0x03);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(i8042_read_status(d), i8042_read_status(c));
		assert_int_equal(i8042_read_data(d), i8042_read_data(c));
	}
	cmd(c, 0x21);
	cmd(d, 0x21);
	assert_int_equal(i8042_fx_read(d), i8042_fx_read(c));
	cmd(c, 0xd4);
	i8042_write_data(c, 0x01);   /* the pending E8 argument */
	cmd(d, 0xd4);
	i8042_write_data(d, 0x01);
	assert_int_equal(i8042_fx_read(d), i8042_fx_read(c));
	assert_int_equal(g.resets, 0);

	/* a corrupt keyboard scancode set is refused */
	struct snap s2;
	snap_init_save(&s2);
	assert_int_equal(i8042_snapshot(c, &s2), 0);
	size_t set_at = 4 + 2 + 5 + 4 + (4 + 32) + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 +
			2 * 8 + 1 + (4 + I8042_QUEUE_SIZE);
	assert_in_range(s2.buf[set_at], 1, 3);
	s2.buf[set_at] = 4;
	snap_init_load(&l, s2.buf, s2.len);
	assert_int_equal(i8042_snapshot(d, &l), -EINVAL);
	snap_free(&s2);
	snap_free(&s);
	i8042_destroy(d);
}

static void test_reset(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	const uint8_t k[] = { 0x1c };

	set_ctr(c, 0x00);
	i8042_kbd_input(c, k, 1);
	i8042_reset(c);
	assert_int_equal(i8042_fx_read(c), -1);
	cmd(c, 0x20);
	assert_int_equal(i8042_fx_read(c), 0x45);
	assert_int_equal(f->kbd_level, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_self_test_and_ctr, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_reset_requests, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_keyboard_commands, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_translation, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_irq, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_mouse, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_queue_bound, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_round_trip, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_reset, i8042_fx_setup, i8042_fx_teardown),
};

UNIT_SUITE(i8042, tests);
