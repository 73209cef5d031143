/*
 * boot_linux_test.c - the bzImage loader against synthetic kernels: a file
 * with a real setup header (built here field by field), loaded into a
 * 64 MiB guest; the zero page, the kernel bytes at 1 MiB, the initrd and
 * command line, the entry state, and every way a kernel is refused.
 */
#include "unit.h"
#include "testutil.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "vmm/boot.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

/* ---- synthetic bzImage ---------------------------------------------- */

struct bz_opts {
	uint16_t version;
	uint8_t setup_sects;         /* header value; 0 means 4 */
	uint8_t jump;                /* header ends at 0x202 + jump */
	size_t pm_size;              /* protected-mode part */
	uint16_t xloadflags;
	uint32_t cmdline_size, initrd_addr_max, init_size, kernel_alignment;
	uint8_t relocatable;
	uint64_t pref_address;
};

/* A modern x86-64 kernel, small: runs at 16 MiB, needs 8 MiB there. */
static struct bz_opts bz_default(void)
{
	return (struct bz_opts){
		.version = 0x020f,
		.setup_sects = 4,
		.jump = 0x66,                  /* 0x268: the whole 2.15 header */
		.pm_size = 64 * KiB + 123,
		.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G,
		.cmdline_size = 2047,
		.initrd_addr_max = 0x7fffffff,
		.init_size = 8 * MiB,
		.kernel_alignment = 2 * MiB,
		.relocatable = 1,
		.pref_address = 16 * MiB,
	};
}

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)(i * 13 + 7);
}

/* Builds the file; *len is its size, the caller frees. */
static uint8_t *bz_build(const struct bz_opts *o, size_t *len)
{
	unsigned int sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512;
	struct setup_header h;
	uint8_t *f;

	*len = setup + o->pm_size;
	f = malloc(*len);
	assert_non_null(f);
	memset(f, 0x11, setup);                /* real-mode setup code */
	for (size_t i = 0; i < o->pm_size; i++)
		f[setup + i] = pm_byte(i);

	memset(&h, 0, sizeof(h));
	h.setup_sects = o->setup_sects;
	h.syssize = (uint32_t)(o->pm_size / 16);
	h.vid_mode = 0xfffd;                   /* "ask": the loader overrides */
	h.boot_flag = 0xaa55;
	h.jump = (uint16_t)(0xeb | (o->jump << 8));
	memcpy(&h.header, "HdrS", 4);
	h.version = o->version;
	h.kernel_version = 0x3e0;
	h.loadflags = LOADED_HIGH;
	h.code32_start = 0x100000;
	h.initrd_addr_max = o->initrd_addr_max;
	h.kernel_alignment = o->kernel_alignment;
	h.relocatable_kernel = o->relocatable;
	h.min_alignment = 21;
	h.xloadflags = o->xloadflags;
	h.cmdline_size = o->cmdline_size;
	h.pref_address = o->pref_address;
	h.init_size = o->init_size;
	h.handover_offset = 0x190;
	memcpy(f + 0x1f1, &h, sizeof(h));
	return f;
}

static void bz_write(const struct bz_opts *o, char *path)
{
	size_t len;
	uint8_t *f = bz_build(o, &len);

	unit_tmp_write(path, f, len);
	free(f);
}

static struct boot_params *zero_page(struct guest_mem *gm)
{
	return gmem_ptr(gm, LAYOUT_ZERO_PAGE, sizeof(struct boot_params));
}

/* ---- loading -------------------------------------------------------- */

