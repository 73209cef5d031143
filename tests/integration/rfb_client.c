/*
 * rfb_client.c - see rfb_client.h.  Written from RFC 6143 (and the Tight
 * and ZRLE descriptions of the RFB community wiki) for the tests; it
 * trusts nothing the server sends beyond what it can bound.
 */
#include "rfb_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct rfb *c, const char *what)
{
	snprintf(c->err, sizeof(c->err), "%s", what);
	return -1;
}

/* Reads exactly n bytes by deadline; 1 done, 0 timeout before the first
 * byte (only when may_idle), -1 error. */
static int rd(struct rfb *c, void *buf, size_t n, int64_t deadline, bool may_idle)
{
	size_t got = 0;

	while (got < n) {
		int left = (int)(deadline - now_ms());
		if (left <= 0) {
			if (may_idle && got == 0)
				return 0;
			return fail(c, "timeout in the middle of a message");
		}
		struct pollfd p = { c->fd, POLLIN, 0 };
		int r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(c, "poll");
		if (r == 0)
			continue;
		ssize_t k = read(c->fd, (char *)buf + got, n - got);
		if (k <= 0)
			return fail(c, k == 0 ? "server closed the connection" : "read");
		got += (size_t)k;
		c->bytes_in += (uint64_t)k;
	}
	return 1;
}

static int skip(struct rfb *c, size_t n, int64_t deadline)
{
	char buf[4096];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		if (rd(c, buf, k, deadline, false) != 1)
			return -1;
		n -= k;
	}
	return 0;
}

