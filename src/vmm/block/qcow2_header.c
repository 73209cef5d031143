/*
 * qcow2_header.c - the qcow2 header (QEMU docs/interop/qcow2.txt,
 * "Header" and "Header extensions"): parsing with every field checked,
 * and building one for a new image.  Also the refcount entry accessors
 * for every refcount width (1 to 64 bits).
 *
 * Nothing here trusts the file.  A field that points into the image must
 * point inside it, aligned as the spec says; the L1 table, the refcount
 * table and the snapshot table must not overlap each other or the
 * header cluster; table sizes stay within QEMU's implementation limits
 * (32 MiB of L1, 8 MiB of refcount table), which also bound what the
 * caller allocates for them.  Unsupported features are refused by name:
 * encryption, external data files, extended L2 entries, zstd
 * compression, and any unknown incompatible bit (named from the image's
 * feature name table when it has one).  The dirty and corrupt bits only
 * refuse a read-write open.
 *
 * Not here: reading the file (qcow2.c hands in the bytes), L1/L2/refcount
 * tables (qcow2.c, qcow2_refcount.c).
 */
#include "vmm/block/qcow2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/util.h"

/* [a, a+alen) and [b, b+blen) share a byte (lengths > 0, no overflow) */
static bool qcow2_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The name of an incompatible feature bit from the feature name table. */
static void qcow2_feature_name(const uint8_t *tbl, uint32_t len, unsigned int bit,
			       char *out, size_t outlen)
{
	snprintf(out, outlen, "bit %u", bit);
	for (uint32_t i = 0; tbl && i + 48 <= len; i += 48) {
		if (tbl[i] == 0 && tbl[i + 1] == bit) {
			char name[47];
			memcpy(name, tbl + i + 2, 46);
			name[46] = '\0';
			for (char *p = name; *p; p++)
				if (*p < 0x20 || *p > 0x7e)
					*p = '?';
			snprintf(out, outlen, "bit %u, '%s'", bit, name);
			return;
		}
	}
}

/* Header extensions: the backing format, the feature table, the bitmaps. */
static int qcow2_parse_extensions(const uint8_t *buf, size_t cs, struct qcow2_header *h,
				  const uint8_t **features, uint32_t *features_len,
				  char *err, size_t errlen)
{
	size_t pos = h->version == 2 ? QCOW2_V2_HEADER_LEN : h->header_length;

	for (;;) {
		if (pos + 8 > cs)
			return errmsg_set(err, errlen, -EINVAL, NULL,
					  "header extensions run past the first cluster");
		uint32_t type = qcow2_be32(buf + pos), len = qcow2_be32(buf + pos + 4);
		pos += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (len > cs - pos)
			return errmsg_set(err, errlen, -EINVAL, NULL,
					  "header extension 0x%08x of %u bytes runs past the "
					  "first cluster", type, len);
		switch (type) {
		case QCOW2_EXT_BACKING_FMT:
			if (len >= sizeof(h->backing_fmt) || memchr(buf + pos, 0, len))
				return errmsg_set(err, errlen, -EINVAL, NULL,
						  "malformed backing file format extension");
			memcpy(h->backing_fmt, buf + pos, len);
			h->backing_fmt[len] = '\0';
			break;
		case QCOW2_EXT_FEATURES:
			*features = buf + pos;
			*features_len = len;
			break;
		case QCOW2_EXT_BITMAPS:
			h->has_bitmaps = true;
			break;
		default:
			break;          /* unknown extensions can be safely ignored */
		}
		pos += ALIGN_UP(len, 8);
	}
}

