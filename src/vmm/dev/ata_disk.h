/*
 * ata_disk.h - an ATA hard disk on a raw image, and what every ATA device
 * model shares with the host adapter in front of it.
 *
 * The adapter (ahci.c) turns a command FIS into a struct ata_cmd: the
 * taskfile registers, the ATAPI command packet and the data area, which is
 * guest memory the adapter has already bounds-checked (struct ata_sg).  The
 * device runs the command synchronously, moves data through the ata_sg_*
 * helpers and leaves its ending registers in the taskfile; the adapter
 * turns those into FISes and interrupts.  Devices never see guest-physical
 * addresses.
 */
#ifndef TTYVM_DEV_ATA_DISK_H
#define TTYVM_DEV_ATA_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/block/blk.h"
#include "vmm/snap.h"

#define ATA_SECTOR_SIZE 512

/* status register */
#define ATA_STAT_ERR  0x01
#define ATA_STAT_DRQ  0x08
#define ATA_STAT_DSC  0x10
#define ATA_STAT_DF   0x20
#define ATA_STAT_DRDY 0x40
#define ATA_STAT_BSY  0x80

/* error register */
#define ATA_ERR_DIAG_OK 0x01  /* diagnostic code after reset: no error */
#define ATA_ERR_ABRT  0x04
#define ATA_ERR_IDNF  0x10
#define ATA_ERR_UNC   0x40

/* device register */
#define ATA_DEV_LBA   0x40

/* commands (ATA8-ACS) */
#define ATA_CMD_NOP                0x00
#define ATA_CMD_DEVICE_RESET       0x08
#define ATA_CMD_RECALIBRATE        0x10
#define ATA_CMD_READ_SECTORS       0x20
#define ATA_CMD_READ_SECTORS_EXT   0x24
#define ATA_CMD_READ_DMA_EXT       0x25
#define ATA_CMD_READ_MULTIPLE_EXT  0x29
#define ATA_CMD_WRITE_SECTORS      0x30
#define ATA_CMD_WRITE_SECTORS_EXT  0x34
#define ATA_CMD_WRITE_DMA_EXT      0x35
#define ATA_CMD_WRITE_MULTIPLE_EXT 0x39
#define ATA_CMD_VERIFY             0x40
#define ATA_CMD_VERIFY_EXT         0x42
#define ATA_CMD_SEEK               0x70
#define ATA_CMD_DIAGNOSE           0x90
#define ATA_CMD_INIT_PARAMS        0x91
#define ATA_CMD_PACKET             0xA0
#define ATA_CMD_ID_PACKET          0xA1
#define ATA_CMD_READ_MULTIPLE      0xC4
#define ATA_CMD_WRITE_MULTIPLE     0xC5
#define ATA_CMD_SET_MULTIPLE       0xC6
#define ATA_CMD_READ_DMA           0xC8
#define ATA_CMD_WRITE_DMA          0xCA
#define ATA_CMD_STANDBY_IMM        0xE0
#define ATA_CMD_IDLE_IMM           0xE1
#define ATA_CMD_STANDBY            0xE2
#define ATA_CMD_IDLE               0xE3
#define ATA_CMD_CHECK_POWER        0xE5
#define ATA_CMD_SLEEP              0xE6
#define ATA_CMD_FLUSH              0xE7
#define ATA_CMD_FLUSH_EXT          0xEA
#define ATA_CMD_IDENTIFY           0xEC
#define ATA_CMD_SET_FEATURES       0xEF

/*
 * Taskfile registers.  In: what the host's command FIS carries.  Out: what
 * the device's ending register FIS carries (status, error, lba, count).
 */
struct ata_tf {
	uint8_t command;
	uint8_t status;
	uint8_t error;
	uint8_t device;
	uint8_t control;
	uint16_t feature;   /* 15:8 = features (exp) */
	uint16_t count;     /* 15:8 = count (exp) */
	uint64_t lba;       /* 47:0; 27:24 come from device for LBA28 commands */
};

