/*
 * fw_cfg_test.c - the fw_cfg device as SeaBIOS and a hostile guest drive
 * it: selector and data ports, the big-endian file directory, DMA read,
 * skip and select, errors for DMA outside RAM, boot order, save/load.
 *
 * Layouts are restated from QEMU docs/specs/fw_cfg.rst, not taken from
 * fw_cfg.c.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/dev/fw_cfg.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#define RAM (4 * MiB)

struct env {
	struct guest_mem gm;
	struct fw_cfg *fw;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(gmem_init(&e->gm, RAM), 0);
	e->fw = fw_cfg_create(&e->gm);
	assert_non_null(e->fw);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fw_cfg_destroy(e->fw);
	gmem_destroy(&e->gm);
	free(e);
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* What the guest does: outw(key, 0x510), then insb from 0x511. */
static void port_select(struct fw_cfg *fw, uint16_t key)
{
	fw_cfg_port_write(fw, FW_CFG_PORT_SEL - FW_CFG_PORT_SEL, 2, key);
}

static void port_read(struct fw_cfg *fw, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)fw_cfg_port_read(fw, FW_CFG_PORT_DATA - FW_CFG_PORT_SEL, 1);
}

/* outl(cpu_to_be32(addr), 0x518) with the high half written first */
static void dma_kick(struct fw_cfg *fw, uint64_t addr)
{
	fw_cfg_dma_write(fw, 0, 4, __builtin_bswap32((uint32_t)(addr >> 32)));
	fw_cfg_dma_write(fw, 4, 4, __builtin_bswap32((uint32_t)addr));
}

/* FWCfgDmaAccess at gpa: be32 control, be32 length, be64 address */
static void dma_access(struct guest_mem *gm, uint64_t gpa, uint32_t control,
		       uint32_t length, uint64_t addr)
{
	uint8_t *a = gmem_ptr(gm, gpa, 16);

	assert_non_null(a);
	wr_be32(a, control);
	wr_be32(a + 4, length);
	wr_be32(a + 8, (uint32_t)(addr >> 32));
	wr_be32(a + 12, (uint32_t)addr);
}

static uint32_t dma_status(struct guest_mem *gm, uint64_t gpa)
{
	return be32(gmem_ptr(gm, gpa, 4));
}

static void test_signature_and_id(void **state)
{
	struct env *e = *state;
	uint8_t b[8];

	port_select(e->fw, FW_CFG_SIGNATURE);
	port_read(e->fw, b, 5);
	assert_memory_equal(b, "QEMU", 4);
	assert_int_equal(b[4], 0);                  /* past the end */
	/* the selector port also reads data bytes, 1 byte at a time */
	port_select(e->fw, FW_CFG_SIGNATURE);
	assert_int_equal(fw_cfg_port_read(e->fw, 0, 1), 'Q');
	assert_int_equal(fw_cfg_port_read(e->fw, 1, 1), 'E');
	/* wider reads are not part of the x86 interface */
	assert_int_equal(fw_cfg_port_read(e->fw, 1, 2) & 0xffff, 0xffff);

	port_select(e->fw, FW_CFG_ID);
	port_read(e->fw, b, 4);
	assert_int_equal(get_le32(b), FW_CFG_VERSION | FW_CFG_VERSION_DMA);

	/* the DMA register reads "QEMU CFG" byte by byte */
	uint64_t sig = fw_cfg_dma_read(e->fw, 0, 4) | fw_cfg_dma_read(e->fw, 4, 4) << 32;
	put_le64(b, sig);
	assert_memory_equal(b, "QEMU CFG", 8);
	assert_int_equal(fw_cfg_dma_read(e->fw, 2, 1), 'M');
}

