/*
 * ahci.c - an ICH9-like AHCI host bus adapter (AHCI 1.3.1) on PCI, with
 * six SATA ports for ata_disk.c disks and an atapi.c CD/DVD-ROM.
 *
 * PCI function 8086:2922, class 010601h: BAR5 is the 4 KiB ABAR (trapped
 * MMIO), BAR4 the legacy index/data pair (I/O), INTA#, a 64-bit
 * single-message MSI capability implemented here (pci.h offers MSI-X
 * only) and the SATA capability pointing at the index/data pair.
 *
 * Registers: CAP (64-bit addressing, 32 command slots, Gen1, AHCI only,
 * command list override; no NCQ, port multipliers or staggered spin-up),
 * GHC (AE fixed at 1, IE, HR resets everything but the list and FIS
 * base addresses), IS, PI (six ports), VS 1.3; per port CLB/FB (64-bit),
 * IS/IE, CMD (ST/CR, FRE/FR, CLO, CCS), TFD, SIG, SSTS, SCTL (COMRESET
 * on DET 1 -> 0), SERR, SACT, CI.  IS is recomputed from the ports, as
 * AHCI's level semantics ask; reserved and read-only bits ignore writes;
 * ports beyond PI read as zero.
 *
 * Command processing lives in ahci_cmd.c: a write to PxCI (or setting
 * PxCMD.ST) runs the issued slots synchronously, lowest first.
 *
 * Interrupts: INTx level = (IS != 0 && GHC.IE); with MSI enabled a
 * message goes out on each new event while the summary is set.
 *
 * Threads: MMIO/PIO traps arrive on vCPU threads; one mutex covers the
 * controller and its drives, and commands (file I/O included) run under
 * it (see ahci_cmd.c for where an I/O thread would take over).
 *
 * Not here: NCQ, port multipliers, FIS-based switching, hot plug after
 * setup, partial/slumber power states, command completion coalescing.
 */
#include "vmm/dev/ahci_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/util.h"
#include "vmm/device.h"
#include "vmm/machine.h"

#define AHCI_CAP_VALUE  (0x80000000u /* S64A */ | 0x01000000u /* SCLO */ | \
			 0x00100000u /* ISS Gen1 */ | 0x00040000u /* SAM */ | \
			 ((AHCI_SLOTS - 1u) << 8) | (AHCI_PORTS - 1u))
#define AHCI_VS_VALUE   0x00010300u
#define AHCI_PI_VALUE   ((1u << AHCI_PORTS) - 1u)
#define AHCI_PxIE_MASK  0xFDC000FFu
#define AHCI_CMD_WMASK  (AHCI_CMD_ST | AHCI_CMD_FRE | AHCI_CMD_ATAPI | (1u << 25))
#define AHCI_SSTS_UP    0x113u            /* IPM active, Gen1, device + phy */
#define AHCI_IDP_INDEX  0x10
#define AHCI_IDP_DATA   0x14
#define PCI_CAP_ID_SATA 0x12

/* ---- interrupts -------------------------------------------------------- */

static bool ahci_msi_enabled(const struct ahci *a)
{
	return a->msi_cap > 0 && (a->pci.cfg[a->msi_cap + 2] & 1);
}

static void ahci_set_intx(struct ahci *a, bool level)
{
	if (a->intx_level == level)
		return;
	a->intx_level = level;
	if (a->irq.intx)
		a->irq.intx(a->irq.ctx, level);
	else
		pci_intx(&a->pci, level);
}

static void ahci_update_irq(struct ahci *a)
{
	uint32_t is = 0;

	for (unsigned int i = 0; i < AHCI_PORTS; i++)
		if (a->port[i].is & a->port[i].ie)
			is |= 1u << i;
	a->is = is;
	bool level = is && (a->ghc & AHCI_GHC_IE);
	if (ahci_msi_enabled(a)) {
		const uint8_t *c = a->pci.cfg + a->msi_cap;
		ahci_set_intx(a, false);
		if (level && (a->irq_event || !a->irq_level) && a->irq.msi)
			a->irq.msi(a->irq.ctx, get_le64(c + 4), get_le16(c + 12));
	} else {
		ahci_set_intx(a, level);
	}
	a->irq_level = level;
	a->irq_event = false;
}

