/*
 * net.h - the network side of a NIC: what a guest's Ethernet frames go
 * to (a backend), and the parsing of what a user writes to describe it.
 *
 * A backend is one of
 *   - user: user-mode NAT through libslirp (net_slirp.c): DHCP, DNS,
 *     TCP/UDP/ICMP NAT, IPv6, host port forwards, restrict mode;
 *   - tap: a Linux tap interface (net_tap.c) for users with a bridge.
 * The NIC model (vmm/virtio/virtio_net.c) knows none of them: it hands
 * each transmitted frame to net_backend_send() and gets received frames
 * through the callbacks it registered.
 *
 * Threads: a backend lives on the VM's event loop.  net_backend_create(),
 * _send(), _rx_resume() and _destroy() are called on the event-loop
 * thread (or before evloop_run()), and the receive callbacks run there.
 * Nothing here is thread-safe and nothing needs to be.
 *
 * Back-pressure: before handing a frame over, a backend that can wait
 * (tap: the kernel queues for us) asks cb->can_receive(); when that says
 * no it stops reading its descriptor until net_backend_rx_resume().
 * slirp cannot wait (it produces frames inside slirp_input and its timers)
 * and hands every frame over; the NIC's bounded queue drops what does not
 * fit and TCP recovers.
 *
 * The parsing half (net_config.c) is pure: MAC addresses, `hostfwd`
 * rules, `--net` specifications and the user network's addresses, each
 * returning -EINVAL with one message for a person.
 */
#ifndef TTYVM_NET_H
#define TTYVM_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

struct evloop;
struct net_backend;

#define NET_MAC_LEN 6
/* The locally administered prefix QEMU and libvirt use for their NICs. */
#define NET_MAC_PREFIX0 0x52
#define NET_MAC_PREFIX1 0x54
#define NET_MAC_PREFIX2 0x00

/* Largest frame a backend passes either way (no GSO: one MTU-sized frame,
 * but tap and slirp may carry up to 64 KiB). */
#define NET_FRAME_MAX 65536

/* How many port forwards one NIC may have. */
#define NET_HOSTFWD_MAX 32

/* User-network defaults (QEMU's): 10.0.2.0/24, gateway/host .2, DNS .3,
 * DHCP from .15, IPv6 fec0::/64. */
#define NET_USER_DEF_NET       "10.0.2.0/24"
#define NET_USER_DEF_HOST      "10.0.2.2"
#define NET_USER_DEF_DNS       "10.0.2.3"
#define NET_USER_DEF_DHCPSTART "10.0.2.15"

/* --- parsing (net_config.c) ---------------------------------------------- */

/*
 * Parses "52:54:00:12:34:56" (hex, ':' or '-' separated).  Refuses
 * multicast addresses (the low bit of the first octet) and all zeros.
 * 0 or -EINVAL with a message in why.
 */
int net_mac_parse(const char *text, uint8_t mac[NET_MAC_LEN], char *why, size_t len);

/* Formats mac as "52:54:00:12:34:56" into buf (at least 18 bytes). */
void net_mac_format(const uint8_t mac[NET_MAC_LEN], char *buf, size_t len);

/*
 * The MAC NIC number idx of the VM called name gets when the definition
 * sets none: 52:54:00 followed by three bytes of a hash of name and idx,
 * so it is the same on every start and differs between VMs.
 */
void net_mac_from_name(const char *name, unsigned int idx, uint8_t mac[NET_MAC_LEN]);

enum net_proto { NET_PROTO_TCP, NET_PROTO_UDP };

/* One host port forward: host_addr:host_port on the host reaches
 * guest_addr:guest_port in the guest.  Addresses in network order;
 * guest_addr 0 means the guest's DHCP address (dhcpstart). */
struct net_hostfwd {
	enum net_proto proto;
	struct in_addr host_addr;
	uint16_t host_port;
	struct in_addr guest_addr;
	uint16_t guest_port;
};

/*
 * Parses one rule "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"
 * (QEMU's syntax; an empty protocol is tcp, an empty host address
 * 127.0.0.1, an empty guest address the guest's DHCP address).  Ports are
 * 1-65535, addresses IPv4 dotted quads.  0 or -EINVAL with a message.
 */
int net_hostfwd_parse(const char *rule, struct net_hostfwd *out, char *why, size_t len);

/*
 * Parses a list of rules separated by commas and/or white space (the
 * form a definition's hostfwd key holds) into out[0..max), setting *n.
 * Two rules for the same protocol and host port are refused.  0, or
 * -EINVAL (a bad rule, a duplicate) or -E2BIG (more than max) with a
 * message naming the rule.
 */
