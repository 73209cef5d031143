/*
 * rtc.c - CMOS access (index 0x70, data 0x71; NMI-disable bit left clear)
 * and the "rtc" test mode: read the MC146818 date and time, honouring
 * status register B (DM: binary vs BCD, 24/12 hour with the PM bit), after
 * the update-in-progress bit clears, twice until two reads agree.  The
 * century comes from CMOS 0x32 when non-zero, else 19xx/20xx by year.
 */
#include "tk.h"

u8 cmos_read(u8 reg)
{
	outb(0x70, reg & 0x7F);
	return inb(0x71);
}

void cmos_write(u8 reg, u8 v)
{
	outb(0x70, reg & 0x7F);
	outb(0x71, v);
}

struct rtc_raw {
	u8 sec, min, hour, day, mon, year, century;
};

static int rtc_read_raw(struct rtc_raw *r)
{
	struct deadline d;

	deadline_start(&d, 1500);		/* UIP lasts < 2 ms per second */
	while (cmos_read(0x0A) & 0x80)
		if (deadline_expired(&d))
			return -1;
	r->sec = cmos_read(0x00);
	r->min = cmos_read(0x02);
	r->hour = cmos_read(0x04);
	r->day = cmos_read(0x07);
	r->mon = cmos_read(0x08);
	r->year = cmos_read(0x09);
	r->century = cmos_read(0x32);
	return 0;
}

static u32 bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0x0F);
}

void rtc_test(void)
{
	struct rtc_raw a, b;
	int ok = 0;

	for (int tries = 0; tries < 5 && !ok; tries++) {
		if (rtc_read_raw(&a) < 0 || rtc_read_raw(&b) < 0)
			break;
		ok = memcmp(&a, &b, sizeof(a)) == 0;
	}
	if (!ok) {
		kprintf("rtc: FAIL no stable reading\n");
		return;
	}
	u8 regb = cmos_read(0x0B);
	int binary = regb & 0x04, h24 = regb & 0x02;
	int pm = !h24 && (a.hour & 0x80);
	u8 hr = h24 ? a.hour : (a.hour & 0x7F);
	u32 sec = binary ? a.sec : bcd(a.sec);
	u32 min = binary ? a.min : bcd(a.min);
	u32 hour = binary ? hr : bcd(hr);
	u32 day = binary ? a.day : bcd(a.day);
	u32 mon = binary ? a.mon : bcd(a.mon);
	u32 year = binary ? a.year : bcd(a.year);
	u32 cent = binary ? a.century : bcd(a.century);
	if (!h24)
		hour = hour % 12 + (pm ? 12 : 0);
	if (cent)
		year += cent * 100;
	else
		year += year < 70 ? 2000 : 1900;
	kprintf("rtc: %04u-%02u-%02u %02u:%02u:%02u\n", year, mon, day, hour, min, sec);
}
