/* One of the two files that know Unicorn's insides: where a saved uc_context keeps the
 * registers, QEMU's hidden flags, the segment caches and the exception
 * bookkeeping. Offsets are measured at start-up on a scratch engine by saving,
 * changing one known thing and saving again (ARCHITECTURE.md), never hard-coded. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cpu_priv.h"

static struct uc_blob_layout layout; /* one per Unicorn build, so one per process */
static bool layout_known;

/* The live CPU state when uc_tlb.c found it (offsets then count from
 * env - layout.rax, where a saved context would have its header), else the
 * last saved context. */
static uint8_t *blob(const struct cpu *c) { return c->blob_live ? c->blob_live : (uint8_t *)c->ctx; }

static uint64_t rd(const uint8_t *b, size_t off, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, b + off, n);
    return v;
}

static void wr(uint8_t *b, size_t off, uint64_t v, size_t n) { memcpy(b + off, &v, n); }

/* The one offset (step 4 bytes) whose n-byte value went from `from` to `to`, skipping `not`. */
static long find_change(const uint8_t *a, const uint8_t *b, size_t size, size_t n, uint64_t from,
                        uint64_t to, long not)
{
    long found = -1;
    for (size_t off = 0; off + n <= size; off += 4) {
        if ((long)off == not)
            continue;
        if (rd(a, off, n) == from && rd(b, off, n) == to) {
            if (found >= 0)
                return -2; /* ambiguous */
            found = (long)off;
        }
    }
    return found;
}

static void stop_on_intr(uc_engine *uc, uint32_t intno, void *user) { uc_emu_stop(uc); }

static int run_snippet(uc_engine *uc, uint8_t *ram, const uint8_t *code, size_t n)
{
    memcpy(ram + 0x1000, code, n);
    uc_ctl_remove_cache(uc, 0x1000, 0x2000);
    return uc_emu_start(uc, 0x1000, 0x1000 + n, 0, 0) == UC_ERR_OK ? 0 : -1;
}