static void ahci_hba_reset(struct ahci *a)
{
	a->ghc = AHCI_GHC_AE;
	for (unsigned int i = 0; i < AHCI_PORTS; i++) {
		struct ahci_port *p = &a->port[i];
		p->is = p->ie = 0;
		p->cmd = AHCI_CMD_SUD | AHCI_CMD_POD;
		p->sctl = 0;
		p->ci = 0;
		p->halted = false;
		ahci_port_comreset(a, p);
	}
	ahci_update_irq(a);
}

/* ---- registers --------------------------------------------------------- */

static uint32_t ahci_port_read(const struct ahci_port *p, unsigned int reg)
{
	switch (reg) {
	case AHCI_PxCLB:  return (uint32_t)p->clb;
	case AHCI_PxCLBU: return (uint32_t)(p->clb >> 32);
	case AHCI_PxFB:   return (uint32_t)p->fb;
	case AHCI_PxFBU:  return (uint32_t)(p->fb >> 32);
	case AHCI_PxIS:   return p->is;
	case AHCI_PxIE:   return p->ie;
	case AHCI_PxCMD:  return p->cmd;
	case AHCI_PxTFD:  return p->tfd;
	case AHCI_PxSIG:  return p->sig;
	case AHCI_PxSSTS:
		if (ahci_kind(p) == AHCI_NONE || (p->sctl & 0xF) == 1)
			return 0;
		return (p->sctl & 0xF) == 4 ? 4 : AHCI_SSTS_UP;
	case AHCI_PxSCTL: return p->sctl;
	case AHCI_PxSERR: return p->serr;
	case AHCI_PxSACT: return p->sact;
	case AHCI_PxCI:   return p->ci;
	}
	return 0;
}

static void ahci_port_write_cmd(struct ahci *a, struct ahci_port *p, uint32_t v)
{
	uint32_t old = p->cmd;

	p->cmd = (old & ~AHCI_CMD_WMASK) | (v & AHCI_CMD_WMASK);
	if ((v & AHCI_CMD_CLO))
		p->tfd &= ~(uint32_t)(ATA_STAT_BSY | ATA_STAT_DRQ);
	if (p->cmd & AHCI_CMD_FRE) {
		p->cmd |= AHCI_CMD_FR;
		if (p->sig_pending)
			ahci_post_signature(a, p);
	} else {
		p->cmd &= ~AHCI_CMD_FR;
	}
	if (p->cmd & AHCI_CMD_ST) {
		p->cmd |= AHCI_CMD_CR;
	} else if (old & AHCI_CMD_ST) {
		/* stopping the list engine ends all commands and any halt */
		p->cmd &= ~(AHCI_CMD_CR | AHCI_CMD_CCS_MASK);
		p->ci = 0;
		p->sact = 0;
		p->halted = false;
	}
	ahci_port_run(a, p);
}

static uint32_t merge(uint32_t old, uint32_t val, uint32_t mask)
{
	return (old & ~mask) | (val & mask);
}

