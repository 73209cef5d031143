/*
 * smp.c - the "smp" test mode: enumerate CPUs from the ACPI MADT (or the
 * MP table with tk.tables=mp), then start every AP with INIT-SIPI-SIPI
 * (Intel MP spec B.4: INIT, 10 ms, SIPI, 200 us, SIPI) through the xAPIC.
 * APs are started one at a time: each gets its own stack, runs the
 * trampoline copied to TK_TRAMP_BASE, prints "cpu: apic_id=N online" and
 * halts with interrupts off; the BSP waits up to 5 s for each.
 */
#include "tk.h"

#define AP_WAIT_MS   5000
#define ICR_PENDING  (1u << 12)
#define ICR_INIT     0x00004500u	/* INIT, level assert */
#define ICR_STARTUP  0x00004600u	/* start-up, vector in bits 7:0 */

extern char tk_trampoline_start[], tk_trampoline_end[];
extern char tk_ap_stacks[];
volatile u64 tk_ap_stack_top;
static volatile u32 ap_online;

void tk_ap_main(void);
void tk_ap_main(void)
{
	idt_load();
	kprintf("cpu: apic_id=%u online\n", lapic_id());
	__atomic_fetch_add(&ap_online, 1, __ATOMIC_RELEASE);
	halt_forever();
}

static void icr_send(u32 apic_id, u32 lo)
{
	struct deadline d;

	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	deadline_start(&d, 100);
	while ((lapic_read(LAPIC_ICR_LO) & ICR_PENDING) && !deadline_expired(&d))
		cpu_relax();
}

static void start_ap(u32 apic_id, u32 before)
{
	icr_send(apic_id, ICR_INIT);
	delay_ms(10);
	for (int i = 0; i < 2 && ap_online == before; i++) {
		icr_send(apic_id, ICR_STARTUP | (TK_TRAMP_BASE >> 12));
		delay_us(200);
	}
}

void smp_test(int use_mptable)
{
	u32 ids[TK_MAX_CPUS], n = 0;

	if (use_mptable) {
		if (mptable_cpus(ids, TK_MAX_CPUS, &n) < 0) {
			kprintf("smp: FAIL no mp table\n");
			return;
		}
	} else {
		struct acpi_madt_info m;
		if (acpi_madt(&m) < 0) {
			kprintf("smp: FAIL no madt\n");
			return;
		}
		n = m.ncpus;
		memcpy(ids, m.apic_ids, sizeof(ids));
	}
	u32 nlisted = n < TK_MAX_CPUS ? n : TK_MAX_CPUS;
	char list[TK_MAX_CPUS * 11 + 1];
	uptr len = 0;
	list[0] = 0;
	for (u32 i = 0; i < nlisted; i++)
		len += ksnprintf(list + len, sizeof(list) - len, "%s%u", i ? "," : "", ids[i]);
	kprintf("smp: source=%s cpus=%u ids=%s\n", use_mptable ? "mp" : "madt", n, list);

	irq_init();
	u32 self = lapic_id();
	/* the BSP reports itself the same way the APs do */
	kprintf("cpu: apic_id=%u online\n", self);
	memcpy((void *)TK_TRAMP_BASE, tk_trampoline_start,
	       (uptr)(tk_trampoline_end - tk_trampoline_start));
	u32 online = 1, slot = 0;
	for (u32 i = 0; i < nlisted; i++) {
		if (ids[i] == self)
			continue;
		if (ids[i] > 0xFE) {
			kprintf("smp: FAIL apic_id=%u needs x2apic\n", ids[i]);
			continue;
		}
		slot++;
		tk_ap_stack_top = (u64)(uptr)(tk_ap_stacks + slot * TK_AP_STACK_SIZE);
		u32 before = ap_online;
		start_ap(ids[i], before);
		if (wait_for(&ap_online, before + 1, AP_WAIT_MS))
			online++;
		else
			kprintf("smp: FAIL apic_id=%u did not come online\n", ids[i]);
	}
	kprintf("smp: online=%u\n", online);
}
