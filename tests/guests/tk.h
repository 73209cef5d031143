/*
 * tk.h - shared declarations of the ttyvm test kernel (tests/guests).
 *
 * The test kernel is a tiny freestanding x86-64 guest that boots through
 * the Linux bzImage protocol or the Xen PVH ELF protocol, reports on COM1
 * what it was handed and runs small test modes (smp, timer, rtc, poweroff,
 * powerbutton, reset, triplefault).  This header is included by both the
 * assembly (__ASSEMBLER__: constants only) and the C files.  It is not part
 * of ttyvm and shares no code with it: it is the guest side of the tests.
 */
#ifndef TK_H
#define TK_H

#define TK_LOAD_ADDR      0x100000    /* protected-mode part / ELF load address */
#define TK_TRAMP_BASE     0x70000     /* AP trampoline page (SIPI vector 0x70) */
#define TK_MAX_CPUS       32
#define TK_AP_STACK_SIZE  4096
#define TK_BOOT_STACK_SIZE 16384

#define TK_BOOT_BZIMAGE   1
#define TK_BOOT_PVH       2

/* GDT selectors, the same in the kernel GDT and the AP trampoline GDT */
#define TK_SEL_CODE32     0x08
#define TK_SEL_CODE64     0x10        /* __BOOT_CS of the boot protocol */
#define TK_SEL_DATA       0x18        /* __BOOT_DS */

#ifndef __ASSEMBLER__

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;

#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- port and MMIO access -------------------------------------------- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* PCI configuration mechanism #1 (bdf = bus << 8 | dev << 3 | fn) and MMIO */
static inline u32 pci_read(u32 bdf, u32 reg)
{
	outl(0xCF8, 0x80000000u | (bdf << 8) | (reg & 0xFC));
	return inl(0xCFC);
}

static inline void pci_write(u32 bdf, u32 reg, u32 v)
{
	outl(0xCF8, 0x80000000u | (bdf << 8) | (reg & 0xFC));
	outl(0xCFC, v);
}

/* The address a memory BAR holds (64-bit BARs take two registers). */
static inline u64 bar_addr(u32 bdf, u32 bar)
{
	u32 lo = pci_read(bdf, 0x10 + bar * 4);
	u64 a = lo & ~0xFull;
	if ((lo & 0x6) == 0x4)
		a |= (u64)pci_read(bdf, 0x14 + bar * 4) << 32;
	return a;
}

static inline u8 r8(u64 a) { return *(volatile u8 *)(uptr)a; }
static inline u16 r16(u64 a) { return *(volatile u16 *)(uptr)a; }
static inline u32 r32(u64 a) { return *(volatile u32 *)(uptr)a; }
static inline void w8(u64 a, u8 v) { *(volatile u8 *)(uptr)a = v; }
static inline void w16(u64 a, u16 v) { *(volatile u16 *)(uptr)a = v; }
static inline void w32(u64 a, u32 v) { *(volatile u32 *)(uptr)a = v; }
static inline void w64(u64 a, u64 v) { w32(a, (u32)v); w32(a + 4, (u32)(v >> 32)); }

/* virtio-pci modern (virtio 1.2, 4.1.4): capabilities, common configuration
 * layout (4.1.4.3), device status bits */
#define VIRTIO_VENDOR  0x1AF4
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_DEVICE 4
#define COM_DFSELECT   0x00
#define COM_DF         0x04
#define COM_GFSELECT   0x08
#define COM_GF         0x0C
#define COM_STATUS     0x14
#define COM_Q_SELECT   0x16
#define COM_Q_SIZE     0x18
#define COM_Q_ENABLE   0x1C
#define COM_Q_NOFF     0x1E
#define COM_Q_DESC     0x20
#define COM_Q_DRIVER   0x28
#define COM_Q_DEVICE   0x30
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8

/* ---- virtio_pci.c: what the virtio drivers share -------------------- */
/* A split virtqueue's descriptor and used element (2.7.5, 2.7.8); the
 * rings, sized by each driver, hold them. */
struct vq_desc { u64 addr; u32 len; u16 flags; u16 next; };
struct vq_used_elem { u32 id; u32 len; };
/* One function's configuration structures, as its capabilities place them. */
struct virtio_pci {
	u32 bdf;
	u64 common, notify, devcfg;
	u32 notify_mult;
};
/* The modern virtio functions with this device id on bus 0 (function 0 of
 * each slot), at most max, into bdf[]: how many. */
u32 virtio_pci_find(u16 device, u32 *bdf, u32 max);
/* Fills *v for bdf from its vendor capabilities: 0, or -1 when there is no
 * capability list or one of the three structures is missing. */
int virtio_pci_caps(struct virtio_pci *v, u32 bdf);
/* Turns on memory decoding and bus mastering, resets the device and sets
 * ACKNOWLEDGE | DRIVER: features come next. */
void virtio_pci_reset(const struct virtio_pci *v);
/* Sets queue idx to size entries with the rings at desc, avail and used
 * and enables it: its notify offset, or -1 when the device's queue is
 * smaller than size. */
int virtio_pci_queue(const struct virtio_pci *v, u16 idx, u16 size, const void *desc,
		     const void *avail, const void *used);
/* Tells the device that queue idx (notify offset noff) has new buffers. */
void virtio_pci_kick(const struct virtio_pci *v, u16 noff, u16 idx);

static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)(uptr)addr; }
static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32 *)(uptr)addr = v; }

