/*
 * ahci_priv.h - the controller state ahci.c (registers, PCI, life cycle)
 * and ahci_cmd.c (command engine, FISes, resets) share.  Not for other
 * files: everything else goes through ahci.h.  All of it is guarded by
 * struct ahci's lock.
 */
#ifndef TTYVM_DEV_AHCI_PRIV_H
#define TTYVM_DEV_AHCI_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/dev/ahci.h"

#define AHCI_CMD_CCS_MASK (0x1Fu << AHCI_CMD_CCS_SHIFT)

enum ahci_drive { AHCI_NONE = 0, AHCI_DISK = 1, AHCI_CD = 2 };

struct ahci_port {
	struct ata_disk *disk;
	struct atapi *cd;
	uint64_t clb, fb;
	uint32_t is, ie, cmd, tfd, sig, sctl, serr, sact, ci;
	bool halted;          /* fatal error: no fetching until ST is cleared */
	bool sig_pending;     /* reset signature FIS not yet posted (FRE off) */
	bool srst;            /* device held in soft reset */
	struct iovec *iov;    /* PRD segments of the running command */
	unsigned int iov_cap;
};

struct ahci {
	struct pci_dev pci;
	pthread_mutex_t lock;
	struct guest_mem *gm;
	struct ahci_irq_ops irq;
	int msi_cap;
	uint32_t ghc, is, idp_index;
	bool intx_level;      /* what INTx was last driven to */
	bool irq_level;       /* the summary interrupt condition */
	bool irq_event;       /* a new PxIS bit since the last update */
	struct ahci_port port[AHCI_PORTS];
};

static inline enum ahci_drive ahci_kind(const struct ahci_port *p)
{
	return p->disk ? AHCI_DISK : p->cd ? AHCI_CD : AHCI_NONE;
}

/* Sets PxIS bits; a newly set enabled bit is an interrupt event. */
static inline void ahci_port_event(struct ahci *a, struct ahci_port *p, uint32_t bits)
{
	if (bits & ~p->is & p->ie)
		a->irq_event = true;
	p->is |= bits;
}

/* A fatal error (AHCI 6.1.2): the port stops fetching until ST is cleared. */
static inline void ahci_fatal(struct ahci *a, struct ahci_port *p, uint32_t bits)
{
	ahci_port_event(a, p, bits);
	p->halted = true;
}

/* ahci_cmd.c */

/* COMRESET/SRST/HBA reset of the port's drive: TFD, SIG, signature FIS. */
void ahci_port_comreset(struct ahci *a, struct ahci_port *p);
/* Posts the signature FIS of the last reset now (FRE on) or later. */
void ahci_post_signature(struct ahci *a, struct ahci_port *p);
/* Runs the issued slots of a started, healthy port with a drive. */
void ahci_port_run(struct ahci *a, struct ahci_port *p);

#endif
