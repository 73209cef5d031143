/*
 * virtio_blk_test.c - virtio-blk against a temporary raw image, driven
 * through the transport's registers and a real ring in guest RAM: reads
 * and writes byte for byte, any descriptor layout, flush, GET_ID,
 * discard and write zeroes, read-only disks, malformed requests, open
 * errors and a snapshot taken with a request pending.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "virtio_testutil.h"
#include "vmm/block/blk.h"
#include "vmm/block/img.h"
#include "vmm/guest_mem.h"
#include "vmm/pci.h"
#include "vmm/snap.h"
#include "vmm/virtio/virtio_blk.h"
#include "vmm/virtio/virtio_pci.h"

#define RAM         (8 * MiB)
#define QSIZE       VTEST_QSIZE
#define DESC_GPA    VTEST_DESC(0)
#define USED_GPA    VTEST_USED(0)
#define IND_GPA     0x20000ULL
#define HDR_GPA     0x30000ULL
#define STATUS_GPA  0x30100ULL
#define DATA_GPA    0x100000ULL
#define IMG_SECTORS 4096u            /* 2 MiB image */
#define SERIAL      "disk-serial-0123"

struct fx {
	struct vtest vt;             /* RAM, bus, queue 0 */
	struct virtio_blk *b;
	char path[UNIT_PATH_LEN];
	uint16_t ndesc;              /* descriptors used by the request being built */
	uint32_t last_used_len;
};

static uint8_t *gpa(struct fx *f, uint64_t a, uint64_t len)
{
	return vtest_gpa(&f->vt, a, len);
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) * 13 + 1);
}

/* A driver bring-up through the common configuration registers. */
static void driver_init(struct fx *f)
{
	vtest_start(&f->vt, vtest_offered(&f->vt), 1);
	vtest_driver_ok(&f->vt);
}

static int open_dev(struct fx *f, bool ro)
{
	struct virtio_blk_params p = {
		.path = f->path, .readonly = ro, .serial = SERIAL, .mem = &f->vt.gm,
	};
	int rc = virtio_blk_create(&p, &f->b);

	if (rc < 0)
		return rc;
	f->vt.vp = virtio_blk_transport(f->b);
	return pci_bus_add(f->vt.bus, virtio_pci_dev(f->vt.vp), -1);
}

static int setup_common(void **state, bool ro)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t *img = malloc(IMG_SECTORS * 512ULL);

	if (!f || !img || vtest_init(&f->vt, RAM) < 0)
		return -1;
	for (uint64_t i = 0; i < IMG_SECTORS * 512ULL; i++)
		img[i] = pattern(i);
	unit_tmp_write(f->path, img, IMG_SECTORS * 512ULL);
	free(img);
	if (open_dev(f, ro) < 0)
		return -1;
	driver_init(f);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_common(state, false); }
static int setup_ro(void **state) { return setup_common(state, true); }

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_blk_destroy(f->b);
	vtest_done(&f->vt);
	unlink(f->path);
	free(f);
	return 0;
}

/* ---- building requests ------------------------------------------------------ */

static void desc_at(struct fx *f, uint64_t table, unsigned int i, uint64_t addr,
		    uint32_t len, uint16_t flags, uint16_t next)
{
	vtest_desc(&f->vt.gm, table, i, addr, len, flags, next);
}

/* Starts a chain in the ring's table at descriptor 0. */
static void chain_begin(struct fx *f)
{
	f->ndesc = 0;
}

/* Appends a buffer to the chain being built (linking the previous one). */
static void chain_add(struct fx *f, uint64_t addr, uint32_t len, bool writable)
{
	if (f->ndesc) {
		uint8_t *prev = gpa(f, DESC_GPA + 16ULL * (f->ndesc - 1), 16);
		put_le16(prev + 12, get_le16(prev + 12) | VIRTQ_DESC_F_NEXT);
		put_le16(prev + 14, f->ndesc);
	}
	desc_at(f, DESC_GPA, f->ndesc, addr, len, writable ? VIRTQ_DESC_F_WRITE : 0, 0);
	f->ndesc++;
}