static void ahci_port_write(struct ahci *a, struct ahci_port *p, unsigned int reg,
			    uint32_t val, uint32_t mask)
{
	uint32_t v = val & mask;

	switch (reg) {
	case AHCI_PxCLB:
		p->clb = (p->clb & ~0xFFFFFFFFULL) | (merge((uint32_t)p->clb, val, mask) & ~0x3FFu);
		break;
	case AHCI_PxCLBU:
		p->clb = (p->clb & 0xFFFFFFFFULL) | (uint64_t)merge((uint32_t)(p->clb >> 32), val, mask) << 32;
		break;
	case AHCI_PxFB:
		p->fb = (p->fb & ~0xFFFFFFFFULL) | (merge((uint32_t)p->fb, val, mask) & ~0xFFu);
		break;
	case AHCI_PxFBU:
		p->fb = (p->fb & 0xFFFFFFFFULL) | (uint64_t)merge((uint32_t)(p->fb >> 32), val, mask) << 32;
		break;
	case AHCI_PxIS:
		p->is &= ~v;
		break;
	case AHCI_PxIE:
		p->ie = merge(p->ie, val, mask) & AHCI_PxIE_MASK;
		if (p->is & p->ie)
			a->irq_event = true;
		break;
	case AHCI_PxCMD:
		ahci_port_write_cmd(a, p, merge(p->cmd, val, mask));
		break;
	case AHCI_PxSCTL: {
		uint32_t n = merge(p->sctl, val, mask) & 0xFFF;
		bool comreset = (p->sctl & 0xF) == 1 && (n & 0xF) != 1;
		p->sctl = n;
		if (comreset)
			ahci_port_comreset(a, p);
		break;
	}
	case AHCI_PxSERR:
		p->serr &= ~v;
		break;
	case AHCI_PxSACT:
		if (p->cmd & AHCI_CMD_ST)
			p->sact |= v;
		break;
	case AHCI_PxCI:
		if (p->cmd & AHCI_CMD_ST) {
			p->ci |= v;
			ahci_port_run(a, p);
		}
		break;
	}
}

static uint32_t ahci_read32(struct ahci *a, uint64_t off)
{
	if (off >= AHCI_PORT(0) && off < AHCI_PORT(AHCI_PORTS))
		return ahci_port_read(&a->port[(off - AHCI_PORT(0)) / 0x80],
				      (unsigned int)(off & 0x7C));
	switch (off) {
	case AHCI_CAP: return AHCI_CAP_VALUE;
	case AHCI_GHC: return a->ghc;
	case AHCI_IS:  return a->is;
	case AHCI_PI:  return AHCI_PI_VALUE;
	case AHCI_VS:  return AHCI_VS_VALUE;
	}
	return 0;
}

/* A dword write; mask says which bytes the access covered. */
static void ahci_write32(struct ahci *a, uint64_t off, uint32_t val, uint32_t mask)
{
	if (off >= AHCI_PORT(0) && off < AHCI_PORT(AHCI_PORTS)) {
		ahci_port_write(a, &a->port[(off - AHCI_PORT(0)) / 0x80],
				(unsigned int)(off & 0x7C), val, mask);
		return;
	}
	if (off == AHCI_GHC && (mask & 0xFF)) {
		if (val & AHCI_GHC_HR)
			ahci_hba_reset(a);
		else
			a->ghc = AHCI_GHC_AE | (merge(a->ghc, val, mask) & AHCI_GHC_IE);
	}
	/* IS is recomputed from the ports; CAP, PI, VS and the rest are RO */
}

uint64_t ahci_mmio_read(struct ahci *a, uint64_t off, unsigned int size)
{
	uint64_t aligned = off & ~3ULL, v;

	if (size == 0 || size > 8 || off >= AHCI_ABAR_SIZE)
		return 0;
	pthread_mutex_lock(&a->lock);
	v = ahci_read32(a, aligned);
	if ((off & 3) + size > 4)
		v |= (uint64_t)ahci_read32(a, aligned + 4) << 32;
	pthread_mutex_unlock(&a->lock);
	v >>= 8 * (off & 3);
	return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

void ahci_mmio_write(struct ahci *a, uint64_t off, unsigned int size, uint64_t val)
{
	if (size == 0 || size > 8 || off >= AHCI_ABAR_SIZE)
		return;
	pthread_mutex_lock(&a->lock);
	if (size == 8 && !(off & 7)) {
		ahci_write32(a, off, (uint32_t)val, 0xFFFFFFFFu);
		ahci_write32(a, off + 4, (uint32_t)(val >> 32), 0xFFFFFFFFu);
	} else if ((off & 3) + size <= 4) {
		unsigned int sh = 8 * (unsigned int)(off & 3);
		uint32_t mask = (uint32_t)(((1ULL << (8 * size)) - 1) << sh);
		ahci_write32(a, off & ~3ULL, (uint32_t)(val << sh), mask);
	}                                            /* else: straddles, dropped */
	ahci_update_irq(a);
	pthread_mutex_unlock(&a->lock);
}

uint64_t ahci_idp_read(struct ahci *a, uint64_t off, unsigned int size)
{
	uint32_t index;

	if (off == AHCI_IDP_DATA)
		return ahci_mmio_read(a, __atomic_load_n(&a->idp_index, __ATOMIC_RELAXED),
				      MIN(size, 4u));
	if (off != AHCI_IDP_INDEX)
		return 0;
	index = __atomic_load_n(&a->idp_index, __ATOMIC_RELAXED);
	return size >= 4 ? index : index & ((1u << (8 * size)) - 1);
}

void ahci_idp_write(struct ahci *a, uint64_t off, unsigned int size, uint64_t val)
{
	if (off == AHCI_IDP_INDEX && size == 4)
		__atomic_store_n(&a->idp_index, (uint32_t)val & (AHCI_ABAR_SIZE - 4),
				 __ATOMIC_RELAXED);
	else if (off == AHCI_IDP_DATA)
		ahci_mmio_write(a, __atomic_load_n(&a->idp_index, __ATOMIC_RELAXED),
				MIN(size, 4u), val);
}

/* ---- life cycle -------------------------------------------------------- */

static uint64_t ahci_abar_trap_read(void *opaque, uint64_t off, unsigned int size)
{
	return ahci_mmio_read(opaque, off, size);
}

static void ahci_abar_trap_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	ahci_mmio_write(opaque, off, size, val);
}

