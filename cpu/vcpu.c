/* The vCPU's engine and run loop: one Unicorn engine opened in 64-bit mode with
 * RAM mapped from host memory, a block hook that counts retired instructions into
 * virtual time and stops at the budget, and the hooks that hand exceptions, I/O,
 * CPUID, RDTSC and SYSCALL/SYSENTER to the models of cpu/. Events are delivered
 * between runs of the engine, at instruction-block boundaries. */
#include <stdlib.h>
#include <string.h>

#include "arch/vmx.h"
#include "base/log.h"
#include "cpu_priv.h"

#define TLB_RESIZE_FIRST 1000000ULL   /* cycles to the first TLB flush (1 ms at 1 GHz) */
#define TLB_RESIZE_PERIOD 20000000ULL /* and at most between two (20 ms) */

const int gpr_uc[16] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
                         UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
                         UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
                         UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15 };

void cpu_raise(struct cpu *c, int vector, bool has_err, uint32_t err)
{
    c->exc = (struct pending_exc){ .valid = true, .vector = vector, .has_err = has_err, .err = err };
    c->hook_stopped = true; /* callers stop the engine from a code hook, which is immediate */
}

/* Everything the block hook does besides counting a known block on a page
 * already noted: noting a new code page, the fast-store scan, the stop at the
 * budget, decoding a new block, the interrupt watches. Kept out of line so the
 * common path needs no stack frame. */
static __attribute__((noinline)) void hook_block_slow(uc_engine *uc, uint64_t addr, uint32_t size, struct cpu *c)
{
    const struct block_entry *e;

    if (c->tlb.env) {
        if ((addr & ~0xfffULL) != c->tlb.last_page[(addr >> 12) & 3])
            uc_tlb_note_code(c, addr, size); /* before the stop: the translation exists */
        if (c->cycles >= c->tlb.next_scan)
            uc_tlb_scan(c);
    } else {
        /* Nothing to note or scan: let the fast path's page and scan tests pass. */
        c->tlb.last_page[(addr >> 12) & 3] = addr & ~0xfffULL;
        c->tlb.next_scan = UINT64_MAX;
    }
    /* Stopping here prevents the block from running, so it is counted only
     * when it runs. */
    if (c->cycles >= c->stop_cycles) {
        c->hook_stopped = true;
        uc_emu_stop(uc);
        return;
    }
    c->block_start = addr;
    e = blocks_probe(c, addr, size);
    if (!e) {
        e = blocks_lookup(c, addr, size);
        if (c->retranslate) { /* decoding found an instruction to intercept */
            c->retranslate = false;
            c->stats.retranslations++;
            uc_ctl_remove_cache(uc, addr, addr + size);
            c->hook_stopped = true;
            uc_emu_stop(uc);
            return;
        }
    }
    if ((c->irq_watch || c->nr_watch) && (reg_get(c, UC_X86_REG_EFLAGS) & EFLAGS_IF)) {
        c->hook_stopped = true;
        uc_emu_stop(uc);
        return;
    }
    if (c->irq_after_block) {
        c->irq_after_block = false;
        c->irq_watch = true;
    }
    if (c->ff_rec && ffwd_block(c, addr, size)) {
        c->hook_stopped = true;
        uc_emu_stop(uc);
        return;
    }
    c->cycles += e->icount;
    c->instructions += e->icount;
}

/* Runs before every translation block; the common case, a block seen before
 * on a page already noted with nothing to watch, only adds its instruction
 * count. On a compute-bound guest this is the hottest function of hvsim; GCC
 * would update the two counters with SSE moves, slower here than two adds. */
