/*
 * pci.c - the PCI bus: configuration cycles, BAR mapping, reset, default
 * placement and save/load of a function's PCI state (pci.h is the API).
 *
 * Follows the PCI Local Bus Specification 3.0: configuration space
 * accesses (any byte enables within a dword, 3.2.2.3) applied through each
 * function's wmask and w1cmask; a function decodes its BARs while
 * COMMAND.IO / .MEMORY says so (6.2.2) and its expansion ROM while the ROM
 * enable bit is set too (6.2.5.2).  Describing a function (identity, BAR
 * sizes and masks, ROM, capabilities) is pci_dev.c; INTx routing and MSI-X
 * are pci_irq.c; pci_priv.h is what the three share.
 *
 * What it leaves to others: the 0xCF8/0xCFC ports (pci_host.c), what a
 * device's BARs mean (the device), the KVM calls (the pci_bus_host the
 * machine hands in).  Bus master enable is stored, not enforced: a device
 * that wants to honour it reads its COMMAND register.
 *
 * Mapping: a BAR is mapped while its decode bit (COMMAND.IO / .MEMORY,
 * plus the enable bit for the ROM) is on and its address is usable: not 0,
 * I/O within 64 KiB, a 32-bit BAR below 4 GiB, no wrap.  Trapped BARs go
 * into the trap map, memory-backed ones become a KVM slot through
 * host->map_memory.  The expansion ROM is a read-only slot over a
 * page-aligned copy the bus keeps (so SeaBIOS copies a VGA BIOS without an
 * exit per access); without map_memory, or when it fails, the ROM is
 * trapped and read from the device's image.  A BAR the guest moves onto
 * another device's range (the trap map or the machine says -EBUSY) or onto
 * RAM (map_memory refuses it; a trapped BAR over RAM is simply shadowed by
 * the RAM slot) stays unmapped, silently, and is tried again whenever
 * something else on the bus is unmapped.
 *
 * Threads: config accesses come from vCPU threads (through pci_host.c's
 * trap callbacks, which run without the trap map's lock, see trap.h, so
 * a config write may register and unregister BAR ranges); INTx and MSI-X
 * come from whatever thread a device completes work on.  Two locks: the
 * config lock (device table, config space, placement) and the interrupt
 * lock (INTx counts, routes, MSI-X tables), a leaf; pci.h states the order.
 * The bus keeps its own record of what it mapped, so pci_bus_destroy()
 * never looks at a device (the machine frees devices before the bus).
 */
#include "vmm/pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/pci_priv.h"

#define PCI_IO_LIMIT    0x10000ULL
#define PCI_MEM32_LIMIT 0x100000000ULL
#define PCI_MEM_LIMIT   (1ULL << 52)       /* x86 MAXPHYADDR at most */

static const int pci_isa_irqs[PCI_NUM_PIRQS] = PCI_PIRQ_ISA_IRQS;

static bool overlaps(unsigned int off, unsigned int size, unsigned int lo,
		     unsigned int hi)
{
	return off < hi && lo < off + size;
}

/* ---- BAR placement ------------------------------------------------------------ */

static const struct pci_bar *region(const struct pci_dev *d, unsigned int i)
{
	return i == PCI_ROM_IDX ? &d->rom_bar : &d->bar[i];
}

/* The address region i is programmed to (whether or not it decodes). */
static uint64_t region_addr(const struct pci_dev *d, unsigned int i)
{
	if (i == PCI_ROM_IDX)
		return get_le32(d->cfg + PCI_ROM_ADDRESS) & ~(uint32_t)(d->rom_size - 1);
	uint32_t lo = get_le32(d->cfg + PCI_BAR0 + 4 * i);
	switch (d->bar[i].type) {
	case PCI_BAR_IO:
		return lo & ~3u;
	case PCI_BAR_MEM32:
		return lo & ~0xFu;
	case PCI_BAR_MEM64:
		return (lo & ~0xFu) | ((uint64_t)get_le32(d->cfg + PCI_BAR0 + 4 * i + 4) << 32);
	default:
		return 0;
	}
}

