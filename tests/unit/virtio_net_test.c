/*
 * virtio_net_test.c - virtio-net driven through the transport's
 * registers and real rings in guest RAM, with a fake backend: the
 * transmit header (plain frames, NEEDS_CSUM filled in on the host side,
 * every malformed header or chain refused), receive with and without
 * mergeable buffers, receive-buffer exhaustion (bounded overflow, drops,
 * the backend told to stop and resumed), hostile receive chains, the
 * transmit budget that keeps a flood from holding the event loop, and the
 * config space.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "virtio_testutil.h"
#include "vmm/guest_mem.h"
#include "vmm/pci.h"
#include "vmm/snap.h"
#include "vmm/virtio/virtio_net.h"
#include "vmm/virtio/virtio_pci.h"

#define RAM    (8 * MiB)
#define QSIZE  VTEST_QSIZE
#define BUF_GPA 0x100000ULL   /* 64 KiB per buffer slot */
#define SLOT(i) (BUF_GPA + 0x10000ULL * (i))
#define TXHDR_GPA 0x80000ULL

struct fx {
	struct vtest vt;              /* RAM, bus, the receive and transmit rings */
	struct virtio_net *n;
	uint16_t next_desc[2];        /* per queue: the next descriptor chain() takes */
	unsigned int sent;
	uint8_t last[VIRTIO_NET_MAX_FRAME];
	size_t last_len;
	unsigned int resumes, kicks;
};

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

static uint8_t *gpa(struct fx *f, uint64_t a, uint64_t len)
{
	return vtest_gpa(&f->vt, a, len);
}

static int fake_send(void *opaque, const uint8_t *frame, size_t len)
{
	struct fx *f = opaque;
	memcpy(f->last, frame, len);
	f->last_len = len;
	f->sent++;
	return 0;
}

static void fake_resume(void *opaque)
{
	struct fx *f = opaque;
	f->resumes++;
}

static void fake_kick(void *opaque)
{
	struct fx *f = opaque;
	f->kicks++;
}

/* Reset and bring-up with every offered feature but those in drop, both
 * queues enabled; DRIVER_OK is left to driver_ok(). */
static void driver_init(struct fx *f, uint64_t drop)
{
	vtest_start(&f->vt, vtest_offered(&f->vt) & ~drop, 2);
	f->next_desc[0] = f->next_desc[1] = 0;
}

static void driver_ok(struct fx *f)
{
	vtest_driver_ok(&f->vt);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || vtest_init(&f->vt, RAM) < 0)
		return -1;
	struct virtio_net_params p = {
		.mem = &f->vt.gm, .kick = fake_kick, .send = fake_send, .rx_resume = fake_resume,
		.opaque = f,
	};
	memcpy(p.mac, MAC, 6);
	if (virtio_net_create(&p, &f->n) < 0)
		return -1;
	f->vt.vp = virtio_net_transport(f->n);
	if (pci_bus_add(f->vt.bus, virtio_pci_dev(f->vt.vp), -1) < 0)
		return -1;
	driver_init(f, 0);
	driver_ok(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_net_destroy(f->n);
	vtest_done(&f->vt);
	free(f);
	return 0;
}

/* ---- a tiny driver ------------------------------------------------------------ */

/* Makes a chain of nb descriptors available, taken in turn from queue qi's
 * table: descriptor i is {addr[i], len[i], flags[i]}.  Returns its head. */
static uint16_t chain(struct fx *f, unsigned int qi, unsigned int nb, const uint64_t *addr,
		      const uint32_t *len, const uint16_t *flags)
{
	struct vtest_ring *q = &f->vt.q[qi];
	uint16_t *next = &f->next_desc[qi];
	uint16_t head = *next % QSIZE;

	for (unsigned int i = 0; i < nb; i++) {
		uint16_t d = (uint16_t)((*next + i) % QSIZE);
		bool last = i + 1 == nb;
		vtest_desc(&f->vt.gm, q->desc, d, addr[i], len[i],
			   (uint16_t)(flags[i] | (last ? 0 : VIRTQ_DESC_F_NEXT)),
			   (uint16_t)((d + 1) % QSIZE));
	}
	*next = (uint16_t)(*next + nb);
	vtest_offer(q, head);
	return head;
}

/* The next used element: head and length (there must be one). */
static void used_next(struct fx *f, unsigned int qi, uint32_t *head, uint32_t *len)
{
	assert_true(vtest_used_next(&f->vt.q[qi], head, len));
}

