/*
 * input.c - the input router (see input.h): host key and pointer events
 * to the PS/2 keyboard and mouse, or to a virtio-input device the guest
 * drives.
 *
 * Data flow: display threads (SDL, VNC) and the event loop (control
 * socket) call in; under the router's mutex an event is turned into set 2
 * bytes for i8042_kbd_input() (which takes the i8042's own lock, always
 * after ours: the i8042 never calls back) or handed to a sink.  Each key
 * remembers where its press went, so its release follows it there even if
 * the guest's virtio driver came or went in between; releases of keys
 * never pressed are dropped, which keeps a stray "up" from a VNC client
 * from reaching the guest.
 *
 * What it is not: no key repeat of its own (SDL and VNC clients repeat
 * presses, which are passed on, as a PS/2 keyboard's typematic repeat),
 * no layouts (keymap.c), no pacing: the PS/2 queue holds 64 bytes and the
 * i8042 drops a whole event that does not fit, so a caller typing a
 * string waits between keys (the control socket's `type`).
 */
#include "display/input.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "display/keymap.h"
#include "vmm/dev/i8042.h"
#include "vmm/machine.h"

enum key_dest { DEST_NONE = 0, DEST_PS2, DEST_SINK };

struct input {
	pthread_mutex_t lock;
	struct i8042 *ps2;
	bool has_key_sink, has_abs_sink;
	struct input_key_sink key_sink;
	struct input_abs_sink abs_sink;
	uint8_t dest[KEY_CNT];        /* enum key_dest of each key that is down */
	/* PS/2 relative motion made from absolute events */
	bool have_last;
	int last_x, last_y;
	unsigned int last_w, last_h;
};

struct input *input_create(void)
{
	struct input *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	if (pthread_mutex_init(&in->lock, NULL) != 0) {
		free(in);
		return NULL;
	}
	return in;
}

void input_destroy(struct input *in)
{
	if (!in)
		return;
	pthread_mutex_destroy(&in->lock);
	free(in);
}

void input_set_ps2(struct input *in, struct i8042 *ps2)
{
	pthread_mutex_lock(&in->lock);
	in->ps2 = ps2;
	pthread_mutex_unlock(&in->lock);
}

void input_set_key_sink(struct input *in, const struct input_key_sink *sink)
{
	pthread_mutex_lock(&in->lock);
	in->has_key_sink = sink && sink->key;
	if (in->has_key_sink)
		in->key_sink = *sink;
	else
		memset(&in->key_sink, 0, sizeof(in->key_sink));
	/* keys pressed on the old sink are gone with it */
	for (unsigned int i = 0; i < KEY_CNT; i++)
		if (in->dest[i] == DEST_SINK)
			in->dest[i] = DEST_NONE;
	pthread_mutex_unlock(&in->lock);
}

void input_set_abs_sink(struct input *in, const struct input_abs_sink *sink)
{
	pthread_mutex_lock(&in->lock);
	in->has_abs_sink = sink && sink->abs;
	if (in->has_abs_sink)
		in->abs_sink = *sink;
	else
		memset(&in->abs_sink, 0, sizeof(in->abs_sink));
	pthread_mutex_unlock(&in->lock);
}

static bool key_sink_active(const struct input *in)
{
	return in->has_key_sink && (!in->key_sink.active || in->key_sink.active(in->key_sink.ctx));
}

static bool abs_sink_active(const struct input *in)
{
	return in->has_abs_sink && (!in->abs_sink.active || in->abs_sink.active(in->abs_sink.ctx));
}

bool input_abs_active(struct input *in)
{
	pthread_mutex_lock(&in->lock);
	bool r = abs_sink_active(in);
	pthread_mutex_unlock(&in->lock);
	return r;
}

/* Sends one key event to dest; lock held. */
static void key_send(struct input *in, enum key_dest dest, unsigned int code, bool down)
{
	uint8_t buf[KEYMAP_SET2_MAX];
	size_t n;

	switch (dest) {
	case DEST_SINK:
		in->key_sink.key(in->key_sink.ctx, code, down);
		break;
	case DEST_PS2:
		n = keymap_set2(code, down, buf);
		if (n && in->ps2)
			i8042_kbd_input(in->ps2, buf, n);
		break;
	case DEST_NONE:
		break;
	}
}

