/* Event delivery in real-address mode (Intel SDM vol. 3A sec. 20.1.4, "Interrupt
 * and Exception Handling" in 8086 emulation; vol. 2 INT n pseudocode): the
 * vector's IVT entry at IDTR.base + 4 * vector gives CS:IP; FLAGS, CS and IP are
 * pushed as words on SS:SP; IF, TF and AC are cleared. No error code is pushed,
 * no privilege or gate checks exist. IRET in real mode is Unicorn's own. */
#include "base/log.h"
#include "cpu_priv.h"

/* A word at SS:SP, the stack wrapping inside its 64 KiB (byte by byte, as a
 * push at SP = 1 wraps on an 8086; later CPUs raise #SS there, which boot
 * code never provokes). */
static int push16(struct cpu *c, const struct pw_ctx *m, uint64_t ss_base, uint16_t *sp, uint16_t v)
{
    uint64_t fl;
    uint32_t pe;
    *sp = (uint16_t)(*sp - 2);
    for (int i = 0; i < 2; i++) {
        uint8_t b = (uint8_t)(v >> (8 * i));
        if (pw_write(c, m, ss_base + (uint16_t)(*sp + i), &b, 1, &fl, &pe))
            return -1;
    }
    return 0;
}

int rm_deliver(struct cpu *c, int vec, enum event_kind kind)
{
    uc_x86_mmr idtr;
    struct pw_ctx m;
    struct seg_cache cs, ss;
    uint16_t ivt[2];
    uint64_t fl;
    uint32_t pe;

    uc_reg_read(c->uc, UC_X86_REG_IDTR, &idtr);
    if ((uint32_t)vec * 4 + 3 > idtr.limit)
        return -1; /* #GP, as the SDM's INT n pseudocode says */
    pw_ctx_read(c, &m);
    if (pw_read(c, &m, idtr.base + (uint64_t)vec * 4, ivt, 4, &fl, &pe))
        return -1;

    uint64_t rip = reg_get(c, UC_X86_REG_RIP), rsp = reg_get(c, UC_X86_REG_RSP);
    uint64_t rflags = reg_get(c, UC_X86_REG_RFLAGS);
    uc_blob_save(c);
    uc_blob_get_seg(c, SEG_CS, &cs);
    uc_blob_get_seg(c, SEG_SS, &ss);
    uint16_t sp = (uint16_t)rsp;
    if (push16(c, &m, ss.base, &sp, (uint16_t)rflags) || push16(c, &m, ss.base, &sp, cs.sel) ||
        push16(c, &m, ss.base, &sp, (uint16_t)rip))
        return -1;

    /* A real-mode CS load changes only the selector and base (limit and
     * attributes stay, as on hardware and in QEMU's do_interrupt_real). */
    cs.sel = ivt[1];
    cs.base = (uint64_t)ivt[1] << 4;
    uint64_t nflags = rflags & ~(uint64_t)(EFLAGS_IF | EFLAGS_TF | EFLAGS_AC | EFLAGS_RF);
    exc_switch_context(c, &cs, NULL, ivt[0], (rsp & ~0xffffULL) | sp, nflags);
    if (c->plat.on_event)
        c->plat.on_event(c->plat.opaque, (int)kind, vec, 0, rip);
    if (kind == EV_EXTERNAL)
        c->stats.interrupts++;
    else
        c->stats.exceptions++;
    return 0;
}

bool cpu_real_mode_stack(struct cpu *c, uint64_t *ss_base, uint16_t *sp)
{
    struct seg_cache ss;
    if (reg_get(c, UC_X86_REG_CR0) & 1)
        return false;
    uc_blob_save(c);
    uc_blob_get_seg(c, SEG_SS, &ss);
    *ss_base = ss.base;
    *sp = (uint16_t)reg_get(c, UC_X86_REG_RSP);
    return true;
}
