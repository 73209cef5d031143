/*
 * vga.c - the std VGA device: QEMU's "VGA" (PCI 1234:1111), the card that
 * SeaBIOS's vgabios-stdvga.bin and Linux's bochs-drm drive.  This file
 * holds its register file, its life cycle and its save/load; the legacy
 * memory window is vga_mem.c, the picture vga_render.c and the machine
 * glue (ports, PCI, ROM, --screen-text, --screenshot) vga_setup.c.
 *
 * Legacy VGA, as IBM's VGA/XGA Technical Reference and FreeVGA describe
 * the registers: misc output, sequencer, CRT controller (at 0x3B4 or 0x3D4
 * by misc bit 0, CR0-CR7 write-protected by CR11 bit 7 except the line
 * compare bit), graphics controller, attribute controller with its
 * index/data flip-flop (reset by reading input status 1, whose retrace
 * bits toggle on every read so polling loops end) and the DAC with 6-bit
 * colours, separate read/write indexes and a shared red/green/blue step.
 * Register bits that do not exist read back as 0 (QEMU's masks).
 *
 * Bochs VBE "dispi" (ports 0x1CE/0x1CF, and BAR2 at 0x500): ID
 * negotiation 0xB0C0-0xB0C5, XRES/YRES/BPP clamped as QEMU does so a mode
 * always fits the 16 MiB framebuffer, ENABLE with GETCAPS, 8-bit DAC,
 * LFB and NOCLEARMEM, BANK (a 64 KiB window of the framebuffer at
 * 0xA0000), virtual width/height and the display offsets.  The linear
 * framebuffer is host memory that the PCI bus maps into the guest as a
 * KVM slot with dirty logging: guest writes to it never exit, and the
 * renderer learns what changed from the dirty log (struct vga_host).
 * BAR2 follows QEMU's layout for bochs-drm: the VGA ports at 0x400, the
 * dispi registers at 0x500 and the "qext" size/endianness at 0x600.
 *
 * Not implemented: the split screen (line compare), horizontal pixel
 * panning, the light pen, the vertical retrace interrupt and EDID in BAR2
 * (bochs-drm then offers its default modes).  Every guest index is masked
 * and every value that sizes something is clamped: nothing the guest
 * writes can reach outside the register arrays.
 *
 * Threads: vCPU threads arrive through the trap map (ports, the window,
 * BAR2); the event-loop thread renders, writes --screen-text and takes
 * screenshots.  One mutex covers the device; see vga_render.c for what the
 * renderer does under it.
 */
#include "vmm/dev/vga.h"
#include "vmm/dev/vga_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

/* bits that read back (QEMU's masks, after the IBM register descriptions) */
static const uint8_t vga_sr_mask[8] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0x00 };
static const uint8_t vga_gr_mask[16] = { 0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f,
					 0xff };

#define VGA_ST01_DISP_ENABLE 0x01
#define VGA_ST01_V_RETRACE   0x08

#define VBE_ENABLE_BITS (VBE_DISPI_ENABLED | VBE_DISPI_GETCAPS | VBE_DISPI_8BIT_DAC | \
			 VBE_DISPI_LFB_ENABLED | VBE_DISPI_NOCLEARMEM)
#define VBE_BANK_MASK ((VGA_VRAM_SIZE >> 16) - 1)

/* BAR2 layout */
#define VGA_MMIO_PORTS     0x400
#define VGA_MMIO_DISPI     0x500
#define VGA_MMIO_DISPI_END (VGA_MMIO_DISPI + 2 * VBE_DISPI_NREGS)
#define VGA_MMIO_QEXT      0x600
#define VGA_QEXT_SIZE      8
#define VGA_QEXT_LITTLE    0x1e1e1e1e

bool vga_vbe_enabled(const struct vga *v)
{
	return (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) != 0;
}

/* ---- life cycle ----------------------------------------------------------- */

