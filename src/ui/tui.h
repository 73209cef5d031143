/*
 * tui.h - the ncurses VM manager (`ttyvm` with no arguments): the parts
 * that share this header.
 *
 *   tui_main.c      the entry point, main loop, actions on the list
 *   tui_model.c     the list model: rows, filter, sort, selection, CPU %
 *   tui_keys.c      key tables: key -> action, the key bar and help text
 *   tui_worker.c    background threads: state polling and long jobs
 *   tui_draw.c      drawing the main screen, help, dialogs; colours
 *   tui_dialog.c    small modal dialogs (confirm, one-line input)
 *   tui_console.c   the serial console view
 *   tui_wizard*.c   the creation wizard (model and screens)
 *
 * Logic (model, keys, wizard model) is kept apart from drawing so the
 * unit tests run it without a terminal.  The TUI holds no VM state and
 * never opens /dev/kvm: everything goes through vmstore.h and the VMs'
 * control sockets.
 */
#ifndef TTYVM_TUI_H
#define TTYVM_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/vmstore.h"

/* Runs the TUI on the terminal; returns the process exit status.  The
 * caller has checked that stdin and stdout are terminals. */
int tui_run(void);

/* --- the list model (tui_model.c) --------------------------------------------- */

enum tui_sort { TUI_SORT_NAME, TUI_SORT_STATE, TUI_SORT_CPU, TUI_SORT_MEMORY, TUI_SORT_COUNT };

/* "name", "state", "cpu", "memory" */
const char *tui_sort_name(enum tui_sort s);

struct tui_row {
	struct vmstore_vm vm;
	double cpu;          /* percent of one host CPU since the last sample, -1 unknown */
};

#define TUI_FILTER_MAX 64

struct tui_list {
	struct tui_row *rows;   /* every VM, in vmstore order (by name) */
	size_t nrows;
	size_t *vis;            /* indexes into rows of the shown ones, sorted */
	size_t nvis;
	char filter[TUI_FILTER_MAX];
	enum tui_sort sort;
	size_t cur;             /* index into vis of the selected row */
	char selected[VM_NAME_MAX]; /* its name: the selection follows it */
};

void tui_list_init(struct tui_list *l);
void tui_list_free(struct tui_list *l);

/*
 * Replaces the rows with a new snapshot of n VMs (copied).  CPU % of a
 * VM is computed from its previous row and the new one when both are
 * samples of the same run (vmstore_cpu_between()); a row whose CPU
 * cannot be told this time keeps -1.  The selection stays on the same
 * name when it is still shown.  0 or -ENOMEM (the old rows stay).
 */
int tui_list_update(struct tui_list *l, const struct vmstore_vm *vms, size_t n);

/* true when vm matches filter: a case-insensitive substring of its name
 * or of its state's name; "" matches everything. */
bool tui_list_matches(const struct vmstore_vm *vm, const char *filter);

/* Sets the filter (cut at TUI_FILTER_MAX - 1) / the sort, and re-sorts. */
void tui_list_set_filter(struct tui_list *l, const char *filter);
void tui_list_set_sort(struct tui_list *l, enum tui_sort sort);

/* Moves the selection by delta rows (clamped), or to row i. */
void tui_list_move(struct tui_list *l, long delta);
void tui_list_select(struct tui_list *l, size_t i);
/* Selects the VM called name if it is shown; false if not. */
bool tui_list_select_name(struct tui_list *l, const char *name);

/* The selected row, or NULL when nothing is shown. */
const struct tui_row *tui_list_current(const struct tui_list *l);
/* Shown row i (i < nvis). */
const struct tui_row *tui_list_row(const struct tui_list *l, size_t i);

/* Formats for the columns: "512M", "2G", "1.5G"; "-" for 0.  CPU: "12.3",
 * "-" for unknown.  Uptime: "45s", "12m03s", "3h07m", "2d04h". */
void tui_fmt_memory(uint64_t bytes, char *buf, size_t len);
void tui_fmt_cpu(double pct, char *buf, size_t len);
void tui_fmt_uptime(uint64_t s, char *buf, size_t len);

/*
 * A check run on every change of an input field: 0 when text is
 * acceptable, else -errno with a short reason in why (ctx is the
 * caller's).
 */
