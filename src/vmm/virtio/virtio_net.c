/*
 * virtio_net.c - the virtio network device, virtio 1.2 section 5.1: one
 * receive queue (0) and one transmit queue (1), with the features MAC,
 * STATUS (the link is always up), MRG_RXBUF, CSUM and GUEST_CSUM.  Not
 * offered: GSO/TSO in either direction, the control queue, multiqueue,
 * MTU, RSS.  What a frame means beyond its virtio header, and where it
 * goes, is the backend's (src/net); this file only moves frames between
 * the rings and the backend's callbacks.
 *
 * Transmit: the guest's notify (a vCPU thread) only calls params.kick;
 * the event loop then calls virtio_net_poll(), which takes one chain at a
 * time under the device lock, checks its 12-byte header and copies the
 * frame out, returns the chain, drops the lock and hands the frame to
 * params.send.  A chain that is not a frame - writable descriptors, a
 * short header, a frame under 14 or over 64 KiB bytes, a GSO type (none
 * was offered), unknown header flags, a checksum position outside the
 * frame - is returned and counted, and nothing is sent.  For a frame
 * marked NEEDS_CSUM the device computes the Internet checksum over
 * [csum_start, end) (the guest left the pseudo-header sum in the field)
 * and stores it at csum_start + csum_offset, so the backend (slirp, a tap
 * without offloads) always sees complete frames.  A poll moves at most
 * `budget` frames, so a guest that floods its transmit queue gets one
 * batch per event-loop round and the control socket and the display keep
 * their turns.
 *
 * Receive: virtio_net_receive() (event-loop thread, from the backend)
 * writes the header (flags 0, GSO none, num_buffers) and the frame into
 * the next receive chain - or, with MRG_RXBUF, into as many chains as it
 * takes, num_buffers saying how many.  When the guest has posted too few
 * buffers the chains taken are given back (virtq_unpop) and the frame
 * waits in a bounded overflow queue (VIRTIO_NET_PENDING_MAX frames or
 * _BYTES); when that is full frames are dropped and the backend is told
 * to stop reading (virtio_net_can_receive) until the guest posts buffers
 * again - a notify on the receive queue delivers the overflow and wakes
 * the backend through the next poll.  Nothing ever waits in a loop for
 * buffers.  A receive chain with readable descriptors, or one too small
 * for the header (or, without MRG_RXBUF, for the frame), is returned
 * empty and the frame dropped.  Frames arriving while the driver is not
 * running are dropped.
 *
 * Snapshots carry the MAC only: frames in the overflow are dropped on
 * load as a wire would lose them.
 */
#include "vmm/virtio/virtio_net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "util/iov.h"
#include "util/log.h"
#include "util/util.h"
#include "vmm/device.h"
#include "vmm/evloop.h"
#include "vmm/machine.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"

#define PCI_CLASS_NETWORK_ETHERNET 0x020000

/* header field offsets */
#define HDR_FLAGS        0
#define HDR_GSO_TYPE     1
#define HDR_CSUM_START   6
#define HDR_CSUM_OFFSET  8
#define HDR_NUM_BUFFERS  10

struct pending {
	size_t len;
	uint8_t *data;
};

struct rx_used {
	uint16_t head;
	uint32_t len;
};

struct virtio_net {
	struct virtio_pci *vp;
	struct virtio_net_params p;
	/* receive overflow: a ring of pending frames */
	struct pending pend[VIRTIO_NET_PENDING_MAX];
	unsigned int pend_head, pend_count;
	size_t pend_bytes;
	bool rx_blocked;        /* can_receive said no; rx_resume owed */
	struct virtio_net_stats st;
	struct virtq_elem rxe, txe;
	struct rx_used used[VIRTIO_NET_QUEUE_SIZE];
	uint8_t txbuf[VIRTIO_NET_MAX_FRAME];
};

/* ---- transmit --------------------------------------------------------------- */

