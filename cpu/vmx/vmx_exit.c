/* VM exit (Intel SDM vol. 3C ch. 27): record the exit information, save the
 * guest's state into the VMCS (27.3), hand the guest's general registers to the
 * root engine (VT-x leaves them in the CPU), and load the host state (27.5). The
 * modelled cost of the round trip is added to virtual time here. */
#include <string.h>

#include "base/log.h"
#include "vmx_priv.h"

static uint32_t ar_of(const struct seg_cache *sc)
{
    if (!(sc->flags & DESC_P_MASK))
        return 1u << 16; /* unusable */
    uint32_t ar = ((sc->flags >> 8) & 0xffu) | ((sc->flags >> 8) & 0xf000u);
    /* Loading a code or data segment sets its accessed bit on hardware; QEMU's
     * IRET and far transfers leave it as the descriptor had it (24.4.1). */
    if (ar & 0x10)
        ar |= 1;
    return ar;
}

static void save_seg(uint8_t *vmcs, const struct seg_cache *sc, uint32_t sel, uint32_t base, uint32_t limit,
                     uint32_t ar)
{
    vset(vmcs, sel, sc->sel);
    vset(vmcs, base, sc->base);
    vset(vmcs, limit, sc->limit);
    vset(vmcs, ar, ar_of(sc));
}

static void save_table(struct cpu *g, int reg, uint8_t *vmcs, uint32_t sel, uint32_t base, uint32_t limit, uint32_t ar)
{
    uc_x86_mmr t;
    uc_blob_read_mmr(g, reg, &t);
    if (sel)
        vset(vmcs, sel, t.selector);
    vset(vmcs, base, t.base);
    vset(vmcs, limit, t.limit);
    if (ar) {
        struct seg_cache sc = { .flags = t.flags };
        /* Unicorn keeps TR/LDTR flags only when they were loaded by LTR/LLDT or by us. */
        uint32_t v = t.flags ? ar_of(&sc) : (reg == UC_X86_REG_TR ? 0x8bu : 1u << 16);
        /* LTR marks the TSS busy, and the processor's TR holds the busy type from
         * then on; Unicorn caches the descriptor as it read it, before marking it.
         * VM entry refuses an available TSS type (SDM 27.3.1.2), so a guest that
         * ran LTR could never be resumed. */
        if (reg == UC_X86_REG_TR && !(v & (1u << 16)) && ((v & 0xf) == 1 || (v & 0xf) == 9))
            v |= 2;
        vset(vmcs, ar, v);
    }
}

/* The ten caches (ES..GS, LDTR, TR, GDTR, IDTR) as bytes of the live state, or
 * NULL when they are not known to lie together there. */
static const uint8_t *seg_caches(struct cpu *g, size_t *n)
{
    *n = 10 * g->blob.seg_stride;
    if (!g->blob_live || !g->blob.tables || *n > sizeof g->nr->seg_image)
        return NULL;
    return g->blob_live + uc_blob_seg_off(g, SEG_ES);
}

static void save_segments(struct cpu *g, uint8_t *vmcs)
{
    struct seg_cache s[6];
    size_t n;
    const uint8_t *now = seg_caches(g, &n);

    if (now && g->nr->seg_image_valid && memcmp(now, g->nr->seg_image, n) == 0)
        return; /* the VMCS holds what saving them would write */
    for (int i = SEG_ES; i <= SEG_GS; i++)
        uc_blob_get_seg(g, (enum seg_index)i, &s[i]);
    save_seg(vmcs, &s[SEG_ES], VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR);
    save_seg(vmcs, &s[SEG_CS], VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR);
    save_seg(vmcs, &s[SEG_SS], VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR);
    save_seg(vmcs, &s[SEG_DS], VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR);
    save_seg(vmcs, &s[SEG_FS], VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR);
    save_seg(vmcs, &s[SEG_GS], VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR);
    save_table(g, UC_X86_REG_TR, vmcs, VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT,
               VMCS_GUEST_TR_AR);
    save_table(g, UC_X86_REG_LDTR, vmcs, VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT,
               VMCS_GUEST_LDTR_AR);
    save_table(g, UC_X86_REG_GDTR, vmcs, 0, VMCS_GUEST_GDTR_BASE, VMCS_GUEST_GDTR_LIMIT, 0);
    save_table(g, UC_X86_REG_IDTR, vmcs, 0, VMCS_GUEST_IDTR_BASE, VMCS_GUEST_IDTR_LIMIT, 0);
    if (now) {
        memcpy(g->nr->seg_image, now, n);
        g->nr->seg_image_valid = true;
    }
}

