/*
 * input_test.c - the input router: keys and pointer to the PS/2 devices
 * of a real i8042 model, to registered sinks while they are active, and
 * releases that follow their presses.
 */
#include "unit.h"

#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>

#include "display/input.h"
#include "i8042_testutil.h"
#include "vmm/dev/i8042.h"

struct sink_log {
	bool active;
	unsigned int nkeys;
	unsigned int codes[64];
	bool downs[64];
	unsigned int nabs;
	unsigned int x, y, buttons;
	int dz;
};

static bool log_active(void *ctx)
{
	return ((struct sink_log *)ctx)->active;
}

static void log_key(void *ctx, unsigned int code, bool down)
{
	struct sink_log *l = ctx;
	if (l->nkeys < 64) {
		l->codes[l->nkeys] = code;
		l->downs[l->nkeys] = down;
	}
	l->nkeys++;
}

static void log_abs(void *ctx, unsigned int x, unsigned int y, int dz, unsigned int b)
{
	struct sink_log *l = ctx;
	l->nabs++;
	l->x = x;
	l->y = y;
	l->dz = dz;
	l->buttons = b;
}

struct fixture {
	struct i8042 *c;
	struct input *in;
	struct sink_log log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->c = i8042_create(NULL, NULL, NULL);
	f->in = input_create();
	if (!f->c || !f->in)
		return -1;
	input_set_ps2(f->in, f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	input_destroy(f->in);
	i8042_destroy(f->c);
	free(f);
	return 0;
}

static void test_keys_to_ps2(void **state)
{
	struct fixture *f = *state;

	input_key(f->in, KEY_A, true);
	assert_true(input_key_is_down(f->in, KEY_A));
	input_key(f->in, KEY_A, false);
	assert_false(input_key_is_down(f->in, KEY_A));
	assert_int_equal(i8042_fx_read(f->c), 0x1E);
	assert_int_equal(i8042_fx_read(f->c), 0x9E);
	assert_int_equal(i8042_fx_read(f->c), -1);

	/* a release without press, unknown and out-of-range codes: nothing */
	input_key(f->in, KEY_B, false);
	input_key(f->in, KEY_MUTE, true);
	input_key(f->in, KEY_MUTE, false);
	input_key(f->in, 0, true);
	input_key(f->in, 100000, true);
	assert_int_equal(i8042_fx_read(f->c), -1);
	assert_false(input_key_is_down(f->in, 100000));

	/* typematic repeat passes; release_all releases what is down */
	input_key(f->in, KEY_LEFTCTRL, true);
	input_key(f->in, KEY_LEFTCTRL, true);
	input_key(f->in, KEY_RIGHT, true);
	input_release_all(f->in);
	assert_int_equal(i8042_fx_read(f->c), 0x1D);
	assert_int_equal(i8042_fx_read(f->c), 0x1D);
	assert_int_equal(i8042_fx_read(f->c), 0xE0);
	assert_int_equal(i8042_fx_read(f->c), 0x4D);
	assert_int_equal(i8042_fx_read(f->c), 0x9D);
	assert_int_equal(i8042_fx_read(f->c), 0xE0);
	assert_int_equal(i8042_fx_read(f->c), 0xCD);
	assert_int_equal(i8042_fx_read(f->c), -1);
	assert_false(input_key_is_down(f->in, KEY_LEFTCTRL));
}

static void test_key_sink(void **state)
{
	struct fixture *f = *state;
	struct input_key_sink s = { log_active, log_key, &f->log };

	input_set_key_sink(f->in, &s);
	/* inactive: PS/2 still */
	input_key(f->in, KEY_X, true);
	assert_int_equal(i8042_fx_read(f->c), 0x2D);
	/* the guest's driver comes: new presses go to the sink ... */
	f->log.active = true;
	input_key(f->in, KEY_Y, true);
	/* ... but X's release follows its press to PS/2 */
	input_key(f->in, KEY_X, false);
	assert_int_equal(i8042_fx_read(f->c), 0xAD);
	assert_int_equal(i8042_fx_read(f->c), -1);
	input_key(f->in, KEY_Y, false);
	assert_int_equal(f->log.nkeys, 2);
	assert_int_equal(f->log.codes[0], KEY_Y);
	assert_true(f->log.downs[0]);
	assert_int_equal(f->log.codes[1], KEY_Y);
	assert_false(f->log.downs[1]);
	/* the sink takes codes the PS/2 table lacks */
	input_key(f->in, KEY_MUTE, true);
	input_key(f->in, KEY_MUTE, false);
	assert_int_equal(f->log.nkeys, 4);
	/* removed: never called again, keys pressed there forgotten */
	input_key(f->in, KEY_Z, true);
	input_set_key_sink(f->in, NULL);
	assert_false(input_key_is_down(f->in, KEY_Z));
	input_key(f->in, KEY_Z, false);
	assert_int_equal(f->log.nkeys, 5);
	input_key(f->in, KEY_Z, true);
	assert_int_equal(f->log.nkeys, 5);
	assert_int_equal(i8042_fx_read(f->c), 0x2C);
}

/* Enables PS/2 mouse reporting and drains the ACK. */
static void mouse_on(struct i8042 *c)
{
	i8042_write_cmd(c, 0xD4);
	i8042_write_data(c, 0xF4);
	assert_int_equal(i8042_fx_read(c), 0xFA);
}

static void expect_packet(struct i8042 *c, int dx, int dy, unsigned int buttons)
{
	int b0 = i8042_fx_read(c), bx = i8042_fx_read(c), by = i8042_fx_read(c);
	assert_true(b0 >= 0 && bx >= 0 && by >= 0);
	int x = (b0 & 0x10) ? bx - 256 : bx;
	int y = (b0 & 0x20) ? by - 256 : by;
	assert_int_equal(x, dx);
	assert_int_equal(-y, dy);     /* PS/2 y grows upwards */
	assert_int_equal(b0 & 7, buttons);
}

static void test_pointer_ps2(void **state)
{
	struct fixture *f = *state;

	mouse_on(f->c);
	input_pointer_rel(f->in, 5, -3, 0, INPUT_BTN_LEFT);
	expect_packet(f->c, 5, -3, INPUT_BTN_LEFT);
	/* absolute without a tablet: the first gives no motion, then deltas */
	input_pointer_abs(f->in, 100, 100, 640, 480, 0, 0);
	expect_packet(f->c, 0, 0, 0);
	input_pointer_abs(f->in, 110, 90, 640, 480, 0, INPUT_BTN_RIGHT);
	expect_packet(f->c, 10, -10, INPUT_BTN_RIGHT);
	/* clamped to the screen */
	input_pointer_abs(f->in, 300, 90, 640, 480, 0, 0);
	expect_packet(f->c, 190, 0, 0);
	input_pointer_abs(f->in, 500, 90, 640, 480, 0, 0);
	expect_packet(f->c, 200, 0, 0);
	input_pointer_abs(f->in, 5000, 90, 640, 480, 0, 0);
	expect_packet(f->c, 139, 0, 0);
	/* a new screen size starts over */
	input_pointer_abs(f->in, 10, 10, 800, 600, 0, 0);
	expect_packet(f->c, 0, 0, 0);
	input_pointer_abs(f->in, 10, 10, 0, 600, 0, 0);
	assert_int_equal(i8042_fx_read(f->c), -1);
}

static void test_pointer_abs_sink(void **state)
{
	struct fixture *f = *state;
	struct input_abs_sink s = { log_active, log_abs, &f->log };

	mouse_on(f->c);
	assert_false(input_abs_active(f->in));
	input_set_abs_sink(f->in, &s);
	assert_false(input_abs_active(f->in));
	f->log.active = true;
	assert_true(input_abs_active(f->in));
	input_pointer_abs(f->in, 0, 0, 640, 480, 0, 0);
	assert_int_equal(f->log.x, 0);
	assert_int_equal(f->log.y, 0);
	input_pointer_abs(f->in, 639, 479, 640, 480, -1, INPUT_BTN_MIDDLE | 0x80);
	assert_int_equal(f->log.x, INPUT_ABS_MAX);
	assert_int_equal(f->log.y, INPUT_ABS_MAX);
	assert_int_equal(f->log.dz, -1);
	assert_int_equal(f->log.buttons, INPUT_BTN_MIDDLE);
	input_pointer_abs(f->in, 320, -7, 641, 480, 0, 0);
	assert_int_equal(f->log.x, INPUT_ABS_MAX / 2);
	assert_int_equal(f->log.y, 0);
	assert_int_equal(f->log.nabs, 3);
	assert_int_equal(i8042_fx_read(f->c), -1);      /* nothing went to PS/2 */
	/* relative motion is PS/2's */
	input_pointer_rel(f->in, 1, 1, 0, 0);
	expect_packet(f->c, 1, 1, 0);
	input_set_abs_sink(f->in, NULL);
	assert_false(input_abs_active(f->in));
	input_pointer_abs(f->in, 330, 0, 641, 480, 0, 0);
	expect_packet(f->c, 10, 0, 0);
	assert_int_equal(f->log.nabs, 3);
}

/* A router with no PS/2 attached drops everything without crashing. */
static void test_nowhere(void **state)
{
	(void)state;
	struct input *in = input_create();
	assert_non_null(in);
	input_key(in, KEY_A, true);
	input_key(in, KEY_A, false);
	input_pointer_rel(in, 1, 1, 1, 1);
	input_pointer_abs(in, 1, 1, 2, 2, 0, 0);
	input_release_all(in);
	input_destroy(in);
	input_destroy(NULL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_keys_to_ps2, setup, teardown),
	cmocka_unit_test_setup_teardown(test_key_sink, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pointer_ps2, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pointer_abs_sink, setup, teardown),
	cmocka_unit_test(test_nowhere),
};

UNIT_SUITE(input, tests);
