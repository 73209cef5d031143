/*
 * img_copy.c - copying a disk into a new image (img.h img_copy()), the
 * engine of `ttyvm disk convert` and of clones: any format to any
 * format, the source's backing chain flattened.
 *
 * Sparse both ways: runs the source reports as zeros (holes, zero
 * clusters, unallocated qcow2 clusters without backing) are skipped, and
 * so is every 1 MiB chunk that reads as all zeros, so the new image
 * (a sparse raw file or an empty qcow2) only gets what holds data.  The
 * source is opened read-only with a shared lock: never written, and not
 * copied while a VM writes to it.  The destination is created with
 * O_EXCL (img_create()); on any error it is removed, so a failed copy
 * leaves nothing behind, and success means it was flushed.
 */
#include "vmm/block/img.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/util.h"
#include "vmm/block/blk.h"

#define IMG_COPY_CHUNK (1024 * 1024)

static bool img_all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[4096];

	for (size_t i = 0; i < n; i += sizeof(zero))
		if (memcmp(p + i, zero, MIN(sizeof(zero), n - i)))
			return false;
	return true;
}

/* The copy itself, src and dst open; err set on failure. */
static int img_copy_data(struct blk *s, struct blk *d, const char *src, const char *dst,
			 img_progress_fn progress, void *opaque, char *err, size_t errlen)
{
	uint64_t size = blk_size(s), off = 0;
	uint8_t *buf = malloc(IMG_COPY_CHUNK);
	int rc = 0;

	if (!buf)
		return errmsg_set(err, errlen, -ENOMEM, dst, "out of memory");
	while (off < size) {
		uint64_t run;
		int st = blk_block_status(s, off, MIN(size - off, 1ULL << 30), &run);

		if (st < 0) {
			rc = errmsg_set(err, errlen, st, src, "reading: %s", strerror(-st));
			break;
		}
		for (uint64_t end = off + run; off < end;) {
			size_t n = (size_t)MIN((uint64_t)IMG_COPY_CHUNK, end - off);
			if (st != BLK_STATUS_ZERO) {
				rc = blk_pread(s, buf, n, off);
				if (rc < 0) {
					errmsg_set(err, errlen, rc, src, "reading at %llu: %s",
						   (unsigned long long)off, strerror(-rc));
					goto out;
				}
				if (!img_all_zero(buf, n)) {
					rc = blk_pwrite(d, buf, n, off);
					if (rc < 0) {
						errmsg_set(err, errlen, rc, dst, "writing: %s",
							   strerror(-rc));
						goto out;
					}
				}
			}
			off += n;
			if (progress)
				progress(opaque, off, size);
		}
	}
	if (rc == 0) {
		rc = blk_flush(d);
		if (rc < 0)
			errmsg_set(err, errlen, rc, dst, "flushing: %s", strerror(-rc));
	}
out:
	free(buf);
	return rc;
}

int img_copy(const char *src, enum disk_format src_fmt, const char *dst,
	     enum disk_format dst_fmt, img_progress_fn progress, void *opaque, char *err,
	     size_t errlen)
{
	struct blk *s, *d;
	uint64_t size;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!dst || !*dst)
		return errmsg_set(err, errlen, -EINVAL, NULL, "no destination file given");
	if (access(dst, F_OK) == 0)
		return errmsg_set(err, errlen, -EEXIST, dst,
				  "already exists (refusing to overwrite it)");
	rc = blk_open(&s, src, src_fmt, BLK_O_RDONLY, err, errlen);
	if (rc < 0)
		return rc;
	if (dst_fmt == DISK_FMT_AUTO)
		dst_fmt = blk_format(s);
	size = blk_size(s);
	rc = img_create(dst, dst_fmt, size, NULL, NULL, NULL, err, errlen);
	if (rc < 0) {
		blk_close(s);
		return rc;
	}
	rc = blk_open(&d, dst, dst_fmt, 0, err, errlen);
	if (rc == 0) {
		rc = img_copy_data(s, d, src, dst, progress, opaque, err, errlen);
		blk_close(d);
	}
	blk_close(s);
	if (rc < 0)
		unlink(dst);
	else if (progress && size == 0)
		progress(opaque, 0, 0);
	return rc;
}
