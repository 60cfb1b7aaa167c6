/* The decoded-block cache and intercepts by address. The first time a block runs,
 * Capstone decodes it: its instruction count feeds virtual time, and each RDMSR,
 * WRMSR, IN, OUT, INS or OUTS gets a code hook bounded to exactly its address,
 * because Unicorn cannot hook the MSR instructions and does not check I/O
 * permission (ARCHITECTURE.md). The cache is keyed by (address, size) and
 * probed by a hash of those, never by a pointer, so runs are deterministic.
 * Known limit: code rewritten in place into a block of the same address and size
 * keeps the count and intercepts of the first decode. A site whose bytes changed
 * is decoded again when it runs; a missing I/O site is caught by the I/O hook
 * (io_refused in vcpu.c); a missing MSR or MOV CR site is not (Unicorn's own
 * CPL check still raises #GP for them in ring 3). */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "cpu_priv.h"

static uint64_t mix(uint64_t a, uint64_t b) { return block_hash(a, b); }

int blocks_init(struct cpu *c)
{
    c->blocks.mask = (1u << 14) - 1;
    c->blocks.used = 0;
    c->blocks.slots = calloc(c->blocks.mask + 1, sizeof *c->blocks.slots);
    c->sites.mask = (1u << 10) - 1;
    c->sites.used = 0;
    c->sites.slots = calloc(c->sites.mask + 1, sizeof *c->sites.slots);
    return c->blocks.slots && c->sites.slots ? 0 : -1;
}

void blocks_reset(struct cpu *c)
{
    memset(c->blocks.slots, 0, (c->blocks.mask + 1) * sizeof *c->blocks.slots);
    c->blocks.used = 0;
}

void blocks_free(struct cpu *c)
{
    for (size_t i = 0; i <= c->sites.mask; i++)
        free(c->sites.slots[i]);
    free(c->sites.slots);
    free(c->blocks.slots);
}

static struct intercept_site **site_slot(struct cpu *c, uint64_t addr)
{
    size_t i = mix(addr, 0) & c->sites.mask;
    while (c->sites.slots[i] && c->sites.slots[i]->addr != addr)
        i = (i + 1) & c->sites.mask;
    return &c->sites.slots[i];
}

static void grow_sites(struct cpu *c)
{
    struct site_table old = c->sites;
    c->sites.mask = old.mask * 2 + 1;
    c->sites.slots = calloc(c->sites.mask + 1, sizeof *c->sites.slots);
    for (size_t i = 0; i <= old.mask; i++)
        if (old.slots[i])
            *site_slot(c, old.slots[i]->addr) = old.slots[i];
    free(old.slots);
}

static bool site_still_there(struct cpu *c, const struct intercept_site *s, const uint8_t *want)
{
    /* The engine's code TLB entry names the RAM the block was translated
     * from, without a page walk; a walk when it is gone or the site spans
     * two pages. */
    const uint8_t *p = (s->addr & 0xfff) + s->len <= 0x1000 ? uc_tlb_code_host(c, s->addr) : NULL;
    if (p)
        return memcmp(p, want, s->len) == 0;
    struct pw_ctx m;
    uint8_t now[15];
    uint64_t fl;
    uint32_t pe;
    pw_ctx_read(c, &m);
    return pw_read(c, &m, s->addr, now, s->len, &fl, &pe) == 0 && memcmp(now, want, s->len) == 0;
}

struct site_with_bytes {
    struct intercept_site s;
    uint8_t bytes[15];
};

static bool site_refresh(struct cpu *c, struct site_with_bytes *sb);

/* Called from the generated code before the instruction at a site: it stops
 * the run before it (a fault, a VM exit), skips it (emulated here), or lets it
 * run. */
