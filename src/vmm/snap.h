/*
 * snap.h - one walk that either saves or loads a device's state.
 *
 * A device writes a single routine, foo_snapshot(dev, snap), that calls
 * snap_u32(s, &dev->field) for every field; the same routine saves (copies
 * fields into the stream) or loads (copies the stream into fields),
 * depending on the snap's mode.  Each device's record starts with
 * snap_section(), which carries the device name and its record version.
 *
 * The stream is little-endian and self-delimiting per section, so a loader
 * can skip a section it does not know.  Errors are sticky: after the first
 * failure (short buffer, wrong name, version too new) every call is a no-op
 * and snap_error() returns the -errno.  Guest addresses, never host
 * pointers, are stored; a device recomputes derived state after loading.
 */
#ifndef TTYVM_SNAP_H
#define TTYVM_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum snap_mode { SNAP_SAVE, SNAP_LOAD };

struct snap {
	enum snap_mode mode;
	uint8_t *buf;     /* SAVE: grows with realloc; LOAD: borrowed */
	size_t len;       /* bytes used (SAVE) or available (LOAD) */
	size_t cap;
	size_t pos;       /* LOAD cursor */
	int err;
};

/* A saver with an empty, growing buffer.  Free with snap_free(). */
void snap_init_save(struct snap *s);
/* A loader over buf[0..len); buf is not copied and must outlive s. */
void snap_init_load(struct snap *s, const void *buf, size_t len);
void snap_free(struct snap *s);

static inline bool snap_saving(const struct snap *s) { return s->mode == SNAP_SAVE; }
static inline bool snap_loading(const struct snap *s) { return s->mode == SNAP_LOAD; }
static inline int snap_error(const struct snap *s) { return s->err; }

/*
 * Starts a device record.  SAVE: writes name and *version.  LOAD: checks the
 * name matches (-EINVAL otherwise), refuses a version newer than
 * *version (-ENOTSUP) and stores the version found in *version so the
 * device can read older layouts.  Returns 0 or -errno (also sticky).
 */
int snap_section(struct snap *s, const char *name, uint32_t *version);

void snap_u8(struct snap *s, uint8_t *v);
void snap_u16(struct snap *s, uint16_t *v);
void snap_u32(struct snap *s, uint32_t *v);
void snap_u64(struct snap *s, uint64_t *v);
void snap_i32(struct snap *s, int32_t *v);
void snap_i64(struct snap *s, int64_t *v);
void snap_bool(struct snap *s, bool *v);
/* A fixed-size byte array (length is written and checked on load). */
void snap_bytes(struct snap *s, void *p, size_t len);

/* Marks the stream bad with err (e.g. a loaded value out of range). */
void snap_fail(struct snap *s, int err);

#endif
