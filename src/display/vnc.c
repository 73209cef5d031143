/*
 * vnc.c - the VM's VNC server: libvncserver serves the shared framebuffer
 * (fb.h) to any number of viewers and hands their key and pointer events
 * to the input router (input.h).
 *
 * Thread and data flow: one thread of our own runs libvncserver in its
 * single-threaded mode: it waits in rfbProcessEvents() (select on the
 * listening and client sockets) at most VNC_REFRESH_MS while a viewer is
 * connected, then asks the source for a fresh picture (vga_render()),
 * copies what changed since the last look (fb_view_sync() and its dirty
 * rectangles) into libvncserver's framebuffer, converting XRGB8888 to the
 * server pixel format, and marks those rectangles modified; libvncserver
 * encodes them for each viewer in the encoding it asked for (Raw,
 * Hextile, ZRLE, Tight, ...) when that viewer has requested an update.
 * Key and pointer callbacks run on this thread too.  So libvncserver's
 * state is only ever touched by one thread, and a desktop resize
 * (rfbNewFramebuffer, when the guest changes mode) cannot race a viewer:
 * moreover the framebuffer memory never moves - one mapping sized for the
 * largest mode the std VGA can show (16 MiB of VRAM at 8 bpp) is made at
 * start (MAP_NORESERVE: pages cost memory only once drawn).
 *
 * Idle: with no viewer the thread sleeps in select (a 250 ms timeout, to
 * notice vnc_stop()); with viewers it wakes every VNC_REFRESH_MS, and a
 * refresh that finds nothing changed sends nothing (fb's change counter
 * stays still), so a static screen costs a few system calls per tick and
 * no bytes.  The text-mode cursor blink is a change, though: display_dev.c
 * turns the VGA blink off when VNC is the only display, so that an idle
 * text screen sends nothing at all; with an SDL window too, the blinking
 * cursor cell (one 16x16 tile) goes out every 266 ms.
 *
 * Slow viewers: libvncserver writes synchronously on non-blocking
 * sockets, keeping nothing queued beyond the kernel's socket buffer and
 * its fixed per-client buffers; changes pile up only as a region (the
 * union of modified rectangles), never as data.  A viewer that stops
 * reading makes a write wait up to VNC_CLIENT_WAIT_MS and is then
 * dropped; memory stays bounded whatever it does.
 *
 * Keys: viewers send X11 keysyms, which keymap.c maps to keys of a US
 * keyboard.  A keysym that needs a shift state the viewer's modifiers do
 * not give ('A' with Shift up, as xdotool and some viewers send) gets a
 * Shift press or release around it, so the guest sees the character the
 * viewer meant.  Pointer: absolute positions go to input_pointer_abs(),
 * i.e. the virtio tablet when the guest drives one, else PS/2 motion.
 */
#include "display/vnc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/input-event-codes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rfb/rfb.h>

#include "display/display.h"
#include "display/input.h"
#include "display/keymap.h"
#include "util/log.h"

#define VNC_MAX_PIXELS (16u << 20)   /* 16 MiB of VRAM at 8 bpp */
#define VNC_IDLE_MS 250
#define VNC_INIT_W 640
#define VNC_INIT_H 480

struct vnc {
	struct vnc_source src;
	struct input *in;
	rfbScreenInfoPtr screen;
	uint32_t *pix;              /* VNC_MAX_PIXELS, libvncserver's framebuffer */
	size_t pix_bytes;
	struct fb_view view;
	pthread_t thread;
	bool running;
	bool stop;                  /* atomic */
	char *password;
	char *passwords[2];         /* for rfbCheckPasswordByList */
	char name[VM_NAME_MAX + 16];
	char address[DISPLAY_HOST_MAX + 16];
	int display;
	unsigned int nclients;      /* atomic */
	uint64_t updates;           /* atomic */
	unsigned int buttons;       /* last button mask, for wheel edges */
	bool oversize_told;
};

/* ---- libvncserver's log, into ours -------------------------------------- */

static void vnc_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!log_debug_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("vnc: %s", buf);
}

/* ---- picture ------------------------------------------------------------ */

/* XRGB8888 to the server's 32-bit true-colour format. */
static inline uint32_t vnc_pixel(const rfbPixelFormat *f, uint32_t p)
{
	return ((p >> 16 & 0xFF) << f->redShift) | ((p >> 8 & 0xFF) << f->greenShift) |
	       ((p & 0xFF) << f->blueShift);
}

