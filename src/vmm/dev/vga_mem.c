/*
 * vga_mem.c - the std VGA's legacy memory window, 0xA0000-0xBFFFF: the
 * path every CPU byte takes to the four planes (or, in VBE modes, to a
 * 64 KiB bank of the linear framebuffer).
 *
 * Follows the IBM VGA graphics controller and sequencer descriptions:
 * the memory map select (GR6 bits 2-3: 128 KiB at A0000, 64 KiB at A0000,
 * 32 KiB at B0000 or B8000), chain-4 (SR4 bit 3: address bits 0-1 pick the
 * plane, as mode 13h uses), odd/even (SR4 bit 2 for writes, GR5 bit 4 for
 * reads: address bit 0 picks plane 0/1 or 2/3, text modes), and plain
 * planar access with read mode 0 (plane GR4) and 1 (colour compare GR2
 * with don't-care GR7), write modes 0 (rotate GR3, set/reset GR0 enabled
 * by GR1), 1 (latches), 2 (colour from the data) and 3 (rotated data as
 * bit mask, colour GR0), the logical function (GR3 bits 3-4), the bit mask
 * (GR8), the map mask (SR2) and the four latches loaded by every read.
 *
 * The planes are stored as QEMU stores them: dword i holds byte i of
 * planes 0-3, so a latch load is one 32-bit read and a chain-4 byte
 * address is a plain index.  VBE 4-bpp modes (vgabios's 0x102-0x106) use
 * the same pipeline over the framebuffer, also as QEMU does.  Writes mark
 * the 4 KiB pages they touch (and bump the font generation when they reach
 * plane 2) for the renderer.  Every address is bounds checked against the
 * memory it lands in; an access outside reads 0xFF or is dropped.
 *
 * Called on vCPU threads; takes the device lock per byte.
 */
#include "vmm/dev/vga.h"
#include "vmm/dev/vga_priv.h"

#include <pthread.h>
#include <string.h>

/* 4 bits to 4 byte masks: bit p set -> byte p all ones */
static uint32_t vga_mask16(unsigned int m)
{
	uint32_t r = 0;
	for (unsigned int p = 0; p < 4; p++)
		if (m & (1u << p))
			r |= 0xFFu << (8 * p);
	return r;
}

static uint32_t vga_load32(const uint8_t *mem, uint32_t byte)
{
	uint32_t v;
	memcpy(&v, mem + byte, 4);
	return v;
}

static void vga_store32(uint8_t *mem, uint32_t byte, uint32_t v)
{
	memcpy(mem + byte, &v, 4);
}

/*
 * A CPU read at address a of planar memory mem[0..size) (pmem, or the
 * framebuffer in VBE 4-bpp modes): chain-4, odd/even or read mode 0/1,
 * loading the latches.  Out of range reads give 0xFF.
 */
static uint8_t vga_planar_read(struct vga *v, const uint8_t *mem, uint32_t size, uint32_t a)
{
	uint32_t b;

	if (v->sr[4] & VGA_SR4_CHAIN4) {
		if (a >= size)
			return 0xFF;
		v->latch = vga_load32(mem, a & ~3u);
		return mem[a];
	}
	if (v->gr[5] & VGA_GR5_ODD_EVEN) {
		unsigned int plane = (v->gr[4] & 2) | (a & 1);
		b = ((a & ~1u) << 1) | plane;
		if (b >= size)
			return 0xFF;
		v->latch = vga_load32(mem, b & ~3u);
		return mem[b];
	}
	if (a >= size / 4)
		return 0xFF;
	v->latch = vga_load32(mem, a * 4);
	if (!(v->gr[5] & VGA_GR5_READ_MODE1))
		return (uint8_t)(v->latch >> (8 * (v->gr[4] & 3)));
	/* read mode 1: colour compare against GR2, planes enabled by GR7 */
	uint32_t r = (v->latch ^ vga_mask16(v->gr[2])) & vga_mask16(v->gr[7]);
	r |= r >> 16;
	r |= r >> 8;
	return (uint8_t)~r;
}