/* Read low memory (BDA) at a constant address without -Warray-bounds noise. */
static inline u16 phys_read16(uptr addr)
{
	u16 v;
	__asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" : : : "memory"); }
static inline void cli(void) { __asm__ volatile("cli" : : : "memory"); }
static inline void sti(void) { __asm__ volatile("sti" : : : "memory"); }
/* sti; hlt: the interrupt shadow of sti means no wake-up is lost. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" : : : "memory"); }
static inline void barrier(void) { __asm__ volatile("" : : : "memory"); }

/* ---- lib.c ------------------------------------------------------------ */
void *memset(void *d, int c, uptr n);
void *memcpy(void *d, const void *s, uptr n);
int memcmp(const void *a, const void *b, uptr n);
uptr strlen(const char *s);
u8 checksum8(const void *p, uptr n);
/* Map [addr, addr+len) if it lies above the 4 GiB the boot tables map.
 * Returns 0, or -1 if it cannot (beyond 512 GiB or out of page tables). */
int map_range(u64 addr, u64 len);

/* ---- console.c: COM1, polled, one spinlock for all CPUs ------------- */
void con_init(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ksnprintf(char *buf, uptr size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print without taking the lock (exception path, lock may be held). */
void kprintf_nolock(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "cmdline: " and the string, control characters as '?'. */
void con_print_cmdline(const char *s);

/* ---- acpi.c ----------------------------------------------------------- */
struct acpi_fadt_info {
	u32 pm1a_evt, pm1b_evt;   /* PM1 event blocks (I/O ports) */
	u32 pm1_evt_len;
	u32 pm1a_cnt, pm1b_cnt;
	u32 pm_tmr;               /* 0: none */
	int pm_tmr_32;            /* TMR_VAL_EXT */
	u32 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u64 dsdt;
};
struct acpi_iso {                 /* MADT interrupt source override */
	u8 irq;
	u32 gsi;
	u16 flags;
};
struct acpi_madt_info {
	u64 lapic_addr;
	u32 ncpus;
	u32 apic_ids[TK_MAX_CPUS];
	u64 ioapic_addr;          /* first IOAPIC; 0 if none */
	u32 ioapic_gsi_base;
	u32 niso;
	struct acpi_iso iso[16];
};
u64 acpi_scan_rsdp(void);
void acpi_init(u64 rsdp);
const void *acpi_find_table(const char *sig);
int acpi_fadt(struct acpi_fadt_info *f);
int acpi_madt(struct acpi_madt_info *m);
/* Find \_S5 in the DSDT: 0 and *slp_typ, or -1. */
int acpi_s5(u8 *slp_typ);
/* ISA IRQ -> GSI and MPS INTI flags (polarity bits 1:0, trigger bits 3:2). */
u32 acpi_isa_to_gsi(u8 irq, u16 *flags);

/* ---- mptable.c -------------------------------------------------------- */
int mptable_cpus(u32 *ids, u32 max, u32 *n);

/* ---- irq.c: IDT, LAPIC, IOAPIC, 8259 --------------------------------- */
struct isr_frame {
	u64 r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	u64 vec, err, rip, cs, rflags, rsp, ss;
};
typedef void (*irq_handler_t)(struct isr_frame *f);

#define VEC_PIT        0x20
#define VEC_SCI        0x21
#define VEC_LAPIC_TMR  0x30
#define VEC_SPURIOUS   0xFF

#define LAPIC_ID       0x020
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0B0
#define LAPIC_SVR      0x0F0
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define LAPIC_LVT_TMR  0x320
#define LAPIC_TMR_INIT 0x380
#define LAPIC_TMR_CUR  0x390
#define LAPIC_TMR_DIV  0x3E0

void idt_init(void);
void idt_load(void);
void irq_set_handler(u8 vec, irq_handler_t fn);
void irq_init(void);              /* LAPIC on, 8259s masked; idempotent */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
u32 lapic_id(void);
/* Route an ISA IRQ (through the MADT overrides) to vec on this CPU. */
int irq_route_isa(u8 irq, u8 vec, int sci);
void triple_fault(void) __attribute__((noreturn));
void halt_forever(void) __attribute__((noreturn));

/* ---- time.c: deadlines (ACPI PM timer, PIT heartbeat, loop count) ---- */
struct deadline {
	int kind;
	u32 last;
	u64 elapsed, limit;
};
extern volatile u32 pit_ticks;
void time_init(void);
void deadline_start(struct deadline *d, u32 ms);
int deadline_expired(struct deadline *d);
void delay_ms(u32 ms);
void delay_us(u32 us);
int pit_start(void);              /* ~100 Hz heartbeat on VEC_PIT; idempotent */
/* Wait (hlt once the PIT ticks, else poll) until *v >= target or ms pass. */
int wait_for(volatile u32 *v, u32 target, u32 ms);

/* ---- the test modes -------------------------------------------------- */
void smp_test(int use_mptable);
void timer_test(void);
void rtc_test(void);
u8 cmos_read(u8 reg);
void cmos_write(u8 reg, u8 v);
void power_off(void) __attribute__((noreturn));
void powerbutton_test(void) __attribute__((noreturn));
void reset_test(int use_cf9) __attribute__((noreturn));
void triplefault_test(void) __attribute__((noreturn));
void virtio_blk_test(void);
void virtio_input_test(void);
void virtio_net_test(void);
void virtio_net_flood(void);
void kbd_echo_test(void);
extern unsigned int tk_vbe_w, tk_vbe_h;   /* tk.vbe=WxH */
extern unsigned int tk_http_port;         /* tk.http=PORT: virtionet fetches from 10.0.2.2 */
void vbe_test(void);
/* Paints a VBE_MARK_SIZE square at (0, 0) in a colour made from n; nothing
 * unless vbe_test set a mode first. */
#define VBE_MARK_SIZE 32
void vbe_mark(u32 n);
void keys_test(void);

/* main.c */
void tk_done(void);               /* "testkernel: done", once */

#endif /* __ASSEMBLER__ */
#endif /* TK_H */
