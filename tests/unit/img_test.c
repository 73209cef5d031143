/*
 * img_test.c - images as a user handles them: img_info() on raw, qcow2
 * and overlays; img_copy() between formats, sparse both ways, flattening
 * a backing chain, refusing to overwrite, cleaning up after a failure.
 * qemu-img compare and check judge the copies (package qemu-utils).
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_testutil.h"
#include "testutil.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/block/img.h"

static void test_info(void **state)
{
	char raw[UNIT_PATH_LEN], q[UNIT_PATH_LEN], o[UNIT_PATH_LEN], err[512];
	struct img_create_opts co = { .fmt = DISK_FMT_QCOW2, .size = 3 * MiB,
				      .cluster_size = 4096, .qcow2_version = 2 };
	struct blk_tdir t;
	struct img_info i;

	(void)state;
	blk_tdir_init(&t);
	assert_int_equal(img_create(blk_tpath(&t, "r.img", raw), DISK_FMT_RAW, 5 * MiB + 1, NULL,
				    NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(img_info(raw, DISK_FMT_AUTO, &i, err, sizeof(err)), 0);
	assert_int_equal(i.format, DISK_FMT_RAW);
	assert_int_equal(i.virtual_size, 5 * MiB + 512);   /* rounded up to a sector */
	assert_null(i.backing);
	img_info_free(&i);
	assert_int_equal(img_create_ex(blk_tpath(&t, "q.qcow2", q), &co, err, sizeof(err)), 0);
	assert_int_equal(img_info(q, DISK_FMT_AUTO, &i, err, sizeof(err)), 0);
	assert_int_equal(i.format, DISK_FMT_QCOW2);
	assert_int_equal(i.virtual_size, 3 * MiB);
	assert_int_equal(i.qcow2_version, 2);
	assert_int_equal(i.cluster_size, 4096);
	assert_int_equal(i.refcount_bits, 16);
	assert_false(i.dirty);
	img_info_free(&i);
	/* an overlay: the backing file as stored and as resolved; shown even when gone */
	assert_int_equal(img_create(blk_tpath(&t, "o.qcow2", o), DISK_FMT_QCOW2, 0, "r.img",
				    NULL, NULL, err, sizeof(err)), 0);
	unlink(raw);
	assert_int_equal(img_info(o, DISK_FMT_AUTO, &i, err, sizeof(err)), 0);
	assert_string_equal(i.backing, "r.img");
	assert_string_equal(i.backing_path, raw);
	assert_int_equal(i.backing_fmt, DISK_FMT_RAW);
	assert_int_equal(i.virtual_size, 5 * MiB + 512);
	img_info_free(&i);
	/* a locked image (a running VM's) can still be inspected */
	struct blk *b = blk_topen(q, DISK_FMT_QCOW2, 0);
	assert_int_equal(img_info(q, DISK_FMT_AUTO, &i, err, sizeof(err)), 0);
	img_info_free(&i);
	blk_close(b);
	unit_assert_err(img_info(raw, DISK_FMT_AUTO, &i, err, sizeof(err)), -ENOENT, err, raw,
			"No such file");
	blk_tdir_done(&t);
}

/* qcow2 with data here and there -> raw -> qcow2: equal, and sparse. */
static void test_copy_formats(void **state)
{
	char q[UNIT_PATH_LEN], r[UNIT_PATH_LEN], q2[UNIT_PATH_LEN], err[512];
	struct blk_tdir t;
	struct stat st;

	(void)state;
	blk_require_qemu_img();
	blk_tdir_init(&t);
	blk_tpath(&t, "src.qcow2", q);
	blk_tpath(&t, "copy.raw", r);
	blk_tpath(&t, "copy.qcow2", q2);
	assert_int_equal(blk_sh("qemu-img create -q -f qcow2 '%s' 256M && qemu-io -f qcow2 "
				"-c 'write -P 0x61 0 1M' -c 'write -P 0x62 100M 64k' "
				"-c 'write -z 101M 1M' -c 'write -P 0 120M 1M' '%s' >/dev/null",
				q, q), 0);
	assert_int_equal(img_copy(q, DISK_FMT_AUTO, r, DISK_FMT_RAW, NULL, NULL, err,
				  sizeof(err)), 0);
	assert_int_equal(stat(r, &st), 0);
	assert_int_equal(st.st_size, 256 * MiB);
	assert_true((uint64_t)st.st_blocks * 512 < 4 * MiB);   /* zeros stayed holes */
	assert_int_equal(blk_sh("qemu-img compare -q '%s' '%s'", q, r), 0);
	assert_int_equal(img_copy(r, DISK_FMT_AUTO, q2, DISK_FMT_QCOW2, NULL, NULL, err,
				  sizeof(err)), 0);
	assert_int_equal(blk_sh("qemu-img check -q '%s' && qemu-img compare -q '%s' '%s'", q2,
				q2, q), 0);
	assert_int_equal(stat(q2, &st), 0);
	assert_true((uint64_t)st.st_size < 4 * MiB);
	blk_tdir_done(&t);
}

