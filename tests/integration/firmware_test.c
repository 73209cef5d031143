/*
 * firmware_test.c - unmodified SeaBIOS (Debian's bios-256k.bin) on
 * /dev/kvm: it boots, finds the machine fw_cfg describes (RAM, CPUs, our
 * ACPI tables through etc/table-loader), mirrors its screen on COM1, finds
 * nothing to boot, reboots and comes up again; it boots a bzImage handed
 * over with --kernel through QEMU's linuxboot ROM; and a broken --firmware
 * or kernel is refused with a message naming the file.
 *
 * What SeaBIOS saw is read from its own debug log (--debugcon, the ISA
 * debug console at port 0x402).  SeaBIOS runs interpreted on the CI
 * machines (TESTING.md), so time limits are generous but bounded.
 * Booting a disk or CD through the firmware is platform_test.c's.
 */
#include "../unit/unit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define FIRMWARE_TIMEOUT 120
#define SEABIOS "/usr/share/seabios/bios-256k.bin"

static char *temp_path(const char *suffix)
{
	char *p = malloc(96);

	assert_non_null(p);
	snprintf(p, 96, "/tmp/ttyvm-fw-%d-%s", getpid(), suffix);
	unlink(p);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void require(const char *log, const char *text)
{
	if (!strstr(log, text))
		fail_msg("SeaBIOS's log lacks \"%s\"; the log:\n%s", text, log);
}

/* The DSDT iasl built for this tree (src/vmm/dsdt.aml in the build). */
static long our_dsdt_len(void)
{
	struct stat st;
	const char *aml = harness_guest("../../src/vmm/dsdt.aml");

	if (stat(aml, &st) < 0)
		fail_msg("cannot find the built DSDT at %s", aml);
	return (long)st.st_size;
}

/* Waits until text appears on COM1 after the first mark. */
static bool wait_after(struct vm_proc *p, const char *mark, const char *text, int timeout_s)
{
	for (int i = 0; i < timeout_s; i++) {
		const char *m = strstr(p->out, mark);
		if (m && strstr(m + strlen(mark), text))
			return true;
		/* reads output for a second (the text never appears) */
		harness_wait_for(p, "\x01ttyvm-test-nothing\x01", 1);
	}
	return false;
}

/*
 * Boots SeaBIOS with no disks: checks what it reports, then that it gives
 * up ("No bootable device"), reboots the machine and runs again - the
 * reset path maps the same flash and copies the BIOS below 1 MiB anew.
 */
static void boot_and_check(const char *memory, const char *cpus, const char *const *want)
{
	struct vm_proc p;
	char *log = temp_path("debugcon.log");
	const char *argv[] = { "run", "--memory", memory, "--cpus", cpus,
			       "--debugcon", log, NULL };
	char want_dsdt[64];

	harness_require_kvm();
	harness_spawn(&p, argv);
	/* the banner and the end of the boot attempt, on COM1 (sercon) */
	bool banner = harness_wait_for(&p, "SeaBIOS (version", FIRMWARE_TIMEOUT);
	double t_banner = harness_elapsed(&p);
	bool failed = banner && harness_wait_for(&p, "No bootable device", FIRMWARE_TIMEOUT);
	double t_fail = harness_elapsed(&p);
	/* after the retry delay SeaBIOS resets the machine and starts over */
	bool again = failed && wait_after(&p, "No bootable device", "SeaBIOS (version",
					  FIRMWARE_TIMEOUT);
	double t_again = harness_elapsed(&p);
	/* the first SIGTERM presses the power button SeaBIOS ignores, the
	 * second stops the VM (exit 3) */
	kill(p.pid, SIGTERM);
	usleep(300 * 1000);
	kill(p.pid, SIGTERM);
	harness_wait_exit(&p, 10);
	if (!banner || !failed || !again)
		fail_msg("SeaBIOS: banner %d, no-bootable-device %d, rebooted %d\n"
			 "--- COM1:\n%s\n--- stderr:\n%s", banner, failed, again, p.out, p.err);
	fprintf(stderr, "    SeaBIOS %s/%s CPUs: banner on COM1 after %.1f s, "
		"\"No bootable device\" after %.1f s, up again after reset at %.1f s\n",
		memory, cpus, t_banner, t_fail, t_again);

	char *text = slurp(log);
	require(text, "SeaBIOS (version");
	require(text, "Found QEMU fw_cfg");
	require(text, "QEMU fw_cfg DMA interface supported");
	for (const char *const *w = want; *w; w++)
		require(text, *w);
	/* SeaBIOS ran etc/table-loader and installed our tables: the PM base
	 * moved to ttyvm's 0x600, it found the FADT through the XSDT and the
	 * DSDT it parses is ours (its built-in one is 4.5 KiB) */
	require(text, "Moving pm_base to 0x600");
	require(text, "table(50434146)=");
	snprintf(want_dsdt, sizeof(want_dsdt), "(len %ld)", our_dsdt_len());
	require(text, "ACPI: parse DSDT at ");
	require(text, want_dsdt);
	require(text, "sercon: using ioport 0x3f8");
	require(text, "No bootable device.  Retrying in 10 seconds.");
	/* the second boot logged the same again */
	const char *second = strstr(text, "Rebooting.");
	assert_non_null(second);
	assert_non_null(strstr(second, "SeaBIOS (version"));
	assert_non_null(strstr(second, "Found QEMU fw_cfg"));
	free(text);
	unlink(log);
	free(log);
	harness_free(&p);
}

static void test_seabios_64m_2cpus(void **state)
{
	static const char *const want[] = {
		/* fw_cfg's etc/e820: all 64 MiB below 4 GiB */
		"qemu/e820: addr 0x0000000000000000 len 0x0000000004000000 [RAM]",
		"Found 2 cpu(s) max supported 2 cpu(s)",
		NULL,
	};
	(void)state;
	boot_and_check("64M", "2", want);
}

static void test_seabios_4g_4cpus(void **state)
{
	static const char *const want[] = {
		/* 3 GiB below the PCI hole, 1 GiB above 4 GiB */
		"qemu/e820: addr 0x0000000000000000 len 0x00000000c0000000 [RAM]",
		"qemu/e820: addr 0x0000000100000000 len 0x0000000040000000 [RAM]",
		"Found 4 cpu(s) max supported 4 cpu(s)",
		NULL,
	};
	(void)state;
	boot_and_check("4G", "4", want);
}

static void test_bad_firmware_image(void **state)
{
	struct vm_proc p;
	char *bad = harness_temp_file(1000, 7, NULL);
	const char *argv[] = { "run", "--firmware", bad, "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, 30);
	assert_int_equal(p.status, 1);
	assert_non_null(strstr(p.err, bad));
	assert_non_null(strstr(p.err, "1000 bytes is not a BIOS image"));
	unlink(bad);
	free(bad);
	harness_free(&p);
}

static void test_missing_firmware(void **state)
{
	struct vm_proc p;
	const char *argv[] = { "run", "--firmware", "/nonexistent/bios.bin", NULL };
	(void)state;

	harness_run(&p, argv, 30);
	assert_int_equal(p.status, 1);
	assert_non_null(strstr(p.err, "/nonexistent/bios.bin"));
	harness_free(&p);
}

/*
 * A bzImage handed to SeaBIOS: QEMU's linuxboot ROM loads it from fw_cfg
 * and enters its 16-bit setup code, which asks the BIOS for the e820 map
 * and switches to protected mode itself - the path installers' kernels
 * take under QEMU's -kernel.  The test kernel reports what arrived.
 */
static void test_kernel_through_seabios(void **state)
{
	struct vm_proc p;
	char buf[256];
	unsigned int fnv;
	size_t isize = 70 * 1024 + 3;
	char *initrd = harness_temp_file(isize, 11, &fnv);
	const char *cmdline = "tk.test=report,poweroff via=\"the BIOS\"";
	const char *argv[] = { "run", "--firmware", SEABIOS,
			       "--kernel", harness_guest("testkernel.bzImage"),
			       "--initrd", initrd, "--append", cmdline,
			       "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, FIRMWARE_TIMEOUT);
	assert_int_equal(p.status, 0);
	assert_non_null(strstr(p.out, "Booting from ROM"));
	assert_non_null(harness_line(p.out, "testkernel: boot=bzimage", buf, sizeof(buf)));
	/* QEMU's loader ID: the ROM, not ttyvm's direct boot (0xff), set it up */
	assert_non_null(harness_line(p.out, "bootparams: type_of_loader=0xb0", buf,
				     sizeof(buf)));
	char want[128];
	assert_non_null(harness_line(p.out, "cmdline: ", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "cmdline: %s", cmdline);
	assert_string_equal(buf, want);
	/* the map came from SeaBIOS's INT 15h E820: it reserves its own high
	 * tables at the top of RAM, which direct boot never does */
	assert_non_null(harness_line(p.out, "e820: 0x0000000000100000 ", buf, sizeof(buf)));
	assert_non_null(harness_line(p.out, "e820: 0x0000000003fff000 0x0000000000001000 2",
				     buf, sizeof(buf)));
	assert_non_null(harness_line(p.out, "initrd: ", buf, sizeof(buf)));
	snprintf(want, sizeof(want), "size=%zu fnv1a=0x%08x", isize, fnv);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(p.out, "testkernel: done"));
	unlink(initrd);
	free(initrd);
	harness_free(&p);
}

static void test_kernel_through_firmware_errors(void **state)
{
	struct vm_proc p;
	const char *argv[] = { "run", "--firmware", SEABIOS,
			       "--kernel", harness_guest("testkernel.pvh"), "--memory", "64M", NULL };
	(void)state;

	harness_require_kvm();
	harness_run(&p, argv, 30);
	assert_int_equal(p.status, 1);
	assert_non_null(strstr(p.err, "testkernel.pvh: not a Linux bzImage"));
	harness_free(&p);
}

static void test_default_is_seabios(void **state)
{
	(void)state;
	/* the default --firmware must exist on a machine that runs these tests
	 * (Debian package seabios, debian-packages.txt) */
	if (access(SEABIOS, R_OK) < 0)
		fail_msg("%s missing: install the Debian package seabios", SEABIOS);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_default_is_seabios),
	cmocka_unit_test(test_missing_firmware),
	cmocka_unit_test(test_bad_firmware_image),
	cmocka_unit_test(test_seabios_64m_2cpus),
	cmocka_unit_test(test_seabios_4g_4cpus),
	cmocka_unit_test(test_kernel_through_seabios),
	cmocka_unit_test(test_kernel_through_firmware_errors),
};

UNIT_SUITE(firmware, tests);