__attribute__((optimize("no-tree-slp-vectorize"))) static void hook_block(uc_engine *uc, uint64_t addr,
                                                                          uint32_t size, void *user)
{
    struct cpu *c = user;
    uint64_t cycles = c->cycles;

    if (__builtin_expect(!c->block_watch && cycles < c->stop_cycles && cycles < c->tlb.next_scan &&
                             (addr & ~0xfffULL) == c->tlb.last_page[(addr >> 12) & 3], 1)) {
        const struct block_entry *e = blocks_probe(c, addr, size);
        if (__builtin_expect(e != NULL, 1)) {
            c->block_start = addr;
            c->cycles = cycles + e->icount;
            c->instructions += e->icount;
            return;
        }
    }
    hook_block_slow(uc, addr, size, c);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct cpu *c = user;
    if (c->exc.valid && c->exc.at_rip) {
        uc_emu_stop(uc); /* a refused I/O access earlier in the block faults first */
        return;
    }
    c->exc = (struct pending_exc){ .valid = true, .vector = (int)intno, .from_unicorn = true };
    c->hook_stopped = true;
    uc_emu_stop(uc);
}

static enum cpu_exit run_guest(struct cpu *c, uint64_t limit);

/* Whether the run loop, given the CPU now, would do anything before starting
 * the engine again (deliver, stop, flush, trace). */
static bool loop_has_work(struct cpu *c)
{
    return c->exc.valid || c->op != OP_NONE || c->stop_requested || c->kicked || c->halted || nmi_deliverable(c) ||
           c->cycles >= c->limit || c->cycles >= c->stop_cycles || c->cycles - c->tlb_flushed_at >= c->tlb_period ||
           c->itrace.fn || (c->plat.intr_pending && c->plat.intr_pending(c->plat.opaque) >= 0);
}

/* VMLAUNCH or VMRESUME, from the #UD hook: enter and run the guest from here,
 * so that after its VM exit the root engine goes on at the host RIP without
 * stopping and starting again (a round trip's largest fixed cost). The run
 * loop would do the same: enter at once, and after the exit go on unless it
 * has something else to do first, in which case the engine stops for it.
 * Returns true when the root engine goes on. */
static bool nested_entry(struct cpu *c)
{
    c->entry_in_hook = true;
    int r = c->vmx_ops->enter(c);
    c->entry_in_hook = false;
    if (r < 0) {
        c->entry_error = true;
        return false;
    }
    if (c->guest && run_guest(c, c->limit) != CPU_EXIT_VMEXIT)
        return false; /* the loop runs the guest on (it is still active) */
    uc_tlb_run_start(c); /* the host state may have new paging registers */
    return !loop_has_work(c);
}

/* Unicorn reports #UD here rather than through the interrupt hook. VMX
 * instructions arrive here too once the VT-x model claims them. */
static bool hook_insn_invalid(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    if (c->vmx && c->vmx_ops->insn_root(c)) {
        if (c->vmx_ops->entry_pending(c)) {
            if (!c->exc.valid && !c->nested_off && nested_entry(c))
                return true;
            c->hook_stopped = true; /* the run loop enters, or takes over from here */
            c->stop_cycles = 0;
        }
        if (c->hook_stopped || c->exc.valid)
            uc_emu_stop(uc);
        return true;
    }
    if (c->nr && c->vmx_ops->nr_invalid_insn(c)) {
        uc_emu_stop(uc);
        return true;
    }
    if (!(c->exc.valid && c->exc.at_rip)) /* else an earlier refused I/O access faults first */
        cpu_raise(c, 6, false, 0);
    uc_emu_stop(uc);
    return true;
}

/* The permission check normally runs in the I/O instruction's site hook, before
 * it executes (intercept.c). A site can be missing when new code reuses a block
 * of the same address and size (the block cache's known limit), so a refused
 * access is caught here too: no device sees it, the decode cache is dropped so
 * the next run decodes afresh, and #GP(0) is raised at the instruction with RAX
 * as it was. The engine only stops at the end of its translation block, so the
 * rest of that block may still run (a known limit); a fault it raises there
 * loses to this earlier one. */
