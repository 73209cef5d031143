/*
 * atapi_priv.h - the drive state atapi.c (ATA side, command dispatch,
 * reads, tray) and atapi_mmc.c (the MMC/SPC informational replies)
 * share.  Not for other files: everything else goes through atapi.h.
 */
#ifndef TTYVM_DEV_ATAPI_PRIV_H
#define TTYVM_DEV_ATAPI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmm/dev/atapi.h"

#define CD_MAX_BLOCKS 360000u          /* 80 minutes */
#define ATAPI_BUF 4096                 /* largest reply: raw sector, DVD structure */

/* GET EVENT STATUS NOTIFICATION media event codes */
#define MEC_NONE       0
#define MEC_NEW_MEDIA  2
#define MEC_REMOVAL    3

struct atapi {
	struct blk *disk;        /* NULL: no medium */
	uint64_t sectors;        /* 2048-byte blocks of the medium */
	char serial[21];
	bool tray_open;
	bool locked;             /* PREVENT ALLOW MEDIUM REMOVAL */
	bool ua;                 /* unit attention pending */
	uint8_t media_event;     /* MEC_* not yet reported through GESN */
	uint8_t sense_key, asc, ascq;
	uint8_t xfer_mode;
	uint8_t buf[ATAPI_BUF];  /* reply scratch */
};

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be24(const uint8_t *p) { return (uint32_t)(p[0] << 16 | p[1] << 8 | p[2]); }
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/* Space-padded, not NUL-terminated. */
static inline void pad_str(uint8_t *dst, const char *s, size_t len)
{
	size_t sl = strlen(s);
	for (size_t i = 0; i < len; i++)
		dst[i] = i < sl ? (uint8_t)s[i] : ' ';
}

/* MSF of a block address (+150 for the 2-second lead-in), clamped. */
static inline void lba_to_msf(uint8_t *p, uint64_t lba)
{
	lba += 150;
	if (lba > 255ULL * 60 * 75 + 59 * 75 + 74)
		lba = 255ULL * 60 * 75 + 59 * 75 + 74;
	p[0] = (uint8_t)(lba / 75 / 60);
	p[1] = (uint8_t)(lba / 75 % 60);
	p[2] = (uint8_t)(lba % 75);
}

static inline bool atapi_present(const struct atapi *cd)
{
	return !cd->tray_open && cd->disk && cd->sectors > 0;
}

static inline bool atapi_is_dvd(const struct atapi *cd)
{
	return atapi_present(cd) && cd->sectors > CD_MAX_BLOCKS;
}

/* atapi.c: how a packet command ends */

/* GOOD status; clears the sense data. */
void atapi_ok(struct atapi *cd, struct ata_cmd *c);
/* CHECK CONDITION with sense key/asc/ascq kept for REQUEST SENSE. */
void atapi_fail(struct atapi *cd, struct ata_cmd *c, uint8_t key, uint8_t asc,
		uint8_t ascq);
/* ILLEGAL REQUEST, INVALID FIELD IN CDB. */
void atapi_bad_field(struct atapi *cd, struct ata_cmd *c);
/* Sends min(len, alloc) bytes of cd->buf (DMA or PIO) and ends with GOOD. */
void atapi_reply(struct atapi *cd, struct ata_cmd *c, size_t len, size_t alloc);

/* atapi_mmc.c: the reply builders, one per command */
void atapi_inquiry(struct atapi *cd, struct ata_cmd *c);
void atapi_read_capacity(struct atapi *cd, struct ata_cmd *c);
void atapi_read_toc(struct atapi *cd, struct ata_cmd *c);
void atapi_get_configuration(struct atapi *cd, struct ata_cmd *c);
void atapi_get_event_status(struct atapi *cd, struct ata_cmd *c);
void atapi_read_disc_info(struct atapi *cd, struct ata_cmd *c);
void atapi_read_dvd_structure(struct atapi *cd, struct ata_cmd *c);
void atapi_mode_sense(struct atapi *cd, struct ata_cmd *c);
void atapi_mechanism_status(struct atapi *cd, struct ata_cmd *c);

#endif
