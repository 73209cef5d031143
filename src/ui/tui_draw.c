/*
 * tui_draw.c - drawing the TUI's main screen: the title line, the VM
 * list, the details pane of the selected VM, the message line and the
 * key bar; the help screen; the styles (colours, or attributes alone
 * when NO_COLOR is set or the terminal has no colours).
 *
 * Layout, from the top: title (1 line), column header (1), the list,
 * a rule naming the selected VM, its details, the message line (1), the
 * key bar (1).  At 80x24 the list gets 11 rows and the details 7; Enter
 * gives the whole middle to the details.  Everything is recomputed from
 * LINES and COLS on each draw, so a resize needs nothing but a redraw.
 * The details pane reads the selected VM's definition (vmstore_load)
 * when the selection changes and every few seconds; nothing else here
 * touches a file.
 */
#include "ui/tui_ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/util.h"

#define TUI_DETAILS_ROWS 7

/* --- styles ---------------------------------------------------------------------------- */

void tui_draw_init_styles(struct tui *ui)
{
	static const struct { short fg, bg; chtype extra; } pairs[TUI_S_COUNT] = {
		[TUI_S_NORMAL] = { -1, -1, 0 },
		[TUI_S_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD },
		[TUI_S_HEADER] = { COLOR_BLACK, COLOR_GREEN, 0 },
		[TUI_S_SELECTED] = { COLOR_BLACK, COLOR_CYAN, 0 },
		[TUI_S_KEY] = { -1, -1, A_BOLD },
		[TUI_S_KEYLABEL] = { COLOR_BLACK, COLOR_CYAN, 0 },
		[TUI_S_RUNNING] = { COLOR_GREEN, -1, A_BOLD },
		[TUI_S_PAUSED] = { COLOR_YELLOW, -1, A_BOLD },
		[TUI_S_STOPPED] = { -1, -1, 0 },
		[TUI_S_CRASHED] = { COLOR_RED, -1, A_BOLD },
		[TUI_S_ERROR] = { COLOR_RED, -1, A_BOLD },
		[TUI_S_OK] = { COLOR_GREEN, -1, 0 },
		[TUI_S_FRAME] = { COLOR_CYAN, -1, 0 },
		[TUI_S_FIELD] = { COLOR_BLACK, COLOR_WHITE, 0 },
		[TUI_S_DIM] = { -1, -1, A_DIM },
	};
	/* without colour: the same meaning by attributes alone */
	static const chtype mono[TUI_S_COUNT] = {
		[TUI_S_NORMAL] = A_NORMAL,
		[TUI_S_TITLE] = A_REVERSE | A_BOLD,
		[TUI_S_HEADER] = A_REVERSE,
		[TUI_S_SELECTED] = A_REVERSE,
		[TUI_S_KEY] = A_BOLD,
		[TUI_S_KEYLABEL] = A_REVERSE,
		[TUI_S_RUNNING] = A_BOLD,
		[TUI_S_PAUSED] = A_UNDERLINE,
		[TUI_S_STOPPED] = A_NORMAL,
		[TUI_S_CRASHED] = A_BOLD | A_UNDERLINE,
		[TUI_S_ERROR] = A_BOLD,
		[TUI_S_OK] = A_NORMAL,
		[TUI_S_FRAME] = A_NORMAL,
		[TUI_S_FIELD] = A_UNDERLINE,
		[TUI_S_DIM] = A_DIM,
	};
	const char *nc = getenv("NO_COLOR");

	ui->color = has_colors() && !(nc && nc[0]);
	if (ui->color && start_color() == OK) {
		use_default_colors();
		for (int i = 1; i < TUI_S_COUNT; i++) {
			init_pair((short)i, pairs[i].fg, pairs[i].bg);
			ui->style[i] = COLOR_PAIR(i) | pairs[i].extra;
		}
		ui->style[TUI_S_NORMAL] = A_NORMAL;
		return;
	}
	ui->color = false;
	memcpy(ui->style, mono, sizeof(mono));
}

