/*
 * net_slirp.c - user-mode NAT through libslirp (Debian libslirp-dev): the
 * guest gets DHCP, DNS forwarding to the host's resolver, TCP/UDP/ICMP
 * NAT and IPv6 with no privileges; host port forwards (hostfwd) reach
 * guest services; restrict mode keeps the guest from reaching anything
 * but the forwards and slirp's own services.
 *
 * Who drives libslirp: the VM's event loop, on its one thread, and
 * nothing else - libslirp is not thread-safe and needs no thread of its
 * own.  slirp's sockets live on an epoll of their own (one per NIC),
 * which is a single watch in the event loop: however many connections a
 * guest opens, they take one event-loop slot, and the control socket and
 * the display keep theirs.  After every piece of work (a frame from the
 * guest, socket events, a timer) slirp_pollfds_fill() says which sockets
 * it wants watched and how long until its TCP timers need a look; this
 * file keeps the NIC's epoll in step with that list (adding, changing and
 * removing fds) and arms one timer for the timeout.  When the NIC's epoll
 * is ready, at most SLIRP_EVENTS_PER_ROUND socket events are taken (the
 * rest stay ready for the next turn, after the other watches had theirs),
 * recorded by fd, and slirp_pollfds_poll() runs with them; the timeout
 * timer runs it with none, which is how slirp's fast/slow TCP timers
 * advance.  slirp's own timers (IPv6 router advertisements) are evloop
 * timers.  An idle user network thus wakes at most once a second (slirp's
 * largest timeout) and never spins.
 *
 * Frames flow: guest -> net_backend_send() -> slirp_input(); slirp ->
 * send_packet callback -> net_backend_deliver() -> the NIC.  slirp cannot
 * be told to wait, so every frame it produces is handed over and the NIC
 * bounds its own queue (net.h).
 *
 * Limits: no fixed number of connections; the table of watched fds grows
 * with the highest fd number.  But a guest must not take the last file
 * descriptors from the VMM (the control socket's accept, a new viewer):
 * every SLIRP_FD_PROBE_EVERY frames that could make slirp open a socket,
 * the lowest free fd number is looked at, and while it is within
 * SLIRP_FD_RESERVE of the limit only frames that surely cannot open one
 * pass (ARP, TCP segments of existing connections, DHCP to slirp, IPv6
 * neighbour discovery); SYNs, UDP, ICMP and fragments are dropped until
 * connections close.  What is looked at is the process's real fd use,
 * not a count of slirp's watched sockets (slirp stops polling a socket
 * whose guest does not read, but it stays open).  The limit counted is
 * at most FD_SETSIZE (1024): libvncserver watches its viewers with
 * select(), and glibc aborts the process on an FD_SET of a higher fd, so
 * a viewer connecting after the guest opened a thousand connections must
 * still get a low fd number.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "vmm/evloop.h"

#define SLIRP_EVENTS_PER_ROUND 256
#define SLIRP_FD_RESERVE 128     /* fds below the limit slirp leaves alone */
#define SLIRP_FD_PROBE_EVERY 16  /* socket-opening frames between fd looks */

/* What the NIC's epoll holds for one fd number, and what it reported. */
struct slirp_fdstate {
	uint32_t events;          /* registered (when reg) */
	uint32_t revents;         /* from this round's epoll_wait */
	uint32_t seen;            /* the refill generation that last wanted it */
	bool reg;
};

struct slirp_pollent {
	int fd;
	int events;
};

struct net_slirp {
	struct net_backend b;     /* first */
	Slirp *slirp;
	struct evloop_timer *poll_timer;
	int epfd;                 /* slirp's sockets */
	struct slirp_fdstate *fds; /* indexed by fd number */
	unsigned int nfds;        /* entries in fds */
	unsigned int fd_limit;    /* RLIMIT_NOFILE: fds never go higher */
	int maxfd;                /* highest fd with reg set, or -1 */
	uint32_t gen;             /* refill generation */
	struct slirp_pollent *pfd; /* this round's slirp_pollfds_fill list */
	unsigned int npfd, pfd_cap;
	int64_t poll_due;         /* when poll_timer fires (CLOCK_MONOTONIC ns), 0: idle */
	unsigned int probe_in;    /* socket-opening frames until the next fd look */
	int lowest_free;          /* what the last look found (-1: none free) */
	struct in_addr vhost;     /* slirp's own address (DHCP goes there) */
	bool in_round;            /* guards against re-entry from callbacks */
	bool warned, warned_full;
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

/* The state of fd, the table grown to hold it; NULL if fd is out of range. */
static struct slirp_fdstate *fd_state(struct net_slirp *s, int fd, bool grow)
{
	if (fd < 0 || (unsigned int)fd >= s->fd_limit)
		return NULL;
	if ((unsigned int)fd >= s->nfds) {
		unsigned int n = s->nfds ? s->nfds : 64;
		struct slirp_fdstate *t;
		if (!grow)
			return NULL;
		while (n <= (unsigned int)fd)
			n *= 2;
		if (n > s->fd_limit)
			n = s->fd_limit;
		t = realloc(s->fds, (size_t)n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + s->nfds, 0, (size_t)(n - s->nfds) * sizeof(*t));
		s->fds = t;
		s->nfds = n;
	}
	return &s->fds[fd];
}

static void fd_unwatch(struct net_slirp *s, int fd)
{
	struct slirp_fdstate *st = fd_state(s, fd, false);

	if (!st || !st->reg)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);   /* ENOENT if already closed */
	st->reg = false;
	st->events = st->revents = 0;
	while (s->maxfd >= 0 && !s->fds[s->maxfd].reg)
		s->maxfd--;
}

