/*
 * blk.c - the block layer's front: format names, probing, opening an
 * image with the right backend, and the checks every request passes
 * before a backend sees it (range inside the disk, read-only images,
 * the first-sector guard of probed raw images).  Also the file helpers
 * the backends share: open with an advisory lock, full-length positional
 * I/O, fdatasync.
 *
 * Probing follows QEMU's rules for the formats ttyvm knows: the qcow2
 * magic "QFI\xfb" (version 2 or 3) is qcow2, anything else is raw.  The
 * magics of formats it does not read (qcow version 1, QED, VMDK, VDI,
 * VHDX, VPC) make the open fail with a message instead of showing the
 * guest the container's bytes.  A probed raw image must stay raw: a write
 * that would make the first bytes probe as something else fails -EPERM
 * (QEMU: "writes to sector 0 of a probed raw image are refused").  Give
 * format=raw to allow them.
 *
 * Not here: the formats themselves (blk_raw.c, qcow2*.c), image creation
 * and copying (img*.c).
 */
#include "vmm/block/blk_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/iov.h"
#include "util/util.h"

/* ---- format names -------------------------------------------------------- */

int disk_format_parse(const char *s, enum disk_format *out)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "raw") == 0)
		*out = DISK_FMT_RAW;
	else if (strcmp(s, "qcow2") == 0)
		*out = DISK_FMT_QCOW2;
	else if (strcmp(s, "auto") == 0)
		*out = DISK_FMT_AUTO;
	else
		return -EINVAL;
	return 0;
}

const char *disk_format_name(enum disk_format f)
{
	switch (f) {
	case DISK_FMT_RAW:
		return "raw";
	case DISK_FMT_QCOW2:
		return "qcow2";
	default:
		return "auto";
	}
}

/* ---- probing ------------------------------------------------------------- */

#define BLK_PROBE_BYTES 512

/*
 * What the first bytes of an image say.  DISK_FMT_RAW when they are no
 * container ttyvm knows of; DISK_FMT_QCOW2; or DISK_FMT_AUTO with *name
 * set to a container format ttyvm does not read.
 */
static enum disk_format blk_probe_buf(const uint8_t *b, size_t len, const char **name)
{
	static const struct { const char *magic; size_t off, len; const char *name; } other[] = {
		{ "QED\0", 0, 4, "qed" },
		{ "KDMV", 0, 4, "vmdk" },
		{ "# Disk DescriptorFile", 0, 21, "vmdk (descriptor)" },
		{ "vhdxfile", 0, 8, "vhdx" },
		{ "conectix", 0, 8, "vpc (vhd)" },
		{ "\x7f\x10\xda\xbe", 0x40, 4, "vdi" },
	};

	if (len >= 8 && memcmp(b, "QFI\xfb", 4) == 0) {
		uint32_t v = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
			     (uint32_t)b[6] << 8 | b[7];
		if (v == 2 || v == 3)
			return DISK_FMT_QCOW2;
		*name = v == 1 ? "qcow (version 1)" : "qcow2 of an unknown version";
		return DISK_FMT_AUTO;
	}
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		if (len >= other[i].off + other[i].len &&
		    memcmp(b + other[i].off, other[i].magic, other[i].len) == 0) {
			*name = other[i].name;
			return DISK_FMT_AUTO;
		}
	return DISK_FMT_RAW;
}

static int blk_probe(const char *path, enum disk_format *out, char *err, size_t errlen)
{
	uint8_t buf[BLK_PROBE_BYTES];
	const char *name = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	struct stat st;

	if (fd < 0)
		return errmsg_set(err, errlen, -errno, path, "%s", strerror(errno));
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		/* nothing to probe: the backend's open says what is wrong with it */
		close(fd);
		*out = DISK_FMT_RAW;
		return 0;
	}
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (n < 0)
		return errmsg_set(err, errlen, -e, path, "reading the header: %s", strerror(e));
	*out = blk_probe_buf(buf, (size_t)n, &name);
	if (*out == DISK_FMT_AUTO)
		return errmsg_set(err, errlen, -ENOTSUP, path,
				  "a %s image, which ttyvm does not read (convert it with "
				  "qemu-img convert -O qcow2, or give format=raw to see its bytes)",
				  name);
	return 0;
}

