/* ctrlreg: MOV to CR0 and CR4 raise #GP(0) where the SDM's MOV CR rules say
 * (vol. 2B MOV CR, vol. 3A 2.5): PG without PE, NW without CD, CR0[63:32],
 * CR4 bits of features CPUID does not advertise and reserved CR4 bits, PCIDE
 * outside long mode or with CR3[11:0] != 0, clearing PAE in long mode; and CR8
 * is the local APIC's TPR (vol. 3A 10.8.6.1) in xAPIC and x2APIC modes: each
 * side sees the other's writes, and a CR8 above an interrupt's class holds it.
 * 32- and 64-bit (CR8 in 64-bit only). */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define VEC_FIXED 0x41
#define LAPIC_ICR 0x300
#define ICR_SELF (1u << 18)

static unsigned long try_cr0(unsigned long v)
{
    unsigned long before = fault_count;
    asm volatile("1: mov %0, %%cr0\n2:\n\t" EXTABLE(1b, 2b) : : "r"(v) : "memory");
    return fault_count != before ? fault_last.vector : 0;
}

static unsigned long try_cr4(unsigned long v)
{
    unsigned long before = fault_count;
    asm volatile("1: mov %0, %%cr4\n2:\n\t" EXTABLE(1b, 2b) : : "r"(v) : "memory");
    return fault_count != before ? fault_last.vector : 0;
}

static void cr0_rules(void)
{
    unsigned long cr0 = read_cr0();
    check(try_cr0((cr0 | CR0_PG) & ~(unsigned long)CR0_PE) == EXC_GP, "CR0.PG without PE raises #GP");
    check(try_cr0((cr0 | CR0_NW) & ~(unsigned long)CR0_CD) == EXC_GP, "CR0.NW without CD raises #GP");
#ifdef __x86_64__
    check(try_cr0(cr0 | (1ul << 40)) == EXC_GP, "CR0 bit 40 raises #GP");
    check(try_cr0(cr0 & ~(unsigned long)CR0_PG) == EXC_GP, "clearing CR0.PG in 64-bit mode raises #GP");
#endif
    check(read_cr0() == cr0, "CR0 unchanged (%#lx)", read_cr0());
}

/* CR4 bit -> the CPUID bit that allows it (leaf, register index, bit). */
static const struct { int cr4; unsigned leaf; int reg; int bit; const char *name; } features[] = {
    { 0, 1, 3, 1, "VME" },      { 1, 1, 3, 1, "PVI" },       { 3, 1, 3, 2, "DE" },
    { 6, 1, 3, 7, "MCE" },      { 11, 7, 2, 2, "UMIP" },     { 12, 7, 2, 16, "LA57" },
    { 14, 1, 2, 6, "SMXE" },    { 16, 7, 1, 0, "FSGSBASE" }, { 18, 1, 2, 26, "OSXSAVE" },
    { 20, 7, 1, 7, "SMEP" },    { 21, 7, 1, 20, "SMAP" },    { 22, 7, 2, 3, "PKE" },
    { 23, 7, 2, 7, "CET" },     { 24, 7, 2, 31, "PKS" },
};

static uint32_t cpuid_reg(unsigned leaf, int reg)
{
    struct cpuid_regs r = cpuid(leaf, 0);
    uint32_t v[4] = { r.eax, r.ebx, r.ecx, r.edx };
    return v[reg];
}