static void test_bzimage_load(void **state)
{
	static const char cmdline[] = "console=ttyS0 root=/dev/vda rw";
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct boot_params *bp;
	struct e820_entry e820[E820_MAX];
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[256];
	uint8_t *initrd, *file;
	const size_t initrd_size = 300000;
	size_t flen;
	unsigned int n;
	(void)state;

	file = bz_build(&o, &flen);
	unit_tmp_write(kpath, file, flen);
	initrd = malloc(initrd_size);
	assert_non_null(initrd);
	for (size_t i = 0; i < initrd_size; i++)
		initrd[i] = (uint8_t)(i ^ (i >> 8));
	unit_tmp_write(ipath, initrd, initrd_size);

	struct boot_images img = {
		.kernel = kpath, .initrd = ipath, .cmdline = cmdline, .rsdp = 0xe0000,
	};
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* entry: 64-bit, 1 MiB + 0x200, RSI = zero page */
	assert_int_equal(cpu.mode, BOOT_CPU_LONG64);
	assert_int_equal(cpu.rip, 0x100200);
	assert_int_equal(cpu.rsi, LAYOUT_ZERO_PAGE);
	assert_int_equal(cpu.rsp, LAYOUT_BOOT_STACK);

	/* the protected-mode part, and nothing more, at 1 MiB */
	assert_memory_equal(gmem_ptr(&gm, LAYOUT_HIGH_START, o.pm_size),
			    file + 5 * 512, o.pm_size);
	assert_int_equal(*(uint8_t *)gmem_ptr(&gm, LAYOUT_HIGH_START + o.pm_size, 1), 0);

	bp = zero_page(&gm);
	/* the file's setup header, with the loader's fields filled */
	assert_memory_equal(&bp->hdr.header, "HdrS", 4);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.setup_sects, 4);
	assert_int_equal(bp->hdr.boot_flag, 0xaa55);
	assert_int_equal(bp->hdr.init_size, 8 * MiB);
	assert_int_equal(bp->hdr.xloadflags, o.xloadflags);
	assert_int_equal(bp->hdr.kernel_alignment, 2 * MiB);
	assert_int_equal(bp->hdr.handover_offset, 0x190);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	assert_int_equal(bp->hdr.heap_end_ptr, 0xfe00);
	assert_int_equal(bp->hdr.vid_mode, 0xffff);
	assert_int_equal(bp->sentinel, 0);

	/* command line */
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	assert_string_equal((char *)gmem_ptr(&gm, LAYOUT_CMDLINE, sizeof(cmdline)), cmdline);

	/* initrd: page-aligned, at the top of RAM, above the kernel's 16+8 MiB */
	uint64_t ird = bp->hdr.ramdisk_image | (uint64_t)bp->ext_ramdisk_image << 32;
	assert_int_equal(ird, ALIGN_DOWN(64 * MiB - initrd_size, 4096));
	assert_int_equal(ird % 4096, 0);
	assert_true(ird >= 24 * MiB);
	assert_int_equal(bp->hdr.ramdisk_size, initrd_size);
	assert_int_equal(bp->ext_ramdisk_size, 0);
	assert_memory_equal(gmem_ptr(&gm, ird, initrd_size), initrd, initrd_size);

	/* e820 as guest_mem sees it */
	n = gmem_e820(&gm, e820, E820_MAX);
	assert_int_equal(bp->e820_entries, n);
	assert_true(n >= 3);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(bp->e820_table[i].addr, e820[i].addr);
		assert_int_equal(bp->e820_table[i].size, e820[i].size);
		assert_int_equal(bp->e820_table[i].type, e820[i].type);
	}
	assert_int_equal(bp->e820_table[n].size, 0);

	/* protocol 2.15: the RSDP is passed */
	assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);

	/* boot.c's part: GDT and identity page tables */
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_BOOT_GDT + BOOT_SEL_CODE64, 8)),
			 boot_gdt_entry(BOOT_SEL_CODE64 >> 3));
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_PML4, 8)),
			 LAYOUT_PDPT | BOOT_PTE_P | BOOT_PTE_RW);
	assert_int_equal(get_le64(gmem_ptr(&gm, LAYOUT_PD + 8, 8)),
			 2 * MiB | BOOT_PTE_P | BOOT_PTE_RW | BOOT_PTE_PS);

	/* and the registers the machine will set */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	memset(&sregs, 0, sizeof(sregs));
	boot_cpu_regs(&cpu, &regs, &sregs);
	assert_int_equal(regs.rip, 0x100200);
	assert_int_equal(regs.rsi, LAYOUT_ZERO_PAGE);
	assert_int_equal(sregs.cs.selector, 0x10);
	assert_int_equal(sregs.ds.selector, 0x18);
	assert_int_equal(sregs.cr3, LAYOUT_PML4);

	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
	free(initrd);
	free(file);
}

