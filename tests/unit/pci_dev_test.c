/*
 * pci_dev_test.c - describing a PCI function (pci_dev.c): BAR sizing as
 * firmware probes it, the checks on BAR, ROM and MSI-X declarations, the
 * capability list.  Register layouts restated from PCI Local Bus 3.0.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/pci.h"
#include "pci_fake.h"

static void test_bar_sizing(void **state)
{
	struct fx *f = *state;

	/* type bits read back under the size mask */
	assert_int_equal(pf_rd(f, PCI_BAR0, 4), PCI_BAR_SPACE_IO);
	assert_int_equal(pf_rd(f, PCI_BAR0 + 4, 4), 0);
	assert_int_equal(pf_rd(f, PCI_BAR0 + 8, 4), PCI_BAR_MEM_TYPE_64);
	assert_int_equal(pf_rd(f, PCI_BAR0 + 16, 4), PCI_BAR_MEM_PREFETCH);

	assert_int_equal(pf_size_bar(f, PCI_BAR0), ~(uint32_t)(T_IO_SIZE - 1) | 1);
	assert_int_equal(pf_size_bar(f, PCI_BAR0 + 4), 0xFFFFF000);   /* 3000 -> 4K */
	assert_int_equal(pf_size_bar(f, PCI_BAR0 + 8), ~(uint32_t)(T_M64_SIZE - 1) | 4);
	assert_int_equal(pf_size_bar(f, PCI_BAR0 + 12), 0xFFFFFFFF);
	assert_int_equal(pf_size_bar(f, PCI_BAR0 + 16), ~(uint32_t)(T_RAM_SIZE - 1) | 8);
	assert_int_equal(pf_size_bar(f, PCI_BAR0 + 20), 0);            /* unused */
	/* the ROM: size mask and the enable bit, bits 1-10 reserved */
	assert_int_equal(pf_size_bar(f, PCI_ROM_ADDRESS), 0xFFFFF001);
	pf_wr(f, PCI_ROM_ADDRESS, 4, 0xFFFFF7FE);
	assert_int_equal(pf_rd(f, PCI_ROM_ADDRESS, 4), 0xFFFFF000);
	pf_wr(f, PCI_ROM_ADDRESS, 4, 0);

	/* what SeaBIOS computes from it */
	uint32_t v = pf_size_bar(f, PCI_BAR0);
	assert_int_equal(~(v & ~3u) + 1, T_IO_SIZE);
	v = pf_size_bar(f, PCI_BAR0 + 4);
	assert_int_equal(~(v & ~0xFu) + 1, 0x1000);

	/* a 64-bit BAR bigger than 4 GiB sizes through its upper half */
	struct fx g = { 0 };
	struct pci_dev big;
	struct pf_tbar none = { 0 };
	assert_int_equal(trap_map_init(&g.host.traps), 0);
	g.bus = pf_bus(&g.host, true);
	pci_dev_init(&big, "big", 1, 2, 0x030000, 0, 0, 0);
	assert_int_equal(pci_set_bar_trap(&big, 0, PCI_BAR_MEM64, 8 * GiB, &pf_tbar_ops,
					  &none), 0);
	assert_int_equal(pci_set_bar_trap(&big, 2, PCI_BAR_IO, 1, &pf_tbar_ops, &none), 0);
	assert_int_equal(pci_bus_add(g.bus, &big, 9), 0);
	g.devfn = 9 << 3;
	assert_int_equal(pf_size_bar(&g, PCI_BAR0), 0x00000004);
	assert_int_equal(pf_size_bar(&g, PCI_BAR0 + 4), 0xFFFFFFFE);
	assert_int_equal(pf_size_bar(&g, PCI_BAR0 + 8), 0xFFFFFFFD);  /* I/O min 4 */
	pci_bus_destroy(g.bus);
	trap_map_destroy(&g.host.traps);
}

