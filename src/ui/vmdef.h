/*
 * vmdef.h - VM definition files: one INI file per VM (see ttyvm.ini(5)).
 *
 * A definition maps key for key onto struct vm_config, the same struct
 * `ttyvm run` fills from its options.  Loading validates everything and
 * reports the first problem as one message naming the file, line,
 * section, key and what is allowed; saving is atomic.  Nothing here
 * prints, exits or keeps global state.
 */
#ifndef TTYVM_VMDEF_H
#define TTYVM_VMDEF_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config.h"

/* Limits a definition accepts, whatever the host (the host's own RAM and
 * KVM's vCPU limit are checked when the VM starts). */
#define VMDEF_MIN_MEMORY     (2ULL << 20)   /* as `ttyvm run --memory` */
#define VMDEF_MAX_MEMORY     (1ULL << 40)   /* 1 TiB */
#define VMDEF_MEMORY_ALIGN   (4ULL << 10)   /* whole pages */
#define VMDEF_DEFAULT_MEMORY (256ULL << 20) /* as `ttyvm run` */
#define VMDEF_MAX_CPUS       254            /* xAPIC ids, see machine.c */

/* The BIOS a firmware-boot VM gets when it names none (Debian's seabios). */
#define VMDEF_DEFAULT_FIRMWARE "/usr/share/seabios/bios-256k.bin"

/* The name rule, worded for messages: "NAME: " VMDEF_NAME_RULE */
#define VMDEF_NAME_RULE \
	"use 1-63 letters, digits, '.', '-' or '_', not starting with '.' or '-'"

/* A size big enough for any message vmdef_* writes into err. */
#define VMDEF_ERR_MAX 512

/* Flags of vmdef_load_flags() */
#define VMDEF_NO_FILE_CHECK 0x1u /* don't require kernel/initrd/flat to exist */
#define VMDEF_TEMPLATE      0x3u /* a preset: an empty path means "to be filled
				  * in", so nothing needs to be bootable yet;
				  * implies VMDEF_NO_FILE_CHECK */

/*
 * true when name is a valid VM name: 1-63 characters of [A-Za-z0-9._-],
 * not starting with '.' or '-' (so it is safe as a file name and never an
 * option).  The same rule as `ttyvm run --name`.
 */
bool vmdef_name_valid(const char *name);

/*
 * Sets cfg to the built-in defaults (those of `ttyvm run`: name "vm",
 * 256 MiB, one vCPU, ACPI on, serial on stdio, nothing to boot).  cfg
 * must not hold allocations (it is overwritten, not freed).
 */
void vmdef_defaults(struct vm_config *cfg);

/*
 * Frees every string cfg owns (definition keys and the rest, as
 * cli_run_free does) and zeroes it.  Safe on a zeroed cfg.
 */
void vmdef_free(struct vm_config *cfg);

/*
 * The schema, for editors and documentation checks: the section, name
 * and one-line description of key number i (0, 1, ...).  Returns false
 * past the last key.
 */
bool vmdef_key_info(unsigned int i, const char **section, const char **key,
		    const char **help);

/* true when a and b describe the same VM: every definition key is equal
 * (run-time settings such as control_socket are not compared). */
bool vmdef_equal(const struct vm_config *a, const struct vm_config *b);

/*
 * Loads and validates the definition at path into cfg, which is
 * overwritten (defaults first, then the file).  Relative paths in the
 * file are resolved against the file's directory; cfg's paths are then
 * absolute.  Without a [vm] name key the name is the file's name less
 * ".ini".  Every file the VM reads (kernel, initrd, flat, firmware,
 * disks, the CD-ROM image) must exist and be readable.  Indexed sections
 * fill arrays: [disk0] ... [diskN] become disks[0..N], ndisks = N + 1.
 * In a template (VMDEF_TEMPLATE) an empty path is NULL in cfg, to be
 * filled in - also a disk's, whose instance still counts in ndisks.
 *
 * Returns 0, or a negative errno with one message in err (never printed):
 * -EINVAL for any problem with the content ("FILE:LINE: [SECTION] KEY =
 * VALUE: what is wrong; what is allowed"), -ENOENT/-EACCES/... when the
 * file cannot be read.  On success the caller owns cfg's strings (free
 * with vmdef_free); on failure cfg holds no allocations.
 */
int vmdef_load(const char *path, struct vm_config *cfg, char *err, size_t errlen);

/* vmdef_load with VMDEF_* flags (presets use VMDEF_TEMPLATE). */
int vmdef_load_flags(const char *path, unsigned int flags, struct vm_config *cfg,
		     char *err, size_t errlen);

/*
 * vmdef_load_flags() of the file at path as if it were at as: relative
 * paths start from as's directory and the name defaults to as's file
 * name; messages name path.  For checking an edited copy of a definition
 * before it replaces the original (`ttyvm edit`).
 */
int vmdef_load_as(const char *path, const char *as, unsigned int flags,
		  struct vm_config *cfg, char *err, size_t errlen);

/*
 * Writes cfg as a commented definition to path, atomically: a temporary
 * file in the same directory is written, synced, read back and compared
 * with cfg, renamed over path, and the directory synced.  On any error
 * before the rename path is untouched and the temporary file removed.
 * Relative paths in cfg are taken from the current directory and written
 * absolute.  The file gets mode 0644 (0600 once a key holds a secret).
 * The directory must exist.  cfg is validated as vmdef_load would, except
 * that files need not exist.  Run-time settings (screen_text, screenshot,
 * debugcon, control_socket) are not written.  Returns 0 or a negative
 * errno with a message in err.
 */
int vmdef_save(const char *path, const struct vm_config *cfg, char *err, size_t errlen);

#endif
