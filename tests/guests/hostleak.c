/* hostleak: no instruction hands the guest a value of the host (Intel SDM vol.
 * 2B RDTSCP, RDPID, RDRAND, RDSEED, RDPMC, XGETBV): RDTSCP reads the virtual TSC
 * (it follows a write of IA32_TSC) with IA32_TSC_AUX in ECX; RDPID returns
 * TSC_AUX when CPUID advertises it and raises #UD when not; RDRAND and RDSEED
 * raise #UD when not advertised; RDPMC with no counter enumerated raises #GP(0);
 * XCR0 takes exactly the components CPUID.0xD lists, and XSAVE/XRSTOR keep them. The printed values are virtual, so two
 * runs print the same bytes (tests/guests/same_twice.sh). 32- and 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"


static unsigned long fault_vector(unsigned long before)
{
    return fault_count != before ? fault_last.vector : 0;
}

static uint64_t rdtscp(uint32_t *aux)
{
    uint32_t lo, hi, c;
    asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
    *aux = c;
    return ((uint64_t)hi << 32) | lo;
}

/* RDPID, RDRAND and RDSEED into *out; returns the vector they raised, or 0. */
static unsigned long try_rdpid(unsigned long *out)
{
    unsigned long before = fault_count, v = 0;
    asm volatile("1: rdpid %0\n2:\n\t" EXTABLE(1b, 2b) : "+r"(v) : : "memory");
    *out = v;
    return fault_vector(before);
}

static unsigned long try_rdrand(unsigned long *out)
{
    unsigned long before = fault_count, v = 0;
    asm volatile("1: rdrand %0\n2:\n\t" EXTABLE(1b, 2b) : "+r"(v) : : "memory", "cc");
    *out = v;
    return fault_vector(before);
}

static unsigned long try_rdseed(unsigned long *out)
{
    unsigned long before = fault_count, v = 0;
    asm volatile("1: rdseed %0\n2:\n\t" EXTABLE(1b, 2b) : "+r"(v) : : "memory", "cc");
    *out = v;
    return fault_vector(before);
}

static unsigned long try_rdpmc(uint32_t counter, uint64_t *out)
{
    unsigned long before = fault_count;
    uint32_t lo = 0, hi = 0;
    asm volatile("1: rdpmc\n2:\n\t" EXTABLE(1b, 2b) : "+a"(lo), "+d"(hi) : "c"(counter) : "memory");
    *out = ((uint64_t)hi << 32) | lo;
    return fault_vector(before);
}

static void time_stamp(void)
{
    struct cpuid_regs e1 = cpuid(0x80000001, 0);
    if (!(e1.edx & CPUID81_EDX_RDTSCP)) {
        kprintf("  skip RDTSCP not advertised\n");
        return;
    }
    uint32_t aux;
    wrmsr(MSR_IA32_TSC_AUX, 0x12345678);
    check(rdmsr(MSR_IA32_TSC_AUX) == 0x12345678, "IA32_TSC_AUX keeps what was written");
    uint64_t a = rdtsc(), b = rdtscp(&aux), c = rdtsc();
    check(aux == 0x12345678, "RDTSCP returns IA32_TSC_AUX in ECX (%#x)", aux);
    check(a <= b && b <= c, "RDTSCP lies between two RDTSCs (%llu %llu %llu)", (unsigned long long)a,
          (unsigned long long)b, (unsigned long long)c);
    /* A write of IA32_TSC moves the virtual TSC; the host's does not move. */
    const uint64_t t = 1ull << 44;
    wrmsr(MSR_IA32_TSC, t);
    b = rdtscp(&aux);
    if (tcg_quirks() && (b < t || b - t >= (1ull << 32)))
        kprintf("  skip QEMU's TCG ignores writes to IA32_TSC (tcg-quirks)\n");
    else
        check(b >= t && b - t < (1ull << 32), "RDTSCP follows a write of IA32_TSC (%#llx)", (unsigned long long)b);
}

static void pid_and_random(void)
{
    struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){ 0 };
    unsigned long v, r;

    r = try_rdpid(&v);
    if (l7.ecx & CPUID7_ECX_RDPID)
        check(r == 0 && v == 0x12345678, "RDPID (advertised) returns IA32_TSC_AUX (%#lx)", v);
    else
        check(r == EXC_UD, "RDPID (not advertised) raises #UD (vector %lu)", r);

    r = try_rdrand(&v);
    if (l1.ecx & CPUID1_ECX_RDRAND)
        kprintf("  RDRAND is advertised: vector %lu\n", r);
    else
        check(r == EXC_UD, "RDRAND (not advertised) raises #UD (vector %lu)", r);
    r = try_rdseed(&v);
    if (l7.ebx & CPUID7_EBX_RDSEED)
        kprintf("  RDSEED is advertised: vector %lu\n", r);
    else
        check(r == EXC_UD, "RDSEED (not advertised) raises #UD (vector %lu)", r);
}

