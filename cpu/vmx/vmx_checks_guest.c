/* VM-entry checks on the guest-state area (SDM 26.3.1.1 to 26.3.1.6): control
 * and debug registers, segment registers, descriptor tables, RIP and RFLAGS,
 * non-register state, the VMCS link pointer and PAE PDPTEs. */
#include "vmx_checks_priv.h"

/* IA32_DEBUGCTL bits that may be set: LBR, BTF and the model-specific bits 6-15
 * (SDM vol. 3B 17.4.1); bits 5:2 and 63:16 are reserved. */
#define VMX_DEBUGCTL_VALID 0xffc3ull
#define RFLAGS_RESERVED_0 (~0x3fffffull | 1ull << 15 | 1ull << 5 | 1ull << 3)
/* Pending debug exceptions: B3-B0 (3:0), enabled breakpoint (12), BS (14);
 * RTM (16) is not modelled, so it is reserved as well. */
#define PENDING_DBG_VALID 0x500full
#define PENDING_DBG_BS (1ull << 14)
/* PAE PDPTE reserved bits below MAXPHYADDR: 2:1 and 8:5 (SDM vol. 3A 4.4.1). */
#define PDPTE_RESERVED_LOW 0x1e6ull

/* Guest facts several rules share. */
struct guest {
    const uint8_t *vmcs;
    const struct vmx_entry_env *env;
    uint32_t pin, proc2, entry;
    bool ug, ia32e, v86;
    uint64_t cr0, cr4, rflags;
};

static uint32_t seg_sel(const struct guest *g, int seg)
{
    return (uint32_t)vmcs_get(g->vmcs, VMCS_GUEST_ES_SELECTOR + 2u * seg);
}

static uint32_t seg_limit(const struct guest *g, int seg)
{
    return (uint32_t)vmcs_get(g->vmcs, VMCS_GUEST_ES_LIMIT + 2u * seg);
}

static uint32_t seg_ar(const struct guest *g, int seg)
{
    return (uint32_t)vmcs_get(g->vmcs, VMCS_GUEST_ES_AR + 2u * seg);
}

static uint64_t seg_base(const struct guest *g, int seg)
{
    return vmcs_get(g->vmcs, VMCS_GUEST_ES_BASE + 2u * seg);
}

static unsigned ar_dpl(uint32_t ar)
{
    return (ar >> VMX_AR_DPL_SHIFT) & 3;
}

/* 26.3.1.1 */
static enum vmx_check check_regs(const struct guest *g)
{
    const struct vmx_caps *caps = g->env->caps;
    const uint8_t *vmcs = g->vmcs;
    uint64_t ignore = g->ug ? CR0_PE | CR0_PG : 0;

    if (!vmx_caps_cr_valid(caps->cr0_fixed0, caps->cr0_fixed1, g->cr0, ignore))
        return VMX_CHECK_GUEST_CR0;
    if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
        return VMX_CHECK_GUEST_CR0_PG_PE;
    if (!vmx_caps_cr_valid(caps->cr4_fixed0, caps->cr4_fixed1, g->cr4, 0))
        return VMX_CHECK_GUEST_CR4;
    bool load_dbg = g->entry & VMX_ENTRY_LOAD_DEBUG_CONTROLS;
    if (load_dbg && (vmcs_get(vmcs, VMCS_GUEST_DEBUGCTL) & ~VMX_DEBUGCTL_VALID))
        return VMX_CHECK_GUEST_DEBUGCTL;
    if (g->ia32e && (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE)))
        return VMX_CHECK_GUEST_IA32E_PG_PAE;
    if (!g->ia32e && (g->cr4 & CR4_PCIDE))
        return VMX_CHECK_GUEST_PCIDE;
    if (!vmx_phys_ok(caps, vmcs_get(vmcs, VMCS_GUEST_CR3)))
        return VMX_CHECK_GUEST_CR3;
    if (load_dbg && (vmcs_get(vmcs, VMCS_GUEST_DR7) >> 32))
        return VMX_CHECK_GUEST_DR7;
    if (!vmx_canonical(vmcs_get(vmcs, VMCS_GUEST_SYSENTER_ESP)) ||
        !vmx_canonical(vmcs_get(vmcs, VMCS_GUEST_SYSENTER_EIP)))
        return VMX_CHECK_GUEST_SYSENTER;
    if (g->entry & VMX_ENTRY_LOAD_EFER) {
        uint64_t efer = vmcs_get(vmcs, VMCS_GUEST_EFER);
        if (efer & ~VMX_EFER_VALID)
            return VMX_CHECK_GUEST_EFER_RESERVED;
        bool lma = efer & EFER_LMA;
        if (lma != g->ia32e)
            return VMX_CHECK_GUEST_EFER_LMA;
        if ((g->cr0 & CR0_PG) && lma != !!(efer & EFER_LME))
            return VMX_CHECK_GUEST_EFER_LME;
    }
    if ((g->entry & VMX_ENTRY_LOAD_PAT) && !vmx_pat_valid(vmcs_get(vmcs, VMCS_GUEST_PAT)))
        return VMX_CHECK_GUEST_PAT;
    return VMX_CHECK_OK;
}

