/*
 * ahci_testutil.h - the harness ahci_test.c and ahci_hostile_test.c share:
 * a 64 MiB struct guest_mem, a controller with a disk on port 0, the
 * CD-ROM on port 1 and a read-only disk on port 2, and helpers that lay
 * out command lists, tables and PRDs the way SeaBIOS does.  Header-only
 * (static inline) so each suite stays self-contained.
 */
#ifndef TTYVM_AHCI_TESTUTIL_H
#define TTYVM_AHCI_TESTUTIL_H

#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "vmm/dev/ahci.h"
#include "vmm/layout.h"

#define RAM_SIZE     (64 * MiB)
#define DISK_SECTORS 4096u
#define ISO_BLOCKS   40u
#define P_DISK 0
#define P_CD   1
#define P_RO   2

#define CLB(p)      (0x10000ULL + (p) * 0x400ULL)
#define FB(p)       (0x18000ULL + (p) * 0x100ULL)
#define CT(p, s)    (0x40000ULL + (p) * 0x10000ULL + (s) * 0x800ULL)
#define BUF         0x200000ULL
#define BUF2        0x400000ULL
#define PREG(p, r)  (AHCI_PORT(p) + (r))

struct fixture {
	struct guest_mem gm;
	struct ahci *a;
	char disk[UNIT_PATH_LEN], iso[UNIT_PATH_LEN], ro[UNIT_PATH_LEN];
	int intx, intx_calls, msis;
	uint64_t msi_addr;
	uint32_t msi_data;
};

struct prd {
	uint64_t addr;
	uint32_t len;
	bool irq;
};

struct cmd {
	uint8_t fis[20];
	uint8_t cdb[16];
	bool atapi, write;
	unsigned int nprd;
	struct prd prd[8];
};

static inline void rec_intx(void *ctx, int level)
{
	struct fixture *f = ctx;
	f->intx = level;
	f->intx_calls++;
}

static inline void rec_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct fixture *f = ctx;
	f->msis++;
	f->msi_addr = addr;
	f->msi_data = data;
}

static inline void write_pattern_file(char *path, size_t len, uint8_t seed)
{
	uint8_t *b = malloc(len);
	assert_non_null(b);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i / 512 * 13 + i + seed);
	unit_tmp_write(path, b, len);
	free(b);
}

/* An ISO whose block 16 starts like a primary volume descriptor. */
static inline void write_iso(char *path)
{
	size_t len = ISO_BLOCKS * 2048;
	uint8_t *b = calloc(1, len);
	assert_non_null(b);
	b[16 * 2048] = 1;
	memcpy(b + 16 * 2048 + 1, "CD001", 5);
	b[16 * 2048 + 6] = 1;
	unit_tmp_write(path, b, len);
	free(b);
}

static inline struct ahci *make_ahci(struct fixture *f)
{
	struct ahci_irq_ops irq = { rec_intx, rec_msi, f };
	struct ata_disk *d, *r;
	struct atapi *cd;
	struct ahci *a;

	assert_int_equal(ahci_create(&a, &f->gm, &irq), 0);
	assert_int_equal(ata_disk_open(&d, f->disk, DISK_FMT_RAW, false, NULL, 0), 0);
	assert_int_equal(ahci_attach_disk(a, P_DISK, d), 0);
	assert_int_equal(atapi_open(&cd, f->iso), 0);
	assert_int_equal(ahci_attach_cdrom(a, P_CD, cd), 0);
	assert_int_equal(ata_disk_open(&r, f->ro, DISK_FMT_RAW, true, NULL, 0), 0);
	assert_int_equal(ahci_attach_disk(a, P_RO, r), 0);
	return a;
}

static inline int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gmem_init(&f->gm, RAM_SIZE), 0);
	write_pattern_file(f->disk, DISK_SECTORS * 512, 0);
	write_pattern_file(f->ro, DISK_SECTORS * 512, 0x55);
	write_iso(f->iso);
	f->a = make_ahci(f);
	*state = f;
	return 0;
}

