/*
 * vmdef.c - VM definition files (ttyvm.ini(5)): the schema, values,
 * defaults, rules between keys, comparison and freeing.
 *
 * One const schema below lists every section and key: its type, range or
 * allowed words, default, the vm_config field it fills and the comment
 * written above it.  Load (vmdef_load.c), validation, save (vmdef_save.c),
 * defaults, comparison and freeing all walk that table, so a later issue
 * adds a key ([display] mode, ...) with one entry there, one rule if it
 * depends on another key, and one paragraph in the man page.  Indexed
 * sections - [disk0] ... [disk7], one per element of vm_config's disks[] -
 * are one section entry with a count and a stride (vmdef_priv.h); an
 * array such as nets[] becomes another such entry.  Keys for features the
 * VMM does not have are refused, not ignored.  Fields of vm_config without
 * a key are settings of one run (control socket, screen files, debug
 * console): never saved, never loaded.
 *
 * Where definitions live (XDG) is paths.c's business; what a running VM
 * does with them is the caller's.  Nothing here prints or keeps global
 * state: every problem becomes one message in the caller's buffer and a
 * negative errno.
 */
#include "ui/vmdef_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net.h"
#include "display/display.h"
#include "util/parse.h"
#include "util/util.h"

/* --- the schema ------------------------------------------------------- */

#define F(field) offsetof(struct vm_config, field)
#define D(field) offsetof(struct disk_config, field)
#define N(field) offsetof(struct nic_config, field)

const struct vmdef_section vmdef_sections[S_COUNT] = {
	[S_VM] = { "vm", "vm", 1, 0, 0, 0 },
	[S_SERIAL] = { "serial", "serial", 1, 0, 0, 0 },
	[S_DISK] = { "disk", "diskN", VM_MAX_DISKS, F(disks), sizeof(struct disk_config),
		     F(ndisks) },
	[S_CDROM] = { "cdrom", "cdrom", 1, 0, 0, 0 },
	[S_DISPLAY] = { "display", "display", 1, 0, 0, 0 },
	[S_NET] = { "net", "netN", VM_MAX_NICS, F(nics), sizeof(struct nic_config),
		    F(nnics) },
};

_Static_assert(VM_MAX_NICS <= VMDEF_IDX_MAX, "VMDEF_IDX_MAX too small for the NICs");

static const struct vmdef_choice vmdef_net_backends[] = {
	{ "user", NIC_USER }, { "tap", NIC_TAP }, { NULL, 0 },
};

_Static_assert(VM_MAX_DISKS <= VMDEF_IDX_MAX, "VMDEF_IDX_MAX too small for the disks");

static const struct vmdef_choice vmdef_serial_modes[] = {
	{ "stdio", SERIAL_STDIO }, { "file", SERIAL_FILE },
	{ "pty", SERIAL_PTY }, { "none", SERIAL_NONE }, { NULL, 0 },
};

static const struct vmdef_choice vmdef_boot_orders[] = {
	{ "auto", BOOT_ORDER_DEFAULT }, { "cd", BOOT_ORDER_CD },
	{ "disk", BOOT_ORDER_DISK }, { "net", BOOT_ORDER_NET }, { NULL, 0 },
};

static const struct vmdef_choice vmdef_disk_ifaces[] = {
	{ "virtio", DISK_IF_VIRTIO }, { "ahci", DISK_IF_AHCI }, { NULL, 0 },
};

static const struct vmdef_choice vmdef_disk_formats[] = {
	{ "auto", DISK_FMT_AUTO }, { "raw", DISK_FMT_RAW }, { "qcow2", DISK_FMT_QCOW2 },
	{ NULL, 0 },
};

/* [display] input: the virtio input devices (VM_INPUT_* bits, --input) */
static const struct vmdef_choice vmdef_input_devices[] = {
	{ "tablet", VM_INPUT_TABLET }, { "keyboard", VM_INPUT_KEYBOARD },
	{ "tablet,keyboard", VM_INPUT_TABLET | VM_INPUT_KEYBOARD },
	{ "none", VM_INPUT_NONE }, { NULL, 0 },
};

