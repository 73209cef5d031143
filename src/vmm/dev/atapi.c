/*
 * atapi.c - an ATAPI CD/DVD-ROM drive with an ISO image as its medium
 * (opened read-only through the block layer, so a qcow2 of an ISO works).
 *
 * ATA side (ATA8-ACS, PACKET feature set): IDENTIFY PACKET DEVICE,
 * PACKET, DEVICE RESET, EXECUTE DEVICE DIAGNOSTIC, SET FEATURES (transfer
 * mode), CHECK POWER MODE and the idle/standby family; IDENTIFY DEVICE
 * and READ SECTORS abort with the PACKET signature, as ATA8-ACS requires.
 *
 * PACKET side (MMC-6, SPC-3) - the commands SeaBIOS, Linux's sr/libata
 * and Windows' cdrom.sys use.  Here: the dispatch with its unit
 * attention and medium checks, TEST UNIT READY, REQUEST SENSE (fixed
 * format), READ(10), READ(12), READ CD (user data, or raw 2352-byte
 * sectors with sync and header filled in and EDC/ECC left zero),
 * SEEK(10), PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT (tray eject and
 * load, honouring the lock) and SET CD SPEED; the replies that describe
 * drive and disc (INQUIRY, READ CAPACITY, READ TOC, GET CONFIGURATION,
 * GET EVENT STATUS NOTIFICATION, READ DISC INFORMATION, READ DVD
 * STRUCTURE, MODE SENSE(10), MECHANISM STATUS) live in atapi_mmc.c.
 * Anything else: CHECK CONDITION, ILLEGAL REQUEST / INVALID COMMAND
 * OPERATION CODE.
 *
 * Unit attention: a medium change (atapi_change_media, or closing the
 * tray over a medium) makes the next command other than INQUIRY, REQUEST
 * SENSE, GET CONFIGURATION and GET EVENT STATUS NOTIFICATION fail with
 * UNIT ATTENTION, NOT READY TO READY CHANGE (28h); there is none at power
 * on, as in QEMU, so firmware never needs a retry.  Without a medium (or
 * with the tray open) the medium commands report NOT READY, MEDIUM NOT
 * PRESENT (3Ah/01h closed, 3Ah/02h open).  An image larger than a CD
 * (360000 blocks) is a DVD-ROM; its trailing partial block is invisible.
 *
 * Errors end the command the ATAPI way: status DRDY|ERR, error register
 * = sense key << 4, sense data kept for REQUEST SENSE.  A command that
 * succeeds clears the sense data.  Allocation lengths only ever shorten
 * a reply; how much room the host gave is the adapter's business
 * (ata_sg), so no length from the packet sizes a buffer here.
 *
 * Threads: none; the adapter calls in with its lock held.
 */
#include "vmm/dev/atapi_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- medium ------------------------------------------------------------ */

static int atapi_open_image(const char *path, struct blk **disk, uint64_t *sectors)
{
	char err[256];
	int r = blk_open(disk, path, DISK_FMT_AUTO, BLK_O_RDONLY, err, sizeof(err));

	if (r < 0)
		return r;
	*sectors = blk_size(*disk) / ATAPI_SECTOR_SIZE;
	return 0;
}

int atapi_open(struct atapi **out, const char *path)
{
	struct atapi *cd = calloc(1, sizeof(*cd));
	int r;

	if (!cd)
		return -ENOMEM;
	if (path) {
		r = atapi_open_image(path, &cd->disk, &cd->sectors);
		if (r < 0) {
			free(cd);
			return r;
		}
	}
	ata_id_serial(cd->serial, "TVCD", path ? path : "cdrom");
	atapi_reset(cd, NULL);
	*out = cd;
	return 0;
}

void atapi_close(struct atapi *cd)
{
	if (!cd)
		return;
	blk_close(cd->disk);
	free(cd);
}

int atapi_change_media(struct atapi *cd, const char *path)
{
	struct blk *disk = NULL;
	uint64_t sectors = 0;

	if (path) {
		int r = atapi_open_image(path, &disk, &sectors);
		if (r < 0)
			return r;
	}
	blk_close(cd->disk);
	cd->disk = disk;
	cd->sectors = sectors;
	cd->tray_open = false;
	cd->media_event = path ? MEC_NEW_MEDIA : MEC_REMOVAL;
	cd->ua = path != NULL;
	return 0;
}

uint64_t atapi_sectors(const struct atapi *cd)
{
	return cd->disk ? cd->sectors : 0;
}

void atapi_reset(struct atapi *cd, struct ata_tf *sig)
{
	cd->xfer_mode = 0x45;
	if (sig) {
		memset(sig, 0, sizeof(*sig));
		sig->count = 1;
		sig->lba = 0xEB1401;              /* LBA mid 14h, high EBh */
		sig->status = 0;
		sig->error = ATA_ERR_DIAG_OK;
	}
}