static uint64_t ahci_idp_trap_read(void *opaque, uint64_t off, unsigned int size)
{
	return ahci_idp_read(opaque, off, size);
}

static void ahci_idp_trap_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	ahci_idp_write(opaque, off, size, val);
}

static const struct trap_ops ahci_abar_ops = {
	.read = ahci_abar_trap_read,
	.write = ahci_abar_trap_write,
};

static const struct trap_ops ahci_idp_ops = {
	.read = ahci_idp_trap_read,
	.write = ahci_idp_trap_write,
};

/* PCI identity, BARs and capabilities. */
static int ahci_pci_init(struct ahci *a)
{
	struct pci_dev *d = &a->pci;
	int r, cap;

	pci_dev_init(d, "ahci", AHCI_PCI_VENDOR, AHCI_PCI_DEVICE, 0x010601, 0x02,
		     0x1AF4, 0x1100);
	d->opaque = a;
	pci_set_irq_pin(d, 1);
	r = pci_set_bar_trap(d, 4, PCI_BAR_IO, AHCI_IDP_SIZE, &ahci_idp_ops, a);
	if (r < 0)
		return r;
	r = pci_set_bar_trap(d, 5, PCI_BAR_MEM32, AHCI_ABAR_SIZE, &ahci_abar_ops, a);
	if (r < 0)
		return r;
	/* MSI, 64-bit, one message: enable, address and data are writable */
	cap = pci_add_cap(d, PCI_CAP_ID_MSI, 14);
	if (cap < 0)
		return cap;
	a->msi_cap = cap;
	d->cfg[cap + 2] = 0x80;
	d->wmask[cap + 2] = 0x01;
	d->wmask[cap + 4] = 0xFC;
	memset(d->wmask + cap + 5, 0xFF, 9);
	/* SATA capability: revision 1.0, index/data pair in BAR4 at 10h */
	cap = pci_add_cap(d, PCI_CAP_ID_SATA, 8);
	if (cap < 0)
		return cap;
	d->cfg[cap + 2] = 0x10;
	put_le32(d->cfg + cap + 4, 0x48);
	return 0;
}

int ahci_create(struct ahci **out, struct guest_mem *gm, const struct ahci_irq_ops *irq)
{
	struct ahci *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->gm = gm;
	if (irq)
		a->irq = *irq;
	r = ahci_pci_init(a);
	if (r < 0) {
		free(a);
		return r;
	}
	pthread_mutex_init(&a->lock, NULL);
	ahci_reset(a);
	*out = a;
	return 0;
}

