/*
 * boot_pvh_test.c - the PVH loader against synthetic ELF kernels (ELF64 and
 * ELF32, built here): segments and bss in guest RAM, the hvm_start_info with
 * its memory map and module list, the 32-bit entry state, and every way a
 * hostile ELF file is refused without touching guest RAM.
 */
#include "unit.h"
#include "testutil.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "vmm/boot.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

/* ---- synthetic ELF kernel ------------------------------------------- *
 *
 *   0x0000  ELF header
 *   0x0040  3 program headers: PT_NOTE, PT_LOAD text, PT_LOAD data+bss
 *   0x0200  notes: GNU build id, Xen GUEST_OS, Xen PHYS32_ENTRY
 *   0x1000  text, 0x3000 bytes -> 0x1000000
 *   0x4000  data, 0x1000 bytes -> 0x1400000, memsz 0x5000 (0x4000 of bss)
 */
#define ELF_LEN      0x5000
#define PH_OFF       0x40
#define NOTE_OFF     0x200
#define TEXT_OFF     0x1000
#define TEXT_SIZE    0x3000
#define TEXT_PADDR   0x1000000ULL
#define DATA_OFF     0x4000
#define DATA_SIZE    0x1000
#define DATA_PADDR   0x1400000ULL
#define DATA_MEMSZ   0x5000
#define ENTRY        (TEXT_PADDR + 0x40)
#define KERNEL_END   (DATA_PADDR + DATA_MEMSZ)

struct elf_img {
	uint8_t buf[ELF_LEN];
	size_t len;
	bool is64;
	size_t entry_note;   /* file offset of the PHYS32_ENTRY note header */
};

struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

static size_t ph_at(const struct elf_img *e, unsigned int i)
{
	return PH_OFF + i * (e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr));
}

static void ph_put(struct elf_img *e, unsigned int i, const struct phdr *ph)
{
	uint8_t *p = e->buf + ph_at(e, i);

	if (e->is64) {
		Elf64_Phdr h = {
			.p_type = ph->type, .p_flags = PF_R | PF_X, .p_offset = ph->offset,
			.p_vaddr = ph->paddr + 0xffffffff80000000ULL, .p_paddr = ph->paddr,
			.p_filesz = ph->filesz, .p_memsz = ph->memsz, .p_align = ph->align,
		};
		memcpy(p, &h, sizeof(h));
	} else {
		Elf32_Phdr h = {
			.p_type = ph->type, .p_flags = PF_R | PF_X,
			.p_offset = (uint32_t)ph->offset,
			.p_vaddr = (uint32_t)ph->paddr + 0xc0000000u,
			.p_paddr = (uint32_t)ph->paddr, .p_filesz = (uint32_t)ph->filesz,
			.p_memsz = (uint32_t)ph->memsz, .p_align = (uint32_t)ph->align,
		};
		memcpy(p, &h, sizeof(h));
	}
}

static void ph_get(const struct elf_img *e, unsigned int i, struct phdr *ph)
{
	const uint8_t *p = e->buf + ph_at(e, i);

	if (e->is64) {
		Elf64_Phdr h;
		memcpy(&h, p, sizeof(h));
		*ph = (struct phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz,
				     h.p_memsz, h.p_align };
	} else {
		Elf32_Phdr h;
		memcpy(&h, p, sizeof(h));
		*ph = (struct phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz,
				     h.p_memsz, h.p_align };
	}
}

/* Appends one note at *pos with the given alignment. */
static void note_put(struct elf_img *e, size_t *pos, unsigned int align,
		     const char *name, uint32_t type, const void *desc,
		     uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;

	put_le32(e->buf + *pos, namesz);
	put_le32(e->buf + *pos + 4, descsz);
	put_le32(e->buf + *pos + 8, type);
	*pos += 12;
	memcpy(e->buf + *pos, name, namesz);
	*pos += ALIGN_UP(namesz, align);
	memcpy(e->buf + *pos, desc, descsz);
	*pos += ALIGN_UP(descsz, align);
}

static uint8_t text_byte(size_t i) { return (uint8_t)(i * 7 + 3); }
static uint8_t data_byte(size_t i) { return (uint8_t)(i * 11 + 1); }