static void test_bzimage_no_initrd_no_cmdline(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct boot_params *bp;
	char kpath[UNIT_PATH_LEN], err[256];
	(void)state;

	bz_write(&o, kpath);
	struct boot_images img = { .kernel = kpath };
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	bp = zero_page(&gm);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	assert_int_equal(bp->hdr.ramdisk_size, 0);
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_int_equal(bp->acpi_rsdp_addr, 0);
	/* an empty, terminated command line */
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_int_equal(*(char *)gmem_ptr(&gm, LAYOUT_CMDLINE, 1), '\0');
	gmem_destroy(&gm);
	unlink(kpath);
}

/* setup_sects 0 means 4; the real-mode part is 5 sectors either way */
static void test_bzimage_setup_sects_zero(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], err[256];
	uint8_t *file;
	size_t flen;
	(void)state;

	o.setup_sects = 0;
	file = bz_build(&o, &flen);
	assert_int_equal(flen, 5 * 512 + o.pm_size);
	unit_tmp_write(kpath, file, flen);
	struct boot_images img = { .kernel = kpath };
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_memory_equal(gmem_ptr(&gm, LAYOUT_HIGH_START, o.pm_size),
			    file + 5 * 512, o.pm_size);
	assert_int_equal(zero_page(&gm)->hdr.setup_sects, 0);

	/* and 16 sectors of setup: the kernel starts at 17 * 512 */
	gmem_destroy(&gm);
	unlink(kpath);
	free(file);
	o.setup_sects = 16;
	file = bz_build(&o, &flen);
	unit_tmp_write(kpath, file, flen);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_memory_equal(gmem_ptr(&gm, LAYOUT_HIGH_START, o.pm_size),
			    file + 17 * 512, o.pm_size);
	gmem_destroy(&gm);
	unlink(kpath);
	free(file);
}

/* acpi_rsdp_addr only for protocol 2.14 and newer */
static void test_bzimage_rsdp_by_protocol(void **state)
{
	const struct { uint16_t version; uint64_t want; } cases[] = {
		{ 0x020c, 0 }, { 0x020d, 0 }, { 0x020e, 0xe0000 }, { 0x020f, 0xe0000 },
	};
	(void)state;

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bz_opts o = bz_default();
		struct guest_mem gm;
		struct boot_cpu cpu;
		char kpath[UNIT_PATH_LEN], err[256];

		o.version = cases[i].version;
		bz_write(&o, kpath);
		struct boot_images img = { .kernel = kpath, .rsdp = 0xe0000 };
		assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
		assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
		assert_int_equal(zero_page(&gm)->acpi_rsdp_addr, cases[i].want);
		assert_int_equal(zero_page(&gm)->hdr.version, cases[i].version);
		gmem_destroy(&gm);
		unlink(kpath);
	}
}

/* The initrd ends at or below initrd_addr_max + 1. */
static void test_bzimage_initrd_addr_max(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[256];
	(void)state;

	o.initrd_addr_max = 40 * MiB - 1;
	bz_write(&o, kpath);
	unit_tmp_sparse(ipath, 5000);
	struct boot_images img = { .kernel = kpath, .initrd = ipath };
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(zero_page(&gm)->hdr.ramdisk_image,
			 ALIGN_DOWN(40 * MiB - 5000, 4096));
	assert_int_equal(zero_page(&gm)->hdr.ramdisk_size, 5000);
	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
}

