/*
 * firmware.c - booting through a BIOS image: unmodified SeaBIOS as Debian
 * ships it (/usr/share/seabios/bios-256k.bin), on the QEMU interfaces it
 * knows (QEMU docs/specs/fw_cfg.rst, hw/i386/pc.c, hw/i386/fw_cfg.c).
 *
 * firmware_load() runs for every boot of a firmware VM.  The first time it
 * reads the image (64 KiB..16 MiB, whole 64 KiB blocks), maps it read-only
 * as flash just below 4 GiB (the mapping and the host buffer stay for the
 * VM's lifetime and survive resets unchanged) and fills the fw_cfg device:
 * RAM size and e820, CPU counts, boot order, boot menu, serial console, and
 * ttyvm's own ACPI tables as relocatable blobs with QEMU's "table-loader"
 * commands, so SeaBIOS installs the tables that match our PM registers
 * (0x600, layout.h) instead of its built-in PIIX4 ones.  Every boot it then
 * copies the image's last 256 KiB to 0xC0000-0xFFFFF and writes the CMOS
 * bytes for memory size, CPU count and boot order.
 *
 * Why a copy in RAM below 1 MiB works: on QEMU, 0xE0000-0xFFFFF first
 * reads the flash's last 128 KiB (the isa-bios alias); SeaBIOS, once it
 * has found the i440FX, opens the PAM registers and copies itself from the
 * flash into the RAM underneath (src/fw/shadow.c: everything from its
 * code32flat_start, which in the 256 KiB build lies below 0xE0000 - the
 * init code runs at 0xD4xxx before it relocates itself), and from then on
 * runs from that RAM.  In ttyvm 0xC0000-0xFFFFF is plain RAM from the
 * start and already holds that copy: the far jump from the reset vector
 * lands on the same bytes, SeaBIOS's own copy (if it finds a PAM-capable
 * host bridge) rewrites identical bytes, and without one ("Unable to
 * unlock ram - bridge not found") it still finds its init code where it
 * was linked.  Copying only QEMU's 128 KiB is not enough for the latter
 * case: SeaBIOS would call into zeros at 0xD4xxx and triple-fault.  Its
 * final "make read-only" step is a no-op here; a guest writing the BIOS
 * area only hurts itself.  After a reset RAM is cleared and the copy made
 * again from the untouched image, so the BIOS sees a cold boot.
 *
 * What it leaves to others: the fw_cfg device (dev/fw_cfg.c) stores and
 * serves the items; the disk models register their boot paths with
 * fw_cfg_add_boot_device(); the VGA model hands vgabios-stdvga.bin to
 * SeaBIOS through its PCI ROM BAR (pci_set_rom) - see fw_cfg.h; PCI
 * resources and the MP/PIR/SMBIOS tables are the firmware's own work.
 * A kernel given together with firmware goes to the firmware through
 * fw_cfg and QEMU's linuxboot option ROM (firmware_linux.c).
 *
 * The state that must live as long as the VM (the image and its mapping)
 * is held by a small "firmware" entry attached to the machine at setup,
 * so nothing here is global.
 */
#include "vmm/firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "vmm/acpi.h"
#include "vmm/device.h"
#include "vmm/dev/fw_cfg.h"
#include "vmm/dev/rtc.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/machine.h"

#define FIRMWARE_NAME "firmware"

/* how long SeaBIOS waits after "No bootable device." before rebooting */
#define FIRMWARE_BOOT_FAIL_WAIT_MS 10000
/* "Press ESC for boot menu." is shown (SeaBIOS waits 2.5 s for the key) */
#define FIRMWARE_BOOT_MENU 1

/* CMOS (QEMU hw/i386/pc.c, SeaBIOS src/hw/rtc.h) */
#define CMOS_FLOPPY_TYPES   0x10
#define CMOS_EQUIPMENT      0x14
#define CMOS_BASEMEM_LO     0x15
#define CMOS_BASEMEM_HI     0x16
#define CMOS_EXTMEM_LO      0x17
#define CMOS_EXTMEM_HI      0x18
#define CMOS_EXTMEM_LO2     0x30
#define CMOS_EXTMEM_HI2     0x31
#define CMOS_EXTMEM2_LO     0x34    /* above 16 MiB, 64 KiB units */
#define CMOS_EXTMEM2_HI     0x35
#define CMOS_BOOTFLAG1      0x38    /* high nibble: 3rd boot device; bit 0: no floppy check */
#define CMOS_BOOTFLAG2      0x3D    /* low nibble: 1st, high nibble: 2nd */
#define CMOS_HIGHMEM_LO     0x5B    /* above 4 GiB, 64 KiB units, 3 bytes */
#define CMOS_HIGHMEM_MID    0x5C
#define CMOS_HIGHMEM_HI     0x5D
#define CMOS_SMP_COUNT      0x5F    /* CPUs - 1 */

