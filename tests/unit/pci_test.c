/*
 * pci_test.c - the PCI bus (pci.c) driven through configuration cycles, as
 * firmware and Linux drive it, over a fake pci_bus_host (pci_fake.h) that
 * records what the bus asks of the machine: identity and masks, hostile
 * accesses, BAR mapping on COMMAND and on moves, conflicts, the ROM,
 * plugging, reset, default placement and snapshots.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/pci.h"
#include "pci_fake.h"

static void test_identity(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pf_rd(f, PCI_VENDOR_ID, 2), T_VENDOR);
	assert_int_equal(pf_rd(f, PCI_DEVICE_ID, 2), T_DEVICE);
	assert_int_equal(pf_rd(f, PCI_VENDOR_ID, 4), (uint32_t)T_DEVICE << 16 | T_VENDOR);
	assert_int_equal(pf_rd(f, PCI_VENDOR_ID + 1, 1), T_VENDOR >> 8);
	assert_int_equal(pf_rd(f, PCI_VENDOR_ID + 1, 2), (T_DEVICE & 0xFF) << 8 | T_VENDOR >> 8);
	assert_int_equal(pf_rd(f, PCI_REVISION_ID, 4), (uint32_t)T_CLASS << 8 | 3);
	assert_int_equal(pf_rd(f, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(pf_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001AF4);
	assert_int_equal(pf_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(pf_rd(f, PCI_COMMAND, 2), 0);
	assert_true(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(f->t->pci.devfn, f->devfn);

	/* identity is read-only */
	pf_wr(f, PCI_VENDOR_ID, 4, 0);
	pf_wr(f, PCI_REVISION_ID, 4, 0);
	pf_wr(f, PCI_HEADER_TYPE, 1, 0x80);
	pf_wr(f, PCI_INTERRUPT_PIN, 1, 3);
	assert_int_equal(pf_rd(f, PCI_VENDOR_ID, 4), (uint32_t)T_DEVICE << 16 | T_VENDOR);
	assert_int_equal(pf_rd(f, PCI_REVISION_ID, 4), (uint32_t)T_CLASS << 8 | 3);
	assert_int_equal(pf_rd(f, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(pf_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	/* writable: INTERRUPT_LINE, cache line size, COMMAND's defined bits */
	pf_wr(f, PCI_INTERRUPT_LINE, 1, 11);
	assert_int_equal(pf_rd(f, PCI_INTERRUPT_LINE, 1), 11);
	pf_wr(f, PCI_CACHE_LINE_SIZE, 1, 0x10);
	assert_int_equal(pf_rd(f, PCI_CACHE_LINE_SIZE, 1), 0x10);
	pf_wr(f, PCI_COMMAND, 2, 0xFFFF);
	assert_int_equal(pf_rd(f, PCI_COMMAND, 2), 0x0507);
	pf_wr(f, PCI_COMMAND, 2, 0);
	/* the device hook saw the writes */
	assert_int_equal(f->t->cfg_writes, 8);

	/* empty slots and absent functions read all ones, any size */
	assert_int_equal(pci_bus_cfg_read(f->bus, 4 << 3, 0, 4), 0xFFFFFFFF);
	assert_int_equal(pci_bus_cfg_read(f->bus, 4 << 3, 0, 2), 0xFFFF);
	assert_int_equal(pci_bus_cfg_read(f->bus, 4 << 3, 0, 1), 0xFF);
	assert_int_equal(pci_bus_cfg_read(f->bus, f->devfn | 1, 0, 4), 0xFFFFFFFF);
	assert_int_equal(pci_bus_cfg_read(f->bus, 0xFF, 0, 4), 0xFFFFFFFF);
	pci_bus_cfg_write(f->bus, f->devfn | 1, PCI_COMMAND, 2, 3);   /* nobody */
}

static void test_status_w1c(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->t->pci;

	/* the device reports errors; the guest clears them by writing 1s */
	d->cfg[PCI_STATUS + 1] |= 0xF9;
	assert_int_equal(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_W1C, PCI_STATUS_W1C);
	pf_wr(f, PCI_STATUS, 2, 0x8000);
	assert_int_equal(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_W1C, 0x7900);
	pf_wr(f, PCI_STATUS, 2, 0);          /* writing 0 changes nothing */
	assert_int_equal(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_W1C, 0x7900);
	pf_wr(f, PCI_STATUS, 2, 0xFFFF);     /* the RO bits survive */
	assert_int_equal(pf_rd(f, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
}

static void test_hostile_cfg(void **state)
{
	struct fx *f = *state;
	uint8_t before[PCI_CFG_SIZE];

	memcpy(before, f->t->pci.cfg, sizeof(before));
	/* beyond 256, across a dword, odd sizes: all ones, no effect */
	assert_int_equal(pf_rd(f, 256, 4), 0xFFFFFFFF);
	assert_int_equal(pf_rd(f, 0x1000, 1), 0xFF);
	assert_int_equal(pf_rd(f, 0xFE, 4), 0xFFFFFFFF);
	assert_int_equal(pf_rd(f, 0xFF, 2), 0xFFFF);
	assert_int_equal(pf_rd(f, 0x01, 4), 0xFFFFFFFF);
	assert_int_equal(pf_rd(f, 0x03, 2), 0xFFFF);
	assert_int_equal(pf_rd(f, 0x3C, 3), 0xFFFFFFFF);
	assert_int_equal(pf_rd(f, 0x3C, 0), 0xFFFFFFFF);
	assert_int_equal(pf_rd(f, 0x3C, 8), 0xFFFFFFFF);
	pf_wr(f, 256, 4, 0);
	pf_wr(f, 0xFE, 4, 0);
	pf_wr(f, PCI_COMMAND + 3, 2, 0xFFFF);
	pf_wr(f, PCI_INTERRUPT_LINE, 3, 0x55);
	pf_wr(f, UINT32_MAX - 1, 2, 0);
	assert_memory_equal(f->t->pci.cfg, before, sizeof(before));
	/* the capability list and MSI-X capability are read-only but for
	 * ENABLE/MASKALL */
	unsigned int c = pf_rd(f, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(c, PCI_CAP_START);
	assert_int_equal(pf_rd(f, c, 1), PCI_CAP_ID_MSIX);
	pf_wr(f, c, 4, 0xFFFFFFFF);
	pf_wr(f, c + 4, 4, 0);
	assert_int_equal(pf_rd(f, c, 4), (uint32_t)(0xC000 | (T_NVEC - 1)) << 16 | PCI_CAP_ID_MSIX);
	assert_int_equal(pf_rd(f, c + 4, 4), T_TABLE | 2);
	assert_int_equal(pf_rd(f, c + 8, 4), T_PBA | 2);
	pf_wr(f, c, 4, PCI_CAP_ID_MSIX | (T_NVEC - 1) << 16);
	assert_false(pci_msix_enabled(&f->t->pci));
}

static void test_map_on_command(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->t->pci;
	const struct fake_map *m;
	bool c;

	pf_program_bars(f);
	/* decoding off: nothing mapped */
	assert_false(pf_claimed(f, TRAP_PIO, IO_BASE));
	assert_false(pf_claimed(f, TRAP_MMIO, MMIO_BASE));
	assert_int_equal(pf_nmaps(&f->host), 0);
	assert_int_equal(d->bar[0].addr, IO_BASE);
	assert_false(d->bar[0].mapped);

	/* I/O only */
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO);
	assert_int_equal(pf_mmio_rd(f, TRAP_PIO, IO_BASE + 5, 1, &c), 0xA0);
	assert_true(c);
	assert_int_equal(f->t->last_off, 5);
	assert_true(pf_claimed(f, TRAP_PIO, IO_BASE + T_IO_SIZE - 1));
	assert_false(pf_claimed(f, TRAP_PIO, IO_BASE + T_IO_SIZE));
	assert_false(pf_claimed(f, TRAP_MMIO, MMIO_BASE));
	assert_true(d->bar[0].mapped);

	/* memory too: trapped BARs, the RAM BAR as a slot, no ROM (not enabled) */
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(pf_mmio_rd(f, TRAP_MMIO, MMIO_BASE + 0x10, 4, &c), 0xA1);
	assert_true(c);
	assert_int_equal(f->t->last_bar, 1);
	assert_int_equal(f->t->last_off, 0x10);
	assert_int_equal(pf_mmio_rd(f, TRAP_MMIO, M64_BASE + 0x100, 4, &c), 0xA2);
	assert_int_equal(f->t->last_off, 0x100);
	assert_false(pf_claimed(f, TRAP_MMIO, MMIO_BASE + 0x1000));   /* 4K, not more */
	m = pf_find(&f->host, RAM_BASE);
	assert_non_null(m);
	assert_int_equal(m->size, T_RAM_SIZE);
	assert_ptr_equal(m->hva, f->t->ram);
	assert_int_equal(m->flags, PCI_MAP_DIRTY_LOG);
	assert_int_equal(pf_nmaps(&f->host), 1);
	assert_true(d->bar[4].mapped);
	assert_int_equal(d->bar[4].mem_handle, (int)(m - f->host.maps));
	assert_int_equal(d->bar[2].addr, M64_BASE);
	assert_false(pf_claimed(f, TRAP_MMIO, ROM_BASE));

	/* a BAR rewritten while enabled moves */
	pf_wr(f, PCI_BAR0 + 4, 4, (uint32_t)MMIO_BASE + 0x4000);
	assert_false(pf_claimed(f, TRAP_MMIO, MMIO_BASE));
	assert_true(pf_claimed(f, TRAP_MMIO, MMIO_BASE + 0x4000));
	pf_wr(f, PCI_BAR0, 2, IO_BASE + 0x40);                 /* a word write moves it */
	assert_false(pf_claimed(f, TRAP_PIO, IO_BASE));
	assert_true(pf_claimed(f, TRAP_PIO, IO_BASE + 0x40));
	pf_wr(f, PCI_BAR0 + 16, 4, (uint32_t)RAM_BASE + 0x40000);
	assert_null(pf_find(&f->host, RAM_BASE));
	assert_non_null(pf_find(&f->host, RAM_BASE + 0x40000));
	/* the upper half of the 64-bit BAR moves it too */
	pf_wr(f, PCI_BAR0 + 12, 4, 0x9);
	assert_false(pf_claimed(f, TRAP_MMIO, M64_BASE));
	assert_true(pf_claimed(f, TRAP_MMIO, 0x900000000ULL));

	/* memory off: every memory BAR goes, I/O stays */
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO);
	assert_false(pf_claimed(f, TRAP_MMIO, MMIO_BASE + 0x4000));
	assert_false(pf_claimed(f, TRAP_MMIO, 0x900000000ULL));
	assert_int_equal(pf_nmaps(&f->host), 0);
	assert_false(d->bar[4].mapped);
	assert_int_equal(d->bar[4].mem_handle, -1);
	assert_true(pf_claimed(f, TRAP_PIO, IO_BASE + 0x40));
	pf_wr(f, PCI_COMMAND, 1, 0);                         /* a byte write works too */
	assert_false(pf_claimed(f, TRAP_PIO, IO_BASE + 0x40));
	assert_int_equal(f->host.traps.count[TRAP_PIO] + f->host.traps.count[TRAP_MMIO], 0);
}

static void test_sizing_while_enabled(void **state)
{
	struct fx *f = *state;

	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	/* sizing with decoding on: the BAR leaves, unusable addresses stay unmapped */
	pf_wr(f, PCI_BAR0, 4, 0xFFFFFFFF);                      /* I/O above 64K */
	assert_false(pf_claimed(f, TRAP_PIO, IO_BASE));
	assert_false(f->t->pci.bar[0].mapped);
	pf_wr(f, PCI_BAR0 + 8, 4, 0xFFFFFFFF);
	pf_wr(f, PCI_BAR0 + 12, 4, 0xFFFFFFFF);                 /* 64-bit: beyond 2^52 */
	assert_false(f->t->pci.bar[2].mapped);
	pf_wr(f, PCI_BAR0 + 4, 4, 0);                            /* address 0: off */
	assert_false(f->t->pci.bar[1].mapped);
	pf_wr(f, PCI_BAR0, 4, IO_BASE);
	pf_wr(f, PCI_BAR0 + 8, 4, (uint32_t)M64_BASE);
	pf_wr(f, PCI_BAR0 + 12, 4, (uint32_t)(M64_BASE >> 32));
	assert_true(pf_claimed(f, TRAP_PIO, IO_BASE));
	assert_true(pf_claimed(f, TRAP_MMIO, M64_BASE));
	pf_wr(f, PCI_COMMAND, 2, 0);
}

static void test_bar_conflicts(void **state)
{
	struct fx *f = *state;
	struct tdev *t2 = pf_tdev_new();
	uint8_t d2 = 5 << 3;

	assert_int_equal(pci_bus_add(f->bus, &t2->pci, 5), 0);
	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	/* the second device's BARs onto the first's: refused, no crash */
	pci_bus_cfg_write(f->bus, d2, PCI_BAR0, 4, IO_BASE + 0x10);
	pci_bus_cfg_write(f->bus, d2, PCI_BAR0 + 4, 4, (uint32_t)MMIO_BASE);
	pci_bus_cfg_write(f->bus, d2, PCI_BAR0 + 16, 4, (uint32_t)RAM_BASE);
	pci_bus_cfg_write(f->bus, d2, PCI_BAR0 + 8, 4, 0x10000);   /* onto RAM (trapped) */
	pci_bus_cfg_write(f->bus, d2, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_false(t2->pci.bar[0].mapped);
	assert_false(t2->pci.bar[1].mapped);
	assert_false(t2->pci.bar[4].mapped);
	/* the first device still answers */
	assert_true(pf_claimed(f, TRAP_PIO, IO_BASE + 0x10));
	assert_int_equal(f->t->last_bar, 0);
	assert_true(pf_claimed(f, TRAP_MMIO, MMIO_BASE));
	assert_int_equal(f->t->last_bar, 1);
	assert_ptr_equal(pf_find(&f->host, RAM_BASE)->hva, f->t->ram);

	/* a RAM BAR onto guest RAM is refused by the machine; the place it
	 * left is retried for the BAR that was refused there before */
	pf_wr(f, PCI_BAR0 + 16, 4, 0x100000);
	assert_false(f->t->pci.bar[4].mapped);
	assert_true(t2->pci.bar[4].mapped);
	assert_ptr_equal(pf_find(&f->host, RAM_BASE)->hva, t2->ram);
	assert_int_equal(pf_nmaps(&f->host), 1);

	/* when the first device gets out of the way, the second one decodes */
	pf_wr(f, PCI_COMMAND, 2, 0);
	assert_true(t2->pci.bar[0].mapped);
	assert_true(t2->pci.bar[1].mapped);
	assert_true(t2->pci.bar[4].mapped);
	assert_true(pf_claimed(f, TRAP_MMIO, MMIO_BASE));
	assert_int_equal(t2->reads, 1);

	pci_bus_remove(f->bus, &t2->pci);
	assert_null(t2->pci.bus);
	assert_false(t2->pci.bar[0].mapped);
	assert_false(pf_claimed(f, TRAP_MMIO, MMIO_BASE));
	assert_int_equal(pf_nmaps(&f->host), 0);
	assert_int_equal(pci_bus_cfg_read(f->bus, d2, 0, 4), 0xFFFFFFFF);
	pf_tdev_free(t2);
}

static void test_rom(void **state)
{
	struct fx *f = *state;
	const struct fake_map *m;
	bool c;

	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_null(pf_find(&f->host, ROM_BASE));
	/* enable bit: a read-only slot over a copy padded with zeros */
	pf_wr(f, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_BASE | PCI_ROM_ADDRESS_ENABLE);
	m = pf_find(&f->host, ROM_BASE);
	assert_non_null(m);
	assert_int_equal(m->size, 4096);
	assert_int_equal(m->flags, PCI_MAP_READONLY);
	assert_int_equal((uintptr_t)m->hva % 4096, 0);
	assert_memory_equal(m->hva, f->t->rom, T_ROM_LEN);
	for (unsigned int i = T_ROM_LEN; i < 4096; i++)
		assert_int_equal(((uint8_t *)m->hva)[i], 0);
	assert_true(f->t->pci.rom_bar.mapped);
	assert_int_equal(f->t->pci.rom_bar.addr, ROM_BASE);
	/* memory decoding off or enable bit off: gone */
	pf_wr(f, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_BASE);
	assert_null(pf_find(&f->host, ROM_BASE));

	/* no slot to be had: the ROM is trapped and reads the image */
	f->host.map_fail = -ENOSPC;
	pf_wr(f, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_BASE | PCI_ROM_ADDRESS_ENABLE);
	assert_int_equal(pf_mmio_rd(f, TRAP_MMIO, ROM_BASE, 4, &c), get_le32(f->t->rom));
	assert_true(c);
	assert_int_equal(pf_mmio_rd(f, TRAP_MMIO, ROM_BASE + T_ROM_LEN - 2, 4, &c),
			 get_le16(f->t->rom + T_ROM_LEN - 2));
	assert_int_equal(pf_mmio_rd(f, TRAP_MMIO, ROM_BASE + 4095, 1, &c), 0);
	pf_mmio_wr(f, ROM_BASE, 4, 0);                         /* read-only */
	assert_int_equal(pf_mmio_rd(f, TRAP_MMIO, ROM_BASE, 4, &c), get_le32(f->t->rom));
	pf_wr(f, PCI_COMMAND, 2, 0);
	assert_false(pf_claimed(f, TRAP_MMIO, ROM_BASE));
	f->host.map_fail = 0;
}

static void test_rom_without_memory_slots(void **state)
{
	struct fake_host h;
	struct pci_bus *bus;
	struct tdev *t = pf_tdev_new();
	uint8_t data[4];
	(void)state;

	memset(&h, 0, sizeof(h));
	assert_int_equal(trap_map_init(&h.traps), 0);
	bus = pf_bus(&h, false);
	assert_int_equal(pci_bus_add(bus, &t->pci, -1), 0);
	assert_int_equal(t->pci.devfn, 0);                   /* first free slot */
	pci_bus_cfg_write(bus, 0, PCI_ROM_ADDRESS, 4, 0xD0000001);
	pci_bus_cfg_write(bus, 0, PCI_BAR0 + 16, 4, 0xD0010000);
	pci_bus_cfg_write(bus, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(trap_dispatch(&h.traps, TRAP_MMIO, 0xD0000010, data, 4, false));
	assert_memory_equal(data, t->rom + 0x10, 4);
	/* a RAM BAR cannot be trapped instead: it stays unmapped */
	assert_false(t->pci.bar[4].mapped);
	pci_bus_destroy(bus);
	trap_map_destroy(&h.traps);
	pf_tdev_free(t);
}

static void test_add_rules(void **state)
{
	struct fx *f = *state;
	struct pci_dev a, b, c;

	pci_dev_init(&a, "a", 1, 1, 0, 0, 0, 0);
	pci_dev_init(&b, "b", 1, 2, 0, 0, 0, 0);
	pci_dev_init(&c, "c", 1, 3, 0, 0, 0, 0);
	assert_int_equal(pci_bus_add(f->bus, &a, 3), -EBUSY);
	assert_int_equal(pci_bus_add(f->bus, &a, 32), -EINVAL);
	assert_int_equal(pci_bus_add(f->bus, &a, -2), -EINVAL);
	assert_int_equal(pci_bus_add_fn(f->bus, &a, 3, 8), -EINVAL);
	assert_int_equal(pci_bus_add(f->bus, &a, -1), 0);
	assert_int_equal(a.devfn, 0);
	assert_int_equal(pci_bus_add(f->bus, &a, 5), -EBUSY);        /* already on */
	assert_int_equal(pci_bus_add_fn(f->bus, &b, 3, 2), 0);       /* function 2 */
	assert_int_equal(b.devfn, 3 << 3 | 2);
	assert_int_equal(pci_bus_cfg_read(f->bus, 3 << 3 | 2, PCI_DEVICE_ID, 2), 2);
	/* a slot with any function used is not free */
	pci_bus_remove(f->bus, &a);
	assert_int_equal(pci_bus_add(f->bus, &c, -1), 0);
	assert_int_equal(c.devfn, 0);
	pci_bus_remove(f->bus, &b);
	pci_bus_remove(f->bus, &c);
	pci_bus_remove(f->bus, &c);                              /* twice: no-op */
	/* full bus */
	struct pci_dev *many = calloc(PCI_MAX_SLOTS, sizeof(*many));
	unsigned int added = 0;
	for (unsigned int i = 0; i < PCI_MAX_SLOTS; i++) {
		pci_dev_init(&many[i], "m", 1, 4, 0, 0, 0, 0);
		int rc = pci_bus_add(f->bus, &many[i], -1);
		if (rc == 0)
			added++;
		else
			assert_int_equal(rc, -ENOSPC);
	}
	assert_int_equal(added, PCI_MAX_SLOTS - 1);
	for (unsigned int i = 0; i < PCI_MAX_SLOTS; i++)
		pci_bus_remove(f->bus, &many[i]);
	free(many);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->t->pci;
	uint8_t power_on[PCI_CFG_SIZE];

	memcpy(power_on, d->cfg, sizeof(power_on));
	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pf_wr(f, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_BASE | 1);
	pf_wr(f, PCI_INTERRUPT_LINE, 1, 10);
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_write(d, T_TABLE + 12, 4, 0);
	pci_msix_notify(d, 0);
	pf_msix_ctl(f, 0);
	pci_intx(d, 1);
	assert_int_equal(f->host.gsi[19], 1);
	assert_int_equal(pf_nmaps(&f->host), 2);

	pci_bus_reset(f->bus);
	assert_memory_equal(d->cfg, power_on, sizeof(power_on));
	assert_int_equal(pf_nmaps(&f->host), 0);
	assert_int_equal(f->host.traps.count[TRAP_PIO] + f->host.traps.count[TRAP_MMIO], 0);
	assert_false(d->bar[1].mapped);
	assert_int_equal(d->bar[1].addr, 0);
	assert_int_equal(f->t->resets, 1);
	assert_int_equal(f->host.gsi[19], 0);               /* RST# drops INTx */
	assert_false(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_false(pci_msix_enabled(d));
	assert_int_equal(pci_msix_read(d, T_TABLE + 12, 4), 1);
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 0);
	/* and it works as before */
	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO);
	assert_true(pf_claimed(f, TRAP_PIO, IO_BASE));
	pf_wr(f, PCI_COMMAND, 2, 0);
}

static void test_assign_default(void **state)
{
	struct fx *f = *state;
	struct tdev *b = pf_tdev_new();
	struct pci_dev big;
	struct pf_tbar none = { 0 };
	uint8_t bdf = 6 << 3;
	static const int isa[4] = PCI_PIRQ_ISA_IRQS;

	pci_dev_init(&big, "big", 1, 2, 0x030000, 0, 0, 0);
	assert_int_equal(pci_set_bar_trap(&big, 0, PCI_BAR_MEM32, 16 << 20, &pf_tbar_ops,
					  &none), 0);
	pci_set_irq_pin(&big, 2);
	assert_int_equal(pci_bus_add(f->bus, &big, 2), 0);
	assert_int_equal(pci_bus_add(f->bus, &b->pci, 6), 0);
	assert_int_equal(pci_bus_assign_default(f->bus), 0);

	/* every BAR in its window, aligned to its size, none overlapping */
	struct { uint64_t a, s; } seen[16];
	unsigned int n = 0;
	struct pci_dev *devs[] = { &f->t->pci, &b->pci, &big };
	for (unsigned int k = 0; k < ARRAY_SIZE(devs); k++) {
		struct pci_dev *d = devs[k];
		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar *bar = &d->bar[i];
			if (bar->type == PCI_BAR_UNUSED)
				continue;
			assert_true(bar->mapped);
			assert_int_equal(bar->addr % bar->size, 0);
			if (bar->type == PCI_BAR_IO)
				assert_true(bar->addr >= PCI_IO_START &&
					    bar->addr + bar->size <= PCI_IO_END);
			else
				assert_true(bar->addr >= PCI_MMIO_START &&
					    bar->addr + bar->size <= PCI_MMIO_END);
			seen[n].a = bar->addr + (bar->type == PCI_BAR_IO ? 1ULL << 40 : 0);
			seen[n++].s = bar->size;
		}
		/* ROMs get a place but stay off */
		if (d->rom_size) {
			assert_true(d->rom_bar.addr >= PCI_MMIO_START);
			assert_int_equal(d->rom_bar.addr % d->rom_size, 0);
			assert_false(d->rom_bar.mapped);
			seen[n].a = d->rom_bar.addr;
			seen[n++].s = d->rom_size;
		}
		uint16_t cmd = get_le16(d->cfg + PCI_COMMAND);
		assert_int_equal(cmd & 7, 7);
		unsigned int slot = d->devfn >> 3, pin = d->cfg[PCI_INTERRUPT_PIN];
		assert_int_equal(d->cfg[PCI_INTERRUPT_LINE], isa[pci_pirq(slot, pin)]);
	}
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			assert_false(seen[i].a < seen[j].a + seen[j].s &&
				     seen[j].a < seen[i].a + seen[i].s);
	/* the biggest BAR comes first */
	assert_int_equal(big.bar[0].addr, PCI_MMIO_START);
	assert_int_equal(pci_bus_cfg_read(f->bus, bdf, PCI_INTERRUPT_LINE, 1), 11); /* PIRQC */
	/* the 64-bit BAR is below 4 GiB, its upper half 0 */
	assert_int_equal(pci_bus_cfg_read(f->bus, bdf, PCI_BAR0 + 12, 4), 0);

	pci_bus_reset(f->bus);
	pci_bus_remove(f->bus, &big);
	pci_bus_remove(f->bus, &b->pci);
	pf_tdev_free(b);
}

static void test_assign_default_full(void **state)
{
	struct fx *f = *state;
	struct pci_dev huge[2];
	struct pf_tbar none = { 0 };

	for (int i = 0; i < 2; i++) {
		pci_dev_init(&huge[i], "huge", 1, 2, 0, 0, 0, 0);
		assert_int_equal(pci_set_bar_trap(&huge[i], 0, PCI_BAR_MEM32, 1ULL << 30,
						  &pf_tbar_ops, &none), 0);
		assert_int_equal(pci_bus_add(f->bus, &huge[i], 10 + i), 0);
	}
	/* a 1 GiB BAR does not fit the 1004 MiB window: refused, nothing enabled */
	assert_int_equal(pci_bus_assign_default(f->bus), -ENOSPC);
	assert_int_equal(get_le16(huge[0].cfg + PCI_COMMAND), 0);
	assert_int_equal(f->host.traps.count[TRAP_MMIO], 0);
	pci_bus_remove(f->bus, &huge[0]);
	pci_bus_remove(f->bus, &huge[1]);
}

static void test_snapshot_roundtrip(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->t->pci;
	struct fx g;
	struct snap s, l;

	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	pf_wr(f, PCI_INTERRUPT_LINE, 1, 11);
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_write(d, T_TABLE + 16, 8, 0xFEE00000);
	pci_msix_write(d, T_TABLE + 24, 8, 0x31);         /* data, unmasked */
	pci_msix_notify(d, 1);                            /* pending under MASKALL */
	pf_msix_ctl(f, PCI_MSIX_FLAGS_MASKALL);              /* keep it pending, MSI-X off */
	pci_intx(d, 1);
	assert_int_equal(f->host.gsi[19], 1);

	snap_init_save(&s);
	assert_int_equal(pci_dev_snapshot(d, &s), 0);

	/* a fresh instance on a bus (and machine) of its own, another slot */
	memset(&g, 0, sizeof(g));
	assert_int_equal(trap_map_init(&g.host.traps), 0);
	g.bus = pf_bus(&g.host, true);
	g.t = pf_tdev_new();
	assert_int_equal(pci_bus_add(g.bus, &g.t->pci, 4), 0);
	g.devfn = 4 << 3;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(pci_dev_snapshot(&g.t->pci, &l), 0);
	assert_int_equal(l.pos, l.len);

	assert_memory_equal(g.t->pci.cfg, d->cfg, PCI_CFG_SIZE);
	/* mapped where the old one was */
	assert_true(pf_claimed(&g, TRAP_PIO, IO_BASE));
	assert_true(pf_claimed(&g, TRAP_MMIO, MMIO_BASE));
	assert_true(pf_claimed(&g, TRAP_MMIO, M64_BASE));
	assert_non_null(pf_find(&g.host, RAM_BASE));
	assert_ptr_equal(pf_find(&g.host, RAM_BASE)->hva, g.t->ram);
	/* INTx drives the new slot's PIRQ ((4 + 1 - 1) % 4 = A) */
	assert_int_equal(g.host.gsi[16], 1);
	/* MSI-X: entries and the pending bit; unmasking the function sends */
	struct pci_dev *e = &g.t->pci;
	assert_int_equal(pci_msix_read(e, T_TABLE + 16, 8), 0xFEE00000);
	assert_int_equal(pci_msix_read(e, T_TABLE + 24, 8), 0x31);
	assert_int_equal(pci_msix_read(e, T_PBA, 8), 2);
	assert_false(pci_msix_enabled(e));
	pci_bus_cfg_write(g.bus, g.devfn, pf_msix_cap(&g) + PCI_MSIX_FLAGS, 2,
			  PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(g.host.msis, 1);
	assert_int_equal(g.host.msi_data, 0x31);
	assert_int_equal(g.host.gsi[16], 0);              /* MSI-X on gates INTx */

	pci_bus_destroy(g.bus);
	pf_tdev_free(g.t);
	trap_map_destroy(&g.host.traps);
	snap_free(&s);
	pci_intx(d, 0);
}

static void test_snapshot_hostile(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->t->pci;
	struct pci_dev other;
	struct snap s, l;
	size_t cfg_at;

	snap_init_save(&s);
	assert_int_equal(pci_dev_snapshot(d, &s), 0);
	/* find the config space in the stream: right before INTx and nvec */
	cfg_at = s.len - (4 + 4 + T_NVEC * 16 + 8) - PCI_CFG_SIZE;
	assert_int_equal(get_le16(s.buf + cfg_at), T_VENDOR);

	/* another device's record: refused */
	pci_dev_init(&other, "o", 1, 2, 0, 0, 0, 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(pci_dev_snapshot(&other, &l), -EINVAL);

	/* read-only bits in the stream do not load; writable ones do */
	uint8_t *buf = malloc(s.len);
	memcpy(buf, s.buf, s.len);
	buf[cfg_at + PCI_BAR0] = 0xF0;                     /* clears the I/O type bit */
	buf[cfg_at + PCI_BAR0 + 1] = 0xC1;
	buf[cfg_at + PCI_INTERRUPT_PIN] = 4;
	buf[cfg_at + PCI_CAPABILITY_LIST] = 0xFC;
	buf[cfg_at + PCI_INTERRUPT_LINE] = 9;
	snap_init_load(&l, buf, s.len);
	assert_int_equal(pci_dev_snapshot(d, &l), 0);
	assert_int_equal(pf_rd(f, PCI_BAR0, 4), 0xC1E1);  /* 0xC1F0 under the mask, | IO */
	assert_int_equal(pf_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(pf_rd(f, PCI_CAPABILITY_LIST, 1), PCI_CAP_START);
	assert_int_equal(pf_rd(f, PCI_INTERRUPT_LINE, 1), 9);

	/* a bad INTx level, a short stream: refused */
	memcpy(buf, s.buf, s.len);
	put_le32(buf + cfg_at + PCI_CFG_SIZE, 7);
	snap_init_load(&l, buf, s.len);
	assert_int_equal(pci_dev_snapshot(d, &l), -EINVAL);
	snap_init_load(&l, s.buf, s.len - 3);
	assert_true(pci_dev_snapshot(d, &l) < 0);
	free(buf);
	snap_free(&s);
}

static void test_no_bus(void **state)
{
	struct tdev *t = pf_tdev_new();
	struct snap s, l;
	(void)state;

	/* a device not (yet) on a bus: no crash, nothing sent */
	pci_intx(&t->pci, 1);
	assert_false(pci_msix_notify(&t->pci, 0));
	pci_msix_write(&t->pci, T_TABLE, 4, 0x1234);
	assert_int_equal(pci_msix_read(&t->pci, T_TABLE, 4), 0x1234);
	snap_init_save(&s);
	assert_int_equal(pci_dev_snapshot(&t->pci, &s), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(pci_dev_snapshot(&t->pci, &l), 0);
	assert_int_equal(t->pci.intx_level, 1);
	snap_free(&s);
	pf_tdev_free(t);
	pci_bus_destroy(NULL);
}

static const struct CMUnitTest tests[] = {
	T(test_identity),
	T(test_status_w1c),
	T(test_hostile_cfg),
	T(test_map_on_command),
	T(test_sizing_while_enabled),
	T(test_bar_conflicts),
	T(test_rom),
	cmocka_unit_test(test_rom_without_memory_slots),
	T(test_add_rules),
	T(test_reset),
	T(test_assign_default),
	T(test_assign_default_full),
	T(test_snapshot_roundtrip),
	T(test_snapshot_hostile),
	cmocka_unit_test(test_no_bus),
};

UNIT_SUITE(pci, tests);
