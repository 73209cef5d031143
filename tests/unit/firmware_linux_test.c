/*
 * firmware_linux_test.c - a bzImage handed to the BIOS: the load plan for
 * QEMU's linuxboot ROM (addresses, the patched setup header, every refusal)
 * and the fw_cfg items and boot order the ROM and SeaBIOS read.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "vmm/config.h"
#include "vmm/dev/fw_cfg.h"
#include "vmm/firmware.h"
#include "vmm/guest_mem.h"

#define IMG_SIZE (64 * 1024)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A bzImage header as Linux 6.x has it: protocol 2.15, loaded high. */
static uint8_t *make_image(uint8_t setup_sects, uint16_t version, uint8_t loadflags)
{
	uint8_t *img = calloc(1, IMG_SIZE);

	assert_non_null(img);
	for (size_t i = 0; i < IMG_SIZE; i++)
		img[i] = (uint8_t)(i * 13 + 5);
	img[0x1f1] = setup_sects;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = (uint8_t)version;
	img[0x207] = (uint8_t)(version >> 8);
	img[0x210] = 0;
	img[0x211] = loadflags;
	put32(img + 0x218, 0);
	put32(img + 0x21c, 0);
	img[0x224] = img[0x225] = 0;
	put32(img + 0x228, 0);
	put32(img + 0x22c, 0x7fffffff);        /* initrd_addr_max */
	put32(img + 0x238, 2048);              /* cmdline_size */
	put32(img + 0x260, 4 * 1024 * 1024);   /* init_size */
	return img;
}

static void test_plan_places_everything(void **state)
{
	struct firmware_linux_plan p;
	char err[256];
	uint8_t *img = make_image(8, 0x020f, 0x01);
	(void)state;

	assert_int_equal(firmware_linux_plan(img, IMG_SIZE, "console=ttyS0", 300 * KiB + 7,
					     64 * MiB, "k", &p, err, sizeof(err)), 0);
	assert_int_equal(p.setup_size, 9 * 512);
	assert_ptr_equal(p.kernel, img + 9 * 512);
	assert_int_equal(p.kernel_size, IMG_SIZE - 9 * 512);
	assert_int_equal(p.setup_addr, 0x10000);
	assert_int_equal(p.cmdline_addr, 0x20000);
	assert_int_equal(p.kernel_addr, 0x100000);
	/* page-aligned, ending at most 1 MiB below the top of RAM */
	assert_int_equal(p.initrd_addr, (64 * MiB - FIRMWARE_LINUX_TOP_RESERVE -
					 (300 * KiB + 7)) & ~0xfffULL);
	assert_true(p.initrd_addr + p.initrd_size <= 64 * MiB - FIRMWARE_LINUX_TOP_RESERVE);
	assert_int_equal(p.initrd_size, 300 * KiB + 7);
	/* the patched copy: loader id, heap, command line, initrd */
	assert_int_equal(p.setup[0x210], 0xb0);
	assert_int_equal(p.setup[0x211], 0x81);
	assert_int_equal(p.setup[0x224] | p.setup[0x225] << 8, 0xfe00);
	assert_int_equal(le32(p.setup + 0x228), 0x20000);
	assert_int_equal(le32(p.setup + 0x218), p.initrd_addr);
	assert_int_equal(le32(p.setup + 0x21c), p.initrd_size);
	/* the rest of the setup as in the file, and the file itself untouched */
	assert_memory_equal(p.setup + 0x300, img + 0x300, 9 * 512 - 0x300);
	assert_int_equal(img[0x210], 0);
	firmware_linux_plan_free(&p);
	assert_null(p.setup);
	free(img);
}

static void test_plan_no_initrd_zero_sects(void **state)
{
	struct firmware_linux_plan p;
	char err[256];
	uint8_t *img = make_image(0, 0x0202, 0x01);  /* 0 means 4 */
	(void)state;

	assert_int_equal(firmware_linux_plan(img, IMG_SIZE, NULL, 0, 32 * MiB, "k", &p,
					     err, sizeof(err)), 0);
	assert_int_equal(p.setup_size, 5 * 512);
	assert_int_equal(p.initrd_addr, 0);
	assert_int_equal(p.initrd_size, 0);
	assert_int_equal(le32(p.setup + 0x218), 0);
	firmware_linux_plan_free(&p);
	free(img);
}

static void test_plan_respects_initrd_addr_max(void **state)
{
	struct firmware_linux_plan p;
	char err[256];
	uint8_t *img = make_image(8, 0x020f, 0x01);
	(void)state;

	put32(img + 0x22c, 0x00ffffff);  /* below 16 MiB */
	assert_int_equal(firmware_linux_plan(img, IMG_SIZE, "", 8192, 512 * MiB, "k", &p,
					     err, sizeof(err)), 0);
	assert_int_equal(p.initrd_addr, 0x1000000 - 8192);
	firmware_linux_plan_free(&p);
	/* protocol 2.02 has no initrd_addr_max: 0x37ffffff */
	img[0x206] = 0x02;
	assert_int_equal(firmware_linux_plan(img, IMG_SIZE, "", 8192, 2048 * MiB, "k", &p,
					     err, sizeof(err)), 0);
	assert_int_equal(p.initrd_addr, 0x38000000 - 8192);
	firmware_linux_plan_free(&p);
	free(img);
}

