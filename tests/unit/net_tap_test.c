/*
 * net_tap_test.c - the tap backend against the real kernel, inside a
 * network namespace this test makes (unshare: a private namespace, so
 * nothing of the host's network is touched): the backend creates and
 * attaches tap interface ttyvmtap0, a frame the "guest" sends comes out
 * on the interface (read with a packet socket bound to it), and a frame
 * sent into the interface reaches the NIC's receive callback through the
 * event loop.  Without the privileges for a namespace (no root, user
 * namespaces off) the test FAILS and says why: a tap backend nobody
 * tested is not a tap backend that works.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "vmm/evloop.h"

#define IFNAME "ttyvmtap0"
#define ETYPE 0x88b5   /* IEEE local experimental: nothing else sends it */

struct tfx {
	struct evloop *el;
	uint8_t got[2048];
	size_t got_len;
};

static void tfx_receive(void *opaque, const uint8_t *frame, size_t len)
{
	struct tfx *t = opaque;

	if (len >= 14 && (frame[12] << 8 | frame[13]) == ETYPE && len <= sizeof(t->got)) {
		memcpy(t->got, frame, len);
		t->got_len = len;
		evloop_stop(t->el);
	}
}

static void tfx_timeout(void *opaque)
{
	evloop_stop(opaque);
}

#define CHILD_FAIL(code, ...) do { fprintf(stderr, "net_tap: " __VA_ARGS__); \
				   fputc('\n', stderr); _exit(code); } while (0)

static void frame_make(uint8_t *f, size_t len, uint8_t seed)
{
	memset(f, 0xff, 6);
	f[6] = 0x52; f[7] = 0x54; f[8] = 0; f[9] = 1; f[10] = 2; f[11] = seed;
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 13 + seed);
}

/*
 * In the child: a private network namespace, an event loop in t and a tap
 * backend on IFNAME (made by ttyvm, as root may) with can_receive as given.
 */
static struct net_backend *child_tap(struct tfx *t, struct nic_config *nic,
				     bool (*can_receive)(void *opaque))
{
	struct net_backend *b;
	char why[256], err[512];

	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		CHILD_FAIL(3, "cannot make a network namespace (unshare: %s): this test needs "
			   "root or unprivileged user namespaces", strerror(errno));
	if (evloop_create(&t->el) < 0)
		CHILD_FAIL(1, "evloop_create");
	if (net_nic_parse("tap,ifname=" IFNAME, nic, why, sizeof(why)) < 0)
		CHILD_FAIL(1, "%s", why);
	struct net_backend_params p = { .nic = nic, .vm_name = "t", .el = t->el,
					.cb = { tfx_receive, can_receive, t } };
	if (net_backend_create(&p, &b, err, sizeof(err)) < 0)
		CHILD_FAIL(4, "%s", err);
	return b;
}

/* Runs fn in a child process; fails the test with what unless it exits 0. */
static void in_child(void (*fn)(void), const char *what)
{
	int st;

	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		fn();
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s (status %d; its reason is printed above)", what,
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void child(void)
{
	struct nic_config nic;
	struct tfx t = { 0 };
	uint8_t out[100], in[2048];
	struct net_backend *b = child_tap(&t, &nic, NULL);

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		CHILD_FAIL(1, "SIOCGIFFLAGS: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		CHILD_FAIL(1, "SIOCSIFFLAGS: %s", strerror(errno));
	close(s);

	int ps = socket(AF_PACKET, SOCK_RAW, htons(ETYPE));
	if (ps < 0)
		CHILD_FAIL(1, "packet socket: %s", strerror(errno));
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETYPE),
				  .sll_ifindex = (int)if_nametoindex(IFNAME) };
	if (bind(ps, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		CHILD_FAIL(1, "bind packet socket: %s", strerror(errno));
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(ps, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* guest -> tap */
	frame_make(out, sizeof(out), 1);
	if (net_backend_send(b, out, sizeof(out)) < 0)
		CHILD_FAIL(1, "net_backend_send failed");
	ssize_t n = recv(ps, in, sizeof(in), 0);
	if (n != (ssize_t)sizeof(out) || memcmp(in, out, sizeof(out)) != 0)
		CHILD_FAIL(5, "the guest's frame did not come out on %s (recv %zd)", IFNAME, n);

	/* tap -> guest */
	frame_make(out, sizeof(out), 2);
	if (send(ps, out, sizeof(out), 0) != (ssize_t)sizeof(out))
		CHILD_FAIL(1, "send on %s: %s", IFNAME, strerror(errno));
	struct evloop_timer *tm = evloop_timer_new(t.el, tfx_timeout, t.el);
	evloop_timer_arm(tm, 5000000000ULL, 0);
	evloop_run(t.el);
	if (t.got_len != sizeof(out) || memcmp(t.got, out, sizeof(out)) != 0)
		CHILD_FAIL(6, "a frame sent into %s did not reach the NIC (got %zu bytes)", IFNAME,
			   t.got_len);
	evloop_timer_free(tm);
	close(ps);
	net_backend_destroy(b);
	net_nic_free(&nic);
	evloop_destroy(t.el);
	_exit(0);
}

static void test_tap_frames_both_ways(void **state)
{
	(void)state;
	in_child(child, "the tap test failed");
}

/* Without a tun device the message names /dev/net/tun (checked through
 * a tap name the kernel refuses, in the same namespace-free process). */
static void test_tap_bad_name_message(void **state)
{
	struct nic_config nic;
	char why[256];
	(void)state;

	assert_int_equal(net_nic_parse("tap,ifname=bad/name", &nic, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "ifname"));
}

/*
 * Once the interface is deleted under the VMM (ip link del, a network
 * manager), the tun fd polls EPOLLERR for ever and read() fails with
 * EBADFD; a reader that just returns is called again at once and the
 * event loop spins.  Counted through can_receive, which the reader asks
 * before every read: with no traffic at all it should be asked a handful
 * of times in 300 ms, not hundreds of thousands.
 */
static unsigned long spin_asks;

static bool spin_can_receive(void *opaque)
{
	(void)opaque;
	spin_asks++;
	return true;
}

static void spin_child(void)
{
	struct nic_config nic;
	struct tfx t = { 0 };
	struct net_backend *b = child_tap(&t, &nic, spin_can_receive);
	if (system("ip link del " IFNAME) != 0)
		CHILD_FAIL(1, "ip link del failed");
	struct evloop_timer *tm = evloop_timer_new(t.el, tfx_timeout, t.el);
	evloop_timer_arm(tm, 300000000ULL, 0);
	evloop_run(t.el);
	fprintf(stderr, "net_tap: after the interface was deleted: %lu reads in 300 ms\n",
		spin_asks);
	evloop_timer_free(tm);
	net_backend_destroy(b);
	net_nic_free(&nic);
	evloop_destroy(t.el);
	_exit(spin_asks > 100 ? 7 : 0);
}

static void test_tap_deleted_no_spin(void **state)
{
	(void)state;
	in_child(spin_child, "the event loop spins on a deleted tap");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_tap_frames_both_ways),
	cmocka_unit_test(test_tap_bad_name_message),
	cmocka_unit_test(test_tap_deleted_no_spin),
};

UNIT_SUITE(net_tap, tests);