int net_hostfwd_list_parse(const char *list, struct net_hostfwd *out, unsigned int max,
			   unsigned int *n, char *why, size_t len);

/* A NIC with the defaults: user networking, restrict off, IPv6 on. */
void net_nic_defaults(struct nic_config *nic);
/* Frees the strings of nic and zeroes it. */
void net_nic_free(struct nic_config *nic);

/*
 * Parses a `--net` value into nic (which it overwrites: defaults first):
 *   user[,hostfwd=RULE]...[,mac=MAC][,restrict=on|off][,ipv6=on|off]
 *       [,net=A.B.C.D/N][,host=ADDR][,dns=ADDR][,dhcpstart=ADDR][,bootfile=URL]
 *   tap,ifname=NAME[,mac=MAC]
 * Several hostfwd= options add up.  ("none" is the caller's.)  Every
 * value is checked as net_nic_check() does.  0 or -EINVAL / -ENOMEM with
 * a message naming the option; on failure nic holds no allocations.
 */
int net_nic_parse(const char *spec, struct nic_config *nic, char *why, size_t len);

/*
 * Writes nic back as a `--net` value (the inverse of net_nic_parse) into
 * buf.  Returns the length it needs (as snprintf).
 */
int net_nic_format(const struct nic_config *nic, char *buf, size_t len);

/* The user network's addresses, resolved (network order). */
struct net_user_addrs {
	struct in_addr net, mask, host, dns, dhcpstart;
};

/*
 * Checks every field of nic for its backend (MAC, forwards, addresses;
 * a tap needs an ifname of at most 15 characters; user keys on a tap are
 * refused) and, when addrs is not NULL, resolves the user network's
 * addresses with the defaults filled in: the host, DNS and DHCP start
 * must lie inside the network and differ from its network and broadcast
 * addresses.  0 or -EINVAL with a message naming the key.
 */
int net_nic_check(const struct nic_config *nic, struct net_user_addrs *addrs, char *why,
		  size_t len);

/* --- backends (net.c, net_slirp.c, net_tap.c) ----------------------------- */

/* How a backend hands frames to the NIC (all on the event-loop thread). */
struct net_backend_cb {
	/* One frame for the guest (an Ethernet frame, no virtio header). */
	void (*receive)(void *opaque, const uint8_t *frame, size_t len);
	/* false: the NIC has no room; stop until net_backend_rx_resume(). */
	bool (*can_receive)(void *opaque);
	void *opaque;
};

/* What a backend needs besides the NIC's definition. */
struct net_backend_params {
	const struct nic_config *nic;
	const char *vm_name;        /* for messages and the DHCP host name */
	uint8_t mac[NET_MAC_LEN];   /* the guest's */
	struct evloop *el;
	struct net_backend_cb cb;
};

/*
 * Creates the backend nic->backend names and hooks it into the event
 * loop.  0 and *out, or -errno with one message in err naming what
 * failed ("hostfwd tcp:127.0.0.1:2222-:22: port 2222 is in use",
 * "tap tap0: /dev/net/tun: Permission denied (needs CAP_NET_ADMIN)").
 */
int net_backend_create(const struct net_backend_params *p, struct net_backend **out,
		       char *err, size_t errlen);
void net_backend_destroy(struct net_backend *b);

/* Sends one frame from the guest.  0, or -errno when it was dropped. */
int net_backend_send(struct net_backend *b, const uint8_t *frame, size_t len);

/* The NIC has room again: resume what can_receive() stopped. */
void net_backend_rx_resume(struct net_backend *b);

/* Counters for status and benchmarks. */
struct net_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped;
	uint64_t rx_frames, rx_bytes;
};
void net_backend_stats(const struct net_backend *b, struct net_stats *st);

/* --- for the backend files ---------------------------------------------------- */

struct net_backend_ops {
	const char *name;
	int (*send)(struct net_backend *b, const uint8_t *frame, size_t len);
	void (*rx_resume)(struct net_backend *b);
	void (*destroy)(struct net_backend *b);
};

/* The common head of every backend's state. */
struct net_backend {
	const struct net_backend_ops *ops;
	struct net_backend_cb cb;
	struct evloop *el;
	struct net_stats stats;
};

/* Hands a frame to the NIC (counts it). */
void net_backend_deliver(struct net_backend *b, const uint8_t *frame, size_t len);

int net_slirp_create(const struct net_backend_params *p, struct net_backend **out,
		     char *err, size_t errlen);
int net_tap_create(const struct net_backend_params *p, struct net_backend **out,
		   char *err, size_t errlen);

#endif
