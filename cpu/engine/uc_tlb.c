/* The engine's live CPU state and its TLB, found by measuring on scratch
 * engines at start-up, as uc_blob.c measures the context (docs/unicorn.md).
 * The live state lets the blob accessors and reg_get work in place instead of
 * through copies and the register API. The TLB gives guest stores full speed:
 * Unicorn stubs out QEMU's dirty bitmaps, so every RAM page looks "clean" and
 * every store takes the slow not-dirty path (about 50 ns instead of 1); this
 * file clears that flag on entries of pages that never held translated code.
 * The block hook notes each page code runs from; a page seen for the first
 * time flushes the TLB, so stores to it, under any virtual address, take the
 * slow path again and invalidate its translations. If anything measured here
 * does not hold, both stay off and hvsim is only slower (HVSIM_SLOW_STORES=1
 * turns fast stores off by hand). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cpu_priv.h"

#define SCAN_MIN 4096ULL       /* cycles between scans while they find work (16 k: 5% slower boot_bench) */
#define SCAN_MAX 8388608ULL    /* and at most, once they stop finding any */
/* A scan reads every entry of every mode's TLB (32 bytes each, mostly cache
 * misses once Unicorn has grown the TLB to a kernel's working set: 64 k
 * entries and more). So the next scan comes no sooner than this many cycles
 * per entry read: its host time stays a small part of the guest's however
 * large the TLB grew. A Xen + Linux boot spent a third of its host time
 * scanning at SCAN_MIN. */
#define SCAN_CYCLES_PER_ENTRY 16ULL
#define PAGE_MASK_4K (~0xfffULL)
#define SEARCH_WORDS 1024      /* how much of Unicorn's uc_struct is searched for the CPU */
#define SEARCH_SPAN (1u << 20) /* how far behind a pointer the registers may lie */
#define HINT_FIELD 440         /* uc_struct's CPU pointer on Unicorn 2.1.4 (measured) */
#define HINT_ENV_OFF 35408     /* and CPUX86State behind it */

/* One Unicorn build's layout, measured once per process. */
static struct {
    bool known, env_known, usable; /* measured; the CPU state found; the TLB too */
    size_t cpu_field;   /* offset in uc_struct of the pointer to the CPU object */
    size_t env_off;     /* offset of CPUX86State (regs[0] first) in that object */
    long fast_off;      /* offset from env of CPUTLBDescFast f[0] {mask, table} */
    int n_modes;        /* MMU modes: f[0..n_modes-1] */
    int entry_bits;     /* log2 of a CPUTLBEntry's size */
    size_t addend_off;  /* CPUTLBEntry: host address = vaddr + addend */
    uint64_t notdirty;  /* the flag in addr_write that sends stores to the slow path */
} L;

/* CPUTLBEntry starts with addr_read, addr_write, addr_code (QEMU 5.0). */
enum { E_READ = 0, E_WRITE = 8, E_CODE = 16 };
#define TLB_INVALID_BIT 0x800ULL /* 1 << (TARGET_PAGE_BITS - 1) */

/* Readable host mappings, from /proc/self/maps: the search below dereferences
 * words of Unicorn's structures that may not be pointers at all. */
struct ranges {
    uintptr_t lo[4096], hi[4096];
    int n;
};

static void ranges_load(struct ranges *r)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    r->n = 0;
    if (!f)
        return;
    while (r->n < 4096 && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perm[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 && perm[0] == 'r') {
            r->lo[r->n] = lo;
            r->hi[r->n] = hi;
            r->n++;
        }
    }
    fclose(f);
}

