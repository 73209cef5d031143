/*
 * mptable.c - MP floating pointer and configuration table (Intel
 * MultiProcessor Specification 1.4, chapter 4).
 *
 * Direct boot writes this beside the ACPI tables so a guest booted with
 * acpi=off, or one that only knows MPS, still finds every vCPU.  The
 * floating pointer sits 16-byte aligned at LAYOUT_MPTABLE_START, inside
 * the 0xF0000-0xFFFFF BIOS area an OS scans; the base configuration table
 * follows it.  Entries come in the order the spec asks: processors, bus,
 * I/O APIC, I/O interrupt assignments, local interrupt assignments.  No
 * extended table.
 *
 * Buses: PCI bus 0 is MP bus 0 and the ISA bus is MP bus 1, the numbering
 * SeaBIOS uses (PCI buses first; Linux maps the n-th PCI bus entry to PCI
 * bus n).  PCI interrupts (MP spec D.3): for every slot asked for, INTA-D
 * (source bus IRQ = slot << 2 | pin, pin 0 = INTA) reach I/O APIC pin
 * PCI_GSI_BASE + pci_pirq(slot, pin) - the swizzle of pci.c and of the
 * DSDT's _PRT - level-triggered, active low as PCI INTx is (KVM's I/O APIC
 * ignores polarity; the guest programs it from here).
 *
 * Interrupt wiring (it must match how the machine routes KVM GSIs and the
 * ACPI MADT's overrides): the 8259's INTR reaches every LAPIC's LINT0
 * (ExtINT, virtual wire mode, as KVM delivers PIC interrupts); NMI on
 * LINT1.  On the I/O APIC, ISA IRQ0 (the PIT) is on pin 2 and the other
 * ISA IRQs on the pin of the same number.  IRQ2 is the 8259 cascade and
 * has no pin; no pin carries the 8259 output either, since KVM's PIC is
 * not wired to an I/O APIC input.
 *
 * I/O APIC id: the MP spec wants APIC ids unique across processors and
 * I/O APICs.  The processors hold 0..ncpus-1, so the I/O APIC takes
 * ncpus, the first free id, as the spec's own default configurations do
 * (two CPUs 0 and 1, I/O APIC 2).  With ncpus <= 254 it never reaches the
 * broadcast id 255.  (The ACPI MADT names the same I/O APIC id 0: ACPI
 * keeps I/O APIC ids apart from processor ids, MPS does not.)
 */
#include "vmm/mptable.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/pci.h"

/* MP floating pointer structure (4.1), 16 bytes */
#define MPF_LEN        16
#define MPF_PHYSPTR    4
#define MPF_LENGTH     8      /* in 16-byte units */
#define MPF_SPEC_REV   9
#define MPF_CHECKSUM   10
#define MPF_FEATURE1   11     /* 0: a configuration table is present */
#define MPF_FEATURE2   12     /* bit 7 IMCRP clear: virtual wire mode */

#define MP_SPEC_REV_1_4 4

/* MP configuration table header (4.2), 44 bytes */
#define MPC_BASE_LEN     4
#define MPC_SPEC_REV     6
#define MPC_CHECKSUM     7
#define MPC_OEM_ID       8
#define MPC_PRODUCT_ID   16
#define MPC_ENTRY_COUNT  34
#define MPC_LAPIC_ADDR   36
#define MPC_HEADER_LEN   44

#define MPC_OEM        "TTYVM   "        /* 8 bytes */
#define MPC_PRODUCT    "TTYVM PC    "    /* 12 bytes */

/* entry types (4.3) */
#define MP_PROCESSOR   0
#define MP_BUS         1
#define MP_IOAPIC      2
#define MP_INTSRC      3
#define MP_LINTSRC     4
#define MP_PROCESSOR_LEN 20
#define MP_ENTRY_LEN     8

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP     0x02
#define MP_IOAPIC_ENABLED 0x01

/* LAPIC version 0x14 (integrated xAPIC), I/O APIC version 0x11, as KVM's */
#define MP_LAPIC_VERSION  0x14
#define MP_IOAPIC_VERSION 0x11

/* CPUID(1).EAX-style signature (family 6, model 15, stepping 1) and the
 * feature bits the spec defines: FPU, MCE, CX8, APIC. */
#define MP_CPU_SIGNATURE 0x000006F1u
#define MP_CPU_FEATURES  ((1u << 0) | (1u << 7) | (1u << 8) | (1u << 9))

/* interrupt types (table 4-9) */
#define MP_INT    0
#define MP_NMI    1
#define MP_EXTINT 3

#define MP_IRQ_CONFORMS 0x0000   /* polarity and trigger as the bus has them */
#define MP_IRQ_PCI      0x000F   /* active low (3), level-triggered (3 << 2) */
#define MP_ALL_LAPICS   0xFF
#define MP_BUS_PCI      0
#define MP_BUS_ISA      1
#define MP_PCI_PINS     4
#define MP_ISA_IRQS     16
#define MP_ISA_CASCADE  2

/* Bytes of the base configuration table for ncpus processors and
 * nslots PCI slots; the entries mptable_build_pci() writes must add up to
 * exactly this. */
static size_t mptable_len(unsigned int ncpus, unsigned int nslots)
{
	return MPC_HEADER_LEN + (size_t)ncpus * MP_PROCESSOR_LEN +
	       2 * MP_ENTRY_LEN +                    /* buses: PCI, ISA */
	       MP_ENTRY_LEN +                        /* I/O APIC */
	       (MP_ISA_IRQS - 1) * MP_ENTRY_LEN +    /* all ISA IRQs but 2 */
	       (size_t)nslots * MP_PCI_PINS * MP_ENTRY_LEN + /* PCI INTA-D */
	       2 * MP_ENTRY_LEN;                     /* LINT0, LINT1 */
}