static bool io_refused(struct cpu *c, uint32_t port, int size)
{
    if ((reg_get(c, UC_X86_REG_CS) & 3) == 0 || ioperm_allowed(c, (uint16_t)port, (unsigned)size))
        return false;
    uint64_t rip = reg_get(c, UC_X86_REG_RIP), rax = reg_get(c, UC_X86_REG_RAX);
    log_debug("cpu: I/O to port %#x at %#llx without its site: #GP", port, (unsigned long long)rip);
    blocks_reset(c);
    cpu_raise(c, 13, true, 0);
    c->exc.at_rip = true;
    c->exc.rip = rip;
    c->exc.rax = rax;
    uc_emu_stop(c->uc);
    return true;
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *user)
{
    struct cpu *c = user;
    if (io_refused(c, port, size))
        return 0xffffffffu;
    ffwd_hit(c, false);
    if (c->ff_rec)
        ffwd_io(c, (uint16_t)port, (unsigned)size, false, 0);
    return c->plat.pio_read ? c->plat.pio_read(c->plat.opaque, (uint16_t)port, (unsigned)size) : 0xffffffffu;
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t val, void *user)
{
    struct cpu *c = user;
    if (io_refused(c, port, size))
        return;
    if (c->ff_rec)
        ffwd_io(c, (uint16_t)port, (unsigned)size, true, val);
    if (c->plat.pio_write)
        c->plat.pio_write(c->plat.opaque, (uint16_t)port, val, (unsigned)size);
}

static int hook_cpuid(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    uint32_t r[4];
    cpuid_query(c, (uint32_t)reg_get(c, UC_X86_REG_RAX), (uint32_t)reg_get(c, UC_X86_REG_RCX), r);
    reg_set(c, UC_X86_REG_RAX, r[0]);
    reg_set(c, UC_X86_REG_RBX, r[1]);
    reg_set(c, UC_X86_REG_RCX, r[2]);
    reg_set(c, UC_X86_REG_RDX, r[3]);
    return 1;
}

static int hook_rdtsc(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    ffwd_hit(c, true);
    uint64_t tsc = msr_tsc(c);
    reg_set(c, UC_X86_REG_RAX, tsc & 0xffffffffu);
    reg_set(c, UC_X86_REG_RDX, tsc >> 32);
    return 1;
}

/* RDTSCP: the same virtual TSC, and IA32_TSC_AUX in ECX (Unicorn would read
 * the host's TSC and its own TSC_AUX). */
static int hook_rdtscp(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    hook_rdtsc(uc, user);
    reg_set(c, UC_X86_REG_RCX, c->msr.tsc_aux);
    return 1;
}

static void hook_syscall(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    c->op = OP_SYSCALL;
    c->hook_stopped = true;
    uc_emu_stop(uc);
}

static void hook_sysenter(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    c->op = OP_SYSENTER;
    c->hook_stopped = true;
    uc_emu_stop(uc);
}

/* Physical addresses with nothing behind them float high, as on a PC bus. */
static uint64_t open_bus_read(uc_engine *uc, uint64_t off, unsigned size, void *user) { return ~0ULL; }
static void open_bus_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user) {}

/* The unbacked stretch of physical addresses around addr: from the end of the
 * region below it to the start of the region above, within addr's aligned GiB
 * (so a wild pointer maps one region, not thousands of pages). */
static bool open_bus_gap(uc_engine *uc, uint64_t addr, uint64_t *base, uint64_t *size)
{
    uc_mem_region *regions;
    uint32_t n;
    uint64_t lo = addr & ~((1ULL << 30) - 1), hi = lo + (1ULL << 30) - 1;

    if (uc_mem_regions(uc, &regions, &n) != UC_ERR_OK)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (regions[i].end < addr && regions[i].end >= lo)
            lo = regions[i].end + 1;
        if (regions[i].begin > addr && regions[i].begin <= hi)
            hi = regions[i].begin - 1;
    }
    uc_free(regions);
    *base = lo;
    *size = hi - lo + 1;
    return true;
}

