/*
 * pci_irq.c - interrupts of PCI functions: INTx with the PIIX3's PIRQ
 * swizzle and routing, and MSI-X (PCI Local Bus Specification 3.0, 2.2.6
 * and 6.8.2; Intel 82371SB (PIIX3) datasheet, PIRQRC registers).
 *
 * INTx is level-triggered and shared: every PIRQ is a wired-OR of the
 * functions asserting it (a count), and a line is driven only when the OR
 * changes - GSI PCI_GSI_BASE + PIRQ always, and the ISA IRQ the ISA
 * bridge routes the PIRQ to, when it does (itself a wired-OR over PIRQs).
 * A function's contribution is gated by COMMAND.INTX_DISABLE and by MSI-X
 * enable.  MSI-X keeps the table and PBA here (struct pci_msix, embedded
 * in the device); the device forwards its BAR accesses at those offsets.
 *
 * Threads: any thread may call pci_intx() and pci_msix_*(); the state is
 * guarded by the bus's interrupt lock, a leaf lock (host->set_gsi and
 * host->msi run under it; they are KVM ioctls that never call back).  A
 * device not plugged into a bus only records its state.
 */
#include "vmm/pci.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "util/util.h"
#include "vmm/pci_priv.h"

static inline unsigned int dev_slot(const struct pci_dev *d)
{
	return d->devfn >> 3;
}

/* ---- INTx ------------------------------------------------------------------ */

/* Brings every ISA IRQ we drive in line with the routed PIRQs.  irq lock. */
static void isa_update(struct pci_bus *bus)
{
	bool want[PCI_ISA_IRQS] = { false };

	for (unsigned int p = 0; p < PCI_NUM_PIRQS; p++)
		if (bus->pirq_route[p] >= 0 && bus->pirq_count[p] > 0)
			want[bus->pirq_route[p]] = true;
	for (unsigned int irq = 0; irq < PCI_ISA_IRQS; irq++) {
		if (want[irq] == bus->isa_level[irq])
			continue;
		bus->isa_level[irq] = want[irq];
		if (bus->host.set_gsi)
			bus->host.set_gsi(bus->host.ctx, irq, want[irq]);
	}
}

void pci_intx_update(struct pci_bus *bus, struct pci_dev *d)
{
	uint8_t pin = d->intx_pin;
	bool out = d->intx_level && !d->intx_disabled &&
		   !(d->msix && d->msix->enabled) && pin >= 1 && pin <= 4;
	unsigned int p;

	if (out == d->intx_out)
		return;
	d->intx_out = out;
	p = pci_pirq(dev_slot(d), pin);
	if (out ? bus->pirq_count[p]++ != 0 : --bus->pirq_count[p] != 0)
		return;
	if (bus->host.set_gsi)
		bus->host.set_gsi(bus->host.ctx, PCI_GSI_BASE + p, out);
	isa_update(bus);
}

