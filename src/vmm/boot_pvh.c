/*
 * boot_pvh.c - the PVH loader: an uncompressed ELF kernel (vmlinux) entered
 * in 32-bit protected mode.
 *
 * Follows the Xen PVH boot ABI (docs/misc/pvh.pandoc and
 * xen/include/public/arch-x86/hvm/start_info.h; the structs are in boot.h):
 * the kernel names its entry in an ELF note of owner "Xen", type
 * XEN_ELFNOTE_PHYS32_ENTRY (18), found through the PT_NOTE program headers;
 * PT_LOAD segments go to their physical addresses (p_paddr, file bytes then
 * zeros up to p_memsz); an hvm_start_info (version 1) at LAYOUT_PVH_INFO,
 * followed by the memory map and the module list (the initrd), is handed
 * over in EBX.  Linux carries the note when built with CONFIG_PVH.
 *
 * ELF32 and ELF64, little-endian, ET_EXEC for i386 or x86-64 are accepted.
 * The file is hostile input: every offset and size is checked against the
 * file and every address range against guest RAM with arithmetic that
 * cannot wrap, and all of it before the first byte is written, so a refused
 * kernel leaves guest RAM as it was.  Segments must lie in RAM between
 * 1 MiB (below are our boot structures) and 4 GiB (the entry has no
 * paging).  The CPU state is boot.c's to apply.
 */
#include "vmm/boot.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util/util.h"
#include "vmm/layout.h"

/* The ABI's sizes: 56, 32 and 24 bytes, no padding anywhere. */
_Static_assert(sizeof(struct boot_pvh_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct boot_pvh_module) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct boot_pvh_memmap_entry) == 24, "hvm_memmap_table_entry layout");
_Static_assert(BOOT_PVH_MODLIST_ADDR + sizeof(struct boot_pvh_module) <= LAYOUT_ZERO_PAGE,
	       "PVH start info, memmap and module list must fit below the zero page");

#define PVH_NOTE_NAME "Xen"

/* One program header, whatever the ELF class. */
struct pvh_phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

struct pvh_elf {
	const struct boot_kernel *k;
	bool is64;
	uint64_t phoff;
	unsigned int phnum, phentsize;
};

bool boot_pvh_probe(const uint8_t *data, size_t size)
{
	return size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
}

static int pvh_parse_ehdr(struct pvh_elf *e, char *err, size_t errlen)
{
	const struct boot_kernel *k = e->k;
	const uint8_t *f = k->data;
	unsigned int type, machine, ehsize, minph;

	if (k->size < EI_NIDENT)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "truncated ELF header (%zu bytes)", k->size);
	if (f[EI_CLASS] != ELFCLASS32 && f[EI_CLASS] != ELFCLASS64)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF class %u is neither ELF32 nor ELF64", f[EI_CLASS]);
	if (f[EI_DATA] != ELFDATA2LSB)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "not a little-endian ELF file: not an x86 kernel");
	e->is64 = f[EI_CLASS] == ELFCLASS64;
	ehsize = e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (k->size < ehsize)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "truncated ELF header (%zu bytes)", k->size);

	/* e_type and e_machine sit at the same offsets in both classes */
	type = get_le16(f + offsetof(Elf64_Ehdr, e_type));
	machine = get_le16(f + offsetof(Elf64_Ehdr, e_machine));
	if (machine != EM_X86_64 && machine != EM_386)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF machine %u is not x86", machine);
	if (type != ET_EXEC)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF type %u is not an executable", type);
	if (e->is64) {
		e->phoff = get_le64(f + offsetof(Elf64_Ehdr, e_phoff));
		e->phentsize = get_le16(f + offsetof(Elf64_Ehdr, e_phentsize));
		e->phnum = get_le16(f + offsetof(Elf64_Ehdr, e_phnum));
		minph = sizeof(Elf64_Phdr);
	} else {
		e->phoff = get_le32(f + offsetof(Elf32_Ehdr, e_phoff));
		e->phentsize = get_le16(f + offsetof(Elf32_Ehdr, e_phentsize));
		e->phnum = get_le16(f + offsetof(Elf32_Ehdr, e_phnum));
		minph = sizeof(Elf32_Phdr);
	}
	if (e->phnum == 0 || e->phnum == PN_XNUM)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF file has %s program headers",
				 e->phnum ? "too many" : "no");
	if (e->phentsize < minph)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF program header size %u is below %u",
				 e->phentsize, minph);
	/* phnum * phentsize < 2^32: no overflow */
	if (!range_within(e->phoff, (uint64_t)e->phnum * e->phentsize, k->size))
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF program headers at 0x%" PRIx64 " (%u of %u bytes) "
				 "lie beyond the end of the file (%zu bytes)",
				 e->phoff, e->phnum, e->phentsize, k->size);
	return 0;
}

