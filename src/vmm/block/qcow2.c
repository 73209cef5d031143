/*
 * qcow2.c - the qcow2 backend (QEMU docs/interop/qcow2.txt, versions 2
 * and 3): opening an image with its backing chain, and the requests
 * (read, write, flush, discard, write-zeroes, block status) split per
 * cluster.
 *
 * A read finds each cluster's L2 entry: unallocated clusters come from
 * the backing file (zeros past its end, or without one), zero clusters
 * (v3) read zeros, compressed clusters are inflated, normal ones are read
 * from the file (zeros past its end, as QEMU leaves a last cluster short).
 * A write goes in place when the entry owns its cluster (COPIED);
 * otherwise a new cluster is allocated, filled with the old content
 * (backing, compressed, shared or zero) merged with the new bytes,
 * written, and only then does the L2 entry point at it.  Metadata
 * reaches the file in the order qcow2_cache.c describes, so a crash
 * leaks clusters at worst.  Discard and write-zeroes drop whole clusters
 * (zero clusters when a backing file would otherwise show through);
 * write-zeroes writes zeros for the partial clusters at its ends.
 *
 * Refused when opening, by name: encryption, external data files,
 * extended L2 entries, zstd, unknown incompatible features
 * (qcow2_header.c); dirty or corrupt images read-write; backing chains
 * deeper than BLK_MAX_CHAIN or with a loop; backing formats other than
 * raw and qcow2.  Compressed clusters are read, never written (a write
 * to one allocates a normal cluster).  Internal snapshots are kept and
 * shared clusters copied on write, but not created, listed or applied.
 */
#include "vmm/block/qcow2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/iov.h"
#include "util/util.h"

#define QCOW2_IOV_MAX 64

/* ---- host I/O on a part of a request ------------------------------------ */

