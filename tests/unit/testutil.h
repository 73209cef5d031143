/*
 * testutil.h - helpers shared by unit tests: temp files, guest RAM checks,
 * error-message assertions.
 */
#ifndef TTYVM_TESTUTIL_H
#define TTYVM_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

#define UNIT_PATH_LEN 256

/* Writes buf to a new temp file ($TMPDIR or /tmp); path holds UNIT_PATH_LEN. */
void unit_tmp_write(char *path, const void *buf, size_t len);
/* A new sparse temp file of size bytes (zeros, no disk space). */
void unit_tmp_sparse(char *path, uint64_t size);
/* true when no byte of guest RAM below limit has been written. */
bool unit_ram_is_zero(const struct guest_mem *gm, uint64_t limit);
/*
 * Fails unless rc == want and err is one line that starts with path (when
 * given) and contains phrase.
 */
void unit_assert_err(int rc, int want, const char *err, const char *path,
		     const char *phrase);

#endif
