/*
 * blk_priv.h - what blk.c (dispatch) and the backends (blk_raw.c,
 * qcow2*.c) share.  Not for device models: they use blk.h.
 *
 * A backend allocates its own state with a struct blk as first member,
 * fills in ops, size and fmt, and blk.c checks ranges and the read-only
 * flag before it calls in: an op only ever sees a range inside the disk
 * and, for writes, a writable image.
 */
#ifndef TTYVM_BLOCK_BLK_PRIV_H
#define TTYVM_BLOCK_BLK_PRIV_H

#include <sys/types.h>

#include "vmm/block/blk.h"

/* internal blk_open() flag: do not open qcow2 backing files (img_info) */
#define BLK_O_NOBACKING 0x100u

struct blk_ops {
	/* len = iov's total, > 0; [off, off+len) inside the disk */
	int (*preadv)(struct blk *b, const struct iovec *iov, int cnt, uint64_t off, size_t len);
	int (*pwritev)(struct blk *b, const struct iovec *iov, int cnt, uint64_t off,
		       size_t len);
	int (*flush)(struct blk *b);
	int (*discard)(struct blk *b, uint64_t off, uint64_t len);
	int (*write_zeroes)(struct blk *b, uint64_t off, uint64_t len, bool may_unmap);
	int (*block_status)(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum);
	void (*close)(struct blk *b);   /* frees the backend's state, b included */
};

struct blk {
	const struct blk_ops *ops;
	char *path;
	enum disk_format fmt;
	bool ro;
	bool probed_raw;     /* raw by probing: guard the first sector */
	uint64_t size;
};

/* The images already open below the one being opened (loop detection). */
struct blk_chain {
	unsigned int depth;                 /* 0: the top image */
	dev_t dev[BLK_MAX_CHAIN + 1];
	ino_t ino[BLK_MAX_CHAIN + 1];
};

/*
 * blk_open() with the chain so far (NULL for a top image); qcow2 calls it
 * for its backing file.  Same contract as blk_open().
 */
int blk_open_chain(struct blk **out, const char *path, enum disk_format fmt,
		   unsigned int flags, struct blk_chain *chain, char *err, size_t errlen);

/*
 * Opens path (O_RDONLY when ro), checks it is a regular file or block
 * device, and takes the advisory lock (unless nolock).  Returns the fd and
 * its length in *len, or -errno with err set.  chain (may be NULL) gets
 * the file's identity appended, -ELOOP when it is already there.
 */
int blk_file_open(const char *path, bool ro, bool nolock, struct blk_chain *chain,
		  uint64_t *len, char *err, size_t errlen);

/* Full-length positional I/O on fd, retrying short transfers and EINTR.
 * Reads past the end of the file fail with -EIO.  0 or -errno. */
int blk_fd_preadv(int fd, const struct iovec *iov, int cnt, uint64_t off, size_t len);
int blk_fd_pwritev(int fd, const struct iovec *iov, int cnt, uint64_t off, size_t len);
int blk_fd_pread(int fd, void *buf, size_t len, uint64_t off);
int blk_fd_pwrite(int fd, const void *buf, size_t len, uint64_t off);
/* fdatasync, retried on EINTR.  0 or -errno. */
int blk_fd_sync(int fd);

/* Backends. */
int blk_raw_open(struct blk **out, const char *path, unsigned int flags,
		 struct blk_chain *chain, char *err, size_t errlen);
int qcow2_open(struct blk **out, const char *path, unsigned int flags,
	       struct blk_chain *chain, char *err, size_t errlen);

#endif