void pci_intx(struct pci_dev *d, int level)
{
	struct pci_bus *bus = d->bus;
	int lv = level ? 1 : 0;

	if (!bus) {
		__atomic_store_n(&d->intx_level, lv, __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_lock(&bus->irq_lock);
	__atomic_store_n(&d->intx_level, lv, __ATOMIC_RELAXED);
	pci_intx_update(bus, d);
	pthread_mutex_unlock(&bus->irq_lock);
}

static bool isa_irq_routable(int irq)
{
	/* PIIX3 PIRQRC: IRQ0-2, 8 and 13 are reserved values */
	return irq >= 3 && irq < PCI_ISA_IRQS && irq != 8 && irq != 13;
}

void pci_bus_set_pirq_route(struct pci_bus *bus, unsigned int pirq, int isa_irq)
{
	if (pirq >= PCI_NUM_PIRQS)
		return;
	pthread_mutex_lock(&bus->irq_lock);
	bus->pirq_route[pirq] = isa_irq_routable(isa_irq) ? isa_irq : -1;
	isa_update(bus);
	pthread_mutex_unlock(&bus->irq_lock);
}

void pci_bus_set_pirq_router(struct pci_bus *bus, uint8_t devfn, uint8_t reg)
{
	pthread_mutex_lock(&bus->lock);
	bus->router_devfn = devfn;
	bus->router_reg = reg;
	pthread_mutex_unlock(&bus->lock);
}

uint32_t pci_bus_irq_slots(struct pci_bus *bus)
{
	uint32_t mask = 0;

	pthread_mutex_lock(&bus->lock);
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++) {
		uint8_t pin = bus->dev[i] ? bus->dev[i]->cfg[PCI_INTERRUPT_PIN] : 0;
		if (pin >= 1 && pin <= 4)
			mask |= 1u << (i >> 3);
	}
	pthread_mutex_unlock(&bus->lock);
	return mask;
}

/* ---- MSI-X ------------------------------------------------------------------ */

static void msix_lock(struct pci_dev *d)
{
	if (d->bus)
		pthread_mutex_lock(&d->bus->irq_lock);
}

static void msix_unlock(struct pci_dev *d)
{
	if (d->bus)
		pthread_mutex_unlock(&d->bus->irq_lock);
}

static void msix_send(struct pci_dev *d, unsigned int v)
{
	struct pci_bus *bus = d->bus;

	if (bus && bus->host.msi)
		bus->host.msi(bus->host.ctx, d->msix->entry[v].addr, d->msix->entry[v].data);
}

static bool msix_pending(const struct pci_msix *m, unsigned int v)
{
	return (m->pba[v / 64] >> (v % 64)) & 1;
}

static void msix_set_pending(struct pci_msix *m, unsigned int v, bool on)
{
	if (on)
		m->pba[v / 64] |= 1ULL << (v % 64);
	else
		m->pba[v / 64] &= ~(1ULL << (v % 64));
}

/* Sends vector v if it is pending and may go now.  irq lock held. */
static void msix_try_pending(struct pci_dev *d, unsigned int v)
{
	struct pci_msix *m = d->msix;

	if (m->enabled && !m->masked && !(m->entry[v].ctrl & PCI_MSIX_ENTRY_MASKED) &&
	    msix_pending(m, v)) {
		msix_set_pending(m, v, false);
		msix_send(d, v);
	}
}

void pci_msix_control_written(struct pci_bus *bus, struct pci_dev *d)
{
	struct pci_msix *m = d->msix;
	uint16_t ctl = get_le16(d->cfg + m->cap + PCI_MSIX_FLAGS);

	pthread_mutex_lock(&bus->irq_lock);
	__atomic_store_n(&m->enabled, (ctl & PCI_MSIX_FLAGS_ENABLE) != 0, __ATOMIC_RELAXED);
	m->masked = (ctl & PCI_MSIX_FLAGS_MASKALL) != 0;
	for (unsigned int v = 0; v < m->nvec; v++)
		msix_try_pending(d, v);
	pci_intx_update(bus, d);
	pthread_mutex_unlock(&bus->irq_lock);
}

void pci_msix_reset_state(struct pci_msix *m)
{
	for (unsigned int v = 0; v < m->nvec; v++) {
		m->entry[v].addr = 0;
		m->entry[v].data = 0;
		m->entry[v].ctrl = PCI_MSIX_ENTRY_MASKED;
	}
	memset(m->pba, 0, sizeof(m->pba));
	__atomic_store_n(&m->enabled, false, __ATOMIC_RELAXED);
	m->masked = false;
}

int pci_msix_init(struct pci_dev *d, unsigned int nvec, unsigned int bar_idx,
		  uint32_t table_off, uint32_t pba_off)
{
	struct pci_msix *m = &d->msix_state;
	uint64_t tlen = (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = 8 * (((uint64_t)nvec + 63) / 64);
	uint64_t bsize;
	int cap;

	if (d->bus || d->msix)
		return d->msix ? -EBUSY : -EINVAL;
	if (nvec == 0 || nvec > PCI_MSIX_MAX_VECTORS || bar_idx >= PCI_NUM_BARS ||
	    (d->bar[bar_idx].type != PCI_BAR_MEM32 && d->bar[bar_idx].type != PCI_BAR_MEM64) ||
	    table_off % 8 || pba_off % 8)
		return -EINVAL;
	bsize = d->bar[bar_idx].size;
	if (!range_within(table_off, tlen, bsize) || !range_within(pba_off, plen, bsize) ||
	    (table_off < pba_off + plen && pba_off < table_off + tlen))
		return -EINVAL;
	cap = pci_add_cap(d, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_LEN);
	if (cap < 0)
		return cap;
	put_le16(d->cfg + cap + PCI_MSIX_FLAGS, (uint16_t)(nvec - 1));
	put_le32(d->cfg + cap + PCI_MSIX_TABLE, table_off | bar_idx);
	put_le32(d->cfg + cap + PCI_MSIX_PBA, pba_off | bar_idx);
	d->wmask[cap + PCI_MSIX_FLAGS + 1] =
		(uint8_t)((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
	memset(m, 0, sizeof(*m));
	m->nvec = nvec;
	m->bar = bar_idx;
	m->table_off = table_off;
	m->pba_off = pba_off;
	m->cap = (uint8_t)cap;
	pci_msix_reset_state(m);
	d->msix = m;
	return 0;
}

bool pci_msix_enabled(const struct pci_dev *d)
{
	return d->msix && __atomic_load_n(&d->msix->enabled, __ATOMIC_RELAXED);
}

bool pci_msix_notify(struct pci_dev *d, unsigned int vector)
{
	struct pci_msix *m = d->msix;
	bool on;

	if (!m)
		return false;
	msix_lock(d);
	on = m->enabled;
	if (on && vector < m->nvec) {
		if (m->masked || (m->entry[vector].ctrl & PCI_MSIX_ENTRY_MASKED))
			msix_set_pending(m, vector, true);
		else
			msix_send(d, vector);
	}
	msix_unlock(d);
	return on;
}

/* Dword j (0-3) of table entry v. */
static uint32_t msix_entry_dword(const struct pci_msix *m, unsigned int v, unsigned int j)
{
	switch (j) {
	case 0: return (uint32_t)m->entry[v].addr;
	case 1: return (uint32_t)(m->entry[v].addr >> 32);
	case 2: return m->entry[v].data;
	default: return m->entry[v].ctrl;
	}
}

static bool msix_in(uint64_t off, uint32_t base, uint64_t len)
{
	return off >= base && off - base < len;
}

uint64_t pci_msix_read(struct pci_dev *d, uint64_t off, unsigned int size)
{
	struct pci_msix *m = d->msix;
	uint64_t v = 0;

	/* 6.8.2: dword or aligned qword accesses; anything else reads 0 */
	if (!m || (size != 4 && size != 8) || off % size)
		return 0;
	msix_lock(d);
	if (msix_in(off, m->table_off, (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE)) {
		uint64_t rel = off - m->table_off;
		unsigned int e = (unsigned int)(rel / PCI_MSIX_ENTRY_SIZE);
		unsigned int j = (unsigned int)(rel % PCI_MSIX_ENTRY_SIZE) / 4;

		v = msix_entry_dword(m, e, j);
		if (size == 8)
			v |= (uint64_t)msix_entry_dword(m, e, j + 1) << 32;
	} else if (msix_in(off, m->pba_off, 8 * (((uint64_t)m->nvec + 63) / 64))) {
		uint64_t rel = off - m->pba_off;

		v = m->pba[rel / 8];
		if (size == 4)
			v = (uint32_t)(v >> (8 * (rel % 8)));
	}
	msix_unlock(d);
	return v;
}

void pci_msix_write(struct pci_dev *d, uint64_t off, unsigned int size, uint64_t val)
{
	struct pci_msix *m = d->msix;

	if (!m || (size != 4 && size != 8) || off % size ||
	    !msix_in(off, m->table_off, (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE))
		return;   /* the PBA is read-only */
	msix_lock(d);
	uint64_t rel = off - m->table_off;
	unsigned int e = (unsigned int)(rel / PCI_MSIX_ENTRY_SIZE);
	unsigned int j0 = (unsigned int)(rel % PCI_MSIX_ENTRY_SIZE) / 4;

	for (unsigned int k = 0; k < size / 4; k++) {
		uint32_t w = (uint32_t)(val >> (32 * k));
		switch (j0 + k) {
		case 0:   /* the address is dword aligned: bits 1:0 read 0 */
			m->entry[e].addr = (m->entry[e].addr & ~0xFFFFFFFFULL) | (w & ~3u);
			break;
		case 1:
			m->entry[e].addr = (m->entry[e].addr & 0xFFFFFFFFULL) | ((uint64_t)w << 32);
			break;
		case 2:
			m->entry[e].data = w;
			break;
		default:
			m->entry[e].ctrl = w & PCI_MSIX_ENTRY_MASKED;
			msix_try_pending(d, e);
			break;
		}
	}
	msix_unlock(d);
}

void pci_msix_load(struct pci_dev *d, const struct pci_msix *from)
{
	struct pci_msix *m = d->msix;
	uint16_t ctl = get_le16(d->cfg + m->cap + PCI_MSIX_FLAGS);

	for (unsigned int v = 0; v < m->nvec; v++) {
		m->entry[v].addr = from->entry[v].addr & ~3ULL;
		m->entry[v].data = from->entry[v].data;
		m->entry[v].ctrl = from->entry[v].ctrl & PCI_MSIX_ENTRY_MASKED;
	}
	memcpy(m->pba, from->pba, sizeof(m->pba));
	if (m->nvec % 64)
		m->pba[m->nvec / 64] &= (1ULL << (m->nvec % 64)) - 1;
	for (unsigned int w = (m->nvec + 63) / 64; w < ARRAY_SIZE(m->pba); w++)
		m->pba[w] = 0;
	__atomic_store_n(&m->enabled, (ctl & PCI_MSIX_FLAGS_ENABLE) != 0, __ATOMIC_RELAXED);
	m->masked = (ctl & PCI_MSIX_FLAGS_MASKALL) != 0;
}