/* The Internet checksum (RFC 1071) of buf[0..len), complemented. */
static uint16_t net_csum(const uint8_t *buf, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (i < len)
		sum += (uint32_t)buf[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Checks one transmit chain and copies its frame to txbuf: its length, or 0. */
static size_t tx_frame(struct virtio_net *n, const struct virtq_elem *e)
{
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	uint64_t feat = virtio_pci_features(n->vp);
	size_t len;

	if (e->in_num || e->out_len < VIRTIO_NET_HDR_LEN)
		return 0;
	len = (size_t)(e->out_len - VIRTIO_NET_HDR_LEN);
	if (len < VIRTIO_NET_MIN_FRAME || len > VIRTIO_NET_MAX_FRAME)
		return 0;
	iov_to_buf(e->iov, e->out_num, 0, hdr, sizeof(hdr));
	if (hdr[HDR_GSO_TYPE] != VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (hdr[HDR_FLAGS] & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return 0;
	if (iov_to_buf(e->iov, e->out_num, VIRTIO_NET_HDR_LEN, n->txbuf, len) != len)
		return 0;
	if (hdr[HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		size_t start = get_le16(hdr + HDR_CSUM_START);
		size_t off = get_le16(hdr + HDR_CSUM_OFFSET);
		if (!(feat & VIRTIO_BIT(VIRTIO_NET_F_CSUM)))
			return 0;
		if (start >= len || off + 2 > len - start)
			return 0;
		uint16_t c = net_csum(n->txbuf + start, len - start);
		/* 0 means "no checksum" to UDP (and is invalid over IPv6); in
		 * ones' complement 0xffff is the same sum (as Linux's
		 * skb_checksum_help writes it), valid for TCP too */
		if (c == 0)
			c = 0xffff;
		n->txbuf[start + off] = (uint8_t)(c >> 8);
		n->txbuf[start + off + 1] = (uint8_t)c;
	}
	return len;
}

/* One transmit chain: 1 sent (or dropped), 0 nothing left, -1 stop. */
static int tx_one(struct virtio_net *n, bool *pushed)
{
	struct virtq *vq;
	size_t len;
	int r;

	virtio_pci_lock(n->vp);
	if (!virtio_pci_queue_ready(n->vp, VIRTIO_NET_TXQ)) {
		virtio_pci_unlock(n->vp);
		return -1;
	}
	vq = virtio_pci_queue(n->vp, VIRTIO_NET_TXQ);
	r = virtq_pop(vq, &n->txe);
	if (r == 0 || r == -EIO) {
		if (r == -EIO)
			virtio_pci_needs_reset(n->vp);
		virtio_pci_unlock(n->vp);
		return r == 0 ? 0 : -1;
	}
	*pushed = true;
	if (r < 0) {
		n->st.tx_bad++;
		virtio_pci_unlock(n->vp);
		return 1;
	}
	len = tx_frame(n, &n->txe);
	virtq_push(vq, n->txe.head, 0);
	if (!len) {
		n->st.tx_bad++;
		vq->dropped++;
	} else {
		n->st.tx_frames++;
	}
	virtio_pci_unlock(n->vp);
	/* txbuf is only touched by the poller (one thread): safe unlocked */
	if (len && n->p.send)
		n->p.send(n->p.opaque, n->txbuf, len);
	return 1;
}

/* ---- receive --------------------------------------------------------------- */

/* Copies bytes [off, off+k) of the stream header+frame into iov. */
static void rx_copy(const struct iovec *iov, unsigned int cnt, const uint8_t *hdr,
		    const uint8_t *frame, size_t off, size_t k)
{
	size_t w = 0;

	if (off < VIRTIO_NET_HDR_LEN) {
		w = MIN(k, VIRTIO_NET_HDR_LEN - off);
		iov_from_buf(iov, cnt, 0, hdr + off, w);
	}
	if (k > w)
		iov_from_buf(iov, cnt, w, frame + (off + w - VIRTIO_NET_HDR_LEN), k - w);
}

/* Returns chains used[0..cnt) to the driver empty (the frame is dropped). */
static void rx_return_empty(struct virtq *vq, const struct rx_used *used, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		virtq_push(vq, used[i].head, 0);
}

/*
 * With the lock held: writes the frame into receive chains.  1 delivered
 * (or dropped on bad buffers: the chains are returned either way), 0 no
 * room yet (nothing taken), -1 the ring is broken.
 */
static int rx_deliver(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	struct virtq *vq = virtio_pci_queue(n->vp, VIRTIO_NET_RXQ);
	bool mrg = virtio_pci_features(n->vp) & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	size_t total = VIRTIO_NET_HDR_LEN + len, off = 0;
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	struct iovec hdr_iov[VIRTIO_NET_HDR_LEN];
	unsigned int cnt = 0;
	int hdr_cnt = 0;

	memset(hdr, 0, sizeof(hdr));
	hdr[HDR_GSO_TYPE] = VIRTIO_NET_HDR_GSO_NONE;
	while (off < total) {
		struct virtq_elem *e = &n->rxe;
		int r;

		if (cnt == ARRAY_SIZE(n->used) || cnt == vq->size) {
			/* more chains than the ring holds would not do: never fits */
			virtq_unpop(vq, cnt);
			n->st.rx_bad++;
			return 1;
		}
		r = virtq_pop(vq, e);
		if (r == 0) {
			virtq_unpop(vq, cnt);
			return 0;
		}
		if (r == -EIO) {
			virtio_pci_needs_reset(n->vp);
			return -1;
		}
		if (r < 0 || e->out_num || e->in_len < (cnt ? 1 : VIRTIO_NET_HDR_LEN)) {
			/* a receive chain the device cannot write into */
			if (r > 0)
				virtq_push(vq, e->head, 0);
			rx_return_empty(vq, n->used, cnt);
			n->st.rx_bad++;
			vq->dropped++;
			return 1;
		}
		size_t k = (size_t)MIN((uint64_t)(total - off), e->in_len);
		if (!mrg && k < total) {
			virtq_push(vq, e->head, 0);
			n->st.rx_bad++;
			return 1;
		}
		if (cnt == 0) {
			hdr_cnt = iov_slice(e->iov, e->in_num, 0, VIRTIO_NET_HDR_LEN, hdr_iov,
					    ARRAY_SIZE(hdr_iov));
			if (hdr_cnt < 0) {
				virtq_push(vq, e->head, 0);
				n->st.rx_bad++;
				return 1;
			}
		}
		rx_copy(e->iov, e->in_num, hdr, frame, off, k);
		n->used[cnt].head = e->head;
		n->used[cnt].len = (uint32_t)k;
		cnt++;
		off += k;
	}
	/* the header last, once num_buffers is known */
	put_le16(hdr + HDR_NUM_BUFFERS, (uint16_t)cnt);
	iov_from_buf(hdr_iov, (unsigned int)hdr_cnt, 0, hdr, sizeof(hdr));
	for (unsigned int i = 0; i < cnt; i++)
		virtq_push(vq, n->used[i].head, n->used[i].len);
	n->st.rx_frames++;
	return 1;
}

static void pend_drop_all(struct virtio_net *n)
{
	while (n->pend_count) {
		struct pending *pd = &n->pend[n->pend_head];
		free(pd->data);
		pd->data = NULL;
		n->pend_head = (n->pend_head + 1) % VIRTIO_NET_PENDING_MAX;
		n->pend_count--;
	}
	n->pend_bytes = 0;
}

static bool pend_full(const struct virtio_net *n, size_t more)
{
	return n->pend_count >= VIRTIO_NET_PENDING_MAX ||
	       n->pend_bytes + more > VIRTIO_NET_PENDING_BYTES;
}

/* With the lock held: moves waiting frames into posted buffers. */
static void rx_flush(struct virtio_net *n)
{
	bool pushed = false;

	if (!virtio_pci_queue_ready(n->vp, VIRTIO_NET_RXQ)) {
		pend_drop_all(n);
		return;
	}
	while (n->pend_count) {
		struct pending *pd = &n->pend[n->pend_head];
		int r = rx_deliver(n, pd->data, pd->len);
		if (r == 0)
			break;
		pushed = true;
		n->pend_bytes -= pd->len;
		free(pd->data);
		pd->data = NULL;
		n->pend_head = (n->pend_head + 1) % VIRTIO_NET_PENDING_MAX;
		n->pend_count--;
		if (r < 0) {
			pend_drop_all(n);
			break;
		}
	}
	if (pushed)
		virtio_pci_queue_done(n->vp, VIRTIO_NET_RXQ);
}

int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	int r = 0;

	if (len == 0 || len > VIRTIO_NET_MAX_FRAME)
		return -EINVAL;
	virtio_pci_lock(n->vp);
	if (!virtio_pci_queue_ready(n->vp, VIRTIO_NET_RXQ)) {
		n->st.rx_dropped++;
		r = -ENOBUFS;
		goto out;
	}
	if (n->pend_count == 0) {
		int d = rx_deliver(n, frame, len);
		if (d != 0) {
			virtio_pci_queue_done(n->vp, VIRTIO_NET_RXQ);
			goto out;
		}
	}
	if (pend_full(n, len)) {
		n->st.rx_dropped++;
		n->rx_blocked = true;
		r = -ENOBUFS;
		goto out;
	}
	struct pending *pd = &n->pend[(n->pend_head + n->pend_count) % VIRTIO_NET_PENDING_MAX];
	pd->data = malloc(len);
	if (!pd->data) {
		n->st.rx_dropped++;
		r = -ENOBUFS;
		goto out;
	}
	memcpy(pd->data, frame, len);
	pd->len = len;
	n->pend_count++;
	n->pend_bytes += len;
	n->st.rx_queued++;
out:
	virtio_pci_unlock(n->vp);
	return r;
}

bool virtio_net_can_receive(struct virtio_net *n)
{
	bool ok;

	virtio_pci_lock(n->vp);
	ok = !virtio_pci_queue_ready(n->vp, VIRTIO_NET_RXQ) ||
	     !pend_full(n, VIRTIO_NET_MAX_FRAME);
	if (!ok)
		n->rx_blocked = true;
	virtio_pci_unlock(n->vp);
	return ok;
}

bool virtio_net_poll(struct virtio_net *n, unsigned int budget)
{
	bool pushed = false, more = false, resume = false;
	unsigned int i;

	virtio_pci_lock(n->vp);
	rx_flush(n);
	if (n->rx_blocked && !pend_full(n, VIRTIO_NET_MAX_FRAME)) {
		n->rx_blocked = false;
		resume = true;
	}
	virtio_pci_unlock(n->vp);
	if (resume && n->p.rx_resume)
		n->p.rx_resume(n->p.opaque);

	for (i = 0; i < budget; i++) {
		int r = tx_one(n, &pushed);
		if (r <= 0)
			break;
	}
	virtio_pci_lock(n->vp);
	if (pushed)
		virtio_pci_queue_done(n->vp, VIRTIO_NET_TXQ);
	if (i == budget)
		more = virtq_has_work(virtio_pci_queue(n->vp, VIRTIO_NET_TXQ));
	virtio_pci_unlock(n->vp);
	return more;
}

/* ---- transport callbacks ---------------------------------------------------- */

static void net_queue_notify(void *opaque, unsigned int idx)
{
	struct virtio_net *n = opaque;

	if (idx == VIRTIO_NET_RXQ)
		rx_flush(n);   /* new buffers: the overflow goes in now */
	if (n->p.kick)
		n->p.kick(n->p.opaque);
}

static void net_config_read(void *opaque, unsigned int off, uint8_t *buf, unsigned int len)
{
	struct virtio_net *n = opaque;
	uint8_t cfg[VIRTIO_NET_CFG_LEN];

	memset(cfg, 0, sizeof(cfg));
	memcpy(cfg + VIRTIO_NET_CFG_MAC, n->p.mac, 6);
	put_le16(cfg + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(cfg + VIRTIO_NET_CFG_MAX_VQP, 1);
	if (off < sizeof(cfg))
		memcpy(buf, cfg + off, MIN((size_t)len, sizeof(cfg) - off));
}

static void net_driver_ok(void *opaque)
{
	struct virtio_net *n = opaque;

	/* a backend stopped before the driver came up may read again */
	if (n->p.kick)
		n->p.kick(n->p.opaque);
}

static void net_reset(void *opaque)
{
	struct virtio_net *n = opaque;

	pend_drop_all(n);
	if (n->rx_blocked && n->p.kick)
		n->p.kick(n->p.opaque);
}

static int net_snapshot_dev(void *opaque, struct snap *s)
{
	struct virtio_net *n = opaque;
	uint32_t version = 1;
	uint8_t mac[6];

	memcpy(mac, n->p.mac, sizeof(mac));
	snap_section(s, "virtio-net", &version);
	snap_bytes(s, mac, sizeof(mac));
	if (snap_loading(s) && !snap_error(s)) {
		memcpy(n->p.mac, mac, sizeof(mac));
		pend_drop_all(n);
	}
	return snap_error(s);
}

static const struct virtio_dev_ops net_ops = {
	.queue_notify = net_queue_notify,
	.config_read = net_config_read,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
	.snapshot = net_snapshot_dev,
};

/* ---- creation ---------------------------------------------------------------- */

int virtio_net_create(const struct virtio_net_params *p, struct virtio_net **out)
{
	struct virtio_pci_params vpp = {
		.name = "virtio-net",
		.device_id = VIRTIO_ID_NET,
		.class_code = PCI_CLASS_NETWORK_ETHERNET,
		.features = VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			    VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
			    VIRTIO_BIT(VIRTIO_NET_F_STATUS),
		.num_queues = 2,
		.queue_size = VIRTIO_NET_QUEUE_SIZE,
		.config_len = VIRTIO_NET_CFG_LEN,
		.ops = &net_ops,
		.mem = p->mem,
	};
	struct virtio_net *n;
	int rc;

	*out = NULL;
	if (!p->mem)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->p = *p;
	vpp.opaque = n;
	rc = virtio_pci_create(&vpp, &n->vp);
	if (rc < 0) {
		free(n);
		return rc;
	}
	*out = n;
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	virtio_pci_destroy(n->vp);
	pend_drop_all(n);
	free(n);
}

struct virtio_pci *virtio_net_transport(struct virtio_net *n)
{
	return n->vp;
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st)
{
	virtio_pci_lock(n->vp);
	*st = n->st;
	virtio_pci_unlock(n->vp);
}

int virtio_net_snapshot(struct virtio_net *n, struct snap *s)
{
	return virtio_pci_snapshot(n->vp, s);
}

/* ---- machine glue: one NIC = device + backend + wake-up eventfd -------------- */

struct net_nic {
	struct virtio_net *dev;
	struct net_backend *be;
	struct evloop *el;
	int kickfd;
	uint8_t *rom;
};

static void nic_kick(void *opaque)
{
	struct net_nic *c = opaque;
	uint64_t one = 1;

	if (write(c->kickfd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, a poll is due */
	}
}

static void nic_kicked(void *opaque, uint32_t revents)
{
	struct net_nic *c = opaque;
	uint64_t v;
	(void)revents;

	if (read(c->kickfd, &v, sizeof(v)) < 0) {
		/* spurious: poll anyway, it is cheap */
	}
	if (virtio_net_poll(c->dev, VIRTIO_NET_TX_BUDGET))
		nic_kick(c);   /* more to send: after the others' events */
}

static int nic_send(void *opaque, const uint8_t *frame, size_t len)
{
	struct net_nic *c = opaque;

	return net_backend_send(c->be, frame, len);
}

static void nic_rx_resume(void *opaque)
{
	struct net_nic *c = opaque;

	net_backend_rx_resume(c->be);
}

static void nic_backend_receive(void *opaque, const uint8_t *frame, size_t len)
{
	struct net_nic *c = opaque;

	virtio_net_receive(c->dev, frame, len);
}

static bool nic_backend_can_receive(void *opaque)
{
	struct net_nic *c = opaque;

	return virtio_net_can_receive(c->dev);
}

static void nic_teardown(void *dev)
{
	struct net_nic *c = dev;

	if (c->kickfd >= 0) {
		evloop_del_fd(c->el, c->kickfd);
		close(c->kickfd);
	}
	net_backend_destroy(c->be);
	virtio_net_destroy(c->dev);
	free(c->rom);
	free(c);
}

static void nic_reset(void *dev)
{
	struct net_nic *c = dev;

	virtio_pci_reset(c->dev->vp);
}

static int nic_snapshot(void *dev, struct snap *s)
{
	struct net_nic *c = dev;

	return virtio_net_snapshot(c->dev, s);
}

/* Reads the PXE ROM; NULL with errno on failure. */
static uint8_t *nic_read_rom(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < 512 || st.st_size > (16 << 20)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	while (buf && done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);
		if (r <= 0) {
			free(buf);
			buf = NULL;
			errno = r < 0 ? errno : EIO;
		} else {
			done += (size_t)r;
		}
	}
	close(fd);
	*len = done;
	return buf;
}

static const struct device_desc virtio_net_desc;

static int nic_setup_one(struct machine *m, const struct vm_config *cfg, unsigned int idx)
{
	const struct nic_config *nc = &cfg->nics[idx];
	struct pci_bus *bus = machine_pci_bus(m);
	struct net_nic *c;
	char err[512], why[256];
	int rc;

	if (!bus)
		return -ENODEV;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kickfd = -1;
	c->el = machine_evloop(m);
	struct virtio_net_params p = {
		.mem = machine_mem(m),
		.kick = nic_kick,
		.send = nic_send,
		.rx_resume = nic_rx_resume,
		.opaque = c,
	};
	if (nc->mac) {
		if (net_mac_parse(nc->mac, p.mac, why, sizeof(why)) < 0) {
			log_error("[net%u] %s", idx, why);
			free(c);
			return -EINVAL;
		}
	} else {
		net_mac_from_name(cfg->name, idx, p.mac);
	}
	rc = virtio_net_create(&p, &c->dev);
	if (rc < 0) {
		free(c);
		return rc;
	}
	/* attached first: from here on the machine's teardown frees it */
	rc = machine_attach(m, &virtio_net_desc, c);
	if (rc < 0) {
		virtio_net_destroy(c->dev);
		free(c);
		return rc;
	}
	c->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->kickfd < 0)
		return -errno;
	rc = evloop_add_fd(c->el, c->kickfd, EPOLLIN, nic_kicked, c);
	if (rc < 0)
		return rc;
	struct net_backend_params bp = {
		.nic = nc,
		.vm_name = cfg->name,
		.el = c->el,
		.cb = { nic_backend_receive, nic_backend_can_receive, c },
	};
	memcpy(bp.mac, p.mac, sizeof(bp.mac));
	rc = net_backend_create(&bp, &c->be, err, sizeof(err));
	if (rc < 0) {
		log_error("network [net%u]: %s", idx, err);
		return rc;
	}
	/* network boot: iPXE in the first NIC's option ROM, run by SeaBIOS */
	if (idx == 0 && cfg->boot == BOOT_ORDER_NET && !cfg->kernel && !cfg->flat) {
		size_t len = 0;
		c->rom = nic_read_rom(VIRTIO_NET_PXE_ROM, &len);
		if (!c->rom) {
			log_error("boot = net: %s: %s (install the Debian package ipxe-qemu)",
				  VIRTIO_NET_PXE_ROM, strerror(errno));
			return -ENOENT;
		}
		rc = pci_set_rom(virtio_pci_dev(c->dev->vp), c->rom, len);
		if (rc < 0)
			return rc;
	}
	return pci_bus_add(bus, virtio_pci_dev(c->dev->vp), -1);
}

/* One PCI function per configured NIC, in order, each in the first free slot. */
static int virtio_net_setup(struct machine *m)
{
	const struct vm_config *cfg = machine_config(m);

	for (unsigned int i = 0; i < cfg->nnics && i < VM_MAX_NICS; i++) {
		int rc = nic_setup_one(m, cfg, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct device_desc virtio_net_desc = {
	.name = "virtio-net",
	.order = DEVICE_ORDER_DEV,
	.setup = virtio_net_setup,
	.teardown = nic_teardown,
	.reset = nic_reset,
	.snapshot = nic_snapshot,
};
DEVICE_DEFINE(virtio_net_desc);