static void perf_counters(void)
{
    uint64_t v;
    struct cpuid_regs la = cpuid(0, 0).eax >= 0xa ? cpuid(0xa, 0) : (struct cpuid_regs){ 0 };
    unsigned long r = try_rdpmc(0, &v);
    if (la.eax & 0xff) {
        kprintf("  skip %u performance counters enumerated\n", la.eax & 0xff);
        return;
    }
    if (tcg_quirks() && r == EXC_UD)
        kprintf("  skip QEMU's TCG raises #UD for RDPMC (tcg-quirks)\n");
    else
        check(r == EXC_GP && fault_last.err == 0, "RDPMC with no counter enumerated raises #GP(0) (vector %lu)", r);
}

static unsigned long try_xsetbv(uint32_t xcr, uint64_t v)
{
    unsigned long before = fault_count;
    asm volatile("1: xsetbv\n2:\n\t" EXTABLE(1b, 2b)
                 : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
    return fault_vector(before);
}

static unsigned long try_xgetbv(uint32_t xcr, uint64_t *v)
{
    unsigned long before = fault_count;
    uint32_t lo = 0, hi = 0;
    asm volatile("1: xgetbv\n2:\n\t" EXTABLE(1b, 2b) : "+a"(lo), "+d"(hi) : "c"(xcr) : "memory");
    *v = ((uint64_t)hi << 32) | lo;
    return fault_vector(before);
}

static uint8_t xsave_area[4096] __attribute__((aligned(64)));

/* XSAVE state components: each one CPUID.0xD advertises can be enabled in
 * XCR0 and saved and restored; XCR0 takes no other value (SDM vol. 1 13.3). */
static void extended_state(void)
{
    struct cpuid_regs l1 = cpuid(1, 0);
    if (!(l1.ecx & CPUID1_ECX_XSAVE)) {
        kprintf("  skip XSAVE not advertised\n");
        return;
    }
    check(!(l1.ecx & CPUID1_ECX_OSXSAVE), "OSXSAVE is clear while CR4.OSXSAVE is");
    write_cr4(read_cr4() | CR4_OSXSAVE | CR4_OSFXSR); /* OSFXSR: SSE instructions below */
    check(cpuid(1, 0).ecx & CPUID1_ECX_OSXSAVE, "OSXSAVE follows CR4.OSXSAVE");
    struct cpuid_regs d0 = cpuid(0xd, 0), d1 = cpuid(0xd, 1);
    uint64_t comps = ((uint64_t)d0.edx << 32) | d0.eax, v = 0;
    check((comps & 3) == 3, "CPUID.0xD lists x87 and SSE state (%#llx)", (unsigned long long)comps);
    check(!(comps & 4) || (l1.ecx & ARCH_BIT(28)), "AVX state is listed only with AVX");
    check(try_xsetbv(0, comps) == 0 && try_xgetbv(0, &v) == 0 && v == comps,
          "XSETBV takes every listed component and XGETBV returns it (%#llx)", (unsigned long long)v);
    check(d0.ebx >= 576 && d0.ebx <= sizeof xsave_area, "the XSAVE area for XCR0 is %u bytes", d0.ebx);
    uint64_t above = 1;
    while (above & comps)
        above <<= 1;
    check(try_xsetbv(0, comps | above) == EXC_GP, "XSETBV of an unlisted component (%#llx) raises #GP",
          (unsigned long long)above);
    check(try_xsetbv(0, comps & ~1ull) == EXC_GP, "XSETBV without x87 raises #GP");
    check(try_xsetbv(1, 1) == EXC_GP, "XSETBV of XCR1 raises #GP");
    if (!(d1.eax & ARCH_BIT(2)))
        check(try_xgetbv(1, &v) == EXC_GP, "XGETBV with ECX=1 (not in CPUID.(0xD,1)) raises #GP");

    /* An SSE register through XSAVE and XRSTOR. */
    static const uint32_t pattern[4] __attribute__((aligned(16))) = { 0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00 };
    uint32_t back[4] __attribute__((aligned(16)));
    asm volatile("movdqa %0, %%xmm0" : : "m"(pattern));
    asm volatile("xsave %0" : "=m"(xsave_area) : "a"(3), "d"(0) : "memory");
    asm volatile("pxor %xmm0, %xmm0");
    asm volatile("xrstor %0" : : "m"(xsave_area), "a"(3), "d"(0) : "memory");
    asm volatile("movdqa %%xmm0, %0" : "=m"(back));
    uint64_t xstate_bv = *(uint64_t *)(xsave_area + 512);
    check(back[0] == pattern[0] && back[3] == pattern[3], "XRSTOR brings back what XSAVE stored in XMM0");
    check(xstate_bv & 2, "XSTATE_BV marks the SSE state saved (%#llx)", (unsigned long long)xstate_bv);
    try_xsetbv(0, 1);
    write_cr4(read_cr4() & ~(unsigned long)CR4_OSXSAVE);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    trap_catch(EXC_UD);
    trap_catch(EXC_GP);

    test_section("RDTSCP and IA32_TSC_AUX");
    time_stamp();
    test_section("RDPID, RDRAND, RDSEED");
    pid_and_random();
    test_section("RDPMC");
    perf_counters();
    test_section("XGETBV");
    extended_state();
    test_finish();
}
