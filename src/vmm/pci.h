/*
 * pci.h - the PCI device model API every PCI device shares.
 *
 * A device embeds a struct pci_dev, fills its identity with pci_dev_init(),
 * declares its BARs with pci_set_bar_*() and plugs into the bus with
 * pci_bus_add().  The bus owns configuration space semantics (read-only,
 * writable and write-1-to-clear bits, BAR sizing, the command register)
 * and maps a BAR into the guest when the guest enables decoding: trapped
 * BARs through the trap map, memory-backed BARs (a VGA framebuffer) as a
 * KVM memory slot, so guest accesses to them never exit.
 *
 * Interrupts: pci_intx() drives the device's INTx pin (level); the bus
 * swizzles it to a PIRQ and raises the routed lines.  MSI-X is provided
 * as a helper (pci_msix_*) that owns the table and PBA inside a BAR.
 *
 * Configuration accesses arrive on vCPU threads; a device whose
 * cfg_write hook touches its own state takes its own lock.
 *
 * Locks (pci.c): the bus has a config lock (device table, config space,
 * BAR placement) and an interrupt lock (INTx wired-OR, PIRQ routes,
 * MSI-X tables).  Order: config lock -> device's own lock -> interrupt
 * lock; the interrupt lock is a leaf.  So cfg_write and reset hooks run
 * with the config lock held and may take the device's lock and call
 * pci_intx()/pci_msix_*(), but must not call pci_bus_cfg_*() or other
 * pci_bus_*() functions; device code holding its own lock may call
 * pci_intx() and pci_msix_*() but not pci_bus_cfg_*().
 */
#ifndef TTYVM_PCI_H
#define TTYVM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/snap.h"
#include "vmm/trap.h"

#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_MAX_SLOTS 32

/* standard config registers */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define  PCI_COMMAND_IO      0x1
#define  PCI_COMMAND_MEMORY  0x2
#define  PCI_COMMAND_MASTER  0x4
#define  PCI_COMMAND_INTX_DISABLE 0x400
#define  PCI_COMMAND_SERR    0x100
#define PCI_STATUS           0x06
#define  PCI_STATUS_INTERRUPT 0x08
#define  PCI_STATUS_CAP_LIST 0x10
#define  PCI_STATUS_W1C      0xF900  /* error bits, write 1 to clear */
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_CLASS_DEVICE     0x0a    /* sub-class and base class */
#define PCI_CACHE_LINE_SIZE  0x0c
#define PCI_LATENCY_TIMER    0x0d
#define PCI_HEADER_TYPE      0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BAR0             0x10
#define  PCI_BAR_SPACE_IO    0x01
#define  PCI_BAR_MEM_TYPE_64 0x04
#define  PCI_BAR_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID     0x2e
#define PCI_ROM_ADDRESS      0x30
#define  PCI_ROM_ADDRESS_ENABLE 0x01
#define PCI_CAPABILITY_LIST  0x34
#define PCI_INTERRUPT_LINE   0x3c
#define PCI_INTERRUPT_PIN    0x3d
#define PCI_CAP_START        0x40    /* first byte after the standard header */

#define PCI_CAP_ID_MSI       0x05
#define PCI_CAP_ID_VNDR      0x09
#define PCI_CAP_ID_MSIX      0x11

/* MSI-X capability (PCI 3.0, 6.8.2): offsets from the capability */
#define PCI_MSIX_FLAGS       2       /* message control, 16 bits */
#define  PCI_MSIX_FLAGS_QSIZE  0x07FF  /* table size - 1 (RO) */
#define  PCI_MSIX_FLAGS_MASKALL 0x4000 /* function mask */
#define  PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE       4       /* table offset | BIR */
#define PCI_MSIX_PBA         8       /* PBA offset | BIR */
#define PCI_MSIX_CAP_LEN     12
#define PCI_MSIX_ENTRY_SIZE  16      /* addr lo, addr hi, data, vector control */
#define  PCI_MSIX_ENTRY_MASKED 0x1
/* Vectors a device may have (the spec allows 2048; 128 is plenty here). */
#define PCI_MSIX_MAX_VECTORS 128

enum pci_bar_type {
	PCI_BAR_UNUSED = 0,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,     /* takes this BAR and the next */
};

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;           /* power of two, >= 16 (MEM: >= 4096 is wise) */
	bool prefetch;
	/* trapped BAR: accesses go to ops with the offset inside the BAR */
	const struct trap_ops *ops;
	void *opaque;
	/* or memory-backed BAR: host memory mapped into the guest */
	uint8_t *ram;
	uint64_t ram_size;       /* bytes of ram mapped (<= size; set by pci.c) */
	bool dirty_log;          /* ask KVM to track writes (framebuffers) */
	int mem_handle;          /* machine_map_memory handle while mapped */
	/* current placement, maintained by the bus */
	uint64_t addr;
	bool mapped;
};

struct pci_dev;
struct pci_bus;

/*
 * MSI-X state, owned by pci.c (pci_msix_*); embedded in struct pci_dev so
 * a device needs no destructor for it.  Guarded by the bus's interrupt
 * lock.  Devices use the functions, never the fields.
 */
