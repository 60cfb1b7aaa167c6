/* Instructions checked or emulated before Unicorn runs them (Intel SDM vol. 2),
 * because Unicorn would hand the guest host state or skip an architectural
 * fault: RDRAND and RDSEED (QEMU reads the host's entropy; hvsim does not
 * advertise them, so they raise #UD), RDPMC (no counter is enumerated: #GP(0)),
 * XSETBV and XGETBV against the XSAVE components CPUID.0xD advertises, MOV to
 * CR0 and CR4 with the #GP rules of MOV CR (QEMU 5 drops unsupported CR4 bits
 * silently), and CR8, the local APIC's task priority, through the platform. */
#include "cpu_priv.h"



enum guard_op { G_NONE, G_RDRAND, G_RDPMC, G_XGETBV, G_XSETBV };

/* The opcode after legacy and REX prefixes. */
static enum guard_op guard_decode(const uint8_t *b, unsigned len)
{
    unsigned i = 0;
    while (i < len && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3 || (b[i] & 0xf0) == 0x40))
        i++;
    if (i + 1 >= len || b[i] != 0x0f)
        return G_NONE;
    if (b[i + 1] == 0x33)
        return G_RDPMC;
    if (i + 2 >= len)
        return G_NONE;
    if (b[i + 1] == 0x01 && b[i + 2] == 0xd0)
        return G_XGETBV;
    if (b[i + 1] == 0x01 && b[i + 2] == 0xd1)
        return G_XSETBV;
    if (b[i + 1] == 0xc7 && (b[i + 2] >> 6) == 3 && ((b[i + 2] >> 3) & 7) >= 6)
        return G_RDRAND; /* /6 RDRAND, /7 RDSEED */
    return G_NONE;
}

bool guard_insn(unsigned id)
{
    switch (id) {
    case X86_INS_RDRAND: case X86_INS_RDSEED: case X86_INS_RDPMC: case X86_INS_XGETBV: case X86_INS_XSETBV:
        return true;
    }
    return false;
}

static int cpl(struct cpu *c)
{
    uc_blob_save(c);
    return (int)(uc_blob_hflags(c) & HF_CPL_MASK);
}

static bool mode64(struct cpu *c)
{
    uc_blob_save(c);
    return (uc_blob_hflags(c) & HF_CS64_MASK) != 0;
}

static int guard_fault(struct cpu *c, int vector)
{
    cpu_raise(c, vector, vector == EXC_GP, 0);
    return 1;
}

/* CR4 bits for the features CPUID advertises (SDM vol. 3A 2.5). */
static uint64_t cr4_allowed(struct cpu *c)
{
    uint32_t l1[4], l7[4];
    cpuid_query(c, 1, 0, l1);
    cpuid_query(c, 7, 0, l7);
    uint32_t ecx = l1[2], edx = l1[3];
    uint64_t a = 1ULL << 8; /* PCE */
    struct { bool on; int bit; } map[] = {
        { edx & (1u << 1), 0 },  { edx & (1u << 1), 1 },  { edx & (1u << 4), 2 },  { edx & (1u << 2), 3 },
        { edx & (1u << 3), 4 },  { edx & (1u << 6), 5 },  { edx & (1u << 7), 6 },  { edx & (1u << 13), 7 },
        { edx & (1u << 24), 9 }, { edx & (1u << 25), 10 }, { l7[2] & (1u << 2), 11 }, { l7[2] & (1u << 16), 12 },
        { ecx & (1u << 5), 13 }, { ecx & (1u << 6), 14 }, { l7[1] & (1u << 0), 16 }, { ecx & (1u << 17), 17 },
        { ecx & (1u << 26), 18 }, { l7[1] & (1u << 7), 20 }, { l7[1] & (1u << 20), 21 }, { l7[2] & (1u << 3), 22 },
        { l7[2] & (1u << 7), 23 }, { l7[2] & (1u << 31), 24 },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].on)
            a |= 1ULL << map[i].bit;
    return a;
}