static void set_header(struct fx *f, uint32_t type, uint64_t sector)
{
	uint8_t *h = gpa(f, HDR_GPA, 16);
	put_le32(h, type);
	put_le32(h + 4, 0);
	put_le64(h + 8, sector);
	*gpa(f, STATUS_GPA, 1) = 0xEE;
}

/* Makes chain 0 available, notifies, and returns the status byte. */
static uint8_t submit(struct fx *f)
{
	struct vtest_ring *r = &f->vt.q[0];
	uint16_t before = vtest_used_idx(r);
	uint32_t head;

	vtest_offer(r, 0);
	vtest_notify(&f->vt, 0);
	assert_int_equal(vtest_used_idx(r), (uint16_t)(before + 1));
	vtest_used(r, before, &head, &f->last_used_len);
	assert_int_equal(head, 0);
	return *gpa(f, STATUS_GPA, 1);
}

/* The common shape: header, one data buffer, status. */
static uint8_t simple_req(struct fx *f, uint32_t type, uint64_t sector, uint32_t len,
			  bool data_writable)
{
	set_header(f, type, sector);
	chain_begin(f);
	chain_add(f, HDR_GPA, 16, false);
	if (len)
		chain_add(f, DATA_GPA, len, data_writable);
	chain_add(f, STATUS_GPA, 1, true);
	return submit(f);
}

static void file_read(struct fx *f, uint64_t off, void *buf, size_t len)
{
	int fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static bool file_is_pattern(struct fx *f, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	bool ok = true;

	assert_non_null(buf);
	file_read(f, off, buf, len);
	for (size_t i = 0; i < len && ok; i++)
		ok = buf[i] == pattern(off + i);
	free(buf);
	return ok;
}

/* ---- configuration ------------------------------------------------------------- */

static void test_config(void **state)
{
	struct fx *f = *state;
	struct virtio_pci *vp = virtio_blk_transport(f->b);
	uint64_t feat = vtest_offered(&f->vt);

	assert_int_equal(virtio_blk_capacity(f->b), IMG_SECTORS);
	assert_int_equal(virtio_pci_bar_read(vp, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_CAPACITY, 8),
			 IMG_SECTORS);
	assert_int_equal(virtio_pci_bar_read(vp, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_SEG_MAX, 4),
			 VIRTIO_BLK_SEG_MAX);
	assert_int_equal(virtio_pci_bar_read(vp, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_BLK_SIZE, 4),
			 512);
	assert_int_equal(virtio_pci_bar_read(vp, VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 4),
			 VIRTIO_BLK_MAX_DISCARD_SEGS);
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_true(feat & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_int_equal(pci_bus_cfg_read(f->vt.bus, virtio_pci_dev(vp)->devfn, PCI_DEVICE_ID, 2),
			 0x1042);
}

/* ---- reads and writes -------------------------------------------------------------- */

static void test_read(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 4 * 512);

	memset(data, 0, 4 * 512);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 2, 4 * 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(f->last_used_len, 4 * 512 + 1);
	for (unsigned int i = 0; i < 4 * 512; i++)
		assert_int_equal(data[i], pattern(2 * 512 + i));
	/* the last sector of the disk */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 512, true),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(data[511], pattern(IMG_SECTORS * 512ULL - 1));
}

static void test_write_roundtrip(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 3 * 512);
	uint8_t back[3 * 512];

	for (unsigned int i = 0; i < 3 * 512; i++)
		data[i] = (uint8_t)(i ^ 0x5A);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 10, 3 * 512, false), VIRTIO_BLK_S_OK);
	assert_int_equal(f->last_used_len, 1);
	file_read(f, 10 * 512, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(back));
	assert_true(file_is_pattern(f, 0, 10 * 512));         /* neighbours untouched */
	assert_true(file_is_pattern(f, 13 * 512, 512));
	/* and back through the device */
	memset(data, 0, 3 * 512);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 10, 3 * 512, true), VIRTIO_BLK_S_OK);
	file_read(f, 10 * 512, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(back));
}

