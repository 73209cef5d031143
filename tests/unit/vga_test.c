/*
 * vga_test.c - the std VGA device without a bus: every register block,
 * the memory window in its planar, odd/even and chain-4 forms with the
 * write modes and latches, the Bochs dispi interface, BAR2, rendering of
 * text, planar, mode 13h and VBE screens into the fb (with the change
 * counter standing still when nothing changed), the screen as text, and
 * a save/load round trip.  Register values are the ones vgabios-stdvga
 * programs for modes 3, 12h and 13h.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display/fb.h"
#include "display/png.h"
#include "vmm/dev/vga.h"
#include "vmm/snap.h"

#define MS (1000ULL * 1000)
/* times at which the cursor (266 ms) and blink (533 ms) phases are on/off */
#define T_ON   (10 * MS)
#define T_CURSOR_OFF (300 * MS)
#define T_BLINK_OFF (600 * MS)

/* A fake KVM dirty log: the test says which pages were written. */
struct fake_log {
	uint64_t bits[VGA_VRAM_PAGES / 64];
	unsigned int calls;
	int rc;
};

static int fake_lfb_dirty(void *ctx, uint64_t *bitmap)
{
	struct fake_log *l = ctx;

	l->calls++;
	memcpy(bitmap, l->bits, sizeof(l->bits));
	memset(l->bits, 0, sizeof(l->bits));
	return l->rc;
}

static void fake_mark(struct fake_log *l, uint32_t byte)
{
	l->bits[(byte >> 12) / 64] |= 1ULL << ((byte >> 12) % 64);
}

struct fixture {
	struct vga *v;
	struct fake_log log;
	struct fb_view view;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vga_host host = { fake_lfb_dirty, NULL };

	if (!f)
		return -1;
	host.ctx = &f->log;
	if (vga_create(&f->v, &host) < 0) {
		free(f);
		return -1;
	}
	fb_view_init(&f->view);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fb_view_free(&f->view);
	vga_destroy(f->v);
	free(f);
	return 0;
}

/* ---- helpers: what vgabios does ----------------------------------------- */

static void out8(struct vga *v, uint16_t port, uint8_t val)
{
	vga_port_write(v, port, val);
}

static uint8_t in8(struct vga *v, uint16_t port)
{
	return vga_port_read(v, port);
}

static void sr_w(struct vga *v, uint8_t i, uint8_t val)
{
	out8(v, 0x3C4, i);
	out8(v, 0x3C5, val);
}

static void gr_w(struct vga *v, uint8_t i, uint8_t val)
{
	out8(v, 0x3CE, i);
	out8(v, 0x3CF, val);
}

static void cr_w(struct vga *v, uint8_t i, uint8_t val)
{
	out8(v, 0x3D4, i);
	out8(v, 0x3D5, val);
}

static uint8_t cr_r(struct vga *v, uint8_t i)
{
	out8(v, 0x3D4, i);
	return in8(v, 0x3D5);
}

/* Resets the attribute flip-flop through whichever status port is live. */
static void ar_reset(struct vga *v)
{
	(void)in8(v, 0x3DA);
	(void)in8(v, 0x3BA);
}

static void ar_w(struct vga *v, uint8_t i, uint8_t val)
{
	ar_reset(v);
	out8(v, 0x3C0, i);
	out8(v, 0x3C0, val);
}

static void dac_w(struct vga *v, uint8_t idx, uint8_t r, uint8_t g, uint8_t b)
{
	out8(v, 0x3C8, idx);
	out8(v, 0x3C9, r);
	out8(v, 0x3C9, g);
	out8(v, 0x3C9, b);
}

static void vbe_w(struct vga *v, uint16_t idx, uint16_t val)
{
	vga_vbe_write(v, VGA_VBE_PORT_INDEX, idx);
	vga_vbe_write(v, VGA_VBE_PORT_DATA, val);
}

static uint16_t vbe_r(struct vga *v, uint16_t idx)
{
	vga_vbe_write(v, VGA_VBE_PORT_INDEX, idx);
	return vga_vbe_read(v, VGA_VBE_PORT_DATA);
}

struct vmode {
	uint8_t misc, sr[4], cr[25], ar[20], gr[9];
};

static const struct vmode mode3 = {
	0x67, { 0x00, 0x03, 0x00, 0x02 },
	{ 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
	  0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
	  0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff },
};

