/*
 * virtqueue.h - split virtqueues (virtio 1.2, section 2.7) as a device sees
 * them: take descriptor chains the driver made available, hand them to the
 * device model as iovecs over guest RAM, return them through the used ring
 * and decide whether the driver wants an interrupt for it.
 *
 * A struct virtq knows nothing of PCI; the transport (virtio_pci.c) fills
 * size and ring addresses from the driver's register writes, calls
 * virtq_enable() and tells it which ring features were negotiated.  Every
 * guest-physical address goes through gmem_ptr(): a chain that points
 * outside guest RAM, loops, nests indirect tables or otherwise breaks the
 * rules of 2.7.5 is dropped (returned with used length 0) and never
 * touches host memory outside the guest.  Ring-level corruption (an avail
 * index that runs ahead by more than the queue size, a head index out of
 * range) marks the queue broken; the transport then sets NEEDS_RESET.
 *
 * Not thread-safe: the transport serialises all calls with its lock.
 */
#ifndef TTYVM_VIRTQUEUE_H
#define TTYVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/guest_mem.h"
#include "vmm/snap.h"

/* descriptor flags (2.7.5) */
#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
/* avail ring flags (2.7.6) and used ring flags (2.7.8) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

#define VIRTQ_DESC_SIZE 16
/* Largest split queue the spec allows. */
#define VIRTQ_MAX_SIZE 32768
/*
 * Most buffers one chain may carry, and most entries an indirect table may
 * hold (QEMU's limit as well; Linux never needs more than seg_max + 2).
 * Also IOV_MAX, so an element's data fits one preadv/pwritev.
 */
#define VIRTQ_MAX_SEGS 1024

struct virtq {
	struct guest_mem *mem;
	uint16_t max_size;       /* what the device offers */
	/* driver-written configuration */
	uint16_t size;           /* as written; checked by virtq_enable() */
	uint64_t desc_gpa;
	uint64_t avail_gpa;      /* "driver area" */
	uint64_t used_gpa;       /* "device area" */
	bool enabled;
	/* negotiated ring features */
	bool event_idx;          /* VIRTIO_F_EVENT_IDX */
	bool indirect;           /* VIRTIO_F_INDIRECT_DESC */
	/* device-side ring state */
	uint16_t last_avail;     /* next avail entry to take */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when we last decided on an interrupt */
	bool signalled_valid;
	bool broken;             /* ring corrupted: stop until reset */
	/* host views of the rings (derived; recomputed on enable and load) */
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
	/* counters for diagnostics */
	uint64_t dropped;        /* malformed chains returned unprocessed */
};

/*
 * One descriptor chain: out_num device-readable buffers first, then in_num
 * device-writable ones, each a host pointer into guest RAM valid until the
 * element is pushed.  Big (16 KiB): devices keep one in their state.
 */
struct virtq_elem {
	uint16_t head;
	unsigned int out_num, in_num;
	uint64_t out_len, in_len;   /* byte totals of each direction */
	struct iovec iov[VIRTQ_MAX_SEGS];
};

/* Sets up vq in the reset state with queues of up to max_size entries. */
void virtq_init(struct virtq *vq, struct guest_mem *mem, uint16_t max_size);

/* Back to the reset state: size = max_size, disabled, addresses 0. */
void virtq_reset(struct virtq *vq);

/*
 * Enables the queue with the size and addresses written so far.  Returns
 * 0, or -EINVAL when size is 0, not a power of two or above max_size, or a
 * ring is misaligned, or -EFAULT when a ring is not wholly inside one guest
 * RAM region.  On failure the queue stays disabled and nothing is touched.
 */
int virtq_enable(struct virtq *vq);

/* The ring features the driver accepted. */
void virtq_set_features(struct virtq *vq, bool event_idx, bool indirect);

/*
 * Takes the next available chain into e.  Returns 1 with e filled, 0 when
 * the queue is empty (or disabled or broken), -EINVAL when the chain was
 * malformed (it has been returned with used length 0; the caller goes on
 * and should check for an interrupt later), or -EIO when the ring itself
 * is corrupt (the queue is now broken and processes nothing more).
 * With VIRTIO_F_EVENT_IDX, an empty queue publishes avail_event so the
 * driver notifies on the next buffer.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *e);

/*
 * Gives back the last n chains taken with virtq_pop() and not pushed, so
 * the next pops return them again (a device that found it cannot use
 * them yet: virtio-net with too few receive buffers for a frame).  Only
 * chains that virtq_pop() returned with 1 may be given back.
 */
void virtq_unpop(struct virtq *vq, unsigned int n);

/* Returns chain head to the driver with len bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * After one or more pushes: true when the driver asked to be interrupted
 * (no VIRTQ_AVAIL_F_NO_INTERRUPT; with EVENT_IDX, used_event crossed).
 */
bool virtq_needs_interrupt(struct virtq *vq);

/* true when the driver has made chains available that were not taken. */
bool virtq_has_work(const struct virtq *vq);

/*
 * Saves or loads the queue's configuration and ring indices (guest
 * addresses only).  On load the ring views are recomputed; an enabled
 * queue whose rings are not in guest RAM fails with -EINVAL.
 */
int virtq_snapshot(struct virtq *vq, struct snap *s);

/* --- iovec helpers for device models ---------------------------------- */

/* Copies up to len bytes starting off bytes into iov[0..n) to buf. */
size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
			void *buf, size_t len);
/* Copies up to len bytes from buf into iov[0..n) starting at off. */
size_t virtq_iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
			  const void *buf, size_t len);
/*
 * Describes bytes [off, off+len) of iov[0..n) as a new iovec array in
 * dst[0..max).  Returns the number of entries, or -E2BIG when dst is too
 * small, -EINVAL when the range is beyond the end of iov.
 */
int virtq_iov_slice(const struct iovec *iov, unsigned int n, size_t off, size_t len,
		    struct iovec *dst, unsigned int max);

#endif
