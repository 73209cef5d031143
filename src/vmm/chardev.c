/*
 * chardev.c - serial port backends: stdio, file, pseudo-terminal, none.
 *
 * Guest output arrives on vCPU threads through chardev_write() and goes
 * straight to the host descriptor.  stdio and files get blocking writes (a
 * slow reader slows the guest, nothing is lost); a pty nobody has opened
 * would block forever, so pty output is non-blocking and dropped while the
 * other side does not read, as QEMU does.
 *
 * Host input is read by the event-loop thread, never more than the
 * frontend (the UART) says it can take.  When the frontend is full the
 * descriptor is taken out of the poll set until the frontend calls
 * chardev_accept_input(), which may come from any thread.
 *
 * On a terminal, stdio input is raw and passes through an escape filter:
 * Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h prints help.
 *
 * Besides the backend, output can go to a tap and input come from
 * chardev_input() (the control socket's console, ctl_console.c): the tap
 * runs on the vCPU thread beside the backend write; injected input goes
 * through the same frontend calls on the event-loop thread, and the
 * frontend's "room again" call wakes the injector when it had to wait.
 */
#include "vmm/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "util/log.h"
#include "vmm/evloop.h"

#define CHARDEV_ESCAPE 0x01 /* Ctrl-A */

struct chardev {
	enum serial_kind kind;
	int in_fd;               /* -1: no input */
	int out_fd;              /* -1: output discarded */
	bool close_in, close_out;
	bool nonblock_out;
	bool escapes;            /* stdio on a terminal */
	bool in_escape;
	bool tty_saved;
	struct termios saved;
	bool watching;
	int input_paused;        /* atomic */
	struct evloop *el;
	struct chardev_frontend fe;
	pthread_mutex_t out_lock;
	void (*quit_fn)(void *);
	void *quit_ctx;
	void (*tap_fn)(void *ctx, const uint8_t *buf, size_t len);
	void *tap_ctx;
	void (*wake_fn)(void *ctx);
	void *wake_ctx;
	int input_waiting;       /* atomic: chardev_input() held bytes back */
};

static void chardev_out_raw(struct chardev *c, const uint8_t *buf, size_t len)
{
	while (len && c->out_fd >= 0) {
		ssize_t n = write(c->out_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN on an unread pty, EPIPE: drop */
		buf += n;
		len -= (size_t)n;
	}
}

void chardev_write(struct chardev *c, const uint8_t *buf, size_t len)
{
	if (c && c->tap_fn)
		c->tap_fn(c->tap_ctx, buf, len);
	if (!c || c->out_fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	chardev_out_raw(c, buf, len);
	pthread_mutex_unlock(&c->out_lock);
}

static void chardev_help(struct chardev *c)
{
	static const char help[] =
		"\r\nttyvm serial console escapes (after Ctrl-A):\r\n"
		"  x     quit ttyvm (the VM stops)\r\n"
		"  h     this help\r\n"
		"  C-a   send Ctrl-A to the guest\r\n";
	ssize_t w = write(STDERR_FILENO, help, sizeof(help) - 1);
	(void)w;
	(void)c;
}

/* Filters escapes in place; returns the bytes left for the guest. */
static size_t chardev_filter(struct chardev *c, uint8_t *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t b = buf[i];
		if (c->in_escape) {
			c->in_escape = false;
			if (b == 'x' || b == 'X') {
				if (c->quit_fn)
					c->quit_fn(c->quit_ctx);
				continue;
			}
			if (b == 'h' || b == 'H' || b == '?') {
				chardev_help(c);
				continue;
			}
			if (b == CHARDEV_ESCAPE) {
				buf[o++] = b;
				continue;
			}
			continue; /* unknown escape: swallowed */
		}
		if (b == CHARDEV_ESCAPE) {
			c->in_escape = true;
			continue;
		}
		buf[o++] = b;
	}
	return o;
}

static void chardev_set_watch(struct chardev *c, bool on)
{
	if (c->in_fd < 0 || !c->watching)
		return;
	evloop_mod_fd(c->el, c->in_fd, on ? EPOLLIN : 0);
}

static void chardev_readable(void *opaque, uint32_t revents)
{
	struct chardev *c = opaque;
	uint8_t buf[256];
	(void)revents;

	size_t room = c->fe.can_receive ? c->fe.can_receive(c->fe.opaque) : 0;
	if (room == 0) {
		__atomic_store_n(&c->input_paused, 1, __ATOMIC_SEQ_CST);
		chardev_set_watch(c, false);
		/* the frontend may have drained meanwhile */
		if (c->fe.can_receive && c->fe.can_receive(c->fe.opaque))
			chardev_accept_input(c);
		return;
	}
	if (room > sizeof(buf))
		room = sizeof(buf);
	ssize_t n = read(c->in_fd, buf, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF or error (stdin at its end, as in scripts and CI): stop
		 * reading; output goes on.  The pty keeps its slave open, so its
		 * master never sees EOF. */
		evloop_del_fd(c->el, c->in_fd);
		c->watching = false;
		return;
	}
	size_t len = (size_t)n;
	if (c->escapes)
		len = chardev_filter(c, buf, len);
	if (len && c->fe.receive)
		c->fe.receive(c->fe.opaque, buf, len);
}

void chardev_accept_input(struct chardev *c)
{
	if (!c)
		return;
	if (__atomic_exchange_n(&c->input_paused, 0, __ATOMIC_SEQ_CST))
		chardev_set_watch(c, true);
	if (c->wake_fn && __atomic_exchange_n(&c->input_waiting, 0, __ATOMIC_SEQ_CST))
		c->wake_fn(c->wake_ctx);
}

void chardev_set_tap(struct chardev *c, void (*fn)(void *ctx, const uint8_t *buf, size_t len),
		     void *ctx)
{
	c->tap_fn = fn;
	c->tap_ctx = ctx;
}

void chardev_set_input_wake(struct chardev *c, void (*fn)(void *ctx), void *ctx)
{
	c->wake_fn = fn;
	c->wake_ctx = ctx;
}

size_t chardev_input(struct chardev *c, const uint8_t *buf, size_t len)
{
	size_t room;

	if (!c->fe.receive || !c->fe.can_receive)
		return len; /* no serial port: the bytes go nowhere */
	/* flag first: a frontend draining meanwhile then wakes us */
	__atomic_store_n(&c->input_waiting, 1, __ATOMIC_SEQ_CST);
	room = c->fe.can_receive(c->fe.opaque);
	if (room > len)
		room = len;
	if (room)
		c->fe.receive(c->fe.opaque, buf, room);
	if (room == len)
		__atomic_store_n(&c->input_waiting, 0, __ATOMIC_SEQ_CST);
	return room;
}

void chardev_set_frontend(struct chardev *c, const struct chardev_frontend *fe)
{
	c->fe = *fe;
	if (c->in_fd >= 0 && !c->watching && c->el) {
		if (evloop_add_fd(c->el, c->in_fd, EPOLLIN, chardev_readable, c) == 0)
			c->watching = true;
	}
}

void chardev_set_quit_cb(struct chardev *c, void (*fn)(void *), void *ctx)
{
	c->quit_fn = fn;
	c->quit_ctx = ctx;
}

static int chardev_open_stdio(struct chardev *c)
{
	c->in_fd = STDIN_FILENO;
	c->out_fd = STDOUT_FILENO;
	/* stdin may be closed or /dev/null (scripts, CI): then no input */
	if (fcntl(STDIN_FILENO, F_GETFD) < 0)
		c->in_fd = -1;
	if (c->in_fd >= 0 && isatty(c->in_fd)) {
		struct termios raw;
		if (tcgetattr(c->in_fd, &c->saved) == 0) {
			raw = c->saved;
			cfmakeraw(&raw);
			/* keep output post-processing off too: the guest sends CR LF */
			if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0)
				c->tty_saved = true;
		}
		c->escapes = true;
	}
	if (c->in_fd >= 0) {
		int fl = fcntl(c->in_fd, F_GETFL);
		if (fl >= 0)
			fcntl(c->in_fd, F_SETFL, fl | O_NONBLOCK);
	}
	return 0;
}

