/*
 * vga_render.c - draws the std VGA's screen into its struct fb: text
 * modes with the guest's own font, 16-colour planar, CGA 4-colour,
 * 256-colour (mode 13h and unchained "mode X") and the VBE linear modes
 * at 8/15/16/24/32 bpp; also the text of the screen and screenshots.
 *
 * Geometry follows the IBM VGA register descriptions: columns from the
 * CRTC horizontal display end, character cells 8 or 9 dots wide (SR1
 * bit 0, doubled by the half dot clock) and CR9+1 lines high, rows from
 * the vertical display end; graphics modes are drawn at the resolution
 * the guest addresses (mode 13h is 320x200, not the 640x400 the monitor
 * would scan), folding double scan and repeated scan lines away.  Colours
 * go through the attribute palette (with AR10 P5/P4 select and AR14) and
 * the DAC (6-bit, or 8-bit when VBE asks), masked by the PEL mask.
 * Character blink, the cursor (CR0A/CR0B shape, CR0E/CR0F position) and
 * the 9th column of the line-graphics characters are drawn as a VGA does.
 *
 * Only what changed is redrawn: every register input that shapes the
 * picture is gathered in a struct vga_geom and the colours in a 256-entry
 * palette; when either differs from the last pass (or the font changed)
 * everything is redrawn, otherwise text cells are compared with a shadow
 * copy (character, attribute, cursor and blink state per cell), legacy
 * graphics lines are redrawn when a planar page they read was written,
 * and VBE lines when the KVM dirty log (or a banked write through the
 * window) touched their pages.  The fb itself compares before it copies,
 * so its change counter moves only when a pixel really differs.
 *
 * Runs on whichever thread consumes the screen, with the device lock
 * held for the pass (vCPU accesses to the registers and the window wait;
 * writes to the linear framebuffer do not).
 */
#include "vmm/dev/vga.h"
#include "vmm/dev/vga_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display/png.h"
#include "display/screen_text.h"
#include "util/util.h"

#define VGA_CURSOR_HALF_NS (266ULL * 1000 * 1000)  /* 16 frames at 60 Hz */
#define VGA_BLINK_HALF_NS  (533ULL * 1000 * 1000)  /* 32 frames */
#define VGA_OFF_WIDTH  640
#define VGA_OFF_HEIGHT 480
#define VGA_MAX_LEGACY_DIM 4096

/* ---- geometry ------------------------------------------------------------- */

static void vga_geom_vbe(const struct vga *v, struct vga_geom *g)
{
	const uint16_t *r = v->vbe;

	g->kind = r[VBE_DISPI_INDEX_BPP] == 4 ? VGA_KIND_PLANAR : VGA_KIND_VBE;
	g->width = r[VBE_DISPI_INDEX_XRES];
	g->height = r[VBE_DISPI_INDEX_YRES];
	g->bpp = r[VBE_DISPI_INDEX_BPP];
	g->start = v->vbe_start;
	g->pitch = v->vbe_pitch;
	g->in_vram = 1;
	if (!g->width || !g->height || !g->pitch || g->width > FB_MAX_DIM ||
	    g->height > FB_MAX_DIM)
		g->kind = VGA_KIND_OFF;
}

