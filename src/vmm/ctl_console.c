/*
 * ctl_console.c - the serial console behind the control socket: a ring
 * of the guest's recent output (`serial-read`) and raw console
 * connections (`console`), see ttyvm-control(7).
 *
 * Data flow: the guest's bytes reach ctl_console_output() on the vCPU
 * thread that wrote them (the chardev tap); under a mutex they are copied
 * into a 64 KiB ring whose positions count every byte ever written.  When
 * console connections exist, the writer also arms a one-shot wake timer
 * (thread-safe, at most once until the loop has run), and on the
 * event-loop thread each connection is sent what lies between its
 * position and the end, non-blocking.  A connection that does not keep up
 * stays behind in the ring and, once overtaken, skips to the oldest byte
 * kept: the guest never waits for a reader.
 *
 * Input: the one writer connection's bytes go to the serial port's
 * frontend (chardev_input()), no more than it can take; the rest waits in
 * a small buffer, the socket is not read meanwhile, and the frontend's
 * "room again" (any thread) arms the same wake timer.  Readers' input is
 * read and dropped, so their end-of-file is seen.  A client that
 * half-closes keeps receiving output until it closes; the hub closes all
 * connections when it is destroyed (the VM ends).
 *
 * Not here: the protocol and the hand-over of a connection from line mode
 * (ctl_server.c), the serial port (chardev.c, uart.c).
 */
#include "vmm/ctl_console.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "util/util.h"
#include "vmm/chardev.h"
#include "vmm/evloop.h"

#define CTL_CONSOLE_IN_MAX 4096   /* input waiting for the guest, per writer */
#define CTL_CONSOLE_CHUNK  16384  /* output sent per step */

_Static_assert((CTL_CONSOLE_RING & (CTL_CONSOLE_RING - 1)) == 0, "ring: a power of two");

struct ctl_console_conn {
	struct ctl_console *cc;
	int fd;
	bool writer;
	bool in_eof;            /* the client will send no more */
	uint32_t events;
	uint64_t pos;           /* next output byte to send */
	size_t in_len;          /* input waiting for the guest */
	uint8_t in[CTL_CONSOLE_IN_MAX];
};

struct ctl_console {
	struct evloop *el;
	struct evloop_timer *wake;
	pthread_mutex_t lock;   /* ring and total */
	uint64_t total;         /* bytes ever written */
	int wake_pending;       /* atomic */
	int nconns;             /* atomic: output arms the wake only when > 0 */
	bool writer_claimed;
	struct chardev *cd;     /* connected serial port, or NULL */
	struct ctl_console_input input;
	struct ctl_console_conn *conns[CTL_CONSOLE_MAX_CLIENTS];
	uint8_t ring[CTL_CONSOLE_RING];
};

static void ctl_console_woken(void *opaque);

int ctl_console_create(struct ctl_console **out, struct evloop *el)
{
	struct ctl_console *cc = calloc(1, sizeof(*cc));

	*out = NULL;
	if (!cc)
		return -ENOMEM;
	cc->el = el;
	pthread_mutex_init(&cc->lock, NULL);
	cc->wake = evloop_timer_new(el, ctl_console_woken, cc);
	if (!cc->wake) {
		pthread_mutex_destroy(&cc->lock);
		free(cc);
		return -ENOMEM;
	}
	*out = cc;
	return 0;
}

static void ctl_console_close(struct ctl_console_conn *c)
{
	struct ctl_console *cc = c->cc;

	for (unsigned int i = 0; i < CTL_CONSOLE_MAX_CLIENTS; i++)
		if (cc->conns[i] == c)
			cc->conns[i] = NULL;
	if (c->writer)
		cc->writer_claimed = false;
	__atomic_sub_fetch(&cc->nconns, 1, __ATOMIC_SEQ_CST);
	evloop_del_fd(cc->el, c->fd);
	close(c->fd);
	free(c);
}

void ctl_console_destroy(struct ctl_console *cc)
{
	if (!cc)
		return;
	for (unsigned int i = 0; i < CTL_CONSOLE_MAX_CLIENTS; i++)
		if (cc->conns[i])
			ctl_console_close(cc->conns[i]);
	if (cc->cd) { /* the vCPUs are stopped by now: nobody is in the tap */
		chardev_set_tap(cc->cd, NULL, NULL);
		chardev_set_input_wake(cc->cd, NULL, NULL);
	}
	evloop_timer_free(cc->wake);
	pthread_mutex_destroy(&cc->lock);
	free(cc);
}

