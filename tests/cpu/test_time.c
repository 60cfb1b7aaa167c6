/* Virtual time: one cycle per retired instruction counted per block, cpu_run
 * stopping at its cycle limit, RDTSC reading the cycle count, cpu_now from the
 * nominal frequency; nothing here depends on the host's clock. */
#include <criterion/criterion.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(time, .fini = fini);

Test(time, rdtsc_counts_retired_instructions)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "tsc_loop", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    uint64_t t0 = (hv_reg(&h, UC_X86_REG_RDI) & 0xffffffffu) << 32 | (hv_reg(&h, UC_X86_REG_RSI) & 0xffffffffu);
    uint64_t t1 = (hv_reg(&h, UC_X86_REG_RDX) & 0xffffffffu) << 32 | (hv_reg(&h, UC_X86_REG_RAX) & 0xffffffffu);
    /* 1000 rounds of DEC+JNZ between the two reads; cycles are charged per block,
     * so the reads may be a few instructions off, never a block of 1000 off. */
    cr_assert(t1 - t0 >= 1990 && t1 - t0 <= 2010, "TSC advanced by %llu for 2000 instructions",
              (unsigned long long)(t1 - t0));
    cr_assert_lt(t0, 64, "the TSC starts near 0 at the multiboot entry (%llu)", (unsigned long long)t0);
    cr_assert_eq(cpu_cycles(h.cpu), cpu_instructions(h.cpu), "no idle time: cycles are instructions");
    cr_assert_geq(cpu_cycles(h.cpu), t1);
}

Test(time, run_stops_at_the_cycle_limit)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "spin32", 0, 0);
    cr_assert_eq(cpu_run(h.cpu, 10000), CPU_EXIT_LIMIT);
    /* The spin loop is one instruction per block: the limit is met exactly. */
    cr_assert_eq(cpu_cycles(h.cpu), 10000);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "spin32_at"));
    cr_assert_eq(cpu_run(h.cpu, 25000), CPU_EXIT_LIMIT);
    cr_assert_eq(cpu_cycles(h.cpu), 25000);
    /* A limit already reached returns at once. */
    cr_assert_eq(cpu_run(h.cpu, 100), CPU_EXIT_LIMIT);
    cr_assert_eq(cpu_cycles(h.cpu), 25000);
}

Test(time, now_follows_cycles_at_the_nominal_frequency)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "spin32", 0, 0);
    cr_assert_eq(cpu_hz(h.cpu), 1000000000ULL);
    cr_assert_eq(cpu_run(h.cpu, 123456), CPU_EXIT_LIMIT);
    cr_assert_eq(cpu_now(h.cpu), 123456, "1 GHz: one nanosecond a cycle");
    cr_assert_eq(cpu_cycles_at(h.cpu, 5000), 5000);
}

Test(time, request_stop_ends_the_run)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "spin32", 0, 0);
    cr_assert_eq(cpu_run(h.cpu, 1000), CPU_EXIT_LIMIT);
    cpu_request_stop(h.cpu);
    cr_assert_eq(cpu_run(h.cpu, 1000000), CPU_EXIT_STOP);
    cr_assert_lt(cpu_cycles(h.cpu), 1010);
}

Test(time, same_cycles_twice)
{
    uint64_t c[2], hash[2];
    for (int i = 0; i < 2; i++) {
        hv_init(&h, "misc", 32);
        hv_start(&h, "tsc_loop", 0, 0);
        cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
        c[i] = cpu_cycles(h.cpu);
        hash[i] = cpu_state_hash(h.cpu);
        hv_fini(&h);
    }
    cr_assert_eq(c[0], c[1]);
    cr_assert_eq(hash[0], hash[1]);
}
