/*
 * virtio_input.c - the virtio input device, virtio 1.2 section 5.8: a
 * tablet (EV_ABS ABS_X/ABS_Y 0..32767, EV_KEY BTN_LEFT/RIGHT/MIDDLE,
 * EV_REL REL_WHEEL) or a keyboard (EV_KEY for every key of the key table,
 * EV_LED Num/Caps/Scroll Lock, EV_REP so the guest repeats keys itself).
 * Two queues: eventq (0) takes device-writable 8-byte buffers that we
 * fill with struct virtio_input_event; statusq (1) brings the driver's
 * events to the device (LED changes), which are checked and remembered.
 * No feature bits beyond VERSION_1.  Not here: a relative mouse (the PS/2
 * mouse is one), multi-touch, force feedback.
 *
 * Configuration space (5.8.4): the driver writes select and subsel, then
 * reads size and the union.  Every combination this device does not have
 * - an unknown select, a subsel out of range, ID_NAME with a subsel -
 * reads as size 0 and a zeroed union, as the spec requires; only select
 * and subsel are writable, writes elsewhere are ignored.
 *
 * Events: the host side (the input router's sinks, on the event loop or a
 * display thread) appends whole reports - the events of one change and
 * an EV_SYN SYN_REPORT - to a bounded queue of VIRTIO_INPUT_PENDING
 * events; a report that does not fit is dropped whole, so the guest never
 * sees half a report.  The queue is drained into the event buffers the
 * driver made available, at once and again whenever it adds more
 * (queue_notify).  An event buffer shorter than 8 bytes, or without a
 * writable part, is returned with used length 0 and counted; descriptor
 * loops and addresses outside guest RAM are virtqueue.c's to refuse.
 *
 * Threads: all state is under the transport's lock (virtio_pci.h):
 * callbacks run with it held, the host-side calls take it.
 *
 * In a machine (the glue at the end): `--input tablet` (the default on
 * every PC with a PCI bus, as virt-manager gives every VM a USB tablet)
 * and/or `--input keyboard`, each its own PCI function.  Each registers
 * with the input router (display/input.h) as its absolute-pointer or key
 * sink; the router uses it only while the guest's driver runs it
 * (virtio_input_active()), so firmware and guests without a virtio-input
 * driver keep the PS/2 keyboard and mouse.  Hence keys go to the PS/2
 * keyboard unless the guest drives a virtio keyboard, which exists only
 * when asked for: a guest with both drivers would see two keyboards.
 */
#include "vmm/virtio/virtio_input.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display/input.h"
#include "display/keymap.h"
#include "util/util.h"
#include "vmm/device.h"
#include "vmm/machine.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"

#define PCI_CLASS_INPUT_OTHER 0x098000
#define VI_KEY_BITS  (KEY_MAX + 1)              /* codes 0..KEY_MAX */
#define VI_LEDS      3                          /* Num, Caps, Scroll Lock */
#define VI_REPORT_MAX 8                         /* events in one report */

struct vi_event {
	uint16_t type, code;
	uint32_t value;
};

struct virtio_input {
	struct virtio_pci *vp;
	enum virtio_input_kind kind;
	char name[64];
	char serial[64];
	uint8_t select, subsel;
	uint8_t keybits[VI_KEY_BITS / 8];         /* what EV_BITS EV_KEY says */
	uint8_t down[VI_KEY_BITS / 8];            /* keys pressed now */
	unsigned int buttons;                     /* tablet: INPUT_BTN_* mask */
	unsigned int leds;
	/* pending events: a ring of VIRTIO_INPUT_PENDING */
	struct vi_event pending[VIRTIO_INPUT_PENDING];
	unsigned int head, count;
	struct virtio_input_stats stats;
	struct virtq_elem elem;
};