static void save_guest_state(struct cpu *g, uint8_t *vmcs)
{
    uint64_t efer = efer_get(g);

    uc_blob_save(g);
    save_segments(g, vmcs);
    vset(vmcs, VMCS_GUEST_CR0, reg_get(g, UC_X86_REG_CR0));
    vset(vmcs, VMCS_GUEST_CR3, reg_get(g, UC_X86_REG_CR3));
    vset(vmcs, VMCS_GUEST_CR4, reg_get(g, UC_X86_REG_CR4));
    vset(vmcs, VMCS_GUEST_RSP, reg_get(g, UC_X86_REG_RSP));
    vset(vmcs, VMCS_GUEST_RIP, reg_get(g, UC_X86_REG_RIP));
    vset(vmcs, VMCS_GUEST_RFLAGS, uc_blob_rflags(g));
    vset(vmcs, VMCS_GUEST_SYSENTER_CS, g->msr.sysenter_cs);
    vset(vmcs, VMCS_GUEST_SYSENTER_ESP, g->msr.sysenter_esp);
    vset(vmcs, VMCS_GUEST_SYSENTER_EIP, g->msr.sysenter_eip);
    vset(vmcs, VMCS_GUEST_ACTIVITY_STATE, g->halted ? 1 : 0);
    /* The engine's one interrupt-shadow flag: blocking by STI if IF is set
     * (STI sets it), else by MOV SS (the entry checks refuse STI blocking with
     * IF clear, 26.3.1.5). Bit 3: blocking by NMI, or virtual-NMI blocking
     * with virtual NMIs on. */
    uint32_t shadow = 0;
    if (uc_blob_hflags(g) & HF_INHIBIT_IRQ_MASK)
        shadow = (uc_blob_rflags(g) & EFLAGS_IF) ? VMX_INTERRUPTIBILITY_STI : VMX_INTERRUPTIBILITY_MOV_SS;
    vset(vmcs, VMCS_GUEST_INTERRUPTIBILITY, shadow | (g->nmi_blocked ? VMX_INTERRUPTIBILITY_NMI : 0));
    uint32_t exit_ctl = (uint32_t)vget(vmcs, VMCS_CTRL_EXIT);
    if (exit_ctl & VMX_EXIT_SAVE_DEBUG_CONTROLS) {
        vset(vmcs, VMCS_GUEST_DR7, uc_blob_dr7(g));
        vset(vmcs, VMCS_GUEST_DEBUGCTL, g->msr.debugctl);
    }
    if (exit_ctl & VMX_EXIT_SAVE_EFER)
        vset(vmcs, VMCS_GUEST_EFER, efer);
    if (exit_ctl & VMX_EXIT_SAVE_PAT)
        vset(vmcs, VMCS_GUEST_PAT, g->msr.pat);
    /* The IA-32e mode guest control follows EFER.LMA (27.2). */
    uint32_t entry = (uint32_t)vget(vmcs, VMCS_CTRL_ENTRY);
    entry = (efer & 0x400) ? entry | VMX_ENTRY_IA32E_MODE_GUEST : entry & ~VMX_ENTRY_IA32E_MODE_GUEST;
    vset(vmcs, VMCS_CTRL_ENTRY, entry);
    if ((exit_ctl & VMX_EXIT_SAVE_PREEMPTION_TIMER) && g->nr->timer_deadline != UINT64_MAX) {
        struct cpu *root = g->nr->root;
        uint64_t left = g->nr->timer_deadline > g->cycles ? g->nr->timer_deadline - g->cycles : 0;
        vset(vmcs, VMCS_GUEST_PREEMPTION_TIMER, left >> (root->vmx->caps.misc & 0x1f));
    }
}

/* Host state after an exit (27.5): flat segments from the selectors and bases
 * of the host-state area, CPL 0, RFLAGS with only bit 1. */