static const struct vmdef_choice vmdef_display_modes[] = {
	{ "none", DISPLAY_NONE }, { "sdl", DISPLAY_SDL }, { "vnc", DISPLAY_VNC },
	{ "sdl,vnc", DISPLAY_SDL_VNC }, { "vnc,sdl", DISPLAY_SDL_VNC }, { NULL, 0 },
};

/* [display] vnc_listen: HOST:DISPLAY, :DISPLAY or HOST */
static int vmdef_check_vnc_listen(const char *text, char *why, size_t len)
{
	char host[DISPLAY_HOST_MAX];
	int disp;

	return display_parse_vnc_listen(text, host, sizeof(host), &disp, why, len);
}

_Static_assert(sizeof(enum serial_kind) == sizeof(int), "VT_ENUM fields are int-sized");
_Static_assert(sizeof(enum display_mode) == sizeof(int), "VT_ENUM fields are int-sized");
_Static_assert(sizeof(enum boot_order) == sizeof(int), "VT_ENUM fields are int-sized");
_Static_assert(sizeof(enum disk_iface) == sizeof(int), "VT_ENUM fields are int-sized");
_Static_assert(sizeof(enum disk_format) == sizeof(int), "VT_ENUM fields are int-sized");
_Static_assert(sizeof(enum nic_backend) == sizeof(int), "VT_ENUM fields are int-sized");

