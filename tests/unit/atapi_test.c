/*
 * atapi_test.c - the ATAPI CD-ROM on a generated ISO image, driven with
 * plain PACKET commands (no adapter): the probe sequences of SeaBIOS and
 * Linux, the MMC replies, media change and tray handling, errors.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "vmm/dev/atapi.h"

#define ISO_BLOCKS 64u

struct fixture {
	char path[UNIT_PATH_LEN];
	struct atapi *cd;
	uint8_t cdb[16];
	uint8_t buf[16384];
	struct iovec iov;
	struct ata_sg sg;
};

/* Blocks of a recognisable pattern; 16 is an ISO 9660 primary volume
 * descriptor, 17 the set terminator. */
static void make_iso(char *path, unsigned int blocks)
{
	size_t len = (size_t)blocks * ATAPI_SECTOR_SIZE;
	uint8_t *img = malloc(len);

	assert_non_null(img);
	for (size_t i = 0; i < len; i++)
		img[i] = (uint8_t)(i / ATAPI_SECTOR_SIZE + i * 3);
	uint8_t *pvd = img + 16 * ATAPI_SECTOR_SIZE;
	memset(pvd, 0, ATAPI_SECTOR_SIZE);
	pvd[0] = 1;
	memcpy(pvd + 1, "CD001", 5);
	pvd[6] = 1;
	memset(pvd + 8, ' ', 32);
	memcpy(pvd + 40, "TTYVM_TEST                      ", 32);
	put_le32(pvd + 80, blocks);                    /* volume space size, both-endian */
	pvd[84] = (uint8_t)(blocks >> 24); pvd[85] = (uint8_t)(blocks >> 16);
	pvd[86] = (uint8_t)(blocks >> 8); pvd[87] = (uint8_t)blocks;
	put_le16(pvd + 128, 2048);
	pvd[130] = 0x08; pvd[131] = 0x00;
	uint8_t *term = img + 17 * ATAPI_SECTOR_SIZE;
	memset(term, 0, ATAPI_SECTOR_SIZE);
	term[0] = 255;
	memcpy(term + 1, "CD001", 5);
	term[6] = 1;
	unit_tmp_write(path, img, len);
	free(img);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	make_iso(f->path, ISO_BLOCKS);
	assert_int_equal(atapi_open(&f->cd, f->path), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	atapi_close(f->cd);
	unlink(f->path);
	free(f);
	return 0;
}

/* PACKET with a 12-byte CDB and room bytes of data area (DMA). */
static struct ata_cmd packet(struct fixture *f, const uint8_t *cdb, size_t room)
{
	struct ata_cmd c = { .tf = { .command = ATA_CMD_PACKET, .feature = 1 } };

	memset(f->cdb, 0, sizeof(f->cdb));
	memcpy(f->cdb, cdb, 12);
	memset(f->buf, 0xCC, sizeof(f->buf));
	f->iov = (struct iovec){ f->buf, room };
	ata_sg_init(&f->sg, &f->iov, 1);
	c.cdb = f->cdb;
	c.sg = &f->sg;
	atapi_exec(f->cd, &c);
	return c;
}

static bool good(struct ata_cmd c)
{
	return c.tf.status == (ATA_STAT_DRDY | ATA_STAT_DSC) && c.tf.error == 0;
}

/* CHECK CONDITION with key, then REQUEST SENSE gives key/asc/ascq. */
static void expect_sense(struct fixture *f, const struct ata_cmd *c, uint8_t key,
			 uint8_t asc, uint8_t ascq)
{
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	assert_int_equal(c->tf.status, ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(c->tf.error, key << 4);
	struct ata_cmd s = packet(f, rs, 18);
	assert_true(good(s));
	assert_int_equal(f->sg.done, 18);
	assert_int_equal(f->buf[0], 0x70);
	assert_int_equal(f->buf[2], key);
	assert_int_equal(f->buf[12], asc);
	assert_int_equal(f->buf[13], ascq);
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_identify_packet(void **state)
{
	struct fixture *f = *state;
	struct ata_cmd c = { .tf = { .command = ATA_CMD_ID_PACKET } };

	f->iov = (struct iovec){ f->buf, 512 };
	ata_sg_init(&f->sg, &f->iov, 1);
	c.sg = &f->sg;
	atapi_exec(f->cd, &c);
	assert_true(good(c));
	assert_int_equal(c.proto, ATA_PROTO_PIO_IN);
	assert_int_equal(get_le16(f->buf), 0x85C0);          /* CD-ROM, removable */
	assert_int_equal((get_le16(f->buf) >> 8) & 0x1F, 5); /* what SeaBIOS checks */
	assert_true(get_le16(f->buf + 2 * 49) & (1 << 8));   /* DMA */
	assert_int_equal(f->buf[2 * 27 + 1], 'T');
	assert_int_equal(f->buf[2 * 27], 'T');

	/* IDENTIFY DEVICE aborts with the PACKET signature */
	struct ata_cmd id = { .tf = { .command = ATA_CMD_IDENTIFY } };
	ata_sg_init(&f->sg, &f->iov, 1);
	id.sg = &f->sg;
	atapi_exec(f->cd, &id);
	assert_int_equal(id.tf.status & ATA_STAT_ERR, ATA_STAT_ERR);
	assert_int_equal(id.tf.error, ATA_ERR_ABRT);
	assert_int_equal((id.tf.lba >> 8) & 0xFFFF, 0xEB14);
	assert_int_equal(f->sg.done, 0);

	struct ata_tf sig;
	atapi_reset(f->cd, &sig);
	assert_int_equal(sig.lba, 0xEB1401);
	assert_int_equal(sig.count, 1);
}

/* What SeaBIOS and Linux send to find and read a CD. */
static void test_probe_and_read(void **state)
{
	struct fixture *f = *state;
	static const uint8_t tur[12] = { 0x00 };
	static const uint8_t inq[12] = { 0x12, 0, 0, 0, 96 };
	static const uint8_t cap[12] = { 0x25 };
	static const uint8_t rd10[12] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1 };
	static const uint8_t rd12[12] = { 0xA8, 0, 0, 0, 0, 17, 0, 0, 0, 2 };
	struct ata_cmd c;

	assert_true(good(packet(f, tur, 0)));
	c = packet(f, inq, 96);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 36);
	assert_int_equal(f->buf[0], 0x05);
	assert_int_equal(f->buf[1], 0x80);
	assert_memory_equal(f->buf + 8, "TTYVM   ", 8);
	c = packet(f, cap, 8);
	assert_true(good(c));
	assert_int_equal(be32_at(f->buf), ISO_BLOCKS - 1);
	assert_int_equal(be32_at(f->buf + 4), 2048);
	c = packet(f, rd10, 2048);
	assert_true(good(c));
	assert_int_equal(c.proto, ATA_PROTO_DMA);
	assert_int_equal(f->sg.done, 2048);
	assert_int_equal(f->buf[0], 1);
	assert_memory_equal(f->buf + 1, "CD001", 5);
	assert_memory_equal(f->buf + 40, "TTYVM_TEST", 10);
	c = packet(f, rd12, 4096);
	assert_true(good(c));
	assert_int_equal(f->buf[0], 255);                     /* block 17 */
	assert_int_equal(f->buf[2048], (uint8_t)(18 + 18 * 2048 * 3));
	/* PIO works as well */
	struct ata_cmd pio = { .tf = { .command = ATA_CMD_PACKET } };
	memcpy(f->cdb, rd10, 12);
	ata_sg_init(&f->sg, &f->iov, 1);
	pio.cdb = f->cdb;
	pio.sg = &f->sg;
	atapi_exec(f->cd, &pio);
	assert_int_equal(pio.proto, ATA_PROTO_PIO_IN);
	assert_int_equal(f->sg.done, 2048);
}

static void test_read_errors(void **state)
{
	struct fixture *f = *state;
	static const uint8_t last[12] = { 0x28, 0, 0, 0, 0, ISO_BLOCKS - 1, 0, 0, 2 };
	static const uint8_t huge[12] = { 0xA8, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t far[12] = { 0x28, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1 };
	static const uint8_t zero[12] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 0 };
	static const uint8_t seek[12] = { 0x2B, 0, 0, 0, 0, ISO_BLOCKS };
	struct ata_cmd c;

	c = packet(f, last, 4096);
	assert_int_equal(f->sg.done, 0);
	assert_int_equal(f->buf[0], 0xCC);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_LBA_OUT_OF_RANGE, 0);
	c = packet(f, huge, 4096);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_LBA_OUT_OF_RANGE, 0);
	c = packet(f, far, 4096);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_LBA_OUT_OF_RANGE, 0);
	c = packet(f, seek, 0);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_LBA_OUT_OF_RANGE, 0);
	c = packet(f, zero, 4096);                          /* 0 blocks: nothing */
	assert_true(good(c));
	assert_int_equal(f->sg.done, 0);
	/* more data than room: only the room is filled, overflow flagged */
	static const uint8_t two[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 2 };
	c = packet(f, two, 3000);
	assert_true(f->sg.overflow);
	assert_int_equal(f->sg.done, 3000);
	assert_int_equal(f->buf[3000], 0xCC);
	/* an allocation length larger than the reply is fine */
	static const uint8_t inq[12] = { 0x12, 0, 0, 0xFF, 0xFF };
	c = packet(f, inq, 36);
	assert_true(good(c));
	assert_false(f->sg.overflow);
	/* unknown opcode, MODE SENSE(6), bad fields */
	static const uint8_t unk[12] = { 0xEE };
	c = packet(f, unk, 64);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_OPCODE, 0);
	static const uint8_t ms6[12] = { 0x1A, 0, 0x2A, 0, 64 };
	c = packet(f, ms6, 64);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_OPCODE, 0);
	static const uint8_t evpd[12] = { 0x12, 1, 0x83, 0, 64 };
	c = packet(f, evpd, 64);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);
	/* a successful command clears the sense */
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	packet(f, rs, 18);
	assert_int_equal(f->buf[2], 0);
	/* PACKET without a command packet aborts */
	struct ata_cmd nocdb = { .tf = { .command = ATA_CMD_PACKET } };
	nocdb.sg = &f->sg;
	atapi_exec(f->cd, &nocdb);
	assert_int_equal(nocdb.tf.error, ATA_ERR_ABRT);
}