static void expect_refused(const uint8_t *img, size_t size, const char *cmdline,
			   uint64_t initrd, uint64_t ram, int want, const char *phrase)
{
	struct firmware_linux_plan p;
	char err[512];

	err[0] = 0;
	int r = firmware_linux_plan(img, size, cmdline, initrd, ram, "/boot/k", &p, err,
				    sizeof(err));
	unit_assert_err(r, want, err, "/boot/k", phrase);
	assert_null(p.setup);
}

static void test_plan_refusals(void **state)
{
	uint8_t *img = make_image(8, 0x020f, 0x01);
	char longline[3000];
	(void)state;

	expect_refused(img, 0x200, NULL, 0, 64 * MiB, -EINVAL, "not a Linux bzImage");
	memcpy(img + 0x202, "HdrX", 4);
	expect_refused(img, IMG_SIZE, NULL, 0, 64 * MiB, -EINVAL, "not a Linux bzImage");
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x01;  /* 2.01 */
	expect_refused(img, IMG_SIZE, NULL, 0, 64 * MiB, -EINVAL, "2.02 or later");
	img[0x206] = 0x0f;
	img[0x211] = 0;     /* loaded low (zImage) */
	expect_refused(img, IMG_SIZE, NULL, 0, 64 * MiB, -EINVAL, "loaded low");
	img[0x211] = 1;
	img[0x1f1] = 255;   /* setup larger than the room below the command line */
	expect_refused(img, IMG_SIZE, NULL, 0, 64 * MiB, -EINVAL, "setup_sects 255");
	img[0x1f1] = 8;
	expect_refused(img, 9 * 512, NULL, 0, 64 * MiB, -EINVAL, "does not fit");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	expect_refused(img, IMG_SIZE, longline, 0, 64 * MiB, -E2BIG, "at most 2048");
	/* RAM too small for init_size from 1 MiB plus the firmware's reserve */
	expect_refused(img, IMG_SIZE, NULL, 0, 5 * MiB, -ENOSPC, "needs 4096 KiB");
	/* an initrd that does not fit between the kernel and the top */
	expect_refused(img, IMG_SIZE, NULL, 60 * MiB, 64 * MiB, -ENOSPC,
		       "no room for an initrd of 61440 KiB");
	expect_refused(img, IMG_SIZE, NULL, UINT64_MAX / 2, 64 * MiB, -ENOSPC, "no room");
	free(img);
}

/* --- the items, read back as the ROM and SeaBIOS read them --------------- */

static void port_select(struct fw_cfg *fw, uint16_t key)
{
	fw_cfg_port_write(fw, 0, 2, key);
}

static void port_read(struct fw_cfg *fw, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)fw_cfg_port_read(fw, 1, 1);
}

static uint32_t item32(struct fw_cfg *fw, uint16_t key)
{
	uint8_t b[4];

	port_select(fw, key);
	port_read(fw, b, 4);
	return le32(b);
}

static uint8_t *file_read(struct fw_cfg *fw, const char *name, uint32_t *size)
{
	uint8_t n[4], ent[64];

	port_select(fw, FW_CFG_FILE_DIR);
	port_read(fw, n, 4);
	uint32_t count = (uint32_t)n[0] << 24 | n[1] << 16 | n[2] << 8 | n[3];
	for (uint32_t i = 0; i < count; i++) {
		port_read(fw, ent, 64);
		if (strcmp((char *)ent + 8, name) != 0)
			continue;
		*size = (uint32_t)ent[0] << 24 | ent[1] << 16 | ent[2] << 8 | ent[3];
		uint8_t *buf = calloc(1, *size + 1);
		port_select(fw, (uint16_t)(ent[4] << 8 | ent[5]));
		port_read(fw, buf, *size);
		return buf;
	}
	return NULL;
}

struct env {
	struct guest_mem gm;
	struct fw_cfg *fw;
	struct vm_config cfg;
	char kernel[UNIT_PATH_LEN], initrd[UNIT_PATH_LEN], rom[UNIT_PATH_LEN];
	uint8_t *img, initrd_data[5000];
};

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(gmem_init(&e->gm, 64 * MiB), 0);
	e->fw = fw_cfg_create(&e->gm);
	assert_non_null(e->fw);
	e->img = make_image(8, 0x020f, 0x01);
	unit_tmp_write(e->kernel, e->img, IMG_SIZE);
	for (size_t i = 0; i < sizeof(e->initrd_data); i++)
		e->initrd_data[i] = (uint8_t)(i * 7 + 1);
	unit_tmp_write(e->initrd, e->initrd_data, sizeof(e->initrd_data));
	unit_tmp_write(e->rom, "\x55\xaa\x03 a fake option ROM", 22);
	snprintf(e->cfg.name, sizeof(e->cfg.name), "vm");
	e->cfg.memory = 64 * MiB;
	e->cfg.cpus = 1;
	e->cfg.kernel = e->kernel;
	e->cfg.initrd = e->initrd;
	e->cfg.append = (char *)"tk.test=report quiet";
}

