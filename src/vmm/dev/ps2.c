/*
 * ps2.c - a PS/2 (MF2) keyboard and a PS/2 mouse, the devices behind the
 * i8042's two ports.
 *
 * Follows the command sets of the IBM PS/2 Hardware Interface Technical
 * Reference.  Keyboard: reset (FF -> FA AA), identify (F2 -> FA AB 83),
 * LEDs (ED), scancode set get/set (F0), typematic (F3), enable/disable
 * scanning (F4/F5), defaults (F6), echo (EE), resend (FE); anything else
 * is answered FE.  Mouse: enough for Linux's psmouse probe - reset (FF ->
 * FA AA 00), identify (F2) with the IntelliMouse knock (rates 200, 100,
 * 80 make it a wheel mouse, id 3, 4-byte packets), sample rate, resolution,
 * scaling, status request, stream/remote/wrap modes, read data.
 *
 * What it leaves to others: the controller (i8042.c) moves bytes from
 * these queues to the guest, translates set 2 to set 1 when its command
 * byte says so, and holds the lock.  Scancode set 3 may be selected but
 * the keyboard keeps sending set 2; typematic repeat is the host's.
 *
 * Output: each device has two queues.  The reply to the last command byte
 * (ACK, ID, status, echo...) goes to the controller before any queued
 * input, so a driver that sends ED and waits for FA gets FA, not a key
 * typed earlier (the Technical Reference: "response codes do not occupy a
 * buffer position"; QEMU's hw/input/ps2.c does the same).  A new command
 * byte replaces a reply the controller has not taken yet - a device
 * answers only its latest command - so replies stay bounded.  Input is
 * user data and survives commands, except where listed below; while a
 * command waits for its argument, input is still queued but held back
 * until the argument came, so its second ACK is not preceded by a key.
 * Input that does not fit is dropped whole, never split.
 *
 * Which keyboard commands drop queued scancodes (keyboard references have
 * a real keyboard clear its output buffer on F0, F4, F5, F6 and FF, but
 * not on ED, F3, F2 or EE; this model clears only where the queued bytes
 * became wrong or unwanted):
 *   FF reset, F5 default-disable, F6 set-default: dropped (the guest is
 *      starting over; set 2 is restored, so set-1 bytes would be wrong).
 *   F0 set scancode set: dropped when the set changes (queued bytes are
 *      in the old set); kept for a get or the same set.
 *   F4 enable: kept (only keys typed while scanning was on can be
 *      queued, so they are input the guest has not read yet).
 *   ED LEDs, F3 typematic: kept, held until the argument.
 *   EE echo, F2 identify, FE resend, F7-FA, unknown (FE): kept.
 * Which mouse commands drop queued packets (a real mouse keeps no queue,
 * only movement counters, which most commands reset; the queue here holds
 * the host's motion, worth keeping unless the guest turned reports off):
 *   FF reset, F6 defaults, F5 disable, F0 remote mode, EE wrap mode:
 *      dropped (no stream reports are wanted after them).
 *   F3 rate: kept, held until the argument - unless the IntelliMouse
 *      knock changed the packet size, then dropped.  E8 resolution: kept,
 *      held until the argument.
 *   E6/E7 scaling, E9 status, EA stream, EB read, EC, F2 identify, F4
 *      enable, FE resend, unknown (FE): kept.
 *   Any command while a packet is part sent drops the rest of that packet
 *   (the host interrupted its transmission), so the reply does not land
 *   inside a packet and the packets after it stay framed.
 *
 * Keyboard overrun: as the Technical Reference's keyboard does when its
 * buffer fills, the first key event that does not fit leaves one overrun
 * code (00 in sets 2 and 3, which the 8042 translates to FF; FF in set 1)
 * in the queue's last byte; later events are dropped until there is room
 * again.  The mouse has no overrun code: packets that do not fit are lost.
 */
#include "vmm/dev/ps2.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"

