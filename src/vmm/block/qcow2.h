/*
 * qcow2.h - the qcow2 format (QEMU docs/interop/qcow2.txt, versions 2
 * and 3) inside the block layer: on-disk constants, the parsed header,
 * and the state qcow2.c (open, I/O), qcow2_header.c (parse, validate,
 * build), qcow2_cache.c (metadata tables and write ordering) and
 * qcow2_refcount.c (refcounts, allocation) share.  Not for device
 * models; img*.c use the header parts for creation and info.
 */
#ifndef TTYVM_BLOCK_QCOW2_H
#define TTYVM_BLOCK_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/block/blk_priv.h"

#define QCOW2_MAGIC 0x514649fbu          /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104          /* through header_length */
#define QCOW2_V3_HEADER_LEN_CT 112       /* with compression_type, padded */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21        /* 2 MiB, QEMU's limit */
#define QCOW2_MAX_L1_BYTES (32u << 20)   /* QEMU's limits, which bound our memory */
#define QCOW2_MAX_RT_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_HOST_OFFSET (1ULL << 56)

/* header extensions */
#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_FEATURES     0x6803f857u
#define QCOW2_EXT_BITMAPS      0x23852875u
#define QCOW2_EXT_CRYPTO       0x0537be77u
#define QCOW2_EXT_DATA_FILE    0x44415441u

/* incompatible feature bits */
#define QCOW2_INCOMPAT_DIRTY       (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ULL << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)

/* L1 and L2 entries */
#define QCOW2_OFLAG_COPIED     (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO       (1ULL << 0)
#define QCOW2_L1E_OFFSET_MASK  0x00fffffffffffe00ULL
#define QCOW2_L1E_RESERVED     0x7f000000000001ffULL
#define QCOW2_L2E_OFFSET_MASK  0x00fffffffffffe00ULL
#define QCOW2_L2E_RESERVED     0x3f000000000001feULL
#define QCOW2_RTE_OFFSET_MASK  0xfffffffffffffe00ULL

/* byte offsets of header fields the code rewrites */
#define QCOW2_HDR_RT_OFFSET    48   /* refcount_table_offset, _clusters: 12 bytes */
#define QCOW2_HDR_INCOMPAT     72
#define QCOW2_HDR_AUTOCLEAR    88

/* The header as parsed and checked (host byte order). */
struct qcow2_header {
	uint32_t version;
	uint64_t backing_offset;
	uint32_t backing_len;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
	/* from the header cluster */
	char backing[QCOW2_MAX_BACKING_NAME + 1];  /* "" when none */
	char backing_fmt[32];                      /* "" when not recorded */
	bool has_bitmaps;
};

/*
 * Parses and checks the header cluster buf[0..len) of an image whose file
 * is file_size bytes long (len: the whole first cluster, or the file when
 * shorter).  writable: the image is to be opened read-write (the dirty
 * and corrupt bits are refused then).  Every field is distrusted: ranges
 * must lie in the file, tables must not overlap, sizes stay within QEMU's
 * limits.  0, or -EINVAL (malformed), -ENOTSUP (a feature ttyvm does not
 * implement), -EAGAIN when len is shorter than the cluster the header
 * names (read that much and call again); err names the problem.
 */
int qcow2_header_parse(const uint8_t *buf, size_t len, uint64_t file_size, bool writable,
		       struct qcow2_header *h, char *err, size_t errlen);

/*
 * Writes the header of h into buf (cluster_size bytes, zeroed first):
 * fields, the backing file format extension when backing_fmt is set, the
 * end marker and the backing file name.  Version 3 headers carry no
 * compression_type field.  -EINVAL when it does not fit the cluster.
 */
int qcow2_header_build(const struct qcow2_header *h, uint8_t *buf, size_t cluster_size);

