/*
 * i8042.c - the Intel 8042 keyboard controller as found in PCs, with a
 * PS/2 (MF2) keyboard on its first port and a PS/2 mouse on its second.
 *
 * Implements what firmware and OS drivers use: the status register, the
 * 32 bytes of controller RAM (byte 0 is the command byte: interrupt
 * enables, system flag, port disables, translation), the controller
 * commands (self-test 0xAA, interface tests 0xAB/0xA9, port enable and
 * disable, output port read/write, writes into either output buffer,
 * 0xD4 to the mouse, 0xF0-0xFF output pulses with the reset line on bit
 * 0), the keyboard command set of the IBM PS/2 technical reference (reset,
 * identify, LEDs, scancode set, typematic, enable/disable, echo, resend)
 * and enough of the mouse command set for Linux's psmouse probe (reset,
 * identify, IntelliMouse wheel detection, rates, resolution, status).
 * Scancode set 2 to set 1 translation uses the standard 8042 table.
 *
 * What it leaves to others: the machine maps VM_REQ_RESET to a reboot,
 * A20 is only remembered (KVM has no A20 gate), and the display code turns
 * host key events into set 2 bytes.  Scancode set 3 is accepted but the
 * keyboard keeps sending set 2.  Each device's queue is bounded; a key
 * event or mouse packet that does not fit is dropped whole.
 *
 * Output buffer: one byte at a time is in the output buffer (OBF).  When
 * the guest reads it, the next byte is taken at once - controller replies
 * first, then keyboard, then mouse - so the interrupt line falls and rises
 * again, one edge per byte.  IRQ 1 is high while a keyboard/controller byte
 * waits and the command byte enables it, IRQ 12 likewise for mouse bytes.
 *
 * Threads: vCPU threads use the ports, the event loop (display, VNC)
 * calls the input functions; one mutex covers all three devices.
 */
#include "vmm/dev/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/layout.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

#define I8042_CTR_RESET (I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE)
#define I8042_OUT_RESET 0x01   /* output port: reset line (active low) */
#define I8042_OUT_A20   0x02
#define I8042_OUT_OBF   0x10
#define I8042_OUT_AUXOBF 0x20
#define I8042_CTL_QUEUE 8
#define I8042_CTL_AUX   0x100  /* controller queue entry goes out as aux data */

/* device replies */
#define PS2_ACK    0xFA
#define PS2_RESEND 0xFE
#define PS2_BAT_OK 0xAA
#define PS2_ECHO   0xEE

struct ps2_queue {
	uint8_t buf[I8042_QUEUE_SIZE];
	unsigned int head, count;
};

struct ps2_kbd {
	struct ps2_queue q;
	uint8_t set;          /* scancode set 1..3 */
	bool scanning;
	uint8_t leds;
	uint8_t typematic;
	uint8_t pending;      /* command waiting for its argument, 0: none */
	uint8_t last;         /* last byte sent, for 0xFE resend */
};

struct ps2_mouse {
	struct ps2_queue q;
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

struct i8042 {
	pthread_mutex_t lock;
	struct irq_line kbd_irq, aux_irq;
	struct vm_request_cb req;
	int kbd_level, aux_level;

	uint8_t ram[32];      /* ram[0]: command byte */
	uint8_t outport;
	uint8_t outbuf;
	bool obf, aux_obf;
	bool cmd_last;        /* status bit 3 */
	uint8_t pending;      /* controller command waiting for data, 0: none */
	bool xlate_break;     /* translation saw F0: next byte gets bit 7 */

	uint16_t ctl[I8042_CTL_QUEUE];  /* replies; I8042_CTL_AUX marks aux */
	unsigned int ctl_head, ctl_count;