/*
 * The kernel runs at 16 MiB and needs 8 MiB there (init_size), so in a
 * 64 MiB guest 40 MiB of initrd fit and one byte more does not.
 */
static void test_bzimage_initrd_limit(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[512];
	(void)state;

	bz_write(&o, kpath);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);

	unit_tmp_sparse(ipath, 40 * MiB + 1);
	struct boot_images img = { .kernel = kpath, .initrd = ipath };
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOSPC, err,
		   ipath, "does not fit");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	unlink(ipath);

	unit_tmp_sparse(ipath, 40 * MiB);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(zero_page(&gm)->hdr.ramdisk_image, 24 * MiB);
	assert_int_equal(zero_page(&gm)->hdr.ramdisk_size, 40 * MiB);
	unlink(ipath);

	/* a non-relocatable kernel at 32 MiB needs up to 40 MiB */
	gmem_destroy(&gm);
	unlink(kpath);
	o.relocatable = 0;
	o.pref_address = 32 * MiB;
	bz_write(&o, kpath);
	unit_tmp_sparse(ipath, 24 * MiB + 1);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOSPC, err,
		   ipath, "does not fit");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	unlink(ipath);
	unit_tmp_sparse(ipath, 24 * MiB);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(zero_page(&gm)->hdr.ramdisk_image, 40 * MiB);
	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
}

/* A guest larger than the hole: the initrd stays below initrd_addr_max. */
static void test_bzimage_big_guest(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct e820_entry e820[E820_MAX];
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[256];
	unsigned int n;
	(void)state;

	bz_write(&o, kpath);
	unit_tmp_sparse(ipath, 3 * MiB + 5);
	struct boot_images img = { .kernel = kpath, .initrd = ipath };
	assert_int_equal(gmem_init(&gm, 5 * GiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	struct boot_params *bp = zero_page(&gm);
	assert_int_equal(bp->hdr.ramdisk_image, ALIGN_DOWN(2 * GiB - (3 * MiB + 5), 4096));
	n = gmem_e820(&gm, e820, E820_MAX);
	assert_int_equal(bp->e820_entries, n);
	assert_int_equal(bp->e820_table[n - 1].addr, LAYOUT_4G);
	assert_int_equal(bp->e820_table[n - 1].size, 5 * GiB - LAYOUT_LOW_RAM_END);

	/* a kernel that takes initrds up to 4 GiB gets it below the hole */
	gmem_destroy(&gm);
	unlink(kpath);
	o.initrd_addr_max = 0xffffffff;
	bz_write(&o, kpath);
	assert_int_equal(gmem_init(&gm, 5 * GiB), 0);
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(zero_page(&gm)->hdr.ramdisk_image,
			 ALIGN_DOWN(LAYOUT_LOW_RAM_END - (3 * MiB + 5), 4096));
	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
}

static void test_bzimage_cmdline_limits(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], err[256];
	char *line = malloc(LAYOUT_CMDLINE_MAX + 1);
	(void)state;

	assert_non_null(line);
	o.cmdline_size = 16;
	bz_write(&o, kpath);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	struct boot_images img = { .kernel = kpath, .cmdline = line };

	memset(line, 'a', 17);
	line[17] = '\0';
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -E2BIG, err,
		   kpath, "command line is 17 bytes, the kernel accepts at most 16");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	line[16] = '\0';
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_string_equal((char *)gmem_ptr(&gm, LAYOUT_CMDLINE, 17), line);
	gmem_destroy(&gm);
	unlink(kpath);

	/* the kernel would take more than the buffer holds */
	o.cmdline_size = 0xffffffff;
	bz_write(&o, kpath);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	memset(line, 'b', LAYOUT_CMDLINE_MAX);
	line[LAYOUT_CMDLINE_MAX] = '\0';
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -E2BIG, err,
		   kpath, "command line");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	line[LAYOUT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(boot_load(&gm, &img, &cpu, err, sizeof(err)), 0);
	assert_int_equal(*(char *)gmem_ptr(&gm, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX - 2, 1), 'b');
	assert_int_equal(*(char *)gmem_ptr(&gm, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX - 1, 1), 0);
	gmem_destroy(&gm);
	unlink(kpath);
	free(line);
}

