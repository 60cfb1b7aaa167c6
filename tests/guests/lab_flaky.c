/* lab_flaky: the flaky job runner of labs/06-record-replay. It reads jobs from
 * COM1 (a number of 10 ms PIT ticks per line), sleeps through each with HLT and
 * prints its rate, ticks per RTC second. The bug is deliberate and common: the
 * elapsed time is the difference of two RTC seconds readings, so a job that starts
 * and ends inside the same second divides by zero (#DE, klib's "unexpected trap"
 * report, exit status 37). Whether a run meets it depends on the job lengths and
 * when they are typed (the scenario's seed) and on the RTC's phase (its epoch).
 * A line "q" ends the run with status 33. Not in kernels.txt: it needs input. */
#include "arch/pc.h"
#include "klib/cmos.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/pic.h"
#include "klib/pit.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define LSR_DR 0x01
#define TICK_HZ 100

static volatile unsigned ticks;

static void on_irq0(struct trapframe *tf)
{
    (void)tf;
    ticks++;
    pic_eoi(0);
}

static char getc_com1(void)
{
    while (!(inb(COM1_PORT + 5) & LSR_DR))
        sti_hlt(); /* the timer wakes us; the UART has no interrupt here */
    return (char)inb(COM1_PORT);
}

/* The seconds of the day, from the RTC. */
static unsigned rtc_seconds(void)
{
    struct rtc_time t;
    rtc_read(&t);
    return (unsigned)t.hour * 3600u + t.min * 60u + t.sec;
}

/* noinline: the division is one instruction a student can find in a trace. */
static __attribute__((noinline)) unsigned rate(unsigned n, unsigned elapsed)
{
    return n / elapsed;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    char line[32];
    unsigned job = 0;

    trap_set_handler(VEC_IRQ0, on_irq0);
    pit_periodic((uint16_t)(PIT_HZ / TICK_HZ));
    pic_unmask(0);
    sti();
    kprintf("flaky: ready\n");
    for (;;) {
        unsigned n = 0, len = 0;
        for (char c; (c = getc_com1()) != '\n';)
            if (len < sizeof line - 1)
                line[len++] = c;
        line[len] = '\0';
        if (len == 1 && line[0] == 'q')
            break;
        for (unsigned i = 0; i < len && line[i] >= '0' && line[i] <= '9'; i++)
            n = n * 10 + (unsigned)(line[i] - '0');
        job++;
        kprintf("job %u: %u ticks\n", job, n);
        unsigned start = rtc_seconds();
        unsigned until = ticks + n;
        while ((int)(until - ticks) > 0)
            sti_hlt();
        unsigned elapsed = rtc_seconds() - start;
        kprintf("job %u done: %u ticks/s\n", job, rate(n, elapsed));
    }
    kprintf("flaky: %u jobs, all done\n", job);
    hv_exit(EXIT_PASS);
}
