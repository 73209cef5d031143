/*
 * cli.h - the verbs of the ttyvm command line.
 *
 * One table (main.c) drives dispatch and `ttyvm help`; each verb lives in
 * its own cli_VERB.c and returns the process exit status.
 */
#ifndef TTYVM_CLI_H
#define TTYVM_CLI_H

#include <stdio.h>

#include "vmm/config.h"

struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	void (*usage)(FILE *out);
};

int cli_run(int argc, char **argv);
void cli_run_usage(FILE *out);

/*
 * Parses `run` options into cfg (which the caller initialises with
 * cli_run_defaults).  Returns 0, 1 on a bad option (message printed),
 * or 2 when --help was given (usage printed).  Exposed for unit tests.
 */
void cli_run_defaults(struct vm_config *cfg);
int cli_run_parse(int argc, char **argv, struct vm_config *cfg);
void cli_run_free(struct vm_config *cfg);
/* One --disk FILE[,if=virtio|ahci][,ro][,format=...] appended to cfg's
 * disks; 0, or -1 after a message. */
int cli_run_parse_disk(const char *val, struct vm_config *cfg);
/* --net user,...|tap,...|none; see cli_run.c.  0 or -1 (message printed). */
int cli_run_parse_net(const char *val, struct vm_config *cfg, bool *replaced);
/* --input LIST into VM_INPUT_* bits; 0, or -1 after a message. */
int cli_run_parse_input(const char *val, unsigned int *input);

/* Verbs on a running VM, through its control socket (cli_ctl.c). */
int cli_status(int argc, char **argv);
void cli_status_usage(FILE *out);
int cli_pause(int argc, char **argv);
void cli_pause_usage(FILE *out);
int cli_resume(int argc, char **argv);
void cli_resume_usage(FILE *out);
int cli_reset(int argc, char **argv);
void cli_reset_usage(FILE *out);
int cli_powerdown(int argc, char **argv);
void cli_powerdown_usage(FILE *out);
int cli_stop(int argc, char **argv);
void cli_stop_usage(FILE *out);

/* `ttyvm start NAME`: a defined VM in the background (cli_start.c). */
int cli_start(int argc, char **argv);
void cli_start_usage(FILE *out);

#endif
