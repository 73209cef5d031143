/*
 * ctl_client.c - the client side of a VM's control socket: connects,
 * checks the greeting, writes requests and reads replies, every step
 * bounded by a deadline (poll on a non-blocking socket), so a VM that is
 * stuck or a path that is not ours never hangs the CLI.
 *
 * The VM process is trusted no more than any peer: a reply line longer
 * than CTL_REPLY_MAX or not matching the grammar (ctl_proto.c) is
 * -EPROTO, not a crash.  Single-threaded; no state outside the struct;
 * nothing printed.
 */
#include "ui/ctl_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "util/util.h"

struct ctl_client {
	int fd;
	size_t len;                   /* bytes in buf */
	char buf[CTL_REPLY_MAX];
};

static int64_t ctl_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the socket until the deadline: 0 or -ETIMEDOUT. */
static int ctl_wait(struct ctl_client *c, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int64_t left = deadline - ctl_ms_now();
		if (left <= 0)
			return -ETIMEDOUT;
		int r = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/*
 * Reads one line (without its LF) into line; returns its length or
 * -errno.  Bytes after the LF stay buffered for the next reply.
 */
static int ctl_read_line(struct ctl_client *c, char *line, size_t cap, int64_t deadline)
{
	for (;;) {
		char *lf = memchr(c->buf, '\n', c->len);
		if (lf) {
			size_t n = (size_t)(lf - c->buf);
			if (n + 1 > cap)
				return -EPROTO;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			c->len -= n + 1;
			memmove(c->buf, lf + 1, c->len);
			return (int)n;
		}
		if (c->len == sizeof(c->buf))
			return -EPROTO; /* a line longer than any reply may be */
		ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == EPIPE ? -ECONNRESET : -errno;
		int w = ctl_wait(c, POLLIN, deadline);
		if (w)
			return w;
	}
}

static int ctl_write_all(struct ctl_client *c, const char *data, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = ctl_wait(c, POLLOUT, deadline);
			if (w)
				return w;
			continue;
		}
		return errno == EPIPE ? -ECONNRESET : -errno;
	}
	return 0;
}

int ctl_client_open(struct ctl_client **out, const char *path, int timeout_ms,
		    unsigned int *version)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = ctl_ms_now() + timeout_ms;
	char line[CTL_REPLY_MAX];
	struct ctl_client *c;
	struct stat st;
	unsigned int v = 0;
	int r;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* a non-blocking AF_UNIX connect does not wait for accept(); it
	 * fails with EAGAIN while the server's backlog is full */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -errno;
			goto fail;
		}
		if (ctl_ms_now() >= deadline) {
			r = -ETIMEDOUT;
			goto fail;
		}
		usleep(10000);
	}
	r = ctl_read_line(c, line, sizeof(line), deadline);
	if (r < 0)
		goto fail;
	/* a server with no room left says "error busy" instead */
	if (strncmp(line, "error busy", 10) == 0) {
		r = -EBUSY;
		goto fail;
	}
	if (ctl_greeting_parse(line, (size_t)r, &v)) {
		r = -EPROTO;
		goto fail;
	}
	if (version)
		*version = v;
	if (v != CTL_PROTO_VERSION) {
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	ctl_client_close(c);
	return r;
}

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int ctl_client_release(struct ctl_client *c, void *buf, size_t cap, size_t *len)
{
	int fd = c->fd;

	*len = MIN(c->len, cap);
	memcpy(buf, c->buf, *len);
	free(c);
	return fd;
}

int ctl_client_call(struct ctl_client *c, const char *const *words, struct ctl_reply *r,
		    int timeout_ms)
{
	int64_t deadline = ctl_ms_now() + timeout_ms;
	char req[CTL_REQUEST_MAX + 1], line[CTL_REPLY_MAX];
	struct ctl_writer w;
	int n;

	ctl_writer_init(&w, req, sizeof(req));
	for (const char *const *p = words; *p; p++)
		ctl_write_word(&w, *p);
	if (w.overflow || !words[0])
		return -E2BIG;
	size_t len = ctl_writer_end(&w);
	n = ctl_write_all(c, req, len, deadline);
	if (n)
		return n;
	n = ctl_read_line(c, line, sizeof(line), deadline);
	if (n < 0)
		return n;
	return ctl_reply_parse(line, (size_t)n, r);
}

int ctl_client_wait_closed(struct ctl_client *c, int timeout_ms)
{
	int64_t deadline = ctl_ms_now() + timeout_ms;

	for (;;) {
		ssize_t r = read(c->fd, c->buf, sizeof(c->buf));
		if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE)))
			return 0;
		if (r > 0 || errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int w = ctl_wait(c, POLLIN, deadline);
		if (w)
			return w;
	}
}

const char *ctl_client_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "the VM is not running (no control socket)";
	case -ECONNREFUSED:
		return "the VM is not running (stale control socket: it did not exit cleanly)";
	case -ENOTSOCK:
		return "not a control socket";
	case -ETIMEDOUT:
		return "the VM did not answer in time";
	case -EPROTO:
		return "the VM sent something that is not the ttyvm control protocol";
	case -EPROTONOSUPPORT:
		return "the VM speaks another version of the control protocol";
	case -ECONNRESET:
		return "the VM closed the connection";
	case -EBUSY:
		return "the VM has too many control connections open";
	case -E2BIG:
		return "request too long";
	default:
		return strerror(-err);
	}
}
