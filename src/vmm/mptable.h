/*
 * mptable.h - Intel MultiProcessor Specification 1.4 tables.
 *
 * For direct boot with ACPI disabled (acpi=off) or for guests that predate
 * ACPI SMP, the MP floating pointer and configuration table describe the
 * vCPUs, the PCI and ISA buses, the IOAPIC and how ISA IRQs and PCI INTx
 * reach it.
 */
#ifndef TTYVM_MPTABLE_H
#define TTYVM_MPTABLE_H

#include <stdint.h>

struct guest_mem;

/* vCPUs the table can describe: APIC ids 0..253, the IOAPIC takes ncpus. */
#define MPTABLE_MAX_CPUS 254

/*
 * Clears [LAYOUT_MPTABLE_START, +LAYOUT_MPTABLE_SIZE) of guest memory and
 * writes the floating pointer structure at its start, followed by the
 * configuration table, for ncpus vCPUs (APIC id = index, CPU 0 the BSP).
 * The IOAPIC gets APIC id ncpus, the first id no processor uses.  Returns
 * 0, -EINVAL for ncpus outside 1..MPTABLE_MAX_CPUS, -EFAULT when the window
 * is not guest RAM, -ENOSPC when the table does not fit.  Nothing is
 * allocated; the table belongs to guest memory.
 */
int mptable_build(struct guest_mem *gm, unsigned int ncpus);

/*
 * Same, with PCI interrupt assignments (INTA-INTD to I/O APIC pins 16-19)
 * for the slots whose bit is set in pci_irq_slots - pci_bus_irq_slots()
 * of the machine's bus.  mptable_build() lists all 32 slots
 * (MPTABLE_ALL_PCI_SLOTS), which is never wrong, only longer.
 */
#define MPTABLE_ALL_PCI_SLOTS 0xFFFFFFFFu
int mptable_build_pci(struct guest_mem *gm, unsigned int ncpus, uint32_t pci_irq_slots);

#endif
