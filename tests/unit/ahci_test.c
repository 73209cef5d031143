/*
 * ahci_test.c - the AHCI controller driven through its registers with
 * command lists, tables and PRDs laid out in a real struct guest_mem the
 * way SeaBIOS and Linux lay them out (ahci_testutil.h): PCI identity,
 * register semantics, the SeaBIOS probe, DMA reads and writes checked
 * byte for byte against the image, the ATAPI sequence, interrupts (INTx
 * and MSI), resets, the index/data pair and a snapshot round trip.
 * Hostile guests: ahci_hostile_test.c.
 */
#include "ahci_testutil.h"

/* ---- tests ------------------------------------------------------------- */

static void test_pci_identity(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *d = ahci_pci(f->a);
	unsigned int cap, found = 0;

	assert_int_equal(get_le16(d->cfg + PCI_VENDOR_ID), 0x8086);
	assert_int_equal(get_le16(d->cfg + PCI_DEVICE_ID), 0x2922);
	assert_int_equal(d->cfg[PCI_CLASS_PROG], 0x01);
	assert_int_equal(d->cfg[PCI_CLASS_PROG + 1], 0x06);
	assert_int_equal(d->cfg[PCI_CLASS_PROG + 2], 0x01);
	assert_int_equal(d->cfg[PCI_INTERRUPT_PIN], 1);
	assert_int_equal(d->bar[5].type, PCI_BAR_MEM32);
	assert_int_equal(d->bar[5].size, AHCI_ABAR_SIZE);
	assert_int_equal(d->bar[4].type, PCI_BAR_IO);
	for (cap = d->cfg[PCI_CAPABILITY_LIST]; cap; cap = d->cfg[cap + 1])
		if (d->cfg[cap] == PCI_CAP_ID_MSI) {
			found = cap;
			assert_int_equal(d->cfg[cap + 2] & 0x81, 0x80);   /* 64-bit, off */
			assert_int_equal(d->wmask[cap + 2], 0x01);
		}
	assert_true(found);
}

