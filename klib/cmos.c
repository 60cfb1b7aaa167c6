/* cmos.c: CMOS RTC registers through the index/data ports 0x70/0x71
 * (MC146818A datasheet: update cycle, status registers A-C). */
#include "klib/cmos.h"
#include "klib/memlayout.h"
#include "klib/x86.h"

uint8_t cmos_read(uint8_t reg)
{
    outb(PORT_CMOS, reg);
    return inb(PORT_CMOS + 1);
}

void cmos_write(uint8_t reg, uint8_t val)
{
    outb(PORT_CMOS, reg);
    outb(PORT_CMOS + 1, val);
}

static void read_once(struct rtc_time *t)
{
    while (cmos_read(CMOS_STATUS_A) & CMOS_A_UIP)
        cpu_relax();
    t->sec = cmos_read(CMOS_SECONDS);
    t->min = cmos_read(CMOS_MINUTES);
    t->hour = cmos_read(CMOS_HOURS);
    t->weekday = cmos_read(CMOS_WEEKDAY);
    t->day = cmos_read(CMOS_DAY);
    t->month = cmos_read(CMOS_MONTH);
    t->year = cmos_read(CMOS_YEAR);
    t->century = cmos_read(CMOS_CENTURY);
}

/* An update can start between the UIP check and the reads; two equal reads
 * in a row cannot straddle one. */
void rtc_read_raw(struct rtc_time *t)
{
    struct rtc_time again;
    read_once(t);
    for (;;) {
        read_once(&again);
        if (again.sec == t->sec && again.min == t->min && again.hour == t->hour &&
            again.day == t->day && again.month == t->month && again.year == t->year)
            return;
        *t = again;
    }
}

void rtc_read(struct rtc_time *t)
{
    rtc_read_raw(t);
    if (cmos_read(CMOS_STATUS_B) & CMOS_B_BINARY)
        return;
    /* In 12-hour BCD mode bit 7 of the hour is PM; keep it outside the digits. */
    uint8_t pm = t->hour & 0x80;
    t->sec = bcd_to_bin(t->sec);
    t->min = bcd_to_bin(t->min);
    t->hour = bcd_to_bin(t->hour & 0x7f) | pm;
    t->day = bcd_to_bin(t->day);
    t->month = bcd_to_bin(t->month);
    t->year = bcd_to_bin(t->year);
    t->century = bcd_to_bin(t->century);
}