static const struct vmode mode12 = {
	0xe3, { 0x01, 0x0f, 0x00, 0x06 },
	{ 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
	  0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
};

static const struct vmode mode13 = {
	0x63, { 0x01, 0x0f, 0x00, 0x0e },
	{ 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0x00, 0x9c, 0x0e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
	  0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
};

/* Loads a mode's registers in vgabios's order, then enables the display. */
static void set_mode(struct vga *v, const struct vmode *m)
{
	(void)in8(v, 0x3DA);
	out8(v, 0x3C0, 0x00);                /* palette access: screen blank */
	sr_w(v, 0, 0x01);
	for (unsigned int i = 0; i < 4; i++)
		sr_w(v, (uint8_t)(i + 1), m->sr[i]);
	sr_w(v, 0, 0x03);
	out8(v, 0x3C2, m->misc);
	cr_w(v, 0x11, 0x00);                 /* unprotect CR0-7 */
	for (unsigned int i = 0; i < 25; i++)
		cr_w(v, (uint8_t)i, m->cr[i]);
	for (unsigned int i = 0; i < 20; i++)
		ar_w(v, (uint8_t)i, m->ar[i]);
	for (unsigned int i = 0; i < 9; i++)
		gr_w(v, (uint8_t)i, m->gr[i]);
	(void)in8(v, 0x3DA);
	out8(v, 0x3C0, 0x20);
}

/* EGA-like colours for the entries the tests use (6-bit DAC values). */
static void set_palette(struct vga *v)
{
	dac_w(v, 0x00, 0, 0, 0);
	dac_w(v, 0x01, 0, 0, 42);
	dac_w(v, 0x07, 42, 42, 42);
	dac_w(v, 0x14, 42, 21, 0);
	dac_w(v, 0x3f, 63, 63, 63);
}

#define BLACK 0x000000u
#define BLUE  0x0000AAu
#define GREY  0xAAAAAAu
#define WHITE 0xFFFFFFu

/* Writes a glyph into plane 2 as vgabios's font loader does. */
static void load_glyph(struct vga *v, uint8_t ch, const uint8_t *rows, unsigned int n)
{
	sr_w(v, 0, 0x01);
	sr_w(v, 2, 0x04);
	sr_w(v, 4, 0x07);
	sr_w(v, 0, 0x03);
	gr_w(v, 4, 0x02);
	gr_w(v, 5, 0x00);
	gr_w(v, 6, 0x04);
	for (unsigned int l = 0; l < n; l++)
		vga_mem_write(v, ch * 32u + l, rows[l]);
	sr_w(v, 0, 0x01);
	sr_w(v, 2, 0x03);
	sr_w(v, 4, 0x03);
	sr_w(v, 0, 0x03);
	gr_w(v, 4, 0x00);
	gr_w(v, 5, 0x10);
	gr_w(v, 6, 0x0e);
}

/* A character and attribute at (row, col) of an 80-column page at 0xB8000. */
static void put_cell(struct vga *v, unsigned int row, unsigned int col, uint8_t ch, uint8_t at)
{
	uint32_t off = 0x18000 + (row * 80 + col) * 2;
	vga_mem_write(v, off, ch);
	vga_mem_write(v, off + 1, at);
}

static const uint8_t glyph_a[16] = {
	0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
	0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00,
};

static uint32_t px(const struct fb_view *view, unsigned int x, unsigned int y)
{
	return view->pixels[(size_t)y * view->mode.width + x];
}

/* The text mode, the palette, one glyph and "AA" with two attributes. */
static void text_screen(struct vga *v)
{
	set_mode(v, &mode3);
	set_palette(v);
	load_glyph(v, 'A', glyph_a, 16);
	for (unsigned int r = 0; r < 25; r++)
		for (unsigned int c = 0; c < 80; c++)
			put_cell(v, r, c, ' ', 0x07);
	put_cell(v, 0, 0, 'A', 0x1F);       /* white on blue */
	put_cell(v, 0, 1, 'A', 0x07);       /* grey on black */
	cr_w(v, 0x0A, 0x20);                /* cursor off */
}

/* ---- register blocks --------------------------------------------------- */

static void test_sequencer(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	sr_w(v, 1, 0xFF);
	assert_int_equal(in8(v, 0x3C5), 0x3D);       /* reserved bits read 0 */
	sr_w(v, 2, 0xFF);
	assert_int_equal(in8(v, 0x3C5), 0x0F);
	out8(v, 0x3C4, 0xFC);                        /* index masked to 3 bits */
	assert_int_equal(in8(v, 0x3C4), 0x04);
	out8(v, 0x3C5, 0x0E);
	out8(v, 0x3C4, 0x04);
	assert_int_equal(in8(v, 0x3C5), 0x0E);
	sr_w(v, 7, 0x55);                            /* no such register */
	assert_int_equal(in8(v, 0x3C5), 0x00);
}

static void test_crtc_ports_and_protect(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	/* power on: monochrome addresses (misc bit 0 clear) */
	out8(v, 0x3B4, 0x0C);
	out8(v, 0x3B5, 0x12);
	assert_int_equal(in8(v, 0x3B5), 0x12);
	assert_int_equal(in8(v, 0x3D5), 0xFF);       /* colour ports absent */
	out8(v, 0x3C2, 0x67);
	assert_int_equal(in8(v, 0x3CC), 0x67);
	assert_int_equal(in8(v, 0x3B5), 0xFF);       /* mono ports absent now */
	assert_int_equal(cr_r(v, 0x0C), 0x12);

	cr_w(v, 0x01, 0x4F);
	cr_w(v, 0x07, 0x00);
	cr_w(v, 0x11, 0x8E);                         /* protect CR0-CR7 */
	cr_w(v, 0x01, 0x27);
	assert_int_equal(cr_r(v, 0x01), 0x4F);
	cr_w(v, 0x07, 0xFF);                         /* only bit 4 gets through */
	assert_int_equal(cr_r(v, 0x07), 0x10);
	cr_w(v, 0x0E, 0x07);                         /* above 7: writable */
	assert_int_equal(cr_r(v, 0x0E), 0x07);
	cr_w(v, 0x11, 0x0E);
	cr_w(v, 0x01, 0x27);
	assert_int_equal(cr_r(v, 0x01), 0x27);
	out8(v, 0x3D4, 0xFF);                        /* index masked */
	assert_int_equal(in8(v, 0x3D4), 0x3F);
}

static void test_graphics_controller(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	gr_w(v, 5, 0xFF);
	assert_int_equal(in8(v, 0x3CF), 0x7B);
	gr_w(v, 8, 0xA5);
	assert_int_equal(in8(v, 0x3CF), 0xA5);
	gr_w(v, 3, 0xFF);
	assert_int_equal(in8(v, 0x3CF), 0x1F);
	out8(v, 0x3CE, 0x1F);                        /* index masked to 4 bits */
	assert_int_equal(in8(v, 0x3CE), 0x0F);
	out8(v, 0x3CF, 0x77);                        /* no register 15 */
	assert_int_equal(in8(v, 0x3CF), 0x00);
}

static void test_attribute_flip_flop(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	uint8_t st1;

	out8(v, 0x3C2, 0x01);
	(void)in8(v, 0x3DA);
	out8(v, 0x3C0, 0x05);                        /* index */
	assert_int_equal(in8(v, 0x3C0), 0);          /* data phase */
	out8(v, 0x3C0, 0xFF);                        /* data: 6 bits kept */
	assert_int_equal(in8(v, 0x3C0), 0x05);       /* index phase again */
	assert_int_equal(in8(v, 0x3C1), 0x3F);

	/* a half-done access is reset by reading input status 1 */
	out8(v, 0x3C0, 0x10);
	st1 = in8(v, 0x3DA);
	out8(v, 0x3C0, 0x33);                        /* index, not data */
	assert_int_equal(in8(v, 0x3C1), 0x00);       /* AR13 stays 0 */
	out8(v, 0x3C0, 0xFC);                        /* AR13: 4 bits */
	assert_int_equal(in8(v, 0x3C0), 0x33);       /* PAS and index 0x13 */
	assert_int_equal(in8(v, 0x3C1), 0x0C);
	out8(v, 0x3C0, 0x10);
	assert_int_equal(in8(v, 0x3C1), 0x00);       /* AR10 was never written */

	/* retrace and display-enable toggle, so polling loops finish */
	uint8_t st2 = in8(v, 0x3DA);
	assert_int_equal((st1 ^ st2) & 0x09, 0x09);
	assert_int_equal(in8(v, 0x3BA), 0xFF);       /* colour mode: mono absent */
}

static void test_dac_order(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	dac_w(v, 5, 0x11, 0x22, 0xFF);
	dac_w(v, 6, 0x01, 0x02, 0x03);               /* auto-increment: same as 6 */
	assert_int_equal(in8(v, 0x3C8), 7);
	assert_int_equal(in8(v, 0x3C7), 0);          /* write mode */
	out8(v, 0x3C7, 5);
	assert_int_equal(in8(v, 0x3C7), 3);          /* read mode */
	assert_int_equal(in8(v, 0x3C9), 0x11);
	assert_int_equal(in8(v, 0x3C9), 0x22);
	assert_int_equal(in8(v, 0x3C9), 0x3F);       /* 6-bit DAC */
	assert_int_equal(in8(v, 0x3C9), 0x01);       /* index 6 follows */
	assert_int_equal(in8(v, 0x3C9), 0x02);
	/* a new read index restarts at red */
	out8(v, 0x3C7, 6);
	assert_int_equal(in8(v, 0x3C9), 0x01);
	out8(v, 0x3C6, 0x0F);
	assert_int_equal(in8(v, 0x3C6), 0x0F);
	/* with the VBE 8-bit DAC all 8 bits read back */
	vbe_w(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_8BIT_DAC);
	out8(v, 0x3C7, 5);
	in8(v, 0x3C9);
	in8(v, 0x3C9);
	assert_int_equal(in8(v, 0x3C9), 0xFF);
	/* index 255 wraps to 0 */
	dac_w(v, 255, 1, 2, 3);
	assert_int_equal(in8(v, 0x3C8), 0);
}

/* ---- VBE dispi ------------------------------------------------------------ */

static void test_vbe_id_negotiation(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
	vbe_w(v, VBE_DISPI_INDEX_ID, VBE_DISPI_ID0);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ID), VBE_DISPI_ID0);
	vbe_w(v, VBE_DISPI_INDEX_ID, 0xB0C4);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ID), 0xB0C4);
	vbe_w(v, VBE_DISPI_INDEX_ID, 0xB0C6);        /* unknown: ignored */
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ID), 0xB0C4);
	vbe_w(v, VBE_DISPI_INDEX_ID, 0x1234);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ID), 0xB0C4);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
	assert_int_equal(vga_vbe_read(v, VGA_VBE_PORT_INDEX), VBE_DISPI_INDEX_VIDEO_MEMORY_64K);
	/* capabilities while GETCAPS is set, as SeaBIOS reads them */
	vbe_w(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_XRES), VBE_DISPI_MAX_XRES);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_YRES), VBE_DISPI_MAX_YRES);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_BPP), VBE_DISPI_MAX_BPP);
	vbe_w(v, VBE_DISPI_INDEX_ENABLE, 0);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_XRES), 0);
	assert_int_equal(vbe_r(v, 0x7777), 0);       /* no such register */
}

