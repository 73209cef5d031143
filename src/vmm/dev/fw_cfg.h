/*
 * fw_cfg.h - QEMU's firmware configuration device ("fw_cfg"), through
 * which SeaBIOS learns what machine it runs on.
 *
 * The host fills numbered items (fw_cfg_add_bytes/_i16/_i32/_i64) and named
 * files (fw_cfg_add_file) before the guest runs; the guest reads them
 * through the selector/data ports or the DMA interface.  Items are copied
 * in and immutable afterwards; the guest can never write them.
 *
 * Boot devices: a disk or CD device that the firmware may boot from calls
 * fw_cfg_add_boot_device() from its setup() with its OpenFirmware device
 * path (see fw_cfg_ofw_virtio_blk() / fw_cfg_ofw_ahci() below, which build
 * the paths SeaBIOS matches); firmware_load() then turns the list into the
 * "bootorder" file with fw_cfg_set_bootorder().  Find the instance with
 * machine_find(m, FW_CFG_NAME); it exists only for firmware boot, so a
 * device must accept NULL.
 *
 * Option ROMs (vgabios-stdvga.bin for the std VGA): a PCI device's ROM
 * belongs in its ROM BAR (pci_set_rom), as on QEMU; SeaBIOS then runs it
 * with the device's PCI address, which vgabios needs to find its
 * framebuffer BAR.  Where a device cannot have a ROM BAR, the fallback is
 * a file named "pciVVVV,DDDD.rom" (vendor and device id, lowercase hex:
 * "pci1234,1111.rom") that SeaBIOS binds to that device (optionroms.c,
 * lookup_hardcode).  "vgaroms/..." and "genroms/..." files run without a
 * PCI address and are no substitute for a PCI VGA ROM.
 */
#ifndef TTYVM_DEV_FW_CFG_H
#define TTYVM_DEV_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/snap.h"

struct guest_mem;

#define FW_CFG_NAME "fw_cfg"

/* port I/O (QEMU's x86 layout) */
#define FW_CFG_PORT_SEL     0x510   /* 16-bit selector; data at +1 */
#define FW_CFG_PORT_DATA    0x511
#define FW_CFG_PORT_DMA     0x514   /* 8 bytes: DMA address, big-endian */
#define FW_CFG_PORT_SEL_LEN 2
#define FW_CFG_PORT_DMA_LEN 8

/* item keys (QEMU docs/specs/fw_cfg.rst, include/standard-headers/linux/qemu_fw_cfg.h) */
#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID           0x01
#define FW_CFG_UUID         0x02
#define FW_CFG_RAM_SIZE     0x03
#define FW_CFG_NOGRAPHIC    0x04
#define FW_CFG_NB_CPUS      0x05
#define FW_CFG_MACHINE_ID   0x06
#define FW_CFG_KERNEL_ADDR  0x07
#define FW_CFG_KERNEL_SIZE  0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_BOOT_DEVICE  0x0c
#define FW_CFG_NUMA         0x0d
#define FW_CFG_BOOT_MENU    0x0e
#define FW_CFG_MAX_CPUS     0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA  0x11
#define FW_CFG_INITRD_DATA  0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR   0x16
#define FW_CFG_SETUP_SIZE   0x17
#define FW_CFG_SETUP_DATA   0x18
#define FW_CFG_FILE_DIR     0x19
#define FW_CFG_FILE_FIRST   0x20
#define FW_CFG_WRITE_CHANNEL 0x4000  /* ignored, as in QEMU >= 2.4 */
#define FW_CFG_ARCH_LOCAL   0x8000
#define FW_CFG_ACPI_TABLES  (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE   (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_INVALID      0xffff

/* FW_CFG_ID feature bits */
#define FW_CFG_VERSION      0x01    /* traditional port interface */
#define FW_CFG_VERSION_DMA  0x02

/* DMA control word bits (big-endian in the guest's FWCfgDmaAccess) */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10
#define FW_CFG_DMA_ACCESS_LEN 16   /* be32 control, be32 length, be64 address */
/* what reading the DMA address register returns: "QEMU CFG" */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ULL

/* FW_CFG_FILE_DIR: be32 count, then per file be32 size, be16 select,
 * be16 reserved, char name[56] */
#define FW_CFG_FILE_NAME_LEN 56
#define FW_CFG_FILE_ENTRY_LEN 64
#define FW_CFG_MAX_FILES    256
#define FW_CFG_MAX_ITEM     (512u << 20) /* largest item (an initrd): 512 MiB */

/* QEMU's struct e820_entry in "etc/e820": le64 address, le64 length, le32 type */
#define FW_CFG_E820_ENTRY_LEN 20

struct fw_cfg;

/*
 * Creates an empty fw_cfg (only the signature, FW_CFG_ID with DMA and an
 * empty file directory).  gm is the guest RAM the DMA interface reads and
 * writes; it must outlive the device.  NULL when out of memory.  Free with
 * fw_cfg_destroy().
 */