static void elf_build_aligned(struct elf_img *e, bool is64, unsigned int note_align)
{
	static const uint8_t build_id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t entry[8];
	size_t pos = NOTE_OFF;

	memset(e, 0, sizeof(*e));
	e->len = ELF_LEN;
	e->is64 = is64;
	memcpy(e->buf, ELFMAG, SELFMAG);
	e->buf[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	e->buf[EI_DATA] = ELFDATA2LSB;
	e->buf[EI_VERSION] = EV_CURRENT;
	if (is64) {
		Elf64_Ehdr h;
		memcpy(&h, e->buf, EI_NIDENT);
		h.e_type = ET_EXEC;
		h.e_machine = EM_X86_64;
		h.e_version = EV_CURRENT;
		h.e_entry = 0xffffffff81000000ULL;
		h.e_phoff = PH_OFF;
		h.e_shoff = 0;
		h.e_flags = 0;
		h.e_ehsize = sizeof(Elf64_Ehdr);
		h.e_phentsize = sizeof(Elf64_Phdr);
		h.e_phnum = 3;
		h.e_shentsize = sizeof(Elf64_Shdr);
		h.e_shnum = 0;
		h.e_shstrndx = 0;
		memcpy(e->buf, &h, sizeof(h));
	} else {
		Elf32_Ehdr h;
		memcpy(&h, e->buf, EI_NIDENT);
		h.e_type = ET_EXEC;
		h.e_machine = EM_386;
		h.e_version = EV_CURRENT;
		h.e_entry = 0xc1000000u;
		h.e_phoff = PH_OFF;
		h.e_shoff = 0;
		h.e_flags = 0;
		h.e_ehsize = sizeof(Elf32_Ehdr);
		h.e_phentsize = sizeof(Elf32_Phdr);
		h.e_phnum = 3;
		h.e_shentsize = sizeof(Elf32_Shdr);
		h.e_shnum = 0;
		h.e_shstrndx = 0;
		memcpy(e->buf, &h, sizeof(h));
	}

	note_put(e, &pos, note_align, "GNU", NT_GNU_BUILD_ID, build_id, sizeof(build_id));
	note_put(e, &pos, note_align, "Xen", 6, "linux", 6);   /* GUEST_OS */
	e->entry_note = pos;
	put_le64(entry, ENTRY);
	note_put(e, &pos, note_align, "Xen", BOOT_PVH_NOTE_ENTRY, entry,
		 is64 ? 8 : 4);

	ph_put(e, 0, &(struct phdr){ PT_NOTE, NOTE_OFF, 0, pos - NOTE_OFF,
				     pos - NOTE_OFF, note_align });
	ph_put(e, 1, &(struct phdr){ PT_LOAD, TEXT_OFF, TEXT_PADDR, TEXT_SIZE,
				     TEXT_SIZE, 0x200000 });
	ph_put(e, 2, &(struct phdr){ PT_LOAD, DATA_OFF, DATA_PADDR, DATA_SIZE,
				     DATA_MEMSZ, 0x200000 });
	for (size_t i = 0; i < TEXT_SIZE; i++)
		e->buf[TEXT_OFF + i] = text_byte(i);
	for (size_t i = 0; i < DATA_SIZE; i++)
		e->buf[DATA_OFF + i] = data_byte(i);
}

static void elf_build(struct elf_img *e, bool is64)
{
	elf_build_aligned(e, is64, 4);
}

static void check_segments(struct guest_mem *gm)
{
	const uint8_t *text = gmem_ptr(gm, TEXT_PADDR, TEXT_SIZE);
	const uint8_t *data = gmem_ptr(gm, DATA_PADDR, DATA_MEMSZ);

	for (size_t i = 0; i < TEXT_SIZE; i++)
		assert_int_equal(text[i], text_byte(i));
	for (size_t i = 0; i < DATA_SIZE; i++)
		assert_int_equal(data[i], data_byte(i));
	for (size_t i = DATA_SIZE; i < DATA_MEMSZ; i++)
		assert_int_equal(data[i], 0);
}

static struct boot_pvh_start_info start_info(struct guest_mem *gm)
{
	struct boot_pvh_start_info si;

	assert_int_equal(gmem_read(gm, LAYOUT_PVH_INFO, &si, sizeof(si)), 0);
	return si;
}

/* ---- loading -------------------------------------------------------- */

static void test_pvh_elf64(void **state)
{
	static const char cmdline[] = "console=hvc0 earlyprintk=ttyS0";
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct e820_entry e820[E820_MAX];
	struct boot_pvh_memmap_entry mm;
	struct boot_pvh_module mod;
	struct boot_pvh_start_info si;
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[256];
	uint8_t initrd[5000];
	unsigned int n;
	(void)state;

	elf_build(&e, true);
	unit_tmp_write(kpath, e.buf, e.len);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(0xc3 ^ i);
	unit_tmp_write(ipath, initrd, sizeof(initrd));

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	/* stale bytes where the bss goes: the loader must clear them */
	memset(gmem_ptr(&gm, DATA_PADDR, DATA_MEMSZ), 0xaa, DATA_MEMSZ);

	struct boot_images img = {
		.kernel = kpath, .initrd = ipath, .cmdline = cmdline, .rsdp = 0xe0000,
	};
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* entry: 32-bit protected mode at the note's address, EBX = start info */
	assert_int_equal(cpu.mode, BOOT_CPU_PROT32);
	assert_int_equal(cpu.rip, ENTRY);
	assert_int_equal(cpu.rbx, LAYOUT_PVH_INFO);
	check_segments(&gm);
	/* nothing beyond the bss, nothing before the text */
	assert_int_equal(*(uint8_t *)gmem_ptr(&gm, DATA_PADDR + DATA_MEMSZ, 1), 0);
	assert_int_equal(*(uint8_t *)gmem_ptr(&gm, TEXT_PADDR - 1, 1), 0);

	si = start_info(&gm);
	assert_int_equal(si.magic, 0x336ec578);
	assert_int_equal(si.version, 1);
	assert_int_equal(si.flags, 0);
	assert_int_equal(si.reserved, 0);
	assert_int_equal(si.cmdline_paddr, LAYOUT_CMDLINE);
	assert_string_equal((char *)gmem_ptr(&gm, LAYOUT_CMDLINE, sizeof(cmdline)), cmdline);
	assert_int_equal(si.rsdp_paddr, 0xe0000);

	/* memory map: gmem_e820, entry by entry, right after the start info */
	n = gmem_e820(&gm, e820, E820_MAX);
	assert_int_equal(si.memmap_entries, n);
	assert_int_equal(si.memmap_paddr, LAYOUT_PVH_INFO + sizeof(si));
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(gmem_read(&gm, si.memmap_paddr + i * sizeof(mm), &mm,
					   sizeof(mm)), 0);
		assert_int_equal(mm.addr, e820[i].addr);
		assert_int_equal(mm.size, e820[i].size);
		assert_int_equal(mm.type, e820[i].type);
		assert_int_equal(mm.reserved, 0);
	}

	/* one module, the initrd: page-aligned, top of RAM, above the kernel */
	assert_int_equal(si.nr_modules, 1);
	assert_true(si.modlist_paddr >= si.memmap_paddr + n * sizeof(mm));
	assert_true(si.modlist_paddr + sizeof(mod) <= LAYOUT_ZERO_PAGE);
	assert_int_equal(gmem_read(&gm, si.modlist_paddr, &mod, sizeof(mod)), 0);
	assert_int_equal(mod.paddr, ALIGN_DOWN(64 * MiB - sizeof(initrd), 4096));
	assert_true(mod.paddr >= KERNEL_END);
	assert_int_equal(mod.size, sizeof(initrd));
	assert_int_equal(mod.cmdline_paddr, 0);
	assert_int_equal(mod.reserved, 0);
	assert_memory_equal(gmem_ptr(&gm, mod.paddr, sizeof(initrd)), initrd,
			    sizeof(initrd));

	/* the boot GDT is there (for CS 0x08), the long-mode tables are not */
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_BOOT_GDT + BOOT_SEL_CODE32, 8)),
			 boot_gdt_entry(BOOT_SEL_CODE32 >> 3));
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_PML4, 8)), 0);

	struct kvm_regs regs;
	struct kvm_sregs sregs;
	memset(&sregs, 0, sizeof(sregs));
	boot_cpu_regs(&cpu, &regs, &sregs);
	assert_int_equal(regs.rbx, LAYOUT_PVH_INFO);
	assert_int_equal(regs.rip, ENTRY);
	assert_int_equal(sregs.cs.selector, BOOT_SEL_CODE32);
	assert_true(sregs.cs.db);
	assert_int_equal(sregs.cr0 & BOOT_CR0_PG, 0);

	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
}