static void test_set_bar_errors(void **state)
{
	struct pci_dev d;
	uint8_t *ram = aligned_alloc(4096, 8192);
	uint8_t img[16] = { 0 };
	(void)state;

	pci_dev_init(&d, "x", 1, 2, 0, 0, 0, 0);
	assert_int_equal(pci_set_bar_trap(&d, 6, PCI_BAR_IO, 16, &pf_tbar_ops, NULL), -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 5, PCI_BAR_MEM64, 16, &pf_tbar_ops, NULL), -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 0, PCI_BAR_UNUSED, 16, &pf_tbar_ops, NULL), -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 0, PCI_BAR_IO, 16, NULL, NULL), -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 0, PCI_BAR_IO, 0, &pf_tbar_ops, NULL), -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 0, PCI_BAR_IO, 512, &pf_tbar_ops, NULL), -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 0, PCI_BAR_MEM32, 4 * GiB, &pf_tbar_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_set_bar_trap(&d, 2, PCI_BAR_MEM64, 4096, &pf_tbar_ops, NULL), 0);
	/* BAR 3 is BAR 2's upper half; BAR 1 + 2 would overlap it */
	assert_int_equal(pci_set_bar_trap(&d, 3, PCI_BAR_IO, 16, &pf_tbar_ops, NULL), -EBUSY);
	assert_int_equal(pci_set_bar_trap(&d, 1, PCI_BAR_MEM64, 16, &pf_tbar_ops, NULL), -EBUSY);
	assert_int_equal(pci_set_bar_trap(&d, 2, PCI_BAR_IO, 16, &pf_tbar_ops, NULL), -EBUSY);
	/* RAM BARs: page-sized and page-aligned memory, never I/O */
	assert_int_equal(pci_set_bar_ram(&d, 0, PCI_BAR_IO, 8192, ram, false, false), -EINVAL);
	assert_int_equal(pci_set_bar_ram(&d, 0, PCI_BAR_MEM32, 100, ram, false, false), -EINVAL);
	assert_int_equal(pci_set_bar_ram(&d, 0, PCI_BAR_MEM32, 4096, ram + 1, false, false),
			 -EINVAL);
	assert_int_equal(pci_set_bar_ram(&d, 0, PCI_BAR_MEM32, 4096, NULL, false, false),
			 -EINVAL);
	assert_int_equal(pci_set_bar_ram(&d, 0, PCI_BAR_MEM32, 8192, ram, false, false), 0);
	assert_int_equal(d.bar[0].size, 8192);
	/* ROM */
	assert_int_equal(pci_set_rom(&d, NULL, 16), -EINVAL);
	assert_int_equal(pci_set_rom(&d, img, 0), -EINVAL);
	assert_int_equal(pci_set_rom(&d, img, 32 << 20), -EINVAL);
	assert_int_equal(pci_set_rom(&d, img, sizeof(img)), 0);
	assert_int_equal(d.rom_size, 4096);
	assert_int_equal(pci_set_rom(&d, img, sizeof(img)), -EBUSY);
	/* MSI-X needs a memory BAR that holds table and PBA apart */
	assert_int_equal(pci_msix_init(&d, 4, 4, 0, 0x800), -EINVAL);     /* no BAR */
	assert_int_equal(pci_msix_init(&d, 0, 2, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(&d, PCI_MSIX_MAX_VECTORS + 1, 2, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(&d, 4, 2, 4, 0x800), -EINVAL);     /* misaligned */
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x38), -EINVAL);      /* overlap */
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x1000), -EINVAL);    /* beyond BAR */
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x800), 0);
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x800), -EBUSY);
	free(ram);
}

static void test_cap_list(void **state)
{
	struct pci_dev d;
	int c, prev = 0, n = 0;
	(void)state;

	pci_dev_init(&d, "x", 1, 2, 0, 0, 0, 0);
	assert_int_equal(d.cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(pci_add_cap(&d, PCI_CAP_ID_VNDR, 1), -EINVAL);
	while ((c = pci_add_cap(&d, PCI_CAP_ID_VNDR, 18)) >= 0) {
		assert_true(c >= PCI_CAP_START && c % 4 == 0 && c + 18 <= PCI_CFG_SIZE);
		assert_int_equal(prev ? d.cfg[prev + 1] : d.cfg[PCI_CAPABILITY_LIST], c);
		assert_int_equal(d.cfg[c], PCI_CAP_ID_VNDR);
		assert_int_equal(d.cfg[c + 1], 0);
		prev = c;
		n++;
	}
	assert_int_equal(c, -ENOSPC);
	assert_int_equal(n, 9);        /* 0x40, 0x54, ... 0xE0: 9 of 20 bytes each */
	assert_true(d.cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST);
	/* one that ends exactly at 256, then nothing more fits */
	pci_dev_init(&d, "x", 1, 2, 0, 0, 0, 0);
	assert_int_equal(pci_add_cap(&d, PCI_CAP_ID_VNDR, 0xC0), 0x40);
	assert_int_equal(pci_add_cap(&d, PCI_CAP_ID_VNDR, 2), -ENOSPC);
}

static const struct CMUnitTest tests[] = {
	T(test_bar_sizing),
	cmocka_unit_test(test_set_bar_errors),
	cmocka_unit_test(test_cap_list),
};

UNIT_SUITE(pci_dev, tests);
