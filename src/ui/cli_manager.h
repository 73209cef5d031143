/*
 * cli_manager.h - the VM manager's verbs (the headless scripted mode):
 * create, list, info, delete, clone, rename, edit, console, expect.
 * Each verb is cli_VERB() + cli_VERB_usage() for src/main.c's table; each
 * parses its options with a cli_VERB_parse() the unit tests call, which
 * returns 0, 1 after a message on stderr (bad usage), or 2 after printing
 * --help.  Exit statuses are in each --help and in ttyvm(1).
 */
#ifndef TTYVM_CLI_MANAGER_H
#define TTYVM_CLI_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/config.h"

/* Exit statuses shared by create, delete, clone, rename, edit. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,
	CLI_EXIT_RUNNING = 3,    /* refused: the VM runs */
};

/* --- create ------------------------------------------------------------------ */

struct cli_create_opts {
	const char *name;
	const char *preset;          /* NULL: chosen from what is given */
	const char *kernel, *initrd, *append, *iso, *firmware;
	struct vm_config existing;   /* --disk FILE..., --net ...: its disks[], nics[] */
	bool nets_given;             /* --net was given (none: no NIC) */
	uint64_t new_disks[VM_MAX_DISKS]; /* --disk-size, bytes */
	unsigned int nnew;
	enum disk_format new_format; /* --disk-format; default qcow2 */
	bool no_disk;
	uint64_t memory;             /* 0: the preset's, fitted to the host */
	unsigned int cpus;           /* 0: the same */
	int boot;                    /* enum boot_order, -1: the preset's */
	bool display_set;            /* --display given: display replaces the preset's */
	struct display_config display;
	bool start, json;
	int timeout_s;               /* for --start */
};

int cli_create(int argc, char **argv);
void cli_create_usage(FILE *out);
int cli_create_parse(int argc, char **argv, struct cli_create_opts *o);
void cli_create_free(struct cli_create_opts *o);

/* --- list, info ------------------------------------------------------------------- */

struct cli_list_opts {
	bool json;
	int timeout_ms;              /* per VM */
	const char *name;            /* info: the VM */
};

int cli_list(int argc, char **argv);
void cli_list_usage(FILE *out);
int cli_list_parse(int argc, char **argv, struct cli_list_opts *o);
int cli_info(int argc, char **argv);
void cli_info_usage(FILE *out);
int cli_info_parse(int argc, char **argv, struct cli_list_opts *o);

/* --- delete, clone, rename, edit ---------------------------------------------------- */

struct cli_manage_opts {
	const char *a, *b;           /* NAME, or SRC DST / OLD NEW */
	bool yes, data;              /* delete --yes, --disks */
	unsigned int clone_flags;    /* VMSTORE_CLONE_* */
	bool json;
};

int cli_delete(int argc, char **argv);
void cli_delete_usage(FILE *out);
int cli_delete_parse(int argc, char **argv, struct cli_manage_opts *o);
int cli_clone(int argc, char **argv);
void cli_clone_usage(FILE *out);
int cli_clone_parse(int argc, char **argv, struct cli_manage_opts *o);
int cli_rename(int argc, char **argv);
void cli_rename_usage(FILE *out);
int cli_rename_parse(int argc, char **argv, struct cli_manage_opts *o);
int cli_edit(int argc, char **argv);
void cli_edit_usage(FILE *out);
int cli_edit_parse(int argc, char **argv, struct cli_manage_opts *o);

/* --- console, expect ------------------------------------------------------------------ */

#define CLI_CONSOLE_ESCAPE 0x1d /* Ctrl-], as virsh and telnet */

struct cli_console_opts {
	const char *vm;              /* a name or a socket path */
	bool ro, replay;
	int timeout_s;               /* 0: none */
	/* expect */
	const char *text;
	bool screen, new_only;
};

int cli_console(int argc, char **argv);
void cli_console_usage(FILE *out);
int cli_console_parse(int argc, char **argv, struct cli_console_opts *o);
int cli_expect(int argc, char **argv);
void cli_expect_usage(FILE *out);
int cli_expect_parse(int argc, char **argv, struct cli_console_opts *o);

/* The screen and the keyboard of a running VM (cli_input.c). */
int cli_screenshot(int argc, char **argv);
void cli_screenshot_usage(FILE *out);
int cli_sendkey(int argc, char **argv);
void cli_sendkey_usage(FILE *out);
int cli_type(int argc, char **argv);
void cli_type_usage(FILE *out);

/*
 * Where Ctrl-] is in what a terminal typed: the index of the first escape
 * byte in buf[0..len), or len when there is none (what comes before it
 * goes to the guest, the rest is dropped).
 */
size_t cli_console_escape_at(const char *buf, size_t len);

#endif
