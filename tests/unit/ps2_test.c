/*
 * ps2_test.c - the PS/2 keyboard and mouse of ps2.c, driven as a guest
 * sees them: through the i8042's ports, with the host typing and moving
 * the mouse in between.  What is checked here is the devices' output
 * order: a command's reply goes out before input already queued, input
 * survives commands (except the ones ps2.c lists as dropping it), input
 * that arrives while a command awaits its argument waits for it, and the
 * queues stay bounded under a flood.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "i8042_testutil.h"
#include "vmm/dev/i8042.h"
#include "vmm/snap.h"

/* Reads n bytes and then nothing more; want[i] < 0 ends early. */
#define EXPECT(c, ...) expect_bytes((c), (const int[]){ __VA_ARGS__, -1 }, __LINE__)

static void expect_bytes(struct i8042 *c, const int *want, int line)
{
	for (unsigned int i = 0;; i++) {
		int got = i8042_fx_read(c);

		if (got != want[i])
			fail_msg("line %d: byte %u is %d (%#x), want %d (%#x); -1: none",
				 line, i, got, (unsigned int)got & 0xff, want[i],
				 (unsigned int)want[i] & 0xff);
		if (want[i] < 0)
			return;
	}
}

static void set_ctr(struct i8042 *c, uint8_t v)
{
	i8042_write_cmd(c, 0x60);
	i8042_write_data(c, v);
}

static void kbd(struct i8042 *c, uint8_t b)
{
	i8042_write_data(c, b);
}

static void aux(struct i8042 *c, uint8_t b)
{
	i8042_write_cmd(c, 0xd4);
	i8042_write_data(c, b);
}

static const uint8_t a_make[] = { 0x1c }, a_break[] = { 0xf0, 0x1c };
static const uint8_t b_make[] = { 0x32 };
static const uint8_t r_make[] = { 0xe0, 0x74 }, r_break[] = { 0xe0, 0xf0, 0x74 };

static void type(struct i8042 *c, const uint8_t *ev, size_t len)
{
	i8042_kbd_input(c, ev, len);
}

/* A then B typed: A moves into the controller at once, B waits behind. */
static void type_ab(struct i8042 *c)
{
	type(c, a_make, sizeof(a_make));
	type(c, b_make, sizeof(b_make));
}

/*
 * Keys typed before a command and not read yet come after its reply; only
 * F5, F6, FF and a scancode set change drop them.
 */
static void test_kbd_keys_survive_commands(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	set_ctr(c, 0x04);                  /* no translation, no interrupts */
	type_ab(c);
	kbd(c, 0xed);                      /* LEDs */
	EXPECT(c, 0x1c, 0xfa);
	kbd(c, 0x02);
	EXPECT(c, 0xfa, 0x32);
	type_ab(c);
	kbd(c, 0xf3);                      /* typematic */
	EXPECT(c, 0x1c, 0xfa);
	kbd(c, 0x20);
	EXPECT(c, 0xfa, 0x32);
	type_ab(c);
	kbd(c, 0xf4);                      /* enable, already enabled */
	EXPECT(c, 0x1c, 0xfa, 0x32);
	type_ab(c);
	kbd(c, 0xee);                      /* echo */
	EXPECT(c, 0x1c, 0xee, 0x32);
	type_ab(c);
	kbd(c, 0xf2);                      /* identify */
	EXPECT(c, 0x1c, 0xfa, 0xab, 0x83, 0x32);
	type_ab(c);
	kbd(c, 0xf0);                      /* get the set */
	EXPECT(c, 0x1c, 0xfa);
	kbd(c, 0x00);
	EXPECT(c, 0xfa, 0x02, 0x32);
	type_ab(c);
	kbd(c, 0xf0);                      /* set 2 again: nothing changes */
	EXPECT(c, 0x1c, 0xfa);
	kbd(c, 0x02);
	EXPECT(c, 0xfa, 0x32);
	type_ab(c);
	kbd(c, 0xf8);                      /* set 3 key mode */
	EXPECT(c, 0x1c, 0xfa, 0x32);
	type_ab(c);
	kbd(c, 0x42);                      /* unknown */
	EXPECT(c, 0x1c, 0xfe, 0x32);

	/* these start over: what waits in the keyboard is dropped */
	type_ab(c);
	kbd(c, 0xf5);
	EXPECT(c, 0x1c, 0xfa);
	kbd(c, 0xf4);
	EXPECT(c, 0xfa);
	type_ab(c);
	kbd(c, 0xf6);
	EXPECT(c, 0x1c, 0xfa);
	type_ab(c);
	kbd(c, 0xff);
	EXPECT(c, 0x1c, 0xfa, 0xaa);
	type_ab(c);
	kbd(c, 0xf0);
	EXPECT(c, 0x1c, 0xfa);
	kbd(c, 0x01);                      /* B was queued in set 2 */
	EXPECT(c, 0xfa);
	type(c, a_break, sizeof(a_break));
	EXPECT(c, 0x9e);                   /* set 1 now */
}