static void test_hba_registers(void **state)
{
	struct fixture *f = *state;
	uint32_t cap = r32(f, AHCI_CAP);

	assert_true(cap & (1u << 31));                           /* S64A */
	assert_int_equal(cap & 0x1F, AHCI_PORTS - 1);
	assert_int_equal((cap >> 8) & 0x1F, 31);                 /* 32 slots */
	assert_int_equal(r32(f, AHCI_PI), 0x3F);
	assert_int_equal(r32(f, AHCI_VS), 0x00010300);
	assert_true(r32(f, AHCI_GHC) & AHCI_GHC_AE);
	/* writes to read-only registers change nothing */
	w32(f, AHCI_CAP, 0);
	w32(f, AHCI_PI, 0);
	w32(f, AHCI_VS, 0);
	w32(f, AHCI_GHC, 0);                                     /* AE stays */
	assert_int_equal(r32(f, AHCI_CAP), cap);
	assert_int_equal(r32(f, AHCI_PI), 0x3F);
	assert_int_equal(r32(f, AHCI_VS), 0x00010300);
	assert_true(r32(f, AHCI_GHC) & AHCI_GHC_AE);
	for (unsigned int p = 0; p < 3; p++) {
		uint32_t tfd = r32(f, PREG(p, AHCI_PxTFD)), sig = r32(f, PREG(p, AHCI_PxSIG));
		w32(f, PREG(p, AHCI_PxTFD), 0xFFFFFFFF);
		w32(f, PREG(p, AHCI_PxSIG), 0);
		w32(f, PREG(p, AHCI_PxSSTS), 0);
		assert_int_equal(r32(f, PREG(p, AHCI_PxTFD)), tfd);
		assert_int_equal(r32(f, PREG(p, AHCI_PxSIG)), sig);
		assert_int_equal(r32(f, PREG(p, AHCI_PxSSTS)), 0x113);
	}
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxSIG)), AHCI_SIG_DISK);
	assert_int_equal(r32(f, PREG(P_CD, AHCI_PxSIG)), AHCI_SIG_ATAPI);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxTFD)), 0x150);
	assert_int_equal(r32(f, PREG(3, AHCI_PxSSTS)), 0);
	assert_int_equal(r32(f, PREG(3, AHCI_PxSIG)), 0xFFFFFFFF);
	/* ports beyond PI and offsets beyond the BAR: zero, writes dropped */
	for (uint64_t off = AHCI_PORT(AHCI_PORTS); off < AHCI_ABAR_SIZE + 64; off += 4) {
		w32(f, off, 0xFFFFFFFF);
		assert_int_equal(r32(f, off), 0);
	}
	/* reserved bits of CLB/FB/IE and the read-only CMD bits */
	w32(f, PREG(3, AHCI_PxCLB), 0xFFFFFFFF);
	w32(f, PREG(3, AHCI_PxFB), 0xFFFFFFFF);
	w32(f, PREG(3, AHCI_PxIE), 0xFFFFFFFF);
	w32(f, PREG(3, AHCI_PxCMD), AHCI_CMD_CR | AHCI_CMD_FR | 0x1F00);
	assert_int_equal(r32(f, PREG(3, AHCI_PxCLB)), 0xFFFFFC00);
	assert_int_equal(r32(f, PREG(3, AHCI_PxFB)), 0xFFFFFF00);
	assert_int_equal(r32(f, PREG(3, AHCI_PxIE)), 0xFDC000FF);
	assert_int_equal(r32(f, PREG(3, AHCI_PxCMD)), AHCI_CMD_SUD | AHCI_CMD_POD);
	/* sub-dword and 64-bit accesses */
	assert_int_equal(ahci_mmio_read(f->a, AHCI_CAP + 1, 1), 0x1F);
	assert_int_equal(ahci_mmio_read(f->a, AHCI_VS + 2, 2), 0x0001);
	ahci_mmio_write(f->a, PREG(4, AHCI_PxCLB), 8, 0x0000000123456C00ULL);
	assert_int_equal(r32(f, PREG(4, AHCI_PxCLB)), 0x23456C00);
	assert_int_equal(r32(f, PREG(4, AHCI_PxCLBU)), 0x1);
	ahci_mmio_write(f->a, PREG(4, AHCI_PxCLB) + 1, 1, 0x00);
	assert_int_equal(r32(f, PREG(4, AHCI_PxCLB)), 0x23450000);
	assert_int_equal(ahci_mmio_read(f->a, PREG(4, AHCI_PxCLB), 8), 0x123450000ULL);
	/* a command on an empty port is never run */
	w32(f, PREG(3, AHCI_PxCMD), AHCI_CMD_ST);
	w32(f, PREG(3, AHCI_PxCI), 1);
	assert_int_equal(r32(f, PREG(3, AHCI_PxCI)), 1);
	/* CI and SACT ignore writes while the port is stopped */
	w32(f, PREG(5, AHCI_PxCI), 1);
	w32(f, PREG(5, AHCI_PxSACT), 1);
	assert_int_equal(r32(f, PREG(5, AHCI_PxCI)), 0);
	assert_int_equal(r32(f, PREG(5, AHCI_PxSACT)), 0);
}

/* SeaBIOS: IDENTIFY PACKET first, recovery, then IDENTIFY DEVICE. */
static void test_seabios_probe(void **state)
{
	struct fixture *f = *state;
	struct cmd c;

	port_start(f, P_DISK);
	/* FRE brought the reset signature into the FIS area */
	uint8_t *rfis = ram(f, FB(P_DISK) + AHCI_RFIS_RFIS, 20);
	assert_int_equal(rfis[0], 0x34);
	assert_int_equal(rfis[2], 0x50);
	assert_int_equal(rfis[12], 1);
	assert_int_equal(rfis[5] | rfis[6], 0);

	h2d(&c, ATA_CMD_ID_PACKET, 0, 0);
	add_prd(&c, BUF, 512);
	issue(f, P_DISK, 0, &c);
	assert_true(r32(f, PREG(P_DISK, AHCI_PxIS)) & AHCI_IS_DHRS);
	assert_int_equal(rfis[2], ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(rfis[3], ATA_ERR_ABRT);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxTFD)), 0x441);
	expect_fatal(f, P_DISK, 0, AHCI_IS_TFES);

	h2d(&c, ATA_CMD_IDENTIFY, 0, 0);
	add_prd(&c, BUF, 512);
	issue(f, P_DISK, 0, &c);
	assert_true(r32(f, PREG(P_DISK, AHCI_PxIS)) & AHCI_IS_PSS);
	uint8_t *ps = ram(f, FB(P_DISK) + AHCI_RFIS_PSFIS, 20);
	assert_int_equal(ps[0], 0x5F);
	assert_int_equal(ps[1] & 0x60, 0x60);                    /* D, I */
	assert_int_equal(ps[2], 0x58);                           /* what SeaBIOS reads */
	assert_int_equal(ps[15], 0x50);
	assert_int_equal(get_le16(ps + 16), 512);
	expect_done(f, P_DISK, 0);
	assert_int_equal(prdbc(f, P_DISK, 0), 512);
	uint8_t *id = ram(f, BUF, 512);
	assert_int_equal(get_le16(id), 0x0040);
	assert_int_equal(get_le16(id + 200), DISK_SECTORS);
	assert_int_equal(id[54], 'T');

	port_start(f, P_CD);
	assert_int_equal(ram(f, FB(P_CD) + AHCI_RFIS_RFIS, 20)[6], 0xEB);
	h2d(&c, ATA_CMD_ID_PACKET, 0, 0);
	add_prd(&c, BUF2, 512);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(get_le16(ram(f, BUF2, 2)), 0x85C0);
}

