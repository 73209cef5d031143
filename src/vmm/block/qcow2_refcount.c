/*
 * qcow2_refcount.c - qcow2 refcounts (QEMU docs/interop/qcow2.txt,
 * "Host cluster management"): reading and changing a cluster's count,
 * allocating free clusters, growing the refcount table, and the queue of
 * clusters to unref once the tables that used them are durable.
 *
 * Allocation takes the first cluster with refcount 0 at or after a hint
 * (the last allocation), so an image grows at its end and reuses what was
 * freed.  A range no refcount block covers is free: the first cluster
 * allocated there becomes its refcount block (counting itself), written
 * and synced before the refcount table entry that points at it.  When the
 * table itself is full a larger one is written after the end of the file
 * with the refcount blocks that count it, synced, and only then does the
 * header point at it (one 12-byte write); the old table is unref'ed last.
 *
 * Every value read from the file is distrusted: a refcount block must be
 * an aligned cluster inside the file, a count that would wrap (past
 * 2^refcount_bits - 1, or below 0) is -EIO, not a silent wrap, the table
 * never grows past QCOW2_MAX_RT_BYTES, and refcounts that claim thousands
 * of clusters past the end of the file end the search with -EIO instead
 * of a scan towards 2^56.
 */
#include "vmm/block/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define QCOW2_PENDING_MAX 4096

int qcow2_refcount_get(struct qcow2 *q, uint64_t c, uint64_t *val)
{
	uint64_t rbi = c / q->rb_entries;
	uint8_t *rb;
	int rc;

	*val = 0;
	if (rbi >= q->rt_entries || !(q->rt[rbi] & QCOW2_RTE_OFFSET_MASK))
		return 0;
	rc = qcow2_cache_get(q, &q->rbc, q->rt[rbi] & QCOW2_RTE_OFFSET_MASK, false, &rb);
	if (rc < 0)
		return rc;
	*val = qcow2_rc_get(rb, c % q->rb_entries, q->rc_order);
	return 0;
}

int qcow2_refcount_update(struct qcow2 *q, uint64_t c, int delta)
{
	uint64_t rbi = c / q->rb_entries, v;
	uint8_t *rb;
	int rc;

	if (rbi >= q->rt_entries || !(q->rt[rbi] & QCOW2_RTE_OFFSET_MASK))
		return -EIO;                 /* a cluster in use that nothing counts */
	rc = qcow2_cache_get(q, &q->rbc, q->rt[rbi] & QCOW2_RTE_OFFSET_MASK, false, &rb);
	if (rc < 0)
		return rc;
	v = qcow2_rc_get(rb, c % q->rb_entries, q->rc_order);
	if ((delta < 0 && v == 0) || (delta > 0 && v >= q->rc_max))
		return -EIO;
	v = delta < 0 ? v - 1 : v + 1;
	qcow2_rc_set(rb, c % q->rb_entries, q->rc_order, v);
	qcow2_cache_dirty(&q->rbc, rb);
	if (v == 0) {
		qcow2_cache_drop(&q->l2c, c << q->cb);
		if (c < q->free_hint)
			q->free_hint = c;
	}
	return 0;
}

/*
 * Writes a refcount block at cluster c counting [first, end) (those of
 * its range), c itself among them.  Not through the cache: a block
 * nothing points at yet.
 */
static int qcow2_write_refblock(struct qcow2 *q, uint64_t c, uint64_t rbi, uint64_t first,
				uint64_t end)
{
	uint64_t lo = MAX(first, rbi * q->rb_entries);
	uint64_t hi = MIN(end, (rbi + 1) * q->rb_entries);

	memset(q->mbuf, 0, q->cs);
	for (uint64_t i = lo; i < hi; i++)
		qcow2_rc_set(q->mbuf, i - rbi * q->rb_entries, q->rc_order, 1);
	qcow2_cache_drop(&q->rbc, c << q->cb);
	qcow2_cache_drop(&q->l2c, c << q->cb);
	return blk_fd_pwrite(q->fd, q->mbuf, q->cs, c << q->cb);
}

/* A refcount block at cluster c (free, in an uncovered range) for range rbi. */
static int qcow2_new_refblock(struct qcow2 *q, uint64_t c, uint64_t rbi)
{
	uint8_t e[8];
	int rc = qcow2_write_refblock(q, c, rbi, c, c + 1);

	if (rc == 0)
		rc = blk_fd_sync(q->fd);
	if (rc < 0)
		return rc;
	qcow2_put_be64(e, c << q->cb);
	rc = blk_fd_pwrite(q->fd, e, 8, q->h.rt_offset + rbi * 8);
	if (rc == 0)
		rc = blk_fd_sync(q->fd);
	if (rc < 0)
		return rc;
	q->rt[rbi] = c << q->cb;
	q->file_size = MAX(q->file_size, (c + 1) << q->cb);
	return 0;
}

/*
 * Grows the refcount table to cover range rbi; c is the first free
 * cluster, all clusters from c on are uncovered (and so free).  The new
 * table goes at c, the refcount blocks counting it right after.
 */
