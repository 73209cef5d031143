/*
 * rtc.h - the MC146818 CMOS real-time clock and its 128 bytes of NVRAM.
 *
 * The core takes an interrupt line, a wall clock and a one-shot timer and
 * never the machine; rtc.c's setup glue puts it on ports 0x70/0x71.
 */
#ifndef TTYVM_DEV_RTC_H
#define TTYVM_DEV_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/irq.h"
#include "vmm/snap.h"

#define RTC_NVRAM_SIZE 128

/* CMOS indices with a fixed meaning */
#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0A
#define RTC_REG_B         0x0B
#define RTC_REG_C         0x0C
#define RTC_REG_D         0x0D
#define RTC_CENTURY       0x32

/* register A */
#define RTC_A_UIP   0x80
/* register B */
#define RTC_B_SET   0x80
#define RTC_B_PIE   0x40
#define RTC_B_AIE   0x20
#define RTC_B_UIE   0x10
#define RTC_B_SQWE  0x08
#define RTC_B_DM    0x04   /* 1: binary, 0: BCD */
#define RTC_B_24H   0x02
#define RTC_B_DSE   0x01
/* register C */
#define RTC_C_IRQF  0x80
#define RTC_C_PF    0x40
#define RTC_C_AF    0x20
#define RTC_C_UF    0x10
/* register D */
#define RTC_D_VRT   0x80

/*
 * A one-shot timer the RTC uses for its interrupts.  arm() replaces any
 * pending expiry with one delay_ns from now; delay_ns 0 cancels.  When it
 * expires the owner calls rtc_timer_fire().  arm() is called with the
 * RTC's lock held and must not call back into the RTC synchronously.
 */
struct rtc_timer_ops {
	void (*arm)(void *ctx, uint64_t delay_ns);
	void *ctx;
};

struct rtc;

/*
 * Creates an RTC whose time follows clock_ns (nanoseconds since the Unix
 * epoch, UTC; CLOCK_REALTIME in the machine) plus an offset the guest sets.
 * Registers A, B, D hold their power-on values (A=0x26: 32.768 kHz, 1024 Hz
 * rate; B=0x02: 24-hour BCD), the NVRAM is zero.  irq and timer are copied
 * and may be NULL.  Returns NULL when out of memory.  Free with
 * rtc_destroy().
 */
struct rtc *rtc_create(const struct irq_line *irq,
		       uint64_t (*clock_ns)(void *ctx), void *clock_ctx,
		       const struct rtc_timer_ops *timer);
void rtc_destroy(struct rtc *r);

/* Port access: port 0 is the index (bit 7 masks NMI), port 1 the data. */
uint8_t rtc_read(struct rtc *r, unsigned int port);
void rtc_write(struct rtc *r, unsigned int port, uint8_t val);

/* The timer armed through rtc_timer_ops has expired. */
void rtc_timer_fire(struct rtc *r);

/*
 * NVRAM for the machine (memory size, boot order...): no side effects.
 * rtc_nvram_get() of a clock register returns what the guest would read
 * (register C is not cleared); rtc_nvram_set() of a clock register (0x00 to
 * 0x0D, 0x32) is ignored.  idx is masked to 0x7F.
 */
void rtc_nvram_set(struct rtc *r, uint8_t idx, uint8_t v);
uint8_t rtc_nvram_get(struct rtc *r, uint8_t idx);

/* True while the guest has set the NMI mask bit of the index port. */
bool rtc_nmi_masked(struct rtc *r);

/*
 * System reset, as the chip's RESET pin: clears PIE, AIE, UIE, SQWE and
 * the interrupt flags.  Time, NVRAM, register A and the data modes stay
 * (the CMOS is battery-backed).
 */
void rtc_reset(struct rtc *r);

/* Saves or loads the CMOS contents and the guest's clock offset. */
int rtc_snapshot(struct rtc *r, struct snap *s);

#endif
