/*
 * sdl.c - the SDL2 window of a VM.
 *
 * One thread owns everything SDL: it initialises the video subsystem,
 * opens the window and waits in SDL_WaitEventTimeout() (at most
 * VNC_REFRESH_MS, so the guest's screen is looked at 30 times a second);
 * after events or the timeout it asks the source for a fresh picture and
 * redraws only when the framebuffer's change counter moved, or the window
 * needs it (exposed, resized).  The picture is scaled to the window with
 * the guest's aspect kept (SDL_RenderSetLogicalSize: black bars), which
 * also maps mouse coordinates back to guest pixels.
 *
 * Input: SDL scancodes go through keymap_from_sdl() to the router.
 * Ctrl+Alt+G grabs keyboard and pointer (relative mouse mode: motion goes
 * to the PS/2 mouse) and releases them; a click into the window grabs too
 * while the guest has no tablet.  With a tablet the guest drives
 * (input_abs_active()), the pointer is sent as absolute positions and
 * never needs a grab.  Closing the window calls host->close(false) (the
 * ACPI power button, the guest decides); closing it again within
 * SDL_FORCE_MS calls host->close(true).
 */
#include "display/sdl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

#include "display/input.h"
#include "display/keymap.h"
#include "vmm/config.h"

struct sdl {
	struct vnc_source src;
	struct input *in;
	struct sdl_host host;
	char name[VM_NAME_MAX];
	pthread_t thread;
	bool stop;                 /* atomic */
	/* start-up hand-shake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int init;                  /* 0 waiting, 1 ok, -1 failed */
	char err[256];
	/* SDL state, SDL thread only */
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	unsigned int tw, th;
	struct fb_view view;
	bool grabbed;
	uint32_t close_ms;         /* SDL_GetTicks() of the last close, 0: none */
	char title[160];
};

static void sdl_title(struct sdl *s)
{
	char t[160];
	const char *st = s->host.state ? s->host.state(s->host.ctx) : NULL;

	snprintf(t, sizeof(t), "%s - ttyvm%s%s%s%s", s->name, st ? " (" : "", st ? st : "",
		 st ? ")" : "", s->grabbed ? " - Ctrl+Alt+G releases the pointer" : "");
	if (strcmp(t, s->title) != 0) {
		snprintf(s->title, sizeof(s->title), "%s", t);
		SDL_SetWindowTitle(s->win, t);
	}
}

static void sdl_set_grab(struct sdl *s, bool on)
{
	s->grabbed = on;
	SDL_SetWindowGrab(s->win, on ? SDL_TRUE : SDL_FALSE);
	SDL_SetRelativeMouseMode(on && !input_abs_active(s->in) ? SDL_TRUE : SDL_FALSE);
	sdl_title(s);
}

/* Copies what changed into the texture; true when anything did. */
static bool sdl_update(struct sdl *s)
{
	struct fb_rect r;
	unsigned int it = 0;

	if (s->src.refresh)
		s->src.refresh(s->src.ctx);
	if (fb_view_sync(s->src.fb, &s->view) <= 0)
		return false;
	unsigned int w = s->view.mode.width, h = s->view.mode.height;
	if (!s->tex || w != s->tw || h != s->th) {
		if (s->tex)
			SDL_DestroyTexture(s->tex);
		s->tex = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_RGB888,
					   SDL_TEXTUREACCESS_STREAMING, (int)w, (int)h);
		if (!s->tex)
			return false;
		s->tw = w;
		s->th = h;
		SDL_RenderSetLogicalSize(s->ren, (int)w, (int)h);
		if (!(SDL_GetWindowFlags(s->win) & SDL_WINDOW_MAXIMIZED))
			SDL_SetWindowSize(s->win, (int)w, (int)h);
		SDL_UpdateTexture(s->tex, NULL, s->view.pixels, (int)(w * 4));
		return true;
	}
	while (fb_view_next_rect(&s->view, &it, &r)) {
		SDL_Rect rr = { (int)r.x, (int)r.y, (int)r.w, (int)r.h };
		SDL_UpdateTexture(s->tex, &rr, s->view.pixels + (size_t)r.y * w + r.x,
				  (int)(w * 4));
	}
	return true;
}

static void sdl_draw(struct sdl *s)
{
	SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
	SDL_RenderClear(s->ren);
	if (s->tex)
		SDL_RenderCopy(s->ren, s->tex, NULL, NULL);
	SDL_RenderPresent(s->ren);
}

static unsigned int sdl_buttons(uint32_t m)
{
	unsigned int b = 0;

	if (m & SDL_BUTTON_LMASK)
		b |= INPUT_BTN_LEFT;
	if (m & SDL_BUTTON_RMASK)
		b |= INPUT_BTN_RIGHT;
	if (m & SDL_BUTTON_MMASK)
		b |= INPUT_BTN_MIDDLE;
	return b;
}

static void sdl_pointer(struct sdl *s, int x, int y, int dx, int dy, int dz)
{
	unsigned int b = sdl_buttons(SDL_GetMouseState(NULL, NULL));

	if (input_abs_active(s->in))
		input_pointer_abs(s->in, x, y, s->tw, s->th, dz, b);
	else if (s->grabbed)
		input_pointer_rel(s->in, dx, dy, dz, b);
}

