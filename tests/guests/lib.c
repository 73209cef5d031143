/*
 * lib.c - the few libc routines the compiler may call, checksums, and
 * mapping of physical ranges above the 4 GiB that head.S maps.
 *
 * The boot page tables (head.S) identity-map 0..4 GiB with 2 MiB pages
 * under PML4[0]; map_range adds 1 GiB chunks above that from a small pool
 * of page directories, for boot data a loader put high (initrd, tables).
 */
#include "tk.h"

void *memset(void *d, int c, uptr n)
{
	void *ret = d;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return ret;
}

void *memcpy(void *d, const void *s, uptr n)
{
	void *ret = d;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, uptr n)
{
	const u8 *x = a, *y = b;

	for (uptr i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

uptr strlen(const char *s)
{
	uptr n = 0;

	while (s[n])
		n++;
	return n;
}

u8 checksum8(const void *p, uptr n)
{
	const u8 *b = p;
	u8 sum = 0;

	while (n--)
		sum += *b++;
	return sum;
}

extern u64 tk_pdpt[512];
#define GIB (1ULL << 30)
#define MAP_POOL 8
static u64 map_pool[MAP_POOL][512] __attribute__((aligned(4096)));
static u32 map_used;

int map_range(u64 addr, u64 len)
{
	u64 end = addr + len;

	if (len == 0 || end <= 4 * GIB)
		return 0;
	if (end < addr || end > 512 * GIB)
		return -1;
	for (u64 gib = (addr < 4 * GIB ? 4 : addr / GIB); gib * GIB < end; gib++) {
		if (tk_pdpt[gib] & 1)
			continue;
		if (map_used == MAP_POOL)
			return -1;
		u64 *pd = map_pool[map_used++];
		for (u32 i = 0; i < 512; i++)
			pd[i] = (gib * GIB + ((u64)i << 21)) | 0x83;
		tk_pdpt[gib] = (u64)(uptr)pd | 0x3;
	}
	return 0;
}
