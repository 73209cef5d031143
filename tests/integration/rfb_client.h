/*
 * rfb_client.h - a minimal RFB 3.8 client for tests and benchmarks:
 * handshake with security type None, 32-bit 0x00RRGGBB pixels, Raw
 * decoding (other encodings are parsed, not decoded, to measure them),
 * key and pointer events.  Every read has a deadline: nothing blocks for
 * ever.
 */
#ifndef TTYVM_RFB_CLIENT_H
#define TTYVM_RFB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RFB_ENC_RAW      0
#define RFB_ENC_RRE      2
#define RFB_ENC_HEXTILE  5
#define RFB_ENC_ZLIB     6
#define RFB_ENC_TIGHT    7
#define RFB_ENC_ZRLE     16
#define RFB_ENC_DESKTOP_SIZE (-223)

struct rfb {
	int fd;
	unsigned int w, h;
	uint32_t *pix;            /* w * h, 0x00RRGGBB (Raw rectangles only) */
	char name[128];
	uint64_t bytes_in;        /* everything read */
	unsigned int updates;     /* FramebufferUpdate messages completed */
	unsigned int rects;
	bool resized;
	char err[160];
};

/* Connects and handshakes (shared session).  0 or -1 with c->err. */
int rfb_connect(struct rfb *c, const char *host, int port, int timeout_ms);
void rfb_close(struct rfb *c);
int rfb_set_encodings(struct rfb *c, const int32_t *enc, unsigned int n);
int rfb_request(struct rfb *c, bool incremental);
/* Reads server messages until one FramebufferUpdate is complete (1),
 * timeout_ms pass with nothing (0), or an error (-1). */
int rfb_read_update(struct rfb *c, int timeout_ms);
int rfb_key(struct rfb *c, uint32_t keysym, bool down);
int rfb_pointer(struct rfb *c, unsigned int mask, unsigned int x, unsigned int y);

#endif