/* Fills g from the registers; see vga_priv.h.  Lock held. */
void vga_geom_locked(const struct vga *v, struct vga_geom *g)
{
	uint32_t hde, vde, lines;

	memset(g, 0, sizeof(*g));
	g->ar_mode = v->ar[0x10];
	g->plane_mask = v->ar[0x12] & 0x0F;
	if (vga_vbe_enabled(v)) {
		vga_geom_vbe(v, g);
		return;
	}
	hde = v->cr[0x01] + 1u;
	vde = (v->cr[0x12] | ((v->cr[0x07] & 0x02u) << 7) | ((v->cr[0x07] & 0x40u) << 3)) + 1u;
	g->start = ((uint32_t)v->cr[0x0C] << 8) | v->cr[0x0D];
	if (!(v->gr[6] & VGA_GR6_GRAPHICS)) {
		uint8_t s3 = v->sr[3];

		g->kind = VGA_KIND_TEXT;
		g->cw = (v->sr[1] & VGA_SR1_8DOT) ? 8 : 9;
		g->dx = (v->sr[1] & VGA_SR1_HALF_CLOCK) ? 2 : 1;
		g->ch = (v->cr[0x09] & 0x1Fu) + 1;
		g->cols = hde;
		g->rows = vde / g->ch;
		g->pitch = v->cr[0x13] * 2u;
		/* character map select: B (attribute bit 3 clear), A (set) */
		g->font[0] = ((((uint32_t)s3 >> 4) & 1) | (((uint32_t)s3 << 1) & 6)) * 8192;
		g->font[1] = ((((uint32_t)s3 >> 5) & 1) | (((uint32_t)s3 >> 1) & 6)) * 8192;
		g->width = g->cols * g->cw * g->dx;
		g->height = g->rows * g->ch;
		if (g->cols < 8 || g->cols > VGA_TEXT_MAX_COLS || g->rows < 1 ||
		    g->rows > VGA_TEXT_MAX_ROWS)
			g->kind = VGA_KIND_OFF;
		return;
	}
	g->msl = v->cr[0x09] & 0x1F;
	g->cga_bits = ~v->cr[0x17] & 3u;
	g->word_mode = !(v->cr[0x17] & 0x40);
	g->pitch = v->cr[0x13] * 8u;
	g->start *= 4;
	lines = (v->cr[0x09] & 0x80) ? vde / 2 : vde;
	switch ((v->gr[5] >> 5) & 3) {
	case 0:
		g->kind = VGA_KIND_PLANAR;
		g->width = hde * 8;
		g->bpp = 4;
		break;
	case 1:
		g->kind = VGA_KIND_CGA;
		g->width = hde * 8;
		g->bpp = 2;
		break;
	default:
		g->kind = VGA_KIND_PACKED8;
		g->width = hde * 4;
		g->bpp = 8;
		break;
	}
	/* repeated scan lines show the same data unless CGA addressing
	 * takes the row scan counter into the address */
	g->height = g->cga_bits ? lines : lines / (g->msl + 1);
	if (g->width < 16 || g->height < 16 || g->width > VGA_MAX_LEGACY_DIM ||
	    g->height > VGA_MAX_LEGACY_DIM)
		g->kind = VGA_KIND_OFF;
}

void vga_cursor_locked(const struct vga *v, struct vga_cursor *c)
{
	c->on = !(v->cr[0x0A] & 0x20);
	c->addr = ((uint32_t)v->cr[0x0E] << 8) | v->cr[0x0F];
	c->start = v->cr[0x0A] & 0x1F;
	c->end = v->cr[0x0B] & 0x1F;
}

static bool vga_blanked(const struct vga *v)
{
	if (!(v->ar_index & VGA_AR_PAS))
		return true;
	return !vga_vbe_enabled(v) && (v->sr[1] & VGA_SR1_SCREEN_OFF);
}

static void vga_fb_mode(const struct vga *v, const struct vga_geom *g, struct fb_mode *m)
{
	memset(m, 0, sizeof(*m));
	m->vbe = vga_vbe_enabled(v);
	switch (g->kind) {
	case VGA_KIND_OFF:
		m->kind = FB_BLANK;
		m->width = VGA_OFF_WIDTH;
		m->height = VGA_OFF_HEIGHT;
		break;
	case VGA_KIND_TEXT:
		m->kind = FB_TEXT;
		m->width = g->width;
		m->height = g->height;
		m->cols = g->cols;
		m->rows = g->rows;
		break;
	default:
		m->kind = FB_GRAPHICS;
		m->width = g->width;
		m->height = g->height;
		m->bpp = g->bpp;
		break;
	}
}

/* ---- colours ---------------------------------------------------------- */

static uint32_t vga_c6(uint8_t c)
{
	c &= 0x3F;
	return (uint32_t)((c << 2) | (c >> 4));
}

static uint32_t vga_dac_rgb(const struct vga *v, unsigned int idx)
{
	const uint8_t *p = &v->palette[(idx & v->pel_mask) * 3];

	if (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC)
		return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
	return (vga_c6(p[0]) << 16) | (vga_c6(p[1]) << 8) | vga_c6(p[2]);
}

/* The colours the current mode uses, as XRGB. */
static void vga_palette(const struct vga *v, const struct vga_geom *g, uint32_t *pal)
{
	memset(pal, 0, 256 * sizeof(*pal));
	switch (g->kind) {
	case VGA_KIND_TEXT:
	case VGA_KIND_PLANAR:
	case VGA_KIND_CGA:
		for (unsigned int i = 0; i < 16; i++) {
			unsigned int a = v->ar[i], idx;
			if (v->ar[0x10] & VGA_AR10_P54S)
				idx = (a & 0x0F) | ((v->ar[0x14] & 0x0Fu) << 4);
			else
				idx = (a & 0x3F) | ((v->ar[0x14] & 0x0Cu) << 4);
			pal[i] = vga_dac_rgb(v, idx);
		}
		break;
	case VGA_KIND_PACKED8:
		for (unsigned int i = 0; i < 256; i++)
			pal[i] = vga_dac_rgb(v, i);
		break;
	case VGA_KIND_VBE:
		if (g->bpp == 8)
			for (unsigned int i = 0; i < 256; i++)
				pal[i] = vga_dac_rgb(v, i);
		break;
	default:
		break;
	}
}