static void test_read_write_dma(void **state)
{
	struct fixture *f = *state;
	uint8_t file[4096];
	struct cmd c;

	port_start(f, P_DISK);
	/* WRITE DMA EXT of 8 sectors at 10 from three scattered PRDs */
	uint8_t *a = ram(f, BUF, 1024), *b = ram(f, BUF + 0x10002, 512), *d = ram(f, BUF2, 2560);
	for (unsigned int i = 0; i < 1024; i++)
		a[i] = (uint8_t)(i * 7 + 1);
	for (unsigned int i = 0; i < 512; i++)
		b[i] = (uint8_t)(i ^ 0xA5);
	for (unsigned int i = 0; i < 2560; i++)
		d[i] = (uint8_t)(i * 3);
	h2d(&c, ATA_CMD_WRITE_DMA_EXT, 10, 8);
	c.write = true;
	add_prd(&c, BUF, 1024);
	add_prd(&c, BUF + 0x10002, 512);
	add_prd(&c, BUF2, 2560);
	issue(f, P_DISK, 3, &c);
	expect_done(f, P_DISK, 3);
	assert_int_equal(prdbc(f, P_DISK, 3), 4096);
	read_file(f->disk, 10 * 512, file, sizeof(file));
	assert_memory_equal(file, a, 1024);
	assert_memory_equal(file + 1024, b, 512);
	assert_memory_equal(file + 1536, d, 2560);

	/* FLUSH CACHE EXT */
	h2d(&c, ATA_CMD_FLUSH_EXT, 0, 0);
	issue(f, P_DISK, 0, &c);
	expect_done(f, P_DISK, 0);

	/* READ DMA EXT back into one buffer */
	uint8_t *back = ram(f, 0x800000, 4096);
	h2d(&c, ATA_CMD_READ_DMA_EXT, 10, 8);
	add_prd(&c, 0x800000, 4096);
	issue(f, P_DISK, 31, &c);
	expect_done(f, P_DISK, 31);
	assert_memory_equal(back, file, 4096);

	/* READ DMA (LBA28) of the last sector */
	h2d(&c, ATA_CMD_READ_DMA, DISK_SECTORS - 1, 1);
	add_prd(&c, 0x800000, 512);
	issue(f, P_DISK, 0, &c);
	expect_done(f, P_DISK, 0);
	read_file(f->disk, (DISK_SECTORS - 1) * 512ULL, file, 512);
	assert_memory_equal(back, file, 512);

	/* several slots issued at once all complete */
	h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 1);
	add_prd(&c, 0x900000, 512);
	for (unsigned int s = 4; s < 8; s++) {
		uint8_t *h = ram(f, CLB(P_DISK) + 32 * s, 32);
		uint8_t *t = ram(f, CT(P_DISK, s), 0x90);
		memset(t, 0, 0x90);
		memcpy(t, c.fis, 20);
		t[4] = (uint8_t)s;
		put_le64(t + 0x80, 0x900000 + 0x1000ULL * s);
		put_le32(t + 0x8C, 511);
		put_le32(h, 5 | 1u << 16);
		put_le64(h + 8, CT(P_DISK, s));
	}
	w32(f, PREG(P_DISK, AHCI_PxCI), 0xF0);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCI)), 0);
	for (unsigned int s = 4; s < 8; s++) {
		read_file(f->disk, s * 512ULL, file, 512);
		assert_memory_equal(ram(f, 0x900000 + 0x1000ULL * s, 512), file, 512);
	}
}

