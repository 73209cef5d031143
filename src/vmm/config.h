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
};

#endif
