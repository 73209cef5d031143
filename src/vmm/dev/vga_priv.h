/*
 * vga_priv.h - the std VGA device's state, shared by vga.c (registers),
 * vga_mem.c (the legacy window), vga_render.c (drawing into the fb) and
 * vga_setup.c (machine glue).  Not for anyone else: use vga.h.
 */
#ifndef TTYVM_VGA_PRIV_H
#define TTYVM_VGA_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "display/fb.h"
#include "vmm/dev/vga.h"

#define VGA_PMEM_SIZE (4 * VGA_PLANE_SIZE)     /* 256 KiB */
#define VGA_PMEM_DWORDS VGA_PLANE_SIZE          /* one dword = 4 planes */
#define VGA_VRAM_WORDS (VGA_VRAM_PAGES / 64)    /* uint64_t per page bitmap */

#define VGA_TEXT_MAX_COLS 160
#define VGA_TEXT_MAX_ROWS 128

/* register bits used in more than one place */
#define VGA_MISC_COLOR     0x01  /* misc output: CRTC at 0x3D4, not 0x3B4 */
#define VGA_SR1_8DOT       0x01
#define VGA_SR1_HALF_CLOCK 0x08
#define VGA_SR1_SCREEN_OFF 0x20
#define VGA_SR4_ODD_EVEN_OFF 0x04
#define VGA_SR4_CHAIN4     0x08
#define VGA_GR5_READ_MODE1 0x08
#define VGA_GR5_ODD_EVEN   0x10
#define VGA_GR5_SHIFT_MASK 0x60
#define VGA_GR6_GRAPHICS   0x01
#define VGA_AR_PAS         0x20  /* attribute index: palette address source */
#define VGA_AR10_LINE_GFX  0x04
#define VGA_AR10_BLINK     0x08
#define VGA_AR10_P54S      0x80
#define VGA_CR11_PROTECT   0x80

/* What the renderer draws: every register input that shapes the picture. */
enum vga_kind {
	VGA_KIND_OFF = 0,     /* not programmed (or nonsense geometry) */
	VGA_KIND_TEXT,
	VGA_KIND_PLANAR,      /* 16 colours, 4 planes (modes 0Dh-12h, VBE 4 bpp) */
	VGA_KIND_CGA,         /* 4 colours, CGA interleave (modes 4/5) */
	VGA_KIND_PACKED8,     /* 256 colours, one byte per pixel (13h, mode X) */
	VGA_KIND_VBE,         /* dispi linear modes, 8-32 bpp */
};

struct vga_geom {
	uint32_t kind;
	uint32_t width, height, bpp;   /* the fb's size; bpp as the guest sees it */
	uint32_t start;     /* text: first cell (dword index); else byte address */
	uint32_t pitch;     /* text: cells per row; else bytes per row */
	uint32_t in_vram;   /* planar data in the LFB (VBE 4 bpp), else the planes */
	/* text */
	uint32_t cols, rows, cw, dx, ch;
	uint32_t font[2];   /* dword index of the font for attribute bit 3 = 0/1 */
	uint32_t ar_mode;   /* attribute mode control (AR10) */
	uint32_t plane_mask;
	/* legacy graphics */
	uint32_t msl;       /* scan lines per character row - 1 */
	uint32_t cga_bits;  /* CR17 bits 0-1 inverted: CGA/Hercules addressing */
	uint32_t word_mode;
};

/* Text cursor as the CRTC describes it. */
struct vga_cursor {
	bool on;
	uint32_t addr;        /* cell (dword) index */
	uint32_t start, end;  /* scan lines */
};

/* What the renderer remembers between calls (under the device lock). */
struct vga_rstate {
	bool valid;                   /* false: redraw everything next time */
	struct vga_geom geom;
	uint32_t pal[256];            /* colours the last picture used */
	uint32_t font_gen;
	uint32_t cells[VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS]; /* text shadow keys */
	uint64_t lfb_map[VGA_VRAM_WORDS]; /* scratch: dirty pages this pass */
	uint32_t *line;               /* scratch pixels */
	size_t line_len;
};

struct vga_glue;

struct vga {
	pthread_mutex_t lock;
	struct vga_host host;
	uint8_t *vram;                /* VGA_VRAM_SIZE, mmap'ed */
	uint8_t pmem[VGA_PMEM_SIZE];  /* planes: dword i holds byte i of planes 0-3 */
	uint32_t latch;

	uint8_t misc, feature, st01;
	uint8_t sr_index, sr[8];
	uint8_t gr_index, gr[16];
	uint8_t cr_index, cr[64];
	uint8_t ar_index, ar[32];
	bool ar_flip;                 /* false: next 0x3C0 write is an index */
	uint8_t pel_mask;
	uint8_t dac_read, dac_write, dac_sub, dac_state;
	uint8_t dac_cache[3];
	uint8_t palette[768];

	uint16_t vbe_index;
	uint16_t vbe[VBE_DISPI_NREGS];
	uint32_t vbe_pitch;           /* bytes per line, 0 when disabled */
	uint32_t vbe_start;           /* byte offset of the visible origin */

	/* change tracking for the renderer */
	uint64_t pmem_dirty;          /* 4 KiB pages of pmem written */
	uint64_t vram_dirty[VGA_VRAM_WORDS]; /* LFB pages written through traps */
	uint32_t font_gen;            /* bumped by every write that reaches plane 2 */

	struct fb *fb;
	bool no_blink;                /* vga_set_blink(false) */
	struct vga_rstate rs;
	struct vga_glue *glue;        /* machine glue, NULL in unit tests */
};

/* vga_render.c: geometry from the registers (lock held). */
void vga_geom_locked(const struct vga *v, struct vga_geom *g);
void vga_cursor_locked(const struct vga *v, struct vga_cursor *c);
bool vga_vbe_enabled(const struct vga *v);

static inline void vga_mark_pmem(struct vga *v, uint32_t byte)
{
	v->pmem_dirty |= 1ULL << ((byte >> 12) & 63);
}

static inline void vga_mark_vram(struct vga *v, uint32_t byte)
{
	uint32_t page = byte >> 12;
	if (page < VGA_VRAM_PAGES)
		v->vram_dirty[page / 64] |= 1ULL << (page % 64);
}

#endif