static int qcow2_check_features(struct qcow2_header *h, bool writable,
				const uint8_t *features, uint32_t features_len,
				char *err, size_t errlen)
{
	static const uint64_t known = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |
				      QCOW2_INCOMPAT_DATA_FILE | QCOW2_INCOMPAT_COMPRESSION |
				      QCOW2_INCOMPAT_EXTL2;
	uint64_t unknown = h->incompat & ~known;
	char name[80];

	if (h->crypt_method)
		return errmsg_set(err, errlen, -ENOTSUP, NULL,
				  "encrypted qcow2 images (%s) are not supported",
				  h->crypt_method == 1 ? "AES" : h->crypt_method == 2 ? "LUKS"
							       : "unknown method");
	if (unknown) {
		qcow2_feature_name(features, features_len, (unsigned int)__builtin_ctzll(unknown),
				   name, sizeof(name));
		return errmsg_set(err, errlen, -ENOTSUP, NULL,
				  "unknown incompatible qcow2 feature (%s)", name);
	}
	if (h->incompat & QCOW2_INCOMPAT_DATA_FILE)
		return errmsg_set(err, errlen, -ENOTSUP, NULL,
				  "qcow2 feature 'external data file' is not supported");
	if (h->incompat & QCOW2_INCOMPAT_EXTL2)
		return errmsg_set(err, errlen, -ENOTSUP, NULL,
				  "qcow2 feature 'extended L2 entries' (subclusters) is not "
				  "supported");
	if (!(h->incompat & QCOW2_INCOMPAT_COMPRESSION) != !h->compression_type)
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "compression type %u does not match the compression "
				  "feature bit", h->compression_type);
	if (h->compression_type)
		return errmsg_set(err, errlen, -ENOTSUP, NULL,
				  "qcow2 compression type %s is not supported (only zlib)",
				  h->compression_type == 1 ? "zstd" : "unknown");
	if (writable && (h->incompat & QCOW2_INCOMPAT_CORRUPT))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "the image is marked corrupt; repair it with qemu-img "
				  "check -r all, or open it read-only");
	if (writable && (h->incompat & QCOW2_INCOMPAT_DIRTY))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "the image is marked dirty (lazy refcounts not written "
				  "back); repair it with qemu-img check -r all, or open it "
				  "read-only");
	return 0;
}

/* The fixed fields and their ranges. */
static int qcow2_check_fields(struct qcow2_header *h, size_t len, uint64_t file_size,
			      char *err, size_t errlen)
{
	uint64_t cs = 1ULL << h->cluster_bits;

	if (h->version == 3) {
		if (h->header_length < QCOW2_V3_HEADER_LEN || h->header_length % 8 ||
		    h->header_length > MIN(cs, (uint64_t)len))
			return errmsg_set(err, errlen, -EINVAL, NULL,
					  "header_length %u is not a multiple of 8 between %u "
					  "and the cluster size", h->header_length,
					  QCOW2_V3_HEADER_LEN);
		if (h->refcount_order > 6)
			return errmsg_set(err, errlen, -EINVAL, NULL,
					  "refcount_order %u is out of range (0..6)",
					  h->refcount_order);
	}
	if (h->size > (uint64_t)INT64_MAX)
		return errmsg_set(err, errlen, -EINVAL, NULL, "virtual size %llu is too large",
				  (unsigned long long)h->size);
	if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "L1 table of %u entries is larger than 32 MiB", h->l1_size);
	if (h->l1_size < qcow2_l1_entries_for(h->size, h->cluster_bits))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "L1 table of %u entries is too small for the virtual size",
				  h->l1_size);
	if (h->l1_offset % cs || (h->l1_size && (h->l1_offset == 0 ||
	    !range_within(h->l1_offset, (uint64_t)h->l1_size * 8, file_size))))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "L1 table offset 0x%llx is unaligned or outside the file",
				  (unsigned long long)h->l1_offset);
	if ((uint64_t)h->rt_clusters * cs > QCOW2_MAX_RT_BYTES)
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "refcount table of %u clusters is larger than 8 MiB",
				  h->rt_clusters);
	if (h->rt_clusters == 0 || h->rt_offset == 0 || h->rt_offset % cs ||
	    !range_within(h->rt_offset, (uint64_t)h->rt_clusters * cs, file_size))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "refcount table offset 0x%llx is unaligned or outside the file",
				  (unsigned long long)h->rt_offset);
	if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
		return errmsg_set(err, errlen, -EINVAL, NULL, "%u snapshots is too many",
				  h->nb_snapshots);
	if (h->nb_snapshots && (h->snapshots_offset == 0 || h->snapshots_offset % cs ||
				h->snapshots_offset >= file_size))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "snapshot table offset 0x%llx is unaligned or outside the file",
				  (unsigned long long)h->snapshots_offset);
	/* the tables may not share a byte with each other or the header */
	uint64_t l1_len = ALIGN_UP((uint64_t)h->l1_size * 8, cs);
	uint64_t rt_len = (uint64_t)h->rt_clusters * cs;
	if (qcow2_overlaps(h->rt_offset, rt_len, 0, cs) ||
	    (h->l1_size && (qcow2_overlaps(h->l1_offset, l1_len, 0, cs) ||
			    qcow2_overlaps(h->l1_offset, l1_len, h->rt_offset, rt_len))) ||
	    (h->nb_snapshots && (qcow2_overlaps(h->snapshots_offset, cs, h->rt_offset, rt_len) ||
				 (h->l1_size && qcow2_overlaps(h->snapshots_offset, cs,
							       h->l1_offset, l1_len)))))
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "the header, L1 table, refcount table and snapshot table "
				  "overlap");
	if (h->backing_offset) {
		if (h->backing_len == 0 || h->backing_len > QCOW2_MAX_BACKING_NAME ||
		    h->backing_offset < (h->version == 2 ? QCOW2_V2_HEADER_LEN : h->header_length) ||
		    !range_within(h->backing_offset, h->backing_len, MIN(cs, len)))
			return errmsg_set(err, errlen, -EINVAL, NULL,
					  "backing file name (offset %llu, %u bytes) is not "
					  "inside the header cluster",
					  (unsigned long long)h->backing_offset, h->backing_len);
	}
	return 0;
}

