/*
 * virtio_pci.h - the modern (virtio 1.x only) PCI transport every virtio
 * device type sits on: blk, net, rng, balloon, console, input.
 *
 * A device type fills a struct virtio_pci_params (its virtio device ID,
 * PCI class, feature bits, queue count and size, config space length) and
 * a const struct virtio_dev_ops, calls virtio_pci_create(), and plugs
 * virtio_pci_dev() into the bus with pci_bus_add().  The transport owns
 * everything the driver sees of PCI and of the virtio common
 * configuration: identity (vendor 0x1AF4, device 0x1040 + type,
 * revision 1), one 64-bit memory BAR (BAR4, 16 KiB) holding the common
 * configuration, ISR, device configuration and notify structures plus the
 * MSI-X table and PBA, the device status state machine with reset,
 * feature negotiation, queue configuration, and interrupts (MSI-X with a
 * config vector and per-queue vectors; INTx plus the ISR byte when MSI-X
 * is off).  The device type only sees: "queue N has work", "read/write
 * your config bytes", "reset", and helpers to complete requests.
 *
 * Threads and locking: BAR accesses arrive on vCPU threads.  One mutex
 * per device covers the transport and the device model: every
 * virtio_dev_ops callback runs with it held.  Requests are processed
 * synchronously on the vCPU thread that writes the notify register - the
 * vCPU is busy until the I/O is done.  This is the place to add an I/O
 * thread or an ioeventfd later: the notify write would only wake that
 * thread, which then takes the lock and calls queue_notify itself.
 * Device-originated work (network receive, input events, on the event
 * loop thread) brackets its queue access with virtio_pci_lock()/unlock().
 * Interrupts are raised with the lock held, so the PCI bus must not call
 * a device's cfg_write hook while holding a lock that pci_intx() or
 * pci_msix_notify() take.
 */
#ifndef TTYVM_VIRTIO_PCI_H
#define TTYVM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest_mem.h"
#include "vmm/pci.h"
#include "vmm/snap.h"
#include "vmm/virtio/virtqueue.h"

/* PCI identity (virtio 1.2, 4.1.2) */
#define VIRTIO_PCI_VENDOR       0x1AF4
#define VIRTIO_PCI_DEVICE_BASE  0x1040   /* + virtio device ID */
#define VIRTIO_PCI_REVISION     1
#define VIRTIO_PCI_SUBSYS_ID    0x1100   /* what Windows' virtio INFs match */

/* virtio device IDs (5.x) */
#define VIRTIO_ID_NET      1
#define VIRTIO_ID_BLOCK    2
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_ID_RNG      4
#define VIRTIO_ID_BALLOON  5
#define VIRTIO_ID_INPUT    18

/* device status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE  0x01
#define VIRTIO_STATUS_DRIVER       0x02
#define VIRTIO_STATUS_DRIVER_OK    0x04
#define VIRTIO_STATUS_FEATURES_OK  0x08
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

/* transport feature bits (6) */
#define VIRTIO_F_INDIRECT_DESC  28
#define VIRTIO_F_EVENT_IDX      29
#define VIRTIO_F_VERSION_1      32
#define VIRTIO_BIT(n) (1ULL << (n))

#define VIRTIO_MSI_NO_VECTOR 0xFFFF

/* ISR bits (4.1.4.5) */
#define VIRTIO_ISR_QUEUE   0x1
#define VIRTIO_ISR_CONFIG  0x2

/* virtio PCI capability types (4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG  1
#define VIRTIO_PCI_CAP_NOTIFY_CFG  2
#define VIRTIO_PCI_CAP_ISR_CFG     3
#define VIRTIO_PCI_CAP_DEVICE_CFG  4
#define VIRTIO_PCI_CAP_PCI_CFG     5

/* Layout of BAR4.  Every structure starts on its own 2 KiB boundary. */
#define VIRTIO_PCI_BAR            4
#define VIRTIO_PCI_BAR_SIZE       0x4000
#define VIRTIO_PCI_COMMON_OFF     0x0000
#define VIRTIO_PCI_COMMON_LEN     0x38
#define VIRTIO_PCI_ISR_OFF        0x0800
#define VIRTIO_PCI_DEVCFG_OFF     0x1000
#define VIRTIO_PCI_DEVCFG_MAX     0x1000
#define VIRTIO_PCI_NOTIFY_OFF     0x2000
#define VIRTIO_PCI_NOTIFY_MULT    4       /* queue n notifies at NOTIFY_OFF + 4n */
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x3000
#define VIRTIO_PCI_MSIX_PBA_OFF   0x3800
/* One MSI-X vector per queue plus one for config changes. */
#define VIRTIO_PCI_MAX_QUEUES     64

/* common configuration registers (4.1.4.3), offsets in the structure */
#define VIRTIO_PCI_COMMON_DFSELECT   0x00  /* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF         0x04  /* le32 device_feature (RO) */
#define VIRTIO_PCI_COMMON_GFSELECT   0x08  /* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF         0x0C  /* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX       0x10  /* le16 config_msix_vector */
#define VIRTIO_PCI_COMMON_NUMQ       0x12  /* le16 num_queues (RO) */
#define VIRTIO_PCI_COMMON_STATUS     0x14  /* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGEN     0x15  /* u8 config_generation (RO) */
#define VIRTIO_PCI_COMMON_Q_SELECT   0x16  /* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE     0x18  /* le16 queue_size */
#define VIRTIO_PCI_COMMON_Q_MSIX     0x1A  /* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE   0x1C  /* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF     0x1E  /* le16 queue_notify_off (RO) */
#define VIRTIO_PCI_COMMON_Q_DESCLO   0x20  /* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_DESCHI   0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO  0x28  /* le64 queue_driver */
#define VIRTIO_PCI_COMMON_Q_AVAILHI  0x2C
#define VIRTIO_PCI_COMMON_Q_USEDLO   0x30  /* le64 queue_device */
#define VIRTIO_PCI_COMMON_Q_USEDHI   0x34

