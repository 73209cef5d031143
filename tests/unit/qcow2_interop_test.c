/*
 * qcow2_interop_test.c - qcow2 images QEMU made, read and written by
 * ttyvm: qemu-img creates them with every option that changes the layout
 * (version, cluster size, refcount width), qemu-io writes patterns, zero
 * clusters and discards into them, qemu-img convert -c compresses them,
 * qemu-img snapshot shares their clusters; the reference is always what
 * `qemu-img convert -O raw` makes of the same image.  After ttyvm writes,
 * `qemu-img check` must find the image clean and `qemu-img compare` equal
 * to a raw shadow that got the same writes.  Needs qemu-utils.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_testutil.h"
#include "testutil.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/block/img.h"

#define QEMU_IO_WRITES \
	"-c 'write -P 0xab 0 64k' -c 'write -P 0x11 100k 3k' -c 'write -P 0x22 1020k 8k' " \
	"-c 'write -z 1M 256k' -c 'write -P 0x33 3M 1M' -c 'discard 3M 64k' " \
	"-c 'write -P 0x44 5000k 512'"

/* The same few writes through blk on an image and on its raw shadow. */
static void blk_writes(const char *img, const char *shadow)
{
	static const struct { uint64_t off, len; } w[] = {
		{ 0, 4096 }, { 60 * 1024, 8192 }, { 1024 * 1024 + 512, 3000 },
		{ 3 * MiB, 64 * 1024 }, { 4 * MiB - 100, 200 }, { 6 * MiB, 300 * 1024 },
	};
	uint8_t *buf = malloc(300 * 1024);
	struct blk *q = blk_topen(img, DISK_FMT_AUTO, 0);
	struct blk *r = blk_topen(shadow, DISK_FMT_RAW, 0);

	assert_non_null(buf);
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		blk_pattern(buf, w[i].len, w[i].off, (uint32_t)i + 50);
		assert_int_equal(blk_pwrite(q, buf, w[i].len, w[i].off), 0);
		assert_int_equal(blk_pwrite(r, buf, w[i].len, w[i].off), 0);
	}
	assert_int_equal(blk_write_zeroes(q, 3 * MiB + 64 * 1024, 128 * 1024, true), 0);
	assert_int_equal(blk_write_zeroes(r, 3 * MiB + 64 * 1024, 128 * 1024, false), 0);
	blk_tcheck_file(q, shadow);
	blk_close(q);
	blk_close(r);
	free(buf);
}

/* Reads img through blk against qemu's raw conversion, writes, then checks with qemu. */
static void roundtrip(struct blk_tdir *t, const char *img)
{
	char ref[UNIT_PATH_LEN];
	struct blk *q;

	blk_tpath(t, "ref.raw", ref);
	unlink(ref);
	assert_int_equal(blk_sh("qemu-img convert -O raw '%s' '%s'", img, ref), 0);
	q = blk_topen(img, DISK_FMT_AUTO, BLK_O_RDONLY);
	blk_tcheck_file(q, ref);
	blk_close(q);
	blk_writes(img, ref);
	assert_int_equal(blk_sh("qemu-img check -q '%s'", img), 0);
	assert_int_equal(blk_sh("qemu-img compare -q -F raw '%s' '%s'", img, ref), 0);
}

static void qemu_made(const char *opts)
{
	char img[UNIT_PATH_LEN];
	struct blk_tdir t;

	blk_require_qemu_img();
	blk_tdir_init(&t);
	blk_tpath(&t, "q.qcow2", img);
	assert_int_equal(blk_sh("qemu-img create -q -f qcow2 %s '%s' 8M", opts, img), 0);
	assert_int_equal(blk_sh("qemu-io -f qcow2 " QEMU_IO_WRITES " '%s' >/dev/null", img), 0);
	roundtrip(&t, img);
	blk_tdir_done(&t);
}

static void test_qemu_default(void **state)
{
	(void)state;
	qemu_made("");
}

static void test_qemu_v2_4k(void **state)
{
	(void)state;
	qemu_made("-o compat=0.10,cluster_size=4k");
}

static void test_qemu_512(void **state)
{
	(void)state;
	qemu_made("-o cluster_size=512");
}

static void test_qemu_2m(void **state)
{
	(void)state;
	qemu_made("-o cluster_size=2M");
}

static void test_qemu_refcount_widths(void **state)
{
	(void)state;
	qemu_made("-o refcount_bits=1");
	qemu_made("-o refcount_bits=64,cluster_size=16k");
	qemu_made("-o refcount_bits=8,lazy_refcounts=on");
}

static void test_qemu_compressed(void **state)
{
	char raw[UNIT_PATH_LEN], img[UNIT_PATH_LEN];
	struct blk_tdir t;

	(void)state;
	blk_require_qemu_img();
	blk_tdir_init(&t);
	blk_tpath(&t, "src.raw", raw);
	blk_tpath(&t, "c.qcow2", img);
	assert_int_equal(blk_sh("qemu-img create -q -f raw '%s' 8M && qemu-io -f raw "
				QEMU_IO_WRITES " '%s' >/dev/null && "
				"head -c 700000 /dev/urandom | dd of='%s' bs=1k seek=2048 "
				"conv=notrunc status=none", raw, raw, raw), 0);
	assert_int_equal(blk_sh("qemu-img convert -q -c -O qcow2 '%s' '%s'", raw, img), 0);
	roundtrip(&t, img);
	blk_tdir_done(&t);
}

