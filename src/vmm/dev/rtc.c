/*
 * rtc.c - the Motorola MC146818 real-time clock and CMOS RAM, at ports
 * 0x70 (index; bit 7 is the NMI mask) and 0x71 (data), on IRQ 8.
 *
 * Implements the data sheet's register set: time and alarm registers in
 * BCD or binary and 12- or 24-hour form as register B says, the century
 * byte at 0x32 (PC convention), register A (UIP, rate select), B (SET,
 * PIE, AIE, UIE, DM, 24/12), C (flags, cleared by reading) and D (valid
 * RAM and time), and the rest of the 128 bytes as battery-backed NVRAM.
 *
 * The clock is not ticked: the time is the host's wall clock (clock_ns)
 * plus an offset that changes only when the guest writes a time register,
 * so a paused or migrated VM keeps real time.  While SET is on the time
 * registers are plain RAM the guest fills in; clearing SET turns what it
 * wrote into the new offset.  The day of the week is derived from the
 * date.  Interrupt flags are computed lazily from the clock when anything
 * looks at them; the one-shot timer is armed only for the earliest event
 * an enabled interrupt needs (periodic tick, end of update, alarm), and not
 * at all while IRQF is already set.  The periodic flag is set at the rate
 * register A selects whether or not PIE is on, as on the chip.  The divider
 * bits of register A are stored but do not stop the clock; daylight saving
 * (DSE) and the square-wave output are not implemented.
 *
 * Threads: vCPU threads call rtc_read()/rtc_write(); the event loop calls
 * rtc_timer_fire(); the machine calls rtc_nvram_set() at setup.  One mutex.
 */
#include "vmm/dev/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "vmm/device.h"
#include "vmm/evloop.h"
#include "vmm/layout.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

#define NS_PER_SEC 1000000000LL
#define SECS_PER_DAY 86400LL
#define RTC_UIP_NS 244000LL   /* UIP rises 244 us before the update */
#define RTC_A_RESET 0x26
#define RTC_B_RESET RTC_B_24H

struct rtc {
	pthread_mutex_t lock;
	struct irq_line irq;
	int irq_level;
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
	struct rtc_timer_ops timer;

	uint8_t cmos[RTC_NVRAM_SIZE]; /* time registers: only while SET */
	uint8_t index;
	bool nmi_masked;
	int64_t off_sec;       /* guest time = host time + off_sec + off_nsec */
	uint32_t off_nsec;     /* 0 .. NS_PER_SEC-1 */
	int64_t last_sec;      /* guest second up to which UF/AF are done */
	uint64_t period_next;  /* host ns of the next periodic tick, 0: none */
	uint64_t armed_when;   /* host ns the timer is armed for; UINT64_MAX:
				* disarmed, 0: unknown (re-arm in any case) */
};

struct rtc_tm {
	int64_t year;
	int mon, mday, hour, min, sec, wday;  /* wday 0 = Sunday */
};

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct rtc_tm *tm)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static void rtc_tm_from_secs(int64_t t, struct rtc_tm *tm)
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	int64_t tod = t - days * SECS_PER_DAY;

	civil_from_days(days, tm);
	tm->hour = (int)(tod / 3600);
	tm->min = (int)(tod / 60 % 60);
	tm->sec = (int)(tod % 60);
	tm->wday = (int)(days - floor_div(days + 4, 7) * 7 + 4) % 7;
}

static int64_t rtc_tm_to_secs(const struct rtc_tm *tm)
{
	return days_from_civil(tm->year, tm->mon, 1) * SECS_PER_DAY +
	       (int64_t)(tm->mday - 1) * SECS_PER_DAY +
	       tm->hour * 3600 + tm->min * 60 + tm->sec;
}

/* ---- register encoding ------------------------------------------------- */

static bool rtc_binary(const struct rtc *r)
{
	return (r->cmos[RTC_REG_B] & RTC_B_DM) != 0;
}

