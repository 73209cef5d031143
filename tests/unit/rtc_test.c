/*
 * rtc_test.c - the MC146818 model against a fake wall clock and timer.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/rtc.h"
#include "vmm/snap.h"

#define SEC 1000000000ULL

struct fixture {
	uint64_t now;           /* fake CLOCK_REALTIME */
	uint64_t armed;         /* last delay given to the timer, 0: none */
	unsigned int arms;
	int level;
	unsigned int rises;
	struct irq_line line;
	struct rtc_timer_ops timer;
	struct rtc *r;
};

static uint64_t fake_clock(void *ctx)
{
	return ((struct fixture *)ctx)->now;
}

static void fake_arm(void *ctx, uint64_t delay)
{
	struct fixture *f = ctx;
	f->armed = delay;
	f->arms++;
}

static void fake_irq(void *ctx, unsigned int gsi, int level)
{
	struct fixture *f = ctx;
	(void)gsi;
	if (level && !f->level)
		f->rises++;
	f->level = level;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->now = 1709214330ULL * SEC;   /* 2024-02-29 13:45:30 UTC, Thursday */
	f->line.set = fake_irq;
	f->line.ctx = f;
	f->line.gsi = 8;
	f->timer.arm = fake_arm;
	f->timer.ctx = f;
	f->r = rtc_create(&f->line, fake_clock, f, &f->timer);
	if (!f->r) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rtc_destroy(f->r);
	free(f);
	return 0;
}

static uint8_t cmos_get(struct rtc *r, uint8_t idx)
{
	rtc_write(r, 0, idx);
	return rtc_read(r, 1);
}

static void cmos_set(struct rtc *r, uint8_t idx, uint8_t v)
{
	rtc_write(r, 0, idx);
	rtc_write(r, 1, v);
}

static void test_known_date_bcd_binary(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	assert_int_equal(cmos_get(r, RTC_REG_A), 0x26);
	assert_int_equal(cmos_get(r, RTC_REG_B), 0x02);
	assert_int_equal(cmos_get(r, RTC_REG_D), 0x80);
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0x30);
	assert_int_equal(cmos_get(r, RTC_MINUTES), 0x45);
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x13);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_WEEK), 5);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_MONTH), 0x29);
	assert_int_equal(cmos_get(r, RTC_MONTH), 0x02);
	assert_int_equal(cmos_get(r, RTC_YEAR), 0x24);
	assert_int_equal(cmos_get(r, RTC_CENTURY), 0x20);

	cmos_set(r, RTC_REG_B, RTC_B_24H | RTC_B_DM);
	assert_int_equal(cmos_get(r, RTC_SECONDS), 30);
	assert_int_equal(cmos_get(r, RTC_MINUTES), 45);
	assert_int_equal(cmos_get(r, RTC_HOURS), 13);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_MONTH), 29);
	assert_int_equal(cmos_get(r, RTC_MONTH), 2);
	assert_int_equal(cmos_get(r, RTC_YEAR), 24);
	assert_int_equal(cmos_get(r, RTC_CENTURY), 20);

	/* the clock follows the host: one day and 30 s later, 1 March */
	f->now += (86400 + 30) * SEC;
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0);
	assert_int_equal(cmos_get(r, RTC_MINUTES), 46);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_MONTH), 1);
	assert_int_equal(cmos_get(r, RTC_MONTH), 3);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_WEEK), 6);
}

static void test_12h_mode(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	cmos_set(r, RTC_REG_B, 0x00);            /* 12 h, BCD */
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x81);   /* 1 PM */
	cmos_set(r, RTC_REG_B, RTC_B_DM);        /* 12 h, binary */
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x81);
	f->now = 1709164800ULL * SEC;            /* 2024-02-29 00:00:00 */
	cmos_set(r, RTC_REG_B, 0x00);
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x12);   /* 12 AM */
	f->now += 12 * 3600 * SEC;
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x92);   /* 12 PM */
	f->now += 11 * 3600 * SEC;
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x91);   /* 11 PM */

	/* the guest sets 7 PM in 12 h BCD; 24 h mode then shows 19 */
	cmos_set(r, RTC_REG_B, RTC_B_SET);
	cmos_set(r, RTC_HOURS, 0x87);
	cmos_set(r, RTC_REG_B, 0x00);
	cmos_set(r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x19);
}