const struct vmdef_key vmdef_keys[K_COUNT] = {
	[K_VM_NAME] = { S_VM, "name", VT_NAME, F(name), .def = "vm",
		.help = "VM name: 1-63 letters, digits, '.', '-' or '_' "
			"(default: the file name)" },
	[K_VM_MEMORY] = { S_VM, "memory", VT_SIZE, F(memory),
		VMDEF_MIN_MEMORY, VMDEF_MAX_MEMORY, 1ULL << 20, VMDEF_MEMORY_ALIGN,
		.def = "256M",
		.help = "guest RAM: a size such as 512M or 2G (a bare number is MiB)" },
	[K_VM_CPUS] = { S_VM, "cpus", VT_UINT, F(cpus), 1, VMDEF_MAX_CPUS, .def = "1",
		.help = "virtual CPUs" },
	[K_VM_KERNEL] = { S_VM, "kernel", VT_PATH, F(kernel), .flags = KF_INPUT,
		.help = "Linux bzImage or ELF vmlinux (PVH), booted directly" },
	[K_VM_INITRD] = { S_VM, "initrd", VT_PATH, F(initrd), .flags = KF_INPUT,
		.help = "initial ramdisk (needs kernel)" },
	[K_VM_APPEND] = { S_VM, "append", VT_STRING, F(append),
		.help = "kernel command line (needs kernel)" },
	[K_VM_FLAT] = { S_VM, "flat", VT_PATH, F(flat), .flags = KF_INPUT,
		.help = "flat binary run in real mode at 0000:7C00, instead of kernel (tests)" },
	[K_VM_ACPI] = { S_VM, "acpi", VT_BOOL, F(acpi), .def = "true",
		.help = "ACPI tables: true or false (the MP table is always there)" },
	[K_VM_FIRMWARE] = { S_VM, "firmware", VT_PATH, F(firmware), .flags = KF_INPUT,
		.help = "BIOS image for firmware boot (default: " VMDEF_DEFAULT_FIRMWARE
			" when nothing is booted directly; with kernel, it boots the kernel)" },
	[K_VM_BOOT] = { S_VM, "boot", VT_ENUM, F(boot), .choices = vmdef_boot_orders,
		.def = "auto",
		.help = "what the firmware boots first: auto (the CD-ROM if there is one, "
			"then the disks), cd, disk or net" },
	[K_SERIAL_MODE] = { S_SERIAL, "mode", VT_ENUM, F(serial.kind),
		.choices = vmdef_serial_modes, .def = "stdio",
		.help = "COM1: stdio, file, pty or none" },
	[K_SERIAL_PATH] = { S_SERIAL, "path", VT_PATH, F(serial.path),
		.help = "file the serial output goes to (mode = file only)" },
	[K_DISK_PATH] = { S_DISK, "path", VT_PATH, D(path), .flags = KF_INPUT | KF_REQUIRED,
		.help = "disk image: a raw or qcow2 file (or a block device)" },
	[K_DISK_INTERFACE] = { S_DISK, "interface", VT_ENUM, D(iface),
		.choices = vmdef_disk_ifaces, .def = "virtio",
		.help = "how the guest sees it: virtio (virtio-blk) or ahci (a SATA disk)" },
	[K_DISK_FORMAT] = { S_DISK, "format", VT_ENUM, D(format),
		.choices = vmdef_disk_formats, .def = "auto",
		.help = "image format: raw, qcow2 or auto (a qcow2 header means qcow2)" },
	[K_DISK_READONLY] = { S_DISK, "readonly", VT_BOOL, D(readonly), .def = "false",
		.help = "true: the guest cannot write to it" },
	[K_CDROM_PATH] = { S_CDROM, "path", VT_PATH, F(cdrom), .flags = KF_INPUT,
		.help = "ISO image in the CD-ROM drive (AHCI, read-only)" },
	[K_NET_BACKEND] = { S_NET, "backend", VT_ENUM, N(backend), .choices = vmdef_net_backends,
		.def = "user",
		.help = "what the virtio-net NIC is plugged into: user (NAT, no root needed) "
			"or tap (a host tap interface, e.g. on a bridge)" },
	[K_NET_MAC] = { S_NET, "mac", VT_STRING, N(mac),
		.help = "MAC address such as 52:54:00:12:34:56 (default: derived from the VM "
			"name, the same on every start)" },
	[K_NET_HOSTFWD] = { S_NET, "hostfwd", VT_STRING, N(hostfwd),
		.help = "user: host port forwards, space separated, each "
			"[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, e.g. "
			"tcp::2222-:22 (HOSTADDR defaults to 127.0.0.1)" },
	[K_NET_RESTRICT] = { S_NET, "restrict", VT_BOOL, N(restricted), .def = "false",
		.help = "user: true keeps the guest from reaching the host and the outside; "
			"forwards still work" },
	[K_NET_IPV6] = { S_NET, "ipv6", VT_BOOL, N(ipv6), .def = "true",
		.help = "user: IPv6 (fec0::/64) beside IPv4" },
	[K_NET_NET] = { S_NET, "net", VT_STRING, N(net),
		.help = "user: the guest network (default " NET_USER_DEF_NET ")" },
	[K_NET_HOST] = { S_NET, "host", VT_STRING, N(host),
		.help = "user: the host's address in it, the gateway (default " NET_USER_DEF_HOST
			")" },
	[K_NET_DNS] = { S_NET, "dns", VT_STRING, N(dns),
		.help = "user: the DNS forwarder's address (default " NET_USER_DEF_DNS ")" },
	[K_NET_DHCPSTART] = { S_NET, "dhcpstart", VT_STRING, N(dhcpstart),
		.help = "user: the first address DHCP hands out (default " NET_USER_DEF_DHCPSTART
			")" },
	[K_NET_BOOTFILE] = { S_NET, "bootfile", VT_STRING, N(bootfile),
		.help = "user: boot file DHCP offers for network boot, e.g. an http:// URL of "
			"an iPXE script" },
	[K_NET_IFNAME] = { S_NET, "ifname", VT_STRING, N(ifname),
		.help = "tap: the host interface (needs CAP_NET_ADMIN or a tap made for this "
			"user: ip tuntap add NAME mode tap user $USER)" },
	[K_DISPLAY_MODE] = { S_DISPLAY, "mode", VT_ENUM, F(display.mode),
		.choices = vmdef_display_modes, .def = "none",
		.help = "where the guest's display goes: none, sdl (a window), vnc (a VNC "
			"server) or sdl,vnc" },
	[K_DISPLAY_VNC_LISTEN] = { S_DISPLAY, "vnc_listen", VT_STRING, F(display.vnc_listen),
		.check = vmdef_check_vnc_listen,
		.help = "VNC address: HOST:DISPLAY (port 5900+DISPLAY), :DISPLAY or HOST "
			"(default 127.0.0.1, the first free display from :0)" },
	[K_DISPLAY_VNC_PASSWORD_FILE] = { S_DISPLAY, "vnc_password_file", VT_PATH,
		F(display.vnc_password_file), .flags = KF_INPUT,
		.help = "file whose first line is the VNC password (8 characters at most; "
			"default: $TTYVM_VNC_PASSWORD, else no password)" },
	[K_DISPLAY_INPUT] = { S_DISPLAY, "input", VT_ENUM, F(input),
		.choices = vmdef_input_devices, .def = "tablet",
		.help = "virtio input devices (--input): tablet (an absolute pointer), "
			"keyboard, tablet,keyboard or none" },
};

