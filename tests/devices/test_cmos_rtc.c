/* Tests for the CMOS RTC through its ops table: time from the epoch and virtual
 * clock, BCD/binary and 12/24 h, setting the clock, UIP, periodic, update and
 * alarm interrupts, register C, memory bytes, NMI bit, save/load, the exact
 * UIP/UF edges and the bus cost of an access. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "base/evq.h"
#include "devices/cmos_rtc.h"

static struct evq q;
static struct cmos_rtc *c;
static int level, rises;

static void on_irq(void *opaque, int l)
{
    if (l && !level)
        rises++;
    level = l;
}

static void setup(void)
{
    struct cmos_rtc_config cfg = { .epoch = CMOS_RTC_EPOCH_DEFAULT, .ram_below_4g = 128 << 20,
                                   .ram_above_4g = 1ULL << 32, .irq = { on_irq, NULL } };
    level = rises = 0;
    cr_assert_eq(evq_init(&q), 0);
    c = cmos_rtc_create(&q, &cfg);
    cr_assert_not_null(c);
}

static void teardown(void)
{
    cmos_rtc_destroy(c);
    evq_destroy(&q);
}

static uint8_t rd(uint8_t idx)
{
    cmos_rtc_ops.write(c, 0, idx, 1);
    return (uint8_t)cmos_rtc_ops.read(c, 1, 1);
}

static void wr(uint8_t idx, uint8_t v)
{
    cmos_rtc_ops.write(c, 0, idx, 1);
    cmos_rtc_ops.write(c, 1, v, 1);
}

TestSuite(rtc, .init = setup, .fini = teardown);

Test(rtc, epoch_in_bcd)
{
    cr_assert_eq(rd(0x00), 0x00);
    cr_assert_eq(rd(0x04), 0x00);
    cr_assert_eq(rd(0x06), 5, "2026-01-01 is a Thursday");
    cr_assert_eq(rd(0x07), 0x01);
    cr_assert_eq(rd(0x08), 0x01);
    cr_assert_eq(rd(0x09), 0x26);
    cr_assert_eq(rd(0x32), 0x20);
    cr_assert_eq(rd(0x0d), 0x80);
}

Test(rtc, advances_with_virtual_time)
{
    q.now = 3661 * VTIME_S + 500 * VTIME_MS;
    cr_assert_eq(rd(0x04), 0x01);
    cr_assert_eq(rd(0x02), 0x01);
    cr_assert_eq(rd(0x00), 0x01);
    q.now = 59ULL * 86400 * VTIME_S; /* 2026-03-01 */
    cr_assert_eq(rd(0x08), 0x03);
    cr_assert_eq(rd(0x07), 0x01);
}

Test(rtc, binary_and_12_hour)
{
    q.now = 13ULL * 3600 * VTIME_S + 45 * VTIME_S;
    wr(0x0b, 0x04); /* binary, 12 h */
    cr_assert_eq(rd(0x04), 0x81, "1 PM");
    cr_assert_eq(rd(0x00), 45);
    wr(0x0b, 0x00); /* BCD, 12 h */
    q.now = 45 * VTIME_S;
    cr_assert_eq(rd(0x04), 0x12, "midnight is 12 AM");
}

Test(rtc, guest_sets_the_clock)
{
    q.now = 10 * VTIME_S;
    wr(0x0b, 0x82); /* SET */
    wr(0x04, 0x23);
    wr(0x02, 0x59);
    wr(0x00, 0x58);
    q.now = 20 * VTIME_S;
    cr_assert_eq(rd(0x00), 0x58, "frozen while SET");
    wr(0x0b, 0x02);
    cr_assert_eq(cmos_rtc_time(c), CMOS_RTC_EPOCH_DEFAULT + 86399 - 1);
    q.now = 22 * VTIME_S;
    cr_assert_eq(rd(0x07), 0x02, "rolled over to the next day");
    cr_assert_eq(rd(0x00), 0x00);
}

Test(rtc, uip_before_each_update)
{
    q.now = 5 * VTIME_S + 500 * VTIME_MS;
    cr_assert_eq(rd(0x0a) & 0x80, 0);
    q.now = 6 * VTIME_S - 100 * VTIME_US;
    cr_assert_eq(rd(0x0a) & 0x80, 0x80);
    cr_assert_eq(rd(0x0a) & 0x7f, 0x26);
}

Test(rtc, periodic_interrupt_rate)
{
    wr(0x0a, 0x26); /* 1024 Hz */
    wr(0x0b, 0x42); /* PIE */
    while (evq_next(&q) <= VTIME_S) {
        evq_run_until(&q, evq_next(&q));
        cr_assert_eq(level, 1);
        cr_assert_eq(rd(0x0c) & 0xc0, 0xc0);
        cr_assert_eq(level, 0);
    }
    cr_assert_eq(rises, 1024);
}

