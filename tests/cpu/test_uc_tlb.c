/* Pins the fast-store path of cpu/uc_tlb.c: this Unicorn build's live TLB is
 * found for every engine (else hvsim silently runs at half speed), a data page
 * written for long gets its not-dirty flag cleared while the code page keeps
 * it, the results and virtual time are those of the slow path, and
 * The slow_stores switch turns the path off. Rewritten code under aliases is the
 * guest test tests/guests/smc.c. */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "cpu_priv.h"
#include "harness.h"

static struct hv h, h2;
static void fini(void)
{
    hv_fini(&h);
    hv_fini(&h2);
    hv_switches = (struct cpu_switches){ 0 };
}
TestSuite(uc_tlb, .fini = fini);

static bool page_is_code(const struct cpu *c, uint64_t pa)
{
    return (c->tlb.code_pages[(pa >> 12) >> 3] >> ((pa >> 12) & 7)) & 1;
}

Test(uc_tlb, found_for_every_engine)
{
    hv_init(&h, "misc", 32);
    hv_init(&h2, "misc", 32);
    cr_assert_not_null(h.cpu->tlb.env, "this Unicorn's TLB was not found: stores take the slow path");
    cr_assert_not_null(h2.cpu->tlb.env);
    cr_assert_neq(h.cpu->tlb.env, h2.cpu->tlb.env, "each engine has its own CPU state");
}

/* Without the 2.1.4 hint, the search finds the same state (each test runs in
 * its own process, so the layout is measured afresh). */
Test(uc_tlb, found_by_the_search_too)
{
    hv_switches.uc_no_hint = true;
    hv_init(&h, "misc", 32);
    cr_assert_not_null(h.cpu->tlb.env, "the search did not find the CPU state");
    cr_assert_not_null(h.cpu->blob_live);
    hv_start(&h, "store_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq((uint32_t)hv_reg(&h, UC_X86_REG_RBX), 100000u * 100001u / 2);
    cr_assert_gt(h.cpu->tlb.cleared, 0);
}

Test(uc_tlb, data_page_cleared_code_page_kept)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "store_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq((uint32_t)hv_reg(&h, UC_X86_REG_RBX), 100000u * 100001u / 2, "every store landed");
    cr_assert_gt(h.cpu->tlb.scans, 0, "400000 instructions are many scan periods");
    cr_assert_gt(h.cpu->tlb.cleared, 0, "the data page's entry was cleared");
    cr_assert(page_is_code(h.cpu, CODE_BASE), "the snippet's page runs code");
    cr_assert(!page_is_code(h.cpu, RESULT), "the data page never ran code");
}

Test(uc_tlb, same_results_and_time_as_the_slow_path)
{
    uint64_t cycles[2], hash[2];
    for (int i = 0; i < 2; i++) {
        if (i)
            hv_switches.slow_stores = true;
        hv_init(&h, "misc", 32);
        cr_assert_eq(h.cpu->tlb.env == NULL, i == 1, "the slow_stores switch turns the path off");
        hv_start(&h, "store_loop", 0, 0);
        cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
        cycles[i] = cpu_cycles(h.cpu);
        hash[i] = cpu_state_hash(h.cpu);
        hv_fini(&h);
    }
    cr_assert_eq(cycles[0], cycles[1]);
    cr_assert_eq(hash[0], hash[1]);
}

/* A stopped engine in long mode with paging: the rdmsr64 snippet (RDMSR of
 * the TSC) run to its HLT. */
static void run_long_mode(struct hv *hh)
{
    hv_init(hh, "misc", 64);
    hv_start(hh, "rdmsr64", 0, 0);
    cpu_reg_write(hh->cpu, UC_X86_REG_RCX, 0x10);
    cr_assert_eq(hv_run(hh), CPU_EXIT_HALT);
}

/* reg_get reads some registers straight from the live state (cpu_priv.h): each
 * must be what Unicorn's API reads, in 32-bit protected mode and in long mode
 * with paging. */