/* G against the limit, for CS and usable registers, TR and LDTR. */
static bool granularity_ok(uint32_t ar, uint32_t limit)
{
    if ((limit & 0xfff) != 0xfff && (ar & VMX_AR_G))
        return false;
    if ((limit & 0xfff00000u) && !(ar & VMX_AR_G))
        return false;
    return true;
}

/* The access-rights rules for CS, SS, DS, ES, FS, GS outside virtual-8086 mode. */
static enum vmx_check check_code_data_ar(const struct guest *g, int seg)
{
    uint32_t ar = seg_ar(g, seg);
    unsigned type = ar & VMX_AR_TYPE_MASK;
    bool usable = seg == VMX_SEG_CS || !(ar & VMX_AR_UNUSABLE);
    if (!usable)
        return VMX_CHECK_OK;
    unsigned rpl = seg_sel(g, seg) & 3;
    unsigned ss_dpl = ar_dpl(seg_ar(g, VMX_SEG_SS));

    switch (seg) {
    case VMX_SEG_CS:
        if (!(type == 9 || type == 11 || type == 13 || type == 15 || (g->ug && type == 3)))
            return VMX_CHECK_SEG_TYPE;
        break;
    case VMX_SEG_SS:
        if (type != 3 && type != 7)
            return VMX_CHECK_SEG_TYPE;
        break;
    default:
        if (!(type & 1) || ((type & 8) && !(type & 2)))
            return VMX_CHECK_SEG_TYPE;
        break;
    }
    if (!(ar & VMX_AR_S))
        return VMX_CHECK_SEG_S;
    if (seg == VMX_SEG_CS) {
        if ((type == 3 && ar_dpl(ar) != 0) || ((type == 9 || type == 11) && ar_dpl(ar) != ss_dpl) ||
            ((type == 13 || type == 15) && ar_dpl(ar) > ss_dpl))
            return VMX_CHECK_SEG_DPL;
    } else if (seg != VMX_SEG_SS && !g->ug && type <= 11 && ar_dpl(ar) < rpl) {
        /* SS has its own DPL rule in check_segments: it holds for unusable SS too. */
        return VMX_CHECK_SEG_DPL;
    }
    if (!(ar & VMX_AR_P))
        return VMX_CHECK_SEG_P;
    if (ar & VMX_AR_RESERVED)
        return VMX_CHECK_SEG_RESERVED;
    if (seg == VMX_SEG_CS && g->ia32e && (ar & VMX_AR_L) && (ar & VMX_AR_DB))
        return VMX_CHECK_SEG_L_AND_D;
    if (!granularity_ok(ar, seg_limit(g, seg)))
        return VMX_CHECK_SEG_G;
    return VMX_CHECK_OK;
}

/* TR always, LDTR when usable: system segments. */
static enum vmx_check check_system_ar(const struct guest *g, int seg)
{
    uint32_t ar = seg_ar(g, seg);
    unsigned type = ar & VMX_AR_TYPE_MASK;
    if (seg == VMX_SEG_LDTR && (ar & VMX_AR_UNUSABLE))
        return VMX_CHECK_OK;
    if (seg == VMX_SEG_TR ? !(type == 11 || (!g->ia32e && type == 3)) : type != 2)
        return VMX_CHECK_SEG_TYPE;
    if (ar & VMX_AR_S)
        return VMX_CHECK_SEG_S;
    if (!(ar & VMX_AR_P))
        return VMX_CHECK_SEG_P;
    if (ar & VMX_AR_RESERVED)
        return VMX_CHECK_SEG_RESERVED;
    if (!granularity_ok(ar, seg_limit(g, seg)))
        return VMX_CHECK_SEG_G;
    if (ar & VMX_AR_UNUSABLE)
        return VMX_CHECK_SEG_UNUSABLE;
    return VMX_CHECK_OK;
}

