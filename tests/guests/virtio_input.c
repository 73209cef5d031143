/*
 * virtio_input.c - test mode `virtioinput`: a minimal virtio 1.x input
 * driver.
 *
 * Finds every modern virtio-input PCI function (1AF4:1052) on bus 0 (at
 * most two), walks its vendor capabilities, negotiates VERSION_1, reads
 * its configuration space through select/subsel and gives its event
 * queue 16 buffers of 8 bytes.  Then it polls the used rings and prints
 * every event but SYN_REPORT, re-queueing the buffers, until it sees Esc
 * released (or 120 s pass).  Lines printed (the integration test checks
 * them):
 *   virtioinput: pci=00:DD.0 name=NAME devids=BUS:VENDOR:PRODUCT
 *   virtioinput: pci=00:DD.0 abs_x=MIN..MAX abs_y=MIN..MAX   (a tablet)
 *   virtioinput: pci=00:DD.0 keys=N leds=BITS rep=0|1        (a keyboard)
 *   virtioinput: bad select size=N                           (must be 0)
 *   virtioinput: ready
 *   virtioinput: event dev=DD type=T code=C value=V
 *   virtioinput: done      (or virtioinput: FAIL ...)
 */
#include "tk.h"

#define VIRTIO_INPUT_MODERN  0x1052

/* virtio_input_config */
#define CFG_SELECT 0
#define CFG_SUBSEL 1
#define CFG_SIZE   2
#define CFG_U      8
#define SEL_ID_NAME   0x01
#define SEL_ID_DEVIDS 0x03
#define SEL_EV_BITS   0x11
#define SEL_ABS_INFO  0x12
#define EV_SYN 0
#define EV_KEY 1
#define EV_ABS 3
#define EV_LED 0x11
#define EV_REP 0x14
#define KEY_ESC 1

#define QSIZE 16
#define MAXDEV 2

struct vq_desc { u64 addr; u32 len; u16 flags; u16 next; };
struct vq_avail { u16 flags; u16 idx; u16 ring[QSIZE]; u16 used_event; };
struct vq_used_elem { u32 id; u32 len; };
struct vq_used { u16 flags; u16 idx; struct vq_used_elem ring[QSIZE]; u16 avail_event; };
struct event { u16 type; u16 code; u32 value; };

struct dev {
	u32 bdf;
	u64 common, notify, devcfg;
	u32 notify_mult;
	u16 notify_off;
	u16 avail_idx, used_seen;
	struct vq_desc desc[QSIZE] __attribute__((aligned(16)));
	struct vq_avail avail __attribute__((aligned(2)));
	struct vq_used used __attribute__((aligned(4)));
	struct event ev[QSIZE];
};

static struct dev devs[MAXDEV];

static int find_caps(struct dev *d)
{
	u32 bdf = d->bdf;

	if (!(pci_read(bdf, 0x04) & (0x10u << 16)))
		return -1;
	u32 ptr = pci_read(bdf, 0x34) & 0xFC;
	for (int guard = 0; ptr && guard < 48; guard++) {
		u32 hdr = pci_read(bdf, ptr);
		u32 next = (hdr >> 8) & 0xFC;
		if ((hdr & 0xFF) == 0x09) {
			u32 type = (hdr >> 24) & 0xFF;
			u32 bar = pci_read(bdf, ptr + 4) & 0xFF;
			u32 off = pci_read(bdf, ptr + 8);
			if (bar < 6) {
				u64 base = bar_addr(bdf, bar) + off;
				if (type == CAP_COMMON && !d->common)
					d->common = base;
				else if (type == CAP_NOTIFY && !d->notify) {
					d->notify = base;
					d->notify_mult = pci_read(bdf, ptr + 16);
				} else if (type == CAP_DEVICE && !d->devcfg)
					d->devcfg = base;
			}
		}
		ptr = next;
	}
	return d->common && d->notify && d->devcfg ? 0 : -1;
}

/* select/subsel; returns size. */
static u32 cfg_select(struct dev *d, u8 sel, u8 sub)
{
	w8(d->devcfg + CFG_SELECT, sel);
	w8(d->devcfg + CFG_SUBSEL, sub);
	return r8(d->devcfg + CFG_SIZE);
}

static void offer(struct dev *d, u16 i)
{
	d->desc[i] = (struct vq_desc){ (u64)(uptr)&d->ev[i], sizeof(d->ev[i]), 2, 0 };
	d->avail.ring[d->avail_idx % QSIZE] = i;
	barrier();
	d->avail_idx++;
	d->avail.idx = d->avail_idx;
	barrier();
}