static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
    struct cpu *c = user;
    uint64_t base, len;

    if (c->nr && c->vmx_ops->nr_ept_fault(c, type, addr))
        return false; /* the engine stops; the run loop takes the EPT exit */
    if (type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT) {
        /* Code fetched from nothing reads all-ones, and FF FF is no instruction. */
        log_guest("cpu: instruction fetch from unbacked physical address %#llx: #UD", (unsigned long long)addr);
        cpu_raise(c, 6, false, 0);
        return false;
    }
    if (c->n_open_bus >= (int)(sizeof c->open_bus_regions / sizeof c->open_bus_regions[0]) ||
        !open_bus_gap(uc, addr, &base, &len)) {
        log_error("cpu: too many accesses to unbacked physical memory (last %#llx)", (unsigned long long)addr);
        return false;
    }
    log_guest("cpu: access to unbacked physical address %#llx reads all-ones", (unsigned long long)addr);
    if (uc_mmio_map(uc, base, len, open_bus_read, NULL, open_bus_write, NULL) != UC_ERR_OK)
        return false;
    c->open_bus_regions[c->n_open_bus++] = base;
    return true;
}

/* An engine with our hooks; RAM is mapped by the caller. */
static struct cpu *engine_new(const struct cpu_config *cfg, const struct cpu_platform *plat)
{
    struct cpu *c = calloc(1, sizeof *c);
    uc_err err;

    if (!c)
        return NULL;
    c->ram = cfg->ram;
    c->ram_size = cfg->ram_size;
    c->hz = cfg->hz ? cfg->hz : 1000000000ULL;
    c->apic_id = cfg->apic_id;
    c->sw = cfg->sw;
    if (plat)
        c->plat = *plat;
    c->stop_cycles = UINT64_MAX;
    c->tlb_period = TLB_RESIZE_FIRST;
    if ((err = uc_open(UC_ARCH_X86, UC_MODE_64, &c->uc)) != UC_ERR_OK) {
        log_error("cpu: cannot open a Unicorn engine: %s", uc_strerror(err));
        goto fail;
    }
    if (cs_open(CS_ARCH_X86, CS_MODE_16, &c->cs16) || cs_open(CS_ARCH_X86, CS_MODE_32, &c->cs32) ||
        cs_open(CS_ARCH_X86, CS_MODE_64, &c->cs64)) {
        log_error("cpu: cannot open Capstone");
        goto fail_after_engine;
    }
    if (uc_blob_discover(c)) {
        log_error("cpu: this Unicorn build's context layout is not understood; hvsim needs Unicorn 2.1.x");
        goto fail_after_capstone;
    }
    if (blocks_init(c))
        goto fail_after_capstone;
    if (uc_tlb_attach(c))
        goto fail_after_blocks;
    msr_init(c);
    return c;

fail_after_blocks:
    blocks_free(c);
fail_after_capstone:
    cs_close(&c->cs16);
    cs_close(&c->cs32);
    cs_close(&c->cs64);
fail_after_engine:
    uc_close(c->uc);
fail:
    free(c);
    return NULL;
}

static void engine_hooks(struct cpu *c)
{
    /* uc_emu_start's `until` is not an exit: stops come only from hooks and HLT. */
    uc_ctl_exits_enable(c->uc);
    uc_hook_add(c->uc, &c->h_block, UC_HOOK_BLOCK, hook_block, c, 1, 0);
    uc_hook_add(c->uc, &c->h_intr, UC_HOOK_INTR, hook_intr, c, 1, 0);
    uc_hook_add(c->uc, &c->h_invalid, UC_HOOK_INSN_INVALID, hook_insn_invalid, c, 1, 0);
    uc_hook_add(c->uc, &c->h_in, UC_HOOK_INSN, hook_in, c, 1, 0, UC_X86_INS_IN);
    uc_hook_add(c->uc, &c->h_out, UC_HOOK_INSN, hook_out, c, 1, 0, UC_X86_INS_OUT);
    uc_hook_add(c->uc, &c->h_cpuid, UC_HOOK_INSN, hook_cpuid, c, 1, 0, UC_X86_INS_CPUID);
    uc_hook_add(c->uc, &c->h_rdtsc, UC_HOOK_INSN, hook_rdtsc, c, 1, 0, UC_X86_INS_RDTSC);
    uc_hook_add(c->uc, &c->h_rdtscp, UC_HOOK_INSN, hook_rdtscp, c, 1, 0, UC_X86_INS_RDTSCP);
    uc_hook_add(c->uc, &c->h_syscall, UC_HOOK_INSN, hook_syscall, c, 1, 0, UC_X86_INS_SYSCALL);
    uc_hook_add(c->uc, &c->h_sysenter, UC_HOOK_INSN, hook_sysenter, c, 1, 0, UC_X86_INS_SYSENTER);
    uc_hook_add(c->uc, &c->h_unmapped,
                UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED |
                    UC_HOOK_MEM_FETCH_UNMAPPED | UC_HOOK_MEM_FETCH_PROT |
                    (c->nr ? UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_READ_PROT : 0),
                hook_unmapped, c, 1, 0);
}

