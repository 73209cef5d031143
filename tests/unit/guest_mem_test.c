/*
 * guest_mem_test.c - layout, bounds checks and the e820 map.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

static void test_small_guest_layout(void **state)
{
	struct guest_mem gm;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(gm.nregions, 2);
	assert_int_equal(gm.low_size, 64 * MiB);
	assert_int_equal(gm.high_size, 0);
	/* VGA window is not RAM */
	assert_null(gmem_ptr(&gm, LAYOUT_VGA_START, 1));
	assert_null(gmem_ptr(&gm, LAYOUT_VGA_END - 1, 1));
	assert_non_null(gmem_ptr(&gm, LAYOUT_VGA_END, 1));
	assert_non_null(gmem_ptr(&gm, 0, LAYOUT_VGA_START));
	/* straddling the VGA window is refused */
	assert_null(gmem_ptr(&gm, LAYOUT_VGA_START - 4, 8));
	/* last byte ok, one past refused, wrap-around refused */
	assert_non_null(gmem_ptr(&gm, 64 * MiB - 1, 1));
	assert_null(gmem_ptr(&gm, 64 * MiB - 1, 2));
	assert_null(gmem_ptr(&gm, 64 * MiB, 1));
	assert_null(gmem_ptr(&gm, UINT64_MAX - 2, 8));
	assert_null(gmem_ptr(&gm, 16, UINT64_MAX));
	gmem_destroy(&gm);
}

static void test_read_write(void **state)
{
	struct guest_mem gm;
	uint8_t buf[16], out[16];
	(void)state;

	assert_int_equal(gmem_init(&gm, 8 * MiB), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(gmem_write(&gm, 0x123456, buf, sizeof(buf)), 0);
	assert_int_equal(gmem_read(&gm, 0x123456, out, sizeof(out)), 0);
	assert_memory_equal(buf, out, sizeof(buf));
	assert_int_equal(gmem_write(&gm, 8 * MiB - 8, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gmem_read(&gm, LAYOUT_VGA_START, out, 1), -EFAULT);
	gmem_clear(&gm);
	assert_int_equal(gmem_read(&gm, 0x123456, out, sizeof(out)), 0);
	for (unsigned i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);
	gmem_destroy(&gm);
}

static void test_bad_sizes(void **state)
{
	struct guest_mem gm;
	(void)state;

	assert_int_equal(gmem_init(&gm, 0), -EINVAL);
	assert_int_equal(gmem_init(&gm, 512 * KiB), -EINVAL);
	assert_int_equal(gmem_init(&gm, 64 * MiB + 1), -EINVAL);
}

static void test_high_memory_and_e820(void **state)
{
	struct guest_mem gm;
	struct e820_entry e[E820_MAX];
	(void)state;

	/* 4 GiB guest: 3 GiB low, 1 GiB from 4 GiB; no page is touched */
	assert_int_equal(gmem_init(&gm, 4 * GiB), 0);
	assert_int_equal(gm.low_size, LAYOUT_LOW_RAM_END);
	assert_int_equal(gm.high_size, 4 * GiB - LAYOUT_LOW_RAM_END);
	assert_int_equal(gm.nregions, 3);
	assert_null(gmem_ptr(&gm, LAYOUT_LOW_RAM_END, 1));
	assert_null(gmem_ptr(&gm, LAYOUT_4G - 1, 1));
	assert_non_null(gmem_ptr(&gm, LAYOUT_4G, 4096));
	assert_non_null(gmem_ptr(&gm, LAYOUT_4G + gm.high_size - 1, 1));
	assert_null(gmem_ptr(&gm, LAYOUT_4G + gm.high_size, 1));

	unsigned n = gmem_e820(&gm, e, E820_MAX);
	assert_int_equal(n, 5);
	uint64_t ram = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			assert_true(e[i].addr >= e[i - 1].addr + e[i - 1].size);
		if (e[i].type == E820_RAM) {
			ram += e[i].size;
			/* every RAM byte the map promises is backed */
			assert_non_null(gmem_ptr(&gm, e[i].addr, e[i].size));
		}
	}
	/* all RAM except the EBDA and the 0xA0000-0xFFFFF area */
	assert_int_equal(ram, 4 * GiB - (LAYOUT_HIGH_START - LAYOUT_EBDA_START));
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].type, E820_RAM);
	assert_int_equal(e[n - 1].addr, LAYOUT_4G);
	/* truncated output */
	assert_int_equal(gmem_e820(&gm, e, 2), 2);
	gmem_destroy(&gm);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_small_guest_layout),
	cmocka_unit_test(test_read_write),
	cmocka_unit_test(test_bad_sizes),
	cmocka_unit_test(test_high_memory_and_e820),
};

UNIT_SUITE(guest_mem, tests);