/* How many bytes from p on are readable (0: p is not). */
static size_t ranges_span(const struct ranges *r, uintptr_t p)
{
    for (int i = 0; i < r->n; i++)
        if (p >= r->lo[i] && p < r->hi[i])
            return r->hi[i] - p;
    return 0;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Whether env is the live CPUX86State of uc: a register write shows through. */
static bool env_is_live(uc_engine *uc, const uint8_t *env)
{
    uint64_t old, v = 0x6876736d4c495645ULL; /* "hvsmLIVE" */
    uc_reg_read(uc, UC_X86_REG_R15, &old);
    uc_reg_write(uc, UC_X86_REG_R15, &v);
    bool live = rd64(env + 15 * 8) == v;
    uc_reg_write(uc, UC_X86_REG_R15, &old);
    return live && rd64(env + 15 * 8) == old;
}

static uint8_t *env_via(uc_engine *uc, size_t field, size_t env_off)
{
    return (uint8_t *)(uintptr_t)rd64((const uint8_t *)uc + field) + env_off;
}

/* The live CPUX86State of an engine, found by its R8..R15 holding a pattern
 * behind one of the pointers in Unicorn's uc_struct. Several pointers may lead
 * there (heap neighbours); the one kept also leads to the live state of a
 * second engine, `other`, whose registers are in the same place. */
static uint8_t *find_env(uc_engine *uc, uc_engine *other, struct ranges *r, size_t *field, size_t *env_off,
                         bool no_hint)
{
    uint64_t pat[8];
    for (int i = 0; i < 8; i++) {
        pat[i] = 0x6876736d544c4200ULL + (uint64_t)i; /* "hvsmTLB" + i */
        uc_reg_write(uc, UC_X86_REG_R8 + i, &pat[i]);
    }
    if (ranges_span(r, (uintptr_t)uc) < SEARCH_WORDS * 8 || ranges_span(r, (uintptr_t)other) < SEARCH_WORDS * 8)
        return NULL;
    /* Where Unicorn 2.1.4 keeps it, tried first and kept only if it holds for
     * both engines: the search below reads heap memory nothing owns, which
     * memory checkers report (the uc_no_hint switch skips the hint, for tests). */
    uint8_t *h = env_via(uc, HINT_FIELD, HINT_ENV_OFF), *o = env_via(other, HINT_FIELD, HINT_ENV_OFF);
    if (!no_hint && ranges_span(r, (uintptr_t)h) >= 256 && ranges_span(r, (uintptr_t)o) >= 256 &&
        memcmp(h + 64, pat, sizeof pat) == 0 && env_is_live(uc, h) && env_is_live(other, o)) {
        *field = HINT_FIELD;
        *env_off = HINT_ENV_OFF;
        return h;
    }
    for (size_t w = 0; w < SEARCH_WORDS; w++) {
        uintptr_t p = (uintptr_t)rd64((const uint8_t *)uc + w * 8);
        size_t span = ranges_span(r, p);
        if (span < sizeof pat)
            continue;
        if (span > SEARCH_SPAN)
            span = SEARCH_SPAN;
        uint8_t *m = memmem((void *)p, span, pat, sizeof pat);
        if (!m || (uintptr_t)m - p < 64 || !env_is_live(uc, m - 64))
            continue;
        size_t off = (size_t)((uintptr_t)m - 64 - p);
        uint8_t *o = env_via(other, w * 8, off);
        if (ranges_span(r, (uintptr_t)o) < 256 || !env_is_live(other, o))
            continue;
        *field = w * 8;
        *env_off = off;
        return m - 64;
    }
    return NULL;
}

static bool valid_mask(uint64_t mask, int *bits)
{
    if (!mask)
        return false;
    int b = __builtin_ctzll(mask);
    uint64_t n = (mask >> b) + 1;
    if (b < 5 || b > 7 || (n & (n - 1)) || n < 16 || n > (1u << 22))
        return false;
    *bits = b;
    return true;
}

static uint8_t *fast_table(uint8_t *env, int mode, uint64_t *mask)
{
    *mask = rd64(env + L.fast_off + 16 * mode);
    return (uint8_t *)(uintptr_t)rd64(env + L.fast_off + 16 * mode + 8);
}

static uint8_t *tlb_entry_of(uint8_t *env, int mode, uint64_t addr)
{
    uint64_t mask;
    uint8_t *t = fast_table(env, mode, &mask);
    return t + (((addr >> 12) << L.entry_bits) & mask);
}

/* The fast-path descriptors sit just below env (CPUNegativeOffsetState): find
 * the run of consecutive {mask, table} pairs there, then, in the entry of the
 * page the scratch code stored to, the flag and the addend. */
static bool fast_pair_at(uint8_t *env, const struct ranges *r, long off, int *bits)
{
    uint64_t mask = rd64(env + off);
    uintptr_t tab = (uintptr_t)rd64(env + off + 8);
    return valid_mask(mask, bits) && ranges_span(r, tab) >= mask + (1u << *bits);
}

static bool find_tlb(uint8_t *env, const struct ranges *r, uint8_t *ram, uint64_t page)
{
    long hi = 0;
    int bits = 0, b;
    for (long off = -16; off >= -512 && !hi; off -= 8)
        if (fast_pair_at(env, r, off, &bits))
            hi = off;
    if (!hi)
        return false;
    /* f[] ends at hi; it starts where the run of pairs of the same entry size does. */
    int n = 1;
    while (n < 8 && fast_pair_at(env, r, hi - 16 * n, &b) && b == bits)
        n++;
    L.fast_off = hi - 16 * (n - 1);
    L.n_modes = n;
    L.entry_bits = bits;
    for (int m = 0; m < n; m++) {
        uint8_t *e = tlb_entry_of(env, m, page);
        uint64_t w = rd64(e + E_WRITE);
        if (rd64(e + E_READ) != page || (w & PAGE_MASK_4K) != page || __builtin_popcountll(w & 0xfff) != 1)
            continue;
        for (size_t a = 24; a + 8 <= (1u << bits); a += 8)
            if (rd64(e + a) == (uint64_t)(uintptr_t)ram) { /* vaddr == paddr: addend is the RAM base */
                L.addend_off = a;
                L.notdirty = w & 0xfff;
                return true;
            }
    }
    return false;
}

static void clear_flag(uint8_t *env, uint64_t page)
{
    for (int m = 0; m < L.n_modes; m++) {
        uint8_t *e = tlb_entry_of(env, m, page);
        uint64_t w = rd64(e + E_WRITE);
        if (w == (page | L.notdirty)) {
            w &= ~L.notdirty;
            memcpy(e + E_WRITE, &w, 8);
        }
    }
}

/* Scratch code at 0x1000 (long mode, paging off as Unicorn starts):
 * mov [0x3800], rax ; hlt */
static const uint8_t store_code[] = { 0x48, 0x89, 0x04, 0x25, 0x00, 0x38, 0x00, 0x00, 0xf4 };

static int run_at(uc_engine *uc, uint8_t *ram, const uint8_t *code, size_t n)
{
    memcpy(ram + 0x1000, code, n);
    uc_ctl_remove_cache(uc, 0x1000, 0x2000);
    return uc_emu_start(uc, 0x1000, 0, 0, 0) == UC_ERR_OK ? 0 : -1;
}

/* no_hint: search for the CPU state without trying 2.1.4's known place first
 * (the first engine's switch decides, since the layout is measured once). */
static void measure(bool no_hint)
{
    uc_engine *uc, *other;
    uint8_t *ram, *env;
    uint64_t v;
    struct ranges *r = calloc(1, sizeof *r);

    L.known = true;
    if (!r || uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) {
        free(r);
        return;
    }
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &other) != UC_ERR_OK) {
        uc_close(uc);
        free(r);
        return;
    }
    ram = aligned_alloc(4096, 0x10000);
    if (!ram)
        goto out_engine;
    memset(ram, 0xf4, 0x10000);
    /* Unicorn builds its CPU on the first mapping. */
    uc_mem_map_ptr(uc, 0, 0x10000, UC_PROT_ALL, ram);
    uc_mem_map_ptr(other, 0, 0x10000, UC_PROT_ALL, ram);
    ranges_load(r);
    env = find_env(uc, other, r, &L.cpu_field, &L.env_off, no_hint);
    if (!env) {
        log_debug("cpu: fast stores off: the engine's CPU state was not found");
        goto out;
    }
    L.env_known = true;
    v = 0x1111;
    uc_reg_write(uc, UC_X86_REG_RAX, &v);
    if (run_at(uc, ram, store_code, sizeof store_code) || rd64(ram + 0x3800) != 0x1111) {
        log_debug("cpu: fast stores off: the scratch store did not run");
        goto out;
    }
    ranges_load(r); /* the TLB tables exist now */
    if (!find_tlb(env, r, ram, 0x3000)) {
        log_debug("cpu: fast stores off: the engine's TLB was not found");
        goto out;
    }
    /* A store through a cleared entry lands in RAM. */
    clear_flag(env, 0x3000);
    v = 0x2222;
    uc_reg_write(uc, UC_X86_REG_RAX, &v);
    if (run_at(uc, ram, store_code, sizeof store_code) || rd64(ram + 0x3800) != 0x2222) {
        log_debug("cpu: fast stores off: a store through a cleared entry was lost");
        goto out;
    }
    L.usable = true;
