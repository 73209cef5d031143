/*
 * tui_wizard_model.c - the creation wizard without the screen: answers,
 * field checks, step order, and the VM definition they make.
 *
 * The checks are the ones the definition itself applies (vmdef_name_valid,
 * the size and vCPU ranges of vmdef.h) narrowed by the host (vmstore_host:
 * no more vCPUs than the host has, no more memory than its RAM), plus
 * "this file exists and can be read" for every path, so a wrong answer
 * shows while it is typed rather than when the VM starts.
 *
 * Some parts of a definition arrive with other work: disks and a CD-ROM
 * ([diskN], [cdrom]), the network ([netN]) and the display ([display]).
 * Whether this ttyvm has them is asked of the schema (vmdef_key_info), so
 * the wizard offers a choice only once it can be saved; network and
 * display choices are shown and asked for, and the summary says plainly
 * that they are not written until the definitions have keys for them.
 * Creating the VM (vmstore_create, img_create) is tui_wizard.c's.
 */
#include "ui/tui_wizard.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "net/net.h"
#include "ui/tui.h"
#include "ui/vmdef.h"
#include "util/errmsg.h"
#include "util/parse.h"
#include "util/util.h"

#define TUI_WIZ_DEFAULT_DISK "20"                 /* GiB */
#define TUI_WIZ_MAX_FORWARDS 16   /* rules one wizard run takes */
#define TUI_WIZ_MAX_DISK     (64ULL << 40)        /* qcow2 v3 with 64 KiB clusters */

static void tui_wiz_answers_from_base(struct tui_wiz *w)
{
	char mem[32];

	tui_fmt_memory(w->base.memory, mem, sizeof(mem));
	/* tui_fmt_memory may give "1.5G": write exact MiB then */
	if (strchr(mem, '.'))
		snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(w->base.memory / MiB));
	snprintf(w->memory, sizeof(w->memory), "%s", mem);
	snprintf(w->cpus, sizeof(w->cpus), "%u", w->base.cpus);
	snprintf(w->append, sizeof(w->append), "%s", w->base.append ? w->base.append : "");
	/* a preset's paths are left empty for the user: tell its kind by
	 * the keys it does set */
	if (w->base.append || w->base.initrd || w->base.kernel)
		tui_wiz_set_boot(w, TUI_BOOT_KERNEL);
	else if (w->base.cdrom || w->base.boot == BOOT_ORDER_CD)
		tui_wiz_set_boot(w, TUI_BOOT_ISO);
	else if (w->base.ndisks || w->base.boot == BOOT_ORDER_DISK)
		tui_wiz_set_boot(w, TUI_BOOT_DISK);
}

void tui_wiz_set_boot(struct tui_wiz *w, enum tui_wiz_boot b)
{
	char why[160];

	if ((unsigned int)b >= TUI_BOOT_COUNT)
		return;
	/* an installer needs a disk to install onto */
	if (b == TUI_BOOT_ISO && w->boot != TUI_BOOT_ISO && w->disk == TUI_DISK_NONE &&
	    tui_wiz_disk_supported(TUI_DISK_NEW, why, sizeof(why))) {
		w->disk = TUI_DISK_NEW;
		w->disk_format = DISK_FMT_QCOW2;
	}
	w->boot = b;
}

void tui_wiz_init(struct tui_wiz *w, const struct vmstore_host *host)
{
	memset(w, 0, sizeof(*w));
	w->host = *host;
	vmdef_defaults(&w->base);
	vmstore_fit_host(&w->base, host);
	w->boot = TUI_BOOT_KERNEL;
	tui_wiz_answers_from_base(w);
	snprintf(w->append, sizeof(w->append), "console=ttyS0");
	w->disk = TUI_DISK_NONE;
	w->disk_format = DISK_FMT_QCOW2;
	snprintf(w->disk_size, sizeof(w->disk_size), TUI_WIZ_DEFAULT_DISK);
	w->net = TUI_NET_NAT;
	w->display = TUI_DISPLAY_VNC;   /* as ttyvm create: an installer needs a screen */
	w->start = true;
}

void tui_wiz_free(struct tui_wiz *w)
{
	vmdef_free(&w->base);
}