/*
 * The reply comes before scancodes already queued in the keyboard, as a
 * driver that waits for FA (SeaBIOS discards anything else) needs.  With
 * the keyboard port disabled the keyboard keeps its bytes; the write to
 * it enables the port again.
 */
static void test_kbd_reply_before_queued_scancodes(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	set_ctr(c, 0x04);
	i8042_write_cmd(c, 0xad);
	type(c, a_make, sizeof(a_make));
	type(c, r_make, sizeof(r_make));
	type(c, a_break, sizeof(a_break));
	EXPECT(c, -1);
	kbd(c, 0xed);
	EXPECT(c, 0xfa);                   /* the keys wait for the argument */
	kbd(c, 0x07);
	EXPECT(c, 0xfa, 0x1c, 0xe0, 0x74, 0xf0, 0x1c);

	/* through the translating controller, with interrupts, as Linux */
	set_ctr(c, 0x45);
	i8042_write_cmd(c, 0xad);
	type(c, a_make, sizeof(a_make));
	type(c, r_break, sizeof(r_break));
	assert_int_equal(f->kbd_level, 0);
	kbd(c, 0xf2);
	assert_int_equal(f->kbd_level, 1);
	EXPECT(c, 0xfa, 0xab, 0x41, 0x1e, 0xe0, 0xcd);
	assert_int_equal(f->kbd_level, 0);
}

/* Keys typed while ED, F3 or F0 waits for its argument come after it. */
static void test_kbd_keys_while_argument_pending(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	static const uint8_t cmds[][2] = { { 0xed, 0x02 }, { 0xf3, 0x00 }, { 0xf0, 0x00 } };

	set_ctr(c, 0x05);                  /* keyboard interrupt on */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		kbd(c, cmds[i][0]);
		EXPECT(c, 0xfa);
		type(c, a_make, sizeof(a_make));
		type(c, r_break, sizeof(r_break));
		/* held: no byte, no interrupt until the argument */
		assert_int_equal(f->kbd_level, 0);
		EXPECT(c, -1);
		kbd(c, cmds[i][1]);
		if (cmds[i][0] == 0xf0)
			EXPECT(c, 0xfa, 0x02, 0x1c, 0xe0, 0xf0, 0x74);
		else
			EXPECT(c, 0xfa, 0x1c, 0xe0, 0xf0, 0x74);
	}
	/* a guest that never sends the argument loses nothing either */
	kbd(c, 0xed);
	EXPECT(c, 0xfa);
	for (int i = 0; i < 10; i++)
		type(c, b_make, sizeof(b_make));
	i8042_write_cmd(c, 0x20);          /* controller replies still come */
	EXPECT(c, 0x05);
	kbd(c, 0x00);
	EXPECT(c, 0xfa, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32);
}

/*
 * Mouse: a command mid-stream is answered before the packets still queued;
 * the rest of the packet the controller has begun is dropped so the reply
 * does not land inside it, and later packets stay whole.
 */