static void test_pvh_elf32_no_initrd(void **state)
{
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct boot_pvh_start_info si;
	char kpath[UNIT_PATH_LEN], err[256];
	(void)state;

	elf_build(&e, false);           /* 4-byte entry note */
	unit_tmp_write(kpath, e.buf, e.len);
	struct boot_images img = { .kernel = kpath };
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(cpu.mode, BOOT_CPU_PROT32);
	assert_int_equal(cpu.rip, ENTRY);
	check_segments(&gm);
	si = start_info(&gm);
	assert_int_equal(si.magic, BOOT_PVH_MAGIC);
	assert_int_equal(si.nr_modules, 0);
	assert_int_equal(si.modlist_paddr, 0);
	assert_int_equal(si.rsdp_paddr, 0);
	assert_int_equal(si.cmdline_paddr, LAYOUT_CMDLINE);
	assert_int_equal(*(char *)gmem_ptr(&gm, LAYOUT_CMDLINE, 1), '\0');
	gmem_destroy(&gm);
	unlink(kpath);
}

/* Notes padded to 8 bytes, as in PT_NOTE segments with p_align 8. */
static void test_pvh_note_align8(void **state)
{
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], err[256];
	(void)state;

	elf_build_aligned(&e, true, 8);
	unit_tmp_write(kpath, e.buf, e.len);
	struct boot_images img = { .kernel = kpath };
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(cpu.rip, ENTRY);
	gmem_destroy(&gm);
	unlink(kpath);
}