static uint8_t rtc_enc(const struct rtc *r, int v)
{
	if (rtc_binary(r))
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Guest-written bytes are decoded without trust: any value gives 0..165. */
static int rtc_dec(const struct rtc *r, uint8_t v)
{
	if (rtc_binary(r))
		return v;
	return (v >> 4) * 10 + (v & 0x0F);
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint8_t rtc_enc_hour(const struct rtc *r, int hour)
{
	int h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_enc(r, hour);
	h12 = hour % 12;
	if (h12 == 0)
		h12 = 12;
	return (uint8_t)(rtc_enc(r, h12) | (hour >= 12 ? 0x80 : 0));
}

/* Returns 0..23, or -1 when the byte is no valid hour. */
static int rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	int h;

	if (r->cmos[RTC_REG_B] & RTC_B_24H) {
		h = rtc_dec(r, v);
		return h <= 23 ? h : -1;
	}
	h = rtc_dec(r, v & 0x7F);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + ((v & 0x80) ? 12 : 0);
}

static bool rtc_is_clock_reg(unsigned int idx)
{
	return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
	       (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY;
}

/* Fills the clock registers of cmos[] from tm in the current modes. */
static void rtc_tm_to_regs(struct rtc *r, const struct rtc_tm *tm)
{
	int64_t y = tm->year;

	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	r->cmos[RTC_SECONDS] = rtc_enc(r, tm->sec);
	r->cmos[RTC_MINUTES] = rtc_enc(r, tm->min);
	r->cmos[RTC_HOURS] = rtc_enc_hour(r, tm->hour);
	r->cmos[RTC_DAY_OF_WEEK] = rtc_enc(r, tm->wday + 1);
	r->cmos[RTC_DAY_OF_MONTH] = rtc_enc(r, tm->mday);
	r->cmos[RTC_MONTH] = rtc_enc(r, tm->mon);
	r->cmos[RTC_YEAR] = rtc_enc(r, (int)(y % 100));
	r->cmos[RTC_CENTURY] = rtc_enc(r, (int)(y / 100));
}

/* Reads the clock registers of cmos[] back, clamping nonsense. */
static void rtc_regs_to_tm(const struct rtc *r, struct rtc_tm *tm)
{
	int hour = rtc_dec_hour(r, r->cmos[RTC_HOURS]);

	tm->sec = clampi(rtc_dec(r, r->cmos[RTC_SECONDS]), 0, 59);
	tm->min = clampi(rtc_dec(r, r->cmos[RTC_MINUTES]), 0, 59);
	tm->hour = hour < 0 ? 0 : hour;
	tm->mday = clampi(rtc_dec(r, r->cmos[RTC_DAY_OF_MONTH]), 1, 31);
	tm->mon = clampi(rtc_dec(r, r->cmos[RTC_MONTH]), 1, 12);
	tm->year = clampi(rtc_dec(r, r->cmos[RTC_CENTURY]), 0, 99) * 100 +
		   clampi(rtc_dec(r, r->cmos[RTC_YEAR]), 0, 99);
	tm->wday = 0;
}

/* ---- the clock --------------------------------------------------------- */

static uint64_t rtc_host_now(const struct rtc *r)
{
	return r->clock_ns ? r->clock_ns(r->clock_ctx) : 0;
}

static void rtc_guest_time(const struct rtc *r, uint64_t now, int64_t *sec,
			   int64_t *nsec)
{
	int64_t s = (int64_t)(now / NS_PER_SEC) + r->off_sec;
	int64_t ns = (int64_t)(now % NS_PER_SEC) + r->off_nsec;

	if (ns >= NS_PER_SEC) {
		ns -= NS_PER_SEC;
		s++;
	}
	*sec = s;
	*nsec = ns;
}

/* Makes the guest clock read sec.nsec at host time now. */
static void rtc_set_guest_time(struct rtc *r, uint64_t now, int64_t sec, int64_t nsec)
{
	int64_t os = sec - (int64_t)(now / NS_PER_SEC);
	int64_t on = nsec - (int64_t)(now % NS_PER_SEC);

	if (on < 0) {
		on += NS_PER_SEC;
		os--;
	}
	r->off_sec = os;
	r->off_nsec = (uint32_t)on;
	r->last_sec = sec;   /* skipped or repeated time raises no UF/AF */
}

static bool rtc_alarm_match(uint8_t raw, int want, int v)
{
	return (raw & 0xC0) == 0xC0 || want == v;
}

/*
 * The first guest second after t whose time of day matches the alarm
 * registers (0xC0-0xFF: don't care), or INT64_MAX when none can.
 */
static int64_t rtc_next_alarm(const struct rtc *r, int64_t t)
{
	uint8_t rs = r->cmos[RTC_SECONDS_ALARM];
	uint8_t rm = r->cmos[RTC_MINUTES_ALARM];
	uint8_t rh = r->cmos[RTC_HOURS_ALARM];
	int as = rtc_dec(r, rs), am = rtc_dec(r, rm), ah = rtc_dec_hour(r, rh);
	int64_t day = floor_div(t + 1, SECS_PER_DAY);
	int64_t tod = t + 1 - day * SECS_PER_DAY;

	for (int d = 0; d < 2; d++) {
		int h0 = d ? 0 : (int)(tod / 3600);
		int m0 = d ? 0 : (int)(tod / 60 % 60);
		int s0 = d ? 0 : (int)(tod % 60);

		for (int h = h0; h < 24; h++) {
			if (!rtc_alarm_match(rh, ah, h))
				continue;
			for (int m = (h == h0) ? m0 : 0; m < 60; m++) {
				int sstart = (h == h0 && m == m0) ? s0 : 0;
				int s;

				if (!rtc_alarm_match(rm, am, m))
					continue;
				if ((rs & 0xC0) == 0xC0)
					s = sstart;
				else if (as >= sstart && as < 60)
					s = as;
				else
					continue;
				return (day + d) * SECS_PER_DAY + h * 3600 + m * 60 + s;
			}
		}
	}
	return INT64_MAX;
}

/* Period of the rate in register A, 0 when off. */
static uint64_t rtc_period_ns(const struct rtc *r)
{
	unsigned int rs = r->cmos[RTC_REG_A] & 0x0F;

	if (rs == 0)
		return 0;
	if (rs <= 2)
		rs += 7;   /* 1, 2 behave as 8, 9: 256 Hz, 128 Hz */
	/* (1 << (rs - 1)) ticks of the 32768 Hz time base */
	return ((uint64_t)NS_PER_SEC << (rs - 1)) / 32768;
}

/* Brings PF/UF/AF up to now; recomputes IRQF and the line. */
static void rtc_update(struct rtc *r, uint64_t now)
{
	uint8_t *c = &r->cmos[RTC_REG_C];
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t period = rtc_period_ns(r);

	if (!(b & RTC_B_SET)) {
		int64_t sec, nsec;

		rtc_guest_time(r, now, &sec, &nsec);
		if (sec > r->last_sec) {
			*c |= RTC_C_UF;
			if (rtc_next_alarm(r, r->last_sec) <= sec)
				*c |= RTC_C_AF;
		}
		r->last_sec = sec;
	}

	if (!period) {
		r->period_next = 0;
	} else if (r->period_next == 0 || r->period_next > now + period) {
		/* started, or the host clock stepped back: new phase */
		r->period_next = now + period;
	} else if (now >= r->period_next) {
		*c |= RTC_C_PF;
		r->period_next += ((now - r->period_next) / period + 1) * period;
	}

	*c &= ~RTC_C_IRQF;
	if (((*c & RTC_C_PF) && (b & RTC_B_PIE)) ||
	    ((*c & RTC_C_AF) && (b & RTC_B_AIE)) ||
	    ((*c & RTC_C_UF) && (b & RTC_B_UIE)))
		*c |= RTC_C_IRQF;

	int level = (*c & RTC_C_IRQF) != 0;
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_line_set(&r->irq, level);
	}
}

/* Arms the timer for the earliest enabled event (after rtc_update()). */
static void rtc_rearm(struct rtc *r, uint64_t now)
{
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t when = UINT64_MAX;

	if (!r->timer.arm)
		return;
	if (!(r->cmos[RTC_REG_C] & RTC_C_IRQF)) {
		if ((b & RTC_B_PIE) && r->period_next)
			when = r->period_next;
		if (!(b & RTC_B_SET) && (b & (RTC_B_UIE | RTC_B_AIE))) {
			int64_t sec, nsec;

			rtc_guest_time(r, now, &sec, &nsec);
			if (b & RTC_B_UIE)
				when = MIN(when, now + (uint64_t)(NS_PER_SEC - nsec));
			if (b & RTC_B_AIE) {
				int64_t a = rtc_next_alarm(r, sec);
				if (a != INT64_MAX)
					when = MIN(when, now + (uint64_t)((a - sec) * NS_PER_SEC - nsec));
			}
		}
	}
	if (when == r->armed_when)
		return;   /* unchanged: spare the timer a system call */
	r->armed_when = when;
	if (when == UINT64_MAX)
		r->timer.arm(r->timer.ctx, 0);
	else
		r->timer.arm(r->timer.ctx, when > now ? when - now : 1);
}

/* ---- guest access ------------------------------------------------------ */

/*
 * Creates an RTC; see rtc.h.  The caller owns the result and frees it with
 * rtc_destroy().
 */
struct rtc *rtc_create(const struct irq_line *irq,
		       uint64_t (*clock_ns)(void *ctx), void *clock_ctx,
		       const struct rtc_timer_ops *timer)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int64_t nsec;

	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	if (irq)
		r->irq = *irq;
	if (timer)
		r->timer = *timer;
	r->clock_ns = clock_ns;
	r->clock_ctx = clock_ctx;
	r->cmos[RTC_REG_A] = RTC_A_RESET;
	r->cmos[RTC_REG_B] = RTC_B_RESET;
	r->cmos[RTC_REG_D] = RTC_D_VRT;
	r->armed_when = UINT64_MAX;
	rtc_guest_time(r, rtc_host_now(r), &r->last_sec, &nsec);
	return r;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* The value of CMOS byte idx as the guest sees it, without side effects. */
static uint8_t rtc_peek(struct rtc *r, unsigned int idx, uint64_t now)
{
	int64_t sec, nsec;
	struct rtc_tm tm;

	switch (idx) {
	case RTC_REG_A:
		rtc_guest_time(r, now, &sec, &nsec);
		if (!(r->cmos[RTC_REG_B] & RTC_B_SET) && nsec >= NS_PER_SEC - RTC_UIP_NS)
			return r->cmos[RTC_REG_A] | RTC_A_UIP;
		return r->cmos[RTC_REG_A];
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		break;
	}
	if (rtc_is_clock_reg(idx) && !(r->cmos[RTC_REG_B] & RTC_B_SET)) {
		rtc_guest_time(r, now, &sec, &nsec);
		rtc_tm_from_secs(sec, &tm);
		rtc_tm_to_regs(r, &tm);
	}
	return r->cmos[idx];
}

static uint8_t rtc_read_data(struct rtc *r)
{
	uint64_t now = rtc_host_now(r);
	uint8_t v;

	if (r->index != RTC_REG_C)
		return rtc_peek(r, r->index, now);
	rtc_update(r, now);
	v = r->cmos[RTC_REG_C];
	r->cmos[RTC_REG_C] = 0;
	rtc_update(r, now);
	rtc_rearm(r, now);
	return v;
}

/* A clock register written while the clock runs: takes effect at once. */
static void rtc_write_clock_running(struct rtc *r, unsigned int idx, uint8_t v,
				    uint64_t now)
{
	int64_t sec, nsec;
	struct rtc_tm tm;

	rtc_guest_time(r, now, &sec, &nsec);
	rtc_tm_from_secs(sec, &tm);
	rtc_tm_to_regs(r, &tm);
	r->cmos[idx] = v;
	rtc_regs_to_tm(r, &tm);
	rtc_set_guest_time(r, now, rtc_tm_to_secs(&tm), nsec);
}

static void rtc_write_b(struct rtc *r, uint8_t v, uint64_t now)
{
	uint8_t old = r->cmos[RTC_REG_B];
	struct rtc_tm tm;
	int64_t sec, nsec;

	if (v & RTC_B_SET)
		v &= (uint8_t)~RTC_B_UIE;   /* SET clears UIE */
	if ((v & RTC_B_SET) && !(old & RTC_B_SET)) {
		/* freeze: the registers now hold the time, in the new modes */
		r->cmos[RTC_REG_B] = v;
		rtc_guest_time(r, now, &sec, &nsec);
		rtc_tm_from_secs(sec, &tm);
		rtc_tm_to_regs(r, &tm);
	} else if (!(v & RTC_B_SET) && (old & RTC_B_SET)) {
		/* run from what the guest wrote, in the modes it wrote them */
		rtc_regs_to_tm(r, &tm);
		r->cmos[RTC_REG_B] = v;
		rtc_set_guest_time(r, now, rtc_tm_to_secs(&tm), 0);
	} else {
		r->cmos[RTC_REG_B] = v;
	}
}

static void rtc_write_data(struct rtc *r, uint8_t v)
{
	unsigned int idx = r->index;
	uint64_t now = rtc_host_now(r);

	rtc_update(r, now);   /* flags up to now, under the old settings */
	switch (idx) {
	case RTC_REG_A:
		if ((r->cmos[RTC_REG_A] ^ v) & 0x0F)
			r->period_next = 0;   /* new rate: new phase */
		r->cmos[RTC_REG_A] = v & (uint8_t)~RTC_A_UIP;
		break;
	case RTC_REG_B:
		rtc_write_b(r, v, now);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;        /* read-only */
	default:
		if (rtc_is_clock_reg(idx) && !(r->cmos[RTC_REG_B] & RTC_B_SET))
			rtc_write_clock_running(r, idx, v, now);
		else
			r->cmos[idx] = v;
		break;
	}
	rtc_update(r, now);
	rtc_rearm(r, now);
}

/*
 * Port 0 (0x70) is write-only and reads 0xFF; port 1 (0x71) reads the
 * selected CMOS byte (register C is cleared by the read).
 */
uint8_t rtc_read(struct rtc *r, unsigned int port)
{
	uint8_t v = 0xFF;

	if (port != 1)
		return v;
	pthread_mutex_lock(&r->lock);
	v = rtc_read_data(r);
	pthread_mutex_unlock(&r->lock);
	return v;
}

void rtc_write(struct rtc *r, unsigned int port, uint8_t val)
{
	if (port > 1)
		return;
	pthread_mutex_lock(&r->lock);
	if (port == 0) {
		r->index = val & 0x7F;
		r->nmi_masked = (val & 0x80) != 0;
	} else {
		rtc_write_data(r, val);
	}
	pthread_mutex_unlock(&r->lock);
}

void rtc_timer_fire(struct rtc *r)
{
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = rtc_host_now(r);
	r->armed_when = 0;    /* the one-shot is spent */
	rtc_update(r, now);
	rtc_rearm(r, now);
	pthread_mutex_unlock(&r->lock);
}

void rtc_nvram_set(struct rtc *r, uint8_t idx, uint8_t v)
{
	idx &= 0x7F;
	if (idx <= RTC_REG_D || idx == RTC_CENTURY)
		return;
	pthread_mutex_lock(&r->lock);
	r->cmos[idx] = v;
	pthread_mutex_unlock(&r->lock);
}

uint8_t rtc_nvram_get(struct rtc *r, uint8_t idx)
{
	uint8_t v;

	pthread_mutex_lock(&r->lock);
	v = rtc_peek(r, idx & 0x7F, rtc_host_now(r));
	pthread_mutex_unlock(&r->lock);
	return v;
}

bool rtc_nmi_masked(struct rtc *r)
{
	bool m;

	pthread_mutex_lock(&r->lock);
	m = r->nmi_masked;
	pthread_mutex_unlock(&r->lock);
	return m;
}

void rtc_reset(struct rtc *r)
{
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = rtc_host_now(r);
	rtc_update(r, now);
	r->cmos[RTC_REG_B] &= (uint8_t)~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
	r->cmos[RTC_REG_C] = 0;
	rtc_update(r, now);
	rtc_rearm(r, now);
	pthread_mutex_unlock(&r->lock);
}

#define RTC_MAX_OFFSET_SEC (400LL * 1000 * 1000 * 1000)  /* ~12700 years */

/*
 * One walk for save and load: the CMOS bytes, the index port and the
 * guest's clock as an offset from host wall-clock time, so a restored VM
 * keeps real time.  The periodic phase restarts after loading.
 */
int rtc_snapshot(struct rtc *r, struct snap *s)
{
	uint32_t version = 1;
	uint8_t cmos[RTC_NVRAM_SIZE];
	uint8_t index;
	bool nmi;
	int64_t off_sec, last_sec;
	uint32_t off_nsec;

	pthread_mutex_lock(&r->lock);
	memcpy(cmos, r->cmos, sizeof(cmos));
	index = r->index;
	nmi = r->nmi_masked;
	off_sec = r->off_sec;
	off_nsec = r->off_nsec;
	last_sec = r->last_sec;

	snap_section(s, "rtc", &version);
	snap_bytes(s, cmos, sizeof(cmos));
	snap_u8(s, &index);
	snap_bool(s, &nmi);
	snap_i64(s, &off_sec);
	snap_u32(s, &off_nsec);
	snap_i64(s, &last_sec);

	if (snap_loading(s) && !snap_error(s)) {
		if (index > 0x7F || off_nsec >= NS_PER_SEC ||
		    off_sec > RTC_MAX_OFFSET_SEC || off_sec < -RTC_MAX_OFFSET_SEC ||
		    last_sec > RTC_MAX_OFFSET_SEC || last_sec < -RTC_MAX_OFFSET_SEC) {
			snap_fail(s, -EINVAL);
		} else {
			uint64_t now = rtc_host_now(r);

			memcpy(r->cmos, cmos, sizeof(cmos));
			r->cmos[RTC_REG_A] &= (uint8_t)~RTC_A_UIP;
			r->cmos[RTC_REG_C] &= RTC_C_PF | RTC_C_AF | RTC_C_UF;
			r->cmos[RTC_REG_D] = RTC_D_VRT;
			r->index = index;
			r->nmi_masked = nmi;
			r->off_sec = off_sec;
			r->off_nsec = off_nsec;
			r->last_sec = last_sec;
			r->period_next = 0;
			r->armed_when = 0;
			rtc_update(r, now);
			rtc_rearm(r, now);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return snap_error(s);
}

/* ---- machine glue ------------------------------------------------------ */

static uint64_t rtc_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size && i < 8; i++)
		v |= (uint64_t)rtc_read(opaque, (unsigned int)MIN(off + i, 2)) << (8 * i);
	return v;
}

static void rtc_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	for (unsigned int i = 0; i < size && i < 8; i++)
		if (off + i < 2)
			rtc_write(opaque, (unsigned int)(off + i), (uint8_t)(val >> (8 * i)));
}

