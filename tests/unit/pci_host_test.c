/*
 * pci_host_test.c - the chipset's PCI side (dev/pci_host.c) through its
 * ports, as SeaBIOS and Linux use them: configuration mechanism #1 on
 * 0xCF8/0xCFC (also through the trap map, beside the reset control
 * register at 0xCF9), the i440FX and PIIX3 config spaces, PIRQ routing,
 * ELCR, reset and snapshot; and the DSDT's PCI root bridge and _PRT.
 */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/acpi.h"
#include "vmm/dev/pci_host.h"
#include "vmm/pci.h"
#include "pci_fake_host.h"

struct fx {
	struct fake_host fake;        /* the trap map, the GSI levels */
	struct pci_host *h;
	struct pci_bus *bus;
	/* a 1-byte device at 0xCF9, as sysctl.c registers it */
	unsigned int cf9_writes;
	uint8_t cf9_last;
	/* a PCI device with INTA in slot 5 */
	struct pci_dev dev;
};

static uint64_t cf9_read(void *opaque, uint64_t off, unsigned int size)
{
	struct fx *f = opaque;
	(void)off;
	(void)size;
	return f->cf9_last;
}

static void cf9_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	struct fx *f = opaque;
	(void)off;
	(void)size;
	f->cf9_writes++;
	f->cf9_last = (uint8_t)val;
}

static const struct trap_ops cf9_ops = { cf9_read, cf9_write };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || trap_map_init(&f->fake.traps))
		return -1;
	struct pci_bus_host host = pf_host(&f->fake, false);
	if (trap_register(&f->fake.traps, TRAP_PIO, 0xCF9, 1, &cf9_ops, f))
		return -1;
	if (pci_host_create(&host, &f->h) || pci_host_register_ports(f->h, &f->fake.traps))
		return -1;
	f->bus = pci_host_bus(f->h);
	pci_dev_init(&f->dev, "nic", 0x10EC, 0x8139, 0x020000, 0x20, 0, 0);
	pci_set_irq_pin(&f->dev, 1);
	if (pci_bus_add(f->bus, &f->dev, 5))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pci_host_destroy(f->h);
	/* the host's ports are gone, the 0xCF9 device stays */
	assert_int_equal(f->fake.traps.count[TRAP_PIO], 1);
	trap_map_destroy(&f->fake.traps);
	free(f);
	return 0;
}

/* Port I/O through the trap map, as the vCPU loop does it. */
static uint32_t in(struct fx *f, uint16_t port, unsigned int size)
{
	uint8_t data[4] = { 0 };
	uint32_t v = 0;

	trap_dispatch(&f->fake.traps, TRAP_PIO, port, data, size, false);
	memcpy(&v, data, size);
	return v;
}

static void out(struct fx *f, uint16_t port, unsigned int size, uint32_t val)
{
	uint8_t data[4];

	memcpy(data, &val, 4);
	trap_dispatch(&f->fake.traps, TRAP_PIO, port, data, size, true);
}

static uint32_t cfg_addr(unsigned int devfn, unsigned int reg)
{
	return 0x80000000u | devfn << 8 | reg;
}