/* The ATAPI sequence SeaBIOS and Linux use, through the HBA. */
static void test_atapi_sequence(void **state)
{
	struct fixture *f = *state;
	static const uint8_t tur[12] = { 0x00 };
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	static const uint8_t cap[12] = { 0x25 };
	static const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1 };
	static const uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 20 };
	static const uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 32 };
	static const uint8_t ms[12] = { 0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 30 };
	static const uint8_t inq[12] = { 0x12, 0, 0, 0, 255 };
	struct cmd c;
	uint8_t *b = ram(f, BUF, 4096);

	assert_int_equal(r32(f, PREG(P_CD, AHCI_PxSIG)), AHCI_SIG_ATAPI);
	port_start(f, P_CD);
	packet(&c, tur);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(prdbc(f, P_CD, 0), 0);
	packet(&c, rs);
	add_prd(&c, BUF, 18);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(b[0], 0x70);
	assert_int_equal(b[2], 0);
	packet(&c, cap);
	add_prd(&c, BUF, 8);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(b[3], ISO_BLOCKS - 1);
	assert_int_equal(b[6], 0x08);
	packet(&c, rd);
	add_prd(&c, BUF, 2048);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(prdbc(f, P_CD, 0), 2048);
	assert_int_equal(b[0], 1);
	assert_memory_equal(b + 1, "CD001", 5);
	packet(&c, toc);
	add_prd(&c, BUF, 20);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(b[14], 0xAA);
	packet(&c, gc);
	add_prd(&c, BUF, 32);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(prdbc(f, P_CD, 0), 32);
	assert_int_equal(b[7], 0x08);
	packet(&c, ms);
	add_prd(&c, BUF, 30);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(b[8], 0x2A);
	/* allocation length far beyond the PRDs, reply fits: fine */
	packet(&c, inq);
	add_prd(&c, BUF, 36);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(prdbc(f, P_CD, 0), 36);
	/* reply larger than the PRDs: overflow */
	packet(&c, rs);
	add_prd(&c, BUF, 8);
	issue(f, P_CD, 0, &c);
	assert_int_equal(prdbc(f, P_CD, 0), 8);
	expect_fatal(f, P_CD, 0, AHCI_IS_OFS);

	/* a media change: TUR fails with UNIT ATTENTION in TFD, sense follows */
	assert_int_equal(ahci_change_media(f->a, f->iso), 0);
	packet(&c, tur);
	issue(f, P_CD, 0, &c);
	assert_int_equal(r32(f, PREG(P_CD, AHCI_PxTFD)), 0x6041);
	expect_fatal(f, P_CD, 0, AHCI_IS_TFES);
	packet(&c, rs);
	add_prd(&c, BUF, 18);
	issue(f, P_CD, 0, &c);
	expect_done(f, P_CD, 0);
	assert_int_equal(b[2], 6);
	assert_int_equal(b[12], 0x28);
	/* transfer length beyond the disc */
	static const uint8_t far[12] = { 0x28, 0, 0, 0, 0, ISO_BLOCKS - 1, 0, 0, 2 };
	packet(&c, far);
	add_prd(&c, BUF, 4096);
	issue(f, P_CD, 0, &c);
	assert_int_equal(prdbc(f, P_CD, 0), 0);
	expect_fatal(f, P_CD, 0, AHCI_IS_TFES);
	/* PACKET without the ATAPI bit in the header: no command packet */
	packet(&c, tur);
	c.atapi = false;
	issue(f, P_CD, 0, &c);
	expect_fatal(f, P_CD, 0, AHCI_IS_TFES);
	/* PIO: a PIO Setup FIS precedes the D2H */
	packet(&c, rd);
	c.fis[3] = 0;
	add_prd(&c, BUF, 2048);
	issue(f, P_CD, 0, &c);
	assert_true(r32(f, PREG(P_CD, AHCI_PxIS)) & AHCI_IS_PSS);
	expect_done(f, P_CD, 0);
}

