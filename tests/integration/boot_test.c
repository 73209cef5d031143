/*
 * boot_test.c - direct Linux boot end to end on /dev/kvm.
 *
 * The test kernel (tests/guests) boots through the bzImage 64-bit entry
 * and through PVH, and reports on COM1 what it was handed; each test
 * compares that with what it passed to `ttyvm run`.
 */
#include "../unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define BOOT_TIMEOUT 120

/* The e820 map of a 64 MiB guest, as ttyvm(1) documents the layout. */
static const char *const e820_64m[] = {
	"e820: 0x0000000000000000 0x000000000009fc00 1",
	"e820: 0x000000000009fc00 0x0000000000000400 2",
	"e820: 0x00000000000e0000 0x0000000000020000 2",
	"e820: 0x0000000000100000 0x0000000003f00000 1",
};

static void check_report(const struct vm_proc *p, const char *boot, const char *cmdline,
			 size_t initrd_size, unsigned int fnv)
{
	char buf[512], want[512];

	snprintf(want, sizeof(want), "testkernel: boot=%s", boot);
	assert_non_null(harness_line(p->out, want, buf, sizeof(buf)));
	if (strcmp(boot, "bzimage") == 0) /* ttyvm's loader has no assigned ID */
		assert_non_null(harness_line(p->out, "bootparams: type_of_loader=0xff", buf,
					     sizeof(buf)));
	snprintf(want, sizeof(want), "cmdline: %s", cmdline);
	assert_non_null(harness_line(p->out, "cmdline: ", buf, sizeof(buf)));
	assert_string_equal(buf, want);
	assert_int_equal(harness_count_lines(p->out, "e820: "), 4);
	for (size_t i = 0; i < sizeof(e820_64m) / sizeof(e820_64m[0]); i++)
		assert_non_null(harness_line(p->out, e820_64m[i], buf, sizeof(buf)));
	assert_non_null(harness_line(p->out, "initrd: ", buf, sizeof(buf)));
	if (initrd_size) {
		snprintf(want, sizeof(want), "size=%zu fnv1a=0x%08x", initrd_size, fnv);
		assert_non_null(strstr(buf, want));
	} else {
		assert_string_equal(buf, "initrd: none");
	}
	/* direct boot hands over the RSDP */
	assert_non_null(harness_line(p->out, "rsdp: 0x", buf, sizeof(buf)));
}

static void boot_report(const char *kernel, const char *boot)
{
	struct vm_proc p;
	unsigned int fnv;
	/* an initrd that is not a multiple of a page, to catch rounding */
	size_t isize = 300 * 1024 + 123;
	char *initrd = harness_temp_file(isize, 7, &fnv);
	const char *cmdline = "tk.test=report,poweroff console=ttyS0 quiet=\"a b\"";
	const char *argv[] = { "run", "--kernel", harness_guest(kernel), "--initrd", initrd,
			       "--append", cmdline, "--memory", "64M", NULL };

	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	assert_int_equal(p.status, 0);
	check_report(&p, boot, cmdline, isize, fnv);
	assert_non_null(strstr(p.out, "poweroff: pm1a_cnt=0x604 slp_typ=5"));
	assert_non_null(strstr(p.out, "testkernel: done"));
	harness_free(&p);
	unlink(initrd);
	free(initrd);
}

static void test_bzimage_report(void **state)
{
	(void)state;
	boot_report("testkernel.bzImage", "bzimage");
}

static void test_pvh_report(void **state)
{
	(void)state;
	boot_report("testkernel.pvh", "pvh");
}

static void test_no_initrd_empty_cmdline(void **state)
{
	struct vm_proc p;
	char buf[256];
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	/* default mode is report,poweroff */
	assert_int_equal(p.status, 0);
	assert_non_null(harness_line(p.out, "initrd: ", buf, sizeof(buf)));
	assert_string_equal(buf, "initrd: none");
	assert_non_null(harness_line(p.out, "cmdline:", buf, sizeof(buf)));
	assert_string_equal(buf, "cmdline: ");
	harness_free(&p);
}

static void test_high_memory_e820(void **state)
{
	struct vm_proc p;
	char buf[256];
	/* 4 GiB: 3 GiB below the PCI hole and 1 GiB above 4 GiB */
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.pvh"),
			       "--memory", "4G", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	assert_int_equal(p.status, 0);
	assert_non_null(harness_line(p.out, "e820: 0x0000000000100000 0x00000000bff00000 1",
				     buf, sizeof(buf)));
	assert_non_null(harness_line(p.out, "e820: 0x0000000100000000 0x0000000040000000 1",
				     buf, sizeof(buf)));
	harness_free(&p);
}

static void check_smp(const char *kernel, const char *cpus, const char *tables,
		      const char *ids)
{
	struct vm_proc p;
	char buf[256], want[256], append[128];
	unsigned int n = (unsigned int)atoi(cpus);
	const char *argv[] = { "run", "--kernel", harness_guest(kernel), "--cpus", cpus,
			       "--memory", "64M", "--append", append, NULL };

	snprintf(append, sizeof(append), "tk.test=smp,poweroff%s%s", tables ? " tk.tables=" : "",
		 tables ? tables : "");
	harness_require_kvm();
	harness_run(&p, argv, BOOT_TIMEOUT);
	assert_int_equal(p.status, 0);
	snprintf(want, sizeof(want), "smp: source=%s cpus=%u ids=%s", tables ? tables : "madt",
		 n, ids);
	assert_non_null(harness_line(p.out, "smp: source=", buf, sizeof(buf)));
	assert_string_equal(buf, want);
	/* every CPU, BSP included, reports its own APIC id exactly once */
	assert_int_equal(harness_count_lines(p.out, "cpu: apic_id="), n);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "cpu: apic_id=%u online", i);
		assert_non_null(harness_line(p.out, want, buf, sizeof(buf)));
		assert_string_equal(buf, want);
	}
	snprintf(want, sizeof(want), "smp: online=%u", n);
	assert_non_null(harness_line(p.out, "smp: online=", buf, sizeof(buf)));
	assert_string_equal(buf, want);
	harness_free(&p);
}

static void test_smp_4_madt(void **state)
{
	(void)state;
	check_smp("testkernel.bzImage", "4", NULL, "0,1,2,3");
}

static void test_smp_2_mptable(void **state)
{
	(void)state;
	check_smp("testkernel.pvh", "2", "mp", "0,1");
}

static void test_smp_16(void **state)
{
	(void)state;
	check_smp("testkernel.bzImage", "16", NULL, "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_bzimage_report),
	cmocka_unit_test(test_pvh_report),
	cmocka_unit_test(test_no_initrd_empty_cmdline),
	cmocka_unit_test(test_high_memory_e820),
	cmocka_unit_test(test_smp_4_madt),
	cmocka_unit_test(test_smp_2_mptable),
	cmocka_unit_test(test_smp_16),
};

UNIT_SUITE(boot, tests);