static uint32_t cfg_rd(struct fx *f, unsigned int devfn, unsigned int reg, unsigned int size)
{
	out(f, 0xCF8, 4, cfg_addr(devfn, reg & ~3u));
	return in(f, (uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_wr(struct fx *f, unsigned int devfn, unsigned int reg, unsigned int size,
		   uint32_t val)
{
	out(f, 0xCF8, 4, cfg_addr(devfn, reg & ~3u));
	out(f, (uint16_t)(0xCFC + (reg & 3)), size, val);
}

#define HB PCI_HOST_I440FX_DEVFN
#define ISA PCI_HOST_PIIX3_DEVFN

/* ---- mechanism #1 ------------------------------------------------------------- */

static void test_config_address(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in(f, 0xCF8, 4), 0);
	out(f, 0xCF8, 4, 0xFFFFFFFF);                 /* reserved bits read 0 */
	assert_int_equal(in(f, 0xCF8, 4), 0x80FFFFFC);
	/* Linux's pci_check_type1(): bytes at 0xCFB/0xCF8 are not CONFIG_ADDRESS */
	out(f, 0xCFB, 1, 0x01);
	uint32_t tmp = in(f, 0xCF8, 4);
	assert_int_equal(tmp, 0x80FFFFFC);
	out(f, 0xCF8, 4, 0x80000000);
	assert_int_equal(in(f, 0xCF8, 4), 0x80000000);
	out(f, 0xCF8, 4, tmp);
	out(f, 0xCF8, 1, 0x00);
	out(f, 0xCFA, 1, 0x00);
	out(f, 0xCF8, 2, 0x1234);
	assert_int_equal(in(f, 0xCF8, 4), 0x80FFFFFC);
	assert_int_equal(in(f, 0xCF8, 1), 0xFF);
	assert_int_equal(in(f, 0xCF8, 2), 0xFFFF);
	/* 0xCF9 still reaches the reset control register */
	out(f, 0xCF9, 1, 0x02);
	assert_int_equal(f->cf9_writes, 1);
	assert_int_equal(in(f, 0xCF9, 1), 0x02);
	assert_int_equal(in(f, 0xCF8, 4), 0x80FFFFFC);
	/* a dword at 0xCF8 does not reach 0xCF9 */
	out(f, 0xCF8, 4, 0x80000006);
	assert_int_equal(f->cf9_writes, 1);
	assert_int_equal(in(f, 0xCF8, 4), 0x80000004);
}

static void test_config_data(void **state)
{
	struct fx *f = *state;

	/* 00.0 and 01.0 by dword, word and byte, at every data port offset */
	assert_int_equal(cfg_rd(f, HB, 0, 4), 0x12378086);
	assert_int_equal(cfg_rd(f, ISA, 0, 4), 0x70008086);
	out(f, 0xCF8, 4, cfg_addr(ISA, 0));
	assert_int_equal(in(f, 0xCFC, 2), 0x8086);
	assert_int_equal(in(f, 0xCFE, 2), 0x7000);
	assert_int_equal(in(f, 0xCFD, 1), 0x80);
	assert_int_equal(in(f, 0xCFF, 1), 0x70);
	out(f, 0xCF8, 4, cfg_addr(ISA, PCI_HEADER_TYPE & ~3u));
	assert_int_equal(in(f, 0xCFE, 1), 0x80);    /* multi-function */
	/* straddling the dword: all ones */
	out(f, 0xCF8, 4, cfg_addr(ISA, 0));
	assert_int_equal(in(f, 0xCFD, 4), 0xFFFFFFFF);
	assert_int_equal(in(f, 0xCFF, 2), 0xFFFF);
	/* a word at 0xCFD is bytes 1-2, as the byte enables say */
	assert_int_equal(in(f, 0xCFD, 2), 0x0080);
	/* byte writes at 0xCFD reach the register's second byte */
	out(f, 0xCF8, 4, cfg_addr(ISA, PIIX3_PIRQRC));
	out(f, 0xCFD, 1, 0x0B);
	assert_int_equal(in(f, 0xCFC, 4), 0x80800B80);
	out(f, 0xCFE, 2, 0x0A0A);
	assert_int_equal(in(f, 0xCFC, 4), 0x0A0A0B80);
	out(f, 0xCFD, 4, 0);                          /* straddles: dropped */
	assert_int_equal(in(f, 0xCFC, 4), 0x0A0A0B80);
	/* enable bit clear, other buses, absent functions: all ones, no effect */
	out(f, 0xCF8, 4, cfg_addr(HB, 0) & ~0x80000000u);
	assert_int_equal(in(f, 0xCFC, 4), 0xFFFFFFFF);
	out(f, 0xCFC, 4, 0);
	out(f, 0xCF8, 4, cfg_addr(HB, 0) | 1 << 16);
	assert_int_equal(in(f, 0xCFC, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, ISA | 1, 0, 4), 0xFFFFFFFF);     /* 01.1: no IDE */
	assert_int_equal(cfg_rd(f, 2 << 3, 0, 2), 0xFFFF);
	assert_int_equal(cfg_rd(f, 0xFF, 0, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, 5 << 3, 0, 4), 0x813910EC);
	/* the extended-register bits 27:24 (AMD) are reserved: dropped */
	out(f, 0xCF8, 4, 0x8F000000);
	assert_int_equal(in(f, 0xCF8, 4), 0x80000000);
	assert_int_equal(in(f, 0xCFC, 4), 0x12378086);
}

/* Linux's pci_sanity_check() for type 1: a host bridge or an Intel device. */
static void test_linux_sanity_check(void **state)
{
	struct fx *f = *state;
	bool found = false;

	for (unsigned int devfn = 0; devfn < 0x100; devfn++) {
		uint16_t cls = (uint16_t)cfg_rd(f, devfn, PCI_CLASS_DEVICE, 2);
		uint16_t vendor = (uint16_t)cfg_rd(f, devfn, PCI_VENDOR_ID, 2);
		if (cls == 0x0600 || cls == 0x0300 || vendor == 0x8086 || vendor == 0x0E11) {
			found = true;
			break;
		}
	}
	assert_true(found);
}

/* ---- the two functions --------------------------------------------------------------- */

static void test_i440fx(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfg_rd(f, HB, PCI_REVISION_ID, 4), 0x06000002);
	assert_int_equal(cfg_rd(f, HB, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_rd(f, HB, PCI_COMMAND, 2), 0x0006);
	assert_int_equal(cfg_rd(f, HB, PCI_STATUS, 2), 0x0280);
	assert_int_equal(cfg_rd(f, HB, PCI_INTERRUPT_PIN, 1), 0);
	for (unsigned int b = 0; b < PCI_NUM_BARS; b++)
		assert_int_equal(cfg_rd(f, HB, PCI_BAR0 + 4 * b, 4), 0);
	cfg_wr(f, HB, PCI_COMMAND, 2, 0);
	assert_int_equal(cfg_rd(f, HB, PCI_COMMAND, 2), 0x0006);
	/* PAM: stored with their defined bits, as SeaBIOS's shadowing writes them */
	for (unsigned int i = 0; i < I440FX_NPAM; i++)
		assert_int_equal(cfg_rd(f, HB, I440FX_PAM0 + i, 1), 0);
	cfg_wr(f, HB, I440FX_PAM0, 1, 0xFF);
	for (unsigned int i = 1; i < I440FX_NPAM; i++)
		cfg_wr(f, HB, I440FX_PAM0 + i, 1, 0xFF);
	assert_int_equal(cfg_rd(f, HB, I440FX_PAM0, 1), 0x30);
	assert_int_equal(cfg_rd(f, HB, 0x5C, 4), 0x33333333);
	/* SMRAM: reset 0x02; D_LCK closes D_OPEN and locks all but D_CLS */
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x02);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0xE8);
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x6A);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0x48);
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x4A);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0x5A);        /* D_LCK with D_OPEN */
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x1A);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0x40);        /* locked: only D_CLS moves */
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x1A);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0x20);
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x3A);

	/* reset: PAM 0, SMRAM unlocked at 0x02 */
	pci_host_reset(f->h);
	assert_int_equal(cfg_rd(f, HB, 0x58, 4), 0);
	assert_int_equal(cfg_rd(f, HB, 0x5C, 4), 0);
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x02);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0x40);
	assert_int_equal(cfg_rd(f, HB, I440FX_SMRAM, 1), 0x42);
}

