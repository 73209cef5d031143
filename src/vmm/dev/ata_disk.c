/*
 * ata_disk.c - an ATA hard disk backed by a disk image (raw or qcow2,
 * through the block layer, vmm/block/blk.h), as ATA8-ACS
 * describes it, plus the data-area helpers (ata_sg_*) and IDENTIFY string
 * helpers that atapi.c shares.
 *
 * Command set: IDENTIFY DEVICE (LBA48, 512-byte sectors, write cache,
 * FLUSH CACHE EXT; model/serial/firmware strings, word 255 integrity
 * checksum), READ/WRITE DMA (EXT), READ/WRITE SECTOR(S) (EXT) and
 * READ/WRITE MULTIPLE (EXT) - through AHCI all of them move data through
 * the same PRD table, only the FISes differ -, READ VERIFY SECTOR(S)
 * (EXT), FLUSH CACHE (EXT) = blk_flush(), SET FEATURES (write cache,
 * transfer mode, look-ahead and SATA feature toggles), SET MULTIPLE MODE,
 * CHECK POWER MODE, the idle/standby/sleep family and EXECUTE DEVICE
 * DIAGNOSTIC.  Everything else aborts (ERR, ABRT), as does any write to a
 * read-only disk.  LBA28 commands also take CHS addresses with the
 * 16-head, 63-sector geometry IDENTIFY reports.
 *
 * Not here: NCQ (READ/WRITE FPDMA QUEUED - the adapter does not advertise
 * it), TRIM, SMART, security, HPA.  With the write cache disabled by the
 * guest each write is followed by blk_flush(), so "cache off" is honest
 * too.  A trailing partial sector
 * of an image is not visible to the guest.
 *
 * Threads: none of its own.  The adapter calls in with its lock held on
 * the vCPU thread that issued the command; file I/O is synchronous.
 */
#include "vmm/dev/ata_disk.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/util.h"

#define DISK_HEADS 16
#define DISK_SPT 63
#define DISK_MAX_MULTIPLE 16

struct ata_disk {
	struct blk *disk;
	bool readonly;
	uint64_t sectors;
	char serial[21];
	/* settings the guest changes (reset to defaults by a reset) */
	bool wce;
	uint8_t multiple;      /* sectors per block for READ/WRITE MULTIPLE */
	uint8_t xfer_mode;     /* SET FEATURES 03h count: 0x40|n = UDMA n */
};

/* ---- the data area ----------------------------------------------------- */

void ata_sg_init(struct ata_sg *sg, const struct iovec *iov, unsigned int niov)
{
	memset(sg, 0, sizeof(*sg));
	sg->iov = iov;
	sg->niov = niov;
	for (unsigned int i = 0; i < niov; i++)
		sg->cap += iov[i].iov_len;
}

static void ata_sg_advance(struct ata_sg *sg, size_t n)
{
	sg->done += n;
	sg->cur_off += n;
	while (sg->cur < sg->niov && sg->cur_off >= sg->iov[sg->cur].iov_len) {
		sg->cur_off -= sg->iov[sg->cur].iov_len;
		sg->cur++;
	}
}

size_t ata_sg_copy_to(struct ata_sg *sg, const void *src, size_t len)
{
	const uint8_t *p = src;
	size_t total = 0;

	ata_sg_advance(sg, 0);
	while (len && sg->cur < sg->niov) {
		const struct iovec *v = &sg->iov[sg->cur];
		size_t n = MIN(len, v->iov_len - sg->cur_off);
		memcpy((uint8_t *)v->iov_base + sg->cur_off, p, n);
		p += n;
		len -= n;
		total += n;
		ata_sg_advance(sg, n);
	}
	if (len)
		sg->overflow = true;
	return total;
}

size_t ata_sg_copy_from(struct ata_sg *sg, void *dst, size_t len)
{
	uint8_t *p = dst;
	size_t total = 0;

	ata_sg_advance(sg, 0);
	while (len && sg->cur < sg->niov) {
		const struct iovec *v = &sg->iov[sg->cur];
		size_t n = MIN(len, v->iov_len - sg->cur_off);
		memcpy(p, (const uint8_t *)v->iov_base + sg->cur_off, n);
		p += n;
		len -= n;
		total += n;
		ata_sg_advance(sg, n);
	}
	return total;
}

/* Fills win[] with at most max segments covering up to len bytes from the
 * cursor; returns the count and the bytes covered in *bytes. */
