/*
 * atapi_mmc.c - the informational replies of the ATAPI CD/DVD-ROM: the
 * MMC-6 / SPC-3 commands that describe the drive and its disc rather
 * than read it.  INQUIRY (standard data, VPD pages 00h and 80h), READ
 * CAPACITY, READ TOC/PMA/ATIP (formats 0 TOC, 1 session information,
 * 2 raw TOC; LBA or MSF), GET CONFIGURATION (profile list with DVD-ROM
 * and CD-ROM, core, morphing, removable medium, random readable, CD
 * read, DVD read; RT 0/1/2), GET EVENT STATUS NOTIFICATION (polled,
 * media class only), READ DISC INFORMATION, READ DVD STRUCTURE
 * (physical, copyright, manufacturing, list; DVD media only), MODE
 * SENSE(10) (pages 01h read error recovery, 2Ah capabilities, 3Fh all;
 * current, changeable and default values) and MECHANISM STATUS.
 *
 * Each builds its reply in cd->buf and hands it to atapi_reply(), which
 * cuts it to the allocation length; no length from the packet sizes a
 * buffer.  atapi.c decides beforehand whether the command may run (unit
 * attention, medium present).
 */
#include "vmm/dev/atapi_priv.h"

#include "util/util.h"

void atapi_inquiry(struct atapi *cd, struct ata_cmd *c)
{
	uint8_t *b = cd->buf;
	size_t alloc = be16(c->cdb + 3);

	memset(b, 0, 64);
	b[0] = 0x05;                           /* CD/DVD device */
	if (c->cdb[1] & 1) {                   /* EVPD */
		switch (c->cdb[2]) {
		case 0x00:
			b[3] = 2;
			b[4] = 0x00;
			b[5] = 0x80;
			atapi_reply(cd, c, 6, alloc);
			return;
		case 0x80:
			b[1] = 0x80;
			b[3] = 20;
			pad_str(b + 4, cd->serial, 20);
			atapi_reply(cd, c, 24, alloc);
			return;
		}
		atapi_bad_field(cd, c);
		return;
	}
	if (c->cdb[2]) {
		atapi_bad_field(cd, c);
		return;
	}
	b[1] = 0x80;                           /* removable */
	b[2] = 0x05;                           /* SPC-3 */
	b[3] = 0x02;                           /* response data format */
	b[4] = 36 - 5;
	pad_str(b + 8, "TTYVM", 8);
	pad_str(b + 16, "TTYVM DVD-ROM", 16);
	pad_str(b + 32, "1.0", 4);
	atapi_reply(cd, c, 36, alloc);
}

void atapi_read_capacity(struct atapi *cd, struct ata_cmd *c)
{
	uint64_t last = cd->sectors - 1;

	put_be32(cd->buf, last > 0xFFFFFFFFULL ? 0xFFFFFFFFu : (uint32_t)last);
	put_be32(cd->buf + 4, ATAPI_SECTOR_SIZE);
	atapi_reply(cd, c, 8, 8);
}

/* A 4-byte address in a TOC: LBA, or 0 M S F. */
static void toc_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (msf) {
		p[0] = 0;
		lba_to_msf(p + 1, lba);
	} else {
		put_be32(p, lba > 0xFFFFFFFFULL ? 0xFFFFFFFFu : (uint32_t)lba);
	}
}

void atapi_read_toc(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	uint8_t *b = cd->buf;
	bool msf = p[1] & 2;
	unsigned int format = p[2] & 0x0F, track = p[6];
	size_t len = 4, alloc = be16(p + 7);

	if (format == 0)
		format = p[9] >> 6;            /* pre-MMC placement */
	memset(b, 0, 64);
	b[2] = b[3] = 1;                      /* first, last track / session */
	switch (format) {
	case 0:                                /* TOC */
		if (track > 1 && track != 0xAA) {
			atapi_bad_field(cd, c);
			return;
		}
		if (track <= 1) {
			b[len + 1] = 0x14;             /* ADR 1, data track */
			b[len + 2] = 1;
			toc_addr(b + len + 4, 0, msf);
			len += 8;
		}
		b[len + 1] = 0x16;
		b[len + 2] = 0xAA;                 /* lead-out */
		toc_addr(b + len + 4, cd->sectors, msf);
		len += 8;
		break;
	case 1:                                /* session information */
		b[5] = 0x14;
		b[6] = 1;
		toc_addr(b + 8, 0, msf);
		len = 12;
		break;
	case 2: {                              /* raw TOC: A0, A1, A2, track 1 */
		static const uint8_t point[4] = { 0xA0, 0xA1, 0xA2, 0x01 };
		for (unsigned int i = 0; i < 4; i++, len += 11) {
			uint8_t *d = b + len;
			d[0] = 1;                     /* session */
			d[1] = 0x14;
			d[3] = point[i];
			if (i < 2)
				d[8] = 1;                 /* first / last track number */
			else
				lba_to_msf(d + 8, i == 2 ? cd->sectors : 0);
		}
		break;
	}
	default:
		atapi_bad_field(cd, c);
		return;
	}
	put_be16(b, (uint16_t)(len - 2));
	atapi_reply(cd, c, len, alloc);
}

