/*
 * net_config_test.c - what a user writes about a NIC: MAC addresses,
 * hostfwd rules and lists, `--net` specifications (and their round trip
 * back to text), the user network's addresses; every bad form refused
 * with a message naming it.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"

static void test_mac(void **state)
{
	uint8_t m[6], m2[6];
	char why[256], buf[32];
	(void)state;

	assert_int_equal(net_mac_parse("52:54:00:12:34:56", m, why, sizeof(why)), 0);
	assert_int_equal(m[0], 0x52);
	assert_int_equal(m[5], 0x56);
	assert_int_equal(net_mac_parse("52-54-00-AB-cd-EF", m, why, sizeof(why)), 0);
	assert_int_equal(m[3], 0xab);
	net_mac_format(m, buf, sizeof(buf));
	assert_string_equal(buf, "52:54:00:ab:cd:ef");
	static const char *bad[] = { "", "52:54:00:12:34", "52:54:00:12:34:56:78",
		"52:54:00:12:34:5", "52:54-00:12:34:56", "zz:54:00:12:34:56", "01:00:5e:00:00:01",
		"00:00:00:00:00:00", "52:54:00:12:34:56 ", "525400123456" };
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(net_mac_parse(bad[i], m, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "mac"));
	}
	/* derived MACs: stable, per VM and per NIC, unicast with QEMU's prefix */
	net_mac_from_name("web", 0, m);
	net_mac_from_name("web", 0, m2);
	assert_memory_equal(m, m2, 6);
	assert_int_equal(m[0], 0x52);
	assert_int_equal(m[1], 0x54);
	assert_int_equal(m[2], 0x00);
	net_mac_from_name("web", 1, m2);
	assert_memory_not_equal(m, m2, 6);
	net_mac_from_name("db", 0, m2);
	assert_memory_not_equal(m, m2, 6);
}

