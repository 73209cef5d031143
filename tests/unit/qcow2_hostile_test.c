/*
 * qcow2_hostile_test.c - qcow2 images made to hurt the reader: every
 * header and table field out of range, tables past the end of the file
 * or on top of each other, entries that point nowhere, compressed data
 * that does not inflate, backing chains that loop or go too deep,
 * features ttyvm does not implement.  Each must give an error naming
 * the problem (or -EIO for the request that meets it), never a crash, a
 * hang or a huge allocation; the sanitizer build runs the same tests.
 *
 * The images start as a valid one from img_create (64 KiB clusters,
 * 1 MiB: header 0, refcount table 64K, refcount block 128K, L1 192K)
 * and get one field patched.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_testutil.h"
#include "testutil.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/block/img.h"
#include "vmm/block/qcow2.h"

#define CS 65536ULL
#define RT_OFF (1 * CS)
#define RB_OFF (2 * CS)
#define L1_OFF (3 * CS)

struct hostile {
	struct blk_tdir t;
	char img[UNIT_PATH_LEN];
	char err[512];
};

static void h_init(struct hostile *h, const char *backing)
{
	blk_tdir_init(&h->t);
	blk_tpath(&h->t, "h.qcow2", h->img);
	assert_int_equal(img_create(h->img, DISK_FMT_QCOW2, MiB, backing, NULL, NULL, h->err,
				    sizeof(h->err)), 0);
}

static void h_done(struct hostile *h)
{
	blk_tdir_done(&h->t);
}

static void put(const char *path, uint64_t off, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void put32(const char *path, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	qcow2_put_be32(b, v);
	put(path, off, b, 4);
}

static void put64(const char *path, uint64_t off, uint64_t v)
{
	uint8_t b[8];

	qcow2_put_be64(b, v);
	put(path, off, b, 8);
}

/* Opening fails with want and a message that contains phrase. */
static void open_fails(struct hostile *h, unsigned int flags, int want, const char *phrase)
{
	struct blk *b = NULL;
	int rc = blk_open(&b, h->img, DISK_FMT_AUTO, flags, h->err, sizeof(h->err));

	if (rc == 0)
		blk_close(b);
	unit_assert_err(rc, want, h->err, NULL, phrase);
	assert_null(b);
}

static void test_cluster_bits(void **state)
{
	static const uint32_t bad[] = { 0, 8, 22, 31, 63, 0xffffffff };
	struct hostile h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		h_init(&h, NULL);
		put32(h.img, 20, bad[i]);
		open_fails(&h, 0, -EINVAL, "cluster_bits");
		h_done(&h);
	}
}

static void test_truncated(void **state)
{
	struct hostile h;

	(void)state;
	h_init(&h, NULL);
	assert_int_equal(truncate(h.img, 100), 0);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "");
	h_done(&h);
	/* the L1 table is gone */
	h_init(&h, NULL);
	assert_int_equal(truncate(h.img, L1_OFF + 4), 0);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "L1 table");
	h_done(&h);
	/* the refcount table is gone */
	h_init(&h, NULL);
	assert_int_equal(truncate(h.img, RT_OFF + 100), 0);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "");
	h_done(&h);
}

static void test_huge_l1(void **state)
{
	struct hostile h;

	(void)state;
	h_init(&h, NULL);
	put32(h.img, 36, 0xffffffff);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "32 MiB");
	h_done(&h);
	/* within the limit but far past the end of the file */
	h_init(&h, NULL);
	put32(h.img, 36, 1u << 20);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "outside the file");
	h_done(&h);
	/* a virtual size the L1 table cannot map */
	h_init(&h, NULL);
	put64(h.img, 24, 1ULL << 50);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "too small for the virtual size");
	h_done(&h);
	h_init(&h, NULL);
	put64(h.img, 24, UINT64_MAX);
	open_fails(&h, BLK_O_RDONLY, -EINVAL, "too large");
	h_done(&h);
}

