/*
 * platform_test.c - the PC platform end to end on /dev/kvm: SeaBIOS with
 * vgabios-stdvga, GRUB from an ISO on the AHCI CD-ROM, a boot sector from
 * virtio-blk and AHCI disks (raw, and qcow2 made by qemu-img convert),
 * and a test-kernel driver writing through virtio-blk (raw and qcow2).  Firmware runs interpreted on the development machines, so
 * the time limits are generous but bounded.
 */
#include "../unit/unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define FIRMWARE_TIMEOUT 180

/* sector s of the test disk starts with this string (bootsect.S prints it) */
static void sector_text(unsigned int s, char *buf, size_t len)
{
	snprintf(buf, len, "sector %u of the ttyvm test disk", s);
}

/* A 1 MiB raw disk: the boot sector, then three labelled sectors. */
static char *make_boot_disk(void)
{
	char *path = strdup("/tmp/ttyvm-disk-XXXXXX");
	int fd = mkstemp(path);
	uint8_t sec[512];

	assert_true(fd >= 0);
	int bs = open(harness_guest("bootsect.bin"), O_RDONLY);
	assert_true(bs >= 0);
	assert_int_equal(read(bs, sec, 512), 512);
	close(bs);
	assert_int_equal(write(fd, sec, 512), 512);
	for (unsigned int s = 1; s < 4; s++) {
		memset(sec, 0, sizeof(sec));
		sector_text(s, (char *)sec, sizeof(sec));
		assert_int_equal(write(fd, sec, 512), 512);
	}
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	return path;
}

