/*
 * tui_console_src.c - the serial stream behind the TUI's console view.
 *
 * A VM started in the background with serial mode stdio writes its COM1
 * output into its log (vmstore.h: RUNTIME/NAME.log), so the view can
 * always follow the log: read-only, from the last 64 KiB on, re-read on
 * a timer as the file grows.  Keys need the control socket's console
 * attach (ttyvm-control(7)); where the VM offers it, that is used
 * instead (see tui_console_src_open).  Nothing here draws.
 */
#include "ui/tui_console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ui/vmstore.h"

#define TUI_LOG_BACKLOG (64 * 1024)

struct tui_console_src {
	int fd;
	bool is_log;
	char name[96];
};

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
	snprintf(s->name, sizeof(s->name), "%s (its log)", name);
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
	(void)s;
	(void)buf;
	(void)len; /* the log is read-only */
}

bool tui_console_src_writable(const struct tui_console_src *s)
{
	return !s->is_log;
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
	return err == -EPIPE ? "the VM closed the console" : strerror(-err);
}
