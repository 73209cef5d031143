/*
 * pci_fake.c - the fake machine, test device and fixture the PCI unit
 * tests share (pci_fake.h).
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "pci_fake.h"

static int fake_map_memory(void *ctx, uint64_t gpa, uint64_t size, void *hva,
			   unsigned int flags)
{
	struct fake_host *f = ctx;

	f->map_calls++;
	if (f->map_fail)
		return f->map_fail;
	if (gpa < FAKE_RAM_END)
		return -EBUSY;
	for (int i = 0; i < FAKE_MAPS; i++)
		if (f->maps[i].used && gpa < f->maps[i].gpa + f->maps[i].size &&
		    f->maps[i].gpa < gpa + size)
			return -EBUSY;
	for (int i = 0; i < FAKE_MAPS; i++) {
		if (!f->maps[i].used) {
			f->maps[i] = (struct fake_map){ true, gpa, size, hva, flags };
			return i;
		}
	}
	return -ENOSPC;
}

static int fake_unmap_memory(void *ctx, int h)
{
	struct fake_host *f = ctx;

	f->unmap_calls++;
	if (h < 0 || h >= FAKE_MAPS || !f->maps[h].used)
		return -ENOENT;
	f->maps[h].used = false;
	return 0;
}

static void fake_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct fake_host *f = ctx;

	f->msis++;
	f->msi_addr = addr;
	f->msi_data = data;
}

static void fake_set_gsi(void *ctx, unsigned int gsi, int level)
{
	struct fake_host *f = ctx;

	assert_true(gsi < 24);
	assert_int_not_equal(f->gsi[gsi], level);   /* changes only */
	f->gsi[gsi] = level;
	f->gsi_calls[gsi]++;
}

struct pci_bus_host pf_host(struct fake_host *f, bool with_memory)
{
	return (struct pci_bus_host){
		.traps = &f->traps,
		.map_memory = with_memory ? fake_map_memory : NULL,
		.unmap_memory = with_memory ? fake_unmap_memory : NULL,
		.msi = fake_msi,
		.set_gsi = fake_set_gsi,
		.ctx = f,
	};
}

struct pci_bus *pf_bus(struct fake_host *f, bool with_memory)
{
	struct pci_bus_host h = pf_host(f, with_memory);

	return pci_bus_create(&h);
}

const struct fake_map *pf_find(const struct fake_host *f, uint64_t gpa)
{
	for (int i = 0; i < FAKE_MAPS; i++)
		if (f->maps[i].used && f->maps[i].gpa == gpa)
			return &f->maps[i];
	return NULL;
}

unsigned int pf_nmaps(const struct fake_host *f)
{
	unsigned int n = 0;
	for (int i = 0; i < FAKE_MAPS; i++)
		n += f->maps[i].used;
	return n;
}

static uint64_t tbar_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pf_tbar *b = opaque;

	b->t->reads++;
	b->t->last_bar = b->idx;
	b->t->last_off = off;
	if (b->idx == 2 && off >= T_TABLE)
		return pci_msix_read(&b->t->pci, off, size);
	return 0xA0 + b->idx;
}

static void tbar_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	struct pf_tbar *b = opaque;

	b->t->writes++;
	b->t->last_bar = b->idx;
	b->t->last_off = off;
	b->t->last_val = val;
	if (b->idx == 2 && off >= T_TABLE)
		pci_msix_write(&b->t->pci, off, size, val);
}

const struct trap_ops pf_tbar_ops = { tbar_read, tbar_write };

static void t_reset(struct pci_dev *d)
{
	struct tdev *t = d->opaque;
	t->resets++;
}

static void t_cfg_write(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	struct tdev *t = d->opaque;
	(void)off;
	(void)size;
	(void)val;
	t->cfg_writes++;
}

