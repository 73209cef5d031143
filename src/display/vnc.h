/*
 * vnc.h - the VNC server (libvncserver) of one VM: the shared framebuffer
 * out, keys and pointer in through the input router.
 */
#ifndef TTYVM_VNC_H
#define TTYVM_VNC_H

#include <stddef.h>
#include <stdint.h>

#include "display/fb.h"
#include "vmm/config.h"

struct input;
struct vnc;

/* Where the picture comes from. */
struct vnc_source {
	struct fb *fb;
	/* Brings fb up to date (vga_render()); called on the VNC thread
	 * while a client is connected, VNC_REFRESH_MS apart.  NULL: fb is
	 * kept up to date by someone else. */
	void (*refresh)(void *ctx);
	void *ctx;
};

/* How often the screen is looked at while a viewer is connected. */
#define VNC_REFRESH_MS 33
/* A viewer that does not read for this long is dropped (libvncserver's
 * write timeout; until then the VNC thread waits for it). */
#define VNC_CLIENT_WAIT_MS 3000

/*
 * Starts a VNC server on its own thread: listens as dc says (see
 * display.h; the first free display from :0 when none is given) with the
 * password of display_vnc_password(), desktop name name.  in may be NULL
 * (a view-only server).  Returns 0, or -errno with a message in err
 * naming what failed (the address, the password file).  Stop with
 * vnc_stop().
 */
int vnc_start(struct vnc **out, const struct vnc_source *src, struct input *in,
	      const struct display_config *dc, const char *name, char *err, size_t errlen);

/* Stops the thread, disconnects every viewer and frees v.  NULL is fine. */
void vnc_stop(struct vnc *v);

/* "HOST:PORT" where it listens (e.g. "127.0.0.1:5900"). */
const char *vnc_address(const struct vnc *v);
/* The display number (port - 5900). */
int vnc_display(const struct vnc *v);
/* Viewers connected now (any thread; approximate). */
unsigned int vnc_clients(const struct vnc *v);
/* Framebuffer updates sent to viewers so far (all viewers, any thread). */
uint64_t vnc_updates_sent(const struct vnc *v);

#endif