/* Reads n bytes at host offset host into iov[done, done+n); zeros past EOF. */
static int qcow2_readv_host(struct qcow2 *q, const struct iovec *iov, int cnt, size_t done,
			    size_t n, uint64_t host)
{
	struct iovec local[QCOW2_IOV_MAX];
	int k = iov_slice(iov, (unsigned int)cnt, done, n, local, QCOW2_IOV_MAX);
	int rc;

	if (k == -E2BIG) {
		rc = qcow2_read_host(q, q->bounce, n, host);
		if (rc == 0)
			iov_from_buf(iov, (unsigned int)cnt, done, q->bounce, n);
		return rc;
	}
	if (k < 0)
		return -EINVAL;
	size_t got = 0;
	while (got < n) {
		struct iovec rest[QCOW2_IOV_MAX];
		int m = iov_slice(local, (unsigned int)k, got, n - got, rest, QCOW2_IOV_MAX);
		ssize_t r;

		if (m < 0)
			return -EINVAL;
		r = preadv(q->fd, rest, m, (off_t)(host + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			iov_memset(iov, (unsigned int)cnt, done + got, 0, n - got);
			return 0;
		}
		got += (size_t)r;
	}
	return 0;
}

static int qcow2_writev_host(struct qcow2 *q, const struct iovec *iov, int cnt, size_t done,
			     size_t n, uint64_t host)
{
	struct iovec local[QCOW2_IOV_MAX];
	int k = iov_slice(iov, (unsigned int)cnt, done, n, local, QCOW2_IOV_MAX);
	int rc;

	if (k == -E2BIG) {
		iov_to_buf(iov, (unsigned int)cnt, done, q->bounce, n);
		rc = blk_fd_pwrite(q->fd, q->bounce, n, host);
	} else if (k < 0) {
		return -EINVAL;
	} else {
		rc = blk_fd_pwritev(q->fd, local, k, host, n);
	}
	if (rc == 0 && host + n > q->file_size)
		q->file_size = host + n;
	return rc;
}

/* Reads guest bytes [pos, pos+n) of the backing file into iov[done..]; zeros past its end. */
static int qcow2_read_backing(struct qcow2 *q, const struct iovec *iov, int cnt, size_t done,
			      size_t n, uint64_t pos)
{
	uint64_t bsize = q->backing ? blk_size(q->backing) : 0;
	size_t m = pos < bsize ? (size_t)MIN((uint64_t)n, bsize - pos) : 0;

	if (m) {
		struct iovec local[QCOW2_IOV_MAX];
		int k = iov_slice(iov, (unsigned int)cnt, done, m, local, QCOW2_IOV_MAX);
		int rc;

		if (k == -E2BIG) {
			rc = blk_pread(q->backing, q->bounce, m, pos);
			if (rc == 0)
				iov_from_buf(iov, (unsigned int)cnt, done, q->bounce, m);
		} else {
			rc = k < 0 ? -EINVAL : blk_preadv(q->backing, local, k, pos);
		}
		if (rc < 0)
			return rc;
	}
	if (m < n)
		iov_memset(iov, (unsigned int)cnt, done + m, 0, n - m);
	return 0;
}

/* ---- requests ------------------------------------------------------------ */

static int qcow2_read_piece(struct qcow2 *q, const struct iovec *iov, int cnt, size_t done,
			    size_t n, uint64_t pos)
{
	enum qcow2_kind kind;
	uint64_t e, host, clen;
	int rc = qcow2_map_lookup(q, pos, &e);

	if (rc == 0)
		rc = qcow2_entry_decode(q, e, &kind, &host, &clen);
	if (rc < 0)
		return rc;
	switch (kind) {
	case QCOW2_UNALLOC:
		return qcow2_read_backing(q, iov, cnt, done, n, pos);
	case QCOW2_ZERO:
		iov_memset(iov, (unsigned int)cnt, done, 0, n);
		return 0;
	case QCOW2_COMPRESSED:
		rc = qcow2_map_decompress(q, e);
		if (rc == 0)
			iov_from_buf(iov, (unsigned int)cnt, done, q->zout + (pos & (q->cs - 1)), n);
		return rc;
	default:
		return qcow2_readv_host(q, iov, cnt, done, n, host + (pos & (q->cs - 1)));
	}
}

static int qcow2_preadv(struct blk *b, const struct iovec *iov, int cnt, uint64_t off,
			size_t len)
{
	struct qcow2 *q = qcow2_of(b);

	for (size_t done = 0; done < len;) {
		uint64_t pos = off + done;
		size_t n = (size_t)MIN((uint64_t)(len - done), q->cs - (pos & (q->cs - 1)));
		int rc = qcow2_read_piece(q, iov, cnt, done, n, pos);
		if (rc < 0)
			return rc;
		done += n;
	}
	return 0;
}

/* The old content of a guest cluster whose L2 entry is e, into q->bounce. */
static int qcow2_old_cluster(struct qcow2 *q, uint64_t e, uint64_t cpos)
{
	struct iovec v = { q->bounce, q->cs };
	enum qcow2_kind kind;
	uint64_t host, clen;
	int rc = qcow2_entry_decode(q, e, &kind, &host, &clen);

	if (rc < 0)
		return rc;
	switch (kind) {
	case QCOW2_UNALLOC:
		if (!q->backing) {
			memset(q->bounce, 0, q->cs);
			return 0;
		}
		/* q->bounce is the destination: read the backing file directly */
		uint64_t bsize = blk_size(q->backing);
		v.iov_len = cpos < bsize ? (size_t)MIN(q->cs, bsize - cpos) : 0;
		memset(q->bounce + v.iov_len, 0, q->cs - v.iov_len);
		return v.iov_len ? blk_preadv(q->backing, &v, 1, cpos) : 0;
	case QCOW2_ZERO:
		memset(q->bounce, 0, q->cs);
		return 0;
	case QCOW2_COMPRESSED:
		rc = qcow2_map_decompress(q, e);
		if (rc == 0)
			memcpy(q->bounce, q->zout, q->cs);
		return rc;
	default:
		return qcow2_read_host(q, q->bounce, q->cs, host);
	}
}

static int qcow2_write_piece(struct qcow2 *q, const struct iovec *iov, int cnt, size_t done,
			     size_t n, uint64_t pos)
{
	uint64_t in = pos & (q->cs - 1), cpos = pos - in;
	enum qcow2_kind kind;
	uint64_t e, host, clen, idx, new;
	uint8_t *l2;
	int rc;

	rc = qcow2_map_l2_for_write(q, pos, &l2, &idx);
	if (rc < 0)
		return rc;
	e = qcow2_be64(l2 + idx * 8);
	rc = qcow2_entry_decode(q, e, &kind, &host, &clen);
	if (rc < 0)
		return rc;
	if (kind == QCOW2_NORMAL && (e & QCOW2_OFLAG_COPIED)) {
		if (qcow2_fixed_meta(q, host))
			return -EIO;       /* a data cluster on the image's own tables */
		return qcow2_writev_host(q, iov, cnt, done, n, host + in);
	}
	/* a cluster of its own: the old content with the new bytes, then the entry */
	rc = qcow2_alloc_cluster(q, &new);
	if (rc < 0)
		return rc;
	if (n == q->cs) {
		rc = qcow2_writev_host(q, iov, cnt, done, n, new);
	} else {
		rc = qcow2_old_cluster(q, e, cpos);
		if (rc == 0) {
			iov_to_buf(iov, (unsigned int)cnt, done, q->bounce + in, n);
			rc = blk_fd_pwrite(q->fd, q->bounce, q->cs, new);
		}
	}
	if (rc < 0) {
		qcow2_free_later(q, new >> q->cb);   /* never pointed at: unref it */
		return rc;
	}
	rc = qcow2_map_l2_for_write(q, pos, &l2, &idx);   /* the table may have moved */
	if (rc < 0)
		return rc;
	qcow2_put_be64(l2 + idx * 8, new | QCOW2_OFLAG_COPIED);
	qcow2_cache_dirty(&q->l2c, l2);
	return kind == QCOW2_UNALLOC ? 0 : qcow2_map_release(q, e);
}

static int qcow2_pwritev(struct blk *b, const struct iovec *iov, int cnt, uint64_t off,
			 size_t len)
{
	struct qcow2 *q = qcow2_of(b);

	if (q->broken)
		return -EIO;
	for (size_t done = 0; done < len;) {
		uint64_t pos = off + done;
		size_t n = (size_t)MIN((uint64_t)(len - done), q->cs - (pos & (q->cs - 1)));
		int rc = qcow2_write_piece(q, iov, cnt, done, n, pos);
		if (rc < 0)
			return rc;
		done += n;
	}
	return 0;
}

static int qcow2_flush(struct blk *b)
{
	return qcow2_meta_flush(qcow2_of(b));
}

/* Sets the entry of the whole guest cluster at pos to target (0 or ZERO). */
static int qcow2_set_entry(struct qcow2 *q, uint64_t pos, uint64_t target)
{
	uint64_t e, idx;
	uint8_t *l2;
	int rc = qcow2_map_lookup(q, pos, &e);

	if (rc < 0)
		return rc;
	if (e == target || (target == 0 && e == 0))
		return 0;
	rc = qcow2_map_l2_for_write(q, pos, &l2, &idx);
	if (rc < 0)
		return rc;
	e = qcow2_be64(l2 + idx * 8);
	qcow2_put_be64(l2 + idx * 8, target);
	qcow2_cache_dirty(&q->l2c, l2);
	return qcow2_map_release(q, e);
}

/* Guest bytes [off, off+len) as whole clusters (the disk's end counts as one). */
static void qcow2_whole(const struct qcow2 *q, uint64_t off, uint64_t len, uint64_t *lo,
			uint64_t *hi)
{
	uint64_t end = off + len;

	*lo = ALIGN_UP(off, q->cs);
	*hi = end == q->blk.size ? ALIGN_UP(end, q->cs) : ALIGN_DOWN(end, q->cs);
	if (*hi < *lo)
		*hi = *lo;
}

static int qcow2_drop_range(struct qcow2 *q, uint64_t lo, uint64_t hi, uint64_t target)
{
	for (uint64_t pos = lo; pos < hi; pos += q->cs) {
		uint64_t l1i = pos >> (2 * q->cb - 3);
		if (target == 0 && !(q->l1[l1i] & QCOW2_L1E_OFFSET_MASK)) {
			/* nothing allocated under this L1 entry: skip what it maps */
			uint64_t next = (l1i + 1) << (2 * q->cb - 3);
			pos = MAX(pos, MIN(next, hi) - q->cs);
			continue;
		}
		int rc = qcow2_set_entry(q, pos, target);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int qcow2_discard(struct blk *b, uint64_t off, uint64_t len)
{
	struct qcow2 *q = qcow2_of(b);
	uint64_t lo, hi;

	if (q->broken)
		return -EIO;
	qcow2_whole(q, off, len, &lo, &hi);
	if (q->backing && q->h.version < 3)
		return 0;          /* unallocating would show the backing file: keep the data */
	return qcow2_drop_range(q, lo, hi, q->backing ? QCOW2_OFLAG_ZERO : 0);
}

static int qcow2_write_zero_bytes(struct qcow2 *q, uint64_t off, uint64_t len)
{
	static const uint8_t zero[64 * 1024];

	while (len) {
		struct iovec v = { (void *)zero, (size_t)MIN(len, sizeof(zero)) };
		int rc = qcow2_pwritev(&q->blk, &v, 1, off, v.iov_len);
		if (rc < 0)
			return rc;
		off += v.iov_len;
		len -= v.iov_len;
	}
	return 0;
}

static int qcow2_write_zeroes(struct blk *b, uint64_t off, uint64_t len, bool may_unmap)
{
	struct qcow2 *q = qcow2_of(b);
	uint64_t lo, hi;
	int rc;

	(void)may_unmap;   /* zero clusters never keep their space: always unmapped */
	if (q->broken)
		return -EIO;
	if (q->h.version < 3 && q->backing)
		return qcow2_write_zero_bytes(q, off, len);
	qcow2_whole(q, off, len, &lo, &hi);
	if (lo >= hi)
		return qcow2_write_zero_bytes(q, off, len);
	rc = qcow2_write_zero_bytes(q, off, lo - off);
	if (rc == 0 && hi < off + len)
		rc = qcow2_write_zero_bytes(q, hi, off + len - hi);
	if (rc == 0)
		rc = qcow2_drop_range(q, lo, hi, q->h.version >= 3 ? QCOW2_OFLAG_ZERO : 0);
	return rc;
}

static int qcow2_block_status(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct qcow2 *q = qcow2_of(b);
	uint64_t done = 0;
	int status = 0;

	while (done < len) {
		uint64_t pos = off + done, l1i = pos >> (2 * q->cb - 3);
		uint64_t n = MIN(len - done, q->cs - (pos & (q->cs - 1)));
		enum qcow2_kind kind = QCOW2_UNALLOC;
		uint64_t e = 0, host, clen;
		int st, rc;

		if (!(q->l1[l1i] & QCOW2_L1E_OFFSET_MASK)) {
			n = MIN(len - done, ((l1i + 1) << (2 * q->cb - 3)) - pos);
		} else {
			rc = qcow2_map_lookup(q, pos, &e);
			if (rc == 0)
				rc = qcow2_entry_decode(q, e, &kind, &host, &clen);
			if (rc < 0)
				return rc;
		}
		if (kind == QCOW2_UNALLOC && q->backing) {
			uint64_t bsize = blk_size(q->backing), m;
			if (pos >= bsize) {
				st = BLK_STATUS_ZERO;
			} else {
				n = MIN(n, bsize - pos);
				st = blk_block_status(q->backing, pos, n, &m);
				if (st < 0)
					return st;
				n = MIN(n, m);
			}
		} else {
			st = kind == QCOW2_UNALLOC || kind == QCOW2_ZERO ? BLK_STATUS_ZERO
									  : BLK_STATUS_DATA;
		}
		if (status && st != status)
			break;
		status = st;
		done += n;
	}
	*pnum = done;
	return status;
}

/* ---- open and close ------------------------------------------------------ */

static void qcow2_free(struct qcow2 *q)
{
	qcow2_cache_destroy(&q->l2c);
	qcow2_cache_destroy(&q->rbc);
	free(q->l1);
	free(q->rt);
	free(q->bounce);
	free(q->mbuf);
	free(q->zin);
	free(q->zout);
	free(q->pending_free);
	blk_close(q->backing);
	if (q->fd >= 0)
		close(q->fd);
	free(q->blk.path);
	free(q);
}

static void qcow2_close(struct blk *b)
{
	struct qcow2 *q = qcow2_of(b);

	/* the ordered flush, then the unrefs it applied (else they would leak) */
	if (!b->ro && qcow2_meta_flush(q) == 0 && qcow2_cache_write(q, &q->rbc) == 0)
		blk_fd_sync(q->fd);
	qcow2_free(q);
}

static const struct blk_ops qcow2_ops = {
	.preadv = qcow2_preadv,
	.pwritev = qcow2_pwritev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.block_status = qcow2_block_status,
	.close = qcow2_close,
};

/* Reads a table of n big-endian 64-bit entries at off into host order. */
static int qcow2_read_table(struct qcow2 *q, uint64_t off, uint64_t n, uint64_t **out)
{
	uint64_t *t = calloc(n ? n : 1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	rc = blk_fd_pread(q->fd, t, n * 8, off);
	if (rc < 0) {
		free(t);
		return rc;
	}
	for (uint64_t i = 0; i < n; i++)
		t[i] = qcow2_be64(&t[i]);
	*out = t;
	return 0;
}

static int qcow2_read_header(struct qcow2 *q, const char *path, uint64_t flen,
			     char *err, size_t errlen)
{
	size_t len = (size_t)MIN(flen, (uint64_t)4096);
	char why[256] = "";
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (!buf)
		return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
	rc = blk_fd_pread(q->fd, buf, len, 0);
	if (rc == 0)
		rc = qcow2_header_parse(buf, len, flen, !q->blk.ro, &q->h, why, sizeof(why));
	if (rc == -EAGAIN) {
		size_t cl = (size_t)MIN(flen, 1ULL << (qcow2_be32(buf + 20)));
		uint8_t *nb = realloc(buf, cl);
		if (!nb) {
			free(buf);
			return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
		}
		buf = nb;
		len = cl;
		rc = blk_fd_pread(q->fd, buf, len, 0);
		if (rc == 0)
			rc = qcow2_header_parse(buf, len, flen, !q->blk.ro, &q->h, why,
						sizeof(why));
		if (rc == -EAGAIN)
			rc = -EINVAL;
	}
	free(buf);
	if (rc < 0)
		return errmsg_set(err, errlen, rc, path, "%s", why[0] ? why : strerror(-rc));
	return 0;
}

static int qcow2_open_backing(struct qcow2 *q, const char *path, unsigned int flags,
			      struct blk_chain *chain, char *err, size_t errlen)
{
	enum disk_format fmt = DISK_FMT_AUTO;
	char inner[512] = "";
	char *bpath;
	int rc;

	if (q->h.backing_fmt[0] && disk_format_parse(q->h.backing_fmt, &fmt) < 0)
		return errmsg_set(err, errlen, -ENOTSUP, path,
				  "backing file %s is in format '%.31s', which ttyvm does not "
				  "read (raw and qcow2 only)", q->h.backing, q->h.backing_fmt);
	if (chain->depth + 1 > BLK_MAX_CHAIN)
		return errmsg_set(err, errlen, -ELOOP, path,
				  "backing chain deeper than %d images (a loop?)", BLK_MAX_CHAIN);
	bpath = qcow2_backing_path(path, q->h.backing);
	if (!bpath)
		return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
	chain->depth++;
	rc = blk_open_chain(&q->backing, bpath, fmt, BLK_O_RDONLY | (flags & BLK_O_NOLOCK),
			    chain, inner, sizeof(inner));
	free(bpath);
	if (rc < 0) {
		/* the innermost message names the file at fault; keep it whole */
		if (rc == -ELOOP || strstr(inner, "backing"))
			return errmsg_set(err, errlen, rc, NULL, "%s", inner);
		return errmsg_set(err, errlen, rc, path, "backing file: %s", inner);
	}
	return 0;
}

int qcow2_open(struct blk **out, const char *path, unsigned int flags,
	       struct blk_chain *chain, char *err, size_t errlen)
{
	struct blk_chain local = { .depth = 0 };
	bool ro = flags & BLK_O_RDONLY;
	struct qcow2 *q;
	uint64_t flen;
	int rc;

	*out = NULL;
	if (!chain)
		chain = &local;
	q = calloc(1, sizeof(*q));
	if (!q)
		return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
	q->blk.ro = ro;
	q->fd = blk_file_open(path, ro, flags & BLK_O_NOLOCK, chain, &flen, err, errlen);
	if (q->fd < 0) {
		rc = q->fd;
		free(q);
		return rc;
	}
	rc = qcow2_read_header(q, path, flen, err, errlen);
	if (rc < 0)
		goto fail;
	q->cb = q->h.cluster_bits;
	q->cs = 1ULL << q->cb;
	q->l2_entries = qcow2_l2_entries(q->cb);
	q->file_size = flen;
	q->rc_order = q->h.refcount_order;
	q->rb_entries = q->cs * 8 >> q->rc_order;
	q->rc_max = q->rc_order == 6 ? UINT64_MAX : (1ULL << (1u << q->rc_order)) - 1;
	q->rt_entries = (uint64_t)q->h.rt_clusters * q->cs / 8;
	q->free_hint = 0;
	rc = qcow2_read_table(q, q->h.l1_offset, q->h.l1_size, &q->l1);
	if (rc == 0)
		rc = qcow2_read_table(q, q->h.rt_offset, q->rt_entries, &q->rt);
	if (rc < 0) {
		errmsg_set(err, errlen, rc, path, "reading the L1 and refcount tables: %s",
			   strerror(-rc));
		goto fail;
	}
	unsigned int nl2 = (unsigned int)MAX(8, MIN(512, (4 * MiB) >> q->cb));
	unsigned int nrb = (unsigned int)MAX(4, MIN(64, MiB >> q->cb));
	q->bounce = malloc(q->cs);
	q->mbuf = malloc(q->cs);
	q->zin = malloc(2 * q->cs);
	q->zout = malloc(q->cs);
	if (!q->bounce || !q->mbuf || !q->zin || !q->zout ||
	    qcow2_cache_init(&q->l2c, nl2, q->cs, true) < 0 ||
	    qcow2_cache_init(&q->rbc, nrb, q->cs, false) < 0) {
		rc = errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
		goto fail;
	}
	q->blk.path = strdup(path);
	if (!q->blk.path) {
		rc = errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
		goto fail;
	}
	if (q->h.backing[0] && !(flags & BLK_O_NOBACKING)) {
		rc = qcow2_open_backing(q, path, flags, chain, err, errlen);
		if (rc < 0)
			goto fail;
	}
	/* autoclear features ttyvm does not maintain (bitmaps) must be cleared
	 * by a writer, so readers know they are stale (the spec's rule) */
	if (!ro && q->h.version >= 3 && q->h.autoclear) {
		uint8_t z[8] = { 0 };
		rc = blk_fd_pwrite(q->fd, z, sizeof(z), QCOW2_HDR_AUTOCLEAR);
		if (rc == 0)
			rc = blk_fd_sync(q->fd);
		if (rc < 0) {
			errmsg_set(err, errlen, rc, path, "updating the header: %s", strerror(-rc));
			goto fail;
		}
		q->h.autoclear = 0;
	}
	q->blk.ops = &qcow2_ops;
	q->blk.fmt = DISK_FMT_QCOW2;
	q->blk.size = q->h.size;
	*out = &q->blk;
	return 0;
fail:
	qcow2_free(q);
	return rc;
}
