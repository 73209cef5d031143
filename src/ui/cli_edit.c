/*
 * cli_edit.c - `ttyvm edit NAME`: the definition in $VISUAL or $EDITOR,
 * checked before it replaces the original.
 *
 * The editor works on a copy, CONFIG/vms/.NAME.edit-XXXXXX.ini (beside
 * the original, so relative paths mean the same, and hidden from the VM
 * list by its leading dot).  When the editor is done the copy is loaded as
 * if it were the definition (vmdef_load_as(): every key, every rule, the
 * files it names); only a copy that loads replaces the original, with
 * rename(2), so the definition is never half written.  A copy that does
 * not load is never thrown away: on a terminal the editor opens again on
 * it, otherwise (or when the person declines) it stays where it is and
 * its path is printed.  The user's text is kept as written, comments
 * included (ttyvm's own saves rewrite the file; edit does not).
 */
#include "ui/cli_manager.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ui/cli_util.h"
#include "ui/vmstore.h"
#include "util/log.h"

void cli_edit_usage(FILE *out)
{
	fputs("usage: ttyvm edit NAME\n"
	      "\n"
	      "Opens the definition of VM NAME (see ttyvm.ini(5)) in $VISUAL, else\n"
	      "$EDITOR, else vi, on a copy.  When the editor exits the copy is checked\n"
	      "as a definition; only then does it replace the original (as written,\n"
	      "comments and all).  When it has an error, the message names the line, and\n"
	      "on a terminal the editor opens again on your copy; your edit is never\n"
	      "lost: declined or without a terminal, the copy stays and its path is\n"
	      "shown.  A running VM keeps what it started with until its next start.\n"
	      "\n"
	      "  -h, --help   this help\n"
	      "\n"
	      "Exit status: 0 saved (or nothing changed); 1 error (the copy is kept when\n"
	      "it holds an edit).\n", out);
}

static int edit_copy(const char *from, int to)
{
	char buf[8192];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (in < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	if (n < 0)
		r = -errno;
	close(in);
	if (!r && fsync(to) < 0)
		r = -errno;
	return r;
}

static bool edit_same(const char *a, const char *b)
{
	FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
	bool same = fa && fb;

	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);
		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* Runs the editor on path: 0, or 1 after a message. */
static int edit_run_editor(const char *path)
{
	const char *editor = getenv("VISUAL");
	pid_t pid;
	int st;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_error("edit: fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		/* as git does: EDITOR is shell text ("emacs -nw", quotes and
		 * all), the file its last argument */
		char *script = NULL;
		if (asprintf(&script, "%s \"$1\"", editor) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", script, "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			log_error("edit: waiting for the editor: %s", strerror(errno));
			return 1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log_error("edit: the editor (%s) failed (%s %d)", editor,
			  WIFEXITED(st) ? "exit status" : "signal",
			  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return 1;
	}
	return 0;
}

/* Checks the copy as name's definition: 0, or 1 after a message. */
static int edit_check(const char *name, const char *tmp, const char *def)
{
	struct vm_config cfg;
	char err[VMDEF_ERR_MAX];

	if (vmdef_load_as(tmp, def, 0, &cfg, err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	if (strcmp(cfg.name, name) != 0) {
		log_error("%s: [vm] name = %s: edit keeps the name %s; ttyvm rename %s %s "
			  "renames the VM", tmp, cfg.name, name, name, cfg.name);
		vmdef_free(&cfg);
		return 1;
	}
	vmdef_free(&cfg);
	return 0;
}

/* The copy replaces the definition; 0 or 1 after a message. */
static int edit_install(const char *tmp, const char *def)
{
	char dir[VMSTORE_PATH_MAX];
	const char *slash = strrchr(def, '/');
	int fd;

	if (chmod(tmp, 0644) < 0 || rename(tmp, def) < 0) {
		log_error("edit: replacing %s: %s (your edit is in %s)", def, strerror(errno), tmp);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - def) : 1, slash ? def : ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int cli_edit(int argc, char **argv)
{
	struct cli_manage_opts o;
	struct vmstore_files f;
	struct vmstore_vm vm;
	char tmp[VMSTORE_PATH_MAX + 64];
	const char *slash;
	int r = cli_edit_parse(argc, argv, &o), fd;

	if (r)
		return r == 2 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	if (vmstore_files(o.a, &f) || access(f.def, F_OK) < 0) {
		log_error("edit: no VM named '%s'", o.a);
		return CLI_EXIT_ERROR;
	}
	slash = strrchr(f.def, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.%s.edit-XXXXXX.ini", (int)(slash - f.def), f.def, o.a);
	fd = mkostemps(tmp, 4, O_CLOEXEC);
	if (fd < 0) {
		log_error("edit: a copy to edit in %.*s: %s", (int)(slash - f.def), f.def,
			  strerror(errno));
		return CLI_EXIT_ERROR;
	}
	r = edit_copy(f.def, fd);
	close(fd);
	if (r) {
		log_error("edit: copying %s: %s", f.def, strerror(-r));
		unlink(tmp);
		return CLI_EXIT_ERROR;
	}
	for (bool first = true;; first = false) {
		if (edit_run_editor(tmp)) {
			if (first && edit_same(tmp, f.def))
				unlink(tmp);
			else
				fprintf(stderr, "%s: your edit is kept in %s\n", o.a, tmp);
			return CLI_EXIT_ERROR;
		}
		if (edit_same(tmp, f.def)) {
			unlink(tmp);
			printf("%s: no changes\n", o.a);
			return CLI_EXIT_OK;
		}
		if (edit_check(o.a, tmp, f.def) == 0)
			break;
		if (!cli_ask("Edit again?", true)) {
			fprintf(stderr, "%s: not saved; your edit is kept in %s (ttyvm edit %s "
				"starts again from the saved definition)\n", o.a, tmp, o.a);
			return CLI_EXIT_ERROR;
		}
	}
	if (edit_install(tmp, f.def))
		return CLI_EXIT_ERROR;
	if (vmstore_query(o.a, &vm, VMSTORE_TIMEOUT_MS) == 0 && vmstore_state_active(vm.state))
		printf("%s: saved; it runs on as it was started until its next start\n", o.a);
	else
		printf("%s: saved\n", o.a);
	return CLI_EXIT_OK;
}
