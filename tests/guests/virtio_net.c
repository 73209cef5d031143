/*
 * virtio_net.c - test mode `virtionet`: a minimal virtio-net driver and
 * just enough of IPv4 to talk to the user network (slirp) on the other
 * side of ttyvm's virtio-net.
 *
 * Finds the first modern virtio-net function (1AF4:1041), negotiates
 * VERSION_1 and MAC (no mergeable buffers: each receive buffer holds a
 * frame), posts receive buffers on queue 0 and sends on queue 1, polling.
 * Then:
 *   ARP who-has 10.0.2.2            -> "virtionet: arp 10.0.2.2 is-at MAC"
 *   DHCP DISCOVER                   -> "virtionet: dhcp offer A.B.C.D"
 *   with tk.http=PORT: a TCP connection to the host's 10.0.2.2:PORT (slirp
 *   connects it to 127.0.0.1:PORT), "GET /tk.txt HTTP/1.0", the reply read
 *   to FIN                          -> "virtionet: http HTTP/1.0 200 OK"
 *                                      "virtionet: http body FIRST-LINE"
 *   a TCP echo server on 10.0.2.15:7 (answers ARP for 10.0.2.15, SYN,
 *   data - echoed back - and FIN)   -> "virtionet: tcp echo bytes=N"
 * or "virtionet: FAIL ..." for whatever did not happen within its time.
 * Mode `virtionetflood` instead sends UDP frames to 10.0.2.2:9 as fast as
 * it can for a while ("virtionet: flood frames=N"); every 100 ms of it,
 * vbe_mark() repaints a corner of the screen when mode vbe ran before
 * (tk.test=vbe,virtionetflood), so a viewer sees pixels change.
 */
#include "tk.h"

#define VIRTIO_NET_MODERN 0x1041

#define QSIZE 8
#define BUFSZ 2048
#define HDR 12

struct vq_avail { u16 flags; u16 idx; u16 ring[QSIZE]; u16 used_event; };
struct vq_used { u16 flags; u16 idx; struct vq_used_elem ring[QSIZE]; u16 avail_event; };

struct q {
	struct vq_desc desc[QSIZE] __attribute__((aligned(16)));
	struct vq_avail avail __attribute__((aligned(2)));
	struct vq_used used __attribute__((aligned(4)));
	u16 next_avail, last_used, noff;
};

static struct q rxq __attribute__((aligned(4096))), txq __attribute__((aligned(4096)));
static u8 rxbuf[QSIZE][BUFSZ] __attribute__((aligned(4096)));
static u8 txbuf[BUFSZ] __attribute__((aligned(4096)));
static struct virtio_pci vp;
static u8 mymac[6];
static const u8 myip[4] = { 10, 0, 2, 15 }, hostip[4] = { 10, 0, 2, 2 };
unsigned int tk_http_port;

static int q_setup(struct q *q, u16 idx)
{
	int noff = virtio_pci_queue(&vp, idx, QSIZE, q->desc, &q->avail, &q->used);

	q->noff = (u16)noff;
	return noff;
}

static void q_kick(struct q *q, u16 idx)
{
	virtio_pci_kick(&vp, q->noff, idx);
}

static void rx_post(u16 i)
{
	rxq.desc[i] = (struct vq_desc){ (u64)(uptr)rxbuf[i], BUFSZ, 2, 0 };
	rxq.avail.ring[rxq.next_avail % QSIZE] = i;
	barrier();
	rxq.next_avail++;
	rxq.avail.idx = rxq.next_avail;
	barrier();
	q_kick(&rxq, 0);
}

/* One frame out (frame at txbuf + HDR, len bytes); waits until taken. */
static int tx(u32 len)
{
	struct deadline d;
	memset(txbuf, 0, HDR);
	txq.desc[0] = (struct vq_desc){ (u64)(uptr)txbuf, HDR + len, 0, 0 };
	u16 before = txq.used.idx;
	txq.avail.ring[txq.next_avail % QSIZE] = 0;
	barrier();
	txq.next_avail++;
	txq.avail.idx = txq.next_avail;
	barrier();
	q_kick(&txq, 1);
	deadline_start(&d, 5000);
	while (*(volatile u16 *)&txq.used.idx == before) {
		if (deadline_expired(&d))
			return -1;
		cpu_relax();
	}
	return 0;
}

