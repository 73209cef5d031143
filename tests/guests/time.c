/*
 * time.c - time keeping for bounded waits.  Deadlines count the ACPI PM
 * timer (3.579545 MHz, port from the FADT) when there is one, else PIT
 * heartbeat ticks (if interrupts are on), else loop iterations (a rough
 * last resort).  The PIT heartbeat is channel 0 in mode 2 at ~100 Hz on
 * VEC_PIT through the IOAPIC; once it has ticked, waits sleep in sti;hlt
 * between ticks instead of spinning.
 */
#include "tk.h"

#define PIT_HZ      1193182
#define PIT_DIVISOR ((PIT_HZ + 50) / 100)

volatile u32 pit_ticks;
static int pit_on;
static u32 pm_port, pm_mask;

enum { DL_PM, DL_PIT, DL_LOOP };

/* PIT ticks only count time while interrupts are enabled. */
static int irqs_enabled(void)
{
	u64 fl;

	__asm__ volatile("pushfq; popq %0" : "=r"(fl));
	return (fl >> 9) & 1;
}

void time_init(void)
{
	struct acpi_fadt_info f;

	if (acpi_fadt(&f) == 0 && f.pm_tmr) {
		pm_port = f.pm_tmr;
		pm_mask = f.pm_tmr_32 ? 0xFFFFFFFFu : 0xFFFFFFu;
	}
}

static void deadline_start_us(struct deadline *d, u64 us)
{
	d->elapsed = 0;
	if (pm_port) {
		d->kind = DL_PM;
		d->last = inl((u16)pm_port) & pm_mask;
		d->limit = (us * 3580 + 999) / 1000;
	} else if (pit_on && pit_ticks && irqs_enabled()) {
		d->kind = DL_PIT;
		d->last = pit_ticks;
		d->limit = us / 10000 + 1;
	} else {
		d->kind = DL_LOOP;
		d->limit = us + 1;
	}
}

void deadline_start(struct deadline *d, u32 ms)
{
	deadline_start_us(d, (u64)ms * 1000);
}

int deadline_expired(struct deadline *d)
{
	switch (d->kind) {
	case DL_PM: {
		u32 now = inl((u16)pm_port) & pm_mask;
		d->elapsed += (now - d->last) & pm_mask;
		d->last = now;
		break;
	}
	case DL_PIT:
		d->elapsed = pit_ticks - d->last;
		break;
	default:
		d->elapsed++;
		cpu_relax();
		break;
	}
	return d->elapsed >= d->limit;
}

void delay_us(u32 us)
{
	struct deadline d;

	deadline_start_us(&d, us);
	while (!deadline_expired(&d))
		cpu_relax();
}

void delay_ms(u32 ms)
{
	delay_us(ms * 1000);
}

static void pit_isr(struct isr_frame *f)
{
	(void)f;
	pit_ticks++;
}

int pit_start(void)
{
	if (pit_on)
		return 0;
	irq_init();
	irq_set_handler(VEC_PIT, pit_isr);
	if (irq_route_isa(0, VEC_PIT, 0) < 0)
		return -1;
	outb(0x43, 0x34);			/* channel 0, lo/hi, mode 2, binary */
	outb(0x40, PIT_DIVISOR & 0xFF);
	outb(0x40, PIT_DIVISOR >> 8);
	pit_on = 1;
	return 0;
}

int wait_for(volatile u32 *v, u32 target, u32 ms)
{
	struct deadline d;

	deadline_start(&d, ms);
	for (;;) {
		if (pit_on && pit_ticks) {
			/* heartbeat: check with interrupts off, then sti;hlt */
			cli();
			if (*v >= target || deadline_expired(&d))
				break;
			sti_hlt();
		} else {
			/* no heartbeat yet: spin with interrupts on throughout */
			sti();
			if (*v >= target || deadline_expired(&d))
				break;
			cpu_relax();
		}
	}
	sti();
	return *v >= target;
}