static void test_interrupts(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *d = ahci_pci(f->a);
	struct cmd c;
	unsigned int msi = 0;

	port_start(f, P_DISK);
	h2d(&c, ATA_CMD_FLUSH, 0, 0);
	/* no IE anywhere: status without interrupt */
	issue(f, P_DISK, 0, &c);
	assert_int_equal(f->intx, 0);
	assert_int_equal(r32(f, AHCI_IS), 0);
	/* PxIE set, GHC.IE clear: IS shows the port, INTx stays low */
	w32(f, PREG(P_DISK, AHCI_PxIE), AHCI_IS_DHRS | AHCI_IS_TFES);
	assert_int_equal(r32(f, AHCI_IS), 1 << P_DISK);
	assert_int_equal(f->intx, 0);
	w32(f, AHCI_GHC, AHCI_GHC_IE);
	assert_int_equal(f->intx, 1);
	w32(f, AHCI_IS, 1 << P_DISK);                            /* still pending */
	assert_int_equal(f->intx, 1);
	w32(f, PREG(P_DISK, AHCI_PxIS), AHCI_IS_DHRS);
	assert_int_equal(f->intx, 0);
	assert_int_equal(r32(f, AHCI_IS), 0);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(f->intx, 1);
	w32(f, PREG(P_DISK, AHCI_PxIS), 0xFFFFFFFF);
	assert_int_equal(f->intx, 0);
	int calls = f->intx_calls;
	w32(f, AHCI_GHC, AHCI_GHC_IE);                           /* no change, no call */
	assert_int_equal(f->intx_calls, calls);

	/* MSI: a message per completion, INTx quiet */
	for (unsigned int cap = d->cfg[PCI_CAPABILITY_LIST]; cap; cap = d->cfg[cap + 1])
		if (d->cfg[cap] == PCI_CAP_ID_MSI)
			msi = cap;
	assert_true(msi);
	put_le32(d->cfg + msi + 4, 0xFEE00000);
	put_le32(d->cfg + msi + 8, 0);
	put_le16(d->cfg + msi + 12, 0x4041);
	d->cfg[msi + 2] |= 1;
	issue(f, P_DISK, 0, &c);
	assert_int_equal(f->msis, 1);
	assert_int_equal(f->msi_addr, 0xFEE00000);
	assert_int_equal(f->msi_data, 0x4041);
	assert_int_equal(f->intx, 0);
	issue(f, P_DISK, 0, &c);                                 /* DHRS already set */
	assert_int_equal(f->msis, 1);
	w32(f, PREG(P_DISK, AHCI_PxIS), 0xFFFFFFFF);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(f->msis, 2);
	w32(f, PREG(P_DISK, AHCI_PxIS), 0xFFFFFFFF);
	assert_int_equal(f->msis, 2);
	/* an error is a new event too */
	h2d(&c, 0xFF, 0, 0);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(f->msis, 3);
	recover(f, P_DISK);
	d->cfg[msi + 2] &= (uint8_t)~1;
}