static void post_rx(struct fx *f, unsigned int slot, uint32_t len)
{
	uint64_t a = SLOT(slot);
	uint16_t fl = VIRTQ_DESC_F_WRITE;
	chain(f, VIRTIO_NET_RXQ, 1, &a, &len, &fl);
}

/* Sends frame with header hdr through a 2-descriptor chain and polls. */
static void tx(struct fx *f, const uint8_t hdr[12], const uint8_t *frame, uint32_t len)
{
	uint64_t a[2] = { TXHDR_GPA, SLOT(10) };
	uint32_t l[2] = { 12, len };
	uint16_t fl[2] = { 0, 0 };

	memcpy(gpa(f, TXHDR_GPA, 12), hdr, 12);
	memcpy(gpa(f, SLOT(10), len), frame, len);
	chain(f, VIRTIO_NET_TXQ, 2, a, l, fl);
	vtest_notify(&f->vt, VIRTIO_NET_TXQ);
	virtio_net_poll(f->n, VIRTIO_NET_TX_BUDGET);
}

static void make_frame(uint8_t *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + seed * 7 + 3);
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_config(void **state)
{
	struct fx *f = *state;
	struct virtio_pci *vp = virtio_net_transport(f->n);
	uint64_t feat = vtest_offered(&f->vt);
	uint8_t mac[6];

	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MAC));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_CSUM));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	assert_false(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	assert_false(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
	for (unsigned int i = 0; i < 6; i++)
		mac[i] = (uint8_t)virtio_pci_bar_read(vp, VIRTIO_PCI_DEVCFG_OFF + i, 1);
	assert_memory_equal(mac, MAC, 6);
	assert_int_equal(virtio_pci_bar_read(vp, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_NET_CFG_STATUS, 2),
			 VIRTIO_NET_S_LINK_UP);
	assert_int_equal(virtio_pci_dev(vp)->cfg[0x0A] | virtio_pci_dev(vp)->cfg[0x0B] << 8,
			 0x0200);   /* class: Ethernet controller */
}

static void test_tx_plain(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[12] = { 0 }, frame[100];
	uint32_t head, len;

	make_frame(frame, sizeof(frame), 1);
	tx(f, hdr, frame, sizeof(frame));
	assert_int_equal(f->sent, 1);
	assert_int_equal(f->last_len, sizeof(frame));
	assert_memory_equal(f->last, frame, sizeof(frame));
	used_next(f, VIRTIO_NET_TXQ, &head, &len);
	assert_int_equal(head, 0);
}

/* RFC 1071 the slow way, for checking */
static uint16_t ref_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void test_tx_needs_csum(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[12] = { 0 }, frame[75];
	const unsigned int start = 34, off = 6;   /* UDP after Ethernet + IPv4 */

	make_frame(frame, sizeof(frame), 2);
	/* the guest leaves the pseudo-header sum in the field */
	frame[start + off] = 0x12;
	frame[start + off + 1] = 0x34;
	hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	put_le16(hdr + 6, start);
	put_le16(hdr + 8, off);
	tx(f, hdr, frame, sizeof(frame));
	assert_int_equal(f->sent, 1);
	/* the receiver's check: the region with the stored checksum, plus the
	 * pseudo-header sum, gives all ones */
	uint32_t v = ref_sum(f->last + start, sizeof(frame) - start) + 0x1234u;
	v = (v & 0xffff) + (v >> 16);
	assert_int_equal(v, 0xffff);
	/* and nothing outside the checksum field changed */
	f->last[start + off] = frame[start + off];
	f->last[start + off + 1] = frame[start + off + 1];
	assert_memory_equal(f->last, frame, sizeof(frame));
}

/*
 * NEEDS_CSUM over data whose sum is all ones folds to 0x0000; the
 * device stores that.  For UDP a zero checksum means "none", and over IPv6
 * it is invalid (RFC 8200 8.1): a Linux receiver on a tap drops the
 * datagram.  Linux's skb_checksum_help() and QEMU store 0xffff instead
 * (CSUM_MANGLED_0), which is the same value in ones' complement.
 */
static void test_tx_csum_zero_for_udp(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[12] = { 0 }, frame[14 + 40 + 8 + 2];
	const unsigned int start = 54, off = 6;   /* UDP after Ethernet + IPv6 */

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x86; frame[13] = 0xdd;
	frame[14] = 0x60;
	frame[14 + 5] = 10;                       /* payload length */
	frame[14 + 6] = 17;                       /* UDP */
	/* pseudo-header sum left 0 in the field; the UDP bytes sum to 0xffff */
	frame[start] = 0xff;
	frame[start + 1] = 0xff;
	hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	put_le16(hdr + 6, start);
	put_le16(hdr + 8, off);
	tx(f, hdr, frame, sizeof(frame));
	assert_int_equal(f->sent, 1);
	unsigned int c = (unsigned int)(f->last[start + off] << 8 | f->last[start + off + 1]);
	if (c != 0xffff)
		fail_msg("UDP checksum stored as 0x%04x; a computed 0 must go out as 0xffff", c);
}

static void test_tx_hostile(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100], hdr[12];
	struct virtio_net_stats st;
	uint32_t head, len;

	make_frame(frame, sizeof(frame), 3);
	/* GSO type although no TSO was offered */
	memset(hdr, 0, 12); hdr[1] = 1;
	tx(f, hdr, frame, sizeof(frame));
	/* unknown header flags */
	memset(hdr, 0, 12); hdr[0] = 0x80;
	tx(f, hdr, frame, sizeof(frame));
	/* checksum start past the end */
	memset(hdr, 0, 12); hdr[0] = 1; put_le16(hdr + 6, 100); put_le16(hdr + 8, 0);
	tx(f, hdr, frame, sizeof(frame));
	/* checksum field straddling the end */
	memset(hdr, 0, 12); hdr[0] = 1; put_le16(hdr + 6, 90); put_le16(hdr + 8, 9);
	tx(f, hdr, frame, sizeof(frame));
	/* huge offset (wrap-around attempt) */
	memset(hdr, 0, 12); hdr[0] = 1; put_le16(hdr + 6, 20); put_le16(hdr + 8, 0xffff);
	tx(f, hdr, frame, sizeof(frame));
	/* a frame shorter than an Ethernet header */
	memset(hdr, 0, 12);
	tx(f, hdr, frame, 10);
	assert_int_equal(f->sent, 0);
	/* a chain shorter than the virtio header */
	{
		uint64_t a = TXHDR_GPA; uint32_t l = 8; uint16_t fl = 0;
		chain(f, VIRTIO_NET_TXQ, 1, &a, &l, &fl);
	}
	/* a writable descriptor in a transmit chain */
	{
		uint64_t a[2] = { TXHDR_GPA, SLOT(10) }; uint32_t l[2] = { 12, 60 };
		uint16_t fl[2] = { 0, VIRTQ_DESC_F_WRITE };
		chain(f, VIRTIO_NET_TXQ, 2, a, l, fl);
	}
	/* a buffer outside guest RAM */
	{
		uint64_t a[2] = { TXHDR_GPA, RAM - 16 }; uint32_t l[2] = { 12, 4096 };
		uint16_t fl[2] = { 0, 0 };
		chain(f, VIRTIO_NET_TXQ, 2, a, l, fl);
	}
	vtest_notify(&f->vt, VIRTIO_NET_TXQ);
	virtio_net_poll(f->n, VIRTIO_NET_TX_BUDGET);
	assert_int_equal(f->sent, 0);
	virtio_net_get_stats(f->n, &st);
	assert_int_equal(st.tx_bad, 9);
	/* every chain came back */
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_TXQ]), 9);
	/* the device still works */
	memset(hdr, 0, 12);
	tx(f, hdr, frame, sizeof(frame));
	assert_int_equal(f->sent, 1);
	for (unsigned int i = 0; i < 10; i++)
		used_next(f, VIRTIO_NET_TXQ, &head, &len);
	assert_false(virtio_pci_status(virtio_net_transport(f->n)) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_tx_budget(void **state)
{
	struct fx *f = *state;
	uint8_t frame[60];
	uint64_t a[2] = { TXHDR_GPA, SLOT(10) };
	uint32_t l[2] = { 12, sizeof(frame) };
	uint16_t fl[2] = { 0, 0 };

	make_frame(frame, sizeof(frame), 4);
	memset(gpa(f, TXHDR_GPA, 12), 0, 12);
	memcpy(gpa(f, SLOT(10), sizeof(frame)), frame, sizeof(frame));
	for (unsigned int i = 0; i < 8; i++)
		chain(f, VIRTIO_NET_TXQ, 2, a, l, fl);
	vtest_notify(&f->vt, VIRTIO_NET_TXQ);
	assert_true(f->kicks > 0);
	assert_int_equal(f->sent, 0);   /* the notify only kicks */
	assert_true(virtio_net_poll(f->n, 3));
	assert_int_equal(f->sent, 3);
	assert_true(virtio_net_poll(f->n, 3));
	assert_false(virtio_net_poll(f->n, 3));
	assert_int_equal(f->sent, 8);
}

static void check_rx(struct fx *f, unsigned int slot, const uint8_t *frame, size_t len,
		     uint16_t nbuf)
{
	uint8_t *h = gpa(f, SLOT(slot), 12 + len);

	assert_int_equal(h[0], 0);
	assert_int_equal(h[1], VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(get_le16(h + 10), nbuf);
	assert_memory_equal(h + 12, frame, len);
}

static void test_rx_single(void **state)
{
	struct fx *f = *state;
	uint8_t frame[300];
	uint32_t head, len;

	/* a driver without mergeable buffers */
	driver_init(f, VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	driver_ok(f);
	make_frame(frame, sizeof(frame), 5);
	post_rx(f, 0, 2048);
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), 0);
	used_next(f, VIRTIO_NET_RXQ, &head, &len);
	assert_int_equal(len, 12 + sizeof(frame));
	check_rx(f, 0, frame, sizeof(frame), 1);
	/* without MRG_RXBUF a frame must fit one buffer: a small one is
	 * returned empty and the frame dropped */
	post_rx(f, 1, 100);
	virtio_net_receive(f->n, frame, sizeof(frame));
	used_next(f, VIRTIO_NET_RXQ, &head, &len);
	assert_int_equal(len, 0);
}

static void test_rx_mergeable(void **state)
{
	struct fx *f = *state;
	uint8_t frame[200], got[200];
	uint32_t head, len, lens[4];

	make_frame(frame, sizeof(frame), 6);
	for (unsigned int i = 0; i < 4; i++)
		post_rx(f, i, 64);
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 4);
	for (unsigned int i = 0; i < 4; i++) {
		used_next(f, VIRTIO_NET_RXQ, &head, &len);
		assert_int_equal(head, i);
		lens[i] = len;
	}
	assert_int_equal(lens[0], 64);
	assert_int_equal(lens[1], 64);
	assert_int_equal(lens[2], 64);
	assert_int_equal(lens[3], 212 - 192);
	uint8_t *h = gpa(f, SLOT(0), 64);
	assert_int_equal(get_le16(h + 10), 4);
	memcpy(got, h + 12, 52);
	memcpy(got + 52, gpa(f, SLOT(1), 64), 64);
	memcpy(got + 116, gpa(f, SLOT(2), 64), 64);
	memcpy(got + 180, gpa(f, SLOT(3), 20), 20);
	assert_memory_equal(got, frame, sizeof(frame));
}