static void vga_reset_locked(struct vga *v)
{
	v->latch = 0;
	v->misc = v->feature = v->st01 = 0;
	v->sr_index = v->gr_index = v->cr_index = v->ar_index = 0;
	memset(v->sr, 0, sizeof(v->sr));
	memset(v->gr, 0, sizeof(v->gr));
	memset(v->cr, 0, sizeof(v->cr));
	memset(v->ar, 0, sizeof(v->ar));
	v->ar_flip = false;
	v->pel_mask = 0xFF;
	v->dac_read = v->dac_write = v->dac_sub = v->dac_state = 0;
	memset(v->dac_cache, 0, sizeof(v->dac_cache));
	v->vbe_index = 0;
	memset(v->vbe, 0, sizeof(v->vbe));
	v->vbe[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
	v->vbe_pitch = v->vbe_start = 0;
	v->rs.valid = false;
}

/* Creates the device; see vga.h.  The caller frees it with vga_destroy(). */
int vga_create(struct vga **out, const struct vga_host *host)
{
	struct vga *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->vram = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->vram == MAP_FAILED) {
		free(v);
		return -ENOMEM;
	}
	v->fb = fb_create();
	if (!v->fb || pthread_mutex_init(&v->lock, NULL) != 0) {
		fb_destroy(v->fb);
		munmap(v->vram, VGA_VRAM_SIZE);
		free(v);
		return -ENOMEM;
	}
	if (host)
		v->host = *host;
	memset(v->palette, 0, sizeof(v->palette));
	vga_reset_locked(v);
	*out = v;
	return 0;
}

void vga_destroy(struct vga *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->lock);
	fb_destroy(v->fb);
	free(v->rs.line);
	munmap(v->vram, VGA_VRAM_SIZE);
	free(v);
}

void vga_reset(struct vga *v)
{
	pthread_mutex_lock(&v->lock);
	vga_reset_locked(v);
	pthread_mutex_unlock(&v->lock);
}

uint8_t *vga_vram(struct vga *v)
{
	return v->vram;
}

struct fb *vga_fb(struct vga *v)
{
	return v->fb;
}

void vga_set_blink(struct vga *v, bool on)
{
	pthread_mutex_lock(&v->lock);
	v->no_blink = !on;
	pthread_mutex_unlock(&v->lock);
}

void vga_invalidate(struct vga *v)
{
	pthread_mutex_lock(&v->lock);
	v->rs.valid = false;
	pthread_mutex_unlock(&v->lock);
}

/* ---- I/O ports ------------------------------------------------------------ */

/* The CRTC and input status 1 answer at 0x3Bx or 0x3Dx, by misc bit 0. */
static bool vga_port_absent(const struct vga *v, uint16_t port)
{
	if (v->misc & VGA_MISC_COLOR)
		return port >= 0x3B0 && port <= 0x3BF;
	return port >= 0x3D0 && port <= 0x3DF;
}

static uint8_t vga_dac_data_read(struct vga *v)
{
	uint8_t val = v->palette[v->dac_read * 3 + v->dac_sub];

	if (!(v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC))
		val &= 0x3F;
	if (++v->dac_sub == 3) {
		v->dac_sub = 0;
		v->dac_read++;
	}
	return val;
}

static uint8_t vga_port_read_locked(struct vga *v, uint16_t port)
{
	if (port < VGA_PORT_BASE || port >= VGA_PORT_BASE + VGA_PORT_COUNT ||
	    vga_port_absent(v, port))
		return 0xFF;
	switch (port) {
	case 0x3C0:
		return v->ar_flip ? 0 : v->ar_index;
	case 0x3C1: {
		unsigned int i = v->ar_index & 0x1F;
		return i <= 0x14 ? v->ar[i] : 0;
	}
	case 0x3C2:            /* input status 0 */
		return 0;
	case 0x3C4:
		return v->sr_index;
	case 0x3C5:
		return v->sr[v->sr_index & 7];
	case 0x3C6:
		return v->pel_mask;
	case 0x3C7:
		return v->dac_state;
	case 0x3C8:
		return v->dac_write;
	case 0x3C9:
		return vga_dac_data_read(v);
	case 0x3CA:
		return v->feature;
	case 0x3CC:
		return v->misc;
	case 0x3CE:
		return v->gr_index;
	case 0x3CF:
		return v->gr[v->gr_index & 0x0F];
	case 0x3B4:
	case 0x3D4:
		return v->cr_index;
	case 0x3B5:
	case 0x3D5:
		return v->cr[v->cr_index & 0x3F];
	case 0x3BA:
	case 0x3DA:
		/* no real timing: flip retrace and display-enable on every read */
		v->st01 ^= VGA_ST01_V_RETRACE | VGA_ST01_DISP_ENABLE;
		v->ar_flip = false;
		return v->st01;
	default:
		return 0xFF;
	}
}

