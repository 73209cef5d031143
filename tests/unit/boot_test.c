/*
 * boot_test.c - the common part of direct boot: boot GDT, identity page
 * tables, the KVM register state for each entry mode, the flat loader and
 * how boot_load() picks (or refuses) a file.
 */
#include "unit.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "vmm/boot.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

static void test_gdt_descriptors(void **state)
{
	struct guest_mem gm;
	struct kvm_segment s;
	uint8_t buf[BOOT_GDT_ENTRIES * 8];
	(void)state;

	assert_int_equal(gmem_init(&gm, 2 * MiB), 0);
	assert_int_equal(boot_write_gdt(&gm), 0);
	assert_int_equal(gmem_read(&gm, LAYOUT_BOOT_GDT, buf, sizeof(buf)), 0);
	for (unsigned int i = 0; i < BOOT_GDT_ENTRIES; i++)
		assert_int_equal(get_le64(buf + 8 * i), boot_gdt_entry(i));
	/* the well-known encodings */
	assert_int_equal(get_le64(buf + 0x00), 0);
	assert_int_equal(get_le64(buf + 0x08), 0x00cf9b000000ffffULL);
	assert_int_equal(get_le64(buf + 0x10), 0x00af9b000000ffffULL);
	assert_int_equal(get_le64(buf + 0x18), 0x00cf93000000ffffULL);
	assert_int_equal(get_le64(buf + 0x20), 0x00008b0000000067ULL);

	boot_seg_from_desc(get_le64(buf + BOOT_SEL_CODE32), BOOT_SEL_CODE32, &s);
	assert_int_equal(s.base, 0);
	assert_int_equal(s.limit, 0xffffffff);
	assert_int_equal(s.type, 0xb);
	assert_true(s.present && s.s && s.db && s.g && !s.l && !s.dpl && !s.unusable);

	boot_seg_from_desc(get_le64(buf + BOOT_SEL_CODE64), BOOT_SEL_CODE64, &s);
	assert_int_equal(s.type, 0xb);
	assert_true(s.present && s.s && s.l && !s.db && s.g);

	boot_seg_from_desc(get_le64(buf + BOOT_SEL_DATA), BOOT_SEL_DATA, &s);
	assert_int_equal(s.base, 0);
	assert_int_equal(s.limit, 0xffffffff);
	assert_int_equal(s.type, 0x3);
	assert_true(s.present && s.s && s.db && s.g && !s.l);

	boot_seg_from_desc(get_le64(buf + BOOT_SEL_TSS), BOOT_SEL_TSS, &s);
	assert_int_equal(s.base, 0);
	assert_int_equal(s.limit, BOOT_TSS_LIMIT);
	assert_int_equal(s.type, 0xb);          /* busy 32-bit TSS */
	assert_true(s.present && !s.s && !s.g);

	/* nothing else was written */
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_BOOT_GDT - 8, 8)), 0);
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_BOOT_GDT + sizeof(buf), 8)), 0);
	assert_int_equal(boot_gdt_entry(BOOT_GDT_ENTRIES), 0);
	gmem_destroy(&gm);
}

static void test_page_tables(void **state)
{
	struct guest_mem gm;
	const uint8_t *pml4, *pdpt, *pd;
	(void)state;

	assert_int_equal(gmem_init(&gm, 2 * MiB), 0);
	assert_int_equal(boot_write_page_tables(&gm), 0);
	pml4 = gmem_ptr(&gm, LAYOUT_PML4, 4096);
	pdpt = gmem_ptr(&gm, LAYOUT_PDPT, 4096);
	pd = gmem_ptr(&gm, LAYOUT_PD, 4 * 4096);

	assert_int_equal(get_le64(pml4), LAYOUT_PDPT | BOOT_PTE_P | BOOT_PTE_RW);
	for (unsigned int i = 1; i < 512; i++)
		assert_int_equal(get_le64(pml4 + 8 * i), 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(get_le64(pdpt + 8 * i),
				 (LAYOUT_PD + i * 4096ULL) | BOOT_PTE_P | BOOT_PTE_RW);
	for (unsigned int i = 4; i < 512; i++)
		assert_int_equal(get_le64(pdpt + 8 * i), 0);
	/* 2048 2 MiB pages: identity, present, writable, large */
	for (unsigned int i = 0; i < 2048; i++)
		assert_int_equal(get_le64(pd + 8 * i),
				 i * 2 * MiB | BOOT_PTE_P | BOOT_PTE_RW | BOOT_PTE_PS);
	/* the last maps 4 GiB - 2 MiB */
	assert_int_equal(get_le64(pd + 8 * 2047) & ~0xfffULL, LAYOUT_4G - 2 * MiB);
	/* the page after the last PD is untouched */
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_PD + 4 * 4096, 8)), 0);
	gmem_destroy(&gm);
}

