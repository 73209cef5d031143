/*
 * fb.c - the shared framebuffer: XRGB8888 pixels, the current mode, a
 * per-tile change map and a change counter.
 *
 * The change map is not a set of dirty bits that a consumer clears: each
 * FB_TILE x FB_TILE tile holds the generation at which it last changed.
 * A consumer keeps the generation it has seen (in its struct fb_view) and
 * copies the tiles that are newer, so the SDL window, every VNC client and
 * a screenshot each see every change exactly once, whatever their pace.
 * The producer writes through fb_put()/fb_fill(), which compare before
 * they copy: a guest that rewrites the same pixels (GRUB redrawing its
 * menu, a VBE page rewritten with the same bytes) changes nothing and the
 * counter stays still.
 *
 * What it is not: it knows nothing of VGA; it does no scaling, no format
 * conversion and no encoding (consumers do).  See fb.h for the thread
 * rules.
 */
#include "display/fb.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fb {
	pthread_mutex_t lock;
	struct fb_mode mode;
	uint32_t *pix;               /* mode.width * mode.height */
	unsigned int tiles_x, tiles_y;
	uint64_t *tile_gen;          /* generation of each tile's last change */
	uint64_t gen;                /* atomic: read lock-free */
	uint64_t mode_gen;
	bool changed;                /* something changed in this update */
};

static unsigned int tiles_for(unsigned int px)
{
	return (px + FB_TILE - 1) / FB_TILE;
}

/*
 * A black, 0x0 framebuffer in FB_BLANK mode.  The caller owns it and frees
 * it with fb_destroy().
 */
struct fb *fb_create(void)
{
	struct fb *fb = calloc(1, sizeof(*fb));

	if (!fb)
		return NULL;
	if (pthread_mutex_init(&fb->lock, NULL) != 0) {
		free(fb);
		return NULL;
	}
	return fb;
}

void fb_destroy(struct fb *fb)
{
	if (!fb)
		return;
	pthread_mutex_destroy(&fb->lock);
	free(fb->pix);
	free(fb->tile_gen);
	free(fb);
}

uint64_t fb_generation(const struct fb *fb)
{
	return __atomic_load_n(&fb->gen, __ATOMIC_ACQUIRE);
}

void fb_get_mode(struct fb *fb, struct fb_mode *mode)
{
	pthread_mutex_lock(&fb->lock);
	*mode = fb->mode;
	pthread_mutex_unlock(&fb->lock);
}

static bool mode_equal(const struct fb_mode *a, const struct fb_mode *b)
{
	return a->kind == b->kind && a->width == b->width && a->height == b->height &&
	       a->bpp == b->bpp && a->cols == b->cols && a->rows == b->rows &&
	       a->vbe == b->vbe;
}

/* Reallocates pixels and tiles for a new size; called with the lock held. */
static int fb_resize(struct fb *fb, unsigned int w, unsigned int h)
{
	unsigned int tx = tiles_for(w), ty = tiles_for(h);
	uint32_t *pix = calloc((size_t)w * h, sizeof(*pix));
	uint64_t *tg = calloc((size_t)tx * ty, sizeof(*tg));

	if (!pix || !tg) {
		free(pix);
		free(tg);
		return -ENOMEM;
	}
	free(fb->pix);
	free(fb->tile_gen);
	fb->pix = pix;
	fb->tile_gen = tg;
	fb->tiles_x = tx;
	fb->tiles_y = ty;
	return 0;
}

