/*
 * vga_setup.c - the std VGA's machine glue: what setup() does with the
 * configuration, and the DEVICE_DEFINE that registers the device.
 *
 * It registers the legacy ports (0x3B0-0x3DF, the dispi pair at 0x1CE)
 * and the 0xA0000-0xBFFFF window as trapped MMIO, puts the device on the
 * PCI bus as QEMU's std VGA (BAR0 = the 16 MiB framebuffer as a KVM slot
 * with dirty logging, BAR2 = the 4 KiB register BAR, the expansion ROM =
 * vgabios-stdvga.bin when the firmware boots), and reads the BAR0 dirty
 * log for the renderer.  For scripts and tests it serves --screen-text
 * (the text screen, rewritten atomically when it changes, checked every
 * 250 ms on an event-loop timer) and --screenshot (a PNG at teardown, and
 * whenever the VM process gets SIGUSR2).
 *
 * Reporting: setup returns -errno like every device, but a missing VGA
 * BIOS, a --screen-text file that cannot be written and a failed
 * screenshot are told to the user here, once each, because only this
 * code knows the path and the package to name.
 */
#include "vmm/dev/vga.h"
#include "vmm/dev/vga_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "display/screen_text.h"
#include "util/log.h"
#include "vmm/device.h"
#include "vmm/evloop.h"
#include "vmm/machine.h"
#include "vmm/pci.h"
#include "vmm/trap.h"

#define VGA_TEXT_PERIOD_NS (250ULL * 1000 * 1000)

struct vga_glue {
	struct machine *m;
	struct vga *v;
	bool on_bus;
	struct pci_dev pci;
	uint8_t *rom;                 /* the VGA BIOS image, rom_size bytes */
	size_t rom_size;
	/* the BAR0 mapping the dirty log was last read from */
	bool lfb_mapped;
	int lfb_handle;
	uint64_t lfb_addr;
	/* --screen-text */
	const char *text_path;
	struct evloop_timer *text_timer;
	char *text_last;
	int text_err;                 /* last failure, reported once */
	/* --screenshot */
	const char *shot_path;
	int sigfd;
	int shot_err;
};

static uint64_t vga_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The KVM dirty log of BAR0, for the renderer (device lock held).  A BAR
 * that moved, appeared or vanished since the last call counts as all
 * dirty: writes made through the old mapping are not in the new log.
 */
static int vga_glue_lfb_dirty(void *ctx, uint64_t *bitmap)
{
	struct vga_glue *g = ctx;
	const struct pci_bar *bar = &g->pci.bar[0];
	bool mapped = g->on_bus && __atomic_load_n(&bar->mapped, __ATOMIC_ACQUIRE);
	int handle = bar->mem_handle;
	uint64_t addr = bar->addr;

	if (mapped != g->lfb_mapped || (mapped && (handle != g->lfb_handle ||
						   addr != g->lfb_addr))) {
		g->lfb_mapped = mapped;
		g->lfb_handle = handle;
		g->lfb_addr = addr;
		if (mapped)
			(void)machine_dirty_log(g->m, handle, bitmap); /* start afresh */
		return -EAGAIN;
	}
	if (!mapped) {
		memset(bitmap, 0, VGA_VRAM_WORDS * sizeof(uint64_t));
		return 0;
	}
	return machine_dirty_log(g->m, handle, bitmap);
}

static uint64_t vga_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t port = VGA_PORT_BASE + off + i;
		uint8_t b = port < VGA_PORT_BASE + VGA_PORT_COUNT
				    ? vga_port_read(opaque, (uint16_t)port) : 0xFF;
		val |= (uint64_t)b << (8 * i);
	}
	return val;
}

static void vga_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	/* outw 0x3C4, 0x0F02 writes the index, then the data: byte by byte */
	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t port = VGA_PORT_BASE + off + i;
		if (port < VGA_PORT_BASE + VGA_PORT_COUNT)
			vga_port_write(opaque, (uint16_t)port, (uint8_t)(val >> (8 * i)));
	}
}

static const struct trap_ops vga_pio_ops = {
	.read = vga_pio_read,
	.write = vga_pio_write,
};

static uint64_t vga_vbe_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	uint16_t val = vga_vbe_read(opaque, (uint16_t)(VGA_VBE_PORT_INDEX + off));
	return size == 1 ? (val & 0xFF) : val;
}

static void vga_vbe_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	(void)size;
	vga_vbe_write(opaque, (uint16_t)(VGA_VBE_PORT_INDEX + off), (uint16_t)val);
}

static const struct trap_ops vga_vbe_pio_ops = {
	.read = vga_vbe_pio_read,
	.write = vga_vbe_pio_write,
};

static uint64_t vga_window_read(void *opaque, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t o = off + i;
		uint8_t b = o < VGA_WINDOW_SIZE ? vga_mem_read(opaque, (uint32_t)o) : 0xFF;
		val |= (uint64_t)b << (8 * i);
	}
	return val;
}