/* Entries per L2 table / refcount block, and L1 entries a size needs. */
static inline uint64_t qcow2_l2_entries(uint32_t cluster_bits)
{
	return 1ULL << (cluster_bits - 3);
}
static inline uint64_t qcow2_l1_entries_for(uint64_t size, uint32_t cluster_bits)
{
	uint64_t per_l1 = 1ULL << (cluster_bits * 2 - 3);   /* bytes one L2 table maps */
	return size / per_l1 + (size % per_l1 != 0);
}

static inline uint64_t qcow2_be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}
static inline uint32_t qcow2_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline void qcow2_put_be64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}
static inline void qcow2_put_be32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}
static inline void qcow2_put_be16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/*
 * Where the backing file name of image leads: name itself when absolute,
 * else name relative to image's directory (as QEMU resolves it).  Returns
 * a malloc'ed string (the caller frees it), or NULL when out of memory.
 */
char *qcow2_backing_path(const char *image, const char *name);

/* Refcount entry idx of a refcount block with 1 << order bits per entry. */
uint64_t qcow2_rc_get(const uint8_t *block, uint64_t idx, unsigned int order);
void qcow2_rc_set(uint8_t *block, uint64_t idx, unsigned int order, uint64_t v);


/* ---- the open image (qcow2.c, qcow2_cache.c, qcow2_map.c, qcow2_refcount.c) ---- */

/* One cached metadata cluster (an L2 table or a refcount block), as on disk (big endian). */
struct qcow2_cache_ent {
	uint64_t off;        /* host offset; 0: the slot is empty */
	uint8_t *buf;        /* cluster_size bytes */
	uint64_t stamp;      /* last use, for LRU */
	bool dirty;          /* differs from the file */
};

struct qcow2_cache {
	struct qcow2_cache_ent *e;
	unsigned int n;
	uint64_t clock;
	bool is_l2;          /* evicting a dirty L2 table needs the ordered flush */
};

struct qcow2 {
	struct blk blk;
	int fd;
	struct qcow2_header h;
	unsigned int cb;             /* cluster_bits */
	uint64_t cs;                 /* cluster size */
	uint64_t l2_entries;         /* entries per L2 table */
	uint64_t file_size;          /* bytes of the file, plus what is allocated but not yet written */
	uint64_t *l1;                /* h.l1_size entries, host byte order */
	uint32_t l1_dirty_lo, l1_dirty_hi;   /* dirty entries [lo, hi); lo == hi: clean */
	uint64_t *rt;                /* refcount table, host byte order */
	uint64_t rt_entries;
	unsigned int rc_order;
	uint64_t rb_entries;         /* refcounts per refcount block */
	uint64_t rc_max;
	struct qcow2_cache l2c, rbc;
	uint64_t free_hint;          /* no free cluster below this index, as far as we know */
	uint64_t *pending_free;      /* clusters to unref once the L2/L1 changes are durable */
	size_t npending, pending_cap;
	struct blk *backing;         /* NULL: none */
	uint8_t *bounce;             /* one cluster: copy-on-write, short iovecs */
	uint8_t *mbuf;               /* one cluster: new refcount blocks and tables */
	uint8_t *zin, *zout;         /* compressed cluster: 2 clusters in, one out */
	uint64_t zout_entry;         /* L2 entry zout holds decompressed; 0: none */
	bool broken;                 /* a metadata write failed: refuse writes from now on */
};

static inline struct qcow2 *qcow2_of(struct blk *b)
{
	return (struct qcow2 *)b;
}

/* true when host cluster off holds the header, the L1 or the refcount table */
static inline bool qcow2_fixed_meta(const struct qcow2 *q, uint64_t off)
{
	uint64_t l1_len = (((uint64_t)q->h.l1_size * 8 + q->cs - 1) / q->cs) * q->cs;
	uint64_t rt_len = (uint64_t)q->h.rt_clusters * q->cs;

	return off < q->cs || (off >= q->h.l1_offset && off < q->h.l1_offset + l1_len) ||
	       (off >= q->h.rt_offset && off < q->h.rt_offset + rt_len);
}