static void test_resets(void **state)
{
	struct fixture *f = *state;
	struct cmd c;

	port_start(f, P_DISK);
	w32(f, PREG(P_DISK, AHCI_PxIE), 0xFF);
	w32(f, AHCI_GHC, AHCI_GHC_IE);
	/* COMRESET: DET=1 takes the link down, DET=0 brings the signature */
	uint8_t *rfis = ram(f, FB(P_DISK) + AHCI_RFIS_RFIS, 20);
	memset(rfis, 0, 20);
	rfis[2] = 0x80;                                          /* Linux: BSY */
	w32(f, PREG(P_DISK, AHCI_PxCMD), r32(f, PREG(P_DISK, AHCI_PxCMD)) & ~AHCI_CMD_ST);
	w32(f, PREG(P_DISK, AHCI_PxSCTL), 0x301);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxSSTS)), 0);
	w32(f, PREG(P_DISK, AHCI_PxSCTL), 0x300);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxSSTS)), 0x113);
	assert_int_equal(rfis[0], 0x34);
	assert_int_equal(rfis[2], 0x50);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxSIG)), AHCI_SIG_DISK);
	w32(f, PREG(P_DISK, AHCI_PxSCTL), 0x300);                /* 0 -> 0: nothing */

	/* soft reset with two device-control FISes (Linux ahci_softreset) */
	w32(f, PREG(P_DISK, AHCI_PxCMD), r32(f, PREG(P_DISK, AHCI_PxCMD)) | AHCI_CMD_ST);
	memset(&c, 0, sizeof(c));
	c.fis[0] = 0x27;
	c.fis[15] = 0x04;                                        /* SRST */
	issue(f, P_DISK, 0, &c);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCI)), 0);
	assert_true(r32(f, PREG(P_DISK, AHCI_PxTFD)) & ATA_STAT_BSY);
	c.fis[15] = 0;
	memset(rfis, 0, 20);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCI)), 0);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxTFD)), 0x150);
	assert_int_equal(rfis[2], 0x50);
	assert_int_equal(rfis[12], 1);

	/* HBA reset: registers to defaults, list/FIS bases kept, IRQ off */
	h2d(&c, ATA_CMD_FLUSH, 0, 0);
	issue(f, P_DISK, 0, &c);
	assert_int_equal(f->intx, 1);
	w32(f, AHCI_GHC, AHCI_GHC_HR | AHCI_GHC_IE);
	assert_int_equal(r32(f, AHCI_GHC), AHCI_GHC_AE);
	assert_int_equal(f->intx, 0);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxIE)), 0);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxIS)), 0);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCMD)), AHCI_CMD_SUD | AHCI_CMD_POD);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCLB)), CLB(P_DISK));
	assert_int_equal(r32(f, PREG(P_CD, AHCI_PxSIG)), AHCI_SIG_ATAPI);
	/* the signature waits for FRE */
	memset(rfis, 0, 20);
	w32(f, PREG(P_DISK, AHCI_PxCMD), AHCI_CMD_FRE);
	assert_int_equal(rfis[0], 0x34);

	/* system reset clears the bases too */
	ahci_reset(f->a);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxCLB)), 0);
	assert_int_equal(r32(f, PREG(P_DISK, AHCI_PxFB)), 0);
}

static void test_index_data_pair(void **state)
{
	struct fixture *f = *state;

	ahci_idp_write(f->a, 0x10, 4, PREG(P_CD, AHCI_PxSIG));
	assert_int_equal(ahci_idp_read(f->a, 0x10, 4), PREG(P_CD, AHCI_PxSIG));
	assert_int_equal(ahci_idp_read(f->a, 0x14, 4), AHCI_SIG_ATAPI);
	ahci_idp_write(f->a, 0x10, 4, PREG(3, AHCI_PxIE) | 0xFFFFF003);  /* masked */
	ahci_idp_write(f->a, 0x14, 4, AHCI_IS_DHRS);
	assert_int_equal(r32(f, PREG(3, AHCI_PxIE)), AHCI_IS_DHRS);
	assert_int_equal(ahci_idp_read(f->a, 0x00, 4), 0);
}

static void test_boot_path(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	ahci_pci(f->a)->devfn = 5 << 3;
	assert_true(ahci_boot_path(f->a, P_CD, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "/pci@i0cf8/ahci@5/drive@1/disk@0");
	assert_int_equal(ahci_boot_path(f->a, 4, buf, sizeof(buf)), -ENODEV);
	assert_int_equal(ahci_attach_cdrom(f->a, P_DISK, NULL), -EINVAL);
	struct atapi *cd;
	assert_int_equal(atapi_open(&cd, NULL), 0);
	assert_int_equal(ahci_attach_cdrom(f->a, P_DISK, cd), -EBUSY);
	assert_int_equal(ahci_attach_cdrom(f->a, AHCI_PORTS, cd), -EINVAL);
	atapi_close(cd);
}

struct bus_rec {
	int gsi[24];
	int msis;
	uint64_t addr;
	uint32_t data;
};

static void bus_gsi(void *ctx, unsigned int gsi, int level)
{
	struct bus_rec *r = ctx;
	if (gsi < 24)
		r->gsi[gsi] = level;
}

static void bus_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct bus_rec *r = ctx;
	r->msis++;
	r->addr = addr;
	r->data = data;
}

static uint32_t mmio32(struct trap_map *t, uint64_t addr)
{
	uint8_t b[4] = { 0 };
	assert_true(trap_dispatch(t, TRAP_MMIO, addr, b, 4, false));
	return get_le32(b);
}