void ahci_destroy(struct ahci *a)
{
	if (!a)
		return;
	for (unsigned int i = 0; i < AHCI_PORTS; i++) {
		ata_disk_close(a->port[i].disk);
		atapi_close(a->port[i].cd);
		free(a->port[i].iov);
	}
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static int ahci_attach(struct ahci *a, unsigned int port, struct ata_disk *d,
		       struct atapi *cd)
{
	struct ahci_port *p;

	if (port >= AHCI_PORTS)
		return -EINVAL;
	p = &a->port[port];
	pthread_mutex_lock(&a->lock);
	if (ahci_kind(p) != AHCI_NONE) {
		pthread_mutex_unlock(&a->lock);
		return -EBUSY;
	}
	p->disk = d;
	p->cd = cd;
	ahci_port_comreset(a, p);                  /* hot plug: link comes up */
	pthread_mutex_unlock(&a->lock);
	return 0;
}

int ahci_attach_disk(struct ahci *a, unsigned int port, struct ata_disk *d)
{
	return d ? ahci_attach(a, port, d, NULL) : -EINVAL;
}

int ahci_attach_cdrom(struct ahci *a, unsigned int port, struct atapi *cd)
{
	return cd ? ahci_attach(a, port, NULL, cd) : -EINVAL;
}

int ahci_change_media(struct ahci *a, const char *path)
{
	int r = -ENODEV;

	pthread_mutex_lock(&a->lock);
	for (unsigned int i = 0; i < AHCI_PORTS; i++)
		if (a->port[i].cd) {
			r = atapi_change_media(a->port[i].cd, path);
			break;
		}
	pthread_mutex_unlock(&a->lock);
	return r;
}

struct pci_dev *ahci_pci(struct ahci *a)
{
	return &a->pci;
}

void ahci_reset(struct ahci *a)
{
	pthread_mutex_lock(&a->lock);
	for (unsigned int i = 0; i < AHCI_PORTS; i++)
		a->port[i].clb = a->port[i].fb = 0;
	a->idp_index = 0;
	a->irq_level = false;
	ahci_hba_reset(a);
	pthread_mutex_unlock(&a->lock);
}

int ahci_boot_path(struct ahci *a, unsigned int port, char *buf, size_t len)
{
	uint8_t devfn = a->pci.devfn;

	if (port >= AHCI_PORTS || ahci_kind(&a->port[port]) == AHCI_NONE)
		return -ENODEV;
	if (devfn & 7)
		return snprintf(buf, len, "/pci@i0cf8/ahci@%x,%x/drive@%x/disk@0",
				devfn >> 3, devfn & 7, port);
	return snprintf(buf, len, "/pci@i0cf8/ahci@%x/drive@%x/disk@0", devfn >> 3, port);
}

int ahci_snapshot(struct ahci *a, struct snap *s)
{
	uint32_t version = 1;

	if (snap_section(s, "ahci", &version) < 0)
		return snap_error(s);
	/* outside our lock: the bus's config lock comes first (pci.h) */
	if (pci_dev_snapshot(&a->pci, s) < 0)
		return snap_error(s);
	pthread_mutex_lock(&a->lock);
	snap_u32(s, &a->ghc);
	snap_u32(s, &a->idp_index);
	for (unsigned int i = 0; i < AHCI_PORTS && !snap_error(s); i++) {
		struct ahci_port *p = &a->port[i];
		uint8_t kind = (uint8_t)ahci_kind(p);
		snap_u8(s, &kind);
		if (snap_loading(s) && !snap_error(s) && kind != ahci_kind(p)) {
			snap_fail(s, -EINVAL);             /* other drives than saved */
			break;
		}
		snap_u64(s, &p->clb);
		snap_u64(s, &p->fb);
		snap_u32(s, &p->is);
		snap_u32(s, &p->ie);
		snap_u32(s, &p->cmd);
		snap_u32(s, &p->tfd);
		snap_u32(s, &p->sig);
		snap_u32(s, &p->sctl);
		snap_u32(s, &p->serr);
		snap_u32(s, &p->sact);
		snap_u32(s, &p->ci);
		snap_bool(s, &p->halted);
		snap_bool(s, &p->sig_pending);
		snap_bool(s, &p->srst);
		if (p->disk)
			ata_disk_snapshot(p->disk, s);
		else if (p->cd)
			atapi_snapshot(p->cd, s);
	}
	if (snap_loading(s)) {
		/* keep the invariants the register handlers keep, even after a
		 * load that failed half-way */
		a->ghc = AHCI_GHC_AE | (a->ghc & AHCI_GHC_IE);
		a->idp_index &= AHCI_ABAR_SIZE - 4;
		for (unsigned int i = 0; i < AHCI_PORTS; i++) {
			struct ahci_port *p = &a->port[i];
			p->clb &= ~0x3FFULL;
			p->fb &= ~0xFFULL;
			p->ie &= AHCI_PxIE_MASK;
			p->sctl &= 0xFFF;
		}
		/* the bus restored INTx as saved; drive it from our state */
		a->intx_level = !a->irq.intx && a->pci.intx_level;
		a->irq_level = false;
		ahci_update_irq(a);
	}
	pthread_mutex_unlock(&a->lock);
	return snap_error(s);
}

/* ---- machine glue ------------------------------------------------------ */

static void ahci_machine_msi(void *ctx, uint64_t addr, uint32_t data)
{
	machine_msi(ctx, addr, data);
}

static void ahci_dev_teardown(void *dev)
{
	ahci_destroy(dev);
}

static void ahci_dev_reset(void *dev)
{
	ahci_reset(dev);
}

static int ahci_dev_snapshot(void *dev, struct snap *s)
{
	return ahci_snapshot(dev, s);
}

static const struct device_desc ahci_desc;

/* Attaches the configured AHCI disks (ports 0..) and the CD-ROM (next). */
static int ahci_attach_config(struct ahci *a, const struct vm_config *cfg)
{
	unsigned int port = 0;
	int r;

	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		struct ata_disk *d;
		if (cfg->disks[i].iface != DISK_IF_AHCI)
			continue;
		if (port >= AHCI_PORTS)
			return -ENOSPC;
		char err[512] = "";
		r = ata_disk_open(&d, cfg->disks[i].path, cfg->disks[i].format,
				  cfg->disks[i].readonly, err, sizeof(err));
		if (r < 0) {
			log_error("AHCI disk: %s", err[0] ? err : strerror(-r));
			return r;
		}
		r = ahci_attach_disk(a, port++, d);
		if (r < 0) {
			ata_disk_close(d);
			return r;
		}
	}
	if (cfg->cdrom) {
		struct atapi *cd;
		if (port >= AHCI_PORTS)
			return -ENOSPC;
		r = atapi_open(&cd, cfg->cdrom);
		if (r < 0) {
			log_error("CD-ROM %s: %s", cfg->cdrom, strerror(-r));
			return r;
		}
		r = ahci_attach_cdrom(a, port, cd);
		if (r < 0) {
			atapi_close(cd);
			return r;
		}
	}
	return 0;
}

