/* The CPUID model: Unicorn's own leaves (what its TCG really executes) with the
 * identity and platform bits of hvsim's machine laid over them: the vendor, APIC
 * ID, x2APIC and TSC-deadline (our local APIC has them), the TSC frequency
 * (leaves 0x15/0x16), no hypervisor bit. Nothing is advertised that is not modelled. */
#include <string.h>

#include "cpu_priv.h"

#define MAX_LEAF 0x16
/* The legacy area and the XSAVE header: 576 bytes whichever of the
 * components of CPU_XCR0_SUPPORTED (cpu_priv.h) XCR0 enables. */
#define XSTATE_SIZE 576u

static void native(struct cpu *c, uint32_t leaf, uint32_t out[4])
{
    uint64_t v;
    /* A scratch run of CPUID on the engine itself before our hook exists. */
    static const uint8_t code[] = { 0x0f, 0xa2 };
    uint64_t at = c->ram_size - 0x1000;
    uint8_t save[2];

    memcpy(save, c->ram + at, 2);
    memcpy(c->ram + at, code, 2);
    uc_ctl_remove_cache(c->uc, at, at + 2);
    v = leaf;
    uc_reg_write(c->uc, UC_X86_REG_RAX, &v);
    v = 0;
    uc_reg_write(c->uc, UC_X86_REG_RCX, &v);
    uc_emu_start(c->uc, at, at + 2, 0, 0);
    out[0] = (uint32_t)reg_get(c, UC_X86_REG_RAX);
    out[1] = (uint32_t)reg_get(c, UC_X86_REG_RBX);
    out[2] = (uint32_t)reg_get(c, UC_X86_REG_RCX);
    out[3] = (uint32_t)reg_get(c, UC_X86_REG_RDX);
    memcpy(c->ram + at, save, 2);
    uc_ctl_remove_cache(c->uc, at, at + 2);
}

void cpuid_init(struct cpu *c)
{
    for (uint32_t l = 0; l < 0x20; l++)
        native(c, l, c->cpuid_native[l]);
    for (uint32_t l = 0; l < 0x10; l++)
        native(c, 0x80000000u + l, c->cpuid_native_ext[l]);
}

void cpuid_query(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 16);
    if (leaf >= 0x80000000u) {
        uint32_t max_ext = c->cpuid_native_ext[0][0];
        if (leaf > max_ext || leaf - 0x80000000u >= 0x10)
            return;
        memcpy(out, c->cpuid_native_ext[leaf - 0x80000000u], 16);
        if (leaf == 0x80000008u)
            out[0] = (out[0] & ~0xffu) | 40; /* 40 physical address bits */
        return;
    }
    if (leaf > MAX_LEAF)
        leaf = MAX_LEAF; /* as Intel CPUs: above the maximum, the highest basic leaf */
    switch (leaf) {
    case 0:
        out[0] = MAX_LEAF;
        memcpy(&out[1], "Genu", 4);
        memcpy(&out[3], "ineI", 4);
        memcpy(&out[2], "ntel", 4);
        return;
    case 1:
        memcpy(out, c->cpuid_native[1], 16);
        out[0] = 0x000506e3; /* family 6 model 0x5e stepping 3 */
        out[1] = (c->apic_id << 24) | (1u << 16) | (8u << 8);
        out[2] |= CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
        out[2] &= ~(CPUID1_ECX_HYPERVISOR | CPUID1_ECX_VMX | CPUID1_ECX_MONITOR | CPUID1_ECX_RDRAND);
        if (c->vmx)
            out[2] |= CPUID1_ECX_VMX; /* the VT-x model (vmx_*.c) */
        /* OSXSAVE mirrors CR4.OSXSAVE (SDM vol. 2A CPUID, table 3-10). */
        out[2] &= ~CPUID1_ECX_OSXSAVE;
        if (reg_get(c, UC_X86_REG_CR4) & CR4_OSXSAVE)
            out[2] |= CPUID1_ECX_OSXSAVE;
        out[3] |= CPUID1_EDX_APIC | CPUID1_EDX_MTRR | CPUID1_EDX_PAT;
        out[3] &= ~(CPUID1_EDX_MCE | CPUID1_EDX_MCA);
        return;
    case 0xb:
        /* x2APIC topology: one thread, one core. */
        out[0] = 0;
        out[1] = sub == 0 ? 1 : 0;
        out[2] = sub == 0 ? (1u << 8) | sub : sub;
        out[3] = c->apic_id;
        return;
    case 0x15:
        /* TSC = crystal * EBX / EAX: the crystal runs at the nominal frequency. */
        out[0] = 1;
        out[1] = 1;
        out[2] = (uint32_t)c->hz;
        return;
    case 0x16:
        out[0] = out[1] = (uint32_t)(c->hz / 1000000);
        out[2] = 100;
        return;
    default:
        if (leaf < 0x20 && leaf <= c->cpuid_native[0][0] && leaf != 0x4 && leaf != 0xd)
            memcpy(out, c->cpuid_native[leaf], 16);
        if (leaf == 0xd && sub == 0) {
            out[0] = (uint32_t)CPU_XCR0_SUPPORTED;
            out[1] = out[2] = XSTATE_SIZE;
        }
        return; /* leaf 0xd sub-leaf 1: no XSAVEOPT, XSAVEC, XGETBV with ECX=1 or XSAVES */
    }
}