/* ---- command endings --------------------------------------------------- */

void atapi_ok(struct atapi *cd, struct ata_cmd *c)
{
	c->tf.status = ATA_STAT_DRDY | ATA_STAT_DSC;
	c->tf.error = 0;
	c->tf.count = 3;                      /* I/O | C/D: command complete */
	cd->sense_key = ATAPI_SK_NO_SENSE;
	cd->asc = cd->ascq = 0;
}

void atapi_fail(struct atapi *cd, struct ata_cmd *c, uint8_t key,
		       uint8_t asc, uint8_t ascq)
{
	c->tf.status = ATA_STAT_DRDY | ATA_STAT_ERR;
	c->tf.error = (uint8_t)(key << 4);
	c->tf.count = 3;
	cd->sense_key = key;
	cd->asc = asc;
	cd->ascq = ascq;
}

void atapi_bad_field(struct atapi *cd, struct ata_cmd *c)
{
	atapi_fail(cd, c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_FIELD, 0);
}

static void atapi_not_ready(struct atapi *cd, struct ata_cmd *c)
{
	atapi_fail(cd, c, ATAPI_SK_NOT_READY, ATAPI_ASC_NO_MEDIUM,
		   cd->tray_open ? 0x02 : 0x01);
}

/* The data phase: DMA or PIO as the PACKET command asked. */
static void atapi_data_phase(struct ata_cmd *c)
{
	c->proto = (c->tf.feature & 1) ? ATA_PROTO_DMA : ATA_PROTO_PIO_IN;
}

/* Sends min(len, alloc) bytes of cd->buf and ends the command well. */
void atapi_reply(struct atapi *cd, struct ata_cmd *c, size_t len, size_t alloc)
{
	size_t n = MIN(len, alloc);

	if (n) {
		atapi_data_phase(c);
		ata_sg_copy_to(c->sg, cd->buf, n);
	}
	atapi_ok(cd, c);
}

/* ---- packet commands --------------------------------------------------- */

static void atapi_request_sense(struct atapi *cd, struct ata_cmd *c)
{
	uint8_t *b = cd->buf;
	size_t alloc = c->cdb[4];

	memset(b, 0, 18);
	b[0] = 0x70;                           /* current error, fixed format */
	b[7] = 10;
	if (cd->ua) {
		b[2] = ATAPI_SK_UNIT_ATTENTION;
		b[12] = ATAPI_ASC_MEDIUM_CHANGED;
		cd->ua = false;
	} else {
		b[2] = cd->sense_key;
		b[12] = cd->asc;
		b[13] = cd->ascq;
	}
	atapi_reply(cd, c, 18, alloc);         /* and the sense is consumed */
}

/* Builds one raw (2352-byte, mode 1) sector around 2048 user bytes. */
static int atapi_read_raw(struct atapi *cd, uint64_t lba)
{
	uint8_t *b = cd->buf;
	memset(b, 0, 2352);
	memset(b + 1, 0xFF, 10);               /* sync pattern */
	lba_to_msf(b + 12, lba);
	b[15] = 0x01;                          /* mode 1 */
	return blk_pread(cd->disk, b + 16, ATAPI_SECTOR_SIZE, lba * ATAPI_SECTOR_SIZE) == 0
		       ? 0 : -EIO;
}

/* READ(10), READ(12), READ CD: n blocks from lba, 2048 or 2352 bytes each. */
static void atapi_read(struct atapi *cd, struct ata_cmd *c, uint64_t lba,
		       uint64_t n, unsigned int block)
{
	int r = 0;

	if (lba >= cd->sectors || n > cd->sectors - lba) {
		atapi_fail(cd, c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_LBA_OUT_OF_RANGE, 0);
		return;
	}
	if (n == 0) {
		atapi_ok(cd, c);
		return;
	}
	atapi_data_phase(c);
	if (block == ATAPI_SECTOR_SIZE) {
		r = ata_sg_pread(c->sg, cd->disk, lba * ATAPI_SECTOR_SIZE, n * ATAPI_SECTOR_SIZE);
	} else {
		for (uint64_t i = 0; i < n && r == 0; i++) {
			if (ata_sg_room(c->sg) == 0) {
				c->sg->overflow = true;  /* the rest does not fit */
				break;
			}
			r = atapi_read_raw(cd, lba + i);
			if (r == 0)
				ata_sg_copy_to(c->sg, cd->buf, block);
		}
	}
	if (r < 0)
		atapi_fail(cd, c, ATAPI_SK_MEDIUM_ERROR, ATAPI_ASC_READ_ERROR, 0);
	else
		atapi_ok(cd, c);
}

