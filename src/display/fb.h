/*
 * fb.h - the framebuffer object every screen consumer shares.
 *
 * One producer (the VGA model's renderer) draws into it; any number of
 * consumers (SDL window, VNC server, screenshots) read it.  Pixels are
 * XRGB8888 in host order (0x00RRGGBB per uint32_t), `width` pixels per
 * row, rows `width` pixels apart.  The screen is cut into FB_TILE x
 * FB_TILE tiles; each tile remembers the change counter value at which its
 * pixels last changed, so every consumer can ask "what changed since the
 * generation I saw" without clearing anything another consumer still
 * needs.  The change counter moves once per producer update that really
 * changed a pixel or the mode, never otherwise: an idle screen keeps it
 * still, and a consumer that polls fb_generation() then does nothing.
 *
 * Threads: the producer brackets its drawing with fb_begin()/fb_end(),
 * which hold the object's lock; consumers call fb_view_sync(), which takes
 * the same lock only long enough to copy what changed into the consumer's
 * own struct fb_view.  fb_generation() is lock-free.
 */
#ifndef TTYVM_FB_H
#define TTYVM_FB_H

#include <stdbool.h>
#include <stdint.h>

#define FB_TILE 16              /* tile edge in pixels */
#define FB_MAX_DIM 16384        /* largest width or height accepted */

enum fb_kind {
	FB_BLANK = 0,   /* display off or not programmed: black */
	FB_TEXT,        /* an alphanumeric (text) mode */
	FB_GRAPHICS,    /* a graphics mode (VGA planar, 256-colour, VBE) */
};

/* What the guest has on screen, as a consumer would describe it. */
struct fb_mode {
	enum fb_kind kind;
	unsigned int width, height;  /* pixels */
	unsigned int bpp;            /* guest depth: 4, 8, 15, 16, 24, 32; 0 text */
	unsigned int cols, rows;     /* FB_TEXT: character cells */
	bool vbe;                    /* set by the Bochs VBE (dispi) interface */
};

struct fb;

/* An empty (0x0, FB_BLANK) framebuffer; NULL when out of memory. */
struct fb *fb_create(void);
void fb_destroy(struct fb *fb);

/*
 * The change counter: 0 for a new object, then one more after every
 * update that changed pixels or the mode.  Lock-free; any thread.
 */
uint64_t fb_generation(const struct fb *fb);

/* The current mode (a copy, under the lock). */
void fb_get_mode(struct fb *fb, struct fb_mode *mode);

/* ---- producer side ---------------------------------------------------- */

/*
 * Starts an update and takes the lock.  A mode whose size differs from
 * the current one reallocates the pixels (black) and marks every tile
 * changed; any other difference in *mode counts as a change too.  width
 * and height must be 1..FB_MAX_DIM.  Returns 0 (lock held until fb_end())
 * or -EINVAL / -ENOMEM (lock not held, the object unchanged).
 */
int fb_begin(struct fb *fb, const struct fb_mode *mode);

/*
 * Copies a w x h block of pixels (rows src_stride pixels apart) to (x, y),
 * clipped to the screen, and marks only the tiles whose pixels really
 * differ.  Between fb_begin() and fb_end() only.
 */
void fb_put(struct fb *fb, unsigned int x, unsigned int y, unsigned int w,
	    unsigned int h, const uint32_t *src, unsigned int src_stride);
/* Fills a rectangle with one colour, marking tiles that change. */
void fb_fill(struct fb *fb, unsigned int x, unsigned int y, unsigned int w,
	     unsigned int h, uint32_t color);

/*
 * Ends the update and releases the lock.  Returns true when anything
 * changed (the counter moved by one), false when the screen is as before.
 */
bool fb_end(struct fb *fb);

/* ---- consumer side ---------------------------------------------------- */

struct fb_rect {
	unsigned int x, y, w, h;
};

/*
 * A consumer's private copy of the screen, brought up to date with
 * fb_view_sync().  All fields are read-only for the consumer; the pixels
 * stay valid until the next sync or fb_view_free().
 */
struct fb_view {
	struct fb_mode mode;
	uint32_t *pixels;           /* mode.width * mode.height, stride = width */
	uint64_t gen;               /* generation this copy reflects */
	uint64_t mode_gen;          /* generation of the last mode/size change */
	bool mode_changed;          /* the last sync saw a new mode or size */
	unsigned int tiles_x, tiles_y;
	uint8_t *dirty;             /* per tile: changed in the last sync */
	unsigned int ndirty;        /* number of set entries in dirty[] */
};

/* An empty view (generation 0: the first sync copies everything). */
void fb_view_init(struct fb_view *v);
void fb_view_free(struct fb_view *v);

/*
 * Copies into v what changed since v->gen and records which tiles those
 * were (v->dirty, v->ndirty).  A new mode or size reallocates the copy,
 * marks every tile and sets v->mode_changed.  Returns the number of tiles
 * changed (0: nothing to do, no pixel copied) or -ENOMEM (v unchanged).
 */
int fb_view_sync(struct fb *fb, struct fb_view *v);

/*
 * Walks the changed area of the last sync as rectangles (runs of changed
 * tiles within a tile row, clipped to the screen).  *iter starts at 0.
 * Returns true and fills *r while there are more.
 */
bool fb_view_next_rect(const struct fb_view *v, unsigned int *iter, struct fb_rect *r);

#endif