static void test_any_layout(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 0x4000);

	/* header in two pieces; data in uneven pieces; status shares the
	 * last writable buffer with the data's final bytes */
	set_header(f, VIRTIO_BLK_T_IN, 7);
	memcpy(gpa(f, HDR_GPA + 0x200, 16), gpa(f, HDR_GPA, 16), 16);
	memset(data, 0, 0x4000);
	chain_begin(f);
	chain_add(f, HDR_GPA + 0x200, 5, false);
	chain_add(f, HDR_GPA + 0x205, 11, false);
	chain_add(f, DATA_GPA, 100, true);
	chain_add(f, DATA_GPA + 0x1000, 700, true);
	chain_add(f, DATA_GPA + 0x2000, 224 + 1, true);     /* 1024 data + status */
	*gpa(f, DATA_GPA + 0x2000 + 224, 1) = 0xEE;
	submit(f);
	assert_int_equal(*gpa(f, DATA_GPA + 0x2000 + 224, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(f->last_used_len, 1025);
	for (unsigned int i = 0; i < 100; i++)
		assert_int_equal(data[i], pattern(7 * 512 + i));
	for (unsigned int i = 0; i < 700; i++)
		assert_int_equal(data[0x1000 + i], pattern(7 * 512 + 100 + i));
	for (unsigned int i = 0; i < 224; i++)
		assert_int_equal(data[0x2000 + i], pattern(7 * 512 + 800 + i));
}

static void test_indirect_write(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 2048);
	uint8_t back[2048];

	for (unsigned int i = 0; i < 2048; i++)
		data[i] = (uint8_t)(255 - i);
	set_header(f, VIRTIO_BLK_T_OUT, 100);
	desc_at(f, IND_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc_at(f, IND_GPA, 1, DATA_GPA, 1024, VIRTQ_DESC_F_NEXT, 2);
	desc_at(f, IND_GPA, 2, DATA_GPA + 1024, 1024, VIRTQ_DESC_F_NEXT, 3);
	desc_at(f, IND_GPA, 3, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	desc_at(f, DESC_GPA, 0, IND_GPA, 4 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(submit(f), VIRTIO_BLK_S_OK);
	file_read(f, 100 * 512, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(back));
}

static void test_flush(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 512);
	uint8_t back[512];

	memset(data, 0xC3, 512);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_OK);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(f->last_used_len, 1);
	/* after the flush the data is in the file, seen through another descriptor */
	file_read(f, 0, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(back));
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, VIRTIO_BLK_ID_BYTES);
	uint8_t want[VIRTIO_BLK_ID_BYTES] = SERIAL;

	memset(data, 0xAA, VIRTIO_BLK_ID_BYTES);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(data, want, VIRTIO_BLK_ID_BYTES);   /* NUL-padded */
	assert_int_equal(f->last_used_len, VIRTIO_BLK_ID_BYTES + 1);
	/* no room for the ID at all */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_GET_ID, 0, 0, true), VIRTIO_BLK_S_IOERR);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_out_of_range(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 1024);

	memset(data, 0x77, 1024);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, IMG_SECTORS, 512, true),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->last_used_len, 0);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 1024, true),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, UINT64_MAX, 512, true),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, 512, true),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(data[0], 0x77);                        /* nothing read */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 1024, false),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 1ULL << 62, 512, false),
			 VIRTIO_BLK_S_IOERR);
	assert_true(file_is_pattern(f, (IMG_SECTORS - 1) * 512ULL, 512));
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SECTORS * 512ULL);   /* never grows */
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gpa(f, DATA_GPA, 1024);

	/* header shorter than 16 bytes */
	set_header(f, VIRTIO_BLK_T_IN, 0);
	chain_begin(f);
	chain_add(f, HDR_GPA, 12, false);
	chain_add(f, DATA_GPA, 512, true);
	chain_add(f, STATUS_GPA, 1, true);
	assert_int_equal(submit(f), VIRTIO_BLK_S_IOERR);
	/* a read whose data buffer is readable (wrong direction) */
	memset(data, 0x11, 1024);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 0, 512, false), VIRTIO_BLK_S_IOERR);
	assert_int_equal(data[0], 0x11);
	/* a write whose data buffer is writable (wrong direction) */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 0, 512, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(data[0], 0x11);
	assert_true(file_is_pattern(f, 0, 512));
	/* lengths that are not whole sectors */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 0, 100, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 0, 513, false), VIRTIO_BLK_S_IOERR);
	assert_true(file_is_pattern(f, 0, 1024));
	/* unknown request types */
	assert_int_equal(simple_req(f, 2, 0, 0, false), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(simple_req(f, 0x80000001, 0, 512, false), VIRTIO_BLK_S_UNSUPP);
	assert_true(file_is_pattern(f, 0, 1024));
}