static unsigned int ata_sg_window(const struct ata_sg *sg, struct iovec *win,
				  unsigned int max, uint64_t len, size_t *bytes)
{
	unsigned int n = 0, i = sg->cur;
	size_t off = sg->cur_off, sum = 0;

	while (n < max && i < sg->niov && len > sum) {
		size_t l = MIN(sg->iov[i].iov_len - off, len - sum);
		if (sum + l < sum || sum + l > SSIZE_MAX / 2)
			break;
		win[n].iov_base = (uint8_t *)sg->iov[i].iov_base + off;
		win[n].iov_len = l;
		sum += l;
		n++;
		i++;
		off = 0;
	}
	*bytes = sum;
	return n;
}

static int ata_sg_blkio(struct ata_sg *sg, struct blk *b, uint64_t off, uint64_t len,
			bool write)
{
	struct iovec win[64];

	ata_sg_advance(sg, 0);
	while (len) {
		size_t want;
		unsigned int n = ata_sg_window(sg, win, ARRAY_SIZE(win), len, &want);
		int r;

		if (n == 0)
			return -EIO;
		r = write ? blk_pwritev(b, win, (int)n, off) : blk_preadv(b, win, (int)n, off);
		if (r < 0)
			return -EIO;
		ata_sg_advance(sg, want);
		off += want;
		len -= want;
	}
	return 0;
}

int ata_sg_pread(struct ata_sg *sg, struct blk *b, uint64_t off, uint64_t len)
{
	uint64_t n = MIN(len, ata_sg_room(sg));

	if (n < len)
		sg->overflow = true;
	return ata_sg_blkio(sg, b, off, n, false);
}

int ata_sg_pwrite(struct ata_sg *sg, struct blk *b, uint64_t off, uint64_t len)
{
	if (len > ata_sg_room(sg)) {
		sg->overflow = true;
		return -EIO;
	}
	return ata_sg_blkio(sg, b, off, len, true);
}

/* ---- IDENTIFY helpers -------------------------------------------------- */

void ata_id_string(uint16_t *id, unsigned int w, const char *s, unsigned int len)
{
	size_t sl = strlen(s);

	for (unsigned int i = 0; i < len; i += 2) {
		uint8_t hi = i < sl ? (uint8_t)s[i] : ' ';
		uint8_t lo = i + 1 < sl ? (uint8_t)s[i + 1] : ' ';
		id[w + i / 2] = (uint16_t)(hi << 8 | lo);
	}
}

void ata_id_checksum(uint16_t *id)
{
	uint8_t sum = 0xA5;

	for (unsigned int i = 0; i < 255; i++)
		sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
	id[255] = (uint16_t)(0xA5 | ((uint8_t)-sum << 8));
}

void ata_id_serial(char out[21], const char *prefix, const char *seed)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */

	for (const char *p = seed; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	snprintf(out, 21, "%.4s%016llX", prefix, (unsigned long long)h);
}

/* Serializes 256 words little-endian, as the IDENTIFY data block. */
static void ata_id_bytes(const uint16_t *id, uint8_t *buf)
{
	for (unsigned int i = 0; i < 256; i++)
		put_le16(buf + 2 * i, id[i]);
}

/* ---- open / close ------------------------------------------------------ */

int ata_disk_open(struct ata_disk **out, const char *path, enum disk_format fmt,
		  bool readonly, char *err, size_t errlen)
{
	struct ata_disk *d;
	struct blk *b;
	int rc;

	rc = blk_open(&b, path, fmt, readonly ? BLK_O_RDONLY : 0, err, errlen);
	if (rc < 0)
		return rc;
	if (blk_size(b) < ATA_SECTOR_SIZE) {
		blk_close(b);
		return errmsg_set(err, errlen, -EINVAL, path, "smaller than one 512-byte sector");
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		blk_close(b);
		return -ENOMEM;
	}
	d->disk = b;
	d->readonly = readonly;
	d->sectors = blk_size(b) / ATA_SECTOR_SIZE;
	ata_id_serial(d->serial, "TVHD", path);
	ata_disk_reset(d, NULL);
	*out = d;
	return 0;
}

void ata_disk_close(struct ata_disk *d)
{
	if (!d)
		return;
	blk_close(d->disk);
	free(d);
}

uint64_t ata_disk_sectors(const struct ata_disk *d)
{
	return d->sectors;
}