static int discover(void)
{
    uc_engine *uc;
    uc_context *a, *b;
    uint8_t *ram, *pa, *pb;
    uc_hook h;
    long off;
    int ret = -1;

    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
        return -1;
    ram = aligned_alloc(4096, 0x10000);
    memset(ram, 0x90, 0x10000);
    uc_mem_map_ptr(uc, 0, 0x10000, UC_PROT_ALL, ram);
    uc_context_alloc(uc, &a);
    uc_context_alloc(uc, &b);
    pa = (uint8_t *)a;
    pb = (uint8_t *)b;
    layout.size = uc_context_size(uc);

#define MEASURE(field, n, from, to, not, change)                                  \
    do {                                                                          \
        uc_context_save(uc, a);                                                   \
        change;                                                                   \
        uc_context_save(uc, b);                                                   \
        off = find_change(pa, pb, layout.size, n, from, to, not);                 \
        if (off < 0) {                                                            \
            log_error("cpu: cannot locate %s in Unicorn's context (%ld)", #field, off); \
            goto out;                                                             \
        }                                                                         \
        layout.field = (size_t)off;                                               \
    } while (0)

    uint64_t v = 0x1122334455667788ULL;
    MEASURE(rax, 8, 0, v, -1, uc_reg_write(uc, UC_X86_REG_RAX, &v));
    v = 0;
    uc_reg_write(uc, UC_X86_REG_RAX, &v);
    v = 0x0000123456789abcULL;
    MEASURE(rip, 8, 0, v, -1, uc_reg_write(uc, UC_X86_REG_RIP, &v));
    /* CR0..CR4 are one array (QEMU's cr[5]); CR3 is harmless to move with paging off. */
    v = 0x7000;
    MEASURE(cr0, 8, 0, v, -1, uc_reg_write(uc, UC_X86_REG_CR3, &v));
    layout.cr0 -= 3 * 8;
    v = 0;
    uc_reg_write(uc, UC_X86_REG_CR3, &v);
    /* EFER: a 64-bit engine starts with LME and LMA; NXE shows where it lives. */
    {
        uc_x86_msr efer = { .rid = 0xc0000080 };
        uc_reg_read(uc, UC_X86_REG_MSR, &efer);
        uint64_t was = efer.value;
        efer.value |= 1u << 11;
        MEASURE(efer, 8, was, efer.value, -1, uc_reg_write(uc, UC_X86_REG_MSR, &efer));
        efer.value = was;
        uc_reg_write(uc, UC_X86_REG_MSR, &efer);
    }
    /* Selectors alone (a UC_MODE_64 engine writes only the selector): ES and DS
     * give the first cache and the stride of the six. */
    v = 0x28;
    size_t es_sel, ds_sel;
    MEASURE(segs, 4, 0, 0x28, -1, uc_reg_write(uc, UC_X86_REG_ES, &v));
    es_sel = layout.segs;
    v = 0x18;
    MEASURE(segs, 4, 0, 0x18, -1, uc_reg_write(uc, UC_X86_REG_DS, &v));
    ds_sel = layout.segs;
    if (ds_sel <= es_sel || (ds_sel - es_sel) % 3) {
        log_error("cpu: unexpected segment cache layout in Unicorn's context");
        goto out;
    }
    layout.segs = es_sel;
    layout.seg_stride = (ds_sel - es_sel) / 3;
    layout.seg_sel = 0;
    v = 0x123456789aULL;
    MEASURE(seg_base, 8, 0, v, -1, uc_reg_write(uc, UC_X86_REG_FS_BASE, &v));
    layout.seg_base -= layout.segs + 4 * layout.seg_stride;
    /* QEMU's SegmentCache: limit and flags follow the base; checked against a
     * loaded descriptor by cpu_enter_multiboot_state. */
    layout.seg_limit = layout.seg_base + 8;
    layout.seg_flags = layout.seg_base + 12;
    if (layout.seg_flags + 4 > layout.seg_stride) {
        log_error("cpu: segment cache stride %zu too small", layout.seg_stride);
        goto out;
    }

    /* The arithmetic flags live apart from RFLAGS, as QEMU's lazy CC_SRC with
     * CC_OP naming how to read it: writing RFLAGS through the API leaves the
     * six flags in CC_SRC and CC_OP_EFLAGS (1) in CC_OP, 16 bytes on (after
     * CC_SRC2), which uc_blob_set_arith_flags does in place. */
    {
        uint64_t fl = 0x2;
        uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
        fl = 0x2 | 0x8d5;
        MEASURE(cc_src, 8, 0, 0x8d5, -1, uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl));
        layout.cc_known = layout.cc_src + 20 <= layout.size && rd(pb, layout.cc_src + 16, 4) == 1;
        fl = 0x2;
        uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
    }

    /* RFLAGS whole: a stopped engine keeps it in one field (QEMU folds the lazy
     * flags back in when execution ends), next to the direction flag kept as
     * +1/-1. Trusted only if, after running code that sets ZF and PF, the
     * field holds what the API reads. */
    {
        uint64_t fl = 0x2;
        uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
        fl = 0x202;
        MEASURE(eflags, 8, 0x2, 0x202, -1, uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl));
        fl = 0x402;
        MEASURE(df, 4, 1, 0xffffffffu, -1, uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl));
        fl = 0x2;
        uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
        static const uint8_t zf[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0x83, 0xe8, 0x01 }; /* mov eax,1; sub eax,1 */
        uint64_t api = 0;
        if (run_snippet(uc, ram, zf, sizeof zf))
            goto out;
        uc_context_save(uc, a);
        uc_reg_read(uc, UC_X86_REG_RFLAGS, &api);
        layout.eflags_known = layout.cc_known && (api & 0x44) == 0x44 && rd(pa, layout.eflags, 8) == api &&
                              layout.df + 4 <= layout.size;
        uc_reg_write(uc, UC_X86_REG_RFLAGS, &fl);
    }
    /* DR7 (bits 8 and 9 enable no breakpoint). */
    {
        uint64_t d = 0x400;
        uc_reg_write(uc, UC_X86_REG_DR7, &d);
        d = 0x700;
        uc_context_save(uc, a);
        uc_reg_write(uc, UC_X86_REG_DR7, &d);
        uc_context_save(uc, b);
        off = find_change(pa, pb, layout.size, 8, 0x400, 0x700, -1);
        layout.dr7_known = off >= 0;
        layout.dr7 = off >= 0 ? (size_t)off : 0;
        d = 0x400;
        uc_reg_write(uc, UC_X86_REG_DR7, &d);
    }

    /* QEMU keeps LDTR, TR, GDTR and IDTR as four more caches after the six;
     * where that holds, they are read and written in place (uc_blob_*_mmr). */
    {
        uc_x86_mmr gdtr = { .base = 0x12345000, .limit = 0x77 };
        uc_x86_mmr tr = { .selector = 0x28, .base = 0x5000, .limit = 0x67, .flags = 0x8b00 };
        uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
        uc_reg_write(uc, UC_X86_REG_TR, &tr);
        uc_context_save(uc, a);
        size_t g = layout.segs + SEG_GDTR * layout.seg_stride, t = layout.segs + SEG_TR * layout.seg_stride;
        layout.tables = g + layout.seg_stride <= layout.size && rd(pa, g + layout.seg_base, 8) == gdtr.base &&
                        rd(pa, g + layout.seg_limit, 4) == gdtr.limit && rd(pa, t + layout.seg_sel, 2) == tr.selector &&
                        rd(pa, t + layout.seg_base, 8) == tr.base && rd(pa, t + layout.seg_limit, 4) == tr.limit &&
                        rd(pa, t + layout.seg_flags, 4) == tr.flags;
        gdtr = (uc_x86_mmr){ 0 };
        tr = (uc_x86_mmr){ 0 };
        uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
        uc_reg_write(uc, UC_X86_REG_TR, &tr);
    }

    /* Hidden flags: setting CR0.TS sets exactly HF_TS in them. */
    {
        static const uint8_t set_ts[] = { 0x0f, 0x20, 0xc0, 0x48, 0x83, 0xc8, 0x08, 0x0f, 0x22, 0xc0 };
        uc_context_save(uc, a);
        if (run_snippet(uc, ram, set_ts, sizeof set_ts))
            goto out;
        uc_context_save(uc, b);
        off = -1;
        for (size_t o = 0; o + 4 <= layout.size; o += 4)
            if ((rd(pa, o, 4) ^ rd(pb, o, 4)) == HF_TS_MASK && (rd(pa, o, 4) & 3) == 0 &&
                (rd(pa, o, 4) & HF_LMA_MASK)) {
                off = (long)o;
                break;
            }
        if (off < 0) {
            log_error("cpu: cannot locate the hidden flags in Unicorn's context");
            goto out;
        }
        layout.hflags = (size_t)off;
        uc_context_restore(uc, a);
    }

    /* Exception bookkeeping: a #GP(0x1238) from loading a selector beyond the GDT
     * limit sets the error code and the last exception; INT 0x21 sets is_int. */
    uc_hook_add(uc, &h, UC_HOOK_INTR, stop_on_intr, NULL, 1, 0);
    {
        static const uint8_t gp[] = { 0x66, 0xb8, 0x38, 0x12, 0x8e, 0xd8 };
        static const uint8_t soft[] = { 0xcd, 0x21 };
        uc_context_save(uc, a);
        run_snippet(uc, ram, gp, sizeof gp);
        uc_context_save(uc, b);
        off = find_change(pa, pb, layout.size, 4, 0, 0x1238, (long)layout.rax);
        if (off < 0) {
            log_error("cpu: cannot locate the error code in Unicorn's context");
            goto out;
        }
        layout.error_code = (size_t)off;
        off = find_change(pa, pb, layout.size, 4, 0xffffffffu, 13, -1);
        if (off < 0) {
            log_error("cpu: cannot locate the exception bookkeeping in Unicorn's context");
            goto out;
        }
        layout.old_exception = (size_t)off;
        uc_context_restore(uc, a);
        uc_context_save(uc, a);
        run_snippet(uc, ram, soft, sizeof soft);
        uc_context_save(uc, b);
        off = -1;
        for (size_t o = layout.error_code + 4; o < layout.error_code + 64 && o + 4 <= layout.size; o += 4)
            if (rd(pa, o, 4) == 0 && rd(pb, o, 4) == 1) {
                off = (long)o;
                break;
            }
        if (off < 0) {
            log_error("cpu: cannot locate the software-interrupt flag in Unicorn's context");
            goto out;
        }
        layout.exception_is_int = (size_t)off;
    }
    layout_known = true;
    ret = 0;
