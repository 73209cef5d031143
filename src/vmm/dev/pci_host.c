/*
 * pci_host.c - the chipset's PCI side: PCI configuration mechanism #1
 * (PCI Local Bus Specification 3.0, 3.2.2.3.2), the Intel 82441FX PMC
 * ("i440FX") host bridge at 00.0 and function 0 of the Intel 82371SB
 * ("PIIX3") PCI-to-ISA bridge at 01.0, as the 82441FX and 82371FB/SB
 * datasheets describe them and as SeaBIOS's pciinit and Linux probe them.
 * It creates the PCI bus (pci.c) that every PCI device plugs into.
 *
 * Mechanism #1: CONFIG_ADDRESS is the dword at 0xCF8 (bit 31 enable, bus,
 * device, function, register; bits 30:24 and 1:0 read 0); only dword
 * accesses reach it - byte and word accesses at 0xCF8-0xCFB are ordinary
 * I/O cycles, so Linux's "outb(0x01, 0xCFB)" probe and the reset control
 * register at 0xCF9 (sysctl.c) are untouched.  Because sysctl.c owns
 * 0xCF9 and the trap map refuses overlaps, 0xCF8 is claimed as a 1-byte
 * range: trap_dispatch() delivers an access to the range it starts in with
 * its full size, so "outl 0xCF8" still arrives here whole.  CONFIG_DATA is
 * 0xCFC-0xCFF, any size at any of the four offsets; an access that does
 * not fit the dword (a dword at 0xCFD) reads all ones and writes nothing.
 * Only bus 0 exists; other buses and absent functions read all ones.
 *
 * i440FX: identity, status and command as the datasheet's defaults; the
 * PAM registers 0x59-0x5F and SMRAM (0x72, with D_LCK making it
 * read-only until reset) are stored and read back, nothing more: guest
 * RAM at 0xC0000-0xFFFFF stays plain read-write RAM whatever PAM says
 * (SeaBIOS's shadowing then copies over identical bytes, and its
 * "make read-only" step is a no-op), and there is no SMM.
 *
 * PIIX3: class 0x060100, header type 0x80 (multi-function, as on real
 * boards where 01.1 is IDE); the PIRQ route control registers 0x60-0x63
 * (reset 0x80: disabled) are pushed to the bus (pci_bus_set_pirq_route()),
 * which then also drives the chosen ISA IRQ; ELCR1/2 at 0x4D0/0x4D1 are
 * stored here with their reserved bits (IRQ 0-2, 8, 13) kept 0.  With
 * KVM's in-kernel PIC the ELCR ports never reach us: KVM implements them
 * itself, which is what makes SeaBIOS's level-triggered PCI IRQs work.
 * No IDE, USB or ACPI functions; no APM or TOM registers.
 *
 * Threads: vCPU threads only.  CONFIG_ADDRESS is one latch shared by all
 * vCPUs, as on hardware (guests serialise their config cycles); it is read
 * and written atomically.  The ELCR has a mutex.  The bus has its own.
 */
#include "vmm/dev/pci_host.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/device.h"
#include "vmm/irq.h"
#include "vmm/machine.h"

#define PCI_HOST_ADDR_MASK   0x80FFFFFCu  /* writable CONFIG_ADDRESS bits */
#define PIIX3_ELCR1_MASK     0xF8         /* IRQ 0, 1, 2 are edge only */
#define PIIX3_ELCR2_MASK     0xDE         /* IRQ 8 and 13 are edge only */

struct pci_host {
	struct pci_bus *bus;
	struct pci_dev i440fx;
	struct pci_dev piix3;
	uint32_t config_address;    /* atomic */
	pthread_mutex_t lock;       /* elcr */
	uint8_t elcr[2];
	struct trap_map *traps;     /* where the ports are registered, or NULL */
};

/* ---- the two functions ---------------------------------------------------- */

