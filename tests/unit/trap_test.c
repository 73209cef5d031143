/*
 * trap_test.c - registration rules and dispatch of the trap map.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/trap.h"

struct fake_dev {
	uint64_t last_off, last_val;
	unsigned int last_size, reads, writes;
	uint64_t read_val;
};

static uint64_t fake_read(void *opaque, uint64_t off, unsigned int size)
{
	struct fake_dev *d = opaque;
	d->reads++;
	d->last_off = off;
	d->last_size = size;
	return d->read_val;
}

static void fake_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	struct fake_dev *d = opaque;
	d->writes++;
	d->last_off = off;
	d->last_size = size;
	d->last_val = val;
}

static const struct trap_ops fake_ops = { fake_read, fake_write };

static void test_register_overlap(void **state)
{
	struct trap_map t;
	struct fake_dev a = { 0 };
	(void)state;

	assert_int_equal(trap_map_init(&t), 0);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3f8, 8, &fake_ops, &a), 0);
	/* exact, inner, straddling-low, straddling-high overlaps refused */
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3f8, 8, &fake_ops, &a), -EBUSY);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3fa, 1, &fake_ops, &a), -EBUSY);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3f0, 9, &fake_ops, &a), -EBUSY);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3ff, 4, &fake_ops, &a), -EBUSY);
	/* adjacent ranges are fine, and the other space is independent */
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3f0, 8, &fake_ops, &a), 0);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x400, 1, &fake_ops, &a), 0);
	assert_int_equal(trap_register(&t, TRAP_MMIO, 0x3f8, 8, &fake_ops, &a), 0);
	/* empty, wrapping, bad space */
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x500, 0, &fake_ops, &a), -EINVAL);
	assert_int_equal(trap_register(&t, TRAP_MMIO, UINT64_MAX - 1, 4, &fake_ops, &a), -EINVAL);
	assert_int_equal(trap_register(&t, (enum trap_space)7, 0, 1, &fake_ops, &a), -EINVAL);
	assert_int_equal(trap_unregister(&t, TRAP_PIO, 0x3f9), -ENOENT);
	assert_int_equal(trap_unregister(&t, TRAP_PIO, 0x3f8), 0);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3fa, 1, &fake_ops, &a), 0);
	trap_map_destroy(&t);
}

static void test_dispatch(void **state)
{
	struct trap_map t;
	struct fake_dev a = { .read_val = 0x1122334455667788ULL }, b = { 0 };
	uint8_t data[8];
	(void)state;

	assert_int_equal(trap_map_init(&t), 0);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x60, 1, &fake_ops, &a), 0);
	assert_int_equal(trap_register(&t, TRAP_MMIO, 0xfec00000, 0x1000, &fake_ops, &b), 0);

	memset(data, 0, sizeof(data));
	assert_true(trap_dispatch(&t, TRAP_PIO, 0x60, data, 1, false));
	assert_int_equal(data[0], 0x88);
	assert_int_equal(data[1], 0); /* only size bytes written */
	assert_int_equal(a.reads, 1);

	uint32_t v = 0xdeadbeef;
	memcpy(data, &v, 4);
	assert_true(trap_dispatch(&t, TRAP_MMIO, 0xfec00010, data, 4, true));
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.last_off, 0x10);
	assert_int_equal(b.last_size, 4);
	assert_int_equal(b.last_val, 0xdeadbeef);

	/* unclaimed: reads all ones, writes dropped, counted */
	memset(data, 0, sizeof(data));
	assert_false(trap_dispatch(&t, TRAP_PIO, 0x61, data, 2, false));
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[1], 0xff);
	assert_int_equal(data[2], 0);
	assert_false(trap_dispatch(&t, TRAP_MMIO, 0xfec01000, data, 4, true));
	assert_int_equal(t.unclaimed[TRAP_PIO], 1);
	assert_int_equal(t.unclaimed[TRAP_MMIO], 1);
	assert_int_equal(b.writes, 1);
	/* bad sizes never reach a device */
	assert_false(trap_dispatch(&t, TRAP_PIO, 0x60, data, 0, false));
	assert_false(trap_dispatch(&t, TRAP_PIO, 0x60, data, 9, false));
	assert_int_equal(a.reads, 1);
	trap_map_destroy(&t);
}