static void vbe_set(struct vga *v, uint16_t x, uint16_t y, uint16_t bpp, uint16_t flags)
{
	vbe_w(v, VBE_DISPI_INDEX_ENABLE, 0);
	vbe_w(v, VBE_DISPI_INDEX_BPP, bpp);
	vbe_w(v, VBE_DISPI_INDEX_XRES, x);
	vbe_w(v, VBE_DISPI_INDEX_YRES, y);
	vbe_w(v, VBE_DISPI_INDEX_BANK, 0);
	vbe_w(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | flags);
	ar_w(v, 0x10, 0x41);
	ar_reset(v);
	out8(v, 0x3C0, 0x20);
}

static void test_vbe_mode_set(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	uint8_t *vram = vga_vram(v);
	struct fb_mode m;

	vram[0] = 0xAA;
	vram[1024 * 768 * 4 - 1] = 0xBB;
	vram[1024 * 768 * 4] = 0xCC;                /* beyond the mode: untouched */
	vbe_set(v, 1024, 768, 32, VBE_DISPI_LFB_ENABLED);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_XRES), 1024);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_YRES), 768);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_BPP), 32);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_VIRT_WIDTH), 1024);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_VIRT_HEIGHT), 4096);
	assert_int_equal(vram[0], 0);               /* cleared */
	assert_int_equal(vram[1024 * 768 * 4 - 1], 0);
	assert_int_equal(vram[1024 * 768 * 4], 0xCC);
	vga_get_mode(v, &m);
	assert_int_equal(m.kind, FB_GRAPHICS);
	assert_true(m.vbe);
	assert_int_equal(m.width, 1024);
	assert_int_equal(m.height, 768);
	assert_int_equal(m.bpp, 32);

	/* NOCLEARMEM keeps the contents */
	vram[5] = 0x55;
	vbe_set(v, 800, 600, 16, VBE_DISPI_NOCLEARMEM);
	assert_int_equal(vram[5], 0x55);
	/* the display start moves with the offsets */
	vbe_w(v, VBE_DISPI_INDEX_VIRT_WIDTH, 1024);
	vbe_w(v, VBE_DISPI_INDEX_Y_OFFSET, 600);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_Y_OFFSET), 600);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_VIRT_WIDTH), 1024);
	/* the bank is masked to the 256 banks of 16 MiB */
	vbe_w(v, VBE_DISPI_INDEX_BANK, 0x1FF);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_BANK), 0xFF);
}

static void test_vbe_refuses_absurd_modes(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	/* larger than the framebuffer: cut to what fits, as QEMU does */
	vbe_set(v, 0xFFFF, 0xFFFF, 32, VBE_DISPI_NOCLEARMEM);
	uint32_t x = vbe_r(v, VBE_DISPI_INDEX_XRES), y = vbe_r(v, VBE_DISPI_INDEX_YRES);
	assert_int_equal(x, VBE_DISPI_MAX_XRES);
	assert_true((uint64_t)x * y * 4 <= VGA_VRAM_SIZE);
	assert_int_equal(y, VGA_VRAM_SIZE / (VBE_DISPI_MAX_XRES * 4));
	/* an unsupported depth becomes 8 bpp; width rounded to 8; zero height */
	vbe_set(v, 1023, 0, 7, VBE_DISPI_NOCLEARMEM);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_BPP), 8);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_XRES), 1016);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_YRES), 1);
	vbe_set(v, 0, 600, 8, VBE_DISPI_NOCLEARMEM);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_XRES), 8);
	/* offsets that would show memory beyond the end are reset */
	vbe_set(v, 1024, 768, 32, VBE_DISPI_NOCLEARMEM);
	vbe_w(v, VBE_DISPI_INDEX_Y_OFFSET, 4000);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_Y_OFFSET), 0);
	vbe_w(v, VBE_DISPI_INDEX_X_OFFSET, 0xFFFF);   /* clamped to the maximum */
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_X_OFFSET), VBE_DISPI_MAX_XRES);
	vbe_w(v, VBE_DISPI_INDEX_Y_OFFSET, 4095 - 768); /* with it, one byte too far */
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_Y_OFFSET), 0);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_X_OFFSET), 0);
	/* the largest virtual width still leaves a valid mode */
	vbe_w(v, VBE_DISPI_INDEX_VIRT_WIDTH, 0xFFFF);
	y = vbe_r(v, VBE_DISPI_INDEX_YRES);
	assert_true((uint64_t)0xFFFF * 4 * y <= VGA_VRAM_SIZE);
	/* and it renders without reading outside the framebuffer */
	assert_true(vga_render(v, T_ON) >= 0);
	/* read-only registers stay so */
	vbe_w(v, VBE_DISPI_INDEX_VIDEO_MEMORY_64K, 1);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
}