static inline int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	ahci_destroy(f->a);
	gmem_destroy(&f->gm);
	unlink(f->disk);
	unlink(f->iso);
	unlink(f->ro);
	free(f);
	return 0;
}

static inline uint32_t r32(struct fixture *f, uint64_t off)
{
	return (uint32_t)ahci_mmio_read(f->a, off, 4);
}

static inline void w32(struct fixture *f, uint64_t off, uint32_t v)
{
	ahci_mmio_write(f->a, off, 4, v);
}

static inline uint8_t *ram(struct fixture *f, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(&f->gm, gpa, len);
	assert_non_null(p);
	return p;
}

/* SeaBIOS's port bring-up: stop, clear, point at the lists, FRE, ST. */
static inline void port_start(struct fixture *f, unsigned int p)
{
	w32(f, PREG(p, AHCI_PxCMD), r32(f, PREG(p, AHCI_PxCMD)) & ~(AHCI_CMD_ST | AHCI_CMD_FRE));
	assert_int_equal(r32(f, PREG(p, AHCI_PxCMD)) & (AHCI_CMD_CR | AHCI_CMD_FR), 0);
	w32(f, PREG(p, AHCI_PxIE), 0);
	w32(f, PREG(p, AHCI_PxIS), r32(f, PREG(p, AHCI_PxIS)));
	w32(f, PREG(p, AHCI_PxCLB), (uint32_t)CLB(p));
	w32(f, PREG(p, AHCI_PxCLBU), 0);
	w32(f, PREG(p, AHCI_PxFB), (uint32_t)FB(p));
	w32(f, PREG(p, AHCI_PxFBU), 0);
	w32(f, PREG(p, AHCI_PxCMD), r32(f, PREG(p, AHCI_PxCMD)) | AHCI_CMD_FRE);
	assert_int_equal(r32(f, PREG(p, AHCI_PxSSTS)) & 0xF, 3);
	w32(f, PREG(p, AHCI_PxSERR), r32(f, PREG(p, AHCI_PxSERR)));
	assert_int_equal(r32(f, PREG(p, AHCI_PxTFD)) & (ATA_STAT_BSY | ATA_STAT_DRQ), 0);
	w32(f, PREG(p, AHCI_PxCMD), r32(f, PREG(p, AHCI_PxCMD)) | AHCI_CMD_ST);
	assert_true(r32(f, PREG(p, AHCI_PxCMD)) & AHCI_CMD_CR);
}

/* AHCI 6.2.2.1 non-queued error recovery, as SeaBIOS does it. */
static inline void recover(struct fixture *f, unsigned int p)
{
	w32(f, PREG(p, AHCI_PxCMD), r32(f, PREG(p, AHCI_PxCMD)) & ~AHCI_CMD_ST);
	assert_int_equal(r32(f, PREG(p, AHCI_PxCMD)) & AHCI_CMD_CR, 0);
	assert_int_equal(r32(f, PREG(p, AHCI_PxCI)), 0);
	w32(f, PREG(p, AHCI_PxSERR), r32(f, PREG(p, AHCI_PxSERR)));
	w32(f, PREG(p, AHCI_PxIS), r32(f, PREG(p, AHCI_PxIS)));
	w32(f, PREG(p, AHCI_PxCMD), r32(f, PREG(p, AHCI_PxCMD)) | AHCI_CMD_ST);
}

static inline void h2d(struct cmd *c, uint8_t command, uint64_t lba, uint16_t count)
{
	memset(c, 0, sizeof(*c));
	c->fis[0] = 0x27;
	c->fis[1] = 0x80;
	c->fis[2] = command;
	c->fis[4] = (uint8_t)lba;
	c->fis[5] = (uint8_t)(lba >> 8);
	c->fis[6] = (uint8_t)(lba >> 16);
	c->fis[7] = ATA_DEV_LBA;
	c->fis[8] = (uint8_t)(lba >> 24);
	c->fis[9] = (uint8_t)(lba >> 32);
	c->fis[10] = (uint8_t)(lba >> 40);
	c->fis[12] = (uint8_t)count;
	c->fis[13] = (uint8_t)(count >> 8);
}