/* ---- refusals ------------------------------------------------------- */

struct bz_bad {
	const char *what;
	void (*patch)(struct bz_opts *o);
	size_t truncate_to;          /* 0: whole file */
	int rc;
	const char *phrase;
	uint8_t setup_sects;         /* nonzero: poked into the built file */
};

static void p_old(struct bz_opts *o) { o->version = 0x020b; }
static void p_no64(struct bz_opts *o) { o->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G; }
static void p_tiny_pm(struct bz_opts *o) { o->pm_size = 0x200; }
static void p_short_hdr(struct bz_opts *o) { o->jump = 0x30; }
static void p_init_size(struct bz_opts *o) { o->init_size = 100 * MiB; }
static void p_align(struct bz_opts *o) { o->kernel_alignment = 3 * MiB; }
static void p_low_run(struct bz_opts *o) { o->relocatable = 0; o->pref_address = 0x8000; }
static void p_none(struct bz_opts *o) { (void)o; }

/* The default file is 5 * 512 + 64 KiB + 123 bytes: 133 sectors. */
static const struct bz_bad bz_bad[] = {
	{ .what = "protocol 2.11", .patch = p_old,
	  .rc = -ENOEXEC, .phrase = "boot protocol 2.11 is too old" },
	{ .what = "no 64-bit entry", .patch = p_no64,
	  .rc = -ENOEXEC, .phrase = "XLF_KERNEL_64" },
	{ .what = "setup_sects 255", .patch = p_none,
	  .rc = -ENOEXEC, .phrase = "setup_sects 255", .setup_sects = 255 },
	{ .what = "setup_sects 133", .patch = p_none,
	  .rc = -ENOEXEC, .phrase = "past the end of the file", .setup_sects = 133 },
	{ .what = "entry past end", .patch = p_tiny_pm,
	  .rc = -ENOEXEC, .phrase = "truncated bzImage" },
	{ .what = "short header", .patch = p_short_hdr,
	  .rc = -ENOEXEC, .phrase = "too short for protocol 2.15" },
	{ .what = "init_size", .patch = p_init_size,
	  .rc = -ENOMEM, .phrase = "kernel needs RAM" },
	{ .what = "alignment", .patch = p_align,
	  .rc = -ENOEXEC, .phrase = "kernel_alignment" },
	{ .what = "runs below 1 MiB", .patch = p_low_run,
	  .rc = -ENOEXEC, .phrase = "outside 1 MiB-4 GiB" },
	{ .what = "cut in header", .patch = p_none, .truncate_to = 0x230,
	  .rc = -ENOEXEC, .phrase = "truncated bzImage" },
	{ .what = "cut at version", .patch = p_none, .truncate_to = 0x207,
	  .rc = -ENOEXEC, .phrase = "truncated bzImage" },
	{ .what = "cut after setup", .patch = p_none, .truncate_to = 5 * 512,
	  .rc = -ENOEXEC, .phrase = "past the end of the file" },
	{ .what = "cut before entry", .patch = p_none, .truncate_to = 5 * 512 + 0x100,
	  .rc = -ENOEXEC, .phrase = "truncated bzImage" },
	{ .what = "cut before syssize", .patch = p_none, .truncate_to = 5 * 512 + 0x400,
	  .rc = -ENOEXEC, .phrase = "header promises" },
};