static chtype tui_state_style(const struct tui *ui, enum vmstore_state s)
{
	switch (s) {
	case VMSTORE_RUNNING: return ui->style[TUI_S_RUNNING];
	case VMSTORE_PAUSED:
	case VMSTORE_STARTING:
	case VMSTORE_UNKNOWN: return ui->style[TUI_S_PAUSED];
	case VMSTORE_CRASHED: return ui->style[TUI_S_CRASHED];
	case VMSTORE_STOPPED: break;
	}
	return ui->style[TUI_S_STOPPED];
}

/* Writes s at (y, x) in win, at most w columns, padding with blanks. */
static void tui_put(WINDOW *win, int y, int x, int w, chtype attr, const char *s)
{
	if (w <= 0)
		return;
	wattrset(win, (attr_t)attr);
	mvwaddnstr(win, y, x, s, w);
	int cy, cx;
	getyx(win, cy, cx);
	(void)cy;
	for (int i = cx; i < x + w; i++)
		waddch(win, ' ');
	wattrset(win, A_NORMAL);
}

void tui_draw_frame(struct tui *ui, WINDOW *win, const char *title)
{
	wattrset(win, (attr_t)ui->style[TUI_S_FRAME]);
	box(win, 0, 0);
	wattrset(win, A_NORMAL);
	if (title) {
		wattrset(win, (attr_t)(ui->style[TUI_S_FRAME] | A_BOLD));
		mvwprintw(win, 0, 2, " %.*s ", getmaxx(win) > 8 ? getmaxx(win) - 8 : 0, title);
		wattrset(win, A_NORMAL);
	}
}

void tui_draw_keybar(struct tui *ui, WINDOW *win, const char *const *pairs)
{
	int y = getmaxy(win) - 1, w = getmaxx(win), x = 0;

	wmove(win, y, 0);
	wclrtoeol(win);
	for (size_t i = 0; pairs[i] && pairs[i + 1] && x < w; i += 2) {
		if (x)
			x++;
		/* "sStart" for a one-letter key (as mc's "1Help"), "Esc Back" */
		int kl = (int)strlen(pairs[i]), ll = (int)strlen(pairs[i + 1]);
		int gap = kl > 1;
		if (x + kl + gap + ll > w)
			break;
		wattrset(win, (attr_t)ui->style[TUI_S_KEY]);
		mvwaddstr(win, y, x, pairs[i]);
		if (gap)
			waddch(win, ' ');
		wattrset(win, (attr_t)ui->style[TUI_S_KEYLABEL]);
		waddstr(win, pairs[i + 1]);
		x += kl + gap + ll;
	}
	wattrset(win, A_NORMAL);
}

/* The main screen's key bar: the actions that have a label, in this order. */
static void tui_draw_main_keybar(struct tui *ui)
{
	static const enum tui_action order[] = {
		TUI_ACT_HELP, TUI_ACT_START, TUI_ACT_PAUSE, TUI_ACT_POWERDOWN, TUI_ACT_FORCE_STOP,
		TUI_ACT_CONSOLE, TUI_ACT_EDIT, TUI_ACT_NEW, TUI_ACT_DELETE, TUI_ACT_CLONE,
		TUI_ACT_FILTER, TUI_ACT_QUIT,
	};
	const char *pairs[2 * ARRAY_SIZE(order) + 1];
	char keys[ARRAY_SIZE(order)][8];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const struct tui_action_info *a = tui_action_info(order[i]);
		if (!a || !a->bar)
			continue;
		/* the first key of the list ("? F1" -> "?") */
		snprintf(keys[i], sizeof(keys[i]), "%.*s", (int)strcspn(a->keys, " "), a->keys);
		pairs[n++] = keys[i];
		pairs[n++] = a->bar;
	}
	pairs[n] = NULL;
	tui_draw_keybar(ui, stdscr, pairs);
}

/* --- the list ------------------------------------------------------------------------------ */