#define CMOS_EQUIP_FPU      0x02
#define CMOS_EQUIP_PS2_MOUSE 0x04
#define CMOS_BOOT_HD        2
#define CMOS_BOOT_CD        3
#define CMOS_BOOT_NET       4
#define CMOS_NO_FLOPPY_SIG  0x01

struct firmware {
	uint8_t *image;       /* read-only host copy, mapped below 4 GiB */
	size_t size;
	bool ready;           /* mapped and fw_cfg filled (first boot done) */
};

/* --- the image -------------------------------------------------------------- */

void firmware_image_free(uint8_t *image, size_t size)
{
	if (image)
		munmap(image, size);
}

int firmware_image_read(const char *path, uint8_t **image, size_t *size,
			char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, r;

	*image = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open the BIOS image: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file, so not a BIOS image", path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < FIRMWARE_MIN_SIZE ||
	    (uint64_t)st.st_size > FIRMWARE_MAX_SIZE ||
	    (uint64_t)st.st_size % FIRMWARE_SIZE_ALIGN) {
		snprintf(err, errlen,
			 "%s: %lld bytes is not a BIOS image (expected 64 KiB to 16 MiB "
			 "in whole 64 KiB blocks, such as SeaBIOS's bios-256k.bin)",
			 path, (long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	buf = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(err, errlen, "%s: out of memory for the BIOS image", path);
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: reading the BIOS image: %s", path,
				 n < 0 ? strerror(-r) : "file shrank while reading");
			munmap(buf, (size_t)st.st_size);
			close(fd);
			return r;
		}
		got += (size_t)n;
	}
	close(fd);
	/* the guest sees it read-only; so does the host from now on */
	mprotect(buf, got, PROT_READ);
	*image = buf;
	*size = got;
	return 0;
}

int firmware_shadow(struct guest_mem *gm, const uint8_t *image, size_t size)
{
	size_t n = (size_t)MIN((uint64_t)size, FIRMWARE_SHADOW_SIZE);

	return gmem_write(gm, LAYOUT_BIOS_END - n, image + size - n, n);
}

/* --- CMOS --------------------------------------------------------------- */

static void cmos_put16(struct rtc *rtc, uint8_t lo, uint8_t hi, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc_nvram_set(rtc, lo, (uint8_t)v);
	rtc_nvram_set(rtc, hi, (uint8_t)(v >> 8));
}

void firmware_cmos(struct rtc *rtc, const struct guest_mem *gm, unsigned int cpus,
		   enum boot_order boot)
{
	uint64_t low = gm->low_size, high = gm->high_size, v;

	cmos_put16(rtc, CMOS_BASEMEM_LO, CMOS_BASEMEM_HI, MIN(low, LAYOUT_LOWMEM_END) / KiB);
	v = low > MiB ? (low - MiB) / KiB : 0;
	cmos_put16(rtc, CMOS_EXTMEM_LO, CMOS_EXTMEM_HI, v);
	cmos_put16(rtc, CMOS_EXTMEM_LO2, CMOS_EXTMEM_HI2, v);
	v = low > 16 * MiB ? (low - 16 * MiB) / (64 * KiB) : 0;
	cmos_put16(rtc, CMOS_EXTMEM2_LO, CMOS_EXTMEM2_HI, v);
	v = high / (64 * KiB);
	rtc_nvram_set(rtc, CMOS_HIGHMEM_LO, (uint8_t)v);
	rtc_nvram_set(rtc, CMOS_HIGHMEM_MID, (uint8_t)(v >> 8));
	rtc_nvram_set(rtc, CMOS_HIGHMEM_HI, (uint8_t)(v >> 16));
	rtc_nvram_set(rtc, CMOS_SMP_COUNT, (uint8_t)(cpus ? cpus - 1 : 0));