static void test_bar2_mmio(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	/* 0x400 + (port - 0x3C0): bochs-drm's path to the VGA ports */
	vga_mmio_write(v, 0x400 + 0x08, 1, 0x10);    /* 0x3C8: DAC write index */
	vga_mmio_write(v, 0x400 + 0x09, 1, 0x3F);
	vga_mmio_write(v, 0x400 + 0x09, 1, 0x00);
	vga_mmio_write(v, 0x400 + 0x09, 1, 0x15);
	out8(v, 0x3C7, 0x10);
	assert_int_equal(in8(v, 0x3C9), 0x3F);
	vga_mmio_write(v, 0x400 + 0x04, 2, 0x0F02);  /* SR2 = 0x0F, 16-bit */
	out8(v, 0x3C4, 2);
	assert_int_equal(in8(v, 0x3C5), 0x0F);
	assert_int_equal(vga_mmio_read(v, 0x400 + 0x05, 1), 0x0F);
	/* 0x500 + 2 * index: dispi registers */
	assert_int_equal(vga_mmio_read(v, 0x500, 2), VBE_DISPI_ID5);
	vga_mmio_write(v, 0x500 + 2 * VBE_DISPI_INDEX_XRES, 2, 640);
	vga_mmio_write(v, 0x500 + 2 * VBE_DISPI_INDEX_YRES, 2, 480);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_XRES), 640);
	assert_int_equal(vga_mmio_read(v, 0x500 + 2 * VBE_DISPI_INDEX_YRES, 2), 480);
	assert_int_equal(vga_mmio_read(v, 0x500 + 2 * VBE_DISPI_INDEX_VIDEO_MEMORY_64K, 2), 256);
	/* QEMU extended registers: size and little-endian framebuffer */
	assert_int_equal(vga_mmio_read(v, 0x600, 4), 8);
	assert_int_equal(vga_mmio_read(v, 0x604, 4), 0x1e1e1e1e);
	/* everything else reads 0; out-of-range offsets are harmless */
	assert_int_equal(vga_mmio_read(v, 0x0, 4), 0);
	assert_int_equal(vga_mmio_read(v, 0x5FFF, 4), 0);
	vga_mmio_write(v, 0x515, 8, ~0ULL);
	vga_mmio_write(v, 0xFFFFFFFF, 4, 1);
}

/* ---- the memory window ------------------------------------------------- */

static void planar_mode(struct vga *v)
{
	set_mode(v, &mode12);
}

static void test_planar_write_modes(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	planar_mode(v);
	/* write mode 0 with set/reset: planes 0 and 2 from GR0, 1 and 3 from data */
	gr_w(v, 0, 0x05);
	gr_w(v, 1, 0x05);
	gr_w(v, 8, 0xFF);
	vga_mem_write(v, 0, 0xA5);
	gr_w(v, 1, 0x00);
	for (unsigned int p = 0; p < 4; p++) {
		gr_w(v, 4, (uint8_t)p);
		uint8_t want = (p == 0 || p == 2) ? 0xFF : 0xA5;
		assert_int_equal(vga_mem_read(v, 0), want);
	}

	/* bit mask keeps the latched bits */
	(void)vga_mem_read(v, 0);                    /* latch the 4 planes */
	gr_w(v, 8, 0x0F);
	vga_mem_write(v, 0, 0x00);
	gr_w(v, 4, 0);
	assert_int_equal(vga_mem_read(v, 0), 0xF0);
	gr_w(v, 4, 1);
	assert_int_equal(vga_mem_read(v, 0), 0xA0);

	/* write mode 1 copies the latches: a 4-plane move of one byte */
	(void)vga_mem_read(v, 0);
	gr_w(v, 5, 0x01);
	vga_mem_write(v, 100, 0x12);                 /* the data is ignored */
	gr_w(v, 5, 0x00);
	for (unsigned int p = 0; p < 4; p++) {
		gr_w(v, 4, (uint8_t)p);
		assert_int_equal(vga_mem_read(v, 100), vga_mem_read(v, 0));
	}

	/* write mode 2: the data's low nibble is the colour, GR8 the pixels */
	gr_w(v, 5, 0x02);
	gr_w(v, 8, 0x81);
	(void)vga_mem_read(v, 200);                  /* latch zeros */
	vga_mem_write(v, 200, 0x0A);                 /* colour 1010: planes 1, 3 */
	gr_w(v, 5, 0x00);
	gr_w(v, 4, 0);
	assert_int_equal(vga_mem_read(v, 200), 0x00);
	gr_w(v, 4, 1);
	assert_int_equal(vga_mem_read(v, 200), 0x81);
	gr_w(v, 4, 3);
	assert_int_equal(vga_mem_read(v, 200), 0x81);

	/* write mode 3: rotated data ANDed with GR8 is the mask, GR0 the colour */
	gr_w(v, 5, 0x03);
	gr_w(v, 0, 0x04);                            /* colour 0100: plane 2 */
	gr_w(v, 8, 0xF0);
	gr_w(v, 3, 0x01);                            /* rotate right by 1 */
	(void)vga_mem_read(v, 300);
	vga_mem_write(v, 300, 0x3C);                 /* -> 0x1E, & 0xF0 = 0x10 */
	gr_w(v, 3, 0x00);
	gr_w(v, 5, 0x00);
	gr_w(v, 4, 2);
	assert_int_equal(vga_mem_read(v, 300), 0x10);
	gr_w(v, 4, 0);
	assert_int_equal(vga_mem_read(v, 300), 0x00);

	/* function XOR against the latches, map mask to plane 0 only */
	gr_w(v, 8, 0xFF);
	sr_w(v, 2, 0x01);
	gr_w(v, 3, 0x18);                            /* XOR */
	gr_w(v, 4, 0);
	assert_int_equal(vga_mem_read(v, 0), 0xF0);  /* also latches */
	vga_mem_write(v, 0, 0xFF);
	gr_w(v, 3, 0x00);
	assert_int_equal(vga_mem_read(v, 0), 0x0F);
	gr_w(v, 4, 1);
	assert_int_equal(vga_mem_read(v, 0), 0xA0);  /* plane 1 untouched */
	sr_w(v, 2, 0x0F);
}