struct pci_msix {
	unsigned int nvec;
	unsigned int bar;
	uint32_t table_off, pba_off;
	uint8_t cap;             /* offset of the capability in config space */
	bool enabled, masked;    /* message control ENABLE and MASKALL */
	struct {
		uint64_t addr;
		uint32_t data;
		uint32_t ctrl;   /* vector control: bit 0 masked */
	} entry[PCI_MSIX_MAX_VECTORS];
	uint64_t pba[(PCI_MSIX_MAX_VECTORS + 63) / 64];
};

struct pci_dev {
	const char *name;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may change */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits the guest clears by writing 1 */
	struct pci_bar bar[PCI_NUM_BARS];
	/* expansion ROM (option ROM), read-only, mapped when enabled */
	const uint8_t *rom;
	uint64_t rom_size;       /* power of two, 0 = none */
	struct pci_bar rom_bar;
	struct pci_bus *bus;
	uint8_t devfn;           /* slot << 3 | function */
	uint8_t next_cap;        /* where the next capability goes */
	int intx_level;
	struct pci_msix *msix;
	/* device hooks (optional): called after the bus applied a config
	 * write / before it answers a read of bytes the device owns */
	void (*cfg_write)(struct pci_dev *d, unsigned int off, unsigned int size,
			  uint32_t val);
	void (*reset)(struct pci_dev *d); /* device-specific part of a reset */
	void *opaque;
	/* the rest is private to the bus (pci.c, pci_dev.c, pci_irq.c) */
	uint64_t rom_len;        /* bytes of the ROM image (rom_size: BAR size) */
	uint8_t last_cap;        /* offset of the last capability, 0 none */
	uint8_t intx_pin;        /* INTERRUPT_PIN as plugged in (irq lock) */
	bool intx_disabled;      /* COMMAND.INTX_DISABLE, under the irq lock */
	bool intx_out;           /* this function currently asserts its PIRQ */
	struct pci_msix msix_state;
};

/* What the bus needs from the machine (unit tests pass fakes). */
struct pci_bus_host {
	struct trap_map *traps;
	/* Maps/unmaps host memory in the guest (KVM slot).  flags: below. */
	int (*map_memory)(void *ctx, uint64_t gpa, uint64_t size, void *hva,
			  unsigned int flags);
	int (*unmap_memory)(void *ctx, int handle);
	/* Sends an MSI (address/data as the guest programmed them). */
	void (*msi)(void *ctx, uint64_t addr, uint32_t data);
	/* Drives a GSI (PIC/IOAPIC input) to a level. */
	void (*set_gsi)(void *ctx, unsigned int gsi, int level);
	void *ctx;
};

#define PCI_MAP_READONLY  0x1
#define PCI_MAP_DIRTY_LOG 0x2

/* Fills identity registers and default masks; class is 0xCCSSPP.  Clears
 * all of *d first, so call it before setting hooks and opaque. */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
		  uint16_t device, uint32_t class_code, uint8_t revision,
		  uint16_t subsys_vendor, uint16_t subsys_id);
/* Declares BAR idx trapped by ops (size rounded up to a power of two; I/O
 * 4..256, MEM32 up to 2 GiB).  0, -EINVAL, -EBUSY (BAR or its pair taken). */
int pci_set_bar_trap(struct pci_dev *d, unsigned int idx, enum pci_bar_type type,
		     uint64_t size, const struct trap_ops *ops, void *opaque);
/* Declares BAR idx backed by host memory ram[0..size): ram page-aligned,
 * size a page multiple; the BAR decodes size rounded up to a power of two
 * and maps the size bytes as a KVM slot.  0, -EINVAL, -EBUSY. */
int pci_set_bar_ram(struct pci_dev *d, unsigned int idx, enum pci_bar_type type,
		    uint64_t size, uint8_t *ram, bool prefetch, bool dirty_log);
/* Declares an expansion ROM with the given image.  The bus copies it into
 * a page-aligned buffer when it can map it as a read-only memory slot and
 * otherwise reads it through the pointer: image must outlive the device. */
int pci_set_rom(struct pci_dev *d, const uint8_t *image, uint64_t size);
/* Sets the interrupt pin (1 = INTA .. 4 = INTD; 0 none), before pci_bus_add. */
void pci_set_irq_pin(struct pci_dev *d, uint8_t pin);
/* Adds a capability of len bytes; returns its offset or -ENOSPC. */
int pci_add_cap(struct pci_dev *d, uint8_t cap_id, uint8_t len);

/* Drives INTx (honours PCI_COMMAND_INTX_DISABLE, sets status bit 3).
 * Also gated while MSI-X is enabled (PCI 3.0, 6.8.3.3: a function with
 * MSI-X enabled does not use INTx).  Cheap when the level is unchanged. */
void pci_intx(struct pci_dev *d, int level);

/* MSI-X: nvec vectors, table and PBA inside BAR bar_idx (which the device
 * declares with pci_set_bar_trap and forwards accesses at those offsets to
 * pci_msix_table_read/write).  0 or -errno. */