	/* first and second device in 0x3D, third in 0x38's high nibble */
	if (boot == BOOT_ORDER_DISK)
		rtc_nvram_set(rtc, CMOS_BOOTFLAG2, CMOS_BOOT_HD | CMOS_BOOT_CD << 4);
	else
		rtc_nvram_set(rtc, CMOS_BOOTFLAG2, CMOS_BOOT_CD | CMOS_BOOT_HD << 4);
	rtc_nvram_set(rtc, CMOS_BOOTFLAG1, CMOS_BOOT_NET << 4 | CMOS_NO_FLOPPY_SIG);

	rtc_nvram_set(rtc, CMOS_FLOPPY_TYPES, 0);
	rtc_nvram_set(rtc, CMOS_EQUIPMENT, CMOS_EQUIP_FPU | CMOS_EQUIP_PS2_MOUSE);
}

/* --- fw_cfg items --------------------------------------------------------- */

static unsigned int e820_put(uint8_t *out, unsigned int n, unsigned int max,
			     uint64_t addr, uint64_t len, uint32_t type)
{
	if (n >= max || !len)
		return n;
	uint8_t *e = out + (size_t)n * FW_CFG_E820_ENTRY_LEN;
	put_le64(e, addr);
	put_le64(e + 8, len);
	put_le32(e + 16, type);
	return n + 1;
}

unsigned int firmware_e820(const struct guest_mem *gm, uint64_t image_size,
			   uint8_t *out, unsigned int max)
{
	unsigned int n = 0;

	n = e820_put(out, n, max, 0, gm->low_size, E820_RAM);
	/* KVM's identity-map page and TSS (kvm.c), as QEMU reserves them */
	n = e820_put(out, n, max, LAYOUT_KVM_IDENTITY, 4 * 4096, E820_RESERVED);
	n = e820_put(out, n, max, LAYOUT_4G - image_size, image_size, E820_RESERVED);
	if (gm->high_size)
		n = e820_put(out, n, max, LAYOUT_4G, gm->high_size, E820_RAM);
	return n;
}

/* A stable UUID per VM name (FNV-1a, RFC 9562 version 8 layout). */
static void firmware_uuid(const char *name, uint8_t uuid[16])
{
	for (unsigned int half = 0; half < 2; half++) {
		uint64_t h = 14695981039346656037ULL ^ (half ? 0x9e3779b97f4a7c15ULL : 0);
		for (const char *p = name; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ULL;
		put_le64(uuid + 8 * half, h);
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x80);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

bool firmware_wants_sercon(const struct vm_config *cfg, const struct firmware_env *env)
{
	(void)env;
	return cfg->serial.kind != SERIAL_NONE;
}

static int firmware_acpi_files(struct fw_cfg *fw, unsigned int cpus)
{
	struct acpi_blobs b;
	int r = acpi_build_blobs(cpus, &b);

	if (r)
		return r;
	r = fw_cfg_add_file(fw, ACPI_FILE_TABLES, b.tables, b.tables_len);
	if (r >= 0)
		r = fw_cfg_add_file(fw, ACPI_FILE_RSDP, b.rsdp, b.rsdp_len);
	if (r >= 0)
		r = fw_cfg_add_file(fw, ACPI_FILE_LOADER, b.loader, b.loader_len);
	acpi_blobs_free(&b);
	return r < 0 ? r : 0;
}

int firmware_fill_fw_cfg(struct fw_cfg *fw, const struct vm_config *cfg,
			 const struct guest_mem *gm, const struct firmware_env *env)
{
	uint8_t e820[8 * FW_CFG_E820_ENTRY_LEN], uuid[16], le[4];
	unsigned int ne = firmware_e820(gm, env->image_size, e820, 8);
	int r = 0;

	firmware_uuid(cfg->name, uuid);
	r = fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof(uuid));
	if (!r)
		r = fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, gm->ram_size);
	if (!r)
		r = fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, env->has_vga ? 0 : 1);
	if (!r)
		r = fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)cfg->cpus);
	if (!r)
		r = fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)cfg->cpus);
	if (!r)
		r = fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, FIRMWARE_BOOT_MENU);
	/* the PIT's IRQ0 reaches IOAPIC pin 2 (the MADT says so too) */
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
	if (!r)
		r = fw_cfg_add_file(fw, "etc/e820", e820, (size_t)ne * FW_CFG_E820_ENTRY_LEN);
	if (r >= 0) {
		put_le32(le, FIRMWARE_BOOT_FAIL_WAIT_MS);
		r = fw_cfg_add_file(fw, "etc/boot-fail-wait", le, 4);
	}
	if (r >= 0 && firmware_wants_sercon(cfg, env)) {
		put_le16(le, PORT_COM1);
		r = fw_cfg_add_file(fw, "etc/sercon-port", le, 2);
	}
	if (r >= 0 && cfg->acpi)
		r = firmware_acpi_files(fw, cfg->cpus);
	if (r >= 0)
		r = fw_cfg_set_bootorder(fw, cfg->boot != BOOT_ORDER_DISK);
	return r < 0 ? r : 0;
}

