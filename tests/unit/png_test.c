/*
 * png_test.c - the PNG writer: round trip through libpng, atomic replace,
 * refusal of bad arguments and of files that are not PNGs.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display/png.h"

/* A fresh directory under $TMPDIR or /tmp; path holds 256 bytes. */
static void make_dir(char *path)
{
	const char *t = getenv("TMPDIR");
	snprintf(path, 256, "%s/ttyvm-png-XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(path));
}

static unsigned int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_round_trip(void **state)
{
	enum { W = 37, H = 23, STRIDE = 40 };
	uint32_t *src = calloc(STRIDE * H, sizeof(*src));
	uint32_t *back = NULL;
	unsigned int w = 0, h = 0;
	char dir[256], file[300];
	(void)state;

	for (unsigned int y = 0; y < H; y++)
		for (unsigned int x = 0; x < STRIDE; x++)
			/* the X byte is noise the writer must ignore */
			src[y * STRIDE + x] = (0xA5u << 24) | ((x * 7u) << 16) |
					      ((y * 11u) << 8) | ((x ^ y) & 0xFF);
	make_dir(dir);
	snprintf(file, sizeof(file), "%s/shot.png", dir);
	assert_int_equal(png_file_save(file, src, W, H, STRIDE), 0);
	assert_int_equal(png_file_load(file, &back, &w, &h), 0);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	for (unsigned int y = 0; y < H; y++)
		for (unsigned int x = 0; x < W; x++)
			assert_int_equal(back[y * W + x], src[y * STRIDE + x] & 0xFFFFFF);
	/* only the file itself is left: no temporary */
	assert_int_equal(count_entries(dir), 1);
	free(back);

	/* replacing it works and leaves one file */
	src[0] = 0xFFFFFF;
	assert_int_equal(png_file_save(file, src, W, H, STRIDE), 0);
	assert_int_equal(png_file_load(file, &back, &w, &h), 0);
	assert_int_equal(back[0], 0xFFFFFF);
	assert_int_equal(count_entries(dir), 1);
	free(back);
	unlink(file);
	rmdir(dir);
	free(src);
}

static void test_bad_arguments(void **state)
{
	uint32_t px[4] = { 0 };
	char dir[256], file[300];
	(void)state;

	make_dir(dir);
	snprintf(file, sizeof(file), "%s/x.png", dir);
	assert_int_equal(png_file_save(file, px, 0, 1, 1), -EINVAL);
	assert_int_equal(png_file_save(file, px, 1, 0, 1), -EINVAL);
	assert_int_equal(png_file_save(file, px, 2, 2, 1), -EINVAL); /* stride < width */
	assert_int_equal(png_file_save(file, px, 20000, 1, 20000), -EINVAL);
	assert_int_equal(png_file_save(file, NULL, 1, 1, 1), -EINVAL);
	assert_int_equal(count_entries(dir), 0);
	/* a directory that does not exist */
	snprintf(file, sizeof(file), "%s/no/such/dir.png", dir);
	assert_int_equal(png_file_save(file, px, 2, 2, 2), -ENOENT);
	rmdir(dir);
}

static void test_load_refuses_non_png(void **state)
{
	char dir[256], file[300];
	uint32_t *px = NULL;
	unsigned int w, h;
	FILE *f;
	(void)state;

	make_dir(dir);
	snprintf(file, sizeof(file), "%s/not.png", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("this is not a PNG file at all", f);
	fclose(f);
	assert_int_equal(png_file_load(file, &px, &w, &h), -EINVAL);
	assert_null(px);
	/* a truncated PNG: signature fine, the rest cut */
	uint32_t img[16] = { 0 };
	assert_int_equal(png_file_save(file, img, 4, 4, 4), 0);
	assert_int_equal(truncate(file, 40), 0);
	assert_int_equal(png_file_load(file, &px, &w, &h), -EIO);
	assert_null(px);
	unlink(file);
	assert_int_equal(png_file_load(file, &px, &w, &h), -ENOENT);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_bad_arguments),
	cmocka_unit_test(test_load_refuses_non_png),
};
UNIT_SUITE(png, tests);
