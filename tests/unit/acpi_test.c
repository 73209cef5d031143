/*
 * acpi_test.c - the ACPI tables as a guest finds them: RSDP by the legacy
 * scan, RSDT/XSDT, FADT, FACS, MADT and the iasl-built DSDT.
 *
 * The offsets below are restated from the ACPI 6.0 spec rather than taken
 * from acpi.c, so a wrong offset there shows up here.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/acpi.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

static const unsigned int ncpus_cases[] = { 1, 4, 16, 254 };

struct tables {
	uint64_t rsdp, rsdt, xsdt, fadt, madt, facs, dsdt;
};

static const uint8_t *gptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gmem_ptr(gm, gpa, len);

	assert_non_null(p);
	return p;
}

/* The window the tables must stay inside. */
static void assert_in_window(uint64_t gpa, uint64_t len)
{
	assert_true(gpa >= LAYOUT_ACPI_START);
	assert_true(range_within(gpa - LAYOUT_ACPI_START, len, LAYOUT_ACPI_SIZE));
}

/* A System Description Table: signature, length, checksum, OEM id. */
static const uint8_t *check_sdt(const struct guest_mem *gm, uint64_t gpa,
				const char *sig)
{
	const uint8_t *h = gptr(gm, gpa, 36);
	uint32_t len = get_le32(h + 4);

	assert_memory_equal(h, sig, 4);
	assert_true(len >= 36);
	assert_in_window(gpa, len);
	h = gptr(gm, gpa, len);
	assert_int_equal(checksum8(h, len), 0);
	assert_memory_equal(h + 10, "TTYVM ", 6);
	return h;
}

/* Legacy scan of 0xE0000-0xFFFFF on 16-byte boundaries, as Linux does. */
static unsigned int scan_rsdp(const struct guest_mem *gm, uint64_t *found)
{
	unsigned int n = 0;

	for (uint64_t a = 0xE0000; a + 20 <= 0x100000; a += 16) {
		const uint8_t *p = gmem_ptr(gm, a, 20);
		if (p && memcmp(p, "RSD PTR ", 8) == 0 && checksum8(p, 20) == 0) {
			*found = a;
			n++;
		}
	}
	return n;
}

static void find_tables(const struct guest_mem *gm, uint64_t rsdp_gpa,
			struct tables *t)
{
	uint64_t scanned = 0;
	const uint8_t *rsdp, *rsdt, *xsdt;
	int have_fadt = 0, have_madt = 0;

	memset(t, 0, sizeof(*t));
	assert_int_equal(scan_rsdp(gm, &scanned), 1);
	assert_int_equal(scanned, rsdp_gpa);
	assert_int_equal(rsdp_gpa % 16, 0);
	t->rsdp = rsdp_gpa;

	rsdp = gptr(gm, rsdp_gpa, 36);
	assert_int_equal(rsdp[15], 2);                  /* revision */
	assert_int_equal(get_le32(rsdp + 20), 36);      /* length */
	assert_int_equal(checksum8(rsdp, 20), 0);
	assert_int_equal(checksum8(rsdp, 36), 0);
	assert_memory_equal(rsdp + 9, "TTYVM ", 6);
	t->rsdt = get_le32(rsdp + 16);
	t->xsdt = get_le64(rsdp + 24);

	rsdt = check_sdt(gm, t->rsdt, "RSDT");
	xsdt = check_sdt(gm, t->xsdt, "XSDT");
	uint32_t nr = (get_le32(rsdt + 4) - 36) / 4;
	uint32_t nx = (get_le32(xsdt + 4) - 36) / 8;
	assert_int_equal((get_le32(rsdt + 4) - 36) % 4, 0);
	assert_int_equal((get_le32(xsdt + 4) - 36) % 8, 0);
	assert_int_equal(nr, nx);
	assert_int_equal(nr, 2);
	for (uint32_t i = 0; i < nx; i++) {
		uint64_t e = get_le64(xsdt + 36 + 8 * i);
		assert_int_equal(get_le32(rsdt + 36 + 4 * i), e);
		const uint8_t *h = gptr(gm, e, 36);
		if (memcmp(h, "FACP", 4) == 0) {
			check_sdt(gm, e, "FACP");
			t->fadt = e;
			have_fadt++;
		} else {
			check_sdt(gm, e, "APIC");
			t->madt = e;
			have_madt++;
		}
	}
	assert_int_equal(have_fadt, 1);
	assert_int_equal(have_madt, 1);

