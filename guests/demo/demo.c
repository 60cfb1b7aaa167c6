/* demo: the default kernel of `make demo`. Shows what the machine offers (CPUID,
 * the multiboot memory map, the RTC, PIT ticks), draws a Mandelbrot set with
 * integer arithmetic, then powers off through ACPI. */
#include "klib/acpi.h"
#include "klib/cmos.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/pic.h"
#include "klib/pit.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define BOLD   "\033[1m"
#define DIM    "\033[2m"
#define CYAN   "\033[36m"
#define GREEN  "\033[32m"
#define YELLOW "\033[33m"
#define RESET  "\033[0m"

#define HZ 100
#define DEMO_TICKS 25

static volatile unsigned ticks;
static volatile uint64_t tick_tsc[DEMO_TICKS + 1];

static void heading(const char *title)
{
    kprintf("\n" BOLD CYAN "%s" RESET "\n", title);
}

static void banner(void)
{
    kprintf(BOLD CYAN
            "  +------------------------------------------------------------+\n"
            "  |   hvsim demo kernel: a multiboot guest on a simulated PC   |\n"
            "  +------------------------------------------------------------+\n" RESET);
}

static void show_cpu(void)
{
    struct cpuid_regs r = cpuid(0, 0);
    char vendor[13];
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    vendor[12] = 0;
    uint32_t max_leaf = r.eax;

    char brand[49] = "";
    if (cpuid(0x80000000, 0).eax >= 0x80000004) {
        for (unsigned i = 0; i < 3; i++) {
            struct cpuid_regs b = cpuid(0x80000002 + i, 0);
            memcpy(brand + 16 * i, &b, 16);
        }
        brand[48] = 0;
    }
    struct cpuid_regs c1 = cpuid(1, 0), c81 = cpuid(0x80000001, 0);
    unsigned family = (c1.eax >> 8 & 0xf) + (c1.eax >> 20 & 0xff);
    unsigned model = (c1.eax >> 4 & 0xf) | (c1.eax >> 12 & 0xf0);

    heading("CPU");
    kprintf("  vendor   %s, max leaf %#x\n", vendor, max_leaf);
    kprintf("  brand    %s\n", brand[0] ? brand : "(none)");
    kprintf("  family   %u, model %u, stepping %u\n", family, model, c1.eax & 0xf);

    static const struct {
        const char *name;
        int leaf81;
        int ecx;
        uint32_t bit;
    } features[] = {
        { "tsc", 0, 0, CPUID1_EDX_TSC },      { "msr", 0, 0, CPUID1_EDX_MSR },
        { "pae", 0, 0, CPUID1_EDX_PAE },      { "apic", 0, 0, CPUID1_EDX_APIC },
        { "sep", 0, 0, CPUID1_EDX_SEP },      { "mtrr", 0, 0, CPUID1_EDX_MTRR },
        { "pat", 0, 0, CPUID1_EDX_PAT },      { "vmx", 0, 1, CPUID1_ECX_VMX },
        { "x2apic", 0, 1, CPUID1_ECX_X2APIC }, { "tsc-deadline", 0, 1, CPUID1_ECX_TSC_DEADLINE },
        { "syscall", 1, 0, CPUID81_EDX_SYSCALL }, { "nx", 1, 0, CPUID81_EDX_NX },
        { "1g-pages", 1, 0, CPUID81_EDX_1GB }, { "long-mode", 1, 0, CPUID81_EDX_LM },
    };
    kprintf("  features");
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        uint32_t reg = features[i].leaf81 ? c81.edx : features[i].ecx ? c1.ecx : c1.edx;
        if (reg & features[i].bit)
            kprintf(" " GREEN "%s" RESET, features[i].name);
        else
            kprintf(" " DIM "-%s" RESET, features[i].name);
    }
    kprintf("\n");
}

