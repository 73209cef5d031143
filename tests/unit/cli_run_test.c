/*
 * cli_run_test.c - option parsing of `ttyvm run` into a vm_config.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/cli.h"
#include "util/util.h"

static int parse(struct vm_config *cfg, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"run";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	cli_run_defaults(cfg);
	return cli_run_parse(argc, argv, cfg);
}

static void test_defaults_and_full(void **state)
{
	struct vm_config cfg;
	const char *args[] = { "--kernel", "/dev/null", "--initrd", "/dev/null",
			       "--append", "console=ttyS0 x=\"y z\"", "--memory", "1G",
			       "--cpus", "4", "--serial", "file:/tmp/out", "--name", "web-1",
			       "--no-acpi", NULL };
	(void)state;

	/* /dev/null is a character device: refused as kernel */
	assert_int_equal(parse(&cfg, args), 1);
	cli_run_free(&cfg);

	char path[] = "/tmp/ttyvm-cli-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *ok[] = { "-k", path, "-i", path, "-a", "console=ttyS0", "-m", "1G",
			     "-c", "4", "-s", "file:/tmp/out", "-n", "web-1", "--no-acpi", NULL };
	assert_int_equal(parse(&cfg, ok), 0);
	assert_string_equal(cfg.kernel, path);
	assert_string_equal(cfg.initrd, path);
	assert_string_equal(cfg.append, "console=ttyS0");
	assert_int_equal(cfg.memory, GiB);
	assert_int_equal(cfg.cpus, 4);
	assert_int_equal(cfg.serial.kind, SERIAL_FILE);
	assert_string_equal(cfg.serial.path, "/tmp/out");
	assert_string_equal(cfg.name, "web-1");
	assert_false(cfg.acpi);
	cli_run_free(&cfg);

	const char *min[] = { "--kernel", path, NULL };
	assert_int_equal(parse(&cfg, min), 0);
	assert_int_equal(cfg.memory, 256 * MiB);
	assert_int_equal(cfg.cpus, 1);
	assert_true(cfg.acpi);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	assert_string_equal(cfg.name, "vm");
	cli_run_free(&cfg);

	char disk[128];
	snprintf(disk, sizeof(disk), "%s,if=ahci,ro", path);
	const char *disks[] = { "--disk", path, "--disk", disk, "--cdrom", path, "--boot", "cd",
				NULL };
	assert_int_equal(parse(&cfg, disks), 0);
	assert_int_equal(cfg.ndisks, 2);
	assert_string_equal(cfg.disks[0].path, path);
	assert_int_equal(cfg.disks[0].iface, DISK_IF_VIRTIO);
	assert_false(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[1].path, path);
	assert_int_equal(cfg.disks[1].iface, DISK_IF_AHCI);
	assert_true(cfg.disks[1].readonly);
	assert_int_equal(cfg.disks[0].format, DISK_FMT_AUTO);
	assert_int_equal(cfg.disks[1].format, DISK_FMT_AUTO);
	assert_string_equal(cfg.cdrom, path);
	assert_int_equal(cfg.boot, BOOT_ORDER_CD);
	assert_null(cfg.kernel);
	/* no kernel: firmware boot with the default image, if installed */
	assert_non_null(cfg.firmware);
	cli_run_free(&cfg);

	char fmts[2][128];
	snprintf(fmts[0], sizeof(fmts[0]), "%s,format=qcow2,if=ahci", path);
	snprintf(fmts[1], sizeof(fmts[1]), "%s,ro,format=raw", path);
	const char *formats[] = { "--disk", fmts[0], "--disk", fmts[1], NULL };
	assert_int_equal(parse(&cfg, formats), 0);
	assert_int_equal(cfg.disks[0].format, DISK_FMT_QCOW2);
	assert_int_equal(cfg.disks[0].iface, DISK_IF_AHCI);
	assert_int_equal(cfg.disks[1].format, DISK_FMT_RAW);
	assert_true(cfg.disks[1].readonly);
	cli_run_free(&cfg);

	const char *bare[] = { "--kernel", path, "--memory", "64", NULL };
	assert_int_equal(parse(&cfg, bare), 0);
	assert_int_equal(cfg.memory, 64 * MiB); /* bare number is MiB */
	assert_null(cfg.firmware); /* a kernel alone boots directly */
	cli_run_free(&cfg);

	/* a kernel with --firmware: the BIOS boots it */
	const char *fwk[] = { "--kernel", path, "--firmware", path, NULL };
	assert_int_equal(parse(&cfg, fwk), 0);
	assert_string_equal(cfg.kernel, path);
	assert_string_equal(cfg.firmware, path);
	cli_run_free(&cfg);

	/* --display: none by default; each mode, an address, a password file */
	assert_int_equal(parse(&cfg, min), 0);
	assert_int_equal(cfg.display.mode, DISPLAY_NONE);
	cli_run_free(&cfg);
	static const struct {
		const char *val;
		enum display_mode mode;
		const char *listen;
	} displays[] = {
		{ "none", DISPLAY_NONE, NULL },
		{ "sdl", DISPLAY_SDL, NULL },
		{ "vnc", DISPLAY_VNC, NULL },
		{ "sdl,vnc", DISPLAY_SDL_VNC, NULL },
		{ "vnc,sdl", DISPLAY_SDL_VNC, NULL },
		{ "vnc=:7", DISPLAY_VNC, ":7" },
		{ "vnc=0.0.0.0:1,sdl", DISPLAY_SDL_VNC, "0.0.0.0:1" },
		{ "vnc=[::1]:2", DISPLAY_VNC, "[::1]:2" },
		{ "vnc=localhost", DISPLAY_VNC, "localhost" },
	};
	for (size_t i = 0; i < sizeof(displays) / sizeof(displays[0]); i++) {
		const char *a[] = { "--kernel", path, "--display", displays[i].val, NULL };
		assert_int_equal(parse(&cfg, a), 0);
		assert_int_equal(cfg.display.mode, displays[i].mode);
		if (displays[i].listen)
			assert_string_equal(cfg.display.vnc_listen, displays[i].listen);
		else
			assert_null(cfg.display.vnc_listen);
		cli_run_free(&cfg);
	}
	char pw[160];
	snprintf(pw, sizeof(pw), "vnc,password-file=%s", path);
	const char *pwa[] = { "--kernel", path, "--display", pw, NULL };
	assert_int_equal(parse(&cfg, pwa), 0);
	assert_string_equal(cfg.display.vnc_password_file, path);
	cli_run_free(&cfg);
	close(fd);
	unlink(path);
}

