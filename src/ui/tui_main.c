/*
 * tui_main.c - the TUI's entry point, its main loop and what the keys of
 * the VM list do.
 *
 * The loop draws the main screen, then waits for a key or for the worker
 * (tui_wait_key): a new VM list from the poller, or a finished job.
 * Every action on a VM that talks to it, or may take long, is a job on a
 * thread of its own (tui_worker.c) whose result comes back as a message
 * on the message line, so a VM that hangs never freezes the list.  The
 * actions themselves are vmstore's (start, request, delete, clone): this
 * file only decides what to ask, asks the user first where something is
 * destroyed, and reports.  Editing runs the `ttyvm edit` verb on the
 * terminal, so the TUI and the CLI check a definition the same way.
 */
#include "ui/tui_ui.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ui/ctl_client.h"
#include "util/util.h"

#define TUI_REFRESH_MS   1000   /* the poller's interval */
#define TUI_PER_VM_MS    500    /* a state query's limit per VM */
#define TUI_START_MS     30000  /* vmstore_start's limit */
#define TUI_REQUEST_MS   5000   /* pause, reset, ... */
#define TUI_STOP_WAIT_MS 10000  /* after a forced stop */
#define TUI_DEF_RELOAD_S 2      /* the details pane re-reads the definition */

int tui_key_code(struct tui_key k)
{
	if (k.fkey)
		return (int)k.ch;
	return k.ch < 0x80 ? (int)k.ch : 0;
}

void tui_msg(struct tui *ui, enum tui_msg_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof(ui->msg), fmt, ap);
	va_end(ap);
	ui->msg_level = level;
}

static void tui_take_list(struct tui *ui)
{
	struct vmstore_vm *vms = NULL;
	size_t n = 0;
	int err = 0;

	if (!tui_worker_dispatch(ui->worker, &vms, &n, &err))
		return;
	if (tui_list_update(&ui->list, vms, n) == 0) {
		ui->have_list = true;
		ui->list_err = err;
	}
	free(vms);
}

bool tui_wait_key(struct tui *ui, int timeout_ms, struct tui_key *k)
{
	return tui_wait_key_fd(ui, timeout_ms, k, -1);
}

bool tui_wait_key_fd(struct tui *ui, int timeout_ms, struct tui_key *k, int fd)
{
	for (;;) {
		wint_t ch;
		int r;

		wtimeout(stdscr, 0);
		r = wget_wch(stdscr, &ch);
		if (r != ERR) {
			k->fkey = r == KEY_CODE_YES;
			k->ch = ch;
			return true;
		}
		struct pollfd p[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = tui_worker_fd(ui->worker), .events = POLLIN },
			{ .fd = fd, .events = POLLIN },
		};
		r = poll(p, fd >= 0 ? 3 : 2, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue; /* SIGWINCH: curses returns KEY_RESIZE next */
		if (r <= 0)
			return false;
		if (p[1].revents) {
			tui_take_list(ui);
			return false;
		}
		if (fd >= 0 && p[2].revents)
			return false;
		if (p[0].revents & (POLLHUP | POLLERR)) {
			ui->quit = true; /* the terminal went away */
			return false;
		}
	}
}

/* --- jobs on one VM ------------------------------------------------------------------- */

struct tui_vm_job {
	struct tui_job job;
	enum tui_action act;
	char name[VM_NAME_MAX];
	char other[VM_NAME_MAX];     /* clone: the new name */
	const char *request;         /* the protocol command */
	unsigned int flags;
	int rc;
	char err[VMSTORE_ERR_MAX];
	struct vmstore_started started;
	struct ctl_reply reply;
};

static void tui_clone_progress(void *ctx, const char *file, uint64_t done, uint64_t total)
{
	struct tui_vm_job *j = ctx;
	const char *base = strrchr(file, '/');
	char text[128];

	snprintf(text, sizeof(text), "cloning %s: %s", j->name, base ? base + 1 : file);
	tui_job_progress(&j->job, total ? (int)(done * 100 / total) : 100, text);
}