int tui_wiz_set_preset(struct tui_wiz *w, const char *preset, char *err, size_t errlen)
{
	struct vm_config cfg;
	int r;

	if (!preset[0]) {
		vmdef_free(&w->base);
		vmdef_defaults(&w->base);
		vmstore_fit_host(&w->base, &w->host);
		w->preset[0] = '\0';
		tui_wiz_answers_from_base(w);
		return 0;
	}
	r = vmstore_preset_load(preset, &cfg, err, errlen);
	if (r)
		return r;
	vmstore_fit_host(&cfg, &w->host);
	vmdef_free(&w->base);
	w->base = cfg;
	snprintf(w->preset, sizeof(w->preset), "%s", preset);
	tui_wiz_answers_from_base(w);
	return 0;
}

/* --- what this ttyvm's definitions can hold ---------------------------------------- */

bool tui_wiz_have_section(const char *section)
{
	const char *s, *k, *h;
	size_t n = strlen(section);

	for (unsigned int i = 0; vmdef_key_info(i, &s, &k, &h); i++) {
		if (strcmp(s, section) == 0)
			return true;
		/* an indexed section, as the schema names it (diskN) or one
		 * instance (disk0) */
		if (strncmp(s, section, n) == 0 &&
		    (isdigit((unsigned char)s[n]) || strcmp(s + n, "N") == 0))
			return true;
	}
	return false;
}

static bool tui_wiz_needs(const char *section, const char *shown, char *why, size_t len)
{
	if (tui_wiz_have_section(section))
		return true;
	snprintf(why, len, "needs %s keys (not in this ttyvm yet)", shown);
	return false;
}

bool tui_wiz_boot_supported(enum tui_wiz_boot b, char *why, size_t len)
{
	switch (b) {
	case TUI_BOOT_KERNEL: return true;
	case TUI_BOOT_ISO: return tui_wiz_needs("cdrom", "[cdrom]", why, len);
	case TUI_BOOT_DISK: return tui_wiz_needs("disk", "[disk0]", why, len);
	case TUI_BOOT_COUNT: break;
	}
	snprintf(why, len, "unknown");
	return false;
}

bool tui_wiz_disk_supported(enum tui_wiz_disk d, char *why, size_t len)
{
	return d == TUI_DISK_NONE || tui_wiz_needs("disk", "[disk0]", why, len);
}

/* --- checks ------------------------------------------------------------------------ */

int tui_wiz_check_name(void *ctx, const char *text, char *why, size_t len)
{
	(void)ctx;
	if (!text[0])
		return errmsg_set(why, len, -EINVAL, NULL, "type a name for the VM");
	if (!vmdef_name_valid(text))
		return errmsg_set(why, len, -EINVAL, NULL, "%s", VMDEF_NAME_RULE);
	if (vmstore_exists(text))
		return errmsg_set(why, len, -EEXIST, NULL, "a VM called %s exists already", text);
	snprintf(why, len, "ok");
	return 0;
}

int tui_wiz_check_file(void *ctx, const char *text, char *why, size_t len)
{
	struct stat st;

	(void)ctx;
	if (!text[0])
		return errmsg_set(why, len, -EINVAL, NULL, "type the path of a file");
	if (stat(text, &st) < 0)
		return errmsg_set(why, len, -errno, NULL, "%s", errno == ENOENT ? "no such file" :
			        strerror(errno));
	if (S_ISDIR(st.st_mode))
		return errmsg_set(why, len, -EISDIR, NULL, "a directory, not a file");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return errmsg_set(why, len, -EINVAL, NULL, "not a regular file");
	if (access(text, R_OK) < 0)
		return errmsg_set(why, len, -errno, NULL, "cannot be read: %s", strerror(errno));
	if (text[0] != '/')
		snprintf(why, len, "ok (relative to %s)", "the directory ttyvm was started in");
	else
		snprintf(why, len, "ok");
	return 0;
}

int tui_wiz_check_optional_file(void *ctx, const char *text, char *why, size_t len)
{
	if (!text[0]) {
		snprintf(why, len, "none");
		return 0;
	}
	return tui_wiz_check_file(ctx, text, why, len);
}