void input_key(struct input *in, unsigned int code, bool down)
{
	if (code == KEY_RESERVED || code >= KEY_CNT)
		return;
	pthread_mutex_lock(&in->lock);
	if (down) {
		enum key_dest d = in->dest[code];
		if (d == DEST_NONE) {
			if (key_sink_active(in))
				d = DEST_SINK;
			else if (keymap_by_code(code))
				d = DEST_PS2;
		}
		if (d != DEST_NONE) {
			in->dest[code] = (uint8_t)d;
			key_send(in, d, code, true);
		}
	} else if (in->dest[code] != DEST_NONE) {
		enum key_dest d = in->dest[code];
		in->dest[code] = DEST_NONE;
		key_send(in, d, code, false);
	}
	pthread_mutex_unlock(&in->lock);
}

bool input_key_is_down(struct input *in, unsigned int code)
{
	if (code == KEY_RESERVED || code >= KEY_CNT)
		return false;
	pthread_mutex_lock(&in->lock);
	bool r = in->dest[code] != DEST_NONE;
	pthread_mutex_unlock(&in->lock);
	return r;
}

void input_release_all(struct input *in)
{
	pthread_mutex_lock(&in->lock);
	for (unsigned int code = 1; code < KEY_CNT; code++) {
		enum key_dest d = in->dest[code];
		if (d != DEST_NONE) {
			in->dest[code] = DEST_NONE;
			key_send(in, d, code, false);
		}
	}
	pthread_mutex_unlock(&in->lock);
}

static unsigned int ps2_buttons(unsigned int b)
{
	return b & INPUT_BTN_MASK;   /* same bit order as I8042_BTN_* */
}

void input_pointer_rel(struct input *in, int dx, int dy, int dz, unsigned int buttons)
{
	pthread_mutex_lock(&in->lock);
	if (in->ps2)
		i8042_mouse_input(in->ps2, dx, dy, dz, ps2_buttons(buttons));
	pthread_mutex_unlock(&in->lock);
}

/* Scales v in [0, n) to [0, INPUT_ABS_MAX]. */
static unsigned int abs_scale(int v, unsigned int n)
{
	if (n <= 1)
		return 0;
	return (unsigned int)(((uint64_t)v * INPUT_ABS_MAX) / (n - 1));
}

void input_pointer_abs(struct input *in, int x, int y, unsigned int w, unsigned int h,
		       int dz, unsigned int buttons)
{
	if (!w || !h)
		return;
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if ((unsigned int)x >= w)
		x = (int)w - 1;
	if ((unsigned int)y >= h)
		y = (int)h - 1;
	pthread_mutex_lock(&in->lock);
	if (abs_sink_active(in)) {
		in->abs_sink.abs(in->abs_sink.ctx, abs_scale(x, w), abs_scale(y, h), dz,
				 buttons & INPUT_BTN_MASK);
	} else if (in->ps2) {
		int dx = 0, dy = 0;
		if (in->have_last && in->last_w == w && in->last_h == h) {
			dx = x - in->last_x;
			dy = y - in->last_y;
		}
		i8042_mouse_input(in->ps2, dx, dy, dz, ps2_buttons(buttons));
	}
	in->have_last = true;
	in->last_x = x;
	in->last_y = y;
	in->last_w = w;
	in->last_h = h;
	pthread_mutex_unlock(&in->lock);
}

/* ---- machine glue ------------------------------------------------------ */

static void input_dev_teardown(void *dev)
{
	input_destroy(dev);
}

/* A system reset resets the keyboards too: no key is down any more. */
static void input_dev_reset(void *dev)
{
	struct input *in = dev;

	pthread_mutex_lock(&in->lock);
	memset(in->dest, 0, sizeof(in->dest));
	in->have_last = false;
	pthread_mutex_unlock(&in->lock);
}

static const struct device_desc input_desc;

static int input_setup(struct machine *m)
{
	struct input *in = input_create();
	int r;

	if (!in)
		return -ENOMEM;
	r = machine_attach(m, &input_desc, in);
	if (r < 0)
		input_destroy(in);
	return r;
}

static const struct device_desc input_desc = {
	.name = "input",
	.order = DEVICE_ORDER_CORE,
	.setup = input_setup,
	.teardown = input_dev_teardown,
	.reset = input_dev_reset,
};
DEVICE_DEFINE(input_desc);