/* Program header i; pvh_parse_ehdr() checked the table lies in the file. */
static void pvh_phdr(const struct pvh_elf *e, unsigned int i, struct pvh_phdr *ph)
{
	const uint8_t *p = e->k->data + e->phoff + (uint64_t)i * e->phentsize;

	if (e->is64) {
		ph->type = get_le32(p + offsetof(Elf64_Phdr, p_type));
		ph->offset = get_le64(p + offsetof(Elf64_Phdr, p_offset));
		ph->paddr = get_le64(p + offsetof(Elf64_Phdr, p_paddr));
		ph->filesz = get_le64(p + offsetof(Elf64_Phdr, p_filesz));
		ph->memsz = get_le64(p + offsetof(Elf64_Phdr, p_memsz));
		ph->align = get_le64(p + offsetof(Elf64_Phdr, p_align));
	} else {
		ph->type = get_le32(p + offsetof(Elf32_Phdr, p_type));
		ph->offset = get_le32(p + offsetof(Elf32_Phdr, p_offset));
		ph->paddr = get_le32(p + offsetof(Elf32_Phdr, p_paddr));
		ph->filesz = get_le32(p + offsetof(Elf32_Phdr, p_filesz));
		ph->memsz = get_le32(p + offsetof(Elf32_Phdr, p_memsz));
		ph->align = get_le32(p + offsetof(Elf32_Phdr, p_align));
	}
}

/*
 * Walks the notes of one PT_NOTE segment for the PVH entry.  Returns 1 and
 * *entry when found, 0 when not, -ENOEXEC (with err) for a malformed note.
 */
static int pvh_scan_notes(const struct pvh_elf *e, unsigned int idx,
			  const struct pvh_phdr *ph, uint64_t *entry,
			  char *err, size_t errlen)
{
	const struct boot_kernel *k = e->k;
	const uint64_t a = ph->align == 8 ? 8 : 4;
	const uint8_t *seg;
	uint64_t pos = 0;

	if (!range_within(ph->offset, ph->filesz, k->size))
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "note segment %u (0x%" PRIx64 "+0x%" PRIx64 ") "
				 "lies beyond the end of the file (%zu bytes)",
				 idx, ph->offset, ph->filesz, k->size);
	seg = k->data + ph->offset;

	/* pos stays below filesz + 2^33 + 16: nothing wraps; the padding of
	 * the last note may run past the segment's end */
	while (pos <= ph->filesz && ph->filesz - pos >= 12) {
		uint32_t namesz = get_le32(seg + pos);
		uint32_t descsz = get_le32(seg + pos + 4);
		uint32_t type = get_le32(seg + pos + 8);
		const uint8_t *name, *desc;

		pos += 12;
		if (!range_within(pos, namesz, ph->filesz))
			goto bad;
		name = seg + pos;
		pos += ALIGN_UP((uint64_t)namesz, a);
		if (!range_within(pos, descsz, ph->filesz))
			goto bad;
		desc = seg + pos;
		pos += ALIGN_UP((uint64_t)descsz, a);

		if (type != BOOT_PVH_NOTE_ENTRY || namesz != sizeof(PVH_NOTE_NAME) ||
		    memcmp(name, PVH_NOTE_NAME, sizeof(PVH_NOTE_NAME)) != 0)
			continue;
		if (descsz == 4) {
			*entry = get_le32(desc);
		} else if (descsz == 8) {
			*entry = get_le64(desc);
		} else {
			return boot_fail(err, errlen, -ENOEXEC, k->path,
					 "PVH entry note holds %u bytes, not 4 or 8", descsz);
		}
		return 1;
	}
	return 0;
