/*
 * snap_test.c - the save/load stream: round trips, versions, bad input.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/snap.h"

struct thing {
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;
	bool e;
	uint8_t blob[5];
};

static int thing_snapshot(struct thing *t, struct snap *s, uint32_t ver)
{
	uint32_t v = ver;
	if (snap_section(s, "thing", &v))
		return snap_error(s);
	snap_u8(s, &t->a);
	snap_u16(s, &t->b);
	snap_u32(s, &t->c);
	snap_u64(s, &t->d);
	snap_bool(s, &t->e);
	snap_bytes(s, t->blob, sizeof(t->blob));
	return snap_error(s);
}

static void test_round_trip(void **state)
{
	struct thing in = { 0x12, 0x3456, 0x789abcde, 0x0123456789abcdefULL, true,
			    { 1, 2, 3, 4, 5 } };
	struct thing out;
	struct snap s, l;
	(void)state;

	snap_init_save(&s);
	assert_int_equal(thing_snapshot(&in, &s, 1), 0);
	memset(&out, 0, sizeof(out));
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(thing_snapshot(&out, &l, 1), 0);
	assert_int_equal(l.pos, s.len);
	snap_free(&s);
	assert_int_equal(out.a, in.a);
	assert_int_equal(out.b, in.b);
	assert_int_equal(out.c, in.c);
	assert_int_equal(out.d, in.d);
	assert_true(out.e);
	assert_memory_equal(out.blob, in.blob, sizeof(in.blob));
}

static void test_version_and_name(void **state)
{
	struct thing t = { 0 };
	struct snap s, l;
	uint32_t v;
	(void)state;

	snap_init_save(&s);
	assert_int_equal(thing_snapshot(&t, &s, 3), 0);

	/* a loader that knows only version 2 refuses version 3 */
	snap_init_load(&l, s.buf, s.len);
	v = 2;
	assert_int_equal(snap_section(&l, "thing", &v), -ENOTSUP);
	/* a newer loader reads it and learns the version */
	snap_init_load(&l, s.buf, s.len);
	v = 9;
	assert_int_equal(snap_section(&l, "thing", &v), 0);
	assert_int_equal(v, 3);
	/* wrong section name */
	snap_init_load(&l, s.buf, s.len);
	v = 9;
	assert_int_equal(snap_section(&l, "other", &v), -EINVAL);
	/* errors are sticky */
	snap_u32(&l, &v);
	assert_int_equal(snap_error(&l), -EINVAL);
	snap_free(&s);
}

static void test_truncated_and_garbage(void **state)
{
	struct thing in = { .a = 1, .e = true }, out;
	struct snap s, l;
	(void)state;

	snap_init_save(&s);
	assert_int_equal(thing_snapshot(&in, &s, 1), 0);
	/* every truncation fails cleanly */
	for (size_t n = 0; n < s.len; n++) {
		snap_init_load(&l, s.buf, n);
		assert_int_not_equal(thing_snapshot(&out, &l, 1), 0);
	}
	/* a bool that is neither 0 nor 1 */
	uint8_t *bad = malloc(s.len);
	memcpy(bad, s.buf, s.len);
	size_t bool_at = s.len - 4 - sizeof(in.blob) - 1;
	bad[bool_at] = 7;
	snap_init_load(&l, bad, s.len);
	assert_int_equal(thing_snapshot(&out, &l, 1), -EINVAL);
	/* bytes with the wrong length */
	memcpy(bad, s.buf, s.len);
	bad[bool_at + 1] = 6;
	snap_init_load(&l, bad, s.len);
	assert_int_equal(thing_snapshot(&out, &l, 1), -EINVAL);
	/* no tag */
	snap_init_load(&l, "XXXXXXXXXXXXXXXXXXXXX", 20);
	uint32_t v = 1;
	assert_int_equal(snap_section(&l, "thing", &v), -EPROTO);
	free(bad);
	snap_free(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_version_and_name),
	cmocka_unit_test(test_truncated_and_garbage),
};

UNIT_SUITE(snap, tests);
