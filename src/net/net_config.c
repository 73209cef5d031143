/*
 * net_config.c - what a user writes to describe a NIC, parsed and
 * checked: MAC addresses, host port forwards (QEMU's hostfwd syntax),
 * `--net` specifications and the user network's addresses.
 *
 * Pure functions over strings and struct nic_config: nothing here opens
 * a socket or prints.  Every problem is -EINVAL and one message for a
 * person in the caller's buffer, naming the option and what is allowed.
 * The CLI (cli_run.c, cli_create.c) parses --net with net_nic_parse();
 * the definition loader checks [netN] with net_nic_check(); the backends
 * resolve addresses and forwards with the same code, so a definition
 * that loads is one that starts (save a port in use).
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static int net_fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int net_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* --- MAC addresses ---------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_mac_parse(const char *text, uint8_t mac[NET_MAC_LEN], char *why, size_t len)
{
	const char *p = text;
	uint8_t m[NET_MAC_LEN];
	char sep = 0;
	bool zero = true;

	for (unsigned int i = 0; i < NET_MAC_LEN; i++) {
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0)
			goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
		zero = zero && !m[i];
		p += 2;
		if (i + 1 < NET_MAC_LEN) {
			if (*p != ':' && *p != '-')
				goto bad;
			if (sep && *p != sep)
				goto bad;
			sep = *p++;
		}
	}
	if (*p)
		goto bad;
	if (m[0] & 1)
		return net_fail(why, len, "mac %s: a multicast address; the first byte must be even "
				"(e.g. 52:54:00:12:34:56)", text);
	if (zero)
		return net_fail(why, len, "mac %s: all zeros is not an address", text);
	memcpy(mac, m, NET_MAC_LEN);
	return 0;
bad:
	return net_fail(why, len, "mac %s: not a MAC address; use six hex bytes such as "
			"52:54:00:12:34:56", text);
}

void net_mac_format(const uint8_t mac[NET_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

void net_mac_from_name(const char *name, unsigned int idx, uint8_t mac[NET_MAC_LEN])
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (const char *p = name ? name : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ (uint8_t)idx) * 16777619u;
	h ^= h >> 15;
	mac[0] = NET_MAC_PREFIX0;
	mac[1] = NET_MAC_PREFIX1;
	mac[2] = NET_MAC_PREFIX2;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* --- host port forwards ------------------------------------------------------- */

static int parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* An IPv4 address in s[0..n); an empty one is def (may be 0). */
static int parse_addr(const char *s, size_t n, in_addr_t def, struct in_addr *out)
{
	char buf[INET_ADDRSTRLEN];

	if (n == 0) {
		out->s_addr = def;
		return 0;
	}
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, out) == 1 ? 0 : -1;
}

/* "[ADDR]:PORT" in s[0..n) */
static int parse_endpoint(const char *rule, const char *s, size_t n, const char *side,
			  in_addr_t def, struct in_addr *addr, uint16_t *port, char *why,
			  size_t len)
{
	const char *colon = memrchr(s, ':', n);

	if (!colon)
		return net_fail(why, len, "hostfwd %s: the %s side needs ADDR:PORT or :PORT",
				rule, side);
	if (parse_addr(s, (size_t)(colon - s), def, addr) < 0)
		return net_fail(why, len, "hostfwd %s: '%.*s' is not an IPv4 address", rule,
				(int)(colon - s), s);
	if (parse_port(colon + 1, n - (size_t)(colon + 1 - s), port) < 0)
		return net_fail(why, len, "hostfwd %s: '%.*s' is not a port (1-65535)", rule,
				(int)(n - (size_t)(colon + 1 - s)), colon + 1);
	return 0;
}

