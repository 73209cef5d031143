/*
 * evloop.c - epoll-based event loop for the VM process.
 *
 * The main thread runs evloop_run(); it waits on one epoll set holding the
 * watched descriptors, one timerfd per timer and an eventfd used to stop
 * the loop.  vCPU threads never run callbacks here: they only arm timers
 * (timerfd_settime is thread-safe) or call evloop_stop() (a write to the
 * eventfd, which is also async-signal-safe).
 *
 * Watches are kept in a small array; the epoll data carries the index
 * plus a generation, so a callback that removes another watch while the
 * same epoll batch is being processed never reaches freed memory.
 */
#include "vmm/evloop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* room for 8 user-network NICs (each up to 64 slirp sockets, net_slirp.c)
 * beside the control socket, its clients, the display and the timers */
#define EVLOOP_MAX_WATCH 1024

struct evloop_watch {
	int fd;                  /* -1 when free */
	uint32_t gen;
	evloop_fd_cb cb;
	void *opaque;
};

struct evloop {
	int epfd;
	int stopfd;
	bool stop;
	struct evloop_watch w[EVLOOP_MAX_WATCH];
	uint32_t next_gen;
};

struct evloop_timer {
	struct evloop *el;
	int fd;
	evloop_timer_cb cb;
	void *opaque;
};

#define STOP_TOKEN UINT64_MAX

static uint64_t watch_token(unsigned int idx, uint32_t gen)
{
	return ((uint64_t)gen << 32) | idx;
}

int evloop_create(struct evloop **out)
{
	struct evloop *el = calloc(1, sizeof(*el));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STOP_TOKEN };

	if (!el)
		return -ENOMEM;
	for (unsigned int i = 0; i < EVLOOP_MAX_WATCH; i++)
		el->w[i].fd = -1;
	el->epfd = epoll_create1(EPOLL_CLOEXEC);
	el->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (el->epfd < 0 || el->stopfd < 0 ||
	    epoll_ctl(el->epfd, EPOLL_CTL_ADD, el->stopfd, &ev) < 0) {
		int err = -errno;
		evloop_destroy(el);
		return err;
	}
	*out = el;
	return 0;
}

void evloop_destroy(struct evloop *el)
{
	if (!el)
		return;
	if (el->epfd >= 0)
		close(el->epfd);
	if (el->stopfd >= 0)
		close(el->stopfd);
	free(el);
}

static int watch_find(struct evloop *el, int fd)
{
	for (unsigned int i = 0; i < EVLOOP_MAX_WATCH; i++)
		if (el->w[i].fd == fd)
			return (int)i;
	return -1;
}

int evloop_add_fd(struct evloop *el, int fd, uint32_t events, evloop_fd_cb cb,
		  void *opaque)
{
	int i = watch_find(el, -1);

	if (fd < 0 || !cb)
		return -EINVAL;
	if (watch_find(el, fd) >= 0)
		return -EEXIST;
	if (i < 0)
		return -ENOSPC;
	struct evloop_watch *w = &el->w[i];
	w->gen = ++el->next_gen;
	struct epoll_event ev = { .events = events,
				  .data.u64 = watch_token((unsigned int)i, w->gen) };
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->fd = fd;
	w->cb = cb;
	w->opaque = opaque;
	return 0;
}

int evloop_mod_fd(struct evloop *el, int fd, uint32_t events)
{
	int i = watch_find(el, fd);

	if (i < 0)
		return -ENOENT;
	struct epoll_event ev = { .events = events,
				  .data.u64 = watch_token((unsigned int)i, el->w[i].gen) };
	return epoll_ctl(el->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void evloop_del_fd(struct evloop *el, int fd)
{
	int i = watch_find(el, fd);

	if (i < 0)
		return;
	epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
	el->w[i].fd = -1;
	el->w[i].gen = 0;
}

static void timer_ready(void *opaque, uint32_t revents)
{
	struct evloop_timer *t = opaque;
	uint64_t n;
	(void)revents;

	/* EAGAIN when re-armed after the wake-up: nothing expired after all */
	if (read(t->fd, &n, sizeof(n)) == (ssize_t)sizeof(n) && n)
		t->cb(t->opaque);
}

struct evloop_timer *evloop_timer_new(struct evloop *el, evloop_timer_cb cb,
				      void *opaque)
{
	struct evloop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->el = el;
	t->cb = cb;
	t->opaque = opaque;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0 || evloop_add_fd(el, t->fd, EPOLLIN, timer_ready, t) < 0) {
		if (t->fd >= 0)
			close(t->fd);
		free(t);
		return NULL;
	}
	return t;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ULL),
				  .tv_nsec = (long)(ns % 1000000000ULL) };
}

void evloop_timer_arm(struct evloop_timer *t, uint64_t delay_ns, uint64_t period_ns)
{
	struct itimerspec its = { .it_value = ns_to_ts(delay_ns),
				  .it_interval = ns_to_ts(delay_ns ? period_ns : 0) };

	timerfd_settime(t->fd, 0, &its, NULL);
}

void evloop_timer_free(struct evloop_timer *t)
{
	if (!t)
		return;
	evloop_del_fd(t->el, t->fd);
	close(t->fd);
	free(t);
}

int evloop_run(struct evloop *el)
{
	struct epoll_event evs[32];

	while (!__atomic_load_n(&el->stop, __ATOMIC_ACQUIRE)) {
		int n = epoll_wait(el->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tok = evs[i].data.u64;
			if (tok == STOP_TOKEN) {
				uint64_t v;
				if (read(el->stopfd, &v, sizeof(v)) < 0) {
					/* drained by an earlier pass */
				}
				continue;
			}
			unsigned int idx = (unsigned int)tok;
			uint32_t gen = (uint32_t)(tok >> 32);
			if (idx >= EVLOOP_MAX_WATCH)
				continue;
			struct evloop_watch *w = &el->w[idx];
			if (w->fd < 0 || w->gen != gen)
				continue; /* removed earlier in this batch */
			w->cb(w->opaque, evs[i].events);
		}
	}
	__atomic_store_n(&el->stop, false, __ATOMIC_RELEASE);
	return 0;
}

void evloop_stop(struct evloop *el)
{
	uint64_t one = 1;

	__atomic_store_n(&el->stop, true, __ATOMIC_RELEASE);
	if (write(el->stopfd, &one, sizeof(one)) < 0) {
		/* counter full means a wake-up is already pending */
	}
}