/* ---- opening ------------------------------------------------------------- */

int blk_file_open(const char *path, bool ro, bool nolock, struct blk_chain *chain,
		  uint64_t *len, char *err, size_t errlen)
{
	struct flock lk = { .l_type = ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	int fd, rc;

	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, path, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = errmsg_set(err, errlen, -errno, path, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		*len = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, len) < 0) {
			rc = errmsg_set(err, errlen, -errno, path, "size of the block device: %s",
					strerror(errno));
			goto fail;
		}
	} else {
		rc = errmsg_set(err, errlen, -EINVAL, path,
				"not a regular file or block device");
		goto fail;
	}
	if (chain) {
		for (unsigned int i = 0; i < chain->depth; i++)
			if (chain->dev[i] == st.st_dev && chain->ino[i] == st.st_ino) {
				rc = errmsg_set(err, errlen, -ELOOP, path,
						"backing file loop: this file is already in the "
						"chain above it");
				goto fail;
			}
		chain->dev[chain->depth] = st.st_dev;
		chain->ino[chain->depth] = st.st_ino;
	}
	/* two writers on one image corrupt it: refuse a second user (QEMU
	 * takes byte-range OFD locks on the same file, which conflict) */
	if (!nolock && fcntl(fd, F_OFD_SETLK, &lk) < 0 && errno != EINVAL) {
		rc = (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
		rc = errmsg_set(err, errlen, rc, path, "%s",
				rc == -EBUSY ? "in use by another process (a running VM or "
					       "qemu?): the image is locked"
					     : strerror(-rc));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

int blk_open_chain(struct blk **out, const char *path, enum disk_format fmt,
		   unsigned int flags, struct blk_chain *chain, char *err, size_t errlen)
{
	bool probed = false;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path)
		return errmsg_set(err, errlen, -EINVAL, NULL, "no image file given");
	if (fmt == DISK_FMT_AUTO) {
		rc = blk_probe(path, &fmt, err, errlen);
		if (rc < 0)
			return rc;
		probed = fmt == DISK_FMT_RAW;
	}
	if (fmt == DISK_FMT_QCOW2)
		rc = qcow2_open(out, path, flags, chain, err, errlen);
	else
		rc = blk_raw_open(out, path, flags, chain, err, errlen);
	if (rc < 0)
		return rc;
	(*out)->probed_raw = probed;
	return 0;
}

int blk_open(struct blk **out, const char *path, enum disk_format fmt, unsigned int flags,
	     char *err, size_t errlen)
{
	struct blk_chain chain = { .depth = 0 };

	return blk_open_chain(out, path, fmt, flags & ~BLK_O_NOBACKING, &chain, err, errlen);
}

void blk_close(struct blk *b)
{
	if (b)
		b->ops->close(b);
}

uint64_t blk_size(const struct blk *b)
{
	return b->size;
}

bool blk_readonly(const struct blk *b)
{
	return b->ro;
}

enum disk_format blk_format(const struct blk *b)
{
	return b->fmt;
}

const char *blk_path(const struct blk *b)
{
	return b->path;
}

/* ---- requests ------------------------------------------------------------ */

static int blk_check(const struct blk *b, uint64_t off, uint64_t len, bool write)
{
	if (write && b->ro)
		return -EROFS;
	return range_within(off, len, b->size) ? 0 : -EINVAL;
}

/*
 * The first-sector guard: would the first bytes, after this write, make a
 * probe see a container format?  Reads what the write leaves unchanged.
 */
static int blk_guard_probe(struct blk *b, const struct iovec *iov, int cnt, uint64_t off,
			   size_t len)
{
	uint8_t head[BLK_PROBE_BYTES];
	size_t n = (size_t)MIN((uint64_t)sizeof(head), b->size);
	struct iovec v = { head, n };
	const char *name;
	int rc;

	if (off >= n)
		return 0;
	rc = b->ops->preadv(b, &v, 1, 0, n);
	if (rc < 0)
		return rc;
	iov_to_buf(iov, (unsigned int)cnt, 0, head + off, MIN(len, n - (size_t)off));
	return blk_probe_buf(head, n, &name) == DISK_FMT_RAW ? 0 : -EPERM;
}

int blk_preadv(struct blk *b, const struct iovec *iov, int cnt, uint64_t off)
{
	size_t len = iov_size(iov, (unsigned int)cnt);
	int rc = blk_check(b, off, len, false);

	if (rc < 0 || len == 0)
		return rc;
	return b->ops->preadv(b, iov, cnt, off, len);
}

int blk_pwritev(struct blk *b, const struct iovec *iov, int cnt, uint64_t off)
{
	size_t len = iov_size(iov, (unsigned int)cnt);
	int rc = blk_check(b, off, len, true);

	if (rc < 0 || len == 0)
		return rc;
	if (b->probed_raw) {
		rc = blk_guard_probe(b, iov, cnt, off, len);
		if (rc < 0)
			return rc;
	}
	return b->ops->pwritev(b, iov, cnt, off, len);
}

int blk_pread(struct blk *b, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };
	return blk_preadv(b, &v, 1, off);
}

