/*
 * dsdt.asl - the Differentiated System Description Table of ttyvm.
 *
 * The DSDT describes what the fixed ACPI tables cannot: the sleep types
 * the machine knows (only \_S5, soft off; pm.c powers off when the guest
 * writes SLP_TYP = ACPI_SLP_TYP_S5 with SLP_EN to PM1a_CNT) and the ISA
 * devices at their fixed ports and interrupts, so the guest finds them by
 * _HID instead of probing.  Everything that depends on the vCPU count
 * (processors, APIC ids) lives in the MADT that acpi.c builds at run time;
 * this file is the same for every guest.  Ports and IRQs must agree with
 * src/vmm/layout.h.  The power button is an ACPI fixed feature (FADT), so
 * it needs no device here.
 *
 * PCI (PCI Firmware Specification 3.0; ACPI 6.x, 6.2.13 _PRT): the root
 * bridge \_SB.PCI0 (the i440FX at 00.0, dev/pci_host.c) decodes bus
 * 0-255, I/O outside its own config ports 0xCF8-0xCFF, the legacy VGA
 * window and the 32-bit MMIO hole PCI_MMIO_START..PCI_MMIO_END (pci.h).
 * Its _PRT sends INTA-INTD of every slot straight to I/O APIC GSIs 16-19
 * with the swizzle pci.c uses, GSI = PCI_GSI_BASE + (slot + pin) % 4 (pin
 * 0 = INTA).  There are no interrupt link devices, so an OS in PIC mode
 * (_PIC 0) has no ACPI routing for PCI and uses INTERRUPT_LINE instead.
 * The ISA devices sit under the PIIX3 ISA bridge \_SB.PCI0.ISA (01.0).
 *
 * Compiled at build time by iasl (ACPI 6.x ASL; revision 2 for 64-bit
 * integers) into dsdt.aml and embedded by acpi_dsdt.S.
 */
