/* The instruction trace of a chosen window of virtual time: a per-instruction
 * code hook (too slow for the hot path: ARCHITECTURE.md) installed only while
 * the CPU is inside the window, with Capstone's disassembly of each instruction. */
#include <stdio.h>

#include "cpu_priv.h"

void cpu_trace_insns(struct cpu *c, uint64_t from, uint64_t to, cpu_insn_fn *fn, void *opaque)
{
    c->itrace.from = from;
    c->itrace.to = to;
    c->itrace.fn = fn;
    c->itrace.opaque = opaque;
}

static void hook_insn(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct cpu *c = user;
    uint8_t code[16];
    struct pw_ctx m;
    uint64_t fl, pc = addr;
    uint32_t pe;
    const uint8_t *p = code;
    size_t left = size < sizeof code ? size : sizeof code;
    char text[192] = "(unreadable)";

    pw_ctx_read(c, &m);
    if (pw_read(c, &m, addr, code, left, &fl, &pe) == 0) {
        uc_blob_save(c);
        uint32_t hf = uc_blob_hflags(c);
        csh h = (hf & HF_CS64_MASK) ? c->cs64 : (hf & HF_CS32_MASK) ? c->cs32 : c->cs16;
        cs_insn *in = cs_malloc(h);
        if (cs_disasm_iter(h, &p, &left, &pc, in))
            snprintf(text, sizeof text, "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "", in->op_str);
        cs_free(in, 1);
    }
    c->itrace.fn(c->itrace.opaque, addr, text);
}

/* Called before each run of the engine: returns the stop limit, cut at the
 * window's edges, with the hook present exactly while inside it. */
uint64_t insn_trace_step(struct cpu *c, uint64_t stop)
{
    if (!c->itrace.fn)
        return stop;
    bool inside = c->cycles >= c->itrace.from && c->cycles < c->itrace.to;
    if (inside != c->itrace.on) {
        if (inside)
            uc_hook_add(c->uc, &c->itrace.hook, UC_HOOK_CODE, hook_insn, c, 1, 0);
        else
            uc_hook_del(c->uc, c->itrace.hook);
        c->itrace.on = inside;
        /* Unicorn calls hooks on one address through its own helper when there
         * are two: site hooks then stop through the exit checks again. */
        uc_stop_checks(c, inside);
        uc_ctl_flush_tb(c->uc); /* translations carry their hooks */
    }
    uint64_t edge = c->cycles < c->itrace.from ? c->itrace.from : inside ? c->itrace.to : UINT64_MAX;
    return edge < stop ? edge : stop;
}