struct cpu *cpu_new(const struct cpu_config *cfg, const struct cpu_platform *plat)
{
    struct cpu *c = engine_new(cfg, plat);
    uc_err err;

    if (!c)
        return NULL;
    if ((err = uc_mem_map_ptr(c->uc, 0, cfg->ram_size, UC_PROT_ALL, cfg->ram)) != UC_ERR_OK) {
        log_error("cpu: cannot map %llu bytes of RAM: %s", (unsigned long long)cfg->ram_size, uc_strerror(err));
        cpu_free(c);
        return NULL;
    }
    /* Root engines only: in a non-root engine an EPT violation on a store is a
     * failed access, which Unicorn ends the run for only through the check
     * after the store. */
    uc_stop_attach(c);
    cpuid_init(c); /* before the CPUID hook: reads Unicorn's own leaves */
    c->nested_off = c->sw.no_nested_run;
    engine_hooks(c);
    return c;
}

struct cpu *cpu_new_guest(struct cpu *root, struct vmx_nonroot *nr)
{
    struct cpu_config cfg = { .ram = root->ram, .ram_size = root->ram_size, .hz = root->hz,
                              .apic_id = root->apic_id, .sw = root->sw };
    struct cpu *g = engine_new(&cfg, &root->plat);

    if (!g)
        return NULL;
    g->nr = nr; /* before the hooks: a non-root engine's differ */
    g->vmx_ops = root->vmx_ops;
    memcpy(g->cpuid_native, root->cpuid_native, sizeof g->cpuid_native);
    memcpy(g->cpuid_native_ext, root->cpuid_native_ext, sizeof g->cpuid_native_ext);
    /* Out of Unicorn's start state (long mode without paging). */
    engine_leave_start_state(g);
    engine_hooks(g);
    return g;
}

void cpu_free(struct cpu *c)
{
    if (!c)
        return;
    if (c->vmx)
        c->vmx_ops->free(c);
    ffwd_free(c);
    if (c->ctx)
        uc_context_free(c->ctx);
    uc_close(c->uc);
    blocks_free(c);
    uc_tlb_free(c);
    cs_close(&c->cs16);
    cs_close(&c->cs32);
    cs_close(&c->cs64);
    free(c);
}

/* Unicorn's MMIO callbacks carry the engine first and the size before the
 * value; these adapt them to the platform's callbacks. */
static uint64_t mmio_read_tramp(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    struct mmio_region *r = user;
    if (r->cpu->ff_rec)
        ffwd_mmio(r->cpu);
    return r->rd(r->opaque, off, size);
}

static void mmio_write_tramp(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *user)
{
    struct mmio_region *r = user;
    if (r->cpu->ff_rec)
        ffwd_mmio(r->cpu);
    r->wr(r->opaque, off, val, size);
}

int cpu_mmio_map(struct cpu *c, uint64_t base, uint64_t size, cpu_mmio_read_fn *rd, cpu_mmio_write_fn *wr,
                 void *opaque)
{
    if (c->n_mmio == CPU_MAX_MMIO)
        return -1;
    struct mmio_region *r = &c->mmio[c->n_mmio];
    *r = (struct mmio_region){ .cpu = c, .base = base, .size = size, .rd = rd, .wr = wr, .opaque = opaque };
    if (uc_mmio_map(c->uc, base, size, mmio_read_tramp, r, mmio_write_tramp, r) != UC_ERR_OK)
        return -1;
    c->n_mmio++;
    return 0;
}