/* One controller when the configuration has an AHCI disk or a CD-ROM. */
static int ahci_setup(struct machine *m)
{
	const struct vm_config *cfg = machine_config(m);
	struct ahci_irq_ops irq = { .msi = ahci_machine_msi, .ctx = m };
	struct pci_bus *bus = machine_pci_bus(m);
	bool any = cfg->cdrom != NULL;
	struct ahci *a;
	int r;

	for (unsigned int i = 0; i < cfg->ndisks; i++)
		any |= cfg->disks[i].iface == DISK_IF_AHCI;
	if (!any)
		return 0;
	if (!bus)
		return -ENODEV;
	r = ahci_create(&a, machine_mem(m), &irq);
	if (r < 0)
		return r;
	r = ahci_attach_config(a, cfg);
	if (r == 0)
		r = machine_attach(m, &ahci_desc, a);
	if (r < 0) {
		ahci_destroy(a);
		return r;
	}
	/* attached first: from here on the machine's teardown frees it */
	return pci_bus_add(bus, ahci_pci(a), -1);
}

static const struct device_desc ahci_desc = {
	.name = "ahci",
	.order = DEVICE_ORDER_DEV,
	.setup = ahci_setup,
	.teardown = ahci_dev_teardown,
	.reset = ahci_dev_reset,
	.snapshot = ahci_dev_snapshot,
};
DEVICE_DEFINE(ahci_desc);
