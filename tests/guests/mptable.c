/*
 * mptable.c - CPU enumeration from the Intel MultiProcessor Specification
 * 1.4 tables: the floating pointer "_MP_" (16-byte aligned, searched in the
 * first KiB of the EBDA, the last KiB of base memory and 0xF0000-0xFFFFF)
 * and the "PCMP" configuration table it points to.  Only processor entries
 * are read; default configurations (no table) are not supported.
 */
#include "tk.h"

static const u8 *scan(u64 start, u64 len)
{
	for (u64 a = start; a + 16 <= start + len; a += 16) {
		const u8 *p = (const u8 *)(uptr)a;
		if (memcmp(p, "_MP_", 4) == 0 && p[8] == 1 && checksum8(p, 16) == 0)
			return p;
	}
	return NULL;
}

static const u8 *find_floating(void)
{
	u64 ebda = (u64)phys_read16(0x40E) << 4;
	u64 base_kb = phys_read16(0x413);
	const u8 *p = NULL;

	if (ebda >= 0x80000 && ebda < 0xA0000)
		p = scan(ebda, 1024);
	if (!p) {
		if (base_kb < 512 || base_kb > 640)
			base_kb = 640;
		p = scan((base_kb - 1) * 1024, 1024);
	}
	if (!p)
		p = scan(0xF0000, 0x10000);
	return p;
}

int mptable_cpus(u32 *ids, u32 max, u32 *n)
{
	const u8 *fp = find_floating();
	u32 addr;

	*n = 0;
	if (!fp)
		return -1;
	__builtin_memcpy(&addr, fp + 4, 4);
	if (!addr)
		return -1;			/* default configuration */
	const u8 *t = (const u8 *)(uptr)addr;
	u16 len, count;
	if (memcmp(t, "PCMP", 4) != 0)
		return -1;
	__builtin_memcpy(&len, t + 4, 2);
	__builtin_memcpy(&count, t + 34, 2);
	if (len < 44 || checksum8(t, len) != 0)
		return -1;
	u32 off = 44;
	for (u32 i = 0; i < count && off < len; i++) {
		const u8 *e = t + off;
		if (e[0] == 0) {		/* processor, 20 bytes */
			if (e[3] & 1) {		/* CPU_EN */
				if (*n < max)
					ids[*n] = e[1];
				(*n)++;
			}
			off += 20;
		} else if (e[0] <= 4) {
			off += 8;
		} else {
			break;
		}
	}
	return 0;
}