/* Starts an update; see fb.h.  On success the lock is held. */
int fb_begin(struct fb *fb, const struct fb_mode *mode)
{
	if (!mode->width || !mode->height || mode->width > FB_MAX_DIM ||
	    mode->height > FB_MAX_DIM)
		return -EINVAL;
	pthread_mutex_lock(&fb->lock);
	fb->changed = false;
	if (mode->width != fb->mode.width || mode->height != fb->mode.height) {
		int r = fb_resize(fb, mode->width, mode->height);
		if (r) {
			pthread_mutex_unlock(&fb->lock);
			return r;
		}
		/* every tile is new: stamp them all with the coming generation */
		for (size_t i = 0; i < (size_t)fb->tiles_x * fb->tiles_y; i++)
			fb->tile_gen[i] = fb->gen + 1;
	}
	if (!mode_equal(mode, &fb->mode)) {
		fb->mode = *mode;
		fb->mode_gen = fb->gen + 1;
		fb->changed = true;
	}
	return 0;
}

static void fb_mark(struct fb *fb, unsigned int tx, unsigned int ty)
{
	fb->tile_gen[(size_t)ty * fb->tiles_x + tx] = fb->gen + 1;
	fb->changed = true;
}

/*
 * Copies one row segment [x, x+n) of row y, tile by tile, marking the
 * tiles whose pixels differ.  Bounds are checked by the callers.
 */
static void fb_put_row(struct fb *fb, unsigned int x, unsigned int y,
		       const uint32_t *src, unsigned int n)
{
	uint32_t *dst = fb->pix + (size_t)y * fb->mode.width;
	unsigned int end = x + n;

	while (x < end) {
		unsigned int tile_end = (x / FB_TILE + 1) * FB_TILE;
		unsigned int len = (tile_end < end ? tile_end : end) - x;

		if (memcmp(dst + x, src, len * sizeof(*src)) != 0) {
			memcpy(dst + x, src, len * sizeof(*src));
			fb_mark(fb, x / FB_TILE, y / FB_TILE);
		}
		src += len;
		x += len;
	}
}

/* Clips (x, y, w, h) to the screen; false when nothing is left. */
static bool fb_clip(const struct fb *fb, unsigned int x, unsigned int y,
		    unsigned int *w, unsigned int *h)
{
	if (x >= fb->mode.width || y >= fb->mode.height || !*w || !*h)
		return false;
	if (*w > fb->mode.width - x)
		*w = fb->mode.width - x;
	if (*h > fb->mode.height - y)
		*h = fb->mode.height - y;
	return true;
}

void fb_put(struct fb *fb, unsigned int x, unsigned int y, unsigned int w,
	    unsigned int h, const uint32_t *src, unsigned int src_stride)
{
	if (!fb_clip(fb, x, y, &w, &h))
		return;
	for (unsigned int r = 0; r < h; r++)
		fb_put_row(fb, x, y + r, src + (size_t)r * src_stride, w);
}

void fb_fill(struct fb *fb, unsigned int x, unsigned int y, unsigned int w,
	     unsigned int h, uint32_t color)
{
	uint32_t row[FB_TILE];

	if (!fb_clip(fb, x, y, &w, &h))
		return;
	for (unsigned int i = 0; i < FB_TILE; i++)
		row[i] = color;
	for (unsigned int r = 0; r < h; r++) {
		unsigned int cx = x, left = w;
		while (left) {
			unsigned int n = left < FB_TILE ? left : FB_TILE;
			fb_put_row(fb, cx, y + r, row, n);
			cx += n;
			left -= n;
		}
	}
}

/* Ends the update; see fb.h. */
bool fb_end(struct fb *fb)
{
	bool changed = fb->changed;

	if (changed)
		__atomic_store_n(&fb->gen, fb->gen + 1, __ATOMIC_RELEASE);
	fb->changed = false;
	pthread_mutex_unlock(&fb->lock);
	return changed;
}

/* ---- consumers ----------------------------------------------------------- */

void fb_view_init(struct fb_view *v)
{
	memset(v, 0, sizeof(*v));
}

void fb_view_free(struct fb_view *v)
{
	free(v->pixels);
	free(v->dirty);
	fb_view_init(v);
}