static void atapi_read_cd(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	unsigned int type = (p[1] >> 2) & 7;

	if (type != 0 && type != 2) {          /* any, or mode 1 */
		atapi_bad_field(cd, c);
		return;
	}
	switch (p[9] & 0xF8) {
	case 0x00:
		atapi_ok(cd, c);
		return;
	case 0x10:
		atapi_read(cd, c, be32(p + 2), be24(p + 6), ATAPI_SECTOR_SIZE);
		return;
	case 0xF8:
		atapi_read(cd, c, be32(p + 2), be24(p + 6), 2352);
		return;
	}
	atapi_bad_field(cd, c);
}

static void atapi_start_stop(struct atapi *cd, struct ata_cmd *c)
{
	bool start = c->cdb[4] & 1, loej = c->cdb[4] & 2;

	if ((c->cdb[4] & 0xF0) || !loej) {     /* power conditions, spin up/down */
		atapi_ok(cd, c);
		return;
	}
	if (!start && !cd->tray_open && cd->locked) {
		atapi_fail(cd, c, atapi_present(cd) ? ATAPI_SK_NOT_READY : ATAPI_SK_ILLEGAL_REQUEST,
			   ATAPI_ASC_REMOVAL_PREVENTED, 0x02);
		return;
	}
	if (start && cd->tray_open && cd->disk) {
		cd->media_event = MEC_NEW_MEDIA;   /* the disc is back */
		cd->ua = true;
	}
	else if (!start && !cd->tray_open && cd->disk)
		cd->media_event = MEC_REMOVAL;
	cd->tray_open = !start;
	atapi_ok(cd, c);
}

enum { ALLOW_UA = 1, NEED_MEDIUM = 2 };

static const struct {
	void (*fn)(struct atapi *cd, struct ata_cmd *c);
	uint8_t flags;
} atapi_cmds[256] = {
	[0x03] = { atapi_request_sense, ALLOW_UA },
	[0x12] = { atapi_inquiry, ALLOW_UA },
	[0x1B] = { atapi_start_stop, 0 },
	[0x25] = { atapi_read_capacity, NEED_MEDIUM },
	[0x43] = { atapi_read_toc, NEED_MEDIUM },
	[0x46] = { atapi_get_configuration, ALLOW_UA },
	[0x4A] = { atapi_get_event_status, ALLOW_UA },
	[0x51] = { atapi_read_disc_info, NEED_MEDIUM },
	[0x5A] = { atapi_mode_sense, 0 },
	[0xAD] = { atapi_read_dvd_structure, NEED_MEDIUM },
	[0xBD] = { atapi_mechanism_status, 0 },
	[0xBE] = { atapi_read_cd, NEED_MEDIUM },
};

static void atapi_packet(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	uint8_t op = p[0], flags;

	switch (op) {                          /* the few the table cannot say */
	case 0x00: case 0x28: case 0xA8: case 0x2B:
		flags = NEED_MEDIUM;
		break;
	case 0x1E: case 0xBB:
		flags = 0;
		break;
	default:
		flags = atapi_cmds[op].flags;
	}
	if (cd->ua && !(flags & ALLOW_UA)) {
		cd->ua = false;
		atapi_fail(cd, c, ATAPI_SK_UNIT_ATTENTION, ATAPI_ASC_MEDIUM_CHANGED, 0);
		return;
	}
	if ((flags & NEED_MEDIUM) && !atapi_present(cd)) {
		atapi_not_ready(cd, c);
		return;
	}
	switch (op) {
	case 0x00:                             /* TEST UNIT READY */
	case 0xBB:                             /* SET CD SPEED */
		atapi_ok(cd, c);
		return;
	case 0x1E:                             /* PREVENT ALLOW MEDIUM REMOVAL */
		cd->locked = p[4] & 1;
		atapi_ok(cd, c);
		return;
	case 0x28:                             /* READ(10) */
		atapi_read(cd, c, be32(p + 2), be16(p + 7), ATAPI_SECTOR_SIZE);
		return;
	case 0xA8:                             /* READ(12) */
		atapi_read(cd, c, be32(p + 2), be32(p + 6), ATAPI_SECTOR_SIZE);
		return;
	case 0x2B:                             /* SEEK(10) */
		if (be32(p + 2) >= cd->sectors)
			atapi_fail(cd, c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_LBA_OUT_OF_RANGE, 0);
		else
			atapi_ok(cd, c);
		return;
	}
	if (atapi_cmds[op].fn)
		atapi_cmds[op].fn(cd, c);
	else
		atapi_fail(cd, c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INVALID_OPCODE, 0);
}

/* ---- ATA commands ------------------------------------------------------ */