/* Whether region i decodes now, and where. */
static bool region_window(const struct pci_dev *d, unsigned int i, enum trap_space *sp,
			  uint64_t *base)
{
	const struct pci_bar *b = region(d, i);
	uint16_t cmd = get_le16(d->cfg + PCI_COMMAND);
	uint64_t a = region_addr(d, i), limit;

	if (b->type == PCI_BAR_UNUSED || b->size == 0)
		return false;
	if (b->type == PCI_BAR_IO) {
		if (!(cmd & PCI_COMMAND_IO))
			return false;
		*sp = TRAP_PIO;
		limit = PCI_IO_LIMIT;
	} else {
		if (!(cmd & PCI_COMMAND_MEMORY))
			return false;
		if (i == PCI_ROM_IDX &&
		    !(get_le32(d->cfg + PCI_ROM_ADDRESS) & PCI_ROM_ADDRESS_ENABLE))
			return false;
		*sp = TRAP_MMIO;
		limit = b->type == PCI_BAR_MEM64 ? PCI_MEM_LIMIT : PCI_MEM32_LIMIT;
	}
	*base = a;
	return a != 0 && range_within(a, b->size, limit);
}

static uint64_t rom_trap_read(void *opaque, uint64_t off, unsigned int size)
{
	const struct pci_dev *d = opaque;
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		if (off + i < d->rom_len)
			v |= (uint64_t)d->rom[off + i] << (8 * i);
	return v;
}

static const struct trap_ops rom_trap_ops = { .read = rom_trap_read };

/* Maps region i at base; false when refused (overlap, no slot, ...). */
static bool region_map(struct pci_bus *bus, struct pci_dev *d, unsigned int i,
		       enum trap_space sp, uint64_t base)
{
	struct pci_live *l = &bus->live[d->devfn][i];
	const struct pci_bar *b = region(d, i);
	const struct trap_ops *ops = b->ops;
	void *opaque = b->opaque;
	void *hva = NULL;
	uint64_t len = 0;
	unsigned int flags = 0;
	int h;

	if (i == PCI_ROM_IDX) {
		hva = bus->rom_copy[d->devfn];
		len = d->rom_size;
		flags = PCI_MAP_READONLY;
		ops = &rom_trap_ops;
		opaque = d;
	} else if (b->ram) {
		hva = b->ram;
		len = b->ram_size;
		flags = b->dirty_log ? PCI_MAP_DIRTY_LOG : 0;
		ops = NULL;
	}
	if (hva && bus->host.map_memory) {
		h = bus->host.map_memory(bus->host.ctx, base, len, hva, flags);
		if (h >= 0) {
			*l = (struct pci_live){ true, true, sp, base, h };
			return true;
		}
	}
	/* a ROM without a slot is trapped instead; RAM BARs have no fallback */
	if (!ops || !bus->host.traps ||
	    trap_register(bus->host.traps, sp, base, b->size, ops, opaque) < 0)
		return false;
	*l = (struct pci_live){ true, false, sp, base, -1 };
	return true;
}

static void live_unmap(struct pci_bus *bus, struct pci_live *l)
{
	if (!l->mapped)
		return;
	if (l->is_mem) {
		if (bus->host.unmap_memory)
			bus->host.unmap_memory(bus->host.ctx, l->handle);
	} else if (bus->host.traps) {
		trap_unregister(bus->host.traps, l->sp, l->base);
	}
	l->mapped = false;
	l->handle = -1;
}

/* Copies the bus's placement into the device's struct pci_bar fields. */
static void regions_mirror(struct pci_bus *bus, struct pci_dev *d)
{
	for (unsigned int i = 0; i < PCI_NUM_REGIONS; i++) {
		struct pci_bar *b = i == PCI_ROM_IDX ? &d->rom_bar : &d->bar[i];
		const struct pci_live *l = &bus->live[d->devfn][i];

		b->addr = region_addr(d, i);
		__atomic_store_n(&b->mem_handle, l->mapped && l->is_mem ? l->handle : -1,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&b->mapped, l->mapped, __ATOMIC_RELAXED);
	}
}

/*
 * Makes d's mappings match its COMMAND and BARs: first takes down what
 * moved or was switched off, then maps what should decode.  Returns true
 * when something was unmapped.  Config lock held.
 */