#undef F
#undef D
#undef N

/*
 * Rules between keys, checked after every key is read (and before a
 * save), on the first instance of indexed sections.  A string key counts
 * as set when it is in the file (in a template also when it is left
 * empty, to be filled in); other keys always have a value.
 */
enum vmdef_rule_kind {
	VR_EXCLUDES,   /* a and b not both */
	VR_NEEDS,      /* a set needs b set */
	VR_NEEDS_WHEN, /* a == value needs b set */
	VR_ONLY_WHEN,  /* a set only when b == value */
};

struct vmdef_rule {
	enum vmdef_rule_kind kind;
	unsigned int a, b;
	int value;
};

static const struct vmdef_rule vmdef_rules[] = {
	{ VR_EXCLUDES, K_VM_FLAT, K_VM_KERNEL, 0 },
	{ VR_EXCLUDES, K_VM_FLAT, K_VM_FIRMWARE, 0 },
	{ VR_NEEDS, K_VM_INITRD, K_VM_KERNEL, 0 },
	{ VR_NEEDS, K_VM_APPEND, K_VM_KERNEL, 0 },
	{ VR_NEEDS_WHEN, K_SERIAL_MODE, K_SERIAL_PATH, SERIAL_FILE },
	{ VR_ONLY_WHEN, K_SERIAL_PATH, K_SERIAL_MODE, SERIAL_FILE },
	{ VR_NEEDS_WHEN, K_VM_BOOT, K_CDROM_PATH, BOOT_ORDER_CD },
	{ VR_NEEDS_WHEN, K_VM_BOOT, K_DISK_PATH, BOOT_ORDER_DISK },
};

/* --- field access ----------------------------------------------------- */

void *vmdef_field(struct vm_config *cfg, unsigned int k, unsigned int idx)
{
	const struct vmdef_section *s = &vmdef_sections[vmdef_keys[k].section];

	return (char *)cfg + s->base + idx * s->stride + vmdef_keys[k].offset;
}

const void *vmdef_cfield(const struct vm_config *cfg, unsigned int k, unsigned int idx)
{
	return vmdef_field((struct vm_config *)cfg, k, idx);
}

bool vmdef_is_string(const struct vmdef_key *k)
{
	return k->type == VT_STRING || k->type == VT_PATH;
}

unsigned int vmdef_count(const struct vm_config *cfg, unsigned int s)
{
	const struct vmdef_section *sec = &vmdef_sections[s];
	unsigned int n;

	if (sec->max == 1)
		return 1;
	n = *(const unsigned int *)((const char *)cfg + sec->count);
	return MIN(n, sec->max);
}

void vmdef_set_count(struct vm_config *cfg, unsigned int s, unsigned int n)
{
	const struct vmdef_section *sec = &vmdef_sections[s];

	if (sec->max > 1)
		*(unsigned int *)((char *)cfg + sec->count) = n;
}

const char *vmdef_secname(unsigned int s, unsigned int idx, char *buf, size_t len)
{
	if (vmdef_sections[s].max == 1)
		snprintf(buf, len, "%s", vmdef_sections[s].name);
	else
		snprintf(buf, len, "%s%u", vmdef_sections[s].name, idx);
	return buf;
}

