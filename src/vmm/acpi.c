/*
 * acpi.c - ACPI tables for direct Linux boot (ACPI 6.0).
 *
 * Writes into the guest window [LAYOUT_ACPI_START, +LAYOUT_ACPI_SIZE) the
 * tables a PC BIOS would leave behind: the RSDP (revision 2) at the start
 * of the window so the legacy 0xE0000-0xFFFFF scan finds it, an RSDT and
 * an XSDT listing the FADT and the MADT, the FADT (revision 6.0) pointing
 * at the FACS and the DSDT, and the MADT with one Processor Local APIC per
 * vCPU.  The DSDT is not built here: it is written in ASL (dsdt.asl),
 * compiled by iasl at build time and copied in unchanged.  Every value
 * comes from layout.h, so the tables, the devices and the e820 map agree.
 *
 * Fields are written one by one, little-endian, at the offsets of the
 * ACPI 6.0 tables (section 5.2); no packed structs are overlaid on guest
 * memory.  This file does not emulate anything: the PM1/GPE/timer/reset
 * registers the FADT names are pm.c's, the SCI is raised there.  Under
 * firmware boot (SeaBIOS) these tables are not used.
 */
#include "vmm/acpi.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

/* The AML from dsdt.asl, between these symbols (acpi_dsdt.S). */
extern const uint8_t acpi_dsdt_start[];
extern const uint8_t acpi_dsdt_end[];

#define ACPI_CREATOR_ID  "TTYV"
#define ACPI_CREATOR_REV 1
#define ACPI_OEM_REV     1

/* System Description Table header (5.2.6), 36 bytes */
#define SDT_SIGNATURE    0
#define SDT_LENGTH       4
#define SDT_REVISION     8
#define SDT_CHECKSUM     9
#define SDT_OEM_ID       10
#define SDT_OEM_TABLE_ID 16
#define SDT_OEM_REVISION 24
#define SDT_CREATOR_ID   28
#define SDT_CREATOR_REV  32
#define SDT_HEADER_LEN   36

/* Root System Description Pointer (5.2.5.3) */
#define RSDP_CHECKSUM     8    /* over the first 20 bytes (ACPI 1.0 part) */
#define RSDP_OEM_ID       9
#define RSDP_REVISION     15
#define RSDP_RSDT         16
#define RSDP_LENGTH       20
#define RSDP_XSDT         24
#define RSDP_EXT_CHECKSUM 32   /* over all 36 bytes */
#define RSDP_V1_LEN       20
#define RSDP_LEN          36

/* Fixed ACPI Description Table, revision 6 (5.2.9) */
#define FADT_REVISION       6
#define FADT_MINOR_REVISION 0
#define FADT_LEN            276
#define FADT_FIRMWARE_CTRL  36
#define FADT_DSDT           40
#define FADT_PM_PROFILE     45
#define FADT_SCI_INT        46
#define FADT_SMI_CMD        48
#define FADT_PM1A_EVT_BLK   56
#define FADT_PM1A_CNT_BLK   64
#define FADT_PM_TMR_BLK     76
#define FADT_GPE0_BLK       80
#define FADT_PM1_EVT_LEN    88
#define FADT_PM1_CNT_LEN    89
#define FADT_PM_TMR_LEN     91
#define FADT_GPE0_BLK_LEN   92
#define FADT_P_LVL2_LAT     96
#define FADT_P_LVL3_LAT     98
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS          112
#define FADT_RESET_REG      116
#define FADT_RESET_VALUE    128
#define FADT_MINOR_VERSION  131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT         140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK   208
#define FADT_X_GPE0_BLK     220

#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_SLP_BUTTON    (1u << 5)   /* set: no fixed sleep button */
#define FADT_F_TMR_VAL_EXT   (1u << 8)   /* 32-bit PM timer */
#define FADT_F_RESET_REG_SUP (1u << 10)

#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042           (1u << 1)

/* C2/C3 latencies above these mean "not supported" */
#define FADT_C2_UNSUPPORTED 101
#define FADT_C3_UNSUPPORTED 1001

/* Generic Address Structure (5.2.3.2), 12 bytes */
#define GAS_LEN           12
#define GAS_SYSTEM_IO     1
#define GAS_ACCESS_BYTE   1
#define GAS_ACCESS_WORD   2
#define GAS_ACCESS_DWORD  3

/* Firmware ACPI Control Structure (5.2.10); no checksum */
#define FACS_LEN     64
#define FACS_ALIGN   64
#define FACS_VERSION 2

