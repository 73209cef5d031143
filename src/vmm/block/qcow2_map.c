/*
 * qcow2_map.c - from a guest offset to where its bytes are (QEMU
 * docs/interop/qcow2.txt, "Cluster mapping"): L1 and L2 lookup, L2
 * tables made writable (allocated, or copied when shared with an
 * internal snapshot), L2 entries decoded and released, compressed
 * clusters inflated (zlib, raw deflate, as QEMU writes them).
 *
 * Every L1 and L2 entry is distrusted: offsets must be cluster aligned
 * (compressed ones anywhere below QCOW2_MAX_HOST_OFFSET), tables must be
 * inside the file (qcow2_cache_get() checks), compressed data must
 * inflate to exactly one cluster.  Anything else is -EIO for that
 * request; the image stays open and other clusters still read.
 *
 * Not here: the requests themselves (qcow2.c), refcounts (qcow2_refcount.c).
 */
#include "vmm/block/qcow2.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/util.h"

int qcow2_entry_decode(const struct qcow2 *q, uint64_t e, enum qcow2_kind *kind,
		       uint64_t *host, uint64_t *clen)
{
	*host = 0;
	*clen = 0;
	if (e & QCOW2_OFLAG_COMPRESSED) {
		unsigned int x = 62 - (q->cb - 8);
		uint64_t off = e & ((1ULL << x) - 1);
		uint64_t nsect = ((e >> x) & ((1ULL << (q->cb - 8)) - 1)) + 1;

		if (off == 0 || off >= QCOW2_MAX_HOST_OFFSET)
			return -EIO;
		*kind = QCOW2_COMPRESSED;
		*host = off;
		*clen = nsect * 512 - (off & 511);
		return 0;
	}
	uint64_t off = e & QCOW2_L2E_OFFSET_MASK;
	if (off % q->cs)
		return -EIO;
	*host = off;
	if (q->h.version >= 3 && (e & QCOW2_OFLAG_ZERO))
		*kind = QCOW2_ZERO;
	else
		*kind = off ? QCOW2_NORMAL : QCOW2_UNALLOC;
	return 0;
}

static uint64_t qcow2_l1_index(const struct qcow2 *q, uint64_t pos)
{
	return pos >> (2 * q->cb - 3);
}

static uint64_t qcow2_l2_index(const struct qcow2 *q, uint64_t pos)
{
	return (pos >> q->cb) & (q->l2_entries - 1);
}

int qcow2_map_lookup(struct qcow2 *q, uint64_t pos, uint64_t *entry)
{
	uint64_t i = qcow2_l1_index(q, pos), off;
	uint8_t *l2;
	int rc;

	*entry = 0;
	if (i >= q->h.l1_size)
		return -EIO;
	off = q->l1[i] & QCOW2_L1E_OFFSET_MASK;
	if (!off)
		return 0;
	rc = qcow2_cache_get(q, &q->l2c, off, false, &l2);
	if (rc < 0)
		return rc;
	*entry = qcow2_be64(l2 + qcow2_l2_index(q, pos) * 8);
	return 0;
}

int qcow2_map_l2_for_write(struct qcow2 *q, uint64_t pos, uint8_t **l2, uint64_t *idx)
{
	uint64_t i = qcow2_l1_index(q, pos);
	uint64_t l1e, old, new;
	uint8_t *t;
	int rc;

	if (i >= q->h.l1_size)
		return -EIO;
	l1e = q->l1[i];
	old = l1e & QCOW2_L1E_OFFSET_MASK;
	*idx = qcow2_l2_index(q, pos);
	if (old && (l1e & QCOW2_OFLAG_COPIED))
		return qcow2_cache_get(q, &q->l2c, old, false, l2);
	/* none yet, or shared with a snapshot: a new table (a copy of the old) */
	if (old) {
		rc = qcow2_cache_get(q, &q->l2c, old, false, &t);
		if (rc < 0)
			return rc;
		memcpy(q->bounce, t, q->cs);
	}
	rc = qcow2_alloc_cluster(q, &new);
	if (rc < 0)
		return rc;
	rc = qcow2_cache_get(q, &q->l2c, new, true, &t);
	if (rc < 0)
		return rc;
	if (old)
		memcpy(t, q->bounce, q->cs);
	q->l1[i] = new | QCOW2_OFLAG_COPIED;
	qcow2_l1_dirty(q, (uint32_t)i);
	if (old) {
		rc = qcow2_free_later(q, old >> q->cb);
		if (rc < 0)
			return rc;
		/* the flush that may have run evicted nothing we hold, but get it again */
		rc = qcow2_cache_get(q, &q->l2c, new, false, &t);
		if (rc < 0)
			return rc;
	}
	*l2 = t;
	return 0;
}

int qcow2_map_release(struct qcow2 *q, uint64_t e)
{
	enum qcow2_kind kind;
	uint64_t host, clen;
	int rc = qcow2_entry_decode(q, e, &kind, &host, &clen);

	if (rc < 0)
		return rc;
	switch (kind) {
	case QCOW2_NORMAL:
	case QCOW2_ZERO:
		return host ? qcow2_free_later(q, host >> q->cb) : 0;
	case QCOW2_COMPRESSED:
		for (uint64_t c = host >> q->cb; c <= (host + clen - 1) >> q->cb; c++) {
			rc = qcow2_free_later(q, c);
			if (rc < 0)
				return rc;
		}
		if (q->zout_entry == e)
			q->zout_entry = 0;
		return 0;
	default:
		return 0;
	}
}

int qcow2_read_host(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(q->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {                  /* past the end of the file: zeros */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int qcow2_map_decompress(struct qcow2 *q, uint64_t e)
{
	enum qcow2_kind kind;
	uint64_t host, clen;
	z_stream zs;
	int rc, zr;

	if (e && q->zout_entry == e)
		return 0;
	rc = qcow2_entry_decode(q, e, &kind, &host, &clen);
	if (rc < 0 || kind != QCOW2_COMPRESSED)
		return -EIO;
	if (clen > 2 * q->cs)
		return -EIO;
	rc = qcow2_read_host(q, q->zin, (size_t)clen, host);
	if (rc < 0)
		return rc;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)   /* raw deflate, any window up to 32K */
		return -ENOMEM;
	zs.next_in = q->zin;
	zs.avail_in = (uInt)clen;
	zs.next_out = q->zout;
	zs.avail_out = (uInt)q->cs;
	zr = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	/* QEMU accepts a stream that filled the cluster without its end mark */
	if (!(zr == Z_STREAM_END || zr == Z_BUF_ERROR) || zs.avail_out != 0) {
		q->zout_entry = 0;
		return -EIO;
	}
	q->zout_entry = e;
	return 0;
}