static char *temp_path(const char *suffix)
{
	char *p = malloc(64);
	snprintf(p, 64, "/tmp/ttyvm-%d-%s", getpid(), suffix);
	unlink(p);
	return p;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* raw -> a new qcow2 beside it, made by qemu-img (package qemu-utils). */
static char *to_qcow2(const char *raw, const char *opts)
{
	char *q = malloc(strlen(raw) + 8);

	snprintf(q, strlen(raw) + 8, "%s.qcow2", raw);
	unlink(q);
	if (sh("command -v qemu-img >/dev/null") != 0)
		fail_msg("qemu-img not found: install the qemu-utils package");
	assert_int_equal(sh("qemu-img convert -q -f raw -O qcow2 %s '%s' '%s'", opts, raw, q), 0);
	return q;
}

static void boot_sector_from(const char *iface, bool qcow2)
{
	struct vm_proc p;
	char arg[256], want[128];
	char *raw = make_boot_disk();
	char *disk = qcow2 ? to_qcow2(raw, "-o cluster_size=4k") : strdup(raw);

	snprintf(arg, sizeof(arg), "%s,if=%s%s", disk, iface, qcow2 ? ",format=qcow2" : "");
	const char *argv[] = { "run", "--memory", "64M", "--disk", arg, NULL };
	harness_require_kvm();
	harness_run(&p, argv, FIRMWARE_TIMEOUT);
	assert_non_null(strstr(p.out, "bootsect: start"));
	/* sectors beyond the first, read through the BIOS */
	for (unsigned int s = 1; s < 4; s++) {
		char text[64];
		sector_text(s, text, sizeof(text));
		snprintf(want, sizeof(want), "bootsect: %s", text);
		assert_non_null(strstr(p.out, want));
	}
	assert_non_null(strstr(p.out, "bootsect: done"));
	assert_int_equal(p.status, 0); /* ACPI poweroff from real mode */
	harness_free(&p);
	unlink(disk);
	unlink(raw);
	free(disk);
	free(raw);
}

static void test_boot_sector_virtio(void **state)
{
	(void)state;
	boot_sector_from("virtio", false);
}

static void test_boot_sector_ahci(void **state)
{
	(void)state;
	boot_sector_from("ahci", false);
}

static void test_boot_sector_virtio_qcow2(void **state)
{
	(void)state;
	boot_sector_from("virtio", true);
}

static void test_boot_sector_ahci_qcow2(void **state)
{
	(void)state;
	boot_sector_from("ahci", true);
}

static void test_seabios_banner_on_vga(void **state)
{
	struct vm_proc p;
	char *screen = temp_path("screen.txt");
	const char *argv[] = { "run", "--memory", "64M", "--screen-text", screen, NULL };
	(void)state;

	harness_require_kvm();
	harness_spawn(&p, argv);
	/* the banner is in VGA text memory, drawn by SeaBIOS through vgabios */
	bool seen = harness_wait_file(&p, screen, "SeaBIOS (version", FIRMWARE_TIMEOUT);
	kill(p.pid, SIGKILL);
	harness_wait_exit(&p, 10);
	assert_true(seen);
	unlink(screen);
	free(screen);
	harness_free(&p);
}

static void test_grub_menu_from_cdrom(void **state)
{
	struct vm_proc p;
	char *screen = temp_path("grub.txt");
	const char *argv[] = { "run", "--memory", "128M", "--cdrom", harness_guest("grub.iso"),
			       "--screen-text", screen, NULL };
	(void)state;

	harness_require_kvm();
	harness_spawn(&p, argv);
	bool seen = harness_wait_file(&p, screen, "ttyvm CD-ROM test entry 7f3a",
				      FIRMWARE_TIMEOUT);
	if (seen)
		fprintf(stderr, "GRUB menu reached after %.1f s\n",
			harness_elapsed(&p));
	kill(p.pid, SIGKILL);
	harness_wait_exit(&p, 10);
	assert_true(seen);
	unlink(screen);
	free(screen);
	harness_free(&p);
}

static uint8_t pattern(unsigned int sector, unsigned int i)
{
	return (uint8_t)(sector * 31 + i * 7);
}

/*
 * The test kernel reads sector 0, writes sectors 8..11, flushes and reads
 * them back through virtio-blk; the image (raw, or qcow2 seen through
 * `qemu-img convert -O raw`) must then hold exactly that.
 */
static void virtio_blk_write_flush(bool qcow2)
{
	struct vm_proc p;
	unsigned int fnv;
	char want[64], arg[256];
	uint8_t before[1 << 16], after[1 << 16];
	char *raw = harness_temp_file(sizeof(before), 3, NULL);
	char *disk = qcow2 ? to_qcow2(raw, "-o cluster_size=4k") : strdup(raw);
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--disk", arg,
			       "--append", "tk.test=virtioblk,poweroff", NULL };

	snprintf(arg, sizeof(arg), "%s%s", disk, qcow2 ? ",format=qcow2" : "");
	int fd = open(raw, O_RDONLY);
	assert_int_equal(read(fd, before, sizeof(before)), (ssize_t)sizeof(before));
	close(fd);
	fnv = 2166136261u;
	for (unsigned int i = 0; i < 512; i++)
		fnv = (fnv ^ before[i]) * 16777619u;

	harness_require_kvm();
	harness_run(&p, argv, 120);
	assert_int_equal(p.status, 0);
	snprintf(want, sizeof(want), "capacity=%zu", sizeof(before) / 512);
	assert_non_null(strstr(p.out, want));
	/* the guest read what the file holds */
	snprintf(want, sizeof(want), "virtioblk: sector0 fnv1a=0x%08x", fnv);
	assert_non_null(strstr(p.out, want));
	assert_non_null(strstr(p.out, "virtioblk: write ok"));
	assert_non_null(strstr(p.out, "virtioblk: flush ok"));
	assert_non_null(strstr(p.out, "virtioblk: readback ok"));
	assert_null(strstr(p.out, "FAIL"));

	/* and the file holds what the guest wrote, byte for byte, nothing else */
	if (qcow2) {
		assert_int_equal(sh("qemu-img check -q '%s'", disk), 0);
		unlink(raw);
		assert_int_equal(sh("qemu-img convert -q -O raw '%s' '%s'", disk, raw), 0);
	}
	fd = open(raw, O_RDONLY);
	assert_int_equal(read(fd, after, sizeof(after)), (ssize_t)sizeof(after));
	close(fd);
	for (unsigned int off = 0; off < sizeof(after); off++) {
		unsigned int s = off / 512;
		uint8_t want_b = (s >= 8 && s < 12) ? pattern(s, off % 512) : before[off];
		if (after[off] != want_b)
			fail_msg("image byte %u is 0x%02x, expected 0x%02x", off, after[off], want_b);
	}
	unlink(disk);
	unlink(raw);
	free(disk);
	free(raw);
	harness_free(&p);
}

static void test_virtio_blk_write_flush(void **state)
{
	(void)state;
	virtio_blk_write_flush(false);
}

static void test_virtio_blk_write_flush_qcow2(void **state)
{
	(void)state;
	virtio_blk_write_flush(true);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_virtio_blk_write_flush),
	cmocka_unit_test(test_virtio_blk_write_flush_qcow2),
	cmocka_unit_test(test_seabios_banner_on_vga),
	cmocka_unit_test(test_boot_sector_virtio),
	cmocka_unit_test(test_boot_sector_ahci),
	cmocka_unit_test(test_boot_sector_virtio_qcow2),
	cmocka_unit_test(test_boot_sector_ahci_qcow2),
	cmocka_unit_test(test_grub_menu_from_cdrom),
};

UNIT_SUITE(platform, tests);
