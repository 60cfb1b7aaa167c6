/* The MSRs kernels touch (Intel SDM vol. 4): EFER and the SYSCALL/SYSENTER set,
 * segment bases, TSC from virtual time, PAT, MTRRs, MISC_ENABLE, feature control;
 * the local APIC's MSRs go to the platform. Unknown MSRs raise #GP as on hardware
 * (Unicorn would read 0 and ignore writes). RDMSR/WRMSR reach here through
 * intercepts by address (intercept.c). */
#include <stddef.h>
#include <string.h>

#include "base/log.h"
#include "cpu_priv.h"


/* The microcode revision IA32_BIOS_SIGN_ID reports in bits 63:32: a released
 * revision for family 6 model 0x5e stepping 3 (cpuid.c), recent enough that
 * Xen keeps the TSC-deadline timer (its errata check wants 0xb2 or later). */
#define MICROCODE_REVISION 0xf0ULL
/* IA32_DEBUGCTL bits without DS/BTS (not in CPUID): LBR (accepted, reads 0:
 * no branch records are kept), BTF, and the freeze and uncore-PMI bits, kept
 * but without effect (docs/msr.md). Other bits raise #GP. */
#define DEBUGCTL_WRITABLE (DEBUGCTL_LBR | (1ULL << 1) | (0xfULL << 11))

void msr_init(struct cpu *c)
{
    c->msr.pat = 0x0007040600070406ULL; /* the power-on PAT (SDM 11.12.4) */
    c->msr.misc_enable = 1;             /* fast strings */
}

uint64_t msr_tsc(const struct cpu *c) { return c->cycles + c->msr.tsc_offset; }

static bool canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* MSRs whose value QEMU itself needs (segment bases, SYSRET/SYSEXIT targets). */
static int uc_msr(struct cpu *c, uint32_t msr, uint64_t *val, bool write)
{
    uc_x86_msr m = { .rid = msr, .value = write ? *val : 0 };
    if (write)
        return uc_reg_write(c->uc, UC_X86_REG_MSR, &m) == UC_ERR_OK ? 0 : -1;
    if (uc_reg_read(c->uc, UC_X86_REG_MSR, &m) != UC_ERR_OK)
        return -1;
    *val = m.value;
    return 0;
}

static uint64_t *mtrr_slot(struct cpu *c, uint32_t msr)
{
    if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 16)
        return &c->msr.mtrr_var[msr - MSR_IA32_MTRR_PHYSBASE0];
    if (msr == MSR_IA32_MTRR_FIX64K_00000)
        return &c->msr.mtrr_fixed[0];
    if (msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000)
        return &c->msr.mtrr_fixed[1 + msr - MSR_IA32_MTRR_FIX16K_80000];
    if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr < MSR_IA32_MTRR_FIX4K_C0000 + 8)
        return &c->msr.mtrr_fixed[3 + msr - MSR_IA32_MTRR_FIX4K_C0000];
    if (msr == MSR_IA32_MTRR_DEF_TYPE)
        return &c->msr.mtrr_def_type;
    return NULL;
}

int msr_read(struct cpu *c, uint32_t msr, uint64_t *val)
{
    uint64_t *slot;
    int r;

    if (c->plat.msr_read && (r = c->plat.msr_read(c->plat.opaque, msr, val)) <= 0)
        return r;
    if (c->vmx && (r = c->vmx_ops->msr_read(c, msr, val)) <= 0)
        return r;
    switch (msr) {
    case MSR_IA32_TSC: *val = msr_tsc(c); return 0;
    case MSR_IA32_PLATFORM_ID: case MSR_IA32_MCG_CAP: *val = 0; return 0;
    case MSR_IA32_BIOS_SIGN_ID: *val = MICROCODE_REVISION << 32; return 0;
    case MSR_IA32_DEBUGCTL: *val = c->msr.debugctl; return 0;
    case MSR_PLATFORM_INFO:
        /* Maximum non-turbo and maximum efficiency ratios (bits 15:8,
         * 47:40) of the 100 MHz bus clock CPUID 0x16 reports: the TSC rate. */
        *val = ((c->hz / 100000000u) & 0xff) << 8 | ((c->hz / 100000000u) & 0xff) << 40;
        return 0;
    case MSR_IA32_MCG_STATUS: *val = c->msr.mcg_status; return 0;
    case MSR_IA32_FEATURE_CONTROL: *val = c->msr.feature_control; return 0;
    case MSR_IA32_MTRRCAP: *val = 0x508; return 0; /* 8 variable ranges, fixed ranges, WC */
    case MSR_IA32_SYSENTER_CS: *val = c->msr.sysenter_cs; return 0;
    case MSR_IA32_SYSENTER_ESP: *val = c->msr.sysenter_esp; return 0;
    case MSR_IA32_SYSENTER_EIP: *val = c->msr.sysenter_eip; return 0;
    case MSR_IA32_MISC_ENABLE: *val = c->msr.misc_enable; return 0;
    case MSR_IA32_PAT: *val = c->msr.pat; return 0;
    case MSR_IA32_STAR: *val = c->msr.star; return 0;
    case MSR_IA32_LSTAR: *val = c->msr.lstar; return 0;
    case MSR_IA32_CSTAR: *val = c->msr.cstar; return 0;
    case MSR_IA32_FMASK: *val = c->msr.fmask; return 0;
    case MSR_IA32_TSC_AUX: *val = c->msr.tsc_aux; return 0;
    case MSR_IA32_EFER: case MSR_IA32_FS_BASE: case MSR_IA32_GS_BASE: case MSR_IA32_KERNEL_GS_BASE:
        return uc_msr(c, msr, val, false);
    }
    if ((slot = mtrr_slot(c, msr))) {
        *val = *slot;
        return 0;
    }
    return -1;
}

