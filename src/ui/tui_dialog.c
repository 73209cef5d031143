/*
 * tui_dialog.c - the TUI's small modal screens: a question with a few
 * answer keys, and a scrollable text (help, a VM's log lines, an error).
 *
 * Each is a curses window over the main screen.  While one is up the
 * main screen keeps refreshing behind it (the worker is dispatched by
 * tui_wait_key), and a resize rebuilds the window at the new size.  The
 * input forms (form library) are in tui_form.c.
 */
#include "ui/tui_ui.h"

#include <stdlib.h>
#include <string.h>

void tui_wrap_free(struct tui_lines *l)
{
	free(l->start);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/* Appends one line; false when out of memory. */
static bool tui_wrap_add(struct tui_lines *l, const char *s, int len)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		const char **st = realloc(l->start, cap * sizeof(*st));
		if (!st)
			return false;
		l->start = st;
		int *ln = realloc(l->len, cap * sizeof(*ln));
		if (!ln)
			return false;
		l->len = ln;
		l->cap = cap;
	}
	l->start[l->n] = s;
	l->len[l->n] = len;
	l->n++;
	return true;
}

int tui_wrap(const char *text, int width, struct tui_lines *out)
{
	memset(out, 0, sizeof(*out));
	if (width < 8)
		width = 8;
	const char *p = text;
	for (;;) {
		const char *eol = strchr(p, '\n');
		int len = eol ? (int)(eol - p) : (int)strlen(p);
		/* cut the paragraph at the last blank before width */
		while (len > width) {
			int cut = width;
			while (cut > width / 2 && p[cut] != ' ')
				cut--;
			if (p[cut] != ' ')
				cut = width;
			if (!tui_wrap_add(out, p, cut))
				return -1;
			if (p[cut] == ' ')
				cut++;
			p += cut;
			len -= cut;
		}
		if (!tui_wrap_add(out, p, len))
			return -1;
		if (!eol)
			break;
		p = eol + 1;
	}
	return 0;
}

WINDOW *tui_box_window(struct tui *ui, int want_h, int want_w, const char *title)
{
	int h = want_h < LINES - 2 ? want_h : LINES - 2;
	int w = want_w < COLS - 2 ? want_w : COLS - 2;
	WINDOW *win;

	if (h < 3)
		h = LINES > 3 ? 3 : LINES;
	if (w < 10)
		w = COLS;
	win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	if (!win)
		return NULL;
	keypad(win, TRUE);
	werase(win);
	tui_draw_frame(ui, win, title);
	return win;
}

void tui_under_refresh(struct tui *ui, WINDOW *win)
{
	tui_draw_main(ui);
	wnoutrefresh(stdscr);
	touchwin(win);
	wnoutrefresh(win);
	doupdate();
}

int tui_ask(struct tui *ui, const char *title, const char *text, const char *keys)
{
	for (;;) {
		struct tui_lines l;
		int width = COLS - 8 < 70 ? COLS - 8 : 70;

		if (tui_wrap(text, width, &l) < 0)
			return 0;
		WINDOW *win = tui_box_window(ui, (int)l.n + 4, width + 4, title);
		if (!win) {
			tui_wrap_free(&l);
			return 0;
		}
		for (size_t i = 0; i < l.n && (int)i < getmaxy(win) - 2; i++)
			mvwaddnstr(win, 2 + (int)i, 2, l.start[i], l.len[i]);
		tui_wrap_free(&l);

		int answer = -1;
		while (answer < 0) {
			struct tui_key k;
			tui_under_refresh(ui, win);
			if (!tui_wait_key(ui, 1000, &k)) {
				if (ui->quit)
					answer = 0;
				continue;
			}
			if (k.fkey && k.ch == KEY_RESIZE)
				break;
			if (!k.fkey && (k.ch == 27 || k.ch == 'q' || k.ch == 'n'))
				answer = 0;
			else if (k.fkey && k.ch == KEY_F(10))
				answer = 0;
			else if (!k.fkey && k.ch < 0x80 && k.ch && strchr(keys, (int)k.ch))
				answer = (int)k.ch;
		}
		delwin(win);
		if (answer >= 0) {
			touchwin(stdscr);
			return answer;
		}
	}
}

void tui_show_text(struct tui *ui, const char *title, const char *text)
{
	size_t top = 0;

	for (;;) {
		struct tui_lines l;
		int width = COLS - 6;

		if (tui_wrap(text, width, &l) < 0)
			return;
		WINDOW *win = tui_box_window(ui, (int)l.n + 4, width + 4, title);
		if (!win) {
			tui_wrap_free(&l);
			return;
		}
		int rows = getmaxy(win) - 4;
		bool resized = false, done = false;
		while (!resized && !done) {
			if (rows < 1)
				rows = 1;
			if (l.n > (size_t)rows && top > l.n - (size_t)rows)
				top = l.n - (size_t)rows;
			if (l.n <= (size_t)rows)
				top = 0;
			for (int i = 0; i < rows; i++) {
				wmove(win, 2 + i, 2);
				for (int x = 2; x < getmaxx(win) - 2; x++)
					waddch(win, ' ');
				if (top + (size_t)i < l.n)
					mvwaddnstr(win, 2 + i, 2, l.start[top + (size_t)i],
						   l.len[top + (size_t)i]);
			}
			wattrset(win, (attr_t)ui->style[TUI_S_DIM]);
			mvwaddstr(win, getmaxy(win) - 2, 2,
				  l.n > (size_t)rows ? "Up/Down/PgUp/PgDn scroll, q or Esc closes"
						     : "q, Esc or Enter closes");
			wattrset(win, A_NORMAL);

			struct tui_key k;
			tui_under_refresh(ui, win);
			if (!tui_wait_key(ui, 1000, &k)) {
				done = ui->quit;
				continue;
			}
			if (k.fkey && k.ch == KEY_RESIZE)
				resized = true;
			else if (k.fkey && k.ch == KEY_UP && top > 0)
				top--;
			else if (!k.fkey && k.ch == 'k' && top > 0)
				top--;
			else if ((k.fkey && k.ch == KEY_DOWN) || (!k.fkey && k.ch == 'j'))
				top++;
			else if (k.fkey && k.ch == KEY_PPAGE)
				top = top > (size_t)rows ? top - (size_t)rows : 0;
			else if ((k.fkey && k.ch == KEY_NPAGE) || (!k.fkey && k.ch == ' '))
				top += (size_t)rows;
			else if ((!k.fkey && (k.ch == 27 || k.ch == 'q' || k.ch == '?' ||
					      k.ch == '\r' || k.ch == '\n')) ||
				 (k.fkey && (k.ch == KEY_F(10) || k.ch == KEY_ENTER)))
				done = true;
		}
		delwin(win);
		tui_wrap_free(&l);
		if (done) {
			touchwin(stdscr);
			return;
		}
	}
}