const char *vmdef_choice_word(const struct vmdef_key *k, int value)
{
	for (const struct vmdef_choice *c = k->choices; c->word; c++)
		if (c->value == value)
			return c->word;
	return NULL;
}

size_t vmdef_scalar_size(const struct vmdef_key *k)
{
	switch (k->type) {
	case VT_NAME:
		return VM_NAME_MAX;
	case VT_SIZE:
		return sizeof(uint64_t);
	case VT_UINT:
		return sizeof(unsigned int);
	case VT_BOOL:
		return sizeof(bool);
	case VT_ENUM:
		return sizeof(int);
	case VT_STRING:
	case VT_PATH:
		break;
	}
	return 0;
}

/* --- messages --------------------------------------------------------- */

/* Copies user text for a message: control characters become '?', long
 * text is cut with "...". */
const char *vmdef_show(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && s[i]; i++) {
		if (o + 4 >= outlen || i >= VMDEF_SHOW_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
	return out;
}

/*
 * "FILE:LINE: " (or "FILE: " without a line) then the message, into the
 * caller's buffer.  vmdef_fail returns -EINVAL (the content is wrong),
 * vmdef_fail_errno returns the negative errno it is given.
 */
static int vmdef_vfail(struct vmdef_ctx *c, int r, unsigned int line, const char *fmt,
		       va_list ap)
{
	int n;

	if (!c->err || !c->errlen)
		return r;
	if (line)
		n = snprintf(c->err, c->errlen, "%s:%u: ", c->file, line);
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->file);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	return r;
}

int vmdef_fail(struct vmdef_ctx *c, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vmdef_vfail(c, -EINVAL, line, fmt, ap);
	va_end(ap);
	return r;
}

int vmdef_fail_errno(struct vmdef_ctx *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vmdef_vfail(c, r, 0, fmt, ap);
	va_end(ap);
	return r;
}

int vmdef_fail_key(struct vmdef_ctx *c, unsigned int k, unsigned int idx, const char *value,
		   const char *why)
{
	char shown[VMDEF_SHOW_MAX + 8], sec[32];

	vmdef_secname(vmdef_keys[k].section, idx, sec, sizeof(sec));
	if (value)
		return vmdef_fail(c, c->line[k][idx], "[%s] %s = %s: %s", sec,
				  vmdef_keys[k].name,
				  vmdef_show(value, SIZE_MAX, shown, sizeof(shown)), why);
	return vmdef_fail(c, c->line[k][idx], "[%s] %s: %s", sec, vmdef_keys[k].name, why);
}

/* A size as short as it is exact: 4K, 256M, 1T. */
void vmdef_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && (v & 1023) == 0) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