static int bring_up(struct dev *d)
{
	pci_write(d->bdf, 0x04, (pci_read(d->bdf, 0x04) & 0xFFFF) | 0x6);
	w8(d->common + COM_STATUS, 0);
	while (r8(d->common + COM_STATUS) != 0)
		cpu_relax();
	w8(d->common + COM_STATUS, ST_ACK | ST_DRIVER);
	w32(d->common + COM_DFSELECT, 1);
	if (!(r32(d->common + COM_DF) & 1))
		return -1;
	w32(d->common + COM_GFSELECT, 0);
	w32(d->common + COM_GF, 0);
	w32(d->common + COM_GFSELECT, 1);
	w32(d->common + COM_GF, 1);
	w8(d->common + COM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(r8(d->common + COM_STATUS) & ST_FEATURES_OK))
		return -2;
	w16(d->common + COM_Q_SELECT, 0);
	if (r16(d->common + COM_Q_SIZE) < QSIZE)
		return -3;
	w16(d->common + COM_Q_SIZE, QSIZE);
	w64(d->common + COM_Q_DESC, (u64)(uptr)d->desc);
	w64(d->common + COM_Q_DRIVER, (u64)(uptr)&d->avail);
	w64(d->common + COM_Q_DEVICE, (u64)(uptr)&d->used);
	d->notify_off = r16(d->common + COM_Q_NOFF);
	w16(d->common + COM_Q_ENABLE, 1);
	for (u16 i = 0; i < QSIZE; i++)
		offer(d, i);
	return 0;
}

static void describe(struct dev *d)
{
	char name[129];
	u32 n = cfg_select(d, SEL_ID_NAME, 0);

	for (u32 i = 0; i < n && i < 128; i++)
		name[i] = (char)r8(d->devcfg + CFG_U + i);
	name[n < 128 ? n : 128] = 0;
	cfg_select(d, SEL_ID_DEVIDS, 0);
	kprintf("virtioinput: pci=00:%02x.0 name=%s devids=%04x:%04x:%04x\n", d->bdf >> 3, name,
		r16(d->devcfg + CFG_U), r16(d->devcfg + CFG_U + 2), r16(d->devcfg + CFG_U + 4));
	if (cfg_select(d, SEL_EV_BITS, EV_ABS)) {
		cfg_select(d, SEL_ABS_INFO, 0);
		u32 xmin = r32(d->devcfg + CFG_U), xmax = r32(d->devcfg + CFG_U + 4);
		cfg_select(d, SEL_ABS_INFO, 1);
		u32 ymin = r32(d->devcfg + CFG_U), ymax = r32(d->devcfg + CFG_U + 4);
		kprintf("virtioinput: pci=00:%02x.0 abs_x=%u..%u abs_y=%u..%u\n", d->bdf >> 3,
			xmin, xmax, ymin, ymax);
	} else {
		u32 len = cfg_select(d, SEL_EV_BITS, EV_KEY), keys = 0;
		for (u32 i = 0; i < len; i++)
			for (u8 b = r8(d->devcfg + CFG_U + i); b; b &= (u8)(b - 1))
				keys++;
		u32 leds = cfg_select(d, SEL_EV_BITS, EV_LED) ? r8(d->devcfg + CFG_U) : 0;
		u32 rep = cfg_select(d, SEL_EV_BITS, EV_REP) != 0;
		kprintf("virtioinput: pci=00:%02x.0 keys=%u leds=%u rep=%u\n", d->bdf >> 3, keys,
			leds, rep);
	}
	kprintf("virtioinput: bad select size=%u\n", cfg_select(d, 0x42, 7));
}

void virtio_input_test(void)
{
	struct deadline dl;
	u32 ndev = 0;
	int esc_seen = 0;

	for (u32 slot = 0; slot < 32 && ndev < MAXDEV; slot++) {
		u32 id = pci_read(slot << 3, 0);
		if ((id & 0xFFFF) == VIRTIO_VENDOR && (id >> 16) == VIRTIO_INPUT_MODERN)
			devs[ndev++].bdf = slot << 3;
	}
	if (!ndev) {
		kprintf("virtioinput: FAIL no virtio-input device on bus 0\n");
		return;
	}
	for (u32 i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];
		int r = find_caps(d) < 0 ? -9 : bring_up(d);
		if (r < 0) {
			kprintf("virtioinput: FAIL bring-up of 00:%02x.0 (%d)\n", d->bdf >> 3, r);
			return;
		}
		describe(d);
	}
	for (u32 i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];
		w8(d->common + COM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
		w16(d->notify + (u64)d->notify_off * d->notify_mult, 0);
	}
	kprintf("virtioinput: ready\n");
	deadline_start(&dl, 120000);
	while (!esc_seen && !deadline_expired(&dl)) {
		for (u32 i = 0; i < ndev; i++) {
			struct dev *d = &devs[i];
			while (*(volatile u16 *)&d->used.idx != d->used_seen) {
				barrier();
				struct vq_used_elem *u = &d->used.ring[d->used_seen % QSIZE];
				u16 id = (u16)u->id;
				if (id < QSIZE && u->len == sizeof(struct event)) {
					struct event e = d->ev[id];
					if (e.type != EV_SYN)
						kprintf("virtioinput: event dev=%02x type=%u code=%u "
							"value=%d\n", d->bdf >> 3, e.type, e.code,
							(int)e.value);
					if (e.type == EV_KEY && e.code == KEY_ESC && e.value == 0)
						esc_seen = 1;
				}
				d->used_seen++;
				if (id < QSIZE)
					offer(d, id);
				w16(d->notify + (u64)d->notify_off * d->notify_mult, 0);
			}
		}
		cpu_relax();
	}
	kprintf(esc_seen ? "virtioinput: done\n" : "virtioinput: FAIL no Esc within 120 s\n");
}