/* 26.3.1.2, in the SDM's order: selectors, bases, limits, access rights. */
static struct vmx_check_failure check_segments(const struct guest *g)
{
    bool ldtr_usable = !(seg_ar(g, VMX_SEG_LDTR) & VMX_AR_UNUSABLE);
    if (seg_sel(g, VMX_SEG_TR) & 4)
        return vmx_fail(VMX_CHECK_SEG_TI, VMX_SEG_TR);
    if (ldtr_usable && (seg_sel(g, VMX_SEG_LDTR) & 4))
        return vmx_fail(VMX_CHECK_SEG_TI, VMX_SEG_LDTR);
    if (!g->v86 && !g->ug && (seg_sel(g, VMX_SEG_SS) & 3) != (seg_sel(g, VMX_SEG_CS) & 3))
        return vmx_fail(VMX_CHECK_SEG_SS_RPL, VMX_SEG_SS);

    for (int seg = VMX_SEG_ES; seg <= VMX_SEG_GS && g->v86; seg++)
        if (seg_base(g, seg) != (uint64_t)seg_sel(g, seg) << 4)
            return vmx_fail(VMX_CHECK_SEG_V86_BASE, (enum vmx_seg)seg);
    static const int canonical[] = { VMX_SEG_TR, VMX_SEG_FS, VMX_SEG_GS, VMX_SEG_LDTR };
    for (size_t i = 0; i < 4; i++)
        if ((canonical[i] != VMX_SEG_LDTR || ldtr_usable) && !vmx_canonical(seg_base(g, canonical[i])))
            return vmx_fail(VMX_CHECK_SEG_BASE_CANONICAL, (enum vmx_seg)canonical[i]);
    static const int low32[] = { VMX_SEG_CS, VMX_SEG_SS, VMX_SEG_DS, VMX_SEG_ES };
    for (size_t i = 0; i < 4; i++) {
        int seg = low32[i];
        bool usable = seg == VMX_SEG_CS || !(seg_ar(g, seg) & VMX_AR_UNUSABLE);
        if (usable && (seg_base(g, seg) >> 32))
            return vmx_fail(VMX_CHECK_SEG_BASE_HIGH, (enum vmx_seg)seg);
    }

    for (int seg = VMX_SEG_ES; seg <= VMX_SEG_GS; seg++) {
        if (g->v86) {
            if (seg_limit(g, seg) != 0xffff)
                return vmx_fail(VMX_CHECK_SEG_V86_LIMIT, (enum vmx_seg)seg);
            if (seg_ar(g, seg) != 0xf3)
                return vmx_fail(VMX_CHECK_SEG_V86_AR, (enum vmx_seg)seg);
            continue;
        }
        enum vmx_check c = check_code_data_ar(g, seg);
        if (c != VMX_CHECK_OK)
            return vmx_fail(c, (enum vmx_seg)seg);
    }
    if (!g->v86) {
        /* SS.DPL is the CPL: it must match SS.RPL, and be 0 for a real-mode or
         * data-segment-CS (unrestricted) guest. */
        uint32_t ss_ar = seg_ar(g, VMX_SEG_SS);
        if ((!g->ug && ar_dpl(ss_ar) != (seg_sel(g, VMX_SEG_SS) & 3)) ||
            (((seg_ar(g, VMX_SEG_CS) & VMX_AR_TYPE_MASK) == 3 || !(g->cr0 & CR0_PE)) &&
             ar_dpl(ss_ar) != 0))
            return vmx_fail(VMX_CHECK_SEG_DPL, VMX_SEG_SS);
    }
    for (int seg = VMX_SEG_LDTR; seg <= VMX_SEG_TR; seg++) {
        enum vmx_check c = check_system_ar(g, seg);
        if (c != VMX_CHECK_OK)
            return vmx_fail(c, (enum vmx_seg)seg);
    }
    return VMX_PASS;
}

/* 26.3.1.3 and 26.3.1.4 */
static enum vmx_check check_dtr_rip_rflags(const struct guest *g)
{
    const uint8_t *vmcs = g->vmcs;
    if (!vmx_canonical(vmcs_get(vmcs, VMCS_GUEST_GDTR_BASE)) ||
        !vmx_canonical(vmcs_get(vmcs, VMCS_GUEST_IDTR_BASE)))
        return VMX_CHECK_GUEST_DTR_BASE;
    if ((vmcs_get(vmcs, VMCS_GUEST_GDTR_LIMIT) | vmcs_get(vmcs, VMCS_GUEST_IDTR_LIMIT)) >> 16)
        return VMX_CHECK_GUEST_DTR_LIMIT;