static void test_pvh_initrd_limit(void **state)
{
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[512];
	const uint64_t room = 64 * MiB - ALIGN_UP(KERNEL_END, 4096);
	(void)state;

	elf_build(&e, true);
	unit_tmp_write(kpath, e.buf, e.len);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	unit_tmp_sparse(ipath, room + 1);
	struct boot_images img = { .kernel = kpath, .initrd = ipath };
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOSPC, err,
		   ipath, "does not fit");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	unlink(ipath);
	unit_tmp_sparse(ipath, room);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	struct boot_pvh_module mod;
	assert_int_equal(gmem_read(&gm, BOOT_PVH_MODLIST_ADDR, &mod, sizeof(mod)), 0);
	assert_int_equal(mod.paddr, ALIGN_UP(KERNEL_END, 4096));
	assert_int_equal(mod.size, room);
	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
}

/* ---- refusals ------------------------------------------------------- */

static void p_no_note(struct elf_img *e)
{
	put_le32(e->buf + e->entry_note + 8, 17);
}

static void p_note_phdr_not_note(struct elf_img *e)
{
	struct phdr ph;
	ph_get(e, 0, &ph);
	ph.type = PT_NULL;
	ph_put(e, 0, &ph);
}

static void p_phoff_beyond(struct elf_img *e)
{
	put_le64(e->buf + offsetof(Elf64_Ehdr, e_phoff), ELF_LEN - 10);
}

static void p_phoff_huge(struct elf_img *e)
{
	put_le64(e->buf + offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX - 8);
}

static void p_phnum_many(struct elf_img *e)
{
	put_le16(e->buf + offsetof(Elf64_Ehdr, e_phnum), 0x1000);
}

static void p_phnum_zero(struct elf_img *e)
{
	put_le16(e->buf + offsetof(Elf64_Ehdr, e_phnum), 0);
}

static void p_phentsize(struct elf_img *e)
{
	put_le16(e->buf + offsetof(Elf64_Ehdr, e_phentsize), 10);
}

static void p_big_endian(struct elf_img *e) { e->buf[EI_DATA] = ELFDATA2MSB; }
static void p_class(struct elf_img *e) { e->buf[EI_CLASS] = 3; }

