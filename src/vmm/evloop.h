/*
 * evloop.h - the VM process's event loop: file descriptors and timers on
 * one epoll, run by the main thread.
 *
 * Callbacks run on the event-loop thread.  evloop_timer_arm() and
 * evloop_stop() may be called from any thread (vCPU threads arm device
 * timers); everything else is for the event-loop thread or for set-up
 * before evloop_run().
 */
#ifndef TTYVM_EVLOOP_H
#define TTYVM_EVLOOP_H

#include <stdint.h>

struct evloop;
struct evloop_timer;

typedef void (*evloop_fd_cb)(void *opaque, uint32_t revents);
typedef void (*evloop_timer_cb)(void *opaque);

/* Returns 0 or -errno. */
int evloop_create(struct evloop **out);
void evloop_destroy(struct evloop *el);

/* Watches fd for events (EPOLLIN/EPOLLOUT...).  0 or -errno. */
int evloop_add_fd(struct evloop *el, int fd, uint32_t events, evloop_fd_cb cb,
		  void *opaque);
int evloop_mod_fd(struct evloop *el, int fd, uint32_t events);
void evloop_del_fd(struct evloop *el, int fd);

/* A timer (CLOCK_MONOTONIC), disarmed.  NULL on failure. */
struct evloop_timer *evloop_timer_new(struct evloop *el, evloop_timer_cb cb,
				      void *opaque);
/*
 * Fires after delay_ns, then every period_ns (0: once).  delay_ns 0
 * disarms.  Thread-safe.
 */
void evloop_timer_arm(struct evloop_timer *t, uint64_t delay_ns, uint64_t period_ns);
void evloop_timer_free(struct evloop_timer *t);

/* Runs until evloop_stop().  Returns 0 or -errno. */
int evloop_run(struct evloop *el);
/* Makes evloop_run() return; safe from any thread and signal-safe. */
void evloop_stop(struct evloop *el);

#endif
