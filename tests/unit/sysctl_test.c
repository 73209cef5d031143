/*
 * sysctl_test.c - port 0x92 (A20, fast reset) and 0xCF9 (reset control).
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "vmm/dev/sysctl.h"
#include "vmm/layout.h"
#include "vmm/snap.h"

struct fixture {
	unsigned int resets, other;
	struct sysctl *sc;
};

static void fake_req(void *ctx, enum vm_request req)
{
	struct fixture *f = ctx;
	if (req == VM_REQ_RESET)
		f->resets++;
	else
		f->other++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vm_request_cb req = { fake_req, NULL };

	if (!f)
		return -1;
	req.ctx = f;
	f->sc = sysctl_create(&req);
	if (!f->sc) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sysctl_destroy(f->sc);
	free(f);
	return 0;
}

static void test_port_a(void **state)
{
	struct fixture *f = *state;
	struct sysctl *sc = f->sc;

	assert_int_equal(sysctl_read(sc, PORT_SYSCTL_A), SYSCTL_A_A20);
	/* Linux's enable_a20_fast: set bit 1, clear bit 0 */
	uint8_t a = sysctl_read(sc, PORT_SYSCTL_A);
	sysctl_write(sc, PORT_SYSCTL_A, (uint8_t)((a | 0x02) & ~0x01));
	assert_int_equal(f->resets, 0);
	assert_int_equal(sysctl_read(sc, PORT_SYSCTL_A), 0x02);
	sysctl_write(sc, PORT_SYSCTL_A, 0x00);
	assert_int_equal(sysctl_read(sc, PORT_SYSCTL_A), 0x00);
	sysctl_write(sc, PORT_SYSCTL_A, 0x02);
	assert_int_equal(sysctl_read(sc, PORT_SYSCTL_A), 0x02);
	/* bit 0: fast reset, reads back 0 */
	sysctl_write(sc, PORT_SYSCTL_A, 0x03);
	assert_int_equal(f->resets, 1);
	assert_int_equal(sysctl_read(sc, PORT_SYSCTL_A), 0x02);
	sysctl_write(sc, PORT_SYSCTL_A, 0x01);
	assert_int_equal(f->resets, 2);
	assert_int_equal(f->other, 0);
}

static void test_reset_ctl(void **state)
{
	struct fixture *f = *state;
	struct sysctl *sc = f->sc;

	assert_int_equal(sysctl_read(sc, PORT_RESET_CTL), 0);
	/* SYS_RST alone selects the kind of reset, does not reset */
	sysctl_write(sc, PORT_RESET_CTL, RESET_CTL_SYS_RST);
	assert_int_equal(f->resets, 0);
	assert_int_equal(sysctl_read(sc, PORT_RESET_CTL), RESET_CTL_SYS_RST);
	/* the FADT RESET_REG value */
	sysctl_write(sc, PORT_RESET_CTL, RESET_CTL_VALUE);
	assert_int_equal(f->resets, 1);
	assert_int_equal(sysctl_read(sc, PORT_RESET_CTL), RESET_CTL_VALUE & ~RESET_CTL_RST_CPU);
	sysctl_write(sc, PORT_RESET_CTL, 0x0e);
	assert_int_equal(f->resets, 2);
	assert_int_equal(sysctl_read(sc, PORT_RESET_CTL), 0x0a);
	/* other ports are not ours */
	assert_int_equal(sysctl_read(sc, 0xcf8), 0xff);
	sysctl_write(sc, 0xcfa, 0x04);
	assert_int_equal(f->resets, 2);

	sysctl_reset(sc);
	assert_int_equal(sysctl_read(sc, PORT_RESET_CTL), 0);
	assert_int_equal(sysctl_read(sc, PORT_SYSCTL_A), SYSCTL_A_A20);
}

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	struct snap s, l;

	sysctl_write(f->sc, PORT_SYSCTL_A, 0x00);
	sysctl_write(f->sc, PORT_RESET_CTL, 0x08);
	snap_init_save(&s);
	assert_int_equal(sysctl_snapshot(f->sc, &s), 0);
	struct sysctl *t = sysctl_create(NULL);
	assert_non_null(t);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(sysctl_snapshot(t, &l), 0);
	assert_int_equal(sysctl_read(t, PORT_SYSCTL_A), 0x00);
	assert_int_equal(sysctl_read(t, PORT_RESET_CTL), 0x08);
	s.buf[s.len - 1] = 0x04;     /* a stored RST_CPU is refused */
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(sysctl_snapshot(t, &l), -EINVAL);
	sysctl_write(t, PORT_RESET_CTL, 0x04);   /* no callback: no crash */
	snap_free(&s);
	sysctl_destroy(t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_port_a, setup, teardown),
	cmocka_unit_test_setup_teardown(test_reset_ctl, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
};

UNIT_SUITE(sysctl, tests);