static void tui_vm_job_run(struct tui_job *job)
{
	struct tui_vm_job *j = (struct tui_vm_job *)job;
	const char *words[] = { j->request, NULL };

	switch (j->act) {
	case TUI_ACT_START:
		j->rc = vmstore_start(j->name, TUI_START_MS, &j->started, j->err, sizeof(j->err));
		break;
	case TUI_ACT_DELETE:
		j->rc = vmstore_delete(j->name, j->flags, j->err, sizeof(j->err));
		break;
	case TUI_ACT_CLONE:
		j->rc = vmstore_clone(j->name, j->other, j->flags, tui_clone_progress, j, j->err,
				      sizeof(j->err));
		break;
	default:
		j->rc = vmstore_request(j->name, words, &j->reply, TUI_REQUEST_MS);
		if (j->rc == 0 && !j->reply.ok)
			snprintf(j->err, sizeof(j->err), "%s: %s", j->name,
				 j->reply.message[0] ? j->reply.message : j->reply.code);
		if (j->rc == 0 && j->reply.ok && j->act == TUI_ACT_FORCE_STOP)
			j->rc = vmstore_wait_stopped(j->name, TUI_STOP_WAIT_MS);
		break;
	}
}

static void tui_show_display(struct tui *ui, struct tui_vm_job *j);
static void tui_clone_ask_external(struct tui *ui, struct tui_vm_job *j);

static void tui_vm_job_done(struct tui_job *job, void *arg)
{
	struct tui_vm_job *j = (struct tui_vm_job *)job;
	struct tui *ui = arg;

	if (j->act == TUI_ACT_START && j->rc == -ECHILD) {
		char tail[4096] = "";
		vmstore_log_tail(j->started.log, j->started.log_offset, 15, tail, sizeof(tail));
		tui_msg(ui, TUI_MSG_ERROR, "%s", j->err);
		char text[sizeof(tail) + VMSTORE_ERR_MAX + 64];
		snprintf(text, sizeof(text), "%s\n\nThe last lines of %s:\n\n%s", j->err,
			 j->started.log, tail);
		tui_show_text(ui, "The VM did not start", text);
		return;
	}
	if (j->act == TUI_ACT_CLONE && j->rc == -EXDEV && !j->flags) {
		tui_clone_ask_external(ui, j);
		return;
	}
	if (j->rc < 0) {
		if (j->err[0])
			tui_msg(ui, TUI_MSG_ERROR, "%s", j->err);
		else
			tui_msg(ui, TUI_MSG_ERROR, "%s: %s", j->name, ctl_client_strerror(j->rc));
		return;
	}
	if (j->err[0]) { /* the VM answered with an error */
		tui_msg(ui, TUI_MSG_ERROR, "%s", j->err);
		return;
	}
	switch (j->act) {
	case TUI_ACT_START:
		tui_msg(ui, TUI_MSG_OK, "%s: started (pid %ld)", j->name, (long)j->started.pid);
		break;
	case TUI_ACT_DELETE:
		tui_msg(ui, TUI_MSG_OK, "%s: deleted%s", j->name,
			j->flags & VMSTORE_DELETE_DATA ? " with its disks" : " (its disks are kept)");
		break;
	case TUI_ACT_CLONE:
		tui_msg(ui, TUI_MSG_OK, "%s: cloned as %s", j->name, j->other);
		snprintf(ui->list.selected, sizeof(ui->list.selected), "%s", j->other);
		break;
	case TUI_ACT_DISPLAY:
		tui_show_display(ui, j);
		break;
	case TUI_ACT_PAUSE:
		tui_msg(ui, TUI_MSG_OK, "%s: %s", j->name,
			strcmp(j->request, "pause") == 0 ? "paused" : "resumed");
		break;
	case TUI_ACT_RESET:
		tui_msg(ui, TUI_MSG_OK, "%s: reset", j->name);
		break;
	case TUI_ACT_POWERDOWN:
		tui_msg(ui, TUI_MSG_OK, "%s: power button pressed", j->name);
		break;
	case TUI_ACT_FORCE_STOP:
		tui_msg(ui, TUI_MSG_OK, "%s: stopped", j->name);
		break;
	default:
		break;
	}
}

