/* Spin-loop fast-forward: a guest that polls a port or the TSC while waiting
 * for time to pass has its wait skipped, leaving the state a run of every
 * iteration would have left (registers, memory, cycles, instructions retired).
 *
 * A polling instruction (IN, RDTSC) that keeps running from the same blocks
 * arms it. The next iterations, from one entry to the loop's head block to the
 * next, are watched at block boundaries: they must take the same blocks in
 * the same number of cycles and instructions, step each register that is
 * live at the head (read before the iteration writes it) by the same amount
 * (an induction variable, the TSC) and leave the flags the loop reads alone;
 * their instructions (decoded once with Capstone) may write memory only in
 * stack slots they do not read first (return addresses), and their port
 * accesses must be ones the devices call repeatable (a read with no effect
 * whose value holds, or only grows, until a known time; a write identical to
 * the last). Then j iterations are skipped at the head: live registers
 * advance by j steps, time by j iterations, and the next iteration runs for
 * real as a probe. j is chosen so that the probe ends before the next event
 * and before any input read in the loop could change; when the probe does
 * not come back to the head as predicted (the loop ended earlier), the state
 * at the head is put back (registers, the stack slots, time) and half as
 * many are tried.
 *
 * What makes it exact: inputs that hold make every skipped iteration equal to
 * the probe; inputs that grow (the TSC, the PM timer) make the loop's exit
 * test, for the comparisons polling loops make (elapsed >= wait), false up to
 * some iteration and true after, so a probe that goes on proves the skipped
 * ones did. A loop that waits for a bit of a counter to toggle is not of that
 * kind and could be skipped past its exit (docs/perf.md). The decision reads
 * only guest state and virtual time, so a replay makes the same ones; and
 * since the result equals running the loop, a record made without
 * fast-forward replays with it. */
#include <stdlib.h>
#include <string.h>

#include "cpu_priv.h"

#define FFWD_ARM_HITS 64 /* polling instructions from the same blocks before watching */
#define FFWD_MIN_SKIP 4  /* fewer iterations are not worth a probe */

/* What the caller of ffwd_block does next. */
enum { FFWD_GO = 0, FFWD_STOP = 1 };

static void regs_read(struct cpu *c, uint64_t *r)
{
    for (int i = 0; i < 16; i++)
        r[i] = reg_get(c, gpr_uc[i]);
    r[16] = reg_get(c, UC_X86_REG_EFLAGS);
}

static void give_up(struct cpu *c)
{
    struct ffwd *f = &c->ff;
    f->phase = FF_IDLE;
    f->hits = 0;
    c->ff_rec = false;
}

void ffwd_reset(struct cpu *c)
{
    struct ffwd *f = &c->ff;
    f->phase = FF_IDLE;
    f->hits = 0;
    f->rollback = false;
    c->ff_rec = false;
}

void ffwd_free(struct cpu *c)
{
    for (int i = 0; i < 3; i++)
        if (c->ff.cs[i])
            cs_close(&c->ff.cs[i]);
}

/* A polling instruction ran (from the IN and RDTSC hooks): counts runs from
 * the same blocks and arms the watch. */
void ffwd_hit(struct cpu *c, bool tsc)
{
    struct ffwd *f = &c->ff;

    if (f->phase != FF_IDLE)
        return;
    if (c->sw.no_ffwd || c->nr || c->irq_after_block || c->nr_watch || c->itrace.fn)
        return; /* irq_watch may be on: an interrupt waiting for IF, which the loop may keep clear */
    uint64_t b = c->block_start;
    if (b == f->recent[0] || b == f->recent[1] || b == f->recent[2] || b == f->recent[3]) {
        if (tsc)
            f->tsc_block = b, f->since_tsc = 0;
        else if (++f->since_tsc > 8)
            f->tsc_block = 0; /* a read before the loop, not in it */
        /* The head: where the TSC is read if the loop reads it (what is
         * computed from it is then fresh each time round, not carried),
         * else this block; not one whose probes failed last time. */
        uint64_t head = f->tsc_block && f->tsc_block != f->avoid ? f->tsc_block : b;
        if (++f->hits < FFWD_ARM_HITS || head == f->avoid)
            return;
        f->avoid = 0;
        f->phase = FF_RECORD;
        f->head = head;
        f->nb = 0;
        f->ncur = 0;
        f->checked = false;
        c->ff_rec = true;
        return;
    }
    f->hits = 0;
    f->tsc_block = 0;
    f->recent[f->nrecent++ & 3] = b;
}