static bool dev_update_mappings(struct pci_bus *bus, struct pci_dev *d)
{
	bool want[PCI_NUM_REGIONS], unmapped = false;
	enum trap_space sp[PCI_NUM_REGIONS];
	uint64_t base[PCI_NUM_REGIONS];

	for (unsigned int i = 0; i < PCI_NUM_REGIONS; i++) {
		struct pci_live *l = &bus->live[d->devfn][i];

		want[i] = region_window(d, i, &sp[i], &base[i]);
		if (l->mapped && (!want[i] || l->base != base[i])) {
			live_unmap(bus, l);
			unmapped = true;
		}
	}
	for (unsigned int i = 0; i < PCI_NUM_REGIONS; i++)
		if (want[i] && !bus->live[d->devfn][i].mapped)
			region_map(bus, d, i, sp[i], base[i]);
	regions_mirror(bus, d);
	return unmapped;
}

/* dev_update_mappings(), then a retry of BARs refused earlier that the
 * unmapping may have made room for. */
static void bus_update_mappings(struct pci_bus *bus, struct pci_dev *d)
{
	if (!dev_update_mappings(bus, d))
		return;
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++)
		if (bus->dev[i] && bus->dev[i] != d)
			dev_update_mappings(bus, bus->dev[i]);
}

static void dev_unmap_all(struct pci_bus *bus, struct pci_dev *d)
{
	for (unsigned int i = 0; i < PCI_NUM_REGIONS; i++)
		live_unmap(bus, &bus->live[d->devfn][i]);
	regions_mirror(bus, d);
}

/* ---- configuration space ------------------------------------------------------ */

/* An access within one dword (any byte enables, as on the bus), inside
 * the 256 bytes. */
static bool cfg_access_ok(unsigned int off, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4) && off < PCI_CFG_SIZE &&
	       (off & 3) + size <= 4;
}

static uint32_t all_ones(unsigned int size)
{
	return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
}

/* Applies a write through the masks and acts on it.  Config lock held. */
static void cfg_write_locked(struct pci_bus *bus, struct pci_dev *d, unsigned int off,
			     unsigned int size, uint32_t val)
{
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint8_t *c = &d->cfg[off + i];

		*c = (uint8_t)((*c & ~d->wmask[off + i]) | (b & d->wmask[off + i]));
		*c &= (uint8_t)~(b & d->w1cmask[off + i]);
	}
	if (overlaps(off, size, PCI_COMMAND, PCI_COMMAND + 2)) {
		pthread_mutex_lock(&bus->irq_lock);
		d->intx_disabled = (get_le16(d->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) != 0;
		pci_intx_update(bus, d);
		pthread_mutex_unlock(&bus->irq_lock);
	}
	if (overlaps(off, size, PCI_COMMAND, PCI_COMMAND + 2) ||
	    overlaps(off, size, PCI_BAR0, PCI_BAR0 + 4 * PCI_NUM_BARS) ||
	    overlaps(off, size, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4))
		bus_update_mappings(bus, d);
	if (d->msix && overlaps(off, size, d->msix->cap + PCI_MSIX_FLAGS,
				d->msix->cap + PCI_MSIX_FLAGS + 2))
		pci_msix_control_written(bus, d);
	if (d->cfg_write)
		d->cfg_write(d, off, size, val);
}