out:
#undef MEASURE
    uc_context_free(a);
    uc_context_free(b);
    uc_close(uc);
    free(ram);
    return ret;
}

int uc_blob_discover(struct cpu *c)
{
    if (!layout_known && discover())
        return -1;
    c->blob = layout;
    if (uc_context_alloc(c->uc, &c->ctx) != UC_ERR_OK)
        return -1;
    return 0;
}

/* With the live state, reads and writes go straight to the engine: Unicorn's
 * context save and restore are plain copies of it, so nothing is lost, and a
 * VM exit no longer copies 5.6 KB four times. */
void uc_blob_save(struct cpu *c)
{
    if (!c->blob_live)
        uc_context_save(c->uc, c->ctx);
}

void uc_blob_restore(struct cpu *c)
{
    if (!c->blob_live)
        uc_context_restore(c->uc, c->ctx);
}

void uc_blob_copy_out(struct cpu *c) { uc_context_save(c->uc, c->ctx); }
void uc_blob_copy_in(struct cpu *c) { uc_context_restore(c->uc, c->ctx); }

uint32_t uc_blob_hflags(const struct cpu *c) { return (uint32_t)rd(blob(c), c->blob.hflags, 4); }
void uc_blob_set_hflags(struct cpu *c, uint32_t hf) { wr(blob(c), c->blob.hflags, hf, 4); }


