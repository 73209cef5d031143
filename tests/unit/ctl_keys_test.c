/*
 * ctl_keys_test.c - the control socket's key player on a real event loop
 * (this thread runs it): events in order, never sooner than their pause
 * (timers do not fire early, so the lower bounds are behaviour, not
 * speed), combinations held, done after a job's last event and never for
 * a forgotten client, a bounded queue; and the parsers, with the key
 * table.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "vmm/ctl_keys.h"
#include "vmm/evloop.h"

#define MAXREC 64

struct rec {
	unsigned int code;
	bool down;
	uint64_t ns;
};

struct kfx {
	struct evloop *el;
	struct ctl_keys *k;
	struct rec rec[MAXREC];
	unsigned int nrec;
	unsigned int done[4];      /* events sent when job i was done */
	unsigned int ndone;
	unsigned int want_done;
};

struct job_tag {
	struct kfx *f;
	unsigned int id;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void rec_send(void *ctx, unsigned int code, bool down)
{
	struct kfx *f = ctx;

	if (f->nrec < MAXREC)
		f->rec[f->nrec++] = (struct rec){ code, down, now_ns() };
}

static void rec_done(void *opaque)
{
	struct job_tag *t = opaque;
	struct kfx *f = t->f;

	assert_true(t->id < 4);
	f->done[t->id] = f->nrec;
	if (++f->ndone == f->want_done)
		evloop_stop(f->el);
}

static int setup(void **state)
{
	struct kfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(evloop_create(&f->el), 0);
	assert_int_equal(ctl_keys_create(&f->k, f->el, rec_send, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct kfx *f = *state;

	ctl_keys_destroy(f->k);
	evloop_destroy(f->el);
	free(f);
	return 0;
}

static void guard_fired(void *opaque)
{
	evloop_stop(opaque);
}

/* Runs the loop until want jobs are done (or 5 s, a failure). */
static void run_until(struct kfx *f, unsigned int want)
{
	struct evloop_timer *guard = evloop_timer_new(f->el, guard_fired, f->el);

	f->want_done = want;
	evloop_timer_arm(guard, 5000000000ULL, 0);
	evloop_run(f->el);
	evloop_timer_free(guard);
	assert_int_equal(f->ndone, want);
}

static const struct ctl_key_event combo[] = {
	{ 29, true }, { 56, true }, { 111, true }, { 111, false }, { 56, false }, { 29, false },
};

static void test_combo_paced(void **state)
{
	struct kfx *f = *state;
	struct job_tag t = { f, 0 };

	assert_int_equal(ctl_keys_play(f->k, combo, ARRAY_SIZE(combo), 5, 30, rec_done, &t), 0);
	assert_int_equal(ctl_keys_pending(f->k), 6);
	assert_int_equal(f->nrec, 0);          /* nothing from inside play */
	run_until(f, 1);
	assert_int_equal(f->nrec, 6);
	assert_int_equal(f->done[0], 6);
	assert_int_equal(ctl_keys_pending(f->k), 0);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(f->rec[i].code, combo[i].code);
		assert_int_equal(f->rec[i].down, combo[i].down);
		if (i) {
			uint64_t gap = f->rec[i].ns - f->rec[i - 1].ns;
			uint64_t min = (i == 3 ? 30 : 5) * 1000000ULL;  /* held before releases */
			if (gap < min)
				fail_msg("event %u came %llu ns after the one before", i,
					 (unsigned long long)gap);
		}
	}
}

static void test_jobs_in_order(void **state)
{
	struct kfx *f = *state;
	struct job_tag t0 = { f, 0 }, t1 = { f, 1 }, t2 = { f, 2 };
	struct ctl_key_event a[] = { { 30, true }, { 30, false } };
	struct ctl_key_event b[] = { { 48, true }, { 48, false }, { 46, true }, { 46, false } };

	assert_int_equal(ctl_keys_play(f->k, a, 2, 2, 2, rec_done, &t0), 0);
	assert_int_equal(ctl_keys_play(f->k, b, 4, 2, 2, rec_done, &t1), 0);
	/* a client that went away: its keys still go, no done */
	assert_int_equal(ctl_keys_play(f->k, a, 2, 2, 2, rec_done, &t2), 0);
	ctl_keys_forget(f->k, &t2);
	assert_int_equal(ctl_keys_play(f->k, b, 2, 2, 2, rec_done, &t0), 0);
	run_until(f, 3);
	assert_int_equal(f->nrec, 10);
	unsigned int want[] = { 30, 30, 48, 48, 46, 46, 30, 30, 48, 48 };
	for (unsigned int i = 0; i < 10; i++) {
		assert_int_equal(f->rec[i].code, want[i]);
		if (i && f->rec[i].ns - f->rec[i - 1].ns < 2000000ULL)
			fail_msg("event %u too soon", i);
	}
	assert_int_equal(f->done[1], 6);
	assert_int_equal(f->done[0], 10);     /* the fourth job reused tag 0 */
	assert_int_equal(f->done[2], 0);      /* forgotten */
}

/* A job that comes while the keyboard is idle but the last key was just
 * now still waits its pause. */
static void test_pause_after_idle(void **state)
{
	struct kfx *f = *state;
	struct job_tag t0 = { f, 0 }, t1 = { f, 1 };
	struct ctl_key_event a[] = { { 30, true }, { 30, false } };

	assert_int_equal(ctl_keys_play(f->k, a, 2, 40, 40, rec_done, &t0), 0);
	run_until(f, 1);
	assert_int_equal(ctl_keys_play(f->k, a, 2, 40, 40, rec_done, &t1), 0);
	f->ndone = 0;
	run_until(f, 1);
	assert_int_equal(f->nrec, 4);
	if (f->rec[2].ns - f->rec[1].ns < 40000000ULL)
		fail_msg("the second job started too soon");
}

static void test_limits(void **state)
{
	struct kfx *f = *state;
	struct ctl_key_event *many = calloc(CTL_KEYS_QUEUE_MAX + 1, sizeof(*many));

	assert_non_null(many);
	assert_int_equal(ctl_keys_play(f->k, many, 0, 1, 1, NULL, NULL), -EINVAL);
	assert_int_equal(ctl_keys_play(f->k, many, CTL_KEYS_QUEUE_MAX + 1, 1, 1, NULL, NULL),
			 -ENOSPC);
	assert_int_equal(ctl_keys_play(f->k, many, CTL_KEYS_QUEUE_MAX - 1, 1, 1, NULL, NULL), 0);
	assert_int_equal(ctl_keys_play(f->k, many, 2, 1, 1, NULL, NULL), -ENOSPC);
	assert_int_equal(ctl_keys_play(f->k, many, 1, 1, 1, NULL, NULL), 0);
	assert_int_equal(ctl_keys_pending(f->k), CTL_KEYS_QUEUE_MAX);
	free(many);
	/* destroyed with jobs queued: freed (ASan checks) */
}

/* The parsers, with the real key table. */
static void test_parse(void **state)
{
	struct ctl_key_event ev[64];
	char bad[40];
	size_t at = 99;
	(void)state;

	assert_int_equal(ctl_keys_combo("ctrl--", ev, bad, sizeof(bad)), 4);
	assert_int_equal(ev[0].code, 29);
	assert_int_equal(ev[1].code, 12);
	assert_false(ev[2].down);
	assert_int_equal(ev[3].code, 29);
	assert_int_equal(ctl_keys_combo("CTRL-Alt-F2", ev, bad, sizeof(bad)), 6);
	assert_int_equal(ev[2].code, 60);
	assert_int_equal(ctl_keys_combo("shift-a-b-c-d-e-f-g", ev, bad, sizeof(bad)), 16);
	assert_int_equal(ctl_keys_combo("shift-a-b-c-d-e-f-g-h", ev, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "h");
	assert_int_equal(ctl_keys_combo("ctrl-nokey", ev, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "nokey");
	assert_int_equal(ctl_keys_combo("a--b", ev, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(ctl_keys_combo("", ev, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(ctl_keys_combo("averyveryverylongnamethatisnokeyatall", ev, bad,
					sizeof(bad)), -EINVAL);

	/* Tab after a capital goes without Shift */
	assert_int_equal(ctl_keys_text("A\t", ev, ARRAY_SIZE(ev), &at), 6);
	assert_int_equal(ev[0].code, 42);
	assert_true(ev[0].down);
	assert_int_equal(ev[3].code, 42);
	assert_false(ev[3].down);
	assert_int_equal(ev[4].code, 15);
	assert_int_equal(ctl_keys_text("abc", ev, 5, &at), -E2BIG);
	assert_int_equal(ctl_keys_text("ab\x01", ev, ARRAY_SIZE(ev), &at), -EINVAL);
	assert_int_equal(at, 2);
	/* every printable character is typable, with at most 4 events */
	for (int c = 0x20; c < 0x7f; c++) {
		char one[2] = { (char)c, 0 };
		int n = ctl_keys_text(one, ev, ARRAY_SIZE(ev), &at);
		if (n != 2 && n != 4)
			fail_msg("character 0x%02x: %d events", c, n);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse),
	cmocka_unit_test_setup_teardown(test_combo_paced, setup, teardown),
	cmocka_unit_test_setup_teardown(test_jobs_in_order, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pause_after_idle, setup, teardown),
	cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
};

UNIT_SUITE(ctl_keys, tests);
