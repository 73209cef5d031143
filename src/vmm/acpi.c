/*
 * acpi.c - ttyvm's ACPI tables (ACPI 6.0), for direct Linux boot and for
 * firmware boot.
 *
 * Builds the tables a PC BIOS would leave behind: the RSDP (revision 2),
 * an RSDT and an XSDT listing the FADT and the MADT, the FADT (revision
 * 6.0) pointing at the FACS and the DSDT, and the MADT with one Processor
 * Local APIC per vCPU.  The DSDT is not built here: it is written in ASL
 * (dsdt.asl), compiled by iasl at build time and copied in unchanged.
 * Every value comes from layout.h, so the tables, the devices and the e820
 * map agree.
 *
 * The tables are built once, relocatably, the way QEMU hands its tables to
 * SeaBIOS (QEMU hw/acpi/bios-linker-loader.c; SeaBIOS
 * src/fw/romfile_loader.c): two blobs, "etc/acpi/tables" and
 * "etc/acpi/rsdp", in which each table pointer holds an offset into its
 * blob, and "etc/table-loader", the commands that allocate the blobs in
 * guest memory, add the blobs' addresses to those offsets and compute the
 * checksums.  Firmware boot passes the three through fw_cfg and SeaBIOS
 * runs the commands; direct boot places the blobs itself in the window
 * [LAYOUT_ACPI_START, +LAYOUT_ACPI_SIZE) (RSDP first, where the legacy
 * 0xE0000-0xFFFFF scan finds it) and runs the same commands with
 * acpi_loader_run(), so both paths exercise one set of pointers.
 *
 * Fields are written one by one, little-endian, at the offsets of the
 * ACPI 6.0 tables (section 5.2); no packed structs are overlaid on guest
 * memory.  This file does not emulate anything: the PM1/GPE/timer/reset
 * registers the FADT names are pm.c's, the SCI is raised there.
 */
#include "vmm/acpi.h"

#include <errno.h>
#include <stdlib.h>
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


/* The RSDP blob is 16-byte aligned in the F segment; the tables blob is
 * 64-byte aligned for the FACS at its start.  Direct boot puts the tables
 * right after the RSDP, at the next multiple of 64. */
#define RSDP_ALIGN        16
#define TABLES_ALIGN      FACS_ALIGN
#define TABLES_WINDOW_OFF 64
#define TABLES_MAX        (LAYOUT_ACPI_SIZE - TABLES_WINDOW_OFF)

/* Commands: 2 ALLOCATE, 10 ADD_POINTER, 6 ADD_CHECKSUM today. */
#define LOADER_MAX_CMDS 32

enum acpi_blob_id { BLOB_TABLES, BLOB_RSDP, NBLOBS };

static const char *const acpi_blob_file[NBLOBS] = {
	[BLOB_TABLES] = ACPI_FILE_TABLES,
	[BLOB_RSDP] = ACPI_FILE_RSDP,
};

/* The blobs being built and the commands that link them. */
struct acpi_linker {
	uint8_t *blob[NBLOBS];
	size_t used[NBLOBS];
	size_t cap[NBLOBS];
	uint8_t cmds[LOADER_MAX_CMDS * ACPI_LOADER_ENTRY_LEN];
	size_t ncmds;
	int err;                      /* sticky: -ENOSPC */
};

/* Reserves len zeroed bytes of blob id at the next multiple of align (a
 * power of two); returns their offset, or sets -ENOSPC and returns 0. */
static size_t acpi_alloc(struct acpi_linker *lk, enum acpi_blob_id id, size_t len,
			 size_t align)
{
	size_t off = (size_t)ALIGN_UP((uint64_t)lk->used[id], align);

	if (lk->err || off > lk->cap[id] || len > lk->cap[id] - off) {
		lk->err = -ENOSPC;
		return 0;
	}
	lk->used[id] = off + len;
	return off;
}

static uint8_t *acpi_cmd(struct acpi_linker *lk, uint32_t command)
{
	uint8_t *e;

	if (lk->ncmds == LOADER_MAX_CMDS) {
		lk->err = -ENOSPC;
		return NULL;
	}
	e = lk->cmds + lk->ncmds++ * ACPI_LOADER_ENTRY_LEN;
	memset(e, 0, ACPI_LOADER_ENTRY_LEN);
	put_le32(e, command);
	return e;
}

static void acpi_cmd_file(uint8_t *field, enum acpi_blob_id id)
{
	/* the names are constants far shorter than the 56-byte field */
	memcpy(field, acpi_blob_file[id], strlen(acpi_blob_file[id]));
}