int net_hostfwd_parse(const char *rule, struct net_hostfwd *out, char *why, size_t len)
{
	const char *p = rule, *colon, *dash;
	struct net_hostfwd f;

	memset(&f, 0, sizeof(f));
	if (!rule || !*rule)
		return net_fail(why, len, "hostfwd: empty rule; use tcp:127.0.0.1:2222-:22");
	colon = strchr(p, ':');
	if (!colon)
		return net_fail(why, len, "hostfwd %s: use [tcp|udp]:[HOSTADDR]:HOSTPORT-"
				"[GUESTADDR]:GUESTPORT, e.g. tcp:127.0.0.1:2222-:22", rule);
	if (colon == p || (colon - p == 3 && strncmp(p, "tcp", 3) == 0))
		f.proto = NET_PROTO_TCP;
	else if (colon - p == 3 && strncmp(p, "udp", 3) == 0)
		f.proto = NET_PROTO_UDP;
	else
		return net_fail(why, len, "hostfwd %s: protocol '%.*s': use tcp or udp", rule,
				(int)(colon - p), p);
	p = colon + 1;
	dash = strchr(p, '-');
	if (!dash || strchr(dash + 1, '-'))
		return net_fail(why, len, "hostfwd %s: use [tcp|udp]:[HOSTADDR]:HOSTPORT-"
				"[GUESTADDR]:GUESTPORT (one '-' between host and guest)", rule);
	if (parse_endpoint(rule, p, (size_t)(dash - p), "host", htonl(INADDR_LOOPBACK),
			   &f.host_addr, &f.host_port, why, len) < 0 ||
	    parse_endpoint(rule, dash + 1, strlen(dash + 1), "guest", 0, &f.guest_addr,
			   &f.guest_port, why, len) < 0)
		return -EINVAL;
	*out = f;
	return 0;
}

static bool is_sep(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

int net_hostfwd_list_parse(const char *list, struct net_hostfwd *out, unsigned int max,
			   unsigned int *n, char *why, size_t len)
{
	const char *p = list ? list : "";
	char rule[128];
	unsigned int cnt = 0;

	*n = 0;
	for (;;) {
		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && !is_sep(*e))
			e++;
		size_t l = (size_t)(e - p);
		if (l >= sizeof(rule))
			return net_fail(why, len, "hostfwd %.40s...: rule too long", p);
		memcpy(rule, p, l);
		rule[l] = '\0';
		if (cnt >= max)
			return net_fail(why, len, "hostfwd %s: more than %u forwards", rule, max),
			       -E2BIG;
		int r = net_hostfwd_parse(rule, &out[cnt], why, len);
		if (r < 0)
			return r;
		for (unsigned int i = 0; i < cnt; i++)
			if (out[i].proto == out[cnt].proto && out[i].host_port == out[cnt].host_port &&
			    (out[i].host_addr.s_addr == out[cnt].host_addr.s_addr ||
			     !out[i].host_addr.s_addr || !out[cnt].host_addr.s_addr))
				return net_fail(why, len, "hostfwd %s: host port %u is forwarded twice",
						rule, out[cnt].host_port);
		cnt++;
		p = e;
	}
	*n = cnt;
	return 0;
}

/* --- NICs ----------------------------------------------------------------------- */

void net_nic_defaults(struct nic_config *nic)
{
	memset(nic, 0, sizeof(*nic));
	nic->backend = NIC_USER;
	nic->ipv6 = true;
}

void net_nic_free(struct nic_config *nic)
{
	free(nic->mac);
	free(nic->hostfwd);
	free(nic->net);
	free(nic->host);
	free(nic->dns);
	free(nic->dhcpstart);
	free(nic->bootfile);
	free(nic->ifname);
	memset(nic, 0, sizeof(*nic));
}