static __attribute__((noinline)) void site_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    uintptr_t ret = (uintptr_t)__builtin_return_address(0); /* where to stop or skip from */
    struct site_with_bytes *sb = user;
    struct intercept_site *s = &sb->s;
    struct cpu *c = s->cpu;
    uint64_t val;

    /* Other code may live here now (a new program at a reused address): decode
     * what is there, which may be another instruction to intercept. */
    if (!site_still_there(c, s, sb->bytes) && !site_refresh(c, sb))
        return;
    c->stats.intercepts++;
    if (s->kind == SITE_IRET) {
        nmi_iret(c); /* and the IRET runs natively */
        return;
    }
    if (s->kind == SITE_MOVCR || s->kind == SITE_INVLPG) {
        uc_tlb_forget_page(c); /* the next block's page may map elsewhere */
        c->stats.invlpgs += s->kind == SITE_INVLPG;
        c->stats.cr_writes += s->kind == SITE_MOVCR && s->to_cr;
    }
    if (c->nr && s->kind == SITE_RDTSCP && !c->vmx_ops->nr_rdtscp_enabled(c)) {
        cpu_raise(c, EXC_UD, false, 0); /* "enable RDTSCP" clear: #UD in the guest (25.3) */
        uc_stop_before(c, ret);
        return;
    }
    if (c->nr && c->vmx_ops->nr_site(c, s, sb->bytes)) {
        if (c->vmx_ops->nr_exit_pending(c))
            uc_stop_before(c, ret); /* vmx_nr_exit marked the stop as ours */
        else
            uc_stop_resume_at(c, ret, addr + s->len); /* emulated */
        return;
    }
    if (s->kind == SITE_MOVCR && c->vmx && s->to_cr && !c->vmx_ops->cr_write_ok(c, s)) {
        cpu_raise(c, EXC_GP, true, 0);
        uc_stop_before(c, ret);
        return;
    }
    if (s->kind == SITE_MOVCR || s->kind == SITE_GUARD) {
        int g = guard_site(c, s, sb->bytes);
        if (g == 1)
            uc_stop_before(c, ret); /* it faults */
        else if (g == 2)
            uc_stop_resume_at(c, ret, addr + s->len); /* emulated */
        return;
    }
    if (s->kind >= SITE_CPUID)
        return; /* not exiting: runs natively */
    if (s->kind == SITE_IO) {
        uint16_t port = s->io_port >= 0 ? (uint16_t)s->io_port : (uint16_t)reg_get(c, UC_X86_REG_DX);
        if (!ioperm_allowed(c, port, s->io_size)) {
            cpu_raise(c, EXC_GP, true, 0);
            uc_stop_before(c, ret);
        }
        return;
    }
    if ((reg_get(c, UC_X86_REG_CS) & 3) != 0) {
        cpu_raise(c, EXC_GP, true, 0);
        uc_stop_before(c, ret);
        return;
    }
    uint32_t msr = (uint32_t)reg_get(c, UC_X86_REG_RCX);
    if (s->kind == SITE_RDMSR) {
        if (msr_read(c, msr, &val)) {
            log_debug("cpu: RDMSR of unknown MSR %#x raises #GP", msr);
            cpu_raise(c, EXC_GP, true, 0);
            uc_stop_before(c, ret);
            return;
        }
        reg_set(c, UC_X86_REG_RAX, val & 0xffffffffu);
        reg_set(c, UC_X86_REG_RDX, val >> 32);
    } else {
        val = (reg_get(c, UC_X86_REG_RAX) & 0xffffffffu) | (reg_get(c, UC_X86_REG_RDX) << 32);
        if (msr_write(c, msr, val)) {
            log_debug("cpu: WRMSR %#x <- %#llx raises #GP", msr, (unsigned long long)val);
            cpu_raise(c, EXC_GP, true, 0);
            uc_stop_before(c, ret);
            return;
        }
    }
    uc_stop_resume_at(c, ret, addr + s->len); /* skips the instruction */
}

/* Port and operand size of an I/O instruction from its bytes. */
static void io_operands(const uint8_t *b, unsigned len, bool def16, struct intercept_site *s)
{
    bool opsize = false;
    unsigned i = 0;
    while (i < len && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e ||
                       b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x64 || b[i] == 0x65 ||
                       (b[i] & 0xf0) == 0x40)) {
        if (b[i] == 0x66)
            opsize = true;
        i++;
    }
    uint8_t op = i < len ? b[i] : 0;
    bool byte = (op & 1) == 0;
    s->io_in = op == 0xe4 || op == 0xe5 || op == 0xec || op == 0xed || op == 0x6c || op == 0x6d;
    s->io_string = op >= 0x6c && op <= 0x6f;
    for (unsigned k = 0; k < i; k++)
        if (b[k] == 0xf3)
            s->io_rep = true;
    s->io_size = byte ? 1 : ((def16 ^ opsize) ? 2 : 4);
    s->io_port = (op == 0xe4 || op == 0xe5 || op == 0xe6 || op == 0xe7) && i + 1 < len ? b[i + 1] : -1;
}

/* MOV to/from CRn (0F 22 /r, 0F 20 /r) or DRn (0F 23 /r, 0F 21 /r); ModRM.reg is the CR or DR (REX.R adds 8),
 * ModRM.rm the general register (REX.B adds 8). */
