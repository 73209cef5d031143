/*
 * virtio_blk.h - virtio block device (virtio 1.2, section 5.2) on the
 * virtio PCI transport, backed by a disk image (raw or qcow2) through the
 * block layer.
 *
 * One instance per `--disk FILE,if=virtio[,ro]`.  Requests are served
 * synchronously on the vCPU thread that notifies the queue (see
 * virtio_pci.h for where an I/O thread would go).  Cache mode: writeback
 * with honest flush - writes go to the host page cache, and a guest
 * VIRTIO_BLK_T_FLUSH completes only after fdatasync() succeeded.
 */
#ifndef TTYVM_VIRTIO_BLK_H
#define TTYVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/guest_mem.h"
#include "vmm/snap.h"

struct virtio_pci;
struct virtio_blk;

/* feature bits (5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX      1
#define VIRTIO_BLK_F_SEG_MAX       2
#define VIRTIO_BLK_F_GEOMETRY      4
#define VIRTIO_BLK_F_RO            5
#define VIRTIO_BLK_F_BLK_SIZE      6
#define VIRTIO_BLK_F_FLUSH         9
#define VIRTIO_BLK_F_TOPOLOGY      10
#define VIRTIO_BLK_F_CONFIG_WCE    11
#define VIRTIO_BLK_F_MQ            12
#define VIRTIO_BLK_F_DISCARD       13
#define VIRTIO_BLK_F_WRITE_ZEROES  14

/* request types (5.2.6) */
#define VIRTIO_BLK_T_IN            0
#define VIRTIO_BLK_T_OUT           1
#define VIRTIO_BLK_T_FLUSH         4
#define VIRTIO_BLK_T_GET_ID        8
#define VIRTIO_BLK_T_DISCARD       11
#define VIRTIO_BLK_T_WRITE_ZEROES  13

/* status byte */
#define VIRTIO_BLK_S_OK            0
#define VIRTIO_BLK_S_IOERR         1
#define VIRTIO_BLK_S_UNSUPP        2

/* discard / write zeroes segment flag */
#define VIRTIO_BLK_WZ_F_UNMAP      1

#define VIRTIO_BLK_SECTOR          512
#define VIRTIO_BLK_ID_BYTES        20
#define VIRTIO_BLK_HDR_SIZE        16
#define VIRTIO_BLK_SEG_SIZE        16   /* struct virtio_blk_discard_write_zeroes */

/* struct virtio_blk_config offsets (5.2.4) */
#define VIRTIO_BLK_CFG_CAPACITY         0
#define VIRTIO_BLK_CFG_SIZE_MAX         8
#define VIRTIO_BLK_CFG_SEG_MAX          12
#define VIRTIO_BLK_CFG_BLK_SIZE         20
#define VIRTIO_BLK_CFG_WRITEBACK        32
#define VIRTIO_BLK_CFG_NUM_QUEUES       34
#define VIRTIO_BLK_CFG_MAX_DISCARD      36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG  40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN    44
#define VIRTIO_BLK_CFG_MAX_WZ           48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG       52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP     56
#define VIRTIO_BLK_CFG_LEN              60

/* what this device offers */
#define VIRTIO_BLK_QUEUE_SIZE      256
#define VIRTIO_BLK_SEG_MAX         (VIRTIO_BLK_QUEUE_SIZE - 2)
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (4u << 20)   /* 2 GiB per segment */
#define VIRTIO_BLK_MAX_DISCARD_SEGS 16

struct virtio_blk_params {
	const char *path;       /* image file or block device; never created */
	enum disk_format format;   /* DISK_FMT_AUTO probes (blk_open()) */
	bool readonly;          /* opened O_RDONLY, VIRTIO_BLK_F_RO offered */
	const char *serial;     /* GET_ID answer, up to 20 bytes; NULL: empty */
	struct guest_mem *mem;
	char *err;              /* when not NULL: why opening the image failed */
	size_t errlen;
};

/*
 * Opens the image with blk_open() (read-write, or read-only; never
 * creates or truncates it; advisory lock shared when read-only, exclusive
 * otherwise) and creates the PCI function.  Returns 0 and *out, or
 * -errno with p->err set: blk_open()'s errors (-ENOENT, -EACCES, -EBUSY
 * when another process holds the image, -ENOTSUP for a format or feature
 * ttyvm does not read ...), -EINVAL when it is neither a regular file nor
 * a block device or is smaller than one sector.  The
 * caller owns *out and frees it with virtio_blk_destroy().
 */
int virtio_blk_create(const struct virtio_blk_params *p, struct virtio_blk **out);
void virtio_blk_destroy(struct virtio_blk *b);

/* The transport, for pci_bus_add(virtio_pci_dev(...)) and tests. */
struct virtio_pci *virtio_blk_transport(struct virtio_blk *b);

/* Size in 512-byte sectors (the image size rounded down). */
uint64_t virtio_blk_capacity(const struct virtio_blk *b);

/* Saves or loads the whole device (PCI, transport, queues). 0 or -errno. */
int virtio_blk_snapshot(struct virtio_blk *b, struct snap *s);

#endif
