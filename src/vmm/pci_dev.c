/*
 * pci_dev.c - describing a PCI function before it is plugged in: the
 * type 0 configuration header with its identity and default masks, Base
 * Address Registers, the expansion ROM and the capability list (PCI
 * Local Bus Specification 3.0, 6.1-6.2, 6.2.5, 6.7).
 *
 * BARs are sized as hardware does it: the writable mask is everything
 * above the size, so writing all ones reads back the size mask with the
 * read-only type bits (6.2.5.1).  I/O BARs keep all 32 bits writable above
 * the size, as QEMU's do and as SeaBIOS's sizing arithmetic expects; a
 * 64-bit memory BAR's upper half is the next register.  ROM BARs are at
 * least a page, so the bus can map them as a memory slot.  All of this is
 * plain data on the device; pci.c acts on it once the device is on a bus.
 */
#include "vmm/pci.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/pci_priv.h"

#define PCI_BAR_IO_MIN  4
#define PCI_BAR_IO_MAX  256                /* 6.2.5.1: at most 256 bytes */
#define PCI_BAR_MEM_MIN 16
#define PCI_BAR_MEM32_MAX (1ULL << 31)
#define PCI_BAR_MEM64_MAX (1ULL << 40)
#define PCI_ROM_MIN     4096               /* a page, so it can be a slot */
#define PCI_ROM_MAX     (16ULL << 20)      /* 6.2.5.2: up to 16 MiB */

static uint64_t pow2_roundup(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p)
		p <<= 1;
	return p;
}

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
		  uint16_t device, uint32_t class_code, uint8_t revision,
		  uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	put_le16(d->cfg + PCI_VENDOR_ID, vendor);
	put_le16(d->cfg + PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	d->cfg[PCI_CLASS_DEVICE] = (uint8_t)(class_code >> 8);
	d->cfg[PCI_CLASS_DEVICE + 1] = (uint8_t)(class_code >> 16);
	put_le16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put_le16(d->cfg + PCI_SUBSYSTEM_ID, subsys_id);

	put_le16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		 PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	put_le16(d->w1cmask + PCI_STATUS, PCI_STATUS_W1C);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xFF;
	d->wmask[PCI_INTERRUPT_LINE] = 0xFF;
	d->next_cap = PCI_CAP_START;
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		d->bar[i].mem_handle = -1;
	d->rom_bar.mem_handle = -1;
}

static bool bar_taken(const struct pci_dev *d, unsigned int idx)
{
	return d->bar[idx].type != PCI_BAR_UNUSED ||
	       (idx > 0 && d->bar[idx - 1].type == PCI_BAR_MEM64);
}

/* Common part of pci_set_bar_*: checks, size, type bits and masks. */
static int bar_declare(struct pci_dev *d, unsigned int idx, enum pci_bar_type type,
		       uint64_t size, bool prefetch)
{
	uint64_t min, max;
	uint32_t bits;
	unsigned int reg = PCI_BAR0 + 4 * idx;

	if (d->bus || idx >= PCI_NUM_BARS || size == 0)
		return -EINVAL;
	switch (type) {
	case PCI_BAR_IO:
		min = PCI_BAR_IO_MIN, max = PCI_BAR_IO_MAX;
		bits = PCI_BAR_SPACE_IO;
		prefetch = false;
		break;
	case PCI_BAR_MEM32:
		min = PCI_BAR_MEM_MIN, max = PCI_BAR_MEM32_MAX;
		bits = prefetch ? PCI_BAR_MEM_PREFETCH : 0;
		break;
	case PCI_BAR_MEM64:
		if (idx + 1 >= PCI_NUM_BARS)
			return -EINVAL;
		min = PCI_BAR_MEM_MIN, max = PCI_BAR_MEM64_MAX;
		bits = PCI_BAR_MEM_TYPE_64 | (prefetch ? PCI_BAR_MEM_PREFETCH : 0);
		break;
	default:
		return -EINVAL;
	}
	if (bar_taken(d, idx) || (type == PCI_BAR_MEM64 && bar_taken(d, idx + 1)))
		return -EBUSY;
	if (size > max)
		return -EINVAL;
	size = pow2_roundup(MAX(size, min));

	struct pci_bar *b = &d->bar[idx];
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->size = size;
	b->prefetch = prefetch;
	b->mem_handle = -1;
	put_le32(d->cfg + reg, bits);
	if (type == PCI_BAR_IO) {
		put_le32(d->wmask + reg, (uint32_t)~(size - 1) & ~3u);
	} else {
		put_le32(d->wmask + reg, (uint32_t)~(size - 1) & ~0xFu);
		if (type == PCI_BAR_MEM64) {
			put_le32(d->cfg + reg + 4, 0);
			put_le32(d->wmask + reg + 4, (uint32_t)(~(size - 1) >> 32));
		}
	}
	return 0;
}

