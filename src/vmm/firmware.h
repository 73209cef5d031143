/*
 * firmware.h - booting through a BIOS image (SeaBIOS) instead of a kernel.
 */
#ifndef TTYVM_FIRMWARE_H
#define TTYVM_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

struct machine;
struct guest_mem;
struct fw_cfg;
struct rtc;

/*
 * Maps the BIOS image named by the config (cfg->firmware) at the top of
 * 4 GiB and its last 256 KiB at 0xC0000, and fills what the firmware reads
 * at boot (fw_cfg items, CMOS bytes).  Called for every boot (also after a
 * reset), after the devices are set up; the boot CPU then starts at the
 * reset vector.  0 or -errno with one line in err naming the file/problem.
 */
int firmware_load(struct machine *m, char *err, size_t errlen);

/*
 * The steps of firmware_load(), with plain parameters so unit tests can
 * run them without /dev/kvm.
 */

/* A BIOS image is 64 KiB to 16 MiB in whole 64 KiB blocks; its last
 * 256 KiB (0xC0000-0xFFFFF) also appear below 1 MiB. */
#define FIRMWARE_MIN_SIZE    0x10000ULL
#define FIRMWARE_MAX_SIZE    0x1000000ULL
#define FIRMWARE_SIZE_ALIGN  0x10000ULL
#define FIRMWARE_SHADOW_SIZE 0x40000ULL

/*
 * Reads the image at path into fresh page-aligned memory, then makes that
 * memory read-only.  Returns 0 with *image and *size set (free with
 * firmware_image_free), or -errno with one line in err that starts with
 * the path: -ENOENT & co. from open/read, -EINVAL for a size that is not
 * a BIOS image, -ENOMEM.
 */
int firmware_image_read(const char *path, uint8_t **image, size_t *size,
			char *err, size_t errlen);
void firmware_image_free(uint8_t *image, size_t size);

/*
 * Copies the image's last FIRMWARE_SHADOW_SIZE bytes (all of a smaller
 * image) into guest RAM just below 1 MiB, where the reset vector's code
 * and the BIOS's real-mode segment must be.  0 or -EFAULT when that range
 * is not guest RAM.
 */
int firmware_shadow(struct guest_mem *gm, const uint8_t *image, size_t size);

/*
 * Writes the CMOS bytes SeaBIOS and older BIOSes read: memory sizes (0x15,
 * 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5B-0x5D), CPU count - 1
 * (0x5F), boot order (0x3D, 0x38), equipment (0x14) and no floppy (0x10),
 * with QEMU's encoding (hw/i386/pc.c pc_cmos_init).
 */
void firmware_cmos(struct rtc *rtc, const struct guest_mem *gm, unsigned int cpus,
		   enum boot_order boot);

/*
 * Fills out (QEMU's "etc/e820" layout: le64 address, le64 length, le32
 * type, FW_CFG_E820_ENTRY_LEN bytes each) with up to max entries: RAM
 * from 0 (the firmware carves out the legacy holes itself) and from 4 GiB,
 * the KVM identity-map/TSS pages and the flash of image_size bytes below
 * 4 GiB reserved.  Returns the number of entries.
 */
unsigned int firmware_e820(const struct guest_mem *gm, uint64_t image_size,
			   uint8_t *out, unsigned int max);

/* What the machine has, beyond the config, that changes fw_cfg items. */
struct firmware_env {
	uint64_t image_size;
	bool has_vga;             /* a VGA device shows a screen */
};

/*
 * Adds every item SeaBIOS reads to fw: signature/ID (already there), UUID,
 * RAM size, CPU counts, boot menu, IRQ0 override, "etc/e820",
 * "etc/boot-fail-wait", "etc/sercon-port" (firmware_wants_sercon()), the
 * ACPI blobs and "etc/table-loader" (unless cfg->acpi is false), and the
 * "bootorder" from the boot devices registered so far.  0 or -errno.
 */
int firmware_fill_fw_cfg(struct fw_cfg *fw, const struct vm_config *cfg,
			 const struct guest_mem *gm, const struct firmware_env *env);

/*
 * Whether SeaBIOS should mirror its text screen (and with it boot loaders
 * that print through the BIOS, such as GRUB) on COM1: whenever COM1 is
 * connected, because no display shows the VGA screen yet.  When the
 * display code lands, a visible window or VNC display should turn this off.
 */
bool firmware_wants_sercon(const struct vm_config *cfg, const struct firmware_env *env);

/* ---- a Linux kernel through the BIOS (firmware_linux.c) ---------------- */

/* QEMU's linuxboot option ROM (Debian package qemu-system-data) */
#define FIRMWARE_LINUX_ROM_NAME "linuxboot_dma.bin"
#define FIRMWARE_LINUX_ROM      "/usr/share/qemu/" FIRMWARE_LINUX_ROM_NAME
/* RAM left free for the firmware's own tables at the top of low RAM */
#define FIRMWARE_LINUX_TOP_RESERVE (1ULL << 20)

/* Where the pieces of a bzImage go, and its patched setup. */
struct firmware_linux_plan {
	uint8_t *setup;           /* malloc'd copy of the setup, header patched */
	size_t setup_size;
	const uint8_t *kernel;    /* the protected-mode part, inside the image */
	size_t kernel_size;
	uint32_t setup_addr, cmdline_addr, kernel_addr;
	uint32_t initrd_addr, initrd_size;  /* 0, 0 without an initrd */
};

/*
 * Checks the bzImage in image[0..size) (named path in messages) and plans
 * its load for the linuxboot ROM in a guest with low_ram bytes of RAM
 * below 4 GiB, with an initrd of initrd_size bytes (0: none) and cmdline
 * (NULL: empty).  The setup copy gets type_of_loader, CAN_USE_HEAP,
 * heap_end_ptr, cmd_line_ptr and the ramdisk fields.  Pure.  0, or
 * -EINVAL/-E2BIG/-ENOSPC/-ENOMEM with err saying what is wrong; on
 * success free the plan with firmware_linux_plan_free().
 */
int firmware_linux_plan(const uint8_t *image, size_t size, const char *cmdline,
			uint64_t initrd_size, uint64_t low_ram, const char *path,
			struct firmware_linux_plan *p, char *err, size_t errlen);
void firmware_linux_plan_free(struct firmware_linux_plan *p);

/*
 * Reads cfg->kernel, cfg->initrd and the ROM at rom_path, and adds the
 * FW_CFG_SETUP/KERNEL/CMDLINE/INITRD items, the ROM as
 * "genroms/linuxboot_dma.bin" and its boot entry (first in the boot
 * order).  0 or -errno with one line in err.
 */
int firmware_linux_fill(struct fw_cfg *fw, const struct vm_config *cfg,
			const struct guest_mem *gm, const char *rom_path,
			char *err, size_t errlen);

#endif