/* MOV to CR0: 1 #GP, 0 runs natively (SDM vol. 2B MOV CR; vol. 3A 9.8.5). */
static int cr0_write(struct cpu *c, uint64_t v, bool m64)
{
    uint64_t cr0 = reg_get(c, UC_X86_REG_CR0), cr4 = reg_get(c, UC_X86_REG_CR4), efer = efer_get(c);
    if (m64 && (v >> 32))
        return guard_fault(c, EXC_GP);
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        return guard_fault(c, EXC_GP);
    if ((v & CR0_PG) && !(cr0 & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
        return guard_fault(c, EXC_GP); /* IA-32e mode without PAE */
    if (!(v & CR0_PG) && (cr0 & CR0_PG) && (m64 || (cr4 & CR4_PCIDE)))
        return guard_fault(c, EXC_GP); /* leaving paging from 64-bit code, or with PCIDE */
    return 0;
}

static int cr4_write(struct cpu *c, uint64_t v)
{
    uint64_t cr4 = reg_get(c, UC_X86_REG_CR4), efer = efer_get(c);
    if (v & ~cr4_allowed(c))
        return guard_fault(c, EXC_GP);
    if ((efer & EFER_LMA) && !(v & CR4_PAE))
        return guard_fault(c, EXC_GP);
    if ((v & CR4_PCIDE) && !(cr4 & CR4_PCIDE) &&
        (!(efer & EFER_LMA) || (reg_get(c, UC_X86_REG_CR3) & 0xfff)))
        return guard_fault(c, EXC_GP);
    return 0;
}

/* CR8 is TPR[7:4] (SDM vol. 3A 10.8.6.1); its bits 63:4 are reserved. */
static int cr8_access(struct cpu *c, const struct intercept_site *s)
{
    int r = gpr_uc[s->gpr & 15];
    if (s->to_cr) {
        uint64_t v = reg_get(c, r);
        if (v & ~0xfULL)
            return guard_fault(c, EXC_GP);
        if (c->plat.tpr_write)
            c->plat.tpr_write(c->plat.opaque, (uint8_t)(v << 4));
    } else {
        reg_set(c, r, c->plat.tpr_read ? (uint64_t)(c->plat.tpr_read(c->plat.opaque) >> 4) : 0);
    }
    return 2;
}

static int movcr(struct cpu *c, const struct intercept_site *s)
{
    if (c->nr || cpl(c) != 0)
        return 0; /* ring 3 faults in Unicorn; the VT-x model owns non-root CRs */
    if (s->cr == 8)
        return cr8_access(c, s);
    if (!s->to_cr)
        return 0;
    bool m64 = mode64(c);
    uint64_t v = reg_get(c, gpr_uc[s->gpr & 15]);
    if (!m64)
        v &= 0xffffffffu;
    if (s->cr == 0)
        return cr0_write(c, v, m64);
    if (s->cr == 4)
        return cr4_write(c, v);
    return 0;
}

int guard_site(struct cpu *c, const struct intercept_site *s, const uint8_t *bytes)
{
    if (s->kind == SITE_MOVCR)
        return movcr(c, s);
    switch (guard_decode(bytes, s->len)) {
    case G_RDRAND:
        return guard_fault(c, EXC_UD); /* not in CPUID (cpuid.c) */
    case G_RDPMC:
        /* CPUID.0xA enumerates no counter: every ECX is invalid (#GP(0)),
         * as is ring 3 without CR4.PCE. */
        return guard_fault(c, EXC_GP);
    case G_XGETBV:
        if (!(reg_get(c, UC_X86_REG_CR4) & CR4_OSXSAVE))
            return 0; /* Unicorn raises #UD */
        if ((uint32_t)reg_get(c, UC_X86_REG_RCX) != 0)
            return guard_fault(c, EXC_GP); /* XCR0 only: no XGETBV with ECX=1 in CPUID.(0xD,1) */
        return 0;
    case G_XSETBV: {
        if (!(reg_get(c, UC_X86_REG_CR4) & CR4_OSXSAVE))
            return 0;
        uint64_t v = (reg_get(c, UC_X86_REG_RAX) & 0xffffffffu) | ((reg_get(c, UC_X86_REG_RDX) & 0xffffffffu) << 32);
        if (cpl(c) != 0 || (uint32_t)reg_get(c, UC_X86_REG_RCX) != 0 || !(v & 1) || (v & ~CPU_XCR0_SUPPORTED))
            return guard_fault(c, EXC_GP);
        return 0;
    }
    case G_NONE:
        break;
    }
    return 0;
}
