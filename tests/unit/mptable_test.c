/*
 * mptable_test.c - the MP floating pointer and configuration table as an
 * MPS 1.4 OS reads them: scan, checksums, processors, I/O APIC, IRQ
 * routing, PCI interrupt assignments.  Offsets are restated from the MP
 * spec, not taken from mptable.c.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/mptable.h"

static const unsigned int ncpus_cases[] = { 1, 4, 16, 254 };

/* Scan of the BIOS area 0xF0000-0xFFFFF on 16-byte boundaries. */
static unsigned int scan_mpf(const struct guest_mem *gm, uint64_t *found)
{
	unsigned int n = 0;

	for (uint64_t a = 0xF0000; a + 16 <= 0x100000; a += 16) {
		const uint8_t *p = gmem_ptr(gm, a, 16);
		if (p && memcmp(p, "_MP_", 4) == 0 && checksum8(p, 16) == 0) {
			*found = a;
			n++;
		}
	}
	return n;
}

struct mp_seen {
	unsigned int cpus, bsps, buses, ioapics, intsrc, lint, pci_intsrc;
	uint8_t cpu_id[256];
	int bsp_id;
	int isa_bus, pci_bus;
	int ioapic_id;
	int irq_pin[16];        /* -1: no entry */
	int pci_pin[32][4];     /* slot, INTA-D -> I/O APIC pin; -1: no entry */
	int lint0_extint, lint1_nmi;
};

