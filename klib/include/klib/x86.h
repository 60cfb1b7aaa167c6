/* x86.h: port I/O, control-register, MSR, CPUID and flag accessors for the
 * freestanding kernels; the architectural names they use are arch/x86.h's. */
#ifndef KLIB_X86_H
#define KLIB_X86_H

/* Control-register, EFLAGS, EFER and APIC-base bits, CPUID feature bits and
 * MSR numbers: arch/x86.h, shared with hvsim. */
#include "arch/x86.h"

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

/* Control registers are as wide as the mode: unsigned long is 32 or 64 bits. */
#define KLIB_CR_ACCESSORS(n)                                                    \
    static inline unsigned long read_cr##n(void)                                \
    {                                                                           \
        unsigned long v;                                                        \
        asm volatile("mov %%cr" #n ", %0" : "=r"(v));                           \
        return v;                                                               \
    }                                                                           \
    static inline void write_cr##n(unsigned long v)                             \
    {                                                                           \
        asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                  \
    }
KLIB_CR_ACCESSORS(0)
KLIB_CR_ACCESSORS(2)
KLIB_CR_ACCESSORS(3)
KLIB_CR_ACCESSORS(4)
#undef KLIB_CR_ACCESSORS

static inline unsigned long read_flags(void)
{
    unsigned long f;
    asm volatile("pushf; pop %0" : "=r"(f));
    return f;
}
static inline uint16_t read_cs(void)
{
    uint16_t v;
    asm volatile("mov %%cs, %0" : "=r"(v));
    return v;
}
static inline uint16_t read_ss(void)
{
    uint16_t v;
    asm volatile("mov %%ss, %0" : "=r"(v));
    return v;
}

static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void hlt(void) { asm volatile("hlt" ::: "memory"); }
/* STI's one-instruction shadow makes "sti; hlt" wait without losing a wake-up. */
static inline void sti_hlt(void) { asm volatile("sti; hlt" ::: "memory"); }
static inline void cpu_relax(void) { asm volatile("pause" ::: "memory"); }
static inline void invlpg(uintptr_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* Spins for at least `cycles` TSC ticks without touching any device. */
static inline void tsc_delay(uint64_t cycles)
{
    uint64_t start = rdtsc();
    while (rdtsc() - start < cycles)
        for (int i = 0; i < 100; i++)
            cpu_relax();
}

#endif /* __ASSEMBLER__ */
#endif