static void test_status_not_writable(void **state)
{
	struct fx *f = *state;

	/* no writable byte at all: the request cannot be answered */
	set_header(f, VIRTIO_BLK_T_OUT, 0);
	chain_begin(f);
	chain_add(f, HDR_GPA, 16, false);
	chain_add(f, DATA_GPA, 512, false);
	chain_add(f, STATUS_GPA, 1, false);
	assert_int_equal(submit(f), 0xEE);                  /* untouched */
	assert_int_equal(f->last_used_len, 0);
	assert_true(file_is_pattern(f, 0, 512));
	/* only a header */
	chain_begin(f);
	chain_add(f, HDR_GPA, 16, false);
	assert_int_equal(submit(f), 0xEE);
	assert_int_equal(f->last_used_len, 0);
	/* the device carries on with the next good request */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
}

static void test_malformed_chain_then_good(void **state)
{
	struct fx *f = *state;

	/* a descriptor loop: returned unprocessed, the status byte untouched */
	set_header(f, VIRTIO_BLK_T_IN, 0);
	desc_at(f, DESC_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc_at(f, DESC_GPA, 1, STATUS_GPA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(submit(f), 0xEE);
	assert_int_equal(f->last_used_len, 0);
	/* data outside guest RAM */
	set_header(f, VIRTIO_BLK_T_IN, 0);
	chain_begin(f);
	chain_add(f, HDR_GPA, 16, false);
	chain_add(f, RAM - 256, 512, true);
	chain_add(f, STATUS_GPA, 1, true);
	assert_int_equal(submit(f), 0xEE);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
}

/* ---- discard, write zeroes ---------------------------------------------------- */

static uint8_t zero_req(struct fx *f, uint32_t type, uint64_t sector, uint32_t count,
			uint32_t flags)
{
	uint8_t *seg = gpa(f, DATA_GPA, 16);

	put_le64(seg, sector);
	put_le32(seg + 8, count);
	put_le32(seg + 12, flags);
	return simple_req(f, type, 0, 16, false);
}

static blkcnt_t file_blocks(struct fx *f)
{
	struct stat st;
	int fd = open(f->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	return st.st_blocks;
}

static void test_discard(void **state)
{
	struct fx *f = *state;
	blkcnt_t before = file_blocks(f);
	uint8_t zero[4096], back[4096];
	int fd;
	off_t hole;

	/* 1 MiB from sector 1024 (512 KiB), aligned to the file system */
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, 1024, 2048, 0), VIRTIO_BLK_S_OK);
	assert_true(file_blocks(f) < before);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	hole = lseek(fd, 0, SEEK_HOLE);
	close(fd);
	assert_int_equal(hole, 1024 * 512);
	memset(zero, 0, sizeof(zero));
	file_read(f, 1024 * 512, back, sizeof(back));
	assert_memory_equal(back, zero, sizeof(back));
	assert_true(file_is_pattern(f, 0, 1024 * 512));
	assert_true(file_is_pattern(f, 3072 * 512, 1024 * 512));

	/* the unmap flag is for write zeroes only; unknown flags are unsupported */
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WZ_F_UNMAP),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, 0, 8, 4), VIRTIO_BLK_S_UNSUPP);
	/* beyond the disk, too long, malformed segment lists */
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, IMG_SECTORS - 4, 8, 0),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, UINT64_MAX, 2, 0),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, 0,
				  VIRTIO_BLK_MAX_DISCARD_SECTORS + 1, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_DISCARD, 0, 24, false), VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_DISCARD, 0, 0, false), VIRTIO_BLK_S_IOERR);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_DISCARD, 0,
				    16 * (VIRTIO_BLK_MAX_DISCARD_SEGS + 1), false),
			 VIRTIO_BLK_S_IOERR);
	assert_true(file_is_pattern(f, 0, 1024 * 512));
}

