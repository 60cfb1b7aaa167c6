/* nmi: non-maskable interrupts (Intel SDM vol. 3A 6.7, 6.7.1, 10.6.1): a
 * self-NMI through the ICR shorthand arrives as vector 2 with IF=0, before a
 * fixed interrupt pending at the same time; a second NMI sent from inside the
 * handler waits for its IRET and then arrives at once; the same through the
 * x2APIC ICR; an NMI from the I/O APIC (PIT pin in NMI delivery mode) wakes HLT
 * with IF=0, and the halted time shows in the TSC. 32- and 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/pit.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define VEC_FIXED   0x41
#define LAPIC_ICR   0x300
#define ICR_FIXED   (0u << 8)
#define ICR_NMI     (4u << 8)
#define ICR_SELF    (1u << 18)
#define IOAPIC_PIT_PIN 2          /* ISA IRQ0 through the interrupt source override */
#define IOREDTBL(pin) (0x10 + 2 * (pin))
#define IOAPIC_DM_NMI (4u << 8)
#define IOAPIC_MASKED (1u << 16)

static volatile unsigned nmis, fixed, nested, depth, order_seq;
static volatile unsigned nmi_order, fixed_order;
static volatile unsigned long nmi_flags;
static volatile int resend_inside;   /* the handler sends one more NMI the first time */
static volatile unsigned long nmi_ip[2]; /* where the first two NMIs interrupted */
static volatile uint64_t nmi_tsc;

static void send_self(uint32_t mode, uint32_t vec)
{
    lapic_write(LAPIC_ICR, ICR_SELF | mode | vec);
}

static void on_nmi(struct trapframe *tf)
{
    if (depth)
        nested++;
    depth++;
    nmis++;
    nmi_order = ++order_seq;
    nmi_flags = tf->flags;
    nmi_tsc = rdtsc();
    if (nmis <= 2)
        nmi_ip[nmis - 1] = tf->ip;
    if (resend_inside) {
        resend_inside = 0;
        send_self(ICR_NMI, 0);
        /* Blocked until our IRET: a while of work must not see it. */
        for (volatile int i = 0; i < 20000; i++)
            ;
    }
    depth--;
}

static void on_fixed(struct trapframe *tf)
{
    (void)tf;
    fixed++;
    fixed_order = ++order_seq;
    lapic_eoi();
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(uintptr_t)IOAPIC_MMIO_BASE = reg;
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_MMIO_BASE + 0x10) = val;
}

static void self_nmi(const char *how)
{
    nmis = 0;
    cli();
    send_self(ICR_NMI, 0);
    for (volatile int i = 0; i < 1000 && !nmis; i++)
        ;
    check(nmis == 1, "%s: a self-NMI arrives with IF=0 (%u)", how, nmis);
    check(!(nmi_flags & EFLAGS_IF), "%s: the interrupted code had IF=0", how);

    /* One more NMI from inside the handler: blocked until the IRET. */
    nmis = nested = 0;
    nmi_ip[0] = nmi_ip[1] = 0;
    resend_inside = 1;
    send_self(ICR_NMI, 0);
    for (volatile int i = 0; i < 1000 && nmis < 2; i++)
        ;
    check(nmis == 2, "%s: the NMI sent inside the handler arrives too (%u)", how, nmis);
    check(nested == 0, "%s: it did not nest inside the first handler", how);
    /* Delivered right after the IRET, before the next instruction. */
    check(nmi_ip[1] == nmi_ip[0], "%s: it arrived right after the handler's IRET (%#lx, %#lx)", how,
          nmi_ip[0], nmi_ip[1]);
}

static void priority(void)
{
    nmis = fixed = 0;
    order_seq = 0;
    cli();
    send_self(ICR_FIXED, VEC_FIXED); /* pending in IRR, held by IF=0 */
    send_self(ICR_NMI, 0);
    for (volatile int i = 0; i < 1000 && !nmis; i++)
        ;
    check(nmis == 1 && fixed == 0, "NMI taken while a fixed interrupt waits for IF (nmi %u, fixed %u)", nmis,
          fixed);
    sti();
    for (volatile int i = 0; i < 1000 && !fixed; i++)
        ;
    cli();
    check(fixed == 1 && nmi_order < fixed_order, "the fixed interrupt follows once IF=1");
}

static void hlt_wake(void)
{
    nmis = 0;
    cli();
    ioapic_write(IOREDTBL(IOAPIC_PIT_PIN) + 1, 0);
    ioapic_write(IOREDTBL(IOAPIC_PIT_PIN), IOAPIC_DM_NMI);
    uint64_t t0 = rdtsc();
    pit_periodic(PIT_HZ / 100); /* 10 ms */
    hlt();
    uint64_t t1 = rdtsc();
    ioapic_write(IOREDTBL(IOAPIC_PIT_PIN), IOAPIC_MASKED);
    check(nmis >= 1, "an I/O APIC NMI wakes HLT with IF=0 (%u)", nmis);
    /* The CPU slept until the PIT's first period (10 ms) ended. */
    uint64_t hz = cpuid(0x15, 0).ecx;
    if (hz) {
        check(t1 - t0 >= hz / 200, "the TSC advanced over the halt (%llu cycles, 10 ms is %llu)",
              (unsigned long long)(t1 - t0), (unsigned long long)(hz / 100));
    } else {
        kprintf("  skip no TSC frequency in CPUID 0x15 (QEMU)\n");
        check(t1 - t0 > 100000, "the TSC advanced over the halt (%llu cycles)", (unsigned long long)(t1 - t0));
    }
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    trap_set_handler(EXC_NMI, on_nmi);
    trap_set_handler(VEC_FIXED, on_fixed);
    lapic_enable();

    test_section("self-NMI, xAPIC");
    self_nmi("xAPIC");
    test_section("NMI before maskable interrupts");
    priority();
    test_section("self-NMI, x2APIC");
    if (cpuid(1, 0).ecx & CPUID1_ECX_X2APIC) {
        lapic_enable_x2apic();
        self_nmi("x2APIC");
    } else {
        kprintf("  skip no x2APIC\n");
    }
    test_section("NMI wakes HLT");
    hlt_wake();
    test_finish();
}
