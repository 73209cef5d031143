/*
 * pci_fake_host.h - a fake pci_bus_host that records what the bus asks
 * of the machine (trap ranges, memory slots, MSIs, GSI levels), for any
 * test that puts a device on a bus (the PCI tests, pci_fake.h; the
 * virtio tests, virtio_testutil.h).  Defined in pci_fake.c.
 */
#ifndef TTYVM_TEST_PCI_FAKE_HOST_H
#define TTYVM_TEST_PCI_FAKE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/pci.h"
#include "vmm/trap.h"

#define FAKE_MAPS 8
#define FAKE_RAM_END 0x40000000ULL    /* guest RAM [0, 1 GiB): slots refused there */

struct fake_map {
	bool used;
	uint64_t gpa, size;
	void *hva;
	unsigned int flags;
};

struct fake_host {
	struct trap_map traps;
	struct fake_map maps[FAKE_MAPS];
	unsigned int map_calls, unmap_calls;
	int map_fail;                 /* nonzero: map_memory returns it */
	unsigned int msis;
	uint64_t msi_addr;
	uint32_t msi_data;
	int gsi[24];
	unsigned int gsi_calls[24];
};

/* The fake as a pci_bus_host (f its ctx), for what makes its bus itself
 * (pci_host_create()); with_memory false leaves map_memory out. */
struct pci_bus_host pf_host(struct fake_host *f, bool with_memory);
/* A bus over the fake: pci_bus_create(pf_host(f, with_memory)). */
struct pci_bus *pf_bus(struct fake_host *f, bool with_memory);
const struct fake_map *pf_find(const struct fake_host *f, uint64_t gpa);
unsigned int pf_nmaps(const struct fake_host *f);

#endif