static inline void packet(struct cmd *c, const uint8_t *cdb)
{
	h2d(c, ATA_CMD_PACKET, 0, 0);
	c->fis[3] = 1;                          /* DMA */
	c->fis[7] = 0;
	memcpy(c->cdb, cdb, 12);
	c->atapi = true;
}

static inline void add_prd(struct cmd *c, uint64_t addr, uint32_t len)
{
	c->prd[c->nprd++] = (struct prd){ addr, len, false };
}

/* Writes header + table for slot and sets the CI bit. */
static inline void issue_at(struct fixture *f, unsigned int p, unsigned int slot,
		     const struct cmd *c, uint64_t ct, uint32_t prdtl)
{
	uint8_t *hdr = ram(f, CLB(p) + 32ULL * slot, 32);

	put_le32(hdr, 5u | (c->atapi ? AHCI_HDR_ATAPI : 0) | (c->write ? AHCI_HDR_WRITE : 0) |
		      prdtl << 16);
	put_le32(hdr + 4, 0xDEADBEEF);
	put_le64(hdr + 8, ct);
	if (gmem_ptr(&f->gm, ct, 0x80 + 16ULL * c->nprd)) {
		uint8_t *t = ram(f, ct, 0x80 + 16ULL * c->nprd);
		memset(t, 0, 0x80);
		memcpy(t, c->fis, sizeof(c->fis));
		memcpy(t + AHCI_CT_ACMD, c->cdb, sizeof(c->cdb));
		for (unsigned int i = 0; i < c->nprd; i++) {
			uint8_t *e = t + AHCI_CT_PRDT + 16 * i;
			put_le64(e, c->prd[i].addr);
			put_le32(e + 8, 0);
			put_le32(e + 12, (c->prd[i].len - 1) | (c->prd[i].irq ? 1u << 31 : 0));
		}
	}
	w32(f, PREG(p, AHCI_PxCI), 1u << slot);
}

static inline void issue(struct fixture *f, unsigned int p, unsigned int slot, const struct cmd *c)
{
	issue_at(f, p, slot, c, CT(p, slot), c->nprd);
}

static inline uint32_t prdbc(struct fixture *f, unsigned int p, unsigned int slot)
{
	return get_le32(ram(f, CLB(p) + 32ULL * slot + 4, 4));
}

/* The slot finished well: CI clear, D2H posted, no error bits. */
static inline void expect_done(struct fixture *f, unsigned int p, unsigned int slot)
{
	uint32_t is = r32(f, PREG(p, AHCI_PxIS));
	assert_int_equal(r32(f, PREG(p, AHCI_PxCI)) & (1u << slot), 0);
	assert_true(is & AHCI_IS_DHRS);
	assert_int_equal(is & (AHCI_IS_TFES | AHCI_IS_HBFS | AHCI_IS_OFS), 0);
	assert_int_equal(r32(f, PREG(p, AHCI_PxTFD)) & (ATA_STAT_ERR | ATA_STAT_BSY | ATA_STAT_DRQ), 0);
	w32(f, PREG(p, AHCI_PxIS), is);
}

/* The slot stopped the port with a fatal error bit: CI stays set. */
static inline void expect_fatal(struct fixture *f, unsigned int p, unsigned int slot, uint32_t bit)
{
	assert_true(r32(f, PREG(p, AHCI_PxIS)) & bit);
	assert_true(r32(f, PREG(p, AHCI_PxCI)) & (1u << slot));
	recover(f, p);
}

static inline void read_file(const char *path, uint64_t off, void *dst, size_t len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, dst, len, (off_t)off), (ssize_t)len);
	close(fd);
}

#endif