static void test_unknown_keys_read_zero(void **state)
{
	struct env *e = *state;
	static const uint16_t keys[] = { 0x1234, 0x3fff, 0x7fff, 0x801f, 0xbfff, 0xffff,
					 FW_CFG_FILE_FIRST + 3 };
	uint8_t b[16];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		port_select(e->fw, keys[i]);
		memset(b, 0xAA, sizeof(b));
		port_read(e->fw, b, sizeof(b));
		for (size_t j = 0; j < sizeof(b); j++)
			assert_int_equal(b[j], 0);
	}
	/* the write-channel bit is ignored: 0x4000 selects the signature */
	port_select(e->fw, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
	port_read(e->fw, b, 4);
	assert_memory_equal(b, "QEMU", 4);
	/* 1-byte writes (legacy data writes) and odd offsets change nothing */
	fw_cfg_port_write(e->fw, 1, 1, 0x55);
	fw_cfg_port_write(e->fw, 0, 1, FW_CFG_ID);
	fw_cfg_port_write(e->fw, 0, 4, FW_CFG_ID);
	port_read(e->fw, b, 1);
	assert_int_equal(b[0], 0);  /* still the signature, past its end */
}

static void test_numbered_items(void **state)
{
	struct env *e = *state;
	uint8_t b[8];

	assert_int_equal(fw_cfg_add_i16(e->fw, FW_CFG_NB_CPUS, 3), 0);
	assert_int_equal(fw_cfg_add_i64(e->fw, FW_CFG_RAM_SIZE, 0x123456789aULL), 0);
	assert_int_equal(fw_cfg_add_i32(e->fw, FW_CFG_IRQ0_OVERRIDE, 1), 0);
	port_select(e->fw, FW_CFG_NB_CPUS);
	port_read(e->fw, b, 2);
	assert_int_equal(get_le16(b), 3);
	port_select(e->fw, FW_CFG_RAM_SIZE);
	port_read(e->fw, b, 8);
	assert_int_equal(get_le64(b), 0x123456789aULL);
	port_select(e->fw, FW_CFG_IRQ0_OVERRIDE);
	port_read(e->fw, b, 4);
	assert_int_equal(get_le32(b), 1);
	/* replacing keeps one item */
	assert_int_equal(fw_cfg_add_i16(e->fw, FW_CFG_NB_CPUS, 7), 0);
	port_select(e->fw, FW_CFG_NB_CPUS);
	port_read(e->fw, b, 3);
	assert_int_equal(get_le16(b), 7);
	assert_int_equal(b[2], 0);
	/* file keys and the directory are not numbered items */
	assert_int_equal(fw_cfg_add_i16(e->fw, FW_CFG_FILE_DIR, 1), -EINVAL);
	assert_int_equal(fw_cfg_add_i16(e->fw, FW_CFG_FILE_FIRST, 1), -EINVAL);
	assert_int_equal(fw_cfg_add_i16(e->fw, FW_CFG_ARCH_LOCAL + 0x20, 1), -EINVAL);
	assert_int_equal(fw_cfg_add_bytes(e->fw, FW_CFG_UUID, b, FW_CFG_MAX_ITEM + 1), -EINVAL);
}

static void test_file_directory(void **state)
{
	struct env *e = *state;
	static const char *const names[] = { "zeta", "etc/e820", "alpha/one" };
	uint8_t dir[4 + 3 * 64], b[16];

	for (size_t i = 0; i < 3; i++) {
		char data[16];
		snprintf(data, sizeof(data), "data-%zu", i);
		int key = fw_cfg_add_file(e->fw, names[i], data, strlen(data));
		assert_int_equal(key, FW_CFG_FILE_FIRST + (int)i);
	}
	port_select(e->fw, FW_CFG_FILE_DIR);
	port_read(e->fw, dir, sizeof(dir));
	assert_int_equal(be32(dir), 3);
	/* sorted by name; be32 size, be16 select, be16 reserved, name[56] */
	static const char *const sorted[] = { "alpha/one", "etc/e820", "zeta" };
	static const unsigned int index_of[] = { 2, 1, 0 };
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *ent = dir + 4 + 64 * i;
		char want[16];
		snprintf(want, sizeof(want), "data-%u", index_of[i]);
		assert_int_equal(be32(ent), strlen(want));
		uint16_t sel = (uint16_t)(ent[4] << 8 | ent[5]);
		assert_int_equal(sel, FW_CFG_FILE_FIRST + index_of[i]);
		assert_int_equal(ent[6] | ent[7], 0);
		assert_string_equal((const char *)ent + 8, sorted[i]);
		for (size_t j = 8 + strlen(sorted[i]); j < 64; j++)
			assert_int_equal(ent[j], 0);
		port_select(e->fw, sel);
		memset(b, 0, sizeof(b));
		port_read(e->fw, b, strlen(want));
		assert_memory_equal(b, want, strlen(want));
	}
	assert_true(fw_cfg_has_file(e->fw, "etc/e820"));
	assert_false(fw_cfg_has_file(e->fw, "etc/e82"));
}

