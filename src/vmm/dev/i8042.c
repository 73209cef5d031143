/*
 * i8042.c - the Intel 8042 keyboard controller as found in PCs, with the
 * PS/2 keyboard and mouse of ps2.c on its two ports.
 *
 * Implements what firmware and OS drivers use of the controller: the
 * status register, the 32 bytes of controller RAM (byte 0 is the command
 * byte: interrupt enables, system flag, port disables, translation) and
 * the controller commands - read/write RAM (0x20-0x3F, 0x60-0x7F),
 * self-test 0xAA (0x55), interface tests 0xAB/0xA9 (0x00), keyboard and
 * aux port disable/enable 0xAD/0xAE/0xA7/0xA8, output port read/write
 * 0xD0/0xD1, writes into either output buffer 0xD2/0xD3, 0xD4 to the mouse,
 * and the 0xF0-0xFF output pulses, bit 0 being the CPU reset line.  Set 2
 * to set 1 translation of keyboard bytes (command byte bit 6) uses the
 * standard 8042 table, F0 prefixes turning into bit 7 of the next byte.
 *
 * What it leaves to others: the devices' command sets are ps2.c's; the
 * machine turns VM_REQ_RESET into a reboot (from 0xFE and friends, or an
 * output-port write with bit 0 clear); A20 is only remembered (KVM has no
 * A20 gate); the display code turns host key events into set 2 bytes.
 *
 * Output buffer: one byte at a time is in the output buffer (OBF).  When
 * the guest reads it, the next byte is taken at once - controller replies
 * first, then keyboard, then mouse, each device its command reply before
 * its input (ps2.c) - so the interrupt line falls and rises
 * again, one edge per byte.  IRQ 1 is high while a keyboard/controller byte
 * waits and the command byte enables it, IRQ 12 likewise for mouse bytes.
 *
 * Threads: vCPU threads use the ports, the event loop (display, VNC)
 * calls the input functions; one mutex covers controller and devices.
 */
#include "vmm/dev/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "display/input.h"
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
	while (ps2_kbd_ready(&c->kbd) && !(ctr & I8042_CTR_KBDDIS)) {
		uint8_t b = ps2_kbd_take(&c->kbd);

		if (ctr & I8042_CTR_XLATE) {
			if (b == 0xF0) {
				c->xlate_break = true;
				continue;
			}
			b = ps2_translate(b);
			if (c->xlate_break)
				b |= 0x80;
			c->xlate_break = false;
		}
		i8042_put_out(c, b, false);
		goto out;
	}
	if (ps2_mouse_ready(&c->mouse) && !(ctr & I8042_CTR_AUXDIS))
		i8042_put_out(c, ps2_mouse_take(&c->mouse), true);
out:
	i8042_update_irq(c);
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
	ps2_kbd_reset(&c->kbd);
	ps2_mouse_reset(&c->mouse);
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
		ps2_mouse_write(&c->mouse, val);
	} else {
		/* to the keyboard; sending re-enables the keyboard port */
		c->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
		ps2_kbd_write(&c->kbd, val);
	}
	i8042_refill(c);
	pthread_mutex_unlock(&c->lock);
	if (reset)
		vm_request(&c->req, VM_REQ_RESET);
}

void i8042_kbd_input(struct i8042 *c, const uint8_t *set2_bytes, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (ps2_kbd_input(&c->kbd, set2_bytes, len))
		i8042_refill(c);
	pthread_mutex_unlock(&c->lock);
}

void i8042_mouse_input(struct i8042 *c, int dx, int dy, int dz, unsigned int buttons)
{
	pthread_mutex_lock(&c->lock);
	if (ps2_mouse_input(&c->mouse, dx, dy, dz, buttons))
		i8042_refill(c);
	pthread_mutex_unlock(&c->lock);
}

/* ---- snapshot ---------------------------------------------------------- */

/*
 * One walk for save and load over the controller and, through ps2.c, the
 * keyboard and mouse.  Queues are stored oldest byte first.  Loading fills
 * copies that replace the live state only when every value checked out.
 */
int i8042_snapshot(struct i8042 *c, struct snap *s)
{
	uint32_t version = 2;      /* 2: the devices' reply queues */
	uint8_t ram[sizeof(c->ram)];
	uint8_t outport, outbuf, pending, ctl_count;
	bool obf, aux_obf, cmd_last, xlate_break;
	uint16_t ctl[I8042_CTL_QUEUE] = { 0 };
	struct ps2_kbd kbd;
	struct ps2_mouse mouse;

	pthread_mutex_lock(&c->lock);
	memcpy(ram, c->ram, sizeof(ram));
	outport = c->outport;
	outbuf = c->outbuf;
	obf = c->obf;
	aux_obf = c->aux_obf;
	cmd_last = c->cmd_last;
	pending = c->pending;
	xlate_break = c->xlate_break;
	ctl_count = (uint8_t)c->ctl_count;
	for (unsigned int i = 0; i < c->ctl_count; i++)
		ctl[i] = c->ctl[(c->ctl_head + i) % I8042_CTL_QUEUE];
	kbd = c->kbd;
	mouse = c->mouse;

	snap_section(s, "i8042", &version);
	snap_bytes(s, ram, sizeof(ram));
	snap_u8(s, &outport);
	snap_u8(s, &outbuf);
	snap_bool(s, &obf);
	snap_bool(s, &aux_obf);
	snap_bool(s, &cmd_last);
	snap_u8(s, &pending);
	snap_bool(s, &xlate_break);
	snap_u8(s, &ctl_count);
	for (unsigned int i = 0; i < I8042_CTL_QUEUE; i++)
		snap_u16(s, &ctl[i]);
	ps2_kbd_snapshot(&kbd, s, version);
	ps2_mouse_snapshot(&mouse, s, version);

	if (snap_loading(s) && !snap_error(s)) {
		bool ok = ctl_count <= I8042_CTL_QUEUE && (!aux_obf || obf) &&
			  (pending == 0 || (pending >= 0x60 && pending <= 0x7F) ||
			   (pending >= 0xD1 && pending <= 0xD4));

		for (unsigned int i = 0; ok && i < I8042_CTL_QUEUE; i++)
			if (ctl[i] & ~(I8042_CTL_AUX | 0xFF))
				ok = false;
		if (!ok) {
			snap_fail(s, -EINVAL);
		} else {
			memcpy(c->ram, ram, sizeof(ram));
			c->outport = outport;
			c->outbuf = outbuf;
			c->obf = obf;
			c->aux_obf = aux_obf;
			c->cmd_last = cmd_last;
			c->pending = pending;
			c->xlate_break = xlate_break;
			memcpy(c->ctl, ctl, sizeof(ctl));
			c->ctl_head = 0;
			c->ctl_count = ctl_count;
			c->kbd = kbd;
			c->mouse = mouse;
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
	/* host keys and pointer reach the PS/2 devices through the router */
	struct input *in = machine_find(m, "input");
	if (in)
		input_set_ps2(in, c);
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