static void tui_draw_title(struct tui *ui)
{
	char left[160], right[160], mem[16];
	size_t running = 0;

	for (size_t i = 0; i < ui->list.nrows; i++)
		if (vmstore_state_active(ui->list.rows[i].vm.state))
			running++;
	tui_fmt_memory(ui->host.memory, mem, sizeof(mem));
	snprintf(left, sizeof(left), " ttyvm %s  %zu VM%s, %zu running", PACKAGE_VERSION,
		 ui->list.nrows, ui->list.nrows == 1 ? "" : "s", running);
	snprintf(right, sizeof(right), "%s%s%ssort:%s  host %u CPUs %s ",
		 ui->list.filter[0] ? "filter:" : "", ui->list.filter,
		 ui->list.filter[0] ? "  " : "", tui_sort_name(ui->list.sort), ui->host.cpus, mem);
	tui_put(stdscr, 0, 0, COLS, ui->style[TUI_S_TITLE], left);
	int rl = (int)strlen(right);
	if (rl < COLS - (int)strlen(left))
		tui_put(stdscr, 0, COLS - rl, rl, ui->style[TUI_S_TITLE], right);
}

static int tui_name_width(void)
{
	int w = COLS - 44;
	return w < 8 ? 8 : w > 40 ? 40 : w;
}

static void tui_format_row(const struct tui_row *r, char *buf, size_t len)
{
	char cpus[12], mem[16], cpu[16], up[16];

	if (r->vm.cpus)
		snprintf(cpus, sizeof(cpus), "%u", r->vm.cpus);
	else
		snprintf(cpus, sizeof(cpus), "-");
	tui_fmt_memory(r->vm.memory, mem, sizeof(mem));
	tui_fmt_cpu(r->cpu, cpu, sizeof(cpu));
	if (r->vm.status_known)
		tui_fmt_uptime(r->vm.uptime_s, up, sizeof(up));
	else
		snprintf(up, sizeof(up), "-");
	snprintf(buf, len, " %-*.*s %-9s %5s %7s %6s %8s", tui_name_width(), tui_name_width(),
		 r->vm.name, vmstore_state_name(r->vm.state), cpus, mem, cpu, up);
}

static void tui_draw_list(struct tui *ui, int y0, int rows)
{
	char line[512];
	struct tui_list *l = &ui->list;

	snprintf(line, sizeof(line), " %-*s %-9s %5s %7s %6s %8s", tui_name_width(), "NAME",
		 "STATE", "VCPUS", "MEMORY", "CPU%", "UPTIME");
	tui_put(stdscr, y0, 0, COLS, ui->style[TUI_S_HEADER], line);
	y0++;
	rows--;
	ui->list_rows = rows > 0 ? (size_t)rows : 1;
	if (l->cur < ui->top)
		ui->top = l->cur;
	if (rows > 0 && l->cur >= ui->top + (size_t)rows)
		ui->top = l->cur - (size_t)rows + 1;
	if (ui->top + (size_t)rows > l->nvis)
		ui->top = l->nvis > (size_t)rows ? l->nvis - (size_t)rows : 0;

	for (int i = 0; i < rows; i++) {
		size_t idx = ui->top + (size_t)i;
		const struct tui_row *r = tui_list_row(l, idx);

		if (!r) {
			tui_put(stdscr, y0 + i, 0, COLS, A_NORMAL, "");
			continue;
		}
		tui_format_row(r, line, sizeof(line));
		if (idx == l->cur) {
			tui_put(stdscr, y0 + i, 0, COLS, ui->style[TUI_S_SELECTED], line);
			continue;
		}
		tui_put(stdscr, y0 + i, 0, COLS, A_NORMAL, line);
		/* the state column in its colour */
		int sx = 2 + tui_name_width();
		if (sx + 9 <= COLS) {
			wattrset(stdscr, (attr_t)tui_state_style(ui, r->vm.state));
			mvwprintw(stdscr, y0 + i, sx, "%-9s", vmstore_state_name(r->vm.state));
			wattrset(stdscr, A_NORMAL);
		}
		if (r->vm.def_error && sx - 1 > 0) {
			wattrset(stdscr, (attr_t)ui->style[TUI_S_ERROR]);
			mvwaddch(stdscr, y0 + i, 0, '!');
			wattrset(stdscr, A_NORMAL);
		}
	}
	const char *empty = NULL;
	if (!ui->have_list)
		empty = "Reading the VMs ...";
	else if (ui->list_err)
		empty = "Cannot read the VM definitions (see the message below).";
	else if (l->nrows == 0)
		empty = "No VMs yet. Press n to create one with the wizard, ? for help.";
	else if (l->nvis == 0)
		empty = "No VM matches the filter (/ changes it).";
	if (empty && rows > 1) {
		int len = (int)strlen(empty);
		tui_put(stdscr, y0 + rows / 2 - (rows > 2), len < COLS ? (COLS - len) / 2 : 0,
			len < COLS ? len : COLS, ui->style[TUI_S_DIM], empty);
	}
}

