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

struct vq_avail { u16 flags; u16 idx; u16 ring[QSIZE]; u16 used_event; };
struct vq_used { u16 flags; u16 idx; struct vq_used_elem ring[QSIZE]; u16 avail_event; };
struct event { u16 type; u16 code; u32 value; };

struct dev {
	struct virtio_pci vp;
	u16 notify_off;
	u16 avail_idx, used_seen;
	struct vq_desc desc[QSIZE] __attribute__((aligned(16)));
	struct vq_avail avail __attribute__((aligned(2)));
	struct vq_used used __attribute__((aligned(4)));
	struct event ev[QSIZE];
};

static struct dev devs[MAXDEV];

/* select/subsel; returns size. */
static u32 cfg_select(struct dev *d, u8 sel, u8 sub)
{
	w8(d->vp.devcfg + CFG_SELECT, sel);
	w8(d->vp.devcfg + CFG_SUBSEL, sub);
	return r8(d->vp.devcfg + CFG_SIZE);
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
	virtio_pci_reset(&d->vp);
	w32(d->vp.common + COM_DFSELECT, 1);
	if (!(r32(d->vp.common + COM_DF) & 1))
		return -1;
	w32(d->vp.common + COM_GFSELECT, 0);
	w32(d->vp.common + COM_GF, 0);
	w32(d->vp.common + COM_GFSELECT, 1);
	w32(d->vp.common + COM_GF, 1);
	w8(d->vp.common + COM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(r8(d->vp.common + COM_STATUS) & ST_FEATURES_OK))
		return -2;
	int noff = virtio_pci_queue(&d->vp, 0, QSIZE, d->desc, &d->avail, &d->used);
	if (noff < 0)
		return -3;
	d->notify_off = (u16)noff;
	for (u16 i = 0; i < QSIZE; i++)
		offer(d, i);
	return 0;
}

static void describe(struct dev *d)
{
	char name[129];
	u32 n = cfg_select(d, SEL_ID_NAME, 0);

	for (u32 i = 0; i < n && i < 128; i++)
		name[i] = (char)r8(d->vp.devcfg + CFG_U + i);
	name[n < 128 ? n : 128] = 0;
	cfg_select(d, SEL_ID_DEVIDS, 0);
	u64 u = d->vp.devcfg + CFG_U;
	kprintf("virtioinput: pci=00:%02x.0 name=%s devids=%04x:%04x:%04x\n", d->vp.bdf >> 3, name,
		r16(u), r16(u + 2), r16(u + 4));
	if (cfg_select(d, SEL_EV_BITS, EV_ABS)) {
		cfg_select(d, SEL_ABS_INFO, 0);
		u32 xmin = r32(d->vp.devcfg + CFG_U), xmax = r32(d->vp.devcfg + CFG_U + 4);
		cfg_select(d, SEL_ABS_INFO, 1);
		u32 ymin = r32(d->vp.devcfg + CFG_U), ymax = r32(d->vp.devcfg + CFG_U + 4);
		kprintf("virtioinput: pci=00:%02x.0 abs_x=%u..%u abs_y=%u..%u\n", d->vp.bdf >> 3,
			xmin, xmax, ymin, ymax);
	} else {
		u32 len = cfg_select(d, SEL_EV_BITS, EV_KEY), keys = 0;
		for (u32 i = 0; i < len; i++)
			for (u8 b = r8(d->vp.devcfg + CFG_U + i); b; b &= (u8)(b - 1))
				keys++;
		u32 leds = cfg_select(d, SEL_EV_BITS, EV_LED) ? r8(d->vp.devcfg + CFG_U) : 0;
		u32 rep = cfg_select(d, SEL_EV_BITS, EV_REP) != 0;
		kprintf("virtioinput: pci=00:%02x.0 keys=%u leds=%u rep=%u\n", d->vp.bdf >> 3, keys,
			leds, rep);
	}
	kprintf("virtioinput: bad select size=%u\n", cfg_select(d, 0x42, 7));
}

void virtio_input_test(void)
{
	struct deadline dl;
	u32 bdf[MAXDEV];
	int esc_seen = 0;

	u32 ndev = virtio_pci_find(VIRTIO_INPUT_MODERN, bdf, MAXDEV);
	if (!ndev) {
		kprintf("virtioinput: FAIL no virtio-input device on bus 0\n");
		return;
	}
	for (u32 i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];
		int r = virtio_pci_caps(&d->vp, bdf[i]) < 0 ? -9 : bring_up(d);
		if (r < 0) {
			kprintf("virtioinput: FAIL bring-up of 00:%02x.0 (%d)\n", bdf[i] >> 3, r);
			return;
		}
		describe(d);
	}
	for (u32 i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];
		w8(d->vp.common + COM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
		virtio_pci_kick(&d->vp, d->notify_off, 0);
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
						kprintf("virtioinput: event dev=%02x type=%u "
							"code=%u value=%d\n", d->vp.bdf >> 3,
							e.type, e.code, (int)e.value);
					if (e.type == EV_KEY && e.code == KEY_ESC && e.value == 0)
						esc_seen = 1;
				}
				d->used_seen++;
				if (id < QSIZE)
					offer(d, id);
				virtio_pci_kick(&d->vp, d->notify_off, 0);
			}
		}
		cpu_relax();
	}
	kprintf(esc_seen ? "virtioinput: done\n" : "virtioinput: FAIL no Esc within 120 s\n");
}
