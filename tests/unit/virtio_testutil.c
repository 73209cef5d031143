/*
 * virtio_testutil.c - a driver's side of split virtqueues and the machine
 * around one virtio PCI device, for the virtio unit tests
 * (virtio_testutil.h).  The ring layout is the split virtqueue's of
 * virtio 1.2, 2.7: 16-byte descriptors; avail = flags, idx, ring[size],
 * used_event; used = flags, idx, {id, len}[size], avail_event.
 */
#include "unit.h"

#include <string.h>

#include "util/util.h"
#include "virtio_testutil.h"

/* ---- rings ------------------------------------------------------------------ */

void vtest_ring_init(struct vtest_ring *r, struct guest_mem *gm, uint64_t desc,
		     uint64_t avail, uint64_t used, uint16_t size)
{
	*r = (struct vtest_ring){
		.gm = gm, .desc = desc, .avail = avail, .used = used, .size = size,
	};
}

uint8_t *vtest_ptr(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(gm, gpa, len);

	assert_non_null(p);
	return p;
}

void vtest_desc(struct guest_mem *gm, uint64_t table, unsigned int i, uint64_t addr,
		uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = vtest_ptr(gm, table + 16ULL * i, 16);

	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, flags);
	put_le16(p + 14, next);
}

void vtest_set_avail_idx(struct vtest_ring *r, uint16_t idx)
{
	put_le16(vtest_ptr(r->gm, r->avail + 2, 2), idx);
}

void vtest_offer(struct vtest_ring *r, uint16_t head)
{
	put_le16(vtest_ptr(r->gm, r->avail + 4 + 2ULL * (r->avail_idx % r->size), 2), head);
	r->avail_idx++;
	vtest_set_avail_idx(r, r->avail_idx);
}

uint16_t vtest_used_idx(struct vtest_ring *r)
{
	return get_le16(vtest_ptr(r->gm, r->used + 2, 2));
}

void vtest_used(struct vtest_ring *r, unsigned int i, uint32_t *head, uint32_t *len)
{
	uint8_t *u = vtest_ptr(r->gm, r->used + 4 + 8ULL * (i % r->size), 8);

	*head = get_le32(u);
	*len = get_le32(u + 4);
}

bool vtest_used_next(struct vtest_ring *r, uint32_t *head, uint32_t *len)
{
	if (vtest_used_idx(r) == r->used_seen)
		return false;
	vtest_used(r, r->used_seen, head, len);
	r->used_seen++;
	return true;
}

void vtest_set_used_event(struct vtest_ring *r, uint16_t v)
{
	put_le16(vtest_ptr(r->gm, r->avail + 4 + 2ULL * r->size, 2), v);
}

uint16_t vtest_avail_event(struct vtest_ring *r)
{
	return get_le16(vtest_ptr(r->gm, r->used + 4 + 8ULL * r->size, 2));
}

/* ---- the machine ------------------------------------------------------------ */

int vtest_init(struct vtest *t, uint64_t ram)
{
	memset(t, 0, sizeof(*t));
	if (gmem_init(&t->gm, ram) < 0)
		return -1;
	if (trap_map_init(&t->host.traps) < 0)
		return -1;
	t->bus = pf_bus(&t->host, false);
	if (!t->bus)
		return -1;
	for (unsigned int q = 0; q < VTEST_NQ; q++)
		vtest_ring_init(&t->q[q], &t->gm, VTEST_DESC(q), VTEST_AVAIL(q), VTEST_USED(q),
				VTEST_QSIZE);
	return 0;
}

void vtest_done(struct vtest *t)
{
	pci_bus_destroy(t->bus);
	t->bus = NULL;
	trap_map_destroy(&t->host.traps);
	gmem_destroy(&t->gm);
}

void vtest_new_bus(struct vtest *t)
{
	struct fake_host *h = &t->host;

	pci_bus_destroy(t->bus);
	h->msis = 0;
	h->msi_addr = 0;
	h->msi_data = 0;
	memset(h->gsi, 0, sizeof(h->gsi));
	memset(h->gsi_calls, 0, sizeof(h->gsi_calls));
	t->bus = pf_bus(h, false);
	assert_non_null(t->bus);
}

uint8_t *vtest_gpa(struct vtest *t, uint64_t gpa, uint64_t len)
{
	return vtest_ptr(&t->gm, gpa, len);
}

uint64_t vtest_rd(struct vtest *t, uint64_t off, unsigned int size)
{
	return virtio_pci_bar_read(t->vp, off, size);
}

void vtest_wr(struct vtest *t, uint64_t off, unsigned int size, uint64_t val)
{
	virtio_pci_bar_write(t->vp, off, size, val);
}

uint64_t vtest_cc_rd(struct vtest *t, unsigned int reg, unsigned int size)
{
	return vtest_rd(t, VIRTIO_PCI_COMMON_OFF + reg, size);
}

void vtest_cc_wr(struct vtest *t, unsigned int reg, unsigned int size, uint64_t val)
{
	vtest_wr(t, VIRTIO_PCI_COMMON_OFF + reg, size, val);
}

uint64_t vtest_offered(struct vtest *t)
{
	uint64_t lo;

	vtest_cc_wr(t, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	lo = vtest_cc_rd(t, VIRTIO_PCI_COMMON_DF, 4);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return lo | vtest_cc_rd(t, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

void vtest_set_features(struct vtest *t, uint64_t feat)
{
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)feat);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_GF, 4, feat >> 32);
}

void vtest_notify(struct vtest *t, unsigned int q)
{
	vtest_wr(t, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

uint8_t vtest_negotiate(struct vtest *t, uint64_t feat)
{
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_STATUS, 1,
		    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vtest_set_features(t, feat);
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE |
		    VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return (uint8_t)vtest_cc_rd(t, VIRTIO_PCI_COMMON_STATUS, 1);
}

void vtest_start(struct vtest *t, uint64_t feat, unsigned int nq)
{
	assert_true(nq <= VTEST_NQ);
	assert_true(vtest_negotiate(t, feat) & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned int q = 0; q < nq; q++) {
		struct vtest_ring *r = &t->q[q];

		memset(vtest_gpa(t, VTEST_DESC(q), 0x10000), 0, 0x10000);
		vtest_ring_init(r, &t->gm, VTEST_DESC(q), VTEST_AVAIL(q), VTEST_USED(q),
				VTEST_QSIZE);
		vtest_cc_wr(t, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		vtest_cc_wr(t, VIRTIO_PCI_COMMON_Q_SIZE, 2, r->size);
		vtest_cc_wr(t, VIRTIO_PCI_COMMON_Q_DESCLO, 8, r->desc);
		vtest_cc_wr(t, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, r->avail);
		vtest_cc_wr(t, VIRTIO_PCI_COMMON_Q_USEDLO, 8, r->used);
		vtest_cc_wr(t, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		assert_int_equal(vtest_cc_rd(t, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	}
}

void vtest_driver_ok(struct vtest *t)
{
	vtest_cc_wr(t, VIRTIO_PCI_COMMON_STATUS, 1,
		    vtest_cc_rd(t, VIRTIO_PCI_COMMON_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
}