int tui_wiz_check_append(void *ctx, const char *text, char *why, size_t len)
{
	(void)ctx;
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return errmsg_set(why, len, -EINVAL, NULL, "no control characters");
	if (strlen(text) > 2048)
		return errmsg_set(why, len, -E2BIG, NULL, "at most 2048 characters");
	why[0] = '\0';
	return 0;
}

int tui_wiz_check_memory(void *ctx, const char *text, char *why, size_t len)
{
	const struct tui_wiz *w = ctx;
	uint64_t v, max = w->host.max_memory ? w->host.max_memory : VMDEF_MAX_MEMORY;
	char maxs[32];

	if (max > VMDEF_MAX_MEMORY)
		max = VMDEF_MAX_MEMORY;
	tui_fmt_memory(max, maxs, sizeof(maxs));
	if (parse_size(text, MiB, &v))
		return errmsg_set(why, len, -EINVAL, NULL, "a size such as 512M or 2G (at most %s)", maxs);
	if (v < VMDEF_MIN_MEMORY)
		return errmsg_set(why, len, -ERANGE, NULL, "at least 2M");
	if (v > max)
		return errmsg_set(why, len, -ERANGE, NULL, "at most %s (the host's RAM)", maxs);
	if (v % VMDEF_MEMORY_ALIGN)
		return errmsg_set(why, len, -EINVAL, NULL, "whole 4K pages");
	snprintf(why, len, "ok: %llu MiB of the host's %s", (unsigned long long)(v / MiB), maxs);
	return 0;
}

int tui_wiz_check_cpus(void *ctx, const char *text, char *why, size_t len)
{
	const struct tui_wiz *w = ctx;
	unsigned int max = w->host.max_cpus ? w->host.max_cpus : 1;
	uint64_t v;

	if (parse_uint(text, 1, max, &v))
		return errmsg_set(why, len, -ERANGE, NULL, "a number from 1 to %u (the host's CPUs)", max);
	snprintf(why, len, "ok");
	return 0;
}

int tui_wiz_check_disk_size(void *ctx, const char *text, char *why, size_t len)
{
	uint64_t v;

	(void)ctx;
	if (parse_size(text, GiB, &v))
		return errmsg_set(why, len, -EINVAL, NULL, "a size such as 20 (GiB) or 512M");
	if (v < MiB)
		return errmsg_set(why, len, -ERANGE, NULL, "at least 1M");
	if (v > TUI_WIZ_MAX_DISK)
		return errmsg_set(why, len, -ERANGE, NULL, "at most 64T");
	snprintf(why, len, "ok: %llu MiB, allocated as the guest writes",
		 (unsigned long long)(v / MiB));
	return 0;
}

/*
 * The forwards as typed into the definition's form: rules separated by
 * commas or spaces, each QEMU's [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:
 * GUESTPORT, where the wizard also takes the short forms people type
 * ("tcp:2222-:22", "2222-22": a bare port on either side).  Writes the
 * rules space separated in full form to out; false when out is too small.
 */
static bool tui_forwards_normalise(const char *text, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = text; *p;) {
		size_t tl = strcspn(p, ", ");
		char rule[128], host[64];
		const char *proto = "tcp", *r = rule, *dash, *g;

		if (tl == 0) {
			p++;
			continue;
		}
		if (tl >= sizeof(rule))
			return false;
		memcpy(rule, p, tl);
		rule[tl] = '\0';
		p += tl;
		if (strncmp(r, "tcp:", 4) == 0 || strncmp(r, "udp:", 4) == 0) {
			proto = r[0] == 'u' ? "udp" : "tcp";
			r += 4;
		}
		dash = strchr(r, '-');
		if (!dash || (size_t)(dash - r) >= sizeof(host)) {
			/* not a form the wizard knows: the parser names it */
			if (n + tl + 2 > len)
				return false;
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", rule);
			continue;
		}
		memcpy(host, r, (size_t)(dash - r));
		host[dash - r] = '\0';
		g = dash + 1;
		int w = snprintf(out + n, len - n, "%s%s:%s%s-%s%s", n ? " " : "", proto,
				 strchr(host, ':') ? "" : ":", host, strchr(g, ':') ? "" : ":", g);
		if (w < 0 || (size_t)w >= len - n)
			return false;
		n += (size_t)w;
	}
	return true;
}

