/*
 * cli_test.c - `ttyvm run` with bad input: one clear line naming the
 * option and what is allowed, a non-zero exit, no crash, no guest started.
 */
#include "../unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Runs ttyvm with argv and checks exit 1 and that stderr names want. */
static void expect_error(const char *const *argv, const char *want, const char *env)
{
	struct vm_proc p;

	harness_spawn_env(&p, argv, env);
	harness_wait_exit(&p, 30);
	if (p.status != 1 || !strstr(p.err, want))
		fail_msg("status %d, stderr '%s', wanted exit 1 and '%s'", p.status, p.err, want);
	/* one line, not a dump; nothing from a guest */
	assert_true(harness_count_lines(p.err, "ttyvm: error: ") >= 1);
	assert_int_equal(p.out_len, 0);
	harness_free(&p);
}

static void test_missing_kernel_file(void **state)
{
	const char *argv[] = { "run", "--kernel", "/nonexistent/bzImage", NULL };
	(void)state;
	expect_error(argv, "--kernel /nonexistent/bzImage: No such file or directory", NULL);
}

static void test_missing_firmware(void **state)
{
	const char *argv[] = { "run", "--memory", "64M", "--firmware", "/nonexistent/bios.bin",
			       NULL };
	(void)state;
	expect_error(argv, "--firmware /nonexistent/bios.bin: No such file or directory", NULL);
}

static void test_bad_disk_option(void **state)
{
	const char *argv[] = { "run", "--disk", "/tmp/x.img,if=scsi", NULL };
	(void)state;
	expect_error(argv, "--disk /tmp/x.img,if=scsi: unknown option 'if=scsi' (allowed: "
			   "if=virtio, if=ahci, ro", NULL);
}

static void test_not_a_kernel(void **state)
{
	char *f = harness_temp_text("#!/bin/sh\necho this is not a kernel\n");
	const char *argv[] = { "run", "--kernel", f, "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	expect_error(argv, "not a Linux kernel", NULL);
	unlink(f);
	free(f);
}

static void test_empty_kernel(void **state)
{
	char *f = harness_temp_text("");
	const char *argv[] = { "run", "--kernel", f, "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	expect_error(argv, f, NULL);
	unlink(f);
	free(f);
}

static void test_memory_zero(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "0", NULL };
	(void)state;
	expect_error(argv, "--memory 0: a VM needs at least 2 MiB", NULL);
}

static void test_memory_garbage(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "lots", NULL };
	(void)state;
	expect_error(argv, "--memory lots: expected a size such as 512M or 2G", NULL);
}

static void test_memory_more_than_host(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64T", NULL };
	(void)state;

	harness_require_kvm();
	expect_error(argv, "is more than this host's", NULL);
}

static void test_cpus_zero(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--cpus", "0", NULL };
	(void)state;
	expect_error(argv, "--cpus 0: expected a number of vCPUs", NULL);
}

static void test_cpus_too_many(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--cpus", "1000", "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	expect_error(argv, "--cpus 1000: this host's KVM allows 1 to", NULL);
}

static void test_unknown_option(void **state)
{
	const char *argv[] = { "run", "--kernal", "x", NULL };
	(void)state;
	expect_error(argv, "unknown option --kernal", NULL);
}

static void test_bad_serial(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--serial", "usb", NULL };
	(void)state;
	expect_error(argv, "--serial usb: expected stdio, file:PATH, pty or none", NULL);
}

static void test_no_kvm_device(void **state)
{
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", NULL };
	(void)state;
	expect_error(argv, "/nonexistent/kvm does not exist: KVM is not available",
		     "TTYVM_KVM_DEVICE=/nonexistent/kvm");
}

static void test_serial_to_file(void **state)
{
	struct vm_proc p;
	char path[] = "/tmp/ttyvm-serial-XXXXXX";
	char arg[64], buf[4096];
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	snprintf(arg, sizeof(arg), "file:%s", path);
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--serial", arg, NULL };
	harness_require_kvm();
	harness_run(&p, argv, 120);
	assert_int_equal(p.status, 0);
	assert_int_equal(p.out_len, 0); /* nothing on stdout */
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "testkernel: boot=bzimage"));
	assert_non_null(strstr(buf, "testkernel: done"));
	unlink(path);
	harness_free(&p);
}

static void test_help(void **state)
{
	struct vm_proc p;
	const char *argv[] = { "run", "--help", NULL };
	(void)state;

	harness_run(&p, argv, 10);
	assert_int_equal(p.status, 0);
	assert_non_null(strstr(p.out, "usage: ttyvm run"));
	assert_non_null(strstr(p.out, "--kernel"));
	harness_free(&p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_missing_kernel_file),
	cmocka_unit_test(test_missing_firmware),
	cmocka_unit_test(test_bad_disk_option),
	cmocka_unit_test(test_not_a_kernel),
	cmocka_unit_test(test_empty_kernel),
	cmocka_unit_test(test_memory_zero),
	cmocka_unit_test(test_memory_garbage),
	cmocka_unit_test(test_memory_more_than_host),
	cmocka_unit_test(test_cpus_zero),
	cmocka_unit_test(test_cpus_too_many),
	cmocka_unit_test(test_unknown_option),
	cmocka_unit_test(test_bad_serial),
	cmocka_unit_test(test_no_kvm_device),
	cmocka_unit_test(test_serial_to_file),
	cmocka_unit_test(test_help),
};

UNIT_SUITE(cli, tests);
