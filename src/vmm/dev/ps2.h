/*
 * ps2.h - the PS/2 keyboard and mouse that sit behind the i8042.
 *
 * These are the devices at the far end of the controller's two ports: each
 * takes command bytes from the host (ps2_*_write) and keeps two bounded
 * queues, the reply to the last command and the user's input (scancodes,
 * mouse packets), from which the controller takes one byte at a time,
 * reply first (ps2_*_ready, ps2_*_take).  They have no lock and no
 * interrupt of their own: the i8042 embeds them and calls them under its
 * lock.
 */
#ifndef TTYVM_DEV_PS2_H
#define TTYVM_DEV_PS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/snap.h"

/*
 * Bytes of input each device holds before new input is dropped (for the
 * keyboard this includes the one overrun code, see ps2_kbd_input).
 */
#define PS2_QUEUE_SIZE 64
/* Bytes of command reply: the longest, mouse FA + a 4-byte packet, fits. */
#define PS2_REPLY_SIZE 8

/* buttons in PS/2 packet order */
#define PS2_BTN_LEFT   0x01
#define PS2_BTN_RIGHT  0x02
#define PS2_BTN_MIDDLE 0x04

/* Input not yet taken by the controller, oldest at head. */
struct ps2_queue {
	uint8_t buf[PS2_QUEUE_SIZE];
	unsigned int head, count;
};

/* The reply to the last command byte, buf[pos..count) still to send. */
struct ps2_reply {
	uint8_t buf[PS2_REPLY_SIZE];
	unsigned int pos, count;
};

struct ps2_kbd {
	struct ps2_queue q;   /* scancodes */
	struct ps2_reply r;
	uint8_t set;          /* scancode set 1..3 */
	bool scanning;
	uint8_t leds;
	uint8_t typematic;
	uint8_t pending;      /* command waiting for its argument, 0: none */
	uint8_t last;         /* last byte taken by the controller (resend) */
};

struct ps2_mouse {
	struct ps2_queue q;   /* whole packets, all of the current id's length */
	struct ps2_reply r;
	bool enabled;         /* data reporting */
	bool remote;
	bool wrap;
	bool scale21;
	uint8_t rate;
	uint8_t res;
	uint8_t id;           /* 0: standard, 3: IntelliMouse */
	uint8_t pending;
	uint8_t hist[3];      /* last sample rates, newest last */
	uint8_t buttons;
	uint8_t last;
};

unsigned int ps2_queue_room(const struct ps2_queue *q);

/*
 * The 8042's scancode set 2 to set 1 translation of one byte (the F0
 * break prefix is the caller's business: it sets bit 7 of the next byte).
 */
uint8_t ps2_translate(uint8_t b);

/* Power-on state: set 2, scanning enabled, queue empty. */
void ps2_kbd_reset(struct ps2_kbd *k);
/* A byte from the host: a command or a command's argument. */
void ps2_kbd_write(struct ps2_kbd *k, uint8_t b);
/*
 * Whether the keyboard has a byte for the controller: its reply, else
 * queued scancodes, which wait while a command awaits its argument.
 */
bool ps2_kbd_ready(const struct ps2_kbd *k);
/* Takes that byte (ps2_kbd_ready() must be true); a resend repeats it. */
uint8_t ps2_kbd_take(struct ps2_kbd *k);
/*
 * Queues one key event given in set 2 (converted if the host chose set 1),
 * also while a command awaits its argument.  Returns false, queueing no
 * part of it, when scanning is off or the event does not fit; the first
 * event that does not fit leaves an overrun code in the queue's last byte.
 */
bool ps2_kbd_input(struct ps2_kbd *k, const uint8_t *set2, size_t len);
/*
 * Save or load walk; version is the i8042 record's (1: no reply queue).
 * On load, invalid values fail s with -EINVAL.
 */
void ps2_kbd_snapshot(struct ps2_kbd *k, struct snap *s, uint32_t version);

/* Power-on state: standard mouse, reporting disabled, queue empty. */
void ps2_mouse_reset(struct ps2_mouse *m);
void ps2_mouse_write(struct ps2_mouse *m, uint8_t b);
/* As ps2_kbd_ready/ps2_kbd_take, for mouse replies and packets. */
bool ps2_mouse_ready(const struct ps2_mouse *m);
uint8_t ps2_mouse_take(struct ps2_mouse *m);
/*
 * Queues motion (dy positive down, dz positive towards the user) and the
 * buttons now down (PS2_BTN_*) as one or more packets, also while a
 * command awaits its argument (they go out after it).  Returns false when
 * nothing was queued (reporting off, remote or wrap mode, no room).
 */
bool ps2_mouse_input(struct ps2_mouse *m, int dx, int dy, int dz, unsigned int buttons);
void ps2_mouse_snapshot(struct ps2_mouse *m, struct snap *s, uint32_t version);

#endif