void uc_blob_get_seg(const struct cpu *c, enum seg_index s, struct seg_cache *out)
{
    size_t o = uc_blob_seg_off(c, s);
    out->sel = (uint16_t)rd(blob(c), o + c->blob.seg_sel, 4);
    out->base = rd(blob(c), o + c->blob.seg_base, 8);
    out->limit = (uint32_t)rd(blob(c), o + c->blob.seg_limit, 4);
    out->flags = (uint32_t)rd(blob(c), o + c->blob.seg_flags, 4);
}

void uc_blob_set_seg(struct cpu *c, enum seg_index s, const struct seg_cache *sc)
{
    size_t o = uc_blob_seg_off(c, s);
    wr(blob(c), o + c->blob.seg_sel, sc->sel, 4);
    wr(blob(c), o + c->blob.seg_base, sc->base, 8);
    wr(blob(c), o + c->blob.seg_limit, sc->limit, 4);
    wr(blob(c), o + c->blob.seg_flags, sc->flags, 4);
}

bool uc_blob_set_arith_flags(struct cpu *c, uint32_t flags)
{
    if (!c->blob_live || !c->blob.cc_known)
        return false;
    wr(blob(c), c->blob.cc_src, flags & 0x8d5u, 8);
    wr(blob(c), c->blob.cc_src + 16, 1, 4); /* CC_OP_EFLAGS */
    return true;
}

/* The cache of LDTR, TR, GDTR or IDTR, or -1 to go through the API. */
static long table_off(const struct cpu *c, int reg)
{
    if (!c->blob_live || !c->blob.tables)
        return -1;
    switch (reg) {
    case UC_X86_REG_LDTR: return (long)uc_blob_seg_off(c, SEG_LDTR);
    case UC_X86_REG_TR: return (long)uc_blob_seg_off(c, SEG_TR);
    case UC_X86_REG_GDTR: return (long)uc_blob_seg_off(c, SEG_GDTR);
    case UC_X86_REG_IDTR: return (long)uc_blob_seg_off(c, SEG_IDTR);
    default: return -1;
    }
}

/* As Unicorn's API does it: GDTR and IDTR are a base and a 16-bit limit. */
void uc_blob_read_mmr(struct cpu *c, int reg, uc_x86_mmr *t)
{
    long o = table_off(c, reg);
    if (o < 0) {
        uc_reg_read(c->uc, reg, t);
        return;
    }
    bool table = reg == UC_X86_REG_GDTR || reg == UC_X86_REG_IDTR;
    t->selector = table ? 0 : (uint16_t)rd(blob(c), (size_t)o + c->blob.seg_sel, 2);
    t->base = rd(blob(c), (size_t)o + c->blob.seg_base, 8);
    t->limit = (uint32_t)rd(blob(c), (size_t)o + c->blob.seg_limit, 4);
    if (table)
        t->limit &= 0xffff;
    t->flags = table ? 0 : (uint32_t)rd(blob(c), (size_t)o + c->blob.seg_flags, 4);
}