static const struct trap_ops rtc_pio_ops = {
	.read = rtc_pio_read,
	.write = rtc_pio_write,
};

static uint64_t rtc_realtime_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* ctx is the evloop timer, filled in once both exist. */
static void rtc_evtimer_arm(void *ctx, uint64_t delay_ns)
{
	if (ctx)
		evloop_timer_arm(ctx, delay_ns, 0);
}

static void rtc_evtimer_cb(void *opaque)
{
	rtc_timer_fire(opaque);
}

static void rtc_dev_teardown(void *dev)
{
	struct rtc *r = dev;

	if (r->timer.ctx)
		evloop_timer_free(r->timer.ctx);
	rtc_destroy(r);
}

static void rtc_dev_reset(void *dev)
{
	rtc_reset(dev);
}

static int rtc_dev_snapshot(void *dev, struct snap *s)
{
	return rtc_snapshot(dev, s);
}

static const struct device_desc rtc_desc;

static int rtc_setup(struct machine *m)
{
	struct irq_line irq = machine_irq(m, IRQ_RTC);
	struct rtc_timer_ops ops = { .arm = rtc_evtimer_arm, .ctx = NULL };
	struct evloop_timer *t;
	struct rtc *r;
	int rc;

	r = rtc_create(&irq, rtc_realtime_ns, NULL, &ops);
	if (!r)
		return -ENOMEM;
	t = evloop_timer_new(machine_evloop(m), rtc_evtimer_cb, r);
	if (!t) {
		rtc_destroy(r);
		return -ENOMEM;
	}
	pthread_mutex_lock(&r->lock);
	r->timer.ctx = t;
	pthread_mutex_unlock(&r->lock);

	rc = trap_register(machine_traps(m), TRAP_PIO, PORT_RTC, 2, &rtc_pio_ops, r);
	if (rc < 0) {
		rtc_dev_teardown(r);
		return rc;
	}
	rc = machine_attach(m, &rtc_desc, r);
	if (rc < 0) {
		trap_unregister(machine_traps(m), TRAP_PIO, PORT_RTC);
		rtc_dev_teardown(r);
		return rc;
	}
	return 0;
}

static const struct device_desc rtc_desc = {
	.name = "rtc",
	.order = DEVICE_ORDER_CORE,
	.setup = rtc_setup,
	.teardown = rtc_dev_teardown,
	.reset = rtc_dev_reset,
	.snapshot = rtc_dev_snapshot,
};
DEVICE_DEFINE(rtc_desc);