/* sregs as a fresh or recycled vCPU might hand them: junk everywhere */
static void junk_sregs(struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	memset(sregs, 0xa5, sizeof(*sregs));
	memset(regs, 0xa5, sizeof(*regs));
	sregs->apic_base = 0xfee00900;
	sregs->cr8 = 3;
}

static void assert_flat_data(const struct kvm_segment *s)
{
	assert_int_equal(s->selector, BOOT_SEL_DATA);
	assert_int_equal(s->base, 0);
	assert_int_equal(s->limit, 0xffffffff);
	assert_int_equal(s->type, 0x3);
	assert_true(s->present && s->s && s->db && s->g && !s->l && !s->unusable);
}

static void assert_common_protected(const struct kvm_sregs *sregs)
{
	assert_flat_data(&sregs->ds);
	assert_flat_data(&sregs->es);
	assert_flat_data(&sregs->ss);
	assert_flat_data(&sregs->fs);
	assert_flat_data(&sregs->gs);
	assert_int_equal(sregs->tr.selector, BOOT_SEL_TSS);
	assert_int_equal(sregs->tr.base, 0);
	assert_int_equal(sregs->tr.limit, 0x67);
	assert_int_equal(sregs->tr.type, 0xb);
	assert_true(sregs->tr.present && !sregs->tr.s);
	assert_int_equal(sregs->ldt.selector, 0);
	assert_int_equal(sregs->ldt.type, 2);
	assert_int_equal(sregs->gdt.base, LAYOUT_BOOT_GDT);
	assert_int_equal(sregs->gdt.limit, BOOT_GDT_ENTRIES * 8 - 1);
	assert_int_equal(sregs->idt.base, LAYOUT_BOOT_IDT);
	assert_int_equal(sregs->idt.limit, 0);
	/* left alone */
	assert_int_equal(sregs->apic_base, 0xfee00900);
	assert_int_equal(sregs->cr8, 3);
}

static void test_regs_long_mode(void **state)
{
	struct boot_cpu cpu = {
		.mode = BOOT_CPU_LONG64, .rip = 0x100200, .rsp = LAYOUT_BOOT_STACK,
		.rsi = LAYOUT_ZERO_PAGE,
	};
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	(void)state;

	junk_sregs(&sregs, &regs);
	boot_cpu_regs(&cpu, &regs, &sregs);
	assert_int_equal(regs.rip, 0x100200);
	assert_int_equal(regs.rsi, LAYOUT_ZERO_PAGE);
	assert_int_equal(regs.rsp, LAYOUT_BOOT_STACK);
	assert_int_equal(regs.rflags, 0x2);             /* IF clear */
	assert_int_equal(regs.rbx | regs.rbp | regs.rdi | regs.rax, 0);
	assert_int_equal(sregs.cr0, BOOT_CR0_PE | BOOT_CR0_PG | BOOT_CR0_ET);
	assert_int_equal(sregs.cr3, LAYOUT_PML4);
	assert_int_equal(sregs.cr4, BOOT_CR4_PAE);
	assert_int_equal(sregs.efer, BOOT_EFER_LME | BOOT_EFER_LMA);
	assert_int_equal(sregs.cs.selector, 0x10);     /* __BOOT_CS */
	assert_int_equal(sregs.cs.type, 0xb);
	assert_true(sregs.cs.l && !sregs.cs.db && sregs.cs.present && sregs.cs.s);
	assert_int_equal(sregs.ds.selector, 0x18);     /* __BOOT_DS */
	assert_common_protected(&sregs);
}