static void p_arm(struct elf_img *e)
{
	put_le16(e->buf + offsetof(Elf64_Ehdr, e_machine), EM_ARM);
}

static void p_dyn(struct elf_img *e)
{
	put_le16(e->buf + offsetof(Elf64_Ehdr, e_type), ET_DYN);
}

static void p_trunc_ehdr(struct elf_img *e) { e->len = 20; }
static void p_trunc_ident(struct elf_img *e) { e->len = 8; }
static void p_trunc_data(struct elf_img *e) { e->len = DATA_OFF + DATA_SIZE - 1; }

/* patches segment i with f */
#define SEG_PATCH(name, i, stmt)                                             \
	static void name(struct elf_img *e)                                   \
	{                                                                     \
		struct phdr ph;                                               \
		ph_get(e, i, &ph);                                            \
		stmt;                                                         \
		ph_put(e, i, &ph);                                            \
	}

SEG_PATCH(p_beyond_ram, 2, ph.paddr = 63 * MiB; ph.memsz = 2 * MiB)
SEG_PATCH(p_low, 1, ph.paddr = 0x8000)
SEG_PATCH(p_vga, 1, ph.paddr = LAYOUT_VGA_START)
SEG_PATCH(p_ioapic, 2, ph.paddr = LAYOUT_IOAPIC_BASE)
SEG_PATCH(p_above_4g, 2, ph.paddr = LAYOUT_4G)
SEG_PATCH(p_cross_4g, 2, ph.paddr = LAYOUT_4G - 0x1000)
SEG_PATCH(p_paddr_wrap, 2, ph.paddr = UINT64_MAX - 0xfff; ph.memsz = 0x2000;
	  ph.filesz = 0x1000)
SEG_PATCH(p_offset_wrap, 2, ph.offset = UINT64_MAX - 0xfff; ph.filesz = 0x2000;
	  ph.memsz = 0x3000)
SEG_PATCH(p_offset_beyond, 2, ph.offset = ELF_LEN)
SEG_PATCH(p_filesz_beyond, 1, ph.filesz = ELF_LEN; ph.memsz = ELF_LEN)
SEG_PATCH(p_filesz_gt_memsz, 2, ph.memsz = DATA_SIZE - 1)
SEG_PATCH(p_note_beyond, 0, ph.offset = ELF_LEN - 4)
SEG_PATCH(p_note_wrap, 0, ph.offset = UINT64_MAX - 8)
SEG_PATCH(p_no_load1, 1, ph.type = PT_NULL)
SEG_PATCH(p_entry_in_bss, 1, ph.filesz = 0x20)

static void p_no_loads(struct elf_img *e)
{
	p_no_load1(e);
	struct phdr ph;
	ph_get(e, 2, &ph);
	ph.memsz = 0;
	ph.filesz = 0;
	ph_put(e, 2, &ph);
}

/* The GUEST_OS note's padding runs past the segment; the entry note is cut. */
static void p_note_pad_past_end(struct elf_img *e)
{
	struct phdr ph;
	ph_get(e, 0, &ph);
	ph.filesz = e->entry_note - NOTE_OFF - 2;
	ph_put(e, 0, &ph);
}

static void p_note_namesz(struct elf_img *e)
{
	put_le32(e->buf + NOTE_OFF, 0xffffffff);
}

static void p_note_descsz(struct elf_img *e)
{
	put_le32(e->buf + NOTE_OFF + 4, 0xfffffff0);
}

static void p_entry_size(struct elf_img *e)
{
	put_le32(e->buf + e->entry_note + 4, 2);
}

static void p_entry_outside(struct elf_img *e)
{
	put_le64(e->buf + e->entry_note + 16, 0x2000000);
}

static void p_entry_high(struct elf_img *e)
{
	put_le64(e->buf + e->entry_note + 16, TEXT_PADDR + (1ULL << 32));
}

struct pvh_bad {
	const char *what;
	void (*patch)(struct elf_img *e);
	int rc;
	const char *phrase;
};