/* ---- text ----------------------------------------------------------------- */

#define CELL_CURSOR 0x10000u
#define CELL_HIDDEN 0x20000u   /* blinking character in its off phase */

static void vga_draw_cell(struct vga *v, const struct vga_geom *g, const uint32_t *pal,
			  const struct vga_cursor *cur, unsigned int row, unsigned int col,
			  uint32_t key)
{
	unsigned int c = key & 0xFF, at = (key >> 8) & 0xFF;
	unsigned int fgi = at & 0x0F, bgi = at >> 4;
	unsigned int pw = g->cw * g->dx;
	uint32_t font = g->font[(at >> 3) & 1];
	uint32_t *buf = v->rs.line;

	if (g->ar_mode & VGA_AR10_BLINK) {
		bgi &= 7;
		if (key & CELL_HIDDEN)
			fgi = bgi;
	}
	uint32_t fg = pal[fgi], bg = pal[bgi];
	for (unsigned int l = 0; l < g->ch; l++) {
		uint32_t glyph = (font + c * 32 + l) & (VGA_PMEM_DWORDS - 1);
		uint8_t bits = v->pmem[glyph * 4 + 2];
		uint32_t *p = buf + (size_t)l * pw;
		bool ninth = g->cw == 9 && (g->ar_mode & VGA_AR10_LINE_GFX) &&
			     c >= 0xC0 && c <= 0xDF && (bits & 1);

		if ((key & CELL_CURSOR) && l >= cur->start && l <= cur->end) {
			for (unsigned int x = 0; x < pw; x++)
				p[x] = fg;
			continue;
		}
		for (unsigned int x = 0; x < 8; x++) {
			uint32_t px = (bits & (0x80 >> x)) ? fg : bg;
			for (unsigned int d = 0; d < g->dx; d++)
				*p++ = px;
		}
		if (g->cw == 9)
			for (unsigned int d = 0; d < g->dx; d++)
				*p++ = ninth ? fg : bg;
	}
	fb_put(v->fb, col * pw, row * g->ch, pw, g->ch, buf, pw);
}

static void vga_render_text(struct vga *v, const struct vga_geom *g, const uint32_t *pal,
			    bool full, uint64_t now)
{
	struct vga_cursor cur;
	bool cursor_phase = v->no_blink || ((now / VGA_CURSOR_HALF_NS) & 1) == 0;
	bool blink_phase = v->no_blink || ((now / VGA_BLINK_HALF_NS) & 1) == 0;
	bool blink = (g->ar_mode & VGA_AR10_BLINK) != 0;

	if (full || v->rs.font_gen != v->font_gen)
		memset(v->rs.cells, 0xFF, sizeof(v->rs.cells));
	v->rs.font_gen = v->font_gen;
	vga_cursor_locked(v, &cur);
	bool cursor_shown = cur.on && cursor_phase && cur.start <= cur.end && cur.start < g->ch;
	for (unsigned int r = 0; r < g->rows; r++) {
		for (unsigned int c = 0; c < g->cols; c++) {
			uint32_t idx = (g->start + r * g->pitch + c) & (VGA_PMEM_DWORDS - 1);
			uint32_t ch = v->pmem[idx * 4], at = v->pmem[idx * 4 + 1];
			uint32_t key = ch | (at << 8);
			uint32_t *shadow = &v->rs.cells[r * g->cols + c];

			if (cursor_shown && idx == (cur.addr & (VGA_PMEM_DWORDS - 1)))
				key |= CELL_CURSOR;
			if (blink && (at & 0x80) && !blink_phase)
				key |= CELL_HIDDEN;
			if (*shadow == key)
				continue;
			*shadow = key;
			vga_draw_cell(v, g, pal, &cur, r, c, key);
		}
	}
}

/* ---- dirty pages ------------------------------------------------------ */

static bool vga_bit(const uint64_t *map, uint32_t page)
{
	return (map[page / 64] >> (page % 64)) & 1;
}

