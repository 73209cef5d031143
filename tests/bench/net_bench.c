/*
 * net_bench.c - the host side of the user network alone, with no guest:
 * Ethernet frames carrying UDP datagrams (1400-byte payloads) from the
 * "guest" 10.0.2.15 to the host address 10.0.2.2 go through
 * net_backend_send() into libslirp, which NATs them onto a host socket;
 * a receiver thread on 127.0.0.1 counts what arrives.  The reference,
 * measured in the same run, is the same datagrams sent straight from one
 * host UDP socket to the same receiver.  Prints figures and the ratio;
 * never a verdict.  (Guests run interpreted on the CI machines, so a
 * guest-to-host figure would measure the CPU emulator, not this path.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "vmm/evloop.h"

#define PAYLOAD 1400

struct rx {
	int fd;
	volatile int stop;
	uint64_t bytes, dgrams;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *rx_thread(void *opaque)
{
	struct rx *r = opaque;
	char buf[65536];

	while (!r->stop) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			r->bytes += (uint64_t)n;
			r->dgrams++;
		}
	}
	return NULL;
}

static void ignore_frame(void *opaque, const uint8_t *frame, size_t len)
{
	(void)opaque; (void)frame; (void)len;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t udp_frame(uint8_t *f, uint16_t dport)
{
	static const uint8_t gmac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t smac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	size_t ulen = 8 + PAYLOAD, ilen = 20 + ulen;
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, 14 + ilen);
	memcpy(f, smac, 6);
	memcpy(f + 6, gmac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ilen >> 8); ip[3] = (uint8_t)ilen;
	ip[8] = 64; ip[9] = 17;
	inet_pton(AF_INET, "10.0.2.15", ip + 12);
	inet_pton(AF_INET, "10.0.2.2", ip + 16);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	udp[0] = 5000 >> 8; udp[1] = 5000 & 0xff;
	udp[2] = (uint8_t)(dport >> 8); udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8); udp[5] = (uint8_t)ulen;
	for (size_t i = 0; i < PAYLOAD; i++)
		udp[8 + i] = (uint8_t)i;
	return 14 + ilen;
}

/* Runs a receiver, calls send_fn n times, waits for stragglers. */
static void measure(const char *what, unsigned long n, int rfd,
		    void (*send_fn)(void *ctx), void *ctx, double *mbps_out)
{
	struct rx r = { .fd = rfd };
	pthread_t th;
	struct timeval tv = { .tv_usec = 100000 };
	double t0, t1;

	setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_create(&th, NULL, rx_thread, &r);
	t0 = now();
	for (unsigned long i = 0; i < n; i++)
		send_fn(ctx);
	t1 = now();
	usleep(300000);
	r.stop = 1;
	pthread_join(th, NULL);
	double secs = t1 - t0;
	double mbps = (double)r.bytes / secs / 1e6;
	printf("%-34s %8lu sent %8lu received %8.1f MB/s %9.0f datagrams/s (%.2f s)\n", what, n,
	       (unsigned long)r.dgrams, mbps, (double)r.dgrams / secs, secs);
	*mbps_out = mbps;
}

struct slirp_ctx {
	struct net_backend *b;
	uint8_t frame[2048];
	size_t len;
};

static void send_slirp(void *opaque)
{
	struct slirp_ctx *c = opaque;
	net_backend_send(c->b, c->frame, c->len);
}

struct direct_ctx {
	int fd;
	struct sockaddr_in to;
	uint8_t payload[PAYLOAD];
};

static void send_direct(void *opaque)
{
	struct direct_ctx *c = opaque;
	sendto(c->fd, c->payload, sizeof(c->payload), 0, (struct sockaddr *)&c->to,
	       sizeof(c->to));
}


/* --- TCP: a minimal guest-side sender ------------------------------------- */

#define MSS 1460
#define GPORT 40000

struct tcpg {
	struct net_backend *b;
	struct evloop *el;
	uint16_t hport;
	uint32_t iss, snd_una, snd_nxt, rcv_nxt;
	uint32_t wnd;
	int state;           /* 0 SYN sent, 1 established */
	uint8_t frame[2048];
	uint8_t data[MSS];
};

