/*
 * qcow2_test.c - the qcow2 backend as ttyvm writes it: mapping and
 * allocation for every cluster size and both versions, against a raw
 * "shadow" image that receives the same requests (the raw backend is the
 * reference); copy-on-write over a backing file; zero clusters, discard,
 * block status; the refcount table growing; a crash (no close) leaving
 * at most leaks; refcounts that would wrap.  Consistency is judged by
 * qemu-img check and qemu-img compare (package qemu-utils).
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blk_testutil.h"
#include "testutil.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/block/img.h"
#include "vmm/block/qcow2.h"

static void mk_qcow2(const char *path, uint64_t size, uint32_t cluster, unsigned int version,
		     const char *backing)
{
	struct img_create_opts o = {
		.fmt = DISK_FMT_QCOW2, .size = size, .backing = backing,
		.cluster_size = cluster, .qcow2_version = version,
	};
	char err[512] = "";
	int rc = img_create_ex(path, &o, err, sizeof(err));

	if (rc < 0)
		fail_msg("img_create_ex(%s): %s", path, err);
}

/* A small deterministic random generator (xorshift). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The same random requests to q and the raw shadow r; returns nothing, asserts. */
static void random_ops(struct blk *q, struct blk *r, uint64_t size, unsigned int nops,
		       uint64_t seed, bool zeroes)
{
	uint8_t *buf = malloc(256 * 1024);
	uint64_t s = seed;

	assert_non_null(buf);
	for (unsigned int i = 0; i < nops; i++) {
		uint64_t op = rnd(&s) % 10;
		uint64_t len = 1 + rnd(&s) % (op < 7 ? 200 * 1024 : 1024 * 1024);
		uint64_t off = rnd(&s) % size;

		if (rnd(&s) % 2)
			off = ALIGN_DOWN(off, 512), len = ALIGN_UP(len, 512);
		len = MIN(len, size - off);
		if (!len)
			continue;
		if (op < 7 || !zeroes) {
			len = MIN(len, 256 * 1024);
			blk_pattern(buf, (size_t)len, off, (uint32_t)i);
			assert_int_equal(blk_pwrite(q, buf, (size_t)len, off), 0);
			assert_int_equal(blk_pwrite(r, buf, (size_t)len, off), 0);
		} else if (op < 9) {
			assert_int_equal(blk_write_zeroes(q, off, len, op == 8), 0);
			assert_int_equal(blk_write_zeroes(r, off, len, false), 0);
		} else {
			/* discard may keep the old data: make both read zeros after it */
			assert_int_equal(blk_discard(q, off, len), 0);
			assert_int_equal(blk_write_zeroes(q, off, len, true), 0);
			assert_int_equal(blk_write_zeroes(r, off, len, false), 0);
		}
		if (i % 16 == 15)
			assert_int_equal(blk_flush(q), 0);
	}
	free(buf);
}

