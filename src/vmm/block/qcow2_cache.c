/*
 * qcow2_cache.c - the qcow2 metadata caches (L2 tables, refcount blocks)
 * and the order in which metadata reaches the file.
 *
 * A cache is a small array of whole clusters kept as they are on disk,
 * evicted least recently used.  Changes stay in the cache (dirty) until
 * qcow2_meta_flush() writes them, always in this order:
 *
 *   1. refcount blocks  - a cluster is counted before anything uses it;
 *   2. fdatasync        - data and refcounts are durable;
 *   3. L2 tables        - may now point at the new clusters;
 *   4. fdatasync, then the dirty L1 entries (new L2 tables are durable
 *      before L1 points at them), fdatasync;
 *   5. the queued unrefs (clusters an entry no longer points at) are
 *      applied only now, so a cluster is never reused while a durable
 *      table still points at it.
 *
 * A crash between any two steps leaves clusters with a refcount nobody
 * uses (a leak `qemu-img check -r leaks` repairs), never a table entry
 * pointing at a free cluster or at data not written yet.  Evicting a
 * dirty refcount block just writes it (writing a refcount early is always
 * safe); evicting a dirty L2 table runs the whole ordered flush.
 *
 * Not here: what the tables mean (qcow2_map.c, qcow2_refcount.c).
 */
#include "vmm/block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int qcow2_cache_init(struct qcow2_cache *c, unsigned int n, uint64_t cs, bool is_l2)
{
	memset(c, 0, sizeof(*c));
	c->is_l2 = is_l2;
	c->e = calloc(n, sizeof(*c->e));
	if (!c->e)
		return -ENOMEM;
	c->n = n;
	for (unsigned int i = 0; i < n; i++) {
		c->e[i].buf = malloc(cs);
		if (!c->e[i].buf) {
			qcow2_cache_destroy(c);
			return -ENOMEM;
		}
	}
	return 0;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
	if (!c->e)
		return;
	for (unsigned int i = 0; i < c->n; i++)
		free(c->e[i].buf);
	free(c->e);
	c->e = NULL;
	c->n = 0;
}

static int qcow2_cache_write_ent(struct qcow2 *q, struct qcow2_cache_ent *e)
{
	int rc = blk_fd_pwrite(q->fd, e->buf, q->cs, e->off);

	if (rc < 0) {
		q->broken = true;
		return rc;
	}
	e->dirty = false;
	if (e->off + q->cs > q->file_size)
		q->file_size = e->off + q->cs;
	return 0;
}

int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool fresh,
		    uint8_t **buf)
{
	struct qcow2_cache_ent *victim = NULL;
	int rc;

	if (off == 0 || off % q->cs || off >= QCOW2_MAX_HOST_OFFSET ||
	    (!fresh && !range_within(off, q->cs, q->file_size)))
		return -EIO;
	for (unsigned int i = 0; i < c->n; i++) {
		struct qcow2_cache_ent *e = &c->e[i];
		if (e->off == off) {
			e->stamp = ++c->clock;
			if (fresh) {
				memset(e->buf, 0, q->cs);
				e->dirty = true;
			}
			*buf = e->buf;
			return 0;
		}
		if (!victim || (victim->off && (!e->off || e->stamp < victim->stamp)))
			victim = e;
	}
	if (victim->off && victim->dirty) {
		/* an L2 table may point at clusters whose refcounts and data are
		 * not durable yet: only the ordered flush may write it */
		rc = c->is_l2 ? qcow2_meta_flush(q) : qcow2_cache_write_ent(q, victim);
		if (rc < 0)
			return rc;
	}
	victim->off = 0;
	victim->dirty = false;
	if (fresh) {
		memset(victim->buf, 0, q->cs);
		victim->dirty = true;
	} else {
		rc = blk_fd_pread(q->fd, victim->buf, q->cs, off);
		if (rc < 0)
			return rc;
	}
	victim->off = off;
	victim->stamp = ++c->clock;
	*buf = victim->buf;
	return 0;
}

void qcow2_cache_dirty(struct qcow2_cache *c, const uint8_t *buf)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->e[i].buf == buf && c->e[i].off)
			c->e[i].dirty = true;
}

void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->e[i].off == off) {
			c->e[i].off = 0;
			c->e[i].dirty = false;
		}
}

int qcow2_cache_write(struct qcow2 *q, struct qcow2_cache *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		struct qcow2_cache_ent *e = &c->e[i];
		if (e->off && e->dirty) {
			int rc = qcow2_cache_write_ent(q, e);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static bool qcow2_cache_has_dirty(const struct qcow2_cache *c)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->e[i].off && c->e[i].dirty)
			return true;
	return false;
}

void qcow2_l1_dirty(struct qcow2 *q, uint32_t i)
{
	if (q->l1_dirty_lo == q->l1_dirty_hi) {
		q->l1_dirty_lo = i;
		q->l1_dirty_hi = i + 1;
		return;
	}
	q->l1_dirty_lo = MIN(q->l1_dirty_lo, i);
	q->l1_dirty_hi = MAX(q->l1_dirty_hi, i + 1);
}

/* Writes L1 entries [lo, hi), sector aligned, big endian. */
static int qcow2_l1_write(struct qcow2 *q)
{
	uint32_t lo = ALIGN_DOWN(q->l1_dirty_lo, 64);          /* 64 entries: one sector */
	uint32_t hi = (uint32_t)MIN(ALIGN_UP((uint64_t)q->l1_dirty_hi, 64), q->h.l1_size);
	size_t n = hi - lo;
	uint8_t *buf = malloc(n * 8);
	int rc;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		qcow2_put_be64(buf + i * 8, q->l1[lo + i]);
	rc = blk_fd_pwrite(q->fd, buf, n * 8, q->h.l1_offset + (uint64_t)lo * 8);
	free(buf);
	if (rc == 0)
		q->l1_dirty_lo = q->l1_dirty_hi = 0;
	return rc;
}

int qcow2_meta_flush(struct qcow2 *q)
{
	bool l2 = qcow2_cache_has_dirty(&q->l2c);
	bool l1 = q->l1_dirty_lo != q->l1_dirty_hi;
	int rc;

	if (q->broken)
		return -EIO;
	rc = qcow2_cache_write(q, &q->rbc);
	if (rc == 0)
		rc = blk_fd_sync(q->fd);
	if (rc == 0 && l2) {
		rc = qcow2_cache_write(q, &q->l2c);
		if (rc == 0 && l1)
			rc = blk_fd_sync(q->fd);
	}
	if (rc == 0 && l1)
		rc = qcow2_l1_write(q);
	if (rc == 0 && (l1 || l2))
		rc = blk_fd_sync(q->fd);
	if (rc < 0) {
		q->broken = true;
		return rc;
	}
	/* the tables no longer point at these clusters, durably: unref them
	 * (the refcounts reach the file with the next flush; lost, they leak) */
	return qcow2_free_pending(q);
}
