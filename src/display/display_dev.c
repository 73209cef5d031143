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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "display/display.h"
#include "display/input.h"
#include "display/vnc.h"
#include "util/log.h"
#include "vmm/dev/vga.h"
#include "vmm/device.h"
#include "vmm/machine.h"

struct display {
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

static void display_dev_teardown(void *dev)
{
	struct display *d = dev;

	vnc_stop(d->vnc);
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
	return 0;
}

static const struct device_desc display_desc = {
	.name = "display",
	.order = DEVICE_ORDER_LATE,
	.setup = display_setup,
	.teardown = display_dev_teardown,
};
DEVICE_DEFINE(display_desc);
