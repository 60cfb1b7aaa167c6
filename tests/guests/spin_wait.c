/* spin_wait: the polling loops system software waits in, written the way Xen
 * and Linux write them (no stores in the loop): the RTC's UIP edge bounded by
 * elapsed TSC (Xen's get_cmos_time), the PIT's channel-2 OUT through port 0x61
 * counting polls (a TSC calibration), a TSC delay with PAUSE (udelay) and a
 * wait on the ACPI PM timer. Each prints what it measured; under hvsim the
 * numbers are functions of virtual time, so a run with spin-loop
 * fast-forward (cpu/ffwd.c) must print the same bytes as one without
 * (tests/guests/ffwd_same.sh). 32- and 64-bit. QEMU's devices follow the
 * host clock and a poll costs host time (a loaded host stretches any wait), so
 * with "tcg-quirks" the windows hvsim meets exactly are not checked. */
#include "klib/acpi.h"
#include "klib/cmos.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/test.h"
#include "klib/x86.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_A_UIP 0x80
#define PORT61 0x61
#define PORT61_GATE2 0x01
#define PORT61_SPKR 0x02
#define PORT61_OUT2 0x20
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_HZ 1193182u
#define FADT_PM_TMR_BLK 76
#define PM_TIMER_HZ 3579545u

/* TSC ticks per second, measured once against the PIT (hvsim: 10^9). */
static uint64_t tsc_hz;

/* n / d without libgcc's 64-bit division (32-bit kernels link none). */
static uint64_t udiv64(uint64_t n, uint64_t d)
{
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ULL << i;
        }
    }
    return q;
}

/* TSC ticks as microseconds and milliseconds. */
static unsigned tsc_us(uint64_t t) { return (unsigned)udiv64(t * 1000000, tsc_hz); }
static unsigned tsc_ms(uint64_t t) { return (unsigned)udiv64(t * 1000, tsc_hz); }

static uint8_t reg_a(void)
{
    outb(RTC_INDEX, CMOS_STATUS_A);
    return inb(RTC_DATA);
}

/* Xen 4.17's get_cmos_time: wait up to a second for UIP to rise, then up to
 * 3 ms for it to fall, each bounded by elapsed TSC time. */
static void rtc_edge(void)
{
    uint64_t second = tsc_hz, ms3 = udiv64(tsc_hz * 3, 1000), start, t1, t2;
    uint8_t a;

    test_section("RTC: UIP rises, then falls (bounded by the TSC)");
    start = rdtsc();
    do {
        t1 = rdtsc() - start;
        a = reg_a();
    } while (!(a & RTC_A_UIP) && t1 <= second);
    outb(RTC_INDEX, CMOS_SECONDS);
    uint8_t s0 = inb(RTC_DATA);
    start = rdtsc();
    do {
        t2 = rdtsc() - start;
        a = reg_a();
    } while ((a & RTC_A_UIP) && t2 < ms3);
    outb(RTC_INDEX, CMOS_SECONDS);
    uint8_t s1 = inb(RTC_DATA);
    kprintf("  rise after %u us, fall %u us later\n", tsc_us(t1), tsc_us(t2));
    check(t1 <= second, "UIP rose within a second");
    check(tcg_quirks() || (t2 < ms3 && tsc_us(t2) >= 200), "UIP fell 200 us to 3 ms after it rose");
    /* QEMU: a poll can land on the window's edge and see its seconds a moment late. */
    check(tcg_quirks() || s1 != s0, "the seconds moved on at the fall (%02x to %02x)", s0, s1);
}

/* A calibration as Xen's and Linux's PIT fallback makes it: channel 2 in mode
 * 0 with the gate high, polls of port 0x61 counted until OUT2 goes high. */
static void pit_oneshot(void)
{
    const unsigned count = PIT_HZ / 100; /* 10 ms */
    uint32_t polls = 0;

    test_section("PIT channel 2 one-shot, polled through port 0x61");
    outb(PORT61, (uint8_t)((inb(PORT61) & ~PORT61_SPKR) | PORT61_GATE2));
    outb(PIT_CMD, 0xb0); /* channel 2, low then high byte, mode 0, binary */
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
    uint64_t t0 = rdtsc();
    while (!(inb(PORT61) & PORT61_OUT2))
        polls++;
    uint64_t dt = rdtsc() - t0;
    kprintf("  %u polls, %u us\n", polls, tsc_us(dt));
    check(polls > 100, "it took many polls");
    check(tsc_ms(dt) >= 9 && tsc_ms(dt) <= (tcg_quirks() ? ~0u : 12u), "OUT2 rose after about 10 ms");
}

/* Linux's delay_tsc: PAUSE between TSC reads until the cycles have passed. */
static void tsc_delay_loop(void)
{
    uint64_t wait = udiv64(tsc_hz, 20), t0 = rdtsc(), t;
    uint32_t turns = 0;

    test_section("a TSC delay with PAUSE (udelay)");
    do {
        cpu_relax();
        turns++;
        t = rdtsc();
    } while (t - t0 < wait);
    kprintf("  %u turns, %u us\n", turns, tsc_us(t - t0));
    check(t - t0 >= wait && (tcg_quirks() || t - t0 < wait + udiv64(wait, 100)), "50 ms passed, and not much more");
}

/* A wait on the ACPI PM timer, masked to its 24 bits as drivers do. */
static void pm_wait(void)
{
    const uint8_t *fadt = (const uint8_t *)acpi_find_table("FACP");

    test_section("a wait on the ACPI PM timer");
    if (!check(fadt != 0, "FADT found"))
        return;
    uint16_t port = (uint16_t)(fadt[FADT_PM_TMR_BLK] | fadt[FADT_PM_TMR_BLK + 1] << 8);
    uint32_t want = PM_TIMER_HZ / 10, start = inl(port) & 0xffffff, now, polls = 0;
    uint64_t t0 = rdtsc();
    do {
        now = inl(port) & 0xffffff;
        polls++;
    } while (((now - start) & 0xffffff) < want);
    uint64_t dt = rdtsc() - t0;
    kprintf("  %u polls, %u us\n", polls, tsc_us(dt));
    /* QEMU: the TSC rate measured against its host-timed PIT is too rough. */
    check(tcg_quirks() || (tsc_ms(dt) >= 99 && tsc_ms(dt) <= 102), "100 ms of PM timer took 100 ms of TSC");
}

/* TSC rate from a 50 ms PIT one-shot (channel 2), whatever the CPU. */
static void measure_tsc(void)
{
    outb(PORT61, (uint8_t)((inb(PORT61) & ~PORT61_SPKR) | PORT61_GATE2));
    outb(PIT_CMD, 0xb0);
    outb(PIT_CH2, (PIT_HZ / 20) & 0xff);
    outb(PIT_CH2, (PIT_HZ / 20) >> 8);
    uint64_t t0 = rdtsc();
    while (!(inb(PORT61) & PORT61_OUT2))
        ;
    tsc_hz = (rdtsc() - t0) * 20;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    measure_tsc();
    kprintf("  TSC at about %u MHz\n", (unsigned)udiv64(tsc_hz, 1000000));
    rtc_edge();
    pit_oneshot();
    tsc_delay_loop();
    pm_wait();
    test_finish();
}