static void test_rejections(void **state)
{
	struct vm_config cfg;
	char path[] = "/tmp/ttyvm-cli-XXXXXX";
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	const char *const bad[][8] = {
		{ "--memory", "0", "--kernel", path, NULL },
		{ "--memory", "1M", "--kernel", path, NULL },
		{ "--memory", "4097K", "--kernel", path, NULL },
		{ "--memory", "12Q", "--kernel", path, NULL },
		{ "--cpus", "0", "--kernel", path, NULL },
		{ "--cpus", "-2", "--kernel", path, NULL },
		{ "--cpus", "two", "--kernel", path, NULL },
		{ "--serial", "tcp:1", "--kernel", path, NULL },
		{ "--serial", "file:", "--kernel", path, NULL },
		{ "--name", "../etc", "--kernel", path, NULL },
		{ "--name", "", "--kernel", path, NULL },
		{ "--name", "-x", "--kernel", path, NULL },
		{ "--kernel", path, "--flat", path, NULL },
		{ "--flat", path, "--initrd", path, NULL },
		{ "--kernel", path, "extra", NULL },
		{ "--kernel", NULL },
		{ "--bogus", NULL },
		{ "--memory", "64M", "--firmware", "/nonexistent", NULL },
		{ "--disk", "", NULL },
		{ "--disk", "/nonexistent.img", NULL },
		{ "--disk", "/nonexistent.img,if=ide", NULL },
		{ "--disk", "/tmp,format=vmdk", NULL },
		{ "--disk", "/tmp,format=", NULL },
		{ "--boot", "floppy", NULL },
		{ "--flat", path, "--firmware", path, NULL },
		{ "--kernel", path, "--firmware", "/nonexistent", NULL },
		{ "--kernel", "/nonexistent", NULL },
		{ "--kernel", path, "--input", "mouse", NULL },
		{ "--kernel", path, "--input", "", NULL },
		{ "--kernel", path, "--input", ",", NULL },
		{ "--kernel", path, "--input", "tablet,none", NULL },
		{ "--kernel", path, "--input", "tablet,,mouse", NULL },
		{ "--kernel", path, "--display", "window", NULL },
		{ "--kernel", path, "--display", "", NULL },
		{ "--kernel", path, "--display", "none,sdl", NULL },
		{ "--kernel", path, "--display", "vnc=:x", NULL },
		{ "--kernel", path, "--display", "vnc=:99999", NULL },
		{ "--kernel", path, "--display", "vnc=::1", NULL },
		{ "--kernel", path, "--display", "vnc=", NULL },
		{ "--kernel", path, "--display", "vnc,password=secret", NULL },
		{ "--kernel", path, "--display", "vnc,password-file=/nonexistent", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(&cfg, bad[i]);
		if (r != 1)
			fail_msg("case %zu (%s %s) gave %d, wanted 1", i, bad[i][0],
				 bad[i][1] ? bad[i][1] : "", r);
		cli_run_free(&cfg);
	}
	const char *help[] = { "--help", NULL };
	assert_int_equal(parse(&cfg, help), 2);
	cli_run_free(&cfg);
	close(fd);
	unlink(path);
}

/* --input: the devices asked for; none is not the default (0). */
static void test_input(void **state)
{
	unsigned int in = 99;
	(void)state;

	assert_int_equal(cli_run_parse_input("tablet", &in), 0);
	assert_int_equal(in, VM_INPUT_TABLET);
	assert_int_equal(cli_run_parse_input("keyboard", &in), 0);
	assert_int_equal(in, VM_INPUT_KEYBOARD);
	assert_int_equal(cli_run_parse_input("keyboard,tablet", &in), 0);
	assert_int_equal(in, VM_INPUT_TABLET | VM_INPUT_KEYBOARD);
	assert_int_equal(cli_run_parse_input("none", &in), 0);
	assert_int_equal(in, VM_INPUT_NONE);
	in = 7;
	assert_int_equal(cli_run_parse_input("none,none", &in), -1);
	assert_int_equal(in, 7);   /* untouched on error */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_input),
	cmocka_unit_test(test_defaults_and_full),
	cmocka_unit_test(test_rejections),
};

UNIT_SUITE(cli_run, tests);