DefinitionBlock ("", "DSDT", 2, "TTYVM ", "TTYVMDSD", 0x00000001)
{
    /* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved (ACPI_SLP_TYP_S5). */
    Name (_S5, Package (0x04)
    {
        0x05,
        0x05,
        Zero,
        Zero
    })

    Scope (\_SB)
    {
        /* PCI root bridge: the i440FX host bridge, config mechanism #1. */
        Device (PCI0)
        {
            /* no _ADR: ACPI 6.1 wants _HID or _ADR, not both (iasl warns) */
            Name (_HID, EisaId ("PNP0A03"))
            Name (_BBN, Zero)
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000,             // Granularity
                    0x0000,             // Range Minimum
                    0x00FF,             // Range Maximum
                    0x0000,             // Translation Offset
                    0x0100)             // Length
                /* CONFIG_ADDRESS and CONFIG_DATA, consumed by the bridge */
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000,             // Granularity
                    0x0000,             // Range Minimum
                    0x0CF7,             // Range Maximum
                    0x0000,             // Translation Offset
                    0x0CF8)             // Length
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000,             // Granularity
                    0x0D00,             // Range Minimum
                    0xFFFF,             // Range Maximum
                    0x0000,             // Translation Offset
                    0xF300)             // Length
                /* legacy VGA window, LAYOUT_VGA_START..LAYOUT_VGA_END - 1 */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000,         // Granularity
                    0x000A0000,         // Range Minimum
                    0x000BFFFF,         // Range Maximum
                    0x00000000,         // Translation Offset
                    0x00020000)         // Length
                /* the MMIO hole, PCI_MMIO_START..PCI_MMIO_END - 1 */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000,         // Granularity
                    0xC0000000,         // Range Minimum
                    0xFEBFFFFF,         // Range Maximum
                    0x00000000,         // Translation Offset
                    0x3EC00000)         // Length
            })

            /*
             * Slot s, pin p (0 = INTA) -> GSI 16 + (s + p) % 4: generated
             * for 32 slots x 4 pins; the swizzle is pci_pirq() in pci.h.
             */
            Name (_PRT, Package ()
            {
                Package () { 0x0000FFFF, 0, Zero, 16 }, Package () { 0x0000FFFF, 1, Zero, 17 },
                Package () { 0x0000FFFF, 2, Zero, 18 }, Package () { 0x0000FFFF, 3, Zero, 19 },
                Package () { 0x0001FFFF, 0, Zero, 17 }, Package () { 0x0001FFFF, 1, Zero, 18 },
                Package () { 0x0001FFFF, 2, Zero, 19 }, Package () { 0x0001FFFF, 3, Zero, 16 },
                Package () { 0x0002FFFF, 0, Zero, 18 }, Package () { 0x0002FFFF, 1, Zero, 19 },
                Package () { 0x0002FFFF, 2, Zero, 16 }, Package () { 0x0002FFFF, 3, Zero, 17 },
                Package () { 0x0003FFFF, 0, Zero, 19 }, Package () { 0x0003FFFF, 1, Zero, 16 },
                Package () { 0x0003FFFF, 2, Zero, 17 }, Package () { 0x0003FFFF, 3, Zero, 18 },
                Package () { 0x0004FFFF, 0, Zero, 16 }, Package () { 0x0004FFFF, 1, Zero, 17 },
                Package () { 0x0004FFFF, 2, Zero, 18 }, Package () { 0x0004FFFF, 3, Zero, 19 },
                Package () { 0x0005FFFF, 0, Zero, 17 }, Package () { 0x0005FFFF, 1, Zero, 18 },
                Package () { 0x0005FFFF, 2, Zero, 19 }, Package () { 0x0005FFFF, 3, Zero, 16 },
                Package () { 0x0006FFFF, 0, Zero, 18 }, Package () { 0x0006FFFF, 1, Zero, 19 },
                Package () { 0x0006FFFF, 2, Zero, 16 }, Package () { 0x0006FFFF, 3, Zero, 17 },
                Package () { 0x0007FFFF, 0, Zero, 19 }, Package () { 0x0007FFFF, 1, Zero, 16 },
                Package () { 0x0007FFFF, 2, Zero, 17 }, Package () { 0x0007FFFF, 3, Zero, 18 },
                Package () { 0x0008FFFF, 0, Zero, 16 }, Package () { 0x0008FFFF, 1, Zero, 17 },
                Package () { 0x0008FFFF, 2, Zero, 18 }, Package () { 0x0008FFFF, 3, Zero, 19 },
                Package () { 0x0009FFFF, 0, Zero, 17 }, Package () { 0x0009FFFF, 1, Zero, 18 },
                Package () { 0x0009FFFF, 2, Zero, 19 }, Package () { 0x0009FFFF, 3, Zero, 16 },
                Package () { 0x000AFFFF, 0, Zero, 18 }, Package () { 0x000AFFFF, 1, Zero, 19 },
                Package () { 0x000AFFFF, 2, Zero, 16 }, Package () { 0x000AFFFF, 3, Zero, 17 },
                Package () { 0x000BFFFF, 0, Zero, 19 }, Package () { 0x000BFFFF, 1, Zero, 16 },
                Package () { 0x000BFFFF, 2, Zero, 17 }, Package () { 0x000BFFFF, 3, Zero, 18 },
                Package () { 0x000CFFFF, 0, Zero, 16 }, Package () { 0x000CFFFF, 1, Zero, 17 },
                Package () { 0x000CFFFF, 2, Zero, 18 }, Package () { 0x000CFFFF, 3, Zero, 19 },
                Package () { 0x000DFFFF, 0, Zero, 17 }, Package () { 0x000DFFFF, 1, Zero, 18 },
                Package () { 0x000DFFFF, 2, Zero, 19 }, Package () { 0x000DFFFF, 3, Zero, 16 },
                Package () { 0x000EFFFF, 0, Zero, 18 }, Package () { 0x000EFFFF, 1, Zero, 19 },
                Package () { 0x000EFFFF, 2, Zero, 16 }, Package () { 0x000EFFFF, 3, Zero, 17 },
                Package () { 0x000FFFFF, 0, Zero, 19 }, Package () { 0x000FFFFF, 1, Zero, 16 },
                Package () { 0x000FFFFF, 2, Zero, 17 }, Package () { 0x000FFFFF, 3, Zero, 18 },
                Package () { 0x0010FFFF, 0, Zero, 16 }, Package () { 0x0010FFFF, 1, Zero, 17 },
                Package () { 0x0010FFFF, 2, Zero, 18 }, Package () { 0x0010FFFF, 3, Zero, 19 },
                Package () { 0x0011FFFF, 0, Zero, 17 }, Package () { 0x0011FFFF, 1, Zero, 18 },
                Package () { 0x0011FFFF, 2, Zero, 19 }, Package () { 0x0011FFFF, 3, Zero, 16 },
                Package () { 0x0012FFFF, 0, Zero, 18 }, Package () { 0x0012FFFF, 1, Zero, 19 },
                Package () { 0x0012FFFF, 2, Zero, 16 }, Package () { 0x0012FFFF, 3, Zero, 17 },
                Package () { 0x0013FFFF, 0, Zero, 19 }, Package () { 0x0013FFFF, 1, Zero, 16 },
                Package () { 0x0013FFFF, 2, Zero, 17 }, Package () { 0x0013FFFF, 3, Zero, 18 },
                Package () { 0x0014FFFF, 0, Zero, 16 }, Package () { 0x0014FFFF, 1, Zero, 17 },
                Package () { 0x0014FFFF, 2, Zero, 18 }, Package () { 0x0014FFFF, 3, Zero, 19 },
                Package () { 0x0015FFFF, 0, Zero, 17 }, Package () { 0x0015FFFF, 1, Zero, 18 },
                Package () { 0x0015FFFF, 2, Zero, 19 }, Package () { 0x0015FFFF, 3, Zero, 16 },
                Package () { 0x0016FFFF, 0, Zero, 18 }, Package () { 0x0016FFFF, 1, Zero, 19 },
                Package () { 0x0016FFFF, 2, Zero, 16 }, Package () { 0x0016FFFF, 3, Zero, 17 },
                Package () { 0x0017FFFF, 0, Zero, 19 }, Package () { 0x0017FFFF, 1, Zero, 16 },
                Package () { 0x0017FFFF, 2, Zero, 17 }, Package () { 0x0017FFFF, 3, Zero, 18 },
                Package () { 0x0018FFFF, 0, Zero, 16 }, Package () { 0x0018FFFF, 1, Zero, 17 },
                Package () { 0x0018FFFF, 2, Zero, 18 }, Package () { 0x0018FFFF, 3, Zero, 19 },
                Package () { 0x0019FFFF, 0, Zero, 17 }, Package () { 0x0019FFFF, 1, Zero, 18 },
                Package () { 0x0019FFFF, 2, Zero, 19 }, Package () { 0x0019FFFF, 3, Zero, 16 },
                Package () { 0x001AFFFF, 0, Zero, 18 }, Package () { 0x001AFFFF, 1, Zero, 19 },
                Package () { 0x001AFFFF, 2, Zero, 16 }, Package () { 0x001AFFFF, 3, Zero, 17 },
                Package () { 0x001BFFFF, 0, Zero, 19 }, Package () { 0x001BFFFF, 1, Zero, 16 },
                Package () { 0x001BFFFF, 2, Zero, 17 }, Package () { 0x001BFFFF, 3, Zero, 18 },
                Package () { 0x001CFFFF, 0, Zero, 16 }, Package () { 0x001CFFFF, 1, Zero, 17 },
                Package () { 0x001CFFFF, 2, Zero, 18 }, Package () { 0x001CFFFF, 3, Zero, 19 },
                Package () { 0x001DFFFF, 0, Zero, 17 }, Package () { 0x001DFFFF, 1, Zero, 18 },
                Package () { 0x001DFFFF, 2, Zero, 19 }, Package () { 0x001DFFFF, 3, Zero, 16 },
                Package () { 0x001EFFFF, 0, Zero, 18 }, Package () { 0x001EFFFF, 1, Zero, 19 },
                Package () { 0x001EFFFF, 2, Zero, 16 }, Package () { 0x001EFFFF, 3, Zero, 17 },
                Package () { 0x001FFFFF, 0, Zero, 19 }, Package () { 0x001FFFFF, 1, Zero, 16 },
                Package () { 0x001FFFFF, 2, Zero, 17 }, Package () { 0x001FFFFF, 3, Zero, 18 }
            })

            /* PIIX3 function 0, the PCI-to-ISA bridge at 01.0 */
            Device (ISA)
            {
                Name (_ADR, 0x00010000)

                /* COM1: 16550 UART, layout.h PORT_COM1 / IRQ_COM1. */
                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                        IRQNoFlags () {4}
                    })
                }

                /* CMOS RTC: index/data at PORT_RTC, IRQ_RTC. */
                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                        IRQNoFlags () {8}
                    })
                }

                /* i8042 keyboard port: PORT_I8042_DATA, PORT_I8042_CMD, IRQ_KBD. */
                Device (KBD)
                {
                    Name (_HID, EisaId ("PNP0303"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                        IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                        IRQNoFlags () {1}
                    })
                }

                /* i8042 aux (PS/2 mouse) port: shares the i8042 ports, IRQ_MOUSE. */
                Device (MOU)
                {
                    Name (_HID, EisaId ("PNP0F13"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IRQNoFlags () {12}
                    })
                }
            }
        }
    }
}