int tui_wiz_check_forwards(void *ctx, const char *text, char *why, size_t len)
{
	struct net_hostfwd fw[TUI_WIZ_MAX_FORWARDS];
	char rules[sizeof(((struct tui_wiz *)0)->forwards) * 2];
	unsigned int n;
	int r;

	(void)ctx;
	if (!text[0]) {
		snprintf(why, len, "none (the guest reaches out; nothing reaches in)");
		return 0;
	}
	if (!tui_forwards_normalise(text, rules, sizeof(rules)))
		return errmsg_set(why, len, -EINVAL, NULL, "too long: at most %d rules",
				  TUI_WIZ_MAX_FORWARDS);
	/* the rules as the definition's hostfwd key takes them (net.h) */
	r = net_hostfwd_list_parse(rules, fw, TUI_WIZ_MAX_FORWARDS, &n, why, len);
	if (r)
		return r;
	snprintf(why, len, "ok: %u forward%s from 127.0.0.1 unless a host address is given", n,
		 n == 1 ? "" : "s");
	return 0;
}

int tui_wiz_check_tap(void *ctx, const char *text, char *why, size_t len)
{
	(void)ctx;
	if (!text[0] || strlen(text) > 15)
		return errmsg_set(why, len, -EINVAL, NULL, "a device name of 1-15 characters, e.g. tap0");
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return errmsg_set(why, len, -EINVAL, NULL, "letters, digits, '_', '.' or '-'");
	snprintf(why, len, "ok (the device must exist and be yours: ip tuntap add)");
	return 0;
}

/* --- steps ------------------------------------------------------------------------------ */

static bool tui_wiz_shown(const struct tui_wiz *w, enum tui_wiz_step s)
{
	switch (s) {
	case TUI_WIZ_DISK:
		return w->boot != TUI_BOOT_DISK; /* that disk is the disk */
	case TUI_WIZ_DISK_DETAIL:
		return w->boot != TUI_BOOT_DISK && w->disk != TUI_DISK_NONE;
	case TUI_WIZ_NET_DETAIL:
		return w->net != TUI_NET_NONE;
	default:
		return true;
	}
}

enum tui_wiz_step tui_wiz_next(const struct tui_wiz *w, enum tui_wiz_step s)
{
	if (s >= TUI_WIZ_DONE)
		return TUI_WIZ_DONE;
	do
		s++;
	while (s < TUI_WIZ_DONE && !tui_wiz_shown(w, s));
	return s;
}

enum tui_wiz_step tui_wiz_prev(const struct tui_wiz *w, enum tui_wiz_step s)
{
	if (s > TUI_WIZ_DONE)
		s = TUI_WIZ_DONE;
	while (s > TUI_WIZ_NAME) {
		s--;
		if (tui_wiz_shown(w, s))
			return s;
	}
	return TUI_WIZ_NAME;
}

void tui_wiz_position(const struct tui_wiz *w, enum tui_wiz_step s, unsigned int *pos,
		      unsigned int *count)
{
	*pos = 0;
	*count = 0;
	for (enum tui_wiz_step i = TUI_WIZ_NAME; i < TUI_WIZ_DONE; i = tui_wiz_next(w, i)) {
		(*count)++;
		if (i <= s)
			*pos = *count;
	}
}

/* --- the definition ---------------------------------------------------------------------- */

static int tui_wiz_dup(char **field, const char *text)
{
	free(*field);
	*field = NULL;
	if (!text || !text[0])
		return 0;
	*field = strdup(text);
	return *field ? 0 : -ENOMEM;
}

static int tui_wiz_recheck(const struct tui_wiz *w, tui_check_fn check, const char *text,
			   const char *what, char *err, size_t errlen)
{
	char why[256];
	int r = check((void *)w, text, why, sizeof(why));

	if (r)
		snprintf(err, errlen, "%s '%s': %s", what, text, why);
	return r;
}