typedef int (*tui_check_fn)(void *ctx, const char *text, char *why, size_t len);

/* --- keys (tui_keys.c) --------------------------------------------------------------- */

enum tui_action {
	TUI_ACT_NONE,
	TUI_ACT_UP, TUI_ACT_DOWN, TUI_ACT_PAGE_UP, TUI_ACT_PAGE_DOWN, TUI_ACT_HOME, TUI_ACT_END,
	TUI_ACT_DETAILS, TUI_ACT_FILTER, TUI_ACT_SORT, TUI_ACT_REFRESH, TUI_ACT_HELP,
	TUI_ACT_QUIT,
	TUI_ACT_START, TUI_ACT_PAUSE, TUI_ACT_RESET, TUI_ACT_POWERDOWN, TUI_ACT_FORCE_STOP,
	TUI_ACT_CONSOLE, TUI_ACT_DISPLAY, TUI_ACT_EDIT, TUI_ACT_NEW, TUI_ACT_DELETE,
	TUI_ACT_CLONE,
	TUI_ACT_COUNT
};

struct tui_action_info {
	const char *keys;    /* as the help screen shows them: "s", "q F10" */
	const char *bar;     /* label in the key bar, NULL: not in the bar */
	const char *help;    /* one line for the help screen */
	bool needs_vm;       /* acts on the selected VM */
};

/* What key (a curses key code or character) does on the VM list. */
enum tui_action tui_key_action(int key);
/* The description of an action (NULL for NONE or out of range). */
const struct tui_action_info *tui_action_info(enum tui_action a);

/* The key that leaves the console view and returns to the list: Ctrl-]
 * (as telnet and virsh console). */
#define TUI_CONSOLE_ESCAPE 0x1d
#define TUI_CONSOLE_ESCAPE_NAME "Ctrl-]"

/* --- background work (tui_worker.c) -------------------------------------------------- */

struct tui_worker;
struct tui_job;

/*
 * A job: work that may take long (start a VM, a request to a VM that may
 * be stuck, create a disk, clone), run on a thread of its own so the UI
 * never waits.  run() is called on that thread; done() later on the UI
 * thread (from tui_worker_dispatch()), which then frees the job with
 * free().  Jobs are allocated by the caller (a struct that begins with a
 * struct tui_job) and handed over to tui_worker_submit().
 */
struct tui_job {
	void (*run)(struct tui_job *job);
	void (*done)(struct tui_job *job, void *ui);
	char what[96];            /* "starting web1", for "still running" */
	/* progress, written by run() through tui_job_progress() */
	struct tui_worker *worker;
	struct tui_job *next;     /* the worker's lists */
};

/*
 * Starts the poller: every interval_ms (and at once after
 * tui_worker_poke()) it reads the VM list with vmstore_list(), at most
 * per_vm_ms per VM.  ui is handed to every done().  0 or -errno.
 */
int tui_worker_start(struct tui_worker **out, void *ui, int interval_ms, int per_vm_ms);

/* Stops the poller and frees the worker.  Jobs still running are left
 * to finish on their own threads (their done() is never called). */
void tui_worker_stop(struct tui_worker *w);

/* A descriptor that is readable when there is something to dispatch. */
int tui_worker_fd(const struct tui_worker *w);

/* Asks for a fresh list now. */
void tui_worker_poke(struct tui_worker *w);

/* Runs job on a new thread.  0, or -errno (the job is freed, done() not
 * called). */
int tui_worker_submit(struct tui_worker *w, struct tui_job *job);

/* From run(): progress in percent (0-100) and a short text (may be NULL).
 * The UI reads the latest with tui_worker_progress(). */
void tui_job_progress(struct tui_job *job, int percent, const char *text);

/*
 * On the UI thread: calls done() of every finished job.  Returns true
 * when a new VM list arrived since the last call; it is then in *vms
 * (a new array the caller frees) and *count, and *err is vmstore_list's
 * result (0 or -errno).
 */
bool tui_worker_dispatch(struct tui_worker *w, struct vmstore_vm **vms, size_t *count,
			 int *err);

/* Number of jobs running, and the latest progress report of any of them
 * ("" and -1 when none). */
unsigned int tui_worker_busy(struct tui_worker *w, char *what, size_t len, int *percent);

#endif
