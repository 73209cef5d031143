/*
 * net.c - the backend interface of net.h: picks the backend a NIC's
 * definition names and forwards calls to it.  The backends themselves are
 * net_slirp.c (user-mode NAT) and net_tap.c (a host tap interface).
 */
#include "net/net.h"

#include <errno.h>
#include <stdlib.h>

#include "util/errmsg.h"

int net_backend_create(const struct net_backend_params *p, struct net_backend **out,
		       char *err, size_t errlen)
{
	*out = NULL;
	if (!p->nic || !p->el || !p->cb.receive)
		return errmsg_set(err, errlen, -EINVAL, NULL, "network backend: bad parameters");
	switch (p->nic->backend) {
	case NIC_USER:
		return net_slirp_create(p, out, err, errlen);
	case NIC_TAP:
		return net_tap_create(p, out, err, errlen);
	}
	return errmsg_set(err, errlen, -EINVAL, NULL, "network backend: unknown kind %d",
			  (int)p->nic->backend);
}

void net_backend_destroy(struct net_backend *b)
{
	if (b)
		b->ops->destroy(b);
}

int net_backend_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	int r;

	if (len == 0 || len > NET_FRAME_MAX) {
		b->stats.tx_dropped++;
		return -EINVAL;
	}
	r = b->ops->send(b, frame, len);
	if (r < 0) {
		b->stats.tx_dropped++;
		return r;
	}
	b->stats.tx_frames++;
	b->stats.tx_bytes += len;
	return 0;
}

void net_backend_rx_resume(struct net_backend *b)
{
	if (b->ops->rx_resume)
		b->ops->rx_resume(b);
}

void net_backend_stats(const struct net_backend *b, struct net_stats *st)
{
	*st = b->stats;
}

void net_backend_deliver(struct net_backend *b, const uint8_t *frame, size_t len)
{
	b->stats.rx_frames++;
	b->stats.rx_bytes += len;
	b->cb.receive(b->cb.opaque, frame, len);
}
