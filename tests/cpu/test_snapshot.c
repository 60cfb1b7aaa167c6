/* Snapshots and determinism of the vCPU: cpu_save, run, cpu_load (with RAM put
 * back), run again ends in the same cpu_state_hash and cycle count; two fresh runs
 * of a snippet give identical hashes; a damaged snapshot is refused. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(snapshot, .fini = fini);

/* The fault storm with 300 rounds: memory writes, exceptions, many blocks. */
static void start_storm(void)
{
    hv_init(&h, "storm", 32);
    hv_gate(&h, 14, hv_sym(&h, "storm_pf"), 0xe, 0, 0, true);
    hv_gate(&h, 13, hv_sym(&h, "storm_gp"), 0xe, 0, 0, true);
    hv_gate(&h, 6, hv_sym(&h, "storm_ud"), 0xe, 0, 0, true);
    hv_gate(&h, 0, hv_sym(&h, "storm_de"), 0xe, 0, 0, true);
    hv_gate(&h, 3, hv_sym(&h, "storm_bp"), 0xf, 0, 0, true);
    hv_start(&h, "storm32", 0, 300);
}

Test(snapshot, save_run_load_run_is_identical)
{
    start_storm();
    cr_assert_eq(cpu_run(h.cpu, 5000), CPU_EXIT_LIMIT);
    struct buf snap;
    buf_init(&snap);
    cr_assert_eq(cpu_save(h.cpu, &snap), 0);
    uint8_t *ram = malloc(RAM_SIZE);
    memcpy(ram, h.ram, RAM_SIZE);
    uint64_t hash_mid = cpu_state_hash(h.cpu), cycles_mid = cpu_cycles(h.cpu);

    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    uint64_t hash1 = cpu_state_hash(h.cpu), cycles1 = cpu_cycles(h.cpu);
    cr_assert_neq(hash1, hash_mid);
    cr_assert_eq(hv_rd32(&h, RESULT), 300, "the run finished the storm");

    memcpy(h.ram, ram, RAM_SIZE);
    struct buf_reader rd;
    buf_reader_init(&rd, snap.data, snap.len);
    cr_assert_eq(cpu_load(h.cpu, &rd), HV_OK);
    cr_assert_eq(cpu_state_hash(h.cpu), hash_mid, "the loaded state is the saved one");
    cr_assert_eq(cpu_cycles(h.cpu), cycles_mid);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(cpu_state_hash(h.cpu), hash1);
    cr_assert_eq(cpu_cycles(h.cpu), cycles1);
    free(ram);
    buf_free(&snap);
}

Test(snapshot, two_runs_same_hash)
{
    uint64_t hash[2], cycles[2];
    for (int i = 0; i < 2; i++) {
        start_storm();
        cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
        hash[i] = cpu_state_hash(h.cpu);
        cycles[i] = cpu_cycles(h.cpu);
        hv_fini(&h);
    }
    cr_assert_eq(hash[0], hash[1]);
    cr_assert_eq(cycles[0], cycles[1]);
}

Test(snapshot, hash_sees_a_register)
{
    start_storm();
    uint64_t a = cpu_state_hash(h.cpu);
    cpu_reg_write(h.cpu, UC_X86_REG_R9, 1);
    cr_assert_neq(cpu_state_hash(h.cpu), a);
}

Test(snapshot, damaged_snapshot_is_refused)
{
    start_storm();
    struct buf snap;
    buf_init(&snap);
    cr_assert_eq(cpu_save(h.cpu, &snap), 0);
    struct buf_reader rd;
    buf_reader_init(&rd, snap.data, snap.len / 2);
    cr_assert_eq(cpu_load(h.cpu, &rd), HV_ECORRUPT, "a truncated snapshot");
    snap.data[0] ^= 0xff;
    buf_reader_init(&rd, snap.data, snap.len);
    cr_assert_eq(cpu_load(h.cpu, &rd), HV_ECORRUPT, "a bad magic");
    buf_free(&snap);
}