/* A port access while the loop is watched: is it repeatable, and until when? */
void ffwd_io(struct cpu *c, uint16_t port, unsigned size, bool write, uint32_t val)
{
    struct ffwd *f = &c->ff;
    uint64_t until = UINT64_MAX;

    if (f->phase != FF_RECORD)
        return;
    int k = c->plat.pio_poll ? c->plat.pio_poll(c->plat.opaque, port, size, write, val, &until) : CPU_POLL_NONE;
    if (k == CPU_POLL_NONE || (write != (k == CPU_POLL_SAME)))
        f->it_bad = true;
    if (!write && until < f->it_until)
        f->it_until = until;
}

/* An MMIO access while watched: not modelled as repeatable. */
void ffwd_mmio(struct cpu *c)
{
    if (c->ff.phase == FF_RECORD)
        c->ff.it_bad = true;
}

/* The stack slots an iteration touches, by offset from the stack pointer at
 * the loop head: a slot may be written (a return address, a spilled value)
 * only if the iteration does not read it first, so no value carries from one
 * iteration into the next through memory. */
struct stack_track {
    int64_t sp;                /* the stack pointer now, from the head's */
    int64_t read_first[FFWD_SLOTS_MAX], stored[FFWD_SLOTS_MAX];
    unsigned nread, nstored;
};

static bool slot_in(const int64_t *v, unsigned n, int64_t off)
{
    for (unsigned i = 0; i < n; i++)
        if (v[i] == off)
            return true;
    return false;
}

static bool slot_load(struct stack_track *st, int64_t off)
{
    if (slot_in(st->stored, st->nstored, off) || slot_in(st->read_first, st->nread, off))
        return true;
    if (st->nread == FFWD_SLOTS_MAX)
        return false;
    st->read_first[st->nread++] = off;
    return true;
}

static bool slot_store(struct stack_track *st, int64_t off)
{
    if (slot_in(st->read_first, st->nread, off))
        return false; /* carried over from the iteration before */
    if (slot_in(st->stored, st->nstored, off))
        return true;
    if (st->nstored == FFWD_SLOTS_MAX)
        return false;
    st->stored[st->nstored++] = off;
    return true;
}

/* Instructions a skipped iteration may contain: arithmetic, moves, jumps,
 * direct calls and returns, port I/O, the TSC, PAUSE and fences. Memory may
 * be read anywhere and written only in stack slots (struct stack_track);
 * `word` is the stack's slot size. */