/* SMRAM: D_LCK closes D_OPEN and makes the register read-only but D_CLS. */
static void i440fx_smram_lock(struct pci_dev *d)
{
	if (d->cfg[I440FX_SMRAM] & I440FX_SMRAM_D_LCK) {
		d->cfg[I440FX_SMRAM] &= (uint8_t)~I440FX_SMRAM_D_OPEN;
		d->wmask[I440FX_SMRAM] = I440FX_SMRAM_D_CLS;
	}
}

static void i440fx_cfg_write(struct pci_dev *d, unsigned int off, unsigned int size,
			     uint32_t val)
{
	(void)val;
	if (off <= I440FX_SMRAM && I440FX_SMRAM < off + size)
		i440fx_smram_lock(d);
}

static void i440fx_reset(struct pci_dev *d)
{
	d->wmask[I440FX_SMRAM] = I440FX_SMRAM_D_OPEN | I440FX_SMRAM_D_CLS |
				 I440FX_SMRAM_D_LCK | I440FX_SMRAM_G_SMRAME;
}

static void i440fx_init(struct pci_dev *d)
{
	pci_dev_init(d, "i440fx", I440FX_VENDOR, I440FX_DEVICE, 0x060000, 0x02, 0, 0);
	/* PCICMD: memory and bus master enable hardwired on */
	put_le16(d->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put_le16(d->wmask + PCI_COMMAND, 0);
	put_le16(d->cfg + PCI_STATUS, 0x0280);    /* fast back-to-back, DEVSEL medium */
	d->wmask[PCI_LATENCY_TIMER] = 0xF8;
	d->wmask[PCI_INTERRUPT_LINE] = 0;
	/* PAM0 holds only the 0xF0000 BIOS area (bits 5:4); PAM1-6 two each */
	d->wmask[I440FX_PAM0] = 0x30;
	for (unsigned int i = 1; i < I440FX_NPAM; i++)
		d->wmask[I440FX_PAM0 + i] = 0x33;
	d->cfg[I440FX_SMRAM] = I440FX_SMRAM_RESET;
	i440fx_reset(d);
	d->cfg_write = i440fx_cfg_write;
	d->reset = i440fx_reset;
}

/* Pushes the four PIRQ route registers to the bus. */
static void piix3_push_routes(struct pci_dev *d)
{
	for (unsigned int p = 0; p < 4; p++) {
		uint8_t r = d->cfg[PIIX3_PIRQRC + p];
		pci_bus_set_pirq_route(d->bus, p,
				       (r & PIIX3_PIRQ_DISABLE) ? -1 : (int)(r & PIIX3_PIRQ_IRQ));
	}
}

static void piix3_cfg_write(struct pci_dev *d, unsigned int off, unsigned int size,
			    uint32_t val)
{
	(void)val;
	if (d->bus && off < PIIX3_PIRQRC + 4 && PIIX3_PIRQRC < off + size)
		piix3_push_routes(d);
}

static void piix3_reset(struct pci_dev *d)
{
	if (d->bus)
		piix3_push_routes(d);
}

static void piix3_init(struct pci_dev *d)
{
	pci_dev_init(d, "piix3", PIIX3_VENDOR, PIIX3_DEVICE, 0x060100, 0x00, 0, 0);
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI_FUNCTION;
	/* PCICMD: I/O, memory and bus master hardwired on; special cycles RW */
	put_le16(d->cfg + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		 PCI_COMMAND_MASTER);
	put_le16(d->wmask + PCI_COMMAND, 0x0008);
	put_le16(d->cfg + PCI_STATUS, 0x0200);    /* DEVSEL medium */
	d->wmask[PCI_CACHE_LINE_SIZE] = 0;
	d->wmask[PCI_INTERRUPT_LINE] = 0;
	for (unsigned int p = 0; p < 4; p++) {
		d->cfg[PIIX3_PIRQRC + p] = PIIX3_PIRQ_DISABLE;
		d->wmask[PIIX3_PIRQRC + p] = PIIX3_PIRQ_DISABLE | PIIX3_PIRQ_IRQ;
	}
	d->cfg_write = piix3_cfg_write;
	d->reset = piix3_reset;
}

/* ---- the host ------------------------------------------------------------- */

int pci_host_create(const struct pci_bus_host *host, struct pci_host **out)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	if (pthread_mutex_init(&h->lock, NULL)) {
		free(h);
		return -ENOMEM;
	}
	h->bus = pci_bus_create(host);
	if (!h->bus)
		goto err;
	i440fx_init(&h->i440fx);
	piix3_init(&h->piix3);
	rc = pci_bus_add_fn(h->bus, &h->i440fx, PCI_HOST_I440FX_DEVFN >> 3, 0);
	if (rc == 0)
		rc = pci_bus_add_fn(h->bus, &h->piix3, PCI_HOST_PIIX3_DEVFN >> 3, 0);
	if (rc)
		goto err;
	pci_bus_set_pirq_router(h->bus, PCI_HOST_PIIX3_DEVFN, PIIX3_PIRQRC);
	*out = h;
	return 0;
err:
	pci_bus_destroy(h->bus);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return rc;
}

