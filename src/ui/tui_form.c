/*
 * tui_form.c - input forms and choice menus for the TUI's dialogs and
 * the creation wizard, on the ncurses form and menu libraries.
 *
 * A page is a window (the whole screen, or a box over the VM list) with
 * a title, a paragraph and either fields or a menu.  Every keystroke in
 * a field is handed to the form driver, the field's text synchronised
 * (REQ_VALIDATION) and given to the field's check function, whose
 * verdict is shown under the field at once: that is "validated as it is
 * typed".  A resize tears the page down and builds it again at the new
 * size with the texts typed so far.  These functions know nothing of
 * VMs; the checks come from their callers (tui_wizard_model.c).
 */
#include "ui/tui_ui.h"

#include <form.h>
#include <menu.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define TUI_WHY_MAX 160

static WINDOW *tui_page_window(struct tui *ui, const struct tui_page *pg, int body_h,
			       int *text_y, struct tui_lines *text)
{
	int w = pg->full ? COLS : (COLS - 4 < 76 ? COLS - 4 : 76);
	WINDOW *win;

	if (tui_wrap(pg->text ? pg->text : "", w - 4, text) < 0)
		return NULL;
	if (pg->full) {
		win = newwin(LINES - 1, COLS, 0, 0);
		if (!win)
			return NULL;
		keypad(win, TRUE);
		werase(win);
		tui_draw_frame(ui, win, pg->title);
	} else {
		win = tui_box_window(ui, (int)text->n + body_h + 4, w, pg->title);
		if (!win)
			return NULL;
	}
	*text_y = 2;
	for (size_t i = 0; i < text->n && 2 + (int)i < getmaxy(win) - 2; i++)
		mvwaddnstr(win, 2 + (int)i, 2, text->start[i], text->len[i]);
	return win;
}

static void tui_page_show(struct tui *ui, const struct tui_page *pg, WINDOW *win)
{
	if (pg->full) {
		werase(stdscr);
		if (pg->keys)
			tui_draw_keybar(ui, stdscr, pg->keys);
		wnoutrefresh(stdscr);
		touchwin(win);
		wnoutrefresh(win);
		doupdate();
	} else {
		tui_under_refresh(ui, win);
	}
}

/* The text of field f without the blanks the form pads it with. */
static void tui_field_text(FIELD *f, char *out, size_t len)
{
	const char *b = field_buffer(f, 0);
	size_t n = b ? strlen(b) : 0;

	while (n > 0 && b[n - 1] == ' ')
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(out, b ? b : "", n);
	out[n] = '\0';
}

struct tui_form_state {
	FIELD **f;
	bool *ok;
	char (*why)[TUI_WHY_MAX];
};

static void tui_form_check(struct tui_field_spec *s, FIELD *f, bool *ok, char *why)
{
	tui_field_text(f, s->value, s->len);
	why[0] = '\0';
	*ok = true;
	if (s->check && s->check(s->ctx, s->value, why, TUI_WHY_MAX) < 0)
		*ok = false;
}

static void tui_form_draw_why(struct tui *ui, WINDOW *win, int y, int x, int w,
			      const struct tui_field_spec *s, bool ok, const char *why)
{
	wmove(win, y, x);
	for (int i = 0; i < w; i++)
		waddch(win, ' ');
	if (!ok) {
		wattrset(win, (attr_t)ui->style[TUI_S_ERROR]);
		mvwaddnstr(win, y, x, why[0] ? why : "not accepted", w);
	} else {
		wattrset(win, (attr_t)ui->style[TUI_S_DIM]);
		mvwaddnstr(win, y, x, why[0] ? why : s->hint ? s->hint : "", w);
	}
	wattrset(win, A_NORMAL);
}

enum tui_form_end tui_form_run(struct tui *ui, const struct tui_page *pg,
			       struct tui_field_spec *fields, size_t n)
{
	FIELD **f = calloc(n + 1, sizeof(*f));
	bool *ok = calloc(n, sizeof(*ok));
	char (*why)[TUI_WHY_MAX] = calloc(n, sizeof(*why));
	enum tui_form_end end = TUI_FORM_CANCEL;
	int cur = 0;