static bool insn_allowed(struct stack_track *st, const cs_insn *in, int word)
{
    static const char *const ok[] = {
        "mov", "movzx", "movsx", "movsxd", "movabs", "lea", "add", "adc", "sub", "sbb", "cmp", "test",
        "and", "or", "xor", "not", "neg", "inc", "dec", "shl", "sal", "shr", "sar", "shld", "shrd", "rol",
        "ror", "imul", "mul", "bt", "bswap", "cdqe", "cdq", "cqo", "cwde", "cwd", "nop", "pause",
        "lfence", "mfence", "in", "out", "rdtsc", "rdtscp", "call", "ret", "endbr64", "endbr32",
    };
    const char *m = in->mnemonic; /* jumps (jmp, jcc, jrcxz), cmovcc, setcc */
    bool known = m[0] == 'j' || strncmp(m, "cmov", 4) == 0 || strncmp(m, "set", 3) == 0;
    for (size_t i = 0; !known && i < sizeof ok / sizeof ok[0]; i++)
        known = strcmp(m, ok[i]) == 0;
    if (!known || !in->detail)
        return false;
    const cs_x86 *x = &in->detail->x86;
    if (!strcmp(m, "call")) { /* pushes the return address: the same value each time round */
        st->sp -= word;
        if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
            return false;
        if (!slot_in(st->stored, st->nstored, st->sp)) {
            if (st->nstored == FFWD_SLOTS_MAX)
                return false;
            st->stored[st->nstored++] = st->sp;
        }
        return true;
    }
    if (!strcmp(m, "ret")) {
        bool r = x->op_count == 0 && slot_load(st, st->sp);
        st->sp += word;
        return r;
    }
    if (!strcmp(m, "lea") || !strcmp(m, "nop"))
        return true; /* an address computed, or a long NOP: no memory touched */
    /* Capstone 4 leaves `access` empty for some (INC m32): a memory first
     * operand is taken as written (and read, unless a plain move writes it)
     * unless the instruction only reads it. */
    bool reads_only = m[0] == 'j' || !strcmp(m, "cmp") || !strcmp(m, "test") || !strcmp(m, "bt");
    bool write_only = !strcmp(m, "mov") || !strcmp(m, "movabs") || !strncmp(m, "set", 3);
    for (int i = 0; i < x->op_count; i++) {
        const cs_x86_op *o = &x->operands[i];
        if (o->type != X86_OP_MEM)
            continue;
        bool w = (o->access & CS_AC_WRITE) || (i == 0 && !reads_only);
        bool r = (o->access & CS_AC_READ) || !w || !write_only;
        bool stack = (o->mem.base == X86_REG_RSP || o->mem.base == X86_REG_ESP || o->mem.base == X86_REG_SP) &&
                     o->mem.index == X86_REG_INVALID;
        if (!stack) {
            if (w)
                return false;
            continue;
        }
        if (r && !slot_load(st, st->sp + o->mem.disp))
            return false;
        if (w && !slot_store(st, st->sp + o->mem.disp))
            return false;
    }
    return true;
}

/* Capstone's register as hvsim's general-register index (RAX 0 .. R15 15)
 * and its width in bytes; -1 for other registers. */
static int gpr_of(unsigned r, int *width)
{
    static const unsigned q[16] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
                                    X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
                                    X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 };
    static const unsigned d[16] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP, X86_REG_EBP,
                                    X86_REG_ESI, X86_REG_EDI, X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D,
                                    X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D };
    static const unsigned w[16] = { X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX, X86_REG_SP, X86_REG_BP,
                                    X86_REG_SI, X86_REG_DI, X86_REG_R8W, X86_REG_R9W, X86_REG_R10W, X86_REG_R11W,
                                    X86_REG_R12W, X86_REG_R13W, X86_REG_R14W, X86_REG_R15W };
    static const unsigned b[16] = { X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL, X86_REG_SPL, X86_REG_BPL,
                                    X86_REG_SIL, X86_REG_DIL, X86_REG_R8B, X86_REG_R9B, X86_REG_R10B, X86_REG_R11B,
                                    X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B };
    for (int i = 0; i < 16; i++) {
        if (r == q[i] || r == d[i]) {
            *width = r == q[i] ? 8 : 4;
            return i;
        }
        if (r == w[i] || r == b[i]) {
            *width = r == w[i] ? 2 : 1;
            return i;
        }
    }
    static const unsigned h[4] = { X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH };
    for (int i = 0; i < 4; i++)
        if (r == h[i]) {
            *width = 1;
            return i;
        }
    return -1;
}

/* Instructions that set all of CF, PF, ZF, SF and OF from their result. */
static bool sets_all_flags(const char *m)
{
    static const char *const all[] = { "cmp", "test", "sub", "add", "and", "or", "xor", "adc", "sbb", "neg" };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(m, all[i]))
            return true;
    return false;
}

/* Decodes the loop's blocks: every instruction must be allowed, and which
 * general registers and flags are live at the head (read before the
 * iteration writes them) is found: only those carry one iteration into the
 * next; the others are outputs each iteration computes afresh. */
