/*
 * ctl_testutil.c - the control-socket test fixture: a server with a fake
 * machine on an event loop of its own thread, and a small blocking
 * client; see ctl_testutil.h.
 */
#include "ctl_testutil.h"

#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "display/png.h"
#include "ui/ctl_proto.h"
#include "vmm/evloop.h"


static int fake_pause(void *vm)
{
	struct fake_vm *f = vm;
	if (f->paused)
		return -EALREADY;
	f->paused = true;
	f->pauses++;
	return 0;
}

static int fake_resume(void *vm)
{
	struct fake_vm *f = vm;
	if (!f->paused)
		return -EALREADY;
	f->paused = false;
	f->resumes++;
	return 0;
}

static bool fake_paused(void *vm) { return ((struct fake_vm *)vm)->paused; }
static int fake_powerdown(void *vm) { ((struct fake_vm *)vm)->powerdowns++; return 0; }
static void fake_reset(void *vm) { ((struct fake_vm *)vm)->resets++; }
static void fake_stop(void *vm) { ((struct fake_vm *)vm)->stops++; }
static unsigned int fake_resets(void *vm) { return (unsigned int)((struct fake_vm *)vm)->resets; }

static int fake_screen_text(void *vm, char **text)
{
	const char *s = ((struct fake_vm *)vm)->screen;

	if (!s)
		return -ENODEV;
	*text = strdup(s);
	return *text ? 0 : -ENOMEM;
}

/* A 4x3 picture, as a VM with a display would write it. */
static int fake_screenshot(void *vm, const char *path, unsigned int *w, unsigned int *h)
{
	static const uint32_t px[12] = { 0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF };
	struct fake_vm *f = vm;

	if (!f->screen)
		return -ENODEV;
	f->screenshots++;
	*w = 4;
	*h = 3;
	return png_file_save(path, px, 4, 3, 4);
}

static void fake_key(void *vm, unsigned int code, bool down)
{
	struct fake_vm *f = vm;

	if (f->nkeys < FAKE_KEYS_MAX) {
		f->keys[f->nkeys].code = code;
		f->keys[f->nkeys].down = down;
	}
	f->nkeys++;
}

/* A 640x480 screen; a tablet when absolute is set. */
static int fake_pointer(void *vm, unsigned int x, unsigned int y, unsigned int buttons,
			bool *absolute)
{
	struct fake_vm *f = vm;

	if (x >= 640 || y >= 480)
		return -ERANGE;
	f->pointer_x = x;
	f->pointer_y = y;
	f->pointer_buttons = buttons;
	*absolute = f->tablet;
	return 0;
}

const struct ctl_machine_ops fake_ops = {
	.pause = fake_pause, .resume = fake_resume, .paused = fake_paused,
	.powerdown = fake_powerdown, .reset = fake_reset, .stop = fake_stop,
	.resets = fake_resets, .screen_text = fake_screen_text,
	.screenshot = fake_screenshot,
	.key = fake_key,
	.pointer = fake_pointer,
};


static void *loop_thread(void *arg)
{
	struct fixture *f = arg;
	evloop_run(f->el);
	return NULL;
}

int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ttyvm-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vm.sock", f->dir);
	snprintf(f->cfg.name, sizeof(f->cfg.name), "web-1");
	f->cfg.cpus = 2;
	f->cfg.memory = 64 << 20;
	f->cfg.acpi = true;
	assert_int_equal(evloop_create(&f->el), 0);
	int r = ctl_server_create(&f->srv, f->el, f->path, &f->cfg, &fake_ops, &f->vm,
				  err, sizeof(err));
	if (r)
		fail_msg("ctl_server_create: %s", err);
	*state = f;
	return 0;
}

void start_loop(struct fixture *f)
{
	assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
	f->running = true;
}

void stop_loop(struct fixture *f)
{
	if (!f->running)
		return;
	evloop_stop(f->el);
	pthread_join(f->thread, NULL);
	f->running = false;
}

int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	stop_loop(f);
	ctl_server_destroy(f->srv);
	evloop_destroy(f->el);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* --- a small blocking client ------------------------------------------------ */

int tconnect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One line without its LF; NULL on EOF. */
const char *tline(int fd)
{
	static char buf[CTL_REPLY_MAX + 1];
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0) {
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				fail_msg("no reply within the time limit");
			return n ? buf : NULL;
		}
		if (c == '\n')
			break;
		assert_true(n < CTL_REPLY_MAX);
		buf[n++] = c;
	}
	buf[n] = '\0';
	return buf;
}

void tsend(int fd, const char *s, size_t len)
{
	assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

const char *call(int fd, const char *req)
{
	tsend(fd, req, strlen(req));
	const char *l = tline(fd);
	assert_non_null(l);
	return l;
}

int topen(struct fixture *f)
{
	int fd = tconnect(f->path);
	assert_string_equal(tline(fd), "ttyvm-control 1");
	return fd;
}

/* true when the server has closed the connection (reads to EOF). */
bool closed_by_server(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false;
	}
}