/* The network answer replaces the preset's NICs: one user or tap NIC, or none. */
static int tui_wiz_build_net(const struct tui_wiz *w, struct vm_config *cfg, char *err,
			     size_t errlen)
{
	struct nic_config *nic = &cfg->nics[0];
	int r;

	for (unsigned int i = 0; i < cfg->nnics && i < VM_MAX_NICS; i++)
		net_nic_free(&cfg->nics[i]);
	cfg->nnics = 0;
	if (w->net == TUI_NET_NONE)
		return 0;
	net_nic_defaults(nic);
	cfg->nnics = 1;
	if (w->net == TUI_NET_TAP) {
		if ((r = tui_wiz_recheck(w, tui_wiz_check_tap, w->tap, "tap device", err, errlen)))
			return r;
		nic->backend = NIC_TAP;
		return tui_wiz_dup(&nic->ifname, w->tap);
	}
	if (!w->forwards[0])
		return 0;
	if ((r = tui_wiz_recheck(w, tui_wiz_check_forwards, w->forwards, "port forwards", err,
				 errlen)))
		return r;
	char rules[sizeof(w->forwards) * 2];
	if (!tui_forwards_normalise(w->forwards, rules, sizeof(rules)))
		return -EINVAL; /* tui_wiz_check_forwards() said so already */
	/* the definition holds the rules space separated, in full form */
	return tui_wiz_dup(&nic->hostfwd, rules);
}

int tui_wiz_build(const struct tui_wiz *w, struct vm_config *cfg, uint64_t *new_disk_size,
		  char *err, size_t errlen)
{
	char why[160];
	uint64_t v;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	*new_disk_size = 0;
	if ((r = tui_wiz_recheck(w, tui_wiz_check_name, w->name, "name", err, errlen)) ||
	    (r = tui_wiz_recheck(w, tui_wiz_check_memory, w->memory, "memory", err, errlen)) ||
	    (r = tui_wiz_recheck(w, tui_wiz_check_cpus, w->cpus, "vCPUs", err, errlen)))
		return r;
	if (!tui_wiz_boot_supported(w->boot, why, sizeof(why))) {
		snprintf(err, errlen, "that kind of boot %s", why);
		return -ENOTSUP;
	}
	/* the base anew (not a copy of w->base: every string owned once) */
	if (w->preset[0]) {
		r = vmstore_preset_load(w->preset, cfg, err, errlen);
		if (r)
			return r;
	} else {
		vmdef_defaults(cfg);
	}
	/* what to boot and the disks come from the answers alone */
	tui_wiz_dup(&cfg->kernel, NULL);
	tui_wiz_dup(&cfg->initrd, NULL);
	tui_wiz_dup(&cfg->cdrom, NULL);
	for (unsigned int i = 0; i < VM_MAX_DISKS; i++)
		tui_wiz_dup(&cfg->disks[i].path, NULL);
	memset(cfg->disks, 0, sizeof(cfg->disks));
	cfg->ndisks = 0;
	snprintf(cfg->name, sizeof(cfg->name), "%s", w->name);
	parse_size(w->memory, MiB, &v);
	cfg->memory = v;
	parse_uint(w->cpus, 1, VMDEF_MAX_CPUS, &v);
	cfg->cpus = (unsigned int)v;

	r = 0;
	switch (w->boot) {
	case TUI_BOOT_KERNEL:
		if ((r = tui_wiz_recheck(w, tui_wiz_check_file, w->kernel, "kernel", err, errlen)) ||
		    (r = tui_wiz_recheck(w, tui_wiz_check_optional_file, w->initrd, "initrd", err,
					 errlen)) ||
		    (r = tui_wiz_recheck(w, tui_wiz_check_append, w->append, "command line", err,
					 errlen)))
			break;
		r = tui_wiz_dup(&cfg->kernel, w->kernel) | tui_wiz_dup(&cfg->initrd, w->initrd) |
		    tui_wiz_dup(&cfg->append, w->append);
		break;
	case TUI_BOOT_ISO:
		free(cfg->append);
		cfg->append = NULL;
		if (!(r = tui_wiz_recheck(w, tui_wiz_check_file, w->iso, "ISO image", err, errlen)))
			r = tui_wiz_dup(&cfg->cdrom, w->iso);
		break;
	case TUI_BOOT_DISK:
		free(cfg->append);
		cfg->append = NULL;
		if (!(r = tui_wiz_recheck(w, tui_wiz_check_file, w->boot_disk, "disk image", err,
					  errlen))) {
			r = tui_wiz_dup(&cfg->disks[0].path, w->boot_disk);
			cfg->disks[0].format = DISK_FMT_AUTO;
			cfg->ndisks = 1;
		}
		break;
	case TUI_BOOT_COUNT:
		r = -EINVAL;
		break;
	}
	if (r == 0 && w->boot != TUI_BOOT_DISK && w->disk != TUI_DISK_NONE) {
		if (!tui_wiz_disk_supported(w->disk, why, sizeof(why))) {
			snprintf(err, errlen, "a disk %s", why);
			r = -ENOTSUP;
		} else if (w->disk == TUI_DISK_EXISTING) {
			if (!(r = tui_wiz_recheck(w, tui_wiz_check_file, w->disk_path, "disk image",
						  err, errlen))) {
				r = tui_wiz_dup(&cfg->disks[0].path, w->disk_path);
				cfg->disks[0].format = DISK_FMT_AUTO;
				cfg->ndisks = 1;
			}
		} else if (!(r = tui_wiz_recheck(w, tui_wiz_check_disk_size, w->disk_size,
						 "disk size", err, errlen))) {
			/* made by the caller (vmstore_disk_create), then added */
			parse_size(w->disk_size, GiB, new_disk_size);
		}
	}
	if (r == 0)
		r = tui_wiz_build_net(w, cfg, err, errlen);
	if (r == 0)
		cfg->display.mode = w->display == TUI_DISPLAY_SDL   ? DISPLAY_SDL
				    : w->display == TUI_DISPLAY_VNC ? DISPLAY_VNC
								    : DISPLAY_NONE;
	if (r) {
		if (r == -ENOMEM || !err[0])
			snprintf(err, errlen, "out of memory");
		vmdef_free(cfg);
		*new_disk_size = 0;
		return r;
	}
	return 0;
}