static bool path_checked(struct cpu *c)
{
    struct ffwd *f = &c->ff;
    uc_blob_save(c);
    uint32_t hf = uc_blob_hflags(c);
    int mi = (hf & HF_CS64_MASK) ? 2 : (hf & HF_CS32_MASK) ? 1 : 0;
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    if (!f->cs[mi]) {
        if (cs_open(CS_ARCH_X86, modes[mi], &f->cs[mi]) != CS_ERR_OK)
            return false;
        cs_option(f->cs[mi], CS_OPT_DETAIL, CS_OPT_ON);
    }
    struct pw_ctx m;
    pw_ctx_read(c, &m);
    cs_insn *in = cs_malloc(f->cs[mi]);
    bool ok = in != NULL, killed[16] = { false }, flags_killed = false;
    struct stack_track st = { .sp = 0 };
    int word = mi == 2 ? 8 : mi == 1 ? 4 : 2;
    memset(f->live, 0, sizeof f->live);
    for (unsigned b = 0; ok && b < f->npath; b++) {
        uint8_t code[256];
        uint64_t fl, pc = f->path[b].addr;
        uint32_t pe;
        size_t left = f->path[b].size;
        const uint8_t *p = code;
        if (left > sizeof code || pw_read(c, &m, pc, code, left, &fl, &pe)) {
            ok = false;
            break;
        }
        while (ok && left && cs_disasm_iter(f->cs[mi], &p, &left, &pc, in)) {
            cs_regs rd, wr;
            uint8_t nrd, nwr;
            int w;
            ok = insn_allowed(&st, in, word) && cs_regs_access(f->cs[mi], in, rd, &nrd, wr, &nwr) == CS_ERR_OK;
            for (unsigned i = 0; ok && i < nrd; i++) {
                int g = gpr_of(rd[i], &w);
                if (g >= 0 && !killed[g])
                    f->live[g] = true;
                if (rd[i] == X86_REG_EFLAGS && !flags_killed)
                    f->live[16] = true;
            }
            for (unsigned i = 0; ok && i < nwr; i++) {
                int g = gpr_of(wr[i], &w);
                if (g >= 0 && w >= 4)
                    killed[g] = true; /* 32-bit writes zero-extend */
                else if (g >= 0 && !killed[g])
                    f->live[g] = true; /* a partial write keeps the rest */
                if (wr[i] == X86_REG_EFLAGS && sets_all_flags(in->mnemonic))
                    flags_killed = true;
            }
        }
        if (left)
            ok = false;
    }
    if (in)
        cs_free(in, 1);
    /* The stack pointer comes back; stores to the stack only in 64-bit code,
     * where SS has no base (slots_copy adds none). */
    ok = ok && st.sp == 0 && (word == 8 || st.nstored == 0);
    memcpy(f->slots, st.stored, sizeof st.stored[0] * st.nstored);
    f->nslots = ok ? st.nstored : 0;
    f->word = word;
    return ok;
}

/* The stack slots the probe will write, saved at the head (or put back). */
static bool slots_copy(struct cpu *c, bool restore)
{
    struct ffwd *f = &c->ff;
    struct pw_ctx m;
    uint64_t fl;
    uint32_t pe;

    pw_ctx_read(c, &m);
    for (unsigned i = 0; i < f->nslots; i++) {
        uint64_t lin = f->base[4] + (uint64_t)f->slots[i];
        if (restore ? pw_write(c, &m, lin, f->slot_val[i], (size_t)f->word, &fl, &pe)
                    : pw_read(c, &m, lin, f->slot_val[i], (size_t)f->word, &fl, &pe))
            return false;
    }
    return true;
}

/* RFLAGS bits the allowed instructions change: CF, PF, AF, ZF, SF, OF. */
#define ARITH_FLAGS 0x8d5ULL

/* Whether two register files agree where the loop can tell: every live
 * register, the flags the loop reads, every other flag. */
static bool same_live(const struct ffwd *f, const uint64_t *a, const uint64_t *b)
{
    for (int i = 0; i < 16; i++)
        if (f->live[i] && a[i] != b[i])
            return false;
    uint64_t mask = f->live[16] ? ~0ULL : ~ARITH_FLAGS;
    return ((a[16] ^ b[16]) & mask) == 0;
}

/* Iterations j that may be skipped from cycles `now`: the probe after them
 * ends before `limit` with one iteration to spare. */
