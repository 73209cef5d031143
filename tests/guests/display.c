/*
 * display.c - the test modes of the display tests:
 *
 *   vbe   finds the std VGA (PCI 1234:1111), sets a Bochs VBE mode
 *         (tk.vbe=WxH, default 640x480, 32 bpp, linear framebuffer) and
 *         draws the pattern pixel(x, y) = (x & 255) << 16 | (y & 255) << 8 |
 *         ((x ^ y) & 255), then prints
 *           vbe: mode=WxHx32 lfb=0xADDR drawn
 *         or "vbe: FAIL ..." (no device, mode not taken).  After it,
 *         vbe_mark(n) paints the top-left VBE_MARK_SIZE square in the
 *         colour (n * 0x9E3779B1) & 0xFFFFFF (distinct for 2^24
 *         consecutive n), so another mode (virtionetflood) can make the
 *         screen change while it runs.
 *   keys  echoes every byte the keyboard controller delivers (polled, the
 *         controller as reset left it: set 2 translated to set 1) as
 *           key: XX
 *         until Escape's break code (0x81) or 120 s of silence, then
 *           keys: done
 *
 * Both are the guest side only: what the host sends and expects is in
 * tests/integration/display_test.c.
 */
#include "tk.h"

#define VGA_VENDOR 0x1234
#define VGA_DEVICE 0x1111
#define VBE_INDEX 0x1CE
#define VBE_DATA  0x1CF
#define VBE_XRES 1
#define VBE_YRES 2
#define VBE_BPP 3
#define VBE_ENABLE 4
#define VBE_ENABLED 0x01
#define VBE_LFB 0x40
#define KEYS_IDLE_MS 120000

unsigned int tk_vbe_w = 640, tk_vbe_h = 480;
static volatile u32 *vbe_fb;      /* set once a mode is drawn */
static u32 vbe_pitch;

static void vbe_write(u16 reg, u16 v)
{
	outw(VBE_INDEX, reg);
	outw(VBE_DATA, v);
}

static u16 vbe_read(u16 reg)
{
	outw(VBE_INDEX, reg);
	return inw(VBE_DATA);
}

void vbe_test(void)
{
	u32 bdf = 0, w = tk_vbe_w, h = tk_vbe_h;
	int found = 0;

	for (u32 dev = 0; dev < 32 && !found; dev++) {
		u32 id = pci_read(dev << 3, 0);
		if ((id & 0xFFFF) == VGA_VENDOR && (id >> 16) == VGA_DEVICE) {
			bdf = dev << 3;
			found = 1;
		}
	}
	if (!found) {
		kprintf("vbe: FAIL no std VGA on the PCI bus\n");
		return;
	}
	u64 lfb = pci_read(bdf, 0x10) & ~0xFull;
	pci_write(bdf, 0x04, (pci_read(bdf, 0x04) & 0xFFFF) | 0x3);
	vbe_write(VBE_ENABLE, 0);
	vbe_write(VBE_XRES, (u16)w);
	vbe_write(VBE_YRES, (u16)h);
	vbe_write(VBE_BPP, 32);
	vbe_write(VBE_ENABLE, VBE_ENABLED | VBE_LFB);
	/* no VGA BIOS ran: unblank (attribute controller PAS, screen on) */
	(void)inb(0x3DA);
	outb(0x3C0, 0x20);
	outb(0x3C4, 0x01);
	outb(0x3C5, inb(0x3C5) & ~0x20);
	if (vbe_read(VBE_XRES) != w || vbe_read(VBE_YRES) != h || vbe_read(VBE_BPP) != 32) {
		kprintf("vbe: FAIL mode not taken (%ux%ux%u)\n", vbe_read(VBE_XRES),
			vbe_read(VBE_YRES), vbe_read(VBE_BPP));
		return;
	}
	if (!lfb || lfb >= (4ull << 30)) {
		kprintf("vbe: FAIL bar0=0x%llx\n", lfb);
		return;
	}
	volatile u32 *fb = (volatile u32 *)(uptr)lfb;
	for (u32 y = 0; y < h; y++)
		for (u32 x = 0; x < w; x++)
			fb[y * w + x] = (x & 255) << 16 | (y & 255) << 8 | ((x ^ y) & 255);
	u32 probe = fb[w + 3];
	if (probe != ((3u << 16) | (1u << 8) | 2u)) {
		kprintf("vbe: FAIL the framebuffer reads back 0x%x\n", probe);
		return;
	}
	vbe_fb = fb;
	vbe_pitch = w;
	kprintf("vbe: mode=%ux%ux32 lfb=0x%llx drawn\n", w, h, lfb);
}

void vbe_mark(u32 n)
{
	u32 c = (n * 0x9E3779B1u) & 0xFFFFFF;

	if (!vbe_fb)
		return;
	for (u32 y = 0; y < VBE_MARK_SIZE; y++)
		for (u32 x = 0; x < VBE_MARK_SIZE; x++)
			vbe_fb[y * vbe_pitch + x] = c;
}

void keys_test(void)
{
	struct deadline d;

	kprintf("keys: ready\n");
	deadline_start(&d, KEYS_IDLE_MS);
	while (!deadline_expired(&d)) {
		if (!(inb(0x64) & 0x01)) {
			cpu_relax();
			continue;
		}
		u8 st = inb(0x64);
		u8 b = inb(0x60);
		if (st & 0x20)
			continue;           /* mouse byte */
		kprintf("key: %02x\n", b);
		if (b == 0x81) {
			kprintf("keys: done\n");
			return;
		}
		deadline_start(&d, KEYS_IDLE_MS);
	}
	kprintf("keys: FAIL nothing for %u s\n", KEYS_IDLE_MS / 1000);
}
