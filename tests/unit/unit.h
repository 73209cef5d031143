/*
 * unit.h - how a unit test file registers its cmocka tests.
 *
 * Each foo_test.c ends with UNIT_SUITE(foo, tests) where tests is its
 * CMUnitTest array.  Suites land in a linker section; unit_main.c runs
 * them all (or those whose names are given as arguments) and prints one
 * closing line "PROGRAM: N passed, M failed".
 */
#ifndef TTYVM_UNIT_H
#define TTYVM_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct unit_suite {
	const char *name;
	const struct CMUnitTest *tests;
	size_t count;
};

#define UNIT_SUITE(name_, tests_)                                            \
	static const struct unit_suite unit_suite_##name_ = {                 \
		#name_, tests_, sizeof(tests_) / sizeof((tests_)[0]) };       \
	static const struct unit_suite *const unit_ptr_##name_                \
		__attribute__((used, section("ttyvm_unit"),                  \
			       aligned(sizeof(void *)))) = &unit_suite_##name_

#endif