/* Deliver what the last run left pending. 0, or -1 on shutdown. */
static int deliver_pending(struct cpu *c)
{
    struct pending_exc e = c->exc;
    enum event_kind kind = EV_EXCEPTION;

    c->exc.valid = false;
    if (e.at_rip) {
        reg_set(c, UC_X86_REG_RIP, e.rip);
        reg_set(c, UC_X86_REG_RAX, e.rax);
    }
    if (e.from_unicorn) {
        uc_blob_save(c);
        if (uc_blob_exception_is_int(c))
            kind = EV_SOFT_INT; /* INT n, INT3, INTO: RIP is already after it */
        e.has_err = kind != EV_SOFT_INT && exc_has_error_code(e.vector);
        e.err = e.has_err ? uc_blob_error_code(c) : 0;
    }
    if (e.vector == 7 && e.from_unicorn && (c->vmx || c->nr) && c->vmx_ops->insn_nm(c))
        return 0; /* INVEPT/INVVPID under CR0.TS: QEMU's #NM, not the CPU's (cpu/vmx/vmx_insn.c) */
    if (c->nr && e.vector == 14 && kind == EV_EXCEPTION && c->vmx_ops->nr_walk_fault(c))
        return 0; /* the guest's page walk left the EPT: an EPT exit, not a #PF */
    if (c->nr && c->vmx_ops->nr_exception(c, e.vector, kind == EV_SOFT_INT, e.has_err, e.err)) {
        /* The exit reports INT3/INTO at the instruction, with its length. */
        if (kind == EV_SOFT_INT)
            reg_set(c, UC_X86_REG_RIP, reg_get(c, UC_X86_REG_RIP) - 1);
        return 0;
    }
    int r = exc_deliver(c, e.vector, kind, e.has_err, e.err);
    if (r && c->nr) {
        c->vmx_ops->nr_exit(c, EXIT_REASON_TRIPLE_FAULT, 0, 0); /* a guest's shutdown is an exit (25.2) */
        return 0;
    }
    return r;
}

/* The root CPU in VMX non-root operation: run the guest's engine until it
 * exits or the machine needs the CPU back. */
static enum cpu_exit run_guest(struct cpu *c, uint64_t limit)
{
    struct cpu *g = c->guest;
    enum cpu_exit r = cpu_run(g, limit);

    c->cycles = g->cycles;
    c->instructions = g->instructions;
    c->stats.exceptions += g->stats.exceptions, g->stats.exceptions = 0;
    c->stats.interrupts += g->stats.interrupts, g->stats.interrupts = 0;
    c->stats.page_faults += g->stats.page_faults, g->stats.page_faults = 0;
    c->stats.gp_faults += g->stats.gp_faults, g->stats.gp_faults = 0;
    if (r == CPU_EXIT_VMEXIT) {
        c->vmx_ops->exit_to_root(c, g);
        return CPU_EXIT_VMEXIT; /* the caller goes on in root operation */
    }
    return r;
}

/* An external interrupt is taken when one is pending, IF is set and no STI or
 * MOV SS shadow is in force. Returns 1 taken, 0 not now, -1 shutdown. */
static int take_interrupt(struct cpu *c)
{
    int vec;

    c->irq_watch = false;
    if (!c->plat.intr_pending || c->plat.intr_pending(c->plat.opaque) < 0)
        return 0;
    if (!(reg_get(c, UC_X86_REG_EFLAGS) & EFLAGS_IF)) {
        c->irq_watch = true;
        return 0;
    }
    uc_blob_save(c);
    if (!c->halted && (uc_blob_hflags(c) & HF_INHIBIT_IRQ_MASK)) {
        /* STI or MOV SS shadow: the next instruction runs first (it starts a
         * block of its own); look again at the boundary after that block. */
        c->irq_after_block = true;
        return 0;
    }
    vec = c->plat.intr_ack(c->plat.opaque);
    if (vec < 0)
        return 0; /* withdrawn between pending and acknowledge */
    c->halted = false;
    return exc_deliver(c, vec, EV_EXTERNAL, false, 0) ? -1 : 1;
}