/* device replies */
#define PS2_ACK    0xFA
#define PS2_RESEND 0xFE
#define PS2_BAT_OK 0xAA
#define PS2_ECHO   0xEE

/*
 * The 8042's set 2 to set 1 translation for codes 0x00-0x7F; codes from
 * 0x80 pass unchanged except 0x83 (F7) and 0x84 (Alt+SysRq).
 */
static const uint8_t ps2_xlate[128] = {
	/* 0x00 */ 0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58,
	/* 0x08 */ 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	/* 0x10 */ 0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a,
	/* 0x18 */ 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	/* 0x20 */ 0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c,
	/* 0x28 */ 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	/* 0x30 */ 0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e,
	/* 0x38 */ 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	/* 0x40 */ 0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60,
	/* 0x48 */ 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	/* 0x50 */ 0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e,
	/* 0x58 */ 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	/* 0x60 */ 0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b,
	/* 0x68 */ 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	/* 0x70 */ 0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45,
	/* 0x78 */ 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t ps2_translate(uint8_t b)
{
	if (b < 0x80)
		return ps2_xlate[b];
	if (b == 0x83)
		return 0x41;
	if (b == 0x84)
		return 0x54;
	return b;
}

/* ---- queues ------------------------------------------------------------ */

unsigned int ps2_queue_room(const struct ps2_queue *q)
{
	return PS2_QUEUE_SIZE - q->count;
}

static bool ps2_queue_push(struct ps2_queue *q, uint8_t b)
{
	if (q->count >= PS2_QUEUE_SIZE)
		return false;
	q->buf[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
	q->count++;
	return true;
}

static uint8_t ps2_queue_pop(struct ps2_queue *q)
{
	uint8_t b = q->buf[q->head];

	q->head = (q->head + 1) % PS2_QUEUE_SIZE;
	q->count--;
	return b;
}

/* The newest byte; the queue must not be empty. */
static uint8_t ps2_queue_last(const struct ps2_queue *q)
{
	return q->buf[(q->head + q->count - 1) % PS2_QUEUE_SIZE];
}

static void ps2_queue_clear(struct ps2_queue *q)
{
	q->head = q->count = 0;
}

/* Stored oldest byte first; the caller commits a loaded queue. */
static void ps2_queue_snapshot(struct ps2_queue *q, struct snap *s)
{
	uint8_t lin[PS2_QUEUE_SIZE] = { 0 };
	uint8_t count = (uint8_t)q->count;

	for (unsigned int i = 0; i < q->count && i < PS2_QUEUE_SIZE; i++)
		lin[i] = q->buf[(q->head + i) % PS2_QUEUE_SIZE];
	snap_u8(s, &count);
	snap_bytes(s, lin, sizeof(lin));
	if (snap_loading(s) && !snap_error(s)) {
		if (count > PS2_QUEUE_SIZE) {
			snap_fail(s, -EINVAL);
			return;
		}
		memcpy(q->buf, lin, sizeof(lin));
		q->head = 0;
		q->count = count;
	}
}

/* ---- replies ----------------------------------------------------------- */

static void ps2_reply_clear(struct ps2_reply *r)
{
	r->pos = r->count = 0;
}

/* Replies never exceed PS2_REPLY_SIZE after a clear; more is dropped. */
static void ps2_reply_push(struct ps2_reply *r, uint8_t b)
{
	if (r->count < PS2_REPLY_SIZE)
		r->buf[r->count++] = b;
}

static bool ps2_reply_ready(const struct ps2_reply *r)
{
	return r->pos < r->count;
}

static uint8_t ps2_reply_pop(struct ps2_reply *r)
{
	uint8_t b = r->buf[r->pos++];

	if (r->pos == r->count)
		ps2_reply_clear(r);
	return b;
}

/*
 * Stored as the bytes still to send; record version 1 had none (its
 * replies sat in the input queue).  The caller commits a loaded reply.
 */
static void ps2_reply_snapshot(struct ps2_reply *r, struct snap *s, uint32_t version)
{
	uint8_t lin[PS2_REPLY_SIZE] = { 0 };
	uint8_t count = 0;

	if (version < 2) {
		if (snap_loading(s))
			ps2_reply_clear(r);
		return;
	}
	for (unsigned int i = r->pos; i < r->count && i < PS2_REPLY_SIZE; i++)
		lin[count++] = r->buf[i];
	snap_u8(s, &count);
	snap_bytes(s, lin, sizeof(lin));
	if (snap_loading(s) && !snap_error(s)) {
		if (count > PS2_REPLY_SIZE) {
			snap_fail(s, -EINVAL);
			return;
		}
		memcpy(r->buf, lin, sizeof(lin));
		r->pos = 0;
		r->count = count;
	}
}

/*
 * After loading a version 1 record of a device whose command awaits its
 * argument: that model dropped input while a command waited, so its queue
 * holds only the command's reply, which must not be held back now.
 */
static void ps2_v1_pending_reply(struct ps2_queue *q, struct ps2_reply *r, struct snap *s)
{
	if (q->count > PS2_REPLY_SIZE) {
		snap_fail(s, -EINVAL);
		return;
	}
	while (q->count)
		ps2_reply_push(r, ps2_queue_pop(q));
}

/*
 * A device has a byte for the controller: its reply, else queued input
 * unless a command awaits its argument.  Taking it remembers it for FE.
 */
static bool ps2_dev_ready(const struct ps2_reply *r, const struct ps2_queue *q,
			  uint8_t pending)
{
	return ps2_reply_ready(r) || (q->count && !pending);
}

static uint8_t ps2_dev_take(struct ps2_reply *r, struct ps2_queue *q, uint8_t *last)
{
	*last = ps2_reply_ready(r) ? ps2_reply_pop(r) : ps2_queue_pop(q);
	return *last;
}

static void kbd_reply(struct ps2_kbd *k, uint8_t b)
{
	ps2_reply_push(&k->r, b);
}

static void mouse_reply(struct ps2_mouse *m, uint8_t b)
{
	ps2_reply_push(&m->r, b);
}

/* ---- keyboard ---------------------------------------------------------- */

static void kbd_defaults(struct ps2_kbd *k)
{
	k->set = 2;
	k->leds = 0;
	k->typematic = 0x2B;   /* 10.9 cps, 500 ms */
	k->pending = 0;
}

/*
 * Converts one set 2 event to set 1 (F0 prefix becomes bit 7).  out must
 * hold len bytes; returns the bytes written.
 */
static size_t kbd_set2_to_set1(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t n = 0;
	bool brk = false;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == 0xF0) {
			brk = true;
			continue;
		}
		out[n++] = (uint8_t)(ps2_translate(in[i]) | (brk ? 0x80 : 0));
		brk = false;
	}
	return n;
}

