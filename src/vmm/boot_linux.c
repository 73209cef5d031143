/*
 * boot_linux.c - the Linux bzImage loader, 64-bit boot protocol.
 *
 * Follows Documentation/arch/x86/boot.rst ("64-bit BOOT PROTOCOL"): the
 * setup header at 0x1f1 (its end is 0x202 + the byte at 0x201) is copied
 * into a zeroed struct boot_params, the zero page, which this loader then
 * fills (type_of_loader, heap, video mode, command line, initrd, e820, ACPI
 * RSDP); the protected-mode part of the file (from (setup_sects + 1) * 512)
 * goes to 1 MiB and the CPU enters at 1 MiB + 0x200 in long mode with RSI
 * pointing at the zero page.  The real-mode setup code is never run, so no
 * BIOS is needed.  Protocol 2.12 with XLF_KERNEL_64 is the least that has
 * the 64-bit entry; older or 32-bit-only kernels are refused, not booted
 * another way.
 *
 * The memory the kernel needs while it decompresses (init_size from its
 * runtime start, per the algorithm in boot.rst) must be RAM; the initrd goes
 * as high as the kernel allows (initrd_addr_max) below the 32-bit hole and
 * above that region.  Every field is checked before guest RAM is written.
 * The GDT and page tables are boot.c's; this file knows nothing of KVM.
 */
#include "vmm/boot.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "util/util.h"
#include "vmm/layout.h"

#define BZ_HDR_OFF      0x1f1
#define BZ_JUMP_OFF     0x201   /* byte: setup header ends at 0x202 + it */
#define BZ_MAGIC_OFF    0x202
#define BZ_MAGIC        "HdrS"
#define BZ_PROTO_64     0x020c  /* 2.12: xloadflags, the 64-bit entry */
#define BZ_PROTO_RSDP   0x020e  /* 2.14: acpi_rsdp_addr */
#define BZ_ENTRY_64     0x200   /* offset of startup_64 in the loaded part */
#define BZ_LOADER_UNDEF 0xff    /* type_of_loader: no assigned ID */
#define BZ_HEAP_END     0xfe00  /* heap_end_ptr, as QEMU and GRUB set it */
#define BZ_VID_NORMAL   0xffff

/* Where the setup header ends in the file, clipped to the struct we know. */
#define BZ_HDR_MAX_END  (BZ_HDR_OFF + sizeof(struct setup_header))
/* Protocol 2.12 headers reach at least past init_size. */
#define BZ_HDR_MIN_END  (BZ_HDR_OFF + offsetof(struct setup_header, init_size) + 4)

bool boot_linux_probe(const uint8_t *data, size_t size)
{
	return size >= BZ_MAGIC_OFF + 4 &&
	       memcmp(data + BZ_MAGIC_OFF, BZ_MAGIC, 4) == 0;
}

/* What the checks found, for the writing phase. */
struct bz_plan {
	size_t hdr_end;          /* end of the setup header in the file */
	const uint8_t *pm;       /* protected-mode part */
	size_t pm_size;
	uint64_t kernel_end;     /* end of what the kernel uses from 1 MiB */
	uint64_t initrd_addr;
	uint16_t version;
};

/*
 * The runtime start address, as boot.rst gives it under init_size:
 * relocatable kernels run at the load address (raised to pref_address)
 * aligned up to kernel_alignment, the others at pref_address.
 */
static int bz_runtime_start(const struct setup_header *h, uint64_t load,
			    uint64_t *start)
{
	if (!h->relocatable_kernel) {
		*start = h->pref_address;
		return 0;
	}
	uint64_t align = h->kernel_alignment;
	if (align == 0 || (align & (align - 1)))
		return -EINVAL;
	if (load < h->pref_address)
		load = h->pref_address;
	if (load > UINT64_MAX - align)
		return -EINVAL;
	*start = ALIGN_UP(load, align);
	return 0;
}

static int bz_check(const struct guest_mem *gm, const struct boot_images *img,
		    const struct boot_kernel *k, uint64_t initrd_size,
		    struct bz_plan *p, char *err, size_t errlen)
{
	const uint8_t *f = k->data;
	struct setup_header h;
	uint64_t run, lo, hi;
	unsigned int sects;
	size_t setup_size;
	int rc;

