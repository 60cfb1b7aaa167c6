/* features: every instruction-set feature CPUID advertises runs (no #UD), and
 * the protection features it advertises are enforced: SMEP (an instruction
 * fetch from a user page at CPL 0 raises #PF with the I/D bit, SDM vol. 3A
 * 4.6.1). Advertising what Unicorn cannot run would make Linux and Xen take
 * #UD in their fast paths. 32- and 64-bit (some features in 64-bit only). */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define USER_VA      0x40000000ul

/* Runs one instruction; returns the vector it raised or 0. */
#define TRY(insn, ...)                                                                          \
    ({                                                                                          \
        unsigned long before_ = fault_count;                                                    \
        asm volatile("1: " insn "\n2:\n\t" EXTABLE(1b, 2b) __VA_ARGS__);                       \
        fault_count != before_ ? fault_last.vector : 0ul;                                       \
    })

static uint8_t buf[64] __attribute__((aligned(16)));

static unsigned long t_sse3(void) { return TRY("movddup %%xmm0, %%xmm1", : : : "memory"); }
static unsigned long t_pclmul(void) { return TRY("pclmulqdq $0, %%xmm0, %%xmm1", : : : "memory"); }
static unsigned long t_ssse3(void) { return TRY("pshufb %%xmm0, %%xmm1", : : : "memory"); }
static unsigned long t_sse41(void) { return TRY("pminsd %%xmm0, %%xmm1", : : : "memory"); }
static unsigned long t_sse42(void) { return TRY("crc32l %%eax, %%eax", : : : "eax", "memory"); }
static unsigned long t_movbe(void) { return TRY("movbe %0, %%eax", : : "m"(buf) : "eax", "memory"); }
static unsigned long t_popcnt(void) { return TRY("popcnt %%eax, %%eax", : : : "eax", "memory", "cc"); }
static unsigned long t_aes(void) { return TRY("aesenc %%xmm0, %%xmm1", : : : "memory"); }
static unsigned long t_fxsr(void) { return 0; } /* run in place: it needs a 512-byte operand */
static unsigned long t_bmi1(void) { return TRY("andn %%eax, %%eax, %%eax", : : : "eax", "memory", "cc"); }
static unsigned long t_bmi2(void) { return TRY("pdep %%eax, %%eax, %%eax", : : : "eax", "memory"); }
static unsigned long t_adx(void) { return TRY("adcx %%eax, %%eax", : : : "eax", "memory", "cc"); }
static unsigned long t_lzcnt(void) { return TRY("lzcnt %%eax, %%eax", : : : "eax", "memory", "cc"); }
static unsigned long t_avx(void) { return TRY("vxorps %%xmm0, %%xmm0, %%xmm0", : : : "memory"); }
static unsigned long t_rdtscp(void) { return TRY("rdtscp", : : : "eax", "ecx", "edx", "memory"); }
#ifdef __x86_64__
static unsigned long t_cx16(void)
{
    return TRY("cmpxchg16b %0", : "+m"(*(uint8_t(*)[16])buf) : "a"(0), "d"(0), "b"(0), "c"(0) : "memory", "cc");
}
static unsigned long t_lahf(void) { return TRY("lahf", : : : "eax", "memory"); }
static unsigned long t_fsgsbase(void)
{
    write_cr4(read_cr4() | CR4_FSGSBASE);
    unsigned long v = TRY("rdfsbase %%rax", : : : "rax", "memory");
    write_cr4(read_cr4() & ~(unsigned long)CR4_FSGSBASE);
    return v;
}
#endif

struct feature {
    unsigned leaf;
    int reg; /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
    int bit;
    const char *name;
    unsigned long (*run)(void);
};

