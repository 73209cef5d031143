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

#endif