static void tui_submit(struct tui *ui, enum tui_action act, const char *name,
		       const char *request, const char *other, unsigned int flags,
		       const char *what)
{
	struct tui_vm_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j) {
		tui_msg(ui, TUI_MSG_ERROR, "out of memory");
		return;
	}
	j->job.run = tui_vm_job_run;
	j->job.done = tui_vm_job_done;
	j->act = act;
	j->request = request;
	j->flags = flags;
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->other, sizeof(j->other), "%s", other ? other : "");
	snprintf(j->job.what, sizeof(j->job.what), "%s %s", what, name);
	r = tui_worker_submit(ui->worker, &j->job);
	if (r)
		tui_msg(ui, TUI_MSG_ERROR, "%s: cannot start a thread: %s", name, strerror(-r));
	else
		tui_msg(ui, TUI_MSG_INFO, "%s %s ...", what, name);
}

static void tui_clone_ask_external(struct tui *ui, struct tui_vm_job *j)
{
	char text[VMSTORE_ERR_MAX + 256];

	snprintf(text, sizeof(text),
		 "%s\n\nc  copy those disks into the clone's directory\n"
		 "s  share them (never run both VMs at once)\n"
		 "Esc  cancel", j->err);
	int k = tui_ask(ui, "Clone: disks outside the VM's directory", text, "cs");
	if (k == 0) {
		tui_msg(ui, TUI_MSG_INFO, "%s: not cloned", j->name);
		return;
	}
	tui_submit(ui, TUI_ACT_CLONE, j->name, NULL, j->other,
		   k == 'c' ? VMSTORE_CLONE_COPY_EXTERNAL : VMSTORE_CLONE_SHARE_EXTERNAL,
		   "cloning");
}

/* 'v': what the VM's status says about its display. */
static void tui_show_display(struct tui *ui, struct tui_vm_job *j)
{
	char text[1024] = "";
	size_t n = 0;

	for (unsigned int i = 0; i < j->reply.nfields && n < sizeof(text) - 1; i++) {
		const struct ctl_field *f = &j->reply.fields[i];
		if (strncmp(f->key, "vnc", 3) == 0 || strncmp(f->key, "display", 7) == 0 ||
		    strncmp(f->key, "sdl", 3) == 0)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s: %s\n", f->key,
					      f->value);
	}
	if (n == 0) {
		tui_msg(ui, TUI_MSG_ERROR, "%s: has no display to show (its definition has no "
			"[display], or this ttyvm runs VMs without one)", j->name);
		return;
	}
	tui_show_text(ui, "Display", text);
}

/* --- the keys of the list ---------------------------------------------------------------- */

static int tui_check_new_name(void *ctx, const char *text, char *why, size_t len)
{
	(void)ctx;
	if (!vmdef_name_valid(text)) {
		snprintf(why, len, "%s", VMDEF_NAME_RULE);
		return -EINVAL;
	}
	if (vmstore_exists(text)) {
		snprintf(why, len, "a VM called %s exists", text);
		return -EEXIST;
	}
	return 0;
}

static void tui_do_clone(struct tui *ui, const struct tui_row *row)
{
	char dst[VM_NAME_MAX], prompt[128], initial[VM_NAME_MAX];

	snprintf(prompt, sizeof(prompt), "Name of the clone of %s:", row->vm.name);
	snprintf(initial, sizeof(initial), "%.50s-clone", row->vm.name);
	if (!tui_input(ui, "Clone", prompt, initial, tui_check_new_name, NULL, dst, sizeof(dst)))
		return;
	tui_submit(ui, TUI_ACT_CLONE, row->vm.name, NULL, dst, 0, "cloning");
}

static void tui_do_delete(struct tui *ui, const struct tui_row *row)
{
	char text[512];

	if (vmstore_state_active(row->vm.state)) {
		tui_msg(ui, TUI_MSG_ERROR, "%s: is %s; stop it first (P or F)", row->vm.name,
			vmstore_state_name(row->vm.state));
		return;
	}
	snprintf(text, sizeof(text),
		 "Delete the VM %s?\n\n"
		 "y  delete its definition, keep its disks\n"
		 "a  delete it and everything in its data directory (its disks)\n"
		 "Esc  cancel", row->vm.name);
	int k = tui_ask(ui, "Delete", text, "ya");
	if (k)
		tui_submit(ui, TUI_ACT_DELETE, row->vm.name, NULL, NULL,
			   k == 'a' ? VMSTORE_DELETE_DATA : 0, "deleting");
}

