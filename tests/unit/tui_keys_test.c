/*
 * tui_keys_test.c - the TUI's key table: every key the help screen names
 * does what it says, the keys of the issue (htop/mc/k9s conventions) are
 * bound as promised, and the key bar fits an 80-column terminal.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "ui/tui.h"

/* The key code of a name as the help screen writes it. */
static int key_named(const char *n)
{
	static const struct { const char *name; int code; } named[] = {
		{ "Up", KEY_UP }, { "Down", KEY_DOWN }, { "PgUp", KEY_PPAGE },
		{ "PgDn", KEY_NPAGE }, { "Home", KEY_HOME }, { "End", KEY_END },
		{ "Enter", '\r' }, { "Ctrl-L", 'L' & 0x1f },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(named[i].name, n) == 0)
			return named[i].code;
	if (n[0] == 'F' && n[1] >= '1' && n[1] <= '9')
		return KEY_F(atoi(n + 1));
	assert_int_equal(strlen(n), 1); /* else a single character */
	return (unsigned char)n[0];
}

static void test_help_matches_dispatch(void **state)
{
	(void)state;
	for (int a = TUI_ACT_NONE + 1; a < TUI_ACT_COUNT; a++) {
		const struct tui_action_info *i = tui_action_info((enum tui_action)a);
		char keys[64];

		assert_non_null(i);
		assert_non_null(i->help);
		assert_true(strlen(i->help) > 5);
		snprintf(keys, sizeof(keys), "%s", i->keys);
		for (char *k = strtok(keys, " "); k; k = strtok(NULL, " "))
			assert_int_equal(tui_key_action(key_named(k)), a);
	}
	assert_null(tui_action_info(TUI_ACT_NONE));
	assert_null(tui_action_info(TUI_ACT_COUNT));
	assert_null(tui_action_info((enum tui_action)-3));
}

static void test_promised_keys(void **state)
{
	(void)state;
	static const struct { int key; enum tui_action a; } want[] = {
		{ KEY_UP, TUI_ACT_UP }, { 'k', TUI_ACT_UP }, { KEY_DOWN, TUI_ACT_DOWN },
		{ 'j', TUI_ACT_DOWN }, { '\n', TUI_ACT_DETAILS }, { KEY_ENTER, TUI_ACT_DETAILS },
		{ '/', TUI_ACT_FILTER }, { '?', TUI_ACT_HELP }, { KEY_F(1), TUI_ACT_HELP },
		{ 'q', TUI_ACT_QUIT }, { KEY_F(10), TUI_ACT_QUIT }, { 's', TUI_ACT_START },
		{ 'p', TUI_ACT_PAUSE }, { 'r', TUI_ACT_RESET }, { 'P', TUI_ACT_POWERDOWN },
		{ 'F', TUI_ACT_FORCE_STOP }, { 'c', TUI_ACT_CONSOLE }, { 'v', TUI_ACT_DISPLAY },
		{ 'e', TUI_ACT_EDIT }, { 'n', TUI_ACT_NEW }, { 'D', TUI_ACT_DELETE },
		{ 'l', TUI_ACT_CLONE },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(tui_key_action(want[i].key), want[i].a);
	/* what is not bound does nothing, the console's escape included */
	assert_int_equal(tui_key_action('x'), TUI_ACT_NONE);
	assert_int_equal(tui_key_action('S'), TUI_ACT_NONE);
	assert_int_equal(tui_key_action(0), TUI_ACT_NONE);
	assert_int_equal(tui_key_action(-1), TUI_ACT_NONE);
	assert_int_equal(tui_key_action(TUI_CONSOLE_ESCAPE), TUI_ACT_NONE);
	assert_int_equal(tui_key_action(KEY_F(2)), TUI_ACT_NONE);
}

static void test_destructive_and_vm_keys(void **state)
{
	(void)state;
	/* keys that act on a VM say so (the TUI refuses them on an empty list) */
	static const enum tui_action on_vm[] = {
		TUI_ACT_START, TUI_ACT_PAUSE, TUI_ACT_RESET, TUI_ACT_POWERDOWN,
		TUI_ACT_FORCE_STOP, TUI_ACT_CONSOLE, TUI_ACT_DISPLAY, TUI_ACT_EDIT,
		TUI_ACT_DELETE, TUI_ACT_CLONE,
	};
	for (size_t i = 0; i < sizeof(on_vm) / sizeof(on_vm[0]); i++)
		assert_true(tui_action_info(on_vm[i])->needs_vm);
	assert_false(tui_action_info(TUI_ACT_NEW)->needs_vm);
	assert_false(tui_action_info(TUI_ACT_QUIT)->needs_vm);
	assert_false(tui_action_info(TUI_ACT_HELP)->needs_vm);
	/* the keys that destroy are capitals: no slip of a lower-case key */
	assert_string_equal(tui_action_info(TUI_ACT_FORCE_STOP)->keys, "F");
	assert_string_equal(tui_action_info(TUI_ACT_DELETE)->keys, "D");
	assert_non_null(strstr(tui_action_info(TUI_ACT_FORCE_STOP)->help, "asks"));
	assert_non_null(strstr(tui_action_info(TUI_ACT_DELETE)->help, "asks"));
	assert_non_null(strstr(tui_action_info(TUI_ACT_CONSOLE)->help, TUI_CONSOLE_ESCAPE_NAME));
}

static void test_keybar_fits_80_columns(void **state)
{
	(void)state;
	size_t width = 0, n = 0;

	for (int a = TUI_ACT_NONE + 1; a < TUI_ACT_COUNT; a++) {
		const struct tui_action_info *i = tui_action_info((enum tui_action)a);
		if (!i->bar)
			continue;
		/* drawn as the first key, the label, one blank between items */
		width += strcspn(i->keys, " ") + strlen(i->bar) + (n ? 1 : 0);
		n++;
	}
	assert_true(n >= 10); /* the bar is what a new user reads first */
	assert_true(width <= 80);
	/* help and quit are on it */
	assert_non_null(tui_action_info(TUI_ACT_HELP)->bar);
	assert_non_null(tui_action_info(TUI_ACT_QUIT)->bar);
	assert_non_null(tui_action_info(TUI_ACT_NEW)->bar);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_help_matches_dispatch),
	cmocka_unit_test(test_promised_keys),
	cmocka_unit_test(test_destructive_and_vm_keys),
	cmocka_unit_test(test_keybar_fits_80_columns),
};

UNIT_SUITE(tui_keys, tests);