static void acpi_link_allocate(struct acpi_linker *lk, enum acpi_blob_id id,
			       uint32_t align, uint8_t zone)
{
	uint8_t *e = acpi_cmd(lk, ACPI_LOADER_ALLOCATE);

	if (!e)
		return;
	acpi_cmd_file(e + 4, id);
	put_le32(e + 60, align);
	e[64] = zone;
}

/*
 * Stores at dst+at the size-byte offset of `target` in blob src and tells
 * the loader to add src's guest address to it.
 */
static void acpi_link_pointer(struct acpi_linker *lk, enum acpi_blob_id dst,
			      size_t at, uint8_t size, enum acpi_blob_id src,
			      size_t target)
{
	uint8_t *p = lk->blob[dst] + at;
	uint8_t *e = acpi_cmd(lk, ACPI_LOADER_ADD_POINTER);

	if (!e)
		return;
	if (size == 4)
		put_le32(p, (uint32_t)target);
	else
		put_le64(p, target);
	acpi_cmd_file(e + 4, dst);
	acpi_cmd_file(e + 60, src);
	put_le32(e + 116, (uint32_t)at);
	e[120] = size;
}

/* The checksum byte at blob+at makes [start, start+len) sum to zero once
 * the loader has patched the pointers inside; it is 0 until then. */