/* --- the machine's side ------------------------------------------------------ */

/* First boot: image, flash mapping, fw_cfg items. */
static int firmware_prepare(struct machine *m, struct firmware *f, struct fw_cfg *fw,
			    char *err, size_t errlen)
{
	const struct vm_config *cfg = machine_config(m);
	struct firmware_env env;
	int r;

	r = firmware_image_read(cfg->firmware, &f->image, &f->size, err, errlen);
	if (r)
		return r;
	r = machine_map_memory(m, LAYOUT_4G - f->size, f->size, f->image, MACHINE_MEM_READONLY);
	if (r < 0) {
		snprintf(err, errlen, "%s: mapping the BIOS image below 4 GiB: %s",
			 cfg->firmware, strerror(-r));
		return r;
	}
	env = (struct firmware_env){
		.image_size = f->size,
		.has_vga = machine_find(m, "vga") != NULL,
	};
	if (cfg->kernel) {
		r = firmware_linux_fill(fw, cfg, machine_mem(m), FIRMWARE_LINUX_ROM, err, errlen);
		if (r)
			return r;
	}
	r = firmware_fill_fw_cfg(fw, cfg, machine_mem(m), &env);
	if (r) {
		snprintf(err, errlen, "%s: preparing the firmware configuration (fw_cfg): %s",
			 cfg->firmware, strerror(-r));
		return r;
	}
	f->ready = true;
	return 0;
}

int firmware_load(struct machine *m, char *err, size_t errlen)
{
	const struct vm_config *cfg = machine_config(m);
	struct firmware *f = machine_find(m, FIRMWARE_NAME);
	struct fw_cfg *fw = machine_find(m, FW_CFG_NAME);
	struct rtc *rtc = machine_find(m, "rtc");
	int r;

	if (!f || !fw || !rtc) {
		snprintf(err, errlen, "firmware boot: the %s device is missing",
			 !f ? FIRMWARE_NAME : !fw ? FW_CFG_NAME : "rtc");
		return -ENODEV;
	}
	if (!f->ready) {
		r = firmware_prepare(m, f, fw, err, errlen);
		if (r)
			return r;
	}
	r = firmware_shadow(machine_mem(m), f->image, f->size);
	if (r) {
		snprintf(err, errlen, "%s: copying the BIOS below 1 MiB: %s", cfg->firmware,
			 strerror(-r));
		return r;
	}
	firmware_cmos(rtc, machine_mem(m), cfg->cpus, cfg->boot);
	return 0;
}

static void firmware_teardown(void *dev)
{
	struct firmware *f = dev;

	firmware_image_free(f->image, f->size);
	free(f);
}

static const struct device_desc firmware_desc;

/* Holds the image for the VM's lifetime; firmware_load() fills it. */
static int firmware_setup(struct machine *m)
{
	struct firmware *f;
	int r;

	if (!machine_config(m)->firmware)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	r = machine_attach(m, &firmware_desc, f);
	if (r < 0)
		free(f);
	return r;
}

/* Not a device the guest sees: no ports, no state to save (the image is
 * the configuration's). */
static const struct device_desc firmware_desc = {
	.name = FIRMWARE_NAME,
	.order = DEVICE_ORDER_CORE,
	.setup = firmware_setup,
	.teardown = firmware_teardown,
};
DEVICE_DEFINE(firmware_desc);
