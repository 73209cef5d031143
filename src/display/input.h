/*
 * input.h - the input router: where host key and pointer events go.
 *
 * Every source of input (the SDL window, each VNC client, the control
 * socket's sendkey/type) calls input_key() / input_pointer_*() on the one
 * router the machine owns; the router hands each event to the device the
 * guest is using.  Keys are KEY_* codes (<linux/input-event-codes.h>, see
 * keymap.h).  By default keys go to the PS/2 keyboard as scancode set 2
 * and pointer motion to the PS/2 mouse; a device that the guest may drive
 * instead (a virtio-input keyboard or tablet) registers a sink, and while
 * its active() callback says the guest's driver is using it, the events
 * of that kind go there instead.
 *
 * Threads: every function may be called from any thread.  One mutex
 * serialises events, so keys arrive in order and a sink's callbacks never
 * run concurrently.  Sink callbacks run with that mutex held: they must
 * not call back into the router, and should only queue the event.
 *
 * In a machine the router is the device "input" (machine_find(m, "input")),
 * set up before every ordinary device (DEVICE_ORDER_CORE): the i8042's
 * setup attaches the PS/2 side with input_set_ps2(), a virtio-input device
 * registers its sinks from its own setup, and the display consumers
 * (DEVICE_ORDER_LATE) find it to send events.
 */
#ifndef TTYVM_INPUT_H
#define TTYVM_INPUT_H

#include <stdbool.h>
#include <stdint.h>

/* Pointer buttons, as a bit mask (the PS/2 packet order). */
#define INPUT_BTN_LEFT   0x01
#define INPUT_BTN_RIGHT  0x02
#define INPUT_BTN_MIDDLE 0x04
#define INPUT_BTN_MASK   0x07

/* Absolute coordinates given to an abs sink run 0..INPUT_ABS_MAX. */
#define INPUT_ABS_MAX 0x7FFF

struct input;
struct i8042;

/* A device that takes key events (KEY_* codes) from the router. */
struct input_key_sink {
	/* Whether the guest drives the device now; NULL: always. */
	bool (*active)(void *ctx);
	void (*key)(void *ctx, unsigned int code, bool down);
	void *ctx;
};

/* A device that takes absolute pointer events (a tablet). */
struct input_abs_sink {
	bool (*active)(void *ctx);
	/*
	 * x and y scaled to 0..INPUT_ABS_MAX across the screen; dz wheel
	 * steps (positive towards the user, as PS/2); buttons INPUT_BTN_*.
	 */
	void (*abs)(void *ctx, unsigned int x, unsigned int y, int dz,
		    unsigned int buttons);
	void *ctx;
};

/* A router with nowhere to send (events dropped).  NULL: out of memory. */
struct input *input_create(void);
void input_destroy(struct input *in);

/* Where PS/2 events go (NULL: nowhere).  The i8042 must outlive its use. */
void input_set_ps2(struct input *in, struct i8042 *ps2);

/*
 * Registers (sink copied) or removes (NULL) the key / absolute pointer
 * sink.  After the call returns the old sink is never called again.
 */
void input_set_key_sink(struct input *in, const struct input_key_sink *sink);
void input_set_abs_sink(struct input *in, const struct input_abs_sink *sink);

/*
 * True when absolute pointer events reach a device the guest drives (a
 * tablet), so a display can send absolute positions without grabbing the
 * host pointer.  False: they become PS/2 relative motion.
 */
bool input_abs_active(struct input *in);

/*
 * A key (KEY_* code) pressed or released.  Unknown codes and releases of
 * keys not down are dropped.  A repeated press without release is passed
 * on (typematic repeat).
 */
void input_key(struct input *in, unsigned int code, bool down);

/* Whether the key is down as far as the router knows. */
bool input_key_is_down(struct input *in, unsigned int code);

/* Releases every key that is down (a window lost focus, a client left). */
void input_release_all(struct input *in);

/*
 * Relative pointer motion (dx right, dy down, dz wheel towards the user)
 * and the buttons now down; to the PS/2 mouse.
 */
void input_pointer_rel(struct input *in, int dx, int dy, int dz, unsigned int buttons);

/*
 * The pointer at (x, y) on a w x h screen, with the buttons now down.
 * With an active abs sink it is scaled to 0..INPUT_ABS_MAX and sent there
 * (no drift); otherwise the motion since the last absolute event becomes
 * PS/2 relative motion (the guest's pointer acceleration may make it
 * drift).  x and y are clamped to the screen; w or h 0 drops the event.
 */
void input_pointer_abs(struct input *in, int x, int y, unsigned int w, unsigned int h,
		       int dz, unsigned int buttons);

#endif
