/*
 * vmdef_priv.h - the schema of VM definitions and what vmdef.c (schema,
 * values, rules), vmdef_load.c (reading) and vmdef_save.c (writing)
 * share.  Not for users of vmdef.h.
 *
 * A key lives in a section; a section is plain ([vm]) or indexed ([disk0]
 * ... [disk7]: one instance per element of an array in vm_config, with a
 * count field).  A key's field is found at
 *     cfg + section.base + index * section.stride + key.offset,
 * so plain sections have base 0 and index 0, and the same code walks both.
 */
#ifndef TTYVM_VMDEF_PRIV_H
#define TTYVM_VMDEF_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/vmdef.h"

#define VMDEF_MAX_FILE (256 * 1024) /* no definition comes near this */
#define VMDEF_MAX_LINE 1000         /* iniparser 4.1 reads lines up to 1022 */
#define VMDEF_SHOW_MAX 160          /* user text quoted in messages */
#define VMDEF_IDX_MAX  8            /* instances of an indexed section, at most */

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

enum { S_VM, S_SERIAL, S_DISK, S_CDROM, S_DISPLAY, S_NET, S_COUNT };

struct vmdef_section {
	const char *name;      /* "vm"; for an indexed one the prefix: "disk" */
	const char *doc;       /* as the manual heads it: "vm", "diskN" */
	unsigned int max;      /* 1, or how many instances (<= VMDEF_IDX_MAX) */
	size_t base, stride;   /* where instance i's struct is in vm_config */
	size_t count;          /* indexed: offset of the unsigned int count */
};

enum {
	K_VM_NAME, K_VM_MEMORY, K_VM_CPUS, K_VM_KERNEL, K_VM_INITRD, K_VM_APPEND,
	K_VM_FLAT, K_VM_ACPI, K_VM_FIRMWARE, K_VM_BOOT,
	K_SERIAL_MODE, K_SERIAL_PATH,
	K_DISK_PATH, K_DISK_INTERFACE, K_DISK_FORMAT, K_DISK_READONLY,
	K_CDROM_PATH,
	K_DISPLAY_MODE, K_DISPLAY_VNC_LISTEN, K_DISPLAY_VNC_PASSWORD_FILE, K_DISPLAY_INPUT,
	K_NET_BACKEND, K_NET_MAC, K_NET_HOSTFWD, K_NET_RESTRICT, K_NET_IPV6, K_NET_NET,
	K_NET_HOST, K_NET_DNS, K_NET_DHCPSTART, K_NET_BOOTFILE, K_NET_IFNAME,
	K_COUNT
};

#define KF_INPUT    0x1u /* a file the VM reads: must exist and be readable */
#define KF_SECRET   0x2u /* when set, the definition is written mode 0600 */
#define KF_REQUIRED 0x4u /* every instance of its section must set it */

struct vmdef_key {
	unsigned int section;
	const char *name;
	enum vmdef_type type;
	size_t offset;                     /* of the field in its section's struct */
	uint64_t min, max;                 /* VT_SIZE, VT_UINT */
	uint64_t unit, align;              /* VT_SIZE: bare-number unit, multiple */
	const struct vmdef_choice *choices; /* VT_ENUM, ends with { NULL } */
	const char *def;                   /* default as written; NULL: unset */
	const char *help;                  /* comment written above the key */
	unsigned int flags;
	/* VT_STRING: checks the text's form; 0 or -EINVAL with why.  NULL: any */
	int (*check)(const char *text, char *why, size_t len);
};

extern const struct vmdef_section vmdef_sections[S_COUNT];
extern const struct vmdef_key vmdef_keys[K_COUNT];

/*
 * Where a message points: the file, the line of each key instance, and
 * whether a template left a path empty.  Lives on the stack of one load
 * or save.
 */
struct vmdef_ctx {
	const char *file;
	unsigned int flags;
	unsigned int line[K_COUNT][VMDEF_IDX_MAX];    /* 0: not in the file */
	bool blank[K_COUNT][VMDEF_IDX_MAX];
	char *err;
	size_t errlen;
};

/* --- fields (vmdef.c) ------------------------------------------------------ */

void *vmdef_field(struct vm_config *cfg, unsigned int k, unsigned int idx);
const void *vmdef_cfield(const struct vm_config *cfg, unsigned int k, unsigned int idx);
bool vmdef_is_string(const struct vmdef_key *k);
/* Instances of section s in cfg: 1 for a plain section. */
unsigned int vmdef_count(const struct vm_config *cfg, unsigned int s);
void vmdef_set_count(struct vm_config *cfg, unsigned int s, unsigned int n);
/* "vm", "disk2": the section as it is written in a file. */
const char *vmdef_secname(unsigned int s, unsigned int idx, char *buf, size_t len);
const char *vmdef_choice_word(const struct vmdef_key *k, int value);
/* The bytes of a key's field that are not a string. */
size_t vmdef_scalar_size(const struct vmdef_key *k);

/* --- messages (vmdef.c) ------------------------------------------------------ */

const char *vmdef_show(const char *s, size_t n, char *out, size_t outlen);
int vmdef_fail(struct vmdef_ctx *c, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vmdef_fail_errno(struct vmdef_ctx *c, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FILE:LINE: [section] key = value: why" (value may be NULL) */
int vmdef_fail_key(struct vmdef_ctx *c, unsigned int k, unsigned int idx, const char *value,
		   const char *why);
void vmdef_fmt_size(uint64_t v, char *buf, size_t len);
void vmdef_allowed(const struct vmdef_key *k, char *buf, size_t len);

/* --- values and rules (vmdef.c) ------------------------------------------------ */

int vmdef_check_value(unsigned int k, unsigned int idx, const struct vm_config *cfg,
		      char *why, size_t len);
int vmdef_parse_value(unsigned int k, unsigned int idx, const char *text,
		      struct vm_config *cfg, char *why, size_t len);
/* Sets the defaults of the keys of instance idx of section s. */
void vmdef_instance_defaults(struct vm_config *cfg, unsigned int s, unsigned int idx);
/* The rules between keys, and that there is something to boot. */
int vmdef_check_rules(struct vmdef_ctx *c, const struct vm_config *cfg);

/* path made absolute from the current directory (malloc'ed), or NULL. */
char *vmdef_absolute(const char *path);

/* The first key instance where a and b differ: 0 when none does (*k, *idx
 * untouched), else 1. */
int vmdef_first_difference(const struct vm_config *a, const struct vm_config *b,
			   unsigned int *k, unsigned int *idx);

#endif