static void test_regs_pvh(void **state)
{
	struct boot_cpu cpu = {
		.mode = BOOT_CPU_PROT32, .rip = 0x1000040, .rsp = LAYOUT_BOOT_STACK,
		.rbx = LAYOUT_PVH_INFO,
	};
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	(void)state;

	junk_sregs(&sregs, &regs);
	boot_cpu_regs(&cpu, &regs, &sregs);
	assert_int_equal(regs.rip, 0x1000040);
	assert_int_equal(regs.rbx, LAYOUT_PVH_INFO);
	assert_int_equal(regs.rflags, 0x2);
	assert_int_equal(regs.rsi, 0);
	/* PVH ABI: PE set, paging off, CR4 clear */
	assert_int_equal(sregs.cr0 & (BOOT_CR0_PE | BOOT_CR0_PG), BOOT_CR0_PE);
	assert_int_equal(sregs.cr0, BOOT_CR0_PE | BOOT_CR0_ET);
	assert_int_equal(sregs.cr3, 0);
	assert_int_equal(sregs.cr4, 0);
	assert_int_equal(sregs.efer, 0);
	assert_int_equal(sregs.cs.selector, BOOT_SEL_CODE32);
	assert_int_equal(sregs.cs.base, 0);
	assert_int_equal(sregs.cs.limit, 0xffffffff);
	assert_int_equal(sregs.cs.type, 0xb);
	assert_true(sregs.cs.db && !sregs.cs.l && sregs.cs.g && sregs.cs.present);
	assert_common_protected(&sregs);
}

static void test_regs_real_mode(void **state)
{
	struct boot_cpu cpu = {
		.mode = BOOT_CPU_REAL16, .real_cs = 0x1234, .rip = 0x10, .rsp = 0x7000,
	};
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	(void)state;

	junk_sregs(&sregs, &regs);
	boot_cpu_regs(&cpu, &regs, &sregs);
	assert_int_equal(regs.rip, 0x10);
	assert_int_equal(regs.rsp, 0x7000);
	assert_int_equal(regs.rflags, 0x2);
	assert_int_equal(sregs.cs.selector, 0x1234);
	assert_int_equal(sregs.cs.base, 0x12340);
	assert_int_equal(sregs.cs.limit, 0xffff);
	assert_true(sregs.cs.present && sregs.cs.s && !sregs.cs.db && !sregs.cs.l);
	const struct kvm_segment *data[] = { &sregs.ds, &sregs.es, &sregs.fs,
					     &sregs.gs, &sregs.ss };
	for (unsigned int i = 0; i < ARRAY_SIZE(data); i++) {
		assert_int_equal(data[i]->selector, 0);
		assert_int_equal(data[i]->base, 0);
		assert_int_equal(data[i]->limit, 0xffff);
		assert_int_equal(data[i]->type, 0x3);
		assert_true(data[i]->present && !data[i]->db);
	}
	assert_int_equal(sregs.cr0 & (BOOT_CR0_PE | BOOT_CR0_PG), 0);
	assert_int_equal(sregs.cr4, 0);
	assert_int_equal(sregs.efer, 0);
	assert_int_equal(sregs.idt.base, 0);
	assert_int_equal(sregs.idt.limit, 0x3ff);
	assert_int_equal(sregs.apic_base, 0xfee00900);
}