/* --- the summary ------------------------------------------------------------------------- */

static const char *const tui_net_names[TUI_NET_COUNT] = {
	[TUI_NET_NAT] = "NAT (user-mode, no root needed)",
	[TUI_NET_TAP] = "tap device",
	[TUI_NET_NONE] = "none",
};

static const char *const tui_display_names[TUI_DISPLAY_COUNT] = {
	[TUI_DISPLAY_NONE] = "none (serial console only)",
	[TUI_DISPLAY_SDL] = "SDL window",
	[TUI_DISPLAY_VNC] = "VNC server",
};

void tui_wiz_summary(const struct tui_wiz *w, char *buf, size_t len)
{
	size_t n = 0;

#define ADD(...) \
	do { \
		if (n < len) \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); \
	} while (0)

	ADD("Name:      %s\n", w->name);
	if (w->preset[0])
		ADD("Preset:    %s\n", w->preset);
	switch (w->boot) {
	case TUI_BOOT_KERNEL:
		ADD("Boot:      Linux kernel %s\n", w->kernel);
		ADD("           initrd %s\n", w->initrd[0] ? w->initrd : "(none)");
		ADD("           command line \"%s\"\n", w->append);
		break;
	case TUI_BOOT_ISO:
		ADD("Boot:      firmware, from the CD-ROM %s\n", w->iso);
		break;
	case TUI_BOOT_DISK:
		ADD("Boot:      firmware, from the disk %s\n", w->boot_disk);
		break;
	case TUI_BOOT_COUNT:
		break;
	}
	ADD("Memory:    %s\nvCPUs:     %s\n", w->memory, w->cpus);
	if (w->boot != TUI_BOOT_DISK) {
		if (w->disk == TUI_DISK_NEW)
			ADD("Disk:      new %s image of %s%s, in the VM's data directory\n",
			    w->disk_format == DISK_FMT_RAW ? "raw" : "qcow2", w->disk_size,
			    strpbrk(w->disk_size, "KMGTkmgt") ? "" : " GiB");
		else if (w->disk == TUI_DISK_EXISTING)
			ADD("Disk:      %s\n", w->disk_path);
		else
			ADD("Disk:      none\n");
	}
	ADD("Network:   %s", tui_net_names[w->net]);
	if (w->net == TUI_NET_NAT && w->forwards[0])
		ADD(", forwards %s", w->forwards);
	if (w->net == TUI_NET_TAP)
		ADD(" %s", w->tap);
	ADD("\n");
	ADD("Display:   %s\n", tui_display_names[w->display]);
	ADD("Serial:    COM1 to the VM's log; c shows it in the console view\n");
#undef ADD
}