void ata_disk_reset(struct ata_disk *d, struct ata_tf *sig)
{
	d->wce = true;
	d->multiple = DISK_MAX_MULTIPLE;
	d->xfer_mode = 0x45;          /* UDMA mode 5 */
	if (sig) {
		memset(sig, 0, sizeof(*sig));
		sig->count = 1;
		sig->lba = 1;             /* LBA mid/high 0: an ATA device */
		sig->status = ATA_STAT_DRDY | ATA_STAT_DSC;
		sig->error = ATA_ERR_DIAG_OK;
	}
}

/* ---- IDENTIFY DEVICE --------------------------------------------------- */

static void ata_disk_identify(const struct ata_disk *d, uint16_t *id)
{
	uint64_t lba28 = MIN(d->sectors, 0x0FFFFFFFULL);
	uint64_t cyls = MIN(d->sectors / (DISK_HEADS * DISK_SPT), 16383ULL);
	uint64_t chs = cyls * DISK_HEADS * DISK_SPT;
	unsigned int mode = d->xfer_mode & 7;

	memset(id, 0, 512);
	id[0] = 0x0040;                       /* fixed device */
	id[1] = (uint16_t)cyls;
	id[3] = DISK_HEADS;
	id[6] = DISK_SPT;
	ata_id_string(id, 10, d->serial, 20);
	ata_id_string(id, 23, "1.0", 8);
	ata_id_string(id, 27, "TTYVM HARDDISK", 40);
	id[47] = 0x8000 | DISK_MAX_MULTIPLE;
	id[49] = 0x0B00;                      /* IORDY, LBA, DMA */
	id[50] = 0x4000;
	id[53] = 0x0007;                      /* words 54-58, 64-70, 88 valid */
	id[54] = (uint16_t)cyls;
	id[55] = DISK_HEADS;
	id[56] = DISK_SPT;
	id[57] = (uint16_t)chs;
	id[58] = (uint16_t)(chs >> 16);
	id[59] = (uint16_t)(d->multiple ? 0x0100 | d->multiple : 0);
	id[60] = (uint16_t)lba28;
	id[61] = (uint16_t)(lba28 >> 16);
	id[63] = 0x0007;                      /* MWDMA 0-2 */
	if ((d->xfer_mode & 0xF8) == 0x20)
		id[63] |= (uint16_t)(0x100 << mode);
	id[64] = 0x0003;                      /* PIO 3-4 */
	id[65] = id[66] = id[67] = id[68] = 120;
	id[76] = 0x0002;                      /* SATA Gen1 */
	id[80] = 0x01F0;                      /* ATA/ATAPI-4 .. ATA8-ACS */
	id[82] = 0x0068;                      /* look-ahead, write cache, PM */
	id[83] = 0x7400;                      /* FLUSH EXT, FLUSH, LBA48 */
	id[84] = 0x4000;
	id[85] = (uint16_t)(0x0048 | (d->wce ? 0x0020 : 0));
	id[86] = 0x3400;
	id[87] = 0x4000;
	id[88] = 0x003F;                      /* UDMA 0-5 */
	if ((d->xfer_mode & 0xF8) == 0x40)
		id[88] |= (uint16_t)(0x100 << mode);
	id[100] = (uint16_t)d->sectors;
	id[101] = (uint16_t)(d->sectors >> 16);
	id[102] = (uint16_t)(d->sectors >> 32);
	id[103] = (uint16_t)(d->sectors >> 48);
	id[106] = 0x4000;                     /* 512-byte logical = physical */
	id[222] = 0x101F;                     /* serial transport, SATA 1.0a-3.0 */
	ata_id_checksum(id);
}

/* ---- commands ---------------------------------------------------------- */

static void ata_abort(struct ata_tf *tf)
{
	tf->status = ATA_STAT_DRDY | ATA_STAT_ERR;
	tf->error = ATA_ERR_ABRT;
}

/* The ending registers of a failed access at lba (LBA28 also in device). */
static void ata_fail_at(struct ata_tf *tf, uint8_t error, uint64_t lba, bool ext)
{
	tf->status = ATA_STAT_DRDY | ATA_STAT_ERR;
	tf->error = error;
	tf->lba = lba & (ext ? 0xFFFFFFFFFFFFULL : 0xFFFFFFULL);
	if (!ext)
		tf->device = (uint8_t)((tf->device & 0xF0) | ((lba >> 24) & 0x0F));
}

/*
 * The start sector and count of a read/write/verify command.  LBA28
 * commands take bits 27:24 from the device register, or a CHS address when
 * its LBA bit is clear.  false for a CHS address outside the geometry.
 */