static void test_mouse_command_mid_stream(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;

	set_ctr(c, 0x04);
	aux(c, 0xf4);
	EXPECT(c, 0xfa);
	i8042_mouse_input(c, 5, 0, 0, 0);          /* 08 05 00 */
	i8042_mouse_input(c, -3, 0, 0, 0);         /* 18 fd 00 */
	i8042_mouse_input(c, 0, -2, 0, 0);         /* 08 00 02 */
	assert_int_equal(i8042_fx_read(c), 0x08);             /* 05 moves in */
	aux(c, 0xe9);                              /* status request */
	EXPECT(c, 0x05, 0xfa, 0x20, 0x02, 100, 0x18, 0xfd, 0x00, 0x08, 0x00, 0x02);

	/* at a packet boundary (aux port off, the mouse keeps its bytes)
	 * nothing is dropped */
	i8042_write_cmd(c, 0xa7);
	i8042_mouse_input(c, 5, 0, 0, 0);
	i8042_mouse_input(c, -3, 0, 0, 0);
	aux(c, 0xe6);                              /* scaling 1:1 */
	EXPECT(c, -1);
	i8042_write_cmd(c, 0xa8);
	EXPECT(c, 0xfa, 0x08, 0x05, 0x00, 0x18, 0xfd, 0x00);

	/* motion while F3 waits for its rate: held, then after the ACK */
	aux(c, 0xf3);
	EXPECT(c, 0xfa);
	i8042_mouse_input(c, 1, 0, 0, I8042_BTN_LEFT);
	EXPECT(c, -1);
	aux(c, 40);
	EXPECT(c, 0xfa, 0x09, 0x01, 0x00);
	aux(c, 0xe8);
	EXPECT(c, 0xfa);
	i8042_mouse_input(c, 0, 0, 0, 0);          /* the button let go */
	aux(c, 0x01);
	EXPECT(c, 0xfa, 0x08, 0x00, 0x00);

	/* disable: no more reports, queued ones included */
	i8042_write_cmd(c, 0xa7);
	i8042_mouse_input(c, 5, 0, 0, 0);
	aux(c, 0xf5);
	i8042_write_cmd(c, 0xa8);
	EXPECT(c, 0xfa);
	i8042_mouse_input(c, 5, 0, 0, 0);
	EXPECT(c, -1);

	/* the knock makes 4-byte packets: 3-byte ones queued are dropped */
	aux(c, 0xf4);
	EXPECT(c, 0xfa);
	static const uint8_t knock[] = { 0xf3, 200, 0xf3, 100, 0xf3, 80 };
	for (size_t i = 0; i < sizeof(knock); i++) {
		i8042_write_cmd(c, 0xa7);
		i8042_mouse_input(c, 1, 1, 0, 0);  /* 28 01 ff */
		aux(c, knock[i]);
		i8042_write_cmd(c, 0xa8);
		if (i % 2 == 0 || i + 1 == sizeof(knock))
			EXPECT(c, 0xfa);           /* held, or dropped at the end */
		else
			EXPECT(c, 0xfa, 0x28, 0x01, 0xff, 0x28, 0x01, 0xff);
	}
	i8042_mouse_input(c, 1, 1, 1, 0);
	EXPECT(c, 0x28, 0x01, 0xff, 0x01);
}

/*
 * A flood of keys: the queue holds PS2_QUEUE_SIZE bytes, the last being
 * one overrun code; events are never split; after draining, keys flow.
 */
static void test_queue_bound_flood(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	unsigned int n = 0, zeros = 0;
	int v, last = -1;

	set_ctr(c, 0x04);
	for (int i = 0; i < 1000; i++) {
		if (i % 2)
			type(c, r_break, sizeof(r_break));
		else
			type(c, a_make, sizeof(a_make));
	}
	/* the stream parses as whole events up to the overrun code */
	while ((v = i8042_fx_read(c)) >= 0) {
		n++;
		if (v == 0x00) {
			zeros++;
			last = v;
			continue;
		}
		assert_int_equal(zeros, 0);
		if (v == 0xe0) {
			assert_int_equal(i8042_fx_read(c), 0xf0);
			assert_int_equal(i8042_fx_read(c), 0x74);
			n += 2;
		} else {
			assert_int_equal(v, 0x1c);
		}
		last = v;
	}
	assert_int_equal(zeros, 1);
	assert_int_equal(last, 0x00);
	assert_in_range(n, I8042_QUEUE_SIZE - 1, I8042_QUEUE_SIZE + 1);
	type(c, a_make, sizeof(a_make));
	EXPECT(c, 0x1c);

	/* keys while ED waits: held, bounded, then delivered */
	kbd(c, 0xed);
	EXPECT(c, 0xfa);
	for (int i = 0; i < 1000; i++)
		type(c, a_make, sizeof(a_make));
	kbd(c, 0x00);
	assert_int_equal(i8042_fx_read(c), 0xfa);
	n = 0;
	while ((v = i8042_fx_read(c)) >= 0) {
		n++;
		last = v;
	}
	assert_int_equal(n, I8042_QUEUE_SIZE);
	assert_int_equal(last, 0x00);

	/* translated, the overrun code reads FF, as set 1 has it */
	set_ctr(c, 0x44);
	for (int i = 0; i < 1000; i++)
		type(c, a_make, sizeof(a_make));
	n = 0;
	while ((v = i8042_fx_read(c)) >= 0) {
		n++;
		if (v != 0x1e)
			break;
	}
	assert_int_equal(v, 0xff);
	assert_int_equal(n, I8042_QUEUE_SIZE + 1);
	EXPECT(c, -1);

	/* commands the guest never reads: each reply replaces the unsent one */
	for (int i = 0; i < 1000; i++)
		kbd(c, 0xf2);
	EXPECT(c, 0xfa, 0xfa, 0xab, 0x41);

	/* the mouse: whole packets, bounded */
	aux(c, 0xf4);
	EXPECT(c, 0xfa);
	for (int i = 0; i < 1000; i++)
		i8042_mouse_input(c, 1, 0, 0, 0);
	n = 0;
	while ((v = i8042_fx_read(c)) >= 0) {
		assert_int_equal(v, n % 3 == 0 ? 0x08 : n % 3 == 1 ? 0x01 : 0x00);
		n++;
	}
	assert_int_equal(n % 3, 0);
	assert_in_range(n, I8042_QUEUE_SIZE - 2, I8042_QUEUE_SIZE + 1);
}

