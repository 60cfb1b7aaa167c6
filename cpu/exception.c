/* The ring model's event delivery (Intel SDM vol. 3A ch. 6): exceptions, software
 * interrupts and external interrupts through 16-, 32- and 64-bit IDT gates onto
 * 16- and 32-bit stacks (the real-mode IVT is realmode.c's), with DPL checks on INT n, privilege change onto the TSS stack (ESP0/RSP0, IST),
 * error codes, and the double-fault and triple-fault rules of table 6-5.
 * Unicorn reports events without delivering them; this file delivers them. */
#include <string.h>

#include "base/log.h"
#include "cpu_priv.h"

bool exc_has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

/* A fault raised while delivering: the vector and its error code. */
struct nested {
    int vector;
    uint32_t err;
    uint64_t cr2;
    bool has_cr2;
};

static int fault(struct nested *n, int vector, uint32_t err)
{
    n->vector = vector;
    n->err = err;
    n->has_cr2 = false;
    return -1;
}

static int page_fault(struct nested *n, uint64_t lin, uint32_t err)
{
    fault(n, EXC_PF, err);
    n->cr2 = lin;
    n->has_cr2 = true;
    return -1;
}

static void desc_to_cache(uint32_t lo, uint32_t hi, uint16_t sel, struct seg_cache *sc)
{
    sc->sel = sel;
    sc->base = (lo >> 16) | ((hi & 0xffu) << 16) | (hi & 0xff000000u);
    sc->limit = (lo & 0xffffu) | (hi & 0xf0000u);
    if (hi & DESC_G_MASK)
        sc->limit = (sc->limit << 12) | 0xfffu;
    sc->flags = (hi & 0x00f0ff00u) | DESC_A_MASK;
}

int exc_read_descriptor(struct cpu *c, const struct pw_ctx *m, uint16_t sel, struct seg_cache *out,
                        uint32_t *raw_hi)
{
    uc_x86_mmr gdtr;
    uint32_t d[2];
    uint64_t fl;
    uint32_t pe;

    if (sel & 4)
        return -1; /* LDT descriptors are not modelled for gates and stacks */
    uc_reg_read(c->uc, UC_X86_REG_GDTR, &gdtr);
    if ((uint32_t)(sel & ~7u) + 7 > gdtr.limit)
        return -1;
    if (pw_read(c, m, gdtr.base + (sel & ~7u), d, 8, &fl, &pe))
        return -1;
    desc_to_cache(d[0], d[1], sel, out);
    if (raw_hi)
        *raw_hi = d[1];
    return 0;
}

void exc_switch_context(struct cpu *c, const struct seg_cache *cs, const struct seg_cache *ss,
                        uint64_t rip, uint64_t rsp, uint64_t rflags)
{
    uint64_t cr0 = reg_get(c, UC_X86_REG_CR0);
    bool lma = (efer_get(c) >> 10) & 1;

    uc_blob_save(c);
    if (cs)
        uc_blob_set_seg(c, SEG_CS, cs);
    if (ss)
        uc_blob_set_seg(c, SEG_SS, ss);
    uc_blob_update_seg_hflags(c, cr0, lma);
    uc_blob_set_reg(c, 4, rsp);
    uc_blob_set_reg(c, 16, rip);
    uc_blob_reset_exception(c);
    uc_blob_restore(c);
    /* Through the API so QEMU recomputes the flags it derives from RFLAGS. */
    reg_set(c, UC_X86_REG_RFLAGS, rflags);
}

struct regs_now {
    uint64_t rip, rsp, rflags;
    uint16_t cs, ss;
    int cpl;
    bool lma;
    struct pw_ctx m;
    uint64_t ss_base; /* the stack pushed on: its base and whether it is */
    bool ss16;        /* 16-bit (SS.B clear: SP wraps at 64 KiB) */
};