static const struct feature features[] = {
    { 1, 2, 0, "SSE3", t_sse3 },       { 1, 2, 1, "PCLMULQDQ", t_pclmul }, { 1, 2, 9, "SSSE3", t_ssse3 },
    { 1, 2, 19, "SSE4.1", t_sse41 },   { 1, 2, 20, "SSE4.2", t_sse42 },    { 1, 2, 22, "MOVBE", t_movbe },
    { 1, 2, 23, "POPCNT", t_popcnt },  { 1, 2, 25, "AES", t_aes },         { 1, 2, 28, "AVX", t_avx },
    { 1, 3, 24, "FXSR", t_fxsr },      { 7, 1, 3, "BMI1", t_bmi1 },        { 7, 1, 8, "BMI2", t_bmi2 },
    { 7, 1, 19, "ADX", t_adx },        { 0x80000001, 2, 5, "LZCNT", t_lzcnt },
    { 0x80000001, 3, 27, "RDTSCP", t_rdtscp },
#ifdef __x86_64__
    { 1, 2, 13, "CMPXCHG16B", t_cx16 }, { 0x80000001, 2, 0, "LAHF/SAHF in 64-bit mode", t_lahf },
    { 7, 1, 0, "FSGSBASE", t_fsgsbase },
#endif
};

static uint32_t cpuid_reg(unsigned leaf, int reg)
{
    unsigned max = leaf >= 0x80000000u ? cpuid(0x80000000u, 0).eax : cpuid(0, 0).eax;
    if (leaf > max)
        return 0;
    struct cpuid_regs r = cpuid(leaf, 0);
    uint32_t v[4] = { r.eax, r.ebx, r.ecx, r.edx };
    return v[reg];
}

static void instructions(void)
{
    static uint8_t fx[512] __attribute__((aligned(16)));
    (void)fx;
    write_cr4(read_cr4() | CR4_OSFXSR);
    for (unsigned i = 0; i < sizeof features / sizeof features[0]; i++) {
        const struct feature *f = &features[i];
        if (!((cpuid_reg(f->leaf, f->reg) >> f->bit) & 1))
            continue;
        unsigned long v = f->run == t_fxsr ? TRY("fxsave %0", : "=m"(fx) : : "memory") : f->run();
        check(v == 0, "%s (advertised) runs (vector %lu)", f->name, v);
    }
}

static volatile unsigned long pf_err, pf_cr2, pf_count;

static void on_pf(struct trapframe *tf)
{
    pf_err = tf->err;
    pf_cr2 = read_cr2();
    pf_count++;
    write_cr4(read_cr4() & ~(unsigned long)CR4_SMEP); /* the fetch succeeds when retried */
}

/* A kernel mapped supervisor-only, and one user page holding RET. */
static void smep(void)
{
    if (!(cpuid_reg(7, 1) & ARCH_BIT(7))) {
        kprintf("  skip SMEP not advertised\n");
        return;
    }
    struct pagetable pt;
    pt_init(&pt, PT_WIDE);
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W);
    pt_identity(&pt, LAPIC_MMIO_BASE, LAPIC_MMIO_BASE + PAGE_SIZE, PTE_W | PTE_PCD);
    uint8_t *page = palloc();
    memset(page, 0xc3, PAGE_SIZE); /* RET */
    pt_map(&pt, USER_VA, (uintptr_t)page, PAGE_SIZE, PTE_W | PTE_U);
    pt_activate(&pt);
    trap_set_handler(EXC_PF, on_pf);
    void (*user_fn)(void) = (void (*)(void))USER_VA;

    user_fn();
    check(pf_count == 0, "CPL 0 runs code on a user page with SMEP off");
    write_cr4(read_cr4() | CR4_SMEP);
    user_fn();
    check(pf_count == 1, "with CR4.SMEP it raises #PF (%lu)", pf_count);
    check((pf_err & (PF_P | PF_I | PF_U)) == (PF_P | PF_I), "error code P and I/D, not U (%#lx)", pf_err);
    check(pf_cr2 == USER_VA, "CR2 is the user page (%#lx)", pf_cr2);
    trap_set_handler(EXC_PF, NULL);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    trap_catch(EXC_UD);
    trap_catch(EXC_GP);
    test_section("advertised instructions run");
    instructions();
    test_section("SMEP");
    smep();
    test_section("SMAP");
    /* Not advertised (see cpu/cpuid.c): STAC/CLAC are then undefined. */
    if (cpuid_reg(7, 1) & ARCH_BIT(20))
        kprintf("  skip SMAP advertised\n");
    else
        check(TRY("stac", : : : "memory", "cc") == EXC_UD && TRY("clac", : : : "memory", "cc") == EXC_UD,
              "STAC and CLAC raise #UD without SMAP in CPUID");
    test_finish();
}
