/*
 * net_slirp.c - user-mode NAT through libslirp (Debian libslirp-dev): the
 * guest gets DHCP, DNS forwarding to the host's resolver, TCP/UDP/ICMP
 * NAT and IPv6 with no privileges; host port forwards (hostfwd) reach
 * guest services; restrict mode keeps the guest from reaching anything
 * but the forwards and slirp's own services.
 *
 * Who drives libslirp: the VM's event loop, on its one thread, and
 * nothing else - libslirp is not thread-safe and needs no thread of its
 * own.  After every piece of work (a frame from the guest, a socket
 * event, a timer) slirp_pollfds_fill() says which sockets it wants
 * watched and how long until its TCP timers need a look; this file keeps
 * the event loop's watches in step with that list (adding, changing and
 * removing fds) and arms one timer for the timeout.  When a watched
 * socket is ready, its revents are recorded and slirp_pollfds_poll() runs
 * with them; the timeout timer runs it with none, which is how slirp's
 * fast/slow TCP timers advance.  slirp's own timers (IPv6 router
 * advertisements) are evloop timers.  An idle user network thus wakes at
 * most once a second (slirp's largest timeout) and never spins.
 *
 * Frames flow: guest -> net_backend_send() -> slirp_input(); slirp ->
 * send_packet callback -> net_backend_deliver() -> the NIC.  slirp cannot
 * be told to wait, so every frame it produces is handed over and the NIC
 * bounds its own queue (net.h).
 *
 * Limits: at most NET_SLIRP_MAX_FDS (16) sockets are watched per NIC, so a
 * guest opening thousands of connections cannot take every event-loop
 * slot from the control socket and the display; the connections past
 * that limit stall (their sockets are not polled) until others close.
 */
#include "net/net.h"

#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "vmm/evloop.h"

#define NET_SLIRP_MAX_FDS 16
#define NET_SLIRP_MAX_POLL 256   /* entries one slirp_pollfds_fill may add */

struct slirp_slot {
	struct net_slirp *s;
	int fd;                  /* -1: free */
	uint32_t events;         /* epoll events registered */
	uint32_t revents;        /* what the last wake-up reported */
};

struct slirp_pollent {
	int fd;
	int events;
};

struct net_slirp {
	struct net_backend b;     /* first */
	Slirp *slirp;
	struct evloop_timer *poll_timer;
	struct slirp_slot slot[NET_SLIRP_MAX_FDS];
	struct slirp_pollent pfd[NET_SLIRP_MAX_POLL];
	unsigned int npfd;
	bool in_round;            /* guards against re-entry from callbacks */
	bool warned_fds;
	char hostname[64];
	char bootfile[128];
};

struct slirp_timer {
	struct evloop_timer *t;
	SlirpTimerCb cb;
	void *cb_opaque;
};

static int64_t slirp_clock_ns(void *opaque)
{
	struct timespec ts;
	(void)opaque;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* --- callbacks from libslirp -------------------------------------------------- */

static ssize_t slirp_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;

	if (len <= NET_FRAME_MAX)
		net_backend_deliver(&s->b, buf, len);
	return (ssize_t)len;
}

static void slirp_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	log_debug("slirp: guest error: %s", msg);
}

static void slirp_timer_fired(void *opaque)
{
	struct slirp_timer *t = opaque;

	t->cb(t->cb_opaque);
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->t = evloop_timer_new(s->b.el, slirp_timer_fired, t);
	if (!t->t) {
		free(t);
		return NULL;
	}
	return t;
}

static void slirp_timer_free(void *timer, void *opaque)
{
	struct slirp_timer *t = timer;
	(void)opaque;

	if (!t)
		return;
	evloop_timer_free(t->t);
	free(t);
}

static void slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;
	int64_t delay = expire_ms * 1000000LL - slirp_clock_ns(opaque);

	if (t)
		evloop_timer_arm(t->t, delay > 0 ? (uint64_t)delay : 1, 0);
}

static struct slirp_slot *slot_find(struct net_slirp *s, int fd)
{
	for (unsigned int i = 0; i < NET_SLIRP_MAX_FDS; i++)
		if (s->slot[i].fd == fd)
			return &s->slot[i];
	return NULL;
}

static void slot_drop(struct net_slirp *s, struct slirp_slot *sl)
{
	evloop_del_fd(s->b.el, sl->fd);
	sl->fd = -1;
	sl->events = sl->revents = 0;
}

static void slirp_register_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* slirp is about to close fd: forget its watch before the number is reused. */
static void slirp_unregister_fd(int fd, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_slot *sl = slot_find(s, fd);

	if (sl)
		slot_drop(s, sl);
}