static bool vi_bit(const uint8_t *map, unsigned int bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

static void vi_set_bit(uint8_t *map, unsigned int bit, bool on)
{
	if (on)
		map[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

/* ---- configuration space ------------------------------------------------- */

/* The union for the current select/subsel into u (zeroed); its size. */
static unsigned int vi_config_union(const struct virtio_input *vi, uint8_t *u)
{
	bool tablet = vi->kind == VIRTIO_INPUT_TABLET;
	unsigned int n = 0;

	memset(u, 0, VIRTIO_INPUT_CFG_U_LEN);
	switch (vi->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
	case VIRTIO_INPUT_CFG_ID_SERIAL: {
		const char *s = vi->select == VIRTIO_INPUT_CFG_ID_NAME ? vi->name : vi->serial;
		if (vi->subsel)
			return 0;
		n = (unsigned int)strnlen(s, sizeof(vi->name));   /* name, serial: 64 */
		memcpy(u, s, n);     /* no NUL: size says where it ends */
		return n;
	}
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		if (vi->subsel)
			return 0;
		put_le16(u, VIRTIO_INPUT_BUSTYPE);
		put_le16(u + 2, VIRTIO_INPUT_VENDOR);
		put_le16(u + 4, tablet ? VIRTIO_INPUT_PRODUCT_TABLET : VIRTIO_INPUT_PRODUCT_KBD);
		put_le16(u + 6, 1);
		return 8;
	case VIRTIO_INPUT_CFG_PROP_BITS:
		return 0;    /* no INPUT_PROP_*: subsel 0 has an empty bitmap */
	case VIRTIO_INPUT_CFG_EV_BITS:
		switch (vi->subsel) {
		case EV_KEY:
			if (tablet) {
				vi_set_bit(u, BTN_LEFT, true);
				vi_set_bit(u, BTN_RIGHT, true);
				vi_set_bit(u, BTN_MIDDLE, true);
				return BTN_MIDDLE / 8 + 1;
			}
			memcpy(u, vi->keybits, MIN(sizeof(vi->keybits),
						   (size_t)VIRTIO_INPUT_CFG_U_LEN));
			for (n = VIRTIO_INPUT_CFG_U_LEN; n && !u[n - 1]; n--)
				;
			return n;
		case EV_REL:
			if (!tablet)
				return 0;
			vi_set_bit(u, REL_WHEEL, true);
			return REL_WHEEL / 8 + 1;
		case EV_ABS:
			if (!tablet)
				return 0;
			vi_set_bit(u, ABS_X, true);
			vi_set_bit(u, ABS_Y, true);
			return 1;
		case EV_LED:
			if (tablet)
				return 0;
			u[0] = (1u << LED_NUML) | (1u << LED_CAPSL) | (1u << LED_SCROLLL);
			return 1;
		case EV_REP:
			/* present (size 1, no codes): the guest autorepeats */
			return tablet ? 0 : 1;
		default:
			return 0;
		}
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (!tablet || (vi->subsel != ABS_X && vi->subsel != ABS_Y))
			return 0;
		put_le32(u, 0);                       /* min */
		put_le32(u + 4, VIRTIO_INPUT_ABS_MAX); /* max */
		put_le32(u + 8, 0);                   /* fuzz */
		put_le32(u + 12, 0);                  /* flat */
		put_le32(u + 16, 0);                  /* res: unknown */
		return 20;
	default:
		return 0;    /* UNSET and anything unknown */
	}
}

static void vi_config_read(void *dev, unsigned int off, uint8_t *buf, unsigned int len)
{
	struct virtio_input *vi = dev;
	uint8_t cfg[VIRTIO_INPUT_CFG_LEN];

	memset(cfg, 0, sizeof(cfg));
	cfg[VIRTIO_INPUT_CFG_SELECT] = vi->select;
	cfg[VIRTIO_INPUT_CFG_SUBSEL] = vi->subsel;
	cfg[VIRTIO_INPUT_CFG_SIZE] = (uint8_t)vi_config_union(vi, cfg + VIRTIO_INPUT_CFG_U);
	/* the transport keeps off+len within config_len; check anyway */
	if (off >= sizeof(cfg) || len > sizeof(cfg) - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, cfg + off, len);
}

static void vi_config_write(void *dev, unsigned int off, const uint8_t *buf,
			    unsigned int len)
{
	struct virtio_input *vi = dev;

	for (unsigned int i = 0; i < len; i++) {
		if (off + i == VIRTIO_INPUT_CFG_SELECT)
			vi->select = buf[i];
		else if (off + i == VIRTIO_INPUT_CFG_SUBSEL)
			vi->subsel = buf[i];
		/* size and the union are read-only */
	}
}

/* ---- the event queue -------------------------------------------------------- */

/* Moves pending events into the driver's buffers.  Lock held. */
static void vi_flush(struct virtio_input *vi)
{
	struct virtq *vq;
	bool pushed = false;

	if (!virtio_pci_queue_ready(vi->vp, VIRTIO_INPUT_EVENTQ))
		return;
	vq = virtio_pci_queue(vi->vp, VIRTIO_INPUT_EVENTQ);
	while (vi->count) {
		int r = virtq_pop(vq, &vi->elem);
		if (r == 0)
			break;
		if (r == -EINVAL) {     /* malformed chain, already returned */
			pushed = true;
			continue;
		}
		if (r < 0) {            /* the ring is corrupt */
			virtio_pci_needs_reset(vi->vp);
			return;
		}
		pushed = true;
		if (vi->elem.in_len < VIRTIO_INPUT_EVENT_SIZE) {
			vi->stats.bad_buffers++;
			virtq_push(vq, vi->elem.head, 0);
			continue;
		}
		const struct vi_event *ev = &vi->pending[vi->head];
		uint8_t raw[VIRTIO_INPUT_EVENT_SIZE];
		put_le16(raw, ev->type);
		put_le16(raw + 2, ev->code);
		put_le32(raw + 4, ev->value);
		virtq_iov_from_buf(vi->elem.iov + vi->elem.out_num, vi->elem.in_num, 0, raw,
				   sizeof(raw));
		virtq_push(vq, vi->elem.head, sizeof(raw));
		vi->head = (vi->head + 1) % VIRTIO_INPUT_PENDING;
		vi->count--;
		vi->stats.sent++;
	}
	if (pushed)
		virtio_pci_queue_done(vi->vp, VIRTIO_INPUT_EVENTQ);
}

/* Appends one report (n events and a SYN_REPORT) whole or not at all,
 * then sends what the driver has room for.  Lock held. */
static void vi_report(struct virtio_input *vi, const struct vi_event *evs, unsigned int n)
{
	if (n == 0)
		return;
	if (vi->count + n + 1 > VIRTIO_INPUT_PENDING) {
		vi->stats.dropped += n + 1;
		return;
	}
	for (unsigned int i = 0; i <= n; i++) {
		struct vi_event syn = { EV_SYN, SYN_REPORT, 0 };
		vi->pending[(vi->head + vi->count) % VIRTIO_INPUT_PENDING] = i < n ? evs[i] : syn;
		vi->count++;
	}
	vi_flush(vi);
}

/* ---- the status queue -------------------------------------------------------- */

/* LED changes from the driver: anything else is counted and ignored. */
static void vi_status(struct virtio_input *vi)
{
	struct virtq *vq = virtio_pci_queue(vi->vp, VIRTIO_INPUT_STATUSQ);
	bool pushed = false;
	int r;

	while ((r = virtq_pop(vq, &vi->elem)) != 0) {
		pushed = true;
		if (r == -EINVAL)
			continue;
		if (r < 0) {
			virtio_pci_needs_reset(vi->vp);
			return;
		}
		uint8_t raw[VIRTIO_INPUT_EVENT_SIZE];
		size_t got = virtq_iov_to_buf(vi->elem.iov, vi->elem.out_num, 0, raw, sizeof(raw));
		uint16_t type = get_le16(raw), code = get_le16(raw + 2);
		uint32_t value = get_le32(raw + 4);
		if (got == sizeof(raw) && type == EV_LED && code < VI_LEDS && value <= 1 &&
		    vi->kind == VIRTIO_INPUT_KEYBOARD) {
			if (value)
				vi->leds |= 1u << code;
			else
				vi->leds &= ~(1u << code);
		} else if (got != sizeof(raw) || type != EV_SYN) {
			vi->stats.bad_status++;
		}
		virtq_push(vq, vi->elem.head, 0);
	}
	if (pushed)
		virtio_pci_queue_done(vi->vp, VIRTIO_INPUT_STATUSQ);
}

/* ---- transport callbacks ------------------------------------------------------ */

static void vi_queue_notify(void *dev, unsigned int idx)
{
	struct virtio_input *vi = dev;

	if (idx == VIRTIO_INPUT_EVENTQ)
		vi_flush(vi);
	else if (idx == VIRTIO_INPUT_STATUSQ)
		vi_status(vi);
}

static void vi_driver_ok(void *dev)
{
	vi_flush(dev);
}

/* A driver that starts over gets no events from before; the keys and
 * buttons it did not see pressed are not down for it. */
static void vi_reset(void *dev)
{
	struct virtio_input *vi = dev;

	vi->select = vi->subsel = 0;
	vi->head = vi->count = 0;
	vi->leds = 0;
	vi->buttons = 0;
	memset(vi->down, 0, sizeof(vi->down));
}

static int vi_snapshot(void *dev, struct snap *s)
{
	struct virtio_input *vi = dev;
	uint32_t version = 1, kind = vi->kind;

	snap_section(s, "virtio-input", &version);
	snap_u32(s, &kind);
	snap_u8(s, &vi->select);
	snap_u8(s, &vi->subsel);
	snap_bytes(s, vi->down, sizeof(vi->down));
	snap_u32(s, &vi->buttons);
	snap_u32(s, &vi->leds);
	snap_u32(s, &vi->head);
	snap_u32(s, &vi->count);
	for (unsigned int i = 0; i < VIRTIO_INPUT_PENDING; i++) {
		snap_u16(s, &vi->pending[i].type);
		snap_u16(s, &vi->pending[i].code);
		snap_u32(s, &vi->pending[i].value);
	}
	if (snap_loading(s) && !snap_error(s) &&
	    (kind != vi->kind || vi->head >= VIRTIO_INPUT_PENDING ||
	     vi->count > VIRTIO_INPUT_PENDING || vi->leds >= (1u << VI_LEDS) ||
	     vi->buttons > 7)) {
		snap_fail(s, -EINVAL);
		vi_reset(vi);
	}
	return snap_error(s);
}

static const struct virtio_dev_ops vi_ops = {
	.queue_notify = vi_queue_notify,
	.config_read = vi_config_read,
	.config_write = vi_config_write,
	.driver_ok = vi_driver_ok,
	.reset = vi_reset,
	.snapshot = vi_snapshot,
};

/* ---- the host side ------------------------------------------------------------- */

static bool vi_has_key(const struct virtio_input *vi, unsigned int code)
{
	if (vi->kind == VIRTIO_INPUT_TABLET)
		return code == BTN_LEFT || code == BTN_RIGHT || code == BTN_MIDDLE;
	return code < VI_KEY_BITS && vi_bit(vi->keybits, code);
}

void virtio_input_key(struct virtio_input *vi, unsigned int code, bool down)
{
	struct vi_event ev = { EV_KEY, (uint16_t)code, 0 };

	virtio_pci_lock(vi->vp);
	if (vi_has_key(vi, code)) {
		bool was = vi_bit(vi->down, code);
		if (down || was) {   /* a release of a key not down is no event */
			ev.value = !down ? 0 : was ? 2 : 1;
			vi_set_bit(vi->down, code, down);
			if (vi->kind == VIRTIO_INPUT_TABLET) {
				unsigned int b = code == BTN_LEFT ? 1 : code == BTN_RIGHT ? 2 : 4;
				vi->buttons = down ? vi->buttons | b : vi->buttons & ~b;
			}
			vi_report(vi, &ev, 1);
		}
	}
	virtio_pci_unlock(vi->vp);
}

void virtio_input_abs(struct virtio_input *vi, unsigned int x, unsigned int y, int dz,
		      unsigned int buttons)
{
	static const uint16_t btn[3] = { BTN_LEFT, BTN_RIGHT, BTN_MIDDLE };
	struct vi_event evs[VI_REPORT_MAX];
	unsigned int n = 0;

	if (vi->kind != VIRTIO_INPUT_TABLET)
		return;
	virtio_pci_lock(vi->vp);
	evs[n++] = (struct vi_event){ EV_ABS, ABS_X, MIN(x, (unsigned int)VIRTIO_INPUT_ABS_MAX) };
	evs[n++] = (struct vi_event){ EV_ABS, ABS_Y, MIN(y, (unsigned int)VIRTIO_INPUT_ABS_MAX) };
	for (unsigned int i = 0; i < 3; i++) {
		bool now = buttons & (1u << i), was = vi->buttons & (1u << i);
		if (now != was) {
			evs[n++] = (struct vi_event){ EV_KEY, btn[i], now };
			vi_set_bit(vi->down, btn[i], now);
		}
	}
	vi->buttons = buttons & 7;
	if (dz)
		evs[n++] = (struct vi_event){ EV_REL, REL_WHEEL, (uint32_t)-dz };
	vi_report(vi, evs, n);
	virtio_pci_unlock(vi->vp);
}

bool virtio_input_active(struct virtio_input *vi)
{
	bool r;

	virtio_pci_lock(vi->vp);
	r = virtio_pci_queue_ready(vi->vp, VIRTIO_INPUT_EVENTQ);
	virtio_pci_unlock(vi->vp);
	return r;
}

unsigned int virtio_input_leds(struct virtio_input *vi)
{
	unsigned int r;

	virtio_pci_lock(vi->vp);
	r = vi->leds;
	virtio_pci_unlock(vi->vp);
	return r;
}

void virtio_input_get_stats(struct virtio_input *vi, struct virtio_input_stats *st)
{
	virtio_pci_lock(vi->vp);
	*st = vi->stats;
	virtio_pci_unlock(vi->vp);
}

/* ---- life cycle ------------------------------------------------------------------ */

int virtio_input_create(const struct virtio_input_params *p, struct virtio_input **out)
{
	bool tablet = p->kind == VIRTIO_INPUT_TABLET;
	struct virtio_input *vi;
	int rc;

	*out = NULL;
	if (p->kind != VIRTIO_INPUT_TABLET && p->kind != VIRTIO_INPUT_KEYBOARD)
		return -EINVAL;
	vi = calloc(1, sizeof(*vi));
	if (!vi)
		return -ENOMEM;
	vi->kind = p->kind;
	snprintf(vi->name, sizeof(vi->name), "%s",
		 tablet ? "ttyvm virtio tablet" : "ttyvm virtio keyboard");
	if (p->serial)
		snprintf(vi->serial, sizeof(vi->serial), "%s", p->serial);
	if (!tablet) {
		if (p->keys) {
			for (unsigned int i = 0; i < p->nkeys; i++)
				if (p->keys[i] && p->keys[i] < VI_KEY_BITS)
					vi_set_bit(vi->keybits, p->keys[i], true);
		} else {
			for (unsigned int c = 1; c < 256; c++)
				vi_set_bit(vi->keybits, c, true);
		}
	}
	struct virtio_pci_params vpp = {
		.name = tablet ? "virtio-tablet" : "virtio-keyboard",
		.device_id = VIRTIO_ID_INPUT,
		.class_code = PCI_CLASS_INPUT_OTHER,
		.features = 0,
		.num_queues = 2,
		.queue_size = VIRTIO_INPUT_QUEUE_SIZE,
		.config_len = VIRTIO_INPUT_CFG_LEN,
		.ops = &vi_ops,
		.opaque = vi,
		.mem = p->mem,
	};
	rc = virtio_pci_create(&vpp, &vi->vp);
	if (rc < 0) {
		free(vi);
		return rc;
	}
	*out = vi;
	return 0;
}

void virtio_input_destroy(struct virtio_input *vi)
{
	if (!vi)
		return;
	virtio_pci_destroy(vi->vp);
	free(vi);
}

struct virtio_pci *virtio_input_transport(struct virtio_input *vi)
{
	return vi->vp;
}

int virtio_input_snapshot(struct virtio_input *vi, struct snap *s)
{
	return virtio_pci_snapshot(vi->vp, s);
}

/* ---- machine glue ------------------------------------------------------------------- */

struct vi_glue {
	struct virtio_input *vi;
	struct input *router;    /* NULL: none in this machine */
};

static bool vi_sink_active(void *ctx)
{
	return virtio_input_active(ctx);
}

static void vi_sink_key(void *ctx, unsigned int code, bool down)
{
	virtio_input_key(ctx, code, down);
}

/* The router's buttons are INPUT_BTN_* (PS/2 order: left, right,
 * middle), the same bits virtio_input_abs() takes. */
static void vi_sink_abs(void *ctx, unsigned int x, unsigned int y, int dz,
			unsigned int buttons)
{
	virtio_input_abs(ctx, x, y, dz, buttons & INPUT_BTN_MASK);
}

static void vi_dev_teardown(void *dev)
{
	struct vi_glue *g = dev;

	if (g->router) {
		/* after this returns the router calls us no more */
		if (g->vi->kind == VIRTIO_INPUT_TABLET)
			input_set_abs_sink(g->router, NULL);
		else
			input_set_key_sink(g->router, NULL);
	}
	virtio_input_destroy(g->vi);
	free(g);
}

static void vi_dev_reset(void *dev)
{
	struct vi_glue *g = dev;
	virtio_pci_reset(g->vi->vp);
}

static int vi_dev_snapshot(void *dev, struct snap *s)
{
	struct vi_glue *g = dev;
	return virtio_input_snapshot(g->vi, s);
}

static const struct device_desc virtio_input_desc;

static int vi_setup_one(struct machine *m, enum virtio_input_kind kind)
{
	struct input *router = machine_find(m, "input");
	uint16_t keys[512];
	unsigned int nkeys = 0;
	struct vi_glue *g;
	int rc;

	for (size_t i = 0; i < keymap_count() && nkeys < ARRAY_SIZE(keys); i++)
		keys[nkeys++] = keymap_at(i)->code;
	struct virtio_input_params p = {
		.kind = kind,
		.serial = kind == VIRTIO_INPUT_TABLET ? "tablet0" : "keyboard0",
		.keys = keys,
		.nkeys = nkeys,
		.mem = machine_mem(m),
	};
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	rc = virtio_input_create(&p, &g->vi);
	if (rc < 0) {
		free(g);
		return rc;
	}
	/* attached first: from here on the machine's teardown frees it */
	rc = machine_attach(m, &virtio_input_desc, g);
	if (rc < 0) {
		virtio_input_destroy(g->vi);
		free(g);
		return rc;
	}
	rc = pci_bus_add(machine_pci_bus(m), virtio_pci_dev(g->vi->vp), -1);
	if (rc < 0)
		return rc;
	g->router = router;
	if (router && kind == VIRTIO_INPUT_TABLET) {
		struct input_abs_sink sink = { vi_sink_active, vi_sink_abs, g->vi };
		input_set_abs_sink(router, &sink);
	} else if (router) {
		struct input_key_sink sink = { vi_sink_active, vi_sink_key, g->vi };
		input_set_key_sink(router, &sink);
	}
	return 0;
}

/* The devices --input asks for (default: a tablet), on the PCI bus. */
static int virtio_input_setup(struct machine *m)
{
	const struct vm_config *cfg = machine_config(m);
	unsigned int want = cfg->input ? cfg->input : VM_INPUT_TABLET;
	int rc = 0;

	if ((want & VM_INPUT_NONE) || !machine_pci_bus(m))
		return 0;
	if (want & VM_INPUT_TABLET)
		rc = vi_setup_one(m, VIRTIO_INPUT_TABLET);
	if (rc == 0 && (want & VM_INPUT_KEYBOARD))
		rc = vi_setup_one(m, VIRTIO_INPUT_KEYBOARD);
	return rc;
}

static const struct device_desc virtio_input_desc = {
	.name = "virtio-input",
	.order = DEVICE_ORDER_DEV,
	.setup = virtio_input_setup,
	.teardown = vi_dev_teardown,
	.reset = vi_dev_reset,
	.snapshot = vi_dev_snapshot,
};
DEVICE_DEFINE(virtio_input_desc);