int qcow2_header_parse(const uint8_t *buf, size_t len, uint64_t file_size, bool writable,
		       struct qcow2_header *h, char *err, size_t errlen)
{
	const uint8_t *features = NULL;
	uint32_t features_len = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len < QCOW2_V2_HEADER_LEN || qcow2_be32(buf) != QCOW2_MAGIC)
		return errmsg_set(err, errlen, -EINVAL, NULL, "not a qcow2 image (no qcow2 header)");
	h->version = qcow2_be32(buf + 4);
	if (h->version == 1)
		return errmsg_set(err, errlen, -ENOTSUP, NULL,
				  "qcow version 1 images are not supported (convert with "
				  "qemu-img convert -O qcow2)");
	if (h->version != 2 && h->version != 3)
		return errmsg_set(err, errlen, -ENOTSUP, NULL, "qcow2 version %u is not supported",
				  h->version);
	h->backing_offset = qcow2_be64(buf + 8);
	h->backing_len = qcow2_be32(buf + 16);
	h->cluster_bits = qcow2_be32(buf + 20);
	h->size = qcow2_be64(buf + 24);
	h->crypt_method = qcow2_be32(buf + 32);
	h->l1_size = qcow2_be32(buf + 36);
	h->l1_offset = qcow2_be64(buf + 40);
	h->rt_offset = qcow2_be64(buf + 48);
	h->rt_clusters = qcow2_be32(buf + 56);
	h->nb_snapshots = qcow2_be32(buf + 60);
	h->snapshots_offset = qcow2_be64(buf + 64);
	h->refcount_order = 4;
	h->header_length = QCOW2_V2_HEADER_LEN;
	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS || h->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return errmsg_set(err, errlen, -EINVAL, NULL,
				  "cluster_bits %u is out of range (9..21)", h->cluster_bits);
	uint64_t cs = 1ULL << h->cluster_bits;
	if (len < cs && len < file_size)
		return -EAGAIN;                /* the caller reads the whole cluster */
	if (h->version == 3) {
		if (len < QCOW2_V3_HEADER_LEN)
			return errmsg_set(err, errlen, -EINVAL, NULL, "truncated version 3 header");
		h->incompat = qcow2_be64(buf + 72);
		h->compat = qcow2_be64(buf + 80);
		h->autoclear = qcow2_be64(buf + 88);
		h->refcount_order = qcow2_be32(buf + 96);
		h->header_length = qcow2_be32(buf + 100);
	}
	rc = qcow2_check_fields(h, len, file_size, err, errlen);
	if (rc < 0)
		return rc;
	if (h->version == 3 && h->header_length > QCOW2_V3_HEADER_LEN)
		h->compression_type = buf[104];
	len = (size_t)MIN((uint64_t)len, cs);
	rc = qcow2_parse_extensions(buf, len, h, &features, &features_len, err, errlen);
	if (rc < 0)
		return rc;
	rc = qcow2_check_features(h, writable, features, features_len, err, errlen);
	if (rc < 0)
		return rc;
	if (h->backing_offset) {
		memcpy(h->backing, buf + h->backing_offset, h->backing_len);
		h->backing[h->backing_len] = '\0';
		if (strlen(h->backing) != h->backing_len)
			return errmsg_set(err, errlen, -EINVAL, NULL,
					  "backing file name contains a NUL byte");
	}
	return 0;
}