void vmx_load_host_state(struct cpu *root, uint8_t *vmcs)
{
    uint32_t exit_ctl = (uint32_t)vget(vmcs, VMCS_CTRL_EXIT);
    bool host64 = exit_ctl & VMX_EXIT_HOST_ADDR_SPACE_SIZE;
    uint64_t cr0 = vget(vmcs, VMCS_HOST_CR0), cr3 = vget(vmcs, VMCS_HOST_CR3);
    uint64_t cr4 = vget(vmcs, VMCS_HOST_CR4);
    uint64_t efer = (exit_ctl & VMX_EXIT_LOAD_EFER) ? vget(vmcs, VMCS_HOST_EFER)
                                                   : ((efer_get(root) & ~0x500ULL) | (host64 ? 0x500 : 0));
    const uint32_t code = DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK;
    const uint32_t data = DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;

    engine_load_paging(root, cr0, cr3, cr4, efer,
                       cr0 == reg_get(root, UC_X86_REG_CR0) && cr4 == reg_get(root, UC_X86_REG_CR4) &&
                           efer == efer_get(root));
    if (exit_ctl & VMX_EXIT_LOAD_PAT)
        root->msr.pat = vget(vmcs, VMCS_HOST_PAT); /* checked valid on entry (26.2.2) */
    uc_x86_mmr t = { .base = vget(vmcs, VMCS_HOST_GDTR_BASE), .limit = 0xffff };
    uc_blob_write_mmr(root, UC_X86_REG_GDTR, &t);
    t = (uc_x86_mmr){ .base = vget(vmcs, VMCS_HOST_IDTR_BASE), .limit = 0xffff };
    uc_blob_write_mmr(root, UC_X86_REG_IDTR, &t);
    t = (uc_x86_mmr){ .selector = (uint16_t)vget(vmcs, VMCS_HOST_TR_SELECTOR),
                      .base = vget(vmcs, VMCS_HOST_TR_BASE), .limit = 0x67,
                      .flags = DESC_P_MASK | (0xbu << DESC_TYPE_SHIFT) };
    uc_blob_write_mmr(root, UC_X86_REG_TR, &t);
    t = (uc_x86_mmr){ 0 };
    uc_blob_write_mmr(root, UC_X86_REG_LDTR, &t);
    root->msr.sysenter_cs = vget(vmcs, VMCS_HOST_SYSENTER_CS);
    root->msr.sysenter_esp = vget(vmcs, VMCS_HOST_SYSENTER_ESP);
    root->msr.sysenter_eip = vget(vmcs, VMCS_HOST_SYSENTER_EIP);
    msr_sync_engine(root);

    struct seg_cache cs = { .sel = (uint16_t)vget(vmcs, VMCS_HOST_CS_SELECTOR), .limit = 0xffffffffu,
                            .flags = code | (host64 ? DESC_L_MASK : DESC_B_MASK) };
    struct seg_cache ss = { .sel = (uint16_t)vget(vmcs, VMCS_HOST_SS_SELECTOR), .limit = 0xffffffffu,
                            .flags = data };
    static const struct { enum seg_index seg; uint32_t sel; uint32_t base; } others[] = {
        { SEG_DS, VMCS_HOST_DS_SELECTOR, 0 }, { SEG_ES, VMCS_HOST_ES_SELECTOR, 0 },
        { SEG_FS, VMCS_HOST_FS_SELECTOR, VMCS_HOST_FS_BASE }, { SEG_GS, VMCS_HOST_GS_SELECTOR, VMCS_HOST_GS_BASE },
    };
    uc_blob_save(root);
    uc_blob_set_seg(root, SEG_CS, &cs);
    uc_blob_set_seg(root, SEG_SS, &ss);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        struct seg_cache sc = { .sel = (uint16_t)vget(vmcs, others[i].sel), .limit = 0xffffffffu };
        sc.base = others[i].base ? vget(vmcs, others[i].base) : 0;
        sc.flags = sc.sel ? data : 0; /* a null selector leaves the register unusable */
        uc_blob_set_seg(root, others[i].seg, &sc);
    }
    uc_blob_update_seg_hflags(root, cr0, (efer_get(root) >> 10) & 1);
    uc_blob_set_reg(root, 4, vget(vmcs, VMCS_HOST_RSP));
    uc_blob_set_reg(root, 16, vget(vmcs, VMCS_HOST_RIP));
    uc_blob_reset_exception(root);
    uc_blob_restore(root);
    uc_blob_set_dr7(root, 0x400); /* every exit (27.5.1); an API write: after the restore */
    /* FS and GS bases also live in their MSRs. */
    reg_set(root, UC_X86_REG_FS_BASE, vget(vmcs, VMCS_HOST_FS_BASE));
    reg_set(root, UC_X86_REG_GS_BASE, vget(vmcs, VMCS_HOST_GS_BASE));
    uc_blob_set_rflags(root, 0x2);
}

/* The VM-exit MSR-store (guest values into the list) and MSR-load (host values
 * from it) lists (27.4, 27.6). A failure here is a VMX abort on hardware; the
 * model logs it and goes on. */