/* true when a page of [off, off+len) (wrapping at size) is set in map */
static bool vga_range_dirty(const uint64_t *map, uint32_t size, uint32_t off, uint32_t len)
{
	uint32_t pages = size / 4096;

	if (len == 0)
		return false;
	uint32_t first = (off % size) / 4096;
	uint32_t last = ((off % size) + len - 1) / 4096;
	for (uint32_t p = first; p <= last; p++)
		if (vga_bit(map, p % pages))
			return true;
	return false;
}

/* Gathers the framebuffer pages written since the last pass into rs.lfb_map. */
static void vga_collect_vram_dirty(struct vga *v, bool full)
{
	uint64_t *map = v->rs.lfb_map;
	int r = v->host.lfb_dirty ? v->host.lfb_dirty(v->host.ctx, map) : -ENOSYS;

	if (r < 0 || full)
		memset(map, 0xFF, sizeof(v->rs.lfb_map));
	for (unsigned int i = 0; i < VGA_VRAM_WORDS; i++)
		map[i] |= v->vram_dirty[i];
	memset(v->vram_dirty, 0, sizeof(v->vram_dirty));
}

/* ---- legacy graphics (and VBE 4 bpp) ------------------------------------ */

static uint32_t vga_line_addr(const struct vga_geom *g, unsigned int y)
{
	uint32_t row = y, sl = 0, addr;

	if (g->cga_bits) {
		row = y / (g->msl + 1);
		sl = y % (g->msl + 1);
	}
	addr = g->start + row * g->pitch;
	if (g->cga_bits & 1) {
		unsigned int shift = g->word_mode ? 14 : 15;
		addr = (addr & ~(1u << shift)) | ((sl & 1) << shift);
	}
	if (g->cga_bits & 2)
		addr = (addr & ~0x8000u) | ((sl & 2) << 14);
	return addr;
}

static void vga_line_planar(const struct vga_geom *g, const uint8_t *mem, uint32_t mask,
			    uint32_t addr, const uint32_t *pal, uint32_t *out)
{
	for (unsigned int x = 0; x < g->width; x += 8) {
		const uint8_t *d = mem + ((addr + x / 2) & mask & ~3u);
		for (unsigned int b = 0; b < 8 && x + b < g->width; b++) {
			unsigned int s = 7 - b;
			unsigned int c = ((d[0] >> s) & 1) | (((d[1] >> s) & 1) << 1) |
					 (((d[2] >> s) & 1) << 2) | (((d[3] >> s) & 1) << 3);
			out[x + b] = pal[c & g->plane_mask];
		}
	}
}

static void vga_line_cga(const struct vga_geom *g, const uint8_t *mem, uint32_t mask,
			 uint32_t addr, const uint32_t *pal, uint32_t *out)
{
	for (unsigned int x = 0; x < g->width; x += 8) {
		const uint8_t *d = mem + ((addr + x / 2) & mask & ~3u);
		for (unsigned int k = 0; k < 8 && x + k < g->width; k++) {
			uint8_t byte = d[k / 4];
			unsigned int c = (byte >> (6 - 2 * (k % 4))) & 3;
			out[x + k] = pal[c & g->plane_mask];
		}
	}
}

static void vga_line_packed8(const struct vga_geom *g, const uint8_t *mem, uint32_t mask,
			     uint32_t addr, const uint32_t *pal, uint32_t *out)
{
	for (unsigned int x = 0; x < g->width; x++)
		out[x] = pal[mem[(addr + x) & mask]];
}

static void vga_render_legacy(struct vga *v, const struct vga_geom *g, const uint32_t *pal,
			      bool full)
{
	const uint8_t *mem = g->in_vram ? v->vram : v->pmem;
	uint32_t size = g->in_vram ? VGA_VRAM_SIZE : VGA_PMEM_SIZE;
	uint32_t bytes = g->kind == VGA_KIND_PACKED8 ? g->width : (g->width + 7) / 8 * 4;
	uint64_t pmem_map = v->pmem_dirty;
	const uint64_t *map = &pmem_map;

	v->pmem_dirty = 0;
	if (g->in_vram) {
		vga_collect_vram_dirty(v, full);
		map = v->rs.lfb_map;
	}
	for (unsigned int y = 0; y < g->height; y++) {
		uint32_t addr = vga_line_addr(g, y);

		if (g->in_vram && (uint64_t)addr + bytes > size) {
			/* never read past the framebuffer (fixup prevents it) */
			fb_fill(v->fb, 0, y, g->width, 1, 0);
			continue;
		}
		if (!full && !vga_range_dirty(map, size, addr, bytes))
			continue;
		if (g->kind == VGA_KIND_PLANAR)
			vga_line_planar(g, mem, size - 1, addr, pal, v->rs.line);
		else if (g->kind == VGA_KIND_CGA)
			vga_line_cga(g, mem, size - 1, addr, pal, v->rs.line);
		else
			vga_line_packed8(g, mem, size - 1, addr, pal, v->rs.line);
		fb_put(v->fb, 0, y, g->width, 1, v->rs.line, g->width);
	}
}