/* What a full buffer leaves behind, in the set the keyboard sends. */
static uint8_t kbd_overrun_code(const struct ps2_kbd *k)
{
	return k->set == 1 ? 0xFF : 0x00;
}

/* Argument byte of a pending command; see the table at the top. */
static void kbd_argument(struct ps2_kbd *k, uint8_t cmd, uint8_t b)
{
	switch (cmd) {
	case 0xED:                          /* set LEDs */
		k->leds = b & 0x07;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF3:                          /* typematic rate/delay */
		k->typematic = b & 0x7F;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF0:                          /* get/set scancode set */
		if (b == 0) {
			kbd_reply(k, PS2_ACK);
			kbd_reply(k, k->set);
		} else if (b <= 3) {
			if (b != k->set)    /* queued bytes are in the old set */
				ps2_queue_clear(&k->q);
			k->set = b;
			kbd_reply(k, PS2_ACK);
		} else {
			kbd_reply(k, PS2_RESEND);
		}
		break;
	}
}

void ps2_kbd_write(struct ps2_kbd *k, uint8_t b)
{
	uint8_t cmd = k->pending;

	/* the keyboard answers only its latest command */
	ps2_reply_clear(&k->r);
	if (cmd) {
		k->pending = 0;
		kbd_argument(k, cmd, b);
		return;
	}
	switch (b) {
	case 0xED:
	case 0xF3:
	case 0xF0:
		k->pending = b;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xEE:
		kbd_reply(k, PS2_ECHO);
		break;
	case 0xF2:                          /* identify: MF2 keyboard */
		kbd_reply(k, PS2_ACK);
		kbd_reply(k, 0xAB);
		kbd_reply(k, 0x83);
		break;
	case 0xF4:
		k->scanning = true;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF5:                          /* defaults, scanning off */
		ps2_queue_clear(&k->q);
		kbd_defaults(k);
		k->scanning = false;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF6:                          /* defaults, scanning on */
		ps2_queue_clear(&k->q);
		kbd_defaults(k);
		k->scanning = true;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF7: case 0xF8: case 0xF9: case 0xFA:  /* set 3 key modes */
		kbd_reply(k, PS2_ACK);
		break;
	case 0xFE:                          /* resend */
		kbd_reply(k, k->last);
		break;
	case 0xFF:                          /* reset and self-test */
		ps2_queue_clear(&k->q);
		kbd_defaults(k);
		k->scanning = true;
		kbd_reply(k, PS2_ACK);
		kbd_reply(k, PS2_BAT_OK);
		break;
	default:
		kbd_reply(k, PS2_RESEND);
		break;
	}
}