static int set_str(char **field, const char *val, size_t n)
{
	char *s = strndup(val, n);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

/* Appends rule to a space-separated list. */
static int append_rule(char **list, const char *rule, size_t n)
{
	size_t old = *list ? strlen(*list) : 0;
	char *s = realloc(*list, old + n + 2);

	if (!s)
		return -ENOMEM;
	if (old)
		s[old++] = ' ';
	memcpy(s + old, rule, n);
	s[old + n] = '\0';
	*list = s;
	return 0;
}

static int parse_onoff(const char *opt, const char *v, size_t n, bool *out, char *why,
		       size_t len)
{
	if ((n == 2 && !strncmp(v, "on", 2)) || (n == 3 && !strncmp(v, "yes", 3)) ||
	    (n == 4 && !strncmp(v, "true", 4))) {
		*out = true;
		return 0;
	}
	if ((n == 3 && !strncmp(v, "off", 3)) || (n == 2 && !strncmp(v, "no", 2)) ||
	    (n == 5 && !strncmp(v, "false", 5))) {
		*out = false;
		return 0;
	}
	return net_fail(why, len, "--net %s=%.*s: use on or off", opt, (int)n, v);
}

static int nic_parse_opt(struct nic_config *nic, const char *opt, size_t on, const char *v,
			 size_t vn, unsigned int *seen, char *why, size_t len)
{
	static const struct { const char *name; size_t off; } strs[] = {
		{ "mac", offsetof(struct nic_config, mac) },
		{ "net", offsetof(struct nic_config, net) },
		{ "host", offsetof(struct nic_config, host) },
		{ "dns", offsetof(struct nic_config, dns) },
		{ "dhcpstart", offsetof(struct nic_config, dhcpstart) },
		{ "bootfile", offsetof(struct nic_config, bootfile) },
		{ "ifname", offsetof(struct nic_config, ifname) },
	};

	static const char *const once[] = { "restrict", "ipv6", "mac", "net", "host", "dns",
					    "dhcpstart", "bootfile", "ifname" };

	if (vn == 0)
		return net_fail(why, len, "--net %.*s=: needs a value", (int)on, opt);
	for (size_t i = 0; i < ARRAY_SIZE(once); i++) {
		if (strlen(once[i]) != on || strncmp(opt, once[i], on))
			continue;
		if (*seen & (1u << i))
			return net_fail(why, len, "--net %s= is given twice; give it once", once[i]);
		*seen |= 1u << i;
	}
	if (on == 7 && !strncmp(opt, "hostfwd", 7))
		return append_rule(&nic->hostfwd, v, vn);
	if (on == 8 && !strncmp(opt, "restrict", 8))
		return parse_onoff("restrict", v, vn, &nic->restricted, why, len);
	if (on == 4 && !strncmp(opt, "ipv6", 4))
		return parse_onoff("ipv6", v, vn, &nic->ipv6, why, len);
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (strlen(strs[i].name) == on && !strncmp(opt, strs[i].name, on))
			return set_str((char **)((char *)nic + strs[i].off), v, vn);
	return net_fail(why, len, "--net: unknown option '%.*s'; allowed: hostfwd, mac, "
			"restrict, ipv6, net, host, dns, dhcpstart, bootfile (user), ifname, "
			"mac (tap)", (int)on, opt);
}

int net_nic_parse(const char *spec, struct nic_config *nic, char *why, size_t len)
{
	const char *p = spec, *e;
	unsigned int seen = 0;
	int r;

	net_nic_defaults(nic);
	e = strchrnul(p, ',');
	if ((size_t)(e - p) == 4 && !strncmp(p, "user", 4))
		nic->backend = NIC_USER;
	else if ((size_t)(e - p) == 3 && !strncmp(p, "tap", 3))
		nic->backend = NIC_TAP;
	else
		return net_fail(why, len, "--net %s: the backend must be user, tap or none", spec);
	p = e;
	while (*p == ',') {
		const char *opt = ++p, *eq;
		e = strchrnul(p, ',');
		eq = memchr(opt, '=', (size_t)(e - opt));
		if (!eq) {
			net_nic_free(nic);
			return net_fail(why, len, "--net %s: '%.*s' is not OPTION=VALUE", spec,
					(int)(e - opt), opt);
		}
		r = nic_parse_opt(nic, opt, (size_t)(eq - opt), eq + 1, (size_t)(e - eq - 1), &seen,
				  why, len);
		if (r < 0) {
			net_nic_free(nic);
			return r;
		}
		p = e;
	}
	r = net_nic_check(nic, NULL, why, len);
	if (r < 0)
		net_nic_free(nic);
	return r;
}

int net_nic_format(const struct nic_config *nic, char *buf, size_t len)
{
	static const struct { const char *name; size_t off; } strs[] = {
		{ "mac", offsetof(struct nic_config, mac) },
		{ "net", offsetof(struct nic_config, net) },
		{ "host", offsetof(struct nic_config, host) },
		{ "dns", offsetof(struct nic_config, dns) },
		{ "dhcpstart", offsetof(struct nic_config, dhcpstart) },
		{ "bootfile", offsetof(struct nic_config, bootfile) },
		{ "ifname", offsetof(struct nic_config, ifname) },
	};
	size_t n = 0;
	int w;

#define PUT(...) do { w = snprintf(buf + MIN(n, len), n < len ? len - n : 0, __VA_ARGS__); \
		      n += (size_t)(w > 0 ? w : 0); } while (0)
	PUT("%s", nic->backend == NIC_TAP ? "tap" : "user");
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		const char *v = *(char *const *)((const char *)nic + strs[i].off);
		if (v)
			PUT(",%s=%s", strs[i].name, v);
	}
	if (nic->backend == NIC_USER) {
		const char *p = nic->hostfwd ? nic->hostfwd : "";
		while (*p) {
			while (*p && is_sep(*p))
				p++;
			const char *e = p;
			while (*e && !is_sep(*e))
				e++;
			if (e > p)
				PUT(",hostfwd=%.*s", (int)(e - p), p);
			p = e;
		}
		if (nic->restricted)
			PUT(",restrict=on");
		if (!nic->ipv6)
			PUT(",ipv6=off");
	}