/* Multiple APIC Description Table, revision 3 = ACPI 6.0 (5.2.12) */
#define MADT_REVISION        3
#define MADT_LAPIC_ADDR      36
#define MADT_FLAGS           40
#define MADT_ENTRIES         44
#define MADT_PCAT_COMPAT     (1u << 0)
#define MADT_LAPIC           0
#define MADT_LAPIC_LEN       8
#define MADT_LAPIC_ENABLED   (1u << 0)
#define MADT_IOAPIC          1
#define MADT_IOAPIC_LEN      12
#define MADT_ISO             2
#define MADT_ISO_LEN         10
#define MADT_LAPIC_NMI       4
#define MADT_LAPIC_NMI_LEN   6
#define MADT_ALL_PROCESSORS  0xFF
#define MADT_IOAPIC_ID       0

/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 */
#define MPS_INTI_CONFORMS     0x0
#define MPS_INTI_ACTIVE_HIGH  0x1
#define MPS_INTI_LEVEL        (0x3 << 2)

#define RSDT_REVISION 1
#define XSDT_REVISION 1
#define TABLE_ALIGN   16

/* The part of the guest window still free; offsets are from its start. */
struct acpi_area {
	uint8_t *hva;
	uint64_t gpa;
	size_t size;
	size_t used;
};

/* Reserves len bytes at the next multiple of align (a power of two) and
 * stores their guest address in *gpa; NULL (and *gpa 0) when full. */
static uint8_t *acpi_alloc(struct acpi_area *a, size_t len, size_t align,
			   uint64_t *gpa)
{
	size_t off = (size_t)ALIGN_UP((uint64_t)a->used, align);

	*gpa = 0;
	if (off > a->size || len > a->size - off)
		return NULL;
	a->used = off + len;
	*gpa = a->gpa + off;
	return a->hva + off;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t + SDT_SIGNATURE, sig, 4);
	put_le32(t + SDT_LENGTH, len);
	t[SDT_REVISION] = rev;
	t[SDT_CHECKSUM] = 0;
	memcpy(t + SDT_OEM_ID, ACPI_OEM_ID, 6);
	memcpy(t + SDT_OEM_TABLE_ID, ACPI_OEM_TABLE_ID, 8);
	put_le32(t + SDT_OEM_REVISION, ACPI_OEM_REV);
	memcpy(t + SDT_CREATOR_ID, ACPI_CREATOR_ID, 4);
	put_le32(t + SDT_CREATOR_REV, ACPI_CREATOR_REV);
}

/* Sets the byte at `at` so that the len bytes of t sum to zero. */
static void acpi_checksum(uint8_t *t, size_t len, size_t at)
{
	t[at] = 0;
	t[at] = (uint8_t)(0x100 - checksum8(t, len));
}

static void acpi_gas(uint8_t *p, uint8_t space, uint8_t bit_width,
		     uint8_t access, uint64_t addr)
{
	p[0] = space;
	p[1] = bit_width;
	p[2] = 0;             /* bit offset */
	p[3] = access;
	put_le64(p + 4, addr);
}

/* A PM register block in I/O space: the legacy field and its X_ twin. */
static void acpi_fadt_block(uint8_t *fadt, size_t blk, size_t len_at,
			    size_t x_blk, uint16_t port, uint8_t len,
			    uint8_t access)
{
	put_le32(fadt + blk, port);
	fadt[len_at] = len;
	acpi_gas(fadt + x_blk, GAS_SYSTEM_IO, (uint8_t)(len * 8), access, port);
}