static void movcr_operands(const uint8_t *b, unsigned len, struct intercept_site *s)
{
    unsigned i = 0, rex = 0;
    while (i < len && (b[i] == 0x66 || b[i] == 0xf0 || (b[i] & 0xf0) == 0x40)) {
        if ((b[i] & 0xf0) == 0x40)
            rex = b[i];
        i++;
    }
    if (i + 2 >= len)
        return;
    uint8_t modrm = b[i + 2];
    s->to_cr = b[i + 1] == 0x22 || b[i + 1] == 0x23;
    s->cr = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
    s->gpr = (uint8_t)((modrm & 7) | ((rex & 1) ? 8 : 0));
}

/* Describes the instruction `in` in the site: kind, length, bytes, operands. */
static void fill_site(struct site_with_bytes *sb, const cs_insn *in, enum site_kind kind, bool def16)
{
    struct intercept_site *s = &sb->s;
    struct cpu *c = s->cpu;
    uint64_t addr = s->addr;
    memset(s, 0, sizeof *s);
    s->addr = addr;
    s->cpu = c;
    s->kind = (uint8_t)kind;
    s->len = (uint8_t)in->size;
    memset(sb->bytes, 0, sizeof sb->bytes);
    memcpy(sb->bytes, in->bytes, in->size);
    if (kind == SITE_IO)
        io_operands(in->bytes, in->size, def16, s);
    if (kind == SITE_MOVCR || kind == SITE_MOVDR)
        movcr_operands(in->bytes, in->size, s);
}

static enum site_kind site_kind_of(const struct cpu *c, const cs_insn *in, bool *is_site);

/* The Capstone handle for the code size the engine runs at now; *def16 tells
 * whether operands default to 16 bits. */
static csh mode_decoder(struct cpu *c, bool *def16)
{
    uc_blob_save(c);
    uint32_t hf = uc_blob_hflags(c);
    *def16 = !(hf & HF_CS32_MASK);
    return (hf & HF_CS64_MASK) ? c->cs64 : (hf & HF_CS32_MASK) ? c->cs32 : c->cs16;
}

/* A new site at `addr`, in the table and hooked; the caller describes it. */
static struct site_with_bytes *site_new(struct cpu *c, uint64_t addr)
{
    uc_hook h;
    if (2 * (c->sites.used + 1) > c->sites.mask)
        grow_sites(c);
    struct site_with_bytes *sb = calloc(1, sizeof *sb);
    if (!sb)
        return NULL;
    sb->s.addr = addr;
    sb->s.cpu = c;
    *site_slot(c, addr) = &sb->s;
    c->sites.used++;
    uc_hook_add(c->uc, &h, UC_HOOK_CODE, site_hook, sb, addr, addr);
    return sb;
}

/* The bytes at a site changed: decodes the one instruction there now. Returns
 * whether it is one to intercept (the site then describes it). */
static bool site_refresh(struct cpu *c, struct site_with_bytes *sb)
{
    uint8_t code[15];
    struct pw_ctx m;
    uint64_t fl, pc = sb->s.addr;
    uint32_t pe;
    size_t n = sizeof code, page_left = 0x1000 - (pc & 0xfff);
    pw_ctx_read(c, &m);
    /* The tail of a page may be all there is to read. */
    if (pw_read(c, &m, pc, code, n, &fl, &pe) &&
        (n = page_left < n ? page_left : n, pw_read(c, &m, pc, code, n, &fl, &pe)))
        return false;
    bool def16, is_site = false;
    csh h = mode_decoder(c, &def16);
    cs_insn *in = cs_malloc(h);
    const uint8_t *p = code;
    if (cs_disasm_iter(h, &p, &n, &pc, in)) {
        enum site_kind k = site_kind_of(c, in, &is_site);
        if (is_site)
            fill_site(sb, in, k, def16);
    }
    cs_free(in, 1);
    return is_site;
}

static bool add_site(struct cpu *c, const cs_insn *in, enum site_kind kind, bool def16)
{
    struct site_with_bytes *sb;

    struct intercept_site *old = *site_slot(c, in->address);
    if (old) {
        /* A site here already: rewritten code is redescribed in place (its
         * hook is bounded to the address, whatever the bytes). */
        sb = (struct site_with_bytes *)old;
        if (sb->s.len == in->size && memcmp(sb->bytes, in->bytes, in->size) == 0)
            return false;
        fill_site(sb, in, kind, def16);
        return true;
    }
    sb = site_new(c, in->address);
    if (!sb)
        return false;
    fill_site(sb, in, kind, def16);
    return true;
}