static int push(struct cpu *c, struct regs_now *r, uint64_t *sp, uint64_t val, unsigned size,
                struct nested *n)
{
    uint64_t fl;
    uint32_t pe;
    if (r->ss16)
        *sp = (*sp & ~0xffffULL) | ((*sp - size) & 0xffff);
    else
        *sp -= size;
    if (!r->lma)
        *sp &= 0xffffffffu;
    uint64_t lin = r->ss_base + (r->ss16 ? *sp & 0xffff : *sp);
    if (pw_write(c, &r->m, lin, &val, size, &fl, &pe))
        return page_fault(n, fl, pe);
    return 0;
}

/* One delivery attempt: 0, or -1 with the fault it raised in *n. */
static int deliver_once(struct cpu *c, int vec, enum event_kind kind, bool has_err, uint32_t err,
                        struct nested *n)
{
    struct regs_now r;
    uc_x86_mmr idtr, tr;
    uint32_t g[4], ext = kind == EV_SOFT_INT ? 0 : 1, cs_hi;
    unsigned gsize;
    uint64_t fl, target, sp;
    uint32_t pe;
    struct seg_cache ncs, nss;
    int gtype, gdpl, ist, newcpl;
    bool stack_switch;

    r.rip = reg_get(c, UC_X86_REG_RIP);
    r.rsp = reg_get(c, UC_X86_REG_RSP);
    r.rflags = reg_get(c, UC_X86_REG_RFLAGS);
    r.cs = (uint16_t)reg_get(c, UC_X86_REG_CS);
    r.ss = (uint16_t)reg_get(c, UC_X86_REG_SS);
    pw_ctx_read(c, &r.m);
    r.lma = (r.m.efer >> 10) & 1;
    uc_blob_save(c);
    r.cpl = (int)(uc_blob_hflags(c) & HF_CPL_MASK);
    {
        struct seg_cache ss;
        uc_blob_get_seg(c, SEG_SS, &ss);
        r.ss_base = r.lma ? 0 : ss.base;
        r.ss16 = !r.lma && !(ss.flags & DESC_B_MASK);
    }

    if (!(r.m.cr0 & 1)) /* real mode: through the IVT (realmode.c) */
        return rm_deliver(c, vec, kind) ? fault(n, EXC_GP, 0) : 0;
    uc_reg_read(c->uc, UC_X86_REG_IDTR, &idtr);
    gsize = r.lma ? 16 : 8;
    if ((uint64_t)vec * gsize + gsize - 1 > idtr.limit)
        return fault(n, EXC_GP, (uint32_t)vec * 8 + 2 + ext);
    memset(g, 0, sizeof g);
    if (pw_read(c, &r.m, idtr.base + (uint64_t)vec * gsize, g, gsize, &fl, &pe))
        return page_fault(n, fl, pe);
    gtype = (g[1] >> 8) & 0xf;
    gdpl = (g[1] >> 13) & 3;
    ist = r.lma ? (g[1] & 7) : 0;
    /* 16-bit interrupt and trap gates (types 6, 7) exist outside long mode:
     * a 16-bit offset, a frame of words. */
    bool g16 = !r.lma && (gtype == 0x6 || gtype == 0x7);
    if (gtype != 0xe && gtype != 0xf && !g16) {
        /* Task gates are not modelled: say so, fault as a bad gate. */
        if (!r.lma && gtype == 0x5)
            log_guest("cpu: task gate for vector %d is not modelled", vec);
        return fault(n, EXC_GP, (uint32_t)vec * 8 + 2 + ext);
    }
    if (kind == EV_SOFT_INT && gdpl < r.cpl)
        return fault(n, EXC_GP, (uint32_t)vec * 8 + 2);
    if (!(g[1] & (1u << 15)))
        return fault(n, EXC_NP, (uint32_t)vec * 8 + 2 + ext);
    target = (g[0] & 0xffffu) | (g16 ? 0 : g[1] & 0xffff0000u);
    if (r.lma)
        target |= (uint64_t)g[2] << 32;