static int wr(struct rfb *c, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t k = write(c->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return fail(c, "write");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int resize(struct rfb *c, unsigned int w, unsigned int h)
{
	if (w > 16384 || h > 16384)
		return fail(c, "absurd size");
	free(c->pix);
	c->pix = calloc((size_t)w * h + 1, sizeof(uint32_t));
	if (!c->pix)
		return fail(c, "out of memory");
	c->w = w;
	c->h = h;
	return 0;
}

int rfb_connect(struct rfb *c, const char *host, int port, int timeout_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int64_t dl = now_ms() + timeout_ms;
	uint8_t b[64];
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return fail(c, "bad address");
	for (;;) {
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return fail(c, "socket");
		if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(c->fd);
		c->fd = -1;
		if (now_ms() > dl)
			return fail(c, "connect");
		usleep(100 * 1000);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (rd(c, b, 12, dl, false) != 1)
		return -1;
	if (memcmp(b, "RFB 003.", 8) != 0)
		return fail(c, "not an RFB server");
	if (wr(c, "RFB 003.008\n", 12))
		return -1;
	if (rd(c, b, 1, dl, false) != 1)
		return -1;
	unsigned int n = b[0];
	if (n == 0)
		return fail(c, "server refused the connection");
	if (rd(c, b, n, dl, false) != 1)
		return -1;
	bool none = false;
	for (unsigned int i = 0; i < n; i++)
		none |= b[i] == 1;
	if (!none)
		return fail(c, "server wants authentication");
	b[0] = 1;
	if (wr(c, b, 1) || rd(c, b, 4, dl, false) != 1)
		return -1;
	if (be32(b) != 0)
		return fail(c, "security handshake failed");
	b[0] = 1;                                /* shared */
	if (wr(c, b, 1) || rd(c, b, 24, dl, false) != 1)
		return -1;
	unsigned int w = be16(b), h = be16(b + 2), nl = be32(b + 20);
	if (resize(c, w, h))
		return -1;
	size_t keep = nl < sizeof(c->name) - 1 ? nl : sizeof(c->name) - 1;
	if (rd(c, c->name, keep, dl, false) != 1 || skip(c, nl - keep, dl))
		return -1;
	/* SetPixelFormat: 32 bpp, depth 24, little endian, true colour,
	 * 0x00RRGGBB */
	uint8_t pf[20] = { 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0 };
	return wr(c, pf, sizeof(pf));
}

void rfb_close(struct rfb *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->pix);
	c->pix = NULL;
}

int rfb_set_encodings(struct rfb *c, const int32_t *enc, unsigned int n)
{
	uint8_t b[4 + 4 * 16];

	if (n > 16)
		return fail(c, "too many encodings");
	b[0] = 2;
	b[1] = 0;
	b[2] = 0;
	b[3] = (uint8_t)n;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t e = (uint32_t)enc[i];
		b[4 + 4 * i] = (uint8_t)(e >> 24);
		b[5 + 4 * i] = (uint8_t)(e >> 16);
		b[6 + 4 * i] = (uint8_t)(e >> 8);
		b[7 + 4 * i] = (uint8_t)e;
	}
	return wr(c, b, 4 + 4 * n);
}

int rfb_request(struct rfb *c, bool incremental)
{
	uint8_t b[10] = { 3, incremental, 0, 0, 0, 0, (uint8_t)(c->w >> 8), (uint8_t)c->w,
			  (uint8_t)(c->h >> 8), (uint8_t)c->h };
	return wr(c, b, sizeof(b));
}

int rfb_key(struct rfb *c, uint32_t keysym, bool down)
{
	uint8_t b[8] = { 4, down, 0, 0, (uint8_t)(keysym >> 24), (uint8_t)(keysym >> 16),
			 (uint8_t)(keysym >> 8), (uint8_t)keysym };
	return wr(c, b, sizeof(b));
}

int rfb_pointer(struct rfb *c, unsigned int mask, unsigned int x, unsigned int y)
{
	uint8_t b[6] = { 5, (uint8_t)mask, (uint8_t)(x >> 8), (uint8_t)x, (uint8_t)(y >> 8),
			 (uint8_t)y };
	return wr(c, b, sizeof(b));
}

/* Tight's compact length: 1 to 3 bytes, 7 bits each. */
static int compact_len(struct rfb *c, int64_t dl, uint32_t *len)
{
	uint8_t b;

	*len = 0;
	for (int i = 0; i < 3; i++) {
		if (rd(c, &b, 1, dl, false) != 1)
			return -1;
		*len |= (uint32_t)(b & (i == 2 ? 0xFF : 0x7F)) << (7 * i);
		if (i < 2 && !(b & 0x80))
			break;
	}
	return 0;
}

static int tight_rect(struct rfb *c, unsigned int w, unsigned int h, int64_t dl)
{
	uint8_t ctl, filter = 0, b;
	uint32_t len;
	unsigned int colors = 0;

	if (rd(c, &ctl, 1, dl, false) != 1)
		return -1;
	ctl >>= 4;
	if (ctl == 0x08)
		return skip(c, 3, dl);           /* fill: one TPIXEL */
	if (ctl == 0x09)                        /* JPEG */
		return compact_len(c, dl, &len) ? -1 : skip(c, len, dl);
	if (ctl > 0x09)
		return fail(c, "bad tight control");
	if (ctl & 0x04 && rd(c, &filter, 1, dl, false) != 1)
		return -1;
	size_t raw = (size_t)w * h * 3;
	if (filter == 1) {
		if (rd(c, &b, 1, dl, false) != 1)
			return -1;
		colors = b + 1u;
		if (skip(c, colors * 3u, dl))
			return -1;
		raw = colors == 2 ? (size_t)((w + 7) / 8) * h : (size_t)w * h;
	} else if (filter > 2) {
		return fail(c, "bad tight filter");
	}
	if (raw < 12)
		return skip(c, raw, dl);
	return compact_len(c, dl, &len) ? -1 : skip(c, len, dl);
}

static int hextile_rect(struct rfb *c, unsigned int w, unsigned int h, int64_t dl)
{
	for (unsigned int ty = 0; ty < h; ty += 16)
		for (unsigned int tx = 0; tx < w; tx += 16) {
			unsigned int tw = w - tx < 16 ? w - tx : 16, th = h - ty < 16 ? h - ty : 16;
			uint8_t se, n;
			if (rd(c, &se, 1, dl, false) != 1)
				return -1;
			if (se & 1) {
				if (skip(c, (size_t)tw * th * 4, dl))
					return -1;
				continue;
			}
			if ((se & 2 && skip(c, 4, dl)) || (se & 4 && skip(c, 4, dl)))
				return -1;
			if (se & 8) {
				if (rd(c, &n, 1, dl, false) != 1 ||
				    skip(c, (size_t)n * (se & 16 ? 6 : 2), dl))
					return -1;
			}
		}
	return 0;
}

int rfb_read_update(struct rfb *c, int timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	uint8_t b[16];
	int r;

	for (;;) {
		r = rd(c, b, 1, dl, true);
		if (r <= 0)
			return r;
		dl = now_ms() + (timeout_ms > 10000 ? timeout_ms : 10000);
		switch (b[0]) {
		case 0: {                               /* FramebufferUpdate */
			if (rd(c, b, 3, dl, false) != 1)
				return -1;
			unsigned int n = be16(b + 1);
			for (unsigned int i = 0; i < n; i++) {
				if (rd(c, b, 12, dl, false) != 1)
					return -1;
				unsigned int x = be16(b), y = be16(b + 2), w = be16(b + 4),
					     h = be16(b + 6);
				int32_t enc = (int32_t)be32(b + 8);
				c->rects++;
				if (enc == RFB_ENC_DESKTOP_SIZE) {
					if (resize(c, w, h))
						return -1;
					c->resized = true;
					continue;
				}
				if (x + w > c->w || y + h > c->h)
					return fail(c, "rectangle outside the screen");
				switch (enc) {
				case RFB_ENC_RAW:
					for (unsigned int row = 0; row < h; row++)
						if (rd(c, c->pix + (size_t)(y + row) * c->w + x,
						       (size_t)w * 4, dl, false) != 1)
							return -1;
					break;
				case RFB_ENC_RRE:
					if (rd(c, b, 8, dl, false) != 1 ||
					    skip(c, (size_t)be32(b) * 12, dl))
						return -1;
					break;
				case RFB_ENC_HEXTILE:
					if (hextile_rect(c, w, h, dl))
						return -1;
					break;
				case RFB_ENC_ZLIB:
				case RFB_ENC_ZRLE:
					if (rd(c, b, 4, dl, false) != 1 || skip(c, be32(b), dl))
						return -1;
					break;
				case RFB_ENC_TIGHT:
					if (tight_rect(c, w, h, dl))
						return -1;
					break;
				default:
					snprintf(c->err, sizeof(c->err), "encoding %d not parsed",
						 enc);
					return -1;
				}
			}
			c->updates++;
			return 1;
		}
		case 1:                                 /* SetColourMapEntries */
			if (rd(c, b, 5, dl, false) != 1 || skip(c, (size_t)be16(b + 3) * 6, dl))
				return -1;
			break;
		case 2:                                 /* Bell */
			break;
		case 3:                                 /* ServerCutText */
			if (rd(c, b, 7, dl, false) != 1 || skip(c, be32(b + 3), dl))
				return -1;
			break;
		default:
			return fail(c, "unknown server message");
		}
	}
}
