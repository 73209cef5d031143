/*
 * acpi.h - ttyvm's ACPI tables, for direct Linux boot and for firmware.
 *
 * When ttyvm boots a kernel itself (no firmware), it writes the tables a
 * BIOS would have left: RSDP, RSDT/XSDT, FADT, FACS, MADT and the DSDT
 * compiled from dsdt.asl.  They describe the machine of layout.h: the PM
 * registers, the SCI, the reset register, the LAPICs and the IOAPIC.
 *
 * Under firmware boot the same tables go to SeaBIOS through fw_cfg, as
 * QEMU hands over its own: two relocatable blobs and the "table-loader"
 * commands that place them, patch their pointers and fix their checksums.
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

/* fw_cfg file names, as QEMU uses them */
#define ACPI_FILE_TABLES "etc/acpi/tables"
#define ACPI_FILE_RSDP   "etc/acpi/rsdp"
#define ACPI_FILE_LOADER "etc/table-loader"

/*
 * "etc/table-loader" format (QEMU hw/acpi/bios-linker-loader.c, SeaBIOS
 * src/fw/romfile_loader.h): 128-byte little-endian entries, each a le32
 * command and its arguments; file names are NUL-padded 56-byte fields.
 *   ALLOCATE     +4 file, +60 le32 alignment, +64 u8 zone
 *   ADD_POINTER  +4 dest file, +60 src file, +116 le32 offset, +120 u8 size:
 *                the size-byte value at dest+offset is an offset into src;
 *                the loader adds src's address to it.
 *   ADD_CHECKSUM +4 file, +60 le32 offset of the checksum byte, +64 le32
 *                start, +68 le32 length: the byte is adjusted so that
 *                [start, start+length) sums to zero.
 */
#define ACPI_LOADER_ENTRY_LEN    128
#define ACPI_LOADER_FILESZ       56
#define ACPI_LOADER_ALLOCATE     1
#define ACPI_LOADER_ADD_POINTER  2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH    1    /* anywhere in RAM below 4 GiB */
#define ACPI_LOADER_ZONE_FSEG    2    /* 0xE0000-0xFFFFF, where the RSDP scan looks */

/*
 * The tables as relocatable blobs: "etc/acpi/tables" holds the FACS (at
 * offset 0, 64-byte aligned), DSDT, FADT, MADT, RSDT and XSDT with every
 * table pointer stored as an offset into its blob; "etc/acpi/rsdp" the
 * RSDP; "etc/table-loader" the commands.  All three are malloc'ed and
 * belong to the caller (acpi_blobs_free).
 */
struct acpi_blobs {
	uint8_t *tables;
	size_t tables_len;
	uint8_t *rsdp;
	size_t rsdp_len;
	uint8_t *loader;
	size_t loader_len;
};

/*
 * Builds the blobs for ncpus vCPUs.  Returns 0, -EINVAL for ncpus outside
 * 1..ACPI_MAX_CPUS, -ENOSPC when the tables exceed what acpi_build() could
 * place, -EIO when the embedded DSDT is malformed, -ENOMEM.  On error
 * nothing is left allocated.
 */
int acpi_build_blobs(unsigned int ncpus, struct acpi_blobs *out);
void acpi_blobs_free(struct acpi_blobs *b);

/*
 * Clears [LAYOUT_ACPI_START, +LAYOUT_ACPI_SIZE) of guest memory and writes
 * the ACPI tables for ncpus vCPUs (APIC id = ACPI processor UID = index)
 * there, the RSDP first at LAYOUT_ACPI_START, where a legacy scan of
 * 0xE0000-0xFFFFF finds it.  Stores the RSDP's guest address in *rsdp_gpa
 * (for boot_params.acpi_rsdp_addr or the PVH start info) unless rsdp_gpa
 * is NULL.  Returns 0, -EINVAL for ncpus outside 1..ACPI_MAX_CPUS, -EFAULT
 * when the window is not guest RAM, -ENOSPC when the tables do not fit,
 * -EIO when the embedded DSDT is malformed (a build error), -ENOMEM.
 * The tables are the blobs of acpi_build_blobs(), placed and linked by the
 * same loader commands the firmware runs: RSDP at the window's start,
 * tables 64 bytes in.  Nothing stays allocated; the tables belong to guest
 * memory.
 */
int acpi_build(struct guest_mem *gm, unsigned int ncpus, uint64_t *rsdp_gpa);

/*
 * The DSDT as iasl compiled it (header and checksum included), linked into
 * the binary by acpi_dsdt.S.  Returns a pointer to static read-only bytes
 * and stores their length in *len.
 */
const uint8_t *acpi_dsdt(size_t *len);

#endif