void uc_blob_write_mmr(struct cpu *c, int reg, const uc_x86_mmr *t)
{
    long o = table_off(c, reg);
    if (o < 0) {
        uc_reg_write(c->uc, reg, t);
        return;
    }
    bool table = reg == UC_X86_REG_GDTR || reg == UC_X86_REG_IDTR;
    wr(blob(c), (size_t)o + c->blob.seg_base, t->base, 8);
    wr(blob(c), (size_t)o + c->blob.seg_limit, table ? (t->limit & 0xffff) : t->limit, 4);
    if (!table) {
        wr(blob(c), (size_t)o + c->blob.seg_sel, t->selector, 4);
        wr(blob(c), (size_t)o + c->blob.seg_flags, t->flags, 4);
    }
}

/* A register at a measured offset of the live state, else through the API. */
static uint64_t live_or_api(struct cpu *c, bool known, size_t off, int reg)
{
    uint64_t v = 0;
    if (c->blob_live && known)
        return rd(blob(c), off, 8);
    uc_reg_read(c->uc, reg, &v);
    return v;
}

uint64_t uc_blob_rflags(struct cpu *c)
{
    return live_or_api(c, c->blob.eflags_known, c->blob.eflags, UC_X86_REG_RFLAGS);
}

void uc_blob_set_rflags(struct cpu *c, uint64_t v)
{
    if (!c->blob_live || !c->blob.eflags_known) {
        uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &v);
        return;
    }
    v = (uint32_t)v | 0x2;
    wr(blob(c), c->blob.eflags, v, 8);
    wr(blob(c), c->blob.cc_src, v & 0x8d5u, 8);
    wr(blob(c), c->blob.cc_src + 16, 1, 4); /* CC_OP_EFLAGS */
    wr(blob(c), c->blob.df, (v & 0x400) ? 0xffffffffu : 1, 4);
}

uint64_t uc_blob_dr7(struct cpu *c) { return live_or_api(c, c->blob.dr7_known, c->blob.dr7, UC_X86_REG_DR7); }

void uc_blob_set_dr7(struct cpu *c, uint64_t v)
{
    if (c->blob.dr7_known && uc_blob_dr7(c) == v)
        return;
    uc_reg_write(c->uc, UC_X86_REG_DR7, &v);
}

uint32_t uc_blob_error_code(const struct cpu *c) { return (uint32_t)rd(blob(c), c->blob.error_code, 4); }
bool uc_blob_exception_is_int(const struct cpu *c) { return rd(blob(c), c->blob.exception_is_int, 4) != 0; }

/* Unicorn never clears its record of the last exception (upstream issue 1883):
 * left alone, the next fault would be taken for a double fault. */
void uc_blob_reset_exception(struct cpu *c)
{
    wr(blob(c), c->blob.old_exception, 0xffffffffu, 4);
    wr(blob(c), c->blob.exception_is_int, 0, 4);
}

void uc_blob_set_reg(struct cpu *c, int index, uint64_t v)
{
    wr(blob(c), index == 16 ? c->blob.rip : c->blob.rax + 8 * (size_t)index, v, 8);
}

uint64_t uc_blob_get_reg(const struct cpu *c, int index)
{
    return rd(blob(c), index == 16 ? c->blob.rip : c->blob.rax + 8 * (size_t)index, 8);
}

void uc_blob_update_seg_hflags(struct cpu *c, uint64_t cr0, bool lma)
{
    struct seg_cache cs, ss, ds, es;
    uint32_t hf = uc_blob_hflags(c);

    uc_blob_get_seg(c, SEG_CS, &cs);
    uc_blob_get_seg(c, SEG_SS, &ss);
    uc_blob_get_seg(c, SEG_DS, &ds);
    uc_blob_get_seg(c, SEG_ES, &es);
    hf &= ~(HF_CPL_MASK | HF_CS32_MASK | HF_SS32_MASK | HF_CS64_MASK | HF_ADDSEG_MASK);
    hf |= (ss.flags >> DESC_DPL_SHIFT) & 3; /* CPL follows SS.DPL */
    if (lma && (cs.flags & DESC_L_MASK)) {
        hf |= HF_CS32_MASK | HF_SS32_MASK | HF_CS64_MASK;
    } else {
        if (cs.flags & DESC_B_MASK)
            hf |= HF_CS32_MASK;
        if (ss.flags & DESC_B_MASK)
            hf |= HF_SS32_MASK;
        if (!(cr0 & 1) || !(hf & HF_CS32_MASK) || (ds.base | es.base | ss.base))
            hf |= HF_ADDSEG_MASK;
    }
    uc_blob_set_hflags(c, hf);
}