static void vnc_copy_rect(struct vnc *v, const struct fb_rect *r)
{
	const rfbPixelFormat *f = &v->screen->serverFormat;
	unsigned int w = v->view.mode.width;

	for (unsigned int y = r->y; y < r->y + r->h; y++) {
		const uint32_t *s = v->view.pixels + (size_t)y * w + r->x;
		uint32_t *d = v->pix + (size_t)y * w + r->x;
		for (unsigned int x = 0; x < r->w; x++)
			d[x] = vnc_pixel(f, s[x]);
	}
}

/* Looks at the source and tells libvncserver what changed. */
static void vnc_update(struct vnc *v)
{
	struct fb_rect r;
	unsigned int it = 0;
	int n;

	if (v->src.refresh)
		v->src.refresh(v->src.ctx);
	n = fb_view_sync(v->src.fb, &v->view);
	if (n <= 0)
		return;
	unsigned int w = v->view.mode.width, h = v->view.mode.height;
	if ((uint64_t)w * h > VNC_MAX_PIXELS) {
		if (!v->oversize_told)
			log_warn("vnc: a %ux%u screen is larger than VNC shows", w, h);
		v->oversize_told = true;
		return;
	}
	v->oversize_told = false;
	if (v->view.mode_changed &&
	    ((int)w != v->screen->width || (int)h != v->screen->height)) {
		/* same memory, new size: viewers that can get a desktop-size
		 * change, the others keep the old size (clipped by libvncserver) */
		rfbNewFramebuffer(v->screen, (char *)v->pix, (int)w, (int)h, 8, 3, 4);
	}
	while (fb_view_next_rect(&v->view, &it, &r)) {
		vnc_copy_rect(v, &r);
		rfbMarkRectAsModified(v->screen, (int)r.x, (int)r.y, (int)(r.x + r.w),
				      (int)(r.y + r.h));
	}
}

/* ---- input from viewers ------------------------------------------------- */

static bool vnc_shift_down(struct input *in)
{
	return input_key_is_down(in, KEY_LEFTSHIFT) || input_key_is_down(in, KEY_RIGHTSHIFT);
}

static void vnc_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	struct vnc *v = cl->screen->screenData;
	enum keymap_shift sh;
	unsigned int code = keymap_from_keysym((uint32_t)keysym, &sh);

	if (!v->in || !code)
		return;
	if (!down) {
		input_key(v->in, code, false);
		return;
	}
	bool shifted = vnc_shift_down(v->in);
	if (sh == KEYMAP_SHIFT_ON && !shifted) {
		input_key(v->in, KEY_LEFTSHIFT, true);
		input_key(v->in, code, true);
		input_key(v->in, KEY_LEFTSHIFT, false);
	} else if (sh == KEYMAP_SHIFT_OFF && shifted) {
		bool l = input_key_is_down(v->in, KEY_LEFTSHIFT);
		bool r = input_key_is_down(v->in, KEY_RIGHTSHIFT);
		if (l)
			input_key(v->in, KEY_LEFTSHIFT, false);
		if (r)
			input_key(v->in, KEY_RIGHTSHIFT, false);
		input_key(v->in, code, true);
		if (l)
			input_key(v->in, KEY_LEFTSHIFT, true);
		if (r)
			input_key(v->in, KEY_RIGHTSHIFT, true);
	} else {
		input_key(v->in, code, true);
	}
}

/* RFB buttons: 1 left, 2 middle, 4 right, 8 wheel up, 16 wheel down. */
static void vnc_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc *v = cl->screen->screenData;
	unsigned int b = 0, pressed = (unsigned int)mask & ~v->buttons;
	int dz = 0;

	v->buttons = (unsigned int)mask;
	if (!v->in)
		return;
	if (mask & 1)
		b |= INPUT_BTN_LEFT;
	if (mask & 2)
		b |= INPUT_BTN_MIDDLE;
	if (mask & 4)
		b |= INPUT_BTN_RIGHT;
	if (pressed & 8)
		dz -= 1;
	if (pressed & 16)
		dz += 1;
	input_pointer_abs(v->in, x, y, (unsigned int)cl->screen->width,
			  (unsigned int)cl->screen->height, dz, b);
}