static void test_rx_exhaustion(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100];
	struct virtio_net_stats st;
	uint32_t head, len;
	int r;

	/* no buffers posted: frames wait, up to the bound, then drop */
	for (unsigned int i = 0; i < VIRTIO_NET_PENDING_MAX; i++) {
		make_frame(frame, sizeof(frame), i);
		assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), 0);
	}
	assert_false(virtio_net_can_receive(f->n));
	r = virtio_net_receive(f->n, frame, sizeof(frame));
	assert_int_equal(r, -ENOBUFS);
	virtio_net_get_stats(f->n, &st);
	assert_int_equal(st.rx_queued, VIRTIO_NET_PENDING_MAX);
	assert_int_equal(st.rx_dropped, 1);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 0);
	/* the guest posts buffers: the oldest frames go in, in order */
	for (unsigned int i = 0; i < QSIZE; i++)
		post_rx(f, i, 2048);
	vtest_notify(&f->vt, VIRTIO_NET_RXQ);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), QSIZE);
	for (unsigned int i = 0; i < QSIZE; i++) {
		used_next(f, VIRTIO_NET_RXQ, &head, &len);
		assert_int_equal(len, 112);
		make_frame(frame, sizeof(frame), i);
		check_rx(f, head, frame, sizeof(frame), 1);
	}
	/* room again: the backend is resumed by the next poll, once */
	assert_int_equal(f->resumes, 0);
	virtio_net_poll(f->n, 1);
	assert_int_equal(f->resumes, 1);
	virtio_net_poll(f->n, 1);
	assert_int_equal(f->resumes, 1);
	assert_true(virtio_net_can_receive(f->n));
}