static void vga_ar_write(struct vga *v, uint8_t val)
{
	unsigned int i;

	if (!v->ar_flip) {
		v->ar_index = val & 0x3F;
		v->ar_flip = true;
		return;
	}
	v->ar_flip = false;
	i = v->ar_index & 0x1F;
	if (i < 0x10)
		v->ar[i] = val & 0x3F;
	else if (i == 0x10)
		v->ar[i] = val & ~0x10;
	else if (i == 0x11)
		v->ar[i] = val;
	else if (i == 0x12)
		v->ar[i] = val & 0x3F;
	else if (i == 0x13 || i == 0x14)
		v->ar[i] = val & 0x0F;
}

static void vga_cr_write(struct vga *v, uint8_t val)
{
	unsigned int i = v->cr_index & 0x3F;

	if ((v->cr[0x11] & VGA_CR11_PROTECT) && i <= 7) {
		/* protected, except the line compare bit 8 in the overflow */
		if (i == 7)
			v->cr[7] = (uint8_t)((v->cr[7] & ~0x10) | (val & 0x10));
		return;
	}
	v->cr[i] = val;
}

static void vga_port_write_locked(struct vga *v, uint16_t port, uint8_t val)
{
	if (port < VGA_PORT_BASE || port >= VGA_PORT_BASE + VGA_PORT_COUNT ||
	    vga_port_absent(v, port))
		return;
	switch (port) {
	case 0x3C0:
		vga_ar_write(v, val);
		break;
	case 0x3C2:
		v->misc = val & ~0x10;
		break;
	case 0x3C4:
		v->sr_index = val & 7;
		break;
	case 0x3C5:
		v->sr[v->sr_index & 7] = val & vga_sr_mask[v->sr_index & 7];
		break;
	case 0x3C6:
		v->pel_mask = val;
		break;
	case 0x3C7:
		v->dac_read = val;
		v->dac_sub = 0;
		v->dac_state = 3;
		break;
	case 0x3C8:
		v->dac_write = val;
		v->dac_sub = 0;
		v->dac_state = 0;
		break;
	case 0x3C9:
		v->dac_cache[v->dac_sub] = val;
		if (++v->dac_sub == 3) {
			memcpy(&v->palette[v->dac_write * 3], v->dac_cache, 3);
			v->dac_sub = 0;
			v->dac_write++;
		}
		break;
	case 0x3CE:
		v->gr_index = val & 0x0F;
		break;
	case 0x3CF:
		v->gr[v->gr_index & 0x0F] = val & vga_gr_mask[v->gr_index & 0x0F];
		break;
	case 0x3B4:
	case 0x3D4:
		v->cr_index = val & 0x3F;
		break;
	case 0x3B5:
	case 0x3D5:
		vga_cr_write(v, val);
		break;
	case 0x3BA:
	case 0x3DA:
		v->feature = val & 0x10;
		break;
	default:
		break;
	}
}

uint8_t vga_port_read(struct vga *v, uint16_t port)
{
	uint8_t val;

	pthread_mutex_lock(&v->lock);
	val = vga_port_read_locked(v, port);
	pthread_mutex_unlock(&v->lock);
	return val;
}

void vga_port_write(struct vga *v, uint16_t port, uint8_t val)
{
	pthread_mutex_lock(&v->lock);
	vga_port_write_locked(v, port, val);
	pthread_mutex_unlock(&v->lock);
}

/* ---- Bochs VBE dispi ----------------------------------------------------- */

/*
 * Makes the dispi registers describe a mode that fits the framebuffer,
 * as QEMU's vbe_fixup_regs() does: depth to a supported one, width a
 * multiple of 8 up to the maximum, height cut to what fits, offsets reset
 * when the visible area would leave the framebuffer.  Derives the pitch
 * and the start offset.  Only while enabled.
 */