static void vnc_client_gone(rfbClientPtr cl)
{
	struct vnc *v = cl->screen->screenData;

	__atomic_sub_fetch(&v->nclients, 1, __ATOMIC_RELAXED);
	/* keys this viewer held must not stay down in the guest */
	if (v->in)
		input_release_all(v->in);
	log_debug("vnc: a viewer left");
}

static enum rfbNewClientAction vnc_new_client(rfbClientPtr cl)
{
	struct vnc *v = cl->screen->screenData;

	__atomic_add_fetch(&v->nclients, 1, __ATOMIC_RELAXED);
	cl->clientGoneHook = vnc_client_gone;
	log_debug("vnc: a viewer connected (%s)", cl->host ? cl->host : "?");
	return RFB_CLIENT_ACCEPT;
}

static void vnc_update_sent(rfbClientPtr cl, int result)
{
	struct vnc *v = cl->screen->screenData;

	if (result)
		__atomic_add_fetch(&v->updates, 1, __ATOMIC_RELAXED);
}

/* ---- the thread --------------------------------------------------------- */

static void *vnc_thread(void *arg)
{
	struct vnc *v = arg;

	while (!__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
		bool viewers = v->screen->clientHead != NULL;
		if (viewers)
			vnc_update(v);
		rfbProcessEvents(v->screen, (viewers ? VNC_REFRESH_MS : VNC_IDLE_MS) * 1000L);
	}
	return NULL;
}

/* ---- set-up ------------------------------------------------------------- */

/* Resolves an IPv4 host into *addr; false when it has no IPv4 address. */
static bool vnc_resolve4(const char *host, in_addr_t *addr)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;

	if (strcmp(host, "*") == 0) {
		*addr = htonl(INADDR_ANY);
		return true;
	}
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return false;
	*addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(res);
	return true;
}

/* Tries to listen on display d; true when it worked. */
static bool vnc_listen_on(rfbScreenInfoPtr s, bool v4, bool v6, int d)
{
	s->socketState = RFB_SOCKET_INIT;
	s->port = v4 ? DISPLAY_VNC_BASE_PORT + d : 0;
	s->ipv6port = v6 ? DISPLAY_VNC_BASE_PORT + d : 0;
	rfbInitSockets(s);
	bool ok = (!v4 || s->listenSock != RFB_INVALID_SOCKET) &&
		  (!v6 || s->listen6Sock != RFB_INVALID_SOCKET);
	if (!ok)
		rfbShutdownSockets(s);
	return ok;
}

static int vnc_open_listener(struct vnc *v, const struct display_config *dc, char *err,
			     size_t errlen)
{
	char host[DISPLAY_HOST_MAX] = DISPLAY_VNC_HOST, why[200];
	int want = -1;
	bool v4 = true, v6 = false;
	rfbScreenInfoPtr s = v->screen;

	if (dc->vnc_listen &&
	    display_parse_vnc_listen(dc->vnc_listen, host, sizeof(host), &want, why,
				     sizeof(why))) {
		snprintf(err, errlen, "vnc %s: %s", dc->vnc_listen, why);
		return -EINVAL;
	}
	if (strcmp(host, "*") == 0) {
		s->listenInterface = htonl(INADDR_ANY);
		v6 = true;
		s->listen6Interface = NULL;
	} else if (!vnc_resolve4(host, &s->listenInterface)) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			snprintf(err, errlen, "vnc %s: no such host (an IPv4 address, a host "
				 "name, [IPv6] or *)", host);
			return -EINVAL;
		}
		v4 = false;
		v6 = true;
		s->listen6Interface = strdup(host);
	}
	if (want >= 0) {
		if (!vnc_listen_on(s, v4, v6, want)) {
			snprintf(err, errlen, "vnc %s:%d: cannot listen on port %d (in use?)",
				 host, want, DISPLAY_VNC_BASE_PORT + want);
			return -EADDRINUSE;
		}
		v->display = want;
	} else {
		int d;
		for (d = 0; d <= 99; d++)
			if (vnc_listen_on(s, v4, v6, d))
				break;
		if (d > 99) {
			snprintf(err, errlen, "vnc %s: no free display from :0 to :99", host);
			return -EADDRINUSE;
		}
		v->display = d;
	}
	if (v4)
		snprintf(v->address, sizeof(v->address), "%s:%d", host,
			 DISPLAY_VNC_BASE_PORT + v->display);
	else
		snprintf(v->address, sizeof(v->address), "[%s]:%d", host,
			 DISPLAY_VNC_BASE_PORT + v->display);
	return 0;
}

