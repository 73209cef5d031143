/*
 * guest_mem.c - guest RAM layout, host mapping and checked access.
 *
 * RAM below LAYOUT_LOW_RAM_END is one anonymous host mapping starting at
 * guest-physical 0; the legacy VGA window (0xA0000-0xBFFFF) is carved out
 * of the KVM-visible regions so that accesses there exit as MMIO.  RAM
 * beyond the hole is a second mapping at 4 GiB.  Pages are not touched
 * here (MAP_NORESERVE), so a 16 GiB guest costs nothing until it uses the
 * memory.  This file knows nothing of KVM: the machine turns the regions
 * into memory slots.
 */
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"
#include "vmm/layout.h"

static void *gmem_map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Guest RAM may be large: ask for huge pages where THP allows. */
	madvise(p, size, MADV_HUGEPAGE);
	return p;
}

static void gmem_add(struct guest_mem *gm, uint64_t gpa, uint64_t size, uint8_t *hva)
{
	struct guest_region *r = &gm->region[gm->nregions++];

	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
}

int gmem_init(struct guest_mem *gm, uint64_t size)
{
	memset(gm, 0, sizeof(*gm));
	if (size < MiB || size % (4 * KiB) != 0)
		return -EINVAL;
	/* 47-bit guest-physical space is plenty; refuse absurd sizes early. */
	if (size > (1ULL << 46))
		return -EINVAL;

	gm->ram_size = size;
	gm->low_size = MIN(size, LAYOUT_LOW_RAM_END);
	gm->high_size = size - gm->low_size;

	gm->low_map = gmem_map(gm->low_size);
	if (!gm->low_map)
		return -ENOMEM;
	if (gm->high_size) {
		gm->high_map = gmem_map(gm->high_size);
		if (!gm->high_map) {
			munmap(gm->low_map, gm->low_size);
			gm->low_map = NULL;
			return -ENOMEM;
		}
	}

	gmem_add(gm, 0, LAYOUT_VGA_START, gm->low_map);
	gmem_add(gm, LAYOUT_VGA_END, gm->low_size - LAYOUT_VGA_END,
		 gm->low_map + LAYOUT_VGA_END);
	if (gm->high_size)
		gmem_add(gm, LAYOUT_4G, gm->high_size, gm->high_map);
	return 0;
}

void gmem_destroy(struct guest_mem *gm)
{
	if (gm->low_map)
		munmap(gm->low_map, gm->low_size);
	if (gm->high_map)
		munmap(gm->high_map, gm->high_size);
	memset(gm, 0, sizeof(*gm));
}

void gmem_clear(struct guest_mem *gm)
{
	/* Dropping the pages is cheaper than memset and gives zero pages. */
	if (gm->low_map)
		madvise(gm->low_map, gm->low_size, MADV_DONTNEED);
	if (gm->high_map)
		madvise(gm->high_map, gm->high_size, MADV_DONTNEED);
}

void *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < gm->nregions; i++) {
		const struct guest_region *r = &gm->region[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (range_within(off, len, r->size))
			return r->hva + off;
	}
	return NULL;
}

int gmem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, size_t len)
{
	void *p = gmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(struct guest_mem *gm, uint64_t gpa, const void *src, size_t len)
{
	void *p = gmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

static unsigned int e820_put(struct e820_entry *out, unsigned int n, unsigned int max,
			     uint64_t addr, uint64_t size, uint32_t type)
{
	if (n < max && size) {
		out[n].addr = addr;
		out[n].size = size;
		out[n].type = type;
		return n + 1;
	}
	return n;
}

unsigned int gmem_e820(const struct guest_mem *gm, struct e820_entry *out,
		       unsigned int max)
{
	unsigned int n = 0;

	/* Conventional memory below the EBDA; the EBDA and BIOS area are
	 * reserved (the MP table and ACPI tables live there). */
	n = e820_put(out, n, max, 0, LAYOUT_EBDA_START, E820_RAM);
	n = e820_put(out, n, max, LAYOUT_EBDA_START,
		     LAYOUT_LOWMEM_END - LAYOUT_EBDA_START, E820_RESERVED);
	n = e820_put(out, n, max, LAYOUT_ACPI_START,
		     LAYOUT_BIOS_END - LAYOUT_ACPI_START, E820_RESERVED);
	if (gm->low_size > LAYOUT_HIGH_START)
		n = e820_put(out, n, max, LAYOUT_HIGH_START,
			     gm->low_size - LAYOUT_HIGH_START, E820_RAM);
	if (gm->high_size)
		n = e820_put(out, n, max, LAYOUT_4G, gm->high_size, E820_RAM);
	return n;
}