/* The next received frame (pointer and length), or 0 within ms. */
static u8 *rx(u32 *len, u16 *slot, u32 ms)
{
	struct deadline d;
	deadline_start(&d, ms);
	while (*(volatile u16 *)&rxq.used.idx == rxq.last_used) {
		if (deadline_expired(&d))
			return NULL;
		cpu_relax();
	}
	barrier();
	struct vq_used_elem *e = &rxq.used.ring[rxq.last_used % QSIZE];
	rxq.last_used++;
	*slot = (u16)e->id;
	*len = e->len > HDR ? e->len - HDR : 0;
	return rxbuf[e->id % QSIZE] + HDR;
}

static u16 be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static void pbe16(u8 *p, u32 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static void pbe32(u8 *p, u32 v) { pbe16(p, v >> 16); pbe16(p + 2, v); }

static u32 sum(const u8 *p, u32 n, u32 s)
{
	for (u32 i = 0; i + 1 < n; i += 2)
		s += (u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (u32)p[n - 1] << 8;
	return s;
}

static u16 fold(u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (u16)~s;
}

static void eth(u8 *f, const u8 *dst, u16 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, mymac, 6);
	pbe16(f + 12, type);
}

static u32 arp(u8 *f, u16 op, const u8 *tha, const u8 *tip)
{
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	eth(f, op == 1 ? bcast : tha, 0x0806);
	u8 *a = f + 14;
	pbe16(a, 1); pbe16(a + 2, 0x0800); a[4] = 6; a[5] = 4; pbe16(a + 6, op);
	memcpy(a + 8, mymac, 6);
	memcpy(a + 14, myip, 4);
	memcpy(a + 18, op == 1 ? (const u8 *)"\0\0\0\0\0\0" : tha, 6);
	memcpy(a + 24, tip, 4);
	return 42;
}

/* An IPv4 header at f+14 for proto and payload n; returns total frame length. */
static u32 ip4(u8 *f, const u8 *dmac, const u8 *src, const u8 *dst, u8 proto, u32 n)
{
	u8 *ip = f + 14;
	eth(f, dmac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45; pbe16(ip + 2, 20 + n); ip[8] = 64; ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	pbe16(ip + 10, fold(sum(ip, 20, 0)));
	return 14 + 20 + n;
}

static u8 hostmac[6];

static int do_arp(void)
{
	u8 *f = txbuf + HDR, *r;
	u32 len;
	u16 slot;

	if (tx(arp(f, 1, NULL, hostip)) < 0)
		return -1;
	for (int tries = 0; tries < 8; tries++) {
		r = rx(&len, &slot, 5000);
		if (!r)
			return -1;
		int ok = len >= 42 && be16(r + 12) == 0x0806 && be16(r + 20) == 2 &&
			 !memcmp(r + 28, hostip, 4);
		if (ok)
			memcpy(hostmac, r + 22, 6);
		rx_post(slot);
		if (ok)
			return 0;
	}
	return -1;
}

static int do_dhcp(u8 *yi)
{
	static const u8 zero[4], bc[4] = { 255, 255, 255, 255 };
	static const u8 bmac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	u8 *f = txbuf + HDR, *udp = f + 34, *bp = udp + 8, *r;
	u32 blen = 244, len;
	u16 slot;

	memset(udp, 0, 8 + blen);
	pbe16(udp, 68); pbe16(udp + 2, 67); pbe16(udp + 4, 8 + blen);
	bp[0] = 1; bp[1] = 1; bp[2] = 6;
	pbe32(bp + 4, 0x7e57c0de);
	memcpy(bp + 28, mymac, 6);
	pbe32(bp + 236, 0x63825363);
	bp[240] = 53; bp[241] = 1; bp[242] = 1; bp[243] = 255;
	if (tx(ip4(f, bmac, zero, bc, 17, 8 + blen)) < 0)
		return -1;
	for (int tries = 0; tries < 8; tries++) {
		r = rx(&len, &slot, 5000);
		if (!r)
			return -1;
		int ok = len > 282 && be16(r + 12) == 0x0800 && r[23] == 17 &&
			 be16(r + 36) == 68 && be32(r + 42 + 4) == 0x7e57c0de;
		if (ok)
			memcpy(yi, r + 42 + 16, 4);
		rx_post(slot);
		if (ok)
			return 0;
	}
	return -1;
}

static u32 tcp_seg(u8 *f, const u8 *dmac, const u8 *dip, u16 sport, u16 dport, u32 seq,
		   u32 ack, u8 flags, const u8 *data, u32 n)
{
	u8 *t = f + 34, ph[12];
	memset(t, 0, 20);
	pbe16(t, sport); pbe16(t + 2, dport); pbe32(t + 4, seq); pbe32(t + 8, ack);
	t[12] = 5 << 4; t[13] = flags; pbe16(t + 14, 8192);
	if (n)
		memcpy(t + 20, data, n);
	memcpy(ph, myip, 4);
	memcpy(ph + 4, dip, 4);
	ph[8] = 0; ph[9] = 6; pbe16(ph + 10, 20 + n);
	pbe16(t + 16, fold(sum(t, 20 + n, sum(ph, 12, 0))));
	return ip4(f, dmac, myip, dip, 6, 20 + n);
}

/* One TCP segment addressed to us, parsed. */
struct seg {
	u8 smac[6], sip[4];
	u16 sport;
	u32 seq, ack, n;
	u8 flags;
	u8 data[1500];
};

/*
 * The next TCP segment to 10.0.2.15:lport within ms, answering ARP
 * requests for our address on the way; 0, or -1 when none came.
 */
static int rx_tcp(u16 lport, struct seg *s, u32 ms)
{
	struct deadline d;

	deadline_start(&d, ms);
	while (!deadline_expired(&d)) {
		u32 len;
		u16 slot;
		u8 *r = rx(&len, &slot, 100), *f = txbuf + HDR;
		if (!r)
			continue;
		if (len >= 42 && be16(r + 12) == 0x0806 && be16(r + 20) == 1 &&
		    !memcmp(r + 38, myip, 4)) {
			u8 sha[6], sip[4];
			memcpy(sha, r + 22, 6);
			memcpy(sip, r + 28, 4);
			rx_post(slot);
			tx(arp(f, 2, sha, sip));
			continue;
		}
		if (len < 54 || be16(r + 12) != 0x0800 || r[23] != 6 || memcmp(r + 30, myip, 4)) {
			rx_post(slot);
			continue;
		}
		u32 ihl = (r[14] & 15) * 4, tot = be16(r + 16);
		u8 *t = r + 14 + ihl;
		u32 thl = (t[12] >> 4) * 4;
		if (ihl < 20 || thl < 20 || tot < ihl + thl || 14 + tot > len ||
		    be16(t + 2) != lport) {
			rx_post(slot);
			continue;
		}
		s->n = tot - ihl - thl;
		if (s->n > sizeof(s->data))
			s->n = 0;
		memcpy(s->data, t + thl, s->n);
		memcpy(s->smac, r + 6, 6);
		memcpy(s->sip, r + 26, 4);
		s->sport = be16(t);
		s->seq = be32(t + 4);
		s->ack = be32(t + 8);
		s->flags = t[13];
		rx_post(slot);
		return 0;
	}
	return -1;
}

/* Serves one TCP connection to port 7: echoes until FIN.  Bytes, or -1. */
static long tcp_echo(u32 ms)
{
	static struct seg s;
	struct deadline d;
	u32 my_seq = 5000, rcv_nxt = 0;
	long bytes = 0;
	int open = 0;

	deadline_start(&d, ms);
	while (!deadline_expired(&d)) {
		u8 *f = txbuf + HDR;
		if (rx_tcp(7, &s, 1000) < 0)
			continue;
		if (s.flags & 0x02) {                       /* SYN */
			rcv_nxt = s.seq + 1;
			tx(tcp_seg(f, s.smac, s.sip, 7, s.sport, my_seq, rcv_nxt, 0x12, NULL, 0));
			my_seq++;
			open = 1;
			continue;
		}
		if (!open)
			continue;
		if (s.n && s.seq == rcv_nxt) {
			rcv_nxt += s.n;
			bytes += s.n;
			tx(tcp_seg(f, s.smac, s.sip, 7, s.sport, my_seq, rcv_nxt, 0x18, s.data,
				   s.n));
			my_seq += s.n;
		}
		if (s.flags & 0x01) {                       /* FIN */
			rcv_nxt++;
			tx(tcp_seg(f, s.smac, s.sip, 7, s.sport, my_seq, rcv_nxt, 0x11, NULL, 0));
			return bytes;
		}
	}
	return -1;
}

/*
 * An active open to 10.0.2.2:dport from lport, the request sent in one
 * segment, the reply (up to max - 1 bytes kept, NUL-terminated) read in
 * order until the server's FIN.  Bytes received, -1 on a timeout, -2 on
 * a reset (nothing listening: slirp answers the SYN with RST).
 */
static long tcp_fetch(u16 lport, u16 dport, const char *req, char *out, u32 max, u32 ms)
{
	static struct seg s;
	struct deadline d;
	u8 *f = txbuf + HDR;
	u32 snd = 90000, rcv, rn = (u32)strlen(req), kept = 0;
	long got = 0;

	out[0] = 0;
	if (tx(tcp_seg(f, hostmac, hostip, lport, dport, snd, 0, 0x02, NULL, 0)) < 0)
		return -1;
	snd++;
	for (;;) {
		if (rx_tcp(lport, &s, 10000) < 0)
			return -1;
		if (s.flags & 0x04)
			return -2;
		if ((s.flags & 0x12) == 0x12 && s.ack == snd)
			break;
	}
	rcv = s.seq + 1;
	if (tx(tcp_seg(f, hostmac, hostip, lport, dport, snd, rcv, 0x18, (const u8 *)req, rn)) < 0)
		return -1;
	snd += rn;
	deadline_start(&d, ms);
	while (!deadline_expired(&d)) {
		if (rx_tcp(lport, &s, 1000) < 0)
			continue;
		if (s.flags & 0x04)
			return -2;
		if (s.n && s.seq == rcv) {
			u32 k = s.n < max - 1 - kept ? s.n : max - 1 - kept;
			memcpy(out + kept, s.data, k);
			kept += k;
			out[kept] = 0;
			rcv += s.n;
			got += s.n;
		}
		if ((s.flags & 0x01) && s.seq + s.n == rcv) {
			rcv++;
			tx(tcp_seg(f, hostmac, hostip, lport, dport, snd, rcv, 0x11, NULL, 0));
			return got;
		}
		tx(tcp_seg(f, hostmac, hostip, lport, dport, snd, rcv, 0x10, NULL, 0));
	}
	return -1;
}

/* The line at s (up to CR, LF or NUL) into line, at most max - 1 chars. */
static void first_line(const char *s, char *line, uptr max)
{
	uptr i = 0;

	while (s[i] && s[i] != '\r' && s[i] != '\n' && i + 1 < max) {
		line[i] = s[i];
		i++;
	}
	line[i] = 0;
}

/* Prints the status line and the body's first line of an HTTP reply. */
static void http_report(const char *rsp)
{
	char line[128];
	uptr n = strlen(rsp);

	first_line(rsp, line, sizeof(line));
	kprintf("virtionet: http %s\n", line);
	for (uptr k = 0; k + 3 < n; k++) {
		if (!memcmp(rsp + k, "\r\n\r\n", 4)) {
			first_line(rsp + k + 4, line, sizeof(line));
			kprintf("virtionet: http body %s\n", line);
			return;
		}
	}
	kprintf("virtionet: FAIL http reply without a header end\n");
}

static int net_init(void)
{
	u32 bdf;

	if (!virtio_pci_find(VIRTIO_NET_MODERN, &bdf, 1) || virtio_pci_caps(&vp, bdf) < 0) {
		kprintf("virtionet: FAIL no virtio-net device\n");
		return -1;
	}
	virtio_pci_reset(&vp);
	w32(vp.common + COM_GFSELECT, 0);
	w32(vp.common + COM_GF, 1u << 5);            /* MAC */
	w32(vp.common + COM_GFSELECT, 1);
	w32(vp.common + COM_GF, 1u);                 /* VERSION_1 */
	w8(vp.common + COM_STATUS, 1 | 2 | 8);
	if (!(r8(vp.common + COM_STATUS) & 8)) {
		kprintf("virtionet: FAIL features refused\n");
		return -1;
	}
	if (q_setup(&rxq, 0) < 0 || q_setup(&txq, 1) < 0) {
		kprintf("virtionet: FAIL queues smaller than %u\n", QSIZE);
		return -1;
	}
	w8(vp.common + COM_STATUS, 1 | 2 | 4 | 8);
	for (int i = 0; i < 6; i++)
		mymac[i] = r8(vp.devcfg + (u64)i);
	for (u16 i = 0; i < QSIZE; i++)
		rx_post(i);
	kprintf("virtionet: pci=00:%02x.0 mac=%02x:%02x:%02x:%02x:%02x:%02x status=%u\n",
		bdf >> 3, mymac[0], mymac[1], mymac[2], mymac[3], mymac[4], mymac[5],
		r16(vp.devcfg + 6));
	return 0;
}

void virtio_net_test(void)
{
	u8 yi[4];

	if (net_init() < 0)
		return;
	if (do_arp() < 0) {
		kprintf("virtionet: FAIL no ARP reply for 10.0.2.2\n");
		return;
	}
	kprintf("virtionet: arp 10.0.2.2 is-at %02x:%02x:%02x:%02x:%02x:%02x\n", hostmac[0],
		hostmac[1], hostmac[2], hostmac[3], hostmac[4], hostmac[5]);
	if (do_dhcp(yi) < 0) {
		kprintf("virtionet: FAIL no DHCP offer\n");
		return;
	}
	kprintf("virtionet: dhcp offer %u.%u.%u.%u\n", yi[0], yi[1], yi[2], yi[3]);
	if (tk_http_port) {
		static char rsp[1024];
		long n = tcp_fetch(40123, (u16)tk_http_port, "GET /tk.txt HTTP/1.0\r\n\r\n", rsp,
				   sizeof(rsp), 60000);
		if (n < 0)
			kprintf("virtionet: FAIL http fetch from 10.0.2.2:%u (%s)\n", tk_http_port,
				n == -2 ? "reset" : "timeout");
		else
			http_report(rsp);
	}
	kprintf("virtionet: tcp listening on 7\n");
	long n = tcp_echo(120000);
	if (n < 0)
		kprintf("virtionet: FAIL tcp echo\n");
	else
		kprintf("virtionet: tcp echo bytes=%ld\n", n);
}

void virtio_net_flood(void)
{
	static const u8 dmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	struct deadline d, mark;
	u32 frames = 0, marks = 0;

	if (net_init() < 0)
		return;
	u8 *f = txbuf + HDR, *udp = f + 34;
	memset(udp, 0x5a, 8 + 512);
	pbe16(udp, 4000); pbe16(udp + 2, 9); pbe16(udp + 4, 8 + 512); pbe16(udp + 6, 0);
	u32 len = ip4(f, dmac, myip, hostip, 17, 8 + 512);
	kprintf("virtionet: flooding\n");
	deadline_start(&d, 20000);
	deadline_start(&mark, 100);
	while (!deadline_expired(&d) && tx(len) == 0) {
		frames++;
		if (deadline_expired(&mark)) {
			vbe_mark(++marks);
			deadline_start(&mark, 100);
		}
	}
	kprintf("virtionet: flood frames=%u marks=%u\n", frames, marks);
}