static void slirp_notify(void *opaque)
{
	(void)opaque;   /* we refill after every round anyway */
}

static const SlirpCb slirp_cbs = {
	.send_packet = slirp_send_packet,
	.guest_error = slirp_guest_error,
	.clock_get_ns = slirp_clock_ns,
	.timer_new = slirp_timer_new,
	.timer_free = slirp_timer_free,
	.timer_mod = slirp_timer_mod,
	.register_poll_fd = slirp_register_fd,
	.unregister_poll_fd = slirp_unregister_fd,
	.notify = slirp_notify,
};

/* --- poll integration -------------------------------------------------------------- */

static int slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->npfd >= NET_SLIRP_MAX_POLL)
		return -1;
	s->pfd[s->npfd] = (struct slirp_pollent){ fd, events };
	return (int)s->npfd++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_slot *sl;
	int r = 0;

	if (idx < 0 || (unsigned int)idx >= s->npfd)
		return 0;
	sl = slot_find(s, s->pfd[idx].fd);
	if (!sl)
		return 0;
	if (sl->revents & EPOLLIN)
		r |= SLIRP_POLL_IN;
	if (sl->revents & EPOLLOUT)
		r |= SLIRP_POLL_OUT;
	if (sl->revents & EPOLLPRI)
		r |= SLIRP_POLL_PRI;
	if (sl->revents & EPOLLERR)
		r |= SLIRP_POLL_ERR;
	if (sl->revents & EPOLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

static uint32_t to_epoll(int events)
{
	uint32_t e = 0;

	if (events & SLIRP_POLL_IN)
		e |= EPOLLIN;
	if (events & SLIRP_POLL_OUT)
		e |= EPOLLOUT;
	if (events & SLIRP_POLL_PRI)
		e |= EPOLLPRI;
	return e;
}

static void slirp_round(struct net_slirp *s);

static void slirp_fd_ready(void *opaque, uint32_t revents)
{
	struct slirp_slot *sl = opaque;

	sl->revents = revents;
	slirp_round(sl->s);
}

static void slirp_poll_timeout(void *opaque)
{
	slirp_round(opaque);
}

/* Asks slirp what to watch and brings the event loop in line. */
static void slirp_refill(struct net_slirp *s)
{
	uint32_t timeout = 1000;

	s->npfd = 0;
	slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
	/* watches slirp no longer wants */
	for (unsigned int i = 0; i < NET_SLIRP_MAX_FDS; i++) {
		struct slirp_slot *sl = &s->slot[i];
		bool wanted = false;
		if (sl->fd < 0)
			continue;
		for (unsigned int j = 0; j < s->npfd && !wanted; j++)
			wanted = s->pfd[j].fd == sl->fd;
		if (!wanted)
			slot_drop(s, sl);
	}
	for (unsigned int j = 0; j < s->npfd; j++) {
		uint32_t ev = to_epoll(s->pfd[j].events);
		struct slirp_slot *sl = slot_find(s, s->pfd[j].fd);
		if (sl) {
			if (sl->events != ev) {
				if (evloop_mod_fd(s->b.el, sl->fd, ev) < 0) {
					/* closed and reopened under us: watch it afresh */
					evloop_del_fd(s->b.el, sl->fd);
					if (evloop_add_fd(s->b.el, sl->fd, ev, slirp_fd_ready, sl) < 0) {
						sl->fd = -1;
						continue;
					}
				}
				sl->events = ev;
			}
			continue;
		}
		sl = slot_find(s, -1);
		if (!sl || evloop_add_fd(s->b.el, s->pfd[j].fd, ev, slirp_fd_ready, sl) < 0) {
			if (!s->warned_fds)
				log_warn("user network: more than %d sockets; some connections "
					 "stall until others close", NET_SLIRP_MAX_FDS);
			s->warned_fds = true;
			continue;
		}
		*sl = (struct slirp_slot){ .s = s, .fd = s->pfd[j].fd, .events = ev };
	}
	evloop_timer_arm(s->poll_timer, (uint64_t)(timeout ? timeout : 1) * 1000000ULL, 0);
}

/* Lets slirp handle what is ready (and its timers), then refills. */
static void slirp_round(struct net_slirp *s)
{
	if (s->in_round)
		return;
	s->in_round = true;
	slirp_pollfds_poll(s->slirp, 0, slirp_get_revents, s);
	for (unsigned int i = 0; i < NET_SLIRP_MAX_FDS; i++)
		s->slot[i].revents = 0;
	slirp_refill(s);
	s->in_round = false;
}

/* --- backend ops -------------------------------------------------------------------- */

static int slirp_backend_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	struct net_slirp *s = (struct net_slirp *)b;

	slirp_input(s->slirp, frame, (int)len);
	/* a new connection or datagram may have opened a socket to watch */
	if (!s->in_round)
		slirp_refill(s);
	return 0;
}

