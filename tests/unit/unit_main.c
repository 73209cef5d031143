/*
 * unit_main.c - runs every registered unit test suite.
 *
 * Usage: unit_tests [SUITE...]   (no argument: all suites)
 * Exit status 0 when every test passed, 1 otherwise.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

extern const struct unit_suite *const __start_ttyvm_unit[];
extern const struct unit_suite *const __stop_ttyvm_unit[];

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	size_t total = 0, failed = 0, suites = 0;

	/* cmocka writes to both streams; keep lines whole and in order */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (const struct unit_suite *const *s = __start_ttyvm_unit;
	     s < __stop_ttyvm_unit; s++) {
		if (!selected((*s)->name, argc, argv))
			continue;
		suites++;
		total += (*s)->count;
		failed += (size_t)_cmocka_run_group_tests((*s)->name, (*s)->tests,
							  (*s)->count, NULL, NULL);
	}
	if (suites == 0) {
		fprintf(stderr, "unit_tests: no suite matched\n");
		return 1;
	}
	const char *prog = strrchr(argv[0], '/');
	prog = prog ? prog + 1 : argv[0];
	fflush(stderr);
	printf("%s: %zu passed, %zu failed\n", prog, total - failed, failed);
	return failed ? 1 : 0;
}
