/* pit_timer: the 8254 PIT at 100 Hz on IRQ0 through the 8259 PIC. Interrupts
 * arrive evenly spaced in TSC time, never while IF = 0 or the line is masked,
 * and a held interrupt is delivered as soon as it is allowed. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/pic.h"
#include "klib/pit.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define HZ       100
#define DIVISOR  ((PIT_HZ + HZ / 2) / HZ)   /* 11932: 99.998 Hz */
#define TICKS    50

static volatile unsigned ticks;
static volatile uint64_t stamp[TICKS + 1];

static void on_irq0(struct trapframe *tf)
{
    (void)tf;
    if (ticks <= TICKS)
        stamp[ticks] = rdtsc();
    ticks++;
    pic_eoi(0);
}

static void wait_for_tick(unsigned target)
{
    while (ticks < target)
        sti_hlt();
    cli();
}

/* TSC cycles per PIT tick from CPUID leaf 0x15 (crystal clock), or 0. */
static uint64_t cpuid_tsc_per_tick(void)
{
    if (cpuid(0, 0).eax < 0x15)
        return 0;
    struct cpuid_regs r = cpuid(0x15, 0);
    if (!r.eax || !r.ebx || !r.ecx)
        return 0;
    uint64_t tsc_hz = (uint64_t)r.ecx * r.ebx / r.eax;
    return tsc_hz * DIVISOR / PIT_HZ;
}

/* With the interrupt held back for three periods by `hold`, nothing arrives;
 * once `release` allows it, exactly one (the latched request) comes at once. */
static void check_held(const char *what, void (*hold)(void), void (*release)(void), uint64_t period)
{
    unsigned before = ticks;
    hold();
    tsc_delay(3 * period);
    check(ticks == before, "no IRQ0 while %s (%u arrived)", what, ticks - before);
    uint64_t t0 = rdtsc();
    release();
    while (ticks == before && rdtsc() - t0 < period)
        cpu_relax();
    uint64_t latency = rdtsc() - t0;
    cli();
    check(ticks == before + 1 && latency < period / 4,
          "the held IRQ0 arrives once, %llu TSC cycles after %s ends", (unsigned long long)latency, what);
    pic_unmask(0);
}

static void hold_if(void) { cli(); }
static void release_if(void) { sti(); }
static void hold_mask(void) { pic_mask(0); sti(); }
static void release_mask(void) { pic_unmask(0); }

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    int strict = !tcg_quirks();
    test_section("8254 PIT channel 0 at 100 Hz through the 8259 PIC");
    trap_set_handler(VEC_IRQ0, on_irq0);
    pit_periodic(DIVISOR);

    uint16_t c1 = pit_read_count();
    tsc_delay(200000);
    uint16_t c2 = pit_read_count();
    /* Mode 2 counts N down to 1: a read at the instant of programming may see N. */
    check(c1 <= DIVISOR && c2 < DIVISOR && c1 != c2, "the latched count runs down from the divisor (%u, then %u)", c1, c2);

    pic_unmask(0);
    wait_for_tick(TICKS + 1);
    check(ticks >= TICKS + 1, "%d interrupts arrived", TICKS + 1);

    /* The median interval is the period; a late interval stands out from it. */
    uint64_t d[TICKS];
    for (int i = 0; i < TICKS; i++) {
        uint64_t v = stamp[i + 1] - stamp[i];
        int j = i;
        for (; j > 0 && d[j - 1] > v; j--)
            d[j] = d[j - 1];
        d[j] = v;
    }
    uint64_t period = d[TICKS / 2];
    kprintf("  median interval %llu TSC cycles (min %llu, max %llu): TSC at %llu MHz\n",
            (unsigned long long)period, (unsigned long long)d[0], (unsigned long long)d[TICKS - 1],
            (unsigned long long)(period * HZ / 1000000));
    /* Virtual time makes the spacing exact. QEMU's device clock is the host's:
     * there, 80% of the intervals within 50% will do. */
    uint64_t slack = strict ? period / 50 : period / 2;
    int within = 0;
    for (int i = 0; i < TICKS; i++)
        within += d[i] + slack >= period && d[i] <= period + slack;
    check(strict ? within == TICKS : within >= TICKS * 4 / 5, "%d of %d intervals within %s of the median", within,
          TICKS, strict ? "2%" : "50%");
    check(period * HZ >= 50000000ull && period * HZ <= 20000000000ull,
          "the TSC rate implied by the PIT is plausible (50 MHz - 20 GHz)");
    uint64_t expect = cpuid_tsc_per_tick();
    if (expect)
        check(period + expect / 100 >= expect && period <= expect + expect / 100,
              "the interval matches CPUID 0x15's TSC frequency within 1%% (%llu expected)",
              (unsigned long long)expect);
    else
        kprintf("  skip CPUID leaf 0x15 gives no TSC frequency\n");

    check_held("IF = 0", hold_if, release_if, period);
    check_held("the line is masked", hold_mask, release_mask, period);
    test_finish();
}
