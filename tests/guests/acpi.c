/*
 * acpi.c - just enough ACPI for the test modes: find the RSDP (scan of the
 * EBDA and 0xE0000-0xFFFFF), walk the XSDT (or RSDT), and read the MADT
 * (CPUs, first IOAPIC, interrupt source overrides), the FADT (PM1 blocks,
 * PM timer, SCI, SMI_CMD, DSDT) and \_S5 from the DSDT AML by byte scan.
 * No AML interpreter.  Follows ACPI 6.x table layouts; tables are read in
 * place, and checksums are verified (a bad one prints an "acpi:" line).
 */
#include "tk.h"

static const u8 *rsdt_tbl;		/* RSDT or XSDT */
static int rsdt_is_x;

static u16 rd16(const u8 *p) { u16 v; __builtin_memcpy(&v, p, 2); return v; }
static u32 rd32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }

static int rsdp_valid(const u8 *p)
{
	if (memcmp(p, "RSD PTR ", 8) != 0 || checksum8(p, 20) != 0)
		return 0;
	if (p[15] >= 2 && rd32(p + 20) >= 36 && rd32(p + 20) < 4096 &&
	    checksum8(p, rd32(p + 20)) != 0)
		return 0;
	return 1;
}

static u64 scan(u64 start, u64 end)
{
	for (u64 a = start; a + 20 <= end; a += 16)
		if (rsdp_valid((const u8 *)(uptr)a))
			return a;
	return 0;
}

u64 acpi_scan_rsdp(void)
{
	u64 ebda = (u64)phys_read16(0x40E) << 4;
	u64 r = 0;

	if (ebda >= 0x80000 && ebda < 0xA0000)
		r = scan(ebda, ebda + 1024);
	if (!r)
		r = scan(0xE0000, 0x100000);
	return r;
}

static const u8 *sdt(u64 addr)
{
	if (!addr || map_range(addr, 36) < 0)
		return NULL;
	const u8 *t = (const u8 *)(uptr)addr;
	u32 len = rd32(t + 4);
	if (len < 36 || map_range(addr, len) < 0)
		return NULL;
	return t;
}

void acpi_init(u64 rsdp)
{
	rsdt_tbl = NULL;
	if (!rsdp || map_range(rsdp, 36) < 0)
		return;
	const u8 *p = (const u8 *)(uptr)rsdp;
	if (!rsdp_valid(p))
		return;
	if (p[15] >= 2 && rd64(p + 24)) {
		rsdt_tbl = sdt(rd64(p + 24));
		rsdt_is_x = 1;
	}
	if (!rsdt_tbl) {
		rsdt_tbl = sdt(rd32(p + 16));
		rsdt_is_x = 0;
	}
}

const void *acpi_find_table(const char *sig)
{
	if (!rsdt_tbl)
		return NULL;
	u32 esz = rsdt_is_x ? 8 : 4;
	u32 n = (rd32(rsdt_tbl + 4) - 36) / esz;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = rsdt_tbl + 36 + i * esz;
		const u8 *t = sdt(rsdt_is_x ? rd64(e) : rd32(e));
		if (!t || memcmp(t, sig, 4) != 0)
			continue;
		if (checksum8(t, rd32(t + 4)) != 0)
			kprintf("acpi: bad checksum %s\n", sig);
		return t;
	}
	return NULL;
}

/* A FADT register: the 32-bit block if set, else an I/O-space GAS. */
static u32 fadt_port(const u8 *f, u32 len, u32 off32, u32 off_gas)
{
	u32 v = rd32(f + off32);
	if (v || len < off_gas + 12)
		return v;
	if (f[off_gas] != 1)		/* SystemIO */
		return 0;
	return (u32)rd64(f + off_gas + 4);
}