static const uint8_t GMAC_[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void tcp_send(struct tcpg *t, uint8_t flags, uint32_t seq, const uint8_t *d, size_t n)
{
	uint8_t *f = t->frame, *ip = f + 14, *tc = ip + 20;
	size_t ilen = 20 + 20 + n;

	memset(f, 0, 14 + 40);
	memset(f, 0x52, 6);
	memcpy(f + 6, GMAC_, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	put16(ip + 2, (uint32_t)ilen);
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, "10.0.2.15", ip + 12);
	inet_pton(AF_INET, "10.0.2.2", ip + 16);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	put16(tc, GPORT);
	put16(tc + 2, t->hport);
	put32(tc + 4, seq);
	put32(tc + 8, t->rcv_nxt);
	tc[12] = 5 << 4;
	tc[13] = flags;
	put16(tc + 14, 65535);
	if (n)
		memcpy(tc + 20, d, n);
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0; ph[9] = 6;
	put16(ph + 10, (uint32_t)(20 + n));
	put16(tc + 16, fold(sum16(tc, 20 + n, sum16(ph, 12, 0))));
	net_backend_send(t->b, f, 14 + ilen);
}

static void tcp_frame(void *opaque, const uint8_t *f, size_t len)
{
	struct tcpg *t = opaque;
	const uint8_t *ip = f + 14, *tc;

	if (len < 54 || f[12] != 0x08 || f[13] != 0 || ip[9] != 6)
		return;
	tc = ip + (ip[0] & 15) * 4;
	if ((tc[0] << 8 | tc[1]) != t->hport || (tc[2] << 8 | tc[3]) != GPORT)
		return;
	uint8_t fl = tc[13];
	if (t->state == 0 && (fl & 0x12) == 0x12) {      /* SYN+ACK */
		t->rcv_nxt = get32(tc + 4) + 1;
		t->snd_una = get32(tc + 8);
		t->wnd = (uint32_t)(tc[14] << 8 | tc[15]);
		t->state = 1;
		evloop_stop(t->el);
		return;
	}
	if (fl & 0x10) {
		uint32_t ack = get32(tc + 8);
		if ((int32_t)(ack - t->snd_una) >= 0)
			t->snd_una = ack;
		uint32_t old = t->wnd;
		t->wnd = (uint32_t)(tc[14] << 8 | tc[15]);
		if (t->wnd > old)
			evloop_stop(t->el);
	}
}

static void stop_timer(void *opaque)
{
	evloop_stop(opaque);
}

struct tsrv {
	int lfd;
	uint64_t want, got;
	double t_end;
};

static void *tsrv_thread(void *opaque)
{
	struct tsrv *s = opaque;
	char buf[1 << 16];
	int c = accept(s->lfd, NULL, NULL);

	while (c >= 0 && s->got < s->want) {
		ssize_t n = read(c, buf, sizeof(buf));
		if (n <= 0)
			break;
		s->got += (uint64_t)n;
	}
	s->t_end = now();
	if (c >= 0)
		close(c);
	return NULL;
}

static int tsrv_listen(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Guest -> host TCP through slirp, total bytes; MB/s or -1. */
static double tcp_slirp(uint64_t total)
{
	struct evloop *el;
	struct nic_config nic;
	char why[256], err[512];
	struct tcpg *t = calloc(1, sizeof(*t));
	struct tsrv srv = { .want = total };
	pthread_t th;

	if (!t || evloop_create(&el) < 0 || net_nic_parse("user", &nic, why, sizeof(why)) < 0)
		return -1;
	srv.lfd = tsrv_listen(&t->hport);
	struct net_backend_params p = { .nic = &nic, .vm_name = "bench", .el = el,
					.cb = { tcp_frame, NULL, t } };
	if (net_backend_create(&p, &t->b, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	t->el = el;
	struct evloop_timer *tm = evloop_timer_new(el, stop_timer, el);
	pthread_create(&th, NULL, tsrv_thread, &srv);
	/* ARP first, so slirp knows where 10.0.2.15 is */
	uint8_t a[42] = { 0 };
	memset(a, 0xff, 6);
	memcpy(a + 6, GMAC_, 6);
	a[12] = 8; a[13] = 6; a[15] = 1; a[16] = 8; a[18] = 6; a[19] = 4; a[21] = 1;
	memcpy(a + 22, GMAC_, 6);
	inet_pton(AF_INET, "10.0.2.15", a + 28);
	inet_pton(AF_INET, "10.0.2.2", a + 38);
	net_backend_send(t->b, a, sizeof(a));
	t->iss = 1000;
	tcp_send(t, 0x02, t->iss, NULL, 0);                /* SYN */
	for (int i = 0; i < 50 && t->state == 0; i++) {
		evloop_timer_arm(tm, 100000000ULL, 0);
		evloop_run(el);
	}
	if (t->state != 1) {
		fprintf(stderr, "TCP: no SYN+ACK from slirp\n");
		return -1;
	}
	t->snd_nxt = t->iss + 1;
	tcp_send(t, 0x10, t->snd_nxt, NULL, 0);           /* ACK */
	memset(t->data, 'x', sizeof(t->data));
	double t0 = now();
	uint64_t sent = 0;
	while (sent < total) {
		uint32_t inflight = t->snd_nxt - t->snd_una;
		if (inflight + MSS <= t->wnd) {
			size_t n = (size_t)(total - sent < MSS ? total - sent : MSS);
			tcp_send(t, 0x18, t->snd_nxt, t->data, n);  /* PSH|ACK */
			t->snd_nxt += (uint32_t)n;
			sent += n;
			continue;
		}
		/* window full: let slirp write to the host socket */
		evloop_timer_arm(tm, 50000000ULL, 0);
		evloop_run(el);
		if (t->snd_una == t->snd_nxt - inflight && t->wnd == 0 && now() - t0 > 30)
			break;
	}
	while (srv.got < total && now() - t0 < 60) {
		evloop_timer_arm(tm, 10000000ULL, 0);
		evloop_run(el);
	}
	pthread_join(th, NULL);
	double secs = srv.t_end - t0;
	double mbps = (double)srv.got / secs / 1e6;
	printf("%-34s %8.1f MB/s (%llu bytes in %.2f s)\n", "TCP guest frames -> slirp -> host",
	       mbps, (unsigned long long)srv.got, secs);
	evloop_timer_free(tm);
	close(srv.lfd);
	net_backend_destroy(t->b);
	net_nic_free(&nic);
	evloop_destroy(el);
	free(t);
	return mbps;
}

/* The reference: the same bytes over a plain loopback TCP connection. */
static double tcp_direct(uint64_t total)
{
	struct tsrv srv = { .want = total };
	uint16_t port;
	pthread_t th;
	char buf[MSS];

	srv.lfd = tsrv_listen(&port);
	pthread_create(&th, NULL, tsrv_thread, &srv);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	memset(buf, 'x', sizeof(buf));
	double t0 = now();
	for (uint64_t s = 0; s < total;) {
		size_t n = (size_t)(total - s < MSS ? total - s : MSS);
		ssize_t w = write(c, buf, n);
		if (w <= 0)
			break;
		s += (uint64_t)w;
	}
	pthread_join(th, NULL);
	close(c);
	close(srv.lfd);
	double mbps = (double)srv.got / (srv.t_end - t0) / 1e6;
	printf("%-34s %8.1f MB/s (%d-byte writes)\n", "TCP direct loopback (reference)", mbps,
	       MSS);
	return mbps;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int rfd = socket(AF_INET, SOCK_DGRAM, 0), big = 8 << 20;
	struct evloop *el;
	struct nic_config nic;
	char why[256], err[512];
	double ms, md;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(rfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(rfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(rfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("bind");
		return 1;
	}
	if (evloop_create(&el) < 0 || net_nic_parse("user", &nic, why, sizeof(why)) < 0)
		return 1;
	struct slirp_ctx sc;
	struct net_backend_params p = { .nic = &nic, .vm_name = "bench", .el = el,
					.cb = { ignore_frame, NULL, NULL } };
	if (net_backend_create(&p, &sc.b, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sc.len = udp_frame(sc.frame, ntohs(sa.sin_port));

	struct direct_ctx dc = { .fd = socket(AF_INET, SOCK_DGRAM, 0), .to = sa };
	memset(dc.payload, 7, sizeof(dc.payload));
	printf("UDP, %d-byte payloads, to a receiver on 127.0.0.1:%u\n", PAYLOAD,
	       ntohs(sa.sin_port));
	measure("direct host socket (reference)", n, rfd, send_direct, &dc, &md);
	measure("guest frame -> slirp -> host", n, rfd, send_slirp, &sc, &ms);
	printf("ratio slirp/direct: %.2f\n", md > 0 ? ms / md : 0.0);
	uint64_t tbytes = (uint64_t)n * PAYLOAD;
	double td = tcp_direct(tbytes), ts = tcp_slirp(tbytes);
	printf("TCP ratio slirp/direct: %.2f\n", td > 0 && ts > 0 ? ts / td : 0.0);
	net_backend_destroy(sc.b);
	net_nic_free(&nic);
	evloop_destroy(el);
	return 0;
}