static void test_toc(void **state)
{
	struct fixture *f = *state;
	static const uint8_t toc0[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24 };
	static const uint8_t toc0msf[12] = { 0x43, 2, 0, 0, 0, 0, 1, 0x03, 0x24 };
	static const uint8_t toc1[12] = { 0x43, 0, 1, 0, 0, 0, 0, 0, 12 };
	static const uint8_t toc2[12] = { 0x43, 2, 2, 0, 0, 0, 1, 0x03, 0x24 };
	static const uint8_t toc_lo[12] = { 0x43, 0, 0, 0, 0, 0, 0xAA, 0, 100 };
	static const uint8_t toc_bad[12] = { 0x43, 0, 0, 0, 0, 0, 2, 0, 100 };
	static const uint8_t toc_fmt[12] = { 0x43, 0, 4, 0, 0, 0, 0, 0, 100 };
	struct ata_cmd c;

	c = packet(f, toc0, 804);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 20);
	assert_int_equal(f->buf[1], 18);                     /* data length */
	assert_int_equal(f->buf[2], 1);
	assert_int_equal(f->buf[3], 1);
	assert_int_equal(f->buf[5], 0x14);                   /* data track */
	assert_int_equal(f->buf[6], 1);
	assert_int_equal(be32_at(f->buf + 8), 0);
	assert_int_equal(f->buf[14], 0xAA);
	assert_int_equal(be32_at(f->buf + 16), ISO_BLOCKS);
	c = packet(f, toc0msf, 804);
	assert_true(good(c));
	assert_memory_equal(f->buf + 8, "\0\0\2\0", 4);      /* 00:02:00 */
	/* lead-out at 64 + 150 = 214 frames = 00:02:64 */
	assert_memory_equal(f->buf + 16, "\0\0\2\x40", 4);
	c = packet(f, toc1, 12);
	assert_true(good(c));
	assert_int_equal(f->buf[1], 10);
	assert_int_equal(f->buf[6], 1);
	c = packet(f, toc2, 804);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 4 + 4 * 11);
	assert_int_equal(f->buf[4 + 3], 0xA0);
	assert_int_equal(f->buf[4 + 22 + 3], 0xA2);
	assert_int_equal(f->buf[4 + 33 + 3], 1);
	c = packet(f, toc_lo, 100);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 12);
	assert_int_equal(f->buf[6], 0xAA);
	c = packet(f, toc_bad, 100);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);
	c = packet(f, toc_fmt, 100);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);
}