bad:
	return boot_fail(err, errlen, -ENOEXEC, k->path,
			 "malformed ELF note in note segment %u", idx);
}

/* Checks one PT_LOAD segment against the file, RAM and the boot area. */
static int pvh_check_load(const struct guest_mem *gm, const struct boot_kernel *k,
			  unsigned int i, const struct pvh_phdr *ph,
			  char *err, size_t errlen)
{
	if (ph->filesz > ph->memsz)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "segment %u: p_filesz 0x%" PRIx64 " exceeds p_memsz 0x%" PRIx64,
				 i, ph->filesz, ph->memsz);
	if (!range_within(ph->offset, ph->filesz, k->size))
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "segment %u: file bytes 0x%" PRIx64 "+0x%" PRIx64
				 " lie beyond the end of the file (%zu bytes)",
				 i, ph->offset, ph->filesz, k->size);
	if (!range_within(ph->paddr, ph->memsz, LAYOUT_4G))
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "segment %u: 0x%" PRIx64 "+0x%" PRIx64
				 " reaches above 4 GiB, out of reach of the 32-bit PVH entry",
				 i, ph->paddr, ph->memsz);
	if (ph->paddr < LAYOUT_HIGH_START)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "segment %u: 0x%" PRIx64 " is below 1 MiB, where the boot structures live",
				 i, ph->paddr);
	if (!gmem_ptr(gm, ph->paddr, ph->memsz))
		return boot_fail(err, errlen, -ENOMEM, k->path,
				 "segment %u: [0x%" PRIx64 ", 0x%" PRIx64 ") is not guest RAM (%" PRIu64
				 " MiB below the hole at 0x%llx)",
				 i, ph->paddr, ph->paddr + ph->memsz,
				 (uint64_t)(gm->low_size / MiB), LAYOUT_LOW_RAM_END);
	return 0;
}

/* What the checks found, for the writing phase. */
struct pvh_plan {
	uint64_t entry;
	uint64_t kernel_end;
	uint64_t initrd_addr;
};

static int pvh_check(const struct guest_mem *gm, const struct boot_images *img,
		     const struct pvh_elf *e, uint64_t initrd_size,
		     struct pvh_plan *p, char *err, size_t errlen)
{
	const struct boot_kernel *k = e->k;
	struct pvh_phdr ph;
	bool found = false, entry_ok = false;
	unsigned int nload = 0;
	uint64_t lo, hi;
	int rc;

	for (unsigned int i = 0; i < e->phnum && !found; i++) {
		pvh_phdr(e, i, &ph);
		if (ph.type != PT_NOTE)
			continue;
		rc = pvh_scan_notes(e, i, &ph, &p->entry, err, errlen);
		if (rc < 0)
			return rc;
		found = rc > 0;
	}
	if (!found)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF kernel lacks a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): "
				 "build it with CONFIG_PVH=y or boot the bzImage");

	for (unsigned int i = 0; i < e->phnum; i++) {
		pvh_phdr(e, i, &ph);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		rc = pvh_check_load(gm, k, i, &ph, err, errlen);
		if (rc < 0)
			return rc;
		nload++;
		p->kernel_end = MAX(p->kernel_end, ph.paddr + ph.memsz);
		if (p->entry >= ph.paddr && p->entry - ph.paddr < ph.filesz)
			entry_ok = true;
	}
	if (nload == 0)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "ELF file has no loadable segments");
	if (!entry_ok)
		return boot_fail(err, errlen, -ENOEXEC, k->path,
				 "PVH entry 0x%" PRIx64 " is outside the loaded segments",
				 p->entry);

	rc = boot_cmdline_check(img->cmdline, LAYOUT_CMDLINE_MAX - 1, k->path,
				err, errlen);
	if (rc < 0)
		return rc;

	if (initrd_size) {
		lo = ALIGN_UP(p->kernel_end, 4096);
		hi = gm->low_size;
		if (boot_initrd_place(gm, initrd_size, lo, hi, &p->initrd_addr) < 0)
			return boot_fail(err, errlen, -ENOSPC, img->initrd,
					 "initrd of %" PRIu64 " bytes does not fit between the kernel's end 0x%"
					 PRIx64 " and 0x%" PRIx64 " (%" PRIu64 " MiB of RAM below the hole)",
					 initrd_size, lo, hi, (uint64_t)(gm->low_size / MiB));
	}
	return 0;
}