/* What an L2 entry says about one guest cluster. */
enum qcow2_kind { QCOW2_UNALLOC, QCOW2_ZERO, QCOW2_NORMAL, QCOW2_COMPRESSED };

/*
 * qcow2_map.c.  Classifies L2 entry e; *host gets the host offset (for
 * COMPRESSED the byte offset of the data and *clen its length in bytes).
 * -EIO for an entry that is corrupt (unaligned, past QCOW2_MAX_HOST_OFFSET).
 */
int qcow2_entry_decode(const struct qcow2 *q, uint64_t e, enum qcow2_kind *kind,
		       uint64_t *host, uint64_t *clen);
/* The L2 entry for guest offset pos (0 when its L2 table is not allocated). */
int qcow2_map_lookup(struct qcow2 *q, uint64_t pos, uint64_t *entry);
/*
 * The L2 table for guest offset pos, made writable: allocated when the L1
 * entry is empty, copied when it is shared (no COPIED flag).  *l2 points
 * into the L2 cache and stays valid until the next L2 cache call; *idx is
 * pos's entry in it.  Mark it dirty with qcow2_cache_dirty() after a change.
 */
int qcow2_map_l2_for_write(struct qcow2 *q, uint64_t pos, uint8_t **l2, uint64_t *idx);
/* Decompresses the compressed cluster of entry e into q->zout. */
int qcow2_map_decompress(struct qcow2 *q, uint64_t e);
/* Reads len bytes of the file at off into buf; bytes past its end read as zeros. */
int qcow2_read_host(struct qcow2 *q, void *buf, size_t len, uint64_t off);
/* Queues the clusters that entry e (NORMAL, COMPRESSED, ZERO with offset) owns for unref. */
int qcow2_map_release(struct qcow2 *q, uint64_t e);

/* qcow2_cache.c */
int qcow2_cache_init(struct qcow2_cache *c, unsigned int n, uint64_t cs, bool is_l2);
void qcow2_cache_destroy(struct qcow2_cache *c);
/*
 * The cluster at host offset off through cache c: loaded from the file,
 * or all zeros when fresh (a newly allocated table).  The pointer stays
 * valid until the next get on c.  -EIO for an offset that is not a
 * cluster inside the file.
 */
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool fresh,
		    uint8_t **buf);
void qcow2_cache_dirty(struct qcow2_cache *c, const uint8_t *buf);
/* Forgets a cached cluster (it was freed), without writing it. */
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off);
/* Writes every dirty entry of c.  0 or -errno. */
int qcow2_cache_write(struct qcow2 *q, struct qcow2_cache *c);
/*
 * The ordered metadata flush: refcount blocks, fdatasync (data and
 * refcounts durable), L2 tables, fdatasync, L1 entries, fdatasync, then
 * the pending unrefs.  A crash at any point leaves leaked clusters at
 * worst, never an entry that points at a cluster with refcount 0 or at
 * data not yet written.  0 or -errno (the image is marked broken).
 */
int qcow2_meta_flush(struct qcow2 *q);
/* Marks L1 entry i dirty. */
void qcow2_l1_dirty(struct qcow2 *q, uint32_t i);

/* qcow2_refcount.c */
/* The refcount of host cluster index c (0 when no refcount block covers it). */
int qcow2_refcount_get(struct qcow2 *q, uint64_t c, uint64_t *val);
/* Adds delta (+1 or -1) to the refcount of cluster c; -EIO on overflow/underflow. */
int qcow2_refcount_update(struct qcow2 *q, uint64_t c, int delta);
/*
 * Allocates one free cluster (refcount 0 -> 1, in the cache; the refcount
 * table grows and refcount blocks appear as needed).  *off: its host
 * offset.  The caller writes it before anything points at it.
 */
int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off);
/* Queues host cluster c for unref after the next ordered flush. */
int qcow2_free_later(struct qcow2 *q, uint64_t c);
/* Applies the queued unrefs (called by qcow2_meta_flush). */
int qcow2_free_pending(struct qcow2 *q);

#endif