/* --- output ------------------------------------------------------------------ */

static void ctl_console_kick(struct ctl_console *cc)
{
	if (!__atomic_exchange_n(&cc->wake_pending, 1, __ATOMIC_SEQ_CST))
		evloop_timer_arm(cc->wake, 1, 0);
}

void ctl_console_output(struct ctl_console *cc, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&cc->lock);
	if (len > CTL_CONSOLE_RING) { /* only the newest bytes can stay */
		cc->total += len - CTL_CONSOLE_RING;
		buf += len - CTL_CONSOLE_RING;
		len = CTL_CONSOLE_RING;
	}
	size_t at = (size_t)(cc->total & (CTL_CONSOLE_RING - 1));
	size_t n = MIN(len, CTL_CONSOLE_RING - at);
	memcpy(cc->ring + at, buf, n);
	memcpy(cc->ring, buf + n, len - n);
	cc->total += len;
	pthread_mutex_unlock(&cc->lock);
	if (__atomic_load_n(&cc->nconns, __ATOMIC_SEQ_CST))
		ctl_console_kick(cc);
}

size_t ctl_console_read(struct ctl_console *cc, uint64_t pos, uint8_t *buf, size_t max,
			uint64_t *first, uint64_t *end)
{
	uint64_t start;
	size_t n = 0;

	pthread_mutex_lock(&cc->lock);
	start = cc->total > CTL_CONSOLE_RING ? cc->total - CTL_CONSOLE_RING : 0;
	if (pos < start)
		pos = start;
	if (pos > cc->total)
		pos = cc->total;
	if (max) {
		n = (size_t)MIN((uint64_t)max, cc->total - pos);
		size_t at = (size_t)(pos & (CTL_CONSOLE_RING - 1));
		size_t k = MIN(n, CTL_CONSOLE_RING - at);
		memcpy(buf, cc->ring + at, k);
		memcpy(buf + k, cc->ring, n - k);
	}
	*first = pos;
	*end = cc->total;
	pthread_mutex_unlock(&cc->lock);
	return n;
}

void ctl_console_range(struct ctl_console *cc, uint64_t *start, uint64_t *end)
{
	pthread_mutex_lock(&cc->lock);
	*start = cc->total > CTL_CONSOLE_RING ? cc->total - CTL_CONSOLE_RING : 0;
	*end = cc->total;
	pthread_mutex_unlock(&cc->lock);
}

/* --- the serial port ---------------------------------------------------------------- */

static void ctl_console_tap(void *ctx, const uint8_t *buf, size_t len)
{
	ctl_console_output(ctx, buf, len);
}

static size_t ctl_console_deliver_chardev(void *opaque, const uint8_t *buf, size_t len)
{
	return chardev_input(opaque, buf, len);
}

static void ctl_console_wake_cb(void *ctx)
{
	ctl_console_input_ready(ctx);
}

void ctl_console_connect(struct ctl_console *cc, struct chardev *cd)
{
	struct ctl_console_input in = { ctl_console_deliver_chardev, cd };

	cc->cd = cd;
	chardev_set_tap(cd, ctl_console_tap, cc);
	chardev_set_input_wake(cd, ctl_console_wake_cb, cc);
	ctl_console_set_input(cc, &in);
}

void ctl_console_set_input(struct ctl_console *cc, const struct ctl_console_input *in)
{
	cc->input = *in;
}

void ctl_console_input_ready(struct ctl_console *cc)
{
	ctl_console_kick(cc);
}

/* --- connections ------------------------------------------------------------------- */

bool ctl_console_claim_writer(struct ctl_console *cc)
{
	if (cc->writer_claimed)
		return false;
	cc->writer_claimed = true;
	return true;
}

void ctl_console_release_writer(struct ctl_console *cc)
{
	cc->writer_claimed = false;
}

bool ctl_console_has_room(struct ctl_console *cc)
{
	for (unsigned int i = 0; i < CTL_CONSOLE_MAX_CLIENTS; i++)
		if (!cc->conns[i])
			return true;
	return false;
}

unsigned int ctl_console_clients(struct ctl_console *cc)
{
	return (unsigned int)__atomic_load_n(&cc->nconns, __ATOMIC_SEQ_CST);
}

