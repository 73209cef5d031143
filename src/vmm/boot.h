/*
 * boot.h - direct boot: put a kernel (or a flat test binary) into guest RAM
 * and choose the state the boot CPU starts in.
 *
 * Three ways in, chosen by what the user gave and by the kernel file's
 * contents (never by its name):
 *   bzImage   Linux x86 boot protocol >= 2.12, entered at its 64-bit entry
 *             in long mode with a zero page (boot_linux.c);
 *   ELF       a vmlinux with a Xen PVH entry note, entered in 32-bit
 *             protected mode with an hvm_start_info (boot_pvh.c);
 *   flat      a raw real-mode binary at 0x7C00 for test guests (boot_flat.c).
 * boot.c reads the files, dispatches, writes the boot GDT and the identity
 * page tables, places the initrd and turns the chosen state into KVM
 * registers.  Nothing here opens /dev/kvm: the machine applies the
 * registers, so all of it runs in unit tests.
 */
#ifndef TTYVM_BOOT_H
#define TTYVM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "vmm/guest_mem.h"
#include "vmm/layout.h"

enum boot_cpu_mode {
	BOOT_CPU_REAL16,   /* real mode, CS:IP = real_cs:rip */
	BOOT_CPU_PROT32,   /* protected mode, paging off (PVH) */
	BOOT_CPU_LONG64,   /* long mode, identity-mapped 0-4 GiB (bzImage) */
};

/* The initial state of the boot CPU, as the loader chose it. */
struct boot_cpu {
	enum boot_cpu_mode mode;
	uint64_t rip, rsp, rsi, rbx;
	uint16_t real_cs;        /* REAL16: CS selector (base = cs << 4) */
};

/* What to boot; every pointer may be NULL unless said otherwise. */
struct boot_images {
	const char *kernel;      /* bzImage or ELF (PVH) */
	const char *initrd;      /* needs kernel */
	const char *cmdline;     /* needs kernel; NULL means "" */
	const char *flat;        /* instead of kernel: flat real-mode binary */
	uint64_t rsdp;           /* guest address of the ACPI RSDP, 0 if none */
};

/*
 * Loads the kernel (and initrd, command line) or the flat binary into guest
 * RAM, writes what the chosen entry needs (zero page or PVH start info, boot
 * GDT, page tables) and fills *cpu.  Returns 0 or -errno; on error err holds
 * one line naming the file and the problem, e.g. "FILE: not a Linux kernel:
 * no bzImage header and not an ELF file", and guest RAM is left as it was
 * unless the error came from reading the initrd into place.  err may be
 * NULL.  Nothing is kept: the caller owns gm and the strings.
 */
int boot_load(struct guest_mem *gm, const struct boot_images *img,
	      struct boot_cpu *cpu, char *err, size_t errlen);

/*
 * Applies *cpu to KVM register structs.  regs is overwritten (all general
 * registers zero except those in *cpu, RFLAGS = 0x2: interrupts off).
 * sregs should be what KVM_GET_SREGS returned: the fields that decide the
 * execution mode are set (all segment registers, GDTR, IDTR, CR0, CR3, CR4,
 * EFER); APIC base, CR2, CR8 and the interrupt bitmap are left alone.
 * The protected- and long-mode segments are decoded from the same
 * descriptors boot_load wrote to the boot GDT.  Pure: no I/O.
 */
void boot_cpu_regs(const struct boot_cpu *cpu, struct kvm_regs *regs,
		   struct kvm_sregs *sregs);

/* ---- shared by the loaders (boot_*.c) and their tests ---------------- */

/* Boot GDT selectors.  Linux's 64-bit entry needs __BOOT_CS = 0x10 and
 * __BOOT_DS = 0x18. */
#define BOOT_SEL_CODE32   0x08
#define BOOT_SEL_CODE64   0x10
#define BOOT_SEL_DATA     0x18
#define BOOT_SEL_TSS      0x20
#define BOOT_GDT_ENTRIES  5
#define BOOT_TSS_LIMIT    0x67    /* a minimal 32-bit TSS, at base 0 (PVH ABI) */

/* CR0/CR4/EFER bits and page-table flags the boot state uses */
#define BOOT_CR0_PE       (1ULL << 0)
#define BOOT_CR0_ET       (1ULL << 4)
#define BOOT_CR0_PG       (1ULL << 31)
#define BOOT_CR4_PAE      (1ULL << 5)
#define BOOT_EFER_LME     (1ULL << 8)
#define BOOT_EFER_LMA     (1ULL << 10)
#define BOOT_PTE_P        (1ULL << 0)
#define BOOT_PTE_RW       (1ULL << 1)
#define BOOT_PTE_PS       (1ULL << 7)

