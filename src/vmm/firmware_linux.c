/*
 * firmware_linux.c - a Linux kernel booted through the BIOS: the fw_cfg
 * items QEMU's linuxboot option ROM reads, so `ttyvm run --firmware BIOS
 * --kernel bzImage` boots the kernel's own real-mode setup code the way
 * QEMU's -kernel does (QEMU hw/i386/x86.c x86_load_linux; the ROM is
 * pc-bios/optionrom/linuxboot_dma.c, shipped by Debian's qemu-system-data).
 *
 * The split: firmware_linux_plan() looks at the bzImage header and
 * decides where setup, kernel, command line and initrd go, patching a copy
 * of the setup as a boot loader must (Documentation/arch/x86/boot.rst,
 * "LOADING THE REST OF THE KERNEL"); it is pure, so unit tests drive it
 * with hostile headers.  firmware_linux_fill() reads the files and adds
 * the items and the ROM ("genroms/linuxboot_dma.bin", first in the boot
 * order).  SeaBIOS runs the ROM as a boot entry; the ROM copies everything
 * into place over fw_cfg DMA and jumps to the setup code at
 * setup_seg+0x20:0 in real mode.  From there the kernel asks the BIOS for
 * the e820 map and enters protected mode itself.
 *
 * Layout, as QEMU's for protocol 2.02+ with LOADED_HIGH: setup at 0x10000,
 * command line at 0x20000 (the setup heap ends just below it), the
 * protected-mode part at 1 MiB, the initrd page-aligned as high as the
 * kernel allows but FIRMWARE_LINUX_TOP_RESERVE below the top of low RAM,
 * where SeaBIOS keeps its own tables.  Older kernels (loaded low, below
 * protocol 2.02) are refused; they can still be booted directly.
 *
 * Not here: direct boot without firmware (boot_linux.c), the fw_cfg device
 * (dev/fw_cfg.c), the rest of firmware boot (firmware.c).
 */
#include "vmm/firmware.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/boot.h"
#include "vmm/dev/fw_cfg.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

/* setup header offsets (boot.rst) */
#define HDR_SETUP_SECTS   0x1f1
#define HDR_MAGIC         0x202
#define HDR_VERSION       0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS     0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE  0x21c
#define HDR_HEAP_END_PTR  0x224
#define HDR_CMD_LINE_PTR  0x228
#define HDR_INITRD_MAX    0x22c
#define HDR_CMDLINE_SIZE  0x238
#define HDR_INIT_SIZE     0x260
#define HDR_MIN_LEN       0x264  /* through init_size */

#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define LOADER_QEMU           0xb0  /* QEMU's boot loader ID: the ROM is QEMU's */

#define FWL_SETUP_ADDR   0x10000u
#define FWL_CMDLINE_ADDR 0x20000u
#define FWL_KERNEL_ADDR  0x100000u
#define FWL_SETUP_MAX    (FWL_CMDLINE_ADDR - FWL_SETUP_ADDR)
/* the command line must end below the EBDA */
#define FWL_CMDLINE_MAX  (LAYOUT_EBDA_START - FWL_CMDLINE_ADDR)

void firmware_linux_plan_free(struct firmware_linux_plan *p)
{
	free(p->setup);
	memset(p, 0, sizeof(*p));
}

int firmware_linux_plan(const uint8_t *image, size_t size, const char *cmdline,
			uint64_t initrd_size, uint64_t low_ram, const char *path,
			struct firmware_linux_plan *p, char *err, size_t errlen)
{
	size_t clen = cmdline ? strlen(cmdline) : 0;
	uint64_t kernel_end, initrd_max, top;
	uint32_t cmdline_max;
	uint16_t version;
	size_t setup_size;