static void test_piix3(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfg_rd(f, ISA, PCI_REVISION_ID, 4), 0x06010000);
	assert_int_equal(cfg_rd(f, ISA, PCI_HEADER_TYPE, 1), 0x80);
	assert_int_equal(cfg_rd(f, ISA, PCI_COMMAND, 2), 0x0007);
	assert_int_equal(cfg_rd(f, ISA, PCI_INTERRUPT_PIN, 1), 0);
	assert_int_equal(cfg_rd(f, ISA, PIIX3_PIRQRC, 4), 0x80808080);
	/* reserved bits 6:4 of PIRQRC read 0 */
	cfg_wr(f, ISA, PIIX3_PIRQRC, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_rd(f, ISA, PIIX3_PIRQRC, 4), 0x8F8F8F8F);
	/* Linux's passive-release quirk writes 0x82; nothing breaks */
	cfg_wr(f, ISA, 0x82, 1, 0x02);
	assert_int_equal(cfg_rd(f, ISA, 0, 4), 0x70008086);
}

static void test_pirq_routing(void **state)
{
	struct fx *f = *state;

	/* 05.0 INTA: PIRQ (5 + 1 - 1) % 4 = B, GSI 17; no ISA IRQ while disabled */
	pci_intx(&f->dev, 1);
	assert_int_equal(f->fake.gsi[17], 1);
	for (int i = 0; i < 16; i++)
		assert_int_equal(f->fake.gsi_calls[i], 0);
	/* SeaBIOS routes PIRQB to IRQ 10: the asserted line shows up there */
	cfg_wr(f, ISA, PIIX3_PIRQRC + 1, 1, 10);
	assert_int_equal(f->fake.gsi[10], 1);
	cfg_wr(f, ISA, PIIX3_PIRQRC + 1, 1, 11);
	assert_int_equal(f->fake.gsi[10], 0);
	assert_int_equal(f->fake.gsi[11], 1);
	pci_intx(&f->dev, 0);
	assert_int_equal(f->fake.gsi[11], 0);
	assert_int_equal(f->fake.gsi[17], 0);
	pci_intx(&f->dev, 1);
	assert_int_equal(f->fake.gsi[11], 1);
	/* bit 7 disables the route; reserved IRQ numbers route nowhere */
	cfg_wr(f, ISA, PIIX3_PIRQRC + 1, 1, 0x8B);
	assert_int_equal(f->fake.gsi[11], 0);
	cfg_wr(f, ISA, PIIX3_PIRQRC + 1, 1, 0x02);
	cfg_wr(f, ISA, PIIX3_PIRQRC + 1, 1, 0x0D);
	for (int i = 0; i < 16; i++)
		assert_int_equal(f->fake.gsi[i], 0);
	/* a system reset lowers INTx and disables every route */
	cfg_wr(f, ISA, PIIX3_PIRQRC + 1, 1, 0x05);
	assert_int_equal(f->fake.gsi[5], 1);
	pci_host_reset(f->h);
	assert_int_equal(f->fake.gsi[5], 0);
	assert_int_equal(f->fake.gsi[17], 0);
	assert_int_equal(cfg_rd(f, ISA, PIIX3_PIRQRC, 4), 0x80808080);
	pci_intx(&f->dev, 1);
	for (int i = 0; i < 16; i++)
		assert_int_equal(f->fake.gsi[i], 0);
	pci_intx(&f->dev, 0);
}

