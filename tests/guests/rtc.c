/* rtc: the CMOS real-time clock: valid BCD fields in range, and the seconds
 * advance both across a busy wait and across update-ended interrupts on IRQ8
 * (MC146818A datasheet; IRQ8 through the slave 8259). 32-bit. */
#include "klib/cmos.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/pic.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define IRQ_RTC 8

static volatile unsigned updates;
static volatile uint8_t update_sec[3];

static int bcd_ok(uint8_t v, unsigned lo, unsigned hi)
{
    return (v & 0xf) <= 9 && (v >> 4) <= 9 && bcd_to_bin(v) >= lo && bcd_to_bin(v) <= hi;
}

static void on_rtc(struct trapframe *tf)
{
    (void)tf;
    /* Reading C acknowledges the interrupt; without it IRQ8 stays high. */
    if ((cmos_read(CMOS_STATUS_C) & CMOS_C_UF) && updates < 3)
        update_sec[updates++] = cmos_read(CMOS_SECONDS);
    pic_eoi(IRQ_RTC);
}

/* Pure computation between reads: cheap for a simulator, unlike device polling. */
static unsigned busy_wait_for_new_second(uint8_t start)
{
    uint32_t x = 1;
    for (unsigned polls = 0; polls < 20000; polls++) {
        for (int i = 0; i < 100000; i++)
            x = x * 1103515245 + 12345;
        asm volatile("" : : "r"(x));
        if (cmos_read(CMOS_SECONDS) != start)
            return polls + 1;
    }
    return 0;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("CMOS RTC fields");
    uint8_t b = cmos_read(CMOS_STATUS_B);
    check(!(b & CMOS_B_BINARY) && (b & CMOS_B_24H), "status B %#x: BCD, 24-hour (the PC default)", b);
    struct rtc_time t;
    rtc_read_raw(&t);
    kprintf("  time %02x%02x-%02x-%02x %02x:%02x:%02x weekday %x\n", t.century, t.year, t.month, t.day, t.hour,
            t.min, t.sec, t.weekday);
    check(bcd_ok(t.sec, 0, 59) && bcd_ok(t.min, 0, 59) && bcd_ok(t.hour, 0, 23), "time of day is valid BCD");
    check(bcd_ok(t.day, 1, 31) && bcd_ok(t.month, 1, 12) && bcd_ok(t.year, 0, 99), "date is valid BCD");
    check(bcd_ok(t.weekday, 1, 7), "weekday is 1-7");
    check(bcd_ok(t.century, 19, 21), "century (register 0x32) is 19-21");

    test_section("the seconds advance during a busy wait");
    uint8_t s0 = cmos_read(CMOS_SECONDS);
    unsigned polls = busy_wait_for_new_second(s0);
    uint8_t s1 = cmos_read(CMOS_SECONDS);
    check(polls && bcd_to_bin(s1) == (bcd_to_bin(s0) + 1) % 60, "seconds went from %02x to %02x", s0, s1);

    test_section("update-ended interrupts (IRQ8)");
    trap_set_handler(VEC_IRQ0 + IRQ_RTC, on_rtc);
    cmos_read(CMOS_STATUS_C);
    cmos_write(CMOS_STATUS_B, b | CMOS_B_UIE);
    pic_unmask(IRQ_RTC);
    while (updates < 3)
        sti_hlt();
    cli();
    cmos_write(CMOS_STATUS_B, b);
    check(bcd_to_bin(update_sec[1]) == (bcd_to_bin(update_sec[0]) + 1) % 60 &&
              bcd_to_bin(update_sec[2]) == (bcd_to_bin(update_sec[1]) + 1) % 60,
          "one interrupt a second: seconds %02x, %02x, %02x", update_sec[0], update_sec[1], update_sec[2]);
    test_finish();
}
