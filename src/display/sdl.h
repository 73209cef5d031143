/*
 * sdl.h - the VM's SDL2 window: the shared framebuffer scaled into it,
 * keys and mouse back through the input router.
 */
#ifndef TTYVM_SDL_H
#define TTYVM_SDL_H

#include <stdbool.h>
#include <stddef.h>

#include "display/vnc.h"   /* struct vnc_source: the same picture source */

struct input;
struct sdl;

/* What the window asks of the machine (called on the SDL thread). */
struct sdl_host {
	/* The window was closed: force false presses the power button,
	 * true (closed again within SDL_FORCE_MS) stops the VM. */
	void (*close)(void *ctx, bool force);
	/* "running", "paused", ... for the title; NULL: none */
	const char *(*state)(void *ctx);
	void *ctx;
};

#define SDL_FORCE_MS 5000

/*
 * Opens the window "NAME - ttyvm" on its own thread.  Returns 0, or -errno
 * with a message in err (no X display, ...).  Stop with sdl_stop().
 */
int sdl_start(struct sdl **out, const struct vnc_source *src, struct input *in,
	      const struct sdl_host *host, const char *name, char *err, size_t errlen);
void sdl_stop(struct sdl *s);

#endif