static uint8_t *mptable_cpu(uint8_t *p, unsigned int id)
{
	p[0] = MP_PROCESSOR;
	p[1] = (uint8_t)id;
	p[2] = MP_LAPIC_VERSION;
	p[3] = MP_CPU_ENABLED | (id == 0 ? MP_CPU_BSP : 0);
	put_le32(p + 4, MP_CPU_SIGNATURE);
	put_le32(p + 8, MP_CPU_FEATURES);
	/* 8 reserved bytes stay 0 */
	return p + MP_PROCESSOR_LEN;
}

/* An I/O (type 3) or local (type 4) interrupt assignment entry. */
static uint8_t *mptable_irq(uint8_t *p, uint8_t entry, uint8_t type, uint16_t flags,
			    uint8_t bus, uint8_t src_irq, uint8_t dst_apic, uint8_t dst_pin)
{
	p[0] = entry;
	p[1] = type;
	put_le16(p + 2, flags);
	p[4] = bus;
	p[5] = src_irq;
	p[6] = dst_apic;
	p[7] = dst_pin;
	return p + MP_ENTRY_LEN;
}

static uint8_t *mptable_bus(uint8_t *p, uint8_t id, const char type[6])
{
	p[0] = MP_BUS;
	p[1] = id;
	memcpy(p + 2, type, 6);
	return p + MP_ENTRY_LEN;
}

int mptable_build(struct guest_mem *gm, unsigned int ncpus)
{
	return mptable_build_pci(gm, ncpus, MPTABLE_ALL_PCI_SLOTS);
}

int mptable_build_pci(struct guest_mem *gm, unsigned int ncpus, uint32_t pci_irq_slots)
{
	uint8_t *base, *mpc, *p;
	uint8_t ioapic_id;
	size_t len;
	unsigned int count = 0;
	unsigned int nslots = (unsigned int)__builtin_popcount(pci_irq_slots);

	if (ncpus < 1 || ncpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	base = gmem_ptr(gm, LAYOUT_MPTABLE_START, LAYOUT_MPTABLE_SIZE);
	if (!base)
		return -EFAULT;
	len = mptable_len(ncpus, nslots);
	/* the base table length field is 16 bits */
	if (len > LAYOUT_MPTABLE_SIZE - MPF_LEN || len > UINT16_MAX)
		return -ENOSPC;
	memset(base, 0, LAYOUT_MPTABLE_SIZE);

	ioapic_id = (uint8_t)ncpus;
	mpc = base + MPF_LEN;
	p = mpc + MPC_HEADER_LEN;

	for (unsigned int i = 0; i < ncpus; i++, count++)
		p = mptable_cpu(p, i);

	p = mptable_bus(p, MP_BUS_PCI, "PCI   ");
	p = mptable_bus(p, MP_BUS_ISA, "ISA   ");
	count += 2;

	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = MP_IOAPIC_ENABLED;
	put_le32(p + 4, (uint32_t)LAYOUT_IOAPIC_BASE);
	p += MP_ENTRY_LEN;
	count++;

	for (unsigned int irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == MP_ISA_CASCADE)
			continue;
		uint8_t pin = irq == IRQ_PIT ? GSI_PIT : (uint8_t)irq;
		p = mptable_irq(p, MP_INTSRC, MP_INT, MP_IRQ_CONFORMS, MP_BUS_ISA,
				(uint8_t)irq, ioapic_id, pin);
		count++;
	}
	for (unsigned int slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		if (!(pci_irq_slots & (1u << slot)))
			continue;
		for (unsigned int pin = 0; pin < MP_PCI_PINS; pin++) {
			uint8_t gsi = (uint8_t)(PCI_GSI_BASE + pci_pirq(slot, pin + 1));
			p = mptable_irq(p, MP_INTSRC, MP_INT, MP_IRQ_PCI, MP_BUS_PCI,
					(uint8_t)(slot << 2 | pin), ioapic_id, gsi);
			count++;
		}
	}

	/* local interrupts come from the ISA side (8259 ExtINT), as SeaBIOS says */
	p = mptable_irq(p, MP_LINTSRC, MP_EXTINT, MP_IRQ_CONFORMS, MP_BUS_ISA, 0,
			MP_ALL_LAPICS, 0);
	p = mptable_irq(p, MP_LINTSRC, MP_NMI, MP_IRQ_CONFORMS, MP_BUS_ISA, 0,
			MP_ALL_LAPICS, 1);
	count += 2;

	memcpy(mpc, "PCMP", 4);
	put_le16(mpc + MPC_BASE_LEN, (uint16_t)len);
	mpc[MPC_SPEC_REV] = MP_SPEC_REV_1_4;
	memcpy(mpc + MPC_OEM_ID, MPC_OEM, 8);
	memcpy(mpc + MPC_PRODUCT_ID, MPC_PRODUCT, 12);
	put_le16(mpc + MPC_ENTRY_COUNT, (uint16_t)count);
	put_le32(mpc + MPC_LAPIC_ADDR, (uint32_t)LAYOUT_LAPIC_BASE);
	mpc[MPC_CHECKSUM] = (uint8_t)(0x100 - checksum8(mpc, len));

	memcpy(base, "_MP_", 4);
	put_le32(base + MPF_PHYSPTR, (uint32_t)(LAYOUT_MPTABLE_START + MPF_LEN));
	base[MPF_LENGTH] = 1;
	base[MPF_SPEC_REV] = MP_SPEC_REV_1_4;
	base[MPF_CHECKSUM] = (uint8_t)(0x100 - checksum8(base, MPF_LEN));
	return 0;
}