/* Path of this program, to run its own verbs. */
static const char *tui_self(void)
{
	return "/proc/self/exe";
}

static void tui_do_edit(struct tui *ui, const struct tui_row *row)
{
	pid_t pid;
	int status = 0;

	tui_suspend(ui);
	printf("ttyvm edit %s\n", row->vm.name);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(tui_self(), "ttyvm", "edit", row->vm.name, (char *)NULL);
		perror("ttyvm edit");
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fputs("\n[press Enter to return to ttyvm]", stdout);
		fflush(stdout);
		int c;
		while ((c = getchar()) != EOF && c != '\n')
			;
	}
	tui_resume(ui);
	ui->def_name[0] = '\0'; /* re-read it */
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tui_msg(ui, TUI_MSG_OK, "%s: definition saved", row->vm.name);
	else
		tui_msg(ui, TUI_MSG_ERROR, "%s: definition not changed", row->vm.name);
	tui_worker_poke(ui->worker);
}

static void tui_do_filter(struct tui *ui)
{
	char f[TUI_FILTER_MAX];

	if (tui_input(ui, "Filter", "Show VMs whose name or state contains:", ui->list.filter,
		      NULL, NULL, f, sizeof(f)))
		tui_list_set_filter(&ui->list, f);
}

static bool tui_refuse_state(struct tui *ui, const struct tui_row *row, bool want_active)
{
	if (vmstore_state_active(row->vm.state) == want_active)
		return false;
	tui_msg(ui, TUI_MSG_ERROR, "%s: is %s", row->vm.name, vmstore_state_name(row->vm.state));
	return true;
}

static void tui_vm_action(struct tui *ui, enum tui_action a, const struct tui_row *row)
{
	const char *name = row->vm.name;
	char text[256];

	switch (a) {
	case TUI_ACT_START:
		if (row->vm.def_error) {
			tui_msg(ui, TUI_MSG_ERROR, "%s", row->vm.def_message);
			return;
		}
		if (!tui_refuse_state(ui, row, false))
			tui_submit(ui, a, name, NULL, NULL, 0, "starting");
		break;
	case TUI_ACT_PAUSE:
		if (!tui_refuse_state(ui, row, true))
			tui_submit(ui, a, name,
				   row->vm.state == VMSTORE_PAUSED ? "resume" : "pause", NULL, 0,
				   row->vm.state == VMSTORE_PAUSED ? "resuming" : "pausing");
		break;
	case TUI_ACT_RESET:
		if (!tui_refuse_state(ui, row, true))
			tui_submit(ui, a, name, "reset", NULL, 0, "resetting");
		break;
	case TUI_ACT_POWERDOWN:
		if (!tui_refuse_state(ui, row, true))
			tui_submit(ui, a, name, "powerdown", NULL, 0, "powering down");
		break;
	case TUI_ACT_FORCE_STOP:
		if (tui_refuse_state(ui, row, true))
			break;
		snprintf(text, sizeof(text), "Pull the plug on %s?\n\nThe guest gets no chance "
			 "to save anything.\n\ny  stop it now\nEsc  cancel", name);
		if (tui_ask(ui, "Force stop", text, "y"))
			tui_submit(ui, a, name, "stop", NULL, 0, "stopping");
		break;
	case TUI_ACT_DISPLAY:
		if (!tui_refuse_state(ui, row, true))
			tui_submit(ui, a, name, "status", NULL, 0, "asking for the display of");
		break;
	case TUI_ACT_CONSOLE:
		tui_console(ui, name);
		break;
	case TUI_ACT_EDIT:
		tui_do_edit(ui, row);
		break;
	case TUI_ACT_DELETE:
		tui_do_delete(ui, row);
		break;
	case TUI_ACT_CLONE:
		if (!tui_refuse_state(ui, row, false))
			tui_do_clone(ui, row);
		break;
	default:
		break;
	}
}