static uint64_t skip_count(const struct ffwd *f, uint64_t now, uint64_t limit)
{
    if (limit <= now || f->L == 0)
        return 0;
    uint64_t n = (limit - now) / f->L;
    return n >= 3 ? n - 2 : 0;
}

static void skip(struct cpu *c)
{
    struct ffwd *f = &c->ff;
    for (int i = 0; i < 16; i++)
        if (f->live[i] && f->delta[i])
            reg_set(c, gpr_uc[i], f->base[i] + f->j * f->delta[i]);
    c->cycles = f->base_cycles + f->j * f->L;
    c->instructions = f->base_insns + f->j * f->I;
    f->phase = FF_VERIFY;
    f->ncur = 0;
}

/* At the loop head in the record phase: the iteration that just ended is
 * compared with the one before; two alike with all the conditions met, and
 * a skip starts. Returns false to give up. */
static bool record_boundary(struct cpu *c)
{
    struct ffwd *f = &c->ff;
    uint64_t r[17];

    regs_read(c, r);
    if (f->nb >= 1) {
        uint64_t L = c->cycles - f->prev_cycles, I = c->instructions - f->prev_insns, d[17];
        for (int i = 0; i < 17; i++)
            d[i] = r[i] - f->prev[i];
        if (f->it_bad || f->ncur == 0 || L == 0 || d[4] != 0) /* [4]: RSP stays (CALL's slot) */
            return false;
        if (f->nb == 1) {
            if (f->ncur != f->npath || memcmp(f->cur, f->path, sizeof f->cur[0] * f->ncur))
                f->checked = false; /* other blocks than the last skip's */
            memcpy(f->path, f->cur, sizeof f->cur[0] * f->ncur);
            f->npath = f->ncur;
            if (!f->checked && !path_checked(c))
                return false;
            f->checked = true;
            f->L = L, f->I = I;
            memcpy(f->delta, d, sizeof d);
            f->until = f->it_until;
            if ((r[16] ^ f->prev[16]) & (f->live[16] ? ~0ULL : ~ARITH_FLAGS))
                return false; /* flags the loop reads must not change */
        } else {
            bool steps = true;
            for (int i = 0; i < 16; i++)
                steps &= !f->live[i] || d[i] == f->delta[i];
            if (f->ncur != f->npath || memcmp(f->cur, f->path, sizeof f->cur[0] * f->ncur) || L != f->L ||
                I != f->I || !steps || ((r[16] ^ f->prev[16]) & (f->live[16] ? ~0ULL : ~ARITH_FLAGS)))
                return false;
            if (f->it_until < f->until)
                f->until = f->it_until;
            /* Start a skip here, at the head, with nothing pending. */
            if ((c->irq_watch && (r[16] & EFLAGS_IF)) || c->irq_after_block || c->nr_watch)
                return false; /* with IF clear, a pending interrupt waits (the loop cannot set IF) */
            if (c->nmi_pending || ((r[16] & EFLAGS_IF) && c->plat.intr_pending &&
                                   c->plat.intr_pending(c->plat.opaque) >= 0))
                return false;
            uint64_t limit = f->until < c->stop_cycles ? f->until : c->stop_cycles;
            memcpy(f->base, r, sizeof r);
            f->base_cycles = c->cycles;
            f->base_insns = c->instructions;
            f->j = skip_count(f, c->cycles, limit);
            if (f->j < FFWD_MIN_SKIP && limit == c->stop_cycles) {
                f->nb = 0; /* an event is near: watch on, from this iteration */
                return record_boundary(c);
            }
            if (f->j < FFWD_MIN_SKIP || !slots_copy(c, false))
                return false;
            skip(c);
            return true;
        }
    }
    memcpy(f->prev, r, sizeof r);
    f->prev_cycles = c->cycles;
    f->prev_insns = c->instructions;
    f->nb++;
    f->ncur = 0;
    f->it_bad = false;
    f->it_until = UINT64_MAX;
    return true;
}

/* At the loop head after a probe: it went round as predicted, so the skipped
 * iterations stand. Watch on from here for the next skip. */