static const struct pvh_bad pvh_bad[] = {
	{ "no PVH note", p_no_note, -ENOEXEC, "lacks a PVH entry note" },
	{ "no PT_NOTE", p_note_phdr_not_note, -ENOEXEC, "CONFIG_PVH" },
	{ "phdrs beyond file", p_phoff_beyond, -ENOEXEC, "program headers at" },
	{ "phoff wraps", p_phoff_huge, -ENOEXEC, "beyond the end of the file" },
	{ "too many phdrs", p_phnum_many, -ENOEXEC, "beyond the end of the file" },
	{ "no phdrs", p_phnum_zero, -ENOEXEC, "no program headers" },
	{ "phentsize", p_phentsize, -ENOEXEC, "program header size 10" },
	{ "big-endian", p_big_endian, -ENOEXEC, "little-endian" },
	{ "class", p_class, -ENOEXEC, "ELF class 3" },
	{ "machine", p_arm, -ENOEXEC, "not x86" },
	{ "ET_DYN", p_dyn, -ENOEXEC, "not an executable" },
	{ "truncated ehdr", p_trunc_ehdr, -ENOEXEC, "truncated ELF header" },
	{ "truncated ident", p_trunc_ident, -ENOEXEC, "truncated ELF header" },
	{ "truncated data", p_trunc_data, -ENOEXEC, "segment 2: file bytes" },
	{ "beyond RAM", p_beyond_ram, -ENOMEM, "is not guest RAM" },
	{ "below 1 MiB", p_low, -ENOEXEC, "below 1 MiB" },
	{ "VGA hole", p_vga, -ENOEXEC, "below 1 MiB" },
	{ "MMIO hole", p_ioapic, -ENOMEM, "is not guest RAM" },
	{ "above 4 GiB", p_above_4g, -ENOEXEC, "above 4 GiB" },
	{ "across 4 GiB", p_cross_4g, -ENOEXEC, "above 4 GiB" },
	{ "paddr+memsz wraps", p_paddr_wrap, -ENOEXEC, "above 4 GiB" },
	{ "offset+filesz wraps", p_offset_wrap, -ENOEXEC, "beyond the end of the file" },
	{ "offset beyond", p_offset_beyond, -ENOEXEC, "beyond the end of the file" },
	{ "filesz beyond", p_filesz_beyond, -ENOEXEC, "beyond the end of the file" },
	{ "filesz > memsz", p_filesz_gt_memsz, -ENOEXEC, "exceeds p_memsz" },
	{ "note beyond", p_note_beyond, -ENOEXEC, "note segment 0" },
	{ "note offset wraps", p_note_wrap, -ENOEXEC, "note segment 0" },
	{ "note padding past end", p_note_pad_past_end, -ENOEXEC, "lacks a PVH entry note" },
	{ "note namesz", p_note_namesz, -ENOEXEC, "malformed ELF note" },
	{ "note descsz", p_note_descsz, -ENOEXEC, "malformed ELF note" },
	{ "entry size", p_entry_size, -ENOEXEC, "holds 2 bytes" },
	{ "entry outside", p_entry_outside, -ENOEXEC, "outside the loaded segments" },
	{ "entry above 4G", p_entry_high, -ENOEXEC, "outside the loaded segments" },
	{ "entry in bss", p_entry_in_bss, -ENOEXEC, "outside the loaded segments" },
	{ "no loads", p_no_loads, -ENOEXEC, "no loadable segments" },
};

static void test_pvh_refused(void **state)
{
	struct guest_mem gm;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (unsigned int c = 0; c < ARRAY_SIZE(pvh_bad); c++) {
		for (int is64 = 1; is64 >= 0; is64--) {
			struct elf_img e;
			struct boot_cpu cpu;
			char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[512];

			/* the patches speak ELF64; class-neutral ones run on both */
			if (!is64 && pvh_bad[c].patch != p_no_note &&
			    pvh_bad[c].patch != p_note_namesz &&
			    pvh_bad[c].patch != p_note_pad_past_end &&
			    pvh_bad[c].patch != p_note_descsz &&
			    pvh_bad[c].patch != p_big_endian &&
			    pvh_bad[c].patch != p_trunc_ehdr &&
			    pvh_bad[c].patch != p_beyond_ram &&
			    pvh_bad[c].patch != p_low &&
			    pvh_bad[c].patch != p_filesz_gt_memsz)
				continue;
			print_message("refuse: %s (ELF%d)\n", pvh_bad[c].what,
				      is64 ? 64 : 32);
			elf_build(&e, is64);
			pvh_bad[c].patch(&e);
			unit_tmp_write(kpath, e.buf, e.len);
			unit_tmp_sparse(ipath, 4096);
			struct boot_images img = {
				.kernel = kpath, .initrd = ipath, .cmdline = "quiet",
				.rsdp = 0xe0000,
			};
			unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)),
				   pvh_bad[c].rc, err, kpath, pvh_bad[c].phrase);
			assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
			unlink(kpath);
			unlink(ipath);
		}
	}
	gmem_destroy(&gm);
}