struct virtio_pci;

/*
 * What a device type provides.  Every callback runs with the device lock
 * held and gets the params' opaque pointer.  Only queue_notify and
 * config_read are required.
 */
struct virtio_dev_ops {
	/*
	 * The driver made buffers available on queue idx (it wrote the notify
	 * register, or DRIVER_OK was set with buffers pending).  Pop chains
	 * with virtq_pop(virtio_pci_queue(vp, idx), ...), process them, push
	 * them, then call virtio_pci_queue_done().  Called only while
	 * DRIVER_OK is set, the device does not need a reset and the queue
	 * is enabled.
	 */
	void (*queue_notify)(void *dev, unsigned int idx);
	/* Fills buf with device config bytes [off, off+len); in range. */
	void (*config_read)(void *dev, unsigned int off, uint8_t *buf, unsigned int len);
	/* The driver wrote config bytes [off, off+len) (optional; default: ignored). */
	void (*config_write)(void *dev, unsigned int off, const uint8_t *buf,
			     unsigned int len);
	/*
	 * The driver is setting FEATURES_OK with these features (already a
	 * subset of what was offered).  Return false to refuse them (optional).
	 */
	bool (*features_ok)(void *dev, uint64_t features);
	/* DRIVER_OK was set: the device may start using its queues (optional). */
	void (*driver_ok)(void *dev);
	/* Device-specific part of a virtio reset (status 0, system reset). */
	void (*reset)(void *dev);
	/* Saves/loads device-specific state after the transport's (optional). */
	int (*snapshot)(void *dev, struct snap *s);
};

struct virtio_pci_params {
	const char *name;           /* PCI device name, e.g. "virtio-blk" */
	uint16_t device_id;         /* VIRTIO_ID_* */
	uint32_t class_code;        /* PCI class 0xCCSSPP */
	uint64_t features;          /* device-type bits; VERSION_1, EVENT_IDX and
				     * INDIRECT_DESC are added by the transport */
	unsigned int num_queues;    /* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_size;        /* per queue maximum, power of two */
	unsigned int config_len;    /* device config bytes, <= VIRTIO_PCI_DEVCFG_MAX */
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct guest_mem *mem;
};

/*
 * Creates a transport instance with its PCI function, BAR, capabilities
 * and MSI-X vectors.  Returns 0 and *out, or -EINVAL for bad params,
 * -ENOMEM, or an error from the PCI layer.  Free with virtio_pci_destroy().
 */
int virtio_pci_create(const struct virtio_pci_params *p, struct virtio_pci **out);
void virtio_pci_destroy(struct virtio_pci *vp);

/* The PCI function, for pci_bus_add(). */
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);

/* Queue idx (< num_queues). */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int idx);

/*
 * Features the driver accepted (meaningful once FEATURES_OK is set) and
 * the device status.  Exact with the lock held (inside ops callbacks);
 * without it, a value that may already be stale.
 */
uint64_t virtio_pci_features(const struct virtio_pci *vp);
uint8_t virtio_pci_status(const struct virtio_pci *vp);

/*
 * With the lock held, after pushing to queue idx: interrupts the driver
 * if its suppression settings ask for it (MSI-X vector or ISR + INTx).
 */
void virtio_pci_queue_done(struct virtio_pci *vp, unsigned int idx);

/*
 * With the lock held: the device changed its config space; bumps
 * config_generation and sends a configuration change interrupt.
 */
void virtio_pci_config_changed(struct virtio_pci *vp);

/*
 * With the lock held: the device hit an error it cannot recover from;
 * sets NEEDS_RESET and tells the driver (2.1.2).
 */
void virtio_pci_needs_reset(struct virtio_pci *vp);

/* true when DRIVER_OK is set, no reset is needed and queue idx is enabled. */
bool virtio_pci_queue_ready(struct virtio_pci *vp, unsigned int idx);

/* The device lock, for work that does not start with a notify. */
void virtio_pci_lock(struct virtio_pci *vp);
void virtio_pci_unlock(struct virtio_pci *vp);

/* Virtio reset: what a driver's status write of 0 does.  Takes the lock. */
void virtio_pci_reset(struct virtio_pci *vp);

/*
 * Saves or loads PCI config space, transport state, every queue and then
 * the device-specific part (ops->snapshot).  0 or -errno.
 */
int virtio_pci_snapshot(struct virtio_pci *vp, struct snap *s);

/* BAR4 accesses (the BAR's trap handlers; public for unit tests). */
uint64_t virtio_pci_bar_read(struct virtio_pci *vp, uint64_t off, unsigned int size);
void virtio_pci_bar_write(struct virtio_pci *vp, uint64_t off, unsigned int size,
			  uint64_t val);

#endif