static void acpi_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	acpi_header(t, "FACP", FADT_LEN, FADT_REVISION);
	put_le32(t + FADT_FIRMWARE_CTRL, (uint32_t)facs);
	put_le32(t + FADT_DSDT, (uint32_t)dsdt);
	t[FADT_PM_PROFILE] = 0;                     /* unspecified */
	put_le16(t + FADT_SCI_INT, IRQ_SCI);
	put_le32(t + FADT_SMI_CMD, 0);              /* always in ACPI mode */
	/* PM1 event and GPE0 blocks are two halves each (status, enable);
	 * the PM1 registers are 16 bits wide, GPE registers are bytes. */
	acpi_fadt_block(t, FADT_PM1A_EVT_BLK, FADT_PM1_EVT_LEN,
			FADT_X_PM1A_EVT_BLK, PORT_PM1A_EVT, 4, GAS_ACCESS_WORD);
	acpi_fadt_block(t, FADT_PM1A_CNT_BLK, FADT_PM1_CNT_LEN,
			FADT_X_PM1A_CNT_BLK, PORT_PM1A_CNT, 2, GAS_ACCESS_WORD);
	acpi_fadt_block(t, FADT_PM_TMR_BLK, FADT_PM_TMR_LEN,
			FADT_X_PM_TMR_BLK, PORT_PM_TMR, 4, GAS_ACCESS_DWORD);
	acpi_fadt_block(t, FADT_GPE0_BLK, FADT_GPE0_BLK_LEN,
			FADT_X_GPE0_BLK, PORT_GPE0, 4, GAS_ACCESS_BYTE);
	put_le16(t + FADT_P_LVL2_LAT, FADT_C2_UNSUPPORTED);
	put_le16(t + FADT_P_LVL3_LAT, FADT_C3_UNSUPPORTED);
	put_le16(t + FADT_IAPC_BOOT_ARCH,
		 FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042);
	/* PWR_BUTTON clear: the power button is a fixed feature (PM1 PWRBTN) */
	put_le32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 |
		 FADT_F_SLP_BUTTON | FADT_F_TMR_VAL_EXT | FADT_F_RESET_REG_SUP);
	acpi_gas(t + FADT_RESET_REG, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE,
		 PORT_RESET_CTL);
	t[FADT_RESET_VALUE] = RESET_CTL_VALUE;
	t[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
	put_le64(t + FADT_X_FIRMWARE_CTRL, facs);
	put_le64(t + FADT_X_DSDT, dsdt);
	acpi_checksum(t, FADT_LEN, SDT_CHECKSUM);
}

static void acpi_facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	put_le32(t + 4, FACS_LEN);
	t[32] = FACS_VERSION;    /* the rest (wake vectors, lock) stays 0 */
}

static size_t acpi_madt_len(unsigned int ncpus)
{
	return MADT_ENTRIES + (size_t)ncpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN +
	       2 * MADT_ISO_LEN + MADT_LAPIC_NMI_LEN;
}

static uint8_t *acpi_madt_iso(uint8_t *p, uint8_t irq, uint32_t gsi,
			      uint16_t flags)
{
	p[0] = MADT_ISO;
	p[1] = MADT_ISO_LEN;
	p[2] = 0;                 /* bus: ISA */
	p[3] = irq;
	put_le32(p + 4, gsi);
	put_le16(p + 8, flags);
	return p + MADT_ISO_LEN;
}

static void acpi_madt(uint8_t *t, size_t len, unsigned int ncpus)
{
	uint8_t *p = t + MADT_ENTRIES;

	acpi_header(t, "APIC", (uint32_t)len, MADT_REVISION);
	put_le32(t + MADT_LAPIC_ADDR, (uint32_t)LAYOUT_LAPIC_BASE);
	put_le32(t + MADT_FLAGS, MADT_PCAT_COMPAT);

	for (unsigned int i = 0; i < ncpus; i++, p += MADT_LAPIC_LEN) {
		p[0] = MADT_LAPIC;
		p[1] = MADT_LAPIC_LEN;
		p[2] = (uint8_t)i;        /* ACPI processor UID */
		p[3] = (uint8_t)i;        /* APIC id */
		put_le32(p + 4, MADT_LAPIC_ENABLED);
	}

	p[0] = MADT_IOAPIC;
	p[1] = MADT_IOAPIC_LEN;
	p[2] = MADT_IOAPIC_ID;
	p[3] = 0;
	put_le32(p + 4, (uint32_t)LAYOUT_IOAPIC_BASE);
	put_le32(p + 8, 0);               /* GSI base */
	p += MADT_IOAPIC_LEN;

	/* The PIT's IRQ0 is wired to IOAPIC pin 2; the SCI, as ACPI wants it
	 * on a PC, is level-triggered and active high. */
	p = acpi_madt_iso(p, IRQ_PIT, GSI_PIT, MPS_INTI_CONFORMS);
	p = acpi_madt_iso(p, IRQ_SCI, IRQ_SCI,
			  MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL);

	p[0] = MADT_LAPIC_NMI;
	p[1] = MADT_LAPIC_NMI_LEN;
	p[2] = MADT_ALL_PROCESSORS;
	put_le16(p + 3, MPS_INTI_CONFORMS);
	p[5] = 1;                          /* LINT1 */

	acpi_checksum(t, len, SDT_CHECKSUM);
}

