/*
 * testutil.c - helpers shared by unit tests; see testutil.h.
 */
#include "testutil.h"

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

void unit_tmp_write(char *path, const void *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");
	const uint8_t *p = buf;
	int fd;

	snprintf(path, UNIT_PATH_LEN, "%s/ttyvm-unit-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	while (len) {
		ssize_t n = write(fd, p, len);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

void unit_tmp_sparse(char *path, uint64_t size)
{
	unit_tmp_write(path, "", 0);
	assert_int_equal(truncate(path, (off_t)size), 0);
}

bool unit_ram_is_zero(const struct guest_mem *gm, uint64_t limit)
{
	static const uint8_t zero[64 * 1024];

	for (unsigned int r = 0; r < gm->nregions; r++) {
		const struct guest_region *g = &gm->region[r];
		for (uint64_t i = 0; i < g->size && g->gpa + i < limit; i += sizeof(zero))
			if (memcmp(g->hva + i, zero, MIN(sizeof(zero), g->size - i)))
				return false;
	}
	return true;
}

void unit_assert_err(int rc, int want, const char *err, const char *path,
		     const char *phrase)
{
	if (rc != want)
		fail_msg("rc %d, want %d (\"%s\")", rc, want, err);
	if (path && strncmp(err, path, strlen(path)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", err, path);
	if (!strstr(err, phrase))
		fail_msg("message \"%s\" lacks \"%s\"", err, phrase);
	assert_null(strchr(err, '\n'));
}