	memset(p, 0, sizeof(*p));
	if (size < HDR_MIN_LEN || memcmp(image + HDR_MAGIC, "HdrS", 4) != 0)
		return boot_fail(err, errlen, -EINVAL, path,
				 "not a Linux bzImage (no \"HdrS\" setup header); "
				 "through --firmware only bzImage kernels boot");
	version = (uint16_t)(image[HDR_VERSION] | image[HDR_VERSION + 1] << 8);
	if (version < 0x0202 || !(image[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return boot_fail(err, errlen, -EINVAL, path,
				 "boot protocol %u.%02u%s: booting through the firmware "
				 "needs 2.02 or later, loaded high",
				 version >> 8, version & 0xff,
				 image[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH ? "" :
				 " (loaded low)");
	setup_size = ((size_t)(image[HDR_SETUP_SECTS] ? image[HDR_SETUP_SECTS] : 4) + 1) * 512;
	if (setup_size > FWL_SETUP_MAX - 0x200 || setup_size >= size)
		return boot_fail(err, errlen, -EINVAL, path,
				 "setup_sects %u does not fit (setup of %zu bytes in a "
				 "%zu-byte file, at most %u)", image[HDR_SETUP_SECTS],
				 setup_size, size, FWL_SETUP_MAX - 0x200);
	cmdline_max = version >= 0x0206 ? get_le32(image + HDR_CMDLINE_SIZE) : 255;
	if (clen > cmdline_max || clen + 1 > FWL_CMDLINE_MAX)
		return boot_fail(err, errlen, -E2BIG, path,
				 "command line of %zu bytes is too long (this kernel "
				 "takes at most %" PRIu64 ")", clen,
				 (uint64_t)MIN((uint64_t)cmdline_max, FWL_CMDLINE_MAX - 1));

	p->kernel = image + setup_size;
	p->kernel_size = size - setup_size;
	/* what the kernel occupies from 1 MiB while it decompresses */
	kernel_end = FWL_KERNEL_ADDR + MAX((uint64_t)p->kernel_size,
					   version >= 0x020a ? get_le32(image + HDR_INIT_SIZE) : 0);
	top = MIN(low_ram, LAYOUT_LOW_RAM_END);
	if (top < FIRMWARE_LINUX_TOP_RESERVE + kernel_end)
		return boot_fail(err, errlen, -ENOSPC, path,
				 "the kernel needs %" PRIu64 " KiB from 1 MiB, more than "
				 "the %" PRIu64 " MiB of RAM leave the firmware",
				 (kernel_end - FWL_KERNEL_ADDR) >> 10, low_ram >> 20);
	top -= FIRMWARE_LINUX_TOP_RESERVE;
	if (initrd_size) {
		initrd_max = version >= 0x0203 ? get_le32(image + HDR_INITRD_MAX) : 0x37ffffff;
		if (initrd_max > top - 1)
			initrd_max = top - 1;
		if (initrd_size > initrd_max + 1 ||
		    ((initrd_max + 1 - initrd_size) & ~0xfffULL) < ALIGN_UP(kernel_end, 4096))
			return boot_fail(err, errlen, -ENOSPC, path,
					 "no room for an initrd of %" PRIu64 " KiB below "
					 "0x%" PRIx64 " (the kernel's limit and %" PRIu64
					 " MiB of RAM): give the VM more memory",
					 initrd_size >> 10, initrd_max + 1, low_ram >> 20);
		p->initrd_addr = (uint32_t)((initrd_max + 1 - initrd_size) & ~0xfffULL);
		p->initrd_size = (uint32_t)initrd_size;
	}

	p->setup = malloc(setup_size);
	if (!p->setup)
		return boot_fail(err, errlen, -ENOMEM, path, "out of memory");
	memcpy(p->setup, image, setup_size);
	p->setup_size = setup_size;
	p->setup_addr = FWL_SETUP_ADDR;
	p->cmdline_addr = FWL_CMDLINE_ADDR;
	p->kernel_addr = FWL_KERNEL_ADDR;
	p->setup[HDR_TYPE_OF_LOADER] = LOADER_QEMU;
	p->setup[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	p->setup[HDR_HEAP_END_PTR] = (uint8_t)((FWL_CMDLINE_ADDR - FWL_SETUP_ADDR - 0x200) & 0xff);
	p->setup[HDR_HEAP_END_PTR + 1] = (uint8_t)((FWL_CMDLINE_ADDR - FWL_SETUP_ADDR - 0x200) >> 8);
	put_le32(p->setup + HDR_CMD_LINE_PTR, FWL_CMDLINE_ADDR);
	put_le32(p->setup + HDR_RAMDISK_IMAGE, p->initrd_addr);
	put_le32(p->setup + HDR_RAMDISK_SIZE, p->initrd_size);
	return 0;
}

/* The items of a plan; the kernel/initrd bytes are copied by fw_cfg. */
static int firmware_linux_items(struct fw_cfg *fw, const struct firmware_linux_plan *p,
				const char *cmdline, const uint8_t *initrd)
{
	const char *c = cmdline ? cmdline : "";
	int r = 0;

	r = fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, p->setup_addr);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, (uint32_t)p->setup_size);
	if (!r)
		r = fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, p->setup, p->setup_size);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, p->kernel_addr);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)p->kernel_size);
	if (!r)
		r = fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, p->kernel, p->kernel_size);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, p->cmdline_addr);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(c) + 1);
	if (!r)
		r = fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, c, strlen(c) + 1);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, p->initrd_addr);
	if (!r)
		r = fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, p->initrd_size);
	if (!r && p->initrd_size)
		r = fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, initrd, p->initrd_size);
	return r;
}

int firmware_linux_fill(struct fw_cfg *fw, const struct vm_config *cfg,
			const struct guest_mem *gm, const char *rom_path,
			char *err, size_t errlen)
{
	struct firmware_linux_plan plan;
	uint8_t *kernel = NULL, *initrd = NULL, *rom = NULL;
	size_t ksize = 0, isize = 0, rsize = 0;
	int r;

	r = boot_file_read(rom_path, 1u << 20, &rom, &rsize, err, errlen);
	if (r) {
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, " (the linuxboot option ROM that boots a "
			 "kernel through the BIOS; install qemu-system-data, or boot the "
			 "kernel directly without --firmware)");
		return r;
	}
	r = boot_file_read(cfg->kernel, FW_CFG_MAX_ITEM, &kernel, &ksize, err, errlen);
	if (!r && cfg->initrd)
		r = boot_file_read(cfg->initrd, FW_CFG_MAX_ITEM, &initrd, &isize, err, errlen);
	if (!r)
		r = firmware_linux_plan(kernel, ksize, cfg->append, isize, gm->low_size,
					cfg->kernel, &plan, err, errlen);
	if (r)
		goto out;
	r = firmware_linux_items(fw, &plan, cfg->append, initrd);
	if (!r)
		r = fw_cfg_add_file(fw, "genroms/" FIRMWARE_LINUX_ROM_NAME, rom, rsize);
	if (r >= 0)
		r = fw_cfg_add_boot_device(fw, FW_CFG_BOOT_ROM, 0,
					   "/rom@genroms/" FIRMWARE_LINUX_ROM_NAME);
	if (r < 0)
		snprintf(err, errlen, "%s: handing the kernel to the firmware (fw_cfg): %s",
			 cfg->kernel, strerror(-r));
	firmware_linux_plan_free(&plan);
out:
	free(kernel);
	free(initrd);
	free(rom);
	return r < 0 ? r : 0;
}