static void test_century(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	f->now = 946684799ULL * SEC;             /* 1999-12-31 23:59:59 */
	assert_int_equal(cmos_get(r, RTC_YEAR), 0x99);
	assert_int_equal(cmos_get(r, RTC_CENTURY), 0x19);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_WEEK), 6);
	f->now += SEC;
	assert_int_equal(cmos_get(r, RTC_YEAR), 0x00);
	assert_int_equal(cmos_get(r, RTC_CENTURY), 0x20);
	assert_int_equal(cmos_get(r, RTC_MONTH), 0x01);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_MONTH), 0x01);
	f->now = 4107585600ULL * SEC;            /* 2100-03-01 12:00:00 */
	assert_int_equal(cmos_get(r, RTC_CENTURY), 0x21);
	assert_int_equal(cmos_get(r, RTC_YEAR), 0x00);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_WEEK), 2);
}

static void test_guest_sets_time(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	f->now += SEC / 2;   /* host is mid-second; the set time starts at .0 */
	/* Linux's mc146818_set_time: SET, write the fields, clear SET */
	cmos_set(r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(r, RTC_SECONDS, 0x00);
	cmos_set(r, RTC_MINUTES, 0x00);
	cmos_set(r, RTC_HOURS, 0x00);
	cmos_set(r, RTC_DAY_OF_MONTH, 0x01);
	cmos_set(r, RTC_MONTH, 0x01);
	cmos_set(r, RTC_YEAR, 0x00);
	cmos_set(r, RTC_CENTURY, 0x20);
	/* frozen while SET is on */
	f->now += 10 * SEC;
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0x00);
	assert_int_equal(cmos_get(r, RTC_YEAR), 0x00);
	cmos_set(r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos_get(r, RTC_YEAR), 0x00);
	assert_int_equal(cmos_get(r, RTC_CENTURY), 0x20);
	assert_int_equal(cmos_get(r, RTC_DAY_OF_WEEK), 7);  /* Saturday */

	f->now += 61 * SEC + SEC / 2;
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0x01);
	assert_int_equal(cmos_get(r, RTC_MINUTES), 0x01);
	f->now += 3600 * SEC - 1;
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x01);
	assert_int_equal(cmos_get(r, RTC_MINUTES), 0x01);
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0x01);

	/* a write while the clock runs takes effect at once */
	cmos_set(r, RTC_MINUTES, 0x30);
	assert_int_equal(cmos_get(r, RTC_MINUTES), 0x30);
	assert_int_equal(cmos_get(r, RTC_HOURS), 0x01);
	f->now += SEC / 2;       /* the sub-second phase is kept: 01:30:01.999... */
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0x01);
	f->now += 1;
	assert_int_equal(cmos_get(r, RTC_SECONDS), 0x02);

	/* garbage from the guest is clamped, never trusted */
	cmos_set(r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(r, RTC_MONTH, 0xff);
	cmos_set(r, RTC_DAY_OF_MONTH, 0xff);
	cmos_set(r, RTC_HOURS, 0xff);
	cmos_set(r, RTC_CENTURY, 0xff);
	cmos_set(r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos_get(r, RTC_CENTURY), 0x99);
}