static void test_elcr(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in(f, 0x4D0, 1), 0);
	assert_int_equal(in(f, 0x4D1, 1), 0);
	/* SeaBIOS: IRQ 10 and 11 level-triggered */
	out(f, 0x4D0, 1, 0x00);
	out(f, 0x4D1, 1, 0x0C);
	assert_int_equal(in(f, 0x4D1, 1), 0x0C);
	assert_int_equal(in(f, 0x4D0, 2), 0x0C00);
	/* IRQ 0-2, 8 and 13 cannot be level-triggered */
	out(f, 0x4D0, 2, 0xFFFF);
	assert_int_equal(in(f, 0x4D0, 1), 0xF8);
	assert_int_equal(in(f, 0x4D1, 1), 0xDE);
	pci_host_reset(f->h);
	assert_int_equal(in(f, 0x4D0, 2), 0);
}

/* ---- direct boot placement, reset, snapshot ------------------------------------------ */

static void test_assign_default_routes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pci_bus_assign_default(f->bus), 0);
	/* what SeaBIOS's piix_isa_bridge_setup() and pci_bios_init_device() write */
	assert_int_equal(cfg_rd(f, ISA, PIIX3_PIRQRC, 4), 0x0B0B0A0A);
	assert_int_equal(cfg_rd(f, 5 << 3, PCI_INTERRUPT_LINE, 1), 10);   /* PIRQB */
	assert_int_equal(cfg_rd(f, 5 << 3, PCI_COMMAND, 2) & 7, 7);
	pci_intx(&f->dev, 1);
	assert_int_equal(f->fake.gsi[10], 1);
	assert_int_equal(f->fake.gsi[17], 1);
	pci_intx(&f->dev, 0);
	/* the chipset functions keep their hardwired COMMAND values */
	assert_int_equal(cfg_rd(f, HB, PCI_COMMAND, 2), 0x0006);
	assert_int_equal(cfg_rd(f, ISA, PCI_COMMAND, 2), 0x0007);
}

