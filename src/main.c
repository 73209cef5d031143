/*
 * main.c - the ttyvm command: one table of verbs, dispatch and help.
 *
 * `ttyvm` alone opens the manager (TUI, ui/tui_main.c) when it runs on a
 * terminal; without one it says to use the verbs.  Every verb takes --help.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ui/cli.h"
#include "ui/cli_disk.h"
#include "ui/cli_manager.h"
#include "ui/tui.h"
#include "util/log.h"
#include "util/util.h"

static int cli_help(int argc, char **argv);

static void cli_help_usage(FILE *out)
{
	fputs("usage: ttyvm help [VERB]\n", out);
}

static const struct cli_verb verbs[] = {
	{ "run", cli_run, "run a VM in the foreground", cli_run_usage },
	/* a defined VM in the background, and verbs on running VMs (control socket) */
	{ "start", cli_start, "start a defined VM in the background", cli_start_usage },
	{ "status", cli_status, "show whether a VM runs, and its facts", cli_status_usage },
	{ "pause", cli_pause, "pause a running VM", cli_pause_usage },
	{ "resume", cli_resume, "resume a paused VM", cli_resume_usage },
	{ "reset", cli_reset, "reset a VM (the reset button)", cli_reset_usage },
	{ "powerdown", cli_powerdown, "press a VM's ACPI power button", cli_powerdown_usage },
	{ "stop", cli_stop, "shut a VM down (--force: pull the plug)", cli_stop_usage },
	/* the VM manager, for scripts (cli_manager.h) */
	{ "create", cli_create, "define a new VM (and make its disks)", cli_create_usage },
	{ "list", cli_list, "list the VMs and their state", cli_list_usage },
	{ "info", cli_info, "show a VM's definition and state", cli_info_usage },
	{ "edit", cli_edit, "edit a VM's definition in $EDITOR", cli_edit_usage },
	{ "clone", cli_clone, "copy a VM, disks and all", cli_clone_usage },
	{ "rename", cli_rename, "rename a VM", cli_rename_usage },
	{ "delete", cli_delete, "delete a VM (its disks only with --disks)", cli_delete_usage },
	{ "console", cli_console, "attach to a VM's serial console", cli_console_usage },
	{ "expect", cli_expect, "wait for text on a VM's console or screen", cli_expect_usage },
	/* disk images (cli_disk.h) */
	{ "disk", cli_disk, "create, inspect or convert a disk image", cli_disk_usage },
	{ "screenshot", cli_screenshot, "write a VM's screen to a PNG file",
	  cli_screenshot_usage },
	{ "sendkey", cli_sendkey, "press keys on a VM's keyboard (ctrl-alt-delete)",
	  cli_sendkey_usage },
	{ "type", cli_type, "type text on a VM's keyboard", cli_type_usage },
	{ "help", cli_help, "show help for a verb", cli_help_usage },
};

static const struct cli_verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: ttyvm VERB [options]   (ttyvm VERB --help for details)\n"
		     "       ttyvm                  on a terminal: the VM manager (? for help)\n\n"
		     "ttyvm %s - a virtualization workstation for the terminal.\n\nVerbs:\n",
		PACKAGE_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fputs("\nSee ttyvm(1).\n", out);
}

static int cli_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	const struct cli_verb *v = verb_find(argv[1]);
	if (!v) {
		log_error("help: unknown verb '%s'", argv[1]);
		return 1;
	}
	v->usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("ttyvm");
	if (argc < 2) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			return tui_run();
		log_error("the VM manager needs a terminal; without one, use the verbs "
			  "(ttyvm --help lists them)");
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ttyvm %s\n", PACKAGE_VERSION);
		return 0;
	}
	const struct cli_verb *v = verb_find(argv[1]);
	if (!v) {
		log_error("unknown verb '%s' (ttyvm --help lists them)", argv[1]);
		return 1;
	}
	return v->run(argc - 1, argv + 1);
}