/* Registers fd for ev on the NIC's epoll, or changes what it waits for. */
static int fd_watch(struct net_slirp *s, int fd, uint32_t ev)
{
	struct slirp_fdstate *st = fd_state(s, fd, true);
	struct epoll_event e = { .events = ev, .data.fd = fd };

	if (!st)
		return -1;
	st->seen = s->gen;
	if (st->reg && st->events == ev)
		return 0;
	if (st->reg && epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &e) == 0) {
		st->events = ev;
		return 0;
	}
	/* new, or closed and reopened under the same number */
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) < 0 &&
	    (errno != EEXIST || epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &e) < 0)) {
		st->reg = false;
		return -1;
	}
	st->reg = true;
	st->events = ev;
	if (fd > s->maxfd)
		s->maxfd = fd;
	return 0;
}

static void slirp_register_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* slirp is about to close fd: forget its watch before the number is reused. */
static void slirp_unregister_fd(int fd, void *opaque)
{
	fd_unwatch(opaque, fd);
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

	if (s->npfd == s->pfd_cap) {
		unsigned int n = s->pfd_cap ? s->pfd_cap * 2 : 64;
		struct slirp_pollent *t;
		if (n > s->fd_limit)
			n = s->fd_limit;
		t = n > s->pfd_cap ? realloc(s->pfd, (size_t)n * sizeof(*t)) : NULL;
		if (!t)
			return -1;   /* slirp then does not poll this socket */
		s->pfd = t;
		s->pfd_cap = n;
	}
	s->pfd[s->npfd] = (struct slirp_pollent){ fd, events };
	return (int)s->npfd++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_fdstate *st;
	int r = 0;

	if (idx < 0 || (unsigned int)idx >= s->npfd)
		return 0;
	st = fd_state(s, s->pfd[idx].fd, false);
	if (!st || !st->reg)
		return 0;
	if (st->revents & EPOLLIN)
		r |= SLIRP_POLL_IN;
	if (st->revents & EPOLLOUT)
		r |= SLIRP_POLL_OUT;
	if (st->revents & EPOLLPRI)
		r |= SLIRP_POLL_PRI;
	if (st->revents & EPOLLERR)
		r |= SLIRP_POLL_ERR;
	if (st->revents & EPOLLHUP)
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

/* The NIC's epoll is ready: take a bounded batch of socket events. */
static void slirp_sockets_ready(void *opaque, uint32_t revents)
{
	struct net_slirp *s = opaque;
	struct epoll_event ev[SLIRP_EVENTS_PER_ROUND];
	int n;
	(void)revents;

	if (s->in_round)
		return;
	n = epoll_wait(s->epfd, ev, SLIRP_EVENTS_PER_ROUND, 0);
	for (int i = 0; i < n; i++) {
		struct slirp_fdstate *st = fd_state(s, ev[i].data.fd, false);
		if (st && st->reg)
			st->revents = ev[i].events;
	}
	slirp_round(s);
	for (int i = 0; i < n; i++) {
		struct slirp_fdstate *st = fd_state(s, ev[i].data.fd, false);
		if (st)
			st->revents = 0;
	}
}

static void slirp_poll_timeout(void *opaque)
{
	struct net_slirp *s = opaque;

	s->poll_due = 0;
	slirp_round(s);
}

/* Asks slirp what to watch and brings the NIC's epoll in line. */
static void slirp_refill(struct net_slirp *s)
{
	uint32_t timeout = 1000;

	s->npfd = 0;
	s->gen++;
	slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
	for (unsigned int j = 0; j < s->npfd; j++) {
		if (fd_watch(s, s->pfd[j].fd, to_epoll(s->pfd[j].events)) < 0 && !s->warned) {
			log_warn("user network: cannot watch socket %d: %s; its connection stalls",
				 s->pfd[j].fd, strerror(errno ? errno : ENOMEM));
			s->warned = true;
		}
	}
	/* watches slirp no longer wants */
	for (int fd = s->maxfd; fd >= 0; fd--)
		if (s->fds[fd].reg && s->fds[fd].seen != s->gen)
			fd_unwatch(s, fd);
	/* only ever earlier: a guest sending often must not push slirp's TCP
	 * timers (retransmit, delayed ACK, 2MSL) out for ever */
	int64_t now = slirp_clock_ns(NULL), due = now + (int64_t)(timeout ? timeout : 1) * 1000000;
	if (!s->poll_due || due < s->poll_due) {
		s->poll_due = due;
		evloop_timer_arm(s->poll_timer, (uint64_t)(due - now), 0);
	}
}

/* Lets slirp handle what is ready (and its timers), then refills. */
static void slirp_round(struct net_slirp *s)
{
	if (s->in_round)
		return;
	s->in_round = true;
	slirp_pollfds_poll(s->slirp, 0, slirp_get_revents, s);
	slirp_refill(s);
	s->in_round = false;
}

/* --- backend ops -------------------------------------------------------------------- */

static unsigned int be16_at(const uint8_t *p)
{
	return (unsigned int)(p[0] << 8 | p[1]);
}

/*
 * Whether slirp surely opens no host socket for this guest frame: ARP; a
 * TCP segment without SYN in one unfragmented packet; DHCP (UDP to port
 * 67 of slirp's address or broadcast: slirp answers it itself); IPv6
 * neighbour discovery; frames too short to be IP (slirp drops them) and
 * other ethertypes.  A SYN, other UDP, ICMP, IPv4 fragments (slirp
 * reassembles them) and IPv6 extension headers may open one.
 */
static bool slirp_frame_harmless(const struct net_slirp *s, const uint8_t *f, size_t len)
{
	unsigned int type, ihl, l4;

	if (len < 14)
		return true;
	type = be16_at(f + 12);
	if (type == 0x0800) {
		if (len < 34 || (ihl = (f[14] & 15u) * 4) < 20)
			return true;
		if (be16_at(f + 20) & 0x3fff)                    /* MF or an offset */
			return false;
		l4 = 14 + ihl;
		if (f[23] == 6)
			return len >= l4 + 14 && !(f[l4 + 13] & 0x02);
		if (f[23] == 17 && len >= l4 + 4 && be16_at(f + l4 + 2) == 67) {
			uint32_t dst;
			memcpy(&dst, f + 30, 4);
			return dst == s->vhost.s_addr || dst == 0xffffffffu;
		}
		return false;
	}
	if (type == 0x86dd) {
		if (len < 54)
			return true;
		l4 = 54;
		if (f[20] == 6)
			return len >= l4 + 14 && !(f[l4 + 13] & 0x02);
		if (f[20] == 58)
			return len > l4 && f[l4] >= 133 && f[l4] <= 137;
		return false;
	}
	return true;
}

/*
 * Whether the process is within the reserve of its fd limit (or of
 * FD_SETSIZE): looks at the lowest free fd number every
 * SLIRP_FD_PROBE_EVERY calls, so a guest gets at most that many sockets
 * past the point between two looks.
 */
static bool slirp_fds_short(struct net_slirp *s, unsigned int *limit_out)
{
	unsigned int limit = s->fd_limit < FD_SETSIZE ? s->fd_limit : FD_SETSIZE;
	unsigned int reserve = limit > 2 * SLIRP_FD_RESERVE ? SLIRP_FD_RESERVE : limit / 2;
	int fd;

	*limit_out = limit;
	if (s->probe_in > 0) {
		s->probe_in--;
	} else {
		s->probe_in = SLIRP_FD_PROBE_EVERY - 1;
		fd = fcntl(s->epfd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0)
			close(fd);
		s->lowest_free = fd;
	}
	return s->lowest_free < 0 || (unsigned int)s->lowest_free >= limit - reserve;
}

static int slirp_backend_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	struct net_slirp *s = (struct net_slirp *)b;
	unsigned int limit;

	if (!slirp_frame_harmless(s, frame, len) && slirp_fds_short(s, &limit)) {
		if (!s->warned_full)
			log_warn("user network: file descriptors are running short (the lowest "
				 "free is %d, the limit %u); the guest's new connections are "
				 "refused until some close", s->lowest_free, limit);
		s->warned_full = true;
		return -ENOBUFS;
	}
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
	if (s->epfd >= 0) {
		evloop_del_fd(s->b.el, s->epfd);
		close(s->epfd);
	}
	evloop_timer_free(s->poll_timer);
	free(s->fds);
	free(s->pfd);
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

/* The highest fd number + 1 this process may have (RLIMIT_NOFILE). */
static unsigned int slirp_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 20))
		return 1u << 20;
	return rl.rlim_cur > 64 ? (unsigned int)rl.rlim_cur : 64;
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
	s->maxfd = -1;
	s->fd_limit = slirp_fd_limit();
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		r = -errno;
		free(s);
		return errmsg_set(err, errlen, r, NULL, "user network: epoll_create1: %s",
				  strerror(-r));
	}
	s->poll_timer = evloop_timer_new(p->el, slirp_poll_timeout, s);
	r = s->poll_timer ? evloop_add_fd(p->el, s->epfd, EPOLLIN, slirp_sockets_ready, s) :
			    -ENOMEM;
	if (r < 0) {
		evloop_timer_free(s->poll_timer);
		close(s->epfd);
		free(s);
		return errmsg_set(err, errlen, r, NULL, "user network: event loop: %s",
				  strerror(-r));
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
	s->vhost = u.host;
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
