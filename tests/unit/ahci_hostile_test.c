/*
 * ahci_hostile_test.c - what a hostile or broken guest can do to the AHCI
 * controller: commands the drive rejects, pointers outside RAM (command
 * list, command table, PRD entries, FIS area), PRD tables that are too
 * short, empty, huge or made of one-byte entries.  Each ends in the
 * error bits real hardware reports (TFES, HBFS, OFS), no memory outside
 * the checked segments is touched, and the port works again after the
 * AHCI 6.2.2.1 recovery.
 */
#include "ahci_testutil.h"

static void test_disk_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t before[1024], after[1024];
	struct cmd c;

	port_start(f, P_DISK);
	port_start(f, P_RO);
	/* beyond the image: IDNF, nothing transferred */
	memset(ram(f, BUF, 1024), 0x77, 1024);
	h2d(&c, ATA_CMD_READ_DMA_EXT, DISK_SECTORS - 1, 2);
	add_prd(&c, BUF, 1024);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxTFD)), ATA_ERR_IDNF << 8 | 0x41);
	assert_int_equal(prdbc(f, P_DISK, 0), 0);
	assert_int_equal(ram(f, BUF, 1)[0], 0x77);
	expect_fatal(f, P_DISK, 0, AHCI_IS_TFES);
	/* unknown command: ERR + ABRT; the port is halted until recovery */
	h2d(&c, 0xFF, 0, 0);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxTFD)), ATA_ERR_ABRT << 8 | 0x41);
	h2d(&c, ATA_CMD_FLUSH, 0, 0);
	issue(f, P_DISK, 1, &c);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCI)), 3);
	expect_fatal(f, P_DISK, 0, AHCI_IS_TFES);
	issue(f, P_DISK, 1, &c);
	expect_done(f, P_DISK, 1);
	/* a FIS that is not Register H2D is refused the same way */
	h2d(&c, ATA_CMD_IDENTIFY, 0, 0);
	c.fis[0] = 0x39;
	add_prd(&c, BUF, 512);
	issue(f, P_DISK, 0, &c);
	expect_fatal(f, P_DISK, 0, AHCI_IS_TFES);
	/* writes to the read-only disk abort; the image stays */
	read_file(f->ro, 0, before, sizeof(before));
	memset(ram(f, BUF, 1024), 0x12, 1024);
	h2d(&c, ATA_CMD_WRITE_DMA_EXT, 0, 2);
	c.write = true;
	add_prd(&c, BUF, 1024);
	issue(f, P_RO, 0, &c);
	assert_int_equal(r32(f, PREG(P_RO, AHCI_PxTFD)) >> 8, ATA_ERR_ABRT);
	expect_fatal(f, P_RO, 0, AHCI_IS_TFES);
	read_file(f->ro, 0, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
}

/* Bad pointers: HBFS, nothing outside RAM touched, the port recovers. */
static void test_hostile_pointers(void **state)
{
	struct fixture *f = *state;
	uint64_t bad[] = {
		LAYOUT_VGA_START,                 /* the legacy VGA hole */
		LAYOUT_LOW_RAM_END,               /* the PCI hole */
		RAM_SIZE - 256,                   /* straddles the end of RAM */
		0xFFFFFFFFFFFFFF00ULL,            /* wraps */
	};
	struct cmd c;

	port_start(f, P_DISK);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 1);
		add_prd(&c, bad[i], 512);
		issue(f, P_DISK, 2, &c);
		expect_fatal(f, P_DISK, 2, AHCI_IS_HBFS);
	}
	/* a good entry, then a bad one the command needs */
	memset(ram(f, BUF, 1024), 0, 1024);
	h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 2);
	add_prd(&c, BUF, 512);
	add_prd(&c, 0xFEE00000, 512);
	issue(f, P_DISK, 2, &c);
	assert_int_equal(prdbc(f, P_DISK, 2), 512);
	expect_fatal(f, P_DISK, 2, AHCI_IS_HBFS);
	/* a bad entry the command does not reach is never looked at */
	h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 1);
	add_prd(&c, BUF, 512);
	add_prd(&c, 0xFEE00000, 512);
	issue(f, P_DISK, 2, &c);
	expect_done(f, P_DISK, 2);
	/* a write whose data lies outside RAM writes nothing */
	h2d(&c, ATA_CMD_WRITE_DMA_EXT, 0, 1);
	c.write = true;
	add_prd(&c, LAYOUT_VGA_START, 512);
	issue(f, P_DISK, 2, &c);
	expect_fatal(f, P_DISK, 2, AHCI_IS_HBFS);

	/* command table beyond RAM, and one that wraps */
	h2d(&c, ATA_CMD_IDENTIFY, 0, 0);
	issue_at(f, P_DISK, 1, &c, RAM_SIZE, 0);
	expect_fatal(f, P_DISK, 1, AHCI_IS_HBFS);
	issue_at(f, P_DISK, 1, &c, 0xFFFFFFFFFFFFFF80ULL, 0);
	expect_fatal(f, P_DISK, 1, AHCI_IS_HBFS);
	/* PRD table running off the end of RAM (PRDTL 65535) */
	uint8_t *t = ram(f, RAM_SIZE - 0x100, 0x100);
	memset(t, 0, 0x100);
	memcpy(t, (uint8_t[]){ 0x27, 0x80, ATA_CMD_READ_DMA_EXT, 0, 0, 0, 0, 0x40,
			       0, 0, 0, 0, 1 }, 13);
	uint8_t *hdr = ram(f, CLB(P_DISK), 32);
	put_le32(hdr, 5 | 0xFFFFu << 16);
	put_le64(hdr + 8, RAM_SIZE - 0x100);
	w32(f, PREG(P_DISK, AHCI_PxCI), 1);
	assert_int_equal(prdbc(f, P_DISK, 0), 8);                /* 8 one-byte PRDs */
	expect_fatal(f, P_DISK, 0, AHCI_IS_HBFS);

	/* command list outside RAM */
	w32(f, PREG(P_DISK, AHCI_PxCMD), r32(f, PREG(P_DISK, AHCI_PxCMD)) & ~AHCI_CMD_ST);
	w32(f, PREG(P_DISK, AHCI_PxCLB), 0xFFFFFC00);
	w32(f, PREG(P_DISK, AHCI_PxCLBU), 0xFFFFFFFF);
	w32(f, PREG(P_DISK, AHCI_PxCMD), r32(f, PREG(P_DISK, AHCI_PxCMD)) | AHCI_CMD_ST);
	w32(f, PREG(P_DISK, AHCI_PxCI), 1);
	expect_fatal(f, P_DISK, 0, AHCI_IS_HBFS);
	/* FIS area outside RAM: the FIS cannot be posted */
	port_start(f, P_DISK);
	w32(f, PREG(P_DISK, AHCI_PxFB), 0xFEE00000);
	h2d(&c, ATA_CMD_FLUSH, 0, 0);
	issue(f, P_DISK, 0, &c);
	expect_fatal(f, P_DISK, 0, AHCI_IS_HBFS);
	/* and it all still works afterwards */
	port_start(f, P_DISK);
	issue(f, P_DISK, 0, &c);
	expect_done(f, P_DISK, 0);
}