static void test_reg_c_and_interrupts(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	/* update-ended: armed for the next second boundary */
	f->now += SEC / 4;
	cmos_get(r, RTC_REG_C);
	cmos_set(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	assert_int_equal(f->armed, 3 * SEC / 4);
	assert_int_equal(f->level, 0);
	f->now += f->armed;
	rtc_timer_fire(r);
	assert_int_equal(f->level, 1);
	assert_int_equal(f->armed, 0);   /* nothing armed while IRQF is set */
	/* PF follows the 1024 Hz rate of register A even without PIE */
	assert_int_equal(cmos_get(r, RTC_REG_C), RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
	assert_int_equal(f->level, 0);
	assert_int_equal(cmos_get(r, RTC_REG_C), 0);
	assert_int_equal(f->armed, SEC);

	/* periodic at 1024 Hz */
	cmos_set(r, RTC_REG_A, 0x20);                /* stop, then a new phase */
	cmos_set(r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	assert_int_equal(f->armed, 0);
	cmos_set(r, RTC_REG_A, 0x26);
	assert_int_equal(f->armed, 976562);
	f->now += 976562;
	rtc_timer_fire(r);
	assert_int_equal(f->level, 1);
	assert_int_equal(cmos_get(r, RTC_REG_C) & 0xc0, RTC_C_IRQF | RTC_C_PF);
	assert_int_equal(f->level, 0);
	cmos_set(r, RTC_REG_A, 0x20);                /* rate 0: off */
	cmos_set(r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(f->armed, 0);
	cmos_get(r, RTC_REG_C);

	/* alarm at hh:mm:40 of this minute (don't care hour/minute) */
	cmos_set(r, RTC_SECONDS_ALARM, 0x40);
	cmos_set(r, RTC_MINUTES_ALARM, 0xc0);
	cmos_set(r, RTC_HOURS_ALARM, 0xff);
	uint8_t sec = cmos_get(r, RTC_SECONDS);
	assert_int_equal(sec, 0x31);
	cmos_set(r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	uint64_t want = 9 * SEC - (f->now % SEC);
	assert_int_equal(f->armed, want);
	f->now += want;
	rtc_timer_fire(r);
	assert_int_equal(f->level, 1);
	assert_int_equal(cmos_get(r, RTC_REG_C) & RTC_C_AF, RTC_C_AF);

	/* flags without enables: set, but no interrupt */
	cmos_set(r, RTC_REG_B, RTC_B_24H);
	f->now += 2 * SEC;
	assert_int_equal(cmos_get(r, RTC_REG_C), RTC_C_UF);
	assert_int_equal(f->level, 0);
	/* registers C and D are read-only */
	cmos_set(r, RTC_REG_C, 0xff);
	cmos_set(r, RTC_REG_D, 0x00);
	assert_int_equal(cmos_get(r, RTC_REG_C), 0);
	assert_int_equal(cmos_get(r, RTC_REG_D), 0x80);
}

static void test_uip(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	f->now += SEC - 100000;   /* 100 us before the update */
	assert_int_equal(cmos_get(r, RTC_REG_A), 0x26 | RTC_A_UIP);
	f->now += 100000;
	assert_int_equal(cmos_get(r, RTC_REG_A), 0x26);
	cmos_set(r, RTC_REG_A, 0xa6);             /* UIP is read-only */
	assert_int_equal(cmos_get(r, RTC_REG_A), 0x26);
}

static void test_nmi_bit_and_nvram(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	assert_false(rtc_nmi_masked(r));
	rtc_write(r, 0, 0x80 | 0x38);
	assert_true(rtc_nmi_masked(r));
	rtc_write(r, 1, 0x5a);
	assert_int_equal(rtc_nvram_get(r, 0x38), 0x5a);
	rtc_write(r, 0, 0x80 | RTC_REG_D);
	assert_int_equal(rtc_read(r, 1), 0x80);
	rtc_write(r, 0, 0x38);
	assert_false(rtc_nmi_masked(r));
	assert_int_equal(rtc_read(r, 1), 0x5a);
	/* the index port reads 0xff; ports past the data port are dead */
	assert_int_equal(rtc_read(r, 0), 0xff);
	assert_int_equal(rtc_read(r, 2), 0xff);
	rtc_write(r, 5, 0x00);
	assert_int_equal(rtc_read(r, 1), 0x5a);

	/* the machine's NVRAM accessors: no side effects on the clock */
	rtc_nvram_set(r, 0x15, 0x80);
	rtc_nvram_set(r, 0xff, 0x11);            /* masked to 0x7f */
	assert_int_equal(cmos_get(r, 0x15), 0x80);
	assert_int_equal(cmos_get(r, 0x7f), 0x11);
	rtc_nvram_set(r, RTC_SECONDS, 0x59);     /* clock registers: ignored */
	rtc_nvram_set(r, RTC_REG_B, 0xff);
	assert_int_equal(rtc_nvram_get(r, RTC_SECONDS), 0x30);
	assert_int_equal(rtc_nvram_get(r, RTC_REG_B), 0x02);
}

static void test_reset_keeps_cmos(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;

	cmos_set(r, 0x38, 0x42);
	cmos_set(r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(r, RTC_YEAR, 0x30);
	cmos_set(r, RTC_REG_B, RTC_B_24H | RTC_B_DM | RTC_B_PIE | RTC_B_UIE);
	f->now += SEC;
	rtc_timer_fire(r);
	assert_int_equal(f->level, 1);
	rtc_reset(r);
	assert_int_equal(f->level, 0);
	assert_int_equal(f->armed, 0);
	assert_int_equal(cmos_get(r, 0x38), 0x42);
	assert_int_equal(cmos_get(r, RTC_REG_B), RTC_B_24H | RTC_B_DM);
	assert_int_equal(cmos_get(r, RTC_REG_C), 0);
	assert_int_equal(cmos_get(r, RTC_YEAR), 30);
	assert_int_equal(cmos_get(r, RTC_REG_A), 0x26);
}

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	struct rtc *r = f->r;
	struct snap s, l;
	struct fixture g;

	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			cmos_set(r, (uint8_t)i, (uint8_t)(i * 7));
	cmos_set(r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(r, RTC_YEAR, 0x77);
	cmos_set(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	cmos_set(r, RTC_SECONDS_ALARM, 0x12);
	rtc_write(r, 0, 0x80 | 0x40);

	snap_init_save(&s);
	assert_int_equal(rtc_snapshot(r, &s), 0);

	memset(&g, 0, sizeof(g));
	g.now = f->now;
	g.line = f->line;
	g.line.ctx = &g;
	g.timer.arm = fake_arm;
	g.timer.ctx = &g;
	struct rtc *v = rtc_create(&g.line, fake_clock, &g, &g.timer);
	assert_non_null(v);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(rtc_snapshot(v, &l), 0);
	assert_int_equal(l.pos, l.len);
	assert_true(rtc_nmi_masked(v));
	assert_int_equal(g.armed, f->armed);   /* UIE re-armed after load */

	f->now += 5 * SEC;
	g.now = f->now;
	for (unsigned int i = 0; i < 0x80; i++)
		assert_int_equal(rtc_nvram_get(v, (uint8_t)i), rtc_nvram_get(r, (uint8_t)i));
	for (unsigned int i = 0; i < 0x80; i++)
		assert_int_equal(cmos_get(v, (uint8_t)i), cmos_get(r, (uint8_t)i));
	assert_int_equal(cmos_get(v, RTC_YEAR), 0x77);

	/* an out-of-range index is refused */
	size_t index_at = s.len - (8 + 4 + 8) - 1 - 1;
	s.buf[index_at] = 0x80;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(rtc_snapshot(v, &l), -EINVAL);
	snap_free(&s);
	rtc_destroy(v);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_known_date_bcd_binary, setup, teardown),
	cmocka_unit_test_setup_teardown(test_12h_mode, setup, teardown),
	cmocka_unit_test_setup_teardown(test_century, setup, teardown),
	cmocka_unit_test_setup_teardown(test_guest_sets_time, setup, teardown),
	cmocka_unit_test_setup_teardown(test_reg_c_and_interrupts, setup, teardown),
	cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_nmi_bit_and_nvram, setup, teardown),
	cmocka_unit_test_setup_teardown(test_reset_keeps_cmos, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
};

UNIT_SUITE(rtc, tests);
