/*
 * config.h - everything a VM run is made of, as parsed values.
 *
 * One field per `ttyvm run` option, so a VM definition file (INI) maps
 * onto it key for key.  Filled by the CLI (ui/cli_run.c) or the INI loader,
 * read by the machine; the machine never parses text.
 */
#ifndef TTYVM_CONFIG_H
#define TTYVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VM_NAME_MAX 64

enum serial_kind { SERIAL_STDIO, SERIAL_FILE, SERIAL_PTY, SERIAL_NONE };

struct serial_config {
	enum serial_kind kind;
	char *path;          /* SERIAL_FILE */
};

#define VM_MAX_DISKS 8

enum disk_iface { DISK_IF_VIRTIO, DISK_IF_AHCI };

/* Image format (vmm/block/blk.h): AUTO probes for a qcow2 header. */
enum disk_format { DISK_FMT_AUTO, DISK_FMT_RAW, DISK_FMT_QCOW2 };

struct disk_config {
	char *path;
	enum disk_iface iface;
	bool readonly;
	enum disk_format format;
};

#define VM_MAX_NICS 8

/* What a NIC is connected to (net/net.h). */
enum nic_backend {
	NIC_USER,    /* user-mode NAT (libslirp) */
	NIC_TAP,     /* a host tap interface */
};

/*
 * One virtio-net NIC.  Strings NULL mean "the default" (net/net.h has
 * them); the user-network keys apply to NIC_USER only, ifname to NIC_TAP.
 */
struct nic_config {
	enum nic_backend backend;
	char *mac;           /* "52:54:00:12:34:56"; NULL: derived from the VM name */
	char *hostfwd;       /* forward rules, space separated (net_hostfwd_parse) */
	bool restricted;     /* restrict=on: the guest reaches only the host's forwards */
	bool ipv6;           /* IPv6 (fec0::/64) beside IPv4 */
	char *net;           /* "10.0.2.0/24" */
	char *host;          /* the host's address in the guest network */
	char *dns;           /* slirp's DNS forwarder */
	char *dhcpstart;     /* first address DHCP hands out */
	char *bootfile;      /* DHCP boot file name (PXE), e.g. an http:// URL */
	char *ifname;        /* tap interface */
};

enum boot_order {
	BOOT_ORDER_DEFAULT,  /* CD first if there is one, then disks */
	BOOT_ORDER_CD,
	BOOT_ORDER_DISK,
	BOOT_ORDER_NET,      /* network boot (PXE) first */
};

/* virtio-input devices (--input): bits.  0 is the default, a tablet. */
#define VM_INPUT_TABLET   0x1
#define VM_INPUT_KEYBOARD 0x2
#define VM_INPUT_NONE     0x4   /* asked for none */
/* What shows the screen (bits: both may be on). */
enum display_mode {
	DISPLAY_NONE = 0,    /* headless */
	DISPLAY_SDL = 1,     /* an SDL2 window */
	DISPLAY_VNC = 2,     /* a VNC server (libvncserver) */
	DISPLAY_SDL_VNC = 3,
};

struct display_config {
	enum display_mode mode;
	char *vnc_listen;         /* "HOST:DISPLAY", "HOST" or ":DISPLAY";
				   * NULL: 127.0.0.1, the first free display */
	char *vnc_password_file;  /* NULL: $TTYVM_VNC_PASSWORD, else none */
};

struct vm_config {
	char name[VM_NAME_MAX];
	uint64_t memory;     /* bytes */
	unsigned int cpus;
	char *kernel;        /* bzImage or PVH ELF */
	char *initrd;
	char *append;
	char *flat;          /* flat real-mode binary at 0x7C00 (tests) */
	bool acpi;           /* ACPI tables (MP table is always written) */
	struct serial_config serial;
	/* firmware boot (when no kernel/flat is given) */
	char *firmware;      /* NULL: the default SeaBIOS image */
	struct disk_config disks[VM_MAX_DISKS];
	unsigned int ndisks;
	char *cdrom;         /* ISO image on the AHCI CD-ROM */
	enum boot_order boot;
	/* virtio-net NICs, in PCI order */
	struct nic_config nics[VM_MAX_NICS];
	unsigned int nnics;
	unsigned int input;  /* VM_INPUT_* */
	struct display_config display;
	/* screen for tests and scripts (written by the display code) */
	char *screen_text;   /* text-mode screen, rewritten when it changes */
	char *screenshot;    /* PNG written at exit */
	/* ISA debug console (port 0x402, SeaBIOS's debug log): NULL = none */
	char *debugcon;
	/* control socket (vmm/ctl_server.c, ttyvm-control(7)); a run-time
	 * setting, not a definition key: `ttyvm start` sets it */
	char *control_socket; /* NULL: none */
};

#endif
