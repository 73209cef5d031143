/*
 * acpi.h - ACPI tables for direct Linux boot.
 *
 * When ttyvm boots a kernel itself (no firmware), it writes the tables a
 * BIOS would have left: RSDP, RSDT/XSDT, FADT, FACS, MADT and the DSDT
 * compiled from dsdt.asl.  They describe the machine of layout.h: the PM
 * registers, the SCI, the reset register, the LAPICs and the IOAPIC.
 */
#ifndef TTYVM_ACPI_H
#define TTYVM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/* vCPUs the tables can describe: xAPIC ids 0..253 (255 is broadcast). */
#define ACPI_MAX_CPUS 254

#define ACPI_OEM_ID       "TTYVM "    /* 6 bytes, as in every header */
#define ACPI_OEM_TABLE_ID "TTYVM   "  /* 8 bytes */

/*
 * Clears [LAYOUT_ACPI_START, +LAYOUT_ACPI_SIZE) of guest memory and writes
 * the ACPI tables for ncpus vCPUs (APIC id = ACPI processor UID = index)
 * there, the RSDP first at LAYOUT_ACPI_START, where a legacy scan of
 * 0xE0000-0xFFFFF finds it.  Stores the RSDP's guest address in *rsdp_gpa
 * (for boot_params.acpi_rsdp_addr or the PVH start info) unless rsdp_gpa
 * is NULL.  Returns 0, -EINVAL for ncpus outside 1..ACPI_MAX_CPUS, -EFAULT
 * when the window is not guest RAM, -ENOSPC when the tables do not fit,
 * -EIO when the embedded DSDT is malformed (a build error).
 * Nothing is allocated; the tables belong to guest memory.
 */
int acpi_build(struct guest_mem *gm, unsigned int ncpus, uint64_t *rsdp_gpa);

/*
 * The DSDT as iasl compiled it (header and checksum included), linked into
 * the binary by acpi_dsdt.S.  Returns a pointer to static read-only bytes
 * and stores their length in *len.
 */
const uint8_t *acpi_dsdt(size_t *len);

#endif