static enum site_kind site_kind_of(const struct cpu *c, const cs_insn *in, bool *is_site)
{
    unsigned id = in->id;
    *is_site = true;
    /* MOV CR (0F 20, 0F 22) everywhere: in VMX operation CR0/CR4 must keep
     * their fixed bits. MOV DR (0F 21, 0F 23) in non-root engines: it may exit. */
    if (id == X86_INS_MOV)
        for (unsigned k = 0; k + 1 < in->size; k++)
            if (in->bytes[k] == 0x0f && (in->bytes[k + 1] & 0xfc) == 0x20) {
                if (!(in->bytes[k + 1] & 1))
                    return SITE_MOVCR;
                if (c->nr)
                    return SITE_MOVDR;
            }
    if (id == X86_INS_INVLPG && (c->nr || c->tlb.env))
        return SITE_INVLPG; /* non-root: may exit; root: fast stores note code pages again */
    if (guard_insn(id))
        return SITE_GUARD;
    if (id == X86_INS_IRET || id == X86_INS_IRETD || id == X86_INS_IRETQ) {
        return SITE_IRET; /* it ends (virtual-)NMI blocking (nmi.c) */
    }
    if (c->nr) {
        switch (id) {
        case X86_INS_CPUID: return SITE_CPUID;
        case X86_INS_HLT: return SITE_HLT;
        case X86_INS_RDTSC: return SITE_RDTSC;
        case X86_INS_RDTSCP: return SITE_RDTSCP;
        case X86_INS_MONITOR: return SITE_MONITOR;
        case X86_INS_MWAIT: return SITE_MWAIT;
        case X86_INS_INVD: return SITE_INVD;
        }
    }
    switch (id) {
    case X86_INS_RDMSR: return SITE_RDMSR;
    case X86_INS_WRMSR: return SITE_WRMSR;
    case X86_INS_IN: case X86_INS_OUT: case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
    case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
        return SITE_IO;
    }
    *is_site = false;
    return SITE_IO;
}

/* Decode one block: its instruction count; sets c->retranslate when it holds an
 * instruction to intercept, so the engine drops the block and translates it
 * again with the code hook in place before it runs. */
static uint32_t decode(struct cpu *c, uint64_t addr, uint32_t size)
{
    uint8_t code[4096];
    struct pw_ctx m;
    uint64_t fl;
    uint32_t pe, n = 0;
    bool def16;
    csh h;
    cs_insn *in;
    const uint8_t *p = code;
    size_t left;
    uint64_t pc = addr;

    if (size > sizeof code)
        size = sizeof code;
    pw_ctx_read(c, &m);
    if (pw_read(c, &m, addr, code, size, &fl, &pe))
        return size / 4 + 1; /* not readable from here: an estimate, still deterministic */
    h = mode_decoder(c, &def16);
    in = cs_malloc(h);
    left = size;
    while (left && cs_disasm_iter(h, &p, &left, &pc, in)) {
        bool is_site;
        enum site_kind k = site_kind_of(c, in, &is_site);
        n++;
        if (is_site) {
            add_site(c, in, k, def16);
            c->retranslate = true;
        }
    }
    cs_free(in, 1);
    if (left)
        n++; /* an undecodable tail is one (faulting) instruction */
    c->stats.blocks_decoded++;
    return n ? n : 1;
}

static struct block_entry *block_insert(struct cpu *c, uint64_t addr, uint32_t size);

const struct block_entry *blocks_lookup(struct cpu *c, uint64_t addr, uint32_t size)
{
    struct block_cache *bc = &c->blocks;
    size_t i = mix(addr, size) & bc->mask;

    size_t home = i;
    for (;;) {
        struct block_entry *e = &bc->slots[i];
        if (e->size == size && e->addr == addr) {
            /* Found past its home slot (where the block hook's inline probe
             * looks): trade places with the entry there, which stays in the
             * same run of slots after its own home. Deterministic: it depends
             * only on the order blocks were seen. */
            if (i != home) {
                struct block_entry t = bc->slots[home];
                bc->slots[home] = *e;
                *e = t;
                e = &bc->slots[home];
            }
            return e;
        }
        if (e->size == 0)
            break;
        i = (i + 1) & bc->mask;
    }
    struct block_entry *e = block_insert(c, addr, size);
    e->icount = decode(c, addr, size);
    return e;
}