/* Handles one event; true when the window must be redrawn. */
static bool sdl_event(struct sdl *s, const SDL_Event *ev)
{
	switch (ev->type) {
	case SDL_KEYDOWN:
	case SDL_KEYUP: {
		const SDL_Keysym *k = &ev->key.keysym;
		if (ev->type == SDL_KEYDOWN && k->scancode == SDL_SCANCODE_G &&
		    (k->mod & KMOD_CTRL) && (k->mod & KMOD_ALT)) {
			input_release_all(s->in);
			sdl_set_grab(s, !s->grabbed);
			return false;
		}
		unsigned int code = keymap_from_sdl((int)k->scancode);
		if (code)
			input_key(s->in, code, ev->type == SDL_KEYDOWN);
		return false;
	}
	case SDL_MOUSEMOTION:
		sdl_pointer(s, ev->motion.x, ev->motion.y, ev->motion.xrel, ev->motion.yrel, 0);
		return false;
	case SDL_MOUSEBUTTONDOWN:
		if (!s->grabbed && !input_abs_active(s->in)) {
			sdl_set_grab(s, true);
			return false;
		}
		/* fall through */
	case SDL_MOUSEBUTTONUP:
		sdl_pointer(s, ev->button.x, ev->button.y, 0, 0, 0);
		return false;
	case SDL_MOUSEWHEEL:
		if (ev->wheel.y) {
			int x, y;
			SDL_GetMouseState(&x, &y);
			sdl_pointer(s, x, y, 0, 0, ev->wheel.y > 0 ? -1 : 1);
		}
		return false;
	case SDL_WINDOWEVENT:
		switch (ev->window.event) {
		case SDL_WINDOWEVENT_CLOSE: {
			uint32_t now = SDL_GetTicks();
			bool force = s->close_ms && now - s->close_ms < SDL_FORCE_MS;
			s->close_ms = now ? now : 1;
			if (s->host.close)
				s->host.close(s->host.ctx, force);
			return false;
		}
		case SDL_WINDOWEVENT_FOCUS_LOST:
			input_release_all(s->in);
			if (s->grabbed)
				sdl_set_grab(s, false);
			return false;
		case SDL_WINDOWEVENT_EXPOSED:
		case SDL_WINDOWEVENT_SIZE_CHANGED:
		case SDL_WINDOWEVENT_RESTORED:
			return true;
		}
		return false;
	}
	return false;
}

static int sdl_open(struct sdl *s)
{
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
	SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		snprintf(s->err, sizeof(s->err), "sdl: %s (is $DISPLAY set?)", SDL_GetError());
		return -1;
	}
	snprintf(s->title, sizeof(s->title), "%s - ttyvm", s->name);
	s->win = SDL_CreateWindow(s->title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
				  640, 480, SDL_WINDOW_RESIZABLE);
	if (s->win)
		s->ren = SDL_CreateRenderer(s->win, -1, 0);
	if (s->win && !s->ren)
		s->ren = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_SOFTWARE);
	if (!s->win || !s->ren) {
		snprintf(s->err, sizeof(s->err), "sdl: window: %s", SDL_GetError());
		return -1;
	}
	return 0;
}

static void sdl_close_all(struct sdl *s)
{
	if (s->tex)
		SDL_DestroyTexture(s->tex);
	if (s->ren)
		SDL_DestroyRenderer(s->ren);
	if (s->win)
		SDL_DestroyWindow(s->win);
	s->tex = NULL;
	s->ren = NULL;
	s->win = NULL;
	SDL_Quit();
}

static void *sdl_thread(void *arg)
{
	struct sdl *s = arg;
	int r = sdl_open(s);

	pthread_mutex_lock(&s->lock);
	s->init = r == 0 ? 1 : -1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (r) {
		sdl_close_all(s);
		return NULL;
	}
	sdl_draw(s);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		SDL_Event ev;
		bool redraw = false;
		if (SDL_WaitEventTimeout(&ev, VNC_REFRESH_MS)) {
			redraw |= sdl_event(s, &ev);
			while (SDL_PollEvent(&ev))
				redraw |= sdl_event(s, &ev);
		}
		redraw |= sdl_update(s);
		sdl_title(s);
		if (redraw)
			sdl_draw(s);
	}
	sdl_close_all(s);
	return NULL;
}

int sdl_start(struct sdl **out, const struct vnc_source *src, struct input *in,
	      const struct sdl_host *host, const char *name, char *err, size_t errlen)
{
	struct sdl *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "sdl: out of memory");
		return -ENOMEM;
	}
	s->src = *src;
	s->in = in;
	if (host)
		s->host = *host;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "vm");
	fb_view_init(&s->view);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	r = -pthread_create(&s->thread, NULL, sdl_thread, s);
	if (r) {
		snprintf(err, errlen, "sdl: thread: %s", strerror(-r));
		free(s);
		return r;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->init)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->init < 0) {
		snprintf(err, errlen, "%s", s->err);
		pthread_join(s->thread, NULL);
		fb_view_free(&s->view);
		free(s);
		return -ENODEV;
	}
	*out = s;
	return 0;
}

void sdl_stop(struct sdl *s)
{
	if (!s)
		return;
	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	fb_view_free(&s->view);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}
