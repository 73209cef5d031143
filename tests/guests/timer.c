/*
 * timer.c - the "timer" test mode: count 10 PIT interrupts (channel 0,
 * mode 2, ~100 Hz, IRQ0 through the IOAPIC with the 8259s masked), then 10
 * periodic LAPIC timer interrupts (~100 Hz, count calibrated against the
 * PM timer or PIT; KVM's 1 GHz APIC bus is the fallback).  Both waits are
 * bounded at 5 s and print "timer: FAIL ..." when they run out.
 */
#include "tk.h"

#define TIMER_WAIT_MS 5000
#define LVT_MASKED    (1u << 16)
#define LVT_PERIODIC  (1u << 17)

static volatile u32 lapic_ticks;

static void lapic_timer_isr(struct isr_frame *f)
{
	(void)f;
	lapic_ticks++;
}

/* LAPIC timer counts per 10 ms at divide-by-16. */
static u32 lapic_calibrate(void)
{
	lapic_write(LAPIC_LVT_TMR, LVT_MASKED | VEC_LAPIC_TMR);
	lapic_write(LAPIC_TMR_INIT, 0xFFFFFFFFu);
	u32 c0 = lapic_read(LAPIC_TMR_CUR);
	delay_ms(20);
	u32 c1 = lapic_read(LAPIC_TMR_CUR);
	lapic_write(LAPIC_TMR_INIT, 0);
	u32 per10 = (c0 - c1) / 2;
	if (c1 == 0 || per10 < 1000 || per10 > 100000000)
		per10 = 625000;			/* 1 GHz / 16 / 100 */
	return per10;
}

void timer_test(void)
{
	irq_init();
	sti();

	u32 start = pit_ticks;
	if (pit_start() < 0)
		kprintf("timer: FAIL pit irq0 not routable\n");
	else if (wait_for(&pit_ticks, start + 10, TIMER_WAIT_MS))
		kprintf("timer: pit ticks=10\n");
	else
		kprintf("timer: FAIL pit ticks=%u\n", pit_ticks - start);

	irq_set_handler(VEC_LAPIC_TMR, lapic_timer_isr);
	lapic_write(LAPIC_TMR_DIV, 0x3);	/* divide by 16 */
	u32 count = lapic_calibrate();
	lapic_ticks = 0;
	lapic_write(LAPIC_LVT_TMR, LVT_PERIODIC | VEC_LAPIC_TMR);
	lapic_write(LAPIC_TMR_INIT, count);
	int ok = wait_for(&lapic_ticks, 10, TIMER_WAIT_MS);
	lapic_write(LAPIC_LVT_TMR, LVT_MASKED | VEC_LAPIC_TMR);
	lapic_write(LAPIC_TMR_INIT, 0);
	if (ok)
		kprintf("timer: lapic ticks=10\n");
	else
		kprintf("timer: FAIL lapic ticks=%u\n", lapic_ticks);
}