static int qcow2_grow_rt(struct qcow2 *q, uint64_t c, uint64_t rbi)
{
	uint64_t per_cl = q->cs / 8;
	uint64_t n = MAX((rbi + 1 + per_cl - 1) / per_cl, (uint64_t)q->h.rt_clusters * 2);
	uint64_t *nrt = NULL, pos, entries;
	uint8_t hdr[12];
	int rc;

	for (;;) {
		if (n * q->cs > QCOW2_MAX_RT_BYTES)
			return -EFBIG;
		entries = n * per_cl;
		free(nrt);
		nrt = calloc(entries, sizeof(*nrt));
		if (!nrt)
			return -ENOMEM;
		memcpy(nrt, q->rt, q->rt_entries * sizeof(*nrt));
		/* refcount blocks for [c, pos) go at pos, until they count themselves */
		pos = c + n;
		bool changed = true, fits = true;
		while (changed && fits) {
			changed = false;
			for (uint64_t j = c / q->rb_entries; j <= (pos - 1) / q->rb_entries; j++) {
				if (j >= entries) {
					fits = false;
					break;
				}
				if (!(nrt[j] & QCOW2_RTE_OFFSET_MASK)) {
					nrt[j] = pos << q->cb;
					pos++;
					changed = true;
				}
			}
		}
		if (fits)
			break;
		n++;
	}
	if (pos << q->cb >= QCOW2_MAX_HOST_OFFSET) {
		free(nrt);
		return -ENOSPC;
	}
	/* the new refcount blocks (those in [c + n, pos)) */
	rc = 0;
	for (uint64_t j = c / q->rb_entries; rc == 0 && j <= (pos - 1) / q->rb_entries; j++) {
		uint64_t at = nrt[j] >> q->cb;
		if (j < q->rt_entries && (q->rt[j] & QCOW2_RTE_OFFSET_MASK))
			continue;
		rc = qcow2_write_refblock(q, at, j, c, pos);
	}
	/* the table */
	for (uint64_t i = 0; rc == 0 && i < n; i++) {
		uint8_t *b = q->mbuf;
		for (uint64_t k = 0; k < per_cl; k++)
			qcow2_put_be64(b + k * 8, nrt[i * per_cl + k]);
		qcow2_cache_drop(&q->l2c, (c + i) << q->cb);
		qcow2_cache_drop(&q->rbc, (c + i) << q->cb);
		rc = blk_fd_pwrite(q->fd, b, q->cs, (c + i) << q->cb);
	}
	if (rc == 0)
		rc = blk_fd_sync(q->fd);
	/* the header points at it: one write inside the first sector */
	qcow2_put_be64(hdr, c << q->cb);
	qcow2_put_be32(hdr + 8, (uint32_t)n);
	if (rc == 0)
		rc = blk_fd_pwrite(q->fd, hdr, sizeof(hdr), QCOW2_HDR_RT_OFFSET);
	if (rc == 0)
		rc = blk_fd_sync(q->fd);
	if (rc < 0) {
		free(nrt);
		q->broken = true;
		return rc;
	}
	uint64_t old = q->h.rt_offset >> q->cb, old_n = q->h.rt_clusters;
	free(q->rt);
	q->rt = nrt;
	q->rt_entries = entries;
	q->h.rt_offset = c << q->cb;
	q->h.rt_clusters = (uint32_t)n;
	q->file_size = MAX(q->file_size, pos << q->cb);
	q->free_hint = pos;
	/* nothing points at the old table any more, durably */
	for (uint64_t i = 0; i < old_n; i++) {
		rc = qcow2_refcount_update(q, old + i, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* In use clusters past the end of the file an allocation may step over
 * (leaks from a crash: tables counted but never written) before the
 * refcounts are taken to be corrupt - rather than scanning towards 2^56. */
#define QCOW2_MAX_USED_PAST_EOF 4096

int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off)
{
	uint64_t c = q->free_hint, v, past_eof = 0;
	int rc;

	for (;; c++) {
		uint64_t rbi = c / q->rb_entries;

		if (c << q->cb >= QCOW2_MAX_HOST_OFFSET || c >> (63 - q->cb))
			return -ENOSPC;
		if (c << q->cb >= q->file_size && ++past_eof > QCOW2_MAX_USED_PAST_EOF) {
			q->broken = true;
			return -EIO;
		}
		if (rbi >= q->rt_entries) {
			rc = qcow2_grow_rt(q, c, rbi);
			if (rc < 0)
				return rc;
			c = q->free_hint - 1;       /* continue after what the growth used */
			continue;
		}
		if (!(q->rt[rbi] & QCOW2_RTE_OFFSET_MASK)) {
			rc = qcow2_new_refblock(q, c, rbi);
			if (rc < 0)
				return rc;
			continue;
		}
		rc = qcow2_refcount_get(q, c, &v);
		if (rc < 0)
			return rc;
		if (v == 0)
			break;
	}
	if (qcow2_fixed_meta(q, c << q->cb)) {
		q->broken = true;          /* refcount 0 on the header or a table: corrupt */
		return -EIO;
	}
	rc = qcow2_refcount_update(q, c, +1);
	if (rc < 0)
		return rc;
	q->free_hint = c + 1;
	*off = c << q->cb;
	q->file_size = MAX(q->file_size, *off + q->cs);
	return 0;
}

int qcow2_free_later(struct qcow2 *q, uint64_t c)
{
	if (q->npending == q->pending_cap) {
		size_t cap = q->pending_cap ? q->pending_cap * 2 : 64;
		uint64_t *p = realloc(q->pending_free, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		q->pending_free = p;
		q->pending_cap = cap;
	}
	q->pending_free[q->npending++] = c;
	/* the L2 change that dropped c is in the cache already: flushing now
	 * writes it before c is unref'ed */
	return q->npending >= QCOW2_PENDING_MAX ? qcow2_meta_flush(q) : 0;
}

int qcow2_free_pending(struct qcow2 *q)
{
	int rc = 0;

	while (q->npending) {
		int r = qcow2_refcount_update(q, q->pending_free[--q->npending], -1);
		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}
