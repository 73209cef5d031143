/*
 * layout.h - where things live in the guest-physical address space and
 * in port I/O space.  One place, so the e820 map, the ACPI tables, the
 * loaders and the devices agree.
 *
 *   0x0000_0000  RAM (real-mode IVT, BDA; boot GDT, page tables, zero page)
 *   0x0009_FC00  EBDA (reserved)
 *   0x000A_0000  legacy VGA window (MMIO, not RAM)
 *   0x000C_0000  option ROM / BIOS area (RAM; ACPI tables at 0xE0000 and
 *                the MP table at 0xF0000 for direct boot)
 *   0x0010_0000  RAM: kernel at 1 MiB, initrd near the top of low RAM
 *   LOW_RAM_END  32-bit hole for PCI MMIO, IOAPIC, LAPIC, firmware flash
 *   0x1_0000_0000 RAM above 4 GiB, when the guest has more than LOW_RAM_END
 */
#ifndef TTYVM_LAYOUT_H
#define TTYVM_LAYOUT_H

/* guest-physical memory */
#define LAYOUT_BOOT_GDT        0x500ULL
#define LAYOUT_BOOT_IDT        0x530ULL   /* after the 5-entry GDT */
#define LAYOUT_PVH_INFO        0x6000ULL   /* hvm_start_info + memmap + modlist */
#define LAYOUT_ZERO_PAGE       0x7000ULL   /* struct boot_params */
#define LAYOUT_BOOT_STACK      0x8ff0ULL
#define LAYOUT_PML4            0x9000ULL
#define LAYOUT_PDPT            0xA000ULL
#define LAYOUT_PD              0xB000ULL   /* 4 pages: identity map of 4 GiB */
#define LAYOUT_CMDLINE         0x20000ULL
#define LAYOUT_CMDLINE_MAX     0x10000ULL  /* 64 KiB, bytes incl. NUL */
#define LAYOUT_FLAT_LOAD       0x7C00ULL   /* flat test binaries: real mode */
#define LAYOUT_EBDA_START      0x9FC00ULL
#define LAYOUT_LOWMEM_END      0xA0000ULL
#define LAYOUT_VGA_START       0xA0000ULL
#define LAYOUT_VGA_END         0xC0000ULL
#define LAYOUT_BIOS_START      0xC0000ULL
#define LAYOUT_ACPI_START      0xE0000ULL  /* RSDP + tables, 64 KiB */
#define LAYOUT_ACPI_SIZE       0x10000ULL
#define LAYOUT_MPTABLE_START   0xF0000ULL  /* MP floating pointer + table */
#define LAYOUT_MPTABLE_SIZE    0x10000ULL
#define LAYOUT_BIOS_END        0x100000ULL
#define LAYOUT_HIGH_START      0x100000ULL /* kernel load address */
#define LAYOUT_LOW_RAM_END     0xC0000000ULL /* 3 GiB: start of the hole */
#define LAYOUT_4G              0x100000000ULL
#define LAYOUT_IOAPIC_BASE     0xFEC00000ULL
#define LAYOUT_LAPIC_BASE      0xFEE00000ULL
#define LAYOUT_KVM_IDENTITY    0xFEFFC000ULL /* KVM_SET_IDENTITY_MAP_ADDR, 1 page */
#define LAYOUT_KVM_TSS         0xFEFFD000ULL /* KVM_SET_TSS_ADDR, 3 pages */

/* port I/O */
#define PORT_PIT               0x40
#define PORT_SYSCTL_A          0x92   /* fast A20 and fast reset */
#define PORT_RTC               0x70   /* 2 ports: index, data */
#define PORT_I8042_DATA        0x60
#define PORT_I8042_CMD         0x64
#define PORT_COM1              0x3F8
#define PORT_COM2              0x2F8
#define PORT_COM3              0x3E8
#define PORT_COM4              0x2E8
#define PORT_PM1A_EVT          0x600  /* 4: PM1_STS (2), PM1_EN (2) */
#define PORT_PM1A_CNT          0x604  /* 2 */
#define PORT_PM_TMR            0x608  /* 4 */
#define PORT_GPE0              0x620  /* 4: GPE0_STS (2), GPE0_EN (2) */
#define PORT_RESET_CTL         0xCF9  /* FADT RESET_REG */
#define RESET_CTL_VALUE        0x06

/* ISA interrupts (GSI numbers on the IOAPIC; IRQ0 is overridden to GSI 2) */
#define IRQ_PIT                0
#define GSI_PIT                2
#define IRQ_KBD                1
#define IRQ_COM2               3
#define IRQ_COM1               4
#define IRQ_RTC                8
#define IRQ_SCI                9
#define IRQ_MOUSE              12
#define IOAPIC_PINS            24

/* ACPI sleep type the DSDT's \_S5 names; pm.c powers off on it */
#define ACPI_SLP_TYP_S5        5

#endif