enum cpu_exit cpu_run(struct cpu *c, uint64_t limit)
{
    uc_err err;

    c->limit = limit;
    for (;;) {
        if (c->entry_error) {
            c->entry_error = false;
            return CPU_EXIT_ERROR;
        }
        if (c->vmx && c->vmx_ops->entry_pending(c) && c->vmx_ops->enter(c) < 0)
            return CPU_EXIT_ERROR;
        if (c->guest) {
            if (c->kicked) {
                /* A device queued an event while the guest ran (the guest's
                 * own engine stopped for it, out of the #UD hook's nested
                 * run): the machine looks at its queue before the guest runs
                 * on, or halts until a deadline that no longer holds. */
                c->kicked = false;
                return CPU_EXIT_LIMIT;
            }
            enum cpu_exit r = run_guest(c, limit);
            if (r != CPU_EXIT_VMEXIT)
                return r;
            continue;
        }
        /* From here to the engine's start: what loop_has_work tests for, so
         * that a VM exit taken in the #UD hook stops for the same things. */
        if (c->exc.valid && deliver_pending(c))
            return CPU_EXIT_TRIPLE_FAULT;
        if (c->op == OP_SYSCALL)
            syscall_do(c);
        else if (c->op == OP_SYSENTER)
            sysenter_do(c);
        c->op = OP_NONE;
        if (c->nr && (c->vmx_ops->nr_exit_pending(c) || c->vmx_ops->nr_check_events(c)))
            return CPU_EXIT_VMEXIT;
        if (c->stop_requested) {
            c->stop_requested = false;
            return CPU_EXIT_STOP;
        }
        /* An NMI first: it outranks maskable interrupts (SDM vol. 3A 6.9). */
        int nmi = nmi_take(c);
        if (nmi < 0 || (nmi == 0 && take_interrupt(c) < 0))
            return CPU_EXIT_TRIPLE_FAULT;
        if (c->kicked) {
            c->kicked = false;
            return CPU_EXIT_LIMIT; /* let the machine look at its event queue */
        }
        if (c->halted)
            return CPU_EXIT_HALT;
        if (c->cycles >= limit)
            return CPU_EXIT_LIMIT;
        if (c->cycles - c->tlb_flushed_at >= c->tlb_period) {
            /* Unicorn sizes its TLB only when it is flushed, by how full it was:
             * a guest that never reloads CR3 would keep the initial 256 entries
             * and refill them millions of times. Periodic flushes let the TLB
             * grow to the working set, quickly at first (the period doubles
             * from 1 ms to 20 ms); the guest cannot observe them. The entries
             * come back with the not-dirty flag, so a flush that cannot grow
             * the TLB is skipped, and after one the fast-store scan looks again
             * soon. */
            c->tlb_flushed_at = c->cycles;
            if (c->tlb_period < TLB_RESIZE_PERIOD)
                c->tlb_period = c->tlb_period * 2 > TLB_RESIZE_PERIOD ? TLB_RESIZE_PERIOD : c->tlb_period * 2;
            if (uc_tlb_wants_resize(c)) {
                uc_ctl_flush_tlb(c->uc);
                c->stats.tlb_flushes++;
                uc_tlb_flushed(c);
                uc_tlb_forget_page(c);
            }
        }
        c->stop_cycles = limit;
        if (c->stop_cycles - c->tlb_flushed_at > c->tlb_period)
            c->stop_cycles = c->tlb_flushed_at + c->tlb_period;
        if (c->nr) {
            uint64_t deadline = c->vmx_ops->nr_timer_deadline(c); /* the VMX-preemption timer */
            if (deadline < c->stop_cycles)
                c->stop_cycles = deadline;
        }
        if (c->nmi_one_block)
            c->stop_cycles = c->cycles + 1; /* past the interrupt shadow, then deliver */
        c->stop_cycles = insn_trace_step(c, c->stop_cycles);
        c->hook_stopped = false;
        uc_tlb_run_start(c);
        c->stats.engine_runs++;
        err = uc_emu_start(c->uc, reg_get(c, UC_X86_REG_RIP), 0, 0, 0);
        if (c->ff_rec && ffwd_after_run(c))
            continue; /* a fast-forward probe undone: back at the loop's head */
        if (err != UC_ERR_OK && c->nr && c->vmx_ops->nr_exit_pending(c))
            continue; /* an EPT exit ended the run */
        if (err != UC_ERR_OK && c->exc.valid)
            continue; /* a fault a hook raised ended the run (a fetch from nothing) */
        if (err != UC_ERR_OK) {
            log_error("cpu: engine stopped at RIP %#llx: %s", (unsigned long long)reg_get(c, UC_X86_REG_RIP),
                      uc_strerror(err));
            return CPU_EXIT_ERROR;
        }
        /* The engine ends by itself only on HLT; every other stop came from a hook. */
        if (!c->hook_stopped)
            c->halted = true;
    }
}

