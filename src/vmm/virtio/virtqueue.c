/*
 * virtqueue.c - the device side of split virtqueues, virtio 1.2 section 2.7:
 * descriptor table (2.7.5), indirect descriptors (2.7.5.3), available ring
 * (2.7.6), used ring (2.7.8) and notification suppression with and without
 * VIRTIO_F_EVENT_IDX (2.7.7, 2.7.10).  Packed virtqueues (2.8) are not
 * implemented and not offered.
 *
 * Trust: the driver owns the rings and may change any byte of them at any
 * time, from another vCPU.  Each descriptor is copied out of guest memory
 * once and only the copy is checked and used; every buffer is resolved to
 * a host pointer through gmem_ptr(), which refuses ranges that overflow,
 * leave RAM or cross into the MMIO hole.  A chain is cut off after as many
 * descriptors as its table has entries, so a loop ends the walk instead of
 * the VMM.  What this file does not decide: what a buffer means (the device
 * model), when interrupts are sent (the transport).
 *
 * Memory ordering (2.7.13): the avail index is read with acquire before
 * the ring entry and descriptors it covers; a used element is written
 * before the used index is published with release; a full fence separates
 * publishing the used index from reading the driver's suppression fields,
 * and publishing avail_event from re-reading the avail index, so neither
 * side misses the other's update.
 */
#include "vmm/virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "util/iov.h"
#include "util/util.h"

/* ring layouts, in bytes, for a queue of n entries */
#define AVAIL_FLAGS        0
#define AVAIL_IDX          2
#define AVAIL_RING(i)      (4 + 2 * (size_t)(i))
#define USED_FLAGS         0
#define USED_IDX           2
#define USED_RING(i)       (4 + 8 * (size_t)(i))

static size_t virtq_desc_bytes(uint16_t n) { return VIRTQ_DESC_SIZE * (size_t)n; }
static size_t virtq_avail_bytes(uint16_t n) { return 6 + 2 * (size_t)n; }
static size_t virtq_used_bytes(uint16_t n) { return 6 + 8 * (size_t)n; }

/* Guest ring fields are little-endian and naturally aligned (checked at enable). */
static uint16_t ring_ld16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, order));
}

static void ring_st16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), order);
}

static void ring_st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

void virtq_init(struct virtq *vq, struct guest_mem *mem, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->max_size = max_size;
	virtq_reset(vq);
}

void virtq_reset(struct virtq *vq)
{
	vq->size = vq->max_size;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->enabled = false;
	vq->event_idx = vq->indirect = false;
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->desc = vq->avail = vq->used = NULL;
}

static bool is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

/* Resolves the three rings for the current size/addresses into host views. */
static int virtq_map(const struct virtq *vq, uint8_t **desc, uint8_t **avail,
		     uint8_t **used)
{
	uint16_t n = vq->size;

	if (!is_pow2(n) || n > vq->max_size)
		return -EINVAL;
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	*desc = gmem_ptr(vq->mem, vq->desc_gpa, virtq_desc_bytes(n));
	*avail = gmem_ptr(vq->mem, vq->avail_gpa, virtq_avail_bytes(n));
	*used = gmem_ptr(vq->mem, vq->used_gpa, virtq_used_bytes(n));
	if (!*desc || !*avail || !*used)
		return -EFAULT;
	return 0;
}

int virtq_enable(struct virtq *vq)
{
	uint8_t *desc, *avail, *used;
	int rc = virtq_map(vq, &desc, &avail, &used);

	if (rc < 0)
		return rc;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->last_avail = 0;
	vq->used_idx = 0;
	/* nothing used, nothing signalled: the first push is news */
	vq->signalled_used = 0;
	vq->signalled_valid = true;
	vq->broken = false;
	vq->enabled = true;
	return 0;
}

void virtq_set_features(struct virtq *vq, bool event_idx, bool indirect)
{
	vq->event_idx = event_idx;
	vq->indirect = indirect;
}

static uint16_t virtq_avail_idx(const struct virtq *vq)
{
	return ring_ld16(vq->avail + AVAIL_IDX, __ATOMIC_ACQUIRE);
}

bool virtq_has_work(const struct virtq *vq)
{
	if (!vq->enabled || vq->broken)
		return false;
	return virtq_avail_idx(vq) != vq->last_avail;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One copy of a descriptor; the guest may rewrite the original meanwhile. */
static void desc_load(const uint8_t *table, uint32_t i, struct desc *d)
{
	uint8_t raw[VIRTQ_DESC_SIZE];

	memcpy(raw, table + (size_t)i * VIRTQ_DESC_SIZE, sizeof(raw));
	d->addr = get_le64(raw);
	d->len = get_le32(raw + 8);
	d->flags = get_le16(raw + 12);
	d->next = get_le16(raw + 14);
}

/* Adds one buffer to e, enforcing readable-before-writable (2.7.4.2). */
static int elem_add(struct virtq *vq, struct virtq_elem *e, const struct desc *d)
{
	bool wr = (d->flags & VIRTQ_DESC_F_WRITE) != 0;
	void *p;

	if (!wr && e->in_num)
		return -EINVAL;
	if (d->len == 0)
		return 0;   /* nothing to map; the address is never used */
	p = gmem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return -EFAULT;
	if (e->out_num + e->in_num >= VIRTQ_MAX_SEGS)
		return -E2BIG;
	e->iov[e->out_num + e->in_num] = (struct iovec){ p, d->len };
	if (wr) {
		e->in_num++;
		e->in_len += d->len;
	} else {
		e->out_num++;
		e->out_len += d->len;
	}
	return 0;
}

/*
 * Follows the chain at head into e.  A chain visits at most as many
 * descriptors as its table holds: any more means a loop (2.7.5.2: a chain
 * is never longer than the queue size).  An indirect descriptor may only
 * be the head, alone, and its table may not point to another table.
 */
static int virtq_walk(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	const uint8_t *table = vq->desc;
	uint32_t tsize = vq->size;
	uint32_t i = head;
	uint32_t steps = 0;
	bool in_indirect = false;
	struct desc d;
	int rc;

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		if (steps++ >= tsize)
			return -ELOOP;
		desc_load(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect || in_indirect || steps != 1 ||
			    (d.flags & VIRTQ_DESC_F_NEXT))
				return -EINVAL;
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > VIRTQ_MAX_SEGS)
				return -EINVAL;
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return -EFAULT;
			tsize = d.len / VIRTQ_DESC_SIZE;
			in_indirect = true;
			i = 0;
			steps = 0;
			continue;
		}
		rc = elem_add(vq, e, &d);
		if (rc < 0)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= tsize)
			return -EINVAL;
	}
}