int msr_write(struct cpu *c, uint32_t msr, uint64_t val)
{
    uint64_t *slot;
    int r;

    if (c->plat.msr_write && (r = c->plat.msr_write(c->plat.opaque, msr, val)) <= 0)
        return r;
    switch (msr) {
    case MSR_IA32_TSC: c->msr.tsc_offset = val - c->cycles; return 0;
    case MSR_IA32_BIOS_SIGN_ID: return 0; /* microcode update trigger: nothing to load */
    case MSR_IA32_MCG_STATUS: c->msr.mcg_status = val; return 0;
    case MSR_IA32_DEBUGCTL:
        if (val & ~DEBUGCTL_WRITABLE)
            return -1;
        c->msr.debugctl = val & ~DEBUGCTL_LBR;
        return 0;
    case MSR_IA32_FEATURE_CONTROL:
        if (c->msr.feature_control & 1)
            return -1; /* locked until reset */
        c->msr.feature_control = val;
        return 0;
    case MSR_IA32_SYSENTER_CS: c->msr.sysenter_cs = val & 0xffff; return uc_msr(c, msr, &val, true);
    case MSR_IA32_SYSENTER_ESP: c->msr.sysenter_esp = val; return uc_msr(c, msr, &val, true);
    case MSR_IA32_SYSENTER_EIP: c->msr.sysenter_eip = val; return uc_msr(c, msr, &val, true);
    case MSR_IA32_MISC_ENABLE: c->msr.misc_enable = val; return 0;
    case MSR_IA32_PAT:
        for (int i = 0; i < 8; i++) {
            unsigned t = (val >> (8 * i)) & 0xff;
            if (t == 2 || t == 3 || t > 7)
                return -1; /* reserved memory types */
        }
        c->msr.pat = val;
        return 0;
    case MSR_IA32_STAR: c->msr.star = val; return uc_msr(c, msr, &val, true);
    case MSR_IA32_LSTAR:
        if (!canonical(val))
            return -1;
        c->msr.lstar = val;
        return uc_msr(c, msr, &val, true);
    case MSR_IA32_CSTAR:
        if (!canonical(val))
            return -1;
        c->msr.cstar = val;
        return uc_msr(c, msr, &val, true);
    case MSR_IA32_FMASK:
        if (val >> 32)
            return -1; /* bits 63:32 are reserved */
        c->msr.fmask = val;
        return uc_msr(c, msr, &val, true);
    case MSR_IA32_TSC_AUX: c->msr.tsc_aux = val & 0xffffffffu; return 0;
    case MSR_IA32_EFER: {
        uint64_t cur = 0;
        if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
            return -1;
        uc_msr(c, msr, &cur, false);
        /* LMA is read-only; LME cannot change while paging is on (SDM 9.8.5). */
        val = (val & ~EFER_LMA) | (cur & EFER_LMA);
        if (((val ^ cur) & EFER_LME) && (reg_get(c, UC_X86_REG_CR0) >> 31))
            return -1;
        return uc_msr(c, msr, &val, true);
    }
    case MSR_IA32_FS_BASE: case MSR_IA32_GS_BASE: case MSR_IA32_KERNEL_GS_BASE:
        if (!canonical(val))
            return -1;
        return uc_msr(c, msr, &val, true);
    }
    if ((slot = mtrr_slot(c, msr))) {
        *slot = val;
        return 0;
    }
    return -1;
}

void msr_sync_engine(struct cpu *c)
{
    static const struct { uint32_t msr; size_t off; } list[] = {
        { MSR_IA32_STAR, offsetof(struct msr_file, star) },   { MSR_IA32_LSTAR, offsetof(struct msr_file, lstar) },
        { MSR_IA32_CSTAR, offsetof(struct msr_file, cstar) }, { MSR_IA32_FMASK, offsetof(struct msr_file, fmask) },
        { MSR_IA32_SYSENTER_CS, offsetof(struct msr_file, sysenter_cs) },
        { MSR_IA32_SYSENTER_ESP, offsetof(struct msr_file, sysenter_esp) },
        { MSR_IA32_SYSENTER_EIP, offsetof(struct msr_file, sysenter_eip) },
    };
    /* The seven are consecutive in the file (SYSENTER_CS..FMASK): most calls,
     * one per VM entry and exit, find nothing changed. */
    _Static_assert(offsetof(struct msr_file, fmask) - offsetof(struct msr_file, sysenter_cs) == 6 * 8,
                   "the seven synced MSRs are consecutive");
    size_t from = offsetof(struct msr_file, sysenter_cs), to = offsetof(struct msr_file, fmask) + 8;
    if (memcmp((const uint8_t *)&c->msr + from, (const uint8_t *)&c->msr_in_engine + from, to - from) == 0)
        return;
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        uint64_t want, have;
        memcpy(&want, (const uint8_t *)&c->msr + list[i].off, 8);
        memcpy(&have, (const uint8_t *)&c->msr_in_engine + list[i].off, 8);
        if (want != have) {
            uc_msr(c, list[i].msr, &want, true);
            memcpy((uint8_t *)&c->msr_in_engine + list[i].off, &want, 8);
        }
    }
}