static void test_many_ranges_sorted(void **state)
{
	struct trap_map t;
	struct fake_dev d[64];
	uint8_t data[4];
	(void)state;

	memset(d, 0, sizeof(d));
	assert_int_equal(trap_map_init(&t), 0);
	/* register in a scrambled order, then hit each one */
	for (unsigned i = 0; i < 64; i++) {
		unsigned k = (i * 37) % 64;
		d[k].read_val = k;
		assert_int_equal(trap_register(&t, TRAP_PIO, 0x1000 + k * 16, 16,
					       &fake_ops, &d[k]), 0);
	}
	for (unsigned k = 0; k < 64; k++) {
		assert_true(trap_dispatch(&t, TRAP_PIO, 0x1000 + k * 16 + 15, data, 1, false));
		assert_int_equal(data[0], k);
		assert_int_equal(d[k].last_off, 15);
	}
	assert_false(trap_dispatch(&t, TRAP_PIO, 0x1000 + 64 * 16, data, 1, false));
	assert_false(trap_dispatch(&t, TRAP_PIO, 0xfff, data, 1, false));
	trap_map_destroy(&t);
}

/*
 * A device whose write moves its own range and claims a second one, as a
 * PCI config write at 0xCFC moves a BAR: the callback runs without the
 * map's lock, so this must neither deadlock nor corrupt the map.
 */
struct mover {
	struct trap_map *t;
	struct fake_dev *extra;
	uint64_t base;
	unsigned int calls;
	int reg_rc, unreg_rc, extra_rc;
};

static const struct trap_ops mover_ops;

static void mover_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	struct mover *m = opaque;
	(void)off;
	(void)size;
	m->calls++;
	m->unreg_rc = trap_unregister(m->t, TRAP_MMIO, m->base);
	m->base = val;
	m->reg_rc = trap_register(m->t, TRAP_MMIO, m->base, 0x100, &mover_ops, m);
	m->extra_rc = trap_register(m->t, TRAP_PIO, 0x500 + m->calls, 1, &fake_ops, m->extra);
}

static uint64_t mover_read(void *opaque, uint64_t off, unsigned int size)
{
	struct mover *m = opaque;
	uint8_t data[4];
	(void)size;
	/* a nested dispatch from inside a callback works too */
	trap_dispatch(m->t, TRAP_PIO, 0x3f8, data, 1, true);
	return m->base + off;
}

static const struct trap_ops mover_ops = { mover_read, mover_write };

static void test_register_from_callback(void **state)
{
	struct trap_map t;
	struct fake_dev other = { 0 }, extra = { 0 };
	struct mover m = { .t = &t, .extra = &extra, .base = 0xe0000000 };
	uint8_t data[8];
	uint64_t v;
	(void)state;

	assert_int_equal(trap_map_init(&t), 0);
	assert_int_equal(trap_register(&t, TRAP_MMIO, m.base, 0x100, &mover_ops, &m), 0);
	assert_int_equal(trap_register(&t, TRAP_PIO, 0x3f8, 1, &fake_ops, &other), 0);

	v = 0xe0001000;
	memcpy(data, &v, 8);
	assert_true(trap_dispatch(&t, TRAP_MMIO, 0xe0000010, data, 8, true));
	assert_int_equal(m.calls, 1);
	assert_int_equal(m.unreg_rc, 0);
	assert_int_equal(m.reg_rc, 0);
	assert_int_equal(m.extra_rc, 0);
	/* the old place is gone, the new one answers */
	assert_false(trap_dispatch(&t, TRAP_MMIO, 0xe0000010, data, 4, false));
	memset(data, 0, sizeof(data));
	assert_true(trap_dispatch(&t, TRAP_MMIO, 0xe0001004, data, 4, false));
	assert_int_equal(get_le32(data), 0xe0001004);
	assert_int_equal(other.writes, 1);
	assert_true(trap_dispatch(&t, TRAP_PIO, 0x501, data, 1, false));
	assert_int_equal(extra.reads, 1);

	/* moving onto a claimed range is refused, the device keeps going */
	v = 0x3f8;
	assert_int_equal(trap_register(&t, TRAP_MMIO, 0x3f8, 8, &fake_ops, &other), 0);
	memcpy(data, &v, 8);
	assert_true(trap_dispatch(&t, TRAP_MMIO, 0xe0001000, data, 8, true));
	assert_int_equal(m.calls, 2);
	assert_int_equal(m.unreg_rc, 0);
	assert_int_equal(m.reg_rc, -EBUSY);
	assert_false(trap_dispatch(&t, TRAP_MMIO, 0xe0001000, data, 4, false));
	trap_map_destroy(&t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_register_overlap),
	cmocka_unit_test(test_dispatch),
	cmocka_unit_test(test_many_ranges_sorted),
	cmocka_unit_test(test_register_from_callback),
};

UNIT_SUITE(trap, tests);