	const uint8_t *fadt = gptr(gm, t->fadt, 276);
	t->facs = get_le64(fadt + 132);
	t->dsdt = get_le64(fadt + 140);
	check_sdt(gm, t->dsdt, "DSDT");
}

static void build(struct guest_mem *gm, unsigned int ncpus, struct tables *t)
{
	uint64_t rsdp = 0;

	assert_int_equal(acpi_build(gm, ncpus, &rsdp), 0);
	find_tables(gm, rsdp, t);
}

static void test_rsdp_and_tables_in_window(void **state)
{
	struct guest_mem gm;
	struct tables t;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (size_t c = 0; c < ARRAY_SIZE(ncpus_cases); c++) {
		/* a dirty window: the build must leave no stale bytes behind */
		memset(gmem_ptr(&gm, LAYOUT_ACPI_START, LAYOUT_ACPI_SIZE), 0xA5,
		       LAYOUT_ACPI_SIZE);
		build(&gm, ncpus_cases[c], &t);
		assert_int_equal(t.rsdp, LAYOUT_ACPI_START);

		/* no two tables overlap */
		struct { uint64_t gpa, len; } r[] = {
			{ t.rsdp, 36 },
			{ t.rsdt, get_le32(gptr(&gm, t.rsdt, 8) + 4) },
			{ t.xsdt, get_le32(gptr(&gm, t.xsdt, 8) + 4) },
			{ t.fadt, get_le32(gptr(&gm, t.fadt, 8) + 4) },
			{ t.madt, get_le32(gptr(&gm, t.madt, 8) + 4) },
			{ t.facs, 64 },
			{ t.dsdt, get_le32(gptr(&gm, t.dsdt, 8) + 4) },
		};
		for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
			assert_in_window(r[i].gpa, r[i].len);
			for (size_t j = i + 1; j < ARRAY_SIZE(r); j++)
				assert_true(r[i].gpa + r[i].len <= r[j].gpa ||
					    r[j].gpa + r[j].len <= r[i].gpa);
		}
	}
	gmem_destroy(&gm);
}

static void test_smallest_guest(void **state)
{
	struct guest_mem gm;
	struct tables t;
	(void)state;

	/* 1 MiB: the window is the last RAM below the kernel's 1 MiB */
	assert_int_equal(gmem_init(&gm, 1 * MiB), 0);
	build(&gm, 254, &t);
	assert_int_equal(acpi_build(&gm, 2, NULL), 0);
	gmem_destroy(&gm);
}

static void assert_gas_io(const uint8_t *g, uint64_t port, unsigned int bytes)
{
	assert_int_equal(g[0], 1);            /* system I/O */
	assert_int_equal(g[1], bytes * 8);    /* bit width */
	assert_int_equal(g[2], 0);            /* bit offset */
	assert_true(g[3] <= 4);               /* access size */
	assert_int_equal(get_le64(g + 4), port);
}