static void test_configuration_and_mode(void **state)
{
	struct fixture *f = *state;
	static const uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
	static const uint8_t gc8[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 8 };
	static const uint8_t gc_one[12] = { 0x46, 2, 0, 3, 0, 0, 0, 0, 64 };
	static const uint8_t ms2a[12] = { 0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 128 };
	static const uint8_t ms3f[12] = { 0x5A, 0, 0x3F, 0, 0, 0, 0, 0, 128 };
	static const uint8_t ms_saved[12] = { 0x5A, 0, 0xEA, 0, 0, 0, 0, 0, 128 };
	static const uint8_t ms_bad[12] = { 0x5A, 0, 0x0D, 0, 0, 0, 0, 0, 128 };
	static const uint8_t rdi[12] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 34 };
	static const uint8_t mech[12] = { 0xBD, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	static const uint8_t speed[12] = { 0xBB, 0, 0xFF, 0xFF };
	static const uint8_t dvd[12] = { 0xAD, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	struct ata_cmd c;

	c = packet(f, gc, 256);
	assert_true(good(c));
	assert_int_equal(f->buf[6] << 8 | f->buf[7], 0x0008); /* CD-ROM current */
	assert_int_equal(be32_at(f->buf) + 4, f->sg.done);
	assert_int_equal(f->buf[8] << 8 | f->buf[9], 0x0000);  /* profile list first */
	assert_int_equal(f->buf[12 + 4 + 1], 0x08);            /* CD-ROM profile ... */
	assert_int_equal(f->buf[12 + 4 + 2], 1);               /* ... current */
	c = packet(f, gc8, 8);                                  /* header only */
	assert_true(good(c));
	assert_int_equal(f->sg.done, 8);
	c = packet(f, gc_one, 64);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 8 + 8);
	assert_int_equal(f->buf[9], 0x03);                     /* removable medium */
	assert_int_equal(f->buf[12] & 0x29, 0x29);

	c = packet(f, ms2a, 128);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 8 + 22);
	assert_int_equal(f->buf[8], 0x2A);
	assert_int_equal(f->buf[9], 0x14);
	assert_int_equal(f->buf[1], 28);
	c = packet(f, ms3f, 128);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 8 + 12 + 22);
	assert_int_equal(f->buf[8], 0x01);
	assert_int_equal(f->buf[20], 0x2A);
	c = packet(f, ms_saved, 128);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_SAVING_PARAMS, 0);
	c = packet(f, ms_bad, 128);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);

	c = packet(f, rdi, 34);
	assert_true(good(c));
	assert_int_equal(f->buf[2], 0x0E);
	c = packet(f, mech, 8);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 8);
	assert_true(good(packet(f, speed, 0)));
	c = packet(f, dvd, 8);                                  /* a CD has none */
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INCOMPATIBLE, 2);
}

