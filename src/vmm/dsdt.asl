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
        /*
         * The PCI root bridge (PNP0A08/PNP0A03, _CRS with the 0xCF8 config
         * ports and the MMIO hole, _PRT) goes here when PCI is added; the
         * ISA devices below then move under its LPC/ISA bridge.
         */

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