/* Writes start info, memory map and module list at LAYOUT_PVH_INFO. */
static int pvh_write_start_info(struct guest_mem *gm, const struct boot_images *img,
				uint64_t initrd_addr, uint64_t initrd_size)
{
	struct e820_entry e820[E820_MAX];
	struct boot_pvh_memmap_entry mm[E820_MAX];
	struct boot_pvh_module mod;
	struct boot_pvh_start_info si;
	unsigned int n;
	int rc;

	n = gmem_e820(gm, e820, E820_MAX);
	memset(mm, 0, sizeof(mm));
	for (unsigned int i = 0; i < n; i++) {
		mm[i].addr = e820[i].addr;
		mm[i].size = e820[i].size;
		mm[i].type = e820[i].type;
	}

	memset(&si, 0, sizeof(si));
	si.magic = BOOT_PVH_MAGIC;
	si.version = BOOT_PVH_VERSION;
	si.cmdline_paddr = LAYOUT_CMDLINE;
	si.rsdp_paddr = img->rsdp;
	si.memmap_paddr = BOOT_PVH_MEMMAP_ADDR;
	si.memmap_entries = n;
	if (initrd_size) {
		memset(&mod, 0, sizeof(mod));
		mod.paddr = initrd_addr;
		mod.size = initrd_size;
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_PVH_MODLIST_ADDR;
		rc = gmem_write(gm, BOOT_PVH_MODLIST_ADDR, &mod, sizeof(mod));
		if (rc < 0)
			return rc;
	}
	rc = gmem_write(gm, BOOT_PVH_MEMMAP_ADDR, mm, n * sizeof(mm[0]));
	if (rc < 0)
		return rc;
	return gmem_write(gm, LAYOUT_PVH_INFO, &si, sizeof(si));
}

int boot_pvh_load(struct guest_mem *gm, const struct boot_images *img,
		  const struct boot_kernel *k, uint64_t initrd_size,
		  uint64_t *initrd_addr, struct boot_cpu *cpu,
		  char *err, size_t errlen)
{
	struct pvh_elf e = { .k = k };
	struct pvh_plan p;
	struct pvh_phdr ph;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = pvh_parse_ehdr(&e, err, errlen);
	if (rc == 0)
		rc = pvh_check(gm, img, &e, initrd_size, &p, err, errlen);
	if (rc < 0)
		return rc;

	/* Everything is checked: segments are in RAM and in the file. */
	for (unsigned int i = 0; i < e.phnum; i++) {
		uint8_t *dst;

		pvh_phdr(&e, i, &ph);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		dst = gmem_ptr(gm, ph.paddr, ph.memsz);
		if (!dst)
			return boot_fail(err, errlen, -EFAULT, k->path,
					 "segment %u vanished from guest RAM", i);
		memcpy(dst, k->data + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}
	rc = boot_cmdline_write(gm, img->cmdline);
	if (rc == 0)
		rc = pvh_write_start_info(gm, img, p.initrd_addr, initrd_size);
	if (rc < 0)
		return boot_fail(err, errlen, rc, k->path,
				 "guest RAM too small for the PVH start info");

	*initrd_addr = p.initrd_addr;
	memset(cpu, 0, sizeof(*cpu));
	cpu->mode = BOOT_CPU_PROT32;
	cpu->rip = p.entry;
	cpu->rbx = LAYOUT_PVH_INFO;
	cpu->rsp = LAYOUT_BOOT_STACK;
	return 0;
}
