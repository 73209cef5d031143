/*
 * virtio_pci.c - what the test kernel's virtio drivers (virtio_blk.c,
 * virtio_input.c, virtio_net.c) share of virtio-pci modern (virtio 1.2,
 * 4.1): finding the functions on bus 0, walking the vendor capabilities to
 * the common, notify and device configuration structures (4.1.4), the
 * reset and the first status bits (3.1.1), a split virtqueue's setup
 * (4.1.5.1.3) and its notification.  Feature negotiation, the rings'
 * sizes and contents, and what each driver prints stay with the driver.
 */
#include "tk.h"

u32 virtio_pci_find(u16 device, u32 *bdf, u32 max)
{
	u32 n = 0;

	for (u32 slot = 0; slot < 32 && n < max; slot++) {
		u32 id = pci_read(slot << 3, 0);
		if ((id & 0xFFFF) == VIRTIO_VENDOR && (id >> 16) == device)
			bdf[n++] = slot << 3;
	}
	return n;
}

int virtio_pci_caps(struct virtio_pci *v, u32 bdf)
{
	*v = (struct virtio_pci){ .bdf = bdf };
	if (!(pci_read(bdf, 0x04) & (0x10u << 16)))
		return -1; /* no capability list */
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
				if (type == CAP_COMMON && !v->common)
					v->common = base;
				else if (type == CAP_NOTIFY && !v->notify) {
					v->notify = base;
					v->notify_mult = pci_read(bdf, ptr + 16);
				} else if (type == CAP_DEVICE && !v->devcfg)
					v->devcfg = base;
			}
		}
		ptr = next;
	}
	return v->common && v->notify && v->devcfg ? 0 : -1;
}

void virtio_pci_reset(const struct virtio_pci *v)
{
	/* memory decoding and bus mastering on */
	pci_write(v->bdf, 0x04, (pci_read(v->bdf, 0x04) & 0xFFFF) | 0x6);
	w8(v->common + COM_STATUS, 0);
	while (r8(v->common + COM_STATUS) != 0)
		cpu_relax();
	w8(v->common + COM_STATUS, ST_ACK | ST_DRIVER);
}

int virtio_pci_queue(const struct virtio_pci *v, u16 idx, u16 size, const void *desc,
		     const void *avail, const void *used)
{
	w16(v->common + COM_Q_SELECT, idx);
	if (r16(v->common + COM_Q_SIZE) < size)
		return -1;
	w16(v->common + COM_Q_SIZE, size);
	w64(v->common + COM_Q_DESC, (u64)(uptr)desc);
	w64(v->common + COM_Q_DRIVER, (u64)(uptr)avail);
	w64(v->common + COM_Q_DEVICE, (u64)(uptr)used);
	int noff = r16(v->common + COM_Q_NOFF);
	w16(v->common + COM_Q_ENABLE, 1);
	return noff;
}

void virtio_pci_kick(const struct virtio_pci *v, u16 noff, u16 idx)
{
	w16(v->notify + (u64)noff * v->notify_mult, idx);
}