static void test_pvh_cmdline_too_long(void **state)
{
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], err[256];
	char *line = malloc(LAYOUT_CMDLINE_MAX + 1);
	(void)state;

	assert_non_null(line);
	memset(line, 'c', LAYOUT_CMDLINE_MAX);
	line[LAYOUT_CMDLINE_MAX] = '\0';
	elf_build(&e, true);
	unit_tmp_write(kpath, e.buf, e.len);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	struct boot_images img = { .kernel = kpath, .cmdline = line };
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -E2BIG, err,
		   kpath, "command line is 65536 bytes");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	line[LAYOUT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	gmem_destroy(&gm);
	unlink(kpath);
	free(line);
}

/* 4 GiB guest: RAM ends at 3 GiB, a segment straddling it is refused. */
static void test_pvh_segment_into_hole(void **state)
{
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct phdr ph;
	char kpath[UNIT_PATH_LEN], err[512];
	(void)state;

	elf_build(&e, true);
	ph_get(&e, 2, &ph);
	ph.paddr = LAYOUT_LOW_RAM_END - 0x1000;
	ph_put(&e, 2, &ph);
	unit_tmp_write(kpath, e.buf, e.len);
	assert_int_equal(gmem_init(&gm, 4 * GiB), 0);
	struct boot_images img = { .kernel = kpath };
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOMEM, err,
		   kpath, "[0xbffff000, 0xc0004000) is not guest RAM");
	/* segment 1 was fine but is not written either */
	assert_true(unit_ram_is_zero(&gm, 64 * MiB));

	/* just below the hole it loads */
	ph.paddr = LAYOUT_LOW_RAM_END - DATA_MEMSZ;
	ph_put(&e, 2, &ph);
	unlink(kpath);
	unit_tmp_write(kpath, e.buf, e.len);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_memory_equal(gmem_ptr(&gm, ph.paddr, DATA_SIZE), e.buf + DATA_OFF,
			    DATA_SIZE);
	gmem_destroy(&gm);
	unlink(kpath);
}

/* The loader straight from a buffer cut at every length up to the data. */
static void test_pvh_every_truncation(void **state)
{
	struct elf_img e;
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct boot_images img = { .kernel = "k" };
	uint64_t ird;
	char err[256];
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (int is64 = 0; is64 <= 1; is64++) {
		elf_build(&e, is64);
		for (size_t n = 0; n < e.len; n += n < NOTE_OFF + 0x80 ? 1 : 61) {
			uint8_t *cut = malloc(n ? n : 1);
			assert_non_null(cut);
			memcpy(cut, e.buf, n);
			struct boot_kernel k = { .path = "k", .data = cut, .size = n };
			if (boot_pvh_probe(cut, n))
				assert_true(boot_pvh_load(&gm, &img, &k, 0, &ird, &cpu,
							  err, sizeof(err)) < 0);
			else
				assert_true(n < 4);
			free(cut);
		}
	}
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	gmem_destroy(&gm);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_pvh_elf64),
	cmocka_unit_test(test_pvh_elf32_no_initrd),
	cmocka_unit_test(test_pvh_note_align8),
	cmocka_unit_test(test_pvh_initrd_limit),
	cmocka_unit_test(test_pvh_refused),
	cmocka_unit_test(test_pvh_cmdline_too_long),
	cmocka_unit_test(test_pvh_segment_into_hole),
	cmocka_unit_test(test_pvh_every_truncation),
};

UNIT_SUITE(boot_pvh, tests);
