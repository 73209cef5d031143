/*
 * net_slirp_test.c - the user-mode NAT backend with no guest: frames the
 * test writes go into libslirp and its answers come back through the
 * NIC callback.  ARP for the host address, a DHCP DISCOVER answered with
 * an OFFER of 10.0.2.15 (and the bootfile), IPv6 router solicitation
 * answered with an advertisement of fec0::/64 (and not with ipv6=off), a host port forward that a
 * host client connects to (slirp, woken through the event loop, then asks
 * for the guest's MAC), a port in use refused with a clear message, and
 * many connections at once from the guest (more than a small fixed table
 * of sockets would hold) all answered, and a guest opening connections
 * without end stopped before the process runs out of file descriptors.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "util/util.h"
#include "vmm/evloop.h"

static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, (uint16_t)(v >> 16)); put_be16(p + 2, (uint16_t)v); }
static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const uint8_t GMAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct fx {
	struct evloop *el;
	struct net_backend *b;
	struct evloop_timer *stop;
	uint8_t frames[16][1600];
	size_t lens[16];
	unsigned int n;
	uint16_t want_ethertype;
	/* TCP to the guest's ports MANY_PORT..+63: SYN|ACKs (their sequence
	 * numbers) and connections data came on */
	unsigned int synacks, want_synacks, datas, want_datas;
	uint32_t synack_seq[64];
	bool got_data[64];
	unsigned int data_frames;   /* every data segment, retransmits too */
};

#define MANY_PORT 40000

static void fx_receive(void *opaque, const uint8_t *frame, size_t len)
{
	struct fx *f = opaque;

	if (f->n < 16 && len <= sizeof(f->frames[0])) {
		memcpy(f->frames[f->n], frame, len);
		f->lens[f->n++] = len;
	}
	if (f->want_ethertype && len >= 14 &&
	    (frame[12] << 8 | frame[13]) == f->want_ethertype)
		evloop_stop(f->el);
	if (len >= 54 && (frame[12] << 8 | frame[13]) == 0x0800 && frame[23] == 6) {
		const uint8_t *ip = frame + 14, *t = ip + (ip[0] & 15) * 4;
		unsigned int dport = (unsigned int)(t[2] << 8 | t[3]);
		unsigned int paylen = (unsigned int)(ip[2] << 8 | ip[3]) - (unsigned int)(t - ip) -
				      (unsigned int)(t[12] >> 4) * 4;
		if (dport < MANY_PORT || dport >= MANY_PORT + 64 || t + 20 > frame + len)
			return;
		if ((t[13] & 0x12) == 0x12) {
			f->synack_seq[dport - MANY_PORT] = get_be32(t + 4);
			if (++f->synacks == f->want_synacks)
				evloop_stop(f->el);
		} else if (paylen > 0 && paylen < 1500 && (++f->data_frames, 1) &&
			   !f->got_data[dport - MANY_PORT]) {
			f->got_data[dport - MANY_PORT] = true;   /* retransmits count once */
			if (++f->datas == f->want_datas)
				evloop_stop(f->el);
		}
	}
}

static void fx_timeout(void *opaque)
{
	struct fx *f = opaque;
	evloop_stop(f->el);
}

static int fx_open(struct fx *f, const char *spec, char *err, size_t errlen)
{
	static struct nic_config nic;
	char why[256];
	struct net_backend_params p;

	memset(f, 0, sizeof(*f));
	assert_int_equal(evloop_create(&f->el), 0);
	f->stop = evloop_timer_new(f->el, fx_timeout, f);
	assert_non_null(f->stop);
	if (net_nic_parse(spec, &nic, why, sizeof(why)) < 0)
		fail_msg("%s", why);
	memset(&p, 0, sizeof(p));
	p.nic = &nic;
	p.vm_name = "unit";
	memcpy(p.mac, GMAC, 6);
	p.el = f->el;
	p.cb.receive = fx_receive;
	p.cb.opaque = f;
	int r = net_backend_create(&p, &f->b, err, errlen);
	net_nic_free(&nic);
	return r;
}