static void test_bzimage_refused(void **state)
{
	struct guest_mem gm;
	(void)state;

	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(bz_bad); i++) {
		const struct bz_bad *c = &bz_bad[i];
		struct bz_opts o = bz_default();
		struct boot_cpu cpu;
		char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[512];
		uint8_t *f;
		size_t len;

		print_message("refuse: %s\n", c->what);
		c->patch(&o);
		f = bz_build(&o, &len);
		if (c->truncate_to)
			len = c->truncate_to;
		if (c->setup_sects)
			f[0x1f1] = c->setup_sects;
		unit_tmp_write(kpath, f, len);
		unit_tmp_sparse(ipath, 4096);
		struct boot_images img = {
			.kernel = kpath, .initrd = ipath, .cmdline = "quiet", .rsdp = 0xe0000,
		};
		memset(&cpu, 0x5a, sizeof(cpu));
		unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), c->rc, err,
			   kpath, c->phrase);
		assert_int_equal(cpu.rip, 0);
		assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
		unlink(kpath);
		unlink(ipath);
		free(f);
	}
	gmem_destroy(&gm);
}

static void test_bzimage_initrd_refused(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	char kpath[UNIT_PATH_LEN], ipath[UNIT_PATH_LEN], err[512];
	(void)state;

	bz_write(&o, kpath);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);

	/* missing */
	struct boot_images img = { .kernel = kpath, .initrd = "/nonexistent/initrd" };
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOENT, err,
		   "/nonexistent/initrd", "No such file");
	/* empty */
	unit_tmp_write(ipath, "", 0);
	img.initrd = ipath;
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -EINVAL, err,
		   ipath, "empty file");
	unlink(ipath);
	/* initrd_addr_max below the kernel's end */
	gmem_destroy(&gm);
	unlink(kpath);
	o.initrd_addr_max = 20 * MiB - 1;
	bz_write(&o, kpath);
	unit_tmp_sparse(ipath, 4096);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	unit_assert_err(boot_load(&gm, &img, &cpu, err, sizeof(err)), -ENOSPC, err,
		   ipath, "initrd_addr_max 0x13fffff");
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	gmem_destroy(&gm);
	unlink(kpath);
	unlink(ipath);
}

/* The loader straight from a buffer: headers cut at every length. */
static void test_bzimage_every_truncation(void **state)
{
	struct bz_opts o = bz_default();
	struct guest_mem gm;
	struct boot_cpu cpu;
	struct boot_images img = { .kernel = "k" };
	uint64_t ird;
	char err[256];
	uint8_t *f;
	size_t len;
	(void)state;

	o.pm_size = 0x300;
	f = bz_build(&o, &len);
	assert_int_equal(gmem_init(&gm, 64 * MiB), 0);
	for (size_t n = 0; n < len; n++) {
		/* a copy of exactly n bytes, so ASan sees any overread */
		uint8_t *cut = malloc(n ? n : 1);
		assert_non_null(cut);
		memcpy(cut, f, n);
		struct boot_kernel k = { .path = "k", .data = cut, .size = n };
		if (boot_linux_probe(cut, n))
			assert_true(boot_linux_load(&gm, &img, &k, 0, &ird, &cpu,
						    err, sizeof(err)) < 0);
		else
			assert_true(n < 0x206);
		free(cut);
	}
	assert_true(unit_ram_is_zero(&gm, UINT64_MAX));
	struct boot_kernel k = { .path = "k", .data = f, .size = len };
	assert_int_equal(boot_linux_load(&gm, &img, &k, 0, &ird, &cpu, err, sizeof(err)), 0);
	gmem_destroy(&gm);
	free(f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_bzimage_load),
	cmocka_unit_test(test_bzimage_no_initrd_no_cmdline),
	cmocka_unit_test(test_bzimage_setup_sects_zero),
	cmocka_unit_test(test_bzimage_rsdp_by_protocol),
	cmocka_unit_test(test_bzimage_initrd_addr_max),
	cmocka_unit_test(test_bzimage_initrd_limit),
	cmocka_unit_test(test_bzimage_big_guest),
	cmocka_unit_test(test_bzimage_cmdline_limits),
	cmocka_unit_test(test_bzimage_refused),
	cmocka_unit_test(test_bzimage_initrd_refused),
	cmocka_unit_test(test_bzimage_every_truncation),
};

UNIT_SUITE(boot_linux, tests);
