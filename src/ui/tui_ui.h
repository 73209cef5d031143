/*
 * tui_ui.h - the curses side of the TUI: the state of one TUI session,
 * styles, input, drawing, dialogs, the console view and the wizard's
 * screens.  Only tui_*.c files that draw include it (tui.h has the
 * logic that the unit tests use without a terminal).
 */
#ifndef TTYVM_TUI_UI_H
#define TTYVM_TUI_UI_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdarg.h>
#include <time.h>
#include <wchar.h>

#include "ui/tui.h"
#include "ui/vmdef.h"

enum tui_style {
	TUI_S_NORMAL, TUI_S_TITLE, TUI_S_HEADER, TUI_S_SELECTED, TUI_S_KEY, TUI_S_KEYLABEL,
	TUI_S_RUNNING, TUI_S_PAUSED, TUI_S_STOPPED, TUI_S_CRASHED, TUI_S_ERROR, TUI_S_OK,
	TUI_S_FRAME, TUI_S_FIELD, TUI_S_DIM, TUI_S_COUNT
};

enum tui_msg_level { TUI_MSG_INFO, TUI_MSG_OK, TUI_MSG_ERROR };

/* One TUI session (there is one; it is handed around, never global). */
struct tui {
	struct tui_list list;
	struct tui_worker *worker;
	struct vmstore_host host;
	bool color;
	chtype style[TUI_S_COUNT];
	bool have_list;          /* a first list has arrived */
	int list_err;            /* vmstore_list's last result */
	bool zoom;               /* Enter: the details pane fills the screen */
	size_t top;              /* first shown list row */
	size_t list_rows;        /* list rows on screen (set by tui_draw_main) */
	char msg[VMSTORE_ERR_MAX];
	enum tui_msg_level msg_level;
	bool quit;
	/* the selected VM's definition, for the details pane */
	char def_name[VM_NAME_MAX];
	struct vm_config def;
	bool def_loaded;
	char def_err[VMSTORE_ERR_MAX];
	time_t def_time;
};

/* A key as read: a function key (KEY_*) or a character. */
struct tui_key {
	bool fkey;
	wint_t ch;
};

/* The list-key code of k for tui_key_action(): KEY_* or an ASCII
 * character; other characters give 0 (no action). */
int tui_key_code(struct tui_key k);

/*
 * Waits up to timeout_ms (-1: forever) for a key on the terminal while
 * dispatching the worker (jobs' done(), new VM lists into ui->list).
 * Returns true with *k set when a key came; false when the time ran out
 * or the worker delivered something (the caller redraws).
 */
bool tui_wait_key(struct tui *ui, int timeout_ms, struct tui_key *k);
/* tui_wait_key that also returns (false) when fd (if >= 0) is readable. */
bool tui_wait_key_fd(struct tui *ui, int timeout_ms, struct tui_key *k, int fd);

/* Sets the message line (printf-style). */
void tui_msg(struct tui *ui, enum tui_msg_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- drawing (tui_draw.c) ---------------------------------------------------------- */

/* Sets up colours (or the monochrome fallback when NO_COLOR is set or
 * the terminal has none) into ui->style. */
void tui_draw_init_styles(struct tui *ui);
/* Draws the whole main screen into stdscr (not refreshed). */
void tui_draw_main(struct tui *ui);
/* Draws the key bar of a screen other than the list on the last line of
 * win: pairs of key and label, NULL-terminated. */
void tui_draw_keybar(struct tui *ui, WINDOW *win, const char *const *pairs);
/* The help screen; returns when a key closes it. */
void tui_help(struct tui *ui);
/* A box with a title in win. */
void tui_draw_frame(struct tui *ui, WINDOW *win, const char *title);

/* --- dialogs (tui_dialog.c) ------------------------------------------------------------ */

/*
 * Asks a question in a box over the main screen.  keys is the set of
 * accepted answer characters ("yn"); Esc and q cancel.  Returns the key
 * chosen, or 0 for cancel.
 */
int tui_ask(struct tui *ui, const char *title, const char *text, const char *keys);

/* Shows text (lines separated by '\n', scrollable) until Esc, q or Enter. */
void tui_show_text(struct tui *ui, const char *title, const char *text);


/*
 * One line of input in a box (the form library), checked as it is typed.
 * Returns true with the text in out when Enter is pressed on an
 * acceptable text; false on Esc.
 */
bool tui_input(struct tui *ui, const char *title, const char *prompt, const char *initial,
	       tui_check_fn check, void *ctx, char *out, size_t len);

/* Leaves curses for a program that wants the terminal ($EDITOR, ...);
 * tui_resume() comes back. */
void tui_suspend(struct tui *ui);
void tui_resume(struct tui *ui);

/* Text cut into lines of at most width columns (at blanks where it can,
 * and at each '\n'); the lines point into the text. */
struct tui_lines {
	const char **start;
	int *len;
	size_t n, cap;
};
int tui_wrap(const char *text, int width, struct tui_lines *out);
void tui_wrap_free(struct tui_lines *l);

/* A framed window of about want_h x want_w, centred, with a title. */
WINDOW *tui_box_window(struct tui *ui, int want_h, int want_w, const char *title);
/* Redraws the main screen, then win over it. */
void tui_under_refresh(struct tui *ui, WINDOW *win);

/* --- forms and menus (tui_form.c) ------------------------------------------------------ */

/* One input field of a form. */
struct tui_field_spec {
	const char *label;      /* "Memory" */
	const char *hint;       /* shown while the text is fine: "a size such as 2G" */
	char *value;            /* in: the initial text; out: the text typed */
	size_t len;             /* size of value */
	tui_check_fn check;     /* NULL: anything goes */
	void *ctx;
};

/* What a form or a menu page looks like around its fields. */
struct tui_page {
	const char *title;
	const char *text;            /* a paragraph above the fields */
	const char *const *keys;     /* key bar pairs, NULL-terminated */
	bool full;                   /* the whole screen (wizard), else a box */
};

enum tui_form_end { TUI_FORM_NEXT, TUI_FORM_BACK, TUI_FORM_CANCEL, TUI_FORM_STAY };

/*
 * Runs a form (the form library) of n fields: each is checked as it is
 * typed and its verdict shown under it.  Enter on the last field (or
 * F2 anywhere) ends with NEXT once every field is acceptable; Esc ends
 * with BACK, F10 with CANCEL.  The values are in fields[].value in every
 * case.
 */
enum tui_form_end tui_form_run(struct tui *ui, const struct tui_page *pg,
			       struct tui_field_spec *fields, size_t n);

struct tui_menu_item {
	const char *name;
	const char *desc;       /* shown beside it (cut to fit), may be NULL */
	bool disabled;          /* shown, not choosable (desc says why) */
};

/*
 * Runs a menu (the menu library) of n items, initial selected.  Returns
 * the chosen index with *end NEXT, or -1 with *end BACK (Esc) or CANCEL
 * (F10).  Enter on a disabled item does nothing.
 */
int tui_menu_run(struct tui *ui, const struct tui_page *pg, const struct tui_menu_item *items,
		 size_t n, int initial, enum tui_form_end *end);

/* --- the console view (tui_console.c) --------------------------------------------------- */

/* Shows VM name's serial console full-screen until TUI_CONSOLE_ESCAPE. */
void tui_console(struct tui *ui, const char *name);

/* --- the creation wizard (tui_wizard.c) ------------------------------------------------- */

/* Runs the wizard; a VM it creates is selected in the list. */
void tui_wizard(struct tui *ui);

#endif