/* The write-mode pipeline for a planar write of val at dword a. */
static void vga_planar_write(struct vga *v, uint8_t *mem, uint32_t size, uint32_t a,
			     uint8_t val, bool is_pmem)
{
	unsigned int rot = v->gr[3] & 7;
	uint32_t data, bit_mask, write_mask;
	uint8_t r8;

	if (v->sr[4] & VGA_SR4_CHAIN4) {
		unsigned int plane = a & 3;
		if (a >= size || !(v->sr[2] & (1u << plane)))
			return;
		mem[a] = val;
		goto mark;
	}
	if (!(v->sr[4] & VGA_SR4_ODD_EVEN_OFF)) {
		unsigned int plane = (v->gr[4] & 2) | (a & 1);
		uint32_t b = ((a & ~1u) << 1) | plane;
		if (b >= size || !(v->sr[2] & (1u << plane)))
			return;
		mem[b] = val;
		a = b;
		if (plane == 2)
			v->font_gen++;
		goto mark;
	}
	if (a >= size / 4)
		return;
	r8 = (uint8_t)((val >> rot) | (val << (8 - rot)));
	switch (v->gr[5] & 3) {
	case 0:
		data = r8 * 0x01010101u;
		/* set/reset replaces the planes enabled in GR1 */
		data = (data & ~vga_mask16(v->gr[1])) | (vga_mask16(v->gr[0]) & vga_mask16(v->gr[1]));
		bit_mask = v->gr[8];
		break;
	case 1:
		data = v->latch;
		goto store;
	case 2:
		data = vga_mask16(val & 0x0F);
		bit_mask = v->gr[8];
		break;
	default: /* 3 */
		data = vga_mask16(v->gr[0]);
		bit_mask = v->gr[8] & r8;
		break;
	}
	switch ((v->gr[3] >> 3) & 3) {
	case 1:
		data &= v->latch;
		break;
	case 2:
		data |= v->latch;
		break;
	case 3:
		data ^= v->latch;
		break;
	default:
		break;
	}
	bit_mask *= 0x01010101u;
	data = (data & bit_mask) | (v->latch & ~bit_mask);
store:
	write_mask = vga_mask16(v->sr[2]);
	vga_store32(mem, a * 4, (vga_load32(mem, a * 4) & ~write_mask) | (data & write_mask));
	if (v->sr[2] & 4)
		v->font_gen++;
	a *= 4;
mark:
	if (is_pmem)
		vga_mark_pmem(v, a);
	else
		vga_mark_vram(v, a);
}

/*
 * Where window offset off lands: *in_vram says the framebuffer (VBE),
 * else the planes.  Returns false when nothing is mapped there.
 */
static bool vga_window_decode(const struct vga *v, uint32_t off, uint32_t *a, bool *in_vram)
{
	if (off >= VGA_WINDOW_SIZE)
		return false;
	if (vga_vbe_enabled(v)) {
		/* 64 KiB bank of the framebuffer at 0xA0000 */
		if (off >= 0x10000)
			return false;
		*a = (uint32_t)v->vbe[VBE_DISPI_INDEX_BANK] * 0x10000u + off;
		*in_vram = true;
		return true;
	}
	*in_vram = false;
	switch ((v->gr[6] >> 2) & 3) {
	case 0:
		*a = off;
		return true;
	case 1:
		*a = off;
		return off < 0x10000;
	case 2:
		*a = off - 0x10000;
		return off >= 0x10000 && off < 0x18000;
	default:
		*a = off - 0x18000;
		return off >= 0x18000;
	}
}

static bool vga_vbe_planar(const struct vga *v)
{
	return v->vbe[VBE_DISPI_INDEX_BPP] == 4;
}

uint8_t vga_mem_read(struct vga *v, uint32_t off)
{
	uint8_t val = 0xFF;
	bool in_vram;
	uint32_t a;

	pthread_mutex_lock(&v->lock);
	if (vga_window_decode(v, off, &a, &in_vram)) {
		if (!in_vram)
			val = vga_planar_read(v, v->pmem, VGA_PMEM_SIZE, a);
		else if (vga_vbe_planar(v))
			val = vga_planar_read(v, v->vram, VGA_VRAM_SIZE, a);
		else if (a < VGA_VRAM_SIZE)
			val = v->vram[a];
	}
	pthread_mutex_unlock(&v->lock);
	return val;
}

void vga_mem_write(struct vga *v, uint32_t off, uint8_t val)
{
	bool in_vram;
	uint32_t a;

	pthread_mutex_lock(&v->lock);
	if (vga_window_decode(v, off, &a, &in_vram)) {
		if (!in_vram) {
			vga_planar_write(v, v->pmem, VGA_PMEM_SIZE, a, val, true);
		} else if (vga_vbe_planar(v)) {
			vga_planar_write(v, v->vram, VGA_VRAM_SIZE, a, val, false);
		} else if (a < VGA_VRAM_SIZE) {
			v->vram[a] = val;
			vga_mark_vram(v, a);
		}
	}
	pthread_mutex_unlock(&v->lock);
}
