/*
 * tui_console.c - the serial console view: a VM's COM1 stream shown
 * full-screen through a terminal emulator (libvterm), keys sent back to
 * the guest, TUI_CONSOLE_ESCAPE (Ctrl-]) back to the list.
 *
 * Where the stream comes from is tui_console_src.c's business (the
 * control socket's console attach, or the VM's log while a VM has none);
 * this file only emulates the terminal and draws it.  libvterm keeps the
 * screen (cursor moves, erases, attributes: what a Linux console or a
 * boot loader sends); each change is drawn cell by cell into stdscr with
 * attributes only (bold, underline, reverse), so the view also works on
 * a monochrome terminal.  Keys are turned into the bytes a VT100-like
 * terminal sends (vterm_keyboard_*), in raw mode so Ctrl-C reaches the
 * guest.  The list's worker keeps running underneath: tui_wait_key
 * dispatches it while this view waits.
 */
#include "ui/tui_ui.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vterm.h>

#include "ui/tui_console.h"

struct tui_console_view {
	struct tui *ui;
	VTerm *vt;
	VTermScreen *screen;
	struct tui_console_src *src;
	int rows, cols;
	bool ended;
	char note[160];
};

static void tui_console_output(const char *s, size_t len, void *user)
{
	struct tui_console_view *v = user;

	tui_console_src_write(v->src, s, len);
}

static void tui_console_draw(struct tui_console_view *v)
{
	VTermPos pos, cur;
	VTermScreenCell cell;
	char status[256];

	for (pos.row = 0; pos.row < v->rows; pos.row++) {
		wmove(stdscr, pos.row, 0);
		for (pos.col = 0; pos.col < v->cols; pos.col++) {
			wchar_t wc[2] = { L' ', 0 };
			attr_t a = A_NORMAL;
			cchar_t cc;

			if (vterm_screen_get_cell(v->screen, pos, &cell)) {
				if (cell.chars[0] && cell.width > 0)
					wc[0] = (wchar_t)cell.chars[0];
				if (cell.attrs.bold)
					a |= A_BOLD;
				if (cell.attrs.underline)
					a |= A_UNDERLINE;
				if (cell.attrs.reverse)
					a |= A_REVERSE;
				if (cell.width > 1)
					pos.col += cell.width - 1;
			}
			if (wc[0] < L' ')
				wc[0] = L' ';
			setcchar(&cc, wc, a, 0, NULL);
			wadd_wch(stdscr, &cc);
		}
	}
	snprintf(status, sizeof(status), " console %s%s%s   " TUI_CONSOLE_ESCAPE_NAME
		 " returns to the list", tui_console_src_name(v->src), v->note[0] ? "  " : "",
		 v->note);
	wattrset(stdscr, (attr_t)v->ui->style[TUI_S_TITLE]);
	mvwaddnstr(stdscr, LINES - 1, 0, status, COLS);
	for (int x = (int)strlen(status); x < COLS; x++)
		waddch(stdscr, ' ');
	wattrset(stdscr, A_NORMAL);
	vterm_state_get_cursorpos(vterm_obtain_state(v->vt), &cur);
	if (cur.row < v->rows && cur.col < v->cols)
		wmove(stdscr, cur.row, cur.col);
}

