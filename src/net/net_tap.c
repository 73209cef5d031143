/*
 * net_tap.c - a host tap interface as a NIC's backend, for users who put
 * their VMs on a Linux bridge (the way libvirt does it): `--net
 * tap,ifname=tap0`.  Frames are written to and read from /dev/net/tun
 * opened with IFF_TAP | IFF_NO_PI: one read or write is one Ethernet
 * frame.  No IFF_VNET_HDR: the NIC has already filled in any checksum
 * the guest left to it (virtio_net.c), and without GSO offered a frame
 * is never bigger than the MTU, so there is nothing for the kernel to
 * offload.
 *
 * Who may do this: attaching to /dev/net/tun needs CAP_NET_ADMIN, unless
 * the interface was created beforehand for this user (`ip tuntap add tap0
 * mode tap user $USER`).  Failures name /dev/net/tun and say so.
 *
 * Back-pressure: the reader asks the NIC before every frame; when the
 * NIC is full it stops watching the descriptor (the kernel's queue holds
 * and then drops frames) until net_backend_rx_resume().  A read callback
 * takes at most TAP_BATCH frames, so a flood from the host side leaves
 * the event loop to the control socket in between.
 *
 * The interface going away (`ip link del`, a network manager) leaves the
 * descriptor reporting EPOLLERR with every read failing (EBADFD) for
 * good: the backend then logs once, stops watching it and drops the
 * guest's frames (-EIO), instead of spinning the event loop.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "vmm/evloop.h"

#define TAP_DEV "/dev/net/tun"
#define TAP_BATCH 64

struct net_tap {
	struct net_backend b;     /* first */
	int fd;
	bool paused;
	bool dead;                /* the interface is gone: no longer watched */
	char ifname[IFNAMSIZ];
	uint8_t buf[NET_FRAME_MAX];
};

/* The interface is gone or broken for good: stop watching it, say so once. */
static void tap_dead(struct net_tap *t, int e)
{
	if (t->dead)
		return;
	evloop_del_fd(t->b.el, t->fd);
	t->dead = true;
	log_warn("tap %s: %s; the NIC is disconnected from it until the VM restarts", t->ifname,
		 e ? strerror(e) : "the interface reports an error");
}

static void tap_readable(void *opaque, uint32_t revents)
{
	struct net_tap *t = opaque;

	if (revents & (EPOLLERR | EPOLLHUP)) {
		tap_dead(t, 0);
		return;
	}
	for (unsigned int i = 0; i < TAP_BATCH; i++) {
		if (t->b.cb.can_receive && !t->b.cb.can_receive(t->b.cb.opaque)) {
			if (evloop_mod_fd(t->b.el, t->fd, 0) == 0)
				t->paused = true;
			return;
		}
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			tap_dead(t, errno);
			return;
		}
		if (n <= 0)
			return;   /* EAGAIN: drained */
		net_backend_deliver(&t->b, t->buf, (size_t)n);
	}
}

static int tap_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	struct net_tap *t = (struct net_tap *)b;
	ssize_t n;

	if (t->dead)
		return -EIO;
	do {
		n = write(t->fd, frame, len);
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the interface is down or its queue full - dropped, as a wire would */
	return n < 0 ? -errno : 0;
}

static void tap_rx_resume(struct net_backend *b)
{
	struct net_tap *t = (struct net_tap *)b;

	if (t->paused && !t->dead && evloop_mod_fd(t->b.el, t->fd, EPOLLIN) == 0)
		t->paused = false;
}

static void tap_destroy(struct net_backend *b)
{
	struct net_tap *t = (struct net_tap *)b;

	if (t->fd >= 0) {
		if (!t->dead)
			evloop_del_fd(t->b.el, t->fd);
		close(t->fd);
	}
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.name = "tap",
	.send = tap_send,
	.rx_resume = tap_rx_resume,
	.destroy = tap_destroy,
};

int net_tap_create(const struct net_backend_params *p, struct net_backend **out,
		   char *err, size_t errlen)
{
	const struct nic_config *nic = p->nic;
	struct ifreq ifr;
	struct net_tap *t;
	char why[256];
	int r;

	r = net_nic_check(nic, NULL, why, sizeof(why));
	if (r < 0)
		return errmsg_set(err, errlen, r, NULL, "%s", why);
	t = calloc(1, sizeof(*t));
	if (!t)
		return errmsg_set(err, errlen, -ENOMEM, NULL, "tap: out of memory");
	t->b.ops = &tap_ops;
	t->b.cb = p->cb;
	t->b.el = p->el;
	snprintf(t->ifname, sizeof(t->ifname), "%s", nic->ifname);
	t->fd = open(TAP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		int e = errno;
		free(t);
		return errmsg_set(err, errlen, -e, NULL, "tap %s: " TAP_DEV ": %s%s", nic->ifname,
				  strerror(e),
				  e == ENOENT || e == ENODEV ? " (the host has no tun driver: "
							       "modprobe tun)" :
				  e == EACCES || e == EPERM ? " (no access to " TAP_DEV
							      "; it needs CAP_NET_ADMIN or a "
							      "world-usable device node)" : "");
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, t->ifname, strlen(t->ifname));
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(t->fd);
		free(t);
		return errmsg_set(err, errlen, -e, NULL,
				  "tap %s: attaching through " TAP_DEV " (TUNSETIFF): %s%s",
				  nic->ifname, strerror(e),
				  e == EPERM || e == EACCES
					  ? " (needs CAP_NET_ADMIN, or a tap made for this user "
					    "beforehand: ip tuntap add NAME mode tap user $USER)"
				  : e == EBUSY ? " (another process has it open)" : "");
	}
	r = evloop_add_fd(p->el, t->fd, EPOLLIN, tap_readable, t);
	if (r < 0) {
		close(t->fd);
		free(t);
		return errmsg_set(err, errlen, r, NULL, "tap %s: event loop: %s", nic->ifname,
				  strerror(-r));
	}
	*out = &t->b;
	return 0;
}
