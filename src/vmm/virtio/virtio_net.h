/*
 * virtio_net.h - virtio network device (virtio 1.2, section 5.1) on the
 * virtio PCI transport: one receive and one transmit queue, MAC,
 * link status, mergeable receive buffers and checksum offload both ways.
 *
 * The device knows no backend: transmitted frames leave through
 * params.send, received frames arrive through virtio_net_receive().
 * Threads: queue notifies come on vCPU threads and only record work
 * (params.kick); the event loop calls virtio_net_poll(), which moves
 * transmitted frames to the backend outside the device lock, and the
 * backend calls virtio_net_receive() on the same thread.
 */
#ifndef TTYVM_VIRTIO_NET_H
#define TTYVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"
#include "vmm/snap.h"

struct virtio_pci;
struct virtio_net;

/* feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM        0
#define VIRTIO_NET_F_GUEST_CSUM  1
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_GUEST_TSO4  7
#define VIRTIO_NET_F_HOST_TSO4   11
#define VIRTIO_NET_F_MRG_RXBUF   15
#define VIRTIO_NET_F_STATUS      16

/* struct virtio_net_hdr (5.1.6): 12 bytes with VERSION_1 */
#define VIRTIO_NET_HDR_LEN           12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM  1
#define VIRTIO_NET_HDR_F_DATA_VALID  2
#define VIRTIO_NET_HDR_GSO_NONE      0

/* config space (5.1.4) */
#define VIRTIO_NET_CFG_MAC        0
#define VIRTIO_NET_CFG_STATUS     6
#define VIRTIO_NET_CFG_MAX_VQP    8
#define VIRTIO_NET_CFG_LEN        10
#define VIRTIO_NET_S_LINK_UP      1

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_QUEUE_SIZE 256

/* Smallest and largest frame the guest may send (an Ethernet header, and
 * 64 KiB: without GSO offered, a frame is one MTU in practice). */
#define VIRTIO_NET_MIN_FRAME 14
#define VIRTIO_NET_MAX_FRAME 65536

/* The receive queue's overflow: frames waiting for the guest to post
 * buffers.  Past either bound new frames are dropped. */
#define VIRTIO_NET_PENDING_MAX     128
#define VIRTIO_NET_PENDING_BYTES   (1u << 20)

/* Frames virtio_net_poll() moves per call when asked for "all". */
#define VIRTIO_NET_TX_BUDGET 64

struct virtio_net_params {
	uint8_t mac[6];
	struct guest_mem *mem;
	/*
	 * The guest notified a queue: arrange for virtio_net_poll() to run
	 * soon (on the event loop).  Called on vCPU threads with the device
	 * lock held: it may only wake something (write an eventfd).  NULL:
	 * the caller polls by itself (tests).
	 */
	void (*kick)(void *opaque);
	/* One frame from the guest (no virtio header, checksum done); called
	 * by virtio_net_poll() without the device lock. */
	int (*send)(void *opaque, const uint8_t *frame, size_t len);
	/* After virtio_net_can_receive() said no: there is room again.
	 * Called by virtio_net_poll() without the lock (optional). */
	void (*rx_resume)(void *opaque);
	void *opaque;
};

struct virtio_net_stats {
	uint64_t tx_frames, tx_bad;      /* sent; malformed and dropped */
	uint64_t rx_frames, rx_queued;   /* delivered; waited in the overflow */
	uint64_t rx_dropped;             /* overflow full or driver not ready */
	uint64_t rx_bad;                 /* dropped on a malformed or too small buffer */
};

/* 0 and *out, -EINVAL, -ENOMEM, or a transport error. */
int virtio_net_create(const struct virtio_net_params *p, struct virtio_net **out);
void virtio_net_destroy(struct virtio_net *n);

/* The transport, for pci_bus_add(virtio_pci_dev(...)) and tests. */
struct virtio_pci *virtio_net_transport(struct virtio_net *n);

/*
 * Does the work notifies asked for: delivers waiting received frames,
 * then sends up to budget frames from the transmit queue, and calls
 * rx_resume when receive room came back.  Returns true when transmit
 * work is left (call again after other events had their turn).
 */
bool virtio_net_poll(struct virtio_net *n, unsigned int budget);

/*
 * A frame for the guest (an Ethernet frame; the device adds the virtio
 * header).  Delivered now when the guest has posted buffers; else kept
 * in the bounded overflow, or dropped when that is full or the driver is
 * not running.  Returns 0 (delivered or queued) or -ENOBUFS (dropped).
 */
int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len);

/*
 * false when the overflow is full: a backend that can wait should stop
 * reading until rx_resume.  true while the driver is not running (frames
 * are then dropped, so the backend's queue does not fill with stale ones).
 */
bool virtio_net_can_receive(struct virtio_net *n);

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st);

/* Saves or loads the whole device. 0 or -errno. */
int virtio_net_snapshot(struct virtio_net *n, struct snap *s);

/*
 * The PXE option ROM the first NIC carries when the VM boots from the
 * network: iPXE (Debian ipxe-qemu), built for vendor 1AF4 device 1041,
 * which is this device's ID, so SeaBIOS runs it from the ROM BAR.
 */
#define VIRTIO_NET_PXE_ROM "/usr/lib/ipxe/qemu/pxe-virtio.rom"

#endif