static void test_fadt(void **state)
{
	struct guest_mem gm;
	struct tables t;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (size_t c = 0; c < ARRAY_SIZE(ncpus_cases); c++) {
		build(&gm, ncpus_cases[c], &t);
		const uint8_t *f = gptr(&gm, t.fadt, 276);

		assert_int_equal(get_le32(f + 4), 276);
		assert_true(f[8] == 5 || f[8] == 6);
		assert_int_equal(get_le32(f + 36), t.facs);       /* FIRMWARE_CTRL */
		assert_int_equal(get_le32(f + 40), t.dsdt);       /* DSDT */
		assert_int_equal(get_le16(f + 46), IRQ_SCI);
		assert_int_equal(get_le32(f + 48), 0);            /* SMI_CMD */
		assert_int_equal(get_le32(f + 56), PORT_PM1A_EVT);
		assert_int_equal(get_le32(f + 60), 0);            /* no PM1b */
		assert_int_equal(get_le32(f + 64), PORT_PM1A_CNT);
		assert_int_equal(get_le32(f + 68), 0);
		assert_int_equal(get_le32(f + 72), 0);            /* no PM2 */
		assert_int_equal(get_le32(f + 76), PORT_PM_TMR);
		assert_int_equal(get_le32(f + 80), PORT_GPE0);
		assert_int_equal(get_le32(f + 84), 0);            /* no GPE1 */
		assert_int_equal(f[88], 4);                       /* PM1_EVT_LEN */
		assert_int_equal(f[89], 2);                       /* PM1_CNT_LEN */
		assert_int_equal(f[90], 0);
		assert_int_equal(f[91], 4);                       /* PM_TMR_LEN */
		assert_int_equal(f[92], 4);                       /* GPE0_BLK_LEN */
		assert_int_equal(f[93], 0);
		assert_true(get_le16(f + 96) > 100);              /* no C2 */
		assert_true(get_le16(f + 98) > 1000);             /* no C3 */
		assert_int_equal(get_le16(f + 109), 0x3);         /* LEGACY|8042 */

		uint32_t flags = get_le32(f + 112);
		assert_true(flags & (1u << 0));                   /* WBINVD */
		assert_true(flags & (1u << 2));                   /* PROC_C1 */
		assert_false(flags & (1u << 4));                  /* PWR_BUTTON */
		assert_true(flags & (1u << 5));                   /* SLP_BUTTON */
		assert_true(flags & (1u << 8));                   /* TMR_VAL_EXT */
		assert_true(flags & (1u << 10));                  /* RESET_REG_SUP */
		assert_false(flags & (1u << 20));                 /* HW_REDUCED */

		assert_gas_io(f + 116, PORT_RESET_CTL, 1);
		assert_int_equal(f[128], RESET_CTL_VALUE);

		assert_int_equal(get_le64(f + 132), get_le32(f + 36));
		assert_int_equal(get_le64(f + 140), get_le32(f + 40));
		assert_gas_io(f + 148, get_le32(f + 56), f[88]);
		assert_int_equal(get_le64(f + 160 + 4), 0);       /* X_PM1b_EVT */
		assert_gas_io(f + 172, get_le32(f + 64), f[89]);
		assert_int_equal(get_le64(f + 184 + 4), 0);       /* X_PM1b_CNT */
		assert_int_equal(get_le64(f + 196 + 4), 0);       /* X_PM2_CNT */
		assert_gas_io(f + 208, get_le32(f + 76), f[91]);
		assert_gas_io(f + 220, get_le32(f + 80), f[92]);
		assert_int_equal(get_le64(f + 232 + 4), 0);       /* X_GPE1 */

		const uint8_t *facs = gptr(&gm, t.facs, 64);
		assert_int_equal(t.facs % 64, 0);
		assert_memory_equal(facs, "FACS", 4);
		assert_int_equal(get_le32(facs + 4), 64);
		assert_int_equal(get_le32(facs + 12), 0);         /* waking vector */
	}
	gmem_destroy(&gm);
}