/* The hidden segment state equals what the GDT in guest RAM says. */
static void test_regs_match_gdt_in_ram(void **state)
{
	const enum boot_cpu_mode modes[] = { BOOT_CPU_PROT32, BOOT_CPU_LONG64 };
	struct guest_mem gm;
	struct kvm_segment s;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	(void)state;

	assert_int_equal(gmem_init(&gm, 2 * MiB), 0);
	assert_int_equal(boot_write_gdt(&gm), 0);
	for (unsigned int m = 0; m < ARRAY_SIZE(modes); m++) {
		struct boot_cpu cpu = { .mode = modes[m] };
		const struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.ss,
						     &sregs.tr };
		junk_sregs(&sregs, &regs);
		boot_cpu_regs(&cpu, &regs, &sregs);
		for (unsigned int i = 0; i < ARRAY_SIZE(segs); i++) {
			uint64_t gpa = sregs.gdt.base + segs[i]->selector;
			assert_true(segs[i]->selector + 7 <= sregs.gdt.limit);
			boot_seg_from_desc(get_le64(gmem_ptr(&gm, gpa, 8)),
					   segs[i]->selector, &s);
			assert_memory_equal(&s, segs[i], sizeof(s));
		}
	}
	gmem_destroy(&gm);
}

static void test_flat_load(void **state)
{
	struct guest_mem gm;
	struct boot_cpu cpu;
	char path[UNIT_PATH_LEN], err[256];
	uint8_t bin[1000];
	struct boot_images img = { 0 };
	(void)state;

	for (unsigned int i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 31 + 5);
	unit_tmp_write(path, bin, sizeof(bin));
	img.flat = path;
	img.cmdline = "";        /* an empty command line is no command line */
	assert_int_equal(gmem_init(&gm, 16 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_memory_equal(gmem_ptr(&gm, LAYOUT_FLAT_LOAD, sizeof(bin)), bin, sizeof(bin));
	assert_int_equal(cpu.mode, BOOT_CPU_REAL16);
	assert_int_equal(cpu.real_cs, 0);
	assert_int_equal(cpu.rip, 0x7c00);
	assert_int_equal(cpu.rsp, 0x7000);
	/* only the binary was written: no GDT, no page tables */
	memset(gmem_ptr(&gm, LAYOUT_FLAT_LOAD, sizeof(bin)), 0, sizeof(bin));
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	gmem_destroy(&gm);
	unlink(path);
}

static void test_flat_size_limit(void **state)
{
	const size_t max = LAYOUT_EBDA_START - LAYOUT_FLAT_LOAD;
	struct guest_mem gm;
	struct boot_cpu cpu;
	char path[UNIT_PATH_LEN], err[256];
	uint8_t *bin = malloc(max + 1);
	struct boot_images img = { 0 };
	(void)state;

	assert_non_null(bin);
	memset(bin, 0x90, max + 1);
	assert_int_equal(gmem_init(&gm, 16 * MiB), 0);

	/* one byte too many: refused, nothing written */
	unit_tmp_write(path, bin, max + 1);
	img.flat = path;
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EFBIG, err,
		   path, "does not fit below the EBDA");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	unlink(path);

	/* exactly up to the EBDA: fine */
	unit_tmp_write(path, bin, max);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(*(uint8_t *)gmem_ptr(&gm, LAYOUT_EBDA_START - 1, 1), 0x90);
	assert_int_equal(*(uint8_t *)gmem_ptr(&gm, LAYOUT_EBDA_START, 1), 0);
	unlink(path);
	free(bin);
	gmem_destroy(&gm);
}

static void test_empty_and_missing_files(void **state)
{
	struct guest_mem gm;
	struct boot_cpu cpu;
	char path[UNIT_PATH_LEN], err[256];
	struct boot_images img = { 0 };
	(void)state;

	assert_int_equal(gmem_init(&gm, 16 * MiB), 0);
	unit_tmp_write(path, "", 0);
	img.kernel = path;
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   path, "empty file");
	img.kernel = NULL;
	img.flat = path;
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   path, "empty file");
	unlink(path);

	img.flat = NULL;
	img.kernel = path;     /* now gone */
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOENT, err,
		   path, "No such file");

	img.kernel = "/";
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   "/", "not a regular file");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	gmem_destroy(&gm);
}

