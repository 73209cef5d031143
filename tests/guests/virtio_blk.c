/*
 * virtio_blk.c - test mode `virtioblk`: a minimal virtio 1.x driver.
 *
 * Finds the first modern virtio-blk PCI function (1AF4:1042) on bus 0
 * through configuration mechanism #1, walks its vendor capabilities to the
 * common, notify and device configuration structures, negotiates
 * VERSION_1 and FLUSH, sets up queue 0 and then, polling the used ring:
 *   writes 4 sectors at sector 8 with a known pattern, FLUSHes, reads them
 *   back and compares, and hashes sector 0 as the device returns it.
 * Lines printed (the integration test checks them, and the image file):
 *   virtioblk: pci=BB:DD.F capacity=N
 *   virtioblk: sector0 fnv1a=0x%08x
 *   virtioblk: write ok / flush ok / readback ok   (or virtioblk: FAIL ...)
 * The pattern byte i of sector s is (s * 31 + i * 7) & 0xff.
 * Direct boot assigns BARs below 4 GiB, which the boot page tables map.
 */
#include "tk.h"

#define VIRTIO_BLK_MODERN  0x1042

#define F_FLUSH    9   /* in the low word */
#define F_VERSION1 0   /* bit 32: bit 0 of the high word */

#define QSIZE 8
#define SECTORS 4
#define FIRST_SECTOR 8

struct vq_avail { u16 flags; u16 idx; u16 ring[QSIZE]; u16 used_event; };
struct vq_used { u16 flags; u16 idx; struct vq_used_elem ring[QSIZE]; u16 avail_event; };
struct blk_req { u32 type; u32 reserved; u64 sector; };

static struct vq_desc desc[QSIZE] __attribute__((aligned(16)));
static struct vq_avail avail __attribute__((aligned(2)));
static struct vq_used used __attribute__((aligned(4)));
static struct blk_req req __attribute__((aligned(16)));
static u8 data[SECTORS * 512] __attribute__((aligned(4096)));
static volatile u8 status;

static struct virtio_pci vp;
static u16 notify_off;

/* Queues one chain: header, data (if any), status; waits for it. */
static int submit(u32 type, u64 sector, u32 len, int device_writes)
{
	static u16 next_avail;
	struct deadline d;

	req.type = type;
	req.reserved = 0;
	req.sector = sector;
	status = 0xFF;
	int n = 0;
	desc[n] = (struct vq_desc){ (u64)(uptr)&req, sizeof(req), 1, (u16)(n + 1) };
	n++;
	if (len) {
		desc[n] = (struct vq_desc){ (u64)(uptr)data, len,
					   (u16)(1 | (device_writes ? 2 : 0)), (u16)(n + 1) };
		n++;
	}
	desc[n] = (struct vq_desc){ (u64)(uptr)&status, 1, 2, 0 };

	u16 used_before = used.idx;
	avail.ring[next_avail % QSIZE] = 0;
	barrier();
	next_avail++;
	avail.idx = next_avail;
	barrier();
	virtio_pci_kick(&vp, notify_off, 0);
	deadline_start(&d, 5000);
	while (*(volatile u16 *)&used.idx == used_before) {
		if (deadline_expired(&d))
			return -1;
		cpu_relax();
	}
	barrier();
	return status == 0 ? 0 : -2;
}

static u8 pattern(u32 sector, u32 i)
{
	return (u8)(sector * 31 + i * 7);
}

void virtio_blk_test(void)
{
	u32 bdf;

	if (!virtio_pci_find(VIRTIO_BLK_MODERN, &bdf, 1)) {
		kprintf("virtioblk: FAIL no virtio-blk device on bus 0\n");
		return;
	}
	if (virtio_pci_caps(&vp, bdf) < 0) {
		kprintf("virtioblk: FAIL capabilities missing\n");
		return;
	}
	virtio_pci_reset(&vp);
	w32(vp.common + COM_DFSELECT, 1);
	u32 hi = r32(vp.common + COM_DF);
	w32(vp.common + COM_DFSELECT, 0);
	u32 lo = r32(vp.common + COM_DF);
	if (!(hi & (1u << F_VERSION1))) {
		kprintf("virtioblk: FAIL no VERSION_1\n");
		return;
	}
	w32(vp.common + COM_GFSELECT, 0);
	w32(vp.common + COM_GF, lo & (1u << F_FLUSH));
	w32(vp.common + COM_GFSELECT, 1);
	w32(vp.common + COM_GF, 1u << F_VERSION1);
	w8(vp.common + COM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(r8(vp.common + COM_STATUS) & ST_FEATURES_OK)) {
		kprintf("virtioblk: FAIL features refused\n");
		return;
	}
	int noff = virtio_pci_queue(&vp, 0, QSIZE, desc, &avail, &used);
	if (noff < 0) {
		kprintf("virtioblk: FAIL queue too small\n");
		return;
	}
	notify_off = (u16)noff;
	w8(vp.common + COM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);

	u64 capacity = (u64)r32(vp.devcfg) | ((u64)r32(vp.devcfg + 4) << 32);
	kprintf("virtioblk: pci=00:%02x.%u capacity=%llu\n", bdf >> 3, bdf & 7, capacity);

	if (submit(0, 0, 512, 1) < 0) {
		kprintf("virtioblk: FAIL read of sector 0\n");
		return;
	}
	u32 h = 0x811c9dc5u;
	for (u32 i = 0; i < 512; i++)
		h = (h ^ data[i]) * 0x01000193u;
	kprintf("virtioblk: sector0 fnv1a=0x%08x\n", h);

	for (u32 s = 0; s < SECTORS; s++)
		for (u32 i = 0; i < 512; i++)
			data[s * 512 + i] = pattern(FIRST_SECTOR + s, i);
	if (submit(1, FIRST_SECTOR, sizeof(data), 0) < 0) {
		kprintf("virtioblk: FAIL write\n");
		return;
	}
	kprintf("virtioblk: write ok\n");
	if (lo & (1u << F_FLUSH)) {
		if (submit(4, 0, 0, 0) < 0) {
			kprintf("virtioblk: FAIL flush\n");
			return;
		}
		kprintf("virtioblk: flush ok\n");
	} else {
		kprintf("virtioblk: FAIL device offers no FLUSH\n");
	}
	memset(data, 0, sizeof(data));
	if (submit(0, FIRST_SECTOR, sizeof(data), 1) < 0) {
		kprintf("virtioblk: FAIL read back\n");
		return;
	}
	for (u32 s = 0; s < SECTORS; s++)
		for (u32 i = 0; i < 512; i++)
			if (data[s * 512 + i] != pattern(FIRST_SECTOR + s, i)) {
				kprintf("virtioblk: FAIL read back differs at sector %u byte %u\n",
					FIRST_SECTOR + s, i);
				return;
			}
	kprintf("virtioblk: readback ok\n");
}