/* Copies tile (tx, ty) from fb to v; lock held. */
static void fb_copy_tile(const struct fb *fb, struct fb_view *v, unsigned int tx,
			 unsigned int ty)
{
	unsigned int w = fb->mode.width;
	unsigned int x = tx * FB_TILE, y = ty * FB_TILE;
	unsigned int tw = w - x < FB_TILE ? w - x : FB_TILE;
	unsigned int th = fb->mode.height - y < FB_TILE ? fb->mode.height - y : FB_TILE;

	for (unsigned int r = 0; r < th; r++)
		memcpy(v->pixels + (size_t)(y + r) * w + x, fb->pix + (size_t)(y + r) * w + x,
		       tw * sizeof(uint32_t));
}

/* Brings v up to date; see fb.h. */
int fb_view_sync(struct fb *fb, struct fb_view *v)
{
	unsigned int n = 0;

	pthread_mutex_lock(&fb->lock);
	if (v->gen == fb->gen && v->pixels) {
		pthread_mutex_unlock(&fb->lock);
		if (v->dirty && v->ndirty)
			memset(v->dirty, 0, (size_t)v->tiles_x * v->tiles_y);
		v->ndirty = 0;
		v->mode_changed = false;
		return 0;
	}
	bool full = v->mode_gen != fb->mode_gen || !v->pixels ||
		    v->mode.width != fb->mode.width || v->mode.height != fb->mode.height;
	if (!fb->pix) {
		/* nothing was ever drawn */
		pthread_mutex_unlock(&fb->lock);
		v->ndirty = 0;
		v->mode_changed = false;
		return 0;
	}
	if (v->mode.width != fb->mode.width || v->mode.height != fb->mode.height ||
	    !v->pixels) {
		size_t np = (size_t)fb->mode.width * fb->mode.height;
		size_t nt = (size_t)fb->tiles_x * fb->tiles_y;
		uint32_t *pix = malloc(np * sizeof(*pix));
		uint8_t *dirty = calloc(nt, 1);
		if (!pix || !dirty) {
			pthread_mutex_unlock(&fb->lock);
			free(pix);
			free(dirty);
			return -ENOMEM;
		}
		free(v->pixels);
		free(v->dirty);
		v->pixels = pix;
		v->dirty = dirty;
		v->tiles_x = fb->tiles_x;
		v->tiles_y = fb->tiles_y;
	} else {
		memset(v->dirty, 0, (size_t)v->tiles_x * v->tiles_y);
	}
	for (unsigned int ty = 0; ty < fb->tiles_y; ty++) {
		for (unsigned int tx = 0; tx < fb->tiles_x; tx++) {
			size_t i = (size_t)ty * fb->tiles_x + tx;
			if (full || fb->tile_gen[i] > v->gen) {
				fb_copy_tile(fb, v, tx, ty);
				v->dirty[i] = 1;
				n++;
			}
		}
	}
	v->mode_changed = full;
	v->mode = fb->mode;
	v->gen = fb->gen;
	v->mode_gen = fb->mode_gen;
	v->ndirty = n;
	pthread_mutex_unlock(&fb->lock);
	return (int)n;
}

bool fb_view_next_rect(const struct fb_view *v, unsigned int *iter, struct fb_rect *r)
{
	size_t total = (size_t)v->tiles_x * v->tiles_y;
	size_t i = *iter;

	if (!v->dirty || !v->ndirty)
		return false;
	while (i < total && !v->dirty[i])
		i++;
	if (i >= total) {
		*iter = (unsigned int)total;
		return false;
	}
	unsigned int ty = (unsigned int)(i / v->tiles_x);
	unsigned int tx = (unsigned int)(i % v->tiles_x);
	unsigned int run = 1;
	while (tx + run < v->tiles_x && v->dirty[i + run])
		run++;
	r->x = tx * FB_TILE;
	r->y = ty * FB_TILE;
	r->w = run * FB_TILE;
	r->h = FB_TILE;
	if (r->x + r->w > v->mode.width)
		r->w = v->mode.width - r->x;
	if (r->y + r->h > v->mode.height)
		r->h = v->mode.height - r->y;
	*iter = (unsigned int)(i + run);
	return true;
}