static void pci_host_unregister_ports(struct pci_host *h)
{
	if (!h->traps)
		return;
	trap_unregister(h->traps, TRAP_PIO, PCI_HOST_PORT_ADDR);
	trap_unregister(h->traps, TRAP_PIO, PCI_HOST_PORT_DATA);
	trap_unregister(h->traps, TRAP_PIO, PCI_HOST_PORT_ELCR);
	h->traps = NULL;
}

void pci_host_destroy(struct pci_host *h)
{
	if (!h)
		return;
	pci_host_unregister_ports(h);
	pci_bus_destroy(h->bus);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

struct pci_bus *pci_host_bus(struct pci_host *h)
{
	return h->bus;
}

static uint32_t size_mask(unsigned int size)
{
	return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

/* CONFIG_DATA at offset off (0-3): the function and register it selects. */
static bool pci_host_decode(struct pci_host *h, unsigned int off, uint8_t *devfn,
			    unsigned int *reg)
{
	uint32_t a = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);

	if (!(a & PCI_HOST_ADDR_ENABLE) || ((a >> 16) & 0xFF) != 0)
		return false;
	*devfn = (uint8_t)(a >> 8);
	*reg = (a & 0xFC) + off;
	return true;
}

uint32_t pci_host_io_read(struct pci_host *h, uint16_t port, unsigned int size)
{
	uint32_t v = 0xFFFFFFFFu;
	uint8_t devfn;
	unsigned int reg;

	if (size != 1 && size != 2 && size != 4)
		return v;
	if (port == PCI_HOST_PORT_ADDR) {
		if (size == 4)
			v = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);
	} else if (port >= PCI_HOST_PORT_DATA && port < PCI_HOST_PORT_DATA + 4) {
		if (pci_host_decode(h, port - PCI_HOST_PORT_DATA, &devfn, &reg))
			v = pci_bus_cfg_read(h->bus, devfn, reg, size);
	} else if (port == PCI_HOST_PORT_ELCR || port == PCI_HOST_PORT_ELCR + 1) {
		unsigned int i = port - PCI_HOST_PORT_ELCR;
		pthread_mutex_lock(&h->lock);
		v = h->elcr[i];
		if (size > 1 && i == 0)
			v |= (uint32_t)h->elcr[1] << 8;
		pthread_mutex_unlock(&h->lock);
	}
	return v & size_mask(size);
}