/* With EVENT_IDX: ask for a notification once the driver passes last_avail. */
static void virtq_publish_avail_event(struct virtq *vq)
{
	ring_st16(vq->used + USED_RING(vq->size), vq->last_avail, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e)
{
	uint16_t avail_idx, pending, head;
	int rc;

	if (!vq->enabled || vq->broken)
		return 0;
	avail_idx = virtq_avail_idx(vq);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0 && vq->event_idx) {
		virtq_publish_avail_event(vq);
		avail_idx = virtq_avail_idx(vq);
		pending = (uint16_t)(avail_idx - vq->last_avail);
	}
	if (pending == 0)
		return 0;
	if (pending > vq->size) {
		/* The driver claims more buffers than the ring holds. */
		vq->broken = true;
		return -EIO;
	}
	head = ring_ld16(vq->avail + AVAIL_RING(vq->last_avail & (vq->size - 1)),
			 __ATOMIC_RELAXED);
	if (head >= vq->size) {
		vq->broken = true;
		return -EIO;
	}
	vq->last_avail++;
	rc = virtq_walk(vq, head, e);
	if (rc < 0) {
		/* Give the chain back unprocessed so the driver can reclaim it. */
		vq->dropped++;
		virtq_push(vq, head, 0);
		e->out_num = e->in_num = 0;
		return -EINVAL;
	}
	return 1;
}

void virtq_unpop(struct virtq *vq, unsigned int n)
{
	vq->last_avail = (uint16_t)(vq->last_avail - n);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint8_t *elem;

	if (!vq->enabled)
		return;
	elem = vq->used + USED_RING(vq->used_idx & (vq->size - 1));
	ring_st32(elem, head);
	ring_st32(elem + 4, len);
	vq->used_idx++;
	ring_st16(vq->used + USED_IDX, vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_needs_interrupt(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	if (!vq->enabled)
		return false;
	/* the used index must be visible before we look at the driver's wish */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = now;
	vq->signalled_valid = true;
	if (valid && old == now)
		return false;   /* nothing new since the last decision */
	if (!vq->event_idx)
		return !(ring_ld16(vq->avail + AVAIL_FLAGS, __ATOMIC_RELAXED) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	/* 2.7.10: interrupt when used_event lies in [old, now) */
	event = ring_ld16(vq->avail + AVAIL_RING(vq->size), __ATOMIC_RELAXED);
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

int virtq_snapshot(struct virtq *vq, struct snap *s)
{
	uint32_t version = 1;
	struct virtq t = *vq;
	uint8_t *desc = NULL, *avail = NULL, *used = NULL;

	snap_section(s, "virtq", &version);
	snap_u16(s, &t.size);
	snap_u64(s, &t.desc_gpa);
	snap_u64(s, &t.avail_gpa);
	snap_u64(s, &t.used_gpa);
	snap_bool(s, &t.enabled);
	snap_bool(s, &t.event_idx);
	snap_bool(s, &t.indirect);
	snap_u16(s, &t.last_avail);
	snap_u16(s, &t.used_idx);
	snap_u16(s, &t.signalled_used);
	snap_bool(s, &t.signalled_valid);
	snap_bool(s, &t.broken);
	if (!snap_loading(s) || snap_error(s))
		return snap_error(s);

	if (t.enabled && virtq_map(&t, &desc, &avail, &used) < 0) {
		snap_fail(s, -EINVAL);
		return snap_error(s);
	}
	vq->size = t.size;
	vq->desc_gpa = t.desc_gpa;
	vq->avail_gpa = t.avail_gpa;
	vq->used_gpa = t.used_gpa;
	vq->enabled = t.enabled;
	vq->event_idx = t.event_idx;
	vq->indirect = t.indirect;
	vq->last_avail = t.last_avail;
	vq->used_idx = t.used_idx;
	vq->signalled_used = t.signalled_used;
	vq->signalled_valid = t.signalled_valid;
	vq->broken = t.broken;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	return 0;
}

/* --- iovec helpers ----------------------------------------------------- */

size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
			void *buf, size_t len)
{
	return iov_to_buf(iov, n, off, buf, len);
}

size_t virtq_iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
			  const void *buf, size_t len)
{
	return iov_from_buf(iov, n, off, buf, len);
}

int virtq_iov_slice(const struct iovec *iov, unsigned int n, size_t off, size_t len,
		    struct iovec *dst, unsigned int max)
{
	return iov_slice(iov, n, off, len, dst, max);
}