int acpi_fadt(struct acpi_fadt_info *fi)
{
	const u8 *f = acpi_find_table("FACP");

	memset(fi, 0, sizeof(*fi));
	if (!f)
		return -1;
	u32 len = rd32(f + 4);
	if (len < 116)
		return -1;
	fi->sci_int = rd16(f + 46);
	fi->smi_cmd = rd32(f + 48);
	fi->acpi_enable = f[52];
	fi->pm1a_evt = fadt_port(f, len, 56, 148);
	fi->pm1b_evt = fadt_port(f, len, 60, 160);
	fi->pm1a_cnt = fadt_port(f, len, 64, 172);
	fi->pm1b_cnt = fadt_port(f, len, 68, 184);
	fi->pm_tmr = fadt_port(f, len, 76, 208);
	fi->pm1_evt_len = f[88];
	fi->pm_tmr_32 = (rd32(f + 112) >> 8) & 1;
	fi->dsdt = rd32(f + 40);
	if (len >= 148 && rd64(f + 140))
		fi->dsdt = rd64(f + 140);
	return 0;
}

int acpi_madt(struct acpi_madt_info *m)
{
	const u8 *t = acpi_find_table("APIC");

	memset(m, 0, sizeof(*m));
	m->lapic_addr = 0xFEE00000;
	if (!t)
		return -1;
	u32 len = rd32(t + 4);
	m->lapic_addr = rd32(t + 36);
	for (u32 off = 44; off + 2 <= len;) {
		const u8 *e = t + off;
		u8 type = e[0], elen = e[1];
		if (elen < 2 || off + elen > len)
			break;
		if (type == 0 && elen >= 8 && (rd32(e + 4) & 1)) {
			if (m->ncpus < TK_MAX_CPUS)
				m->apic_ids[m->ncpus] = e[3];
			m->ncpus++;
		} else if (type == 9 && elen >= 16 && (rd32(e + 8) & 1)) {
			if (m->ncpus < TK_MAX_CPUS)
				m->apic_ids[m->ncpus] = rd32(e + 4);
			m->ncpus++;
		} else if (type == 1 && elen >= 12 && !m->ioapic_addr) {
			m->ioapic_addr = rd32(e + 4);
			m->ioapic_gsi_base = rd32(e + 8);
		} else if (type == 2 && elen >= 10 && m->niso < ARRAY_SIZE(m->iso)) {
			m->iso[m->niso].irq = e[3];
			m->iso[m->niso].gsi = rd32(e + 4);
			m->iso[m->niso].flags = rd16(e + 8);
			m->niso++;
		} else if (type == 5 && elen >= 12) {
			m->lapic_addr = rd64(e + 4);
		}
		off += elen;
	}
	return 0;
}

u32 acpi_isa_to_gsi(u8 irq, u16 *flags)
{
	struct acpi_madt_info m;

	*flags = 0;
	if (acpi_madt(&m) < 0)
		return irq;
	for (u32 i = 0; i < m.niso; i++)
		if (m.iso[i].irq == irq) {
			*flags = m.iso[i].flags;
			return m.iso[i].gsi;
		}
	return irq;
}

int acpi_s5(u8 *slp_typ)
{
	struct acpi_fadt_info fi;

	if (acpi_fadt(&fi) < 0)
		return -1;
	const u8 *d = sdt(fi.dsdt);
	if (!d || memcmp(d, "DSDT", 4) != 0)
		return -1;
	u32 len = rd32(d + 4);
	for (u32 i = 37; i + 12 < len; i++) {
		if (memcmp(d + i, "_S5_", 4) != 0)
			continue;
		if (!(d[i - 1] == 0x08 || (d[i - 1] == '\\' && d[i - 2] == 0x08)))
			continue;
		u32 j = i + 4;
		if (d[j] != 0x12)		/* PackageOp */
			continue;
		j += 3 + (d[j + 1] >> 6);	/* PackageOp PkgLength NumElements */
		switch (d[j]) {
		case 0x0A:			/* BytePrefix */
		case 0x0B:			/* WordPrefix: low byte */
			*slp_typ = d[j + 1];
			return 0;
		case 0x00:			/* ZeroOp */
		case 0x01:			/* OneOp */
			*slp_typ = d[j];
			return 0;
		default:
			continue;
		}
	}
	return -1;
}
