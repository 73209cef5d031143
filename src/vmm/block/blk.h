/*
 * blk.h - block backends: a disk image as the device models see it.
 *
 * A struct blk is one open image (raw file or block device, or qcow2 with
 * its chain of backing files) with a byte-addressed interface: read,
 * write, flush, discard, write-zeroes, size, read-only.  Device models
 * (virtio-blk, the AHCI disk and CD-ROM) hold one each and never see the
 * format; blk.c dispatches to blk_raw.c or qcow2*.c.
 *
 * Cache mode (the only one): writes go through the host page cache and
 * blk_flush() returns once everything written before it is on stable
 * storage (fdatasync; qcow2 writes its metadata in a safe order first).
 * A device model calls blk_flush() for a guest FLUSH.
 *
 * Threads: a struct blk is not locked; its one owner (a device model,
 * under the device's lock, or an img_* call) serialises all calls.
 */
#ifndef TTYVM_BLOCK_BLK_H
#define TTYVM_BLOCK_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/config.h"

#define BLK_SECTOR 512
/* how deep a chain of backing files may go (the image itself is 0) */
#define BLK_MAX_CHAIN 16

struct blk;

/* blk_open() flags */
#define BLK_O_RDONLY 0x1u   /* open O_RDONLY; writes fail with -EROFS */
#define BLK_O_NOLOCK 0x2u   /* take no advisory lock (img_info on a running VM) */

/*
 * Parses "raw", "qcow2" or "auto" into *out.  0, or -EINVAL for anything
 * else (the caller names the option and lists the allowed values).
 */
int disk_format_parse(const char *s, enum disk_format *out);
/* "raw", "qcow2" or "auto"; never NULL. */
const char *disk_format_name(enum disk_format f);

/*
 * Opens the image at path.  fmt DISK_FMT_AUTO probes: a qcow2 header
 * makes it qcow2, anything else is raw - and then a write that would put
 * a qcow2 (or other image) header into the first bytes is refused with
 * -EPERM, so the guest cannot turn its disk into a qcow2 that points at a
 * host file on the next boot (QEMU does the same for probed raw images).
 * Images in formats ttyvm does not read (vmdk, vdi, vhdx, vpc, qed, qcow
 * version 1) are refused when probed rather than shown as raw bytes.
 *
 * The image is never created or truncated.  An advisory lock (fcntl OFD,
 * whole file) is taken: shared for read-only, exclusive otherwise;
 * qcow2 backing files are opened read-only with a shared lock.
 *
 * Returns 0 and *out (free with blk_close()), or -errno with a one-line
 * message in err (naming the file and, for refused images, the feature):
 * -ENOENT/-EACCES/... from open(2), -EBUSY when another process holds
 * the image, -EINVAL for something that is not a regular file or block
 * device, is smaller than one sector or is a malformed image,
 * -ENOTSUP for an unsupported format or feature, -ELOOP for a backing
 * chain that loops or is deeper than BLK_MAX_CHAIN.
 */
int blk_open(struct blk **out, const char *path, enum disk_format fmt, unsigned int flags,
	     char *err, size_t errlen);

/* Flushes (best effort; call blk_flush() first to see errors) and frees. */
void blk_close(struct blk *b);

/* Virtual size in bytes (raw: the file's size; qcow2: the header's). */
uint64_t blk_size(const struct blk *b);
bool blk_readonly(const struct blk *b);
/* DISK_FMT_RAW or DISK_FMT_QCOW2: what was opened (after probing). */
enum disk_format blk_format(const struct blk *b);
/* The path blk_open() was given (owned by b). */
const char *blk_path(const struct blk *b);

/*
 * Reads iov's total length from byte off.  The whole range must lie
 * inside the disk (-EINVAL otherwise, nothing read).  0, or -EIO (a
 * failed read, or image metadata that is corrupt) or another -errno.
 */
int blk_preadv(struct blk *b, const struct iovec *iov, int cnt, uint64_t off);
/* Writes iov's total length at off; -EROFS on a read-only image. */
int blk_pwritev(struct blk *b, const struct iovec *iov, int cnt, uint64_t off);
/* Single-buffer forms of the two above. */
int blk_pread(struct blk *b, void *buf, size_t len, uint64_t off);
int blk_pwrite(struct blk *b, const void *buf, size_t len, uint64_t off);

/*
 * Makes every write completed before the call durable (fdatasync), qcow2
 * metadata first.  0 or -errno (-EIO).  A no-op on read-only images.
 */
int blk_flush(struct blk *b);

/*
 * Tells the image [off, off+len) is no longer needed; later reads return
 * either the old data or zeros.  Advisory: parts the format cannot drop
 * (partial clusters, file systems without hole punching) stay as they
 * are and the call still succeeds.  0 or -errno (-EROFS, -EINVAL range).
 */
int blk_discard(struct blk *b, uint64_t off, uint64_t len);

/*
 * Makes [off, off+len) read as zeros, deallocating where the format can
 * when may_unmap is set (holes, qcow2 zero clusters) and writing zeros
 * where it cannot.  0 or -errno.
 */
int blk_write_zeroes(struct blk *b, uint64_t off, uint64_t len, bool may_unmap);

/* What blk_block_status() found at an offset. */
enum blk_status {
	BLK_STATUS_DATA = 1,   /* may hold data: read it */
	BLK_STATUS_ZERO = 2,   /* reads as zeros (hole, zero cluster, past a short backing file) */
};

/*
 * Describes the run of bytes starting at off (inside the disk) that share
 * one status, up to len bytes: returns BLK_STATUS_* and sets *pnum to the
 * run's length (> 0), or -errno.  Used by img_copy() to skip holes; it may
 * say DATA for zeros, never ZERO for data.
 */
int blk_block_status(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum);

#endif