static void vga_vbe_fixup(struct vga *v)
{
	uint16_t *r = v->vbe;
	uint32_t bits, xres, yres, vw, pitch, maxy, xoff, yoff;
	uint64_t offset;

	if (!vga_vbe_enabled(v)) {
		v->vbe_pitch = v->vbe_start = 0;
		return;
	}
	switch (r[VBE_DISPI_INDEX_BPP]) {
	case 4: case 8: case 15: case 16: case 24: case 32:
		break;
	default:
		r[VBE_DISPI_INDEX_BPP] = 8;
	}
	bits = r[VBE_DISPI_INDEX_BPP] == 15 ? 16 : r[VBE_DISPI_INDEX_BPP];
	xres = MIN(r[VBE_DISPI_INDEX_XRES], VBE_DISPI_MAX_XRES) & ~7u;
	if (!xres)
		xres = 8;
	vw = MAX(r[VBE_DISPI_INDEX_VIRT_WIDTH], xres);
	pitch = vw * bits / 8;
	maxy = VGA_VRAM_SIZE / pitch;        /* pitch <= 65535 * 4: maxy >= 64 */
	yres = MIN(r[VBE_DISPI_INDEX_YRES], VBE_DISPI_MAX_YRES);
	if (!yres)
		yres = 1;
	yres = MIN(yres, maxy);
	xoff = MIN(r[VBE_DISPI_INDEX_X_OFFSET], VBE_DISPI_MAX_XRES);
	yoff = MIN(r[VBE_DISPI_INDEX_Y_OFFSET], VBE_DISPI_MAX_YRES);
	offset = (uint64_t)xoff * bits / 8 + (uint64_t)yoff * pitch;
	if (offset + (uint64_t)yres * pitch > VGA_VRAM_SIZE) {
		xoff = yoff = 0;
		offset = 0;
	}
	if (bits == 4)
		offset &= ~3ULL;          /* planar: whole dwords of 8 pixels */
	r[VBE_DISPI_INDEX_XRES] = (uint16_t)xres;
	r[VBE_DISPI_INDEX_YRES] = (uint16_t)yres;
	r[VBE_DISPI_INDEX_VIRT_WIDTH] = (uint16_t)vw;
	r[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)MIN(maxy, 0xFFFFu);
	r[VBE_DISPI_INDEX_X_OFFSET] = (uint16_t)xoff;
	r[VBE_DISPI_INDEX_Y_OFFSET] = (uint16_t)yoff;
	v->vbe_pitch = pitch;
	v->vbe_start = (uint32_t)offset;
}

static uint16_t vga_vbe_data_read(struct vga *v)
{
	unsigned int i = v->vbe_index;

	if (i >= VBE_DISPI_NREGS)
		return 0;
	if ((v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) &&
	    i >= VBE_DISPI_INDEX_XRES && i <= VBE_DISPI_INDEX_BPP) {
		if (i == VBE_DISPI_INDEX_XRES)
			return VBE_DISPI_MAX_XRES;
		if (i == VBE_DISPI_INDEX_YRES)
			return VBE_DISPI_MAX_YRES;
		return VBE_DISPI_MAX_BPP;
	}
	if (i == VBE_DISPI_INDEX_VIDEO_MEMORY_64K)
		return VGA_VRAM_SIZE >> 16;
	return v->vbe[i];
}

static void vga_vbe_enable_write(struct vga *v, uint16_t val)
{
	uint16_t *r = v->vbe;
	bool was = vga_vbe_enabled(v);

	r[VBE_DISPI_INDEX_ENABLE] = val & VBE_ENABLE_BITS;
	if ((val & VBE_DISPI_ENABLED) && !was) {
		r[VBE_DISPI_INDEX_VIRT_WIDTH] = 0;
		r[VBE_DISPI_INDEX_X_OFFSET] = 0;
		r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
		vga_vbe_fixup(v);
		if (!(val & VBE_DISPI_NOCLEARMEM)) {
			/* fixup guarantees yres * pitch <= VGA_VRAM_SIZE */
			size_t len = (size_t)r[VBE_DISPI_INDEX_YRES] * v->vbe_pitch;
			memset(v->vram, 0, len);
			for (size_t p = 0; p < len; p += 4096)
				vga_mark_vram(v, (uint32_t)p);
		}
	} else {
		vga_vbe_fixup(v);
	}
}

static void vga_vbe_data_write(struct vga *v, uint16_t val)
{
	unsigned int i = v->vbe_index;

	switch (i) {
	case VBE_DISPI_INDEX_ID:
		if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
			v->vbe[i] = val;
		break;
	case VBE_DISPI_INDEX_XRES:
	case VBE_DISPI_INDEX_YRES:
	case VBE_DISPI_INDEX_BPP:
	case VBE_DISPI_INDEX_VIRT_WIDTH:
	case VBE_DISPI_INDEX_X_OFFSET:
	case VBE_DISPI_INDEX_Y_OFFSET:
		v->vbe[i] = val;
		vga_vbe_fixup(v);
		break;
	case VBE_DISPI_INDEX_BANK:
		v->vbe[i] = val & VBE_BANK_MASK;
		break;
	case VBE_DISPI_INDEX_ENABLE:
		vga_vbe_enable_write(v, val);
		break;
	default:            /* VIRT_HEIGHT, VIDEO_MEMORY_64K: read-only */
		break;
	}
}