out:
    uc_close(uc); /* before the RAM they map goes */
    uc_close(other);
    free(ram);
    free(r);
    return;
out_engine:
    uc_close(uc);
    uc_close(other);
    free(r);
}

int uc_tlb_attach(struct cpu *c)
{
    if (!L.known)
        measure(c->sw.uc_no_hint);
    c->tlb.env = NULL;
    c->blob_live = NULL;
    if (!L.env_known)
        return 0;
    uint8_t *env = env_via(c->uc, L.cpu_field, L.env_off);
    if (!env_is_live(c->uc, env)) {
        log_debug("cpu: this engine's CPU state is not where it was measured: copies and slow stores");
        return 0;
    }
    /* The context blob is a header and then a copy of this state. */
    uc_blob_copy_out(c);
    if (memcmp((uint8_t *)c->ctx + c->blob.rax, env, 256) == 0)
        c->blob_live = env - c->blob.rax;
    if (!L.usable || c->sw.slow_stores)
        return 0;
    c->tlb.code_pages = calloc((c->ram_size >> 12) / 8 + 1, 1);
    c->tlb.cleared_pages = calloc((c->ram_size >> 12) / 8 + 1, 1);
    if (!c->tlb.code_pages || !c->tlb.cleared_pages) {
        uc_tlb_free(c);
        return -1;
    }
    c->tlb.env = env;
    c->tlb.period = SCAN_MIN;
    uc_tlb_forget_page(c);
    c->tlb.next_scan = c->cycles + SCAN_MIN;
    return 0;
}

