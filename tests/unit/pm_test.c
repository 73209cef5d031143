/*
 * pm_test.c - ACPI fixed hardware: sleep requests, power button and SCI,
 * the PM timer, access widths, snapshot.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/pm.h"
#include "vmm/layout.h"
#include "vmm/snap.h"

struct fixture {
	uint64_t now;
	int sci;
	unsigned int sci_calls;
	unsigned int poweroffs, other_req;
	struct pm *p;
};

static uint64_t fake_clock(void *ctx)
{
	return ((struct fixture *)ctx)->now;
}

static void fake_irq(void *ctx, unsigned int gsi, int level)
{
	struct fixture *f = ctx;
	assert_int_equal(gsi, IRQ_SCI);
	f->sci_calls++;
	f->sci = level;
}

static void fake_req(void *ctx, enum vm_request req)
{
	struct fixture *f = ctx;
	if (req == VM_REQ_POWEROFF)
		f->poweroffs++;
	else
		f->other_req++;
}

static struct pm *make(struct fixture *f)
{
	struct irq_line sci = { fake_irq, f, IRQ_SCI };
	struct vm_request_cb req = { fake_req, f };
	return pm_create(&sci, &req, fake_clock, f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->now = 1000000000ULL * 3600;   /* the host has been up an hour */
	f->p = make(f);
	if (!f->p) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pm_destroy(f->p);
	free(f);
	return 0;
}

#define SLP(typ) ((uint32_t)(typ) << PM1_CNT_SLP_TYP_SHIFT)

static void test_poweroff_s5(void **state)
{
	struct fixture *f = *state;
	struct pm *p = f->p;

	assert_int_equal(pm_read(p, PM_BLK_CNT, 0, 2), PM1_CNT_SCI_EN);
	/* ACPICA: SLP_TYP first, then SLP_TYP | SLP_EN */
	pm_write(p, PM_BLK_CNT, 0, 2, SLP(ACPI_SLP_TYP_S5) | PM1_CNT_SCI_EN);
	assert_int_equal(f->poweroffs, 0);
	assert_int_equal(pm_read(p, PM_BLK_CNT, 0, 2),
			 SLP(ACPI_SLP_TYP_S5) | PM1_CNT_SCI_EN);
	pm_write(p, PM_BLK_CNT, 0, 2, SLP(ACPI_SLP_TYP_S5) | PM1_CNT_SLP_EN);
	assert_int_equal(f->poweroffs, 1);
	/* SLP_EN is write-only, SCI_EN stays 1 */
	assert_int_equal(pm_read(p, PM_BLK_CNT, 0, 2),
			 SLP(ACPI_SLP_TYP_S5) | PM1_CNT_SCI_EN);
	/* a byte write to the high byte carries both fields */
	pm_write(p, PM_BLK_CNT, 1, 1, (SLP(ACPI_SLP_TYP_S5) | PM1_CNT_SLP_EN) >> 8);
	assert_int_equal(f->poweroffs, 2);
	/* a dword write starting at the block works too */
	pm_write(p, PM_BLK_CNT, 0, 4, SLP(ACPI_SLP_TYP_S5) | PM1_CNT_SLP_EN);
	assert_int_equal(f->poweroffs, 3);
	assert_int_equal(f->other_req, 0);
}

static void test_no_poweroff_otherwise(void **state)
{
	struct fixture *f = *state;
	struct pm *p = f->p;

	for (unsigned int typ = 0; typ < 8; typ++) {
		if (typ == ACPI_SLP_TYP_S5)
			continue;
		pm_write(p, PM_BLK_CNT, 0, 2, SLP(typ) | PM1_CNT_SLP_EN);
		/* not implemented: wakes at once */
		assert_true(pm_read(p, PM_BLK_EVT, 0, 2) & PM1_WAK_STS);
		pm_write(p, PM_BLK_EVT, 0, 2, PM1_WAK_STS);
		assert_false(pm_read(p, PM_BLK_EVT, 0, 2) & PM1_WAK_STS);
	}
	/* S5 without SLP_EN; SLP_EN in a low-byte-only write */
	pm_write(p, PM_BLK_CNT, 0, 2, SLP(ACPI_SLP_TYP_S5));
	pm_write(p, PM_BLK_CNT, 0, 1, 0xff);
	assert_int_equal(f->poweroffs, 0);
	assert_int_equal(f->other_req, 0);
	assert_int_equal(f->sci, 0);
}