/*
 * The data area of one command: host mappings of guest memory, already
 * checked by the adapter.  A cursor walks it as the device moves bytes.
 */
struct ata_sg {
	const struct iovec *iov;
	unsigned int niov;
	uint64_t cap;       /* bytes the segments hold */
	uint64_t done;      /* bytes moved so far */
	unsigned int cur;   /* segment holding byte `done` */
	size_t cur_off;     /* offset of byte `done` inside it */
	bool overflow;      /* the device had more to move than cap */
};

/* How the data phase of a command ran (the adapter picks its FISes). */
enum ata_proto {
	ATA_PROTO_NODATA = 0,
	ATA_PROTO_PIO_IN,   /* device to host, PIO */
	ATA_PROTO_PIO_OUT,  /* host to device, PIO */
	ATA_PROTO_DMA,
};

struct ata_cmd {
	struct ata_tf tf;
	const uint8_t *cdb;     /* PACKET: the 16-byte command packet */
	struct ata_sg *sg;
	enum ata_proto proto;   /* out */
};

/* Points sg at iov[0..niov) (cap = their total) with the cursor at 0. */
void ata_sg_init(struct ata_sg *sg, const struct iovec *iov, unsigned int niov);
static inline uint64_t ata_sg_room(const struct ata_sg *sg)
{
	return sg->cap - sg->done;
}
/*
 * Copies len bytes from src into the data area at the cursor.  Returns the
 * bytes copied; fewer than len (room ran out) also sets sg->overflow.
 */
size_t ata_sg_copy_to(struct ata_sg *sg, const void *src, size_t len);
/* Copies up to len bytes out of the data area into dst; returns the count. */
size_t ata_sg_copy_from(struct ata_sg *sg, void *dst, size_t len);
/*
 * Reads len bytes of disk b at off straight into the data area.  Moves
 * at most the room left and sets sg->overflow when that is less than len.
 * 0, or -EIO when the read fails.
 */
int ata_sg_pread(struct ata_sg *sg, struct blk *b, uint64_t off, uint64_t len);
/* Writes len bytes from the data area to disk b at off; len <= room.  0 or -EIO. */
int ata_sg_pwrite(struct ata_sg *sg, struct blk *b, uint64_t off, uint64_t len);

/* IDENTIFY helpers shared with atapi.c: ATA string (byte-swapped words,
 * space padded) into words [w, w+len/2); and word 255's checksum. */
void ata_id_string(uint16_t *id, unsigned int w, const char *s, unsigned int len);
void ata_id_checksum(uint16_t *id);
/* 20-character serial number derived from a string (stable per path). */
void ata_id_serial(char out[21], const char *prefix, const char *seed);

/* ---- the disk ---------------------------------------------------------- */

struct ata_disk;

/*
 * Opens the image path with blk_open() in format fmt (DISK_FMT_AUTO
 * probes; read-only when readonly) as a disk of size/512 sectors.  0 and
 * *out, or -errno with err set (blk_open()'s errors; -EINVAL for an image
 * smaller than one sector).  Free with ata_disk_close().
 */
int ata_disk_open(struct ata_disk **out, const char *path, enum disk_format fmt,
		  bool readonly, char *err, size_t errlen);
void ata_disk_close(struct ata_disk *d);
uint64_t ata_disk_sectors(const struct ata_disk *d);

/*
 * Runs one command (never blocks on the guest, may block on the image).
 * Errors are reported the ATA way in c->tf (ERR with ABRT/IDNF/UNC).
 */
void ata_disk_exec(struct ata_disk *d, struct ata_cmd *c);

/* Reset (COMRESET, SRST): settings to defaults, signature into sig. */
void ata_disk_reset(struct ata_disk *d, struct ata_tf *sig);

/* Saves or loads the disk's settings.  0 or -errno. */
int ata_disk_snapshot(struct ata_disk *d, struct snap *s);

#endif