static bool ata_disk_addr(const struct ata_tf *tf, bool ext, uint64_t *lba,
			  uint32_t *count)
{
	if (ext) {
		*lba = tf->lba & 0xFFFFFFFFFFFFULL;
		*count = tf->count ? tf->count : 0x10000;
		return true;
	}
	*count = (tf->count & 0xFF) ? (tf->count & 0xFF) : 0x100;
	if (tf->device & ATA_DEV_LBA) {
		*lba = (tf->lba & 0xFFFFFF) | ((uint64_t)(tf->device & 0x0F) << 24);
		return true;
	}
	uint64_t cyl = (tf->lba >> 8) & 0xFFFF, head = tf->device & 0x0F;
	uint64_t sect = tf->lba & 0xFF;
	if (sect == 0 || sect > DISK_SPT)
		return false;
	*lba = (cyl * DISK_HEADS + head) * DISK_SPT + sect - 1;
	return true;
}

static bool ata_disk_in_range(const struct ata_disk *d, uint64_t lba, uint32_t count)
{
	return lba < d->sectors && count <= d->sectors - lba;
}

static void ata_disk_rw(struct ata_disk *d, struct ata_cmd *c, bool write,
			bool ext, enum ata_proto proto)
{
	struct ata_tf *tf = &c->tf;
	uint64_t lba = 0;
	uint32_t count;
	int r;

	c->proto = proto;
	if (write && d->readonly) {
		c->proto = ATA_PROTO_NODATA;
		ata_abort(tf);
		return;
	}
	if (!ata_disk_addr(tf, ext, &lba, &count) || !ata_disk_in_range(d, lba, count)) {
		c->proto = ATA_PROTO_NODATA;
		ata_fail_at(tf, ATA_ERR_IDNF, lba, ext);
		return;
	}
	uint64_t off = lba * ATA_SECTOR_SIZE, len = (uint64_t)count * ATA_SECTOR_SIZE;
	if (!write) {
		r = ata_sg_pread(c->sg, d->disk, off, len);
		if (r < 0)
			ata_fail_at(tf, ATA_ERR_UNC, lba + c->sg->done / ATA_SECTOR_SIZE, ext);
		return;
	}
	if (len > ata_sg_room(c->sg)) {
		/* the host cannot supply the data: nothing is written */
		c->sg->overflow = true;
		ata_abort(tf);
		return;
	}
	r = ata_sg_pwrite(c->sg, d->disk, off, len);
	if (r == 0 && !d->wce)
		r = blk_flush(d->disk);
	if (r < 0)
		ata_fail_at(tf, ATA_ERR_ABRT, lba + c->sg->done / ATA_SECTOR_SIZE, ext);
}

static void ata_disk_verify(struct ata_disk *d, struct ata_cmd *c, bool ext)
{
	uint64_t lba = 0;
	uint32_t count;

	if (!ata_disk_addr(&c->tf, ext, &lba, &count) || !ata_disk_in_range(d, lba, count))
		ata_fail_at(&c->tf, ATA_ERR_IDNF, lba, ext);
}

static void ata_disk_set_features(struct ata_disk *d, struct ata_tf *tf)
{
	uint8_t count = (uint8_t)tf->count;

	switch (tf->feature & 0xFF) {
	case 0x02:                            /* enable write cache */
		d->wce = true;
		break;
	case 0x82:                            /* disable write cache */
		if (d->wce && !d->readonly && blk_flush(d->disk) < 0) {
			ata_abort(tf);
			return;
		}
		d->wce = false;
		break;
	case 0x03:                            /* set transfer mode */
		if (count <= 0x01 || (count >= 0x08 && count <= 0x0C) ||
		    (count >= 0x20 && count <= 0x22) || (count >= 0x40 && count <= 0x45))
			d->xfer_mode = count;
		else
			ata_abort(tf);
		break;
	case 0x10: case 0x90:                 /* SATA feature enable/disable */
	case 0x55: case 0xAA:                 /* read look-ahead */
	case 0x66: case 0xCC:                 /* revert to defaults on/off */
		break;
	default:
		ata_abort(tf);
	}
}