static void vga_window_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t o = off + i;
		if (o < VGA_WINDOW_SIZE)
			vga_mem_write(opaque, (uint32_t)o, (uint8_t)(val >> (8 * i)));
	}
}

static const struct trap_ops vga_window_ops = {
	.read = vga_window_read,
	.write = vga_window_write,
};

static uint64_t vga_bar2_read(void *opaque, uint64_t off, unsigned int size)
{
	return vga_mmio_read(opaque, off, size);
}

static void vga_bar2_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	vga_mmio_write(opaque, off, size, val);
}

static const struct trap_ops vga_bar2_ops = {
	.read = vga_bar2_read,
	.write = vga_bar2_write,
};

/* Rewrites --screen-text when the screen's text changed. */
static void vga_glue_text_update(struct vga_glue *g)
{
	char *text = NULL;
	int r;

	if (vga_screen_text(g->v, &text) < 0)
		return;
	if (g->text_last && strcmp(g->text_last, text) == 0) {
		free(text);
		return;
	}
	r = screen_text_save(g->text_path, text, strlen(text));
	if (r < 0) {
		if (r != g->text_err)
			log_warn("--screen-text %s: %s", g->text_path, strerror(-r));
		g->text_err = r;
		free(text);
		return;
	}
	g->text_err = 0;
	free(g->text_last);
	g->text_last = text;
}

static void vga_glue_text_timer(void *opaque)
{
	vga_glue_text_update(opaque);
}

static void vga_glue_screenshot(struct vga_glue *g)
{
	int r = vga_screenshot(g->v, g->shot_path, vga_now_ns());

	if (r < 0 && r != g->shot_err)
		log_warn("--screenshot %s: %s", g->shot_path, strerror(-r));
	g->shot_err = r < 0 ? r : 0;
}