    uint16_t sel = (uint16_t)(g[0] >> 16);
    if ((sel & ~3u) == 0 || exc_read_descriptor(c, &r.m, sel, &ncs, &cs_hi))
        return fault(n, EXC_GP, (sel & 0xfffcu) + ext);
    if (!(ncs.flags & DESC_S_MASK) || !(ncs.flags & DESC_CS_MASK) ||
        ((ncs.flags >> DESC_DPL_SHIFT) & 3) > (unsigned)r.cpl)
        return fault(n, EXC_GP, (sel & 0xfffcu) + ext);
    if (!(ncs.flags & DESC_P_MASK))
        return fault(n, EXC_NP, (sel & 0xfffcu) + ext);
    if (r.lma && !(ncs.flags & DESC_L_MASK))
        return fault(n, EXC_GP, (sel & 0xfffcu) + ext);
    newcpl = (ncs.flags & DESC_C_MASK) ? r.cpl : (int)((ncs.flags >> DESC_DPL_SHIFT) & 3);
    ncs.sel = (uint16_t)((sel & ~3u) | (unsigned)newcpl);
    stack_switch = newcpl < r.cpl;

    uc_reg_read(c->uc, UC_X86_REG_TR, &tr);
    sp = r.rsp;
    if (r.lma) {
        if (stack_switch || ist) {
            uint64_t off = ist ? 0x24 + (uint64_t)(ist - 1) * 8 : 4 + (uint64_t)newcpl * 8;
            if (off + 7 > tr.limit)
                return fault(n, EXC_TS, (tr.selector & 0xfffcu) + ext);
            if (pw_read(c, &r.m, tr.base + off, &sp, 8, &fl, &pe))
                return page_fault(n, fl, pe);
        }
        sp &= ~0xfULL;
        if (stack_switch) {
            /* 64-bit mode loads a null SS carrying the new CPL (SDM 6.14.4). */
            nss = (struct seg_cache){ .sel = (uint16_t)newcpl, .base = 0, .limit = 0xffffffffu,
                                      .flags = DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK |
                                               DESC_W_MASK | DESC_A_MASK |
                                               ((uint32_t)newcpl << DESC_DPL_SHIFT) };
        }
        if (push(c, &r, &sp, r.ss, 8, n) || push(c, &r, &sp, r.rsp, 8, n) ||
            push(c, &r, &sp, r.rflags, 8, n) || push(c, &r, &sp, r.cs, 8, n) ||
            push(c, &r, &sp, r.rip, 8, n) || (has_err && push(c, &r, &sp, err, 8, n)))
            return -1;
    } else {
        unsigned w = g16 ? 2 : 4;
        if (stack_switch) {
            uint32_t esp0 = 0;
            uint16_t ss0 = 0;
            uint32_t off = 4 + 8 * (uint32_t)newcpl;
            if (off + 5 > tr.limit)
                return fault(n, EXC_TS, (tr.selector & 0xfffcu) + ext);
            if (pw_read(c, &r.m, tr.base + off, &esp0, 4, &fl, &pe) ||
                pw_read(c, &r.m, tr.base + off + 4, &ss0, 2, &fl, &pe))
                return page_fault(n, fl, pe);
            if ((ss0 & ~3u) == 0 || exc_read_descriptor(c, &r.m, ss0, &nss, NULL) ||
                (ss0 & 3) != (unsigned)newcpl || ((nss.flags >> DESC_DPL_SHIFT) & 3) != (unsigned)newcpl ||
                (nss.flags & DESC_CS_MASK) || !(nss.flags & DESC_W_MASK))
                return fault(n, EXC_TS, (ss0 & 0xfffcu) + ext);
            if (!(nss.flags & DESC_P_MASK))
                return fault(n, EXC_SS, (ss0 & 0xfffcu) + ext);
            sp = esp0;
            r.ss_base = nss.base;
            r.ss16 = !(nss.flags & DESC_B_MASK);
            if (push(c, &r, &sp, r.ss, w, n) || push(c, &r, &sp, r.rsp & 0xffffffffu, w, n))
                return -1;
        }
        if (push(c, &r, &sp, r.rflags & 0xffffffffu, w, n) || push(c, &r, &sp, r.cs, w, n) ||
            push(c, &r, &sp, r.rip & 0xffffffffu, w, n) || (has_err && push(c, &r, &sp, err, w, n)))
            return -1;
    }