static void test_read_mode_1(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	planar_mode(v);
	/* pixels 0-3 colour 5 (planes 0, 2), pixels 4-7 colour 0 */
	gr_w(v, 5, 0x02);
	gr_w(v, 8, 0xF0);
	vga_mem_write(v, 10, 0x05);
	gr_w(v, 8, 0x0F);
	(void)vga_mem_read(v, 10);                   /* latch what the mask keeps */
	vga_mem_write(v, 10, 0x00);
	gr_w(v, 8, 0xFF);
	gr_w(v, 5, 0x08);                            /* read mode 1 */
	gr_w(v, 2, 0x05);
	gr_w(v, 7, 0x0F);
	assert_int_equal(vga_mem_read(v, 10), 0xF0);
	gr_w(v, 2, 0x00);
	assert_int_equal(vga_mem_read(v, 10), 0x0F);
	gr_w(v, 7, 0x00);                            /* don't care: all match */
	assert_int_equal(vga_mem_read(v, 10), 0xFF);
	gr_w(v, 5, 0x00);
}

static void test_memory_map_select(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	set_mode(v, &mode3);                         /* GR6 = 0x0E: B8000, 32 KiB */
	vga_mem_write(v, 0x18000, 'x');
	assert_int_equal(vga_mem_read(v, 0x18000), 'x');
	assert_int_equal(vga_mem_read(v, 0x0000), 0xFF); /* A0000 unmapped */
	assert_int_equal(vga_mem_read(v, 0x10000), 0xFF); /* B0000 unmapped */
	gr_w(v, 6, 0x0A);                            /* B0000, 32 KiB */
	assert_int_equal(vga_mem_read(v, 0x10000), 'x');
	assert_int_equal(vga_mem_read(v, 0x18000), 0xFF);
	gr_w(v, 6, 0x02);                            /* A0000, 128 KiB */
	assert_int_equal(vga_mem_read(v, 0x00000), 'x');
	gr_w(v, 6, 0x0E);
	/* beyond the window: nothing */
	vga_mem_write(v, VGA_WINDOW_SIZE, 1);
	assert_int_equal(vga_mem_read(v, VGA_WINDOW_SIZE + 5), 0xFF);
	/* A0000-AFFFF in 128 KiB planar: the upper half is past the planes */
	planar_mode(v);
	gr_w(v, 6, 0x01);
	vga_mem_write(v, 0x1FFFF, 0x77);
	assert_int_equal(vga_mem_read(v, 0x1FFFF), 0xFF);
}

/* ---- rendering ---------------------------------------------------------- */

static void test_text_render(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	struct fb *fb = vga_fb(v);
	char *text = NULL;

	text_screen(v);
	assert_int_equal(vga_render(v, T_ON), 1);
	assert_true(fb_view_sync(fb, &f->view) > 0);
	assert_int_equal(f->view.mode.kind, FB_TEXT);
	assert_int_equal(f->view.mode.width, 720);
	assert_int_equal(f->view.mode.height, 400);
	assert_int_equal(f->view.mode.cols, 80);
	assert_int_equal(f->view.mode.rows, 25);
	/* the glyph rows of the first cell, 9 dots wide, white on blue */
	for (unsigned int l = 0; l < 16; l++)
		for (unsigned int x = 0; x < 9; x++) {
			bool on = x < 8 && (glyph_a[l] & (0x80 >> x));
			assert_int_equal(px(&f->view, x, l), on ? WHITE : BLUE);
		}
	/* the second cell: grey on black */
	assert_int_equal(px(&f->view, 9 + 3, 3), GREY);
	assert_int_equal(px(&f->view, 9 + 0, 3), BLACK);
	/* a blank cell is background only */
	assert_int_equal(px(&f->view, 9 * 5 + 3, 7), BLACK);

	/* the text, through screen_text */
	assert_int_equal(vga_screen_text(v, &text), 0);
	assert_memory_equal(text, "AA\n\n", 4);
	unsigned int lines = 0;
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 25);
	free(text);

	uint16_t cells[80 * 25];
	unsigned int cols, rows;
	assert_int_equal(vga_text_cells(v, cells, 80 * 25, &cols, &rows), 0);
	assert_int_equal(cols, 80);
	assert_int_equal(rows, 25);
	assert_int_equal(cells[0], 0x1F00 | 'A');
	assert_int_equal(vga_text_cells(v, cells, 100, &cols, &rows), -ENOSPC);
}

static void test_text_render_only_changes(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	struct fb *fb = vga_fb(v);

	text_screen(v);
	vga_render(v, T_ON);
	fb_view_sync(fb, &f->view);
	uint64_t gen = fb_generation(fb);

	/* nothing changed: the counter stays, no tile to copy */
	assert_int_equal(vga_render(v, T_ON), 0);
	assert_int_equal(vga_render(v, T_ON + 5 * MS), 0);
	assert_int_equal(fb_generation(fb), gen);
	assert_int_equal(fb_view_sync(fb, &f->view), 0);

	/* rewriting a cell with the same value: still nothing */
	put_cell(v, 0, 0, 'A', 0x1F);
	assert_int_equal(vga_render(v, T_ON), 0);

	/* one cell changes: one step, and only its tiles */
	put_cell(v, 10, 40, 'A', 0x07);
	assert_int_equal(vga_render(v, T_ON), 1);
	assert_int_equal(fb_generation(fb), gen + 1);
	int n = fb_view_sync(fb, &f->view);
	assert_true(n >= 1 && n <= 4);
	assert_true(f->view.dirty[(160 / FB_TILE) * f->view.tiles_x + 360 / FB_TILE]);
	assert_int_equal(px(&f->view, 40 * 9 + 3, 10 * 16 + 3), GREY);

	/* a palette change redraws what uses it */
	dac_w(v, 0x01, 0, 42, 0);                    /* blue becomes green */
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 8, 0), 0x00AA00);
}