/* Descriptor i (0..BOOT_GDT_ENTRIES-1) of the boot GDT, as 8 bytes. */
uint64_t boot_gdt_entry(unsigned int i);

/* Decodes a code/data/system descriptor into the KVM form with selector sel. */
void boot_seg_from_desc(uint64_t desc, uint16_t sel, struct kvm_segment *seg);

/* Writes the boot GDT at LAYOUT_BOOT_GDT.  0 or -EFAULT. */
int boot_write_gdt(struct guest_mem *gm);

/* Writes PML4, PDPT and 4 PD pages identity-mapping 0-4 GiB with 2 MiB
 * pages at LAYOUT_PML4/PDPT/PD.  0 or -EFAULT. */
int boot_write_page_tables(struct guest_mem *gm);

/*
 * Formats "PATH: message" into err (when err is not NULL) and returns rc,
 * so a loader can write `return boot_fail(err, len, -EINVAL, path, ...)`.
 */
int boot_fail(char *err, size_t errlen, int rc, const char *path,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Reads the whole of path - a regular, non-empty file of at most max
 * bytes - into a new buffer (*data, *len; the caller frees *data).
 * 0, or -errno with err naming path and the problem.
 */
int boot_file_read(const char *path, uint64_t max, uint8_t **data, size_t *len,
		   char *err, size_t errlen);

/*
 * Chooses where an initrd of size bytes goes: page-aligned, as high as
 * possible inside [lo, hi), and wholly in guest RAM.  0 and *addr, or
 * -ENOSPC when it does not fit.
 */
int boot_initrd_place(const struct guest_mem *gm, uint64_t size, uint64_t lo,
		      uint64_t hi, uint64_t *addr);

/* Checks the command line against max_len (bytes without the NUL) and
 * LAYOUT_CMDLINE_MAX.  0 or -E2BIG with err naming path. */
int boot_cmdline_check(const char *cmdline, uint64_t max_len, const char *path,
		       char *err, size_t errlen);

/* Writes cmdline (NULL means "") with its NUL at LAYOUT_CMDLINE.  0 or
 * -EFAULT; call boot_cmdline_check first. */
int boot_cmdline_write(struct guest_mem *gm, const char *cmdline);

/*
 * What a kernel loader gets: the whole kernel file in memory, the images
 * (for cmdline, rsdp and the paths in messages) and the initrd's size (0:
 * none).  A loader checks everything before it writes the first byte to
 * guest RAM; on success it has written the kernel, the command line and its
 * boot structure, set *initrd_addr to where the caller must put the initrd
 * (already recorded in the boot structure) and filled *cpu.  The caller
 * writes the GDT and page tables that cpu->mode needs.
 */
struct boot_kernel {
	const char *path;
	const uint8_t *data;
	size_t size;
};

/* true when the file carries a bzImage setup header ("HdrS" at 0x202) */
bool boot_linux_probe(const uint8_t *data, size_t size);
int boot_linux_load(struct guest_mem *gm, const struct boot_images *img,
		    const struct boot_kernel *k, uint64_t initrd_size,
		    uint64_t *initrd_addr, struct boot_cpu *cpu,
		    char *err, size_t errlen);

/* true when the file starts with the ELF magic; the loader checks the rest */
bool boot_pvh_probe(const uint8_t *data, size_t size);
int boot_pvh_load(struct guest_mem *gm, const struct boot_images *img,
		  const struct boot_kernel *k, uint64_t initrd_size,
		  uint64_t *initrd_addr, struct boot_cpu *cpu,
		  char *err, size_t errlen);

/* Loads a flat binary at LAYOUT_FLAT_LOAD and fills *cpu (real mode). */
int boot_flat_load(struct guest_mem *gm, const struct boot_kernel *k,
		   struct boot_cpu *cpu, char *err, size_t errlen);

/* PVH start info (xen/include/public/arch-x86/hvm/start_info.h) */
#define BOOT_PVH_MAGIC       0x336ec578u
#define BOOT_PVH_VERSION     1
#define BOOT_PVH_NOTE_ENTRY  18   /* XEN_ELFNOTE_PHYS32_ENTRY, owner "Xen" */

struct boot_pvh_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;     /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct boot_pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct boot_pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;             /* e820 types */
	uint32_t reserved;
};

/* Where boot_pvh_load puts the pieces, from LAYOUT_PVH_INFO on. */
#define BOOT_PVH_MEMMAP_ADDR \
	(LAYOUT_PVH_INFO + sizeof(struct boot_pvh_start_info))
#define BOOT_PVH_MODLIST_ADDR \
	(BOOT_PVH_MEMMAP_ADDR + E820_MAX * sizeof(struct boot_pvh_memmap_entry))

#endif