int blk_pwrite(struct blk *b, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };
	return blk_pwritev(b, &v, 1, off);
}

int blk_flush(struct blk *b)
{
	return b->ro ? 0 : b->ops->flush(b);
}

int blk_discard(struct blk *b, uint64_t off, uint64_t len)
{
	int rc = blk_check(b, off, len, true);

	if (rc < 0 || len == 0)
		return rc;
	return b->ops->discard(b, off, len);
}

int blk_write_zeroes(struct blk *b, uint64_t off, uint64_t len, bool may_unmap)
{
	int rc = blk_check(b, off, len, true);

	if (rc < 0 || len == 0)
		return rc;
	/* no guard: zeros never complete a container's magic */
	return b->ops->write_zeroes(b, off, len, may_unmap);
}

int blk_block_status(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum)
{
	if (len == 0 || off >= b->size)
		return -EINVAL;
	len = MIN(len, b->size - off);
	if (!b->ops->block_status) {
		*pnum = len;
		return BLK_STATUS_DATA;
	}
	return b->ops->block_status(b, off, len, pnum);
}

/* ---- file helpers -------------------------------------------------------- */

static int blk_fd_rw(int fd, bool write, const struct iovec *iov, int cnt, uint64_t off,
		     size_t len)
{
	struct iovec local[64];
	size_t done = 0;

	while (done < len) {
		/* what is left, as at most 64 segments */
		int n = iov_slice(iov, (unsigned int)cnt, done, len - done, local,
				  ARRAY_SIZE(local));
		size_t want;
		ssize_t r;

		if (n == -E2BIG) {
			n = ARRAY_SIZE(local);
		} else if (n < 0) {
			return -EINVAL;
		}
		want = iov_size(local, (unsigned int)n);
		if (off + done > (uint64_t)INT64_MAX - want)
			return -EINVAL;
		r = write ? pwritev(fd, local, n, (off_t)(off + done))
			  : preadv(fd, local, n, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;   /* end of file on a read, or a device that takes nothing */
		done += (size_t)r;
	}
	return 0;
}

int blk_fd_preadv(int fd, const struct iovec *iov, int cnt, uint64_t off, size_t len)
{
	return blk_fd_rw(fd, false, iov, cnt, off, len);
}

int blk_fd_pwritev(int fd, const struct iovec *iov, int cnt, uint64_t off, size_t len)
{
	return blk_fd_rw(fd, true, iov, cnt, off, len);
}

int blk_fd_pread(int fd, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };
	return len ? blk_fd_rw(fd, false, &v, 1, off, len) : 0;
}

int blk_fd_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };
	return len ? blk_fd_rw(fd, true, &v, 1, off, len) : 0;
}

int blk_fd_sync(int fd)
{
	while (fdatasync(fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}