void pci_host_io_write(struct pci_host *h, uint16_t port, unsigned int size,
		       uint32_t val)
{
	uint8_t devfn;
	unsigned int reg;

	if (size != 1 && size != 2 && size != 4)
		return;
	val &= size_mask(size);
	if (port == PCI_HOST_PORT_ADDR) {
		if (size == 4)
			__atomic_store_n(&h->config_address, val & PCI_HOST_ADDR_MASK,
					 __ATOMIC_RELAXED);
	} else if (port >= PCI_HOST_PORT_DATA && port < PCI_HOST_PORT_DATA + 4) {
		if (pci_host_decode(h, port - PCI_HOST_PORT_DATA, &devfn, &reg))
			pci_bus_cfg_write(h->bus, devfn, reg, size, val);
	} else if (port == PCI_HOST_PORT_ELCR || port == PCI_HOST_PORT_ELCR + 1) {
		static const uint8_t mask[2] = { PIIX3_ELCR1_MASK, PIIX3_ELCR2_MASK };
		unsigned int i = port - PCI_HOST_PORT_ELCR;
		pthread_mutex_lock(&h->lock);
		for (unsigned int k = 0; k < size && i + k < 2; k++)
			h->elcr[i + k] = (uint8_t)(val >> (8 * k)) & mask[i + k];
		pthread_mutex_unlock(&h->lock);
	}
}

static uint64_t pci_host_trap_read(struct pci_host *h, uint16_t base, uint64_t off,
				   unsigned int size)
{
	return pci_host_io_read(h, (uint16_t)(base + off), size);
}

static uint64_t addr_read(void *opaque, uint64_t off, unsigned int size)
{
	return pci_host_trap_read(opaque, PCI_HOST_PORT_ADDR, off, size);
}

static void addr_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	pci_host_io_write(opaque, (uint16_t)(PCI_HOST_PORT_ADDR + off), size, (uint32_t)val);
}

static uint64_t data_read(void *opaque, uint64_t off, unsigned int size)
{
	return pci_host_trap_read(opaque, PCI_HOST_PORT_DATA, off, size);
}

static void data_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	pci_host_io_write(opaque, (uint16_t)(PCI_HOST_PORT_DATA + off), size, (uint32_t)val);
}

static uint64_t elcr_read(void *opaque, uint64_t off, unsigned int size)
{
	return pci_host_trap_read(opaque, PCI_HOST_PORT_ELCR, off, size);
}

static void elcr_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	pci_host_io_write(opaque, (uint16_t)(PCI_HOST_PORT_ELCR + off), size, (uint32_t)val);
}

static const struct trap_ops addr_ops = { addr_read, addr_write };
static const struct trap_ops data_ops = { data_read, data_write };
static const struct trap_ops elcr_ops = { elcr_read, elcr_write };

int pci_host_register_ports(struct pci_host *h, struct trap_map *t)
{
	int rc;

	if (h->traps)
		return -EBUSY;
	rc = trap_register(t, TRAP_PIO, PCI_HOST_PORT_ADDR, 1, &addr_ops, h);
	if (rc)
		return rc;
	rc = trap_register(t, TRAP_PIO, PCI_HOST_PORT_DATA, 4, &data_ops, h);
	if (rc)
		goto err_addr;
	rc = trap_register(t, TRAP_PIO, PCI_HOST_PORT_ELCR, 2, &elcr_ops, h);
	if (rc)
		goto err_data;
	h->traps = t;
	return 0;
err_data:
	trap_unregister(t, TRAP_PIO, PCI_HOST_PORT_DATA);
err_addr:
	trap_unregister(t, TRAP_PIO, PCI_HOST_PORT_ADDR);
	return rc;
}

void pci_host_reset(struct pci_host *h)
{
	__atomic_store_n(&h->config_address, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&h->lock);
	h->elcr[0] = h->elcr[1] = 0;
	pthread_mutex_unlock(&h->lock);
	pci_bus_reset(h->bus);
}

/*
 * Layout (version 1): CONFIG_ADDRESS, ELCR1, ELCR2, then the i440FX's and
 * the PIIX3's pci_dev_snapshot() records.  Other PCI devices save their
 * own config space with their own records.  Like every device's
 * snapshot, it runs while the vCPUs are paused.
 */
