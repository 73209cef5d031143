/*
 * tui_console_src.c - the serial stream behind the TUI's console view.
 *
 * A running VM: its control socket's `console rw 0` (ttyvm-control(7)),
 * which replays the serial output the VM still holds and then passes
 * bytes both ways; when another client already types there, `console ro
 * 0` to watch.  After the "ok" the connection is a raw byte stream
 * (ctl_client_release() hands over the socket and what was read past the
 * reply).  A VM that is not running: its log (vmstore.h: RUNTIME/NAME.log,
 * where the serial console goes in mode stdio), read-only, its last
 * 64 KiB, re-read on a timer as the file grows - so its last words are
 * there to read after a crash.  Nothing here draws.
 *
 * Connecting is bounded by TUI_CONSOLE_CONNECT_MS, the one wait on a VM
 * the UI thread does (when c is pressed).
 */
#include "ui/tui_console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "ui/ctl_client.h"
#include "ui/vmstore.h"

#define TUI_LOG_BACKLOG (64 * 1024)
#define TUI_CONSOLE_CONNECT_MS 1000

struct tui_console_src {
	int fd;
	bool is_log, writable;
	char name[96];
	char early[CTL_REPLY_MAX]; /* stream bytes read with the reply */
	size_t nearly, early_at;
};

/* Asks for `console MODE 0`; 0 with the reply in r, or -errno. */
static int tui_console_ask(struct ctl_client *c, const char *mode, struct ctl_reply *r)
{
	const char *words[] = { "console", mode, "0", NULL };

	return ctl_client_call(c, words, r, TUI_CONSOLE_CONNECT_MS);
}

/* 1 attached, 0 not running (use the log), -errno with err set. */
static int tui_console_attach(struct tui_console_src *s, const struct vmstore_files *f,
			      const char *name, char *err, size_t errlen)
{
	struct ctl_client *c;
	struct ctl_reply *r = malloc(sizeof(*r));
	int e;

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	e = ctl_client_open(&c, f->sock, TUI_CONSOLE_CONNECT_MS, NULL);
	if (e == -ENOENT || e == -ECONNREFUSED) {
		free(r);
		return 0;
	}
	if (e) {
		snprintf(err, errlen, "%s: its console: %s", name, ctl_client_strerror(e));
		free(r);
		return e;
	}
	s->writable = true;
	e = tui_console_ask(c, "rw", r);
	if (e == 0 && !r->ok && r->err == CTL_ERR_STATE) {
		/* someone else types on it: watch */
		s->writable = false;
		e = tui_console_ask(c, "ro", r);
	}
	if (e || !r->ok) {
		snprintf(err, errlen, "%s: its console: %s", name,
			 e ? ctl_client_strerror(e) : r->message[0] ? r->message : r->code);
		ctl_client_close(c);
		free(r);
		return e ? e : -EPROTO;
	}
	free(r);
	s->fd = ctl_client_release(c, s->early, sizeof(s->early), &s->nearly);
	snprintf(s->name, sizeof(s->name), "%s", name);
	return 1;
}

int tui_console_src_open(struct tui_console_src **out, const char *name, char *err,
			 size_t errlen)
{
	struct tui_console_src *s = calloc(1, sizeof(*s));
	struct vmstore_files f;
	struct stat st;
	int r;

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	r = vmstore_files(name, &f);
	if (r) {
		snprintf(err, errlen, "%s: finding its files: %s", name, strerror(-r));
		free(s);
		return r;
	}
	r = tui_console_attach(s, &f, name, err, errlen);
	if (r == 1 && s->fd < 0) {
		r = s->fd;
		snprintf(err, errlen, "%s: its console: %s", name, strerror(-r));
	}
	if (r == 1) {
		*out = s;
		return 0;
	}
	if (r < 0) {
		free(s);
		return r;
	}
	s->fd = open(f.log, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (s->fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			snprintf(err, errlen, "%s: has not run yet, so there is no console output "
				 "(s starts it)", name);
		else
			snprintf(err, errlen, "%s: %s: %s", name, f.log, strerror(-r));
		free(s);
		return r;
	}
	s->is_log = true;
	snprintf(s->name, sizeof(s->name), "%s (not running: its log)", name);
	if (fstat(s->fd, &st) == 0 && st.st_size > TUI_LOG_BACKLOG) {
		/* start at a line */
		char c;
		lseek(s->fd, st.st_size - TUI_LOG_BACKLOG, SEEK_SET);
		while (read(s->fd, &c, 1) == 1 && c != '\n')
			;
	}
	*out = s;
	return 0;
}

void tui_console_src_close(struct tui_console_src *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

ssize_t tui_console_src_read(struct tui_console_src *s, char *buf, size_t len)
{
	if (s->early_at < s->nearly) {
		size_t n = s->nearly - s->early_at;
		if (n > len)
			n = len;
		memcpy(buf, s->early + s->early_at, n);
		s->early_at += n;
		return (ssize_t)n;
	}
	ssize_t n = read(s->fd, buf, len);

	if (n > 0)
		return n;
	if (n == 0)
		return s->is_log ? -EAGAIN : -EPIPE; /* a log grows, a socket ends */
	if (errno == EAGAIN || errno == EINTR)
		return -EAGAIN;
	return -errno;
}

void tui_console_src_write(struct tui_console_src *s, const char *buf, size_t len)
{
	if (!s->writable)
		return;
	/* keys are few; a VM too busy to take them loses them, it never
	 * stalls the screen */
	while (len > 0) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

bool tui_console_src_writable(const struct tui_console_src *s)
{
	return s->writable;
}

int tui_console_src_fd(const struct tui_console_src *s)
{
	return s->is_log ? -1 : s->fd;
}

const char *tui_console_src_name(const struct tui_console_src *s)
{
	return s->name;
}

const char *tui_console_src_ended(const struct tui_console_src *s, int err)
{
	(void)s;
	return err == -EPIPE || err == -ECONNRESET ? "the VM ended" : strerror(-err);
}