static void test_discard_checks_all_segments_first(void **state)
{
	struct fx *f = *state;
	uint8_t *seg = gpa(f, DATA_GPA, 32);

	/* a good segment followed by a bad one: nothing is discarded */
	put_le64(seg, 0);
	put_le32(seg + 8, 16);
	put_le32(seg + 12, 0);
	put_le64(seg + 16, IMG_SECTORS);
	put_le32(seg + 24, 1);
	put_le32(seg + 28, 0);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_DISCARD, 0, 32, false), VIRTIO_BLK_S_IOERR);
	assert_true(file_is_pattern(f, 0, 16 * 512));
}

static void test_write_zeroes(void **state)
{
	struct fx *f = *state;
	uint8_t zero[8 * 512], back[8 * 512];

	memset(zero, 0, sizeof(zero));
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_WRITE_ZEROES, 3, 5, 0), VIRTIO_BLK_S_OK);
	file_read(f, 3 * 512, back, 5 * 512);
	assert_memory_equal(back, zero, 5 * 512);
	assert_true(file_is_pattern(f, 0, 3 * 512));
	assert_true(file_is_pattern(f, 8 * 512, 512));
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_WRITE_ZEROES, 2048, 8, VIRTIO_BLK_WZ_F_UNMAP),
			 VIRTIO_BLK_S_OK);
	file_read(f, 2048 * 512, back, sizeof(back));
	assert_memory_equal(back, zero, sizeof(back));
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 2), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_WRITE_ZEROES, IMG_SECTORS, 1, 0),
			 VIRTIO_BLK_S_IOERR);
}

/* ---- read-only ---------------------------------------------------------------- */

static void test_readonly(void **state)
{
	struct fx *f = *state;
	uint64_t feat = vtest_offered(&f->vt);
	uint8_t *data = gpa(f, DATA_GPA, 512);

	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	memset(data, 0, 512);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_IOERR);
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(zero_req(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0), VIRTIO_BLK_S_IOERR);
	assert_true(file_is_pattern(f, 0, 4096));
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(data[0], pattern(512));
}

/* ---- opening images -------------------------------------------------------------- */

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct guest_mem *gm = &f->vt.gm;
	struct virtio_blk *b;
	struct virtio_blk_params p = { .mem = gm };
	char path[UNIT_PATH_LEN];
	struct stat st;

	p.path = "/nonexistent/dir/disk.img";
	assert_int_equal(virtio_blk_create(&p, &b), -ENOENT);
	assert_null(b);
	unit_tmp_write(path, "", 0);
	unlink(path);
	p.path = path;
	assert_int_equal(virtio_blk_create(&p, &b), -ENOENT);
	assert_int_not_equal(stat(path, &st), 0);             /* never created */
	p.path = "/tmp";
	p.readonly = true;
	assert_int_equal(virtio_blk_create(&p, &b), -EINVAL);  /* a directory */
	p.readonly = false;
	assert_int_equal(virtio_blk_create(&p, &b), -EISDIR);
	/* smaller than one sector */
	unit_tmp_write(path, "tiny", 4);
	p.path = path;
	assert_int_equal(virtio_blk_create(&p, &b), -EINVAL);
	unlink(path);
	/* the image is in use by the fixture's device: a second writer is refused */
	p.path = f->path;
	assert_int_equal(virtio_blk_create(&p, &b), -EBUSY);
	p.readonly = true;
	assert_int_equal(virtio_blk_create(&p, &b), -EBUSY);
	/* and it was never truncated */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SECTORS * 512ULL);
}