uint16_t vga_vbe_read(struct vga *v, uint16_t port)
{
	uint16_t val = 0xFFFF;

	pthread_mutex_lock(&v->lock);
	if (port == VGA_VBE_PORT_INDEX)
		val = v->vbe_index;
	else if (port == VGA_VBE_PORT_DATA)
		val = vga_vbe_data_read(v);
	pthread_mutex_unlock(&v->lock);
	return val;
}

void vga_vbe_write(struct vga *v, uint16_t port, uint16_t val)
{
	pthread_mutex_lock(&v->lock);
	if (port == VGA_VBE_PORT_INDEX)
		v->vbe_index = val;
	else if (port == VGA_VBE_PORT_DATA)
		vga_vbe_data_write(v, val);
	pthread_mutex_unlock(&v->lock);
}

/* ---- BAR2: QEMU's MMIO layout for bochs-drm ----------------------------- */

static uint16_t vga_mmio_dispi_read(struct vga *v, unsigned int reg)
{
	uint16_t val;

	pthread_mutex_lock(&v->lock);
	v->vbe_index = (uint16_t)reg;
	val = vga_vbe_data_read(v);
	pthread_mutex_unlock(&v->lock);
	return val;
}

static void vga_mmio_dispi_write(struct vga *v, unsigned int reg, uint16_t val)
{
	pthread_mutex_lock(&v->lock);
	v->vbe_index = (uint16_t)reg;
	vga_vbe_data_write(v, val);
	pthread_mutex_unlock(&v->lock);
}

uint64_t vga_mmio_read(struct vga *v, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	if (size == 0 || size > 8 || off >= VGA_MMIO_SIZE)
		return 0;
	if (off >= VGA_MMIO_PORTS && off < VGA_MMIO_PORTS + 0x20) {
		for (unsigned int i = 0; i < size && off + i < VGA_MMIO_PORTS + 0x20; i++)
			val |= (uint64_t)vga_port_read(v, (uint16_t)(0x3C0 + off - VGA_MMIO_PORTS + i))
			       << (8 * i);
		return val;
	}
	if (off >= VGA_MMIO_DISPI && off < VGA_MMIO_DISPI_END) {
		for (unsigned int i = 0; i < size; i += 2) {
			uint64_t o = off + i;
			if (o >= VGA_MMIO_DISPI_END)
				break;
			uint16_t r = vga_mmio_dispi_read(v, (unsigned int)((o - VGA_MMIO_DISPI) >> 1));
			if (o & 1)  /* odd offset: the high byte */
				r >>= 8;
			val |= (uint64_t)r << (8 * i);
		}
		return size < 8 ? val & ((1ULL << (8 * size)) - 1) : val;
	}
	if (off == VGA_MMIO_QEXT)
		return VGA_QEXT_SIZE;
	if (off == VGA_MMIO_QEXT + 4)
		return VGA_QEXT_LITTLE;
	return 0;
}

void vga_mmio_write(struct vga *v, uint64_t off, unsigned int size, uint64_t val)
{
	if (size == 0 || size > 8 || off >= VGA_MMIO_SIZE)
		return;
	if (off >= VGA_MMIO_PORTS && off < VGA_MMIO_PORTS + 0x20) {
		for (unsigned int i = 0; i < size && off + i < VGA_MMIO_PORTS + 0x20; i++)
			vga_port_write(v, (uint16_t)(0x3C0 + off - VGA_MMIO_PORTS + i),
				       (uint8_t)(val >> (8 * i)));
		return;
	}
	if (off >= VGA_MMIO_DISPI && off < VGA_MMIO_DISPI_END && !(off & 1) && size >= 2) {
		for (unsigned int i = 0; i + 1 < size; i += 2) {
			uint64_t o = off + i;
			if (o >= VGA_MMIO_DISPI_END)
				break;
			vga_mmio_dispi_write(v, (unsigned int)((o - VGA_MMIO_DISPI) >> 1),
					     (uint16_t)(val >> (8 * i)));
		}
	}
	/* qext: only little-endian framebuffers exist here; writes ignored */
}