static int verify_boundary(struct cpu *c)
{
    struct ffwd *f = &c->ff;
    uint64_t r[17];

    regs_read(c, r);
    bool same = f->ncur == f->npath && !memcmp(f->cur, f->path, sizeof f->cur[0] * f->ncur) &&
                c->cycles == f->base_cycles + (f->j + 1) * f->L &&
                c->instructions == f->base_insns + (f->j + 1) * f->I;
    uint64_t want[17];
    for (int i = 0; i < 16; i++)
        want[i] = f->base[i] + (f->j + 1) * f->delta[i];
    want[16] = f->base[16];
    same = same && same_live(f, r, want);
    if (!same) {
        f->rollback = true;
        return FFWD_STOP;
    }
    c->stats.ffwd_loops++;
    c->stats.ffwd_insns += f->j * f->I;
    /* The next skip needs two fresh iterations (inputs read anew). */
    f->phase = FF_RECORD;
    f->nb = 0;
    record_boundary(c);
    return FFWD_GO;
}

/* From the block hook's slow path, before the block at addr runs and is
 * counted, while the loop is watched. FFWD_STOP: stop the engine (a probe
 * failed; ffwd_after_run restores the head). */
int ffwd_block(struct cpu *c, uint64_t addr, uint32_t size)
{
    struct ffwd *f = &c->ff;

    if (f->phase == FF_PROBE) { /* restarted at the head after a failed probe */
        if (addr != f->head) {
            give_up(c);
            return FFWD_GO;
        }
        skip(c);
    } else if (addr == f->head && f->phase == FF_RECORD) {
        if (!record_boundary(c)) {
            give_up(c);
            return FFWD_GO;
        }
    } else if (addr == f->head && f->phase == FF_VERIFY && f->ncur > 0) {
        if (verify_boundary(c) == FFWD_STOP)
            return FFWD_STOP;
    } else if (f->phase == FF_VERIFY &&
               (f->ncur >= f->npath || f->path[f->ncur].addr != addr || f->path[f->ncur].size != size)) {
        f->rollback = true; /* the loop ended in the probe, or went elsewhere */
        return FFWD_STOP;
    }
    if (f->phase == FF_RECORD && f->nb == 0) { /* not yet at the head */
        if (++f->ncur > FFWD_PATH_MAX)
            give_up(c); /* the loop ended before it came round */
        return FFWD_GO;
    }
    if (f->ncur == FFWD_PATH_MAX) {
        if (f->phase == FF_VERIFY) {
            f->rollback = true;
            return FFWD_STOP;
        }
        give_up(c);
        return FFWD_GO;
    }
    f->cur[f->ncur].addr = addr;
    f->cur[f->ncur].size = size;
    f->ncur++;
    return FFWD_GO;
}

/* After the engine stopped: a probe that did not come round (or was cut
 * short by anything) is undone, back to the loop head with the state it had,
 * and half as many iterations are tried. Returns true when it undid one. */
bool ffwd_after_run(struct cpu *c)
{
    struct ffwd *f = &c->ff;

    if (f->phase != FF_VERIFY)
        return false;
    for (int i = 0; i < 16; i++)
        reg_set(c, gpr_uc[i], f->base[i]);
    reg_set(c, UC_X86_REG_EFLAGS, f->base[16]);
    slots_copy(c, true); /* the probe's stack stores undone */
    reg_set(c, UC_X86_REG_RIP, f->head);
    c->cycles = f->base_cycles;
    c->instructions = f->base_insns;
    if (c->plat.rewind)
        c->plat.rewind(c->plat.opaque);
    c->exc.valid = false; /* a fault the probe met: the real run decides */
    c->op = OP_NONE;
    c->halted = false;
    f->rollback = false;
    f->j /= 2;
    if (f->j < FFWD_MIN_SKIP) {
        /* Probes from this head keep failing: a register live there may
         * not step evenly (a scaled clock). Another block of the loop,
         * where such values are computed afresh, may do. */
        give_up(c);
        f->avoid = f->head;
    } else {
        f->phase = FF_PROBE;
        f->ncur = 0;
    }
    return true;
}