#undef PUT
	return (int)n;
}

/* --- checks ------------------------------------------------------------------------ */

static int check_addr(const char *key, const char *text, const char *def, struct in_addr *out,
		      char *why, size_t len)
{
	const char *t = text ? text : def;

	if (inet_pton(AF_INET, t, out) != 1)
		return net_fail(why, len, "%s %s: not an IPv4 address (e.g. %s)", key, t, def);
	return 0;
}

static int check_net(const char *text, struct in_addr *net, struct in_addr *mask, char *why,
		     size_t len)
{
	const char *t = text ? text : NET_USER_DEF_NET;
	const char *slash = strchr(t, '/');
	char buf[INET_ADDRSTRLEN];
	unsigned long bits = 24;
	char *end;

	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || bits < 8 || bits > 30)
			return net_fail(why, len, "net %s: the prefix length must be 8-30 "
					"(e.g. 10.0.2.0/24)", t);
	}
	size_t n = slash ? (size_t)(slash - t) : strlen(t);
	if (n >= sizeof(buf) || (memcpy(buf, t, n), buf[n] = '\0', inet_pton(AF_INET, buf, net) != 1))
		return net_fail(why, len, "net %s: use A.B.C.D/N, e.g. 10.0.2.0/24", t);
	mask->s_addr = htonl(~((1u << (32 - bits)) - 1));
	if (net->s_addr & ~mask->s_addr)
		return net_fail(why, len, "net %s: host bits are set; the network is %s/%lu", t,
				inet_ntop(AF_INET, &(struct in_addr){ net->s_addr & mask->s_addr },
					  buf, sizeof(buf)), bits);
	return 0;
}

static int check_inside(const char *key, const struct in_addr *a, const struct net_user_addrs *u,
			char *why, size_t len)
{
	char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
	uint32_t h = ntohl(a->s_addr), m = ntohl(u->mask.s_addr), nw = ntohl(u->net.s_addr);

	if ((h & m) != nw || h == nw || h == (nw | ~m))
		return net_fail(why, len, "%s %s: must be a host address inside the network %s/%d",
				key, inet_ntop(AF_INET, a, b1, sizeof(b1)),
				inet_ntop(AF_INET, &u->net, b2, sizeof(b2)),
				__builtin_popcount(m));
	return 0;
}

