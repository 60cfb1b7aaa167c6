/* apic_timer: the local APIC timer in one-shot, periodic and masked modes
 * through xAPIC MMIO, the TSC-deadline mode, and the one-shot timer again
 * through x2APIC MSRs, each firing at the right TSC time (Intel SDM vol. 3A
 * 10.5.4, 10.12). 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define VEC_TIMER  0x40
#define PERIOD     4000000ull       /* TSC cycles per timer period: ms-scale */
#define MAX_STAMPS 11

static volatile unsigned fired, spurious;
static volatile uint64_t stamp[MAX_STAMPS];
static uint64_t apic_ticks, tsc_ticks;   /* the APIC clock against the TSC */
static uint64_t early, late;             /* tolerances, in TSC cycles */

static void on_timer(struct trapframe *tf)
{
    (void)tf;
    if (fired < MAX_STAMPS)
        stamp[fired] = rdtsc();
    fired++;
    lapic_eoi();
}

static void on_spurious(struct trapframe *tf)
{
    (void)tf;
    spurious++;                     /* no EOI for the spurious vector */
}

/* Interrupts on until `n` timer interrupts have arrived or `budget` TSC
 * cycles have passed. */
static void wait_fired(unsigned n, uint64_t budget)
{
    uint64_t t0 = rdtsc();
    sti();
    while (fired < n && rdtsc() - t0 < budget)
        cpu_relax();
    cli();
}

static uint32_t apic_count(uint64_t tsc)
{
    return (uint32_t)(tsc * apic_ticks / tsc_ticks);
}

static int near(uint64_t value, uint64_t expected)
{
    return value + early >= expected && value <= expected + late;
}

static void calibrate(void)
{
    lapic_write(LAPIC_TIMER_DCR, LAPIC_DCR_DIV1);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_TIMER);
    lapic_write(LAPIC_TIMER_ICR, 0xffffffff);
    uint32_t c0 = lapic_read(LAPIC_TIMER_CCR);
    uint64_t t0 = rdtsc();
    tsc_delay(PERIOD);
    uint32_t c1 = lapic_read(LAPIC_TIMER_CCR);
    uint64_t t1 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, 0);
    apic_ticks = c0 - c1;
    tsc_ticks = t1 - t0;
    check(c1 < c0 && apic_ticks > 0, "the current count runs down (%u -> %u)", c0, c1);
    kprintf("  %llu APIC timer ticks per %llu TSC cycles\n", (unsigned long long)apic_ticks,
            (unsigned long long)tsc_ticks);
}

static void one_shot(const char *via)
{
    fired = 0;
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_ONESHOT | VEC_TIMER);
    uint64_t t0 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, apic_count(PERIOD));
    wait_fired(1, 60 * PERIOD);
    check(fired == 1 && near(stamp[0] - t0, PERIOD), "%s one-shot fires once after %llu TSC cycles (%llu expected)",
          via, (unsigned long long)(stamp[0] - t0), (unsigned long long)PERIOD);
    check(lapic_read(LAPIC_TIMER_CCR) == 0, "%s one-shot: the current count stays at 0", via);
    wait_fired(2, 3 * PERIOD);
    check(fired == 1, "%s one-shot does not fire again", via);
}

static void periodic(void)
{
    fired = 0;
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | VEC_TIMER);
    lapic_write(LAPIC_TIMER_ICR, apic_count(PERIOD));
    wait_fired(MAX_STAMPS, 60 * MAX_STAMPS * PERIOD);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_TIMER);
    lapic_write(LAPIC_TIMER_ICR, 0);
    int even = fired >= MAX_STAMPS;
    for (int i = 0; even && i + 1 < MAX_STAMPS; i++)
        even = near(stamp[i + 1] - stamp[i], PERIOD);
    check(even, "periodic: %u interrupts, every interval %llu TSC cycles (-%llu/+%llu)", fired,
          (unsigned long long)PERIOD, (unsigned long long)early, (unsigned long long)late);
    unsigned n = fired;
    wait_fired(n + 1, 3 * PERIOD);
    check(fired == n, "periodic: stops when the initial count is set to 0");
}

static void masked(void)
{
    fired = 0;
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | LAPIC_TIMER_ONESHOT | VEC_TIMER);
    lapic_write(LAPIC_TIMER_ICR, apic_count(PERIOD));
    wait_fired(1, 3 * PERIOD);
    check(fired == 0 && lapic_read(LAPIC_TIMER_CCR) == 0, "a masked timer counts to 0 without an interrupt");
}

static void tsc_deadline(void)
{
    fired = 0;
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_DEADLINE | VEC_TIMER);
    uint64_t deadline = rdtsc() + PERIOD;
    wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
    wait_fired(1, 60 * PERIOD);
    check(fired == 1 && stamp[0] >= deadline && stamp[0] - deadline <= late,
          "TSC-deadline fires at the deadline (%lld TSC cycles late)", (long long)(stamp[0] - deadline));
    check(rdmsr(MSR_IA32_TSC_DEADLINE) == 0, "IA32_TSC_DEADLINE reads 0 once it fired");
    wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + PERIOD);
    wrmsr(MSR_IA32_TSC_DEADLINE, 0);
    wait_fired(2, 3 * PERIOD);
    check(fired == 1, "writing 0 disarms the deadline");
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_TIMER);
}

/* A feature the strict (hvsim) run requires and QEMU's TCG lacks. */
static int feature(int present, const char *what)
{
    if (present || !tcg_quirks())
        return check(present, "CPUID reports %s", what);
    kprintf("  skip CPUID lacks %s (tcg-quirks)\n", what);
    return 0;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    struct cpuid_regs c1 = cpuid(1, 0);
    /* Virtual time makes the timer exact. QEMU's runs on the host clock: on a
     * loaded host it fires late, and a periodic tick after a late one early. */
    early = tcg_quirks() ? PERIOD : PERIOD / 20;
    late = tcg_quirks() ? 30 * PERIOD : PERIOD / 20;
    trap_set_handler(VEC_TIMER, on_timer);
    trap_set_handler(VEC_SPURIOUS, on_spurious);

    test_section("xAPIC");
    if (!check(c1.edx & CPUID1_EDX_APIC, "CPUID reports a local APIC"))
        test_finish();
    lapic_enable();
    uint32_t ver = lapic_read(LAPIC_VERSION), id = lapic_read(LAPIC_ID) >> 24;
    check((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15 && (ver >> 16 & 0xff) >= 3,
          "version %#x: an integrated APIC with at least 4 LVT entries", ver);
    check(lapic_read(LAPIC_SVR) == (LAPIC_SVR_ENABLE | VEC_SPURIOUS), "the spurious vector register keeps %#x",
          LAPIC_SVR_ENABLE | VEC_SPURIOUS);
    calibrate();
    one_shot("xAPIC");
    periodic();
    masked();

    test_section("TSC-deadline mode");
    if (feature(c1.ecx & CPUID1_ECX_TSC_DEADLINE, "the TSC-deadline timer"))
        tsc_deadline();

    test_section("x2APIC");
    if (feature(c1.ecx & CPUID1_ECX_X2APIC, "x2APIC")) {
        lapic_enable_x2apic();
        check(rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD, "APIC_BASE.EXTD is set");
        check(lapic_read(LAPIC_ID) == id, "the x2APIC ID (MSR 0x802) is the xAPIC ID %u", id);
        check(lapic_read(LAPIC_VERSION) == ver, "the version (MSR 0x803) is the same");
        one_shot("x2APIC");
    }
    check(spurious == 0, "no spurious interrupts");
    test_finish();
}