static void expect_live_reads_match(struct cpu *c)
{
    static const int regs[] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RSP, UC_X86_REG_R15, UC_X86_REG_RIP,
                                UC_X86_REG_CR0, UC_X86_REG_CR2, UC_X86_REG_CR3, UC_X86_REG_CR4, UC_X86_REG_CS,
                                UC_X86_REG_SS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE };
    cr_assert_not_null(c->blob_live, "the live state was found");
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        uint64_t api = 0;
        uc_reg_read(c->uc, regs[i], &api);
        cr_assert_eq(reg_get(c, regs[i]), api, "register %d: live %#llx, API %#llx", regs[i],
                     (unsigned long long)reg_get(c, regs[i]), (unsigned long long)api);
    }
    uc_x86_msr efer = { .rid = 0xc0000080 };
    uc_reg_read(c->uc, UC_X86_REG_MSR, &efer);
    cr_assert_eq(efer_get(c), efer.value);
    cr_assert(c->blob.tables, "LDTR, TR, GDTR and IDTR follow the segment caches");
    static const int tables[] = { UC_X86_REG_GDTR, UC_X86_REG_IDTR, UC_X86_REG_TR, UC_X86_REG_LDTR };
    for (size_t i = 0; i < 4; i++) {
        uc_x86_mmr live = { 0 }, api = { 0 };
        uc_blob_read_mmr(c, tables[i], &live);
        uc_reg_read(c->uc, tables[i], &api);
        cr_assert(live.base == api.base && live.limit == api.limit, "table register %d: base/limit", tables[i]);
        if (i >= 2)
            cr_assert(live.selector == api.selector && live.flags == api.flags, "register %d: selector/flags",
                      tables[i]);
    }
    /* And a write in place is what the API then reads. */
    uint64_t old_fs = reg_get(c, UC_X86_REG_FS_BASE), fs = 0;
    reg_set(c, UC_X86_REG_FS_BASE, 0x12345000);
    uc_reg_read(c->uc, UC_X86_REG_FS_BASE, &fs);
    cr_assert_eq(fs, 0x12345000);
    reg_set(c, UC_X86_REG_FS_BASE, old_fs);
    uc_x86_mmr idtr, back = { 0 };
    uc_blob_read_mmr(c, UC_X86_REG_IDTR, &idtr);
    uc_x86_mmr moved = { .base = idtr.base + 0x100, .limit = 0x1ff };
    uc_blob_write_mmr(c, UC_X86_REG_IDTR, &moved);
    uc_reg_read(c->uc, UC_X86_REG_IDTR, &back);
    cr_assert(back.base == moved.base && back.limit == moved.limit);
    uc_blob_write_mmr(c, UC_X86_REG_IDTR, &idtr);

    /* The arithmetic flags set in place are what RFLAGS then reads; the rest
     * of RFLAGS (IF, DF here) stays. */
    uint64_t fl = 0x2 | (1u << 9) | (1u << 10) | 0x8d5;
    uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &fl);
    static const uint32_t arith[] = { 0, 1, 0x40, 0x8d5 };
    for (size_t i = 0; i < 4; i++) {
        cr_assert(uc_blob_set_arith_flags(c, arith[i]));
        uint64_t got = 0;
        uc_reg_read(c->uc, UC_X86_REG_RFLAGS, &got);
        cr_assert_eq(got, 0x2 | (1u << 9) | (1u << 10) | arith[i], "flags %#x: RFLAGS %#llx", arith[i],
                     (unsigned long long)got);
    }
}

Test(uc_tlb, live_register_reads_match_the_api)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "tsc_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    expect_live_reads_match(h.cpu);
    run_long_mode(&h2);
    cr_assert(efer_get(h2.cpu) & (1u << 10), "the snippet runs in long mode");
    cr_assert(reg_get(h2.cpu, UC_X86_REG_CR0) & (1u << 31), "with paging");
    expect_live_reads_match(h2.cpu);
}

/* Between runs a VM exit reads RFLAGS and DR7 in place and an entry writes
 * them there (uc_blob_rflags & co.): each must be what the API reads and
 * writes, after code left the flags lazily computed. */
static void expect_stopped_flags_match(struct cpu *c)
{
    cr_assert(c->blob.eflags_known, "a stopped engine keeps RFLAGS whole");
    cr_assert(c->blob.dr7_known, "DR7 was found");
    uint64_t api = 0;
    uc_reg_read(c->uc, UC_X86_REG_RFLAGS, &api);
    cr_assert_eq(uc_blob_rflags(c), api, "RFLAGS after the run: in place %#llx, API %#llx",
                 (unsigned long long)uc_blob_rflags(c), (unsigned long long)api);
    static const uint64_t values[] = { 0x2, 0x203, 0x2c7, 0x6d7, 0xad7 }; /* IF, DF, OF and the arithmetic six */
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uc_blob_set_rflags(c, values[i]);
        uc_reg_read(c->uc, UC_X86_REG_RFLAGS, &api);
        cr_assert_eq(api, values[i], "RFLAGS %#llx written in place reads %#llx", (unsigned long long)values[i],
                     (unsigned long long)api);
        cr_assert_eq(uc_blob_rflags(c), values[i]);
    }
    uc_reg_read(c->uc, UC_X86_REG_DR7, &api);
    cr_assert_eq(uc_blob_dr7(c), api);
    uc_blob_set_dr7(c, 0x700);
    uc_reg_read(c->uc, UC_X86_REG_DR7, &api);
    cr_assert_eq(api, 0x700);
    cr_assert_eq(uc_blob_dr7(c), 0x700);
    uc_blob_set_dr7(c, 0x400);
    cr_assert_eq(uc_blob_dr7(c), 0x400);
}

Test(uc_tlb, stopped_engine_rflags_and_dr7_match_the_api)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "store_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    expect_stopped_flags_match(h.cpu);
    run_long_mode(&h2);
    expect_stopped_flags_match(h2.cpu);
}

/* Intercept sites compare their bytes through the engine's code TLB entry: it
 * must name the RAM the code ran from (QEMU fills the code entry with the
 * others, so a data page's mapping shows too), and nothing for an address the
 * engine never used. */
Test(uc_tlb, code_entry_names_the_code_in_ram)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "store_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(uc_tlb_code_host(h.cpu, CODE_BASE + 5), h.cpu->ram + CODE_BASE + 5);
    cr_assert_null(uc_tlb_code_host(h.cpu, 0x1234000), "a page the engine never touched");
}

/* The pages noted as code are kept from one run to the next unless a paging
 * register changed in between (then the same virtual page may be other RAM). */
Test(uc_tlb, noted_pages_kept_across_runs_until_paging_changes)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "store_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    struct cpu *c = h.cpu;
    uc_tlb_run_start(c);
    cr_assert_eq(c->tlb.last_page[(CODE_BASE >> 12) & 3], CODE_BASE & ~0xfffULL, "the code page is noted");
    uc_tlb_run_start(c);
    cr_assert_eq(c->tlb.last_page[(CODE_BASE >> 12) & 3], CODE_BASE & ~0xfffULL, "and stays noted");
    reg_set(c, UC_X86_REG_CR3, reg_get(c, UC_X86_REG_CR3) + 0x1000);
    uc_tlb_run_start(c);
    cr_assert_eq(c->tlb.last_page[(CODE_BASE >> 12) & 3], ~0ULL, "a new CR3 forgets it");
}