static void fx_close(struct fx *f)
{
	net_backend_destroy(f->b);
	evloop_timer_free(f->stop);
	evloop_destroy(f->el);
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* 10.0.2.15 (GMAC) asks who has 10.0.2.2: slirp learns the guest's MAC. */
static void arp_request(uint8_t a[42])
{
	memset(a, 0, 42);
	memset(a, 0xff, 6);
	memcpy(a + 6, GMAC, 6);
	a[12] = 0x08; a[13] = 0x06;             /* ARP */
	a[14] = 0; a[15] = 1; a[16] = 8; a[17] = 0; a[18] = 6; a[19] = 4;
	a[21] = 1;                              /* request */
	memcpy(a + 22, GMAC, 6);
	inet_pton(AF_INET, "10.0.2.15", a + 28);
	inet_pton(AF_INET, "10.0.2.2", a + 38);
}

static void test_arp(void **state)
{
	struct fx f;
	uint8_t a[42];
	char err[512];
	(void)state;

	assert_int_equal(fx_open(&f, "user", err, sizeof(err)), 0);
	arp_request(a);
	assert_int_equal(net_backend_send(f.b, a, sizeof(a)), 0);
	assert_int_equal(f.n, 1);
	const uint8_t *r = f.frames[0];
	assert_memory_equal(r, GMAC, 6);        /* to us */
	assert_int_equal(r[21], 2);             /* reply */
	uint8_t host[4];
	inet_pton(AF_INET, "10.0.2.2", host);
	assert_memory_equal(r + 28, host, 4);   /* 10.0.2.2 is at ... */
	fx_close(&f);
}

static void test_dhcp_offer(void **state)
{
	struct fx f;
	uint8_t d[14 + 20 + 8 + 240 + 4];
	char err[512];
	(void)state;

	assert_int_equal(fx_open(&f, "user,bootfile=http://10.0.2.2:8080/boot.ipxe", err,
				 sizeof(err)), 0);
	memset(d, 0, sizeof(d));
	memset(d, 0xff, 6);
	memcpy(d + 6, GMAC, 6);
	d[12] = 0x08;
	uint8_t *ip = d + 14, *udp = ip + 20, *bp = udp + 8;
	size_t blen = 240 + 4;
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + 8 + blen));
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);                 /* 0.0.0.0 -> 255.255.255.255 */
	put_be16(ip + 10, ip_csum(ip, 20));
	put_be16(udp, 68);
	put_be16(udp + 2, 67);
	put_be16(udp + 4, (uint16_t)(8 + blen));  /* checksum 0: none */
	bp[0] = 1; bp[1] = 1; bp[2] = 6;          /* BOOTREQUEST, Ethernet */
	put_be32(bp + 4, 0x1234abcd);             /* xid */
	memcpy(bp + 28, GMAC, 6);                 /* chaddr */
	put_be32(bp + 236, 0x63825363);           /* magic cookie */
	bp[240] = 53; bp[241] = 1; bp[242] = 1;   /* DHCPDISCOVER */
	bp[243] = 255;
	assert_int_equal(net_backend_send(f.b, d, sizeof(d)), 0);
	assert_true(f.n >= 1);
	const uint8_t *r = f.frames[f.n - 1];
	assert_true(f.lens[f.n - 1] > 14 + 20 + 8 + 240);
	const uint8_t *rb = r + 14 + 20 + 8;
	assert_int_equal(rb[0], 2);               /* BOOTREPLY */
	assert_int_equal(get_be32(rb + 4), 0x1234abcd);
	uint8_t yi[4];
	inet_pton(AF_INET, "10.0.2.15", yi);
	assert_memory_equal(rb + 16, yi, 4);      /* yiaddr */
	assert_string_equal((const char *)rb + 108, "http://10.0.2.2:8080/boot.ipxe");
	fx_close(&f);
}

static int listen_backlog(uint16_t *port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, backlog), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return s;
}