static void test_text_cursor_and_blink(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	struct fb *fb = vga_fb(v);

	text_screen(v);
	cr_w(v, 0x0A, 0x0D);                         /* cursor lines 13-14 */
	cr_w(v, 0x0B, 0x0E);
	cr_w(v, 0x0E, 0x00);
	cr_w(v, 0x0F, 1);                            /* at cell (0, 1) */
	put_cell(v, 0, 2, 'A', 0x87);                /* blinking */
	vga_render(v, T_ON);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 9 + 4, 13), GREY);   /* cursor in fg */
	assert_int_equal(px(&f->view, 9 + 4, 14), GREY);
	assert_int_equal(px(&f->view, 9 + 4, 15), BLACK);
	assert_int_equal(px(&f->view, 18 + 3, 3), GREY);   /* blink on phase */

	/* cursor phase off: the glyph row 13 is back to its pixels */
	assert_int_equal(vga_render(v, T_CURSOR_OFF), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 9 + 0, 13), BLACK);
	assert_int_equal(px(&f->view, 18 + 3, 3), GREY);   /* blink still on */

	/* blink phase off: the character disappears into its background */
	vga_render(v, T_BLINK_OFF);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 18 + 3, 3), BLACK);

	/* blink off: steady cursor, character shown, the fb still at any time */
	vga_set_blink(v, false);
	vga_render(v, T_ON);
	uint64_t gen = fb_generation(fb);
	assert_int_equal(vga_render(v, T_CURSOR_OFF), 0);
	assert_int_equal(vga_render(v, T_BLINK_OFF), 0);
	assert_int_equal(fb_generation(fb), gen);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 9 + 4, 13), GREY);
	assert_int_equal(px(&f->view, 18 + 3, 3), GREY);
	vga_set_blink(v, true);

	/* cursor disabled by CR0A bit 5 */
	cr_w(v, 0x0A, 0x2D);
	vga_render(v, T_ON);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 9 + 4, 13), BLACK);
}

static void test_text_font_change_redraws(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	uint8_t solid[16];

	text_screen(v);
	vga_render(v, T_ON);
	memset(solid, 0xFF, sizeof(solid));
	load_glyph(v, 'A', solid, 16);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 0, 0), WHITE);
	assert_int_equal(px(&f->view, 9, 15), GREY);
	/* the 9th column is background unless a line-graphics character */
	assert_int_equal(px(&f->view, 8, 0), BLUE);
	load_glyph(v, 0xC4, solid, 16);
	put_cell(v, 0, 3, 0xC4, 0x07);
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 27 + 8, 5), GREY);
}

static void test_blank_screen(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	char *text = NULL;

	/* power on: nothing programmed */
	assert_true(vga_render(v, T_ON) >= 0);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(f->view.mode.kind, FB_BLANK);
	assert_int_equal(vga_screen_text(v, &text), 0);
	assert_string_equal(text, "(display off)\n");
	free(text);
	/* a text screen with the palette address source cleared is black,
	 * at the same size, and comes back whole */
	text_screen(v);
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	(void)in8(v, 0x3DA);
	out8(v, 0x3C0, 0x00);
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(f->view.mode.kind, FB_BLANK);
	assert_int_equal(f->view.mode.width, 720);
	assert_int_equal(px(&f->view, 3, 3), BLACK);
	(void)in8(v, 0x3DA);
	out8(v, 0x3C0, 0x20);
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 3, 3), WHITE);
}

static void test_planar_render(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	struct fb *fb = vga_fb(v);

	planar_mode(v);
	set_palette(v);
	/* colour 7 at pixel (8, 2): plane bits 0-2 of bit 7 at byte 2*80+1 */
	gr_w(v, 5, 0x02);
	gr_w(v, 8, 0x80);
	(void)vga_mem_read(v, 2 * 80 + 1);
	vga_mem_write(v, 2 * 80 + 1, 0x07);
	gr_w(v, 8, 0xFF);
	gr_w(v, 5, 0x00);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(f->view.mode.width, 640);
	assert_int_equal(f->view.mode.height, 480);
	assert_int_equal(f->view.mode.bpp, 4);
	assert_int_equal(px(&f->view, 8, 2), GREY);
	assert_int_equal(px(&f->view, 9, 2), BLACK);
	assert_int_equal(px(&f->view, 8, 3), BLACK);
	/* colour 6 goes through AR6 = 0x14 (EGA brown) */
	gr_w(v, 5, 0x02);
	gr_w(v, 8, 0x01);
	vga_mem_write(v, 479 * 80 + 79, 0x06);
	gr_w(v, 5, 0x00);
	gr_w(v, 8, 0xFF);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 639, 479), 0xAA5500);
	assert_int_equal(vga_render(v, T_ON), 0);
	/* the screen text names the graphics mode */
	char *text = NULL;
	assert_int_equal(vga_screen_text(v, &text), 0);
	assert_string_equal(text, "(graphics mode 640x480x4)\n");
	free(text);
}

static void test_mode13_pixel(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	set_mode(v, &mode13);
	dac_w(v, 0x42, 63, 0, 63);
	vga_mem_write(v, 123 * 320 + 45, 0x42);      /* chain-4: byte = pixel */
	assert_int_equal(vga_mem_read(v, 123 * 320 + 45), 0x42);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(f->view.mode.width, 320);
	assert_int_equal(f->view.mode.height, 200);
	assert_int_equal(f->view.mode.bpp, 8);
	assert_int_equal(px(&f->view, 45, 123), 0xFF00FF);
	assert_int_equal(px(&f->view, 46, 123), BLACK);
	/* the same pixel is plane 1 of dword (123*320+45)/4 for planar reads */
	sr_w(v, 4, 0x06);
	gr_w(v, 5, 0x00);
	gr_w(v, 4, 1);
	assert_int_equal(vga_mem_read(v, (123 * 320 + 45) / 4), 0x42);
	/* map mask off for that plane: chain-4 write dropped */
	sr_w(v, 4, 0x0e);
	sr_w(v, 2, 0x0D);
	vga_mem_write(v, 123 * 320 + 45, 0x00);
	assert_int_equal(vga_mem_read(v, 123 * 320 + 45), 0x42);
}