static void test_hostfwd(void **state)
{
	struct net_hostfwd f;
	char why[256];
	(void)state;

	assert_int_equal(net_hostfwd_parse("tcp:127.0.0.1:2222-:22", &f, why, sizeof(why)), 0);
	assert_int_equal(f.proto, NET_PROTO_TCP);
	assert_int_equal(f.host_port, 2222);
	assert_int_equal(f.guest_port, 22);
	assert_int_equal(f.host_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(f.guest_addr.s_addr, 0);
	/* the listen address defaults to 127.0.0.1, not every interface */
	assert_int_equal(net_hostfwd_parse("udp::5353-:53", &f, why, sizeof(why)), 0);
	assert_int_equal(f.proto, NET_PROTO_UDP);
	assert_int_equal(f.host_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(f.host_port, 5353);
	assert_int_equal(net_hostfwd_parse(":0.0.0.0:8080-10.0.2.20:80", &f, why, sizeof(why)), 0);
	assert_int_equal(f.proto, NET_PROTO_TCP);
	assert_int_equal(f.host_addr.s_addr, 0);
	assert_int_equal(f.guest_addr.s_addr, inet_addr("10.0.2.20"));
	assert_int_equal(net_hostfwd_parse("tcp::65535-:1", &f, why, sizeof(why)), 0);

	static const struct { const char *rule, *msg; } bad[] = {
		{ "", "empty" },
		{ "tcp", "use [tcp|udp]" },
		{ "sctp::1-:2", "protocol 'sctp'" },
		{ "tcp::2222", "one '-'" },
		{ "tcp::2222-:22-:23", "one '-'" },
		{ "tcp:2222-:22", "ADDR:PORT" },
		{ "tcp::0-:22", "not a port" },
		{ "tcp::65536-:22", "not a port" },
		{ "tcp::22x-:22", "not a port" },
		{ "tcp::2222-:", "not a port" },
		{ "tcp:localhost:2222-:22", "not an IPv4 address" },
		{ "tcp:1.2.3.4.5:2222-:22", "not an IPv4 address" },
		{ "tcp::2222-10.0.2:22", "not an IPv4 address" },
		{ "tcp::-1-:22", "one '-'" },
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(net_hostfwd_parse(bad[i].rule, &f, why, sizeof(why)), -EINVAL);
		if (!strstr(why, bad[i].msg))
			fail_msg("rule '%s': message '%s' lacks '%s'", bad[i].rule, why, bad[i].msg);
	}
}

static void test_hostfwd_list(void **state)
{
	struct net_hostfwd f[4];
	unsigned int n = 99;
	char why[256];
	(void)state;

	assert_int_equal(net_hostfwd_list_parse(NULL, f, 4, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(net_hostfwd_list_parse("  tcp::2222-:22, udp::5353-:53\ttcp::8080-:80 ",
						f, 4, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f[1].proto, NET_PROTO_UDP);
	assert_int_equal(f[2].host_port, 8080);
	/* tcp and udp may share a port number; two tcp rules may not */
	assert_int_equal(net_hostfwd_list_parse("tcp::53-:53 udp::53-:53", f, 4, &n, why,
						sizeof(why)), 0);
	assert_int_equal(net_hostfwd_list_parse("tcp::2222-:22 tcp:127.0.0.1:2222-:23", f, 4,
						&n, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "forwarded twice"));
	assert_int_equal(net_hostfwd_list_parse("tcp::1-:1 tcp::2-:2 tcp::3-:3 tcp::4-:4 tcp::5-:5",
						f, 4, &n, why, sizeof(why)), -E2BIG);
	assert_int_equal(net_hostfwd_list_parse("tcp::1-:1,bogus", f, 4, &n, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "bogus"));
}

static void test_nic_parse(void **state)
{
	struct nic_config nic;
	char why[256], buf[512];
	(void)state;

	assert_int_equal(net_nic_parse("user", &nic, why, sizeof(why)), 0);
	assert_int_equal(nic.backend, NIC_USER);
	assert_true(nic.ipv6);
	assert_false(nic.restricted);
	assert_null(nic.hostfwd);
	net_nic_free(&nic);

	assert_int_equal(net_nic_parse("user,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-:53,"
				       "mac=52:54:00:00:00:01,restrict=on,ipv6=off", &nic, why,
				       sizeof(why)), 0);
	assert_string_equal(nic.hostfwd, "tcp:127.0.0.1:2222-:22 udp::5353-:53");
	assert_string_equal(nic.mac, "52:54:00:00:00:01");
	assert_true(nic.restricted);
	assert_false(nic.ipv6);
	net_nic_format(&nic, buf, sizeof(buf));
	assert_string_equal(buf, "user,mac=52:54:00:00:00:01,hostfwd=tcp:127.0.0.1:2222-:22,"
				 "hostfwd=udp::5353-:53,restrict=on,ipv6=off");
	struct nic_config again;
	assert_int_equal(net_nic_parse(buf, &again, why, sizeof(why)), 0);
	assert_string_equal(again.hostfwd, nic.hostfwd);
	net_nic_free(&again);
	net_nic_free(&nic);

	assert_int_equal(net_nic_parse("tap,ifname=tap0", &nic, why, sizeof(why)), 0);
	assert_int_equal(nic.backend, NIC_TAP);
	assert_string_equal(nic.ifname, "tap0");
	net_nic_free(&nic);

	assert_int_equal(net_nic_parse("user,net=192.168.76.0/24", &nic, why, sizeof(why)), 0);
	struct net_user_addrs u;
	assert_int_equal(net_nic_check(&nic, &u, why, sizeof(why)), 0);
	assert_int_equal(u.host.s_addr, inet_addr("192.168.76.2"));
	assert_int_equal(u.dns.s_addr, inet_addr("192.168.76.3"));
	assert_int_equal(u.dhcpstart.s_addr, inet_addr("192.168.76.15"));
	net_nic_free(&nic);

	static const struct { const char *spec, *msg; } bad[] = {
		{ "bridge", "user, tap or none" },
		{ "", "user, tap or none" },
		{ "user,", "OPTION=VALUE" },
		{ "user,foo=bar", "unknown option 'foo'" },
		{ "user,restrict=maybe", "on or off" },
		{ "user,mac=01:02:03:04:05:06", "multicast" },
		{ "user,hostfwd=tcp::99999-:22", "not a port" },
		{ "user,net=10.0.2.0", "" },
		{ "user,net=10.0.2.0/33", "prefix length" },
		{ "user,net=10.0.2.1/24", "host bits" },
		{ "user,host=10.0.3.2", "inside the network" },
		{ "user,dns=10.0.2.255", "inside the network" },
		{ "user,dhcpstart=10.0.2.2", "different" },
		{ "user,ifname=tap0", "only for the tap" },
		{ "tap", "needs ifname" },
		{ "tap,ifname=averyveryverylongname", "1-15" },
		{ "tap,ifname=tap0,hostfwd=tcp::1-:1", "only for the user" },
		{ "user,bootfile=a b", "" },
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		int r = net_nic_parse(bad[i].spec, &nic, why, sizeof(why));
		if (strcmp(bad[i].spec, "user,net=10.0.2.0") == 0 ||
		    strcmp(bad[i].spec, "user,bootfile=a b") == 0) {
			/* a bare network is /24; a space... is refused */
			if (strchr(bad[i].spec, ' '))
				assert_int_equal(r, -EINVAL);
			else {
				assert_int_equal(r, 0);
				net_nic_free(&nic);
			}
			continue;
		}
		if (r != -EINVAL || !strstr(why, bad[i].msg))
			fail_msg("--net %s: r=%d message '%s' lacks '%s'", bad[i].spec, r, why,
				 bad[i].msg);
	}
}

/*
 * --net values that must be refused: a prefix with a sign or space, an
 * empty forward, a forward to an address that is not the guest's, a key
 * given twice, a user key on a tap, interface names the kernel refuses
 * or expands.  Lists every one that is accepted, then fails if any was.
 * And a network too small for the defaults names the default.
 */
static void test_nic_parse_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"user,net=10.0.2.0/+24",               /* strtoul: sign */
		"user,net=10.0.2.0/ 24",               /* strtoul: leading space */
		"user,hostfwd=",                       /* an empty rule: no forward at all */
		"user,hostfwd=tcp::2222-192.168.99.9:22", /* guest outside 10.0.2.0/24 */
		"user,hostfwd=tcp::2222-10.0.2.2:22",  /* guest = slirp's own host address */
		"user,mac=52:54:00:00:00:01,mac=52:54:00:00:00:02", /* given twice */
		"tap,ifname=tap0,ipv6=off",            /* a user key on a tap */
		"tap,ifname=..",                       /* the kernel refuses . and .. */
		"tap,ifname=tap%d",                    /* TUNSETIFF makes a new tapN */
	};
	struct nic_config nic;
	char why[256];
	unsigned int accepted = 0;
	(void)state;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (net_nic_parse(bad[i], &nic, why, sizeof(why)) == 0) {
			fprintf(stderr, "accepted: --net %s\n", bad[i]);
			accepted++;
			net_nic_free(&nic);
		}
	}
	/* a /29 moves dhcpstart's default outside the network; the user did not write it */
	assert_int_equal(net_nic_parse("user,net=10.0.2.0/29", &nic, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "the default dhcpstart (10.0.2.15)"));
	assert_non_null(strstr(why, "give dhcpstart="));
	assert_int_equal(accepted, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_mac),
	cmocka_unit_test(test_hostfwd),
	cmocka_unit_test(test_hostfwd_list),
	cmocka_unit_test(test_nic_parse),
	cmocka_unit_test(test_nic_parse_refuses_garbage),
};

UNIT_SUITE(net_config, tests);