static int listen_any(uint16_t *port)
{
	return listen_backlog(port, 1);
}

static void test_hostfwd_port_in_use(void **state)
{
	struct fx f;
	uint16_t port;
	char spec[128], err[512];
	int s = listen_any(&port);
	(void)state;

	snprintf(spec, sizeof(spec), "user,hostfwd=tcp::%u-:22", port);
	assert_int_equal(fx_open(&f, spec, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	char want[64];
	snprintf(want, sizeof(want), "tcp:127.0.0.1:%u", port);
	assert_non_null(strstr(err, want));
	evloop_timer_free(f.stop);
	evloop_destroy(f.el);
	close(s);
}

static void test_hostfwd_connect(void **state)
{
	struct fx f;
	uint16_t port;
	char spec[128], err[512];
	int s = listen_any(&port);
	(void)state;

	close(s);   /* a port that was free a moment ago */
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp::%u-:22", port);
	if (fx_open(&f, spec, err, sizeof(err)))
		fail_msg("%s", err);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = connect(c, (struct sockaddr *)&sa, sizeof(sa));
	assert_true(r == 0 || errno == EINPROGRESS);
	/* slirp accepts on the event loop and asks who 10.0.2.15 is */
	f.want_ethertype = 0x0806;
	evloop_timer_arm(f.stop, 5000000000ULL, 0);
	evloop_run(f.el);
	assert_true(f.n >= 1);
	const uint8_t *a = f.frames[0];
	assert_int_equal(a[12] << 8 | a[13], 0x0806);
	assert_int_equal(a[21], 1);               /* who-has */
	uint8_t g[4];
	inet_pton(AF_INET, "10.0.2.15", g);
	assert_memory_equal(a + 38, g, 4);
	close(c);
	fx_close(&f);
}

/* A TCP segment without data from 10.0.2.15:sport to 10.0.2.2:dport (54 bytes). */
static void tcp_seg(uint8_t t[54], const uint8_t *dmac, uint16_t sport, uint16_t dport,
		    uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *ip = t + 14, *tcp = ip + 20, ph[12 + 20];
	memset(t, 0, 54);
	memcpy(t, dmac, 6);
	memcpy(t + 6, GMAC, 6);
	t[12] = 0x08;
	ip[0] = 0x45;
	put_be16(ip + 2, 40);
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, "10.0.2.15", ip + 12);
	inet_pton(AF_INET, "10.0.2.2", ip + 16);
	put_be16(ip + 10, ip_csum(ip, 20));
	put_be16(tcp, sport);
	put_be16(tcp + 2, dport);
	put_be32(tcp + 4, seq);
	put_be32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put_be16(tcp + 14, 65535);
	memcpy(ph, ip + 12, 8);                   /* pseudo header */
	ph[8] = 0; ph[9] = 6;
	put_be16(ph + 10, 20);
	memcpy(ph + 12, tcp, 20);
	put_be16(tcp + 16, ip_csum(ph, sizeof(ph)));
}

/*
 * Opens the backend for spec and has the guest ARP for 10.0.2.2, so slirp
 * knows the guest's MAC; slirp's own MAC into smac.
 */
static void fx_open_arp(struct fx *f, const char *spec, uint8_t smac[6])
{
	uint8_t a[42];
	char err[512];

	if (fx_open(f, spec, err, sizeof(err)))
		fail_msg("%s", err);
	arp_request(a);
	assert_int_equal(net_backend_send(f->b, a, sizeof(a)), 0);
	assert_true(f->n >= 1);
	memcpy(smac, f->frames[0] + 22, 6);
}

/* n guest SYNs to 10.0.2.2:port from ports first..; how many were refused. */
static unsigned int send_syns(struct fx *f, const uint8_t *smac, uint16_t port,
			      unsigned int first, unsigned int n)
{
	uint8_t seg[54];
	unsigned int refused = 0;

	for (unsigned int i = 0; i < n; i++) {
		tcp_seg(seg, smac, (uint16_t)(first + i), port, 7u * i, 0, 0x02);
		if (net_backend_send(f->b, seg, sizeof(seg)) < 0)
			refused++;
	}
	return refused;
}

/* How many sockets (up to max) the process can still open; all closed again. */
static int files_left(int max)
{
	int fds[128], n = 0;

	assert_true(max <= 128);
	while (n < max && (fds[n] = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
		n++;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return n;
}

/* Sets the soft open-file limit to want (at most the hard limit); the old one into old. */
static void set_nofile(rlim_t want, struct rlimit *old)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
	rl = *old;
	rl.rlim_cur = old->rlim_max != RLIM_INFINITY && old->rlim_max < want ? old->rlim_max : want;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/*
 * 48 connections from the guest at once to a host service: every one is
 * connected (the host accepts 48), answered with a SYN|ACK, and once the
 * guest has acknowledged it, a byte the host writes on each reaches the
 * guest.  A backend that watches only a fixed few of slirp's sockets
 * leaves the data of the others unread.
 */
static void test_many_connections(void **state)
{
	enum { N = 48 };
	struct fx f;
	uint8_t seg[54], smac[6];
	uint16_t port;
	int l = listen_backlog(&port, N + 16), conn[N];
	unsigned int accepted = 0;
	(void)state;

	fx_open_arp(&f, "user", smac);
	assert_int_equal(send_syns(&f, smac, port, MANY_PORT, N), 0);
	f.want_synacks = N;
	evloop_timer_arm(f.stop, 10000000000ULL, 0);
	if (f.synacks < N)
		evloop_run(f.el);
	assert_int_equal(fcntl(l, F_SETFL, O_NONBLOCK), 0);
	while (accepted < N && (conn[accepted] = accept(l, NULL, NULL)) >= 0)
		accepted++;
	if (f.synacks != N || accepted != N)
		fail_msg("%u of %u guest connections answered, %u accepted by the host",
			 f.synacks, N, accepted);
	for (unsigned int i = 0; i < N; i++) {
		tcp_seg(seg, smac, (uint16_t)(MANY_PORT + i), port, 7u * i + 1,
			f.synack_seq[i] + 1, 0x10);       /* ACK: established */
		assert_int_equal(net_backend_send(f.b, seg, sizeof(seg)), 0);
	}
	for (unsigned int i = 0; i < N; i++)
		assert_int_equal(write(conn[i], "x", 1), 1);
	f.want_datas = N;
	evloop_timer_arm(f.stop, 10000000000ULL, 0);
	if (f.datas < N)
		evloop_run(f.el);
	if (f.datas != N)
		fail_msg("data from the host reached the guest on %u of %u connections", f.datas,
			 N);
	for (unsigned int i = 0; i < N; i++)
		close(conn[i]);
	close(l);
	fx_close(&f);
}

/*
 * With the open-file limit at 256, a guest sending 400 SYNs to a host
 * service must leave the process file descriptors to work with: slirp
 * stops taking new connections SLIRP_FD_RESERVE (128) below the limit.
 * Without that, slirp opens sockets until EMFILE, and the VMM could no
 * longer accept a control connection or a viewer.
 */
static void test_connection_flood_keeps_fds(void **state)
{
	enum { N = 400, SPARE = 100 };
	struct rlimit old;
	struct fx f;
	uint8_t smac[6];
	uint16_t port;
	int l = listen_backlog(&port, 1024), opened;
	(void)state;

	set_nofile(256, &old);
	fx_open_arp(&f, "user", smac);
	unsigned int refused = send_syns(&f, smac, port, 20000, N);
	/* the process can still open files: SPARE sockets, as a viewer would */
	opened = files_left(SPARE);
	fx_close(&f);
	close(l);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (opened < SPARE)
		fail_msg("after the guest's %d SYNs the process could open only %d files "
			 "(%u SYNs refused)", N, opened, refused);
	assert_true(refused > 0);
	assert_true(refused < N);   /* connections were taken until the reserve */
}

/*
 * With a high open-file limit (4096), 1200 guest SYNs still leave the
 * next socket the process opens below FD_SETSIZE: libvncserver select()s
 * on its viewers' sockets, and glibc aborts on an FD_SET of fd >= 1024.
 */
static void test_connection_flood_keeps_fds_selectable(void **state)
{
	enum { N = 1200 };
	struct rlimit old;
	struct fx f;
	uint8_t smac[6];
	uint16_t port;
	int l = listen_backlog(&port, 4096), viewer;
	(void)state;

	set_nofile(4096, &old);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 2048) {
		fprintf(stderr, "*** net_slirp: the hard open-file limit is %lu, below 2048: "
			"the FD_SETSIZE guard is NOT tested here\n", (unsigned long)old.rlim_max);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		close(l);
		return;
	}
	fx_open_arp(&f, "user", smac);
	send_syns(&f, smac, port, 20000, N);
	viewer = socket(AF_INET, SOCK_STREAM, 0);
	if (viewer >= 0)
		close(viewer);
	fx_close(&f);
	close(l);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (viewer < 0 || viewer >= FD_SETSIZE)
		fail_msg("after %d guest SYNs a new socket got fd %d (FD_SETSIZE %d)", N, viewer,
			 FD_SETSIZE);
}

/*
 * An ICMPv6 Router Solicitation from the guest's link-local address to
 * ff02::2 (hop limit 255, checksum over the pseudo header), into fr.
 */
static size_t router_solicitation(uint8_t fr[70])
{
	static const uint8_t allrouters[16] = { 0xff, 0x02, [15] = 0x02 };
	uint8_t *ip = fr + 14, *icmp = ip + 40, ph[40 + 8 + 16];
	memset(fr, 0, 70);
	fr[0] = 0x33; fr[1] = 0x33; fr[5] = 0x02;    /* 33:33:00:00:00:02 */
	memcpy(fr + 6, GMAC, 6);
	fr[12] = 0x86; fr[13] = 0xdd;
	ip[0] = 0x60;
	put_be16(ip + 4, 16);                        /* payload: RS + SLLA option */
	ip[6] = 58;                                  /* ICMPv6 */
	ip[7] = 255;
	ip[8] = 0xfe; ip[9] = 0x80;                  /* fe80::5054:ff:fe12:3456 */
	ip[16] = 0x50; ip[17] = 0x54; ip[18] = 0x00; ip[19] = 0xff;
	ip[20] = 0xfe; ip[21] = 0x12; ip[22] = 0x34; ip[23] = 0x56;
	memcpy(ip + 24, allrouters, 16);
	icmp[0] = 133;                               /* Router Solicitation */
	icmp[8] = 1; icmp[9] = 1;                    /* source link-layer address */
	memcpy(icmp + 10, GMAC, 6);
	memcpy(ph, ip + 8, 32);                      /* pseudo header */
	put_be32(ph + 32, 16);
	put_be32(ph + 36, 58);
	memcpy(ph + 40, icmp, 16);
	put_be16(icmp + 2, ip_csum(ph, 56));
	return 14 + 40 + 16;
}

/* The first Router Advertisement among f's frames, or NULL. */
static const uint8_t *find_ra(const struct fx *f)
{
	for (unsigned int i = 0; i < f->n; i++) {
		const uint8_t *r = f->frames[i];
		if (f->lens[i] >= 14 + 40 + 16 && r[12] == 0x86 && r[13] == 0xdd && r[20] == 58 &&
		    r[54] == 134)
			return r;
	}
	return NULL;
}

static void test_ipv6_router_advertisement(void **state)
{
	struct fx f;
	uint8_t rs[70];
	char err[512];
	size_t n = router_solicitation(rs);
	(void)state;

	assert_int_equal(fx_open(&f, "user", err, sizeof(err)), 0);
	assert_int_equal(net_backend_send(f.b, rs, n), 0);
	const uint8_t *ra = find_ra(&f);
	if (!ra) {   /* slirp may answer from its timer */
		f.want_ethertype = 0x86dd;
		evloop_timer_arm(f.stop, 5000000000ULL, 0);
		evloop_run(f.el);
		ra = find_ra(&f);
	}
	assert_non_null(ra);
	assert_int_equal(ra[21], 255);              /* hop limit of NDP */
	/* a prefix information option (type 3) carrying fec0::/64 */
	static const uint8_t fec0[16] = { 0xfe, 0xc0 };
	bool prefix = false;
	size_t plen = (size_t)(ra[18] << 8 | ra[19]);
	for (size_t o = 54 + 16; o + 32 <= 54 + plen && ra[o + 1]; o += (size_t)ra[o + 1] * 8)
		if (ra[o] == 3 && ra[o + 2] == 64 && !memcmp(ra + o + 16, fec0, 16))
			prefix = true;
	assert_true(prefix);
	fx_close(&f);

	/* ipv6=off: nothing answers */
	assert_int_equal(fx_open(&f, "user,ipv6=off", err, sizeof(err)), 0);
	net_backend_send(f.b, rs, n);
	f.want_ethertype = 0x86dd;
	evloop_timer_arm(f.stop, 1500000000ULL, 0);
	evloop_run(f.el);
	assert_null(find_ra(&f));
	fx_close(&f);
}

/*
 * restrict=on: a guest SYN to a host service gets no answer and the host
 * sees no connection, while a host port forward still reaches the guest
 * (slirp asks for the guest's MAC to deliver it).  The same SYN without
 * restrict is answered (the control half, so the test can fail).
 */
static void test_restrict(void **state)
{
	struct fx f;
	uint8_t smac[6];
	uint16_t port, fport;
	char spec[128];
	int l = listen_backlog(&port, 4), fl = listen_any(&fport), c;
	(void)state;

	close(fl);   /* a free port for the forward */
	assert_int_equal(fcntl(l, F_SETFL, O_NONBLOCK), 0);
	for (int restricted = 0; restricted < 2; restricted++) {
		snprintf(spec, sizeof(spec), "user%s,hostfwd=tcp::%u-:22",
			 restricted ? ",restrict=on" : "", fport);
		fx_open_arp(&f, spec, smac);
		send_syns(&f, smac, port, MANY_PORT, 1);
		f.want_synacks = 1;
		evloop_timer_arm(f.stop, restricted ? 1500000000ULL : 5000000000ULL, 0);
		if (f.synacks < 1)
			evloop_run(f.el);
		c = accept(l, NULL, NULL);
		if (c >= 0)
			close(c);
		if (!restricted) {
			assert_int_equal(f.synacks, 1);
			assert_true(c >= 0);
			fx_close(&f);
			continue;
		}
		assert_int_equal(f.synacks, 0);
		assert_true(c < 0);
		/* the forward still works: a host client makes slirp look for the guest */
		int h = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(fport) };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_true(connect(h, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
			    errno == EINPROGRESS);
		f.n = 0;
		f.want_ethertype = 0x0800;   /* the SYN for the guest's port 22 */
		evloop_timer_arm(f.stop, 5000000000ULL, 0);
		evloop_run(f.el);
		bool syn = false;
		for (unsigned int i = 0; i < f.n; i++) {
			const uint8_t *r = f.frames[i];
			syn |= f.lens[i] >= 54 && r[12] == 0x08 && r[13] == 0x00 && r[23] == 6 &&
			       (r[36] << 8 | r[37]) == 22 && (r[47] & 0x12) == 0x02;
		}
		assert_true(syn);
		close(h);
		fx_close(&f);
	}
	close(l);
}

/*
 * frames that make slirp open a host socket but that
 * slirp_frame_opens_socket() does not recognise.  kind 0: a UDP datagram
 * to port 67 of an address that is not slirp's (udp_input only answers
 * DHCP itself for the virtual host or broadcast; anything else gets a
 * socket); kind 1: an ICMP echo request without payload (a 42-byte frame,
 * "ping -s 0"); kind 2: a TCP SYN in two IPv4 fragments, the flags in the
 * second (slirp reassembles).  All go to 127.0.0.1: nothing leaves the host.
 * Fills out[] (up to 2 frames of at most 60 bytes); returns how many.
 */
static unsigned int bypass_frames(int kind, const uint8_t *smac, unsigned int i, uint16_t tport,
				  uint8_t out[2][60], size_t lens[2])
{
	uint8_t *t = out[0], *ip = t + 14;
	memset(out, 0, 2 * 60);
	memcpy(t, smac, 6);
	memcpy(t + 6, GMAC, 6);
	t[12] = 0x08;
	ip[0] = 0x45;
	ip[4] = (uint8_t)(i >> 8); ip[5] = (uint8_t)i;   /* IP id */
	ip[8] = 64;
	inet_pton(AF_INET, "10.0.2.15", ip + 12);
	inet_pton(AF_INET, "127.0.0.1", ip + 16);
	if (kind == 0) {
		uint8_t *u = ip + 20;
		put_be16(ip + 2, 20 + 8 + 18);
		ip[9] = 17;
		put_be16(u, (uint16_t)(20000 + i));
		put_be16(u + 2, 67);
		put_be16(u + 4, 8 + 18);                 /* checksum 0: none */
		put_be16(ip + 10, ip_csum(ip, 20));
		lens[0] = 14 + 20 + 8 + 18;              /* 60: a minimum frame */
		return 1;
	}
	if (kind == 1) {
		uint8_t *c = ip + 20;
		put_be16(ip + 2, 20 + 8);
		ip[9] = 1;
		c[0] = 8;                                /* echo request */
		put_be16(c + 4, (uint16_t)(1000 + i));
		put_be16(c + 6, (uint16_t)i);
		put_be16(c + 2, ip_csum(c, 8));
		put_be16(ip + 10, ip_csum(ip, 20));
		lens[0] = 14 + 20 + 8;
		return 1;
	}
	/* kind 2: the SYN tcp_seg() would make, split 8 + 12 bytes */
	uint8_t seg[54];
	tcp_seg(seg, smac, (uint16_t)(20000 + i), tport, 7u * i, 0, 0x02);
	/* tcp_seg addresses 10.0.2.2: keep that (slirp maps it to the host) */
	memcpy(out[1], out[0], 34);
	uint8_t *ip2 = out[1] + 14;
	memcpy(ip + 16, seg + 30, 4);
	memcpy(ip2 + 16, seg + 30, 4);
	ip[9] = ip2[9] = 6;
	put_be16(ip + 2, 20 + 8);
	ip[6] = 0x20;                                    /* MF, offset 0 */
	memcpy(ip + 20, seg + 34, 8);
	put_be16(ip + 10, ip_csum(ip, 20));
	put_be16(ip2 + 2, 20 + 12);
	ip2[7] = 1;                                      /* offset 8 bytes, last */
	memcpy(ip2 + 20, seg + 42, 12);
	put_be16(ip2 + 10, ip_csum(ip2, 20));
	lens[0] = 14 + 28;
	lens[1] = 14 + 32;
	return 2;
}

static void fd_guard_bypass(int kind)
{
	enum { N = 400, SPARE = 100 };
	static const char *const what[] = { "UDP datagrams to port 67", "42-byte ICMP echo requests",
					    "fragmented TCP SYNs" };
	struct rlimit old;
	struct fx f;
	uint8_t smac[6], fr[2][60];
	size_t lens[2];
	uint16_t port;
	int l = listen_backlog(&port, 1024), opened;
	unsigned int refused = 0;

	set_nofile(256, &old);
	fx_open_arp(&f, "user", smac);
	for (unsigned int i = 0; i < N; i++) {
		unsigned int k = bypass_frames(kind, smac, i, port, fr, lens);
		for (unsigned int j = 0; j < k; j++)
			if (net_backend_send(f.b, fr[j], lens[j]) < 0)
				refused++;
	}
	opened = files_left(SPARE);
	fx_close(&f);
	close(l);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (opened < SPARE)
		fail_msg("after %d %s the process could open only %d files (%u frames refused)",
			 N, what[kind], opened, refused);
}

static void test_fd_guard_udp67(void **state) { (void)state; fd_guard_bypass(0); }
static void test_fd_guard_icmp_short(void **state) { (void)state; fd_guard_bypass(1); }
static void test_fd_guard_tcp_frag(void **state) { (void)state; fd_guard_bypass(2); }

/*
 * slirp's TCP timers run only inside slirp_pollfds_poll(), which
 * this backend calls on socket events and when its poll timer fires; but
 * slirp_refill() re-arms that one-shot timer to "now + timeout" after every
 * guest frame.  A guest that keeps sending anything (here an ARP request
 * every 50 ms) pushes the timer out for ever, and a segment the guest never
 * acknowledged is never retransmitted.  The control run (no chatter) sees
 * the retransmits.
 */
static struct fx *chatter_fx;
static uint8_t chatter_arp[42];

static void chatter(void *opaque)
{
	(void)opaque;
	net_backend_send(chatter_fx->b, chatter_arp, sizeof(chatter_arp));
}

static void test_timers_run_under_guest_traffic(void **state)
{
	unsigned int retrans[2];
	(void)state;

	for (int chat = 0; chat < 2; chat++) {
		struct fx f;
		uint8_t seg[54], smac[6];
		uint16_t port;
		int l = listen_backlog(&port, 4), c;

		fx_open_arp(&f, "user", smac);
		send_syns(&f, smac, port, MANY_PORT, 1);
		f.want_synacks = 1;
		evloop_timer_arm(f.stop, 5000000000ULL, 0);
		if (f.synacks < 1)
			evloop_run(f.el);
		assert_int_equal(f.synacks, 1);
		c = accept(l, NULL, NULL);
		assert_true(c >= 0);
		tcp_seg(seg, smac, MANY_PORT, port, 1, f.synack_seq[0] + 1, 0x10);
		assert_int_equal(net_backend_send(f.b, seg, sizeof(seg)), 0);
		assert_int_equal(write(c, "x", 1), 1);
		f.want_datas = 1;
		evloop_timer_arm(f.stop, 5000000000ULL, 0);
		if (f.datas < 1)
			evloop_run(f.el);
		assert_int_equal(f.datas, 1);
		/* the guest never acknowledges the byte: slirp must retransmit it */
		f.data_frames = 0;
		struct evloop_timer *t = evloop_timer_new(f.el, chatter, NULL);
		chatter_fx = &f;
		arp_request(chatter_arp);
		if (chat)
			evloop_timer_arm(t, 50000000ULL, 50000000ULL);
		evloop_timer_arm(f.stop, 6000000000ULL, 0);
		evloop_run(f.el);
		retrans[chat] = f.data_frames;
		evloop_timer_free(t);
		close(c);
		close(l);
		fx_close(&f);
	}
	fprintf(stderr, "retransmits in 6 s: quiet guest %u, chatty guest %u\n", retrans[0],
		retrans[1]);
	assert_true(retrans[0] > 0);
	assert_true(retrans[1] > 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_arp),
	cmocka_unit_test(test_dhcp_offer),
	cmocka_unit_test(test_ipv6_router_advertisement),
	cmocka_unit_test(test_hostfwd_port_in_use),
	cmocka_unit_test(test_hostfwd_connect),
	cmocka_unit_test(test_many_connections),
	cmocka_unit_test(test_restrict),
	cmocka_unit_test(test_connection_flood_keeps_fds),
	cmocka_unit_test(test_connection_flood_keeps_fds_selectable),
	cmocka_unit_test(test_fd_guard_udp67),
	cmocka_unit_test(test_fd_guard_icmp_short),
	cmocka_unit_test(test_fd_guard_tcp_frag),
	cmocka_unit_test(test_timers_run_under_guest_traffic),
};

UNIT_SUITE(net_slirp, tests);
