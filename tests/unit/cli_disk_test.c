/*
 * cli_disk_test.c - `ttyvm disk`: option parsing (every bad input gives a
 * message and status 1), and convert --force keeping DST when the copy
 * fails and refusing SRC as DST.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_testutil.h"
#include "testutil.h"
#include "ui/cli_disk.h"
#include "util/util.h"
#include "vmm/block/img.h"

#define ARGV(...) ((char *[]){ "disk", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "disk", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) cli_disk_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o)

static void test_parse_ok(void **state)
{
	struct cli_disk_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "create", "a.img", "20"), 0);
	assert_int_equal(o.cmd, CLI_DISK_CREATE);
	assert_string_equal(o.file, "a.img");
	assert_int_equal(o.size, 20 * GiB);
	assert_int_equal(o.format, DISK_FMT_QCOW2);          /* the default */
	assert_int_equal(PARSE(&o, "create", "--format", "raw", "a.img", "512M"), 0);
	assert_int_equal(o.format, DISK_FMT_RAW);
	assert_int_equal(o.size, 512 * MiB);
	assert_int_equal(PARSE(&o, "create", "o.qcow2", "--backing", "base.img"), 0);
	assert_string_equal(o.backing, "base.img");
	assert_int_equal(o.size, 0);
	assert_int_equal(PARSE(&o, "info", "--json", "a.img"), 0);
	assert_true(o.json);
	assert_int_equal(o.format, DISK_FMT_AUTO);
	assert_int_equal(PARSE(&o, "convert", "a", "b", "-f", "qcow2", "--force",
			       "--source-format", "raw"), 0);
	assert_string_equal(o.file, "a");
	assert_string_equal(o.dst, "b");
	assert_int_equal(o.format, DISK_FMT_QCOW2);
	assert_int_equal(o.src_format, DISK_FMT_RAW);
	assert_true(o.force);
	assert_int_equal(PARSE(&o, "convert", "a", "b"), 0);
	assert_int_equal(o.format, DISK_FMT_AUTO);           /* SRC's format */
	assert_int_equal(PARSE(&o, "--help"), 2);
	assert_int_equal(PARSE(&o, "info", "--help"), 2);
}

static void test_parse_bad(void **state)
{
	struct cli_disk_opts o;

	(void)state;
	assert_int_equal(cli_disk_parse(1, (char *[]){ "disk", NULL }, &o), 1);
	assert_int_equal(PARSE(&o, "make", "a", "1G"), 1);
	assert_int_equal(PARSE(&o, "create", "a"), 1);                 /* no size */
	assert_int_equal(PARSE(&o, "create", "a", "0"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "lots"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "65T"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "1G", "extra"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "1G", "--format", "vmdk"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "1G", "--format", "auto"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "1G", "--format", "raw", "-b", "x"), 1);
	assert_int_equal(PARSE(&o, "create", "a", "1G", "--json"), 1);
	assert_int_equal(PARSE(&o, "info"), 1);
	assert_int_equal(PARSE(&o, "info", "a", "b"), 1);
	assert_int_equal(PARSE(&o, "info", "a", "--force"), 1);
	assert_int_equal(PARSE(&o, "convert", "a"), 1);
	assert_int_equal(PARSE(&o, "convert", "a", "b", "--backing", "c"), 1);
	assert_int_equal(PARSE(&o, "convert", "a", "b", "--bogus"), 1);
	assert_int_equal(PARSE(&o, "convert", "a", "b", "--format"), 1);
}

static void test_convert_force(void **state)
{
	char src[UNIT_PATH_LEN], dst[UNIT_PATH_LEN], bad[UNIT_PATH_LEN], err[256];
	struct blk_tdir t;
	struct stat st;

	(void)state;
	blk_tdir_init(&t);
	assert_int_equal(img_create(blk_tpath(&t, "src.qcow2", src), DISK_FMT_QCOW2, 4 * MiB,
				    NULL, NULL, NULL, err, sizeof(err)), 0);
	blk_tpath(&t, "dst.raw", dst);
	assert_int_equal(blk_sh("echo precious > '%s'", dst), 0);
	/* without --force DST stays */
	assert_int_equal(cli_disk(4, (char *[]){ "disk", "convert", src, dst, NULL }), 1);
	assert_int_equal(blk_sh("grep -q precious '%s'", dst), 0);
	/* a source that fails: DST stays, no temporary file is left */
	blk_tpath(&t, "bad.img", bad);
	assert_int_equal(blk_sh("printf 'QFI\\373\\0\\0\\0\\3' > '%s' && truncate -s 4096 '%s'",
				bad, bad), 0);
	assert_int_equal(cli_disk(5, (char *[]){ "disk", "convert", bad, dst, "--force", NULL }),
			 1);
	assert_int_equal(blk_sh("grep -q precious '%s'", dst), 0);
	assert_int_equal(blk_sh("ls '%s' | grep -q tmp", t.dir), 1);
	/* SRC as DST is refused, SRC untouched */
	assert_int_equal(cli_disk(5, (char *[]){ "disk", "convert", src, src, "--force", NULL }),
			 1);
	assert_int_equal(stat(src, &st), 0);
	assert_int_equal(st.st_size, 256 * 1024);
	/* with --force and a good source DST is replaced */
	assert_int_equal(cli_disk(7, (char *[]){ "disk", "convert", src, dst, "--force", "-f",
						 "raw", NULL }), 0);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, 4 * MiB);
	blk_tdir_done(&t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_ok),
	cmocka_unit_test(test_parse_bad),
	cmocka_unit_test(test_convert_force),
};

UNIT_SUITE(cli_disk, tests);
