/*
 * blk_testutil.h - what the block layer's unit tests share: a scratch
 * directory, shell commands (qemu-img, qemu-io) with their exit status,
 * deterministic patterns, and a raw "shadow" image the tests keep in step
 * with what they wrote through blk.
 */
#ifndef TTYVM_BLK_TESTUTIL_H
#define TTYVM_BLK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/block/blk.h"

struct blk_tdir {
	char dir[64];
};

/* A new empty directory under /tmp; blk_tdir_done() removes it and all in it. */
void blk_tdir_init(struct blk_tdir *t);
void blk_tdir_done(struct blk_tdir *t);
/* dir/name into out (UNIT_PATH_LEN bytes); returns out. */
char *blk_tpath(const struct blk_tdir *t, const char *name, char *out);

/* Runs a shell command (printf format); returns its exit status (-1 when killed). */
int blk_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fails the test unless qemu-img and qemu-io are installed (package qemu-utils). */
void blk_require_qemu_img(void);

/* Fills buf with a pattern that depends on seed and the byte's disk offset. */
void blk_pattern(uint8_t *buf, size_t len, uint64_t off, uint32_t seed);

/* Opens path, failing the test with the message if it does not open. */
struct blk *blk_topen(const char *path, enum disk_format fmt, unsigned int flags);
/* Fails unless the disk's bytes [off, off+len) equal want. */
void blk_tcheck(struct blk *b, uint64_t off, const uint8_t *want, size_t len);
/* Fails unless the whole disk equals the file at raw_path, byte for byte. */
void blk_tcheck_file(struct blk *b, const char *raw_path);

#endif