static void cr4_rules(void)
{
    unsigned long cr4 = read_cr4();
    unsigned max = cpuid(0, 0).eax;
    for (unsigned i = 0; i < sizeof features / sizeof features[0]; i++) {
        if (features[i].leaf > max || (cpuid_reg(features[i].leaf, features[i].reg) >> features[i].bit) & 1)
            continue;
        check(try_cr4(cr4 | (1ul << features[i].cr4)) == EXC_GP, "CR4.%s (not in CPUID) raises #GP",
              features[i].name);
    }
    check(try_cr4(cr4 | ARCH_BIT(15)) == EXC_GP, "reserved CR4 bit 15 raises #GP");
#ifdef __x86_64__
    check(try_cr4(cr4 | (1ul << 40)) == EXC_GP, "reserved CR4 bit 40 raises #GP");
    check(try_cr4(cr4 & ~(unsigned long)CR4_PAE) == EXC_GP, "clearing CR4.PAE in long mode raises #GP");
    if (cpuid(1, 0).ecx & ARCH_BIT(17)) {
        unsigned long cr3 = read_cr3();
        if (cr3 & 0xfff)
            check(try_cr4(cr4 | (CR4_PCIDE)) == EXC_GP, "PCIDE with CR3[11:0] != 0 raises #GP");
    }
#else
    check(try_cr4(cr4 | (CR4_PCIDE)) == EXC_GP, "CR4.PCIDE outside long mode raises #GP");
#endif
    check(read_cr4() == cr4, "CR4 unchanged (%#lx)", read_cr4());
}

#ifdef __x86_64__
static volatile unsigned fixed;

static void on_fixed(struct trapframe *tf)
{
    (void)tf;
    fixed++;
    lapic_eoi();
}

static unsigned long read_cr8(void)
{
    unsigned long v;
    asm volatile("mov %%cr8, %0" : "=r"(v));
    return v;
}

static void write_cr8(unsigned long v)
{
    asm volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static void cr8_is_tpr(const char *mode)
{
    write_cr8(0x9);
    check(lapic_read(LAPIC_TPR) == 0x90, "%s: CR8 = 9 makes TPR %#x (0x90)", mode, lapic_read(LAPIC_TPR));
    lapic_write(LAPIC_TPR, 0x5c);
    check(read_cr8() == 0x5, "%s: TPR = 0x5c reads back as CR8 %#lx (5)", mode, read_cr8());
    unsigned long before = fault_count;
    asm volatile("1: mov %0, %%cr8\n2:\n\t" EXTABLE(1b, 2b) : : "r"(0x10ul) : "memory");
    if (tcg_quirks() && fault_count == before)
        kprintf("  skip QEMU's TCG ignores CR8 bits 63:4 (tcg-quirks)\n");
    else
        check(fault_count != before && fault_last.vector == EXC_GP, "%s: CR8 bit 4 raises #GP", mode);
    write_cr8(0);

    /* Vector 0x41 is class 4: held while CR8 >= 4, taken when it drops. */
    fixed = 0;
    write_cr8(0x4);
    cli();
    lapic_write(LAPIC_ICR, ICR_SELF | VEC_FIXED);
    sti();
    for (volatile int i = 0; i < 1000; i++)
        ;
    check(fixed == 0, "%s: CR8 = 4 holds vector 0x41 with IF=1", mode);
    write_cr8(0x3);
    for (volatile int i = 0; i < 1000 && !fixed; i++)
        ;
    cli();
    check(fixed == 1, "%s: CR8 = 3 lets it in", mode);
    write_cr8(0);
}
#endif

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    trap_catch(EXC_GP);

    /* QEMU 7.2's TCG takes most of these values instead of raising #GP (PG
     * without PE, NW without CD, CR0[63:32], CR4.PVI or LA57 without CPUID)
     * and then crashes or hangs: measured, so under tcg-quirks they are not
     * tried at all. */
    if (tcg_quirks()) {
        kprintf("  skip MOV to CR0/CR4 #GP rules: QEMU's TCG accepts the values (tcg-quirks)\n");
    } else {
        test_section("MOV to CR0");
        cr0_rules();
        test_section("MOV to CR4");
        cr4_rules();
    }
#ifdef __x86_64__
    test_section("CR8 is the TPR");
    trap_set_handler(VEC_FIXED, on_fixed);
    lapic_enable();
    cr8_is_tpr("xAPIC");
    if (cpuid(1, 0).ecx & CPUID1_ECX_X2APIC) {
        lapic_enable_x2apic();
        cr8_is_tpr("x2APIC");
    }
#endif
    test_finish();
}