static void env_free(struct env *e)
{
	fw_cfg_destroy(e->fw);
	gmem_destroy(&e->gm);
	unlink(e->kernel);
	unlink(e->initrd);
	unlink(e->rom);
	free(e->img);
}

static void test_fill_items(void **state)
{
	struct env e;
	char err[512];
	uint8_t buf[IMG_SIZE];
	uint32_t size;
	(void)state;

	env_init(&e);
	assert_int_equal(firmware_linux_fill(e.fw, &e.cfg, &e.gm, e.rom, err, sizeof(err)), 0);
	assert_int_equal(item32(e.fw, FW_CFG_SETUP_ADDR), 0x10000);
	assert_int_equal(item32(e.fw, FW_CFG_SETUP_SIZE), 9 * 512);
	port_select(e.fw, FW_CFG_SETUP_DATA);
	port_read(e.fw, buf, 9 * 512);
	assert_int_equal(buf[0x210], 0xb0);
	assert_int_equal(le32(buf + 0x228), 0x20000);
	uint32_t iaddr = le32(buf + 0x218);
	assert_int_equal(le32(buf + 0x21c), sizeof(e.initrd_data));
	assert_int_equal(item32(e.fw, FW_CFG_KERNEL_ADDR), 0x100000);
	assert_int_equal(item32(e.fw, FW_CFG_KERNEL_SIZE), IMG_SIZE - 9 * 512);
	port_select(e.fw, FW_CFG_KERNEL_DATA);
	port_read(e.fw, buf, IMG_SIZE - 9 * 512);
	assert_memory_equal(buf, e.img + 9 * 512, IMG_SIZE - 9 * 512);
	assert_int_equal(item32(e.fw, FW_CFG_CMDLINE_ADDR), 0x20000);
	assert_int_equal(item32(e.fw, FW_CFG_CMDLINE_SIZE), strlen(e.cfg.append) + 1);
	port_select(e.fw, FW_CFG_CMDLINE_DATA);
	port_read(e.fw, buf, strlen(e.cfg.append) + 1);
	assert_string_equal((char *)buf, e.cfg.append);
	assert_int_equal(item32(e.fw, FW_CFG_INITRD_ADDR), iaddr);
	assert_int_equal(item32(e.fw, FW_CFG_INITRD_SIZE), sizeof(e.initrd_data));
	port_select(e.fw, FW_CFG_INITRD_DATA);
	port_read(e.fw, buf, sizeof(e.initrd_data));
	assert_memory_equal(buf, e.initrd_data, sizeof(e.initrd_data));

	uint8_t *rom = file_read(e.fw, "genroms/linuxboot_dma.bin", &size);
	assert_non_null(rom);
	assert_int_equal(size, 22);
	assert_memory_equal(rom, "\x55\xaa\x03 a fake option ROM", 22);
	free(rom);

	/* the ROM boots first, before the disks SeaBIOS would try */
	assert_int_equal(fw_cfg_add_boot_device(e.fw, FW_CFG_BOOT_DISK, 0,
						"/pci@i0cf8/scsi@4/disk@0,0"), 0);
	assert_int_equal(fw_cfg_set_bootorder(e.fw, true), 0);
	char *order = (char *)file_read(e.fw, "bootorder", &size);
	assert_non_null(order);
	assert_string_equal(order, "/rom@genroms/linuxboot_dma.bin\n/pci@i0cf8/scsi@4/disk@0,0");
	free(order);
	env_free(&e);
}

static void test_fill_errors(void **state)
{
	struct env e;
	char err[512];
	(void)state;

	env_init(&e);
	unlink(e.rom);
	int r = firmware_linux_fill(e.fw, &e.cfg, &e.gm, e.rom, err, sizeof(err));
	unit_assert_err(r, -ENOENT, err, e.rom, "install qemu-system-data");
	unit_tmp_write(e.rom, "\x55\xaa", 2);
	/* a kernel that is not a bzImage (an ELF, say) */
	unit_tmp_write(e.kernel, "\x7f" "ELF and more bytes than a header.....", 38);
	r = firmware_linux_fill(e.fw, &e.cfg, &e.gm, e.rom, err, sizeof(err));
	unit_assert_err(r, -EINVAL, err, e.kernel, "only bzImage kernels boot");
	/* nothing was added for the refused kernel */
	assert_int_equal(item32(e.fw, FW_CFG_KERNEL_SIZE), 0);
	env_free(&e);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_plan_places_everything),
	cmocka_unit_test(test_plan_no_initrd_zero_sects),
	cmocka_unit_test(test_plan_respects_initrd_addr_max),
	cmocka_unit_test(test_plan_refusals),
	cmocka_unit_test(test_fill_items),
	cmocka_unit_test(test_fill_errors),
};

UNIT_SUITE(firmware_linux, tests);