static void acpi_link_checksum(struct acpi_linker *lk, enum acpi_blob_id id,
			       size_t start, size_t len, size_t at)
{
	uint8_t *e = acpi_cmd(lk, ACPI_LOADER_ADD_CHECKSUM);

	lk->blob[id][at] = 0;
	if (!e)
		return;
	acpi_cmd_file(e + 4, id);
	put_le32(e + 60, (uint32_t)at);
	put_le32(e + 64, (uint32_t)start);
	put_le32(e + 68, (uint32_t)len);
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

/* The FADT at offset fadt of the tables blob, pointing at facs and dsdt. */
static void acpi_fadt(struct acpi_linker *lk, size_t fadt, size_t facs, size_t dsdt)
{
	uint8_t *t = lk->blob[BLOB_TABLES] + fadt;

	acpi_header(t, "FACP", FADT_LEN, FADT_REVISION);
	put_le16(t + FADT_SCI_INT, IRQ_SCI);
	put_le32(t + FADT_SMI_CMD, 0);              /* always in ACPI mode */
	t[FADT_PM_PROFILE] = 0;                     /* unspecified */
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
	acpi_link_pointer(lk, BLOB_TABLES, fadt + FADT_FIRMWARE_CTRL, 4, BLOB_TABLES, facs);
	acpi_link_pointer(lk, BLOB_TABLES, fadt + FADT_DSDT, 4, BLOB_TABLES, dsdt);
	acpi_link_pointer(lk, BLOB_TABLES, fadt + FADT_X_FIRMWARE_CTRL, 8, BLOB_TABLES, facs);
	acpi_link_pointer(lk, BLOB_TABLES, fadt + FADT_X_DSDT, 8, BLOB_TABLES, dsdt);
	acpi_link_checksum(lk, BLOB_TABLES, fadt, FADT_LEN, fadt + SDT_CHECKSUM);
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

static void acpi_madt(struct acpi_linker *lk, size_t madt, size_t len, unsigned int ncpus)
{
	uint8_t *t = lk->blob[BLOB_TABLES] + madt;
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

	acpi_link_checksum(lk, BLOB_TABLES, madt, len, madt + SDT_CHECKSUM);
}

/* RSDT (entry_size 4) or XSDT (8) at offset sdt, listing the tables at
 * the given offsets of the tables blob. */
static void acpi_sdt(struct acpi_linker *lk, size_t sdt, const char *sig, uint8_t rev,
		     uint8_t entry_size, const size_t *tables, size_t n)
{
	size_t len = SDT_HEADER_LEN + entry_size * n;

	acpi_header(lk->blob[BLOB_TABLES] + sdt, sig, (uint32_t)len, rev);
	for (size_t i = 0; i < n; i++)
		acpi_link_pointer(lk, BLOB_TABLES, sdt + SDT_HEADER_LEN + entry_size * i,
				  entry_size, BLOB_TABLES, tables[i]);
	acpi_link_checksum(lk, BLOB_TABLES, sdt, len, sdt + SDT_CHECKSUM);
}

static void acpi_rsdp(struct acpi_linker *lk, size_t rsdt, size_t xsdt)
{
	uint8_t *p = lk->blob[BLOB_RSDP];

	memcpy(p, "RSD PTR ", 8);
	memcpy(p + RSDP_OEM_ID, ACPI_OEM_ID, 6);
	p[RSDP_REVISION] = 2;
	put_le32(p + RSDP_LENGTH, RSDP_LEN);
	acpi_link_pointer(lk, BLOB_RSDP, RSDP_RSDT, 4, BLOB_TABLES, rsdt);
	acpi_link_pointer(lk, BLOB_RSDP, RSDP_XSDT, 8, BLOB_TABLES, xsdt);
	/* the first checksum lies inside the range of the second */
	acpi_link_checksum(lk, BLOB_RSDP, 0, RSDP_V1_LEN, RSDP_CHECKSUM);
	acpi_link_checksum(lk, BLOB_RSDP, 0, RSDP_LEN, RSDP_EXT_CHECKSUM);
}

const uint8_t *acpi_dsdt(size_t *len)
{
	*len = (size_t)((uintptr_t)acpi_dsdt_end - (uintptr_t)acpi_dsdt_start);
	return acpi_dsdt_start;
}

void acpi_blobs_free(struct acpi_blobs *b)
{
	if (!b)
		return;
	free(b->tables);
	free(b->rsdp);
	free(b->loader);
	memset(b, 0, sizeof(*b));
}

int acpi_build_blobs(unsigned int ncpus, struct acpi_blobs *out)
{
	struct acpi_linker *lk;
	size_t facs, dsdt, fadt, madt, rsdt, xsdt;
	size_t dsdt_len, madt_len = acpi_madt_len(ncpus);
	const uint8_t *aml = acpi_dsdt(&dsdt_len);
	int r = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (ncpus < 1 || ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	/* The AML is ours, built with the binary: a bad header is a bug. */
	if (dsdt_len < SDT_HEADER_LEN || get_le32(aml + SDT_LENGTH) != dsdt_len)
		return -EIO;

	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	lk->cap[BLOB_TABLES] = TABLES_MAX;
	lk->cap[BLOB_RSDP] = RSDP_LEN;
	lk->blob[BLOB_TABLES] = calloc(1, TABLES_MAX);
	lk->blob[BLOB_RSDP] = calloc(1, RSDP_LEN);
	if (!lk->blob[BLOB_TABLES] || !lk->blob[BLOB_RSDP])
		goto out;

	acpi_link_allocate(lk, BLOB_TABLES, TABLES_ALIGN, ACPI_LOADER_ZONE_HIGH);
	acpi_link_allocate(lk, BLOB_RSDP, RSDP_ALIGN, ACPI_LOADER_ZONE_FSEG);
	facs = acpi_alloc(lk, BLOB_TABLES, FACS_LEN, FACS_ALIGN);
	dsdt = acpi_alloc(lk, BLOB_TABLES, dsdt_len, TABLE_ALIGN);
	fadt = acpi_alloc(lk, BLOB_TABLES, FADT_LEN, TABLE_ALIGN);
	madt = acpi_alloc(lk, BLOB_TABLES, madt_len, TABLE_ALIGN);
	rsdt = acpi_alloc(lk, BLOB_TABLES, SDT_HEADER_LEN + 2 * 4, TABLE_ALIGN);
	xsdt = acpi_alloc(lk, BLOB_TABLES, SDT_HEADER_LEN + 2 * 8, TABLE_ALIGN);
	acpi_alloc(lk, BLOB_RSDP, RSDP_LEN, RSDP_ALIGN);
	if (lk->err) {
		r = lk->err;
		goto out;
	}

	const size_t listed[] = { fadt, madt };

	acpi_facs(lk->blob[BLOB_TABLES] + facs);
	memcpy(lk->blob[BLOB_TABLES] + dsdt, aml, dsdt_len);
	acpi_fadt(lk, fadt, facs, dsdt);
	acpi_madt(lk, madt, madt_len, ncpus);
	acpi_sdt(lk, rsdt, "RSDT", RSDT_REVISION, 4, listed, ARRAY_SIZE(listed));
	acpi_sdt(lk, xsdt, "XSDT", XSDT_REVISION, 8, listed, ARRAY_SIZE(listed));
	acpi_rsdp(lk, rsdt, xsdt);
	if (lk->err) {
		r = lk->err;
		goto out;
	}

	out->tables_len = lk->used[BLOB_TABLES];
	out->tables = realloc(lk->blob[BLOB_TABLES], out->tables_len);
	if (!out->tables)
		goto out;
	lk->blob[BLOB_TABLES] = NULL;
	out->rsdp = lk->blob[BLOB_RSDP];
	out->rsdp_len = RSDP_LEN;
	lk->blob[BLOB_RSDP] = NULL;
	out->loader_len = lk->ncmds * ACPI_LOADER_ENTRY_LEN;
	out->loader = malloc(out->loader_len);
	if (!out->loader) {
		acpi_blobs_free(out);
		goto out;
	}
	memcpy(out->loader, lk->cmds, out->loader_len);
	r = 0;
out:
	free(lk->blob[BLOB_TABLES]);
	free(lk->blob[BLOB_RSDP]);
	free(lk);
	return r;
}

/* A blob placed in guest memory, for acpi_loader_run(). */
struct acpi_placed {
	const char *file;
	uint8_t *hva;
	uint64_t gpa;
	size_t len;
};

static struct acpi_placed *acpi_placed_find(struct acpi_placed *p, size_t n,
					    const uint8_t *field)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp((const char *)field, p[i].file, ACPI_LOADER_FILESZ) == 0)
			return &p[i];
	return NULL;
}

/*
 * What SeaBIOS's romfile_loader_execute() does, for blobs the caller has
 * already placed: ALLOCATE is only checked (the placement is given),
 * ADD_POINTER and ADD_CHECKSUM are applied.  Every offset is checked; the
 * commands are ours, so -EIO means a bug.
 */
static int acpi_loader_run(const struct acpi_blobs *b, struct acpi_placed *p, size_t n)
{
	for (size_t off = 0; off + ACPI_LOADER_ENTRY_LEN <= b->loader_len;
	     off += ACPI_LOADER_ENTRY_LEN) {
		const uint8_t *e = b->loader + off;
		struct acpi_placed *d, *s;
		uint32_t at, start, len;
		uint64_t v = 0;
		uint8_t size;

		switch (get_le32(e)) {
		case ACPI_LOADER_ALLOCATE:
			d = acpi_placed_find(p, n, e + 4);
			at = get_le32(e + 60);              /* alignment */
			if (!d || (at && d->gpa % at))
				return -EIO;
			break;
		case ACPI_LOADER_ADD_POINTER:
			d = acpi_placed_find(p, n, e + 4);
			s = acpi_placed_find(p, n, e + 60);
			at = get_le32(e + 116);
			size = e[120];
			if (!d || !s || (size != 4 && size != 8) || !range_within(at, size, d->len))
				return -EIO;
			memcpy(&v, d->hva + at, size);          /* little-endian host */
			v += s->gpa;
			if (size == 4 && v >> 32)
				return -EIO;
			memcpy(d->hva + at, &v, size);
			break;
		case ACPI_LOADER_ADD_CHECKSUM:
			d = acpi_placed_find(p, n, e + 4);
			at = get_le32(e + 60);
			start = get_le32(e + 64);
			len = get_le32(e + 68);
			if (!d || at >= d->len || !range_within(start, len, d->len))
				return -EIO;
			d->hva[at] = (uint8_t)(d->hva[at] - checksum8(d->hva + start, len));
			break;
		default:
			return -EIO;
		}
	}
	return 0;
}

int acpi_build(struct guest_mem *gm, unsigned int ncpus, uint64_t *rsdp_gpa)
{
	struct acpi_blobs b;
	uint8_t *win;
	int r;

	if (ncpus < 1 || ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	win = gmem_ptr(gm, LAYOUT_ACPI_START, LAYOUT_ACPI_SIZE);
	if (!win)
		return -EFAULT;
	r = acpi_build_blobs(ncpus, &b);
	if (r)
		return r;
	/* acpi_build_blobs keeps the tables within TABLES_MAX */
	struct acpi_placed placed[] = {
		{ ACPI_FILE_RSDP, win, LAYOUT_ACPI_START, b.rsdp_len },
		{ ACPI_FILE_TABLES, win + TABLES_WINDOW_OFF,
		  LAYOUT_ACPI_START + TABLES_WINDOW_OFF, b.tables_len },
	};

	/* No stale table from an earlier boot may survive a rebuild. */
	memset(win, 0, LAYOUT_ACPI_SIZE);
	memcpy(placed[0].hva, b.rsdp, b.rsdp_len);
	memcpy(placed[1].hva, b.tables, b.tables_len);
	r = acpi_loader_run(&b, placed, ARRAY_SIZE(placed));
	acpi_blobs_free(&b);
	if (r) {
		memset(win, 0, LAYOUT_ACPI_SIZE);
		return r;
	}
	if (rsdp_gpa)
		*rsdp_gpa = LAYOUT_ACPI_START;
	return 0;
}