static void test_refcount_fields(void **state)
{
	struct hostile h;

	(void)state;
	h_init(&h, NULL);
	put32(h.img, 96, 7);
	open_fails(&h, 0, -EINVAL, "refcount_order");
	h_done(&h);
	h_init(&h, NULL);
	put32(h.img, 56, 0x40000000);     /* refcount table clusters */
	open_fails(&h, 0, -EINVAL, "refcount table");
	h_done(&h);
	h_init(&h, NULL);
	put64(h.img, 48, L1_OFF);         /* on top of the L1 table */
	open_fails(&h, 0, -EINVAL, "overlap");
	h_done(&h);
	h_init(&h, NULL);
	put64(h.img, 48, RT_OFF + 512);   /* unaligned */
	open_fails(&h, 0, -EINVAL, "refcount table");
	h_done(&h);
}

/* A refcount table entry past the end of the file: writes fail, nothing crashes. */
static void test_refblock_past_eof(void **state)
{
	uint8_t buf[4096] = { 0xaa };
	struct hostile h;
	struct blk *b;

	(void)state;
	h_init(&h, NULL);
	put64(h.img, RT_OFF, 1ULL << 40);
	b = blk_topen(h.img, DISK_FMT_QCOW2, 0);
	assert_int_equal(blk_pwrite(b, buf, sizeof(buf), 0), -EIO);
	assert_int_equal(blk_pread(b, buf, sizeof(buf), 0), 0);   /* reads need no refcounts */
	blk_close(b);
	h_done(&h);
}

static void test_l1_entry_past_eof(void **state)
{
	static const uint64_t bad[] = {
		(1ULL << 20) | QCOW2_OFLAG_COPIED,        /* past EOF */
		(L1_OFF + 512) | QCOW2_OFLAG_COPIED,      /* unaligned */
		0x00fffffffffe0000ULL,                    /* past QCOW2_MAX_HOST_OFFSET */
	};
	uint8_t buf[4096];
	struct hostile h;
	struct blk *b;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		h_init(&h, NULL);
		put64(h.img, L1_OFF, bad[i]);
		b = blk_topen(h.img, DISK_FMT_QCOW2, 0);
		assert_int_equal(blk_pread(b, buf, sizeof(buf), 0), -EIO);
		assert_int_equal(blk_pwrite(b, buf, sizeof(buf), 0), -EIO);
		uint64_t pnum;
		assert_true(blk_block_status(b, 0, MiB, &pnum) == -EIO);
		blk_close(b);
		h_done(&h);
	}
}

/* Writes one cluster through blk so there is an L2 table (at 4*CS) and data (5*CS). */
static void with_l2(struct hostile *h)
{
	uint8_t buf[4096];
	struct blk *b;

	h_init(h, NULL);
	b = blk_topen(h->img, DISK_FMT_QCOW2, 0);
	blk_pattern(buf, sizeof(buf), 0, 3);
	assert_int_equal(blk_pwrite(b, buf, sizeof(buf), 0), 0);
	blk_close(b);
}

static void test_l2_entries(void **state)
{
	static const uint64_t bad[] = {
		(5 * CS + 512) | QCOW2_OFLAG_COPIED,                 /* unaligned data */
		QCOW2_OFLAG_COMPRESSED | (3ULL << 54) | (1ULL << 40), /* compressed past EOF */
		QCOW2_OFLAG_COMPRESSED | RB_OFF,                      /* compressed: not deflate */
		QCOW2_OFLAG_COMPRESSED,                               /* compressed at 0 */
	};
	uint8_t buf[8192];
	struct hostile h;
	struct blk *b;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		with_l2(&h);
		put64(h.img, 4 * CS, bad[i]);
		b = blk_topen(h.img, DISK_FMT_QCOW2, 0);
		assert_int_equal(blk_pread(b, buf, sizeof(buf), 0), -EIO);
		/* the rest of the disk still reads */
		assert_int_equal(blk_pread(b, buf, sizeof(buf), CS), 0);
		blk_close(b);
		h_done(&h);
	}
}

/* A data cluster on top of the L1 table: the write is refused, the table kept. */
static void test_data_on_metadata(void **state)
{
	uint8_t buf[4096], l1[8];
	struct hostile h;
	struct blk *b;
	int fd;

	(void)state;
	with_l2(&h);
	put64(h.img, 4 * CS, L1_OFF | QCOW2_OFLAG_COPIED);
	b = blk_topen(h.img, DISK_FMT_QCOW2, 0);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(blk_pwrite(b, buf, sizeof(buf), 0), -EIO);
	blk_close(b);
	fd = open(h.img, O_RDONLY);
	assert_int_equal(pread(fd, l1, 8, L1_OFF), 8);
	close(fd);
	assert_int_equal(qcow2_be64(l1), (4 * CS) | QCOW2_OFLAG_COPIED);
	h_done(&h);
}