static void test_power_button_sci(void **state)
{
	struct fixture *f = *state;
	struct pm *p = f->p;

	pm_power_button(p);
	assert_int_equal(pm_read(p, PM_BLK_EVT, 0, 2) & PM1_PWRBTN, PM1_PWRBTN);
	assert_int_equal(f->sci, 0);          /* not enabled */
	assert_int_equal(f->sci_calls, 0);
	pm_write(p, PM_BLK_EVT, 2, 2, PM1_PWRBTN);
	assert_int_equal(pm_read(p, PM_BLK_EVT, 2, 2), PM1_PWRBTN);
	assert_int_equal(f->sci, 1);          /* pending status now enabled */
	/* writing 0 bits clears nothing */
	pm_write(p, PM_BLK_EVT, 0, 2, 0);
	assert_int_equal(f->sci, 1);
	/* W1C via a dword write that also keeps EN */
	pm_write(p, PM_BLK_EVT, 0, 4, PM1_PWRBTN | ((uint32_t)PM1_PWRBTN << 16));
	assert_int_equal(f->sci, 0);
	assert_int_equal(pm_read(p, PM_BLK_EVT, 0, 4), (uint32_t)PM1_PWRBTN << 16);
	pm_power_button(p);
	assert_int_equal(f->sci, 1);
	assert_int_equal(f->sci_calls, 3);
	/* byte W1C at offset 1 (bit 8 is bit 0 of byte 1) */
	pm_write(p, PM_BLK_EVT, 1, 1, 0x01);
	assert_int_equal(f->sci, 0);
	assert_int_equal(f->sci_calls, 4);

	/* GPE0 */
	pm_gpe_raise(p, 3);
	pm_gpe_raise(p, 99);                  /* ignored */
	assert_int_equal(f->sci, 0);
	assert_int_equal(pm_read(p, PM_BLK_GPE0, 0, 4), 0x0008);
	pm_write(p, PM_BLK_GPE0, 2, 1, 0x08);
	assert_int_equal(f->sci, 1);
	pm_write(p, PM_BLK_GPE0, 0, 1, 0x08);
	assert_int_equal(f->sci, 0);
	assert_int_equal(pm_read(p, PM_BLK_GPE0, 0, 4), 0x00080000);

	/* reset clears status and enables */
	pm_power_button(p);
	assert_int_equal(f->sci, 1);
	pm_reset(p);
	assert_int_equal(f->sci, 0);
	assert_int_equal(pm_read(p, PM_BLK_EVT, 0, 4), 0);
	assert_int_equal(pm_read(p, PM_BLK_GPE0, 0, 4), 0);
	assert_int_equal(pm_read(p, PM_BLK_CNT, 0, 2), PM1_CNT_SCI_EN);
}

static void test_timer(void **state)
{
	struct fixture *f = *state;
	struct pm *p = f->p;
	uint32_t t0, t1;

	t0 = pm_read(p, PM_BLK_TMR, 0, 4);
	f->now += 1000000000ULL;
	t1 = pm_read(p, PM_BLK_TMR, 0, 4);
	assert_int_equal(t1 - t0, PM_TMR_HZ);
	f->now += 1000;                       /* 1 us = 3.58 ticks */
	assert_in_range(pm_read(p, PM_BLK_TMR, 0, 4) - t1, 3, 4);
	/* writes are ignored */
	pm_write(p, PM_BLK_TMR, 0, 4, 0);
	assert_in_range(pm_read(p, PM_BLK_TMR, 0, 4) - t1, 3, 4);
	/* narrow reads see the same count */
	uint32_t full = pm_read(p, PM_BLK_TMR, 0, 4);
	assert_int_equal(pm_read(p, PM_BLK_TMR, 0, 1), full & 0xff);
	assert_int_equal(pm_read(p, PM_BLK_TMR, 2, 2), full >> 16);
	assert_int_equal(pm_read(p, PM_BLK_TMR, 3, 1), full >> 24);

	/* wraps at 32 bits: 2^32 ticks is about 1200 s */
	pm_write(p, PM_BLK_EVT, 0, 2, 0xffff);   /* clear TMR_STS */
	f->now += 1200ULL * 1000000000ULL;
	uint32_t t2 = pm_read(p, PM_BLK_TMR, 0, 4);
	uint64_t ticks = 1200ULL * PM_TMR_HZ;
	assert_int_equal(t2, (uint32_t)(full + ticks));
	/* step just past the next wrap: the count starts again near 0 */
	uint64_t left = 0x100000000ULL - t2;
	f->now += left * 1000000000ULL / PM_TMR_HZ + 1000000;   /* + 1 ms */
	uint32_t t3 = pm_read(p, PM_BLK_TMR, 0, 4);
	assert_in_range(t3, 3570, 3590);
	/* bit 31 toggled: TMR_STS */
	assert_true(pm_read(p, PM_BLK_EVT, 0, 2) & PM1_TMR);

	/* no overflow in the conversion after a long host uptime */
	f->now = 200ULL * 24 * 3600 * 1000000000ULL;
	t0 = pm_read(p, PM_BLK_TMR, 0, 4);
	f->now += 1000000000ULL;
	assert_int_equal(pm_read(p, PM_BLK_TMR, 0, 4) - t0, PM_TMR_HZ);
}