static void test_dvd_profile(void **state)
{
	char path[UNIT_PATH_LEN];
	struct fixture *f = *state;
	static const uint8_t gc[12] = { 0x46, 1, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t phys[12] = { 0xAD, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04 };
	struct ata_cmd c;

	unit_tmp_sparse(path, 400000ULL * 2048);
	assert_int_equal(atapi_change_media(f->cd, path), 0);
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	packet(f, rs, 18);                                      /* eat the UA */
	c = packet(f, gc, 256);
	assert_true(good(c));
	assert_int_equal(f->buf[6] << 8 | f->buf[7], 0x0010);
	c = packet(f, phys, 2052);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 2052);
	assert_int_equal(f->buf[4], 0x01);
	unlink(path);
}

static void test_media_change_and_tray(void **state)
{
	struct fixture *f = *state;
	static const uint8_t tur[12] = { 0x00 };
	static const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
	static const uint8_t gesn[12] = { 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8 };
	static const uint8_t gesn_other[12] = { 0x4A, 1, 0, 0, 0x04, 0, 0, 0, 8 };
	static const uint8_t gesn_async[12] = { 0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8 };
	static const uint8_t lock[12] = { 0x1E, 0, 0, 0, 1 };
	static const uint8_t unlock[12] = { 0x1E };
	static const uint8_t eject[12] = { 0x1B, 0, 0, 0, 0x02 };
	static const uint8_t load[12] = { 0x1B, 0, 0, 0, 0x03 };
	static const uint8_t cap[12] = { 0x25 };
	struct ata_cmd c;

	/* no unit attention at power on */
	assert_true(good(packet(f, tur, 0)));
	c = packet(f, gesn, 8);
	assert_true(good(c));
	assert_int_equal(f->buf[2], 0x04);
	assert_int_equal(f->buf[4], 0);                         /* no event */
	assert_int_equal(f->buf[5], 0x02);                      /* media present */

	/* a new disc: INQUIRY passes, TUR gets the UA once, GESN says new media */
	assert_int_equal(atapi_change_media(f->cd, f->path), 0);
	assert_true(good(packet(f, inq, 36)));
	c = packet(f, gesn, 8);
	assert_int_equal(f->buf[4], 2);
	c = packet(f, gesn, 8);
	assert_int_equal(f->buf[4], 0);
	c = packet(f, tur, 0);
	expect_sense(f, &c, ATAPI_SK_UNIT_ATTENTION, ATAPI_ASC_MEDIUM_CHANGED, 0);
	assert_true(good(packet(f, tur, 0)));
	/* REQUEST SENSE reports a pending UA itself */
	assert_int_equal(atapi_change_media(f->cd, f->path), 0);
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	assert_true(good(packet(f, rs, 18)));
	assert_int_equal(f->buf[2], ATAPI_SK_UNIT_ATTENTION);
	assert_true(good(packet(f, tur, 0)));

	c = packet(f, gesn_other, 8);
	assert_true(good(c));
	assert_int_equal(f->buf[2], 0x80);                      /* no event available */
	c = packet(f, gesn_async, 8);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);

	/* locked: eject refused; unlocked: tray opens, medium gone */
	assert_true(good(packet(f, lock, 0)));
	c = packet(f, eject, 0);
	expect_sense(f, &c, ATAPI_SK_NOT_READY, ATAPI_ASC_REMOVAL_PREVENTED, 2);
	assert_true(good(packet(f, unlock, 0)));
	assert_true(good(packet(f, eject, 0)));
	c = packet(f, cap, 8);
	expect_sense(f, &c, ATAPI_SK_NOT_READY, ATAPI_ASC_NO_MEDIUM, 2);
	c = packet(f, gesn, 8);
	assert_int_equal(f->buf[4], 3);                         /* removal */
	assert_int_equal(f->buf[5], 0x01);                      /* tray open */
	assert_true(good(packet(f, load, 0)));
	c = packet(f, gesn, 8);
	assert_int_equal(f->buf[4], 2);
	c = packet(f, cap, 8);                                  /* closing: a new disc */
	expect_sense(f, &c, ATAPI_SK_UNIT_ATTENTION, ATAPI_ASC_MEDIUM_CHANGED, 0);
	assert_true(good(packet(f, cap, 8)));

	/* no disc at all */
	assert_int_equal(atapi_change_media(f->cd, NULL), 0);
	c = packet(f, tur, 0);
	expect_sense(f, &c, ATAPI_SK_NOT_READY, ATAPI_ASC_NO_MEDIUM, 1);
	static const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1 };
	c = packet(f, rd, 2048);
	assert_int_equal(f->sg.done, 0);
	expect_sense(f, &c, ATAPI_SK_NOT_READY, ATAPI_ASC_NO_MEDIUM, 1);
	assert_int_equal(atapi_sectors(f->cd), 0);
	assert_int_equal(atapi_change_media(f->cd, "/nonexistent.iso"), -ENOENT);
}

