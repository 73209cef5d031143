/*
 * tui_keys.c - what each key does on the VM list, as one table that
 * drives the dispatch, the key bar and the help screen, so the three
 * cannot disagree.
 *
 * The keys follow htop, mc and k9s: arrows and j/k move, Enter opens,
 * '/' filters, '?' and F1 help, q and F10 quit; single letters act on
 * the selected VM, and the letters that destroy something (F, D) are
 * capitals and ask first (tui_main.c does the asking).
 */
#include "ui/tui.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "util/util.h"

static const struct tui_action_info tui_actions[TUI_ACT_COUNT] = {
	[TUI_ACT_UP] = { "Up k", NULL, "select the previous VM", false },
	[TUI_ACT_DOWN] = { "Down j", NULL, "select the next VM", false },
	[TUI_ACT_PAGE_UP] = { "PgUp", NULL, "a page up", false },
	[TUI_ACT_PAGE_DOWN] = { "PgDn", NULL, "a page down", false },
	[TUI_ACT_HOME] = { "Home g", NULL, "the first VM", false },
	[TUI_ACT_END] = { "End G", NULL, "the last VM", false },
	[TUI_ACT_DETAILS] = { "Enter", NULL, "show or hide everything about the VM", true },
	[TUI_ACT_FILTER] = { "/", "Filter", "show only VMs whose name or state contains a text", false },
	[TUI_ACT_SORT] = { "o", NULL, "sort by name, state, CPU or memory", false },
	[TUI_ACT_REFRESH] = { "Ctrl-L", NULL, "redraw the screen and read every VM's state now", false },
	[TUI_ACT_HELP] = { "? F1", "Help", "this help", false },
	[TUI_ACT_QUIT] = { "q F10", "Quit", "quit (running VMs keep running)", false },
	[TUI_ACT_START] = { "s", "Start", "start the VM in the background", true },
	[TUI_ACT_PAUSE] = { "p", "Pause", "pause a running VM, resume a paused one", true },
	[TUI_ACT_RESET] = { "r", NULL, "reset the VM (the reset button)", true },
	[TUI_ACT_POWERDOWN] = { "P", "Pwrdn", "press the ACPI power button (clean shutdown)", true },
	[TUI_ACT_FORCE_STOP] = { "F", "Force", "pull the plug (asks first)", true },
	[TUI_ACT_CONSOLE] = { "c", "Cons", "the serial console (" TUI_CONSOLE_ESCAPE_NAME
				 " returns here)", true },
	[TUI_ACT_DISPLAY] = { "v", NULL, "the VM's display: its SDL window or VNC address", true },
	[TUI_ACT_EDIT] = { "e", "Edit", "edit the definition in $EDITOR (checked before it is saved)",
			   true },
	[TUI_ACT_NEW] = { "n", "New", "create a VM with the wizard", false },
	[TUI_ACT_DELETE] = { "D", "Del", "delete the VM (asks first; keeps its disks unless told)",
			     true },
	[TUI_ACT_CLONE] = { "l", "Clone", "clone the VM under a new name", true },
};

struct tui_key_binding {
	int key;
	enum tui_action action;
};

#define CTRL(c) ((c) & 0x1f)

static const struct tui_key_binding tui_bindings[] = {
	{ KEY_UP, TUI_ACT_UP }, { 'k', TUI_ACT_UP },
	{ KEY_DOWN, TUI_ACT_DOWN }, { 'j', TUI_ACT_DOWN },
	{ KEY_PPAGE, TUI_ACT_PAGE_UP }, { KEY_NPAGE, TUI_ACT_PAGE_DOWN },
	{ KEY_HOME, TUI_ACT_HOME }, { 'g', TUI_ACT_HOME },
	{ KEY_END, TUI_ACT_END }, { 'G', TUI_ACT_END },
	{ '\n', TUI_ACT_DETAILS }, { '\r', TUI_ACT_DETAILS }, { KEY_ENTER, TUI_ACT_DETAILS },
	{ '/', TUI_ACT_FILTER },
	{ 'o', TUI_ACT_SORT },
	{ CTRL('l'), TUI_ACT_REFRESH },
	{ '?', TUI_ACT_HELP }, { KEY_F(1), TUI_ACT_HELP },
	{ 'q', TUI_ACT_QUIT }, { KEY_F(10), TUI_ACT_QUIT },
	{ 's', TUI_ACT_START },
	{ 'p', TUI_ACT_PAUSE },
	{ 'r', TUI_ACT_RESET },
	{ 'P', TUI_ACT_POWERDOWN },
	{ 'F', TUI_ACT_FORCE_STOP },
	{ 'c', TUI_ACT_CONSOLE },
	{ 'v', TUI_ACT_DISPLAY },
	{ 'e', TUI_ACT_EDIT },
	{ 'n', TUI_ACT_NEW },
	{ 'D', TUI_ACT_DELETE },
	{ 'l', TUI_ACT_CLONE },
};

enum tui_action tui_key_action(int key)
{
	for (size_t i = 0; i < ARRAY_SIZE(tui_bindings); i++)
		if (tui_bindings[i].key == key)
			return tui_bindings[i].action;
	return TUI_ACT_NONE;
}

const struct tui_action_info *tui_action_info(enum tui_action a)
{
	if (a <= TUI_ACT_NONE || a >= TUI_ACT_COUNT)
		return NULL;
	return &tui_actions[a];
}