    uint64_t nflags = r.rflags & ~(uint64_t)(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
    if (gtype == 0xe || gtype == 0x6)
        nflags &= ~(uint64_t)EFLAGS_IF;
    exc_switch_context(c, &ncs, stack_switch ? &nss : NULL, target, sp, nflags);
    if (c->plat.on_event)
        c->plat.on_event(c->plat.opaque, (int)kind, vec, has_err ? err : 0, r.rip);
    if (kind == EV_EXTERNAL)
        c->stats.interrupts++;
    else
        c->stats.exceptions++;
    if (kind == EV_EXCEPTION)
        c->stats.page_faults += vec == EXC_PF, c->stats.gp_faults += vec == EXC_GP;
    return 0;
}

enum exc_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PF, CLASS_DF };

static enum exc_class classify(int v)
{
    if (v == 0 || (v >= 10 && v <= 13))
        return CLASS_CONTRIBUTORY;
    if (v == EXC_PF)
        return CLASS_PF;
    if (v == EXC_DF)
        return CLASS_DF;
    return CLASS_BENIGN;
}

/* A fault while delivering INT n, INT3 or INTO is a fault of that instruction:
 * its frame must point at it, not after it (RIP was already advanced). The
 * instruction ends its block, so decoding the block finds its start, prefixes
 * included; the opcode bytes before RIP are the fallback. */
static void rewind_soft_int(struct cpu *c)
{
    struct pw_ctx m;
    uint64_t rip = reg_get(c, UC_X86_REG_RIP), fl;
    uint32_t pe;
    uint8_t op = 0;

    uint64_t start = blocks_insn_ending_at(c, c->block_start, rip);
    if (start) {
        reg_set(c, UC_X86_REG_RIP, start);
        return;
    }
    pw_ctx_read(c, &m);
    pw_read(c, &m, rip - 2, &op, 1, &fl, &pe);
    reg_set(c, UC_X86_REG_RIP, rip - (op == 0xcd ? 2 : 1));
}

int exc_deliver(struct cpu *c, int vector, enum event_kind kind, bool has_err, uint32_t err)
{
    struct nested n;

    for (int depth = 0; depth < 4; depth++) {
        c->last_fault.vector = vector;
        c->last_fault.error_code = has_err ? err : 0;
        c->last_fault.rip = reg_get(c, UC_X86_REG_RIP);
        if (deliver_once(c, vector, kind, has_err, err, &n) == 0)
            return 0;
        if (n.has_cr2)
            reg_set(c, UC_X86_REG_CR2, n.cr2);
        if (kind == EV_SOFT_INT)
            rewind_soft_int(c);
        enum exc_class first = kind == EV_EXCEPTION ? classify(vector) : CLASS_BENIGN;
        enum exc_class second = classify(n.vector);
        if (first == CLASS_DF && (second == CLASS_CONTRIBUTORY || second == CLASS_PF)) {
            c->last_fault.vector = n.vector;
            c->last_fault.error_code = n.err;
            return -1; /* triple fault: shutdown */
        }
        if ((first == CLASS_CONTRIBUTORY && second == CLASS_CONTRIBUTORY) ||
            (first == CLASS_PF && (second == CLASS_CONTRIBUTORY || second == CLASS_PF))) {
            vector = EXC_DF, err = 0;
        } else {
            vector = n.vector, err = n.err;
        }
        kind = EV_EXCEPTION;
        has_err = exc_has_error_code(vector);
    }
    return -1;
}