static void test_read_cd(void **state)
{
	struct fixture *f = *state;
	static const uint8_t user[12] = { 0xBE, 0, 0, 0, 0, 16, 0, 0, 1, 0x10 };
	static const uint8_t raw[12] = { 0xBE, 0, 0, 0, 0, 16, 0, 0, 2, 0xF8 };
	static const uint8_t audio[12] = { 0xBE, 1 << 2, 0, 0, 0, 16, 0, 0, 1, 0x10 };
	struct ata_cmd c;

	c = packet(f, user, 2048);
	assert_true(good(c));
	assert_memory_equal(f->buf + 1, "CD001", 5);
	c = packet(f, raw, 2 * 2352);
	assert_true(good(c));
	assert_int_equal(f->sg.done, 2 * 2352);
	assert_memory_equal(f->buf, "\0\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\0", 12);
	assert_int_equal(f->buf[15], 1);                        /* mode 1 */
	assert_memory_equal(f->buf + 17, "CD001", 5);
	assert_int_equal(f->buf[2352 + 16], 255);               /* block 17 */
	c = packet(f, raw, 2352 + 100);                         /* room for 1.04 */
	assert_true(f->sg.overflow);
	assert_int_equal(f->sg.done, 2352 + 100);
	c = packet(f, audio, 2048);
	expect_sense(f, &c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);
}

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	static const uint8_t lock[12] = { 0x1E, 0, 0, 0, 1 };
	static const uint8_t ms2a[12] = { 0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 128 };
	static const uint8_t tur[12] = { 0x00 };
	struct atapi *cd2;
	struct snap s, l;

	packet(f, lock, 0);
	assert_int_equal(atapi_change_media(f->cd, f->path), 0);  /* UA pending */
	snap_init_save(&s);
	assert_int_equal(atapi_snapshot(f->cd, &s), 0);
	assert_int_equal(atapi_open(&cd2, f->path), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(atapi_snapshot(cd2, &l), 0);
	atapi_close(f->cd);
	f->cd = cd2;
	struct ata_cmd c = packet(f, tur, 0);
	expect_sense(f, &c, ATAPI_SK_UNIT_ATTENTION, ATAPI_ASC_MEDIUM_CHANGED, 0);
	packet(f, ms2a, 128);
	assert_int_equal(f->buf[8 + 6] & 0x02, 0x02);            /* still locked */

	/* an empty drive refuses a state saved with a disc in it */
	assert_int_equal(atapi_open(&cd2, NULL), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(atapi_snapshot(cd2, &l), -EINVAL);
	atapi_close(cd2);
	snap_free(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_identify_packet, setup, teardown),
	cmocka_unit_test_setup_teardown(test_probe_and_read, setup, teardown),
	cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
	cmocka_unit_test_setup_teardown(test_toc, setup, teardown),
	cmocka_unit_test_setup_teardown(test_configuration_and_mode, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dvd_profile, setup, teardown),
	cmocka_unit_test_setup_teardown(test_media_change_and_tray, setup, teardown),
	cmocka_unit_test_setup_teardown(test_read_cd, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
};

UNIT_SUITE(atapi, tests);
