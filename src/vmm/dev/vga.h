/*
 * vga.h - the std VGA device (QEMU's "VGA", PCI 1234:1111): legacy VGA
 * registers and memory, the Bochs VBE dispi interface and a 16 MiB linear
 * framebuffer; rendered into a struct fb for the display consumers.
 *
 * The core below takes plain parameters and never the machine, so unit
 * tests drive it without /dev/kvm or a PCI bus: vga.c (registers),
 * vga_mem.c (the legacy window), vga_render.c (the picture).  The machine
 * glue in vga_setup.c registers the ports and the window, puts the device
 * on the PCI bus, loads vgabios-stdvga.bin as its option ROM and serves
 * --screen-text/--screenshot; machine_find(m, "vga") returns the struct
 * vga of a running machine, for the display consumers.
 *
 * Display consumers (SDL, VNC, screenshots) call vga_render() when they
 * want a fresh picture (on their own timer), then fb_view_sync() on
 * vga_fb() and look at what changed; see display/fb.h.
 */
#ifndef TTYVM_VGA_H
#define TTYVM_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display/fb.h"
#include "vmm/snap.h"

#define VGA_VRAM_SIZE      (16u << 20)   /* linear framebuffer (BAR0) */
#define VGA_VRAM_PAGES     (VGA_VRAM_SIZE / 4096)
#define VGA_PLANE_SIZE     0x10000u      /* legacy planar memory: 4 x 64 KiB */
#define VGA_MMIO_SIZE      0x1000u       /* BAR2: ioports, dispi, qext */
#define VGA_PORT_BASE      0x3B0
#define VGA_PORT_COUNT     0x30          /* 0x3B0-0x3DF */
#define VGA_VBE_PORT_INDEX 0x1CE
#define VGA_VBE_PORT_DATA  0x1CF
#define VGA_WINDOW_BASE    0xA0000u
#define VGA_WINDOW_SIZE    0x20000u      /* 0xA0000-0xBFFFF */

#define VGA_PCI_VENDOR     0x1234
#define VGA_PCI_DEVICE     0x1111
#define VGA_PCI_CLASS      0x030000
#define VGA_ROM_PATH       "/usr/share/seabios/vgabios-stdvga.bin"

/* Bochs VBE dispi registers */
#define VBE_DISPI_INDEX_ID          0x0
#define VBE_DISPI_INDEX_XRES        0x1
#define VBE_DISPI_INDEX_YRES        0x2
#define VBE_DISPI_INDEX_BPP         0x3
#define VBE_DISPI_INDEX_ENABLE      0x4
#define VBE_DISPI_INDEX_BANK        0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH  0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT 0x7
#define VBE_DISPI_INDEX_X_OFFSET    0x8
#define VBE_DISPI_INDEX_Y_OFFSET    0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xA
#define VBE_DISPI_NREGS             0xB

#define VBE_DISPI_ID0          0xB0C0
#define VBE_DISPI_ID5          0xB0C5
#define VBE_DISPI_DISABLED     0x00
#define VBE_DISPI_ENABLED      0x01
#define VBE_DISPI_GETCAPS      0x02
#define VBE_DISPI_8BIT_DAC     0x20
#define VBE_DISPI_LFB_ENABLED  0x40
#define VBE_DISPI_NOCLEARMEM   0x80
#define VBE_DISPI_MAX_XRES     16000
#define VBE_DISPI_MAX_YRES     12000
#define VBE_DISPI_MAX_BPP      32

struct vga;

/* What the device asks of its host (all optional). */
struct vga_host {
	/*
	 * The pages of the linear framebuffer the guest wrote since the last
	 * call, one bit per 4 KiB page (VGA_VRAM_PAGES bits), cleared by the
	 * call - the KVM dirty log of the BAR0 slot.  Returns 0, or -errno
	 * when it cannot tell (then every page counts as written).  NULL:
	 * every page always counts as written (the renderer then compares).
	 */
	int (*lfb_dirty)(void *ctx, uint64_t *bitmap);
	void *ctx;
};

