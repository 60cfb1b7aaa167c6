/* x86.h: port I/O, control registers, MSRs, CPUID and flag helpers, with the
 * architectural bit names of the Intel SDM (volume 3A chapters 2-4, volume 4). */
#ifndef KLIB_X86_H
#define KLIB_X86_H

/* A bit mask usable from C and from assembly (gas rejects the "u" suffix). */
#ifdef __ASSEMBLER__
#define BIT(n) (1 << (n))
#else
#define BIT(n) (1u << (n))
#endif

#define CR0_PE     BIT(0)
#define CR0_WP     BIT(16)
#define CR0_PG     BIT(31)
#define CR4_PSE    BIT(4)
#define CR4_PAE    BIT(5)
#define CR4_PGE    BIT(7)

#define FL_IF      BIT(9)
#define FL_DF      BIT(10)
#define FL_TF      BIT(8)
#define FL_IOPL3   (3 * BIT(12))
#define FL_AC      BIT(18)
#define FL_RESERVED1 BIT(1)        /* always reads as 1 */

#define MSR_TSC            0x00000010
#define MSR_APIC_BASE      0x0000001b
#define MSR_MTRRCAP        0x000000fe
#define MSR_SYSENTER_CS    0x00000174
#define MSR_SYSENTER_ESP   0x00000175
#define MSR_SYSENTER_EIP   0x00000176
#define MSR_PAT            0x00000277
#define MSR_TSC_DEADLINE   0x000006e0
#define MSR_X2APIC_BASE    0x00000800
#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_FMASK          0xc0000084

#define APIC_BASE_BSP      BIT(8)
#define APIC_BASE_EXTD     BIT(10)  /* x2APIC mode */
#define APIC_BASE_EN       BIT(11)

#define EFER_SCE   BIT(0)
#define EFER_LME   BIT(8)
#define EFER_LMA   BIT(10)
#define EFER_NXE   BIT(11)

/* CPUID feature bits: leaf 1 EDX/ECX, leaf 0x80000001 EDX. */
#define CPUID1_EDX_PSE     BIT(3)
#define CPUID1_EDX_TSC     BIT(4)
#define CPUID1_EDX_MSR     BIT(5)
#define CPUID1_EDX_PAE     BIT(6)
#define CPUID1_EDX_APIC    BIT(9)
#define CPUID1_EDX_SEP     BIT(11)
#define CPUID1_EDX_MTRR    BIT(12)
#define CPUID1_EDX_PAT     BIT(16)
#define CPUID1_ECX_X2APIC  BIT(21)
#define CPUID1_ECX_TSCDL   BIT(24)
#define CPUID81_EDX_SYSCALL BIT(11)
#define CPUID81_EDX_NX     BIT(20)
#define CPUID81_EDX_1GB    BIT(26)
#define CPUID81_EDX_LM     BIT(29)

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