    uint64_t rip = vmcs_get(vmcs, VMCS_GUEST_RIP);
    bool cs_l = seg_ar(g, VMX_SEG_CS) & VMX_AR_L;
    if (g->ia32e && cs_l ? !vmx_canonical(rip) : (rip >> 32) != 0)
        return VMX_CHECK_GUEST_RIP;
    if ((g->rflags & RFLAGS_RESERVED_0) || !(g->rflags & EFLAGS_FIXED1))
        return VMX_CHECK_GUEST_RFLAGS_RESERVED;
    if (g->v86 && (g->ia32e || !(g->cr0 & CR0_PE)))
        return VMX_CHECK_GUEST_RFLAGS_VM;
    uint32_t info = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_ENTRY_INTR_INFO);
    if ((info & VMX_INTR_INFO_VALID) && (info & VMX_INTR_INFO_TYPE_MASK) == 0 &&
        !(g->rflags & EFLAGS_IF))
        return VMX_CHECK_GUEST_RFLAGS_IF;
    return VMX_CHECK_OK;
}

/* Whether an injected event may be delivered in an inactive state (26.3.1.5). */
static bool injection_allowed(unsigned activity, unsigned type, unsigned vector)
{
    switch (activity) {
    case VMX_ACTIVITY_ACTIVE:
        return true;
    case VMX_ACTIVITY_HLT:
        return type == VMX_INTR_TYPE_EXT_INTR || type == VMX_INTR_TYPE_NMI ||
               (type == VMX_INTR_TYPE_HW_EXCEPTION && (vector == 1 || vector == 18)) ||
               (type == VMX_INTR_TYPE_OTHER_EVENT && vector == 0);
    case VMX_ACTIVITY_SHUTDOWN:
        return type == VMX_INTR_TYPE_NMI || (type == VMX_INTR_TYPE_HW_EXCEPTION && vector == 18);
    default:
        return false;
    }
}

/* 26.3.1.5: activity and interruptibility state, pending debug exceptions. */
static enum vmx_check check_nonreg(const struct guest *g)
{
    const uint8_t *vmcs = g->vmcs;
    uint64_t activity = vmcs_get(vmcs, VMCS_GUEST_ACTIVITY_STATE);
    uint32_t intr = (uint32_t)vmcs_get(vmcs, VMCS_GUEST_INTERRUPTIBILITY);
    uint32_t info = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_ENTRY_INTR_INFO);
    bool inject = info & VMX_INTR_INFO_VALID;
    unsigned type = (info & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT;
    bool blocking = intr & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS);

    /* IA32_VMX_MISC bits 8:6 list HLT, shutdown, wait-for-SIPI. */
    if (activity > 3 || (activity != 0 && !(g->env->caps->misc & (1u << (5 + activity)))))
        return VMX_CHECK_ACTIVITY_STATE;
    if (activity == VMX_ACTIVITY_HLT && ar_dpl(seg_ar(g, VMX_SEG_SS)) != 0)
        return VMX_CHECK_ACTIVITY_HLT_DPL;
    if (blocking && activity != VMX_ACTIVITY_ACTIVE)
        return VMX_CHECK_ACTIVITY_BLOCKING;
    if (inject && !injection_allowed((unsigned)activity, type, info & VMX_INTR_INFO_VECTOR_MASK))
        return VMX_CHECK_ACTIVITY_INJECTION;

    /* Bit 4 (enclave interruption) needs SGX, which the model lacks. */
    if (intr & ~0xfu)
        return VMX_CHECK_INTR_STATE_RESERVED;
    if ((intr & VMX_INTERRUPTIBILITY_STI) && (intr & VMX_INTERRUPTIBILITY_MOV_SS))
        return VMX_CHECK_INTR_STATE_STI_MOV_SS;
    if ((intr & VMX_INTERRUPTIBILITY_STI) && !(g->rflags & EFLAGS_IF))
        return VMX_CHECK_INTR_STATE_STI_IF;
    if (inject && ((type == VMX_INTR_TYPE_EXT_INTR && blocking) ||
                   (type == VMX_INTR_TYPE_NMI && (intr & VMX_INTERRUPTIBILITY_MOV_SS))))
        return VMX_CHECK_INTR_STATE_INJECTION;
    /* Implementation-specific (26.3.1.5): this CPU refuses NMI injection under
     * STI blocking, and says so with exit qualification 3 (26.7). */
    if (inject && type == VMX_INTR_TYPE_NMI && (intr & VMX_INTERRUPTIBILITY_STI))
        return VMX_CHECK_INTR_STATE_NMI_STI;
    if (intr & VMX_INTERRUPTIBILITY_SMI) /* the model has no SMM */
        return VMX_CHECK_INTR_STATE_SMI;
    if ((g->pin & VMX_PIN_VIRTUAL_NMIS) && inject && type == VMX_INTR_TYPE_NMI &&
        (intr & VMX_INTERRUPTIBILITY_NMI))
        return VMX_CHECK_INTR_STATE_VIRTUAL_NMI;

    uint64_t pending = vmcs_get(vmcs, VMCS_GUEST_PENDING_DBG_EXCEPTIONS);
    if (pending & ~PENDING_DBG_VALID)
        return VMX_CHECK_PENDING_DBG_RESERVED;
    if (blocking || activity == VMX_ACTIVITY_HLT) {
        bool btf = vmcs_get(vmcs, VMCS_GUEST_DEBUGCTL) & DEBUGCTL_BTF;
        bool want_bs = (g->rflags & EFLAGS_TF) && !btf;
        if (!!(pending & PENDING_DBG_BS) != want_bs)
            return VMX_CHECK_PENDING_DBG_BS;
    }
    return VMX_CHECK_OK;
}