/* ---- VBE linear modes --------------------------------------------------- */

static uint32_t vga_x5(uint32_t c)
{
	return (c << 3) | (c >> 2);
}

static void vga_line_vbe(const struct vga_geom *g, const uint8_t *src, const uint32_t *pal,
			 uint32_t *out)
{
	unsigned int w = g->width;

	switch (g->bpp) {
	case 8:
		for (unsigned int x = 0; x < w; x++)
			out[x] = pal[src[x]];
		break;
	case 15:
		for (unsigned int x = 0; x < w; x++) {
			uint32_t p = get_le16(src + 2 * x);
			out[x] = (vga_x5((p >> 10) & 0x1F) << 16) | (vga_x5((p >> 5) & 0x1F) << 8) |
				 vga_x5(p & 0x1F);
		}
		break;
	case 16:
		for (unsigned int x = 0; x < w; x++) {
			uint32_t p = get_le16(src + 2 * x), g6 = (p >> 5) & 0x3F;
			out[x] = (vga_x5((p >> 11) & 0x1F) << 16) | (((g6 << 2) | (g6 >> 4)) << 8) |
				 vga_x5(p & 0x1F);
		}
		break;
	case 24:
		for (unsigned int x = 0; x < w; x++) {
			const uint8_t *p = src + 3 * x;
			out[x] = ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
		}
		break;
	default: /* 32 */
		for (unsigned int x = 0; x < w; x++)
			out[x] = get_le32(src + 4 * x) & 0xFFFFFF;
		break;
	}
}

static void vga_render_vbe(struct vga *v, const struct vga_geom *g, const uint32_t *pal,
			   bool full)
{
	uint32_t bytes = g->width * (g->bpp == 15 ? 2 : g->bpp / 8);

	vga_collect_vram_dirty(v, full);
	for (unsigned int y = 0; y < g->height; y++) {
		uint64_t off = g->start + (uint64_t)y * g->pitch;

		if (off + bytes > VGA_VRAM_SIZE) {
			fb_fill(v->fb, 0, y, g->width, 1, 0);
			continue;
		}
		if (!full && !vga_range_dirty(v->rs.lfb_map, VGA_VRAM_SIZE, (uint32_t)off, bytes))
			continue;
		vga_line_vbe(g, v->vram + off, pal, v->rs.line);
		fb_put(v->fb, 0, y, g->width, 1, v->rs.line, g->width);
	}
}

/* ---- the pass ------------------------------------------------------------- */