static void tui_handle_key(struct tui *ui, struct tui_key k)
{
	if (k.fkey && k.ch == KEY_RESIZE) {
		clearok(curscr, TRUE);
		return;
	}
	enum tui_action a = tui_key_action(tui_key_code(k));
	const struct tui_action_info *info = tui_action_info(a);
	const struct tui_row *row = tui_list_current(&ui->list);

	if (!info)
		return;
	if (info->needs_vm && !row) {
		tui_msg(ui, TUI_MSG_ERROR, "no VM selected (n creates one)");
		return;
	}
	switch (a) {
	case TUI_ACT_UP: tui_list_move(&ui->list, -1); break;
	case TUI_ACT_DOWN: tui_list_move(&ui->list, 1); break;
	case TUI_ACT_PAGE_UP: tui_list_move(&ui->list, -(long)ui->list_rows); break;
	case TUI_ACT_PAGE_DOWN: tui_list_move(&ui->list, (long)ui->list_rows); break;
	case TUI_ACT_HOME: tui_list_select(&ui->list, 0); break;
	case TUI_ACT_END: tui_list_select(&ui->list, ui->list.nvis ? ui->list.nvis - 1 : 0); break;
	case TUI_ACT_DETAILS: ui->zoom = !ui->zoom; break;
	case TUI_ACT_FILTER: tui_do_filter(ui); break;
	case TUI_ACT_SORT:
		tui_list_set_sort(&ui->list, (ui->list.sort + 1) % TUI_SORT_COUNT);
		tui_msg(ui, TUI_MSG_INFO, "sorted by %s", tui_sort_name(ui->list.sort));
		break;
	case TUI_ACT_REFRESH:
		clearok(curscr, TRUE);
		ui->def_name[0] = '\0';
		tui_worker_poke(ui->worker);
		break;
	case TUI_ACT_HELP: tui_help(ui); break;
	case TUI_ACT_QUIT: {
		char what[128];
		if (tui_worker_busy(ui->worker, what, sizeof(what), NULL)) {
			char text[256];
			snprintf(text, sizeof(text), "Still busy: %s.\n\nq  quit anyway (the VMs "
				 "keep running)\nEsc  stay", what);
			if (!tui_ask(ui, "Quit", text, "q"))
				break;
		}
		ui->quit = true;
		break;
	}
	case TUI_ACT_NEW: tui_wizard(ui); break;
	default: {
		/* a copy: a dialog the action opens lets new lists in, which
		 * replace the rows */
		struct tui_row copy = *row;
		tui_vm_action(ui, a, &copy);
		break;
	}
	}
}

void tui_suspend(struct tui *ui)
{
	(void)ui;
	def_prog_mode();
	endwin();
}

void tui_resume(struct tui *ui)
{
	(void)ui;
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
}

int tui_run(void)
{
	struct tui *ui = calloc(1, sizeof(*ui));
	SCREEN *scr;
	int r;

	if (!ui) {
		fputs("ttyvm: out of memory\n", stderr);
		return 1;
	}
	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		fprintf(stderr, "ttyvm: cannot use the terminal (TERM=%s); the verbs work without "
				"one (ttyvm --help)\n", getenv("TERM") ? getenv("TERM") : "");
		free(ui);
		return 1;
	}
	set_term(scr);
	set_escdelay(50);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	tui_draw_init_styles(ui);
	tui_list_init(&ui->list);
	vmstore_host(&ui->host);
	tui_msg(ui, TUI_MSG_INFO, "Welcome to ttyvm: n creates a VM, ? shows every key");

	r = tui_worker_start(&ui->worker, ui, TUI_REFRESH_MS, TUI_PER_VM_MS);
	if (r) {
		endwin();
		delscreen(scr);
		fprintf(stderr, "ttyvm: starting the state poller: %s\n", strerror(-r));
		free(ui);
		return 1;
	}
	while (!ui->quit) {
		struct tui_key k;

		tui_draw_main(ui);
		refresh();
		if (tui_wait_key(ui, TUI_REFRESH_MS, &k))
			tui_handle_key(ui, k);
	}
	endwin();
	delscreen(scr);
	tui_worker_stop(ui->worker);
	tui_list_free(&ui->list);
	vmdef_free(&ui->def);
	free(ui);
	return 0;
}