/* ---- snapshot ------------------------------------------------------------- */

/*
 * Walks the vram pages that hold anything: a bitmap of non-zero pages,
 * then those pages.  Loading clears every other page.
 */
static void vga_snapshot_vram(struct vga *v, struct snap *s)
{
	uint64_t used[VGA_VRAM_WORDS];
	static const uint8_t zero[4096];

	memset(used, 0, sizeof(used));
	if (snap_saving(s))
		for (uint32_t p = 0; p < VGA_VRAM_PAGES; p++)
			if (memcmp(v->vram + (size_t)p * 4096, zero, 4096) != 0)
				used[p / 64] |= 1ULL << (p % 64);
	snap_bytes(s, used, sizeof(used));
	for (uint32_t p = 0; p < VGA_VRAM_PAGES && !snap_error(s); p++) {
		uint8_t *page = v->vram + (size_t)p * 4096;
		if (used[p / 64] & (1ULL << (p % 64)))
			snap_bytes(s, page, 4096);
		else if (snap_loading(s) && memcmp(page, zero, 4096) != 0)
			memset(page, 0, 4096);
	}
}

/*
 * One walk for save and load.  Register values are re-masked after
 * loading and the VBE derived state recomputed, so a crafted stream can
 * set nothing a guest could not; the renderer then redraws everything.
 * Planes and framebuffer pages are loaded in place: a stream that fails
 * half way leaves the memory partly loaded (the caller discards the VM).
 */
int vga_snapshot(struct vga *v, struct snap *s)
{
	uint32_t version = 1;
	uint8_t ar_flip;

	pthread_mutex_lock(&v->lock);
	ar_flip = v->ar_flip;
	snap_section(s, "vga", &version);
	snap_u8(s, &v->misc);
	snap_u8(s, &v->feature);
	snap_u8(s, &v->st01);
	snap_u8(s, &v->sr_index);
	snap_bytes(s, v->sr, sizeof(v->sr));
	snap_u8(s, &v->gr_index);
	snap_bytes(s, v->gr, sizeof(v->gr));
	snap_u8(s, &v->cr_index);
	snap_bytes(s, v->cr, sizeof(v->cr));
	snap_u8(s, &v->ar_index);
	snap_u8(s, &ar_flip);
	snap_bytes(s, v->ar, sizeof(v->ar));
	snap_u8(s, &v->pel_mask);
	snap_u8(s, &v->dac_read);
	snap_u8(s, &v->dac_write);
	snap_u8(s, &v->dac_sub);
	snap_u8(s, &v->dac_state);
	snap_bytes(s, v->dac_cache, sizeof(v->dac_cache));
	snap_bytes(s, v->palette, sizeof(v->palette));
	snap_u32(s, &v->latch);
	snap_u16(s, &v->vbe_index);
	for (unsigned int i = 0; i < VBE_DISPI_NREGS; i++)
		snap_u16(s, &v->vbe[i]);
	snap_bytes(s, v->pmem, sizeof(v->pmem));
	vga_snapshot_vram(v, s);

	if (snap_loading(s)) {
		/* never trust the stream more than the guest */
		v->ar_flip = ar_flip != 0;
		v->sr_index &= 7;
		v->gr_index &= 0x0F;
		v->cr_index &= 0x3F;
		v->ar_index &= 0x3F;
		v->st01 &= VGA_ST01_V_RETRACE | VGA_ST01_DISP_ENABLE;
		for (unsigned int i = 0; i < 8; i++)
			v->sr[i] &= vga_sr_mask[i];
		for (unsigned int i = 0; i < 16; i++)
			v->gr[i] &= vga_gr_mask[i];
		if (v->dac_sub > 2) {
			v->dac_sub = 0;
			snap_fail(s, -EINVAL);
		}
		v->vbe[VBE_DISPI_INDEX_ENABLE] &= VBE_ENABLE_BITS;
		v->vbe[VBE_DISPI_INDEX_BANK] &= VBE_BANK_MASK;
		vga_vbe_fixup(v);
		v->pmem_dirty = ~0ULL;
		memset(v->vram_dirty, 0xFF, sizeof(v->vram_dirty));
		v->font_gen++;
		v->rs.valid = false;
	}
	pthread_mutex_unlock(&v->lock);
	return snap_error(s);
}