Test(rtc, update_and_alarm_interrupts)
{
    wr(0x01, 0x05);
    wr(0x03, 0x00);
    wr(0x05, 0xc0); /* any hour */
    wr(0x0b, 0x22); /* AIE */
    evq_run_until(&q, 4 * VTIME_S + 999 * VTIME_MS);
    cr_assert_eq(level, 0);
    evq_run_until(&q, 5 * VTIME_S);
    cr_assert_eq(level, 1);
    cr_assert_eq(rd(0x0c) & 0xb0, 0xb0, "IRQF, AF and UF");
    wr(0x0b, 0x12); /* UIE */
    evq_run_until(&q, 6 * VTIME_S);
    cr_assert_eq(rd(0x0c) & 0xb0, 0x90);
}

Test(rtc, polled_flags_without_interrupts)
{
    q.now = 2 * VTIME_S;
    cr_assert_eq(rd(0x0c), 0x50, "PF and UF seen by polling, no IRQF");
    cr_assert_eq(rd(0x0c), 0x00);
    cr_assert_eq(rises, 0);
}

Test(rtc, memory_bytes_and_ram)
{
    cr_assert_eq(rd(0x15) | rd(0x16) << 8, 640);
    cr_assert_eq(rd(0x17) | rd(0x18) << 8, 0xffff);
    cr_assert_eq(rd(0x30) | rd(0x31) << 8, 0xffff);
    cr_assert_eq(rd(0x34) | rd(0x35) << 8, (128 - 16) * 16);
    cr_assert_eq(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 0x10000);
    wr(0x40, 0xab);
    cr_assert_eq(rd(0x40), 0xab);
    wr(0x0d, 0x00);
    cr_assert_eq(rd(0x0d), 0x80, "D is read-only");
}

Test(rtc, nmi_bit_and_bad_access)
{
    cmos_rtc_ops.write(c, 0, 0x8f, 1);
    cr_assert_eq(cmos_rtc_nmi_disabled(c), 1);
    cmos_rtc_ops.write(c, 0, 0x0f, 1);
    cr_assert_eq(cmos_rtc_nmi_disabled(c), 0);
    cr_assert_eq(cmos_rtc_ops.read(c, 0, 1), 0xff);
    cr_assert_eq(cmos_rtc_ops.read(c, 1, 2), 0xffff);
}

Test(rtc, save_load_keeps_clock_and_events)
{
    struct buf b;
    struct buf_reader r;

    q.now = 3 * VTIME_S;
    wr(0x0b, 0x82);
    wr(0x04, 0x07);
    wr(0x0b, 0x42); /* PIE, 1024 Hz */
    evq_run_until(&q, 3 * VTIME_S + 5 * VTIME_MS);
    buf_init(&b);
    cr_assert_eq(cmos_rtc_ops.save(c, &b), 0);
    vtime_t next = evq_next(&q);
    wr(0x0b, 0x02);
    wr(0x04, 0x00);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(cmos_rtc_ops.load(c, &r), 0);
    cr_assert_eq(rd(0x04), 0x07);
    cr_assert_eq(evq_next(&q), next);
    buf_reader_init(&r, b.data, b.len - 1);
    cr_assert_eq(cmos_rtc_ops.load(c, &r), HV_ECORRUPT);
    buf_free(&b);
}

Test(rtc, uip_and_uf_edges_exact)
{
    q.now = 5 * VTIME_S + 500 * VTIME_MS;
    rd(0x0c); /* clears the flags of the updates at 1-5 s */
    q.now = 6 * VTIME_S - 244 * VTIME_US - 1;
    cr_assert_eq(rd(0x0a) & 0x80, 0, "UIP still low 244 us + 1 ns before the update");
    q.now = 6 * VTIME_S - 244 * VTIME_US;
    cr_assert_eq(rd(0x0a) & 0x80, 0x80, "UIP rises 244 us before it");
    q.now = 6 * VTIME_S - 1;
    cr_assert_eq(rd(0x0a) & 0x80, 0x80);
    cr_assert_eq(rd(0x0c) & 0x10, 0, "no UF before the update");
    q.now = 6 * VTIME_S;
    cr_assert_eq(rd(0x0a) & 0x80, 0, "UIP falls at the update");
    cr_assert_eq(rd(0x0c) & 0x10, 0x10, "UF at the update");
    cr_assert_eq(rd(0x00), 0x06, "and the seconds moved on");
}

Test(rtc, update_interrupt_on_the_second)
{
    q.now = 5 * VTIME_S + 300 * VTIME_MS;
    wr(0x0b, 0x12); /* UIE */
    cr_assert_eq(evq_next(&q), 6 * VTIME_S, "the next update, not a second from now");
    evq_run_until(&q, 6 * VTIME_S - 1);
    cr_assert_eq(level, 0);
    evq_run_until(&q, 6 * VTIME_S);
    cr_assert_eq(level, 1);
    cr_assert_eq(rd(0x0c) & 0x90, 0x90);
    evq_run_until(&q, 7 * VTIME_S);
    cr_assert_eq(rises, 2, "one a second");
}

Test(rtc, an_access_costs_an_isa_cycle)
{
    /* A poll of UIP (OUT 0x70, IN 0x71) must cost what a PC's does, about
     * 1 us an access, so a one-second wait is some 500000 polls, not 10^8. */
    cr_assert(cmos_rtc_ops.access_ns >= 500 && cmos_rtc_ops.access_ns <= 2000, "access_ns %u",
              cmos_rtc_ops.access_ns);
}