/* A shared data cluster whose refcount is already 0: the unref fails, no wrap. */
static void test_refcount_underflow(void **state)
{
	uint8_t buf[512];
	struct hostile h;
	struct blk *b;

	(void)state;
	with_l2(&h);
	/* no COPIED flag (shared), pointing at cluster 7, whose refcount is 0 */
	put64(h.img, 4 * CS, 7 * CS);
	b = blk_topen(h.img, DISK_FMT_QCOW2, 0);
	memset(buf, 1, sizeof(buf));
	/* the copy goes to a new cluster... */
	int rc = blk_pwrite(b, buf, sizeof(buf), 0);
	if (rc == 0)
		rc = blk_flush(b);
	/* ... and unref'ing the old one finds a refcount that would go below 0 */
	assert_int_equal(rc, -EIO);
	blk_close(b);
	h_done(&h);
}

static void test_features(void **state)
{
	struct hostile h;

	(void)state;
	h_init(&h, NULL);
	put32(h.img, 32, 1);
	open_fails(&h, BLK_O_RDONLY, -ENOTSUP, "encrypted");
	h_done(&h);
	h_init(&h, NULL);
	put32(h.img, 32, 2);
	open_fails(&h, BLK_O_RDONLY, -ENOTSUP, "LUKS");
	h_done(&h);
	h_init(&h, NULL);
	put64(h.img, 72, QCOW2_INCOMPAT_DATA_FILE);
	open_fails(&h, BLK_O_RDONLY, -ENOTSUP, "external data file");
	h_done(&h);
	h_init(&h, NULL);
	put64(h.img, 72, QCOW2_INCOMPAT_EXTL2);
	open_fails(&h, BLK_O_RDONLY, -ENOTSUP, "extended L2");
	h_done(&h);
	h_init(&h, NULL);
	put64(h.img, 72, 1ULL << 20);
	open_fails(&h, BLK_O_RDONLY, -ENOTSUP, "unknown incompatible qcow2 feature (bit 20");
	h_done(&h);
	/* dirty: read-only is fine, read-write is refused */
	h_init(&h, NULL);
	put64(h.img, 72, QCOW2_INCOMPAT_DIRTY);
	open_fails(&h, 0, -EINVAL, "dirty");
	blk_close(blk_topen(h.img, DISK_FMT_QCOW2, BLK_O_RDONLY));
	h_done(&h);
	h_init(&h, NULL);
	put32(h.img, 4, 1);
	open_fails(&h, 0, -ENOTSUP, "qcow (version 1)");
	h_done(&h);
}

