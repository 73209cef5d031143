/*
 * ata_disk_test.c - the ATA disk on a temp raw image, driven with plain
 * taskfiles and host buffers (no adapter), and the ata_sg helpers.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "vmm/dev/ata_disk.h"

#define IMG_SECTORS 2048u                  /* 1 MiB */

struct fixture {
	char path[UNIT_PATH_LEN];
	struct ata_disk *d;
	uint8_t buf[64 * 1024];
	struct iovec iov;
	struct ata_sg sg;
};

static void fill_image(uint8_t *img, size_t len)
{
	for (size_t i = 0; i < len; i++)
		img[i] = (uint8_t)(i / ATA_SECTOR_SIZE * 7 + i);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t *img = malloc(IMG_SECTORS * ATA_SECTOR_SIZE);

	assert_non_null(f);
	assert_non_null(img);
	fill_image(img, IMG_SECTORS * ATA_SECTOR_SIZE);
	unit_tmp_write(f->path, img, IMG_SECTORS * ATA_SECTOR_SIZE);
	free(img);
	assert_int_equal(ata_disk_open(&f->d, f->path, DISK_FMT_RAW, false, NULL, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ata_disk_close(f->d);
	unlink(f->path);
	free(f);
	return 0;
}

/* Runs cmd with the fixture buffer (first len bytes) as the data area. */
static struct ata_cmd run(struct fixture *f, uint8_t cmd, uint64_t lba, uint16_t count,
			  size_t len)
{
	struct ata_cmd c = { .tf = { .command = cmd, .lba = lba, .count = count,
				     .device = ATA_DEV_LBA } };
	f->iov = (struct iovec){ f->buf, len };
	ata_sg_init(&f->sg, &f->iov, 1);
	c.sg = &f->sg;
	ata_disk_exec(f->d, &c);
	return c;
}

static void read_file(const char *path, uint64_t off, void *dst, size_t len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, dst, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static uint16_t id_word(const uint8_t *b, unsigned int w)
{
	return get_le16(b + 2 * w);
}

static void test_identify(void **state)
{
	struct fixture *f = *state;
	struct ata_cmd c = run(f, ATA_CMD_IDENTIFY, 0, 0, 512);
	uint8_t sum = 0;
	char model[41];

	assert_int_equal(c.tf.status, ATA_STAT_DRDY | ATA_STAT_DSC);
	assert_int_equal(c.proto, ATA_PROTO_PIO_IN);
	assert_int_equal(f->sg.done, 512);
	for (unsigned int i = 0; i < 20; i++) {
		model[2 * i] = (char)(id_word(f->buf, 27 + i) >> 8);
		model[2 * i + 1] = (char)id_word(f->buf, 27 + i);
	}
	model[40] = 0;
	assert_memory_equal(model, "TTYVM HARDDISK  ", 16);
	assert_true(id_word(f->buf, 49) & (1 << 9));            /* LBA */
	assert_true(id_word(f->buf, 83) & (1 << 10));           /* LBA48 */
	assert_true(id_word(f->buf, 83) & (1 << 13));           /* FLUSH EXT */
	assert_int_equal(id_word(f->buf, 60) | id_word(f->buf, 61) << 16, IMG_SECTORS);
	assert_int_equal(id_word(f->buf, 100), IMG_SECTORS);
	assert_int_equal(id_word(f->buf, 101) | id_word(f->buf, 102) | id_word(f->buf, 103), 0);
	assert_true(id_word(f->buf, 85) & (1 << 5));            /* write cache on */
	assert_int_equal(f->buf[510], 0xA5);
	for (unsigned int i = 0; i < 512; i++)
		sum = (uint8_t)(sum + f->buf[i]);
	assert_int_equal(sum, 0);
	/* serial: 20 printable characters, stable for the path */
	for (unsigned int i = 20; i < 40; i++)
		assert_true(f->buf[i] >= 0x20 && f->buf[i] < 0x7F);

	/* the setting shows up in IDENTIFY */
	c = run(f, ATA_CMD_SET_FEATURES, 0, 0, 0);
	assert_int_equal(c.tf.status & ATA_STAT_ERR, ATA_STAT_ERR);   /* feature 0 */
	struct ata_cmd sf = { .tf = { .command = ATA_CMD_SET_FEATURES, .feature = 0x82 } };
	f->iov = (struct iovec){ f->buf, 0 };
	ata_sg_init(&f->sg, &f->iov, 1);
	sf.sg = &f->sg;
	ata_disk_exec(f->d, &sf);
	assert_int_equal(sf.tf.status & ATA_STAT_ERR, 0);
	run(f, ATA_CMD_IDENTIFY, 0, 0, 512);
	assert_false(id_word(f->buf, 85) & (1 << 5));
}

static void test_read_write_bytes(void **state)
{
	struct fixture *f = *state;
	uint8_t want[4096], got[4096];
	struct ata_cmd c;

	/* READ DMA EXT of 8 sectors at 100 = the file */
	c = run(f, ATA_CMD_READ_DMA_EXT, 100, 8, 4096);
	assert_int_equal(c.tf.status, ATA_STAT_DRDY | ATA_STAT_DSC);
	assert_int_equal(c.proto, ATA_PROTO_DMA);
	read_file(f->path, 100 * 512, want, 4096);
	assert_memory_equal(f->buf, want, 4096);

	/* WRITE DMA (LBA28, bits 27:24 in device) lands byte for byte */
	for (unsigned int i = 0; i < 1024; i++)
		f->buf[i] = (uint8_t)(0xC3 ^ i);
	struct ata_cmd w = { .tf = { .command = ATA_CMD_WRITE_DMA, .lba = 0x0007FE,
				     .count = 2, .device = ATA_DEV_LBA } };
	f->iov = (struct iovec){ f->buf, 1024 };
	ata_sg_init(&f->sg, &f->iov, 1);
	w.sg = &f->sg;
	ata_disk_exec(f->d, &w);
	assert_int_equal(w.tf.status & ATA_STAT_ERR, 0);
	read_file(f->path, 0x7FE * 512, got, 1024);
	assert_memory_equal(got, f->buf, 1024);

	/* CHS: cylinder 1, head 2, sector 3 = (1*16+2)*63+2 */
	memset(f->buf, 0, 512);
	struct ata_cmd chs = { .tf = { .command = ATA_CMD_READ_SECTORS, .lba = 3 | 1 << 8,
				       .count = 1, .device = 2 } };
	f->iov = (struct iovec){ f->buf, 512 };
	ata_sg_init(&f->sg, &f->iov, 1);
	chs.sg = &f->sg;
	ata_disk_exec(f->d, &chs);
	assert_int_equal(chs.tf.status & ATA_STAT_ERR, 0);
	assert_int_equal(chs.proto, ATA_PROTO_PIO_IN);
	read_file(f->path, ((1 * 16 + 2) * 63 + 2) * 512ULL, want, 512);
	assert_memory_equal(f->buf, want, 512);

	/* FLUSH CACHE (EXT) */
	assert_int_equal(run(f, ATA_CMD_FLUSH_EXT, 0, 0, 0).tf.status & ATA_STAT_ERR, 0);
	assert_int_equal(run(f, ATA_CMD_FLUSH, 0, 0, 0).tf.status & ATA_STAT_ERR, 0);
}

static void test_range_and_errors(void **state)
{
	struct fixture *f = *state;
	struct ata_cmd c;

	memset(f->buf, 0x5A, sizeof(f->buf));
	/* last sector plus one */
	c = run(f, ATA_CMD_READ_DMA_EXT, IMG_SECTORS - 1, 2, 1024);
	assert_int_equal(c.tf.status, ATA_STAT_DRDY | ATA_STAT_ERR);
	assert_int_equal(c.tf.error, ATA_ERR_IDNF);
	assert_int_equal(f->sg.done, 0);
	assert_int_equal(f->buf[0], 0x5A);
	/* a huge LBA48 address, count 0 (= 65536) */
	c = run(f, ATA_CMD_READ_DMA_EXT, 0xFFFFFFFFFFFFULL, 0, 1024);
	assert_int_equal(c.tf.error, ATA_ERR_IDNF);
	c = run(f, ATA_CMD_WRITE_DMA_EXT, 0, 0, 1024);        /* 32 MiB > image */
	assert_int_equal(c.tf.error, ATA_ERR_IDNF);
	/* the exact end works */
	c = run(f, ATA_CMD_VERIFY_EXT, IMG_SECTORS - 1, 1, 0);
	assert_int_equal(c.tf.status & ATA_STAT_ERR, 0);
	c = run(f, ATA_CMD_VERIFY, IMG_SECTORS, 1, 0);
	assert_int_equal(c.tf.error, ATA_ERR_IDNF);
	/* CHS sector 0 does not exist */
	struct ata_cmd chs = { .tf = { .command = ATA_CMD_READ_SECTORS, .lba = 0, .count = 1 } };
	f->iov = (struct iovec){ f->buf, 512 };
	ata_sg_init(&f->sg, &f->iov, 1);
	chs.sg = &f->sg;
	ata_disk_exec(f->d, &chs);
	assert_int_equal(chs.tf.error, ATA_ERR_IDNF);
	/* unknown commands, packet commands and NOP abort */
	static const uint8_t bad[] = { 0x00, 0xA0, 0xA1, 0x08, 0x60, 0xFF, 0xB0, 0x2F };
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		c = run(f, bad[i], 0, 1, 512);
		assert_int_equal(c.tf.status, ATA_STAT_DRDY | ATA_STAT_ERR);
		assert_int_equal(c.tf.error, ATA_ERR_ABRT);
		assert_int_equal(f->sg.done, 0);
	}
	/* SET MULTIPLE must be a power of two up to 16 */
	assert_int_equal(run(f, ATA_CMD_SET_MULTIPLE, 0, 3, 0).tf.error, ATA_ERR_ABRT);
	assert_int_equal(run(f, ATA_CMD_SET_MULTIPLE, 0, 32, 0).tf.error, ATA_ERR_ABRT);
	assert_int_equal(run(f, ATA_CMD_SET_MULTIPLE, 0, 8, 0).tf.error, 0);
	assert_int_equal(run(f, ATA_CMD_CHECK_POWER, 0, 0, 0).tf.count, 0xFF);
	c = run(f, ATA_CMD_DIAGNOSE, 0, 0, 0);
	assert_int_equal(c.tf.error, ATA_ERR_DIAG_OK);
	assert_int_equal(c.tf.lba, 1);
}

static void test_short_data_area(void **state)
{
	struct fixture *f = *state;
	uint8_t before[2048], after[2048];
	struct ata_cmd c;

	/* a read with room for 2 of 4 sectors moves 2 and says overflow */
	c = run(f, ATA_CMD_READ_DMA_EXT, 0, 4, 1024);
	assert_true(f->sg.overflow);
	assert_int_equal(f->sg.done, 1024);
	assert_int_equal(c.tf.status & ATA_STAT_ERR, 0);
	/* a write without enough data writes nothing and aborts */
	read_file(f->path, 0, before, sizeof(before));
	memset(f->buf, 0xEE, 2048);
	c = run(f, ATA_CMD_WRITE_DMA_EXT, 0, 4, 1536);
	assert_true(f->sg.overflow);
	assert_int_equal(c.tf.error, ATA_ERR_ABRT);
	read_file(f->path, 0, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct ata_disk *ro;
	uint8_t before[512], after[512];

	/* the image is locked while the fixture's disk has it open read-write */
	assert_int_equal(ata_disk_open(&ro, f->path, DISK_FMT_RAW, true, NULL, 0), -EBUSY);
	ata_disk_close(f->d);
	assert_int_equal(ata_disk_open(&ro, f->path, DISK_FMT_RAW, true, NULL, 0), 0);
	f->d = ro;
	read_file(f->path, 0, before, 512);
	memset(f->buf, 0x11, 512);
	static const uint8_t writes[] = { ATA_CMD_WRITE_DMA, ATA_CMD_WRITE_DMA_EXT,
					  ATA_CMD_WRITE_SECTORS, ATA_CMD_WRITE_MULTIPLE_EXT };
	for (unsigned int i = 0; i < ARRAY_SIZE(writes); i++) {
		struct ata_cmd c = run(f, writes[i], 0, 1, 512);
		assert_int_equal(c.tf.status, ATA_STAT_DRDY | ATA_STAT_ERR);
		assert_int_equal(c.tf.error, ATA_ERR_ABRT);
		assert_int_equal(f->sg.done, 0);
	}
	read_file(f->path, 0, after, 512);
	assert_memory_equal(before, after, 512);
	/* reads and flushes still work */
	assert_int_equal(run(f, ATA_CMD_READ_DMA, 0, 1, 512).tf.status & ATA_STAT_ERR, 0);
	assert_int_equal(run(f, ATA_CMD_FLUSH_EXT, 0, 0, 0).tf.status & ATA_STAT_ERR, 0);
}

static void test_open_errors(void **state)
{
	char path[UNIT_PATH_LEN];
	struct ata_disk *d;
	(void)state;

	assert_int_equal(ata_disk_open(&d, "/nonexistent/ttyvm.img", DISK_FMT_RAW, false, NULL, 0),
			 -ENOENT);
	unit_tmp_write(path, "tiny", 4);
	assert_int_equal(ata_disk_open(&d, path, DISK_FMT_RAW, false, NULL, 0), -EINVAL);
	unlink(path);
}

static void test_sg_helpers(void **state)
{
	uint8_t a[3], b[5], src[10], dst[10];
	struct iovec iov[3] = { { a, 3 }, { NULL, 0 }, { b, 5 } };
	struct ata_sg sg;
	(void)state;

	for (unsigned int i = 0; i < 10; i++)
		src[i] = (uint8_t)(i + 1);
	ata_sg_init(&sg, iov, 3);
	assert_int_equal(sg.cap, 8);
	assert_int_equal(ata_sg_copy_to(&sg, src, 4), 4);
	assert_int_equal(ata_sg_room(&sg), 4);
	assert_false(sg.overflow);
	assert_int_equal(ata_sg_copy_to(&sg, src + 4, 6), 4);
	assert_true(sg.overflow);
	assert_memory_equal(a, src, 3);
	assert_memory_equal(b, src + 3, 5);
	ata_sg_init(&sg, iov, 3);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(ata_sg_copy_from(&sg, dst, 10), 8);
	assert_memory_equal(dst, src, 8);
}

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	struct ata_disk *d2, *other;
	char path2[UNIT_PATH_LEN];
	struct snap s, l;

	run(f, ATA_CMD_SET_MULTIPLE, 0, 4, 0);
	struct ata_cmd sf = { .tf = { .command = ATA_CMD_SET_FEATURES, .feature = 0x82 } };
	f->iov = (struct iovec){ f->buf, 0 };
	ata_sg_init(&f->sg, &f->iov, 1);
	sf.sg = &f->sg;
	ata_disk_exec(f->d, &sf);
	snap_init_save(&s);
	assert_int_equal(ata_disk_snapshot(f->d, &s), 0);

	ata_disk_close(f->d);
	f->d = NULL;
	assert_int_equal(ata_disk_open(&d2, f->path, DISK_FMT_RAW, false, NULL, 0), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(ata_disk_snapshot(d2, &l), 0);
	f->d = d2;
	run(f, ATA_CMD_IDENTIFY, 0, 0, 512);
	assert_int_equal(id_word(f->buf, 59), 0x0104);
	assert_false(id_word(f->buf, 85) & (1 << 5));

	/* a different image size refuses the state */
	unit_tmp_sparse(path2, 4096);
	assert_int_equal(ata_disk_open(&other, path2, DISK_FMT_RAW, false, NULL, 0), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(ata_disk_snapshot(other, &l), -EINVAL);
	ata_disk_close(other);
	unlink(path2);
	snap_free(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
	cmocka_unit_test_setup_teardown(test_read_write_bytes, setup, teardown),
	cmocka_unit_test_setup_teardown(test_range_and_errors, setup, teardown),
	cmocka_unit_test_setup_teardown(test_short_data_area, setup, teardown),
	cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
	cmocka_unit_test(test_open_errors),
	cmocka_unit_test(test_sg_helpers),
	cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
};

UNIT_SUITE(ata_disk, tests);