static void vga_glue_signal(void *opaque, uint32_t revents)
{
	struct vga_glue *g = opaque;
	struct signalfd_siginfo si;
	bool got = false;

	(void)revents;
	while (read(g->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		got = true;
	if (got)
		vga_glue_screenshot(g);
}

/*
 * SIGUSR2 asks for a screenshot now.  The signal is blocked here, on the
 * main thread before any vCPU thread exists, so every thread inherits the
 * mask and only the signalfd sees it.
 */
static int vga_glue_signal_init(struct vga_glue *g)
{
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -EINVAL;
	g->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (g->sigfd < 0)
		return -errno;
	r = evloop_add_fd(machine_evloop(g->m), g->sigfd, EPOLLIN, vga_glue_signal, g);
	if (r < 0) {
		close(g->sigfd);
		g->sigfd = -1;
	}
	return r;
}

/* Reads the VGA BIOS image (the bus keeps its own page-aligned copy). */
static int vga_glue_load_rom(struct vga_glue *g, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (st.st_size <= 0 || st.st_size > (off_t)(1 << 20)) {
		close(fd);
		return -EINVAL;
	}
	g->rom = malloc((size_t)st.st_size);
	if (!g->rom) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t done = 0; done < (size_t)st.st_size;) {
		ssize_t n = read(fd, g->rom + done, (size_t)st.st_size - done);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	if (r) {
		free(g->rom);
		g->rom = NULL;
		return r;
	}
	g->rom_size = (size_t)st.st_size;
	return 0;
}

static void vga_dev_teardown(void *dev)
{
	struct vga *v = dev;
	struct vga_glue *g = v->glue;

	if (g) {
		if (g->text_timer)
			evloop_timer_free(g->text_timer);
		if (g->text_path)
			vga_glue_text_update(g);  /* the screen as the VM ended */
		if (g->sigfd >= 0) {
			evloop_del_fd(machine_evloop(g->m), g->sigfd);
			close(g->sigfd);
		}
		if (g->shot_path)
			vga_glue_screenshot(g);
		free(g->text_last);
		free(g->rom);
		free(g);
	}
	vga_destroy(v);
}

static void vga_dev_reset(void *dev)
{
	vga_reset(dev);
}

static int vga_dev_snapshot(void *dev, struct snap *s)
{
	struct vga *v = dev;

	if (v->glue && v->glue->on_bus) {
		int r = pci_dev_snapshot(&v->glue->pci, s);
		if (r < 0)
			return r;
	}
	return vga_snapshot(v, s);
}

static const struct device_desc vga_desc;

/* Registers the legacy ports and window.  0 or -errno (nothing left behind). */
static int vga_glue_traps(struct machine *m, struct vga *v)
{
	struct trap_map *t = machine_traps(m);
	int r;

	r = trap_register(t, TRAP_PIO, VGA_PORT_BASE, VGA_PORT_COUNT, &vga_pio_ops, v);
	if (r < 0)
		return r;
	r = trap_register(t, TRAP_PIO, VGA_VBE_PORT_INDEX, 2, &vga_vbe_pio_ops, v);
	if (r < 0) {
		trap_unregister(t, TRAP_PIO, VGA_PORT_BASE);
		return r;
	}
	r = trap_register(t, TRAP_MMIO, VGA_WINDOW_BASE, VGA_WINDOW_SIZE, &vga_window_ops, v);
	if (r < 0) {
		trap_unregister(t, TRAP_PIO, VGA_VBE_PORT_INDEX);
		trap_unregister(t, TRAP_PIO, VGA_PORT_BASE);
	}
	return r;
}

/* Puts the device on the PCI bus: BAR0 framebuffer, BAR2 registers, ROM. */
static int vga_glue_pci(struct vga_glue *g, struct pci_bus *bus)
{
	struct pci_dev *d = &g->pci;
	int r;

	/* QEMU's identity: revision 2 announces the qext registers */
	pci_dev_init(d, "vga", VGA_PCI_VENDOR, VGA_PCI_DEVICE, VGA_PCI_CLASS, 2,
		     0x1AF4, 0x1100);
	d->opaque = g->v;
	r = pci_set_bar_ram(d, 0, PCI_BAR_MEM32, VGA_VRAM_SIZE, vga_vram(g->v), true, true);
	if (r < 0)
		return r;
	r = pci_set_bar_trap(d, 2, PCI_BAR_MEM32, VGA_MMIO_SIZE, &vga_bar2_ops, g->v);
	if (r < 0)
		return r;
	if (g->rom) {
		r = pci_set_rom(d, g->rom, g->rom_size);
		if (r < 0)
			return r;
	}
	/* 00:02.0, where QEMU's i440FX machine puts it; else any slot */
	r = pci_bus_add(bus, d, 2);
	if (r == -EBUSY)
		r = pci_bus_add(bus, d, -1);
	if (r == 0)
		g->on_bus = true;
	return r;
}

/*
 * One std VGA per machine, on the PCI bus when there is one (legacy ports
 * and window only otherwise).  With firmware boot the VGA BIOS is
 * required: a missing file is reported here, naming the package, since
 * only setup knows the path.  The teardown frees the PCI function with
 * the device, as every PCI device does (the bus never looks at a device
 * after the machine freed it, see pci_bus_destroy()).
 */
static int vga_setup(struct machine *m)
{
	const struct vm_config *cfg = machine_config(m);
	struct pci_bus *bus = machine_pci_bus(m);
	struct vga_glue *g = calloc(1, sizeof(*g));
	struct vga *v;
	int r;

	if (!g)
		return -ENOMEM;
	g->m = m;
	g->sigfd = -1;
	if (cfg->firmware && bus) {
		r = vga_glue_load_rom(g, VGA_ROM_PATH);
		if (r < 0) {
			log_error("VGA BIOS %s: %s (install the Debian package seabios)",
				  VGA_ROM_PATH, strerror(-r));
			free(g);
			return r;
		}
	}
	struct vga_host host = { .lfb_dirty = vga_glue_lfb_dirty, .ctx = g };
	r = vga_create(&v, &host);
	if (r < 0) {
		free(g->rom);
		free(g);
		return r;
	}
	g->v = v;
	v->glue = g;
	r = vga_glue_traps(m, v);
	if (r < 0) {
		vga_destroy(v);
		free(g->rom);
		free(g);
		return r;
	}
	/* attached first: from here on the machine's teardown frees it */
	r = machine_attach(m, &vga_desc, v);
	if (r < 0) {
		trap_unregister(machine_traps(m), TRAP_MMIO, VGA_WINDOW_BASE);
		trap_unregister(machine_traps(m), TRAP_PIO, VGA_VBE_PORT_INDEX);
		trap_unregister(machine_traps(m), TRAP_PIO, VGA_PORT_BASE);
		vga_destroy(v);
		free(g->rom);
		free(g);
		return r;
	}
	if (bus) {
		r = vga_glue_pci(g, bus);
		if (r < 0)
			return r;
	}
	if (cfg->screen_text) {
		g->text_path = cfg->screen_text;
		g->text_timer = evloop_timer_new(machine_evloop(m), vga_glue_text_timer, g);
		if (!g->text_timer)
			return -ENOMEM;
		evloop_timer_arm(g->text_timer, VGA_TEXT_PERIOD_NS, VGA_TEXT_PERIOD_NS);
	}
	if (cfg->screenshot) {
		g->shot_path = cfg->screenshot;
		r = vga_glue_signal_init(g);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct device_desc vga_desc = {
	.name = "vga",
	.order = DEVICE_ORDER_DEV,
	.setup = vga_setup,
	.teardown = vga_dev_teardown,
	.reset = vga_dev_reset,
	.snapshot = vga_dev_snapshot,
};
DEVICE_DEFINE(vga_desc);
