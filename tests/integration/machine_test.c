/*
 * machine_test.c - timers, RTC, power and reset paths, crash reports, on
 * /dev/kvm with the test kernel.
 */
#include "../unit/unit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BOOT_TIMEOUT 120

static void test_timers(void **state)
{
	struct vm_proc p;
	char buf[256];
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", "tk.test=timer,poweroff", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	assert_int_equal(p.status, 0);
	/* PIT through IOAPIC pin 2 (the MADT override) and the LAPIC timer */
	assert_non_null(harness_line(p.out, "timer: pit", buf, sizeof(buf)));
	assert_string_equal(buf, "timer: pit ticks=10");
	assert_non_null(harness_line(p.out, "timer: lapic", buf, sizeof(buf)));
	assert_string_equal(buf, "timer: lapic ticks=10");
	harness_free(&p);
}

static void fmt_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "rtc: %Y-%m-%d %H:%M:%S", &tm);
}

static void test_rtc_reads_host_time(void **state)
{
	struct vm_proc p;
	char got[256], lo[64], hi[64];
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.pvh"),
			       "--memory", "64M", "--append", "tk.test=rtc,poweroff", NULL };
	(void)state;

	harness_require_kvm();
	time_t before = time(NULL);
	harness_run(&p, argv, BOOT_TIMEOUT);
	time_t after = time(NULL);
	assert_int_equal(p.status, 0);
	assert_non_null(harness_line(p.out, "rtc: ", got, sizeof(got)));
	/* the guest read the clock between our two readings (UTC); the
	 * format sorts as text, so compare as strings */
	fmt_utc(before - 1, lo, sizeof(lo));
	fmt_utc(after + 1, hi, sizeof(hi));
	if (strcmp(got, lo) < 0 || strcmp(got, hi) > 0)
		fail_msg("guest RTC '%s' outside ['%s', '%s']", got, lo, hi);
	harness_free(&p);
}

static void test_triple_fault(void **state)
{
	struct vm_proc p;
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", "tk.test=triplefault", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	assert_non_null(strstr(p.out, "triplefault: now"));
	/* non-zero, a clear message, registers and the code bytes */
	assert_int_equal(p.status, 2);
	assert_non_null(strstr(p.err, "triple fault"));
	assert_non_null(strstr(p.err, "rip="));
	assert_non_null(strstr(p.err, "cr0="));
	assert_non_null(strstr(p.err, "code at "));
	harness_free(&p);
}

static void check_reset(const char *how)
{
	struct vm_proc p;
	char append[128];
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", append, NULL };

	snprintf(append, sizeof(append), "tk.test=reset,poweroff%s", how);
	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	assert_int_equal(p.status, 0);
	/* two boots: the CMOS counter survives the reset, RAM does not */
	assert_int_equal(harness_count_lines(p.out, "testkernel: boot="), 2);
	char *first = strstr(p.out, "reset: count=0");
	assert_non_null(first);
	char *second = strstr(first, "reset: count=1");
	assert_non_null(second);
	assert_non_null(strstr(second, "reset: survived"));
	assert_null(strstr(p.out, "reset: FAIL"));
	harness_free(&p);
}

static void test_reset_i8042(void **state)
{
	(void)state;
	check_reset("");
}

static void test_reset_cf9(void **state)
{
	(void)state;
	check_reset(" tk.reset=cf9");
}

static void test_power_button_on_sigterm(void **state)
{
	struct vm_proc p;
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.pvh"),
			       "--memory", "64M", "--append", "tk.test=powerbutton", NULL };
	(void)state;

	harness_require_kvm();
	harness_spawn(&p, argv);
	assert_true(harness_wait_for(&p, "powerbutton: waiting", BOOT_TIMEOUT));
	/* SIGTERM presses the ACPI power button; the guest powers off */
	kill(p.pid, SIGTERM);
	harness_wait_exit(&p, BOOT_TIMEOUT);
	assert_non_null(strstr(p.out, "powerbutton: pressed"));
	assert_non_null(strstr(p.err, "power button"));
	assert_int_equal(p.status, 0);
	harness_free(&p);
}

static void test_second_signal_forces_stop(void **state)
{
	struct vm_proc p;
	/* a guest that never looks at the power button */
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.pvh"),
			       "--memory", "64M", "--append", "tk.test=report", NULL };
	(void)state;

	harness_require_kvm();
	harness_spawn(&p, argv);
	assert_true(harness_wait_for(&p, "testkernel: boot=pvh", BOOT_TIMEOUT));
	kill(p.pid, SIGTERM);
	usleep(300 * 1000);
	kill(p.pid, SIGTERM);
	harness_wait_exit(&p, 30);
	assert_false(p.timed_out);
	assert_int_equal(p.status, 3);
	harness_free(&p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_timers),
	cmocka_unit_test(test_rtc_reads_host_time),
	cmocka_unit_test(test_triple_fault),
	cmocka_unit_test(test_reset_i8042),
	cmocka_unit_test(test_reset_cf9),
	cmocka_unit_test(test_power_button_on_sigterm),
	cmocka_unit_test(test_second_signal_forces_stop),
};

UNIT_SUITE(machine, tests);
