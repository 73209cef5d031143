/*
 * guest_mem.h - guest RAM: allocation, KVM slots and bounds-checked access.
 *
 * Every guest-physical address a device or loader touches goes through
 * gmem_ptr(), which returns a host pointer only when the whole range lies
 * inside one RAM region.  A guest-chosen address or length never reaches
 * memcpy unchecked.
 */
#ifndef TTYVM_GUEST_MEM_H
#define TTYVM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 8

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct guest_region region[GMEM_MAX_REGIONS];
	unsigned int nregions;
	uint64_t ram_size;    /* what the user asked for */
	uint64_t low_size;    /* RAM mapped below the hole, from gpa 0 */
	uint64_t high_size;   /* RAM mapped from 4 GiB */
	uint8_t *low_map;     /* host mapping of [0, low_size) */
	uint8_t *high_map;    /* host mapping of [4G, 4G+high_size) */
};

/*
 * Lays out and maps size bytes of guest RAM (anonymous, not yet touched).
 * The legacy VGA window 0xA0000-0xBFFFF is not RAM.  Returns 0, -EINVAL for
 * a size below 1 MiB or not a multiple of 4 KiB, or -ENOMEM.
 */
int gmem_init(struct guest_mem *gm, uint64_t size);
void gmem_destroy(struct guest_mem *gm);

/* Zeroes all guest RAM (system reset). */
void gmem_clear(struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa+len) when it is wholly inside one region,
 * otherwise NULL.  len 0 is allowed.
 */
void *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copies with the same check; 0 or -EFAULT. */
int gmem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, size_t len);
int gmem_write(struct guest_mem *gm, uint64_t gpa, const void *src, size_t len);

/* e820 as the boot protocols and firmware want it */
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_MAX      16

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Fills out[] (sorted, non-overlapping) and returns the entry count. */
unsigned int gmem_e820(const struct guest_mem *gm, struct e820_entry *out,
		       unsigned int max);

#endif