static void test_file_errors(void **state)
{
	struct env *e = *state;
	char name[80];

	assert_true(fw_cfg_add_file(e->fw, "a", "x", 1) >= FW_CFG_FILE_FIRST);
	assert_int_equal(fw_cfg_add_file(e->fw, "a", "y", 1), -EEXIST);
	assert_int_equal(fw_cfg_add_file(e->fw, "", "y", 1), -EINVAL);
	memset(name, 'n', 55);
	name[55] = '\0';
	assert_true(fw_cfg_add_file(e->fw, name, "y", 1) > 0);   /* 55 fits */
	memset(name, 'm', 56);
	name[56] = '\0';
	assert_int_equal(fw_cfg_add_file(e->fw, name, "y", 1), -EINVAL);
	for (int i = 2; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_true(fw_cfg_add_file(e->fw, name, NULL, 0) > 0);
	}
	assert_int_equal(fw_cfg_add_file(e->fw, "one-too-many", "y", 1), -ENOSPC);
	/* the directory lists all of them */
	uint8_t n[4];
	port_select(e->fw, FW_CFG_FILE_DIR);
	port_read(e->fw, n, 4);
	assert_int_equal(be32(n), FW_CFG_MAX_FILES);
}

static void test_dma_read_skip_select(void **state)
{
	struct env *e = *state;
	const char text[] = "0123456789abcdef";
	uint8_t *buf = gmem_ptr(&e->gm, 0x2000, 64);
	int key = fw_cfg_add_file(e->fw, "test", text, 16);

	assert_true(key > 0);
	/* select + read 4 */
	memset(buf, 0xAA, 64);
	dma_access(&e->gm, 0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
		   FW_CFG_DMA_CTL_READ, 4, 0x2000);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(buf[4], 0xAA);
	/* skip 2, then read 3 through the ports: the offset is shared */
	dma_access(&e->gm, 0x1000, FW_CFG_DMA_CTL_SKIP, 2, 0);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	uint8_t b[3];
	port_read(e->fw, b, 3);
	assert_memory_equal(b, "678", 3);
	/* read past the end: 7 data bytes, then zeros */
	memset(buf, 0xAA, 64);
	dma_access(&e->gm, 0x1000, FW_CFG_DMA_CTL_READ, 20, 0x2000);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	assert_memory_equal(buf, "9abcdef", 7);
	for (int i = 7; i < 20; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[20], 0xAA);
	/* select alone (no read) resets the offset; length 0 is fine */
	dma_access(&e->gm, 0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	port_read(e->fw, b, 2);
	assert_memory_equal(b, "QE", 2);
	/* an 8-byte write of the whole register works too */
	dma_access(&e->gm, 0x1000, FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT |
		   FW_CFG_DMA_CTL_READ, 4, 0x2000);
	fw_cfg_dma_write(e->fw, 0, 8, __builtin_bswap64(0x1000));
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	assert_int_equal(get_le32(buf), 3);
}

static bool ram_untouched(struct guest_mem *gm, uint64_t from, uint64_t len, uint8_t v)
{
	const uint8_t *p = gmem_ptr(gm, from, len);

	for (uint64_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void test_dma_hostile(void **state)
{
	struct env *e = *state;
	uint8_t *low = gmem_ptr(&e->gm, 0, 0x9F000);
	int key = fw_cfg_add_file(e->fw, "big", NULL, 0);

	assert_true(key > 0);
	memset(low, 0x5A, 0x9F000);
	static const uint64_t bad_dst[] = {
		0xA0000,              /* the VGA hole */
		0x9FFF8,              /* straddles into the hole */
		RAM - 8,              /* straddles the end of RAM */
		RAM,
		LAYOUT_4G,
		0xFFFFFFFFFFFFFFF0ULL /* wraps */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_dst); i++) {
		/* reading the signature to a bad address: error, nothing written */
		dma_access(&e->gm, 0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
			   FW_CFG_DMA_CTL_READ, 16, bad_dst[i]);
		dma_kick(e->fw, 0x1000);
		assert_int_equal(dma_status(&e->gm, 0x1000), FW_CFG_DMA_CTL_ERROR);
		assert_true(ram_untouched(&e->gm, 0x2000, 0x9F000 - 0x2000, 0x5A));
	}
	/* a huge length: zero-fill would run past RAM, so error, no write */
	dma_access(&e->gm, 0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ |
		   (uint32_t)key << 16, 0xFFFFFFFF, 0x2000);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_true(ram_untouched(&e->gm, 0x2000, 0x9F000 - 0x2000, 0x5A));
	/* a huge skip is harmless and completes */
	dma_access(&e->gm, 0x1000, FW_CFG_DMA_CTL_SKIP, 0xFFFFFFFF, 0);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	/* writes are refused */
	dma_access(&e->gm, 0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
		   FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
	dma_kick(e->fw, 0x1000);
	assert_int_equal(dma_status(&e->gm, 0x1000), FW_CFG_DMA_CTL_ERROR);
	uint8_t b[4];
	port_select(e->fw, FW_CFG_SIGNATURE);
	port_read(e->fw, b, 4);
	assert_memory_equal(b, "QEMU", 4);
	/* the access structure itself outside RAM: nothing happens at all */
	static const uint64_t bad_acc[] = { 0xA0000, 0x9FFF8, RAM - 8, RAM,
					    LAYOUT_4G + 0x1000 };
	for (size_t i = 0; i < ARRAY_SIZE(bad_acc); i++) {
		dma_kick(e->fw, bad_acc[i]);
		assert_true(ram_untouched(&e->gm, 0x2000, 0x9F000 - 0x2000, 0x5A));
	}
	/* the high half only counts for the next transfer */
	fw_cfg_dma_write(e->fw, 0, 4, __builtin_bswap32(1));
	dma_access(&e->gm, 0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
		   FW_CFG_DMA_CTL_READ, 4, 0x2000);
	fw_cfg_dma_write(e->fw, 4, 4, __builtin_bswap32(0x1000));   /* 4G+0x1000 */
	assert_int_equal(dma_status(&e->gm, 0x1000), FW_CFG_DMA_CTL_SELECT |
			 FW_CFG_DMA_CTL_READ | FW_CFG_SIGNATURE << 16);  /* untouched */
	dma_kick(e->fw, 0x1000);                                     /* high = 0 again */
	assert_int_equal(dma_status(&e->gm, 0x1000), 0);
	/* odd sizes and offsets on the DMA register are ignored */
	fw_cfg_dma_write(e->fw, 4, 2, 0x1000);
	fw_cfg_dma_write(e->fw, 2, 4, 0x1000);
	fw_cfg_dma_write(e->fw, 7, 1, 0x10);
	assert_int_equal(fw_cfg_dma_read(e->fw, 6, 4) & 0xffffffff, 0xffffffff);
	/* a transfer whose buffer overlaps its own access structure */
	dma_access(&e->gm, 0x3000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
		   FW_CFG_DMA_CTL_READ, 16, 0x3000);
	dma_kick(e->fw, 0x3000);
	assert_int_equal(dma_status(&e->gm, 0x3000), 0);
}

static void test_ofw_paths_and_bootorder(void **state)
{
	struct env *e = *state;
	char p[FW_CFG_OFW_PATH_MAX], text[512];

	assert_int_equal(fw_cfg_ofw_virtio_blk(p, sizeof(p), 4 << 3), 26);
	assert_string_equal(p, "/pci@i0cf8/scsi@4/disk@0,0");
	assert_true(fw_cfg_ofw_virtio_blk(p, sizeof(p), 0x1a << 3 | 1) > 0);
	assert_string_equal(p, "/pci@i0cf8/scsi@1a,1/disk@0,0");
	assert_true(fw_cfg_ofw_ahci(p, sizeof(p), 0x1f << 3 | 2, 1) > 0);
	assert_string_equal(p, "/pci@i0cf8/sata@1f,2/drive@1/disk@0");
	assert_int_equal(fw_cfg_ofw_ahci(p, 10, 3 << 3, 0), -ENOSPC);

	/* nothing registered: no file */
	assert_int_equal(fw_cfg_set_bootorder(e->fw, true), 0);
	assert_false(fw_cfg_has_file(e->fw, "bootorder"));

	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 1, "/pci@i0cf8/scsi@5/disk@0,0"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_CDROM, 0, "/pci@i0cf8/sata@3/drive@0/disk@0"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 0, "/pci@i0cf8/sata@3/drive@1/disk@0"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 2, ""), -EINVAL);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 2, "a\nb"), -EINVAL);
	assert_int_equal(fw_cfg_set_bootorder(e->fw, true), 0);

	/* read "bootorder" through the directory, as SeaBIOS does */
	uint8_t dir[4 + 64];
	port_select(e->fw, FW_CFG_FILE_DIR);
	port_read(e->fw, dir, sizeof(dir));
	assert_int_equal(be32(dir), 1);
	assert_string_equal((char *)dir + 4 + 8, "bootorder");
	uint32_t len = be32(dir + 4);
	assert_true(len < sizeof(text));
	port_select(e->fw, (uint16_t)(dir[8] << 8 | dir[9]));
	port_read(e->fw, text, len);
	assert_int_equal(text[len - 1], '\0');
	assert_string_equal(text, "/pci@i0cf8/sata@3/drive@0/disk@0\n"
				  "/pci@i0cf8/sata@3/drive@1/disk@0\n"
				  "/pci@i0cf8/scsi@5/disk@0,0");
	/* a second bootorder is refused: the file is made once */
	assert_int_equal(fw_cfg_set_bootorder(e->fw, false), -EEXIST);
}

