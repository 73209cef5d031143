/*
 * virtio_testutil.h - what the virtio unit tests share: the driver's side
 * of a split virtqueue in fake guest RAM (descriptor table, avail and used
 * rings: struct vtest_ring), and the machine around one virtio PCI device
 * (RAM, and a PCI bus over the PCI tests' recording fake host,
 * pci_fake_host.h: struct vtest) with the bring-up a driver does through
 * the common configuration registers.  No /dev/kvm.
 *
 * Every guest address the helpers touch must lie in RAM: they fail the
 * test otherwise.  Device-specific requests (virtio-blk headers, net
 * frames, input events) stay in each device's test.
 */
#ifndef TTYVM_VIRTIO_TESTUTIL_H
#define TTYVM_VIRTIO_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_fake_host.h"
#include "vmm/guest_mem.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"

/* ---- one split virtqueue, as the driver fills it -------------------------- */

struct vtest_ring {
	struct guest_mem *gm;
	uint64_t desc, avail, used;    /* guest addresses of the three parts */
	uint16_t size;
	uint16_t avail_idx;            /* the avail index the driver has published */
	uint16_t used_seen;            /* used entries taken by vtest_used_next() */
};

/* Points r at the three parts in gm; both indices start at 0.  Leaves
 * guest memory as it is. */
void vtest_ring_init(struct vtest_ring *r, struct guest_mem *gm, uint64_t desc,
		     uint64_t avail, uint64_t used, uint16_t size);
/* The host address of [gpa, gpa+len); fails the test unless all in RAM. */
uint8_t *vtest_ptr(struct guest_mem *gm, uint64_t gpa, uint64_t len);
/* Writes entry i of the descriptor table at guest address table (the
 * ring's own, r->desc, or an indirect one). */
void vtest_desc(struct guest_mem *gm, uint64_t table, unsigned int i, uint64_t addr,
		uint32_t len, uint16_t flags, uint16_t next);
/* Puts head in the avail ring and publishes the next avail index. */
void vtest_offer(struct vtest_ring *r, uint16_t head);
/* Writes the avail index (r->avail_idx is left as it is). */
void vtest_set_avail_idx(struct vtest_ring *r, uint16_t idx);
/* The used index the device has published. */
uint16_t vtest_used_idx(struct vtest_ring *r);
/* Used entry i (taken modulo the ring size): chain head and length. */
void vtest_used(struct vtest_ring *r, unsigned int i, uint32_t *head, uint32_t *len);
/* The next used entry not yet taken; false (and nothing taken) when the
 * device has published no more. */
bool vtest_used_next(struct vtest_ring *r, uint32_t *head, uint32_t *len);
/* VIRTIO_F_EVENT_IDX: the driver's used_event, the device's avail_event. */
void vtest_set_used_event(struct vtest_ring *r, uint16_t v);
uint16_t vtest_avail_event(struct vtest_ring *r);

/* ---- the machine around one virtio PCI device ----------------------------- */

#define VTEST_NQ    2              /* rings a struct vtest keeps */
#define VTEST_QSIZE 16             /* their size */
/* Queue q's parts: 64 KiB a queue from 0x10000, zeroed by vtest_start(). */
#define VTEST_DESC(q)  (0x10000ULL + 0x10000ULL * (q))
#define VTEST_AVAIL(q) (VTEST_DESC(q) + 0x4000)
#define VTEST_USED(q)  (VTEST_DESC(q) + 0x8000)

struct vtest {
	struct guest_mem gm;
	struct fake_host host;         /* the trap map; what the bus sent (MSIs, GSIs) */
	struct pci_bus *bus;           /* pf_bus(&host, false): no memory slots */
	struct virtio_pci *vp;         /* the transport driven: the test sets it */
	struct vtest_ring q[VTEST_NQ]; /* at VTEST_DESC(q), VTEST_QSIZE entries */
};

/* ram bytes of RAM, the host's trap map, the bus and the rings; 0, or -1
 * when one cannot be had (a cmocka setup's answer). */
int vtest_init(struct vtest *t, uint64_t ram);
/* Frees bus, trap map and RAM.  The device goes first (pci.h). */
void vtest_done(struct vtest *t);
/* The bus a new VMM process has: the old one goes (its device already
 * gone), and with it what the host recorded of interrupts - a fresh
 * process has its lines low.  RAM and trap map stay. */
void vtest_new_bus(struct vtest *t);
/* vtest_ptr() in t's RAM. */
uint8_t *vtest_gpa(struct vtest *t, uint64_t gpa, uint64_t len);

/* BAR accesses of t->vp: anywhere, and in the common configuration. */
uint64_t vtest_rd(struct vtest *t, uint64_t off, unsigned int size);
void vtest_wr(struct vtest *t, uint64_t off, unsigned int size, uint64_t val);
uint64_t vtest_cc_rd(struct vtest *t, unsigned int reg, unsigned int size);
void vtest_cc_wr(struct vtest *t, unsigned int reg, unsigned int size, uint64_t val);
/* The 64 feature bits the device offers. */
uint64_t vtest_offered(struct vtest *t);
/* Writes the 64 driver feature bits. */
void vtest_set_features(struct vtest *t, uint64_t feat);
/* Queue q's notify register. */
void vtest_notify(struct vtest *t, unsigned int q);

/* Virtio 1.2, 3.1.1 steps 1-5: reset, ACKNOWLEDGE, DRIVER, features
 * feat, FEATURES_OK; returns the device status read back after. */
uint8_t vtest_negotiate(struct vtest *t, uint64_t feat);
/* A driver's bring-up short of DRIVER_OK: vtest_negotiate() (FEATURES_OK
 * asserted to stick), then queues 0..nq-1 zeroed, configured at
 * VTEST_DESC(q) with VTEST_QSIZE entries and enabled (asserted), their
 * rings' indices back at 0. */
void vtest_start(struct vtest *t, uint64_t feat, unsigned int nq);
/* Adds DRIVER_OK to the device status. */
void vtest_driver_ok(struct vtest *t);

#endif
