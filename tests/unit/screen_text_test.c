/*
 * screen_text_test.c - text cells to UTF-8: CP437 translation, trimming,
 * limits, and the atomic file replace.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display/screen_text.h"

static void test_cp437(void **state)
{
	(void)state;
	assert_int_equal(screen_text_cp437('A'), 'A');
	assert_int_equal(screen_text_cp437(0x00), ' ');
	assert_int_equal(screen_text_cp437(0xFF), ' ');
	assert_int_equal(screen_text_cp437(0x01), 0x263A);   /* smiley */
	assert_int_equal(screen_text_cp437(0x10), 0x25BA);   /* GRUB's arrow */
	assert_int_equal(screen_text_cp437(0x7F), 0x2302);
	assert_int_equal(screen_text_cp437(0x82), 0x00E9);   /* e acute */
	assert_int_equal(screen_text_cp437(0xB3), 0x2502);   /* box vertical */
	assert_int_equal(screen_text_cp437(0xC4), 0x2500);   /* box horizontal */
	assert_int_equal(screen_text_cp437(0xC9), 0x2554);   /* double top left */
	assert_int_equal(screen_text_cp437(0xDA), 0x250C);
	assert_int_equal(screen_text_cp437(0xDB), 0x2588);   /* full block */
	assert_int_equal(screen_text_cp437(0xE1), 0x00DF);
	assert_int_equal(screen_text_cp437(0xFE), 0x25A0);
}

static void put(uint16_t *cells, unsigned int cols, unsigned int row, unsigned int col,
		const char *s)
{
	for (; *s; s++)
		cells[row * cols + col++] = (uint16_t)((uint8_t)*s | 0x0700);
}

static void test_format(void **state)
{
	uint16_t cells[4 * 10];
	char *out = NULL;
	(void)state;

	for (unsigned int i = 0; i < 40; i++)
		cells[i] = 0x0720;  /* blank, grey on black */
	put(cells, 10, 0, 0, "Hi there");
	cells[1 * 10 + 2] = 0x1FDA;             /* box corner, attribute ignored */
	cells[1 * 10 + 3] = 0x1FC4;
	put(cells, 10, 3, 9, "x");
	cells[2 * 10 + 0] = 0x0700;             /* NUL reads as a blank */
	assert_int_equal(screen_text_format(cells, 10, 4, &out), 0);
	assert_string_equal(out, "Hi there\n  \u250C\u2500\n\n         x\n");
	free(out);
}

static void test_format_limits(void **state)
{
	uint16_t cell = 'a';
	char *out = NULL;
	(void)state;

	assert_int_equal(screen_text_format(&cell, 0, 1, &out), -EINVAL);
	assert_int_equal(screen_text_format(&cell, 1, 0, &out), -EINVAL);
	assert_int_equal(screen_text_format(NULL, 1, 1, &out), -EINVAL);
	assert_int_equal(screen_text_format(&cell, SCREEN_TEXT_MAX_COLS + 1, 1, &out), -EINVAL);
	assert_null(out);
	/* a full row of 3-byte characters fits the buffer exactly */
	uint16_t *row = malloc(SCREEN_TEXT_MAX_COLS * sizeof(*row));
	for (unsigned int i = 0; i < SCREEN_TEXT_MAX_COLS; i++)
		row[i] = 0xC4;
	assert_int_equal(screen_text_format(row, SCREEN_TEXT_MAX_COLS, 1, &out), 0);
	assert_int_equal(strlen(out), SCREEN_TEXT_MAX_COLS * 3 + 1);
	free(out);
	free(row);
}

static void test_save_replaces_atomically(void **state)
{
	char path[256], buf[64];
	const char *t = getenv("TMPDIR");
	FILE *f;
	(void)state;

	snprintf(path, sizeof(path), "%s/ttyvm-screen-%d.txt", t && *t ? t : "/tmp",
		 (int)getpid());
	assert_int_equal(screen_text_save(path, "first\n", 6), 0);
	assert_int_equal(screen_text_save(path, "second\n", 7), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "second\n");
	unlink(path);
	assert_int_equal(screen_text_save("/nonexistent-dir/x.txt", "a", 1), -ENOENT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_cp437),
	cmocka_unit_test(test_format),
	cmocka_unit_test(test_format_limits),
	cmocka_unit_test(test_save_replaces_atomically),
};
UNIT_SUITE(screen_text, tests);