int chardev_open(struct chardev **out, const struct serial_config *cfg,
		 struct evloop *el, const char **err_what)
{
	struct chardev *c = calloc(1, sizeof(*c));
	int master, slave;
	char name[256];

	*err_what = "allocating the serial backend";
	if (!c)
		return -ENOMEM;
	c->kind = cfg->kind;
	c->in_fd = c->out_fd = -1;
	c->el = el;
	pthread_mutex_init(&c->out_lock, NULL);

	switch (cfg->kind) {
	case SERIAL_STDIO:
		chardev_open_stdio(c);
		break;
	case SERIAL_FILE:
		*err_what = "opening the serial output file";
		c->out_fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			int err = -errno;
			free(c);
			return err;
		}
		c->close_out = true;
		break;
	case SERIAL_PTY:
		*err_what = "creating the serial pseudo-terminal";
		if (openpty(&master, &slave, name, NULL, NULL) < 0) {
			int err = -errno;
			free(c);
			return err;
		}
		{
			struct termios t;
			if (tcgetattr(slave, &t) == 0) {
				cfmakeraw(&t);
				tcsetattr(slave, TCSANOW, &t);
			}
		}
		/* keep the slave open so the master never sees EIO/hangup */
		fcntl(master, F_SETFL, O_NONBLOCK);
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
		c->in_fd = c->out_fd = master;
		c->close_in = true;
		c->nonblock_out = true;
		log_info("serial console on %s", name);
		/* the slave fd is deliberately leaked for the process lifetime
		 * and closed at exit */
		(void)slave;
		break;
	case SERIAL_NONE:
		break;
	}
	*out = c;
	return 0;
}

void chardev_close(struct chardev *c)
{
	if (!c)
		return;
	if (c->watching && c->el)
		evloop_del_fd(c->el, c->in_fd);
	if (c->tty_saved)
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
	if (c->in_fd >= 0 && c->kind == SERIAL_STDIO) {
		int fl = fcntl(c->in_fd, F_GETFL);
		if (fl >= 0)
			fcntl(c->in_fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (c->close_in && c->in_fd >= 0)
		close(c->in_fd);
	if (c->close_out && c->out_fd >= 0 && c->out_fd != c->in_fd)
		close(c->out_fd);
	pthread_mutex_destroy(&c->out_lock);
	free(c);
}
