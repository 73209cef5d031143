/*
 * pci_host.h - the chipset's PCI functions: Intel 82441FX (i440FX) host
 * bridge at 00.0, 82371SB (PIIX3) PCI-to-ISA bridge at 01.0, and PCI
 * configuration mechanism #1 on ports 0xCF8/0xCFC.
 *
 * The core (pci_host_create() ... pci_host_snapshot()) takes a plain
 * struct pci_bus_host, so unit tests drive it with fakes; the machine glue
 * (DEVICE_DEFINE in pci_host.c) wires it to KVM and publishes the bus with
 * machine_set_pci_bus() for the devices set up after it.
 */
#ifndef TTYVM_DEV_PCI_HOST_H
#define TTYVM_DEV_PCI_HOST_H

#include <stdint.h>

#include "vmm/pci.h"
#include "vmm/snap.h"
#include "vmm/trap.h"

/* ports */
#define PCI_HOST_PORT_ADDR   0xCF8  /* CONFIG_ADDRESS, dword accesses only */
#define PCI_HOST_PORT_DATA   0xCFC  /* CONFIG_DATA, 0xCFC-0xCFF, any size */
#define PCI_HOST_PORT_ELCR   0x4D0  /* ELCR1 (IRQ 0-7), ELCR2 (IRQ 8-15) at +1 */
#define PCI_HOST_ADDR_ENABLE 0x80000000u

/* where the functions sit */
#define PCI_HOST_I440FX_DEVFN 0x00   /* 00.0 */
#define PCI_HOST_PIIX3_DEVFN  0x08   /* 01.0 */

/* i440FX (82441FX PMC) registers */
#define I440FX_VENDOR        0x8086
#define I440FX_DEVICE        0x1237
#define I440FX_PAM0          0x59   /* PAM0-PAM6: 0x59-0x5F */
#define I440FX_NPAM          7
#define I440FX_SMRAM         0x72
#define  I440FX_SMRAM_D_OPEN  0x40
#define  I440FX_SMRAM_D_CLS   0x20
#define  I440FX_SMRAM_D_LCK   0x10
#define  I440FX_SMRAM_G_SMRAME 0x08
#define  I440FX_SMRAM_RESET   0x02  /* C_BASE_SEG = 010b: 0xA0000 */

/* PIIX3 function 0 (82371SB ISA bridge) registers */
#define PIIX3_VENDOR         0x8086
#define PIIX3_DEVICE         0x7000
#define PIIX3_PIRQRC         0x60   /* PIRQA-D route control: 0x60-0x63 */
#define  PIIX3_PIRQ_DISABLE  0x80
#define  PIIX3_PIRQ_IRQ      0x0F

struct pci_host;

/*
 * Creates a bus over host with both chipset functions plugged in.  The
 * caller owns the result (pci_host_destroy()).  0 or -ENOMEM.
 */
int pci_host_create(const struct pci_bus_host *host, struct pci_host **out);
/* Unregisters the ports (if registered), destroys the bus, frees h. */
void pci_host_destroy(struct pci_host *h);
struct pci_bus *pci_host_bus(struct pci_host *h);

/*
 * Claims 0xCF8 (1 byte: 0xCF9 is the reset control register, sysctl.c;
 * a dword access at 0xCF8 still arrives whole, see trap_dispatch()),
 * 0xCFC-0xCFF and the ELCR at 0x4D0-0x4D1.  0 or -errno.
 */
int pci_host_register_ports(struct pci_host *h, struct trap_map *t);

/* A port access at port (one of the claimed ones); size 1, 2 or 4. */
uint32_t pci_host_io_read(struct pci_host *h, uint16_t port, unsigned int size);
void pci_host_io_write(struct pci_host *h, uint16_t port, unsigned int size,
		       uint32_t val);

/* System reset: the whole bus (pci_bus_reset()), CONFIG_ADDRESS, ELCR. */
void pci_host_reset(struct pci_host *h);
/* CONFIG_ADDRESS, ELCR and both functions' config space.  0 or -errno. */
int pci_host_snapshot(struct pci_host *h, struct snap *s);

#endif
