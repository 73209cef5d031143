/*
 * ahci.h - an ICH9-like AHCI 1.3 SATA host adapter (PCI 8086:2922) with
 * six ports for ATA disks and an ATAPI CD/DVD-ROM.
 *
 * The core takes guest RAM and interrupt callbacks and never the machine,
 * so tests drive it with a plain struct guest_mem; ahci.c's setup glue
 * plugs one controller into the PCI bus when the configuration has an
 * AHCI disk or a CD-ROM.
 */
#ifndef TTYVM_DEV_AHCI_H
#define TTYVM_DEV_AHCI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/dev/ata_disk.h"
#include "vmm/dev/atapi.h"
#include "vmm/guest_mem.h"
#include "vmm/pci.h"
#include "vmm/snap.h"

#define AHCI_PORTS      6
#define AHCI_SLOTS      32
#define AHCI_ABAR_SIZE  0x1000   /* BAR5, memory */
#define AHCI_IDP_SIZE   32       /* BAR4, I/O: index at 0x10, data at 0x14 */
#define AHCI_PCI_VENDOR 0x8086
#define AHCI_PCI_DEVICE 0x2922

/* generic host control */
#define AHCI_CAP        0x00
#define AHCI_GHC        0x04
#define AHCI_IS         0x08
#define AHCI_PI         0x0C
#define AHCI_VS         0x10
#define AHCI_CAP2       0x24
#define  AHCI_GHC_HR    (1u << 0)
#define  AHCI_GHC_IE    (1u << 1)
#define  AHCI_GHC_AE    (1u << 31)

/* port registers: AHCI_PORT(n) + offset */
#define AHCI_PORT(n)    (0x100u + 0x80u * (n))
#define AHCI_PxCLB      0x00
#define AHCI_PxCLBU     0x04
#define AHCI_PxFB       0x08
#define AHCI_PxFBU      0x0C
#define AHCI_PxIS       0x10
#define AHCI_PxIE       0x14
#define AHCI_PxCMD      0x18
#define AHCI_PxTFD      0x20
#define AHCI_PxSIG      0x24
#define AHCI_PxSSTS     0x28
#define AHCI_PxSCTL     0x2C
#define AHCI_PxSERR     0x30
#define AHCI_PxSACT     0x34
#define AHCI_PxCI       0x38

/* PxCMD */
#define AHCI_CMD_ST     (1u << 0)
#define AHCI_CMD_SUD    (1u << 1)
#define AHCI_CMD_POD    (1u << 2)
#define AHCI_CMD_CLO    (1u << 3)
#define AHCI_CMD_FRE    (1u << 4)
#define AHCI_CMD_CCS_SHIFT 8
#define AHCI_CMD_FR     (1u << 14)
#define AHCI_CMD_CR     (1u << 15)
#define AHCI_CMD_ATAPI  (1u << 24)

/* PxIS / PxIE */
#define AHCI_IS_DHRS    (1u << 0)
#define AHCI_IS_PSS     (1u << 1)
#define AHCI_IS_DPS     (1u << 5)
#define AHCI_IS_OFS     (1u << 24)
#define AHCI_IS_HBFS    (1u << 29)
#define AHCI_IS_TFES    (1u << 30)

/* the received-FIS area (PxFB) */
#define AHCI_RFIS_PSFIS 0x20
#define AHCI_RFIS_RFIS  0x40
#define AHCI_RFIS_SIZE  0x100

/* command header DW0 and the command table */
#define AHCI_HDR_ATAPI  (1u << 5)
#define AHCI_HDR_WRITE  (1u << 6)
#define AHCI_CT_ACMD    0x40
#define AHCI_CT_PRDT    0x80

#define AHCI_SIG_DISK   0x00000101u
#define AHCI_SIG_ATAPI  0xEB140101u

struct ahci;

/*
 * Where interrupts go.  intx: the level of INTA#, NULL for pci_intx() on
 * the controller's own PCI function.  msi: one message as the guest
 * programmed the MSI capability (NULL: MSI never fires).
 */
struct ahci_irq_ops {
	void (*intx)(void *ctx, int level);
	void (*msi)(void *ctx, uint64_t addr, uint32_t data);
	void *ctx;
};

/*
 * Creates a controller with empty ports in its reset state, its PCI
 * identity, BARs and MSI capability filled.  gm must outlive it; irq is
 * copied.  0 and *out, or -errno.  Free with ahci_destroy().
 */
int ahci_create(struct ahci **out, struct guest_mem *gm, const struct ahci_irq_ops *irq);
/* Frees the controller and the drives attached to it. */
void ahci_destroy(struct ahci *a);

/*
 * Connects a drive to port (< AHCI_PORTS); the controller owns it from
 * then on.  0, -EINVAL (bad port) or -EBUSY (port taken).
 */
int ahci_attach_disk(struct ahci *a, unsigned int port, struct ata_disk *d);
int ahci_attach_cdrom(struct ahci *a, unsigned int port, struct atapi *cd);

/* Swaps the CD-ROM's medium (path NULL: eject).  0, -ENODEV or -errno. */
int ahci_change_media(struct ahci *a, const char *path);

/* The PCI function, for pci_bus_add(). */
struct pci_dev *ahci_pci(struct ahci *a);

/* ABAR (BAR5) and index/data pair (BAR4) accesses; off relative to the BAR. */
uint64_t ahci_mmio_read(struct ahci *a, uint64_t off, unsigned int size);
void ahci_mmio_write(struct ahci *a, uint64_t off, unsigned int size, uint64_t val);
uint64_t ahci_idp_read(struct ahci *a, uint64_t off, unsigned int size);
void ahci_idp_write(struct ahci *a, uint64_t off, unsigned int size, uint64_t val);

/* System reset: HBA and ports to power-on state (drives stay attached). */
void ahci_reset(struct ahci *a);

/* Saves or loads the controller, its PCI function and its drives. */
int ahci_snapshot(struct ahci *a, struct snap *s);

/*
 * SeaBIOS boot-order path of the drive on port, e.g.
 * "/pci@i0cf8/ahci@5/drive@1/disk@0".  Length (as snprintf) or -ENODEV.
 */
int ahci_boot_path(struct ahci *a, unsigned int port, char *buf, size_t len);

#endif
