/*
 * blk_raw.c - the raw backend: the disk is the file (or block device)
 * byte for byte.
 *
 * Reads and writes are preadv/pwritev on the file straight from and into
 * the caller's buffers (guest memory); flush is fdatasync.  Discard punches
 * a hole (fallocate PUNCH_HOLE|KEEP_SIZE) where the file system can and
 * is silently skipped where it cannot (discarding is advisory);
 * write-zeroes punches (may_unmap) or uses ZERO_RANGE, falling back to
 * writing zeros.  Block status comes from SEEK_DATA/SEEK_HOLE.  A
 * regular file's trailing partial sector is part of the disk here; the
 * device models show whole sectors only.
 */
#include "vmm/block/blk_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/util.h"

struct blk_raw {
	struct blk blk;
	int fd;
};

static struct blk_raw *raw_of(struct blk *b)
{
	return container_of(b, struct blk_raw, blk);
}

static int raw_preadv(struct blk *b, const struct iovec *iov, int cnt, uint64_t off, size_t len)
{
	return blk_fd_preadv(raw_of(b)->fd, iov, cnt, off, len);
}

static int raw_pwritev(struct blk *b, const struct iovec *iov, int cnt, uint64_t off,
		       size_t len)
{
	return blk_fd_pwritev(raw_of(b)->fd, iov, cnt, off, len);
}

static int raw_flush(struct blk *b)
{
	return blk_fd_sync(raw_of(b)->fd);
}

static bool raw_fallocate_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS || err == EINVAL || err == ENODEV;
}

static int raw_discard(struct blk *b, uint64_t off, uint64_t len)
{
	if (fallocate(raw_of(b)->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) == 0)
		return 0;
	return raw_fallocate_unsupported(errno) ? 0 : -errno;
}

static int raw_write_zeros(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[64 * 1024];

	while (len) {
		size_t k = (size_t)MIN(len, sizeof(zero));
		int rc = blk_fd_pwrite(fd, zero, k, off);
		if (rc < 0)
			return rc;
		off += k;
		len -= k;
	}
	return 0;
}

static int raw_write_zeroes(struct blk *b, uint64_t off, uint64_t len, bool may_unmap)
{
	int fd = raw_of(b)->fd;

	if (may_unmap &&
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (!raw_fallocate_unsupported(errno))
		return -errno;
	return raw_write_zeros(fd, off, len);
}

static int raw_block_status(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum)
{
	int fd = raw_of(b)->fd;
	off_t data = lseek(fd, (off_t)off, SEEK_DATA);

	if (data < 0) {
		if (errno == ENXIO) {          /* no data after off: a hole to the end */
			*pnum = len;
			return BLK_STATUS_ZERO;
		}
		*pnum = len;                   /* no SEEK_DATA here: assume data */
		return BLK_STATUS_DATA;
	}
	if ((uint64_t)data > off) {
		*pnum = MIN(len, (uint64_t)data - off);
		return BLK_STATUS_ZERO;
	}
	off_t hole = lseek(fd, (off_t)off, SEEK_HOLE);
	if (hole < 0 || (uint64_t)hole <= off)
		*pnum = len;
	else
		*pnum = MIN(len, (uint64_t)hole - off);
	return BLK_STATUS_DATA;
}

static void raw_close(struct blk *b)
{
	struct blk_raw *r = raw_of(b);

	close(r->fd);
	free(b->path);
	free(r);
}

static const struct blk_ops raw_ops = {
	.preadv = raw_preadv,
	.pwritev = raw_pwritev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.block_status = raw_block_status,
	.close = raw_close,
};

int blk_raw_open(struct blk **out, const char *path, unsigned int flags,
		 struct blk_chain *chain, char *err, size_t errlen)
{
	bool ro = flags & BLK_O_RDONLY;
	struct blk_raw *r;
	uint64_t len;
	int fd;

	fd = blk_file_open(path, ro, flags & BLK_O_NOLOCK, chain, &len, err, errlen);
	if (fd < 0)
		return fd;
	if (len < BLK_SECTOR) {
		close(fd);
		return errmsg_set(err, errlen, -EINVAL, path,
				  "%llu bytes: a disk image holds at least one 512-byte sector",
				  (unsigned long long)len);
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->blk.path = strdup(path))) {
		free(r);
		close(fd);
		return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
	}
	r->fd = fd;
	r->blk.ops = &raw_ops;
	r->blk.fmt = DISK_FMT_RAW;
	r->blk.ro = ro;
	r->blk.size = len;
	*out = &r->blk;
	return 0;
}