/*
 * A reply not yet taken and keys held behind a pending argument survive
 * save and load; a version 1 record (no reply queues) still loads.
 */
static void test_snapshot_replies_and_held_keys(void **state)
{
	struct i8042_fx *f = *state;
	struct i8042 *c = f->c;
	struct i8042_fx g = { 0 };
	struct snap s, l;

	set_ctr(c, 0x04);
	i8042_write_cmd(c, 0xad);
	type_ab(c);
	kbd(c, 0xf2);                      /* FA in the controller, AB 83 not */
	snap_init_save(&s);
	assert_int_equal(i8042_snapshot(c, &s), 0);
	struct i8042 *d = i8042_fx_make(&g);
	assert_non_null(d);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(i8042_snapshot(d, &l), 0);
	assert_int_equal(l.pos, l.len);
	EXPECT(d, 0xfa, 0xab, 0x83, 0x1c, 0x32);
	EXPECT(c, 0xfa, 0xab, 0x83, 0x1c, 0x32);
	snap_free(&s);

	kbd(c, 0xed);
	EXPECT(c, 0xfa);
	type_ab(c);
	snap_init_save(&s);
	assert_int_equal(i8042_snapshot(c, &s), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(i8042_snapshot(d, &l), 0);
	EXPECT(d, -1);
	kbd(d, 0x01);
	EXPECT(d, 0xfa, 0x1c, 0x32);

	/*
	 * Version 1: the record without the two reply queues (count, length,
	 * 8 bytes; one after the keyboard, one at the very end), its replies
	 * in the input queues.  Made from a save of: A in the output buffer,
	 * ED sent, its FA still in the keyboard - which that model kept in
	 * the input queue; it must not be held back now as keys are.
	 */
	snap_free(&s);
	i8042_reset(c);
	set_ctr(c, 0x04);
	type(c, a_make, sizeof(a_make));
	kbd(c, 0xed);
	snap_init_save(&s);
	assert_int_equal(i8042_snapshot(c, &s), 0);
	const size_t ver_at = 4 + 2 + 5, reply_len = 1 + 4 + PS2_REPLY_SIZE;
	/* version, RAM, 8 single bytes, the controller's queue */
	const size_t kbd_at = ver_at + 4 + (4 + 32) + 8 + 2 * 8;
	/* input queue, then set, scanning, leds, typematic, pending, last */
	const size_t kbd_reply_at = kbd_at + 1 + 4 + I8042_QUEUE_SIZE + 6;
	uint8_t *v1 = malloc(s.len);
	assert_non_null(v1);
	assert_true(s.len > kbd_reply_at + 2 * reply_len);
	assert_int_equal(s.buf[ver_at], 2);
	assert_int_equal(s.buf[kbd_at], 0);                /* nothing queued */
	assert_int_equal(s.buf[kbd_reply_at], 1);          /* FA */
	memcpy(v1, s.buf, kbd_reply_at);
	memcpy(v1 + kbd_reply_at, s.buf + kbd_reply_at + reply_len,
	       s.len - kbd_reply_at - 2 * reply_len);
	v1[ver_at] = 1;
	v1[kbd_at] = 1;
	v1[kbd_at + 1 + 4] = 0xfa;
	struct i8042 *e = i8042_fx_make(&g);
	assert_non_null(e);
	snap_init_load(&l, v1, s.len - 2 * reply_len);
	assert_int_equal(i8042_snapshot(e, &l), 0);
	assert_int_equal(l.pos, l.len);
	EXPECT(e, 0x1c, 0xfa);
	type(e, b_make, sizeof(b_make));   /* ED still waits: held */
	EXPECT(e, -1);
	kbd(e, 0x01);
	EXPECT(e, 0xfa, 0x32);
	EXPECT(c, 0x1c, 0xfa);

	/* a reply count that cannot be is refused */
	s.buf[kbd_reply_at] = PS2_REPLY_SIZE + 1;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(i8042_snapshot(e, &l), -EINVAL);

	/* and a system reset drops replies and held keys */
	i8042_reset(d);
	kbd(d, 0xed);
	type_ab(d);
	i8042_reset(d);
	EXPECT(d, -1);
	kbd(d, 0x00);
	EXPECT(d, 0xfe);                   /* 00 is no command: no ED waited */

	free(v1);
	snap_free(&s);
	i8042_destroy(e);
	i8042_destroy(d);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_kbd_keys_survive_commands, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_kbd_reply_before_queued_scancodes, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_kbd_keys_while_argument_pending, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_mouse_command_mid_stream, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_queue_bound_flood, i8042_fx_setup, i8042_fx_teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_replies_and_held_keys, i8042_fx_setup, i8042_fx_teardown),
};

UNIT_SUITE(ps2, tests);