	struct ps2_kbd kbd;
	struct ps2_mouse mouse;
};

/*
 * The 8042's set 2 to set 1 translation for codes 0x00-0x7F; codes from
 * 0x80 pass unchanged except 0x83 (F7) and 0x84 (Alt+SysRq).
 */
static const uint8_t i8042_xlate[128] = {
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

static uint8_t i8042_translate(uint8_t b)
{
	if (b < 0x80)
		return i8042_xlate[b];
	if (b == 0x83)
		return 0x41;
	if (b == 0x84)
		return 0x54;
	return b;
}

/* ---- queues ------------------------------------------------------------ */

static unsigned int ps2_room(const struct ps2_queue *q)
{
	return I8042_QUEUE_SIZE - q->count;
}

static bool ps2_push(struct ps2_queue *q, uint8_t b)
{
	if (q->count >= I8042_QUEUE_SIZE)
		return false;
	q->buf[(q->head + q->count) % I8042_QUEUE_SIZE] = b;
	q->count++;
	return true;
}

static uint8_t ps2_pop(struct ps2_queue *q)
{
	uint8_t b = q->buf[q->head];

	q->head = (q->head + 1) % I8042_QUEUE_SIZE;
	q->count--;
	return b;
}

static void ps2_clear(struct ps2_queue *q)
{
	q->head = q->count = 0;
}

/* Replies to a command always fit: the queue was cleared for it. */
static void kbd_reply(struct ps2_kbd *k, uint8_t b)
{
	(void)ps2_push(&k->q, b);
}

static void mouse_reply(struct ps2_mouse *m, uint8_t b)
{
	(void)ps2_push(&m->q, b);
}

static void ctl_reply(struct i8042 *c, uint16_t v)
{
	if (c->ctl_count >= I8042_CTL_QUEUE)
		return;
	c->ctl[(c->ctl_head + c->ctl_count) % I8042_CTL_QUEUE] = v;
	c->ctl_count++;
}

/* ---- output buffer and interrupts -------------------------------------- */

static void i8042_update_irq(struct i8042 *c)
{
	uint8_t ctr = c->ram[0];
	int kbd = c->obf && !c->aux_obf && (ctr & I8042_CTR_KBDINT);
	int aux = c->obf && c->aux_obf && (ctr & I8042_CTR_AUXINT);

	if (kbd != c->kbd_level) {
		c->kbd_level = kbd;
		irq_line_set(&c->kbd_irq, kbd);
	}
	if (aux != c->aux_level) {
		c->aux_level = aux;
		irq_line_set(&c->aux_irq, aux);
	}
}

static void i8042_put_out(struct i8042 *c, uint8_t b, bool aux)
{
	c->outbuf = b;
	c->obf = true;
	c->aux_obf = aux;
}

/* Moves the next waiting byte into an empty output buffer. */
static void i8042_refill(struct i8042 *c)
{
	uint8_t ctr = c->ram[0];

	if (c->obf)
		goto out;
	if (c->ctl_count) {
		uint16_t v = c->ctl[c->ctl_head];
		c->ctl_head = (c->ctl_head + 1) % I8042_CTL_QUEUE;
		c->ctl_count--;
		i8042_put_out(c, (uint8_t)v, (v & I8042_CTL_AUX) != 0);
		goto out;
	}
	while (c->kbd.q.count && !(ctr & I8042_CTR_KBDDIS)) {
		uint8_t b = ps2_pop(&c->kbd.q);

		c->kbd.last = b;
		if (ctr & I8042_CTR_XLATE) {
			if (b == 0xF0) {
				c->xlate_break = true;
				continue;
			}
			b = i8042_translate(b);
			if (c->xlate_break)
				b |= 0x80;
			c->xlate_break = false;
		}
		i8042_put_out(c, b, false);
		goto out;
	}
	if (c->mouse.q.count && !(ctr & I8042_CTR_AUXDIS)) {
		uint8_t b = ps2_pop(&c->mouse.q);
		c->mouse.last = b;
		i8042_put_out(c, b, true);
	}
out:
	i8042_update_irq(c);
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
		out[n++] = (uint8_t)(i8042_translate(in[i]) | (brk ? 0x80 : 0));
		brk = false;
	}
	return n;
}

static void kbd_write(struct ps2_kbd *k, uint8_t b)
{
	uint8_t cmd = k->pending;

	if (cmd) {
		k->pending = 0;
		ps2_clear(&k->q);
		switch (cmd) {
		case 0xED:                  /* set LEDs */
			k->leds = b & 0x07;
			kbd_reply(k, PS2_ACK);
			break;
		case 0xF3:                  /* typematic rate/delay */
			k->typematic = b & 0x7F;
			kbd_reply(k, PS2_ACK);
			break;
		case 0xF0:                  /* get/set scancode set */
			if (b == 0) {
				kbd_reply(k, PS2_ACK);
				kbd_reply(k, k->set);
			} else if (b <= 3) {
				k->set = b;
				kbd_reply(k, PS2_ACK);
			} else {
				kbd_reply(k, PS2_RESEND);
			}
			break;
		}
		return;
	}

	if (b == 0xFE) {                    /* resend */
		ps2_clear(&k->q);
		kbd_reply(k, k->last);
		return;
	}
	/* a command makes the keyboard drop its pending output */
	ps2_clear(&k->q);
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
		kbd_defaults(k);
		k->scanning = false;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF6:                          /* defaults, scanning on */
		kbd_defaults(k);
		k->scanning = true;
		kbd_reply(k, PS2_ACK);
		break;
	case 0xF7: case 0xF8: case 0xF9: case 0xFA:  /* set 3 key modes */
		kbd_reply(k, PS2_ACK);
		break;
	case 0xFF:                          /* reset and self-test */
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
	return (uint8_t)(((btn & I8042_BTN_LEFT) ? 4 : 0) |
			 ((btn & I8042_BTN_MIDDLE) ? 2 : 0) |
			 ((btn & I8042_BTN_RIGHT) ? 1 : 0));
}

static unsigned int mouse_packet_len(const struct ps2_mouse *m)
{
	return m->id == 3 ? 4 : 3;
}

/* One packet of at most +-255 per axis (PS/2 y is positive up). */
static void mouse_packet(struct ps2_mouse *m, int dx, int dy_up, int dz)
{
	uint8_t b0 = 0x08 | (m->buttons & 0x07);

	if (dx < 0)
		b0 |= 0x10;
	if (dy_up < 0)
		b0 |= 0x20;
	mouse_reply(m, b0);
	mouse_reply(m, (uint8_t)(dx & 0xFF));
	mouse_reply(m, (uint8_t)(dy_up & 0xFF));
	if (m->id == 3)
		mouse_reply(m, (uint8_t)(dz & 0xFF));
}

static void mouse_write(struct ps2_mouse *m, uint8_t b)
{
	uint8_t cmd = m->pending;

	if (m->wrap && b != 0xEC && b != 0xFF) {
		mouse_reply(m, b);          /* wrap mode echoes */
		return;
	}
	if (cmd) {
		m->pending = 0;
		ps2_clear(&m->q);
		if (cmd == 0xF3) {
			m->rate = b;
			m->hist[0] = m->hist[1];
			m->hist[1] = m->hist[2];
			m->hist[2] = b;
			/* IntelliMouse knock: rates 200, 100, 80 */
			if (m->hist[0] == 200 && m->hist[1] == 100 && m->hist[2] == 80)
				m->id = 3;
		} else {                    /* 0xE8 */
			m->res = b & 3;
		}
		mouse_reply(m, PS2_ACK);
		return;
	}
	if (b == 0xFE) {
		ps2_clear(&m->q);
		mouse_reply(m, m->last);
		return;
	}
	ps2_clear(&m->q);
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
	case 0xEB:                          /* read data (remote mode) */
		mouse_reply(m, PS2_ACK);
		mouse_packet(m, 0, 0, 0);
		break;
	case 0xEC:
		m->wrap = false;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xEE:
		m->wrap = true;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xF0:
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
		m->enabled = false;
		mouse_reply(m, PS2_ACK);
		break;
	case 0xF6:
		mouse_defaults(m);
		mouse_reply(m, PS2_ACK);
		break;
	case 0xFF:
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

/* ---- controller -------------------------------------------------------- */

static void i8042_reset_locked(struct i8042 *c)
{
	memset(c->ram, 0, sizeof(c->ram));
	c->ram[0] = I8042_CTR_RESET;
	c->outport = I8042_OUT_RESET | I8042_OUT_A20;
	c->outbuf = 0;
	c->obf = c->aux_obf = false;
	c->cmd_last = false;
	c->pending = 0;
	c->xlate_break = false;
	c->ctl_head = c->ctl_count = 0;
	ps2_clear(&c->kbd.q);
	kbd_defaults(&c->kbd);
	c->kbd.scanning = true;
	c->kbd.last = 0;
	ps2_clear(&c->mouse.q);
	mouse_defaults(&c->mouse);
	c->mouse.id = 0;
	memset(c->mouse.hist, 0, sizeof(c->mouse.hist));
	c->mouse.buttons = 0;
	c->mouse.last = 0;
	i8042_update_irq(c);
}

/*
 * Creates a controller; see i8042.h.  The caller owns the result and frees
 * it with i8042_destroy().
 */
struct i8042 *i8042_create(const struct irq_line *kbd, const struct irq_line *aux,
			   const struct vm_request_cb *req)
{
	struct i8042 *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	if (kbd)
		c->kbd_irq = *kbd;
	if (aux)
		c->aux_irq = *aux;
	if (req)
		c->req = *req;
	i8042_reset_locked(c);
	return c;
}

void i8042_destroy(struct i8042 *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void i8042_reset(struct i8042 *c)
{
	pthread_mutex_lock(&c->lock);
	i8042_reset_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Reads the output buffer: the byte stays readable, OBF clears and the
 * next waiting byte moves in.
 */
uint8_t i8042_read_data(struct i8042 *c)
{
	uint8_t v;

	pthread_mutex_lock(&c->lock);
	v = c->outbuf;
	if (c->obf) {
		c->obf = c->aux_obf = false;
		i8042_update_irq(c);
		i8042_refill(c);
	}
	pthread_mutex_unlock(&c->lock);
	return v;
}

uint8_t i8042_read_status(struct i8042 *c)
{
	uint8_t v = I8042_STR_UNLOCK;

	pthread_mutex_lock(&c->lock);
	if (c->obf)
		v |= I8042_STR_OBF;
	if (c->aux_obf)
		v |= I8042_STR_AUXOBF;
	if (c->ram[0] & I8042_CTR_SYS)
		v |= I8042_STR_SYS;
	if (c->cmd_last)
		v |= I8042_STR_CMD;
	pthread_mutex_unlock(&c->lock);
	return v;
}

static uint8_t i8042_outport(const struct i8042 *c)
{
	uint8_t v = c->outport & (uint8_t)~(I8042_OUT_OBF | I8042_OUT_AUXOBF);

	if (c->obf && !c->aux_obf)
		v |= I8042_OUT_OBF;
	if (c->obf && c->aux_obf)
		v |= I8042_OUT_AUXOBF;
	return v;
}

void i8042_write_cmd(struct i8042 *c, uint8_t val)
{
	bool reset = false;

	pthread_mutex_lock(&c->lock);
	c->cmd_last = true;
	c->pending = 0;
	if (val >= 0x20 && val <= 0x3F) {
		ctl_reply(c, c->ram[val & 0x1F]);
	} else if ((val >= 0x60 && val <= 0x7F) ||
		   (val >= 0xD1 && val <= 0xD4)) {
		c->pending = val;
	} else if (val >= 0xF0) {
		/* pulse output lines whose bit is 0; bit 0 is the reset line */
		reset = !(val & 0x01);
	} else {
		switch (val) {
		case 0xA4:                  /* password installed? no */
			ctl_reply(c, 0xF1);
			break;
		case 0xA7:
			c->ram[0] |= I8042_CTR_AUXDIS;
			break;
		case 0xA8:
			c->ram[0] &= (uint8_t)~I8042_CTR_AUXDIS;
			break;
		case 0xA9:                  /* aux interface test: OK */
		case 0xAB:                  /* kbd interface test: OK */
		case 0xE0:                  /* test inputs */
			ctl_reply(c, 0x00);
			break;
		case 0xAA:                  /* self-test */
			c->ram[0] |= I8042_CTR_SYS;
			ctl_reply(c, 0x55);
			break;
		case 0xAD:
			c->ram[0] |= I8042_CTR_KBDDIS;
			break;
		case 0xAE:
			c->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
			break;
		case 0xC0:                  /* input port: keyboard not inhibited */
			ctl_reply(c, 0x80);
			break;
		case 0xD0:
			ctl_reply(c, i8042_outport(c));
			break;
		case 0xDD:
			c->outport &= (uint8_t)~I8042_OUT_A20;
			break;
		case 0xDF:
			c->outport |= I8042_OUT_A20;
			break;
		default:
			break;
		}
	}
	i8042_refill(c);
	pthread_mutex_unlock(&c->lock);
	if (reset)
		vm_request(&c->req, VM_REQ_RESET);
}

void i8042_write_data(struct i8042 *c, uint8_t val)
{
	bool reset = false;
	uint8_t cmd;

	pthread_mutex_lock(&c->lock);
	c->cmd_last = false;
	cmd = c->pending;
	c->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7F) {
		c->ram[cmd & 0x1F] = val;
	} else if (cmd == 0xD1) {
		c->outport = val;
		reset = !(val & I8042_OUT_RESET);
	} else if (cmd == 0xD2) {
		ctl_reply(c, val);
	} else if (cmd == 0xD3) {
		ctl_reply(c, I8042_CTL_AUX | val);
	} else if (cmd == 0xD4) {
		mouse_write(&c->mouse, val);
	} else {
		/* to the keyboard; sending re-enables the keyboard port */
		c->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
		kbd_write(&c->kbd, val);
	}
	i8042_refill(c);
	pthread_mutex_unlock(&c->lock);
	if (reset)
		vm_request(&c->req, VM_REQ_RESET);
}

void i8042_kbd_input(struct i8042 *c, const uint8_t *set2_bytes, size_t len)
{
	uint8_t conv[I8042_QUEUE_SIZE];
	const uint8_t *p = set2_bytes;

	if (!len || len > I8042_QUEUE_SIZE)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->kbd.scanning && !c->kbd.pending) {
		if (c->kbd.set == 1) {
			len = kbd_set2_to_set1(set2_bytes, len, conv);
			p = conv;
		}
		if (len <= ps2_room(&c->kbd.q)) {
			for (size_t i = 0; i < len; i++)
				ps2_push(&c->kbd.q, p[i]);
			i8042_refill(c);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void i8042_mouse_input(struct i8042 *c, int dx, int dy, int dz, unsigned int buttons)
{
	struct ps2_mouse *m = &c->mouse;
	/* clamp first so nothing below can overflow; 8 packets at most */
	long rx = MAX(MIN((long)dx, 8 * 255L), -8 * 255L);
	long ry = -MAX(MIN((long)dy, 8 * 255L), -8 * 255L);
	int rz = MAX(MIN(dz, 7), -8);

	pthread_mutex_lock(&c->lock);
	m->buttons = buttons & 0x07;
	if (m->enabled && !m->remote && !m->wrap && !m->pending) {
		do {
			int px = (int)MAX(MIN(rx, 255L), -255L);
			int py = (int)MAX(MIN(ry, 255L), -255L);

			if (ps2_room(&m->q) < mouse_packet_len(m))
				break;
			mouse_packet(m, px, py, rz);
			rx -= px;
			ry -= py;
			rz = 0;
		} while (rx || ry);
		i8042_refill(c);
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---- snapshot ---------------------------------------------------------- */

static void ps2_queue_snap(struct snap *s, struct ps2_queue *q, uint8_t *lin)
{
	uint8_t count = (uint8_t)q->count;

	if (snap_saving(s))
		for (unsigned int i = 0; i < q->count; i++)
			lin[i] = q->buf[(q->head + i) % I8042_QUEUE_SIZE];
	snap_u8(s, &count);
	snap_bytes(s, lin, I8042_QUEUE_SIZE);
	if (snap_loading(s)) {
		if (count > I8042_QUEUE_SIZE)
			snap_fail(s, -EINVAL);
		q->count = count;   /* committed by the caller only on success */
	}
}

/*
 * One walk for save and load over the controller, keyboard and mouse.
 * Queues are stored oldest byte first.  Loading works on a copy that
 * replaces the live state only when every value checked out.
 */
int i8042_snapshot(struct i8042 *c, struct snap *s)
{
	uint32_t version = 1;
	struct i8042 t;
	uint8_t kq[I8042_QUEUE_SIZE] = { 0 }, mq[I8042_QUEUE_SIZE] = { 0 };
	uint16_t ctl[I8042_CTL_QUEUE] = { 0 };
	uint8_t ctl_count;

	pthread_mutex_lock(&c->lock);
	t = *c;
	ctl_count = (uint8_t)c->ctl_count;
	for (unsigned int i = 0; i < c->ctl_count; i++)
		ctl[i] = c->ctl[(c->ctl_head + i) % I8042_CTL_QUEUE];

	snap_section(s, "i8042", &version);
	snap_bytes(s, t.ram, sizeof(t.ram));
	snap_u8(s, &t.outport);
	snap_u8(s, &t.outbuf);
	snap_bool(s, &t.obf);
	snap_bool(s, &t.aux_obf);
	snap_bool(s, &t.cmd_last);
	snap_u8(s, &t.pending);
	snap_bool(s, &t.xlate_break);
	snap_u8(s, &ctl_count);
	for (unsigned int i = 0; i < I8042_CTL_QUEUE; i++)
		snap_u16(s, &ctl[i]);

	ps2_queue_snap(s, &t.kbd.q, kq);
	snap_u8(s, &t.kbd.set);
	snap_bool(s, &t.kbd.scanning);
	snap_u8(s, &t.kbd.leds);
	snap_u8(s, &t.kbd.typematic);
	snap_u8(s, &t.kbd.pending);
	snap_u8(s, &t.kbd.last);

	ps2_queue_snap(s, &t.mouse.q, mq);
	snap_bool(s, &t.mouse.enabled);
	snap_bool(s, &t.mouse.remote);
	snap_bool(s, &t.mouse.wrap);
	snap_bool(s, &t.mouse.scale21);
	snap_u8(s, &t.mouse.rate);
	snap_u8(s, &t.mouse.res);
	snap_u8(s, &t.mouse.id);
	snap_u8(s, &t.mouse.pending);
	snap_bytes(s, t.mouse.hist, sizeof(t.mouse.hist));
	snap_u8(s, &t.mouse.buttons);
	snap_u8(s, &t.mouse.last);

	if (snap_loading(s) && !snap_error(s)) {
		bool ok = ctl_count <= I8042_CTL_QUEUE &&
			  (!t.aux_obf || t.obf) &&
			  (t.pending == 0 || (t.pending >= 0x60 && t.pending <= 0x7F) ||
			   (t.pending >= 0xD1 && t.pending <= 0xD4)) &&
			  t.kbd.set >= 1 && t.kbd.set <= 3 &&
			  (t.kbd.pending == 0 || t.kbd.pending == 0xED ||
			   t.kbd.pending == 0xF3 || t.kbd.pending == 0xF0) &&
			  (t.mouse.pending == 0 || t.mouse.pending == 0xE8 ||
			   t.mouse.pending == 0xF3) &&
			  (t.mouse.id == 0 || t.mouse.id == 3) &&
			  t.mouse.res <= 3 && t.mouse.buttons <= 7;

		for (unsigned int i = 0; ok && i < I8042_CTL_QUEUE; i++)
			if (ctl[i] & ~(I8042_CTL_AUX | 0xFF))
				ok = false;
		if (!ok) {
			snap_fail(s, -EINVAL);
		} else {
			t.ctl_head = 0;
			t.ctl_count = ctl_count;
			memcpy(t.ctl, ctl, sizeof(ctl));
			t.kbd.q.head = 0;
			memcpy(t.kbd.q.buf, kq, sizeof(kq));
			t.mouse.q.head = 0;
			memcpy(t.mouse.q.buf, mq, sizeof(mq));
			/* the live lock, lines and callbacks stay */
			memcpy(c->ram, t.ram, sizeof(t.ram));
			c->outport = t.outport;
			c->outbuf = t.outbuf;
			c->obf = t.obf;
			c->aux_obf = t.aux_obf;
			c->cmd_last = t.cmd_last;
			c->pending = t.pending;
			c->xlate_break = t.xlate_break;
			memcpy(c->ctl, t.ctl, sizeof(t.ctl));
			c->ctl_head = t.ctl_head;
			c->ctl_count = t.ctl_count;
			c->kbd = t.kbd;
			c->mouse = t.mouse;
			i8042_refill(c);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return snap_error(s);
}

/* ---- machine glue ------------------------------------------------------ */

static uint64_t i8042_data_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)off;
	(void)size;
	return i8042_read_data(opaque);
}

static void i8042_data_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	(void)off;
	(void)size;
	i8042_write_data(opaque, (uint8_t)val);
}

static uint64_t i8042_cmd_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)off;
	(void)size;
	return i8042_read_status(opaque);
}

static void i8042_cmd_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	(void)off;
	(void)size;
	i8042_write_cmd(opaque, (uint8_t)val);
}

static const struct trap_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct trap_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

static void i8042_dev_teardown(void *dev)
{
	i8042_destroy(dev);
}

static void i8042_dev_reset(void *dev)
{
	i8042_reset(dev);
}

static int i8042_dev_snapshot(void *dev, struct snap *s)
{
	return i8042_snapshot(dev, s);
}

static const struct device_desc i8042_desc;

static int i8042_setup(struct machine *m)
{
	struct irq_line kbd = machine_irq(m, IRQ_KBD);
	struct irq_line aux = machine_irq(m, IRQ_MOUSE);
	struct vm_request_cb req = machine_request_cb(m);
	struct trap_map *traps = machine_traps(m);
	struct i8042 *c;
	int rc;

	c = i8042_create(&kbd, &aux, &req);
	if (!c)
		return -ENOMEM;
	rc = trap_register(traps, TRAP_PIO, PORT_I8042_DATA, 1, &i8042_data_ops, c);
	if (rc < 0)
		goto err_free;
	rc = trap_register(traps, TRAP_PIO, PORT_I8042_CMD, 1, &i8042_cmd_ops, c);
	if (rc < 0)
		goto err_data;
	rc = machine_attach(m, &i8042_desc, c);
	if (rc < 0)
		goto err_cmd;
	return 0;

err_cmd:
	trap_unregister(traps, TRAP_PIO, PORT_I8042_CMD);
err_data:
	trap_unregister(traps, TRAP_PIO, PORT_I8042_DATA);
err_free:
	i8042_destroy(c);
	return rc;
}

static const struct device_desc i8042_desc = {
	.name = "i8042",
	.order = DEVICE_ORDER_DEV,
	.setup = i8042_setup,
	.teardown = i8042_dev_teardown,
	.reset = i8042_dev_reset,
	.snapshot = i8042_dev_snapshot,
};
DEVICE_DEFINE(i8042_desc);