/* Scratch for one line or one text cell (18 x 32 pixels). */
static int vga_scratch(struct vga *v, size_t need)
{
	if (need < 18 * 32)
		need = 18 * 32;
	if (v->rs.line_len >= need)
		return 0;
	uint32_t *p = realloc(v->rs.line, need * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->rs.line = p;
	v->rs.line_len = need;
	return 0;
}

/* A blanked screen: black at the size already shown (no resize flicker). */
static int vga_render_blank(struct vga *v, const struct vga_geom *g)
{
	struct fb_mode m, cur;
	int r;

	fb_get_mode(v->fb, &cur);
	vga_fb_mode(v, g, &m);
	m.kind = FB_BLANK;
	m.cols = m.rows = m.bpp = 0;
	if (cur.width && cur.height) {
		m.width = cur.width;
		m.height = cur.height;
	}
	r = fb_begin(v->fb, &m);
	if (r < 0)
		return r;
	fb_fill(v->fb, 0, 0, m.width, m.height, 0);
	v->rs.valid = false;
	return fb_end(v->fb) ? 1 : 0;
}

/* Brings the fb up to date; see vga.h. */
int vga_render(struct vga *v, uint64_t now_ns)
{
	struct vga_geom g;
	struct fb_mode m;
	uint32_t pal[256];
	bool full;
	int r;

	pthread_mutex_lock(&v->lock);
	vga_geom_locked(v, &g);
	if (g.kind == VGA_KIND_OFF || vga_blanked(v)) {
		r = vga_render_blank(v, &g);
		pthread_mutex_unlock(&v->lock);
		return r;
	}
	r = vga_scratch(v, g.width);
	if (r < 0) {
		pthread_mutex_unlock(&v->lock);
		return r;
	}
	vga_palette(v, &g, pal);
	full = !v->rs.valid || memcmp(&v->rs.geom, &g, sizeof(g)) != 0 ||
	       memcmp(v->rs.pal, pal, sizeof(pal)) != 0;
	vga_fb_mode(v, &g, &m);
	r = fb_begin(v->fb, &m);
	if (r < 0) {
		pthread_mutex_unlock(&v->lock);
		return r;
	}
	switch (g.kind) {
	case VGA_KIND_TEXT:
		vga_render_text(v, &g, pal, full, now_ns);
		break;
	case VGA_KIND_VBE:
		vga_render_vbe(v, &g, pal, full);
		break;
	default:
		vga_render_legacy(v, &g, pal, full);
		break;
	}
	r = fb_end(v->fb) ? 1 : 0;
	v->rs.geom = g;
	memcpy(v->rs.pal, pal, sizeof(pal));
	v->rs.valid = true;
	pthread_mutex_unlock(&v->lock);
	return r;
}

/* ---- what is on screen ---------------------------------------------------- */

void vga_get_mode(struct vga *v, struct fb_mode *mode)
{
	struct vga_geom g;

	pthread_mutex_lock(&v->lock);
	vga_geom_locked(v, &g);
	vga_fb_mode(v, &g, mode);
	pthread_mutex_unlock(&v->lock);
}

static void vga_cells_locked(const struct vga *v, const struct vga_geom *g, uint16_t *cells)
{
	for (unsigned int r = 0; r < g->rows; r++)
		for (unsigned int c = 0; c < g->cols; c++) {
			uint32_t idx = (g->start + r * g->pitch + c) & (VGA_PMEM_DWORDS - 1);
			cells[r * g->cols + c] =
				(uint16_t)(v->pmem[idx * 4] | (v->pmem[idx * 4 + 1] << 8));
		}
}

/* Copies the text cells; see vga.h. */
int vga_text_cells(struct vga *v, uint16_t *cells, size_t max, unsigned int *cols,
		   unsigned int *rows)
{
	struct vga_geom g;
	int r = 0;

	pthread_mutex_lock(&v->lock);
	vga_geom_locked(v, &g);
	if (g.kind != VGA_KIND_TEXT)
		r = -ENOTSUP;
	else if ((size_t)g.cols * g.rows > max)
		r = -ENOSPC;
	else
		vga_cells_locked(v, &g, cells);
	pthread_mutex_unlock(&v->lock);
	if (r == 0) {
		*cols = g.cols;
		*rows = g.rows;
	}
	return r;
}

/* The screen as text; see vga.h.  The caller frees *out. */
int vga_screen_text(struct vga *v, char **out)
{
	struct vga_geom g;
	uint16_t *cells;
	char note[80];
	int r;

	cells = malloc(VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS * sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	pthread_mutex_lock(&v->lock);
	vga_geom_locked(v, &g);
	if (g.kind == VGA_KIND_TEXT)
		vga_cells_locked(v, &g, cells);
	pthread_mutex_unlock(&v->lock);
	if (g.kind == VGA_KIND_TEXT) {
		r = screen_text_format(cells, g.cols, g.rows, out);
		free(cells);
		return r;
	}
	free(cells);
	if (g.kind == VGA_KIND_OFF)
		snprintf(note, sizeof(note), "(display off)\n");
	else
		snprintf(note, sizeof(note), "(graphics mode %ux%ux%u)\n", g.width, g.height,
			 g.bpp);
	*out = strdup(note);
	return *out ? 0 : -ENOMEM;
}

/* Renders and writes a PNG at the guest's resolution; see vga.h. */
int vga_screenshot(struct vga *v, const char *path, uint64_t now_ns)
{
	struct fb_view view;
	int r;

	r = vga_render(v, now_ns);
	if (r < 0)
		return r;
	fb_view_init(&view);
	r = fb_view_sync(v->fb, &view);
	if (r >= 0)
		r = view.pixels ? png_file_save(path, view.pixels, view.mode.width,
						view.mode.height, view.mode.width)
				: -ENODATA;
	fb_view_free(&view);
	return r;
}