/* Sends what the connection has not seen yet.  false when it is gone. */
static bool ctl_console_send(struct ctl_console_conn *c, bool *blocked)
{
	uint8_t buf[CTL_CONSOLE_CHUNK];
	uint64_t first, end;

	*blocked = false;
	for (;;) {
		size_t n = ctl_console_read(c->cc, c->pos, buf, sizeof(buf), &first, &end);
		c->pos = first; /* skipped what was overwritten, if anything */
		if (n == 0)
			return true;
		ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			*blocked = true;
			return true;
		}
		if (w <= 0)
			return false; /* EPIPE, ECONNRESET: gone */
		c->pos += (uint64_t)w;
		if ((size_t)w < n) {
			*blocked = true;
			return true;
		}
	}
}

/* Hands waiting input to the guest; true when all of it went. */
static bool ctl_console_push_input(struct ctl_console_conn *c)
{
	struct ctl_console *cc = c->cc;
	size_t took;

	if (!c->in_len)
		return true;
	took = cc->input.deliver ? cc->input.deliver(cc->input.opaque, c->in, c->in_len)
				 : c->in_len;
	if (took > c->in_len)
		took = c->in_len;
	memmove(c->in, c->in + took, c->in_len - took);
	c->in_len -= took;
	return c->in_len == 0;
}

/* Reads what the client sent; false when it is gone. */
static bool ctl_console_recv(struct ctl_console_conn *c)
{
	uint8_t drop[4096];

	while (!c->in_eof && (!c->writer || c->in_len == 0)) {
		uint8_t *into = c->writer ? c->in : drop;
		size_t cap = c->writer ? sizeof(c->in) : sizeof(drop);
		ssize_t n = read(c->fd, into, cap);
		if (n > 0) {
			if (c->writer) {
				c->in_len = (size_t)n;
				ctl_console_push_input(c);
			}
			continue;
		}
		if (n == 0) {
			c->in_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		return false;
	}
	return true;
}

/* Brings a connection up to date; false when it was closed. */
static bool ctl_console_service(struct ctl_console_conn *c, uint32_t revents)
{
	bool blocked;
	uint32_t ev = 0;

	if ((revents & EPOLLHUP) || (revents & EPOLLERR)) {
		ctl_console_close(c);
		return false;
	}
	if (c->writer && !ctl_console_push_input(c)) {
		/* the guest is not taking input: wait for its "room again" */
	} else if (!ctl_console_recv(c)) {
		ctl_console_close(c);
		return false;
	}
	if (!ctl_console_send(c, &blocked)) {
		ctl_console_close(c);
		return false;
	}
	/* read while the client may send and there is room for its bytes */
	if (!c->in_eof && (!c->writer || c->in_len == 0))
		ev |= EPOLLIN;
	if (blocked)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		if (evloop_mod_fd(c->cc->el, c->fd, ev) < 0) {
			ctl_console_close(c);
			return false;
		}
		c->events = ev;
	}
	return true;
}

static void ctl_console_ready(void *opaque, uint32_t revents)
{
	ctl_console_service(opaque, revents);
}

static void ctl_console_woken(void *opaque)
{
	struct ctl_console *cc = opaque;

	__atomic_store_n(&cc->wake_pending, 0, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < CTL_CONSOLE_MAX_CLIENTS; i++)
		if (cc->conns[i])
			ctl_console_service(cc->conns[i], 0);
}

int ctl_console_attach(struct ctl_console *cc, int fd, bool writer, uint64_t from,
		       const void *early, size_t early_len)
{
	struct ctl_console_conn *c;
	uint64_t start, end;
	int slot = -1;

	for (int i = 0; i < CTL_CONSOLE_MAX_CLIENTS && slot < 0; i++)
		if (!cc->conns[i])
			slot = i;
	c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		if (writer)
			cc->writer_claimed = false;
		close(fd);
		return slot < 0 ? -ENOSPC : -ENOMEM;
	}
	c->cc = cc;
	c->fd = fd;
	c->writer = writer;
	ctl_console_range(cc, &start, &end);
	c->pos = from < start ? start : from > end ? end : from;
	if (writer && early_len) {
		c->in_len = MIN(early_len, sizeof(c->in));
		memcpy(c->in, early, c->in_len);
	}
	c->events = EPOLLIN;
	if (evloop_add_fd(cc->el, fd, c->events, ctl_console_ready, c) < 0) {
		if (writer)
			cc->writer_claimed = false;
		close(fd);
		free(c);
		return -ENOMEM;
	}
	cc->conns[slot] = c;
	__atomic_add_fetch(&cc->nconns, 1, __ATOMIC_SEQ_CST);
	ctl_console_service(c, 0); /* the backlog from `from`, and early input */
	return 0;
}