static void test_bootorder_disk_first(void **state)
{
	struct env *e = *state;
	char text[256];

	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_CDROM, 0, "cd"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 1, "d1"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 0, "d0"), 0);
	assert_int_equal(fw_cfg_set_bootorder(e->fw, false), 0);
	port_select(e->fw, FW_CFG_FILE_FIRST);
	port_read(e->fw, text, 9);
	assert_string_equal(text, "d0\nd1\ncd");
	for (unsigned int i = 3; i < FW_CFG_MAX_BOOT_DEVICES; i++)
		assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, i, "dx"), 0);
	assert_int_equal(fw_cfg_add_boot_device(e->fw, FW_CFG_BOOT_DISK, 99, "dx"), -ENOSPC);
}

static void test_snapshot_and_reset(void **state)
{
	struct env *e = *state;
	struct fw_cfg *other = fw_cfg_create(&e->gm);
	struct snap s;
	uint8_t b[2];

	assert_non_null(other);
	assert_true(fw_cfg_add_file(e->fw, "f", "abcdef", 6) > 0);
	assert_true(fw_cfg_add_file(other, "f", "abcdef", 6) > 0);
	port_select(e->fw, FW_CFG_FILE_FIRST);
	port_read(e->fw, b, 2);
	fw_cfg_dma_write(e->fw, 0, 4, __builtin_bswap32(0));

	snap_init_save(&s);
	assert_int_equal(fw_cfg_snapshot(e->fw, &s), 0);
	struct snap l;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(fw_cfg_snapshot(other, &l), 0);
	port_read(other, b, 2);
	assert_memory_equal(b, "cd", 2);
	snap_free(&s);

	/* reset: nothing selected */
	fw_cfg_reset(other);
	port_read(other, b, 1);
	assert_int_equal(b[0], 0);
	fw_cfg_destroy(other);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unknown_keys_read_zero, setup, teardown),
	cmocka_unit_test_setup_teardown(test_numbered_items, setup, teardown),
	cmocka_unit_test_setup_teardown(test_file_directory, setup, teardown),
	cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dma_read_skip_select, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dma_hostile, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ofw_paths_and_bootorder, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bootorder_disk_first, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_and_reset, setup, teardown),
};

UNIT_SUITE(fw_cfg, tests);
