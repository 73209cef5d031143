/*
 * parse_test.c - numbers and sizes from users.
 */
#include "unit.h"

#include <errno.h>

#include "util/parse.h"
#include "util/util.h"

static void test_uint(void **state)
{
	uint64_t v = 42;
	(void)state;

	assert_int_equal(parse_uint("16", 1, 254, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_uint("0x10", 1, 254, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_uint("010", 1, 254, &v), 0);
	assert_int_equal(v, 10); /* leading zeros are not octal */
	assert_int_equal(parse_uint("0x", 1, 254, &v), -EINVAL);
	v = 42;
	assert_int_equal(parse_uint("0", 1, 254, &v), -ERANGE);
	assert_int_equal(parse_uint("255", 1, 254, &v), -ERANGE);
	assert_int_equal(parse_uint("-1", 1, 254, &v), -EINVAL);
	assert_int_equal(parse_uint("4x", 1, 254, &v), -EINVAL);
	assert_int_equal(parse_uint("", 1, 254, &v), -EINVAL);
	assert_int_equal(parse_uint(" 4", 1, 254, &v), -EINVAL);
	assert_int_equal(parse_uint("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(v, 42); /* untouched on error */
}

static void test_size(void **state)
{
	uint64_t v = 0;
	(void)state;

	assert_int_equal(parse_size("64M", 1, &v), 0);
	assert_int_equal(v, 64 * MiB);
	assert_int_equal(parse_size("64", MiB, &v), 0);
	assert_int_equal(v, 64 * MiB);
	assert_int_equal(parse_size("2G", 1, &v), 0);
	assert_int_equal(v, 2 * GiB);
	assert_int_equal(parse_size("2GiB", 1, &v), 0);
	assert_int_equal(v, 2 * GiB);
	assert_int_equal(parse_size("512k", 1, &v), 0);
	assert_int_equal(v, 512 * KiB);
	assert_int_equal(parse_size("1T", 1, &v), 0);
	assert_int_equal(v, 1024 * GiB);
	assert_int_equal(parse_size("100B", MiB, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(parse_size("08G", 1, &v), 0);
	assert_int_equal(v, 8 * GiB);
	assert_int_equal(parse_size("64Q", 1, &v), -EINVAL);
	assert_int_equal(parse_size("64MX", 1, &v), -EINVAL);
	assert_int_equal(parse_size("M", 1, &v), -EINVAL);
	assert_int_equal(parse_size("-64M", 1, &v), -EINVAL);
	assert_int_equal(parse_size("99999999999T", 1, &v), -ERANGE);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_uint),
	cmocka_unit_test(test_size),
};

UNIT_SUITE(parse, tests);