uint32_t pci_bus_cfg_read(struct pci_bus *bus, uint8_t devfn, unsigned int off,
			  unsigned int size)
{
	struct pci_dev *d;
	uint32_t v = 0;

	if (!cfg_access_ok(off, size))
		return all_ones(size);
	pthread_mutex_lock(&bus->lock);
	d = bus->dev[devfn];
	if (!d) {
		pthread_mutex_unlock(&bus->lock);
		return all_ones(size);
	}
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	/* status bit 3 shows the function's INTx state, gated or not */
	if (overlaps(off, size, PCI_STATUS, PCI_STATUS + 1) &&
	    __atomic_load_n(&d->intx_level, __ATOMIC_RELAXED))
		v |= (uint32_t)PCI_STATUS_INTERRUPT << (8 * (PCI_STATUS - off));
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pci_bus_cfg_write(struct pci_bus *bus, uint8_t devfn, unsigned int off,
		       unsigned int size, uint32_t val)
{
	struct pci_dev *d;

	if (!cfg_access_ok(off, size))
		return;
	pthread_mutex_lock(&bus->lock);
	d = bus->dev[devfn];
	if (d)
		cfg_write_locked(bus, d, off, size, val);
	pthread_mutex_unlock(&bus->lock);
}

/* ---- the bus ------------------------------------------------------------------ */

struct pci_bus *pci_bus_create(const struct pci_bus_host *host)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	if (pthread_mutex_init(&bus->lock, NULL)) {
		free(bus);
		return NULL;
	}
	if (pthread_mutex_init(&bus->irq_lock, NULL)) {
		pthread_mutex_destroy(&bus->lock);
		free(bus);
		return NULL;
	}
	if (host)
		bus->host = *host;
	for (unsigned int p = 0; p < PCI_NUM_PIRQS; p++)
		bus->pirq_route[p] = -1;
	bus->router_devfn = -1;
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++)
		for (unsigned int r = 0; r < PCI_NUM_REGIONS; r++)
			bus->live[i][r].handle = -1;
	return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++) {
		for (unsigned int r = 0; r < PCI_NUM_REGIONS; r++)
			live_unmap(bus, &bus->live[i][r]);
		free(bus->power_on[i]);
		free(bus->rom_copy[i]);
	}
	pthread_mutex_destroy(&bus->irq_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

/* Plugs d in at devfn.  Config lock held. */
static int bus_add_locked(struct pci_bus *bus, struct pci_dev *d, unsigned int devfn)
{
	uint8_t *power_on, *rom = NULL;

	if (bus->dev[devfn])
		return -EBUSY;
	power_on = malloc(PCI_CFG_SIZE);
	if (!power_on)
		return -ENOMEM;
	if (d->rom_size && bus->host.map_memory) {
		rom = aligned_alloc(PCI_PAGE, d->rom_size);
		if (!rom) {
			free(power_on);
			return -ENOMEM;
		}
		memset(rom, 0, d->rom_size);
		memcpy(rom, d->rom, d->rom_len);
	}
	memcpy(power_on, d->cfg, PCI_CFG_SIZE);
	bus->power_on[devfn] = power_on;
	bus->rom_copy[devfn] = rom;
	bus->dev[devfn] = d;
	d->bus = bus;
	d->devfn = (uint8_t)devfn;
	pthread_mutex_lock(&bus->irq_lock);
	d->intx_out = false;
	d->intx_pin = d->cfg[PCI_INTERRUPT_PIN];
	d->intx_disabled = (get_le16(d->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) != 0;
	pci_intx_update(bus, d);
	pthread_mutex_unlock(&bus->irq_lock);
	dev_update_mappings(bus, d);
	return 0;
}

int pci_bus_add_fn(struct pci_bus *bus, struct pci_dev *d, unsigned int slot,
		   unsigned int fn)
{
	int rc;

	if (slot >= PCI_MAX_SLOTS || fn >= 8)
		return -EINVAL;
	if (d->bus)
		return -EBUSY;
	pthread_mutex_lock(&bus->lock);
	rc = bus_add_locked(bus, d, slot << 3 | fn);
	pthread_mutex_unlock(&bus->lock);
	return rc;
}

int pci_bus_add(struct pci_bus *bus, struct pci_dev *d, int slot)
{
	int rc = -ENOSPC;

	if (slot >= 0)
		return pci_bus_add_fn(bus, d, (unsigned int)slot, 0);
	if (slot != -1)
		return -EINVAL;
	if (d->bus)
		return -EBUSY;
	pthread_mutex_lock(&bus->lock);
	for (unsigned int s = 0; s < PCI_MAX_SLOTS; s++) {
		bool used = false;
		for (unsigned int fn = 0; fn < 8; fn++)
			used |= bus->dev[s << 3 | fn] != NULL;
		if (!used) {
			rc = bus_add_locked(bus, d, s << 3);
			break;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	return rc;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_dev *d)
{
	pthread_mutex_lock(&bus->lock);
	if (d->bus == bus && bus->dev[d->devfn] == d) {
		dev_unmap_all(bus, d);
		pthread_mutex_lock(&bus->irq_lock);
		int level = d->intx_level;
		d->intx_level = 0;
		pci_intx_update(bus, d);
		d->intx_level = level;
		pthread_mutex_unlock(&bus->irq_lock);
		free(bus->power_on[d->devfn]);
		free(bus->rom_copy[d->devfn]);
		bus->power_on[d->devfn] = NULL;
		bus->rom_copy[d->devfn] = NULL;
		bus->dev[d->devfn] = NULL;
		d->bus = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_reset(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++) {
		struct pci_dev *d = bus->dev[i];
		if (!d)
			continue;
		dev_unmap_all(bus, d);
		memcpy(d->cfg, bus->power_on[i], PCI_CFG_SIZE);
		/* RST# leaves no INTx asserted (PCI 3.0, 2.2.6) */
		pthread_mutex_lock(&bus->irq_lock);
		if (d->msix)
			pci_msix_reset_state(d->msix);
		d->intx_disabled = (get_le16(d->cfg + PCI_COMMAND) &
				    PCI_COMMAND_INTX_DISABLE) != 0;
		__atomic_store_n(&d->intx_level, 0, __ATOMIC_RELAXED);
		pci_intx_update(bus, d);
		pthread_mutex_unlock(&bus->irq_lock);
	}
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++) {
		struct pci_dev *d = bus->dev[i];
		if (d && d->reset)
			d->reset(d);
	}
	/* a reset hook that enabled decoding gets its BARs mapped */
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++)
		if (bus->dev[i])
			dev_update_mappings(bus, bus->dev[i]);
	pthread_mutex_unlock(&bus->lock);
}

/* ---- default placement (direct kernel boot) ------------------------------------ */

struct pci_place {
	struct pci_dev *d;
	unsigned int idx;        /* BAR, or PCI_ROM_IDX */
	uint64_t size;
	bool io;
};

static int place_cmp(const void *a, const void *b)
{
	const struct pci_place *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;        /* biggest first */
	if (x->d->devfn != y->d->devfn)
		return x->d->devfn < y->d->devfn ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Writes a BAR address through the normal path.  Config lock held. */
static void place_write(struct pci_bus *bus, const struct pci_place *p, uint64_t addr)
{
	struct pci_dev *d = p->d;

	if (p->idx == PCI_ROM_IDX) {
		cfg_write_locked(bus, d, PCI_ROM_ADDRESS, 4, (uint32_t)addr);   /* disabled */
		return;
	}
	unsigned int reg = PCI_BAR0 + 4 * p->idx;
	cfg_write_locked(bus, d, reg, 4, (uint32_t)addr);
	if (d->bar[p->idx].type == PCI_BAR_MEM64)
		cfg_write_locked(bus, d, reg + 4, 4, (uint32_t)(addr >> 32));
}

/*
 * Does what SeaBIOS's pciinit does: BARs biggest first, each aligned to
 * its size, I/O from PCI_IO_START and memory (64-bit BARs too, for now)
 * from PCI_MMIO_START; ROM BARs get an address but stay disabled; the
 * ISA bridge's PIRQ routes and each INTERRUPT_LINE are set to
 * PCI_PIRQ_ISA_IRQS; then COMMAND gets IO | MEMORY | MASTER.
 */
int pci_bus_assign_default(struct pci_bus *bus)
{
	struct pci_place *pl;
	size_t n = 0;
	uint64_t io = PCI_IO_START, mem = PCI_MMIO_START;
	int rc = 0;

	pl = calloc(PCI_NUM_DEVFN * PCI_NUM_REGIONS, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pthread_mutex_lock(&bus->lock);
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++) {
		struct pci_dev *d = bus->dev[i];
		if (!d)
			continue;
		for (unsigned int r = 0; r < PCI_NUM_REGIONS; r++) {
			const struct pci_bar *b = region(d, r);
			if (b->type != PCI_BAR_UNUSED && b->size)
				pl[n++] = (struct pci_place){ d, r, b->size, b->type == PCI_BAR_IO };
		}
	}
	qsort(pl, n, sizeof(*pl), place_cmp);
	for (size_t k = 0; k < n; k++) {
		uint64_t *next = pl[k].io ? &io : &mem;
		uint64_t end = pl[k].io ? PCI_IO_END : PCI_MMIO_END;
		uint64_t a = ALIGN_UP(*next, pl[k].size);

		if (a < *next || !range_within(a, pl[k].size, end)) {
			rc = -ENOSPC;
			goto out;
		}
		place_write(bus, &pl[k], a);
		*next = a + pl[k].size;
	}
	if (bus->router_devfn >= 0 && bus->dev[bus->router_devfn])
		for (unsigned int p = 0; p < PCI_NUM_PIRQS; p++)
			cfg_write_locked(bus, bus->dev[bus->router_devfn],
					 bus->router_reg + p, 1, (uint32_t)pci_isa_irqs[p]);
	for (unsigned int i = 0; i < PCI_NUM_DEVFN; i++) {
		struct pci_dev *d = bus->dev[i];
		if (!d)
			continue;
		uint8_t pin = d->cfg[PCI_INTERRUPT_PIN];
		if (pin >= 1 && pin <= 4)
			cfg_write_locked(bus, d, PCI_INTERRUPT_LINE, 1,
					 (uint32_t)pci_isa_irqs[pci_pirq(i >> 3, pin)]);
		cfg_write_locked(bus, d, PCI_COMMAND, 2,
				 get_le16(d->cfg + PCI_COMMAND) | PCI_COMMAND_IO |
				 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
out:
	pthread_mutex_unlock(&bus->lock);
	free(pl);
	return rc;
}

/* ---- snapshot --------------------------------------------------------------------- */

/* Registers that say which device this is: a snapshot must match them. */
static bool same_identity(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a + PCI_VENDOR_ID, b + PCI_VENDOR_ID, 4) == 0 &&
	       memcmp(a + PCI_REVISION_ID, b + PCI_REVISION_ID, 4) == 0 &&
	       a[PCI_HEADER_TYPE] == b[PCI_HEADER_TYPE] &&
	       memcmp(a + PCI_SUBSYSTEM_VENDOR_ID, b + PCI_SUBSYSTEM_VENDOR_ID, 4) == 0;
}

/*
 * Layout (version 1): config space (256 bytes), INTx level, MSI-X vector
 * count, then per vector address, data and vector control, then the PBA
 * words.  Guest addresses only; the mapping is recomputed after a load.
 */
int pci_dev_snapshot(struct pci_dev *d, struct snap *s)
{
	struct pci_bus *bus = d->bus;
	struct pci_msix tmp;
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t version = 1, nvec = d->msix ? d->msix->nvec : 0;
	int32_t level;

	if (bus)
		pthread_mutex_lock(&bus->lock);
	memcpy(cfg, d->cfg, sizeof(cfg));
	level = __atomic_load_n(&d->intx_level, __ATOMIC_RELAXED);
	memset(&tmp, 0, sizeof(tmp));
	if (d->msix) {
		if (bus)
			pthread_mutex_lock(&bus->irq_lock);
		tmp = *d->msix;
		if (bus)
			pthread_mutex_unlock(&bus->irq_lock);
	}

	snap_section(s, "pci-dev", &version);
	snap_bytes(s, cfg, sizeof(cfg));
	snap_i32(s, &level);
	snap_u32(s, &nvec);
	if (snap_loading(s) && !snap_error(s) &&
	    (nvec != (d->msix ? d->msix->nvec : 0) || (level != 0 && level != 1) ||
	     !same_identity(cfg, d->cfg)))
		snap_fail(s, -EINVAL);
	for (unsigned int v = 0; v < nvec && !snap_error(s); v++) {
		snap_u64(s, &tmp.entry[v].addr);
		snap_u32(s, &tmp.entry[v].data);
		snap_u32(s, &tmp.entry[v].ctrl);
	}
	for (unsigned int w = 0; w < (nvec + 63) / 64 && !snap_error(s); w++)
		snap_u64(s, &tmp.pba[w]);

	if (snap_loading(s) && !snap_error(s)) {
		if (bus)
			dev_unmap_all(bus, d);
		/* read-only bits stay this instance's; the guest's bits load */
		for (unsigned int i = 0; i < PCI_CFG_SIZE; i++) {
			uint8_t m = d->wmask[i] | d->w1cmask[i];
			d->cfg[i] = (uint8_t)((cfg[i] & m) | (d->cfg[i] & ~m));
		}
		if (bus)
			pthread_mutex_lock(&bus->irq_lock);
		if (d->msix)
			pci_msix_load(d, &tmp);
		d->intx_disabled = (get_le16(d->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) != 0;
		__atomic_store_n(&d->intx_level, level, __ATOMIC_RELAXED);
		if (bus) {
			pci_intx_update(bus, d);
			pthread_mutex_unlock(&bus->irq_lock);
			bus_update_mappings(bus, d);
		}
	}
	if (bus)
		pthread_mutex_unlock(&bus->lock);
	return snap_error(s);
}