static void mmio_w32(struct trap_map *t, uint64_t addr, uint32_t v)
{
	uint8_t b[4];
	put_le32(b, v);
	assert_true(trap_dispatch(t, TRAP_MMIO, addr, b, 4, true));
}

/* On a real bus: BAR sizing and placement, MMIO and I/O through the trap
 * map, INTx on the slot's PIRQ, MSI switched on with config writes. */
static void test_on_pci_bus(void **state)
{
	struct fixture *f = *state;
	struct bus_rec rec;
	struct trap_map traps;
	struct ahci_irq_ops irq = { NULL, bus_msi, &rec };
	struct ata_disk *d;
	struct ahci *a;
	const uint64_t abar = 0xFEBF0000;
	const uint8_t devfn = 5 << 3;
	unsigned int msi = 0;

	memset(&rec, 0, sizeof(rec));
	assert_int_equal(trap_map_init(&traps), 0);
	struct pci_bus_host host = { .traps = &traps, .set_gsi = bus_gsi, .ctx = &rec };
	struct pci_bus *bus = pci_bus_create(&host);
	assert_non_null(bus);
	assert_int_equal(ahci_create(&a, &f->gm, &irq), 0);
	/* a disk of its own: the fixture's controller holds (and locks) f->disk */
	char disk[UNIT_PATH_LEN];
	unit_tmp_sparse(disk, 1 << 20);
	assert_int_equal(ata_disk_open(&d, disk, DISK_FMT_RAW, false, NULL, 0), 0);
	assert_int_equal(ahci_attach_disk(a, 0, d), 0);
	assert_int_equal(pci_bus_add(bus, ahci_pci(a), 5), 0);

	assert_int_equal(pci_bus_cfg_read(bus, devfn, PCI_VENDOR_ID, 4), 0x29228086);
	pci_bus_cfg_write(bus, devfn, PCI_BAR0 + 5 * 4, 4, 0xFFFFFFFF);
	assert_int_equal(pci_bus_cfg_read(bus, devfn, PCI_BAR0 + 5 * 4, 4), 0xFFFFF000);
	pci_bus_cfg_write(bus, devfn, PCI_BAR0 + 5 * 4, 4, (uint32_t)abar);
	pci_bus_cfg_write(bus, devfn, PCI_BAR0 + 4 * 4, 4, 0xC040);
	pci_bus_cfg_write(bus, devfn, PCI_COMMAND, 2,
			  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(mmio32(&traps, abar + AHCI_PI), 0x3F);
	assert_int_equal(mmio32(&traps, abar + PREG(0, AHCI_PxSIG)), AHCI_SIG_DISK);
	uint8_t b[4];
	put_le32(b, PREG(0, AHCI_PxSSTS));
	assert_true(trap_dispatch(&traps, TRAP_PIO, 0xC040 + 0x10, b, 4, true));
	assert_true(trap_dispatch(&traps, TRAP_PIO, 0xC040 + 0x14, b, 4, false));
	assert_int_equal(get_le32(b), 0x113);

	/* INTx: INTA of slot 5 is PIRQ (5 + 1 - 1) % 4 */
	unsigned int gsi = PCI_GSI_BASE + pci_pirq(5, 1);
	mmio_w32(&traps, abar + PREG(0, AHCI_PxCLB), (uint32_t)CLB(0));
	mmio_w32(&traps, abar + PREG(0, AHCI_PxFB), (uint32_t)FB(0));
	mmio_w32(&traps, abar + PREG(0, AHCI_PxCMD), AHCI_CMD_FRE | AHCI_CMD_ST);
	mmio_w32(&traps, abar + PREG(0, AHCI_PxIE), AHCI_IS_DHRS);
	mmio_w32(&traps, abar + AHCI_GHC, AHCI_GHC_IE);
	struct cmd c;
	h2d(&c, ATA_CMD_FLUSH, 0, 0);
	uint8_t *hdr = ram(f, CLB(0), 32), *t = ram(f, CT(0, 0), 0x80);
	put_le32(hdr, 5);
	put_le64(hdr + 8, CT(0, 0));
	memcpy(t, c.fis, 20);
	mmio_w32(&traps, abar + PREG(0, AHCI_PxCI), 1);
	assert_int_equal(rec.gsi[gsi], 1);
	assert_true(pci_bus_cfg_read(bus, devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	mmio_w32(&traps, abar + PREG(0, AHCI_PxIS), AHCI_IS_DHRS);
	assert_int_equal(rec.gsi[gsi], 0);

	/* MSI through config space: address, data, enable */
	for (unsigned int cap = pci_bus_cfg_read(bus, devfn, PCI_CAPABILITY_LIST, 1); cap;
	     cap = pci_bus_cfg_read(bus, devfn, cap + 1, 1))
		if (pci_bus_cfg_read(bus, devfn, cap, 1) == PCI_CAP_ID_MSI)
			msi = cap;
	assert_true(msi);
	pci_bus_cfg_write(bus, devfn, msi + 4, 4, 0xFEE01003);    /* low bits RO */
	pci_bus_cfg_write(bus, devfn, msi + 8, 4, 0);
	pci_bus_cfg_write(bus, devfn, msi + 12, 2, 0x0031);
	pci_bus_cfg_write(bus, devfn, msi + 2, 2, 0xFFFF);        /* only enable sticks */
	assert_int_equal(pci_bus_cfg_read(bus, devfn, msi + 2, 2), 0x0081);
	mmio_w32(&traps, abar + PREG(0, AHCI_PxCI), 1);
	assert_int_equal(rec.msis, 1);
	assert_int_equal(rec.addr, 0xFEE01000);
	assert_int_equal(rec.data, 0x31);
	assert_int_equal(rec.gsi[gsi], 0);

	pci_bus_remove(bus, ahci_pci(a));
	ahci_destroy(a);
	pci_bus_destroy(bus);
	trap_map_destroy(&traps);
	unlink(disk);
}

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	uint32_t regs[AHCI_PORTS][16];
	struct snap s, l;
	struct cmd c;

	port_start(f, P_DISK);
	port_start(f, P_CD);
	w32(f, PREG(P_DISK, AHCI_PxIE), AHCI_IS_DHRS);
	w32(f, AHCI_GHC, AHCI_GHC_IE);
	h2d(&c, ATA_CMD_FLUSH, 0, 0);
	issue(f, P_DISK, 0, &c);
	h2d(&c, 0xFF, 0, 0);                                     /* leave P_CD halted */
	issue(f, P_CD, 2, &c);
	assert_int_equal(f->intx, 1);
	for (unsigned int p = 0; p < AHCI_PORTS; p++)
		for (unsigned int r = 0; r < 16; r++)
			regs[p][r] = r32(f, AHCI_PORT(p) + 4 * r);
	snap_init_save(&s);
	assert_int_equal(ahci_snapshot(f->a, &s), 0);
	ahci_destroy(f->a);
	f->intx = 0;
	f->a = make_ahci(f);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(ahci_snapshot(f->a, &l), 0);
	assert_int_equal(f->intx, 1);                            /* level restored */
	assert_int_equal(r32(f, AHCI_GHC), AHCI_GHC_AE | AHCI_GHC_IE);
	for (unsigned int p = 0; p < AHCI_PORTS; p++)
		for (unsigned int r = 0; r < 16; r++)
			assert_int_equal(r32(f, AHCI_PORT(p) + 4 * r), regs[p][r]);
	/* the restored controller works and keeps its halt */
	w32(f, PREG(P_DISK, AHCI_PxIS), 0xFFFFFFFF);
	h2d(&c, ATA_CMD_READ_DMA_EXT, 0, 1);
	add_prd(&c, BUF, 512);
	issue(f, P_DISK, 1, &c);
	expect_done(f, P_DISK, 1);
	expect_fatal(f, P_CD, 2, AHCI_IS_TFES);

	/* a controller with other drives refuses the state */
	struct ahci *other;
	struct ahci_irq_ops irq = { rec_intx, rec_msi, f };
	assert_int_equal(ahci_create(&other, &f->gm, &irq), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(ahci_snapshot(other, &l), -EINVAL);
	ahci_destroy(other);
	snap_free(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_pci_identity, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_hba_registers, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_seabios_probe, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_read_write_dma, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_atapi_sequence, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_interrupts, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_resets, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_index_data_pair, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_boot_path, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_on_pci_bus, fixture_setup, fixture_teardown),
	cmocka_unit_test_setup_teardown(test_snapshot, fixture_setup, fixture_teardown),
};

UNIT_SUITE(ahci, tests);