struct tdev *pf_tdev_new(void)
{
	struct tdev *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->ram = aligned_alloc(4096, T_RAM_SIZE);
	assert_non_null(t->ram);
	for (unsigned int i = 0; i < T_ROM_LEN; i++)
		t->rom[i] = (uint8_t)(i * 7 + 1);
	pci_dev_init(&t->pci, "tdev", T_VENDOR, T_DEVICE, T_CLASS, 3, 0x1AF4, 0x1100);
	t->pci.opaque = t;
	t->pci.reset = t_reset;
	t->pci.cfg_write = t_cfg_write;
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		t->bars[i] = (struct pf_tbar){ t, i };
	assert_int_equal(pci_set_bar_trap(&t->pci, 0, PCI_BAR_IO, T_IO_SIZE, &pf_tbar_ops,
					  &t->bars[0]), 0);
	assert_int_equal(pci_set_bar_trap(&t->pci, 1, PCI_BAR_MEM32, 3000, &pf_tbar_ops,
					  &t->bars[1]), 0);   /* rounded up to 4K */
	assert_int_equal(pci_set_bar_trap(&t->pci, 2, PCI_BAR_MEM64, T_M64_SIZE, &pf_tbar_ops,
					  &t->bars[2]), 0);
	assert_int_equal(pci_set_bar_ram(&t->pci, 4, PCI_BAR_MEM32, T_RAM_SIZE, t->ram,
					 true, true), 0);
	assert_int_equal(pci_set_rom(&t->pci, t->rom, T_ROM_LEN), 0);
	pci_set_irq_pin(&t->pci, 1);
	assert_int_equal(pci_msix_init(&t->pci, T_NVEC, 2, T_TABLE, T_PBA), 0);
	return t;
}

void pf_tdev_free(struct tdev *t)
{
	free(t->ram);
	free(t);
}

int pf_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || trap_map_init(&f->host.traps))
		return -1;
	f->bus = pf_bus(&f->host, true);
	if (!f->bus)
		return -1;
	f->t = pf_tdev_new();
	if (pci_bus_add(f->bus, &f->t->pci, 3) < 0)
		return -1;
	f->devfn = 3 << 3;
	*state = f;
	return 0;
}

int pf_teardown(void **state)
{
	struct fx *f = *state;

	pci_bus_destroy(f->bus);
	pf_tdev_free(f->t);
	/* everything the bus mapped is gone again */
	assert_int_equal(pf_nmaps(&f->host), 0);
	assert_int_equal(f->host.traps.count[TRAP_PIO], 0);
	assert_int_equal(f->host.traps.count[TRAP_MMIO], 0);
	trap_map_destroy(&f->host.traps);
	free(f);
	return 0;
}

uint32_t pf_rd(struct fx *f, unsigned int off, unsigned int size)
{
	return pci_bus_cfg_read(f->bus, f->devfn, off, size);
}

void pf_wr(struct fx *f, unsigned int off, unsigned int size, uint32_t val)
{
	pci_bus_cfg_write(f->bus, f->devfn, off, size, val);
}

uint64_t pf_mmio_rd(struct fx *f, enum trap_space sp, uint64_t addr, unsigned int size,
			bool *claimed)
{
	uint8_t data[8] = { 0 };
	uint64_t v = 0;

	*claimed = trap_dispatch(&f->host.traps, sp, addr, data, size, false);
	memcpy(&v, data, size);
	return v;
}

bool pf_claimed(struct fx *f, enum trap_space sp, uint64_t addr)
{
	bool c;
	pf_mmio_rd(f, sp, addr, 1, &c);
	return c;
}

void pf_mmio_wr(struct fx *f, uint64_t addr, unsigned int size, uint64_t val)
{
	uint8_t data[8];

	memcpy(data, &val, 8);
	trap_dispatch(&f->host.traps, TRAP_MMIO, addr, data, size, true);
}

void pf_program_bars(struct fx *f)
{
	pf_wr(f, PCI_BAR0, 4, IO_BASE);
	pf_wr(f, PCI_BAR0 + 4, 4, (uint32_t)MMIO_BASE);
	pf_wr(f, PCI_BAR0 + 8, 4, (uint32_t)M64_BASE);
	pf_wr(f, PCI_BAR0 + 12, 4, (uint32_t)(M64_BASE >> 32));
	pf_wr(f, PCI_BAR0 + 16, 4, (uint32_t)RAM_BASE);
	pf_wr(f, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_BASE);
}

uint32_t pf_size_bar(struct fx *f, unsigned int reg)
{
	uint32_t old = pf_rd(f, reg, 4), v;

	pf_wr(f, reg, 4, 0xFFFFFFFF);
	v = pf_rd(f, reg, 4);
	pf_wr(f, reg, 4, old);
	assert_int_equal(pf_rd(f, reg, 4), old);
	return v;
}

unsigned int pf_msix_cap(struct fx *f)
{
	unsigned int c = pf_rd(f, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(pf_rd(f, c, 1), PCI_CAP_ID_MSIX);
	return c;
}

void pf_msix_ctl(struct fx *f, uint16_t bits)
{
	pf_wr(f, pf_msix_cap(f) + PCI_MSIX_FLAGS, 2, bits);
}