bool ps2_kbd_ready(const struct ps2_kbd *k)
{
	return ps2_dev_ready(&k->r, &k->q, k->pending);
}

uint8_t ps2_kbd_take(struct ps2_kbd *k)
{
	return ps2_dev_take(&k->r, &k->q, &k->last);
}

void ps2_kbd_reset(struct ps2_kbd *k)
{
	ps2_queue_clear(&k->q);
	ps2_reply_clear(&k->r);
	kbd_defaults(k);
	k->scanning = true;
	k->last = 0;
}

bool ps2_kbd_input(struct ps2_kbd *k, const uint8_t *set2, size_t len)
{
	uint8_t conv[PS2_QUEUE_SIZE];
	const uint8_t *p = set2;
	unsigned int room = ps2_queue_room(&k->q);
	uint8_t overrun = kbd_overrun_code(k);

	/* an event as long as the whole queue never fits: not an overrun */
	if (!len || len >= PS2_QUEUE_SIZE || !k->scanning)
		return false;
	if (k->set == 1) {
		len = kbd_set2_to_set1(set2, len, conv);
		p = conv;
	}
	/* the last free byte is kept for the overrun code */
	if (len >= room) {
		if (room && !(k->q.count && ps2_queue_last(&k->q) == overrun))
			ps2_queue_push(&k->q, overrun);
		return false;
	}
	for (size_t i = 0; i < len; i++)
		ps2_queue_push(&k->q, p[i]);
	return true;
}

void ps2_kbd_snapshot(struct ps2_kbd *k, struct snap *s, uint32_t version)
{
	ps2_queue_snapshot(&k->q, s);
	snap_u8(s, &k->set);
	snap_bool(s, &k->scanning);
	snap_u8(s, &k->leds);
	snap_u8(s, &k->typematic);
	snap_u8(s, &k->pending);
	snap_u8(s, &k->last);
	ps2_reply_snapshot(&k->r, s, version);
	if (snap_loading(s) && !snap_error(s) &&
	    (k->set < 1 || k->set > 3 ||
	     (k->pending != 0 && k->pending != 0xED && k->pending != 0xF3 &&
	      k->pending != 0xF0)))
		snap_fail(s, -EINVAL);
	if (snap_loading(s) && !snap_error(s) && version < 2 && k->pending)
		ps2_v1_pending_reply(&k->q, &k->r, s);
}

/* ---- mouse ------------------------------------------------------------- */

