/* Privilege changes of the ring model: ring 3 to ring 0 through a gate with the
 * TSS stack (ESP0:SS0 in 32-bit mode, RSP0 and IST in 64-bit mode) and the outer
 * SS:ESP saved in the frame; #GP(0) for CLI, HLT, MOV CR and LGDT at CPL 3; the
 * DPL check of INT n (Intel SDM vol. 3A 5.9, 6.12.1, 6.14.4-6.14.5, 7.7). */
#include <criterion/criterion.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(rings, .fini = fini);

/* Boot BITS-bit code into ring 3 at LABEL; run until a handler halts. */
static void ring3_to(int bits, const char *label, int vec)
{
    const char *snippet = bits == 64 ? "exc64" : "exc32";
    hv_init(&h, snippet, bits);
    hv_start(&h, bits == 64 ? "ring3_64" : "ring3", 0, (uint32_t)hv_sym(&h, label));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), vec, "%s: stopped in the handler of vector %d, expected %d (RIP %#llx)",
                 label, hv_halted_vector(&h), vec, (unsigned long long)hv_reg(&h, UC_X86_REG_RIP));
}

/* 32-bit frame after a ring change: [error] EIP CS EFLAGS ESP SS on the ESP0 stack. */
static void check_ring3_frame32(uint64_t eip, bool has_err, uint32_t err)
{
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(sp, STACK0_TOP - (has_err ? 24 : 20), "ESP %#x: not on the TSS ESP0 stack", sp);
    if (has_err) {
        cr_assert_eq(hv_rd32(&h, sp), err, "error code %#x, expected %#x", hv_rd32(&h, sp), err);
        sp += 4;
    }
    cr_assert_eq(hv_rd32(&h, sp), eip, "frame EIP %#x, expected %#llx", hv_rd32(&h, sp), (unsigned long long)eip);
    cr_assert_eq(hv_rd32(&h, sp + 4), SEL_UCODE32 | 3);
    cr_assert_eq(hv_rd32(&h, sp + 12), STACK3_TOP, "saved ESP");
    cr_assert_eq(hv_rd32(&h, sp + 16), SEL_UDATA | 3, "saved SS");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CS), SEL_KCODE32);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_SS), SEL_KDATA, "SS from the TSS SS0");
}

Test(rings, ring3_fault_switches_to_esp0)
{
    ring3_to(32, "r3_ud", 6);
    check_ring3_frame32(hv_sym(&h, "r3_ud"), false, 0);
}

Test(rings, cli_in_ring3_is_gp)
{
    ring3_to(32, "r3_cli", 13);
    check_ring3_frame32(hv_sym(&h, "r3_cli"), true, 0);
}

Test(rings, hlt_in_ring3_is_gp)
{
    ring3_to(32, "r3_hlt", 13);
    check_ring3_frame32(hv_sym(&h, "r3_hlt"), true, 0);
}

Test(rings, mov_from_cr0_in_ring3_is_gp)
{
    ring3_to(32, "r3_movcr", 13);
    check_ring3_frame32(hv_sym(&h, "r3_movcr"), true, 0);
}

Test(rings, mov_to_cr3_in_ring3_is_gp)
{
    ring3_to(32, "r3_movcr3w", 13);
    check_ring3_frame32(hv_sym(&h, "r3_movcr3w"), true, 0);
}

Test(rings, lgdt_in_ring3_is_gp)
{
    ring3_to(32, "r3_lgdt", 13);
    check_ring3_frame32(hv_sym(&h, "r3_lgdt"), true, 0);
}

Test(rings, int_through_dpl0_gate_is_gp_at_the_int)
{
    ring3_to(32, "r3_int", 13);
    /* Error code: IDT index (vector * 8) with the IDT bit (2); the frame points at INT. */
    check_ring3_frame32(hv_sym(&h, "r3_int"), true, VEC_INT * 8 + 2);
}

Test(rings, int_through_dpl3_gate_enters_ring0)
{
    hv_init(&h, "exc32", 32);
    hv_gate(&h, VEC_INT, hv_sym(&h, "h_64"), 0xe, 3, 0, true);
    hv_start(&h, "ring3", 0, (uint32_t)hv_sym(&h, "r3_int"));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), VEC_INT);
    check_ring3_frame32(hv_sym(&h, "r3_int_after"), false, 0);
}

/* 64-bit frame after a ring change: [error] RIP CS RFLAGS RSP SS from RSP0 (or IST). */
static void check_ring3_frame64(uint64_t top, uint64_t rip, bool has_err, uint64_t err)
{
    uint64_t sp = hv_reg(&h, UC_X86_REG_RSP);
    cr_assert_eq(sp, top - (has_err ? 48 : 40), "RSP %#llx", (unsigned long long)sp);
    if (has_err) {
        cr_assert_eq(hv_rd64(&h, sp), err, "error code %#llx, expected %#llx", (unsigned long long)hv_rd64(&h, sp),
                     (unsigned long long)err);
        sp += 8;
    }
    cr_assert_eq(hv_rd64(&h, sp), rip, "frame RIP %#llx, expected %#llx", (unsigned long long)hv_rd64(&h, sp),
                 (unsigned long long)rip);
    cr_assert_eq(hv_rd64(&h, sp + 8), SEL_UCODE64 | 3);
    cr_assert_eq(hv_rd64(&h, sp + 24), STACK3_TOP, "saved RSP");
    cr_assert_eq(hv_rd64(&h, sp + 32), SEL_UDATA | 3, "saved SS");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CS), SEL_KCODE64);
    /* A privilege change in 64-bit mode loads a null SS (SDM 6.14.4). */
    cr_assert_eq(hv_reg(&h, UC_X86_REG_SS), 0);
}

Test(rings, ring3_fault_switches_to_rsp0)
{
    ring3_to(64, "r64_ud", 6);
    check_ring3_frame64(STACK0_TOP, hv_sym(&h, "r64_ud"), false, 0);
}

Test(rings, ring3_fault_uses_ist_over_rsp0)
{
    hv_init(&h, "exc64", 64);
    hv_gate(&h, 6, hv_sym(&h, "h_6"), 0xe, 0, 1, true);
    hv_start(&h, "ring3_64", 0, (uint32_t)hv_sym(&h, "r64_ud"));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6);
    check_ring3_frame64(IST1_TOP, hv_sym(&h, "r64_ud"), false, 0);
}

Test(rings, privileged_instructions_in_ring3_64)
{
    static const char *labels[] = { "r64_cli", "r64_hlt", "r64_movcr", "r64_lgdt" };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        ring3_to(64, labels[i], 13);
        check_ring3_frame64(STACK0_TOP, hv_sym(&h, labels[i]), true, 0);
        hv_fini(&h);
    }
}

Test(rings, int_through_dpl0_gate_in_64bit_mode)
{
    ring3_to(64, "r64_int", 13);
    check_ring3_frame64(STACK0_TOP, hv_sym(&h, "r64_int"), true, VEC_INT * 8 + 2);
}

Test(rings, int_through_dpl3_gate_in_64bit_mode)
{
    hv_init(&h, "exc64", 64);
    hv_gate(&h, VEC_INT, hv_sym(&h, "h_64"), 0xe, 3, 0, true);
    hv_start(&h, "ring3_64", 0, (uint32_t)hv_sym(&h, "r64_int"));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), VEC_INT);
    check_ring3_frame64(STACK0_TOP, hv_sym(&h, "r64_int_after"), false, 0);
}
