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
	net_backend_destroy(sc.b);
	net_nic_free(&nic);
	evloop_destroy(el);
	return 0;
}
