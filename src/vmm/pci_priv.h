/*
 * pci_priv.h - what the three parts of the PCI bus share and nobody else
 * sees: the bus structure and the calls between pci.c (the bus: config
 * cycles, BAR mapping, reset, placement, snapshot), pci_dev.c (describing
 * a function: identity, BARs, ROM, capabilities) and pci_irq.c (INTx
 * routing and MSI-X).  Device models include pci.h only.
 */
#ifndef TTYVM_PCI_PRIV_H
#define TTYVM_PCI_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/pci.h"

#define PCI_NUM_DEVFN   256
#define PCI_ROM_IDX     PCI_NUM_BARS       /* the ROM in per-BAR arrays */
#define PCI_NUM_REGIONS (PCI_NUM_BARS + 1)
#define PCI_NUM_PIRQS   4
#define PCI_ISA_IRQS    16
#define PCI_PAGE        4096

/* What the bus has mapped for one BAR (or the ROM). */
struct pci_live {
	bool mapped;
	bool is_mem;             /* a map_memory slot, else a trap range */
	enum trap_space sp;
	uint64_t base;
	int handle;
};

struct pci_bus {
	struct pci_bus_host host;
	pthread_mutex_t lock;           /* config: table, config space, placement */
	pthread_mutex_t irq_lock;       /* INTx, routes, MSI-X: a leaf */
	struct pci_dev *dev[PCI_NUM_DEVFN];
	struct pci_live live[PCI_NUM_DEVFN][PCI_NUM_REGIONS];
	uint8_t *power_on[PCI_NUM_DEVFN];  /* config space at plug-in time */
	uint8_t *rom_copy[PCI_NUM_DEVFN];  /* page-aligned, rom_size bytes */
	unsigned int pirq_count[PCI_NUM_PIRQS]; /* functions asserting each */
	int pirq_route[PCI_NUM_PIRQS];  /* ISA IRQ, or -1 */
	bool isa_level[PCI_ISA_IRQS];   /* what we drive on each ISA IRQ */
	int router_devfn;               /* ISA bridge with the route regs, -1 */
	uint8_t router_reg;
};

/* pci_irq.c.  "irq lock" is bus->irq_lock, "config lock" bus->lock. */

/* Recomputes what d puts on its PIRQ; lines change on changes only.
 * irq lock held. */
void pci_intx_update(struct pci_bus *bus, struct pci_dev *d);
/* MSI-X message control was written (config lock held): enable, function
 * mask, pending vectors, INTx gating.  Takes the irq lock. */
void pci_msix_control_written(struct pci_bus *bus, struct pci_dev *d);
/* Power-on state: every vector masked, nothing pending, MSI-X off. */
void pci_msix_reset_state(struct pci_msix *m);
/* Loads table and PBA from a snapshot copy and ENABLE/MASKALL from the
 * config space already loaded.  irq lock held (when on a bus). */
void pci_msix_load(struct pci_dev *d, const struct pci_msix *from);

#endif
