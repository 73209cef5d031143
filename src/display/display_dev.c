/*
 * display_dev.c - the device "display": starts the consumers the
 * configuration's [display] mode asks for (the VNC server, the SDL
 * window) on the std VGA's framebuffer, with the machine's input router,
 * and stops them at teardown.
 *
 * It is set up last (DEVICE_ORDER_LATE), when the VGA ("vga") and the
 * router ("input") exist, and so torn down first, before the devices its
 * threads use.  The VGA's cursor blink is turned off when VNC is the only
 * display, so an idle text screen sends viewers nothing (see vnc.c).
 */
#include "display/display_dev.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "display/display.h"
#include "display/input.h"
#include "display/sdl.h"
#include "display/vnc.h"
#include "util/log.h"
#include "vmm/dev/vga.h"
#include "vmm/device.h"
#include "vmm/evloop.h"
#include "vmm/machine.h"
#include "vmm/machine_ctl.h"

struct display {
	struct machine *m;
	int closefd;               /* eventfd: the window was closed (1) or forced (2) */
	struct vga *vga;
	struct input *in;
	struct vnc *vnc;
	struct sdl *sdl;
};

static uint64_t display_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void display_refresh(void *ctx)
{
	struct display *d = ctx;

	vga_render(d->vga, display_now_ns());
}

const char *display_vnc_address(struct display *d)
{
	return d && d->vnc ? vnc_address(d->vnc) : NULL;
}

/* The SDL thread's close, carried to the event loop (machine_ctl.h's thread). */
static void display_sdl_close(void *ctx, bool force)
{
	struct display *d = ctx;
	uint64_t v = force ? 2 : 1;

	if (write(d->closefd, &v, sizeof(v)) < 0) {
		/* the counter is full: a close is pending anyway */
	}
}

static void display_closefd_ready(void *opaque, uint32_t revents)
{
	struct display *d = opaque;
	uint64_t v = 0;

	(void)revents;
	if (read(d->closefd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return;
	if (v >= 2 || machine_powerdown(d->m) < 0) {
		log_info("the window was closed again: stopping the VM");
		machine_stop(d->m);
	} else {
		log_info("the window was closed: pressed the ACPI power button (close it "
			 "again within %d s to stop at once)", SDL_FORCE_MS / 1000);
	}
}

static const char *display_state(void *ctx)
{
	struct display *d = ctx;

	return machine_state(d->m) == MACHINE_PAUSED ? "paused" : "running";
}

static void display_dev_teardown(void *dev)
{
	struct display *d = dev;

	sdl_stop(d->sdl);
	vnc_stop(d->vnc);
	if (d->closefd >= 0) {
		evloop_del_fd(machine_evloop(d->m), d->closefd);
		close(d->closefd);
	}
	free(d);
}

static const struct device_desc display_desc;

static int display_setup(struct machine *m)
{
	const struct vm_config *cfg = machine_config(m);
	struct display *d;
	char err[512];
	int r;

	if (cfg->display.mode == DISPLAY_NONE)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->m = m;
	d->closefd = -1;
	d->vga = machine_find(m, "vga");
	d->in = machine_find(m, "input");
	if (!d->vga) {
		free(d);
		return -ENODEV;
	}
	r = machine_attach(m, &display_desc, d);
	if (r < 0) {
		free(d);
		return r;
	}
	if (cfg->display.mode == DISPLAY_VNC)
		vga_set_blink(d->vga, false);
	if (cfg->display.mode & DISPLAY_VNC) {
		struct vnc_source src = { vga_fb(d->vga), display_refresh, d };
		err[0] = '\0';
		r = vnc_start(&d->vnc, &src, d->in, &cfg->display, cfg->name, err, sizeof(err));
		if (r < 0) {
			log_error("%s", err[0] ? err : strerror(-r));
			return r;
		}
		log_info("%s: VNC server on %s", cfg->name, vnc_address(d->vnc));
	}
	if (cfg->display.mode & DISPLAY_SDL) {
		struct vnc_source src = { vga_fb(d->vga), display_refresh, d };
		struct sdl_host host = { display_sdl_close, display_state, d };
		d->closefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->closefd < 0)
			return -errno;
		r = evloop_add_fd(machine_evloop(m), d->closefd, EPOLLIN, display_closefd_ready, d);
		if (r < 0) {
			close(d->closefd);
			d->closefd = -1;
			return r;
		}
		err[0] = '\0';
		r = sdl_start(&d->sdl, &src, d->in, &host, cfg->name, err, sizeof(err));
		if (r < 0) {
			log_error("%s", err[0] ? err : strerror(-r));
			return r;
		}
	}
	return 0;
}

static const struct device_desc display_desc = {
	.name = "display",
	.order = DEVICE_ORDER_LATE,
	.setup = display_setup,
	.teardown = display_dev_teardown,
};
DEVICE_DEFINE(display_desc);
