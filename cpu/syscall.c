/* SYSCALL and SYSENTER (Intel SDM vol. 2B): Unicorn hands both to a hook instead
 * of executing them, so the ring model performs the transition to ring 0 from the
 * STAR/LSTAR/CSTAR/FMASK and SYSENTER_* MSRs. SYSRET and SYSEXIT run natively. */
#include "cpu_priv.h"

static struct seg_cache flat(uint16_t sel, bool code, bool long64)
{
    struct seg_cache s = { .sel = sel, .base = 0, .limit = 0xffffffffu };
    s.flags = DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | DESC_W_MASK;
    if (code)
        s.flags |= DESC_CS_MASK | (long64 ? DESC_L_MASK : DESC_B_MASK);
    else
        s.flags |= DESC_B_MASK;
    return s;
}

/* RIP is already past the instruction when these run (the hook stopped the engine after it). */
void syscall_do(struct cpu *c)
{
    uint64_t efer = efer_get(c), rip = reg_get(c, UC_X86_REG_RIP);
    uint64_t rflags = reg_get(c, UC_X86_REG_RFLAGS);
    bool lma = (efer >> 10) & 1;
    uint16_t sel = (uint16_t)(c->msr.star >> 32) & 0xfffc;
    struct seg_cache cs, ss;

    /* Intel CPUs (our CPUID vendor) raise #UD unless in 64-bit mode with SCE. */
    uc_blob_save(c);
    if (!(efer & 1) || !lma || !(uc_blob_hflags(c) & HF_CS64_MASK)) {
        reg_set(c, UC_X86_REG_RIP, rip - 2);
        exc_deliver(c, EXC_UD, EV_EXCEPTION, false, 0);
        return;
    }
    c->stats.syscalls++;
    if (c->plat.on_event)
        c->plat.on_event(c->plat.opaque, 4, 0, 0, rip);
    reg_set(c, UC_X86_REG_RCX, rip);
    reg_set(c, UC_X86_REG_R11, rflags & ~(uint64_t)EFLAGS_RF);
    cs = flat(sel, true, true);
    ss = flat((uint16_t)(sel + 8), false, false);
    exc_switch_context(c, &cs, &ss, c->msr.lstar, reg_get(c, UC_X86_REG_RSP), rflags & ~(c->msr.fmask | EFLAGS_RF));
}

void sysenter_do(struct cpu *c)
{
    uint64_t efer = efer_get(c), rip = reg_get(c, UC_X86_REG_RIP);
    uint64_t rflags = reg_get(c, UC_X86_REG_RFLAGS);
    bool lma = (efer >> 10) & 1;
    uint16_t sel = (uint16_t)c->msr.sysenter_cs & 0xfffc;
    struct seg_cache cs, ss;

    if (!(reg_get(c, UC_X86_REG_CR0) & 1) || sel == 0) {
        reg_set(c, UC_X86_REG_RIP, rip - 2);
        exc_deliver(c, EXC_GP, EV_EXCEPTION, true, 0);
        return;
    }
    c->stats.syscalls++;
    cs = flat(sel, true, lma);
    ss = flat((uint16_t)(sel + 8), false, false);
    exc_switch_context(c, &cs, &ss, lma ? c->msr.sysenter_eip : c->msr.sysenter_eip & 0xffffffffu,
                       lma ? c->msr.sysenter_esp : c->msr.sysenter_esp & 0xffffffffu,
                       rflags & ~(uint64_t)(EFLAGS_IF | EFLAGS_RF | EFLAGS_VM));
}