static void test_madt(void **state)
{
	struct guest_mem gm;
	struct tables t;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (size_t c = 0; c < ARRAY_SIZE(ncpus_cases); c++) {
		unsigned int n = ncpus_cases[c];
		build(&gm, n, &t);
		const uint8_t *m = gptr(&gm, t.madt, 44);
		uint32_t len = get_le32(m + 4);
		uint8_t seen[256] = { 0 };
		unsigned int lapics = 0, ioapics = 0, nmis = 0;
		int iso0 = 0, iso9 = 0;

		m = gptr(&gm, t.madt, len);
		assert_int_equal(get_le32(m + 36), LAYOUT_LAPIC_BASE);
		assert_int_equal(get_le32(m + 40) & 1, 1);        /* PCAT_COMPAT */
		for (uint32_t off = 44; off < len;) {
			const uint8_t *e = m + off;
			assert_true(len - off >= 2);
			assert_true(e[1] >= 2 && e[1] <= len - off);
			switch (e[0]) {
			case 0:
				assert_int_equal(e[1], 8);
				assert_true(e[3] < n);
				assert_int_equal(seen[e[3]], 0);
				seen[e[3]] = 1;
				assert_int_equal(e[2], e[3]);     /* UID = APIC id */
				assert_int_equal(get_le32(e + 4) & 1, 1);
				lapics++;
				break;
			case 1:
				assert_int_equal(e[1], 12);
				assert_int_equal(e[2], 0);
				assert_int_equal(get_le32(e + 4), LAYOUT_IOAPIC_BASE);
				assert_int_equal(get_le32(e + 8), 0);
				ioapics++;
				break;
			case 2:
				assert_int_equal(e[1], 10);
				assert_int_equal(e[2], 0);        /* ISA */
				if (e[3] == IRQ_PIT) {
					assert_int_equal(get_le32(e + 4), GSI_PIT);
					assert_int_equal(get_le16(e + 8), 0);
					iso0++;
				} else {
					assert_int_equal(e[3], IRQ_SCI);
					assert_int_equal(get_le32(e + 4), IRQ_SCI);
					/* active high (01), level (11 << 2) */
					assert_int_equal(get_le16(e + 8), 0xD);
					iso9++;
				}
				break;
			case 4:
				assert_int_equal(e[1], 6);
				assert_int_equal(e[2], 0xFF);     /* all processors */
				assert_int_equal(e[5], 1);        /* LINT1 */
				nmis++;
				break;
			default:
				fail_msg("unexpected MADT entry type %u", e[0]);
			}
			off += e[1];
		}
		assert_int_equal(lapics, n);
		assert_int_equal(ioapics, 1);
		assert_int_equal(iso0, 1);
		assert_int_equal(iso9, 1);
		assert_int_equal(nmis, 1);
	}
	gmem_destroy(&gm);
}

static void test_bad_arguments(void **state)
{
	struct guest_mem gm, none;
	uint64_t rsdp = 0x1234;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(acpi_build(&gm, 0, &rsdp), -EINVAL);
	assert_int_equal(acpi_build(&gm, 255, &rsdp), -EINVAL);
	assert_int_equal(acpi_build(&gm, ~0u, &rsdp), -EINVAL);
	assert_int_equal(rsdp, 0x1234);
	assert_int_equal(scan_rsdp(&gm, &rsdp), 0);
	gmem_destroy(&gm);

	/* no RAM at the window */
	memset(&none, 0, sizeof(none));
	assert_int_equal(acpi_build(&none, 1, &rsdp), -EFAULT);
}

/* EisaId("ABCxxxx") as iasl encodes it: the bytes of a big-endian dword. */
static void eisa_id(const char *s, uint8_t out[4])
{
	uint32_t v = (uint32_t)(s[0] - 0x40) << 26 | (uint32_t)(s[1] - 0x40) << 21 |
		     (uint32_t)(s[2] - 0x40) << 16;
	for (int i = 3; i < 7; i++) {
		unsigned int d = (s[i] >= 'A') ? (unsigned int)(s[i] - 'A' + 10)
					       : (unsigned int)(s[i] - '0');
		v |= d << (4 * (6 - i));
	}
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static const uint8_t *find_bytes(const uint8_t *p, size_t len,
				 const void *pat, size_t n)
{
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, pat, n) == 0)
			return p + i;
	return NULL;
}

/* An AML integer: ZeroOp, OneOp, OnesOp or Byte/Word/DWordPrefix. */
static uint64_t aml_int(const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	uint64_t v;

	assert_true(p < end);
	switch (p[0]) {
	case 0x00: v = 0; p += 1; break;
	case 0x01: v = 1; p += 1; break;
	case 0xFF: v = ~0ULL; p += 1; break;
	case 0x0A: assert_true(end - p >= 2); v = p[1]; p += 2; break;
	case 0x0B: assert_true(end - p >= 3); v = get_le16(p + 1); p += 3; break;
	case 0x0C: assert_true(end - p >= 5); v = get_le32(p + 1); p += 5; break;
	default: fail_msg("not an AML integer: 0x%02x", p[0]); v = 0;
	}
	*pp = p;
	return v;
}

