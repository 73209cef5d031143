/*
 * snap.c - the save/load stream behind every device's snapshot routine.
 *
 * Format of a section: "SECT" tag, u16 name length, name bytes, u32 version.
 * Fields follow in the device's own order, each little-endian; byte arrays
 * carry a u32 length.  This file knows nothing of devices; the machine
 * decides which sections go into a snapshot and in what order.
 */
#include "vmm/snap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void snap_init_save(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = SNAP_SAVE;
}

void snap_init_load(struct snap *s, const void *buf, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->mode = SNAP_LOAD;
	s->buf = (uint8_t *)buf;
	s->len = len;
}

void snap_free(struct snap *s)
{
	if (s->mode == SNAP_SAVE)
		free(s->buf);
	s->buf = NULL;
	s->len = s->cap = s->pos = 0;
}

void snap_fail(struct snap *s, int err)
{
	if (!s->err)
		s->err = err;
}

static void snap_put(struct snap *s, const void *p, size_t n)
{
	if (s->err)
		return;
	if (n > s->cap - s->len) {
		size_t cap = s->cap ? s->cap : 256;
		while (n > cap - s->len) {
			if (cap > SIZE_MAX / 2) {
				snap_fail(s, -ENOMEM);
				return;
			}
			cap *= 2;
		}
		uint8_t *nb = realloc(s->buf, cap);
		if (!nb) {
			snap_fail(s, -ENOMEM);
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void snap_get(struct snap *s, void *p, size_t n)
{
	if (s->err)
		return;
	if (n > s->len - s->pos) {
		snap_fail(s, -EPROTO);
		return;
	}
	memcpy(p, s->buf + s->pos, n);
	s->pos += n;
}

static void snap_scalar(struct snap *s, void *v, size_t n)
{
	uint8_t le[8];
	uint64_t x = 0;

	if (s->mode == SNAP_SAVE) {
		memcpy(&x, v, n); /* host is little-endian x86 */
		put_le64(le, x);
		snap_put(s, le, n);
	} else {
		memset(le, 0, sizeof(le));
		snap_get(s, le, n);
		if (s->err)
			return;
		x = get_le64(le);
		memcpy(v, &x, n);
	}
}

void snap_u8(struct snap *s, uint8_t *v) { snap_scalar(s, v, 1); }
void snap_u16(struct snap *s, uint16_t *v) { snap_scalar(s, v, 2); }
void snap_u32(struct snap *s, uint32_t *v) { snap_scalar(s, v, 4); }
void snap_u64(struct snap *s, uint64_t *v) { snap_scalar(s, v, 8); }
void snap_i32(struct snap *s, int32_t *v) { snap_scalar(s, v, 4); }
void snap_i64(struct snap *s, int64_t *v) { snap_scalar(s, v, 8); }

void snap_bool(struct snap *s, bool *v)
{
	uint8_t b = *v ? 1 : 0;
	snap_u8(s, &b);
	if (s->mode == SNAP_LOAD && !s->err) {
		if (b > 1)
			snap_fail(s, -EINVAL);
		else
			*v = b;
	}
}

void snap_bytes(struct snap *s, void *p, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (len > UINT32_MAX) {
		snap_fail(s, -EINVAL);
		return;
	}
	snap_u32(s, &n);
	if (s->err)
		return;
	if (n != len) {
		snap_fail(s, -EINVAL);
		return;
	}
	if (s->mode == SNAP_SAVE)
		snap_put(s, p, len);
	else
		snap_get(s, p, len);
}

int snap_section(struct snap *s, const char *name, uint32_t *version)
{
	static const char tag[4] = { 'S', 'E', 'C', 'T' };
	size_t nlen = strlen(name);
	uint16_t n16 = (uint16_t)nlen;

	if (nlen > 255)
		snap_fail(s, -EINVAL);
	if (s->err)
		return s->err;

	if (s->mode == SNAP_SAVE) {
		snap_put(s, tag, sizeof(tag));
		snap_u16(s, &n16);
		snap_put(s, name, nlen);
		snap_u32(s, version);
		return s->err;
	}

	char got_tag[4], got_name[256];
	uint32_t got_ver = 0;
	snap_get(s, got_tag, sizeof(got_tag));
	snap_u16(s, &n16);
	if (s->err)
		return s->err;
	if (memcmp(got_tag, tag, sizeof(tag)) != 0 || n16 > 255) {
		snap_fail(s, -EPROTO);
		return s->err;
	}
	snap_get(s, got_name, n16);
	snap_u32(s, &got_ver);
	if (s->err)
		return s->err;
	if (n16 != nlen || memcmp(got_name, name, nlen) != 0) {
		snap_fail(s, -EINVAL);
		return s->err;
	}
	if (got_ver > *version) {
		snap_fail(s, -ENOTSUP);
		return s->err;
	}
	*version = got_ver;
	return 0;
}