int vnc_start(struct vnc **out, const struct vnc_source *src, struct input *in,
	      const struct display_config *dc, const char *name, char *err, size_t errlen)
{
	struct vnc *v = calloc(1, sizeof(*v));
	int r;

	*out = NULL;
	if (!v) {
		snprintf(err, errlen, "vnc: out of memory");
		return -ENOMEM;
	}
	v->src = *src;
	v->in = in;
	fb_view_init(&v->view);
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "ttyvm");
	r = display_vnc_password(dc, &v->password);
	if (r < 0) {
		snprintf(err, errlen, "vnc password file %s: %s",
			 dc->vnc_password_file ? dc->vnc_password_file : "?",
			 r == -ENODATA ? "empty first line" : strerror(-r));
		free(v);
		return r;
	}
	if (v->password && strlen(v->password) > 8)
		log_warn("vnc: only the first 8 characters of the password count "
			 "(VNC authentication)");
	v->pix_bytes = (size_t)VNC_MAX_PIXELS * 4;
	v->pix = mmap(NULL, v->pix_bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->pix == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "vnc: framebuffer: %s", strerror(-r));
		v->pix = NULL;
		goto fail;
	}
	rfbLog = vnc_log;
	rfbErr = vnc_log;
	rfbMaxClientWait = VNC_CLIENT_WAIT_MS;
	v->screen = rfbGetScreen(NULL, NULL, VNC_INIT_W, VNC_INIT_H, 8, 3, 4);
	if (!v->screen) {
		snprintf(err, errlen, "vnc: out of memory");
		r = -ENOMEM;
		goto fail;
	}
	rfbScreenInfoPtr s = v->screen;
	s->frameBuffer = (char *)v->pix;
	s->desktopName = v->name;
	s->screenData = v;
	s->alwaysShared = TRUE;          /* several viewers at once */
	s->cursor = NULL;                /* the guest draws its own */
	s->kbdAddEvent = vnc_key;
	s->ptrAddEvent = vnc_pointer;
	s->newClientHook = vnc_new_client;
	s->displayFinishedHook = vnc_update_sent;
	s->httpDir = NULL;
	s->httpPort = 0;
	s->http6Port = 0;
	if (v->password) {
		v->passwords[0] = v->password;
		v->passwords[1] = NULL;
		s->authPasswdData = v->passwords;
		s->passwordCheck = rfbCheckPasswordByList;
	}
	s->port = 0;                     /* rfbInitServer must not listen yet */
	s->ipv6port = 0;
	rfbInitServer(s);
	rfbShutdownSockets(s);
	r = vnc_open_listener(v, dc, err, errlen);
	if (r < 0)
		goto fail;
	r = -pthread_create(&v->thread, NULL, vnc_thread, v);
	if (r < 0) {
		snprintf(err, errlen, "vnc: thread: %s", strerror(-r));
		goto fail;
	}
	v->running = true;
	*out = v;
	return 0;
fail:
	vnc_stop(v);
	return r;
}

void vnc_stop(struct vnc *v)
{
	if (!v)
		return;
	if (v->running) {
		__atomic_store_n(&v->stop, true, __ATOMIC_RELEASE);
		pthread_join(v->thread, NULL);
	}
	if (v->screen) {
		rfbShutdownServer(v->screen, TRUE);
		/* rfbShutdownServer leaves closed clients for the event loop */
		rfbProcessEvents(v->screen, 0);
		free(v->screen->listen6Interface);
		v->screen->listen6Interface = NULL;
		v->screen->frameBuffer = NULL;
		rfbScreenCleanup(v->screen);
	}
	if (v->pix)
		munmap(v->pix, v->pix_bytes);
	fb_view_free(&v->view);
	if (v->password) {
		explicit_bzero(v->password, strlen(v->password));
		free(v->password);
	}
	free(v);
}

const char *vnc_address(const struct vnc *v)
{
	return v->address;
}

int vnc_display(const struct vnc *v)
{
	return v->display;
}

unsigned int vnc_clients(const struct vnc *v)
{
	return __atomic_load_n(&v->nclients, __ATOMIC_RELAXED);
}

uint64_t vnc_updates_sent(const struct vnc *v)
{
	return __atomic_load_n(&v->updates, __ATOMIC_RELAXED);
}