struct fw_cfg *fw_cfg_create(struct guest_mem *gm);
void fw_cfg_destroy(struct fw_cfg *fw);

/*
 * Adds a numbered item (key below FW_CFG_FILE_FIRST, or an arch-local key
 * FW_CFG_ARCH_LOCAL + n with n < FW_CFG_FILE_FIRST), copying len bytes.
 * An existing item with that key is replaced.  Returns 0, -EINVAL for a
 * bad key or a length above FW_CFG_MAX_ITEM, -ENOMEM.
 */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len);
/* The same for a little-endian integer of 2, 4 or 8 bytes. */
int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v);
int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v);
int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v);

/*
 * Adds the named file (1..55 bytes of name, e.g. "etc/e820"), copying len
 * bytes, and lists it in the file directory.  Returns its selector key
 * (>= FW_CFG_FILE_FIRST), -EEXIST when the name is taken, -EINVAL for a bad
 * name or a length above FW_CFG_MAX_ITEM, -ENOSPC past FW_CFG_MAX_FILES
 * files, -ENOMEM.
 */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len);
/* True when a file of that name exists. */
bool fw_cfg_has_file(struct fw_cfg *fw, const char *name);

/* --- boot devices ------------------------------------------------------ */

enum fw_cfg_boot_kind {
	FW_CFG_BOOT_CDROM,
	FW_CFG_BOOT_DISK,
	FW_CFG_BOOT_ROM,    /* an option ROM that boots by itself (linuxboot) */
};

#define FW_CFG_OFW_PATH_MAX 128
#define FW_CFG_MAX_BOOT_DEVICES 16

/*
 * Registers a device the firmware may boot from: kind, its index among the
 * user's drives of that kind (--disk order; 0 for the CD-ROM) and its
 * OpenFirmware device path (copied).  Returns 0, -EINVAL for an empty or
 * too long path, -ENOSPC past FW_CFG_MAX_BOOT_DEVICES.
 */
int fw_cfg_add_boot_device(struct fw_cfg *fw, enum fw_cfg_boot_kind kind,
			   unsigned int index, const char *ofw_path);

/*
 * Writes the "bootorder" file from the registered devices: option ROMs
 * first, then CD-ROMs when cd_first, then disks (or the other way round),
 * each kind in index order, one path per line.  Without devices no file is added (SeaBIOS
 * then uses the CMOS boot order).  0 or -errno as fw_cfg_add_file().
 */
int fw_cfg_set_bootorder(struct fw_cfg *fw, bool cd_first);

/*
 * OpenFirmware paths as SeaBIOS builds them for its boot entries
 * (src/boot.c: build_pci_path, bootprio_find_*): devfn is slot << 3 | fn on
 * root bus 0.  SeaBIOS matches "/pci@i0cf8/<any>@<slot>[,<fn>]" plus the
 * suffix, so the device names (scsi, sata) are QEMU's, for readability.
 *   virtio-blk:            /pci@i0cf8/scsi@S[,F]/disk@0,0
 *   AHCI port P (disk/CD): /pci@i0cf8/sata@S[,F]/drive@P/disk@0
 * Writes at most len bytes including the NUL; returns the length or -ENOSPC.
 */
int fw_cfg_ofw_virtio_blk(char *buf, size_t len, uint8_t devfn);
int fw_cfg_ofw_ahci(char *buf, size_t len, uint8_t devfn, unsigned int port);

/* --- guest access -------------------------------------------------------- */

/*
 * Selector/data ports: off 0 is FW_CFG_PORT_SEL.  A 2-byte write at off 0
 * selects an item; a 1-byte read at off 0 or 1 returns the next byte of the
 * selected item (0 past its end or for an unknown key).  Anything else is
 * ignored (reads return 0xff...).
 */
uint64_t fw_cfg_port_read(struct fw_cfg *fw, uint64_t off, unsigned int size);
void fw_cfg_port_write(struct fw_cfg *fw, uint64_t off, unsigned int size, uint64_t val);

/*
 * DMA address register: off 0 is FW_CFG_PORT_DMA.  A 4-byte write at off 0
 * sets the high half, at off 4 the low half and runs the transfer whose
 * FWCfgDmaAccess is at that guest address; an 8-byte write does both.
 * Values are big-endian as the guest wrote them.  Reads return the bytes
 * of "QEMU CFG".  Every guest address and length is checked against guest
 * RAM; a bad one sets FW_CFG_DMA_CTL_ERROR, nothing else is touched.
 */
uint64_t fw_cfg_dma_read(struct fw_cfg *fw, uint64_t off, unsigned int size);
void fw_cfg_dma_write(struct fw_cfg *fw, uint64_t off, unsigned int size, uint64_t val);

/* System reset: nothing selected, DMA address 0.  Items stay. */
void fw_cfg_reset(struct fw_cfg *fw);

/* Saves or loads selector, offset and DMA address (not the items, which
 * the configuration rebuilds). */
int fw_cfg_snapshot(struct fw_cfg *fw, struct snap *s);

#endif
