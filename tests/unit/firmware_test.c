/*
 * firmware_test.c - what a BIOS finds before its first instruction: the
 * image checks, the copy below 1 MiB, the CMOS bytes, the e820 table and
 * the fw_cfg items, and the ACPI tables as SeaBIOS installs them from
 * "etc/table-loader".
 *
 * The loader here is a small re-implementation of SeaBIOS's
 * src/fw/romfile_loader.c working on guest RAM through fw_cfg's ports and
 * DMA, written from the format description, not from acpi.c.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "vmm/acpi.h"
#include "vmm/config.h"
#include "vmm/dev/fw_cfg.h"
#include "vmm/dev/rtc.h"
#include "vmm/firmware.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

/* --- the image ------------------------------------------------------------- */

static void expect_bad_image(size_t size, const char *phrase)
{
	char path[UNIT_PATH_LEN], err[512];
	uint8_t *img = (uint8_t *)1;
	size_t got = 1;

	unit_tmp_sparse(path, size);
	int r = firmware_image_read(path, &img, &got, err, sizeof(err));
	unit_assert_err(r, -EINVAL, err, path, phrase);
	assert_null(img);
	assert_int_equal(got, 0);
	unlink(path);
}

static void test_bad_image_sizes(void **state)
{
	char err[512];
	uint8_t *img;
	size_t size;
	(void)state;

	expect_bad_image(1000, "1000 bytes is not a BIOS image");
	expect_bad_image(0, "0 bytes");
	expect_bad_image(32 * KiB, "64 KiB");
	expect_bad_image(64 * KiB + 512, "whole 64 KiB blocks");
	expect_bad_image(16 * MiB + 64 * KiB, "16 MiB");

	int r = firmware_image_read("/nonexistent/bios.bin", &img, &size, err, sizeof(err));
	unit_assert_err(r, -ENOENT, err, "/nonexistent/bios.bin", "No such file");
	r = firmware_image_read("/tmp", &img, &size, err, sizeof(err));
	assert_true(r < 0);
	assert_non_null(strstr(err, "/tmp"));
}

static void test_good_image_sizes(void **state)
{
	static const size_t sizes[] = { 64 * KiB, 256 * KiB, 16 * MiB };
	char path[UNIT_PATH_LEN], err[512];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint8_t *buf = malloc(sizes[i]), *img;
		size_t size;
		for (size_t j = 0; j < sizes[i]; j++)
			buf[j] = (uint8_t)(j * 7 + j / 4096);
		unit_tmp_write(path, buf, sizes[i]);
		err[0] = '\0';
		assert_int_equal(firmware_image_read(path, &img, &size, err, sizeof(err)), 0);
		assert_int_equal(size, sizes[i]);
		assert_int_equal((uintptr_t)img % 4096, 0);
		assert_memory_equal(img, buf, sizes[i]);
		firmware_image_free(img, size);
		unlink(path);
		free(buf);
	}
}