/* base.raw <- mid.qcow2 <- top.qcow2, relative names, written at every level by qemu-io. */
static void test_qemu_backing_chain(void **state)
{
	char top[UNIT_PATH_LEN];
	struct blk_tdir t;

	(void)state;
	blk_require_qemu_img();
	blk_tdir_init(&t);
	assert_int_equal(blk_sh("cd '%s' && qemu-img create -q -f raw base.raw 8M && "
				"qemu-io -f raw -c 'write -P 0x5a 0 8M' base.raw >/dev/null && "
				"qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 && "
				"qemu-io -f qcow2 " QEMU_IO_WRITES " mid.qcow2 >/dev/null && "
				"qemu-img create -q -f qcow2 -o cluster_size=4k -b mid.qcow2 "
				"-F qcow2 top.qcow2 10M && "
				"qemu-io -f qcow2 -c 'write -P 0x77 62k 4k' -c 'write -z 3M 4k' "
				"-c 'write -P 0x78 9M 4k' top.qcow2 >/dev/null", t.dir), 0);
	blk_tpath(&t, "top.qcow2", top);
	roundtrip(&t, top);
	/* the lower images stay as they were */
	assert_int_equal(blk_sh("cd '%s' && qemu-img check -q mid.qcow2 && qemu-io -f raw "
				"-c 'read -P 0x5a 0 8M' base.raw | grep -q 'read 8388608'", t.dir), 0);
	blk_tdir_done(&t);
}

/*
 * An internal snapshot shares every cluster; ttyvm's writes must copy
 * them (L2 tables and data) so that applying the snapshot afterwards
 * brings back exactly the old content.
 */
static void test_qemu_internal_snapshot(void **state)
{
	char img[UNIT_PATH_LEN], before[UNIT_PATH_LEN], ref[UNIT_PATH_LEN];
	struct blk_tdir t;

	(void)state;
	blk_require_qemu_img();
	blk_tdir_init(&t);
	blk_tpath(&t, "s.qcow2", img);
	blk_tpath(&t, "before.raw", before);
	blk_tpath(&t, "ref.raw", ref);
	assert_int_equal(blk_sh("qemu-img create -q -f qcow2 '%s' 8M && qemu-io -f qcow2 "
				QEMU_IO_WRITES " '%s' >/dev/null && qemu-img snapshot -c s1 '%s' && "
				"qemu-img convert -O raw '%s' '%s' && cp '%s' '%s'",
				img, img, img, img, before, before, ref), 0);
	blk_writes(img, ref);
	assert_int_equal(blk_sh("qemu-img check -q '%s'", img), 0);
	assert_int_equal(blk_sh("qemu-img compare -q -F raw '%s' '%s'", img, ref), 0);
	assert_int_equal(blk_sh("qemu-img snapshot -a s1 '%s' && qemu-img check -q '%s' && "
				"qemu-img compare -q -F raw '%s' '%s'", img, img, img, before), 0);
	blk_tdir_done(&t);
}

/* What ttyvm creates with a backing file, qemu reads the same way. */
static void test_ttyvm_backing_for_qemu(void **state)
{
	char base[UNIT_PATH_LEN], img[UNIT_PATH_LEN], ref[UNIT_PATH_LEN], err[512];
	struct blk_tdir t;

	(void)state;
	blk_require_qemu_img();
	blk_tdir_init(&t);
	blk_tpath(&t, "base.qcow2", base);
	blk_tpath(&t, "over.qcow2", img);
	blk_tpath(&t, "ref.raw", ref);
	assert_int_equal(blk_sh("qemu-img create -q -f qcow2 '%s' 8M && qemu-io -f qcow2 "
				QEMU_IO_WRITES " '%s' >/dev/null", base, base), 0);
	assert_int_equal(img_create(img, DISK_FMT_QCOW2, 0, "base.qcow2", NULL, NULL, err,
				    sizeof(err)), 0);
	assert_int_equal(blk_sh("qemu-img info '%s' | grep -q 'backing file: base.qcow2'", img),
			 0);
	assert_int_equal(blk_sh("qemu-img convert -O raw '%s' '%s'", base, ref), 0);
	blk_writes(img, ref);
	assert_int_equal(blk_sh("qemu-img check -q '%s' && qemu-img compare -q -F raw '%s' '%s'",
				img, img, ref), 0);
	blk_tdir_done(&t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_qemu_default),
	cmocka_unit_test(test_qemu_v2_4k),
	cmocka_unit_test(test_qemu_512),
	cmocka_unit_test(test_qemu_2m),
	cmocka_unit_test(test_qemu_refcount_widths),
	cmocka_unit_test(test_qemu_compressed),
	cmocka_unit_test(test_qemu_backing_chain),
	cmocka_unit_test(test_qemu_internal_snapshot),
	cmocka_unit_test(test_ttyvm_backing_for_qemu),
};

UNIT_SUITE(qcow2_interop, tests);