static void atapi_identify(struct atapi *cd, struct ata_cmd *c)
{
	uint16_t id[256];
	unsigned int mode = cd->xfer_mode & 7;

	memset(id, 0, sizeof(id));
	id[0] = 0x85C0;              /* ATAPI, CD-ROM, removable, 50us DRQ, 12-byte packets */
	ata_id_string(id, 10, cd->serial, 20);
	ata_id_string(id, 23, "1.0", 8);
	ata_id_string(id, 27, "TTYVM DVD-ROM", 40);
	id[49] = 0x0B00;             /* IORDY, LBA, DMA */
	id[53] = 0x0007;
	id[63] = 0x0007;
	if ((cd->xfer_mode & 0xF8) == 0x20)
		id[63] |= (uint16_t)(0x100 << mode);
	id[64] = 0x0003;
	id[65] = id[66] = id[67] = id[68] = 120;
	id[76] = 0x0002;
	id[80] = 0x01F0;
	id[82] = 0x0210;             /* DEVICE RESET, PACKET */
	id[83] = 0x4000;
	id[84] = 0x4000;
	id[85] = 0x0210;
	id[87] = 0x4000;
	id[88] = 0x003F;
	if ((cd->xfer_mode & 0xF8) == 0x40)
		id[88] |= (uint16_t)(0x100 << mode);
	id[222] = 0x101F;
	ata_id_checksum(id);
	for (unsigned int i = 0; i < 256; i++)
		put_le16(cd->buf + 2 * i, id[i]);
	c->proto = ATA_PROTO_PIO_IN;
	ata_sg_copy_to(c->sg, cd->buf, 512);
}

void atapi_exec(struct atapi *cd, struct ata_cmd *c)
{
	struct ata_tf *tf = &c->tf;
	uint8_t count = (uint8_t)tf->count;

	c->proto = ATA_PROTO_NODATA;
	tf->status = ATA_STAT_DRDY | ATA_STAT_DSC;
	tf->error = 0;
	switch (tf->command) {
	case ATA_CMD_PACKET:
		if (!c->cdb) {
			tf->status = ATA_STAT_DRDY | ATA_STAT_ERR;
			tf->error = ATA_ERR_ABRT;
			return;
		}
		atapi_packet(cd, c);
		return;
	case ATA_CMD_ID_PACKET:
		atapi_identify(cd, c);
		return;
	case ATA_CMD_DEVICE_RESET:
	case ATA_CMD_DIAGNOSE:
		atapi_reset(cd, tf);
		return;
	case ATA_CMD_IDENTIFY:
	case ATA_CMD_READ_SECTORS:
		atapi_reset(cd, tf);               /* signature in the registers */
		tf->status = ATA_STAT_DRDY | ATA_STAT_ERR;
		tf->error = ATA_ERR_ABRT;
		return;
	case ATA_CMD_SET_FEATURES:
		if ((tf->feature & 0xFF) == 0x03 &&
		    (count <= 0x01 || (count >= 0x08 && count <= 0x0C) ||
		     (count >= 0x20 && count <= 0x22) || (count >= 0x40 && count <= 0x45)))
			cd->xfer_mode = count;
		else if ((tf->feature & 0xFF) != 0x10 && (tf->feature & 0xFF) != 0x90 &&
			 (tf->feature & 0xFF) != 0x66 && (tf->feature & 0xFF) != 0xCC)
			goto abort;
		return;
	case ATA_CMD_CHECK_POWER:
		tf->count = 0xFF;
		return;
	case ATA_CMD_STANDBY_IMM: case ATA_CMD_IDLE_IMM:
	case ATA_CMD_STANDBY: case ATA_CMD_IDLE: case ATA_CMD_SLEEP:
		return;
	}
abort:
	tf->status = ATA_STAT_DRDY | ATA_STAT_ERR;
	tf->error = ATA_ERR_ABRT;
}

int atapi_snapshot(struct atapi *cd, struct snap *s)
{
	uint32_t version = 1;
	uint64_t sectors = atapi_sectors(cd);

	if (snap_section(s, "atapi", &version) < 0)
		return snap_error(s);
	snap_u64(s, &sectors);
	snap_bool(s, &cd->tray_open);
	snap_bool(s, &cd->locked);
	snap_bool(s, &cd->ua);
	snap_u8(s, &cd->media_event);
	snap_u8(s, &cd->sense_key);
	snap_u8(s, &cd->asc);
	snap_u8(s, &cd->ascq);
	snap_u8(s, &cd->xfer_mode);
	if (snap_loading(s) && !snap_error(s) && sectors != atapi_sectors(cd))
		snap_fail(s, -EINVAL);             /* another disc in the drive */
	return snap_error(s);
}
