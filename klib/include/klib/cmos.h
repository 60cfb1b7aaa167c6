/* cmos.h: the MC146818 CMOS real-time clock behind ports 0x70/0x71
 * (Motorola MC146818A datasheet). */
#ifndef KLIB_CMOS_H
#define KLIB_CMOS_H

#include <stdint.h>

#define CMOS_SECONDS   0x00
#define CMOS_MINUTES   0x02
#define CMOS_HOURS     0x04
#define CMOS_WEEKDAY   0x06
#define CMOS_DAY       0x07
#define CMOS_MONTH     0x08
#define CMOS_YEAR      0x09
#define CMOS_STATUS_A  0x0a
#define CMOS_STATUS_B  0x0b
#define CMOS_STATUS_C  0x0c
#define CMOS_CENTURY   0x32

#define CMOS_A_UIP     0x80   /* an update is in progress: fields may be torn */
#define CMOS_B_UIE     0x10   /* update-ended interrupt (IRQ8, once a second) */
#define CMOS_B_BINARY  0x04   /* fields are binary, not BCD */
#define CMOS_B_24H     0x02
#define CMOS_C_UF      0x10   /* update-ended flag; reading C acknowledges IRQ8 */

uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t val);

/* Raw register values, read twice until two reads agree with UIP clear. */
struct rtc_time {
    uint8_t sec, min, hour, day, month, year, century, weekday;
};
void rtc_read_raw(struct rtc_time *t);
/* The same time in binary (converted from BCD unless status B says binary). */
void rtc_read(struct rtc_time *t);
static inline unsigned bcd_to_bin(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

#endif