static void test_snapshot(void **state)
{
	struct fx *f = *state;
	struct fx g;
	struct snap s, l;

	out(f, 0x4D1, 1, 0x0C);
	cfg_wr(f, HB, I440FX_PAM0 + 3, 1, 0x11);
	cfg_wr(f, HB, I440FX_SMRAM, 1, 0x1A);          /* locked */
	cfg_wr(f, ISA, PIIX3_PIRQRC, 4, 0x0B0B0A0A);
	out(f, 0xCF8, 4, cfg_addr(ISA, 0x60));
	snap_init_save(&s);
	assert_int_equal(pci_host_snapshot(f->h, &s), 0);

	memset(&g, 0, sizeof(g));
	assert_int_equal(trap_map_init(&g.fake.traps), 0);
	struct pci_bus_host host = pf_host(&g.fake, false);
	assert_int_equal(pci_host_create(&host, &g.h), 0);
	assert_int_equal(pci_host_register_ports(g.h, &g.fake.traps), 0);
	g.bus = pci_host_bus(g.h);
	pci_dev_init(&g.dev, "nic", 0x10EC, 0x8139, 0x020000, 0x20, 0, 0);
	pci_set_irq_pin(&g.dev, 1);
	assert_int_equal(pci_bus_add(g.bus, &g.dev, 5), 0);

	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(pci_host_snapshot(g.h, &l), 0);
	assert_int_equal(l.pos, l.len);
	assert_int_equal(in(&g, 0xCF8, 4), cfg_addr(ISA, 0x60));
	assert_int_equal(in(&g, 0xCFC, 4), 0x0B0B0A0A);
	assert_int_equal(in(&g, 0x4D1, 1), 0x0C);
	assert_int_equal(cfg_rd(&g, HB, I440FX_PAM0 + 3, 1), 0x11);
	assert_int_equal(cfg_rd(&g, HB, I440FX_SMRAM, 1), 0x1A);
	cfg_wr(&g, HB, I440FX_SMRAM, 1, 0x40);         /* still locked */
	assert_int_equal(cfg_rd(&g, HB, I440FX_SMRAM, 1), 0x1A);
	/* the routes took effect: 05.0 INTA is PIRQB -> IRQ 10 */
	pci_intx(&g.dev, 1);
	assert_int_equal(g.fake.gsi[10], 1);
	pci_intx(&g.dev, 0);

	/* a snapshot of something else is refused */
	snap_init_load(&l, s.buf, s.len);
	assert_int_not_equal(pci_dev_snapshot(&g.dev, &l), 0);
	pci_host_destroy(g.h);
	trap_map_destroy(&g.fake.traps);
	snap_free(&s);
}

static void test_ports_taken(void **state)
{
	struct trap_map t;
	struct pci_host *h;
	struct fx dummy;
	(void)state;

	assert_int_equal(trap_map_init(&t), 0);
	assert_int_equal(pci_host_create(NULL, &h), 0);
	/* someone owns 0xCFC already: nothing of ours stays registered */
	assert_int_equal(trap_register(&t, TRAP_PIO, 0xCFE, 1, &cf9_ops, &dummy), 0);
	assert_int_equal(pci_host_register_ports(h, &t), -EBUSY);
	assert_int_equal(t.count[TRAP_PIO], 1);
	trap_unregister(&t, TRAP_PIO, 0xCFE);
	assert_int_equal(pci_host_register_ports(h, &t), 0);
	assert_int_equal(pci_host_register_ports(h, &t), -EBUSY);
	assert_int_equal(t.count[TRAP_PIO], 3);
	/* direct calls with odd sizes are ignored */
	assert_int_equal(pci_host_io_read(h, 0xCFC, 3), 0xFFFFFFFF);
	pci_host_io_write(h, 0xCF8, 3, 0x80000000);
	assert_int_equal(pci_host_io_read(h, 0xCF8, 4), 0);
	assert_int_equal(pci_host_io_read(h, 0x1234, 1), 0xFF);
	pci_host_destroy(h);
	assert_int_equal(t.count[TRAP_PIO], 0);
	trap_map_destroy(&t);
	pci_host_destroy(NULL);
}

/* ---- two vCPUs at once ------------------------------------------------------------------ */

