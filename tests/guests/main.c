/*
 * main.c - kmain: normalise what the loader handed over (bzImage zero
 * page or PVH hvm_start_info), print the report lines, parse the tk.*
 * options and run the test modes in the order given.  The report format
 * is a contract with the integration tests: see README.md.
 *
 * struct boot_params offsets (Documentation/arch/x86/zero-page.rst):
 * acpi_rsdp_addr 0x070, ext_ramdisk_image 0x0C0, ext_ramdisk_size 0x0C4,
 * ext_cmd_line_ptr 0x0C8, e820_entries 0x1E8, ramdisk_image 0x218,
 * ramdisk_size 0x21C, cmd_line_ptr 0x228, e820_table 0x2D0 (20 bytes each).
 * struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h):
 * magic 0, version 4, nr_modules 12, modlist_paddr 16, cmdline_paddr 24,
 * rsdp_paddr 32, memmap_paddr 40, memmap_entries 48 (version >= 1).
 */
#include "tk.h"

#define PVH_MAGIC 0x336ec578u
#define E820_MAX  128

static const char *cmdline = "";
static int has_initrd;
static u64 initrd_addr, initrd_size;
static u64 rsdp;
static char tests[256] = "report,poweroff";
static int tables_mp, reset_cf9;

static u32 rd32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }

static void set_cmdline(u64 addr)
{
	if (addr && map_range(addr, 0x10000) == 0)
		cmdline = (const char *)(uptr)addr;
}

static void print_e820(u64 addr, u64 size, u32 type)
{
	kprintf("e820: 0x%016llx 0x%016llx %u\n", addr, size, type);
}

static int boot_zero_page(u64 zp)
{
	if (map_range(zp, 4096) < 0)
		return -1;
	const u8 *b = (const u8 *)(uptr)zp;
	set_cmdline(rd32(b + 0x228) | (u64)rd32(b + 0x0C8) << 32);
	initrd_addr = rd32(b + 0x218) | (u64)rd32(b + 0x0C0) << 32;
	initrd_size = rd32(b + 0x21C) | (u64)rd32(b + 0x0C4) << 32;
	has_initrd = initrd_size != 0;
	rsdp = rd64(b + 0x070);
	/* 0xff from ttyvm's direct boot, 0xb0 from QEMU's linuxboot ROM */
	kprintf("bootparams: type_of_loader=0x%02x\n", b[0x210]);
	return 0;
}

static void e820_zero_page(u64 zp)
{
	const u8 *b = (const u8 *)(uptr)zp;
	u32 n = b[0x1E8];

	for (u32 i = 0; i < n && i < E820_MAX; i++) {
		const u8 *e = b + 0x2D0 + 20 * i;
		print_e820(rd64(e), rd64(e + 8), rd32(e + 16));
	}
}

static int boot_pvh(u64 si)
{
	if (map_range(si, 56) < 0)
		return -1;
	const u8 *b = (const u8 *)(uptr)si;
	if (rd32(b) != PVH_MAGIC) {
		kprintf("testkernel: FAIL bad hvm_start_info magic 0x%x\n", rd32(b));
		return -1;
	}
	set_cmdline(rd64(b + 24));
	u64 mods = rd64(b + 16);
	if (rd32(b + 12) && mods && map_range(mods, 32) == 0) {
		const u8 *m = (const u8 *)(uptr)mods;
		initrd_addr = rd64(m);
		initrd_size = rd64(m + 8);
		has_initrd = 1;
	}
	rsdp = rd64(b + 32);
	return 0;
}

static void e820_pvh(u64 si)
{
	const u8 *b = (const u8 *)(uptr)si;

	if (rd32(b + 4) < 1)
		return;
	u64 map = rd64(b + 40);
	u32 n = rd32(b + 48);
	if (!map || map_range(map, (u64)n * 24) < 0)
		return;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = (const u8 *)(uptr)map + 24 * i;
		print_e820(rd64(e), rd64(e + 8), rd32(e + 16));
	}
}