void *uc_tlb_cpu_object(uc_engine *uc)
{
    if (!L.known)
        measure(false);
    return L.env_known ? (void *)(uintptr_t)rd64((const uint8_t *)uc + L.cpu_field) : NULL;
}

uint8_t *uc_tlb_env(uc_engine *uc)
{
    return uc_tlb_cpu_object(uc) ? env_via(uc, L.cpu_field, L.env_off) : NULL;
}

void uc_tlb_free(struct cpu *c)
{
    free(c->tlb.code_pages);
    free(c->tlb.cleared_pages);
    free(c->tlb.readonly_pages);
    c->tlb.readonly_pages = NULL;
    c->tlb.code_pages = NULL;
    c->tlb.cleared_pages = NULL;
    c->tlb.env = NULL;
}

/* The RAM page behind a TLB entry's host address, or -1. */
static long ram_page(const struct cpu *c, const uint8_t *e, uint64_t page)
{
    uintptr_t host = (uintptr_t)(page + rd64(e + L.addend_off));
    if (host < (uintptr_t)c->ram || host - (uintptr_t)c->ram >= c->ram_size)
        return -1;
    return (long)((host - (uintptr_t)c->ram) >> 12);
}

/* The RAM page the engine fetches addr's code from, by the code entry of any
 * mode's table (any mode's entry for a page maps it as the others do:
 * page-table changes flush them together); -1 if none holds one or it is not
 * RAM. The mode that hit last is tried first, so this is usually one entry
 * read, which stays in the cache. */
static long code_ram_page(struct cpu *c, uint64_t addr)
{
    uint64_t page = addr & PAGE_MASK_4K;
    for (int i = 0; i < L.n_modes; i++) {
        int m = (c->tlb.mode + i) % L.n_modes;
        const uint8_t *e = tlb_entry_of(c->tlb.env, m, addr);
        if ((rd64(e + E_CODE) & (PAGE_MASK_4K | TLB_INVALID_BIT)) != page)
            continue;
        c->tlb.mode = m;
        return ram_page(c, e, page);
    }
    return -1;
}

/* A translation block runs from the page at addr: when Unicorn translated it
 * the code entry was filled, so code_ram_page finds it. Hooks run first in a
 * block, before any of its stores. */
static void note_page(struct cpu *c, uint64_t addr)
{
    long p = code_ram_page(c, addr);
    uint8_t bit = (uint8_t)(1u << (p & 7));
    if (p < 0 || (c->tlb.code_pages[p >> 3] & bit))
        return;
    /* New code: entries cleared while the page held only data, under this or
     * any other virtual address, must send stores to the slow path again,
     * which invalidates translations. Unicorn re-arms only some of them, so
     * the whole TLB goes (victim entries included), unless no entry of the
     * page was ever cleared. */
    c->tlb.code_pages[p >> 3] |= bit;
    if (c->tlb.cleared_pages[p >> 3] & bit) {
        uc_ctl_flush_tlb(c->uc);
        c->stats.tlb_flushes++;
        uc_tlb_forget_page(c);
    }
}

void uc_tlb_note_code(struct cpu *c, uint64_t addr, uint32_t size)
{
    note_page(c, addr);
    if (size && ((addr ^ (addr + size - 1)) & PAGE_MASK_4K))
        note_page(c, addr + size - 1); /* two pages: noted each time */
    else
        c->tlb.last_page[(addr >> 12) & 3] = addr & PAGE_MASK_4K;
}

const uint8_t *uc_tlb_code_host(struct cpu *c, uint64_t addr)
{
    long p = c->tlb.env ? code_ram_page(c, addr) : -1;
    return p < 0 ? NULL : c->ram + ((uint64_t)p << 12) + (addr & 0xfff);
}