/* PRD tables too short, zero-length, huge, and of one-byte entries. */
static void test_hostile_prdt(void **state)
{
	struct fixture *f = *state;
	uint8_t file[1024];
	struct cmd c;

	port_start(f, P_DISK);
	read_file(f->disk, 0, file, sizeof(file));
	/* no PRDs at all for a read: overflow */
	h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 1);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(prdbc(f, P_DISK, 0), 0);
	expect_fatal(f, P_DISK, 0, AHCI_IS_OFS);
	/* room for half the data: the half arrives, the sentinel stays */
	uint8_t *buf = ram(f, BUF, 2048);
	memset(buf, 0xEE, 2048);
	h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 2);
	add_prd(&c, BUF, 512);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(prdbc(f, P_DISK, 0), 512);
	assert_memory_equal(buf, file, 512);
	assert_int_equal(buf[512], 0xEE);
	expect_fatal(f, P_DISK, 0, AHCI_IS_OFS);
	/* a write with too little data: aborted, nothing written */
	h2d(&c, ATA_CMD_WRITE_DMA_EXT, 0, 2);
	c.write = true;
	add_prd(&c, BUF, 512);
	issue(f, P_DISK, 0, &c);
	expect_fatal(f, P_DISK, 0, AHCI_IS_TFES);
	uint8_t now[1024];
	read_file(f->disk, 0, now, sizeof(now));
	assert_memory_equal(now, file, sizeof(now));

	/* 65535 one-byte entries, every other byte: 512 bytes scattered */
	uint64_t tbl = 0x1000000;
	uint8_t *t = ram(f, tbl, 0x80 + 65535ULL * 16);
	memset(t, 0, 0x80);
	memcpy(t, (uint8_t[]){ 0x27, 0x80, ATA_CMD_READ_DMA_EXT, 0, 0, 0, 0, 0x40,
			       0, 0, 0, 0, 1 }, 13);
	for (unsigned int i = 0; i < 65535; i++) {
		put_le64(t + 0x80 + 16 * i, 0x2000000 + 2ULL * i);
		put_le32(t + 0x80 + 16 * i + 12, 0);          /* DBC 0: one byte */
	}
	uint8_t *dst = ram(f, 0x2000000, 1024);
	memset(dst, 0xEE, 1024);
	uint8_t *hdr = ram(f, CLB(P_DISK), 32);
	put_le32(hdr, 5 | 0xFFFFu << 16);
	put_le64(hdr + 8, tbl);
	w32(f, PREG(P_DISK, AHCI_PxCI), 1);
	expect_done(f, P_DISK, 0);
	assert_int_equal(prdbc(f, P_DISK, 0), 512);
	for (unsigned int i = 0; i < 512; i++) {
		assert_int_equal(dst[2 * i], file[i]);
		assert_int_equal(dst[2 * i + 1], 0xEE);
	}
	/* reserved DBC bits ignored, the largest entry (4 MiB), and DPS once
	 * the entry with the I bit is done */
	put_le64(t + 0x80, 0x2000000);
	put_le32(t + 0x8C, 0xFFC000FF);                        /* I + 256 bytes */
	put_le64(t + 0x90, 0x2000100);
	put_le32(t + 0x9C, 0x003FFFFF);                        /* 4 MiB */
	put_le32(hdr, 5 | 2u << 16);
	w32(f, PREG(P_DISK, AHCI_PxCI), 1);
	assert_true(r32(f, PREG(P_DISK, AHCI_PxIS)) & AHCI_IS_DPS);
	expect_done(f, P_DISK, 0);
	assert_memory_equal(dst, file, 512);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_disk_errors, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_hostile_pointers, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_hostile_prdt, fixture_setup, fixture_teardown),
};

UNIT_SUITE(ahci_hostile, tests);