int pci_host_snapshot(struct pci_host *h, struct snap *s)
{
	uint32_t version = 1;
	uint32_t addr = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);
	uint8_t elcr[2];

	pthread_mutex_lock(&h->lock);
	memcpy(elcr, h->elcr, sizeof(elcr));
	pthread_mutex_unlock(&h->lock);
	snap_section(s, "pci-host", &version);
	snap_u32(s, &addr);
	snap_u8(s, &elcr[0]);
	snap_u8(s, &elcr[1]);
	if (snap_loading(s)) {
		/* a locked SMRAM in this instance must not refuse the saved one */
		i440fx_reset(&h->i440fx);
	}
	pci_dev_snapshot(&h->i440fx, s);
	pci_dev_snapshot(&h->piix3, s);
	if (snap_loading(s)) {
		if (!snap_error(s)) {
			__atomic_store_n(&h->config_address, addr & PCI_HOST_ADDR_MASK,
					 __ATOMIC_RELAXED);
			pthread_mutex_lock(&h->lock);
			h->elcr[0] = elcr[0] & PIIX3_ELCR1_MASK;
			h->elcr[1] = elcr[1] & PIIX3_ELCR2_MASK;
			pthread_mutex_unlock(&h->lock);
		}
		/* derived state from whatever config space is now there */
		i440fx_smram_lock(&h->i440fx);
		piix3_push_routes(&h->piix3);
	}
	return snap_error(s);
}

/* ---- machine glue ----------------------------------------------------------- */

static int glue_map_memory(void *ctx, uint64_t gpa, uint64_t size, void *hva,
			   unsigned int flags)
{
	unsigned int mf = ((flags & PCI_MAP_READONLY) ? MACHINE_MEM_READONLY : 0) |
			  ((flags & PCI_MAP_DIRTY_LOG) ? MACHINE_MEM_DIRTY_LOG : 0);
	return machine_map_memory(ctx, gpa, size, hva, mf);
}

static int glue_unmap_memory(void *ctx, int handle)
{
	return machine_unmap_memory(ctx, handle);
}

static void glue_msi(void *ctx, uint64_t addr, uint32_t data)
{
	machine_msi(ctx, addr, data);
}

static void glue_set_gsi(void *ctx, unsigned int gsi, int level)
{
	struct irq_line line = machine_irq(ctx, gsi);
	irq_line_set(&line, level);
}

static void pci_host_dev_teardown(void *dev)
{
	pci_host_destroy(dev);
}

static void pci_host_dev_reset(void *dev)
{
	pci_host_reset(dev);
}

static int pci_host_dev_snapshot(void *dev, struct snap *s)
{
	return pci_host_snapshot(dev, s);
}

static const struct device_desc pci_host_desc;

static int pci_host_setup(struct machine *m)
{
	struct pci_bus_host host = {
		.traps = machine_traps(m),
		.map_memory = glue_map_memory,
		.unmap_memory = glue_unmap_memory,
		.msi = glue_msi,
		.set_gsi = glue_set_gsi,
		.ctx = m,
	};
	struct pci_host *h;
	int rc;

	rc = pci_host_create(&host, &h);
	if (rc)
		return rc;
	rc = pci_host_register_ports(h, machine_traps(m));
	if (rc == 0)
		rc = machine_attach(m, &pci_host_desc, h);
	if (rc) {
		pci_host_destroy(h);
		return rc;
	}
	machine_set_pci_bus(m, h->bus);
	return 0;
}

static const struct device_desc pci_host_desc = {
	.name = "pci-host",
	.order = DEVICE_ORDER_BUS,
	.setup = pci_host_setup,
	.teardown = pci_host_dev_teardown,
	.reset = pci_host_dev_reset,
	.snapshot = pci_host_dev_snapshot,
};
DEVICE_DEFINE(pci_host_desc);