struct stress {
	struct fx *f;
	struct pci_dev *d;
	volatile bool stop;
	unsigned int hits;
};

static uint64_t stress_bar_read(void *opaque, uint64_t off, unsigned int size)
{
	struct stress *st = opaque;
	(void)size;
	/* a BAR handler that interrupts, as a device completing work does */
	pci_intx(st->d, (int)(off & 1));
	pci_msix_notify(st->d, 0);
	return off;
}

static const struct trap_ops stress_ops = { .read = stress_bar_read };

static void *stress_reader(void *arg)
{
	struct stress *st = arg;
	uint8_t data[4];

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED))
		for (uint64_t a = 0xE0000000; a < 0xE0003000; a += 0x801)
			if (trap_dispatch(&st->f->fake.traps, TRAP_MMIO, a, data, 4, false))
				__atomic_add_fetch(&st->hits, 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * One vCPU moves a BAR and toggles decoding and MSI-X through 0xCF8/0xCFC
 * (config writes that register and unregister trap ranges from inside a
 * trap callback) while another hits the BAR, whose handler raises INTx
 * and MSI-X: no deadlock, no lost range, nothing left mapped.
 */
static void test_concurrent_config_and_bar(void **state)
{
	struct fx *f = *state;
	struct pci_dev d;
	struct stress st = { .f = f, .d = &d };
	pthread_t th;
	const unsigned int devfn = 7 << 3;

	pci_dev_init(&d, "stress", 1, 2, 0xFF0000, 0, 0, 0);
	pci_set_irq_pin(&d, 2);
	assert_int_equal(pci_set_bar_trap(&d, 0, PCI_BAR_MEM32, 0x1000, &stress_ops, &st), 0);
	assert_int_equal(pci_set_bar_trap(&d, 1, PCI_BAR_MEM32, 0x1000, &stress_ops, &st), 0);
	assert_int_equal(pci_msix_init(&d, 2, 1, 0, 0x800), 0);
	assert_int_equal(pci_bus_add(f->bus, &d, 7), 0);
	unsigned int cap = cfg_rd(f, devfn, PCI_CAPABILITY_LIST, 1);
	cfg_wr(f, devfn, PCI_BAR0 + 4, 4, 0xE0002000);
	assert_int_equal(pthread_create(&th, NULL, stress_reader, &st), 0);
	/* at least 3000 rounds, and on until the other vCPU got in 500 times */
	for (unsigned int i = 0; i < 3000 || __atomic_load_n(&st.hits, __ATOMIC_RELAXED) < 500;
	     i++) {
		assert_true(i < 50000000);
		cfg_wr(f, devfn, PCI_BAR0, 4, i & 1 ? 0xE0000000 : 0xE0001000);
		cfg_wr(f, devfn, PCI_COMMAND, 2, i & 2 ? PCI_COMMAND_MEMORY : 0);
		cfg_wr(f, devfn, cap + PCI_MSIX_FLAGS, 2, i & 4 ? PCI_MSIX_FLAGS_ENABLE : 0);
	}
	__atomic_store_n(&st.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	assert_true(st.hits > 0);
	cfg_wr(f, devfn, PCI_COMMAND, 2, 0);
	assert_int_equal(f->fake.traps.count[TRAP_MMIO], 0);
	pci_intx(&d, 0);
	pci_bus_remove(f->bus, &d);
	assert_int_equal(f->fake.gsi[18], 0);
}

/* ---- the DSDT's PCI root bridge ---------------------------------------------------------- */

static const uint8_t *find_bytes(const uint8_t *p, size_t len, const void *pat, size_t n)
{
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, pat, n) == 0)
			return p + i;
	return NULL;
}

/* AML PkgLength (ACPI 6.x, 20.2.4): returns the length, advances *pp. */
static size_t aml_pkglen(const uint8_t **pp)
{
	const uint8_t *p = *pp;
	unsigned int extra = p[0] >> 6;
	size_t len = extra ? (p[0] & 0x0F) : (p[0] & 0x3F);

	for (unsigned int i = 0; i < extra; i++)
		len |= (size_t)p[1 + i] << (4 + 8 * i);
	*pp = p + 1 + extra;
	return len;
}