/* A new slot for (addr, size), growing the table first when half full. */
static struct block_entry *block_insert(struct cpu *c, uint64_t addr, uint32_t size)
{
    struct block_cache *bc = &c->blocks;
    size_t i;
    if (2 * (bc->used + 1) > bc->mask) {
        struct block_cache old = *bc;
        bc->mask = old.mask * 2 + 1;
        bc->slots = calloc(bc->mask + 1, sizeof *bc->slots);
        for (size_t j = 0; j <= old.mask; j++) {
            if (!old.slots[j].size)
                continue;
            size_t k = mix(old.slots[j].addr, old.slots[j].size) & bc->mask;
            while (bc->slots[k].size)
                k = (k + 1) & bc->mask;
            bc->slots[k] = old.slots[j];
        }
        free(old.slots);
    }
    i = mix(addr, size) & bc->mask;
    while (bc->slots[i].size)
        i = (i + 1) & bc->mask;
    bc->slots[i].addr = addr;
    bc->slots[i].size = size;
    bc->used++;
    return &bc->slots[i];
}

uint64_t blocks_insn_ending_at(struct cpu *c, uint64_t block, uint64_t end)
{
    uint8_t code[4096];
    struct pw_ctx m;
    uint64_t fl, pc = block, found = 0;
    uint32_t pe;
    if (end <= block || end - block > sizeof code)
        return 0;
    size_t left = (size_t)(end - block);
    pw_ctx_read(c, &m);
    if (pw_read(c, &m, block, code, left, &fl, &pe))
        return 0;
    bool def16;
    csh h = mode_decoder(c, &def16);
    cs_insn *in = cs_malloc(h);
    const uint8_t *p = code;
    while (left && cs_disasm_iter(h, &p, &left, &pc, in))
        if (pc == end)
            found = in->address;
    cs_free(in, 1);
    return found;
}

/* Snapshots carry the decoded blocks and the intercept sites. Both were derived
 * from memory as it was when each block first ran; a restored run cannot see
 * that memory again (code may have been rewritten in place since), and the
 * blocks' instruction counts feed virtual time, so decoding afresh could make a
 * restored run drift from the recorded one. Slot order is deterministic. */
void blocks_save(struct cpu *c, struct buf *out)
{
    buf_put_u64(out, c->blocks.used);
    for (size_t i = 0; i <= c->blocks.mask; i++) {
        const struct block_entry *e = &c->blocks.slots[i];
        if (!e->size)
            continue;
        buf_put_u64(out, e->addr);
        buf_put_u32(out, e->size);
        buf_put_u32(out, e->icount);
    }
    buf_put_u64(out, c->sites.used);
    for (size_t i = 0; i <= c->sites.mask; i++) {
        const struct site_with_bytes *sb = (const struct site_with_bytes *)c->sites.slots[i];
        if (!sb)
            continue;
        const struct intercept_site *t = &sb->s;
        buf_put_u64(out, t->addr);
        uint8_t f[] = { t->kind, t->len, t->io_size, t->io_in, t->io_string, t->io_rep, t->cr, t->gpr, t->to_cr };
        buf_put(out, f, sizeof f);
        buf_put_u32(out, (uint32_t)t->io_port);
        buf_put(out, sb->bytes, sizeof sb->bytes);
    }
}

int blocks_load(struct cpu *c, struct buf_reader *in)
{
    uint64_t n = buf_get_u64(in);
    if (in->err || n > (1u << 26))
        return HV_ECORRUPT;
    blocks_reset(c);
    for (uint64_t k = 0; k < n && !in->err; k++) {
        uint64_t addr = buf_get_u64(in);
        uint32_t size = buf_get_u32(in), icount = buf_get_u32(in);
        if (!size)
            return HV_ECORRUPT;
        block_insert(c, addr, size)->icount = icount;
    }
    uint64_t m = buf_get_u64(in);
    if (in->err || m > (1u << 24))
        return HV_ECORRUPT;
    for (uint64_t k = 0; k < m && !in->err; k++) {
        struct intercept_site t = { .addr = buf_get_u64(in), .cpu = c };
        uint8_t f[9], bytes[15];
        buf_get(in, f, sizeof f);
        t.io_port = (int32_t)buf_get_u32(in);
        buf_get(in, bytes, sizeof bytes);
        if (in->err || f[0] > SITE_KIND_LAST || f[1] == 0 || f[1] > 15)
            return HV_ECORRUPT;
        t.kind = f[0], t.len = f[1], t.io_size = f[2], t.io_in = f[3], t.io_string = f[4];
        t.io_rep = f[5], t.cr = f[6], t.gpr = f[7], t.to_cr = f[8];
        struct site_with_bytes *sb = (struct site_with_bytes *)*site_slot(c, t.addr);
        if (!sb && !(sb = site_new(c, t.addr)))
            return HV_ENOMEM;
        sb->s = t;
        memcpy(sb->bytes, bytes, sizeof bytes);
    }
    return in->err ? HV_ECORRUPT : HV_OK;
}
