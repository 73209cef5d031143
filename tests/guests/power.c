/*
 * power.c - the test modes that end the run: "poweroff" (ACPI S5 through
 * PM1a_CNT with SLP_TYP from \_S5), "powerbutton" (PWRBTN_EN, SCI through
 * the IOAPIC, wait for PWRBTN_STS, then power off), "reset" (CMOS byte 0x38
 * counts boots; reset through the 8042 or port 0xCF9) and "triplefault".
 * When the machine outlives a power-off or reset request, a FAIL line is
 * printed; a failed power-off then triple-faults so the VMM stops anyway.
 */
#include "tk.h"

#define SLP_EN        (1u << 13)
#define PWRBTN        (1u << 8)		/* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN */
#define SCI_EN        1u
#define CMOS_RESET_COUNTER 0x38
#define PWRBTN_WAIT_MS 60000

void power_off(void)
{
	struct acpi_fadt_info f;
	u8 typ;

	if (acpi_fadt(&f) < 0 || !f.pm1a_cnt) {
		kprintf("poweroff: FAIL no fadt\n");
		triple_fault();
	}
	if (acpi_s5(&typ) < 0) {
		kprintf("poweroff: FAIL no _S5 in dsdt\n");
		triple_fault();
	}
	kprintf("poweroff: pm1a_cnt=0x%x slp_typ=%u\n", f.pm1a_cnt, typ);
	outw((u16)f.pm1a_cnt, (u16)(((typ & 7u) << 10) | SLP_EN));
	delay_ms(2000);
	kprintf("poweroff: FAIL still running\n");
	triple_fault();
}

static volatile u32 pwrbtn_seen;
static u16 pm1_sts;

static void sci_isr(struct isr_frame *fr)
{
	(void)fr;
	u16 sts = inw(pm1_sts);
	if (sts & PWRBTN)
		pwrbtn_seen++;
	if (sts)
		outw(pm1_sts, sts);		/* write 1 to clear */
}

void powerbutton_test(void)
{
	struct acpi_fadt_info f;

	if (acpi_fadt(&f) < 0 || !f.pm1a_evt || !f.pm1a_cnt) {
		kprintf("powerbutton: FAIL no fadt\n");
		tk_done();
		power_off();
	}
	pm1_sts = (u16)f.pm1a_evt;
	u16 pm1_en = (u16)(f.pm1a_evt + f.pm1_evt_len / 2);

	/* Legacy hardware starts in SMM mode: ask for ACPI mode (SCI_EN). */
	if (!(inw((u16)f.pm1a_cnt) & SCI_EN) && f.smi_cmd && f.acpi_enable) {
		struct deadline d;
		outb((u16)f.smi_cmd, f.acpi_enable);
		deadline_start(&d, 1000);
		while (!(inw((u16)f.pm1a_cnt) & SCI_EN) && !deadline_expired(&d))
			cpu_relax();
	}
	outw(pm1_sts, PWRBTN);			/* drop a stale press */
	irq_init();
	irq_set_handler(VEC_SCI, sci_isr);
	if (irq_route_isa((u8)f.sci_int, VEC_SCI, 1) < 0)
		kprintf("powerbutton: FAIL sci %u not routable\n", f.sci_int);
	pit_start();				/* heartbeat: hlt between ticks */
	outw(pm1_en, inw(pm1_en) | PWRBTN);
	sti();
	kprintf("powerbutton: waiting\n");
	if (wait_for(&pwrbtn_seen, 1, PWRBTN_WAIT_MS))
		kprintf("powerbutton: pressed\n");
	else
		kprintf("powerbutton: FAIL timeout\n");
	tk_done();
	power_off();
}

void reset_test(int use_cf9)
{
	u8 n = cmos_read(CMOS_RESET_COUNTER);

	kprintf("reset: count=%u\n", n);
	if (n >= 1) {
		cmos_write(CMOS_RESET_COUNTER, 0);
		kprintf("reset: survived\n");
		tk_done();
		power_off();
	}
	cmos_write(CMOS_RESET_COUNTER, 1);
	if (use_cf9) {
		outb(0xCF9, 0x06);		/* hard reset */
	} else {
		struct deadline d;
		deadline_start(&d, 100);
		while ((inb(0x64) & 0x02) && !deadline_expired(&d))
			cpu_relax();		/* input buffer full */
		outb(0x64, 0xFE);		/* pulse reset line */
	}
	delay_ms(2000);
	kprintf("reset: FAIL still running\n");
	halt_forever();
}

void triplefault_test(void)
{
	kprintf("triplefault: now\n");
	triple_fault();
}