/* 26.3.1.5, VMCS link pointer: all ones, or a VMCS other than the current one.
 * The model has no VMCS shadowing, so the region's bit 31 must be 0. */
static enum vmx_check check_link_pointer(const struct guest *g)
{
    uint64_t link = vmcs_get(g->vmcs, VMCS_LINK_POINTER);
    if (link == ~0ull)
        return VMX_CHECK_OK;
    if ((link & 0xfff) || !vmx_phys_ok(g->env->caps, link))
        return VMX_CHECK_LINK_POINTER_ADDR;
    uint32_t rev = (uint32_t)g->env->mem->read64(g->env->mem->opaque, link);
    if (rev != (uint32_t)(g->env->caps->basic & 0x7fffffff))
        return VMX_CHECK_LINK_POINTER_REVISION;
    if (link == g->env->current_vmcs)
        return VMX_CHECK_LINK_POINTER_CURRENT;
    return VMX_CHECK_OK;
}

/* 26.3.1.6: PAE paging outside IA-32e mode loads four PDPTEs, from the VMCS
 * with EPT, otherwise from guest memory at CR3[31:5]. */
static enum vmx_check check_pdptes(const struct guest *g)
{
    if (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE) || g->ia32e)
        return VMX_CHECK_OK;
    uint64_t reserved = PDPTE_RESERVED_LOW | ~((1ull << g->env->caps->maxphyaddr) - 1);
    uint64_t cr3 = vmcs_get(g->vmcs, VMCS_GUEST_CR3) & 0xffffffe0u;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pdpte = (g->proc2 & VMX_PROC2_ENABLE_EPT)
                             ? vmcs_get(g->vmcs, VMCS_GUEST_PDPTE0 + 2 * i)
                             : g->env->mem->read64(g->env->mem->opaque, cr3 + 8 * i);
        if ((pdpte & 1) && (pdpte & reserved))
            return VMX_CHECK_GUEST_PDPTE;
    }
    return VMX_CHECK_OK;
}

struct vmx_check_failure vmx_check_guest(const uint8_t *vmcs, const struct vmx_entry_env *env)
{
    struct guest g = {
        .vmcs = vmcs,
        .env = env,
        .pin = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_PIN_BASED),
        .proc2 = vmx_proc2(vmcs),
        .entry = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_ENTRY),
        .cr0 = vmcs_get(vmcs, VMCS_GUEST_CR0),
        .cr4 = vmcs_get(vmcs, VMCS_GUEST_CR4),
        .rflags = vmcs_get(vmcs, VMCS_GUEST_RFLAGS),
    };
    g.ug = g.proc2 & VMX_PROC2_UNRESTRICTED_GUEST;
    g.ia32e = g.entry & VMX_ENTRY_IA32E_MODE_GUEST;
    g.v86 = g.rflags & EFLAGS_VM;

    enum vmx_check c = check_regs(&g);
    if (c != VMX_CHECK_OK)
        return vmx_fail(c, VMX_SEG_NONE);
    struct vmx_check_failure f = check_segments(&g);
    if (f.check != VMX_CHECK_OK)
        return f;
    if ((c = check_dtr_rip_rflags(&g)) != VMX_CHECK_OK ||
        (c = check_nonreg(&g)) != VMX_CHECK_OK ||
        (c = check_link_pointer(&g)) != VMX_CHECK_OK || (c = check_pdptes(&g)) != VMX_CHECK_OK)
        return vmx_fail(c, VMX_SEG_NONE);
    return VMX_PASS;
}