	/* boot_linux_probe() saw the magic, so the jump byte is in the file */
	p->hdr_end = BZ_MAGIC_OFF + (size_t)f[BZ_JUMP_OFF];
	if (p->hdr_end > BZ_HDR_MAX_END)
		p->hdr_end = BZ_HDR_MAX_END;
	if (k->size < BZ_MAGIC_OFF + 6)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "truncated bzImage: file ends inside the setup header");
	p->version = get_le16(f + BZ_MAGIC_OFF + 4);
	if (p->version < BZ_PROTO_64)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "boot protocol %u.%02u is too old: the 64-bit entry needs 2.12 or newer",
				 p->version >> 8, p->version & 0xff);
	if (p->hdr_end < BZ_HDR_MIN_END)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "setup header ends at 0x%zx, too short for protocol %u.%02u",
				 p->hdr_end, p->version >> 8, p->version & 0xff);
	if (k->size < p->hdr_end)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "truncated bzImage: setup header ends at 0x%zx, the file at 0x%zx",
				 p->hdr_end, k->size);
	memset(&h, 0, sizeof(h));
	memcpy(&h, f + BZ_HDR_OFF, p->hdr_end - BZ_HDR_OFF);

	if (!(h.xloadflags & XLF_KERNEL_64))
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "kernel has no 64-bit entry point (XLF_KERNEL_64 not set): a 32-bit kernel?");

	sects = h.setup_sects ? h.setup_sects : 4;
	setup_size = ((size_t)sects + 1) * 512;
	if (setup_size >= k->size)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "setup_sects %u puts the kernel at 0x%zx, past the end of the file (0x%zx bytes)",
				 h.setup_sects, setup_size, k->size);
	p->pm = f + setup_size;
	p->pm_size = k->size - setup_size;
	if (p->pm_size <= BZ_ENTRY_64)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "truncated bzImage: %zu bytes of kernel, the 64-bit entry is at +0x%x",
				 p->pm_size, BZ_ENTRY_64);
	/* syssize counts 16-byte paragraphs of the kernel, its CRC included;
	 * a signed kernel may carry more, never less */
	if (p->pm_size < (uint64_t)h.syssize * 16)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "truncated bzImage: the header promises %" PRIu64
				 " bytes of kernel, the file holds %zu",
				 (uint64_t)h.syssize * 16, p->pm_size);

	if (bz_runtime_start(&h, LAYOUT_HIGH_START, &run) < 0)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "bad kernel_alignment 0x%x", h.kernel_alignment);
	if (run < LAYOUT_HIGH_START || run >= LAYOUT_4G)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "kernel wants to run at 0x%" PRIx64 ", outside 1 MiB-4 GiB",
				 run);
	p->kernel_end = MAX(LAYOUT_HIGH_START + p->pm_size, run + h.init_size);
	if (!gmem_ptr(gm, LAYOUT_HIGH_START, p->kernel_end - LAYOUT_HIGH_START))
		return boot_fail(err, errlen, -ENOMEM, k->path,
				 "kernel needs RAM from 1 MiB to 0x%" PRIx64
				 " (%zu bytes loaded, init_size 0x%x at 0x%" PRIx64
				 "), the guest has %" PRIu64 " MiB below the hole",
				 p->kernel_end, p->pm_size, h.init_size, run,
				 (uint64_t)(gm->low_size / MiB));

	rc = boot_cmdline_check(img->cmdline, h.cmdline_size, k->path, err, errlen);
	if (rc < 0)
		return rc;

	if (initrd_size) {
		lo = ALIGN_UP(p->kernel_end, 4096);
		hi = MIN((uint64_t)h.initrd_addr_max + 1, gm->low_size);
		if (boot_initrd_place(gm, initrd_size, lo, hi, &p->initrd_addr) < 0)
			return boot_fail(err, errlen, -ENOSPC, img->initrd,
					 "initrd of %" PRIu64 " bytes does not fit between the kernel's end 0x%"
					 PRIx64 " and 0x%" PRIx64 " (initrd_addr_max 0x%x, %" PRIu64
					 " MiB of RAM below the hole)",
					 initrd_size, lo, hi, h.initrd_addr_max,
					 (uint64_t)(gm->low_size / MiB));
	}
	return 0;
}

int boot_linux_load(struct guest_mem *gm, const struct boot_images *img,
		    const struct boot_kernel *k, uint64_t initrd_size,
		    uint64_t *initrd_addr, struct boot_cpu *cpu,
		    char *err, size_t errlen)
{
	struct e820_entry e820[E820_MAX];
	struct boot_params bp;
	struct bz_plan p;
	unsigned int n;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = bz_check(gm, img, k, initrd_size, &p, err, errlen);
	if (rc < 0)
		return rc;

	/* Zero page: a clean struct with the file's setup header in it. */
	memset(&bp, 0, sizeof(bp));
	memcpy(&bp.hdr, k->data + BZ_HDR_OFF, p.hdr_end - BZ_HDR_OFF);
	bp.hdr.type_of_loader = BZ_LOADER_UNDEF;
	bp.hdr.loadflags |= CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = BZ_HEAP_END;
	bp.hdr.vid_mode = BZ_VID_NORMAL;
	bp.hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	bp.ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE >> 32);
	if (initrd_size) {
		bp.hdr.ramdisk_image = (uint32_t)p.initrd_addr;
		bp.ext_ramdisk_image = (uint32_t)(p.initrd_addr >> 32);
		bp.hdr.ramdisk_size = (uint32_t)initrd_size;
		bp.ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	}
	n = gmem_e820(gm, e820, E820_MAX);
	for (unsigned int i = 0; i < n; i++) {
		bp.e820_table[i].addr = e820[i].addr;
		bp.e820_table[i].size = e820[i].size;
		bp.e820_table[i].type = e820[i].type;
	}
	bp.e820_entries = (uint8_t)n;
	if (p.version >= BZ_PROTO_RSDP)
		bp.acpi_rsdp_addr = img->rsdp;

	/* All three are in RAM: bz_check saw the kernel's range, and the
	 * zero page and command line lie in the first 640 KiB. */
	rc = gmem_write(gm, LAYOUT_HIGH_START, p.pm, p.pm_size);
	if (rc == 0)
		rc = boot_cmdline_write(gm, img->cmdline);
	if (rc == 0)
		rc = gmem_write(gm, LAYOUT_ZERO_PAGE, &bp, sizeof(bp));
	if (rc < 0)
		return boot_fail(err, errlen, rc, k->path,
				 "guest RAM too small for the kernel and its zero page");

	*initrd_addr = p.initrd_addr;
	memset(cpu, 0, sizeof(*cpu));
	cpu->mode = BOOT_CPU_LONG64;
	cpu->rip = LAYOUT_HIGH_START + BZ_ENTRY_64;
	cpu->rsi = LAYOUT_ZERO_PAGE;
	cpu->rsp = LAYOUT_BOOT_STACK;
	return 0;
}