/* What a key accepts, worded for the end of a message. */
void vmdef_allowed(const struct vmdef_key *k, char *buf, size_t len)
{
	char lo[24], hi[24], al[24];
	size_t n;

	switch (k->type) {
	case VT_NAME:
		snprintf(buf, len, "%s", VMDEF_NAME_RULE);
		break;
	case VT_SIZE:
		vmdef_fmt_size(k->min, lo, sizeof(lo));
		vmdef_fmt_size(k->max, hi, sizeof(hi));
		vmdef_fmt_size(k->align, al, sizeof(al));
		snprintf(buf, len, "use a size from %s to %s, a multiple of %s, such as "
			 "512M or 2G (a bare number is %s)", lo, hi, al,
			 k->unit == 1ULL << 30 ? "GiB" : k->unit == 1ULL << 20 ? "MiB" :
			 k->unit == 1ULL << 10 ? "KiB" : "bytes");
		break;
	case VT_UINT:
		snprintf(buf, len, "use a whole number from %llu to %llu",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	case VT_BOOL:
		snprintf(buf, len, "use true or false (or yes/no, on/off, 1/0)");
		break;
	case VT_ENUM:
		n = (size_t)snprintf(buf, len, "use one of:");
		for (const struct vmdef_choice *c = k->choices; c->word && n < len; c++)
			n += (size_t)snprintf(buf + n, len - n, "%s %s", c == k->choices ? "" : ",",
					      c->word);
		break;
	case VT_PATH:
		snprintf(buf, len, "give a file name (a relative one starts from the "
			 "definition's directory)");
		break;
	case VT_STRING:
		snprintf(buf, len, "any text on one line");
		break;
	}
}

/* --- values ----------------------------------------------------------- */

bool vmdef_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= VM_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int vmdef_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Checks the value a non-string key holds in cfg (ranges, names, enum
 * members): shared by load and save.  Returns 0, or -EINVAL with why.
 */
int vmdef_check_value(unsigned int k, unsigned int idx, const struct vm_config *cfg,
		      char *why, size_t len)
{
	const struct vmdef_key *key = &vmdef_keys[k];
	const void *f = vmdef_cfield(cfg, k, idx);
	char allowed[160];
	uint64_t v;

	vmdef_allowed(key, allowed, sizeof(allowed));
	switch (key->type) {
	case VT_NAME:
		if (!vmdef_name_valid(f)) {
			snprintf(why, len, "not a valid name; %s", allowed);
			return -EINVAL;
		}
		return 0;
	case VT_SIZE:
	case VT_UINT:
		v = key->type == VT_SIZE ? *(const uint64_t *)f : *(const unsigned int *)f;
		if (v < key->min || v > key->max) {
			snprintf(why, len, "out of range; %s", allowed);
			return -EINVAL;
		}
		if (key->type == VT_SIZE && key->align && v % key->align) {
			char al[24];

			vmdef_fmt_size(key->align, al, sizeof(al));
			snprintf(why, len, "not a multiple of %s; %s", al, allowed);
			return -EINVAL;
		}
		return 0;
	case VT_ENUM:
		if (!vmdef_choice_word(key, *(const int *)f)) {
			snprintf(why, len, "not allowed; %s", allowed);
			return -EINVAL;
		}
		return 0;
	case VT_BOOL:
	case VT_STRING:
	case VT_PATH:
		return 0;
	}
	return 0;
}

/* Parses text into a non-string key's field.  Returns 0 or -EINVAL + why. */
int vmdef_parse_value(unsigned int k, unsigned int idx, const char *text,
		      struct vm_config *cfg, char *why, size_t len)
{
	const struct vmdef_key *key = &vmdef_keys[k];
	void *f = vmdef_field(cfg, k, idx);
	char allowed[160];
	uint64_t v;
	bool b;
	int r;

	vmdef_allowed(key, allowed, sizeof(allowed));
	switch (key->type) {
	case VT_NAME:
		if (!vmdef_name_valid(text)) {
			snprintf(why, len, "not a valid name; %s", allowed);
			return -EINVAL;
		}
		snprintf(f, VM_NAME_MAX, "%s", text);
		return 0;
	case VT_SIZE:
		r = parse_size(text, key->unit, &v);
		if (r) {
			snprintf(why, len, "%s; %s", r == -ERANGE ? "out of range" : "not a size",
				 allowed);
			return -EINVAL;
		}
		*(uint64_t *)f = v;
		return 0;
	case VT_UINT:
		r = parse_uint(text, 0, UINT32_MAX, &v);
		if (r) {
			snprintf(why, len, "%s; %s",
				 r == -ERANGE ? "out of range" : "not a whole number", allowed);
			return -EINVAL;
		}
		*(unsigned int *)f = (unsigned int)v;
		return 0;
	case VT_BOOL:
		if (vmdef_parse_bool(text, &b)) {
			snprintf(why, len, "not a boolean; %s", allowed);
			return -EINVAL;
		}
		*(bool *)f = b;
		return 0;
	case VT_ENUM:
		for (const struct vmdef_choice *c = key->choices; c->word; c++) {
			if (strcmp(text, c->word) == 0) {
				*(int *)f = c->value;
				return 0;
			}
		}
		snprintf(why, len, "not allowed; %s", allowed);
		return -EINVAL;
	case VT_STRING:
	case VT_PATH:
		break;
	}
	snprintf(why, len, "internal error: not a scalar key");
	return -EINVAL;
}

void vmdef_free(struct vm_config *cfg)
{
	for (unsigned int k = 0; k < K_COUNT; k++) {
		if (!vmdef_is_string(&vmdef_keys[k]))
			continue;
		unsigned int n = vmdef_count(cfg, vmdef_keys[k].section);
		for (unsigned int i = 0; i < n; i++)
			free(*(char **)vmdef_field(cfg, k, i));
	}
	/* every string of a vm_config is owned by it, keys or not */
	free(cfg->screen_text);
	free(cfg->screenshot);
	free(cfg->debugcon);
	free(cfg->control_socket);
	memset(cfg, 0, sizeof(*cfg));
}

void vmdef_instance_defaults(struct vm_config *cfg, unsigned int s, unsigned int idx)
{
	char why[256];

	for (unsigned int k = 0; k < K_COUNT; k++) {
		const struct vmdef_key *key = &vmdef_keys[k];
		/* string keys have no default; a broken default is a bug here */
		if (key->section == s && key->def && !vmdef_is_string(key) &&
		    vmdef_parse_value(k, idx, key->def, cfg, why, sizeof(why)))
			abort();
	}
}

void vmdef_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int s = 0; s < S_COUNT; s++)
		if (vmdef_sections[s].max == 1)
			vmdef_instance_defaults(cfg, s, 0);
}

