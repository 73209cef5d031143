/*
 * iov.c - struct iovec helpers (see iov.h): walk an array, skip to an
 * offset, copy or fill what is there.  Ranges past the end are cut short,
 * never overrun.
 */
#include "util/iov.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"

size_t iov_size(const struct iovec *iov, unsigned int n)
{
	size_t total = 0;

	for (unsigned int i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

/*
 * Calls fn on each piece of [off, off+len) of iov[0..n) with the piece's
 * address, its length and how far into the range it starts.
 */
static size_t iov_walk(const struct iovec *iov, unsigned int n, size_t off, size_t len,
		       void (*fn)(void *piece, size_t k, size_t at, void *ctx), void *ctx)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = MIN(iov[i].iov_len - off, len - done);
		fn((uint8_t *)iov[i].iov_base + off, k, done, ctx);
		done += k;
		off = 0;
	}
	return done;
}

static void iov_piece_out(void *piece, size_t k, size_t at, void *buf)
{
	memcpy((uint8_t *)buf + at, piece, k);
}

static void iov_piece_in(void *piece, size_t k, size_t at, void *buf)
{
	memcpy(piece, (const uint8_t *)buf + at, k);
}

static void iov_piece_set(void *piece, size_t k, size_t at, void *c)
{
	(void)at;
	memset(piece, *(const int *)c, k);
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len)
{
	return iov_walk(iov, n, off, len, iov_piece_out, buf);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf,
		    size_t len)
{
	return iov_walk(iov, n, off, len, iov_piece_in, (void *)buf);
}

size_t iov_memset(const struct iovec *iov, unsigned int n, size_t off, int c, size_t len)
{
	return iov_walk(iov, n, off, len, iov_piece_set, &c);
}

int iov_slice(const struct iovec *iov, unsigned int n, size_t off, size_t len,
	      struct iovec *dst, unsigned int max)
{
	unsigned int cnt = 0;

	for (unsigned int i = 0; i < n && len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		if (cnt == max)
			return -E2BIG;
		size_t k = MIN(iov[i].iov_len - off, len);
		dst[cnt++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, k };
		len -= k;
		off = 0;
	}
	return len ? -EINVAL : (int)cnt;
}