static void test_vbe32_render_uses_dirty_log(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	uint8_t *vram = vga_vram(v);
	struct fb *fb = vga_fb(v);

	vbe_set(v, 640, 480, 32, 0);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(f->view.mode.width, 640);
	assert_int_equal(f->view.mode.bpp, 32);
	uint64_t gen = fb_generation(fb);

	/* a guest write the dirty log does not report is not looked at */
	uint32_t off = (100 * 640 + 10) * 4;
	vram[off + 0] = 0x33;                        /* B */
	vram[off + 1] = 0x22;                        /* G */
	vram[off + 2] = 0x11;                        /* R */
	assert_int_equal(vga_render(v, T_ON), 0);
	assert_int_equal(fb_generation(fb), gen);
	/* once the log has its page, the line is redrawn */
	fake_mark(&f->log, off);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 10, 100), 0x112233);
	assert_int_equal(f->view.ndirty, 1);
	/* a page rewritten with the same bytes: the counter stays */
	fake_mark(&f->log, off);
	assert_int_equal(vga_render(v, T_ON), 0);
	/* a failing log means "everything" */
	vram[0] = 0xFF;
	f->log.rc = -EIO;
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(fb, &f->view);
	assert_int_equal(px(&f->view, 0, 0), 0x0000FF);
	f->log.rc = 0;

	char *text = NULL;
	assert_int_equal(vga_screen_text(v, &text), 0);
	assert_string_equal(text, "(graphics mode 640x480x32)\n");
	free(text);
}

static void test_vbe_depths(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	uint8_t *vram = vga_vram(v);

	/* 16 bpp 5:6:5 */
	vbe_set(v, 320, 200, 16, 0);
	vram[0] = 0x1F;                              /* blue 31 */
	vram[1] = 0xF8;                              /* red 31 */
	vram[2] = 0xE0;                              /* green 63 */
	vram[3] = 0x07;
	f->log.rc = -EAGAIN;
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 0, 0), 0xFF00FF);
	assert_int_equal(px(&f->view, 1, 0), 0x00FF00);
	/* 15 bpp 5:5:5 */
	vbe_set(v, 320, 200, 15, 0);
	vram[0] = 0x00;
	vram[1] = 0x7C;                              /* red 31 */
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 0, 0), 0xFF0000);
	/* 24 bpp B, G, R */
	vbe_set(v, 320, 200, 24, 0);
	vram[3] = 0x01;
	vram[4] = 0x02;
	vram[5] = 0x03;
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 1, 0), 0x030201);
	/* 8 bpp through the DAC, 6-bit and 8-bit */
	vbe_set(v, 320, 200, 8, 0);
	dac_w(v, 9, 63, 0, 0);
	vram[7] = 9;
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 7, 0), 0xFF0000);
	vbe_w(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_8BIT_DAC |
	      VBE_DISPI_NOCLEARMEM);
	dac_w(v, 9, 0x80, 0x40, 0x20);
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 7, 0), 0x804020);
	/* display start offset: row 1 of the virtual screen at the top */
	vram[320 + 2] = 9;
	vbe_w(v, VBE_DISPI_INDEX_Y_OFFSET, 1);
	vga_render(v, T_ON);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(px(&f->view, 2, 0), 0x804020);
	f->log.rc = 0;
}

static void test_vbe_banked_window(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	uint8_t *vram = vga_vram(v);

	vbe_set(v, 1024, 768, 8, 0);
	vga_render(v, T_ON);
	dac_w(v, 3, 0, 63, 0);
	vga_render(v, T_ON);
	/* bank 5, offset 0x1234: framebuffer byte 5 * 64 KiB + 0x1234 */
	vbe_w(v, VBE_DISPI_INDEX_BANK, 5);
	vga_mem_write(v, 0x1234, 3);
	assert_int_equal(vram[5 * 0x10000 + 0x1234], 3);
	assert_int_equal(vga_mem_read(v, 0x1234), 3);
	assert_int_equal(vga_mem_read(v, 0x10000), 0xFF); /* only 64 KiB mapped */
	/* the write through the trap counts as dirty without the KVM log */
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(vga_fb(v), &f->view);
	uint32_t pos = 5 * 0x10000 + 0x1234;
	assert_int_equal(px(&f->view, pos % 1024, pos / 1024), 0x00FF00);
	/* the last bank's end is the framebuffer's end */
	vbe_w(v, VBE_DISPI_INDEX_BANK, 255);
	vga_mem_write(v, 0xFFFF, 0x99);
	assert_int_equal(vram[VGA_VRAM_SIZE - 1], 0x99);
}

static void test_hostile_indexes(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	/* every port, every value: nothing out of bounds (ASan watches) */
	for (unsigned int port = 0x3B0; port < 0x3E0; port++)
		for (unsigned int val = 0; val < 256; val += 15) {
			vga_port_write(v, (uint16_t)port, (uint8_t)val);
			(void)vga_port_read(v, (uint16_t)port);
		}
	for (unsigned int idx = 0; idx < 0x20; idx++) {
		vbe_w(v, (uint16_t)idx, 0xFFFF);
		(void)vbe_r(v, (uint16_t)idx);
	}
	vbe_w(v, 0xFFFF, 0xFFFF);
	vga_vbe_write(v, 0x1D0, 1);
	assert_int_equal(vga_vbe_read(v, 0x1D0), 0xFFFF);
	assert_int_equal(vga_port_read(v, 0x3AF), 0xFF);
	assert_int_equal(vga_port_read(v, 0x3E0), 0xFF);
	for (uint32_t off = 0; off < VGA_WINDOW_SIZE + 16; off += 4093) {
		vga_mem_write(v, off, 0x5A);
		(void)vga_mem_read(v, off);
	}
	vga_mem_write(v, 0xFFFFFFFFu, 1);
	assert_true(vga_render(v, T_ON) >= 0);
	/* planar VBE (4 bpp) with the last bank: out of the planes, dropped */
	vbe_set(v, 800, 600, 4, 0);
	vbe_w(v, VBE_DISPI_INDEX_BANK, 255);
	sr_w(v, 4, 0x06);
	vga_mem_write(v, 0xFFFF, 0x12);
	assert_int_equal(vga_mem_read(v, 0xFFFF), 0xFF);
	assert_true(vga_render(v, T_ON) >= 0);
}