static void mouse_defaults(struct ps2_mouse *m)
{
	m->enabled = false;
	m->remote = false;
	m->wrap = false;
	m->scale21 = false;
	m->rate = 100;
	m->res = 2;
	m->pending = 0;
}

static uint8_t mouse_status_buttons(uint8_t btn)
{
	/* status byte order: bit 2 left, bit 1 middle, bit 0 right */
	return (uint8_t)(((btn & PS2_BTN_LEFT) ? 4 : 0) |
			 ((btn & PS2_BTN_MIDDLE) ? 2 : 0) |
			 ((btn & PS2_BTN_RIGHT) ? 1 : 0));
}

static unsigned int mouse_packet_len(const struct ps2_mouse *m)
{
	return m->id == 3 ? 4 : 3;
}

/*
 * One packet of at most +-255 per axis (PS/2 y is positive up) into pkt;
 * returns its length.
 */
static unsigned int mouse_packet(const struct ps2_mouse *m, int dx, int dy_up, int dz,
				 uint8_t pkt[4])
{
	uint8_t b0 = 0x08 | (m->buttons & 0x07);

	if (dx < 0)
		b0 |= 0x10;
	if (dy_up < 0)
		b0 |= 0x20;
	pkt[0] = b0;
	pkt[1] = (uint8_t)(dx & 0xFF);
	pkt[2] = (uint8_t)(dy_up & 0xFF);
	pkt[3] = (uint8_t)(dz & 0xFF);
	return mouse_packet_len(m);
}

/*
 * The rest of a packet the controller has begun to take: every queued
 * packet has the current length (a length change clears the queue), so
 * a count that is no multiple of it means the oldest is part sent.
 */
static void mouse_drop_part_sent(struct ps2_mouse *m)
{
	unsigned int part = m->q.count % mouse_packet_len(m);

	while (part--)
		(void)ps2_queue_pop(&m->q);
}

/* Argument byte of a pending command; see the table at the top. */
static void mouse_argument(struct ps2_mouse *m, uint8_t cmd, uint8_t b)
{
	if (cmd == 0xF3) {
		m->rate = b;
		m->hist[0] = m->hist[1];
		m->hist[1] = m->hist[2];
		m->hist[2] = b;
		/* IntelliMouse knock: rates 200, 100, 80 */
		if (m->hist[0] == 200 && m->hist[1] == 100 && m->hist[2] == 80 &&
		    m->id != 3) {
			m->id = 3;
			ps2_queue_clear(&m->q);     /* 3-byte packets queued */
		}
	} else {                            /* 0xE8 */
		m->res = b & 3;
	}
	mouse_reply(m, PS2_ACK);
}

void ps2_mouse_write(struct ps2_mouse *m, uint8_t b)
{
	uint8_t cmd = m->pending;

	if (m->wrap && b != 0xEC && b != 0xFF) {
		mouse_reply(m, b);          /* wrap mode echoes */
		return;
	}
	/* the mouse answers only its latest command */
	ps2_reply_clear(&m->r);
	mouse_drop_part_sent(m);
	if (cmd) {
		m->pending = 0;
		mouse_argument(m, cmd, b);
		return;
	}
	switch (b) {
	case 0xE6:
		m->scale21 = false;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xE7:
		m->scale21 = true;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xE8:
	case 0xF3:
		m->pending = b;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xE9:                          /* status request */
		mouse_reply(m, PS2_ACK);
		mouse_reply(m, (uint8_t)((m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) |
					 (m->scale21 ? 0x10 : 0) |
					 mouse_status_buttons(m->buttons)));
		mouse_reply(m, m->res);
		mouse_reply(m, m->rate);
		break;
	case 0xEA:
		m->remote = false;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xEB: {                        /* read data (remote mode) */
		uint8_t pkt[4];
		unsigned int n = mouse_packet(m, 0, 0, 0, pkt);

		mouse_reply(m, PS2_ACK);
		for (unsigned int i = 0; i < n; i++)
			mouse_reply(m, pkt[i]);
		break;
	}
	case 0xEC:
		m->wrap = false;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xEE:
		ps2_queue_clear(&m->q);
		m->wrap = true;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xF0:
		ps2_queue_clear(&m->q);
		m->remote = true;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xF2:
		mouse_reply(m, PS2_ACK);
		mouse_reply(m, m->id);
		break;
	case 0xF4:
		m->enabled = true;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xF5:
		ps2_queue_clear(&m->q);
		m->enabled = false;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xF6:
		ps2_queue_clear(&m->q);
		mouse_defaults(m);
		mouse_reply(m, PS2_ACK);
		break;
	case 0xFE:
		mouse_reply(m, m->last);
		break;
	case 0xFF:
		ps2_queue_clear(&m->q);
		mouse_defaults(m);
		m->id = 0;
		memset(m->hist, 0, sizeof(m->hist));
		mouse_reply(m, PS2_ACK);
		mouse_reply(m, PS2_BAT_OK);
		mouse_reply(m, 0x00);
		break;
	default:
		mouse_reply(m, PS2_RESEND);
		break;
	}
}