/*
 * Creates a device in its power-on state, with its 16 MiB framebuffer
 * (page aligned, zero, pages committed on first touch) and its struct fb.
 * Returns 0 and *out, or -ENOMEM.  Free with vga_destroy().
 */
int vga_create(struct vga **out, const struct vga_host *host);
void vga_destroy(struct vga *v);
/* System reset: registers to power-on values; memory is kept. */
void vga_reset(struct vga *v);

/* The linear framebuffer (BAR0 memory), VGA_VRAM_SIZE bytes. */
uint8_t *vga_vram(struct vga *v);

/* Legacy I/O ports 0x3B0-0x3DF, one byte; other ports read 0xFF. */
uint8_t vga_port_read(struct vga *v, uint16_t port);
void vga_port_write(struct vga *v, uint16_t port, uint8_t val);

/* Bochs dispi: 0x1CE is the index register, 0x1CF the data register. */
uint16_t vga_vbe_read(struct vga *v, uint16_t port);
void vga_vbe_write(struct vga *v, uint16_t port, uint16_t val);

/* The legacy window: off is relative to 0xA0000, < VGA_WINDOW_SIZE. */
uint8_t vga_mem_read(struct vga *v, uint32_t off);
void vga_mem_write(struct vga *v, uint32_t off, uint8_t val);

/* BAR2 (QEMU layout): 0x400 VGA ports 0x3C0-0x3DF, 0x500 dispi, 0x600 qext. */
uint64_t vga_mmio_read(struct vga *v, uint64_t off, unsigned int size);
void vga_mmio_write(struct vga *v, uint64_t off, unsigned int size, uint64_t val);

/* One walk for save and load (registers, planes, the used framebuffer pages). */
int vga_snapshot(struct vga *v, struct snap *s);

/* ---- the screen -------------------------------------------------------- */

/* The framebuffer object the device renders into (owned by the device). */
struct fb *vga_fb(struct vga *v);

/*
 * Brings vga_fb() up to date with the guest's screen at time now_ns
 * (CLOCK_MONOTONIC; drives cursor and character blink).  Redraws only
 * what changed: text cells against a shadow copy, legacy graphics by the
 * planar pages written, VBE modes by the framebuffer's dirty pages; the
 * fb's change counter moves only when a pixel or the mode changed.  Holds
 * the device lock while it runs.  Returns 1 when the screen changed, 0
 * when not, -ENOMEM.
 */
int vga_render(struct vga *v, uint64_t now_ns);

/*
 * Cursor and character blink on (the default, as a VGA does) or off: off
 * shows a steady cursor and blinking characters always visible, so an
 * idle text screen never changes the fb (consumers that must send nothing
 * while idle).
 */
void vga_set_blink(struct vga *v, bool on);

/* Makes the next vga_render() redraw everything (e.g. lost dirty state). */
void vga_invalidate(struct vga *v);

/* The mode the registers describe now (no rendering needed). */
void vga_get_mode(struct vga *v, struct fb_mode *mode);

/*
 * Copies the visible text cells (character | attribute << 8), row-major,
 * into cells[0..max).  Returns 0 with *cols and *rows, -ENOTSUP when the
 * device is not in a text mode, -ENOSPC when max is too small.
 */
int vga_text_cells(struct vga *v, uint16_t *cells, size_t max, unsigned int *cols,
		   unsigned int *rows);

/*
 * The screen as UTF-8 text: the text-mode rows (see screen_text.h), or one
 * line "(graphics mode WxHxBPP)" / "(display off)".  *out is a new string
 * the caller frees.  0 or -ENOMEM.
 */
int vga_screen_text(struct vga *v, char **out);

/* Renders the whole screen and writes it as a PNG to path.  0 or -errno. */
int vga_screenshot(struct vga *v, const char *path, uint64_t now_ns);

#endif