void uc_tlb_readonly(struct cpu *c, uint64_t hpa, uint64_t size)
{
    if (!c->tlb.env)
        return;
    if (!c->tlb.readonly_pages && !(c->tlb.readonly_pages = calloc((c->ram_size >> 12) / 8 + 1, 1))) {
        uc_tlb_free(c); /* cannot tell: no fast stores at all */
        return;
    }
    for (uint64_t p = hpa >> 12; p < (hpa + size + 0xfff) >> 12 && p < (c->ram_size >> 12); p++)
        c->tlb.readonly_pages[p >> 3] |= (uint8_t)(1u << (p & 7));
}

void uc_tlb_readonly_reset(struct cpu *c)
{
    if (c->tlb.readonly_pages)
        memset(c->tlb.readonly_pages, 0, (c->ram_size >> 12) / 8 + 1);
}

void uc_tlb_forget_page(struct cpu *c) { memset(c->tlb.last_page, 0xff, sizeof c->tlb.last_page); }

/* Between runs the engine's mappings change only through what we do to it:
 * control registers and EFER written through the API (compared here), and
 * flushes and memory maps (which forget explicitly). A VM round trip keeps
 * both engines' pages noted. */
void uc_tlb_run_start(struct cpu *c)
{
    uint64_t key[4] = { reg_get(c, UC_X86_REG_CR0), reg_get(c, UC_X86_REG_CR3), reg_get(c, UC_X86_REG_CR4),
                        efer_get(c) };
    if (memcmp(key, c->tlb.paging, sizeof key)) {
        memcpy(c->tlb.paging, key, sizeof key);
        uc_tlb_forget_page(c);
    }
}

void uc_tlb_scan(struct cpu *c)
{
    uint64_t cleared = 0, entries = 0;
    for (int m = 0; m < L.n_modes; m++) {
        uint64_t mask;
        uint8_t *t = fast_table(c->tlb.env, m, &mask);
        entries += (mask >> L.entry_bits) + 1;
        for (uint64_t off = 0; off <= mask; off += 1u << L.entry_bits) {
            uint8_t *e = t + off;
            uint64_t w = rd64(e + E_WRITE);
            if ((w & 0xfff) != L.notdirty)
                continue;
            long p = ram_page(c, e, w & PAGE_MASK_4K);
            if (p < 0 || (c->tlb.code_pages[p >> 3] & (1u << (p & 7))) ||
                (c->tlb.readonly_pages && (c->tlb.readonly_pages[p >> 3] & (1u << (p & 7)))))
                continue;
            c->tlb.cleared_pages[p >> 3] |= (uint8_t)(1u << (p & 7));
            w &= ~L.notdirty;
            memcpy(e + E_WRITE, &w, 8);
            cleared++;
        }
    }
    c->tlb.cleared += cleared;
    c->tlb.scans++;
    /* Scan often while stores keep meeting fresh entries, rarely once they do
     * not, and never so often that reading the TLB outweighs running the guest. */
    uint64_t floor = entries * SCAN_CYCLES_PER_ENTRY;
    if (floor < SCAN_MIN)
        floor = SCAN_MIN;
    if (floor > SCAN_MAX)
        floor = SCAN_MAX;
    c->tlb.period = cleared ? floor : (c->tlb.period * 2 > SCAN_MAX ? SCAN_MAX : c->tlb.period * 2);
    if (c->tlb.period < floor)
        c->tlb.period = floor;
    c->tlb.next_scan = c->cycles + c->tlb.period;
}

/* Unicorn grows a TLB at a flush only when more than 70% of it was in use; a
 * flush that cannot grow it only brings the not-dirty flag back everywhere. */
bool uc_tlb_wants_resize(struct cpu *c)
{
    if (!c->tlb.env)
        return true;
    for (int m = 0; m < L.n_modes; m++) {
        uint64_t mask, used = 0;
        const uint8_t *t = fast_table(c->tlb.env, m, &mask);
        uint64_t n = (mask >> L.entry_bits) + 1;
        for (uint64_t off = 0; off <= mask; off += 1u << L.entry_bits)
            used += rd64(t + off + E_READ) != ~0ULL || rd64(t + off + E_WRITE) != ~0ULL ||
                    rd64(t + off + E_CODE) != ~0ULL;
        if (used * 10 > n * 7)
            return true;
    }
    return false;
}

void uc_tlb_flushed(struct cpu *c)
{
    if (!c->tlb.env)
        return;
    c->tlb.period = SCAN_MIN;
    c->tlb.next_scan = c->cycles + SCAN_MIN / 4;
}
