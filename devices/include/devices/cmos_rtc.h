/* CMOS RAM and MC146818 real-time clock at ports 0x70/0x71: time from the
 * virtual clock plus a fixed epoch, alarms, periodic and update interrupts on
 * IRQ8, and the BIOS memory-size bytes. Follows the Motorola MC146818A datasheet. */
#ifndef DEVICES_CMOS_RTC_H
#define DEVICES_CMOS_RTC_H

#include <stdint.h>

#include "base/evq.h"
#include "devices/dev.h"

#define CMOS_RTC_PORT_LEN 2                /* 0x70 index (bit 7: NMI disable), 0x71 data */
#define CMOS_RTC_EPOCH_DEFAULT 1767225600LL /* 2026-01-01T00:00:00Z */
#define CMOS_CENTURY 0x32                  /* the FADT's CENTURY field points here */

struct cmos_rtc_config {
    int64_t epoch;          /* Unix seconds shown at virtual time 0 */
    uint64_t ram_below_4g;  /* bytes, for CMOS 0x15-0x18, 0x30-0x31, 0x34-0x35 */
    uint64_t ram_above_4g;  /* bytes, for CMOS 0x5b-0x5d */
    struct irq_line irq;    /* IRQ8 */
};

struct cmos_rtc;

struct cmos_rtc *cmos_rtc_create(struct evq *q, const struct cmos_rtc_config *cfg);
void cmos_rtc_destroy(struct cmos_rtc *c);
/* Bit 7 of the last index written: the guest asked for NMIs to be masked. */
int cmos_rtc_nmi_disabled(const struct cmos_rtc *c);
/* The Unix time the clock shows now (the guest may have set it). */
int64_t cmos_rtc_time(const struct cmos_rtc *c);

extern const struct dev_ops cmos_rtc_ops;

#endif
