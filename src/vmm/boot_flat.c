/*
 * boot_flat.c - flat real-mode binaries, the simplest way into a guest.
 *
 * A flat binary is raw code with no header, loaded at 0x7C00 and entered in
 * real mode at 0000:7C00 with SP = 0x7000, much as a BIOS hands over a boot
 * sector, but without a BIOS: no interrupt services, no A20 games.  It is
 * how tests/guests/ run small test programs; nothing here guesses that a
 * file is flat: boot.c uses this loader only when the user asked for it.
 * The binary must fit below the EBDA (LAYOUT_EBDA_START), so at most
 * 0x98000 bytes; it is refused whole before any byte is written.
 */
#include "vmm/boot.h"

#include <errno.h>
#include <string.h>

#include "vmm/layout.h"

#define FLAT_SP 0x7000

int boot_flat_load(struct guest_mem *gm, const struct boot_kernel *k,
		   struct boot_cpu *cpu, char *err, size_t errlen)
{
	const uint64_t max = LAYOUT_EBDA_START - LAYOUT_FLAT_LOAD;
	int rc;

	if (k->size == 0)
		return boot_fail(err, errlen, -EINVAL, k->path, "empty file");
	if (k->size > max)
		return boot_fail(err, errlen, -EFBIG, k->path,
				 "flat binary of %zu bytes does not fit below the EBDA "
				 "(at most %llu bytes at 0x%llx)",
				 k->size, (unsigned long long)max, LAYOUT_FLAT_LOAD);
	rc = gmem_write(gm, LAYOUT_FLAT_LOAD, k->data, k->size);
	if (rc < 0)
		return boot_fail(err, errlen, rc, k->path,
				 "guest RAM too small for the flat binary");

	memset(cpu, 0, sizeof(*cpu));
	cpu->mode = BOOT_CPU_REAL16;
	cpu->real_cs = 0;
	cpu->rip = LAYOUT_FLAT_LOAD;
	cpu->rsp = FLAT_SP;
	return 0;
}