static void test_backing_loops(void **state)
{
	char a[UNIT_PATH_LEN], b[UNIT_PATH_LEN], c[UNIT_PATH_LEN], name[32];
	struct hostile h;
	struct blk *bk;

	(void)state;
	/* c.img <- a.img <- b.img, then a's backing rewritten to b.img: a loop */
	blk_tdir_init(&h.t);
	blk_tpath(&h.t, "c.img", c);
	blk_tpath(&h.t, "a.img", a);
	blk_tpath(&h.t, "b.img", b);
	assert_int_equal(img_create(c, DISK_FMT_QCOW2, MiB, NULL, NULL, NULL, h.err,
				    sizeof(h.err)), 0);
	assert_int_equal(img_create(a, DISK_FMT_QCOW2, MiB, "c.img", NULL, NULL, h.err,
				    sizeof(h.err)), 0);
	assert_int_equal(img_create(b, DISK_FMT_QCOW2, MiB, "a.img", NULL, NULL, h.err,
				    sizeof(h.err)), 0);
	bk = blk_topen(b, DISK_FMT_AUTO, BLK_O_RDONLY);
	blk_close(bk);
	{
		uint8_t hdr[512];
		int fd = open(a, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
		uint64_t boff = qcow2_be64(hdr + 8);
		assert_true(boff > 0 && boff < 500);
		assert_int_equal(pwrite(fd, "b.img", 5, (off_t)boff), 5);
		close(fd);
	}
	snprintf(h.img, sizeof(h.img), "%s", b);
	open_fails(&h, BLK_O_RDONLY, -ELOOP, "loop");
	snprintf(h.img, sizeof(h.img), "%s", a);
	open_fails(&h, 0, -ELOOP, "loop");
	/* itself as its own backing file */
	{
		int fd = open(a, O_RDWR);
		uint8_t hdr[512];
		assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
		assert_int_equal(pwrite(fd, "a.img", 5, (off_t)qcow2_be64(hdr + 8)), 5);
		close(fd);
	}
	open_fails(&h, BLK_O_RDONLY, -ELOOP, "loop");
	blk_tdir_done(&h.t);
	/* a chain one deeper than allowed */
	blk_tdir_init(&h.t);
	blk_tpath(&h.t, "l0.img", a);
	assert_int_equal(img_create(a, DISK_FMT_RAW, MiB, NULL, NULL, NULL, h.err,
				    sizeof(h.err)), 0);
	for (int i = 1; i <= BLK_MAX_CHAIN + 1; i++) {
		snprintf(name, sizeof(name), "l%d.img", i);
		blk_tpath(&h.t, name, a);
		snprintf(name, sizeof(name), "l%d.img", i - 1);
		assert_int_equal(img_create(a, DISK_FMT_QCOW2, 0, name, NULL, NULL, h.err,
					    sizeof(h.err)), 0);
		if (i == BLK_MAX_CHAIN) {
			bk = blk_topen(a, DISK_FMT_AUTO, BLK_O_RDONLY);
			blk_close(bk);
		}
	}
	snprintf(h.img, sizeof(h.img), "%s", a);
	open_fails(&h, BLK_O_RDONLY, -ELOOP, "deeper than");
	blk_tdir_done(&h.t);
}

static void test_backing_missing_or_odd(void **state)
{
	struct hostile h;
	char base[UNIT_PATH_LEN];

	(void)state;
	blk_tdir_init(&h.t);
	blk_tpath(&h.t, "base.raw", base);
	assert_int_equal(img_create(base, DISK_FMT_RAW, MiB, NULL, NULL, NULL, h.err,
				    sizeof(h.err)), 0);
	blk_tpath(&h.t, "h.qcow2", h.img);
	assert_int_equal(img_create(h.img, DISK_FMT_QCOW2, MiB, "base.raw", NULL, NULL, h.err,
				    sizeof(h.err)), 0);
	unlink(base);
	open_fails(&h, BLK_O_RDONLY, -ENOENT, "backing file");
	/* a backing format ttyvm does not read, named in the header */
	int fd = open(h.img, O_RDWR);
	uint8_t hdr[512];
	assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	for (size_t i = 104; i + 3 < sizeof(hdr); i++)
		if (memcmp(hdr + i, "raw", 3) == 0) {
			assert_int_equal(pwrite(fd, "vmd", 3, (off_t)i), 3);
			break;
		}
	close(fd);
	open_fails(&h, BLK_O_RDONLY, -ENOTSUP, "'vmd'");
	blk_tdir_done(&h.t);
}

/*
 * Every refcount table entry on one refcount block that says every
 * cluster is in use: an allocation gives up with -EIO soon after the end
 * of the file instead of scanning towards 2^56 clusters.
 */
static void test_all_clusters_in_use(void **state)
{
	uint8_t *rb = malloc(CS), *rt = malloc(CS), buf[512] = { 1 };
	struct hostile h;
	struct blk *b;

	(void)state;
	assert_non_null(rb);
	assert_non_null(rt);
	h_init(&h, NULL);
	memset(rb, 0xff, CS);
	for (uint64_t i = 0; i < CS / 8; i++)
		qcow2_put_be64(rt + i * 8, RB_OFF);
	put(h.img, RB_OFF, rb, CS);
	put(h.img, RT_OFF, rt, CS);
	b = blk_topen(h.img, DISK_FMT_QCOW2, 0);
	assert_int_equal(blk_pwrite(b, buf, sizeof(buf), 0), -EIO);
	assert_int_equal(blk_pwrite(b, buf, sizeof(buf), 0), -EIO);   /* and stays refused */
	assert_int_equal(blk_pread(b, buf, sizeof(buf), 0), 0);
	blk_close(b);
	free(rb);
	free(rt);
	h_done(&h);
}

/*
 * Fuzz: a small image with data, its metadata bytes flipped at random,
 * then opened, read end to end, written, discarded and flushed.  Any
 * result is fine except a crash, a hang or a sanitizer report.
 */
static void test_fuzz_metadata(void **state)
{
	struct hostile h;
	char tmpl[UNIT_PATH_LEN];
	uint8_t *file = malloc(256 * 1024), *buf = malloc(MiB);
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	struct blk *b;
	size_t flen;

	(void)state;
	assert_non_null(file);
	assert_non_null(buf);
	blk_tdir_init(&h.t);
	blk_tpath(&h.t, "t.qcow2", tmpl);
	blk_tpath(&h.t, "f.qcow2", h.img);
	struct img_create_opts o = { .fmt = DISK_FMT_QCOW2, .size = MiB, .cluster_size = 4096 };
	assert_int_equal(img_create_ex(tmpl, &o, h.err, sizeof(h.err)), 0);
	b = blk_topen(tmpl, DISK_FMT_QCOW2, 0);
	for (uint64_t off = 0; off < MiB; off += 96 * 1024) {
		blk_pattern(buf, 20000, off, 1);
		assert_int_equal(blk_pwrite(b, buf, 20000, off), 0);
	}
	assert_int_equal(blk_write_zeroes(b, 512 * 1024, 64 * 1024, true), 0);
	blk_close(b);
	FILE *f = fopen(tmpl, "rb");
	assert_non_null(f);
	flen = fread(file, 1, 256 * 1024, f);
	fclose(f);
	assert_true(flen > 5 * 4096);
	for (int it = 0; it < 300; it++) {
		uint8_t *copy = malloc(flen);
		assert_non_null(copy);
		memcpy(copy, file, flen);
		int flips = 1 + (int)((s = s * 6364136223846793005ULL + 1) >> 60);
		for (int k = 0; k < flips; k++) {
			s = s * 6364136223846793005ULL + 1;
			/* mostly the metadata clusters (header, tables) at the front */
			size_t at = (size_t)((s >> 20) % (it % 3 ? 6 * 4096 : flen));
			copy[at] ^= (uint8_t)(1u << ((s >> 8) % 8));
			if ((s >> 40) % 4 == 0)
				copy[at] = (uint8_t)(s >> 48);
		}
		f = fopen(h.img, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(copy, 1, flen, f), flen);
		fclose(f);
		free(copy);
		b = NULL;
		if (blk_open(&b, h.img, DISK_FMT_AUTO, it % 2 ? BLK_O_RDONLY : 0, h.err,
			     sizeof(h.err)) < 0) {
			assert_null(b);
			assert_true(h.err[0] != '\0');     /* a refusal always says why */
			continue;
		}
		uint64_t size = MIN(blk_size(b), 4 * MiB), pnum;
		for (uint64_t off = 0; off < size; off += MiB)
			(void)blk_pread(b, buf, (size_t)MIN((uint64_t)MiB, size - off), off);
		if (size)
			(void)blk_block_status(b, 0, size, &pnum);
		if (!blk_readonly(b) && size >= 8192) {
			memset(buf, 0x77, 8192);
			(void)blk_pwrite(b, buf, 8192, size / 3 & ~511ULL);
			(void)blk_discard(b, 0, size / 2);
			(void)blk_write_zeroes(b, size / 2 & ~511ULL, 4096, true);
			(void)blk_flush(b);
		}
		blk_close(b);
	}
	free(file);
	free(buf);
	blk_tdir_done(&h.t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_cluster_bits),
	cmocka_unit_test(test_truncated),
	cmocka_unit_test(test_huge_l1),
	cmocka_unit_test(test_refcount_fields),
	cmocka_unit_test(test_refblock_past_eof),
	cmocka_unit_test(test_l1_entry_past_eof),
	cmocka_unit_test(test_l2_entries),
	cmocka_unit_test(test_data_on_metadata),
	cmocka_unit_test(test_refcount_underflow),
	cmocka_unit_test(test_features),
	cmocka_unit_test(test_backing_loops),
	cmocka_unit_test(test_backing_missing_or_odd),
	cmocka_unit_test(test_all_clusters_in_use),
	cmocka_unit_test(test_fuzz_metadata),
};

UNIT_SUITE(qcow2_hostile, tests);