static void test_access_widths(void **state)
{
	struct fixture *f = *state;
	struct pm *p = f->p;

	pm_write(p, PM_BLK_EVT, 2, 2, 0xffff);     /* only real EN bits stick */
	assert_int_equal(pm_read(p, PM_BLK_EVT, 2, 2),
			 PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC);
	assert_int_equal(pm_read(p, PM_BLK_EVT, 3, 1), 0x07);
	/* past the end of a block: all ones, nothing written */
	assert_int_equal(pm_read(p, PM_BLK_EVT, 3, 2), 0xff07);
	assert_int_equal(pm_read(p, PM_BLK_CNT, 1, 4), 0xffffff00);
	assert_int_equal(pm_read(p, PM_BLK_EVT, 7, 1), 0xff);
	pm_write(p, PM_BLK_EVT, 9, 4, 0);
	pm_write(p, PM_BLK_GPE0, 3, 4, 0xffffffff);
	assert_int_equal(pm_read(p, PM_BLK_GPE0, 2, 2), 0xff00);
	assert_int_equal(pm_read(p, (enum pm_block)17, 0, 4), 0xffffffff);
	pm_write(p, (enum pm_block)17, 0, 4, 0);
	(void)f;
}

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	struct fixture g;
	struct pm *p = f->p;
	struct snap s, l;

	pm_write(p, PM_BLK_EVT, 2, 2, PM1_PWRBTN);
	pm_write(p, PM_BLK_GPE0, 2, 2, 0x0101);
	pm_gpe_raise(p, 8);
	pm_write(p, PM_BLK_CNT, 0, 2, SLP(3));
	f->now += 12345678;
	uint32_t tmr = pm_read(p, PM_BLK_TMR, 0, 4);

	snap_init_save(&s);
	assert_int_equal(pm_snapshot(p, &s), 0);

	memset(&g, 0, sizeof(g));
	g.now = 5;                            /* another host, just booted */
	struct pm *q = make(&g);
	assert_non_null(q);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(pm_snapshot(q, &l), 0);
	assert_int_equal(l.pos, l.len);
	assert_int_equal(g.sci, 1);
	for (enum pm_block b = PM_BLK_EVT; b < PM_NBLOCKS; b++)
		assert_int_equal(pm_read(q, b, 0, 4), pm_read(p, b, 0, 4));
	/* the timer continues from the saved count */
	assert_int_equal(pm_read(q, PM_BLK_TMR, 0, 4), tmr);
	g.now += 1000000000ULL;
	assert_int_equal(pm_read(q, PM_BLK_TMR, 0, 4) - tmr, PM_TMR_HZ);

	/* invalid enable bits are refused */
	s.buf[s.len - 8 - 2 - 2 - 2 - 2 - 1] = 0xff;   /* PM1_EN high byte */
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(pm_snapshot(q, &l), -EINVAL);
	snap_free(&s);
	pm_destroy(q);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_poweroff_s5, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_poweroff_otherwise, setup, teardown),
	cmocka_unit_test_setup_teardown(test_power_button_sci, setup, teardown),
	cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
	cmocka_unit_test_setup_teardown(test_access_widths, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
};

UNIT_SUITE(pm, tests);