/* RSDT (entry_size 4) or XSDT (8) listing the given tables. */
static void acpi_sdt(uint8_t *t, const char *sig, uint8_t rev,
		     size_t entry_size, const uint64_t *tables, size_t n)
{
	size_t len = SDT_HEADER_LEN + entry_size * n;

	acpi_header(t, sig, (uint32_t)len, rev);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = t + SDT_HEADER_LEN + entry_size * i;
		if (entry_size == 4)
			put_le32(e, (uint32_t)tables[i]);
		else
			put_le64(e, tables[i]);
	}
	acpi_checksum(t, len, SDT_CHECKSUM);
}

static void acpi_rsdp(uint8_t *p, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + RSDP_OEM_ID, ACPI_OEM_ID, 6);
	p[RSDP_REVISION] = 2;
	put_le32(p + RSDP_RSDT, (uint32_t)rsdt);
	put_le32(p + RSDP_LENGTH, RSDP_LEN);
	put_le64(p + RSDP_XSDT, xsdt);
	acpi_checksum(p, RSDP_V1_LEN, RSDP_CHECKSUM);
	acpi_checksum(p, RSDP_LEN, RSDP_EXT_CHECKSUM);
}

const uint8_t *acpi_dsdt(size_t *len)
{
	*len = (size_t)((uintptr_t)acpi_dsdt_end - (uintptr_t)acpi_dsdt_start);
	return acpi_dsdt_start;
}

int acpi_build(struct guest_mem *gm, unsigned int ncpus, uint64_t *rsdp_gpa)
{
	struct acpi_area a;
	uint64_t rsdp, facs, dsdt, fadt, madt, rsdt, xsdt;
	uint8_t *rsdp_p, *facs_p, *dsdt_p, *fadt_p, *madt_p, *rsdt_p, *xsdt_p;
	size_t dsdt_len, madt_len = acpi_madt_len(ncpus);
	const uint8_t *aml = acpi_dsdt(&dsdt_len);

	if (ncpus < 1 || ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	/* The AML is ours, built with the binary: a bad header is a bug. */
	if (dsdt_len < SDT_HEADER_LEN || get_le32(aml + SDT_LENGTH) != dsdt_len)
		return -EIO;

	a.hva = gmem_ptr(gm, LAYOUT_ACPI_START, LAYOUT_ACPI_SIZE);
	if (!a.hva)
		return -EFAULT;
	a.gpa = LAYOUT_ACPI_START;
	a.size = LAYOUT_ACPI_SIZE;
	a.used = 0;
	/* No stale table from an earlier boot may survive a rebuild. */
	memset(a.hva, 0, a.size);

	/* The RSDP must be first: LAYOUT_ACPI_START is 16-byte aligned. */
	rsdp_p = acpi_alloc(&a, RSDP_LEN, 16, &rsdp);
	facs_p = acpi_alloc(&a, FACS_LEN, FACS_ALIGN, &facs);
	dsdt_p = acpi_alloc(&a, dsdt_len, TABLE_ALIGN, &dsdt);
	fadt_p = acpi_alloc(&a, FADT_LEN, TABLE_ALIGN, &fadt);
	madt_p = acpi_alloc(&a, madt_len, TABLE_ALIGN, &madt);
	rsdt_p = acpi_alloc(&a, SDT_HEADER_LEN + 2 * 4, TABLE_ALIGN, &rsdt);
	xsdt_p = acpi_alloc(&a, SDT_HEADER_LEN + 2 * 8, TABLE_ALIGN, &xsdt);
	if (!rsdp_p || !facs_p || !dsdt_p || !fadt_p || !madt_p || !rsdt_p ||
	    !xsdt_p)
		return -ENOSPC;     /* nothing written yet: the window stays 0 */

	const uint64_t listed[] = { fadt, madt };

	acpi_facs(facs_p);
	memcpy(dsdt_p, aml, dsdt_len);
	acpi_fadt(fadt_p, facs, dsdt);
	acpi_madt(madt_p, madt_len, ncpus);
	acpi_sdt(rsdt_p, "RSDT", RSDT_REVISION, 4, listed, ARRAY_SIZE(listed));
	acpi_sdt(xsdt_p, "XSDT", XSDT_REVISION, 8, listed, ARRAY_SIZE(listed));
	acpi_rsdp(rsdp_p, rsdt, xsdt);

	if (rsdp_gpa)
		*rsdp_gpa = rsdp;
	return 0;
}