static void test_shadow_copy(void **state)
{
	struct guest_mem gm;
	uint8_t *img = malloc(256 * KiB);
	(void)state;

	for (size_t j = 0; j < 256 * KiB; j++)
		img[j] = (uint8_t)(j ^ (j >> 8));
	assert_int_equal(gmem_init(&gm, 16 * MiB), 0);
	/* 256 KiB image (SeaBIOS's bios-256k.bin): all of it at 0xC0000, as
	 * the flash's address minus 0xFFF00000 (SeaBIOS's BIOS_SRC_OFFSET);
	 * the reset vector's far jump at 0xFFFF0 is the image's byte size-16 */
	assert_int_equal(firmware_shadow(&gm, img, 256 * KiB), 0);
	assert_memory_equal(gmem_ptr(&gm, 0xC0000, 256 * KiB), img, 256 * KiB);
	assert_memory_equal(gmem_ptr(&gm, 0xFFFF0, 16), img + 256 * KiB - 16, 16);
	assert_true(unit_ram_is_zero(&gm, 0xC0000));
	/* 64 KiB image: all of it at 0xF0000, below that untouched */
	memset(gmem_ptr(&gm, 0xC0000, 256 * KiB), 0, 256 * KiB);
	assert_int_equal(firmware_shadow(&gm, img, 64 * KiB), 0);
	assert_memory_equal(gmem_ptr(&gm, 0xF0000, 64 * KiB), img, 64 * KiB);
	assert_true(unit_ram_is_zero(&gm, 0xF0000));
	/* 1 MiB image: only its last 256 KiB below 1 MiB */
	uint8_t *big = calloc(1, MiB);
	memcpy(big + MiB - 256 * KiB, img, 256 * KiB);
	memset(gmem_ptr(&gm, 0xC0000, 256 * KiB), 0, 256 * KiB);
	assert_int_equal(firmware_shadow(&gm, big, MiB), 0);
	assert_memory_equal(gmem_ptr(&gm, 0xC0000, 256 * KiB), img, 256 * KiB);
	assert_true(unit_ram_is_zero(&gm, 0xC0000));
	free(big);
	gmem_destroy(&gm);
	/* no RAM there: refused */
	struct guest_mem none;
	memset(&none, 0, sizeof(none));
	assert_int_equal(firmware_shadow(&none, img, 64 * KiB), -EFAULT);
	free(img);
}

/* --- CMOS and e820 ----------------------------------------------------------- */

static unsigned int cmos16(struct rtc *r, uint8_t lo)
{
	return rtc_nvram_get(r, lo) | (unsigned int)rtc_nvram_get(r, (uint8_t)(lo + 1)) << 8;
}

static void test_cmos_64m(void **state)
{
	struct guest_mem gm;
	struct rtc *r = rtc_create(NULL, NULL, NULL, NULL);
	(void)state;

	assert_non_null(r);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	firmware_cmos(r, &gm, 1, BOOT_ORDER_DEFAULT);
	assert_int_equal(cmos16(r, 0x15), 640);              /* base memory, KiB */
	assert_int_equal(cmos16(r, 0x17), 63 * 1024);         /* above 1 MiB, KiB */
	assert_int_equal(cmos16(r, 0x30), 63 * 1024);
	assert_int_equal(cmos16(r, 0x34), (64 - 16) * 16);    /* above 16 MiB, 64 KiB */
	assert_int_equal(rtc_nvram_get(r, 0x5B), 0);
	assert_int_equal(rtc_nvram_get(r, 0x5C), 0);
	assert_int_equal(rtc_nvram_get(r, 0x5D), 0);
	assert_int_equal(rtc_nvram_get(r, 0x5F), 0);          /* CPUs - 1 */
	/* what SeaBIOS computes from it (qemu_preinit's CMOS fallback) */
	uint32_t rs = (uint32_t)rtc_nvram_get(r, 0x34) << 16 | (uint32_t)rtc_nvram_get(r, 0x35) << 24;
	assert_int_equal(rs + 16 * MiB, 64 * MiB);
	/* CD, then hard disk, then network; no floppy signature check */
	assert_int_equal(rtc_nvram_get(r, 0x3D), 0x23);
	assert_int_equal(rtc_nvram_get(r, 0x38), 0x41);
	assert_int_equal(rtc_nvram_get(r, 0x10), 0);          /* no floppy */
	assert_int_equal(rtc_nvram_get(r, 0x14), 0x06);       /* FPU, PS/2 mouse */
	firmware_cmos(r, &gm, 1, BOOT_ORDER_DISK);
	assert_int_equal(rtc_nvram_get(r, 0x3D), 0x32);
	firmware_cmos(r, &gm, 1, BOOT_ORDER_CD);
	assert_int_equal(rtc_nvram_get(r, 0x3D), 0x23);
	gmem_destroy(&gm);
	rtc_destroy(r);
}