	if (!f || !ok || !why)
		goto out;
	for (;;) { /* once per (re)build of the page */
		struct tui_lines text;
		int ty, lw = 0;
		WINDOW *win = tui_page_window(ui, pg, 2 * (int)n + 1, &ty, &text);

		if (!win)
			goto out;
		for (size_t i = 0; i < n; i++)
			lw = MAX(lw, (int)strlen(fields[i].label));
		int fy = ty + (int)text.n + 1, fx = 2 + lw + 2;
		int fw = getmaxx(win) - fx - 2;
		if (fw < 4)
			fw = 4;
		tui_wrap_free(&text);
		for (size_t i = 0; i < n; i++) {
			f[i] = new_field(1, fw, 2 * (int)i, 0, 0, 0);
			if (!f[i]) {
				delwin(win);
				goto free_fields;
			}
			field_opts_off(f[i], O_AUTOSKIP | O_STATIC | O_BLANK);
			set_max_field(f[i], (int)fields[i].len - 1);
			set_field_back(f[i], (chtype)ui->style[TUI_S_FIELD]);
			set_field_buffer(f[i], 0, fields[i].value);
			mvwaddstr(win, fy + 2 * (int)i, 2, fields[i].label);
		}
		f[n] = NULL;
		FORM *form = new_form(f);
		WINDOW *sub = form ? derwin(win, 2 * (int)n, fw, fy, fx) : NULL;
		if (!sub) {
			if (form)
				free_form(form);
			delwin(win);
			goto free_fields;
		}
		set_form_win(form, win);
		set_form_sub(form, sub);
		post_form(form);
		set_current_field(form, f[cur]);
		form_driver(form, REQ_END_FIELD);
		for (size_t i = 0; i < n; i++) {
			tui_form_check(&fields[i], f[i], &ok[i], why[i]);
			tui_form_draw_why(ui, win, fy + 2 * (int)i + 1, fx, fw, &fields[i], ok[i],
					  why[i]);
		}
		curs_set(1);

		bool rebuild = false, finished = false;
		while (!rebuild && !finished) {
			struct tui_key k;

			wmove(win, 0, 0);
			pos_form_cursor(form);
			tui_page_show(ui, pg, win);
			pos_form_cursor(form);
			wrefresh(win);
			if (!tui_wait_key(ui, 1000, &k)) {
				if (ui->quit) {
					end = TUI_FORM_CANCEL;
					finished = true;
				}
				continue;
			}
			bool edited = false, submit = false;
			int c = (int)k.ch;
			if (k.fkey) {
				switch (c) {
				case KEY_RESIZE: rebuild = true; break;
				case KEY_LEFT: form_driver(form, REQ_PREV_CHAR); break;
				case KEY_RIGHT: form_driver(form, REQ_NEXT_CHAR); break;
				case KEY_HOME: form_driver(form, REQ_BEG_FIELD); break;
				case KEY_END: form_driver(form, REQ_END_FIELD); break;
				case KEY_BACKSPACE: form_driver(form, REQ_DEL_PREV); edited = true; break;
				case KEY_DC: form_driver(form, REQ_DEL_CHAR); edited = true; break;
				case KEY_DOWN:
					form_driver(form, REQ_NEXT_FIELD);
					form_driver(form, REQ_END_FIELD);
					break;
				case KEY_UP: case KEY_BTAB:
					form_driver(form, REQ_PREV_FIELD);
					form_driver(form, REQ_END_FIELD);
					break;
				case KEY_ENTER: submit = true; break;
				case KEY_F(2): submit = true; break;
				case KEY_F(10): end = TUI_FORM_CANCEL; finished = true; break;
				default: break;
				}
			} else if (c == 27) {
				end = TUI_FORM_BACK;
				finished = true;
			} else if (c == '\t') {
				form_driver(form, REQ_NEXT_FIELD);
				form_driver(form, REQ_END_FIELD);
			} else if (c == '\r' || c == '\n') {
				submit = true;
			} else if (c == 127 || c == 8) {
				form_driver(form, REQ_DEL_PREV);
				edited = true;
			} else if (c == 0x15) { /* Ctrl-U */
				form_driver(form, REQ_CLR_FIELD);
				edited = true;
			} else if (c >= ' ') {
				form_driver_w(form, OK, (wchar_t)k.ch);
				edited = true;
			}
			int at = field_index(current_field(form));
			if (edited) {
				form_driver(form, REQ_VALIDATION);
				tui_form_check(&fields[at], f[at], &ok[at], why[at]);
				tui_form_draw_why(ui, win, fy + 2 * at + 1, fx, fw, &fields[at],
						  ok[at], why[at]);
			}
			if (submit) {
				form_driver(form, REQ_VALIDATION);
				int bad = -1;
				for (size_t i = 0; i < n; i++) {
					tui_form_check(&fields[i], f[i], &ok[i], why[i]);
					tui_form_draw_why(ui, win, fy + 2 * (int)i + 1, fx, fw,
							  &fields[i], ok[i], why[i]);
					if (!ok[i] && bad < 0)
						bad = (int)i;
				}
				if (at < (int)n - 1 && !(k.fkey && c == KEY_F(2))) {
					form_driver(form, REQ_NEXT_FIELD);
					form_driver(form, REQ_END_FIELD);
				} else if (bad >= 0) {
					set_current_field(form, f[bad]);
					form_driver(form, REQ_END_FIELD);
				} else {
					end = TUI_FORM_NEXT;
					finished = true;
				}
			}
			cur = field_index(current_field(form));
		}
		form_driver(form, REQ_VALIDATION);
		for (size_t i = 0; i < n; i++)
			tui_field_text(f[i], fields[i].value, fields[i].len);
		curs_set(0);
		unpost_form(form);
		free_form(form);
		delwin(sub);
		delwin(win);
		for (size_t i = 0; i < n; i++) {
			free_field(f[i]);
			f[i] = NULL;
		}
		touchwin(stdscr);
		if (finished)
			goto out;
		continue;
free_fields:
		for (size_t i = 0; i < n; i++)
			if (f[i]) {
				free_field(f[i]);
				f[i] = NULL;
			}
		goto out;
	}
out:
	free(f);
	free(ok);
	free(why);
	return end;
}

