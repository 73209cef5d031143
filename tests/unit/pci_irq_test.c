/*
 * pci_irq_test.c - interrupts of PCI functions (pci_irq.c): the INTx
 * swizzle, wired-OR per PIRQ, INTX_DISABLE, PIRQ routes to ISA IRQs, and
 * MSI-X masking, pending bits and the function mask, over the fake host
 * (pci_fake.h) that records every GSI level and MSI.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/pci.h"
#include "pci_fake.h"

static void test_intx_swizzle_wired_or(void **state)
{
	struct fx *f = *state;
	struct tdev *a = f->t, *b = pf_tdev_new(), *c = pf_tdev_new();
	struct fake_host *h = &f->host;

	/* slot 3 INTA and slot 7 INTA share PIRQD (GSI 19); slot 4 INTB is PIRQB */
	assert_int_equal(pci_pirq(3, 1), 3);
	assert_int_equal(pci_pirq(7, 1), 3);
	assert_int_equal(pci_pirq(4, 2), 1);
	assert_int_equal(pci_pirq(0, 4), 3);
	assert_int_equal(pci_bus_add(f->bus, &b->pci, 7), 0);
	pci_set_irq_pin(&c->pci, 2);
	assert_int_equal(pci_bus_add(f->bus, &c->pci, 4), 0);
	assert_int_equal(pci_bus_irq_slots(f->bus), (1u << 3) | (1u << 4) | (1u << 7));

	pci_intx(&a->pci, 1);
	assert_int_equal(h->gsi[19], 1);
	assert_int_equal(h->gsi_calls[19], 1);
	assert_true(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_intx(&a->pci, 1);                  /* no change, no call */
	pci_intx(&b->pci, 5);                  /* any nonzero level is 1 */
	assert_int_equal(h->gsi_calls[19], 1);
	pci_intx(&a->pci, 0);
	assert_int_equal(h->gsi[19], 1);       /* b still holds it */
	assert_false(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_intx(&c->pci, 1);
	assert_int_equal(h->gsi[17], 1);
	pci_intx(&b->pci, 0);
	assert_int_equal(h->gsi[19], 0);
	assert_int_equal(h->gsi_calls[19], 2);
	pci_intx(&c->pci, 0);
	assert_int_equal(h->gsi[17], 0);
	/* no ISA IRQ while no route is enabled */
	for (int i = 0; i < 16; i++)
		assert_int_equal(h->gsi_calls[i], 0);

	pci_bus_remove(f->bus, &b->pci);
	pci_bus_remove(f->bus, &c->pci);
	pf_tdev_free(b);
	pf_tdev_free(c);
}

static void test_intx_disable(void **state)
{
	struct fx *f = *state;
	struct fake_host *h = &f->host;

	pci_intx(&f->t->pci, 1);
	assert_int_equal(h->gsi[19], 1);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(h->gsi[19], 0);
	/* the status bit still shows the function's own state */
	assert_true(pf_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_intx(&f->t->pci, 0);
	pci_intx(&f->t->pci, 1);
	assert_int_equal(h->gsi[19], 0);
	assert_int_equal(h->gsi_calls[19], 2);
	pf_wr(f, PCI_COMMAND, 2, 0);
	assert_int_equal(h->gsi[19], 1);
	pci_intx(&f->t->pci, 0);
	assert_int_equal(h->gsi[19], 0);
}

static void test_pirq_route(void **state)
{
	struct fx *f = *state;
	struct fake_host *h = &f->host;
	struct tdev *b = pf_tdev_new();

	/* b in slot 4 INTA: PIRQA; the fixture's device in slot 3: PIRQD */
	assert_int_equal(pci_bus_add(f->bus, &b->pci, 4), 0);
	pci_bus_set_pirq_route(f->bus, 3, 11);
	pci_bus_set_pirq_route(f->bus, 0, 11);
	pci_intx(&f->t->pci, 1);
	assert_int_equal(h->gsi[19], 1);
	assert_int_equal(h->gsi[11], 1);
	pci_intx(&b->pci, 1);                      /* two PIRQs onto IRQ 11: wired-OR */
	assert_int_equal(h->gsi[16], 1);
	assert_int_equal(h->gsi_calls[11], 1);
	pci_intx(&f->t->pci, 0);
	assert_int_equal(h->gsi[11], 1);
	assert_int_equal(h->gsi[19], 0);
	/* a route moved while asserted: the old IRQ drops, the new one rises */
	pci_bus_set_pirq_route(f->bus, 0, 10);
	assert_int_equal(h->gsi[11], 0);
	assert_int_equal(h->gsi[10], 1);
	/* disabled and reserved values are no route */
	pci_bus_set_pirq_route(f->bus, 0, -1);
	assert_int_equal(h->gsi[10], 0);
	pci_bus_set_pirq_route(f->bus, 0, 2);
	pci_bus_set_pirq_route(f->bus, 0, 8);
	pci_bus_set_pirq_route(f->bus, 0, 13);
	pci_bus_set_pirq_route(f->bus, 0, 16);
	pci_bus_set_pirq_route(f->bus, 7, 11);     /* no PIRQH */
	for (int i = 0; i < 16; i++)
		assert_int_equal(h->gsi[i], 0);
	pci_bus_set_pirq_route(f->bus, 0, 5);
	assert_int_equal(h->gsi[5], 1);
	pci_intx(&b->pci, 0);
	assert_int_equal(h->gsi[5], 0);
	assert_int_equal(h->gsi[16], 0);
	pci_bus_remove(f->bus, &b->pci);
	pf_tdev_free(b);
}

static void test_remove_drops_intx(void **state)
{
	struct fx *f = *state;
	struct tdev *b = pf_tdev_new();

	assert_int_equal(pci_bus_add(f->bus, &b->pci, 4), 0);
	pci_intx(&b->pci, 1);
	assert_int_equal(f->host.gsi[16], 1);
	pci_bus_remove(f->bus, &b->pci);
	assert_int_equal(f->host.gsi[16], 0);
	/* a device off the bus only remembers its level; plugged in, it drives it */
	pci_intx(&b->pci, 1);
	assert_int_equal(f->host.gsi[16], 0);
	assert_int_equal(pci_bus_add(f->bus, &b->pci, 8), 0);
	assert_int_equal(f->host.gsi[16], 1);           /* (8 + 1 - 1) % 4 = 0 */
	pci_bus_remove(f->bus, &b->pci);
	assert_int_equal(f->host.gsi[16], 0);
	pf_tdev_free(b);
}

static void test_msix(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->t->pci;
	struct fake_host *h = &f->host;
	uint64_t e1 = T_TABLE + 16;

	assert_int_equal(pf_rd(f, pf_msix_cap(f) + PCI_MSIX_FLAGS, 2), T_NVEC - 1);
	/* off: notify says so, and nothing is sent or remembered */
	assert_false(pci_msix_enabled(d));
	assert_false(pci_msix_notify(d, 1));
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 0);
	/* the table powers on masked */
	for (unsigned int v = 0; v < T_NVEC; v++)
		assert_int_equal(pci_msix_read(d, T_TABLE + 16 * v + 12, 4), 1);

	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE);
	assert_true(pci_msix_enabled(d));
	assert_int_equal(pf_rd(f, pf_msix_cap(f) + PCI_MSIX_FLAGS, 2),
			 PCI_MSIX_FLAGS_ENABLE | (T_NVEC - 1));
	pci_msix_write(d, e1, 8, 0x00000001FEE01007ULL);     /* qword: address */
	pci_msix_write(d, e1 + 8, 4, 0x4041);
	assert_int_equal(pci_msix_read(d, e1, 4), 0xFEE01004);   /* bits 1:0 read 0 */
	assert_int_equal(pci_msix_read(d, e1 + 4, 4), 1);
	assert_int_equal(pci_msix_read(d, e1, 8), 0x00000001FEE01004ULL);
	assert_int_equal(pci_msix_read(d, e1 + 8, 8), 0x100004041ULL);

	/* masked: pending, no message */
	assert_true(pci_msix_notify(d, 1));
	assert_int_equal(h->msis, 0);
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 2);
	assert_int_equal(pci_msix_read(d, T_PBA, 4), 2);
	assert_int_equal(pci_msix_read(d, T_PBA + 4, 4), 0);
	/* unmasking sends the pending one */
	pci_msix_write(d, e1 + 12, 4, 0);
	assert_int_equal(h->msis, 1);
	assert_int_equal(h->msi_addr, 0x00000001FEE01004ULL);
	assert_int_equal(h->msi_data, 0x4041);
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 0);
	/* unmasked: straight out */
	assert_true(pci_msix_notify(d, 1));
	assert_int_equal(h->msis, 2);
	/* the function mask holds every vector */
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_true(pci_msix_notify(d, 1));
	assert_true(pci_msix_notify(d, 1));
	assert_int_equal(h->msis, 2);
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 2);
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(h->msis, 3);                      /* once, however often */
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 0);
	/* a pending masked vector is not sent by unmasking the function */
	assert_true(pci_msix_notify(d, 2));
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(h->msis, 3);
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 4);
	/* vectors the device does not have are dropped */
	assert_true(pci_msix_notify(d, T_NVEC));
	assert_true(pci_msix_notify(d, 1000));
	assert_int_equal(h->msis, 3);

	/* table accesses: only aligned dwords and qwords */
	pci_msix_write(d, e1 + 8, 2, 0x9999);
	pci_msix_write(d, e1 + 9, 4, 0x9999);
	pci_msix_write(d, e1 + 4, 8, 0x9999);
	pci_msix_write(d, e1 + 8, 1, 0x99);
	assert_int_equal(pci_msix_read(d, e1 + 8, 4), 0x4041);
	assert_int_equal(pci_msix_read(d, e1 + 8, 2), 0);
	assert_int_equal(pci_msix_read(d, e1 + 2, 4), 0);
	/* the PBA is read-only; beyond table and PBA reads 0 */
	pci_msix_write(d, T_PBA, 8, 0);
	assert_int_equal(pci_msix_read(d, T_PBA, 8), 4);
	assert_int_equal(pci_msix_read(d, T_TABLE + 16 * T_NVEC, 4), 0);
	assert_int_equal(pci_msix_read(d, T_PBA + 8, 8), 0);
	/* vector control keeps only the mask bit */
	pci_msix_write(d, e1 + 12, 4, 0xFFFFFFFE);
	assert_int_equal(pci_msix_read(d, e1 + 12, 4), 0);

	/* through the BAR, as a driver reaches it */
	pf_program_bars(f);
	pf_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pf_mmio_wr(f, M64_BASE + T_TABLE + 32 + 12, 4, 0);     /* unmask vector 2 */
	assert_int_equal(h->msis, 4);
	assert_int_equal(h->msi_addr, 0);
	pf_wr(f, PCI_COMMAND, 2, 0);

	/* off again: notify falls back */
	pf_msix_ctl(f, 0);
	assert_false(pci_msix_notify(d, 1));
	assert_int_equal(h->msis, 4);
}

static void test_msix_gates_intx(void **state)
{
	struct fx *f = *state;

	pci_intx(&f->t->pci, 1);
	assert_int_equal(f->host.gsi[19], 1);
	pf_msix_ctl(f, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(f->host.gsi[19], 0);
	pf_msix_ctl(f, 0);
	assert_int_equal(f->host.gsi[19], 1);
	pci_intx(&f->t->pci, 0);
	assert_int_equal(f->host.gsi[19], 0);
}

static const struct CMUnitTest tests[] = {
	T(test_intx_swizzle_wired_or),
	T(test_intx_disable),
	T(test_pirq_route),
	T(test_remove_drops_intx),
	T(test_msix),
	T(test_msix_gates_intx),
};

UNIT_SUITE(pci_irq, tests);
