/*
 * headless_test.c - runs tests/integration/headless.sh, the scripted
 * mode end to end (create, start, expect, console, pause/resume/reset,
 * stop, edit, clone, rename, delete, disks; every exit status), on
 * /dev/kvm.  The script prints one line per step; this test passes when
 * it exits 0 and fails loudly without /dev/kvm.
 */
#include "../unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define HEADLESS_TIMEOUT 600 /* seconds for the whole script */

static void test_headless_script(void **state)
{
	const char *src = getenv("TTYVM_SRCDIR");
	char cmd[1024];
	int st;
	(void)state;

	harness_require_kvm();
	if (!src || !getenv("TTYVM_BIN") || !getenv("TTYVM_GUESTS") ||
	    !getenv("TTYVM_PRESETS_DIR"))
		fail_msg("headless: set TTYVM_SRCDIR, TTYVM_BIN, TTYVM_GUESTS and "
			 "TTYVM_PRESETS_DIR (make check does)");
	snprintf(cmd, sizeof(cmd), "timeout -k 10 %d sh '%s/tests/integration/headless.sh'",
		 HEADLESS_TIMEOUT, src);
	fflush(NULL);
	st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("headless.sh failed (%s %d; 124: it ran over %d s)",
			 WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), HEADLESS_TIMEOUT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_headless_script),
};

UNIT_SUITE(headless, tests);