int pci_msix_init(struct pci_dev *d, unsigned int nvec, unsigned int bar_idx,
		  uint32_t table_off, uint32_t pba_off);
bool pci_msix_enabled(const struct pci_dev *d);
/* Sends vector (or sets its pending bit while masked).  false when MSI-X
 * is off, so the device can fall back to INTx. */
bool pci_msix_notify(struct pci_dev *d, unsigned int vector);
uint64_t pci_msix_read(struct pci_dev *d, uint64_t off, unsigned int size);
void pci_msix_write(struct pci_dev *d, uint64_t off, unsigned int size, uint64_t val);

/* The bus. */
struct pci_bus *pci_bus_create(const struct pci_bus_host *host);
/* Unmaps every BAR it mapped and frees the bus.  Never touches the
 * devices (the machine frees them first), which must not use the bus
 * afterwards. */
void pci_bus_destroy(struct pci_bus *bus);
/* Plugs d in at slot (-1: first free).  0 or -errno (-EBUSY, -ENOSPC).
 * Declare BARs, ROM, capabilities and MSI-X before: the config space as
 * it is now is what a reset brings back. */
int pci_bus_add(struct pci_bus *bus, struct pci_dev *d, int slot);
/* Same, at function fn (0-7) of slot (no -1): for multi-function devices,
 * whose function 0 sets PCI_HEADER_TYPE_MULTI_FUNCTION. */
int pci_bus_add_fn(struct pci_bus *bus, struct pci_dev *d, unsigned int slot,
		   unsigned int fn);
/* Unplugs d: unmaps its BARs, drops its INTx.  d may be freed afterwards
 * once no vCPU can be inside one of its BAR callbacks (trap.h). */
void pci_bus_remove(struct pci_bus *bus, struct pci_dev *d);
/* Config mechanism #1 access (bus 0 only): devfn, register, size 1/2/4. */
uint32_t pci_bus_cfg_read(struct pci_bus *bus, uint8_t devfn, unsigned int off,
			  unsigned int size);
void pci_bus_cfg_write(struct pci_bus *bus, uint8_t devfn, unsigned int off,
		       unsigned int size, uint32_t val);
/* Places every BAR at a default address and enables decoding, for direct
 * kernel boot where no firmware does it: what SeaBIOS's pciinit does,
 * including the PIRQ routes and INTERRUPT_LINE (PCI_PIRQ_ISA_IRQS).
 * 0, -ENOSPC (nothing enabled then) or -ENOMEM. */
int pci_bus_assign_default(struct pci_bus *bus);
/* System reset: every device's config space to power-on state, BARs off. */
void pci_bus_reset(struct pci_bus *bus);
/* Saves or loads config space, BAR placement, INTx level and MSI-X state
 * (section "pci-dev").  Loading checks the identity registers match
 * (-EINVAL), takes only guest-writable bits from the stream, then maps
 * what the loaded COMMAND/BARs enable.  0 or -errno. */
int pci_dev_snapshot(struct pci_dev *d, struct snap *s);

/*
 * Chipset interrupt routing, for the ISA bridge model (pci_host.c).
 * PIRQ p (0 = PIRQA) of INTx pin (1 = INTA) of a device in slot is
 * (slot + pin - 1) % 4: the swizzle of the PIIX3, SeaBIOS and the DSDT's
 * _PRT.  Every asserted PIRQ drives GSI PCI_GSI_BASE + p and, when routed,
 * ISA IRQ isa_irq as well (wired-OR over every function and PIRQ).
 * isa_irq < 0 (or a reserved value: 0-2, 8, 13, > 15) disables the route.
 */
static inline unsigned int pci_pirq(unsigned int slot, unsigned int pin)
{
	return (slot + pin - 1) % 4;
}
void pci_bus_set_pirq_route(struct pci_bus *bus, unsigned int pirq, int isa_irq);
/* Where the ISA bridge keeps its four PIRQ route registers (devfn, config
 * offset), so pci_bus_assign_default() can program them as SeaBIOS does. */
void pci_bus_set_pirq_router(struct pci_bus *bus, uint8_t devfn, uint8_t reg);
/* The ISA IRQs SeaBIOS routes PIRQA-D to (and writes to INTERRUPT_LINE). */
#define PCI_PIRQ_ISA_IRQS { 10, 10, 11, 11 }
/* Bit n set: slot n holds a function with an interrupt pin (MP table). */
uint32_t pci_bus_irq_slots(struct pci_bus *bus);

/* PCI window in the 32-bit hole and I/O space handed to devices */
#define PCI_MMIO_START  0xC0000000ULL
#define PCI_MMIO_END    0xFEC00000ULL
#define PCI_IO_START    0xC000
#define PCI_IO_END      0x10000
/* INTx: PIRQ A-D reach IOAPIC GSIs 16-19 (the DSDT _PRT says so) and,
 * when the ISA bridge's PIRQ route registers enable it, an ISA IRQ. */
#define PCI_GSI_BASE    16

#endif
