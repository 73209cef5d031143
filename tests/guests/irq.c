/*
 * irq.c - interrupt plumbing of the test kernel: the IDT (256 stubs from
 * head.S), the dispatcher, the local APIC in xAPIC MMIO mode, the first
 * IOAPIC found in the MADT, and masking of the legacy 8259 pair.  ISA IRQs
 * are routed through the MADT interrupt source overrides (PIT: IRQ0 ->
 * GSI 2).  An exception prints one line and triple-faults, so a broken
 * guest ends the VM rather than hanging it.
 */
#include "tk.h"

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, attr;
	u16 off_mid;
	u32 off_hi, zero;
} __attribute__((packed));

struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

extern char tk_isr_stubs[];
static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];
static u64 lapic_base = 0xFEE00000;

void idt_load(void)
{
	struct dtr d = { sizeof(idt) - 1, (u64)(uptr)idt };

	__asm__ volatile("lidt %0" : : "m"(d));
}

void idt_init(void)
{
	for (u32 v = 0; v < 256; v++) {
		u64 a = (u64)(uptr)tk_isr_stubs + 16 * v;
		idt[v].off_lo = (u16)a;
		idt[v].sel = TK_SEL_CODE64;
		idt[v].ist = 0;
		idt[v].attr = 0x8E;		/* present, DPL 0, interrupt gate */
		idt[v].off_mid = (u16)(a >> 16);
		idt[v].off_hi = (u32)(a >> 32);
		idt[v].zero = 0;
	}
	idt_load();
}

void irq_set_handler(u8 vec, irq_handler_t fn)
{
	handlers[vec] = fn;
}

void triple_fault(void)
{
	struct dtr z = { 0, 0 };

	__asm__ volatile("lidt %0\n\tud2" : : "m"(z));
	for (;;)
		__asm__ volatile("cli; hlt");
}

void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void tk_isr_dispatch(struct isr_frame *f);
void tk_isr_dispatch(struct isr_frame *f)
{
	u32 vec = (u32)f->vec;

	if (vec < 32) {
		kprintf_nolock("testkernel: exception %u err=0x%llx rip=0x%llx\n",
			       vec, f->err, f->rip);
		triple_fault();
	}
	if (vec == VEC_SPURIOUS)
		return;
	if (handlers[vec])
		handlers[vec](f);
	else
		kprintf_nolock("testkernel: unexpected interrupt vector %u\n", vec);
	lapic_write(LAPIC_EOI, 0);
}

u32 lapic_read(u32 reg)
{
	return mmio_read32(lapic_base + reg);
}

void lapic_write(u32 reg, u32 v)
{
	mmio_write32(lapic_base + reg, v);
}

u32 lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static void pic_mask_all(void)
{
	/* Initialise both 8259s to vectors 0xE0-0xEF, then mask every line. */
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, 0xE0);
	outb(0xA1, 0xE8);
	outb(0x21, 0x04);
	outb(0xA1, 0x02);
	outb(0x21, 0x01);
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

void irq_init(void)
{
	static int done;
	struct acpi_madt_info m;

	if (done)
		return;
	done = 1;
	if (acpi_madt(&m) == 0 && m.lapic_addr)
		lapic_base = m.lapic_addr;
	pic_mask_all();
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

static void ioapic_write(u64 base, u32 reg, u32 v)
{
	mmio_write32(base, reg);
	mmio_write32(base + 0x10, v);
}

static u32 ioapic_read(u64 base, u32 reg)
{
	mmio_write32(base, reg);
	return mmio_read32(base + 0x10);
}

int irq_route_isa(u8 irq, u8 vec, int sci)
{
	struct acpi_madt_info m;
	u64 base = 0xFEC00000;
	u32 gsi_base = 0;
	u16 fl;
	u32 gsi = acpi_isa_to_gsi(irq, &fl);

	if (acpi_madt(&m) == 0 && m.ioapic_addr) {
		base = m.ioapic_addr;
		gsi_base = m.ioapic_gsi_base;
	}
	u32 maxpin = (ioapic_read(base, 1) >> 16) & 0xFF;
	if (gsi < gsi_base || gsi - gsi_base > maxpin)
		return -1;
	u32 pin = gsi - gsi_base;
	u32 pol = fl & 3, trig = (fl >> 2) & 3;
	/* "conforms to the bus": ISA is edge/high; the SCI is level/low */
	u32 low = pol == 3 || (pol == 0 && sci);
	u32 level = trig == 3 || (trig == 0 && sci);
	ioapic_write(base, 0x10 + 2 * pin + 1, lapic_id() << 24);
	ioapic_write(base, 0x10 + 2 * pin, vec | (low << 13) | (level << 15));
	return (int)gsi;
}