static void msr_list(struct cpu *c, struct cpu *root, uint8_t *vmcs, uint32_t count_f, uint32_t addr_f, bool store)
{
    uint32_t n = (uint32_t)vget(vmcs, count_f);
    uint64_t addr = vget(vmcs, addr_f);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = addr + 16 * (uint64_t)i, val = 0;
        uint32_t msr;
        if (e + 16 > root->ram_size)
            return;
        memcpy(&msr, root->ram + e, 4);
        if (store) {
            if (msr_read(c, msr, &val))
                log_guest("vmx: VM-exit MSR-store list entry %u: MSR %#x cannot be read (VMX abort)", i, msr);
            memcpy(root->ram + e + 8, &val, 8);
        } else {
            memcpy(&val, root->ram + e + 8, 8);
            /* FS and GS bases come from the host-state area (27.6). */
            if (msr == MSR_IA32_FS_BASE || msr == MSR_IA32_GS_BASE || (msr >> 8) == 0x8 || msr_write(c, msr, val))
                log_guest("vmx: VM-exit MSR-load list entry %u: MSR %#x refused (VMX abort)", i, msr);
        }
    }
}

void vmx_copy_gprs(struct cpu *to, struct cpu *from)
{
    if (to->blob_live && from->blob_live) { /* RSP stays: it comes from the VMCS */
        uint64_t *t = live_u64(to, to->blob.rax);
        const uint64_t *f = live_u64(from, from->blob.rax);
        uint64_t rsp = t[4];
        memcpy(t, f, 16 * sizeof *t);
        t[4] = rsp;
        return;
    }
    static int ids[] = { UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
                         UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10,
                         UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15 };
    enum { N = sizeof ids / sizeof ids[0] };
    uint64_t vals[N];
    void *ptrs[N];
    for (int i = 0; i < N; i++)
        ptrs[i] = &vals[i];
    uc_reg_read_batch(from->uc, ids, ptrs, N);
    uc_reg_write_batch(to->uc, ids, (void *const *)ptrs, N);
}

void vmx_exit_to_root(struct cpu *root, struct cpu *g)
{
    struct vmx_root *v = root->vmx;
    struct vmx_exit *e = &g->nr->exit;
    uint8_t *vmcs = vmx_vmcs(root, g->nr->vmcs_pa);

    vset(vmcs, VMCS_EXIT_REASON, e->reason);
    vset(vmcs, VMCS_EXIT_QUALIFICATION, e->qualification);
    vset(vmcs, VMCS_EXIT_INSTRUCTION_LEN, e->insn_len);
    vset(vmcs, VMCS_EXIT_INSTRUCTION_INFO, e->insn_info);
    vset(vmcs, VMCS_EXIT_INTR_INFO, e->intr_info);
    vset(vmcs, VMCS_EXIT_INTR_ERROR_CODE, e->intr_error);
    vset(vmcs, VMCS_IDT_VECTORING_INFO, 0);
    vset(vmcs, VMCS_GUEST_PHYSICAL_ADDRESS, e->gpa);
    vset(vmcs, VMCS_GUEST_LINEAR_ADDRESS, e->gla);
    /* The entry interruption information is consumed by the entry (24.8.3). */
    vset(vmcs, VMCS_CTRL_ENTRY_INTR_INFO,
             vget(vmcs, VMCS_CTRL_ENTRY_INTR_INFO) & ~(uint64_t)VMX_INTR_INFO_VALID);
    save_guest_state(g, vmcs);
    struct vmx_guest_slot *slot = vmx_slot_of(v, g->nr->vmcs_pa);
    if (slot)
        slot->engine_current = true;
    msr_list(g, root, vmcs, VMCS_CTRL_EXIT_MSR_STORE_COUNT, VMCS_CTRL_EXIT_MSR_STORE_ADDR, true);
    vmx_copy_gprs(root, g);
    uint64_t tsc_offset = root->msr.tsc_offset;
    root->msr = g->msr; /* what the guest wrote to shared MSRs stays */
    root->msr.tsc_offset = tsc_offset;
    root->msr.debugctl = 0; /* every exit clears IA32_DEBUGCTL and sets DR7 to 400H (27.5.1) */
    vmx_load_host_state(root, vmcs);
    msr_list(root, root, vmcs, VMCS_CTRL_EXIT_MSR_LOAD_COUNT, VMCS_CTRL_EXIT_MSR_LOAD_ADDR, false);
    if (e->reason == EXIT_REASON_EPT_VIOLATION || e->reason == EXIT_REASON_EPT_MISCONFIG)
        vmx_ept_changed(root, g->nr->vmcs_pa); /* the host will repair the EPT: walk it again */
    root->cycles = g->cycles + v->round_trip_cycles - v->round_trip_cycles / 2;
    root->instructions = g->instructions;
    root->halted = false;
    e->pending = false;
    root->guest = NULL;
    v->exits++;
    if (root->plat.on_event)
        root->plat.on_event(root->plat.opaque, 3, (int)e->reason, (uint32_t)e->qualification,
                            vget(vmcs, VMCS_GUEST_RIP));
}