int net_nic_check(const struct nic_config *nic, struct net_user_addrs *addrs, char *why,
		  size_t len)
{
	struct net_hostfwd fw[NET_HOSTFWD_MAX];
	struct net_user_addrs u;
	uint8_t mac[NET_MAC_LEN];
	unsigned int nfw;
	int r;

	if (nic->mac && (r = net_mac_parse(nic->mac, mac, why, len)) < 0)
		return r;
	if (nic->backend == NIC_TAP) {
		const char *user_key = nic->hostfwd ? "hostfwd" : nic->net ? "net" :
				       nic->host ? "host" : nic->dns ? "dns" :
				       nic->dhcpstart ? "dhcpstart" : nic->bootfile ? "bootfile" :
				       nic->restricted ? "restrict" : !nic->ipv6 ? "ipv6" : NULL;
		if (user_key)
			return net_fail(why, len, "%s: only for the user backend, not tap", user_key);
		if (!nic->ifname || !*nic->ifname)
			return net_fail(why, len, "tap: needs ifname=NAME (the host's tap interface)");
		/* the kernel refuses . and ..; a % makes TUNSETIFF create a new tapN */
		if (strlen(nic->ifname) > 15 || strpbrk(nic->ifname, "/: \t\n%") ||
		    !strcmp(nic->ifname, ".") || !strcmp(nic->ifname, ".."))
			return net_fail(why, len, "ifname %s: an interface name of 1-15 characters, "
					"not . or .., no '/', ':', '%%' or spaces", nic->ifname);
		return 0;
	}
	if (nic->ifname)
		return net_fail(why, len, "ifname: only for the tap backend, not user");
	r = net_hostfwd_list_parse(nic->hostfwd, fw, NET_HOSTFWD_MAX, &nfw, why, len);
	if (r < 0)
		return r;
	if ((r = check_net(nic->net, &u.net, &u.mask, why, len)) < 0)
		return r;
	if ((r = check_addr("host", nic->host, NET_USER_DEF_HOST, &u.host, why, len)) < 0 ||
	    (r = check_addr("dns", nic->dns, NET_USER_DEF_DNS, &u.dns, why, len)) < 0 ||
	    (r = check_addr("dhcpstart", nic->dhcpstart, NET_USER_DEF_DHCPSTART, &u.dhcpstart,
			    why, len)) < 0)
		return r;
	/* a custom network moves the defaults with it (QEMU: .2, .3, .15) */
	uint32_t base = ntohl(u.net.s_addr);
	if (nic->net && !nic->host)
		u.host.s_addr = htonl(base | 2);
	if (nic->net && !nic->dns)
		u.dns.s_addr = htonl(base | 3);
	if (nic->net && !nic->dhcpstart)
		u.dhcpstart.s_addr = htonl(base | 15);
	const struct { const char *key; const char *given; const struct in_addr *a; } in[] = {
		{ "host", nic->host, &u.host },
		{ "dns", nic->dns, &u.dns },
		{ "dhcpstart", nic->dhcpstart, &u.dhcpstart },
	};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		if (check_inside(in[i].key, in[i].a, &u, why, len) == 0)
			continue;
		if (!in[i].given) {
			char b[INET_ADDRSTRLEN];
			return net_fail(why, len, "net %s: the default %s (%s) is not a host address "
					"in it; give %s= (or a larger network)", nic->net,
					in[i].key, inet_ntop(AF_INET, in[i].a, b, sizeof(b)),
					in[i].key);
		}
		return -EINVAL;
	}
	if (u.host.s_addr == u.dns.s_addr || u.host.s_addr == u.dhcpstart.s_addr ||
	    u.dns.s_addr == u.dhcpstart.s_addr)
		return net_fail(why, len, "host, dns and dhcpstart must be three different "
				"addresses");
	for (unsigned int i = 0; i < nfw; i++) {
		char rule[64], b[INET_ADDRSTRLEN];
		if (!fw[i].guest_addr.s_addr)
			continue;   /* the guest's DHCP address */
		snprintf(rule, sizeof(rule), "hostfwd to %s:%u",
			 inet_ntop(AF_INET, &fw[i].guest_addr, b, sizeof(b)), fw[i].guest_port);
		if ((r = check_inside(rule, &fw[i].guest_addr, &u, why, len)) < 0)
			return r;
		if (fw[i].guest_addr.s_addr == u.host.s_addr || fw[i].guest_addr.s_addr == u.dns.s_addr)
			return net_fail(why, len, "%s: that is the network's host or DNS address, "
					"not the guest's", rule);
	}
	if (nic->bootfile && (strlen(nic->bootfile) > 127 || strpbrk(nic->bootfile, " \t\n")))
		return net_fail(why, len, "bootfile %s: at most 127 characters, no spaces",
				nic->bootfile);
	if (addrs)
		*addrs = u;
	return 0;
}