/* --- the details pane -------------------------------------------------------------------- */

static void tui_details_load(struct tui *ui, const struct tui_row *r)
{
	time_t now = time(NULL);

	if (strcmp(ui->def_name, r->vm.name) == 0 && now - ui->def_time < 2)
		return;
	vmdef_free(&ui->def);
	ui->def_loaded = false;
	ui->def_err[0] = '\0';
	snprintf(ui->def_name, sizeof(ui->def_name), "%s", r->vm.name);
	ui->def_time = now;
	if (vmstore_load(r->vm.name, &ui->def, ui->def_err, sizeof(ui->def_err)) == 0)
		ui->def_loaded = true;
}

static const char *tui_exit_text(int code)
{
	switch (code) {
	case 0: return "powered off";
	case 1: return "ended with an error (see its log)";
	case 2: return "the guest crashed (see its log)";
	case 3: return "stopped";
	}
	return NULL;
}

/* One line of the details pane (cut to fit its 512 bytes). */
static void tui_line(char *line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tui_line(char *line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, 512, fmt, ap);
	va_end(ap);
}

static void tui_details_lines(struct tui *ui, const struct tui_row *r, char lines[][512],
			      int *n, int max, int *err_line)
{
	const struct vmstore_vm *vm = &r->vm;
	const struct vm_config *c = &ui->def;
	char up[16], mem[16], cpu[16];
	int i = 0;

	*err_line = -1;
	if (vm->status_known) {
		tui_fmt_uptime(vm->uptime_s, up, sizeof(up));
		tui_line(lines[i++], "State:   %s, pid %ld, up %s, %u reset%s",
			 vmstore_state_name(vm->state), (long)vm->pid, up, vm->resets,
			 vm->resets == 1 ? "" : "s");
	} else {
		const char *ex = tui_exit_text(vm->last_exit);
		tui_line(lines[i++], "State:   %s%s%s%s", vmstore_state_name(vm->state),
			 ex ? " (last run: " : "", ex ? ex : "", ex ? ")" : "");
	}
	tui_fmt_memory(vm->memory, mem, sizeof(mem));
	tui_fmt_cpu(r->cpu, cpu, sizeof(cpu));
	tui_line(lines[i++], "vCPUs:   %u    Memory: %s    CPU: %s%s", vm->cpus, mem, cpu,
		 r->cpu >= 0 ? "%" : (vm->status_known && !vm->cputime_known ?
				      " (not reported by this VM)" : ""));
	if (vm->def_error) {
		*err_line = i;
		tui_line(lines[i++], "Problem: %s", vm->def_message);
	} else if (ui->def_loaded) {
		if (c->kernel)
			tui_line(lines[i++], "Boot:    kernel %s%s%s%s%s", c->kernel,
				 c->initrd ? "  initrd " : "", c->initrd ? c->initrd : "",
				 c->append ? "  append " : "", c->append ? c->append : "");
		else if (c->flat)
			tui_line(lines[i++], "Boot:    flat binary %s", c->flat);
		else
			tui_line(lines[i++], "Boot:    firmware%s%s", c->cdrom ? ", CD " : "",
				 c->cdrom ? c->cdrom : "");
		if (i < max && c->ndisks) {
			int len = snprintf(lines[i], 512, "Disks:  ");
			for (unsigned int d = 0; d < c->ndisks && len < 500; d++)
				len += snprintf(lines[i] + len, 512 - (size_t)len, " %s%s",
						c->disks[d].path, c->disks[d].readonly ? " (ro)" : "");
			i++;
		}
	} else if (ui->def_err[0]) {
		*err_line = i;
		tui_line(lines[i++], "Problem: %s", ui->def_err);
	}
	struct vmstore_files f;
	if (vmstore_files(vm->name, &f) == 0) {
		if (i < max)
			tui_line(lines[i++], "Defined: %s", f.def);
		if (i < max)
			tui_line(lines[i++], "Log:     %s", f.log);
	}
	*n = i < max ? i : max;
}