static void slirp_backend_destroy(struct net_backend *b)
{
	struct net_slirp *s = (struct net_slirp *)b;

	if (s->slirp)
		slirp_cleanup(s->slirp);
	for (unsigned int i = 0; i < NET_SLIRP_MAX_FDS; i++)
		if (s->slot[i].fd >= 0)
			slot_drop(s, &s->slot[i]);
	evloop_timer_free(s->poll_timer);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.name = "user",
	.send = slirp_backend_send,
	.destroy = slirp_backend_destroy,
};

static int slirp_add_forwards(struct net_slirp *s, const struct nic_config *nic,
			      const struct net_user_addrs *u, char *err, size_t errlen)
{
	struct net_hostfwd fw[NET_HOSTFWD_MAX];
	char why[256];
	unsigned int n;
	int r = net_hostfwd_list_parse(nic->hostfwd, fw, NET_HOSTFWD_MAX, &n, why, sizeof(why));

	if (r < 0)
		return errmsg_set(err, errlen, r, NULL, "%s", why);
	for (unsigned int i = 0; i < n; i++) {
		struct in_addr guest = fw[i].guest_addr.s_addr ? fw[i].guest_addr : u->dhcpstart;
		char host[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &fw[i].host_addr, host, sizeof(host));
		errno = 0;
		if (slirp_add_hostfwd(s->slirp, fw[i].proto == NET_PROTO_UDP, fw[i].host_addr,
				      fw[i].host_port, guest, fw[i].guest_port) < 0) {
			int e = errno ? errno : EADDRINUSE;
			return errmsg_set(err, errlen, -e, NULL,
					  "hostfwd %s:%s:%u: %s%s",
					  fw[i].proto == NET_PROTO_UDP ? "udp" : "tcp", host,
					  fw[i].host_port, strerror(e),
					  e == EADDRINUSE ? " (the port is in use on the host; "
							    "pick another host port)" : "");
		}
	}
	return 0;
}

int net_slirp_create(const struct net_backend_params *p, struct net_backend **out,
		     char *err, size_t errlen)
{
	const struct nic_config *nic = p->nic;
	struct net_user_addrs u;
	struct net_slirp *s;
	SlirpConfig cfg;
	char why[256];
	int r;

	r = net_nic_check(nic, &u, why, sizeof(why));
	if (r < 0)
		return errmsg_set(err, errlen, r, NULL, "%s", why);
	s = calloc(1, sizeof(*s));
	if (!s)
		return errmsg_set(err, errlen, -ENOMEM, NULL, "user network: out of memory");
	s->b.ops = &slirp_ops;
	s->b.cb = p->cb;
	s->b.el = p->el;
	for (unsigned int i = 0; i < NET_SLIRP_MAX_FDS; i++)
		s->slot[i].fd = -1;
	s->poll_timer = evloop_timer_new(p->el, slirp_poll_timeout, s);
	if (!s->poll_timer) {
		free(s);
		return errmsg_set(err, errlen, -ENOMEM, NULL, "user network: no event-loop timer");
	}
	snprintf(s->hostname, sizeof(s->hostname), "%s", p->vm_name ? p->vm_name : "vm");
	if (nic->bootfile)
		snprintf(s->bootfile, sizeof(s->bootfile), "%s", nic->bootfile);

	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 1;
	cfg.restricted = nic->restricted;
	cfg.in_enabled = true;
	cfg.vnetwork = u.net;
	cfg.vnetmask = u.mask;
	cfg.vhost = u.host;
	cfg.vdhcp_start = u.dhcpstart;
	cfg.vnameserver = u.dns;
	cfg.in6_enabled = nic->ipv6;
	inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
	cfg.vprefix_len = 64;
	inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
	inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
	cfg.vhostname = s->hostname;
	cfg.bootfile = nic->bootfile ? s->bootfile : NULL;
	s->slirp = slirp_new(&cfg, &slirp_cbs, s);
	if (!s->slirp) {
		slirp_backend_destroy(&s->b);
		return errmsg_set(err, errlen, -ENOMEM, NULL, "user network: slirp_new failed");
	}
	r = slirp_add_forwards(s, nic, &u, err, errlen);
	if (r < 0) {
		slirp_backend_destroy(&s->b);
		return r;
	}
	slirp_refill(s);
	*out = &s->b;
	return 0;
}