/* Appends feature code with flags byte and len body bytes; returns them. */
static uint8_t *feature(uint8_t *b, size_t *len, uint16_t code, uint8_t flags,
			uint8_t body)
{
	uint8_t *f = b + *len;
	memset(f, 0, 4u + body);
	put_be16(f, code);
	f[2] = flags;
	f[3] = body;
	*len += 4u + body;
	return f;
}

void atapi_get_configuration(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	unsigned int rt = p[1] & 3;
	uint16_t start = be16(p + 2);
	size_t alloc = be16(p + 7), len = 8, all;
	uint8_t *b = cd->buf, *f;
	bool cur = atapi_present(cd), dvd = atapi_is_dvd(cd);
	uint8_t tmp[128];

	if (rt == 3) {
		atapi_bad_field(cd, c);
		return;
	}
	memset(b, 0, 8);
	if (cur)
		put_be16(b + 6, dvd ? 0x0010 : 0x0008);
	/* the whole list in tmp, then the features the request selects */
	all = 0;
	f = feature(tmp, &all, 0x0000, 0x03, 8);        /* profile list */
	put_be16(f + 4, 0x0010);
	f[6] = dvd;
	put_be16(f + 8, 0x0008);
	f[10] = cur && !dvd;
	f = feature(tmp, &all, 0x0001, 0x0B, 8);        /* core, version 2 */
	put_be32(f + 4, 2);                             /* ATAPI */
	f[8] = 0x01;                                    /* DBE */
	f = feature(tmp, &all, 0x0002, 0x07, 4);        /* morphing */
	f[4] = 0x02;                                    /* OCEvent */
	f = feature(tmp, &all, 0x0003, 0x03, 4);        /* removable medium */
	f[4] = 0x29;                                    /* tray, eject, lock */
	f = feature(tmp, &all, 0x0010, cur, 8);         /* random readable */
	put_be32(f + 4, ATAPI_SECTOR_SIZE);
	put_be16(f + 8, dvd ? 16 : 1);
	feature(tmp, &all, 0x001E, (uint8_t)(0x08 | (cur && !dvd)), 4); /* CD read */
	feature(tmp, &all, 0x001F, dvd, 0);             /* DVD read */
	for (size_t off = 0; off < all; off += 4u + tmp[off + 3]) {
		uint16_t code = be16(tmp + off);
		size_t flen = 4u + tmp[off + 3];
		bool is_cur = tmp[off + 2] & 1;
		if (code < start || (rt == 1 && !is_cur) || (rt == 2 && code != start))
			continue;
		memcpy(b + len, tmp + off, flen);
		len += flen;
	}
	put_be32(b, (uint32_t)(len - 4));
	atapi_reply(cd, c, len, alloc);
}

void atapi_get_event_status(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	uint8_t *b = cd->buf;
	size_t alloc = be16(p + 7);

	if (!(p[1] & 1)) {                     /* asynchronous: not supported */
		atapi_bad_field(cd, c);
		return;
	}
	memset(b, 0, 8);
	b[3] = 0x10;                           /* supported: media class */
	if (!(p[4] & 0x10)) {
		b[2] = 0x80;                       /* no event available */
		atapi_reply(cd, c, 4, alloc);
		return;
	}
	b[1] = 4;                              /* descriptor length */
	b[2] = 0x04;                           /* media class */
	b[4] = cd->media_event;
	cd->media_event = MEC_NONE;
	b[5] = (uint8_t)(cd->tray_open ? 0x01 : (atapi_present(cd) ? 0x02 : 0));
	atapi_reply(cd, c, 8, alloc);
}