static void tui_draw_details(struct tui *ui, int y0, int rows)
{
	const struct tui_row *r = tui_list_current(&ui->list);
	char rule[256], lines[12][512];
	int n = 0, err_line = -1;

	snprintf(rule, sizeof(rule), "── %s ", r ? r->vm.name : "");
	wattrset(stdscr, (attr_t)ui->style[TUI_S_FRAME]);
	mvwhline(stdscr, y0, 0, ACS_HLINE, COLS);
	if (r)
		mvwprintw(stdscr, y0, 1, " %s ", r->vm.name);
	wattrset(stdscr, A_NORMAL);
	if (r) {
		tui_details_load(ui, r);
		tui_details_lines(ui, r, lines, &n, (int)ARRAY_SIZE(lines), &err_line);
	}
	for (int i = 0; i < rows - 1; i++)
		tui_put(stdscr, y0 + 1 + i, 0, COLS,
			i == err_line ? ui->style[TUI_S_ERROR] : A_NORMAL,
			i < n ? lines[i] : "");
	if (n > rows - 1 && rows > 1 && !ui->zoom)
		tui_put(stdscr, y0 + rows - 1, COLS > 20 ? COLS - 20 : 0, 20, ui->style[TUI_S_DIM],
			"(Enter: all details)");
}

void tui_draw_main(struct tui *ui)
{
	int details = ui->zoom ? LINES - 4 : TUI_DETAILS_ROWS + 1;
	int list = LINES - 3 - details;

	if (list < 3 && !ui->zoom) { /* a tiny terminal: the list alone */
		list = LINES - 3;
		details = 0;
	}
	tui_draw_title(ui);
	if (!ui->zoom)
		tui_draw_list(ui, 1, list);
	else
		tui_draw_list(ui, 1, 2);
	if (details > 0)
		tui_draw_details(ui, ui->zoom ? 3 : 1 + list, ui->zoom ? LINES - 5 : details);

	/* the message line, with what is running at its right */
	char busy[160] = "", what[128];
	int pct;
	if (tui_worker_busy(ui->worker, what, sizeof(what), &pct)) {
		if (pct >= 0)
			snprintf(busy, sizeof(busy), "[%s %d%%] ", what, pct);
		else
			snprintf(busy, sizeof(busy), "[%s ...] ", what);
	}
	chtype ms = ui->msg_level == TUI_MSG_ERROR ? ui->style[TUI_S_ERROR] :
		    ui->msg_level == TUI_MSG_OK ? ui->style[TUI_S_OK] : A_NORMAL;
	int bl = (int)strlen(busy);
	if (bl > COLS / 2)
		bl = COLS / 2;
	tui_put(stdscr, LINES - 2, 0, COLS - bl, ms, ui->msg);
	if (bl)
		tui_put(stdscr, LINES - 2, COLS - bl, bl, ui->style[TUI_S_DIM], busy);
	tui_draw_main_keybar(ui);
}

/* --- help ---------------------------------------------------------------------------------- */

void tui_help(struct tui *ui)
{
	char text[4096];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n,
		"Every VM runs as a process of its own: quitting ttyvm never stops one.\n"
		"\nKeys on the VM list:\n\n");
	for (int a = TUI_ACT_NONE + 1; a < TUI_ACT_COUNT && n < sizeof(text); a++) {
		const struct tui_action_info *i = tui_action_info((enum tui_action)a);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "  %-8s %s\n", i->keys, i->help);
	}
	if (n < sizeof(text))
		snprintf(text + n, sizeof(text) - n,
			 "\nIn the console view every key goes to the VM; " TUI_CONSOLE_ESCAPE_NAME
			 " comes back here.\n"
			 "In the wizard: Tab and the arrows move between fields, Enter goes on,\n"
			 "Esc goes back a step, F10 leaves it.\n\n"
			 "States: stopped, starting, running, paused, crashed (its last run did\n"
			 "not end well), unknown (its process did not answer in time).\n"
			 "More: man ttyvm (the verbs give the same to scripts).");
	tui_show_text(ui, "Help - ttyvm", text);
}