/* Sends a key to the guest as a terminal would. */
static void tui_console_key(struct tui_console_view *v, struct tui_key k)
{
	static const struct { int curses; VTermKey vk; } map[] = {
		{ KEY_UP, VTERM_KEY_UP }, { KEY_DOWN, VTERM_KEY_DOWN },
		{ KEY_LEFT, VTERM_KEY_LEFT }, { KEY_RIGHT, VTERM_KEY_RIGHT },
		{ KEY_HOME, VTERM_KEY_HOME }, { KEY_END, VTERM_KEY_END },
		{ KEY_PPAGE, VTERM_KEY_PAGEUP }, { KEY_NPAGE, VTERM_KEY_PAGEDOWN },
		{ KEY_IC, VTERM_KEY_INS }, { KEY_DC, VTERM_KEY_DEL },
		{ KEY_BACKSPACE, VTERM_KEY_BACKSPACE }, { KEY_ENTER, VTERM_KEY_ENTER },
		{ KEY_BTAB, VTERM_KEY_TAB },
	};

	if (!k.fkey) {
		char c = (char)k.ch;
		if (k.ch < 0x80) /* control characters and ASCII as they are */
			tui_console_src_write(v->src, &c, 1);
		else
			vterm_keyboard_unichar(v->vt, (uint32_t)k.ch, VTERM_MOD_NONE);
		return;
	}
	if (k.ch >= KEY_F(1) && k.ch <= KEY_F(12)) {
		vterm_keyboard_key(v->vt, VTERM_KEY_FUNCTION((int)(k.ch - KEY_F0)),
				   VTERM_MOD_NONE);
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].curses == (int)k.ch) {
			vterm_keyboard_key(v->vt, map[i].vk,
					   k.ch == KEY_BTAB ? VTERM_MOD_SHIFT : VTERM_MOD_NONE);
			return;
		}
}

static void tui_console_resize(struct tui_console_view *v)
{
	v->rows = LINES > 1 ? LINES - 1 : 1;
	v->cols = COLS > 1 ? COLS : 1;
	vterm_set_size(v->vt, v->rows, v->cols);
	clearok(curscr, TRUE);
}

/* Feeds what the source has into the terminal; false when it ended. */
static bool tui_console_pump(struct tui_console_view *v)
{
	char buf[8192];

	for (int i = 0; i < 64; i++) { /* at most 512 KiB before a redraw */
		ssize_t n = tui_console_src_read(v->src, buf, sizeof(buf));
		if (n > 0) {
			vterm_input_write(v->vt, buf, (size_t)n);
			continue;
		}
		if (n < 0 && n != -EAGAIN) {
			snprintf(v->note, sizeof(v->note), "(%s)", tui_console_src_ended(v->src, (int)n));
			return false;
		}
		break;
	}
	vterm_screen_flush_damage(v->screen);
	return true;
}

void tui_console(struct tui *ui, const char *name)
{
	struct tui_console_view v = { .ui = ui };
	char err[VMSTORE_ERR_MAX];
	int r;

	r = tui_console_src_open(&v.src, name, err, sizeof(err));
	if (r) {
		tui_msg(ui, TUI_MSG_ERROR, "%s", err);
		return;
	}
	v.rows = LINES > 1 ? LINES - 1 : 1;
	v.cols = COLS > 1 ? COLS : 1;
	v.vt = vterm_new(v.rows, v.cols);
	if (!v.vt) {
		tui_console_src_close(v.src);
		tui_msg(ui, TUI_MSG_ERROR, "%s: out of memory", name);
		return;
	}
	vterm_set_utf8(v.vt, 1);
	vterm_output_set_callback(v.vt, tui_console_output, &v);
	v.screen = vterm_obtain_screen(v.vt);
	vterm_screen_reset(v.screen, 1);
	/* newline mode (LNM): a bare LF also returns the carriage, as a
	 * terminal with onlcr shows a guest that sends "\n" alone */
	vterm_input_write(v.vt, "\033[20h", 5);
	if (!tui_console_src_writable(v.src))
		snprintf(v.note, sizeof(v.note), "(read-only)");

	raw();
	curs_set(1);
	werase(stdscr);
	for (;;) {
		struct tui_key k;

		if (!v.ended)
			v.ended = !tui_console_pump(&v);
		tui_console_draw(&v);
		refresh();
		int fd = tui_console_src_fd(v.src);
		if (!tui_wait_key_fd(ui, v.ended ? 1000 : (fd >= 0 ? 1000 : 100), &k, v.ended ? -1 : fd))
			continue;
		if (!k.fkey && k.ch == TUI_CONSOLE_ESCAPE)
			break;
		if (k.fkey && k.ch == KEY_RESIZE) {
			tui_console_resize(&v);
			continue;
		}
		if (!v.ended && tui_console_src_writable(v.src))
			tui_console_key(&v, k);
	}
	curs_set(0);
	cbreak();
	vterm_free(v.vt);
	tui_console_src_close(v.src);
	werase(stdscr);
	clearok(curscr, TRUE);
}