void ata_disk_exec(struct ata_disk *d, struct ata_cmd *c)
{
	struct ata_tf *tf = &c->tf;
	uint8_t buf[512];
	uint16_t id[256];

	c->proto = ATA_PROTO_NODATA;
	tf->status = ATA_STAT_DRDY | ATA_STAT_DSC;
	tf->error = 0;
	switch (tf->command) {
	case ATA_CMD_IDENTIFY:
		ata_disk_identify(d, id);
		ata_id_bytes(id, buf);
		c->proto = ATA_PROTO_PIO_IN;
		ata_sg_copy_to(c->sg, buf, sizeof(buf));
		break;
	case ATA_CMD_READ_DMA:
		ata_disk_rw(d, c, false, false, ATA_PROTO_DMA);
		break;
	case ATA_CMD_READ_DMA_EXT:
		ata_disk_rw(d, c, false, true, ATA_PROTO_DMA);
		break;
	case ATA_CMD_WRITE_DMA:
		ata_disk_rw(d, c, true, false, ATA_PROTO_DMA);
		break;
	case ATA_CMD_WRITE_DMA_EXT:
		ata_disk_rw(d, c, true, true, ATA_PROTO_DMA);
		break;
	case ATA_CMD_READ_MULTIPLE:
	case ATA_CMD_READ_MULTIPLE_EXT:
	case ATA_CMD_WRITE_MULTIPLE:
	case ATA_CMD_WRITE_MULTIPLE_EXT:
		if (!d->multiple) {
			ata_abort(tf);
			break;
		}
		/* fall through */
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_READ_SECTORS_EXT:
	case ATA_CMD_WRITE_SECTORS:
	case ATA_CMD_WRITE_SECTORS_EXT: {
		uint8_t op = tf->command;
		bool write = op == ATA_CMD_WRITE_SECTORS || op == ATA_CMD_WRITE_SECTORS_EXT ||
			     op == ATA_CMD_WRITE_MULTIPLE || op == ATA_CMD_WRITE_MULTIPLE_EXT;
		bool ext = op == ATA_CMD_READ_SECTORS_EXT || op == ATA_CMD_WRITE_SECTORS_EXT ||
			   op == ATA_CMD_READ_MULTIPLE_EXT || op == ATA_CMD_WRITE_MULTIPLE_EXT;
		ata_disk_rw(d, c, write, ext, write ? ATA_PROTO_PIO_OUT : ATA_PROTO_PIO_IN);
		break;
	}
	case ATA_CMD_VERIFY:
		ata_disk_verify(d, c, false);
		break;
	case ATA_CMD_VERIFY_EXT:
		ata_disk_verify(d, c, true);
		break;
	case ATA_CMD_FLUSH:
	case ATA_CMD_FLUSH_EXT:
		if (!d->readonly && blk_flush(d->disk) < 0)
			ata_abort(tf);
		break;
	case ATA_CMD_SET_FEATURES:
		ata_disk_set_features(d, tf);
		break;
	case ATA_CMD_SET_MULTIPLE: {
		uint8_t n = (uint8_t)tf->count;
		if (n > DISK_MAX_MULTIPLE || (n & (n - 1)))
			ata_abort(tf);
		else
			d->multiple = n;
		break;
	}
	case ATA_CMD_CHECK_POWER:
		tf->count = 0xFF;                 /* active or idle */
		break;
	case ATA_CMD_DIAGNOSE:
		ata_disk_reset(d, tf);
		break;
	case ATA_CMD_STANDBY_IMM: case ATA_CMD_IDLE_IMM:
	case ATA_CMD_STANDBY: case ATA_CMD_IDLE: case ATA_CMD_SLEEP:
	case ATA_CMD_INIT_PARAMS: case ATA_CMD_SEEK:
		break;
	default:
		if (tf->command >= ATA_CMD_RECALIBRATE && tf->command <= 0x1F)
			break;
		ata_abort(tf);                    /* incl. PACKET, IDENTIFY PACKET */
	}
}

int ata_disk_snapshot(struct ata_disk *d, struct snap *s)
{
	uint32_t version = 1;
	uint64_t sectors = d->sectors;

	if (snap_section(s, "ata_disk", &version) < 0)
		return snap_error(s);
	snap_u64(s, &sectors);
	snap_bool(s, &d->wce);
	snap_u8(s, &d->multiple);
	snap_u8(s, &d->xfer_mode);
	if (snap_loading(s) && !snap_error(s) &&
	    (sectors != d->sectors ||              /* another image behind the disk */
	     d->multiple > DISK_MAX_MULTIPLE || (d->multiple & (d->multiple - 1))))
		snap_fail(s, -EINVAL);
	return snap_error(s);
}
