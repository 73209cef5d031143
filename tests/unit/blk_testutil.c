/*
 * blk_testutil.c - helpers for the block layer's unit tests (blk_testutil.h).
 */
#include "unit.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blk_testutil.h"
#include "testutil.h"
#include "util/util.h"

void blk_tdir_init(struct blk_tdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/ttyvm-blk-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

void blk_tdir_done(struct blk_tdir *t)
{
	assert_int_equal(blk_sh("rm -rf '%s'", t->dir), 0);
}

char *blk_tpath(const struct blk_tdir *t, const char *name, char *out)
{
	snprintf(out, UNIT_PATH_LEN, "%s/%s", t->dir, name);
	return out;
}

int blk_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void blk_require_qemu_img(void)
{
	if (blk_sh("command -v qemu-img >/dev/null && command -v qemu-io >/dev/null") != 0)
		fail_msg("qemu-img/qemu-io not found: install the qemu-utils package");
}

void blk_pattern(uint8_t *buf, size_t len, uint64_t off, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ULL + seed * 0x85ebca6bULL;
		buf[i] = (uint8_t)(x >> 56 ^ x >> 29 ^ seed);
	}
}

struct blk *blk_topen(const char *path, enum disk_format fmt, unsigned int flags)
{
	char err[512] = "";
	struct blk *b = NULL;
	int rc = blk_open(&b, path, fmt, flags, err, sizeof(err));

	if (rc < 0)
		fail_msg("blk_open(%s): %d: %s", path, rc, err);
	return b;
}

void blk_tcheck(struct blk *b, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);

	assert_non_null(got);
	assert_int_equal(blk_pread(b, got, len, off), 0);
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %llu is 0x%02x, expected 0x%02x", blk_path(b),
				 (unsigned long long)(off + i), got[i], want[i]);
	free(got);
}

void blk_tcheck_file(struct blk *b, const char *raw_path)
{
	const size_t chunk = 1 << 20;
	uint8_t *want = malloc(chunk);
	int fd = open(raw_path, O_RDONLY);

	assert_non_null(want);
	assert_true(fd >= 0);
	for (uint64_t off = 0; off < blk_size(b); off += chunk) {
		size_t n = (size_t)MIN((uint64_t)chunk, blk_size(b) - off);
		ssize_t r = pread(fd, want, n, (off_t)off);
		assert_true(r >= 0);
		memset(want + r, 0, n - (size_t)r);
		blk_tcheck(b, off, want, n);
	}
	close(fd);
	free(want);
}
