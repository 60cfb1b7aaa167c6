/* Pins the fast-store path of cpu/uc_tlb.c: this Unicorn build's live TLB is
 * found for every engine (else hvsim silently runs at half speed), a data page
 * written for long gets its not-dirty flag cleared while the code page keeps
 * it, the results and virtual time are those of the slow path, and
 * HVSIM_SLOW_STORES turns the path off. Rewritten code under aliases is the
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
    unsetenv("HVSIM_SLOW_STORES");
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
            setenv("HVSIM_SLOW_STORES", "1", 1);
        hv_init(&h, "misc", 32);
        cr_assert_eq(h.cpu->tlb.env == NULL, i == 1, "HVSIM_SLOW_STORES turns the path off");
        hv_start(&h, "store_loop", 0, 0);
        cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
        cycles[i] = cpu_cycles(h.cpu);
        hash[i] = cpu_state_hash(h.cpu);
        hv_fini(&h);
    }
    cr_assert_eq(cycles[0], cycles[1]);
    cr_assert_eq(hash[0], hash[1]);
}
