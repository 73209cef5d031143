/*
 * vmdef.c - VM definition files: load, validate and save (ttyvm.ini(5)).
 *
 * A definition is an INI file read with iniparser (4.1 on Debian 12).
 * One const schema below lists every section and key: its type, range or
 * allowed words, default, the vm_config field it fills and the comment
 * written above it.  Load, validation, save, defaults, comparison and
 * freeing all walk that table, so a later issue adds a key ([disk0] path,
 * [display] mode, ...) with one entry there, one rule if it depends on
 * another key, and one paragraph in the man page.  Indexed sections such
 * as [disk0]...[disk7] are meant to become one section entry with a count
 * and a stride into an array of vm_config; they do not exist yet, and
 * keys for features the VMM does not have are refused, not ignored.
 * Fields of vm_config without a key are either settings of one run
 * (control socket, screen files: never saved) or firmware-boot fields no
 * key holds yet (a save refuses them rather than drop them).
 *
 * iniparser silently keeps the last of two equal keys, merges repeated
 * sections, drops a key that ends the file with a backslash, prints its
 * own syntax errors and knows no line numbers.  So the text is first
 * scanned here with iniparser's own line grammar (comments, [section],
 * key = value, quotes, backslash continuation): that scan refuses syntax
 * errors, unknown sections and keys and duplicates with a line number;
 * then iniparser reads the same open file (through /proc/self/fd) for the
 * values, and the two are checked to agree.
 *
 * Saving renders the schema, writes a temporary file beside the target,
 * syncs it, reads it back and compares, then renames it into place and
 * syncs the directory.  Where definitions live (XDG) is paths.c's
 * business; what a running VM does with them is the caller's.  Nothing
 * here prints or keeps global state: every problem becomes one message
 * in the caller's buffer and a negative errno.
 */
#include "ui/vmdef.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util/parse.h"
#include "util/util.h"

#define VMDEF_MAX_FILE (256 * 1024) /* no definition comes near this */
#define VMDEF_MAX_LINE 1000         /* iniparser 4.1 reads lines up to 1022 */
#define VMDEF_SHOW_MAX 160          /* user text quoted in messages */

/* --- the schema ------------------------------------------------------- */

enum vmdef_type {
	VT_NAME,   /* char[VM_NAME_MAX], vmdef_name_valid() */
	VT_STRING, /* char *, any text */
	VT_PATH,   /* char *, relative to the definition's directory */
	VT_SIZE,   /* uint64_t bytes, parse_size() with a unit for bare numbers */
	VT_UINT,   /* unsigned int */
	VT_BOOL,   /* bool */
	VT_ENUM,   /* an enum (int-sized), one of choices */
};

struct vmdef_choice {
	const char *word;
	int value;
};

enum { S_VM, S_SERIAL, S_COUNT };

static const char *const vmdef_sections[S_COUNT] = {
	[S_VM] = "vm",
	[S_SERIAL] = "serial",
};

enum {
	K_VM_NAME, K_VM_MEMORY, K_VM_CPUS, K_VM_KERNEL, K_VM_INITRD, K_VM_APPEND,
	K_VM_FLAT, K_VM_ACPI, K_SERIAL_MODE, K_SERIAL_PATH, K_COUNT
};

#define KF_INPUT  0x1u /* a file the VM reads: must exist and be readable */
#define KF_SECRET 0x2u /* when set, the definition is written mode 0600 */

struct vmdef_key {
	unsigned int section;
	const char *name;
	enum vmdef_type type;
	size_t offset;                     /* of the field in struct vm_config */
	uint64_t min, max;                 /* VT_SIZE, VT_UINT */
	uint64_t unit, align;              /* VT_SIZE: bare-number unit, multiple */
	const struct vmdef_choice *choices; /* VT_ENUM, ends with { NULL } */
	const char *def;                   /* default as written; NULL: unset */
	const char *help;                  /* comment written above the key */
	unsigned int flags;
};

static const struct vmdef_choice vmdef_serial_modes[] = {
	{ "stdio", SERIAL_STDIO }, { "file", SERIAL_FILE },
	{ "pty", SERIAL_PTY }, { "none", SERIAL_NONE }, { NULL, 0 },
};

_Static_assert(sizeof(enum serial_kind) == sizeof(int), "VT_ENUM fields are int-sized");

#define F(field) offsetof(struct vm_config, field)

static const struct vmdef_key vmdef_keys[K_COUNT] = {
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
	[K_SERIAL_MODE] = { S_SERIAL, "mode", VT_ENUM, F(serial.kind),
		.choices = vmdef_serial_modes, .def = "stdio",
		.help = "COM1: stdio, file, pty or none" },
	[K_SERIAL_PATH] = { S_SERIAL, "path", VT_PATH, F(serial.path),
		.help = "file the serial output goes to (mode = file only)" },
};

#undef F

/*
 * Rules between keys, checked after every key is read (and before a
 * save).  A string key counts as set when it is in the file (in a
 * template also when it is left empty, to be filled in); other keys
 * always have a value.
 */