static void check_s5(const uint8_t *aml, size_t len)
{
	static const uint8_t name[] = { 0x08, '_', 'S', '5', '_', 0x12 };
	static const uint8_t rooted[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12 };
	const uint8_t *end = aml + len;
	const uint8_t *p = find_bytes(aml, len, name, sizeof(name));

	if (p) {
		p += sizeof(name);
	} else {
		p = find_bytes(aml, len, rooted, sizeof(rooted));
		assert_non_null(p);
		p += sizeof(rooted);
	}
	assert_true(p < end);
	p += 1 + (p[0] >> 6);                 /* PkgLength */
	assert_true(p < end);
	assert_true(p[0] >= 2);               /* NumElements */
	p++;
	assert_int_equal(aml_int(&p, end), ACPI_SLP_TYP_S5);   /* SLP_TYPa */
	assert_int_equal(aml_int(&p, end), ACPI_SLP_TYP_S5);   /* SLP_TYPb */
}

/* The body of the device whose _HID is hid: up to the next DeviceOp. */
static const uint8_t *device_body(const uint8_t *aml, size_t len,
				  const char *hid, size_t *body_len)
{
	uint8_t pat[10] = { 0x08, '_', 'H', 'I', 'D', 0x0C };
	static const uint8_t device_op[] = { 0x5B, 0x82 };

	eisa_id(hid, pat + 6);
	const uint8_t *p = find_bytes(aml, len, pat, sizeof(pat));
	assert_non_null(p);
	size_t rest = len - (size_t)(p - aml);
	const uint8_t *next = find_bytes(p, rest, device_op, sizeof(device_op));
	*body_len = next ? (size_t)(next - p) : rest;
	return p;
}

/* An I/O port descriptor (6.4.2.5) fixed at port with n ports. */
static int has_io(const uint8_t *p, size_t len, uint16_t port, uint8_t n)
{
	for (size_t i = 0; i + 8 <= len; i++)
		if (p[i] == 0x47 && get_le16(p + i + 2) == port &&
		    get_le16(p + i + 4) == port && p[i + 7] == n)
			return 1;
	return 0;
}

/* An IRQ descriptor (6.4.2.1) naming exactly this IRQ. */
static int has_irq(const uint8_t *p, size_t len, unsigned int irq)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if ((p[i] == 0x22 || p[i] == 0x23) &&
		    get_le16(p + i + 1) == (1u << irq))
			return 1;
	return 0;
}

static void test_dsdt(void **state)
{
	struct guest_mem gm;
	struct tables t;
	size_t len, n;
	const uint8_t *blob = acpi_dsdt(&len), *d;
	(void)state;

	/* the blob itself */
	assert_true(len >= 36);
	assert_memory_equal(blob, "DSDT", 4);
	assert_int_equal(get_le32(blob + 4), len);
	assert_true(blob[8] >= 2);                   /* 64-bit integers */
	assert_int_equal(checksum8(blob, len), 0);
	assert_memory_equal(blob + 10, "TTYVM ", 6);

	/* what the guest gets is the same bytes */
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	build(&gm, 4, &t);
	assert_memory_equal(gptr(&gm, t.dsdt, len), blob, len);
	gmem_destroy(&gm);

	const uint8_t *aml = blob + 36;
	size_t aml_len = len - 36;
	check_s5(aml, aml_len);

	d = device_body(aml, aml_len, "PNP0501", &n);
	assert_true(has_io(d, n, PORT_COM1, 8));
	assert_true(has_irq(d, n, IRQ_COM1));
	d = device_body(aml, aml_len, "PNP0B00", &n);
	assert_true(has_io(d, n, PORT_RTC, 2));
	assert_true(has_irq(d, n, IRQ_RTC));
	d = device_body(aml, aml_len, "PNP0303", &n);
	assert_true(has_io(d, n, PORT_I8042_DATA, 1));
	assert_true(has_io(d, n, PORT_I8042_CMD, 1));
	assert_true(has_irq(d, n, IRQ_KBD));
	d = device_body(aml, aml_len, "PNP0F13", &n);
	assert_true(has_irq(d, n, IRQ_MOUSE));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_rsdp_and_tables_in_window),
	cmocka_unit_test(test_smallest_guest),
	cmocka_unit_test(test_fadt),
	cmocka_unit_test(test_madt),
	cmocka_unit_test(test_bad_arguments),
	cmocka_unit_test(test_dsdt),
};

UNIT_SUITE(acpi, tests);