int pci_set_bar_trap(struct pci_dev *d, unsigned int idx, enum pci_bar_type type,
		     uint64_t size, const struct trap_ops *ops, void *opaque)
{
	int rc;

	if (!ops)
		return -EINVAL;
	rc = bar_declare(d, idx, type, size, false);
	if (rc)
		return rc;
	d->bar[idx].ops = ops;
	d->bar[idx].opaque = opaque;
	return 0;
}

int pci_set_bar_ram(struct pci_dev *d, unsigned int idx, enum pci_bar_type type,
		    uint64_t size, uint8_t *ram, bool prefetch, bool dirty_log)
{
	int rc;

	if (!ram || type == PCI_BAR_IO || size < PCI_PAGE || size % PCI_PAGE ||
	    (uintptr_t)ram % PCI_PAGE)
		return -EINVAL;
	rc = bar_declare(d, idx, type, size, prefetch);
	if (rc)
		return rc;
	d->bar[idx].ram = ram;
	d->bar[idx].ram_size = size;
	d->bar[idx].dirty_log = dirty_log;
	return 0;
}

int pci_set_rom(struct pci_dev *d, const uint8_t *image, uint64_t size)
{
	uint64_t bar;

	if (d->bus || !image || size == 0 || size > PCI_ROM_MAX)
		return -EINVAL;
	if (d->rom_size)
		return -EBUSY;
	bar = pow2_roundup(MAX(size, (uint64_t)PCI_ROM_MIN));
	d->rom = image;
	d->rom_len = size;
	d->rom_size = bar;
	memset(&d->rom_bar, 0, sizeof(d->rom_bar));
	d->rom_bar.type = PCI_BAR_MEM32;
	d->rom_bar.size = bar;
	d->rom_bar.mem_handle = -1;
	put_le32(d->cfg + PCI_ROM_ADDRESS, 0);
	put_le32(d->wmask + PCI_ROM_ADDRESS, (uint32_t)~(bar - 1) | PCI_ROM_ADDRESS_ENABLE);
	return 0;
}

void pci_set_irq_pin(struct pci_dev *d, uint8_t pin)
{
	d->cfg[PCI_INTERRUPT_PIN] = pin <= 4 ? pin : 0;
}

int pci_add_cap(struct pci_dev *d, uint8_t cap_id, uint8_t len)
{
	unsigned int off = d->next_cap;

	if (len < 2)
		return -EINVAL;
	if (d->last_cap && off == 0)          /* the last one ended at 256 */
		return -ENOSPC;
	off = (unsigned int)ALIGN_UP(MAX(off, (unsigned int)PCI_CAP_START), 4);
	if (off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	d->cfg[off] = cap_id;
	d->cfg[off + 1] = 0;
	if (d->last_cap)
		d->cfg[d->last_cap + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->last_cap = (uint8_t)off;
	d->next_cap = (uint8_t)(off + len);   /* 256 wraps to 0: full */
	return (int)off;
}

