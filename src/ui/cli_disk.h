/*
 * cli_disk.h - `ttyvm disk create|info|convert`: disk images by hand,
 * the qemu-img verbs a ttyvm user needs (cli_disk.c).
 */
#ifndef TTYVM_CLI_DISK_H
#define TTYVM_CLI_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/config.h"

enum cli_disk_cmd { CLI_DISK_CREATE, CLI_DISK_INFO, CLI_DISK_CONVERT };

struct cli_disk_opts {
	enum cli_disk_cmd cmd;
	const char *file;            /* create/info: FILE; convert: SRC */
	const char *dst;             /* convert: DST */
	uint64_t size;               /* create: bytes; 0 with --backing: the backing file's */
	enum disk_format format;     /* --format (create: qcow2 by default; convert: SRC's) */
	enum disk_format src_format; /* --source-format / info --format: AUTO probes */
	const char *backing;         /* create --backing */
	bool json, force;
};

int cli_disk(int argc, char **argv);
void cli_disk_usage(FILE *out);
/* 0, 1 after a message on stderr (bad usage), or 2 after printing --help. */
int cli_disk_parse(int argc, char **argv, struct cli_disk_opts *o);

#endif
