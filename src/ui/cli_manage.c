/*
 * cli_manage.c - `ttyvm delete`, `ttyvm clone`, `ttyvm rename`: whole VMs
 * at rest.  Options, questions and messages; the work, and the refusal to
 * touch a running VM, are vmstore's (vmstore_ops.c).
 *
 * delete asks before it deletes when a person can be asked (stdin and
 * stderr are terminals) and refuses without --yes when nobody can, so a
 * script never deletes by accident; disks stay unless --disks.
 */
#include "ui/cli_manager.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/cli_util.h"
#include "ui/vmstore.h"
#include "util/log.h"

enum verb { V_DELETE, V_CLONE, V_RENAME, V_EDIT };

static const struct {
	const char *name;
	int nargs;
	const char *args;
} verbs[] = {
	[V_DELETE] = { "delete", 1, "NAME" },
	[V_CLONE] = { "clone", 2, "SRC DST" },
	[V_RENAME] = { "rename", 2, "OLD NEW" },
	[V_EDIT] = { "edit", 1, "NAME" },
};

#define MANAGE_EXIT_TEXT \
	"Exit status: 0 done; 1 error (nothing changed); 3 refused: the VM is\n" \
	"running (stop it first).\n"

void cli_delete_usage(FILE *out)
{
	fputs("usage: ttyvm delete [--yes] [--disks] NAME\n"
	      "\n"
	      "Deletes VM NAME: its definition and what its runs left (log, stale pid\n"
	      "file and socket).  Its data directory - the disks created for it - stays\n"
	      "unless --disks; files elsewhere (disk images of your own, ISO images) are\n"
	      "never deleted.  A running VM is not deleted.  On a terminal delete asks\n"
	      "first; without one it needs --yes.\n"
	      "\n"
	      "  -y, --yes    do not ask\n"
	      "      --disks  also delete its data directory, disks and all\n"
	      "  -h, --help   this help\n"
	      "\n" MANAGE_EXIT_TEXT, out);
}

void cli_clone_usage(FILE *out)
{
	fputs("usage: ttyvm clone [--share-external|--copy-external] SRC DST\n"
	      "\n"
	      "Makes VM DST a copy of VM SRC: the same definition, and a copy of\n"
	      "everything in SRC's data directory (its disks: sparse files stay sparse)\n"
	      "in DST's, with the definition's paths pointing there.  Read-only files\n"
	      "elsewhere (an ISO, a read-only disk) are used by both.  A writable disk\n"
	      "outside SRC's data directory is refused unless one of:\n"
	      "\n"
	      "      --share-external  both VMs use it (never run them at the same time)\n"
	      "      --copy-external   copy it into DST's data directory too\n"
	      "  -h, --help            this help\n"
	      "\n"
	      "SRC must not be running.  On a terminal the copies show their progress.\n"
	      "\n" MANAGE_EXIT_TEXT, out);
}

void cli_rename_usage(FILE *out)
{
	fputs("usage: ttyvm rename OLD NEW\n"
	      "\n"
	      "Renames VM OLD to NEW: its definition (and the paths in it that point into\n"
	      "its data directory), the data directory and its log.  OLD must not be\n"
	      "running; NEW must be free.\n"
	      "\n"
	      "  -h, --help   this help\n"
	      "\n" MANAGE_EXIT_TEXT, out);
}

static void manage_usage(enum verb v, FILE *out)
{
	switch (v) {
	case V_DELETE: cli_delete_usage(out); break;
	case V_CLONE: cli_clone_usage(out); break;
	case V_RENAME: cli_rename_usage(out); break;
	case V_EDIT: cli_edit_usage(out); break;
	}
}

enum { OPT_DISKS = 256, OPT_SHARE, OPT_COPY };