static void test_cmos_4g(void **state)
{
	struct guest_mem gm;
	struct rtc *r = rtc_create(NULL, NULL, NULL, NULL);
	(void)state;

	assert_non_null(r);
	assert_int_equal(gmem_init(&gm, 4 * GiB), 0);  /* untouched: costs nothing */
	firmware_cmos(r, &gm, 4, BOOT_ORDER_DEFAULT);
	/* 3 GiB below the hole, 1 GiB above 4 GiB */
	assert_int_equal(cmos16(r, 0x15), 640);
	assert_int_equal(cmos16(r, 0x17), 0xFFFF);            /* saturated */
	assert_int_equal(cmos16(r, 0x30), 0xFFFF);
	assert_int_equal(cmos16(r, 0x34), (3 * 1024 - 16) * 16);
	uint32_t high = rtc_nvram_get(r, 0x5B) | (uint32_t)rtc_nvram_get(r, 0x5C) << 8 |
			(uint32_t)rtc_nvram_get(r, 0x5D) << 16;
	assert_int_equal((uint64_t)high * 64 * KiB, 1 * GiB);
	assert_int_equal(rtc_nvram_get(r, 0x5F), 3);
	gmem_destroy(&gm);
	rtc_destroy(r);
}

struct e820 {
	uint64_t addr, len;
	uint32_t type;
};

static unsigned int e820_parse(const uint8_t *b, size_t len, struct e820 *out)
{
	unsigned int n = 0;

	assert_int_equal(len % 20, 0);
	for (size_t off = 0; off < len; off += 20, n++) {
		out[n].addr = get_le64(b + off);
		out[n].len = get_le64(b + off + 8);
		out[n].type = get_le32(b + off + 16);
	}
	return n;
}

static void test_e820(void **state)
{
	struct guest_mem gm;
	uint8_t b[8 * 20];
	struct e820 e[8];
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	unsigned int n = e820_parse(b, 20 * firmware_e820(&gm, 256 * KiB, b, 8), e);
	assert_int_equal(n, 3);
	assert_true(e[0].addr == 0 && e[0].len == 64 * MiB && e[0].type == 1);
	assert_true(e[1].addr == 0xFEFFC000 && e[1].len == 0x4000 && e[1].type == 2);
	assert_true(e[2].addr == 0xFFFC0000 && e[2].len == 256 * KiB && e[2].type == 2);
	gmem_destroy(&gm);

	assert_int_equal(gmem_init(&gm, 4 * GiB), 0);
	n = e820_parse(b, 20 * firmware_e820(&gm, 256 * KiB, b, 8), e);
	assert_int_equal(n, 4);
	assert_true(e[0].addr == 0 && e[0].len == 3 * GiB && e[0].type == 1);
	assert_true(e[3].addr == 4 * GiB && e[3].len == 1 * GiB && e[3].type == 1);
	/* a short buffer gets what fits */
	assert_int_equal(firmware_e820(&gm, 256 * KiB, b, 2), 2);
	gmem_destroy(&gm);
}

/* --- fw_cfg as SeaBIOS reads it ------------------------------------------ */

struct fw_env {
	struct guest_mem gm;
	struct fw_cfg *fw;
	struct vm_config cfg;
	struct firmware_env fenv;
};

static void fw_env_init(struct fw_env *e, uint64_t ram, unsigned int cpus)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(gmem_init(&e->gm, ram), 0);
	e->fw = fw_cfg_create(&e->gm);
	assert_non_null(e->fw);
	snprintf(e->cfg.name, sizeof(e->cfg.name), "vm");
	e->cfg.memory = ram;
	e->cfg.cpus = cpus;
	e->cfg.acpi = true;
	e->cfg.serial.kind = SERIAL_STDIO;
	e->fenv.image_size = 256 * KiB;
	e->fenv.has_vga = true;
}

static void fw_env_free(struct fw_env *e)
{
	fw_cfg_destroy(e->fw);
	gmem_destroy(&e->gm);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void port_select(struct fw_cfg *fw, uint16_t key)
{
	fw_cfg_port_write(fw, 0, 2, key);
}

static void port_read(struct fw_cfg *fw, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)fw_cfg_port_read(fw, 1, 1);
}