void cpu_kick(struct cpu *c)
{
    /* Not uc_emu_stop: from an I/O hook it would end the run at a point where
     * HLT cannot be told apart; the block hook stops at the next boundary. */
    c->kicked = true;
    c->stop_cycles = 0;
    if (c->guest)
        cpu_kick(c->guest);
}

void cpu_request_stop(struct cpu *c)
{
    c->stop_requested = true;
    c->stop_cycles = 0;
    if (c->guest)
        cpu_request_stop(c->guest);
}

uint64_t cpu_cycles(const struct cpu *c) { return c->cycles; }
uint64_t cpu_instructions(const struct cpu *c) { return c->instructions; }
uint64_t cpu_hz(const struct cpu *c) { return c->hz; }
vtime_t cpu_now(const struct cpu *c) { return vtime_from_cycles(c->cycles, c->hz); }

uint64_t cpu_cycles_at(const struct cpu *c, vtime_t t)
{
    if (t == VTIME_NEVER)
        return UINT64_MAX;
    /* Round up so the event's time has been reached when the budget ends. */
    uint64_t cyc = vtime_to_cycles(t, c->hz);
    return vtime_from_cycles(cyc, c->hz) < t ? cyc + 1 : cyc;
}

void cpu_idle_until(struct cpu *c, uint64_t cycles)
{
    if (c->guest)
        cycles = c->vmx_ops->nr_idle_until(c->guest, cycles); /* a halted guest */
    if (cycles > c->cycles && cycles != UINT64_MAX) {
        /* Halted time runs no code: the engine's TLB neither fills nor meets
         * new stores, so its upkeep (the periodic resize flush, the fast-store
         * scan) is paced by the cycles code ran, not by these. Paced by virtual
         * time, an idle Domain-0 at its prompt paid for a whole-TLB walk at
         * every timer tick: 20 s of host time per virtual second. */
        uint64_t idle = cycles - c->cycles;
        c->tlb_flushed_at += idle;
        if (c->tlb.next_scan != UINT64_MAX)
            c->tlb.next_scan += idle;
        c->cycles = cycles;
    }
}

void cpu_add_cycles(struct cpu *c, uint64_t cycles)
{
    if (c->guest)
        c = c->guest; /* its cycles become the root's at the VM exit */
    c->cycles += cycles;
}

const struct cpu_fault *cpu_last_fault(const struct cpu *c) { return &c->last_fault; }
const struct cpu_stats *cpu_stats(const struct cpu *c) { return &c->stats; }
uint64_t cpu_reg_read(struct cpu *c, int r) { return reg_get(c, r); }
void cpu_reg_write(struct cpu *c, int r, uint64_t v) { reg_set(c, r, v); }