static int manage_parse(enum verb v, int argc, char **argv, struct cli_manage_opts *o)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "disks", no_argument, NULL, OPT_DISKS },
		{ "share-external", no_argument, NULL, OPT_SHARE },
		{ "copy-external", no_argument, NULL, OPT_COPY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = verbs[v].name;
	int c;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":yh", opts, NULL)) != -1) {
		if (c == 'h') {
			manage_usage(v, stdout);
			return 2;
		}
		if ((c == 'y' || c == OPT_DISKS) && v == V_DELETE) {
			if (c == 'y')
				o->yes = true;
			else
				o->data = true;
			continue;
		}
		if ((c == OPT_SHARE || c == OPT_COPY) && v == V_CLONE) {
			o->clone_flags |= c == OPT_SHARE ? VMSTORE_CLONE_SHARE_EXTERNAL
							 : VMSTORE_CLONE_COPY_EXTERNAL;
			continue;
		}
		if (c == '?' || c == ':' || c == 'y' || c >= 256) {
			log_error("%s: %s option %s (see ttyvm %s --help)", name,
				  c == ':' ? "a value is missing for" : "unknown",
				  argv[optind - 1], name);
			return 1;
		}
	}
	if (o->clone_flags == (VMSTORE_CLONE_SHARE_EXTERNAL | VMSTORE_CLONE_COPY_EXTERNAL)) {
		log_error("clone: --share-external and --copy-external exclude each other");
		return 1;
	}
	if (argc - optind != verbs[v].nargs) {
		log_error("%s: expected %s (ttyvm %s --help)", name, verbs[v].args, name);
		return 1;
	}
	o->a = argv[optind];
	o->b = verbs[v].nargs > 1 ? argv[optind + 1] : NULL;
	for (const char *n = o->a; n; n = n == o->a ? o->b : NULL) {
		if (!vmdef_name_valid(n)) {
			log_error("%s: '%s': " VMDEF_NAME_RULE, name, n);
			return 1;
		}
	}
	return 0;
}

int cli_delete_parse(int argc, char **argv, struct cli_manage_opts *o)
{
	return manage_parse(V_DELETE, argc, argv, o);
}

int cli_clone_parse(int argc, char **argv, struct cli_manage_opts *o)
{
	return manage_parse(V_CLONE, argc, argv, o);
}

int cli_rename_parse(int argc, char **argv, struct cli_manage_opts *o)
{
	return manage_parse(V_RENAME, argc, argv, o);
}

int cli_edit_parse(int argc, char **argv, struct cli_manage_opts *o)
{
	return manage_parse(V_EDIT, argc, argv, o);
}

/* The exit status of a vmstore failure (message printed). */
static int manage_failed(const char *err, int r)
{
	log_error("%s", err);
	return r == -EBUSY ? CLI_EXIT_RUNNING : CLI_EXIT_ERROR;
}

int cli_delete(int argc, char **argv)
{
	struct cli_manage_opts o;
	struct vmstore_files f;
	char err[VMSTORE_ERR_MAX], q[2 * VMSTORE_PATH_MAX + 128];
	int r = cli_delete_parse(argc, argv, &o);

	if (r)
		return r == 2 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	if (!vmstore_exists(o.a)) {
		log_error("delete: no VM named '%s'", o.a);
		return CLI_EXIT_ERROR;
	}
	if (!o.yes) {
		if (!cli_can_ask()) {
			log_error("delete %s: not deleting without --yes (there is no terminal to "
				  "ask)", o.a);
			return CLI_EXIT_ERROR;
		}
		vmstore_files(o.a, &f);
		snprintf(q, sizeof(q), "Delete VM %s (%s%s%s)?", o.a, f.def,
			 o.data ? " and its data directory " : "; its disks stay in ",
			 f.data);
		if (!cli_ask(q, false)) {
			fprintf(stderr, "%s: not deleted\n", o.a);
			return CLI_EXIT_ERROR;
		}
	}
	r = vmstore_delete(o.a, o.data ? VMSTORE_DELETE_DATA : 0, err, sizeof(err));
	if (r)
		return manage_failed(err, r);
	printf("%s: deleted%s\n", o.a, o.data ? ", with its data directory" : "");
	return CLI_EXIT_OK;
}

int cli_clone(int argc, char **argv)
{
	struct cli_manage_opts o;
	struct cli_progress pr = { 0 };
	char err[VMSTORE_ERR_MAX];
	int r = cli_clone_parse(argc, argv, &o);

	if (r)
		return r == 2 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	r = vmstore_clone(o.a, o.b, o.clone_flags, cli_progress, &pr, err, sizeof(err));
	if (r) {
		if (r == -EXDEV)
			log_info("clone --share-external or --copy-external decides (ttyvm clone "
				 "--help)");
		return manage_failed(err, r);
	}
	printf("%s: cloned from %s\n", o.b, o.a);
	return CLI_EXIT_OK;
}

int cli_rename(int argc, char **argv)
{
	struct cli_manage_opts o;
	char err[VMSTORE_ERR_MAX];
	int r = cli_rename_parse(argc, argv, &o);

	if (r)
		return r == 2 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	r = vmstore_rename(o.a, o.b, err, sizeof(err));
	if (r)
		return manage_failed(err, r);
	printf("%s: renamed to %s\n", o.a, o.b);
	return CLI_EXIT_OK;
}