static uint64_t aml_int(const uint8_t **pp)
{
	const uint8_t *p = *pp;
	uint64_t v;

	switch (p[0]) {
	case 0x00: v = 0; p += 1; break;
	case 0x01: v = 1; p += 1; break;
	case 0x0A: v = p[1]; p += 2; break;
	case 0x0B: v = get_le16(p + 1); p += 3; break;
	case 0x0C: v = get_le32(p + 1); p += 5; break;
	default: fail_msg("not an AML integer: 0x%02x", p[0]); v = 0;
	}
	*pp = p;
	return v;
}

static void test_dsdt_prt(void **state)
{
	size_t len;
	const uint8_t *aml = acpi_dsdt(&len);
	static const uint8_t prt[] = { 0x08, '_', 'P', 'R', 'T', 0x12 };  /* Name, Package */
	static const uint8_t pnp0a03[] = { 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03 };
	int seen[32][4];
	(void)state;

	assert_non_null(find_bytes(aml, len, pnp0a03, sizeof(pnp0a03)));
	const uint8_t *p = find_bytes(aml, len, prt, sizeof(prt));
	assert_non_null(p);
	p += sizeof(prt);
	aml_pkglen(&p);
	unsigned int n = *p++;
	assert_int_equal(n, 128);
	memset(seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(*p++, 0x12);             /* PackageOp */
		aml_pkglen(&p);
		assert_int_equal(*p++, 4);
		uint64_t adr = aml_int(&p), pin = aml_int(&p), src = aml_int(&p);
		uint64_t gsi = aml_int(&p);
		unsigned int slot = (unsigned int)(adr >> 16);
		assert_int_equal(adr & 0xFFFF, 0xFFFF);
		assert_true(slot < 32 && pin < 4);
		assert_int_equal(src, 0);
		/* the same swizzle as the bus: PCI_GSI_BASE + pci_pirq() */
		assert_int_equal(gsi, PCI_GSI_BASE + pci_pirq(slot, (unsigned int)pin + 1));
		seen[slot][pin]++;
	}
	for (unsigned int s = 0; s < 32; s++)
		for (unsigned int pin = 0; pin < 4; pin++)
			assert_int_equal(seen[s][pin], 1);
}

/* Finds a Word/DWord address space descriptor (ACPI 6.4.3.5) of type with
 * this minimum and maximum in the bytes. */
static bool has_window(const uint8_t *p, size_t len, uint8_t type, uint32_t min, uint32_t max)
{
	for (size_t i = 0; i + 23 <= len; i++) {
		if (p[i] == 0x88 && p[i + 3] == type && get_le16(p + i + 8) == min &&
		    get_le16(p + i + 10) == max)
			return true;
		if (p[i] == 0x87 && p[i + 3] == type && get_le32(p + i + 10) == min &&
		    get_le32(p + i + 14) == max)
			return true;
	}
	return false;
}

static void test_dsdt_crs(void **state)
{
	size_t len;
	const uint8_t *aml = acpi_dsdt(&len);
	(void)state;

	assert_true(has_window(aml, len, 2, 0, 0xFF));                 /* bus numbers */
	assert_true(has_window(aml, len, 1, 0, 0xCF7));                /* I/O */
	assert_true(has_window(aml, len, 1, 0xD00, 0xFFFF));
	assert_true(has_window(aml, len, 0, 0xA0000, 0xBFFFF));        /* memory */
	assert_true(has_window(aml, len, 0, (uint32_t)PCI_MMIO_START,
			       (uint32_t)(PCI_MMIO_END - 1)));
	/* the ISA bridge is 01.0 */
	static const uint8_t isa_adr[] = { 0x08, '_', 'A', 'D', 'R', 0x0C, 0, 0, 1, 0 };
	assert_non_null(find_bytes(aml, len, isa_adr, sizeof(isa_adr)));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_config_address),
	T(test_config_data),
	T(test_linux_sanity_check),
	T(test_i440fx),
	T(test_piix3),
	T(test_pirq_routing),
	T(test_elcr),
	T(test_assign_default_routes),
	T(test_snapshot),
	cmocka_unit_test(test_ports_taken),
	T(test_concurrent_config_and_bar),
	cmocka_unit_test(test_dsdt_prt),
	cmocka_unit_test(test_dsdt_crs),
};

UNIT_SUITE(pci_host, tests);