struct prog {
	uint64_t last, total;
	unsigned int calls;
	bool backwards;
};

static void prog_cb(void *opaque, uint64_t done, uint64_t total)
{
	struct prog *p = opaque;

	if (done < p->last || done > total)
		p->backwards = true;
	p->last = done;
	p->total = total;
	p->calls++;
}

/* A backing chain is flattened; progress ends at the total. */
static void test_copy_flattens(void **state)
{
	char top[UNIT_PATH_LEN], out[UNIT_PATH_LEN], err[512];
	struct prog p = { 0 };
	struct blk_tdir t;

	(void)state;
	blk_require_qemu_img();
	blk_tdir_init(&t);
	assert_int_equal(blk_sh("cd '%s' && qemu-img create -q -f raw base.raw 16M && "
				"qemu-io -f raw -c 'write -P 0x11 0 16M' base.raw >/dev/null && "
				"qemu-img create -q -f qcow2 -b base.raw -F raw top.qcow2 && "
				"qemu-io -f qcow2 -c 'write -P 0x22 1M 1M' -c 'write -z 4M 1M' "
				"top.qcow2 >/dev/null", t.dir), 0);
	blk_tpath(&t, "top.qcow2", top);
	blk_tpath(&t, "flat.qcow2", out);
	assert_int_equal(img_copy(top, DISK_FMT_AUTO, out, DISK_FMT_AUTO, prog_cb, &p, err,
				  sizeof(err)), 0);
	assert_false(p.backwards);
	assert_int_equal(p.last, 16 * MiB);
	assert_int_equal(p.total, 16 * MiB);
	assert_int_equal(blk_sh("qemu-img compare -q '%s' '%s'", top, out), 0);
	assert_int_equal(blk_sh("qemu-img info '%s' | grep -q backing", out), 1);
	blk_tdir_done(&t);
}

/* Never over an existing file; nothing left behind on failure. */
static void test_copy_refuses(void **state)
{
	char a[UNIT_PATH_LEN], b[UNIT_PATH_LEN], bad[UNIT_PATH_LEN], err[512];
	struct blk_tdir t;
	struct stat st;

	(void)state;
	blk_tdir_init(&t);
	assert_int_equal(img_create(blk_tpath(&t, "a.img", a), DISK_FMT_RAW, MiB, NULL, NULL,
				    NULL, err, sizeof(err)), 0);
	assert_int_equal(img_create(blk_tpath(&t, "b.img", b), DISK_FMT_QCOW2, 2 * MiB, NULL,
				    NULL, NULL, err, sizeof(err)), 0);
	unit_assert_err(img_copy(a, DISK_FMT_AUTO, b, DISK_FMT_RAW, NULL, NULL, err,
				 sizeof(err)), -EEXIST, err, b, "already exists");
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_size, 256 * 1024);   /* the qcow2 as it was */
	unit_assert_err(img_copy(a, DISK_FMT_AUTO, a, DISK_FMT_RAW, NULL, NULL, err,
				 sizeof(err)), -EEXIST, err, a, "already exists");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_size, MiB);
	/* a source that is not an image ttyvm reads: no destination appears */
	blk_tpath(&t, "bad.vmdk", bad);
	assert_int_equal(blk_sh("printf 'KDMV' > '%s' && truncate -s 1M '%s'", bad, bad), 0);
	blk_tpath(&t, "out.img", b);
	unit_assert_err(img_copy(bad, DISK_FMT_AUTO, b, DISK_FMT_RAW, NULL, NULL, err,
				 sizeof(err)), -ENOTSUP, err, bad, "vmdk");
	assert_int_not_equal(stat(b, &st), 0);
	blk_tdir_done(&t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_info),
	cmocka_unit_test(test_copy_formats),
	cmocka_unit_test(test_copy_flattens),
	cmocka_unit_test(test_copy_refuses),
};

UNIT_SUITE(img, tests);