static void print_initrd(void)
{
	if (!has_initrd) {
		kprintf("initrd: none\n");
		return;
	}
	if (map_range(initrd_addr, initrd_size) < 0) {
		kprintf("initrd: addr=0x%llx size=%llu fnv1a=unmapped\n", initrd_addr, initrd_size);
		return;
	}
	const u8 *p = (const u8 *)(uptr)initrd_addr;
	u32 h = 0x811c9dc5u;			/* FNV-1a 32-bit */
	for (u64 i = 0; i < initrd_size; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	kprintf("initrd: addr=0x%llx size=%llu fnv1a=0x%08x\n", initrd_addr, initrd_size, h);
}

static int has_prefix(const char *s, uptr n, const char *pfx)
{
	uptr k = strlen(pfx);
	return n >= k && memcmp(s, pfx, k) == 0;
}

static int word_is(const char *s, uptr n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

static void parse_options(void)
{
	const char *p = cmdline;

	for (u32 guard = 0; *p && guard < 0x10000; guard++) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		uptr n = (uptr)(p - w);
		if (has_prefix(w, n, "tk.test=")) {
			uptr k = n - 8 < sizeof(tests) - 1 ? n - 8 : sizeof(tests) - 1;
			memcpy(tests, w + 8, k);
			tests[k] = 0;
		} else if (word_is(w, n, "tk.tables=mp")) {
			tables_mp = 1;
		} else if (word_is(w, n, "tk.reset=cf9")) {
			reset_cf9 = 1;
		} else if (has_prefix(w, n, "tk.http=")) {
			unsigned int v = 0;
			for (uptr k = 8; k < n && w[k] >= '0' && w[k] <= '9' && v < 65536; k++)
				v = v * 10 + (unsigned int)(w[k] - '0');
			tk_http_port = v > 0 && v < 65536 ? v : 0;
		} else if (has_prefix(w, n, "tk.vbe=")) {
			unsigned int v[2] = { 0, 0 }, i = 0;
			for (uptr k = 7; k < n && i < 2; k++) {
				if (w[k] == 'x')
					i++;
				else if (w[k] >= '0' && w[k] <= '9')
					v[i] = v[i] * 10 + (unsigned int)(w[k] - '0');
			}
			if (v[0] >= 64 && v[0] <= 2048 && v[1] >= 64 && v[1] <= 2048) {
				tk_vbe_w = v[0];
				tk_vbe_h = v[1];
			}
		}
	}
}

void tk_done(void)
{
	static int printed;

	if (!printed)
		kprintf("testkernel: done\n");
	printed = 1;
}

static void run_test(const char *t, uptr n)
{
	if (n == 0 || word_is(t, n, "report"))
		return;
	if (word_is(t, n, "smp"))
		smp_test(tables_mp);
	else if (word_is(t, n, "timer"))
		timer_test();
	else if (word_is(t, n, "rtc"))
		rtc_test();
	else if (word_is(t, n, "poweroff")) {
		tk_done();
		power_off();
	} else if (word_is(t, n, "powerbutton"))
		powerbutton_test();
	else if (word_is(t, n, "reset"))
		reset_test(reset_cf9);
	else if (word_is(t, n, "triplefault"))
		triplefault_test();
	else if (word_is(t, n, "virtioblk"))
		virtio_blk_test();
	else if (word_is(t, n, "virtionet"))
		virtio_net_test();
	else if (word_is(t, n, "virtionetflood"))
		virtio_net_flood();
	else if (word_is(t, n, "virtioinput"))
		virtio_input_test();
	else if (word_is(t, n, "kbdecho"))
		kbd_echo_test();
	else if (word_is(t, n, "vbe"))
		vbe_test();
	else if (word_is(t, n, "keys"))
		keys_test();
	else {
		char name[64];
		uptr k = n < sizeof(name) - 1 ? n : sizeof(name) - 1;
		memcpy(name, t, k);
		name[k] = 0;
		kprintf("testkernel: unknown test %s\n", name);
	}
}

void kmain(u32 kind, u64 info);
void kmain(u32 kind, u64 info)
{
	int ok;

	con_init();
	idt_init();
	if (kind == TK_BOOT_PVH) {
		kprintf("testkernel: boot=pvh\n");
		ok = boot_pvh(info) == 0;
	} else {
		kprintf("testkernel: boot=bzimage\n");
		ok = boot_zero_page(info) == 0;
	}
	con_print_cmdline(cmdline);
	if (ok && kind == TK_BOOT_PVH)
		e820_pvh(info);
	else if (ok)
		e820_zero_page(info);
	print_initrd();
	if (!rsdp)
		rsdp = acpi_scan_rsdp();
	if (rsdp)
		kprintf("rsdp: 0x%llx\n", rsdp);
	else
		kprintf("rsdp: none\n");
	acpi_init(rsdp);
	time_init();
	parse_options();

	const char *t = tests;
	for (;;) {
		const char *e = t;
		while (*e && *e != ',')
			e++;
		run_test(t, (uptr)(e - t));
		if (!*e)
			break;
		t = e + 1;
	}
	tk_done();
	halt_forever();
}