static void show_memory(const struct multiboot_info *mbi)
{
    heading("Memory (multiboot)");
    if (mbi->flags & MULTIBOOT_INFO_LOADER_NAME)
        kprintf("  loader   %s\n", (const char *)(uintptr_t)mbi->boot_loader_name);
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        kprintf("  cmdline  %s\n", (const char *)(uintptr_t)mbi->cmdline);
    if (mbi->flags & MULTIBOOT_INFO_MEMORY)
        kprintf("  lower    %u KiB, upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
    if (!(mbi->flags & MULTIBOOT_INFO_MEM_MAP))
        return;
    static const char *const types[] = { "?", "available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad" };
    uint64_t usable = 0;
    uintptr_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p < end) {
        const struct multiboot_mmap_entry *e = (const void *)p;
        const char *type = e->type < 6 ? types[e->type] : types[0];
        kprintf("  %#014llx - %#014llx  %s%s" RESET "\n", (unsigned long long)e->addr,
                (unsigned long long)(e->addr + e->len - 1), e->type == MULTIBOOT_MEMORY_AVAILABLE ? GREEN : DIM,
                type);
        if (e->type == MULTIBOOT_MEMORY_AVAILABLE)
            usable += e->len;
        p += e->size + sizeof(e->size);
    }
    kprintf("  usable   " BOLD "%llu MiB" RESET "\n", (unsigned long long)(usable >> 20));
}

static void show_time(void)
{
    struct rtc_time t;
    rtc_read(&t);
    heading("Real-time clock");
    kprintf("  %02u%02u-%02u-%02u %02u:%02u:%02u\n", t.century, t.year, t.month, t.day, t.hour, t.min, t.sec);
}

static void on_tick(struct trapframe *tf)
{
    (void)tf;
    if (ticks <= DEMO_TICKS)
        tick_tsc[ticks] = rdtsc();
    ticks++;
    pic_eoi(0);
}

static void show_ticks(void)
{
    heading("Timer (8254 PIT, IRQ0 at 100 Hz)");
    trap_set_handler(VEC_IRQ0, on_tick);
    pit_periodic((PIT_HZ + HZ / 2) / HZ);
    pic_unmask(0);
    unsigned shown = 0;
    while (ticks <= DEMO_TICKS) {
        sti_hlt();
        cli();
        for (; shown < ticks && shown <= DEMO_TICKS; shown++) {
            kprintf("\r  [" YELLOW);
            for (unsigned i = 0; i < DEMO_TICKS; i++)
                serial_putc(i < shown ? '=' : i == shown ? '>' : ' ');
            kprintf(RESET "] %3u ms", shown * (1000 / HZ));
        }
    }
    pic_mask(0);
    uint64_t per_tick = (tick_tsc[DEMO_TICKS] - tick_tsc[0]) / DEMO_TICKS;
    kprintf("\n  TSC runs at about %llu MHz\n", (unsigned long long)(per_tick * HZ / 1000000));
}

/* Fixed point with 24 fraction bits: |z|^2 <= 4 keeps every product in range. */
#define FIX(x) ((int64_t)((x) * (1 << 24)))

static void show_mandelbrot(void)
{
    static const char shades[] = " .:-=+*%#@";
    const int cols = 72, rows = 24, max_iter = 96;
    heading("Mandelbrot set (integer arithmetic)");
    uint64_t t0 = rdtsc(), iterations = 0;
    for (int row = 0; row < rows; row++) {
        int64_t ci = FIX(-1.2) + row * (FIX(2.4) / rows);
        const char *shown = RESET;
        kprintf("  ");
        for (int col = 0; col < cols; col++) {
            int64_t cr = FIX(-2.2) + col * (FIX(3.2) / cols), zr = 0, zi = 0;
            int n = 0;
            for (; n < max_iter; n++) {
                int64_t zr2 = zr * zr >> 24, zi2 = zi * zi >> 24;
                if (zr2 + zi2 > FIX(4))
                    break;
                zi = (2 * zr * zi >> 24) + ci;
                zr = zr2 - zi2 + cr;
            }
            iterations += n;
            const char *color = n == max_iter ? BOLD : n > 12 ? CYAN : DIM;
            if (color != shown)             /* an escape only where the colour changes */
                kprintf(RESET "%s", color);
            shown = color;
            serial_putc(n == max_iter ? '@' : shades[n * 9 / max_iter]);
        }
        kprintf(RESET "\n");
    }
    /* Thousands, not millions: the whole picture takes well under 1 M cycles. */
    kprintf("  %llu iterations in %llu K TSC cycles\n", (unsigned long long)iterations,
            (unsigned long long)((rdtsc() - t0) / 1000));
}

void kmain(struct multiboot_info *mbi)
{
    banner();
    show_cpu();
    show_memory(mbi);
    show_time();
    show_ticks();
    show_mandelbrot();
    kprintf("\n" BOLD "Powering off through ACPI (S5)." RESET "\n");
    acpi_poweroff();
    kprintf("ACPI power-off did not work; leaving through debug-exit.\n");
    hv_exit(0);
}