static void check_with_qemu(const char *img, const char *raw)
{
	assert_int_equal(blk_sh("qemu-img check -q '%s'", img), 0);
	assert_int_equal(blk_sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", img, raw), 0);
}

/* Random writes, zeroes and discards for one cluster size and version. */
static void shadow_run(uint32_t cluster, unsigned int version, uint64_t size, unsigned int nops)
{
	char img[UNIT_PATH_LEN], raw[UNIT_PATH_LEN];
	struct blk_tdir t;
	struct blk *q, *r;

	blk_require_qemu_img();
	blk_tdir_init(&t);
	mk_qcow2(blk_tpath(&t, "d.qcow2", img), size, cluster, version, NULL);
	unit_tmp_sparse(raw, size);
	q = blk_topen(img, DISK_FMT_QCOW2, 0);
	r = blk_topen(raw, DISK_FMT_RAW, 0);
	assert_int_equal(blk_size(q), size);
	assert_int_equal(blk_format(q), DISK_FMT_QCOW2);
	random_ops(q, r, size, nops, 0x1234567 + cluster + version, true);
	blk_tcheck_file(q, raw);
	assert_int_equal(blk_flush(q), 0);
	blk_close(q);
	blk_close(r);
	check_with_qemu(img, raw);
	/* and the same after reopening */
	q = blk_topen(img, DISK_FMT_AUTO, BLK_O_RDONLY);
	blk_tcheck_file(q, raw);
	blk_close(q);
	unlink(raw);
	blk_tdir_done(&t);
}

static void test_map_64k_v3(void **state)
{
	(void)state;
	shadow_run(64 * 1024, 3, 64 * MiB, 300);
}

static void test_map_64k_v2(void **state)
{
	(void)state;
	shadow_run(64 * 1024, 2, 64 * MiB, 200);
}

static void test_map_512(void **state)
{
	(void)state;
	/* 512-byte clusters: refcount blocks cover 128 KiB, the table grows */
	shadow_run(512, 3, 12 * MiB, 150);
}

static void test_map_4k_v2(void **state)
{
	(void)state;
	shadow_run(4096, 2, 24 * MiB, 150);
}

static void test_map_2m(void **state)
{
	(void)state;
	shadow_run(2 * 1024 * 1024, 3, 128 * MiB, 60);
}

/* Fills a whole 512-byte-cluster disk: the refcount table must grow several times. */
static void test_refcount_table_grows(void **state)
{
	char img[UNIT_PATH_LEN], raw[UNIT_PATH_LEN];
	uint64_t size = 16 * MiB, rt_before;
	uint8_t *buf = malloc(MiB);
	struct blk_tdir t;
	struct blk *q;
	FILE *f;

	(void)state;
	blk_require_qemu_img();
	assert_non_null(buf);
	blk_tdir_init(&t);
	mk_qcow2(blk_tpath(&t, "g.qcow2", img), size, 512, 3, NULL);
	q = blk_topen(img, DISK_FMT_QCOW2, 0);
	rt_before = qcow2_of(q)->h.rt_clusters;
	for (uint64_t off = 0; off < size; off += MiB) {
		blk_pattern(buf, MiB, off, 7);
		assert_int_equal(blk_pwrite(q, buf, MiB, off), 0);
	}
	assert_true(qcow2_of(q)->h.rt_clusters > rt_before);
	blk_close(q);
	/* the raw equivalent, for qemu-img compare */
	blk_tpath(&t, "g.raw", raw);
	f = fopen(raw, "w");
	assert_non_null(f);
	for (uint64_t off = 0; off < size; off += MiB) {
		blk_pattern(buf, MiB, off, 7);
		assert_int_equal(fwrite(buf, 1, MiB, f), MiB);
	}
	fclose(f);
	check_with_qemu(img, raw);
	q = blk_topen(img, DISK_FMT_QCOW2, BLK_O_RDONLY);
	blk_tcheck_file(q, raw);
	blk_close(q);
	free(buf);
	blk_tdir_done(&t);
}

/* Copy-on-write over a raw backing file: partial writes merge, the base stays. */
static void test_backing_cow(void **state)
{
	char base[UNIT_PATH_LEN], img[UNIT_PATH_LEN], shadow[UNIT_PATH_LEN];
	uint64_t size = 8 * MiB;
	uint8_t *buf = malloc(size);
	struct blk_tdir t;
	struct blk *q, *r, *bb;
	FILE *f;

	(void)state;
	blk_require_qemu_img();
	assert_non_null(buf);
	blk_tdir_init(&t);
	blk_pattern(buf, size, 0, 99);
	f = fopen(blk_tpath(&t, "base.raw", base), "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, size - MiB, f), size - MiB);   /* shorter than the overlay */
	fclose(f);
	assert_int_equal(blk_sh("cp '%s' '%s/shadow.raw' && truncate -s %llu '%s/shadow.raw'",
				base, t.dir, (unsigned long long)size, t.dir), 0);
	blk_tpath(&t, "shadow.raw", shadow);
	mk_qcow2(blk_tpath(&t, "top.qcow2", img), size, 64 * 1024, 3, "base.raw");
	q = blk_topen(img, DISK_FMT_AUTO, 0);
	r = blk_topen(shadow, DISK_FMT_RAW, 0);
	assert_int_equal(blk_size(q), size);
	blk_tcheck_file(q, shadow);
	/* the backing file is held with a shared lock: readers yes, a writer no */
	{
		char err[256];
		assert_int_equal(blk_open(&bb, base, DISK_FMT_RAW, 0, err, sizeof(err)), -EBUSY);
		bb = blk_topen(base, DISK_FMT_RAW, BLK_O_RDONLY);
		blk_close(bb);
	}
	random_ops(q, r, size, 120, 42, true);
	blk_tcheck_file(q, shadow);
	blk_close(q);
	blk_close(r);
	check_with_qemu(img, shadow);
	/* the backing file is untouched */
	bb = blk_topen(base, DISK_FMT_RAW, BLK_O_RDONLY);
	blk_pattern(buf, size, 0, 99);
	blk_tcheck(bb, 0, buf, size - MiB);
	blk_close(bb);
	free(buf);
	blk_tdir_done(&t);
}

/* Zero clusters (v3), discard and block status. */
static void test_zero_discard_status(void **state)
{
	char img[UNIT_PATH_LEN];
	uint64_t cs = 64 * 1024, pnum;
	uint8_t *buf = malloc(4 * cs), *zero = calloc(1, 4 * cs);
	struct blk_tdir t;
	struct blk *q;

	(void)state;
	assert_non_null(buf);
	assert_non_null(zero);
	blk_tdir_init(&t);
	mk_qcow2(blk_tpath(&t, "z.qcow2", img), 16 * MiB, (uint32_t)cs, 3, NULL);
	q = blk_topen(img, DISK_FMT_QCOW2, 0);
	assert_int_equal(blk_block_status(q, 0, 16 * MiB, &pnum), BLK_STATUS_ZERO);
	assert_int_equal(pnum, 16 * MiB);
	blk_pattern(buf, 4 * cs, cs, 1);
	assert_int_equal(blk_pwrite(q, buf, 4 * cs, cs), 0);
	assert_int_equal(blk_block_status(q, 0, 16 * MiB, &pnum), BLK_STATUS_ZERO);
	assert_int_equal(pnum, cs);
	assert_int_equal(blk_block_status(q, cs, 16 * MiB - cs, &pnum), BLK_STATUS_DATA);
	assert_int_equal(pnum, 4 * cs);
	/* write-zeroes over cluster 2 and half of 3: cluster 2 becomes a zero cluster */
	assert_int_equal(blk_write_zeroes(q, 2 * cs, cs + cs / 2, true), 0);
	memset(buf + cs, 0, cs + cs / 2);
	blk_tcheck(q, cs, buf, 4 * cs);
	assert_int_equal(blk_block_status(q, 2 * cs, cs, &pnum), BLK_STATUS_ZERO);
	assert_int_equal(pnum, cs);
	/* discard of cluster 4 and a partial cluster: the whole one goes */
	assert_int_equal(blk_discard(q, 4 * cs, cs + 512), 0);
	blk_tcheck(q, 4 * cs, zero, cs);
	assert_int_equal(blk_block_status(q, 4 * cs, cs, &pnum), BLK_STATUS_ZERO);
	blk_close(q);
	if (blk_sh("command -v qemu-img >/dev/null") == 0)
		assert_int_equal(blk_sh("qemu-img check -q '%s'", img), 0);
	free(buf);
	free(zero);
	blk_tdir_done(&t);
}

/* Read-only images refuse writes; the lock keeps a second writer out. */
static void test_readonly_and_lock(void **state)
{
	char img[UNIT_PATH_LEN], err[512];
	struct blk_tdir t;
	struct blk *q, *q2;
	uint8_t b[512] = { 1 };

	(void)state;
	blk_tdir_init(&t);
	mk_qcow2(blk_tpath(&t, "ro.qcow2", img), MiB, 65536, 3, NULL);
	q = blk_topen(img, DISK_FMT_QCOW2, BLK_O_RDONLY);
	assert_true(blk_readonly(q));
	assert_int_equal(blk_pwrite(q, b, sizeof(b), 0), -EROFS);
	assert_int_equal(blk_discard(q, 0, 512), -EROFS);
	blk_close(q);
	q = blk_topen(img, DISK_FMT_QCOW2, 0);
	assert_int_equal(blk_open(&q2, img, DISK_FMT_QCOW2, 0, err, sizeof(err)), -EBUSY);
	unit_assert_err(-EBUSY, -EBUSY, err, img, "in use");
	blk_close(q);
	blk_tdir_done(&t);
}

/*
 * A crash: the writer is killed at a random moment while it writes,
 * discards and flushes (512-byte clusters: small tables, many evictions,
 * the refcount table growing).  Whatever reached the file, qemu-img check
 * may find leaks (exit 3) but never corruption (exit 2), and what was
 * flushed before the writes began reads back.
 */
static void test_crash_leaks_only(void **state)
{
	char img[UNIT_PATH_LEN];
	uint8_t *buf = malloc(64 * 1024);
	struct blk_tdir t;
	uint64_t seed = 12345;

	(void)state;
	blk_require_qemu_img();
	assert_non_null(buf);
	blk_tdir_init(&t);
	for (int round = 0; round < 5; round++) {
		int pfd[2], st, rc;
		char c;
		pid_t pid;

		unlink(blk_tpath(&t, "c.qcow2", img));
		mk_qcow2(img, 32 * MiB, round % 2 ? 512 : 4096, 3, NULL);
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct blk *q = NULL;
			char err[256];
			uint64_t s = 77 + (uint64_t)round;
			close(pfd[0]);
			if (blk_open(&q, img, DISK_FMT_QCOW2, 0, err, sizeof(err)) < 0)
				_exit(10);
			for (uint64_t off = 0; off < 4 * MiB; off += 64 * 1024) {
				blk_pattern(buf, 64 * 1024, off, 5);
				if (blk_pwrite(q, buf, 64 * 1024, off) < 0)
					_exit(11);
			}
			if (blk_flush(q) < 0 || write(pfd[1], "f", 1) != 1)
				_exit(12);
			for (unsigned int i = 0;; i++) {
				uint64_t off = 8 * MiB + ALIGN_DOWN(rnd(&s) % (24 * MiB - 8192), 512);
				blk_pattern(buf, 8192, off, 6);
				if (blk_pwrite(q, buf, 8192, off) < 0 ||
				    (i % 50 == 0 && blk_discard(q, ALIGN_DOWN(off, 4096), 4096) < 0) ||
				    (i % 97 == 0 && blk_flush(q) < 0))
					_exit(13);
			}
		}
		close(pfd[1]);
		assert_int_equal(read(pfd[0], &c, 1), 1);
		close(pfd[0]);
		usleep((useconds_t)(5000 + rnd(&seed) % 80000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		rc = blk_sh("qemu-img check -q '%s' >/dev/null 2>&1", img);
		if (rc != 0 && rc != 3)
			fail_msg("round %d: qemu-img check after a crash: exit %d (2 means "
				 "corruption)", round, rc);
		struct blk *q = blk_topen(img, DISK_FMT_QCOW2, BLK_O_RDONLY);
		for (uint64_t off = 0; off < 4 * MiB; off += 64 * 1024) {
			blk_pattern(buf, 64 * 1024, off, 5);
			blk_tcheck(q, off, buf, 64 * 1024);
		}
		blk_close(q);
	}
	free(buf);
	blk_tdir_done(&t);
}

/* A refcount at its maximum is not wrapped by one more reference. */
static void test_refcount_overflow(void **state)
{
	char img[UNIT_PATH_LEN];
	struct blk_tdir t;
	struct qcow2 *q;
	struct blk *b;
	uint8_t *rb;
	uint64_t v;

	(void)state;
	blk_tdir_init(&t);
	mk_qcow2(blk_tpath(&t, "o.qcow2", img), MiB, 65536, 3, NULL);
	b = blk_topen(img, DISK_FMT_QCOW2, 0);
	q = qcow2_of(b);
	assert_int_equal(qcow2_refcount_get(q, 0, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(qcow2_cache_get(q, &q->rbc, q->rt[0], false, &rb), 0);
	qcow2_rc_set(rb, 0, q->rc_order, 0xffff);
	assert_int_equal(qcow2_refcount_update(q, 0, +1), -EIO);
	assert_int_equal(qcow2_refcount_get(q, 0, &v), 0);
	assert_int_equal(v, 0xffff);
	qcow2_rc_set(rb, 0, q->rc_order, 1);
	assert_int_equal(qcow2_refcount_update(q, 200, -1), -EIO);   /* below 0 */
	blk_close(b);
	blk_tdir_done(&t);
}

/* The refcount accessors for every width. */
static void test_rc_widths(void **state)
{
	uint8_t blk[4096];

	(void)state;
	for (unsigned int order = 0; order <= 6; order++) {
		uint64_t max = order == 6 ? UINT64_MAX : (1ULL << (1u << order)) - 1;
		memset(blk, 0, sizeof(blk));
		for (uint64_t i = 0; i < 64; i++)
			qcow2_rc_set(blk, i, order, i * 0x0101010101010101ULL & max);
		for (uint64_t i = 0; i < 64; i++)
			assert_int_equal(qcow2_rc_get(blk, i, order), i * 0x0101010101010101ULL & max);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_rc_widths),
	cmocka_unit_test(test_map_64k_v3),
	cmocka_unit_test(test_map_64k_v2),
	cmocka_unit_test(test_map_512),
	cmocka_unit_test(test_map_4k_v2),
	cmocka_unit_test(test_map_2m),
	cmocka_unit_test(test_refcount_table_grows),
	cmocka_unit_test(test_backing_cow),
	cmocka_unit_test(test_zero_discard_status),
	cmocka_unit_test(test_readonly_and_lock),
	cmocka_unit_test(test_crash_leaks_only),
	cmocka_unit_test(test_refcount_overflow),
};

UNIT_SUITE(qcow2, tests);