bool vmdef_key_info(unsigned int i, const char **section, const char **key,
		    const char **help)
{
	if (i >= K_COUNT)
		return false;
	*section = vmdef_sections[vmdef_keys[i].section].doc;
	*key = vmdef_keys[i].name;
	*help = vmdef_keys[i].help;
	return true;
}

static bool vmdef_key_equal(unsigned int k, unsigned int idx, const struct vm_config *a,
			    const struct vm_config *b)
{
	const void *fa = vmdef_cfield(a, k, idx), *fb = vmdef_cfield(b, k, idx);
	const char *sa, *sb;

	switch (vmdef_keys[k].type) {
	case VT_NAME:
		return strncmp(fa, fb, VM_NAME_MAX) == 0;
	case VT_STRING:
	case VT_PATH:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		return sa && sb ? strcmp(sa, sb) == 0 : sa == sb;
	case VT_SIZE:
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	case VT_UINT:
		return *(const unsigned int *)fa == *(const unsigned int *)fb;
	case VT_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case VT_ENUM:
		return *(const int *)fa == *(const int *)fb;
	}
	return false;
}

int vmdef_first_difference(const struct vm_config *a, const struct vm_config *b,
			   unsigned int *k, unsigned int *idx)
{
	for (unsigned int key = 0; key < K_COUNT; key++) {
		unsigned int s = vmdef_keys[key].section;
		unsigned int na = vmdef_count(a, s), nb = vmdef_count(b, s);

		for (unsigned int i = 0; i < MIN(na, nb); i++) {
			if (!vmdef_key_equal(key, i, a, b)) {
				*k = key;
				*idx = i;
				return 1;
			}
		}
		if (na != nb) {
			*k = key;
			*idx = MIN(na, nb);
			return 1;
		}
	}
	return 0;
}

bool vmdef_equal(const struct vm_config *a, const struct vm_config *b)
{
	unsigned int k, idx;

	return !vmdef_first_difference(a, b, &k, &idx);
}

/* --- rules between keys ----------------------------------------------- */

static bool vmdef_is_set(const struct vmdef_ctx *c, const struct vm_config *cfg,
			 unsigned int k)
{
	if (vmdef_count(cfg, vmdef_keys[k].section) == 0)
		return false;
	if (!vmdef_is_string(&vmdef_keys[k]))
		return true;
	return *(char *const *)vmdef_cfield(cfg, k, 0) || c->blank[k][0];
}

