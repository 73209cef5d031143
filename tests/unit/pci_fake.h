/*
 * pci_fake.h - what the PCI unit tests share: the recording fake
 * pci_bus_host (pci_fake_host.h), a test device with every kind of BAR, a
 * ROM, INTA and MSI-X, and a fixture with that device in slot 3.
 */
#ifndef TTYVM_TEST_PCI_FAKE_H
#define TTYVM_TEST_PCI_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_fake_host.h"
#include "vmm/pci.h"

/* The test device: BAR0 I/O 0x20, BAR1 MEM32 4K (declared as 3000 bytes),
 * BAR2-3 MEM64 16K with the MSI-X table and PBA, BAR4 MEM32 RAM 8K
 * prefetchable with dirty log, a 3000-byte ROM, INTA. */
#define T_VENDOR 0x1234
#define T_DEVICE 0x5678
#define T_CLASS  0x020000   /* ethernet */
#define T_IO_SIZE 0x20
#define T_MMIO_SIZE 0x1000
#define T_M64_SIZE 0x4000
#define T_RAM_SIZE 0x2000
#define T_ROM_LEN 3000
#define T_NVEC 4
#define T_TABLE 0x2000
#define T_PBA 0x3000

struct tdev;

/* The opaque of one BAR's trap ops. */
struct pf_tbar {
	struct tdev *t;
	unsigned int idx;
};

struct tdev {
	struct pci_dev pci;
	unsigned int reads, writes, resets, cfg_writes;
	unsigned int last_bar;
	uint64_t last_off, last_val;
	uint8_t *ram;
	uint8_t rom[T_ROM_LEN];
	struct pf_tbar bars[PCI_NUM_BARS];
};

/* Reads answer 0xA0 + BAR index; BAR2 forwards MSI-X offsets. */
extern const struct trap_ops pf_tbar_ops;
struct tdev *pf_tdev_new(void);
void pf_tdev_free(struct tdev *t);

/* Fixture: a bus over a fake host, the test device in slot 3. */
struct fx {
	struct fake_host host;
	struct pci_bus *bus;
	struct tdev *t;
	uint8_t devfn;
};

int pf_setup(void **state);
int pf_teardown(void **state);   /* also checks nothing stays mapped */

uint32_t pf_rd(struct fx *f, unsigned int off, unsigned int size);
void pf_wr(struct fx *f, unsigned int off, unsigned int size, uint32_t val);
/* An access through the trap map (all ones when unclaimed). */
uint64_t pf_mmio_rd(struct fx *f, enum trap_space sp, uint64_t addr, unsigned int size,
		    bool *claimed);
bool pf_claimed(struct fx *f, enum trap_space sp, uint64_t addr);
void pf_mmio_wr(struct fx *f, uint64_t addr, unsigned int size, uint64_t val);

#define IO_BASE   0xC100
#define MMIO_BASE 0xC0001000ULL
#define M64_BASE  0x800000000ULL      /* 32 GiB: above 4 GiB */
#define RAM_BASE  0xC0010000ULL
#define ROM_BASE  0xC0020000ULL

/* Programs every BAR and the ROM (disabled) at the addresses above. */
void pf_program_bars(struct fx *f);
/* Writes all ones, reads back, restores: the firmware's sizing step. */
uint32_t pf_size_bar(struct fx *f, unsigned int reg);
unsigned int pf_msix_cap(struct fx *f);
void pf_msix_ctl(struct fx *f, uint16_t bits);

#define T(fn) cmocka_unit_test_setup_teardown(fn, pf_setup, pf_teardown)

#endif