bool ps2_mouse_ready(const struct ps2_mouse *m)
{
	return ps2_dev_ready(&m->r, &m->q, m->pending);
}

uint8_t ps2_mouse_take(struct ps2_mouse *m)
{
	return ps2_dev_take(&m->r, &m->q, &m->last);
}

void ps2_mouse_reset(struct ps2_mouse *m)
{
	ps2_queue_clear(&m->q);
	ps2_reply_clear(&m->r);
	mouse_defaults(m);
	m->id = 0;
	memset(m->hist, 0, sizeof(m->hist));
	m->buttons = 0;
	m->last = 0;
}

bool ps2_mouse_input(struct ps2_mouse *m, int dx, int dy, int dz, unsigned int buttons)
{
	/* clamp first so nothing below can overflow; 8 packets at most */
	long rx = MAX(MIN((long)dx, 8 * 255L), -8 * 255L);
	long ry = -MAX(MIN((long)dy, 8 * 255L), -8 * 255L);
	int rz = MAX(MIN(dz, 7), -8);
	bool queued = false;

	m->buttons = buttons & 0x07;
	if (!m->enabled || m->remote || m->wrap)
		return false;
	do {
		int px = (int)MAX(MIN(rx, 255L), -255L);
		int py = (int)MAX(MIN(ry, 255L), -255L);
		uint8_t pkt[4];
		unsigned int n = mouse_packet(m, px, py, rz, pkt);

		if (ps2_queue_room(&m->q) < n)
			break;
		for (unsigned int i = 0; i < n; i++)
			ps2_queue_push(&m->q, pkt[i]);
		queued = true;
		rx -= px;
		ry -= py;
		rz = 0;
	} while (rx || ry);
	return queued;
}

void ps2_mouse_snapshot(struct ps2_mouse *m, struct snap *s, uint32_t version)
{
	ps2_queue_snapshot(&m->q, s);
	snap_bool(s, &m->enabled);
	snap_bool(s, &m->remote);
	snap_bool(s, &m->wrap);
	snap_bool(s, &m->scale21);
	snap_u8(s, &m->rate);
	snap_u8(s, &m->res);
	snap_u8(s, &m->id);
	snap_u8(s, &m->pending);
	snap_bytes(s, m->hist, sizeof(m->hist));
	snap_u8(s, &m->buttons);
	snap_u8(s, &m->last);
	ps2_reply_snapshot(&m->r, s, version);
	if (snap_loading(s) && !snap_error(s) &&
	    ((m->pending != 0 && m->pending != 0xE8 && m->pending != 0xF3) ||
	     (m->id != 0 && m->id != 3) || m->res > 3 || m->buttons > 7))
		snap_fail(s, -EINVAL);
	if (snap_loading(s) && !snap_error(s) && version < 2 && m->pending)
		ps2_v1_pending_reply(&m->q, &m->r, s);
}