void atapi_read_disc_info(struct atapi *cd, struct ata_cmd *c)
{
	uint8_t *b = cd->buf;

	if (c->cdb[1] & 7) {                   /* only standard disc information */
		atapi_bad_field(cd, c);
		return;
	}
	memset(b, 0, 34);
	b[1] = 32;
	b[2] = 0x0E;                           /* complete session, finalized disc */
	b[3] = b[4] = b[5] = b[6] = 1;         /* one track, one session */
	b[7] = 0x20;                           /* unrestricted use */
	atapi_reply(cd, c, 34, be16(c->cdb + 7));
}

void atapi_read_dvd_structure(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	uint8_t *b = cd->buf;
	size_t alloc = be16(p + 8), len;

	if (p[1] != 0 || (p[7] != 0xFF && p[7] != 0 && p[7] != 1 && p[7] != 4)) {
		atapi_bad_field(cd, c);
		return;
	}
	if (p[7] != 0xFF && !atapi_is_dvd(cd)) {
		atapi_fail(cd, c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_INCOMPATIBLE, 0x02);
		return;
	}
	memset(b, 0, 2052);
	switch (p[7]) {
	case 0x00:                             /* physical format, layer 0 only */
		if (p[6]) {
			atapi_bad_field(cd, c);
			return;
		}
		b[4] = 0x01;                       /* DVD-ROM, version 1 */
		b[5] = 0x0F;                       /* 120 mm */
		b[6] = 0x01;                       /* one layer, read-only */
		put_be32(b + 8, 0x30000);          /* first data sector */
		put_be32(b + 12, (uint32_t)MIN(0x30000 + cd->sectors - 1, 0xFFFFFFULL));
		len = 2052;
		break;
	case 0x01:                             /* copyright: none, no region */
		len = 8;
		break;
	case 0x04:                             /* manufacturing information */
		len = 2052;
		break;
	default:                               /* list of structures */
		b[4] = 0x00; b[5] = 0x40; put_be16(b + 6, 2052);
		b[8] = 0x01; b[9] = 0x40; put_be16(b + 10, 8);
		b[12] = 0x04; b[13] = 0x40; put_be16(b + 14, 2052);
		len = 16;
		break;
	}
	put_be16(b, (uint16_t)(len - 2));
	atapi_reply(cd, c, len, alloc);
}

void atapi_mode_sense(struct atapi *cd, struct ata_cmd *c)
{
	const uint8_t *p = c->cdb;
	unsigned int pc = p[2] >> 6, page = p[2] & 0x3F;
	uint8_t *b = cd->buf;
	size_t len = 8;
	bool cur = pc != 1;                    /* 1: changeable bits, all zero */

	if (pc == 3) {
		atapi_fail(cd, c, ATAPI_SK_ILLEGAL_REQUEST, ATAPI_ASC_SAVING_PARAMS, 0);
		return;
	}
	if (page != 0x01 && page != 0x2A && page != 0x3F) {
		atapi_bad_field(cd, c);
		return;
	}
	memset(b, 0, 64);
	/* medium type (SFF-8020i): data disc, no disc, or door open */
	b[2] = (uint8_t)(cd->tray_open ? 0x71 : (atapi_present(cd) ? 0x01 : 0x70));
	if (page == 0x01 || page == 0x3F) {   /* read error recovery */
		b[len] = 0x01;
		b[len + 1] = 0x0A;
		if (cur)
			b[len + 3] = 5;               /* read retry count */
		len += 12;
	}
	if (page == 0x2A || page == 0x3F) {   /* capabilities and mechanical status */
		uint8_t *m = b + len;
		m[0] = 0x2A;
		m[1] = 0x14;
		if (cur) {
			m[2] = 0x3B;                  /* reads CD-R/RW, DVD-ROM/R/RAM */
			m[4] = 0x71;                  /* audio play, mode 2, multisession */
			m[5] = 0x60;                  /* ISRC, UPC */
			m[6] = (uint8_t)(0x29 | (cd->locked ? 0x02 : 0)); /* tray, eject, lock */
			put_be16(m + 8, 706);         /* 4x, in kB/s */
			put_be16(m + 10, 2);          /* volume levels */
			put_be16(m + 12, 512);        /* buffer, kB */
			put_be16(m + 14, 706);
		}
		len += 22;
	}
	put_be16(b, (uint16_t)(len - 2));
	atapi_reply(cd, c, len, be16(p + 7));
}

void atapi_mechanism_status(struct atapi *cd, struct ata_cmd *c)
{
	memset(cd->buf, 0, 8);
	if (cd->tray_open)
		cd->buf[1] = 0x10;                 /* door open */
	atapi_reply(cd, c, 8, be16(c->cdb + 8));
}