static void walk(const uint8_t *mpc, struct mp_seen *s)
{
	uint16_t len = get_le16(mpc + 4);
	uint16_t count = get_le16(mpc + 34);
	uint32_t off = 44;
	int last_type = 0;

	memset(s, 0, sizeof(*s));
	s->bsp_id = s->isa_bus = s->pci_bus = s->ioapic_id = -1;
	for (int i = 0; i < 16; i++)
		s->irq_pin[i] = -1;
	for (int i = 0; i < 32; i++)
		for (int j = 0; j < 4; j++)
			s->pci_pin[i][j] = -1;

	for (unsigned int i = 0; i < count; i++) {
		const uint8_t *e = mpc + off;
		assert_true(off < len);
		/* entries sorted by type, as the spec asks */
		assert_true(e[0] >= last_type);
		last_type = e[0];
		switch (e[0]) {
		case 0:
			assert_true(len - off >= 20);
			assert_int_equal(s->cpu_id[e[1]], 0);
			s->cpu_id[e[1]] = 1;
			assert_int_equal(e[3] & 1, 1);            /* enabled */
			if (e[3] & 2) {
				s->bsps++;
				s->bsp_id = e[1];
				assert_int_equal(s->cpus, 0);     /* BSP first */
			}
			assert_true(e[2] >= 0x10);                /* integrated APIC */
			assert_int_equal((get_le32(e + 4) >> 8) & 0xF, 6);
			assert_true(get_le32(e + 8) & (1u << 9)); /* APIC */
			s->cpus++;
			off += 20;
			break;
		case 1:
			assert_true(len - off >= 8);
			if (memcmp(e + 2, "ISA   ", 6) == 0)
				s->isa_bus = e[1];
			if (memcmp(e + 2, "PCI   ", 6) == 0)
				s->pci_bus = e[1];
			s->buses++;
			off += 8;
			break;
		case 2:
			assert_true(len - off >= 8);
			s->ioapic_id = e[1];
			assert_int_equal(e[3] & 1, 1);
			assert_int_equal(get_le32(e + 4), LAYOUT_IOAPIC_BASE);
			s->ioapics++;
			off += 8;
			break;
		case 3:
			assert_true(len - off >= 8);
			assert_int_equal(e[6], s->ioapic_id);
			if (e[4] == s->pci_bus) {
				/* source IRQ: device << 2 | pin; level, active low */
				unsigned int slot = e[5] >> 2, pin = e[5] & 3;
				assert_true(slot < 32);
				assert_int_equal(e[1], 0);
				assert_int_equal(get_le16(e + 2), 0x000F);
				assert_int_equal(s->pci_pin[slot][pin], -1);
				s->pci_pin[slot][pin] = e[7];
				s->pci_intsrc++;
			} else {
				assert_int_equal(e[4], s->isa_bus);
				assert_true(e[5] < 16);
				assert_int_equal(s->irq_pin[e[5]], -1);
				if (e[1] == 0)                     /* INT */
					s->irq_pin[e[5]] = e[7];
			}
			s->intsrc++;
			off += 8;
			break;
		case 4:
			assert_true(len - off >= 8);
			assert_int_equal(e[6], 0xFF);              /* all LAPICs */
			if (e[1] == 3 && e[7] == 0)
				s->lint0_extint++;
			if (e[1] == 1 && e[7] == 1)
				s->lint1_nmi++;
			s->lint++;
			off += 8;
			break;
		default:
			fail_msg("unexpected MP entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);             /* count and length agree */
}

static void test_tables(void **state)
{
	struct guest_mem gm;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (size_t c = 0; c < ARRAY_SIZE(ncpus_cases); c++) {
		unsigned int n = ncpus_cases[c];
		uint64_t mpf_gpa = 0;
		struct mp_seen s;

		memset(gmem_ptr(&gm, LAYOUT_MPTABLE_START, LAYOUT_MPTABLE_SIZE),
		       0x5A, LAYOUT_MPTABLE_SIZE);
		assert_int_equal(mptable_build(&gm, n), 0);
		assert_int_equal(scan_mpf(&gm, &mpf_gpa), 1);
		assert_true(mpf_gpa >= LAYOUT_MPTABLE_START);
		assert_true(mpf_gpa < LAYOUT_MPTABLE_START + LAYOUT_MPTABLE_SIZE);

		const uint8_t *mpf = gmem_ptr(&gm, mpf_gpa, 16);
		assert_int_equal(mpf[8], 1);           /* length in paragraphs */
		assert_int_equal(mpf[9], 4);           /* MPS 1.4 */
		assert_int_equal(mpf[11], 0);          /* config table present */

		uint32_t mpc_gpa = get_le32(mpf + 4);
		const uint8_t *mpc = gmem_ptr(&gm, mpc_gpa, 44);
		assert_non_null(mpc);
		assert_memory_equal(mpc, "PCMP", 4);
		uint16_t len = get_le16(mpc + 4);
		assert_true(mpc_gpa >= LAYOUT_MPTABLE_START);
		assert_true(range_within(mpc_gpa - LAYOUT_MPTABLE_START, len,
					 LAYOUT_MPTABLE_SIZE));
		mpc = gmem_ptr(&gm, mpc_gpa, len);
		assert_non_null(mpc);
		assert_int_equal(checksum8(mpc, len), 0);
		assert_int_equal(mpc[6], 4);
		assert_int_equal(get_le32(mpc + 36), LAYOUT_LAPIC_BASE);
		assert_int_equal(get_le16(mpc + 40), 0);   /* no extended table */

		walk(mpc, &s);
		assert_int_equal(s.cpus, n);
		for (unsigned int i = 0; i < n; i++)
			assert_int_equal(s.cpu_id[i], 1);
		assert_int_equal(s.bsps, 1);
		assert_int_equal(s.bsp_id, 0);
		/* PCI bus 0 first (MP bus 0), then ISA, as SeaBIOS numbers them */
		assert_int_equal(s.buses, 2);
		assert_int_equal(s.pci_bus, 0);
		assert_int_equal(s.isa_bus, 1);
		assert_int_equal(s.ioapics, 1);
		assert_true(s.ioapic_id >= 0 && s.ioapic_id < 255);
		assert_int_equal(s.cpu_id[s.ioapic_id], 0);   /* unique APIC id */

		assert_int_equal(s.irq_pin[IRQ_PIT], GSI_PIT);
		assert_int_equal(s.irq_pin[2], -1);           /* cascade */
		for (int irq = 1; irq < 16; irq++)
			if (irq != 2)
				assert_int_equal(s.irq_pin[irq], irq);
		/* no two ISA IRQs share a pin */
		for (int a = 0; a < 16; a++)
			for (int b = a + 1; b < 16; b++)
				if (s.irq_pin[a] >= 0)
					assert_int_not_equal(s.irq_pin[a], s.irq_pin[b]);
		assert_int_equal(s.lint0_extint, 1);
		assert_int_equal(s.lint1_nmi, 1);
		assert_int_equal(s.lint, 2);
		/* without a slot list every slot's INTA-D is there, swizzled */
		assert_int_equal(s.pci_intsrc, 32 * 4);
		for (int slot = 0; slot < 32; slot++)
			for (int pin = 0; pin < 4; pin++)
				assert_int_equal(s.pci_pin[slot][pin], 16 + (slot + pin) % 4);
	}
	gmem_destroy(&gm);
}

static const uint8_t *find_mpc(struct guest_mem *gm)
{
	uint64_t mpf_gpa = 0;

	assert_int_equal(scan_mpf(gm, &mpf_gpa), 1);
	uint32_t mpc_gpa = get_le32(gmem_ptr(gm, mpf_gpa, 16) + 4);
	const uint8_t *mpc = gmem_ptr(gm, mpc_gpa, 44);
	assert_non_null(mpc);
	uint16_t len = get_le16(mpc + 4);
	mpc = gmem_ptr(gm, mpc_gpa, len);
	assert_non_null(mpc);
	assert_int_equal(checksum8(mpc, len), 0);
	return mpc;
}

static void test_pci_slots(void **state)
{
	struct guest_mem gm;
	struct mp_seen s;
	const uint32_t slots = (1u << 3) | (1u << 4) | (1u << 31);
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(mptable_build_pci(&gm, 2, slots), 0);
	walk(find_mpc(&gm), &s);
	assert_int_equal(s.cpus, 2);
	assert_int_equal(s.pci_intsrc, 3 * 4);
	for (int slot = 0; slot < 32; slot++)
		for (int pin = 0; pin < 4; pin++)
			assert_int_equal(s.pci_pin[slot][pin],
					 (slots >> slot) & 1 ? 16 + (slot + pin) % 4 : -1);
	/* slot 3 INTA is PIRQD (GSI 19), slot 4 INTA PIRQA (GSI 16) */
	assert_int_equal(s.pci_pin[3][0], 19);
	assert_int_equal(s.pci_pin[4][0], 16);
	assert_int_equal(s.pci_pin[31][1], 16);
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			assert_int_equal(s.irq_pin[irq], irq);

	/* no PCI interrupts at all: the bus entry stays, ISA unchanged */
	assert_int_equal(mptable_build_pci(&gm, 1, 0), 0);
	walk(find_mpc(&gm), &s);
	assert_int_equal(s.pci_intsrc, 0);
	assert_int_equal(s.pci_bus, 0);
	assert_int_equal(s.intsrc, 15);
	gmem_destroy(&gm);
}

static void test_bad_arguments(void **state)
{
	struct guest_mem gm, none;
	uint64_t found;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(mptable_build(&gm, 0), -EINVAL);
	assert_int_equal(mptable_build(&gm, 255), -EINVAL);
	assert_int_equal(mptable_build(&gm, ~0u), -EINVAL);
	assert_int_equal(scan_mpf(&gm, &found), 0);
	gmem_destroy(&gm);

	memset(&none, 0, sizeof(none));
	assert_int_equal(mptable_build(&none, 1), -EFAULT);
}

static void test_smallest_guest(void **state)
{
	struct guest_mem gm;
	uint64_t found;
	(void)state;

	assert_int_equal(gmem_init(&gm, 1 * MiB), 0);
	assert_int_equal(mptable_build(&gm, 254), 0);
	assert_int_equal(scan_mpf(&gm, &found), 1);
	gmem_destroy(&gm);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_tables),
	cmocka_unit_test(test_bad_arguments),
	cmocka_unit_test(test_smallest_guest),
	cmocka_unit_test(test_pci_slots),
};

UNIT_SUITE(mptable, tests);