enum vmdef_rule_kind {
	VR_ONE_OF,     /* a or b must be set (not checked in templates) */
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
	{ VR_ONE_OF, K_VM_KERNEL, K_VM_FLAT, 0 },
	{ VR_EXCLUDES, K_VM_FLAT, K_VM_KERNEL, 0 },
	{ VR_NEEDS, K_VM_INITRD, K_VM_KERNEL, 0 },
	{ VR_NEEDS, K_VM_APPEND, K_VM_KERNEL, 0 },
	{ VR_NEEDS_WHEN, K_SERIAL_MODE, K_SERIAL_PATH, SERIAL_FILE },
	{ VR_ONLY_WHEN, K_SERIAL_PATH, K_SERIAL_MODE, SERIAL_FILE },
};

/* --- field access ----------------------------------------------------- */

static void *vmdef_field(struct vm_config *cfg, const struct vmdef_key *k)
{
	return (char *)cfg + k->offset;
}

static const void *vmdef_cfield(const struct vm_config *cfg, const struct vmdef_key *k)
{
	return (const char *)cfg + k->offset;
}

static bool vmdef_is_string(const struct vmdef_key *k)
{
	return k->type == VT_STRING || k->type == VT_PATH;
}

static const char *vmdef_choice_word(const struct vmdef_key *k, int value)
{
	for (const struct vmdef_choice *c = k->choices; c->word; c++)
		if (c->value == value)
			return c->word;
	return NULL;
}

/* --- messages --------------------------------------------------------- */

/*
 * Where a message points: the file, the line of each key, and whether a
 * template left a path empty.  Lives on the stack of one load or save.
 */
struct vmdef_ctx {
	const char *file;
	unsigned int flags;
	unsigned int line[K_COUNT];    /* 0: not in the file */
	bool blank[K_COUNT];
	char *err;
	size_t errlen;
};

/* Copies user text for a message: control characters become '?', long
 * text is cut with "...". */
static const char *vmdef_show(const char *s, size_t n, char *out, size_t outlen)
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