static const char *vmdef_keyname(unsigned int k, char *buf, size_t len)
{
	char sec[32];

	snprintf(buf, len, "[%s] %s", vmdef_secname(vmdef_keys[k].section, 0, sec, sizeof(sec)),
		 vmdef_keys[k].name);
	return buf;
}

/* A definition must boot something: directly, or through the firmware. */
static int vmdef_check_bootable(struct vmdef_ctx *c, const struct vm_config *cfg)
{
	if ((c->flags & VMDEF_TEMPLATE) == VMDEF_TEMPLATE)
		return 0;
	if (vmdef_is_set(c, cfg, K_VM_KERNEL) || vmdef_is_set(c, cfg, K_VM_FLAT) ||
	    vmdef_is_set(c, cfg, K_VM_FIRMWARE) || vmdef_is_set(c, cfg, K_CDROM_PATH) ||
	    vmdef_count(cfg, S_DISK) > 0 || cfg->boot == BOOT_ORDER_NET)
		return 0;
	return vmdef_fail(c, 0, "nothing to boot: set [vm] kernel (or [vm] flat), or give "
			  "the firmware a [disk0] or [cdrom] path to boot (or [vm] boot = net)");
}

/* Each NIC as the network code would take it (net_nic_check). */
static int vmdef_check_nics(struct vmdef_ctx *c, const struct vm_config *cfg)
{
	char why[256];

	for (unsigned int i = 0; i < vmdef_count(cfg, S_NET); i++) {
		if (net_nic_check(&cfg->nics[i], NULL, why, sizeof(why)) < 0)
			return vmdef_fail(c, c->line[K_NET_BACKEND][i], "[net%u] %s", i, why);
	}
	return 0;
}

int vmdef_check_rules(struct vmdef_ctx *c, const struct vm_config *cfg)
{
	char a[48], b[48], why[160];
	int nrc = vmdef_check_nics(c, cfg);

	if (nrc)
		return nrc;

	for (size_t i = 0; i < ARRAY_SIZE(vmdef_rules); i++) {
		const struct vmdef_rule *r = &vmdef_rules[i];
		bool sa = vmdef_is_set(c, cfg, r->a), sb = vmdef_is_set(c, cfg, r->b);
		const struct vmdef_key *ka = &vmdef_keys[r->a], *kb = &vmdef_keys[r->b];

		vmdef_keyname(r->a, a, sizeof(a));
		vmdef_keyname(r->b, b, sizeof(b));
		switch (r->kind) {
		case VR_EXCLUDES:
			if (sa && sb) {
				/* point at the later of the two */
				unsigned int at = c->line[r->b][0] > c->line[r->a][0] ? r->b : r->a;
				unsigned int other = at == r->a ? r->b : r->a;

				snprintf(why, sizeof(why), "cannot be used together with %s",
					 at == r->a ? b : a);
				if (c->line[other][0])
					snprintf(why + strlen(why), sizeof(why) - strlen(why),
						 " (line %u)", c->line[other][0]);
				return vmdef_fail_key(c, at, 0, NULL, why);
			}
			break;
		case VR_NEEDS:
			if (sa && !sb) {
				snprintf(why, sizeof(why), "needs %s", b);
				return vmdef_fail_key(c, r->a, 0, NULL, why);
			}
			break;
		case VR_NEEDS_WHEN:
			if (*(const int *)vmdef_cfield(cfg, r->a, 0) == r->value && !sb) {
				snprintf(why, sizeof(why), "needs %s", b);
				return vmdef_fail_key(c, r->a, 0, vmdef_choice_word(ka, r->value),
						      why);
			}
			break;
		case VR_ONLY_WHEN:
			if (sa && *(const int *)vmdef_cfield(cfg, r->b, 0) != r->value) {
				snprintf(why, sizeof(why), "only used with %s = %s", b,
					 vmdef_choice_word(kb, r->value));
				return vmdef_fail_key(c, r->a, 0, NULL, why);
			}
			break;
		}
	}
	return vmdef_check_bootable(c, cfg);
}
