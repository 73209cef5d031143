/*
 * acpi_dsdt.S - embeds the DSDT that iasl compiled from dsdt.asl.
 *
 * The AML bytes are linked in read-only, between acpi_dsdt_start and
 * acpi_dsdt_end; acpi.c copies them into guest memory unchanged (iasl has
 * already filled in the header and checksum).  dsdt.aml is found through
 * the assembler's include path (AM_CCASFLAGS: -Wa,-I,$(top_builddir)/src/vmm).
 */
	.section .rodata.acpi_dsdt, "a", @progbits
	.balign 16
	.globl	acpi_dsdt_start
	.type	acpi_dsdt_start, @object
acpi_dsdt_start:
	.incbin	"dsdt.aml"
	.size	acpi_dsdt_start, . - acpi_dsdt_start
	.globl	acpi_dsdt_end
	.type	acpi_dsdt_end, @object
acpi_dsdt_end:
	.size	acpi_dsdt_end, 0

	.section .note.GNU-stack, "", @progbits
