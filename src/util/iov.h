/*
 * iov.h - copying into, out of and across struct iovec arrays.
 *
 * Plain functions on caller-owned arrays; nothing allocates.  Shared by
 * the virtqueue helpers and the block layer (requests split per cluster,
 * bounce buffers for copy-on-write).
 */
#ifndef TTYVM_UTIL_IOV_H
#define TTYVM_UTIL_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Sum of the lengths of iov[0..n). */
size_t iov_size(const struct iovec *iov, unsigned int n);
/* Copies up to len bytes starting off bytes into iov[0..n) to buf; returns the count. */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len);
/* Copies up to len bytes from buf into iov[0..n) starting at off; returns the count. */
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf,
		    size_t len);
/* Sets up to len bytes of iov[0..n) from off to c; returns the count. */
size_t iov_memset(const struct iovec *iov, unsigned int n, size_t off, int c, size_t len);
/*
 * Describes bytes [off, off+len) of iov[0..n) as a new iovec array in
 * dst[0..max).  Returns the number of entries, or -E2BIG when dst is too
 * small, -EINVAL when the range is beyond the end of iov.
 */
int iov_slice(const struct iovec *iov, unsigned int n, size_t off, size_t len,
	      struct iovec *dst, unsigned int max);

#endif