__attribute__((format(printf, 3, 4)))
static int vmdef_fail(struct vmdef_ctx *c, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vmdef_vfail(c, -EINVAL, line, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((format(printf, 3, 4)))
static int vmdef_fail_errno(struct vmdef_ctx *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vmdef_vfail(c, r, 0, fmt, ap);
	va_end(ap);
	return r;
}

/* "FILE:LINE: [section] key = value: why" */
static int vmdef_fail_key(struct vmdef_ctx *c, unsigned int k, const char *value,
			  const char *why)
{
	char shown[VMDEF_SHOW_MAX + 8];

	if (value)
		return vmdef_fail(c, c->line[k], "[%s] %s = %s: %s",
				  vmdef_sections[vmdef_keys[k].section], vmdef_keys[k].name,
				  vmdef_show(value, SIZE_MAX, shown, sizeof(shown)), why);
	return vmdef_fail(c, c->line[k], "[%s] %s: %s",
			  vmdef_sections[vmdef_keys[k].section], vmdef_keys[k].name, why);
}

/* A size as short as it is exact: 4K, 256M, 1T. */
static void vmdef_fmt_size(uint64_t v, char *buf, size_t len)
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
static void vmdef_allowed(const struct vmdef_key *k, char *buf, size_t len)
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
static int vmdef_check_value(const struct vmdef_key *k, const struct vm_config *cfg,
			     char *why, size_t len)
{
	const void *f = vmdef_cfield(cfg, k);
	char allowed[160];
	uint64_t v;

	vmdef_allowed(k, allowed, sizeof(allowed));
	switch (k->type) {
	case VT_NAME:
		if (!vmdef_name_valid(f)) {
			snprintf(why, len, "not a valid name; %s", allowed);
			return -EINVAL;
		}
		return 0;
	case VT_SIZE:
	case VT_UINT:
		v = k->type == VT_SIZE ? *(const uint64_t *)f : *(const unsigned int *)f;
		if (v < k->min || v > k->max) {
			snprintf(why, len, "out of range; %s", allowed);
			return -EINVAL;
		}
		if (k->type == VT_SIZE && k->align && v % k->align) {
			char al[24];

			vmdef_fmt_size(k->align, al, sizeof(al));
			snprintf(why, len, "not a multiple of %s; %s", al, allowed);
			return -EINVAL;
		}
		return 0;
	case VT_ENUM:
		if (!vmdef_choice_word(k, *(const int *)f)) {
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
static int vmdef_parse_value(const struct vmdef_key *k, const char *text,
			     struct vm_config *cfg, char *why, size_t len)
{
	void *f = vmdef_field(cfg, k);
	char allowed[160];
	uint64_t v;
	bool b;
	int r;

	vmdef_allowed(k, allowed, sizeof(allowed));
	switch (k->type) {
	case VT_NAME:
		if (!vmdef_name_valid(text)) {
			snprintf(why, len, "not a valid name; %s", allowed);
			return -EINVAL;
		}
		snprintf(f, VM_NAME_MAX, "%s", text);
		return 0;
	case VT_SIZE:
		r = parse_size(text, k->unit, &v);
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
		for (const struct vmdef_choice *c = k->choices; c->word; c++) {
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

/*
 * Fields of vm_config that are no definition key: run-time settings of
 * one run (never saved, never loaded) and the firmware-boot fields the
 * schema does not cover yet (a save refuses a cfg that uses them).
 */
static bool vmdef_uses_unsaved(const struct vm_config *cfg, const char **what)
{
	*what = cfg->firmware ? "firmware" : cfg->ndisks ? "disks" :
		cfg->cdrom ? "a CD-ROM" : cfg->boot != BOOT_ORDER_DEFAULT ? "a boot order" :
		NULL;
	return *what != NULL;
}

void vmdef_free(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < K_COUNT; i++)
		if (vmdef_is_string(&vmdef_keys[i]))
			free(*(char **)vmdef_field(cfg, &vmdef_keys[i]));
	/* every string of a vm_config is owned by it, keys or not */
	free(cfg->firmware);
	for (unsigned int i = 0; i < cfg->ndisks && i < VM_MAX_DISKS; i++)
		free(cfg->disks[i].path);
	free(cfg->cdrom);
	free(cfg->screen_text);
	free(cfg->screenshot);
	free(cfg->control_socket);
	memset(cfg, 0, sizeof(*cfg));
}

void vmdef_defaults(struct vm_config *cfg)
{
	char why[256];

	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int i = 0; i < K_COUNT; i++) {
		const struct vmdef_key *k = &vmdef_keys[i];
		/* string keys have no default; a broken default is a bug here */
		if (k->def && !vmdef_is_string(k) && vmdef_parse_value(k, k->def, cfg, why,
								       sizeof(why)))
			abort();
	}
}

bool vmdef_key_info(unsigned int i, const char **section, const char **key,
		    const char **help)
{
	if (i >= K_COUNT)
		return false;
	*section = vmdef_sections[vmdef_keys[i].section];
	*key = vmdef_keys[i].name;
	*help = vmdef_keys[i].help;
	return true;
}

static bool vmdef_key_equal(const struct vmdef_key *k, const struct vm_config *a,
			    const struct vm_config *b)
{
	const void *fa = vmdef_cfield(a, k), *fb = vmdef_cfield(b, k);
	const char *sa, *sb;

	switch (k->type) {
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

/* The first key where a and b differ, K_COUNT when none does. */
static unsigned int vmdef_first_difference(const struct vm_config *a,
					   const struct vm_config *b)
{
	unsigned int k;

	for (k = 0; k < K_COUNT; k++)
		if (!vmdef_key_equal(&vmdef_keys[k], a, b))
			break;
	return k;
}

bool vmdef_equal(const struct vm_config *a, const struct vm_config *b)
{
	return vmdef_first_difference(a, b) == K_COUNT;
}

/* --- rules between keys ----------------------------------------------- */

static bool vmdef_is_set(const struct vmdef_ctx *c, const struct vm_config *cfg,
			 unsigned int k)
{
	if (!vmdef_is_string(&vmdef_keys[k]))
		return true;
	return *(char *const *)vmdef_cfield(cfg, &vmdef_keys[k]) || c->blank[k];
}

static const char *vmdef_keyname(unsigned int k, char *buf, size_t len)
{
	snprintf(buf, len, "[%s] %s", vmdef_sections[vmdef_keys[k].section],
		 vmdef_keys[k].name);
	return buf;
}

static int vmdef_check_rules(struct vmdef_ctx *c, const struct vm_config *cfg)
{
	char a[48], b[48], why[160];

	for (size_t i = 0; i < ARRAY_SIZE(vmdef_rules); i++) {
		const struct vmdef_rule *r = &vmdef_rules[i];
		bool sa = vmdef_is_set(c, cfg, r->a), sb = vmdef_is_set(c, cfg, r->b);
		const struct vmdef_key *ka = &vmdef_keys[r->a], *kb = &vmdef_keys[r->b];

		vmdef_keyname(r->a, a, sizeof(a));
		vmdef_keyname(r->b, b, sizeof(b));
		switch (r->kind) {
		case VR_ONE_OF:
			if (!sa && !sb && (c->flags & VMDEF_TEMPLATE) != VMDEF_TEMPLATE)
				return vmdef_fail(c, 0, "nothing to boot: set %s (or %s)", a, b);
			break;
		case VR_EXCLUDES:
			if (sa && sb) {
				/* point at the later of the two */
				unsigned int at = c->line[r->b] > c->line[r->a] ? r->b : r->a;
				unsigned int other = at == r->a ? r->b : r->a;

				snprintf(why, sizeof(why), "cannot be used together with %s",
					 at == r->a ? b : a);
				if (c->line[other])
					snprintf(why + strlen(why), sizeof(why) - strlen(why),
						 " (line %u)", c->line[other]);
				return vmdef_fail_key(c, at, NULL, why);
			}
			break;
		case VR_NEEDS:
			if (sa && !sb) {
				snprintf(why, sizeof(why), "needs %s", b);
				return vmdef_fail_key(c, r->a, NULL, why);
			}
			break;
		case VR_NEEDS_WHEN:
			if (*(const int *)vmdef_cfield(cfg, ka) == r->value && !sb) {
				snprintf(why, sizeof(why), "needs %s", b);
				return vmdef_fail_key(c, r->a, vmdef_choice_word(ka, r->value), why);
			}
			break;
		case VR_ONLY_WHEN:
			if (sa && *(const int *)vmdef_cfield(cfg, kb) != r->value) {
				snprintf(why, sizeof(why), "only used with %s = %s", b,
					 vmdef_choice_word(kb, r->value));
				return vmdef_fail_key(c, r->a, NULL, why);
			}
			break;
		}
	}
	return 0;
}

/* --- scanning the text ------------------------------------------------ */

static char *vmdef_strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void vmdef_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Lists the sections for a message: "[vm], [x] and [serial]" */
static void vmdef_list_sections(const char *last, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < S_COUNT && n < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 < S_COUNT ? ", " : NULL;

		if (sep)
			n += (size_t)snprintf(buf + n, len - n, "%s[%s]", sep, vmdef_sections[i]);
		else
			n += (size_t)snprintf(buf + n, len - n, " %s [%s]", last,
					      vmdef_sections[i]);
	}
}

/* The state of one scan: the current section and where each was opened. */
struct vmdef_scan {
	int section;                   /* -1 before the first [section] */
	unsigned int sec_line[S_COUNT];
	unsigned int nkeys[S_COUNT];
};

static int vmdef_scan_section(struct vmdef_ctx *c, struct vmdef_scan *sc, char *s,
			      unsigned int lineno)
{
	char shown[VMDEF_SHOW_MAX + 8], list[80];
	char *name;
	size_t n = strlen(s);

	/* everything after '[' less one closing ']'; iniparser 4.1 stops at
	 * the first ']', so a name with one in it is refused either way */
	s[n - 1] = '\0';
	name = vmdef_strip(s + 1);
	vmdef_lower(name);
	vmdef_list_sections("and", list, sizeof(list));
	if (!*name)
		return vmdef_fail(c, lineno, "[]: empty section name; sections are %s", list);
	for (int i = 0; i < S_COUNT; i++) {
		if (strcmp(name, vmdef_sections[i]) != 0)
			continue;
		if (sc->sec_line[i])
			return vmdef_fail(c, lineno, "[%s]: section given twice (first on "
					  "line %u); put its keys together", name,
					  sc->sec_line[i]);
		sc->sec_line[i] = lineno;
		sc->section = i;
		return 0;
	}
	return vmdef_fail(c, lineno, "[%s]: unknown section; sections are %s",
			  vmdef_show(name, SIZE_MAX, shown, sizeof(shown)), list);
}

/* Lists the keys of a section for a message: "name, memory, ..." */
static void vmdef_list_keys(unsigned int section, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < K_COUNT && n < len; i++)
		if (vmdef_keys[i].section == section)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      vmdef_keys[i].name);
}

static int vmdef_scan_key(struct vmdef_ctx *c, struct vmdef_scan *sc, char *s,
			  char *eq, unsigned int lineno)
{
	char shown[VMDEF_SHOW_MAX + 8], list[160];
	char *key, *val;
	unsigned int k;

	*eq = '\0';
	key = vmdef_strip(s);
	vmdef_lower(key);
	vmdef_show(key, SIZE_MAX, shown, sizeof(shown));

	if (sc->section < 0) {
		vmdef_list_sections("or", list, sizeof(list));
		return vmdef_fail(c, lineno, "%s: key before any [section]; keys go "
				  "under %s", shown, list);
	}
	for (k = 0; k < K_COUNT; k++)
		if (vmdef_keys[k].section == (unsigned int)sc->section &&
		    strcmp(vmdef_keys[k].name, key) == 0)
			break;
	if (k == K_COUNT) {
		vmdef_list_keys((unsigned int)sc->section, list, sizeof(list));
		return vmdef_fail(c, lineno, "[%s] %s: unknown key; [%s] takes %s",
				  vmdef_sections[sc->section], shown,
				  vmdef_sections[sc->section], list);
	}
	if (c->line[k])
		return vmdef_fail(c, lineno, "[%s] %s: given twice (first on line %u)",
				  vmdef_sections[sc->section], shown, c->line[k]);
	/* quotes as iniparser 4.1 reads them: "..." or '...', no escapes;
	 * anything but a comment after the closing quote would be dropped */
	val = eq + 1;
	while (isspace((unsigned char)*val))
		val++;
	if (*val == '"' || *val == '\'') {
		char *q = strchr(val + 1, *val);
		if (!q)
			return vmdef_fail(c, lineno, "[%s] %s: the value has no closing %c",
					  vmdef_sections[sc->section], shown, *val);
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q && *q != ';' && *q != '#')
			return vmdef_fail(c, lineno, "[%s] %s: text after the closing quote; "
					  "a quoted value cannot hold its own quote "
					  "character (use the other quote)",
					  vmdef_sections[sc->section], shown);
	}
	c->line[k] = lineno;
	sc->nkeys[sc->section]++;
	return 0;
}

/* One logical line, with iniparser's classification (iniparser_line). */
static int vmdef_scan_line(struct vmdef_ctx *c, struct vmdef_scan *sc, char *line,
			   unsigned int lineno)
{
	char shown[VMDEF_SHOW_MAX + 8];
	char *s = vmdef_strip(line), *eq;
	size_t n = strlen(s);

	if (n == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] == '[' && s[n - 1] == ']')
		return vmdef_scan_section(c, sc, s, lineno);
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return vmdef_fail(c, lineno, "syntax error at \"%s\": expected [section], "
				  "key = value, or a comment starting with # or ;",
				  vmdef_show(s, n, shown, sizeof(shown)));
	return vmdef_scan_key(c, sc, s, eq, lineno);
}

/*
 * Walks the text line by line as iniparser will: trailing white space
 * dropped, a final backslash joins the next line.  Records the line of
 * every key in c and the sections in sc.
 */
static int vmdef_scan_text(struct vmdef_ctx *c, struct vmdef_scan *sc, const char *text,
			   size_t len)
{
	char logical[VMDEF_MAX_LINE + 1];
	size_t llen = 0, raw = 0;
	unsigned int lineno = 0, start = 0;
	const char *p = text, *end = text + len;
	int r;

	sc->section = -1;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		return vmdef_fail(c, 1, "starts with a byte order mark; save it as plain "
				  "UTF-8 without one");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (llen == 0 && raw == 0)
			start = lineno;
		raw += n;
		if (raw > VMDEF_MAX_LINE)
			return vmdef_fail(c, start, "line too long (at most %d characters)",
					  VMDEF_MAX_LINE);
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		memcpy(logical + llen, p, n);
		llen += n;
		p = nl ? nl + 1 : end;
		if (llen && logical[llen - 1] == '\\') {
			llen--;
			if (p >= end)
				return vmdef_fail(c, lineno, "the last line ends with '\\' "
						  "but no line follows");
			continue;
		}
		logical[llen] = '\0';
		r = vmdef_scan_line(c, sc, logical, start);
		if (r)
			return r;
		llen = raw = 0;
	}
	return 0;
}

/* --- loading ---------------------------------------------------------- */

/* Reads the whole file from fd into a NUL-terminated buffer. */
static int vmdef_read_all(struct vmdef_ctx *c, int fd, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	size_t len = 0;

	if (fstat(fd, &st) < 0)
		return vmdef_fail_errno(c, -errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vmdef_fail(c, 0, "not a regular file");
	buf = malloc(VMDEF_MAX_FILE + 1);
	if (!buf)
		return vmdef_fail_errno(c, -ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + len, VMDEF_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return vmdef_fail_errno(c, -e, "%s", strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > VMDEF_MAX_FILE) {
			free(buf);
			return vmdef_fail_errno(c, -EFBIG, "too large for a VM definition "
						"(over %d KiB)", VMDEF_MAX_FILE / 1024);
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		unsigned int line = 1;
		for (const char *q = buf; *q; q++)
			line += *q == '\n';
		free(buf);
		return vmdef_fail(c, line, "not a text file (NUL byte)");
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int vmdef_ini_silent(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/*
 * Opens the same file iniparser reads as the one scanned: through the
 * descriptor, so a rename in between cannot swap it.  iniparser's own
 * messages are silenced (we report, it would print).
 */
static dictionary *vmdef_ini_load(int fd, const char *path)
{
	char proc[64];

	iniparser_set_error_callback(vmdef_ini_silent);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (access(proc, R_OK) == 0)
		return iniparser_load(proc);
	return iniparser_load(path);
}

/* The scan and iniparser must see the same sections and keys. */
static bool vmdef_ini_agrees(dictionary *d, const struct vmdef_scan *sc)
{
	int nsec = iniparser_getnsec(d), seen = 0;

	for (int i = 0; i < S_COUNT; i++) {
		if (!sc->sec_line[i])
			continue;
		seen++;
		if (iniparser_getsecnkeys(d, vmdef_sections[i]) != (int)sc->nkeys[i])
			return false;
	}
	return nsec == seen;
}

/*
 * base + "/" + rel, or rel when it is absolute; "./" and "." parts at the
 * start of rel are dropped.  Returns a malloc'ed string or NULL.
 */
static char *vmdef_join(const char *base, const char *rel)
{
	char *out;

	if (rel[0] == '/')
		return strdup(rel);
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (strcmp(rel, ".") == 0 || !rel[0])
		return strdup(base);
	if (asprintf(&out, "%s%s%s", base, strcmp(base, "/") ? "/" : "", rel) < 0)
		return NULL;
	return out;
}

/* The absolute directory of path (malloc'ed), which relative paths in
 * the file start from.  Returns NULL with errno set. */
static char *vmdef_base_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *cwd, *out;

	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir || dir[0] == '/')
		return dir;
	cwd = getcwd(NULL, 0);
	out = cwd ? vmdef_join(cwd, dir) : NULL;
	free(cwd);
	free(dir);
	return out;
}

/* A file the VM will read: it must exist, be a regular (or block) file
 * and readable.  As `ttyvm run` checks its options. */
static int vmdef_check_input(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		return -EINVAL;
	}
	return 0;
}

/* Reads key k's text into cfg: parse, check, resolve and check files. */
static int vmdef_load_key(struct vmdef_ctx *c, unsigned int k, const char *text,
			  const char *base, struct vm_config *cfg)
{
	const struct vmdef_key *key = &vmdef_keys[k];
	char why[256], allowed[160];
	char **f;

	switch (key->type) {
	case VT_STRING:
	case VT_PATH:
		f = vmdef_field(cfg, key);
		if (key->type == VT_PATH && !*text) {
			if ((c->flags & VMDEF_TEMPLATE) == VMDEF_TEMPLATE) {
				c->blank[k] = true;
				return 0;
			}
			vmdef_allowed(key, allowed, sizeof(allowed));
			snprintf(why, sizeof(why), "empty; %s", allowed);
			return vmdef_fail_key(c, k, NULL, why);
		}
		*f = key->type == VT_PATH ? vmdef_join(base, text) : strdup(text);
		if (!*f)
			return vmdef_fail_errno(c, -ENOMEM, "out of memory");
		if (key->type == VT_PATH && (key->flags & KF_INPUT) &&
		    !(c->flags & VMDEF_NO_FILE_CHECK) &&
		    vmdef_check_input(*f, why, sizeof(why)))
			return vmdef_fail_key(c, k, *f, why);
		return 0;
	default:
		if (vmdef_parse_value(key, text, cfg, why, sizeof(why)) ||
		    vmdef_check_value(key, cfg, why, sizeof(why)))
			return vmdef_fail_key(c, k, text, why);
		return 0;
	}
}

/* Name from the file: "dir/web-1.ini" -> "web-1", if that is valid. */
static void vmdef_name_from_file(const char *path, struct vm_config *cfg)
{
	const char *base = strrchr(path, '/');
	char stem[VM_NAME_MAX + 8];
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	if (n >= VM_NAME_MAX)
		return;
	memcpy(stem, base, n);
	stem[n] = '\0';
	if (vmdef_name_valid(stem))
		memcpy(cfg->name, stem, n + 1);
}

static int vmdef_load_values(struct vmdef_ctx *c, dictionary *d, const char *base,
			     struct vm_config *cfg)
{
	bool done[K_COUNT] = { false };
	char ikey[64];

	if (!c->line[K_VM_NAME])
		vmdef_name_from_file(c->file, cfg);
	/* in the order of the file, so the first problem is reported first */
	for (;;) {
		unsigned int k = K_COUNT;
		const char *text;
		int r;

		for (unsigned int i = 0; i < K_COUNT; i++)
			if (c->line[i] && !done[i] && (k == K_COUNT || c->line[i] < c->line[k]))
				k = i;
		if (k == K_COUNT)
			return 0;
		done[k] = true;
		snprintf(ikey, sizeof(ikey), "%s:%s", vmdef_sections[vmdef_keys[k].section],
			 vmdef_keys[k].name);
		text = iniparser_getstring(d, ikey, NULL);
		if (!text)
			return vmdef_fail_errno(c, -EAGAIN, "changed while it was being "
						"read; try again");
		r = vmdef_load_key(c, k, text, base, cfg);
		if (r)
			return r;
	}
}

int vmdef_load_flags(const char *path, unsigned int flags, struct vm_config *cfg,
		     char *err, size_t errlen)
{
	struct vmdef_ctx c = { .file = path, .flags = flags, .err = err, .errlen = errlen };
	struct vmdef_scan sc = { 0 };
	dictionary *d = NULL;
	char *text = NULL, *base = NULL;
	size_t len = 0;
	int fd, r;

	if (err && errlen)
		err[0] = '\0';
	vmdef_defaults(cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		vmdef_free(cfg);
		return vmdef_fail_errno(&c, -e, "%s", strerror(e));
	}
	r = vmdef_read_all(&c, fd, &text, &len);
	if (r)
		goto out;
	r = vmdef_scan_text(&c, &sc, text, len);
	if (r)
		goto out;
	base = vmdef_base_dir(path);
	if (!base) {
		r = vmdef_fail_errno(&c, -errno, "cannot resolve its directory: %s",
				     strerror(errno));
		goto out;
	}
	d = vmdef_ini_load(fd, path);
	if (!d) {
		r = vmdef_fail_errno(&c, -EIO, "iniparser could not read it");
		goto out;
	}
	if (!vmdef_ini_agrees(d, &sc)) {
		r = vmdef_fail_errno(&c, -EAGAIN, "changed while it was being read; "
				     "try again");
		goto out;
	}
	r = vmdef_load_values(&c, d, base, cfg);
	if (r)
		goto out;
	r = vmdef_check_rules(&c, cfg);
out:
	if (d)
		iniparser_freedict(d);
	free(text);
	free(base);
	close(fd);
	if (r)
		vmdef_free(cfg);
	return r;
}

int vmdef_load(const char *path, struct vm_config *cfg, char *err, size_t errlen)
{
	return vmdef_load_flags(path, 0, cfg, err, errlen);
}

/* --- saving ----------------------------------------------------------- */

/*
 * A string as an INI value iniparser reads back unchanged: bare when
 * nothing in it is special, else in double or single quotes (iniparser
 * 4.1 knows no escapes).  Returns 0, or -EINVAL with why.
 */
static int vmdef_quote(const char *v, FILE *out, char *why, size_t len)
{
	size_t n = strlen(v);
	bool special;

	if (strpbrk(v, "\n\r")) {
		snprintf(why, len, "a line break cannot be written in a definition");
		return -EINVAL;
	}
	special = n == 0 || isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]) ||
		  v[0] == '"' || v[0] == '\'' || v[n - 1] == '\\' || strpbrk(v, ";#");
	if (!special)
		fputs(v, out);
	else if (!strchr(v, '"'))
		fprintf(out, "\"%s\"", v);
	else if (!strchr(v, '\''))
		fprintf(out, "'%s'", v);
	else {
		snprintf(why, len, "holds both kinds of quotes and ; # or edge spaces, "
			 "which an INI value cannot");
		return -EINVAL;
	}
	return 0;
}

/* Writes key k of cfg, after its comment; unset strings as "#key =". */
static int vmdef_write_key(struct vmdef_ctx *c, unsigned int k, const struct vm_config *cfg,
			   FILE *out)
{
	const struct vmdef_key *key = &vmdef_keys[k];
	const void *f = vmdef_cfield(cfg, key);
	char buf[32], why[160];
	const char *s;
	long at;

	fprintf(out, "# %s\n", key->help);
	at = ftell(out);
	switch (key->type) {
	case VT_NAME:
		fprintf(out, "%s = %s\n", key->name, (const char *)f);
		break;
	case VT_SIZE:
		vmdef_fmt_size(*(const uint64_t *)f, buf, sizeof(buf));
		fprintf(out, "%s = %s\n", key->name, buf);
		break;
	case VT_UINT:
		fprintf(out, "%s = %u\n", key->name, *(const unsigned int *)f);
		break;
	case VT_BOOL:
		fprintf(out, "%s = %s\n", key->name, *(const bool *)f ? "true" : "false");
		break;
	case VT_ENUM:
		fprintf(out, "%s = %s\n", key->name, vmdef_choice_word(key, *(const int *)f));
		break;
	case VT_STRING:
	case VT_PATH:
		s = *(char *const *)f;
		if (!s) {
			fprintf(out, "#%s =\n", key->name);
			break;
		}
		fprintf(out, "%s = ", key->name);
		if (vmdef_quote(s, out, why, sizeof(why)))
			return vmdef_fail_key(c, k, s, why);
		fputc('\n', out);
		break;
	}
	if (ftell(out) - at > VMDEF_MAX_LINE) {
		snprintf(why, sizeof(why), "too long for one line (at most %d characters)",
			 VMDEF_MAX_LINE);
		return vmdef_fail_key(c, k, NULL, why);
	}
	return 0;
}

/* Renders cfg as the text of a definition into a malloc'ed buffer. */
static int vmdef_render(struct vmdef_ctx *c, const struct vm_config *cfg, char **text,
			size_t *len)
{
	FILE *out = open_memstream(text, len);
	int r = 0;

	if (!out)
		return vmdef_fail_errno(c, -ENOMEM, "out of memory");
	fprintf(out, "# %s - a ttyvm virtual machine; every key is described in "
		"ttyvm.ini(5).\n# Written by ttyvm: comments added by hand are not "
		"kept when ttyvm saves it.\n", cfg->name);
	for (unsigned int s = 0; s < S_COUNT && !r; s++) {
		fprintf(out, "\n[%s]\n", vmdef_sections[s]);
		for (unsigned int k = 0; k < K_COUNT && !r; k++)
			if (vmdef_keys[k].section == s)
				r = vmdef_write_key(c, k, cfg, out);
	}
	if (fclose(out) != 0 && !r)
		r = vmdef_fail_errno(c, -ENOMEM, "out of memory");
	if (r) {
		free(*text);
		*text = NULL;
	}
	return r;
}

/* The bytes of a key's field that are not a string. */
static size_t vmdef_scalar_size(const struct vmdef_key *k)
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

/*
 * A copy of the definition keys of cfg (nothing else), whose relative
 * paths start from the current directory.
 */
static int vmdef_absolute_copy(struct vmdef_ctx *c, const struct vm_config *cfg,
			       struct vm_config *abs)
{
	char cwd[4096];

	memset(abs, 0, sizeof(*abs));
	for (unsigned int k = 0; k < K_COUNT; k++) {
		const struct vmdef_key *key = &vmdef_keys[k];
		const char *s;
		char **f;

		if (!vmdef_is_string(key)) {
			memcpy(vmdef_field(abs, key), vmdef_cfield(cfg, key),
			       vmdef_scalar_size(key));
			continue;
		}
		s = *(char *const *)vmdef_cfield(cfg, key);
		if (!s)
			continue;
		f = vmdef_field(abs, key);
		if (key->type == VT_PATH && s[0] != '/') {
			if (!getcwd(cwd, sizeof(cwd)))
				return vmdef_fail_errno(c, -errno, "current directory: %s",
							strerror(errno));
			*f = s[0] ? vmdef_join(cwd, s) : strdup(s);
		} else {
			*f = strdup(s);
		}
		if (!*f)
			return vmdef_fail_errno(c, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Everything vmdef_load checks, on a vm_config, except that files exist. */
static int vmdef_check_config(struct vmdef_ctx *c, const struct vm_config *cfg)
{
	const char *what;
	char why[256];

	if (vmdef_uses_unsaved(cfg, &what))
		return vmdef_fail(c, 0, "this VM has %s, which this version of ttyvm cannot "
				  "write into a definition", what);

	for (unsigned int k = 0; k < K_COUNT; k++) {
		const struct vmdef_key *key = &vmdef_keys[k];
		const char *s;

		if (!vmdef_is_string(key)) {
			if (vmdef_check_value(key, cfg, why, sizeof(why)))
				return vmdef_fail_key(c, k, NULL, why);
			continue;
		}
		s = *(char *const *)vmdef_cfield(cfg, key);
		if (key->type == VT_PATH && s && !*s)
			return vmdef_fail_key(c, k, NULL, "empty; give a file name");
	}
	return vmdef_check_rules(c, cfg);
}

static int vmdef_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int vmdef_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL) /* some file systems cannot */
		r = -errno;
	close(fd);
	return r;
}

/* Directory part of path ("." when there is none), into buf. */
static int vmdef_dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(buf, len, ".");
	else
		n = snprintf(buf, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Writes text to a new temporary file beside path (name in tmp), with
 * mode, and syncs it.  On failure the temporary file is gone.
 */
static int vmdef_write_temp(struct vmdef_ctx *c, const char *path, const char *dir,
			    const char *text, size_t len, mode_t mode, char *tmp,
			    size_t tmplen)
{
	const char *base = strrchr(path, '/');
	int fd, r = 0;

	base = base ? base + 1 : path;
	if ((size_t)snprintf(tmp, tmplen, "%s/.%s.XXXXXX", dir, base) >= tmplen)
		return vmdef_fail_errno(c, -ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return vmdef_fail_errno(c, -errno, "cannot create a file in %s: %s", dir,
					strerror(errno));
	if (fchmod(fd, mode) < 0)
		r = -errno;
	if (!r)
		r = vmdef_write_all(fd, text, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r) {
		unlink(tmp);
		return vmdef_fail_errno(c, r, "cannot write %s: %s", tmp, strerror(-r));
	}
	return 0;
}

/* Reads the file back as vmdef_load will and compares with cfg. */
static int vmdef_verify(struct vmdef_ctx *c, const char *tmp, const struct vm_config *cfg)
{
	struct vm_config back;
	char why[VMDEF_ERR_MAX];
	unsigned int k;

	if (vmdef_load_flags(tmp, VMDEF_NO_FILE_CHECK, &back, why, sizeof(why)))
		return vmdef_fail_errno(c, -EIO, "internal error, the written file does "
					"not load: %s", why);
	k = vmdef_first_difference(cfg, &back);
	vmdef_free(&back);
	if (k < K_COUNT)
		return vmdef_fail(c, 0, "[%s] %s: would not read back the same from an "
				  "INI file", vmdef_sections[vmdef_keys[k].section],
				  vmdef_keys[k].name);
	return 0;
}

int vmdef_save(const char *path, const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vmdef_ctx c = { .file = path, .flags = VMDEF_NO_FILE_CHECK, .err = err,
			       .errlen = errlen };
	struct vm_config abs;
	char dir[4096], tmp[4096 + 64];
	char *text = NULL;
	size_t len = 0;
	mode_t mode = 0644;
	int r;

	if (err && errlen)
		err[0] = '\0';
	memset(&abs, 0, sizeof(abs));
	r = vmdef_check_config(&c, cfg);
	if (!r)
		r = vmdef_absolute_copy(&c, cfg, &abs);
	if (!r)
		r = vmdef_render(&c, &abs, &text, &len);
	if (!r && vmdef_dir_of(path, dir, sizeof(dir)))
		r = vmdef_fail_errno(&c, -ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
	if (r)
		goto out;
	for (unsigned int k = 0; k < K_COUNT; k++)
		if ((vmdef_keys[k].flags & KF_SECRET) && vmdef_is_set(&c, &abs, k))
			mode = 0600;

	r = vmdef_write_temp(&c, path, dir, text, len, mode, tmp, sizeof(tmp));
	if (r)
		goto out;
	/* what reads back is what was meant, or the old file stays */
	r = vmdef_verify(&c, tmp, &abs);
	if (!r && rename(tmp, path) < 0)
		r = vmdef_fail_errno(&c, -errno, "cannot replace it: %s", strerror(errno));
	if (r) {
		unlink(tmp);
		goto out;
	}
	r = vmdef_sync_dir(dir);
	if (r)
		vmdef_fail_errno(&c, r, "saved, but syncing %s failed: %s", dir, strerror(-r));
out:
	free(text);
	vmdef_free(&abs);
	return r;
}