int tui_menu_run(struct tui *ui, const struct tui_page *pg, const struct tui_menu_item *items,
		 size_t n, int initial, enum tui_form_end *end)
{
	ITEM **it = calloc(n + 1, sizeof(*it));
	char (*desc)[256] = calloc(n ? n : 1, sizeof(*desc));
	int chosen = -1, cur = initial >= 0 && (size_t)initial < n ? initial : 0;

	*end = TUI_FORM_CANCEL;
	if (!it || !desc || n == 0)
		goto out;
	for (;;) {
		struct tui_lines text;
		int ty, nw = 1;
		WINDOW *win = tui_page_window(ui, pg, (int)n + 1, &ty, &text);

		if (!win)
			goto out;
		int my = ty + (int)text.n + 1;
		int rows = getmaxy(win) - my - 2;
		tui_wrap_free(&text);
		if (rows < 1)
			rows = 1;
		/* the menu must fit its window (else post_menu fails): cut the
		 * descriptions */
		for (size_t i = 0; i < n; i++)
			nw = MAX(nw, (int)strlen(items[i].name));
		int dw = getmaxx(win) - 4 - 2 - nw - 2;
		if (dw < 1)
			dw = 1;
		for (size_t i = 0; i < n; i++) {
			snprintf(desc[i], sizeof(desc[i]), "%.*s", dw,
				 items[i].desc && items[i].desc[0] ? items[i].desc : " ");
			it[i] = new_item(items[i].name, desc[i]);
			if (!it[i]) {
				delwin(win);
				goto free_items;
			}
			if (items[i].disabled)
				item_opts_off(it[i], O_SELECTABLE);
		}
		it[n] = NULL;
		MENU *menu = new_menu(it);
		WINDOW *sub = menu ? derwin(win, rows, getmaxx(win) - 4, my, 2) : NULL;
		if (!sub) {
			if (menu)
				free_menu(menu);
			delwin(win);
			goto free_items;
		}
		set_menu_win(menu, win);
		set_menu_sub(menu, sub);
		set_menu_format(menu, rows, 1);
		set_menu_mark(menu, "> ");
		set_menu_fore(menu, (chtype)ui->style[TUI_S_SELECTED]);
		set_menu_back(menu, A_NORMAL);
		set_menu_grey(menu, (chtype)ui->style[TUI_S_DIM]);
		post_menu(menu);
		set_current_item(menu, it[cur]);

		bool rebuild = false, finished = false;
		while (!rebuild && !finished) {
			struct tui_key k;

			tui_page_show(ui, pg, win);
			if (!tui_wait_key(ui, 1000, &k)) {
				if (ui->quit)
					finished = true;
				continue;
			}
			int c = (int)k.ch;
			if (k.fkey) {
				switch (c) {
				case KEY_RESIZE: rebuild = true; break;
				case KEY_UP: menu_driver(menu, REQ_UP_ITEM); break;
				case KEY_DOWN: menu_driver(menu, REQ_DOWN_ITEM); break;
				case KEY_PPAGE: menu_driver(menu, REQ_SCR_UPAGE); break;
				case KEY_NPAGE: menu_driver(menu, REQ_SCR_DPAGE); break;
				case KEY_HOME: menu_driver(menu, REQ_FIRST_ITEM); break;
				case KEY_END: menu_driver(menu, REQ_LAST_ITEM); break;
				case KEY_ENTER:
					if (items[item_index(current_item(menu))].disabled)
						break;
					chosen = item_index(current_item(menu));
					*end = TUI_FORM_NEXT;
					finished = true;
					break;
				case KEY_F(10): *end = TUI_FORM_CANCEL; finished = true; break;
				default: break;
				}
			} else if (c == 'k') {
				menu_driver(menu, REQ_UP_ITEM);
			} else if (c == 'j' || c == '\t') {
				menu_driver(menu, REQ_DOWN_ITEM);
			} else if (c == 27) {
				*end = TUI_FORM_BACK;
				finished = true;
			} else if ((c == '\r' || c == '\n' || c == ' ') &&
				   !items[item_index(current_item(menu))].disabled) {
				chosen = item_index(current_item(menu));
				*end = TUI_FORM_NEXT;
				finished = true;
			}
			cur = item_index(current_item(menu));
		}
		unpost_menu(menu);
		free_menu(menu);
		delwin(sub);
		delwin(win);
		for (size_t i = 0; i < n; i++) {
			free_item(it[i]);
			it[i] = NULL;
		}
		touchwin(stdscr);
		if (finished)
			goto out;
		continue;
free_items:
		for (size_t i = 0; i < n; i++)
			if (it[i]) {
				free_item(it[i]);
				it[i] = NULL;
			}
		goto out;
	}
out:
	free(it);
	free(desc);
	return chosen;
}

bool tui_input(struct tui *ui, const char *title, const char *prompt, const char *initial,
	       tui_check_fn check, void *ctx, char *out, size_t len)
{
	static const char *const keys[] = { "Enter", "OK", "Esc", "Cancel", NULL };
	struct tui_page pg = { .title = title, .text = prompt, .keys = keys, .full = false };
	struct tui_field_spec f = { .label = ">", .value = out, .len = len, .check = check,
				    .ctx = ctx, .hint = "Enter accepts, Esc cancels" };

	snprintf(out, len, "%s", initial ? initial : "");
	return tui_form_run(ui, &pg, &f, 1) == TUI_FORM_NEXT;
}