static void test_rx_mergeable_waits_for_room(void **state)
{
	struct fx *f = *state;
	uint8_t frame[200];
	uint32_t head, len;

	make_frame(frame, sizeof(frame), 7);
	post_rx(f, 0, 64);
	/* one 64-byte buffer is not enough: nothing is taken */
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 0);
	post_rx(f, 1, 64);
	post_rx(f, 2, 2048);
	vtest_notify(&f->vt, VIRTIO_NET_RXQ);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 3);
	used_next(f, VIRTIO_NET_RXQ, &head, &len);
	assert_int_equal(head, 0);
	assert_int_equal(get_le16(gpa(f, SLOT(0), 12) + 10), 3);
}

static void test_rx_hostile(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100];
	struct virtio_net_stats st;
	uint32_t head, len;

	make_frame(frame, sizeof(frame), 8);
	/* a readable descriptor in a receive chain */
	{
		uint64_t a = SLOT(0); uint32_t l = 2048; uint16_t fl = 0;
		chain(f, VIRTIO_NET_RXQ, 1, &a, &l, &fl);
	}
	/* a buffer smaller than the header */
	post_rx(f, 1, 4);
	/* a buffer outside guest RAM */
	{
		uint64_t a = RAM + 4096; uint32_t l = 2048; uint16_t fl = VIRTQ_DESC_F_WRITE;
		chain(f, VIRTIO_NET_RXQ, 1, &a, &l, &fl);
	}
	post_rx(f, 3, 2048);
	for (unsigned int i = 0; i < 4; i++)
		virtio_net_receive(f->n, frame, sizeof(frame));
	virtio_net_get_stats(f->n, &st);
	assert_int_equal(st.rx_bad, 3);
	assert_int_equal(st.rx_frames, 1);
	for (unsigned int i = 0; i < 3; i++) {
		used_next(f, VIRTIO_NET_RXQ, &head, &len);
		assert_int_equal(len, 0);
	}
	used_next(f, VIRTIO_NET_RXQ, &head, &len);
	assert_int_equal(len, 112);
	check_rx(f, 3, frame, sizeof(frame), 1);
	/* frames longer than any frame are refused outright */
	assert_int_equal(virtio_net_receive(f->n, frame, VIRTIO_NET_MAX_FRAME + 1), -EINVAL);
	assert_false(virtio_pci_status(virtio_net_transport(f->n)) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_rx_corrupt_ring(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100];

	make_frame(frame, sizeof(frame), 9);
	/* the driver claims more buffers than the ring has */
	put_le16(gpa(f, f->vt.q[0].avail + 2, 2), QSIZE + 5);
	virtio_net_receive(f->n, frame, sizeof(frame));
	assert_true(virtio_pci_status(virtio_net_transport(f->n)) & VIRTIO_STATUS_NEEDS_RESET);
	/* and then it just drops */
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), -ENOBUFS);
	assert_true(virtio_net_can_receive(f->n));
}

