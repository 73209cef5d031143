/*
 * atapi.h - an ATAPI CD/DVD-ROM drive holding an ISO image.
 *
 * The drive speaks the ATA commands a PACKET device has (IDENTIFY PACKET
 * DEVICE, PACKET, DEVICE RESET, ...) and, inside PACKET, the MMC/SPC
 * commands installers and firmware use.  The adapter in front hands it
 * struct ata_cmd (see ata_disk.h) exactly as it does a disk.
 */
#ifndef TTYVM_DEV_ATAPI_H
#define TTYVM_DEV_ATAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/dev/ata_disk.h"
#include "vmm/snap.h"

#define ATAPI_SECTOR_SIZE 2048

/* sense keys and additional sense codes reported through REQUEST SENSE */
#define ATAPI_SK_NO_SENSE        0x0
#define ATAPI_SK_NOT_READY       0x2
#define ATAPI_SK_MEDIUM_ERROR    0x3
#define ATAPI_SK_ILLEGAL_REQUEST 0x5
#define ATAPI_SK_UNIT_ATTENTION  0x6

#define ATAPI_ASC_READ_ERROR       0x11
#define ATAPI_ASC_INVALID_OPCODE   0x20
#define ATAPI_ASC_LBA_OUT_OF_RANGE 0x21
#define ATAPI_ASC_INVALID_FIELD    0x24
#define ATAPI_ASC_MEDIUM_CHANGED   0x28
#define ATAPI_ASC_INCOMPATIBLE     0x30
#define ATAPI_ASC_SAVING_PARAMS    0x39
#define ATAPI_ASC_NO_MEDIUM        0x3A
#define ATAPI_ASC_REMOVAL_PREVENTED 0x53

struct atapi;

/*
 * Creates a drive; path names an ISO image (opened read-only) or is NULL
 * for an empty drive.  0 and *out, or -errno.  Free with atapi_close().
 */
int atapi_open(struct atapi **out, const char *path);
void atapi_close(struct atapi *cd);

/*
 * Swaps the medium: path (NULL = none).  The guest sees a unit attention
 * and a media event, as after a real disc change.  The old image is
 * closed only when the new one opened.  0 or -errno.
 */
int atapi_change_media(struct atapi *cd, const char *path);

/* Blocks on the medium (0 without one). */
uint64_t atapi_sectors(const struct atapi *cd);

/* Runs one ATA command (PACKET included); results in c->tf as for disks. */
void atapi_exec(struct atapi *cd, struct ata_cmd *c);

/* Reset (COMRESET, SRST): PACKET signature into sig (may be NULL). */
void atapi_reset(struct atapi *cd, struct ata_tf *sig);

/* Saves or loads tray, lock, sense and event state.  0 or -errno. */
int atapi_snapshot(struct atapi *cd, struct snap *s);

#endif