/* Looks name up in the file directory: its key and size, or key 0. */
static uint16_t fw_file(struct fw_cfg *fw, const char *name, uint32_t *size)
{
	uint8_t n[4], ent[64];

	port_select(fw, FW_CFG_FILE_DIR);
	port_read(fw, n, 4);
	for (uint32_t i = 0; i < be32(n); i++) {
		port_read(fw, ent, 64);
		if (strcmp((char *)ent + 8, name) == 0) {
			*size = be32(ent);
			return (uint16_t)(ent[4] << 8 | ent[5]);
		}
	}
	*size = 0;
	return 0;
}

/* Reads a file into guest RAM at gpa through DMA, as SeaBIOS does. */
static void fw_dma_file(struct fw_env *e, uint16_t key, uint32_t size, uint64_t gpa)
{
	const uint64_t acc = 0x1000;
	uint8_t *a = gmem_ptr(&e->gm, acc, 16);

	put_le32(a, __builtin_bswap32((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
				      FW_CFG_DMA_CTL_READ));
	put_le32(a + 4, __builtin_bswap32(size));
	put_le64(a + 8, __builtin_bswap64(gpa));
	fw_cfg_dma_write(e->fw, 0, 4, 0);
	fw_cfg_dma_write(e->fw, 4, 4, __builtin_bswap32((uint32_t)acc));
	assert_int_equal(be32(a), 0);
}

static void *fw_read_file(struct fw_cfg *fw, const char *name, uint32_t *size)
{
	uint16_t key = fw_file(fw, name, size);
	uint8_t *buf;

	if (!key)
		return NULL;
	buf = malloc(*size + 1);
	port_select(fw, key);
	port_read(fw, buf, *size);
	buf[*size] = 0;
	return buf;
}

static void test_fw_cfg_items(void **state)
{
	struct fw_env e;
	uint8_t b[16];
	uint32_t size;
	(void)state;

	fw_env_init(&e, 64 * MiB, 2);
	assert_int_equal(firmware_fill_fw_cfg(e.fw, &e.cfg, &e.gm, &e.fenv), 0);
	port_select(e.fw, FW_CFG_RAM_SIZE);
	port_read(e.fw, b, 8);
	assert_int_equal(get_le64(b), 64 * MiB);
	port_select(e.fw, FW_CFG_NB_CPUS);
	port_read(e.fw, b, 2);
	assert_int_equal(get_le16(b), 2);
	port_select(e.fw, FW_CFG_MAX_CPUS);
	port_read(e.fw, b, 2);
	assert_int_equal(get_le16(b), 2);
	port_select(e.fw, FW_CFG_NOGRAPHIC);
	port_read(e.fw, b, 2);
	assert_int_equal(get_le16(b), 0);
	port_select(e.fw, FW_CFG_BOOT_MENU);
	port_read(e.fw, b, 2);
	assert_int_equal(get_le16(b), 1);
	port_select(e.fw, FW_CFG_IRQ0_OVERRIDE);
	port_read(e.fw, b, 1);
	assert_int_equal(b[0], 1);
	/* a version-8 UUID, stable for the name */
	uint8_t uuid[16];
	port_select(e.fw, FW_CFG_UUID);
	port_read(e.fw, uuid, 16);
	assert_int_equal(uuid[6] >> 4, 8);
	assert_int_equal(uuid[8] >> 6, 2);

	uint8_t *f = fw_read_file(e.fw, "etc/e820", &size);
	assert_non_null(f);
	struct e820 ent[8];
	assert_true(e820_parse(f, size, ent) >= 1);
	assert_true(ent[0].addr == 0 && ent[0].len == 64 * MiB && ent[0].type == 1);
	free(f);
	f = fw_read_file(e.fw, "etc/boot-fail-wait", &size);
	assert_int_equal(size, 4);
	assert_true(get_le32(f) >= 1000);
	free(f);
	f = fw_read_file(e.fw, "etc/sercon-port", &size);
	assert_int_equal(size, 2);
	assert_int_equal(get_le16(f), 0x3F8);
	free(f);
	assert_true(fw_cfg_has_file(e.fw, ACPI_FILE_TABLES));
	assert_true(fw_cfg_has_file(e.fw, ACPI_FILE_RSDP));
	assert_true(fw_cfg_has_file(e.fw, ACPI_FILE_LOADER));
	assert_false(fw_cfg_has_file(e.fw, "bootorder"));   /* no boot devices */
	fw_env_free(&e);

	/* no serial console, no VGA, no ACPI, a boot device */
	fw_env_init(&e, 64 * MiB, 1);
	e.cfg.serial.kind = SERIAL_NONE;
	e.cfg.acpi = false;
	e.cfg.boot = BOOT_ORDER_DISK;
	e.fenv.has_vga = false;
	assert_int_equal(fw_cfg_add_boot_device(e.fw, FW_CFG_BOOT_CDROM, 0, "cd"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e.fw, FW_CFG_BOOT_DISK, 0, "hd"), 0);
	assert_int_equal(firmware_fill_fw_cfg(e.fw, &e.cfg, &e.gm, &e.fenv), 0);
	assert_false(fw_cfg_has_file(e.fw, "etc/sercon-port"));
	assert_false(fw_cfg_has_file(e.fw, ACPI_FILE_LOADER));
	port_select(e.fw, FW_CFG_NOGRAPHIC);
	port_read(e.fw, b, 2);
	assert_int_equal(get_le16(b), 1);
	f = fw_read_file(e.fw, "bootorder", &size);
	assert_string_equal((char *)f, "hd\ncd");
	free(f);
	fw_env_free(&e);
}

/* --- ACPI through etc/table-loader ------------------------------------------ */

struct loaded {
	char name[56];
	uint64_t gpa;
	uint32_t size;
};

/*
 * SeaBIOS's romfile_loader_execute(), on our guest: ALLOCATE reads the
 * file by DMA to the next free, aligned address of its zone (HIGH: just
 * below the top of RAM, FSEG: 0xF5000 up), ADD_POINTER adds the source
 * file's address to the little-endian value in the destination file,
 * ADD_CHECKSUM subtracts the byte sum of the range from the checksum byte.
 */
static void run_table_loader(struct fw_env *e, struct loaded *files, unsigned int *nfiles)
{
	uint32_t size;
	uint8_t *cmds = fw_read_file(e->fw, ACPI_FILE_LOADER, &size);
	uint64_t high = e->gm.low_size - 256 * KiB, fseg = 0xF5000;

	assert_non_null(cmds);
	assert_int_equal(size % 128, 0);
	*nfiles = 0;
	for (uint32_t off = 0; off < size; off += 128) {
		const uint8_t *c = cmds + off;
		struct loaded *d = NULL, *s = NULL;

		switch (get_le32(c)) {
		case 1: {                                  /* ALLOCATE */
			struct loaded *l = &files[(*nfiles)++];
			uint32_t align = get_le32(c + 60);
			assert_int_equal(c[4 + 55], 0);
			memcpy(l->name, c + 4, 56);
			uint16_t key = fw_file(e->fw, l->name, &l->size);
			assert_true(key != 0);
			assert_true(align && !(align & (align - 1)));
			if (c[64] == 1) {
				high = ALIGN_UP(high, align);
				l->gpa = high;
				high += l->size;
			} else {
				assert_int_equal(c[64], 2);
				fseg = ALIGN_UP(fseg, align);
				l->gpa = fseg;
				fseg += l->size;
				assert_true(fseg <= 0x100000);
			}
			fw_dma_file(e, key, l->size, l->gpa);
			break;
		}
		case 2:                                    /* ADD_POINTER */
			for (unsigned int i = 0; i < *nfiles; i++) {
				if (!strncmp(files[i].name, (const char *)c + 4, 56))
					d = &files[i];
				if (!strncmp(files[i].name, (const char *)c + 60, 56))
					s = &files[i];
			}
			assert_non_null(d);
			assert_non_null(s);
			uint32_t at = get_le32(c + 116);
			uint8_t psize = c[120];
			assert_true(psize == 1 || psize == 2 || psize == 4 || psize == 8);
			assert_true(at + psize <= d->size);
			uint8_t *p = gmem_ptr(&e->gm, d->gpa + at, psize);
			uint64_t v = 0;
			memcpy(&v, p, psize);
			v += s->gpa;
			memcpy(p, &v, psize);
			break;
		case 3: {                                  /* ADD_CHECKSUM */
			for (unsigned int i = 0; i < *nfiles; i++)
				if (!strncmp(files[i].name, (const char *)c + 4, 56))
					d = &files[i];
			assert_non_null(d);
			uint32_t cat = get_le32(c + 60), start = get_le32(c + 64),
				 len = get_le32(c + 68);
			assert_true(cat < d->size && start + len <= d->size);
			uint8_t *base = gmem_ptr(&e->gm, d->gpa, d->size);
			base[cat] = (uint8_t)(base[cat] - checksum8(base + start, len));
			break;
		}
		default:
			fail_msg("unknown loader command %u at %u", get_le32(c), off);
		}
	}
	free(cmds);
}

static const uint8_t *table(struct fw_env *e, uint64_t gpa, const char *sig)
{
	const uint8_t *h = gmem_ptr(&e->gm, gpa, 36);

	assert_non_null(h);
	assert_memory_equal(h, sig, 4);
	uint32_t len = get_le32(h + 4);
	h = gmem_ptr(&e->gm, gpa, len);
	assert_non_null(h);
	assert_int_equal(checksum8(h, len), 0);
	return h;
}

static void check_loaded_acpi(unsigned int ncpus)
{
	struct fw_env e;
	struct loaded files[8];
	unsigned int n, found = 0;
	uint64_t rsdp = 0;

	fw_env_init(&e, 64 * MiB, ncpus);
	assert_int_equal(firmware_fill_fw_cfg(e.fw, &e.cfg, &e.gm, &e.fenv), 0);
	run_table_loader(&e, files, &n);
	assert_int_equal(n, 2);

	/* the RSDP where an OS scans for it, 16-byte aligned */
	for (uint64_t a = 0xE0000; a < 0x100000; a += 16) {
		const uint8_t *p = gmem_ptr(&e.gm, a, 20);
		if (!memcmp(p, "RSD PTR ", 8) && checksum8(p, 20) == 0) {
			rsdp = a;
			found++;
		}
	}
	assert_int_equal(found, 1);
	const uint8_t *r = gmem_ptr(&e.gm, rsdp, 36);
	assert_int_equal(checksum8(r, 36), 0);
	assert_int_equal(r[15], 2);

	const uint8_t *rsdt = table(&e, get_le32(r + 16), "RSDT");
	const uint8_t *xsdt = table(&e, get_le64(r + 24), "XSDT");
	assert_int_equal(get_le32(rsdt + 4), 36 + 2 * 4);
	assert_int_equal(get_le32(xsdt + 4), 36 + 2 * 8);
	const uint8_t *fadt = NULL, *madt = NULL;
	for (int i = 0; i < 2; i++) {
		uint64_t t = get_le64(xsdt + 36 + 8 * i);
		assert_int_equal(get_le32(rsdt + 36 + 4 * i), t);
		/* inside the "etc/acpi/tables" allocation */
		assert_true(t >= files[0].gpa && t < files[0].gpa + files[0].size);
		const uint8_t *h = gmem_ptr(&e.gm, t, 4);
		if (!memcmp(h, "FACP", 4))
			fadt = table(&e, t, "FACP");
		else
			madt = table(&e, t, "APIC");
	}
	assert_non_null(fadt);
	assert_non_null(madt);
	/* our PM block, not SeaBIOS's built-in PIIX4 one */
	assert_int_equal(get_le32(fadt + 56), PORT_PM1A_EVT);
	assert_int_equal(get_le32(fadt + 64), PORT_PM1A_CNT);
	assert_int_equal(get_le32(fadt + 64), 0x604);
	assert_int_equal(get_le32(fadt + 76), PORT_PM_TMR);
	assert_int_equal(get_le16(fadt + 46), IRQ_SCI);
	uint64_t facs = get_le32(fadt + 36), dsdt = get_le32(fadt + 40);
	assert_int_equal(get_le64(fadt + 132), facs);
	assert_int_equal(get_le64(fadt + 140), dsdt);
	assert_int_equal(facs % 64, 0);
	assert_memory_equal(gmem_ptr(&e.gm, facs, 4), "FACS", 4);
	const uint8_t *d = table(&e, dsdt, "DSDT");
	size_t aml_len;
	const uint8_t *aml = acpi_dsdt(&aml_len);
	assert_memory_equal(d, aml, aml_len);
	/* one enabled LAPIC per vCPU */
	unsigned int lapics = 0;
	for (uint32_t off = 44; off < get_le32(madt + 4); off += madt[off + 1]) {
		assert_true(madt[off + 1] >= 2);
		if (madt[off] == 0) {
			assert_int_equal(madt[off + 3], lapics);
			assert_int_equal(get_le32(madt + off + 4) & 1, 1);
			lapics++;
		}
	}
	assert_int_equal(lapics, ncpus);
	fw_env_free(&e);
}

static void test_table_loader_installs_our_tables(void **state)
{
	(void)state;
	check_loaded_acpi(1);
	check_loaded_acpi(4);
	check_loaded_acpi(ACPI_MAX_CPUS);
}

static void test_table_loader_layout(void **state)
{
	struct acpi_blobs b;
	(void)state;

	assert_int_equal(acpi_build_blobs(2, &b), 0);
	assert_int_equal(b.loader_len % ACPI_LOADER_ENTRY_LEN, 0);
	assert_int_equal(b.rsdp_len, 36);
	/* both blobs allocated before any other command names them */
	const uint8_t *c = b.loader;
	assert_int_equal(get_le32(c), 1);
	assert_string_equal((const char *)c + 4, "etc/acpi/tables");
	assert_int_equal(get_le32(c + 60), 64);        /* FACS alignment */
	assert_int_equal(c[64], 1);                    /* HIGH */
	c += 128;
	assert_int_equal(get_le32(c), 1);
	assert_string_equal((const char *)c + 4, "etc/acpi/rsdp");
	assert_int_equal(get_le32(c + 60), 16);
	assert_int_equal(c[64], 2);                    /* FSEG */
	/* names are NUL-padded; no command but the three known ones; every
	 * checksum comes after the pointers it covers */
	unsigned int pointers = 0, sums = 0;
	for (size_t off = 2 * 128; off < b.loader_len; off += 128) {
		c = b.loader + off;
		uint32_t cmd = get_le32(c);
		assert_true(cmd == 2 || cmd == 3);
		for (size_t i = strlen((const char *)c + 4); i < 56; i++)
			assert_int_equal(c[4 + i], 0);
		if (cmd == 2) {
			pointers++;
			/* later checksums must cover this patch: find one */
			const char *dst = (const char *)c + 4;
			uint32_t at = get_le32(c + 116);
			bool covered = false;
			for (size_t o2 = off + 128; o2 < b.loader_len; o2 += 128) {
				const uint8_t *k = b.loader + o2;
				if (get_le32(k) == 3 && !strcmp((const char *)k + 4, dst) &&
				    get_le32(k + 64) <= at && at + c[120] <= get_le32(k + 64) + get_le32(k + 68))
					covered = true;
			}
			assert_true(covered);
		} else {
			sums++;
		}
	}
	assert_int_equal(pointers, 10);
	assert_int_equal(sums, 6);
	/* the tables blob starts with the FACS */
	assert_memory_equal(b.tables, "FACS", 4);
	acpi_blobs_free(&b);
	assert_int_equal(acpi_build_blobs(0, &b), -EINVAL);
	assert_null(b.tables);
	assert_int_equal(acpi_build_blobs(ACPI_MAX_CPUS + 1, &b), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_bad_image_sizes),
	cmocka_unit_test(test_good_image_sizes),
	cmocka_unit_test(test_shadow_copy),
	cmocka_unit_test(test_cmos_64m),
	cmocka_unit_test(test_cmos_4g),
	cmocka_unit_test(test_e820),
	cmocka_unit_test(test_fw_cfg_items),
	cmocka_unit_test(test_table_loader_layout),
	cmocka_unit_test(test_table_loader_installs_our_tables),
};

UNIT_SUITE(firmware, tests);