static void test_rx_before_driver_ok(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100];

	make_frame(frame, sizeof(frame), 10);
	driver_init(f, 0);
	post_rx(f, 0, 2048);
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), -ENOBUFS);
	assert_true(virtio_net_can_receive(f->n));
	driver_ok(f);
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 1);
}

static void test_reset_drops_pending(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100];
	struct virtio_net_stats st;

	make_frame(frame, sizeof(frame), 11);
	for (unsigned int i = 0; i < 5; i++)
		virtio_net_receive(f->n, frame, sizeof(frame));
	driver_init(f, 0);   /* status 0: a reset */
	driver_ok(f);
	post_rx(f, 0, 2048);
	vtest_notify(&f->vt, VIRTIO_NET_RXQ);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 0);
	virtio_net_get_stats(f->n, &st);
	assert_int_equal(st.rx_frames, 0);
}

static void test_snapshot(void **state)
{
	struct fx *f = *state;
	struct snap s;

	snap_init_save(&s);
	assert_int_equal(virtio_net_snapshot(f->n, &s), 0);
	struct snap l;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtio_net_snapshot(f->n, &l), 0);
	snap_free(&s);
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 12);
	post_rx(f, 0, 2048);
	assert_int_equal(virtio_net_receive(f->n, frame, sizeof(frame)), 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[VIRTIO_NET_RXQ]), 1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	cmocka_unit_test_setup_teardown(test_tx_plain, setup, teardown),
	cmocka_unit_test_setup_teardown(test_tx_needs_csum, setup, teardown),
	cmocka_unit_test_setup_teardown(test_tx_csum_zero_for_udp, setup, teardown),
	cmocka_unit_test_setup_teardown(test_tx_hostile, setup, teardown),
	cmocka_unit_test_setup_teardown(test_tx_budget, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_single, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_exhaustion, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_mergeable_waits_for_room, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_hostile, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_corrupt_ring, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_before_driver_ok, setup, teardown),
	cmocka_unit_test_setup_teardown(test_reset_drops_pending, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
};

UNIT_SUITE(virtio_net, tests);
