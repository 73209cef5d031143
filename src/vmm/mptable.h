/*
 * mptable.h - Intel MultiProcessor Specification 1.4 tables.
 *
 * For direct boot with ACPI disabled (acpi=off) or for guests that predate
 * ACPI SMP, the MP floating pointer and configuration table describe the
 * vCPUs, the ISA bus, the IOAPIC and how the ISA IRQs reach it.
 */
#ifndef TTYVM_MPTABLE_H
#define TTYVM_MPTABLE_H

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

#endif