static void test_readonly_shared(void **state)
{
	struct fx *f = *state;
	struct virtio_blk *b;
	struct virtio_blk_params p = { .path = f->path, .readonly = true, .mem = &f->vt.gm };
	struct pci_bus *bus = pf_bus(&f->vt.host, false);

	/* two readers may share an image; a writer may not join them */
	assert_int_equal(virtio_blk_create(&p, &b), 0);
	assert_int_equal(pci_bus_add(bus, virtio_pci_dev(virtio_blk_transport(b)), -1), 0);
	pci_bus_destroy(bus);
	virtio_blk_destroy(b);
	p.readonly = false;
	assert_int_equal(virtio_blk_create(&p, &b), -EBUSY);
}

/* ---- snapshot -------------------------------------------------------------------- */

static void test_snapshot_pending_request(void **state)
{
	struct fx *f = *state;
	struct snap s, l;
	uint8_t *data = gpa(f, DATA_GPA, 512);

	/* one request done, a second one made available but not yet notified */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	set_header(f, VIRTIO_BLK_T_IN, 5);
	memset(data, 0, 512);
	vtest_offer(&f->vt.q[0], 0);
	snap_init_save(&s);
	assert_int_equal(virtio_blk_snapshot(f->b, &s), 0);

	/* a new VMM process: a fresh device on the same image takes the state */
	virtio_blk_destroy(f->b);
	vtest_new_bus(&f->vt);
	assert_int_equal(open_dev(f, false), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtio_blk_snapshot(f->b, &l), 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_USEDLO, 8), USED_GPA);
	/* the pending request is served on the next notify, on the same ring */
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 1);
	vtest_notify(&f->vt, 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 2);
	assert_int_equal(*gpa(f, STATUS_GPA, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(data[0], pattern(5 * 512));
	/* and the next one as usual */
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 6, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(data[0], pattern(6 * 512));
	snap_free(&s);
}

static void test_snapshot_other_image(void **state)
{
	struct fx *f = *state;
	struct snap s, l;
	struct virtio_blk *b;
	char path[UNIT_PATH_LEN];
	struct virtio_blk_params p = { .path = path, .mem = &f->vt.gm };
	struct pci_bus *bus = pf_bus(&f->vt.host, false);

	/* a snapshot of a 2 MiB disk does not load into a 1 MiB one */
	snap_init_save(&s);
	assert_int_equal(virtio_blk_snapshot(f->b, &s), 0);
	unit_tmp_sparse(path, MiB);
	assert_int_equal(virtio_blk_create(&p, &b), 0);
	assert_int_equal(pci_bus_add(bus, virtio_pci_dev(virtio_blk_transport(b)), -1), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtio_blk_snapshot(b, &l), -EINVAL);
	pci_bus_destroy(bus);
	virtio_blk_destroy(b);
	unlink(path);
	snap_free(&s);
}

/* ---- qcow2 ----------------------------------------------------------------------- */

/* Swaps the fixture's device for a fresh one on path in format fmt. */
static void reopen_on(struct fx *f, const char *path, enum disk_format fmt)
{
	char err[256] = "";
	struct virtio_blk_params p = {
		.path = path, .format = fmt, .serial = SERIAL, .mem = &f->vt.gm,
		.err = err, .errlen = sizeof(err),
	};

	virtio_blk_destroy(f->b);
	f->b = NULL;
	vtest_new_bus(&f->vt);
	if (virtio_blk_create(&p, &f->b) < 0)
		fail_msg("virtio_blk_create(%s): %s", path, err);
	f->vt.vp = virtio_blk_transport(f->b);
	assert_int_equal(pci_bus_add(f->vt.bus, virtio_pci_dev(f->vt.vp), -1), 0);
	driver_init(f);             /* rings zeroed, indices back at 0 */
}

/*
 * The same device on a qcow2 copy of the image: reads, writes, flush,
 * discard and write-zeroes go through the qcow2 backend, and the image
 * holds the result when the device is gone.
 */
static void test_qcow2_image(void **state)
{
	struct fx *f = *state;
	char q[UNIT_PATH_LEN + 8], err[256];
	uint8_t *data = gpa(f, DATA_GPA, 8 * 512);
	uint8_t want[8 * 512];
	struct blk *b;

	/* the fixture's device holds f->path locked: build the copy through blk */
	snprintf(q, sizeof(q), "%s.qcow2", f->path);
	unlink(q);
	assert_int_equal(img_create(q, DISK_FMT_QCOW2, IMG_SECTORS * 512ULL, NULL, NULL, NULL,
				    err, sizeof(err)), 0);
	assert_int_equal(blk_open(&b, q, DISK_FMT_QCOW2, 0, err, sizeof(err)), 0);
	for (uint64_t off = 0; off < IMG_SECTORS * 512ULL; off += sizeof(want)) {
		for (unsigned int i = 0; i < sizeof(want); i++)
			want[i] = pattern(off + i);
		assert_int_equal(blk_pwrite(b, want, sizeof(want), off), 0);
	}
	blk_close(b);
	reopen_on(f, q, DISK_FMT_QCOW2);
	assert_int_equal(virtio_blk_capacity(f->b), IMG_SECTORS);
	memset(data, 0, 8 * 512);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_IN, 3, 4 * 512, true), VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < 4 * 512; i++)
		assert_int_equal(data[i], pattern(3 * 512 + i));
	memset(data, 0x5a, 8 * 512);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_OUT, 129, 8 * 512, false), VIRTIO_BLK_S_OK);
	assert_int_equal(simple_req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	/* write-zeroes over 256 sectors (whole 64 KiB clusters and a part) */
	uint8_t *seg = gpa(f, DATA_GPA, 16);
	put_le64(seg, 1024);
	put_le32(seg + 8, 300);
	put_le32(seg + 12, VIRTIO_BLK_WZ_F_UNMAP);
	set_header(f, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	chain_begin(f);
	chain_add(f, HDR_GPA, 16, false);
	chain_add(f, DATA_GPA, 16, false);
	chain_add(f, STATUS_GPA, 1, true);
	assert_int_equal(submit(f), VIRTIO_BLK_S_OK);
	/* the device goes; the image has it all */
	reopen_on(f, f->path, DISK_FMT_RAW);
	b = NULL;
	assert_int_equal(blk_open(&b, q, DISK_FMT_AUTO, BLK_O_RDONLY, err, sizeof(err)), 0);
	assert_int_equal(blk_format(b), DISK_FMT_QCOW2);
	assert_int_equal(blk_pread(b, want, sizeof(want), 129 * 512), 0);
	for (unsigned int i = 0; i < sizeof(want); i++)
		assert_int_equal(want[i], 0x5a);
	assert_int_equal(blk_pread(b, want, 512, 128 * 512), 0);
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(want[i], pattern(128 * 512 + i));
	for (unsigned int s = 1024; s < 1324; s += 8) {
		assert_int_equal(blk_pread(b, want, 8 * 512, s * 512ULL), 0);
		for (unsigned int i = 0; i < 8 * 512 && s * 512 + i < 1324 * 512; i++)
			assert_int_equal(want[i], 0);
	}
	assert_int_equal(blk_pread(b, want, 512, 1324 * 512), 0);
	assert_int_equal(want[0], pattern(1324 * 512));
	blk_close(b);
	unlink(q);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(test_config),
	T(test_qcow2_image),
	T(test_read),
	T(test_write_roundtrip),
	T(test_any_layout),
	T(test_indirect_write),
	T(test_flush),
	T(test_get_id),
	T(test_out_of_range),
	T(test_bad_requests),
	T(test_status_not_writable),
	T(test_malformed_chain_then_good),
	T(test_discard),
	T(test_discard_checks_all_segments_first),
	T(test_write_zeroes),
	cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
	T(test_open_errors),
	cmocka_unit_test_setup_teardown(test_readonly_shared, setup_ro, teardown),
	T(test_snapshot_pending_request),
	T(test_snapshot_other_image),
};
#undef T

UNIT_SUITE(virtio_blk, tests);