/* ---- building ------------------------------------------------------------ */

int qcow2_header_build(const struct qcow2_header *h, uint8_t *buf, size_t cluster_size)
{
	size_t pos = h->version == 2 ? QCOW2_V2_HEADER_LEN : QCOW2_V3_HEADER_LEN;
	size_t blen = strlen(h->backing), flen = strlen(h->backing_fmt);

	memset(buf, 0, cluster_size);
	qcow2_put_be32(buf, QCOW2_MAGIC);
	qcow2_put_be32(buf + 4, h->version);
	qcow2_put_be32(buf + 20, h->cluster_bits);
	qcow2_put_be64(buf + 24, h->size);
	qcow2_put_be32(buf + 36, h->l1_size);
	qcow2_put_be64(buf + 40, h->l1_offset);
	qcow2_put_be64(buf + 48, h->rt_offset);
	qcow2_put_be32(buf + 56, h->rt_clusters);
	if (h->version == 3) {
		qcow2_put_be64(buf + 72, h->incompat);
		qcow2_put_be64(buf + 80, h->compat);
		qcow2_put_be64(buf + 88, h->autoclear);
		qcow2_put_be32(buf + 96, h->refcount_order);
		qcow2_put_be32(buf + 100, QCOW2_V3_HEADER_LEN);
	}
	if (flen) {
		if (pos + 8 + ALIGN_UP(flen, 8) > cluster_size)
			return -EINVAL;
		qcow2_put_be32(buf + pos, QCOW2_EXT_BACKING_FMT);
		qcow2_put_be32(buf + pos + 4, (uint32_t)flen);
		memcpy(buf + pos + 8, h->backing_fmt, flen);
		pos += 8 + ALIGN_UP(flen, 8);
	}
	pos += 8;                              /* the end-of-extensions marker: zeros */
	if (blen) {
		if (blen > QCOW2_MAX_BACKING_NAME || pos + blen > cluster_size)
			return -EINVAL;
		memcpy(buf + pos, h->backing, blen);
		qcow2_put_be64(buf + 8, pos);
		qcow2_put_be32(buf + 16, (uint32_t)blen);
	}
	return 0;
}

/* ---- refcount entries ---------------------------------------------------- */

uint64_t qcow2_rc_get(const uint8_t *block, uint64_t idx, unsigned int order)
{
	unsigned int bits = 1u << order;

	if (bits < 8) {
		unsigned int per = 8 / bits;
		return (block[idx / per] >> (bits * (idx % per))) & ((1u << bits) - 1);
	}
	const uint8_t *p = block + idx * (bits / 8);
	uint64_t v = 0;
	for (unsigned int i = 0; i < bits / 8; i++)
		v = v << 8 | p[i];
	return v;
}

void qcow2_rc_set(uint8_t *block, uint64_t idx, unsigned int order, uint64_t v)
{
	unsigned int bits = 1u << order;

	if (bits < 8) {
		unsigned int per = 8 / bits, shift = bits * (unsigned int)(idx % per);
		uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);
		block[idx / per] = (uint8_t)((block[idx / per] & ~mask) | ((v << shift) & mask));
		return;
	}
	uint8_t *p = block + idx * (bits / 8);
	for (int i = (int)(bits / 8) - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- backing file names -------------------------------------------------- */

char *qcow2_backing_path(const char *image, const char *name)
{
	const char *slash = strrchr(image, '/');
	size_t dir = slash ? (size_t)(slash - image) + 1 : 0;
	char *out;

	if (name[0] == '/' || dir == 0)
		return strdup(name);
	out = malloc(dir + strlen(name) + 1);
	if (!out)
		return NULL;
	memcpy(out, image, dir);
	strcpy(out + dir, name);
	return out;
}