static void test_vbe_planar(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	/* what vgabios does for 0x102 (800x600x4): mode 6Ah, then dispi 4 bpp */
	planar_mode(v);
	set_palette(v);
	vbe_set(v, 800, 600, 4, 0);
	sr_w(v, 4, 0x06);
	gr_w(v, 6, 0x05);
	gr_w(v, 5, 0x02);
	gr_w(v, 8, 0x80);
	vga_mem_write(v, 599 * 100 + 99, 0x07);      /* pixel (792, 599) */
	gr_w(v, 5, 0x00);
	gr_w(v, 8, 0xFF);
	assert_int_equal(vga_render(v, T_ON), 1);
	fb_view_sync(vga_fb(v), &f->view);
	assert_int_equal(f->view.mode.width, 800);
	assert_int_equal(f->view.mode.height, 600);
	assert_int_equal(f->view.mode.bpp, 4);
	assert_int_equal(px(&f->view, 792, 599), GREY);
	assert_int_equal(px(&f->view, 793, 599), BLACK);
}

static void test_screenshot(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;
	char path[256];
	uint32_t *back = NULL;
	unsigned int w, h;
	const char *t = getenv("TMPDIR");

	text_screen(v);
	snprintf(path, sizeof(path), "%s/ttyvm-vga-%d.png", t && *t ? t : "/tmp", (int)getpid());
	assert_int_equal(vga_screenshot(v, path, T_ON), 0);
	assert_int_equal(png_file_load(path, &back, &w, &h), 0);
	assert_int_equal(w, 720);
	assert_int_equal(h, 400);
	assert_int_equal(back[0], BLUE);
	assert_int_equal(back[7 * 720 + 2], WHITE);   /* glyph row 7 is 0xfe */
	free(back);
	unlink(path);
}

/* ---- save and load ------------------------------------------------------ */

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v, *w;
	struct snap s, l;
	struct fb_view wv;
	char *t1 = NULL, *t2 = NULL;

	text_screen(v);
	vbe_w(v, VBE_DISPI_INDEX_ID, 0xB0C2);
	vga_vram(v)[3 * 4096 + 17] = 0x5A;           /* a used framebuffer page */
	dac_w(v, 200, 1, 2, 3);
	out8(v, 0x3C7, 200);
	(void)in8(v, 0x3C9);                         /* read position mid-entry */
	(void)in8(v, 0x3DA);
	out8(v, 0x3C0, 0x31);                        /* flip-flop in data phase */

	snap_init_save(&s);
	assert_int_equal(vga_snapshot(v, &s), 0);
	/* most of the 16 MiB is zero and not in the stream */
	assert_true(s.len < 512 * 1024);

	assert_int_equal(vga_create(&w, NULL), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(vga_snapshot(w, &l), 0);
	assert_int_equal(vga_vram(w)[3 * 4096 + 17], 0x5A);
	assert_int_equal(vbe_r(w, VBE_DISPI_INDEX_ID), 0xB0C2);
	assert_int_equal(in8(w, 0x3C9), 2);          /* continues mid-entry */
	assert_int_equal(in8(w, 0x3C0), 0);          /* data phase kept */
	assert_int_equal(cr_r(w, 0x09), cr_r(v, 0x09));
	assert_int_equal(vga_screen_text(v, &t1), 0);
	assert_int_equal(vga_screen_text(w, &t2), 0);
	assert_string_equal(t1, t2);
	/* the same picture */
	(void)in8(v, 0x3DA);
	(void)in8(w, 0x3DA);
	vga_render(v, T_ON);
	vga_render(w, T_ON);
	fb_view_init(&wv);
	fb_view_sync(vga_fb(v), &f->view);
	fb_view_sync(vga_fb(w), &wv);
	assert_int_equal(wv.mode.width, f->view.mode.width);
	assert_memory_equal(wv.pixels, f->view.pixels,
			    (size_t)wv.mode.width * wv.mode.height * 4);
	fb_view_free(&wv);
	free(t1);
	free(t2);

	/* a stream for another device or a newer version is refused */
	snap_init_load(&l, s.buf, s.len - 100);
	assert_true(vga_snapshot(w, &l) < 0);
	snap_free(&s);
	vga_destroy(w);
}

static void test_snapshot_vbe(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v, *w;
	struct snap s, l;

	vbe_set(v, 800, 600, 32, 0);
	vga_vram(v)[800 * 4 * 599 + 16] = 0x77;
	snap_init_save(&s);
	assert_int_equal(vga_snapshot(v, &s), 0);
	assert_int_equal(vga_create(&w, NULL), 0);
	vga_vram(w)[100] = 1;                        /* stale: cleared by the load */
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(vga_snapshot(w, &l), 0);
	assert_int_equal(vga_vram(w)[100], 0);
	assert_int_equal(vga_vram(w)[800 * 4 * 599 + 16], 0x77);
	assert_int_equal(vbe_r(w, VBE_DISPI_INDEX_XRES), 800);
	assert_int_equal(vbe_r(w, VBE_DISPI_INDEX_ENABLE) & VBE_DISPI_ENABLED, 1);
	struct fb_mode m;
	vga_get_mode(w, &m);
	assert_int_equal(m.width, 800);
	assert_int_equal(m.bpp, 32);
	/* loading did not clear the framebuffer as a fresh enable would */
	vga_render(w, T_ON);
	fb_view_sync(vga_fb(w), &f->view);
	assert_int_equal(px(&f->view, 4, 599), 0x000077);  /* byte 0 is blue */
	snap_free(&s);
	vga_destroy(w);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct vga *v = f->v;

	text_screen(v);
	vbe_set(v, 640, 480, 32, 0);
	vga_reset(v);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ENABLE), 0);
	assert_int_equal(vbe_r(v, VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
	assert_int_equal(in8(v, 0x3CC), 0);
	struct fb_mode m;
	vga_get_mode(v, &m);
	assert_int_equal(m.kind, FB_BLANK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_sequencer),
	T(test_crtc_ports_and_protect),
	T(test_graphics_controller),
	T(test_attribute_flip_flop),
	T(test_dac_order),
	T(test_vbe_id_negotiation),
	T(test_vbe_mode_set),
	T(test_vbe_refuses_absurd_modes),
	T(test_bar2_mmio),
	T(test_planar_write_modes),
	T(test_read_mode_1),
	T(test_memory_map_select),
	T(test_text_render),
	T(test_text_render_only_changes),
	T(test_text_cursor_and_blink),
	T(test_text_font_change_redraws),
	T(test_blank_screen),
	T(test_planar_render),
	T(test_mode13_pixel),
	T(test_vbe32_render_uses_dirty_log),
	T(test_vbe_depths),
	T(test_vbe_banked_window),
	T(test_vbe_planar),
	T(test_hostile_indexes),
	T(test_screenshot),
	T(test_snapshot_round_trip),
	T(test_snapshot_vbe),
	T(test_reset),
};
UNIT_SUITE(vga, tests);
