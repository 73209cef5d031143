/*
 * debugcon_test.c - the ISA debug console: the 0xE9 readback SeaBIOS
 * probes for, and output reaching the file line by line.
 */
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vmm/dev/debugcon.h"

static size_t file_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static void put(struct debugcon *dc, const char *s)
{
	while (*s)
		debugcon_write(dc, (uint8_t)*s++);
}

static void test_readback_and_lines(void **state)
{
	char path[UNIT_PATH_LEN], buf[1024];
	struct debugcon *dc;
	(void)state;

	unit_tmp_write(path, "", 0);
	dc = debugcon_create(open(path, O_WRONLY | O_TRUNC));
	assert_non_null(dc);
	assert_int_equal(debugcon_read(dc), 0xE9);

	put(dc, "SeaBIOS (version x)\nhalf");
	/* a whole line is in the file at once, the half line is not */
	assert_int_equal(file_text(path, buf, sizeof(buf)), 20);
	assert_string_equal(buf, "SeaBIOS (version x)\n");
	debugcon_flush(dc);
	file_text(path, buf, sizeof(buf));
	assert_string_equal(buf, "SeaBIOS (version x)\nhalf");

	/* a long line without newline is written in 256-byte pieces */
	for (int i = 0; i < 300; i++)
		debugcon_write(dc, 'x');
	assert_int_equal(file_text(path, buf, sizeof(buf)), 24 + 256);
	put(dc, "tail");
	debugcon_destroy(dc);       /* flushes */
	assert_int_equal(file_text(path, buf, sizeof(buf)), 24 + 300 + 4);
	assert_string_equal(buf + 24 + 300, "tail");
	unlink(path);
}

static void test_closed_reader_is_harmless(void **state)
{
	int p[2];
	struct debugcon *dc;
	(void)state;

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	/* writes to a pipe nobody reads fail with EPIPE once SIGPIPE is
	 * ignored; the text is dropped and the guest goes on */
	signal(SIGPIPE, SIG_IGN);
	dc = debugcon_create(p[1]);
	assert_non_null(dc);
	put(dc, "lost\n");
	assert_int_equal(debugcon_read(dc), 0xE9);
	debugcon_destroy(dc);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_readback_and_lines),
	cmocka_unit_test(test_closed_reader_is_harmless),
};

UNIT_SUITE(debugcon, tests);