static void test_not_a_kernel(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	struct guest_mem gm;
	struct boot_cpu cpu;
	char path[UNIT_PATH_LEN], err[256], want[UNIT_PATH_LEN + 80];
	uint8_t big[4096];
	struct boot_images img = { 0 };
	(void)state;

	assert_int_equal(gmem_init(&gm, 16 * MiB), 0);
	unit_tmp_write(path, text, sizeof(text) - 1);
	img.kernel = path;
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOEXEC);
	snprintf(want, sizeof(want),
		 "%s: not a Linux kernel: no bzImage header and not an ELF file", path);
	assert_string_equal(err, want);
	assert_int_equal(cpu.mode, 0);
	assert_int_equal(cpu.rip, 0);
	unlink(path);

	/* a boot sector without "HdrS" is no kernel either */
	memset(big, 0, sizeof(big));
	big[510] = 0x55;
	big[511] = 0xaa;
	unit_tmp_write(path, big, sizeof(big));
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOEXEC, err,
		   path, "not a Linux kernel");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	unlink(path);
	gmem_destroy(&gm);
}

static void test_image_combinations(void **state)
{
	struct guest_mem gm;
	struct boot_cpu cpu;
	char err[256];
	struct boot_images img;
	(void)state;

	assert_int_equal(gmem_init(&gm, 16 * MiB), 0);
	memset(&img, 0, sizeof(img));
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   NULL, "nothing to boot");

	img.kernel = "/nonexistent/k";
	img.flat = "/nonexistent/f";
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   "/nonexistent/f", "together with a kernel");

	img.kernel = NULL;
	img.initrd = "/nonexistent/i";
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   "/nonexistent/i", "initrd needs a kernel");

	img.initrd = NULL;
	img.cmdline = "console=ttyS0";
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   "/nonexistent/f", "command line needs a kernel");

	/* no error buffer at all, and a tiny one */
	assert_int_equal(boot_load(&gm, &img, &cpu, NULL, 0), -EINVAL);
	memset(err, 'x', sizeof(err));
	assert_int_equal(boot_load(&gm, &img, &cpu, err, 10), -EINVAL);
	assert_int_equal(strlen(err), 9);
	assert_int_equal(err[10], 'x');
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	gmem_destroy(&gm);
}

static void test_initrd_place(void **state)
{
	struct guest_mem gm;
	uint64_t a = 0;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_initrd_place(&gm, 5000, 2 * MiB, 64 * MiB, &a), 0);
	assert_int_equal(a, ALIGN_DOWN(64 * MiB - 5000, 4096));
	/* exactly fits */
	assert_int_equal(boot_initrd_place(&gm, 62 * MiB, 2 * MiB, 64 * MiB, &a), 0);
	assert_int_equal(a, 2 * MiB);
	assert_int_equal(boot_initrd_place(&gm, 62 * MiB + 1, 2 * MiB, 64 * MiB, &a),
			 -ENOSPC);
	/* bigger than the window, hi beyond RAM, nothing at all */
	assert_int_equal(boot_initrd_place(&gm, 65 * MiB, 0, 64 * MiB, &a), -ENOSPC);
	assert_int_equal(boot_initrd_place(&gm, 4096, 2 * MiB, 128 * MiB, &a), -ENOSPC);
	assert_int_equal(boot_initrd_place(&gm, 0, 2 * MiB, 64 * MiB, &a), -ENOSPC);
	gmem_destroy(&gm);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_gdt_descriptors),
	cmocka_unit_test(test_page_tables),
	cmocka_unit_test(test_regs_long_mode),
	cmocka_unit_test(test_regs_pvh),
	cmocka_unit_test(test_regs_real_mode),
	cmocka_unit_test(test_regs_match_gdt_in_ram),
	cmocka_unit_test(test_flat_load),
	cmocka_unit_test(test_flat_size_limit),
	cmocka_unit_test(test_empty_and_missing_files),
	cmocka_unit_test(test_not_a_kernel),
	cmocka_unit_test(test_image_combinations),
	cmocka_unit_test(test_initrd_place),
};

UNIT_SUITE(boot, tests);
