/* Exception and INT n delivery in ring 0 through 32- and 64-bit IDT gates: the
 * frame the ring model pushes (EIP/RIP, CS, EFLAGS, error code, and SS:RSP in
 * 64-bit mode), faults pointing at the instruction and INT n after it, the
 * 16-byte alignment of 64-bit frames, IST stacks and gate types (Intel SDM vol. 3A 6.12-6.14). */
#include <criterion/criterion.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(exceptions, .fini = fini);

/* Run ENTRY of SNIPPET until it halts in the handler of VEC. */
static void run_to(const char *snippet, int bits, const char *entry, int vec)
{
    hv_init(&h, snippet, bits);
    hv_start(&h, entry, 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), vec, "stopped in the handler of vector %d, expected %d (RIP %#llx)",
                 hv_halted_vector(&h), vec, (unsigned long long)hv_reg(&h, UC_X86_REG_RIP));
}

/* The 32-bit ring-0 frame: [error code] EIP CS EFLAGS, on the same stack. */
static void check_frame32(uint64_t rip, bool has_err, uint32_t err)
{
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(sp, STACK0_TOP - (has_err ? 16 : 12), "ESP %#x", sp);
    if (has_err) {
        cr_assert_eq(hv_rd32(&h, sp), err, "error code %#x, expected %#x", hv_rd32(&h, sp), err);
        sp += 4;
    }
    cr_assert_eq(hv_rd32(&h, sp), rip, "frame EIP %#x, expected %#llx", hv_rd32(&h, sp), (unsigned long long)rip);
    cr_assert_eq(hv_rd32(&h, sp + 4), SEL_KCODE32);
    cr_assert(hv_rd32(&h, sp + 8) & 0x2, "frame EFLAGS %#x", hv_rd32(&h, sp + 8));
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CS), SEL_KCODE32);
}

Test(exceptions, de32_frame_points_at_div)
{
    run_to("exc32", 32, "de32", 0);
    check_frame32(hv_sym(&h, "de32_at"), false, 0);
}

Test(exceptions, ud32_frame_and_flags)
{
    run_to("exc32", 32, "ud32", 6);
    check_frame32(hv_sym(&h, "ud32_at"), false, 0);
    /* Nothing changed the flags since the multiboot state's EFLAGS = 2. */
    cr_assert_eq(hv_rd32(&h, STACK0_TOP - 4), 0x2);
}

Test(exceptions, gp32_selector_error_code)
{
    run_to("exc32", 32, "gp32", 13);
    check_frame32(hv_sym(&h, "gp32_at"), true, 0x1238);
}

Test(exceptions, np32_selector_error_code)
{
    run_to("exc32", 32, "np32", 11);
    check_frame32(hv_sym(&h, "np32_at"), true, SEL_NP_DATA);
}

Test(exceptions, int32_frame_points_after_int)
{
    run_to("exc32", 32, "int32", VEC_INT);
    check_frame32(hv_sym(&h, "int32_after"), false, 0);
    cr_assert_eq(hv_sym(&h, "int32_after") - hv_sym(&h, "int32_at"), 2);
    cr_assert_eq(h.nevents, 1);
    cr_assert_eq(h.events[0].kind, 1, "INT n is reported as a software interrupt");
    cr_assert_eq(h.events[0].vector, VEC_INT);
}

Test(exceptions, int3_is_a_trap_after_the_instruction)
{
    run_to("exc32", 32, "bp32", 3);
    check_frame32(hv_sym(&h, "bp32_after"), false, 0);
}

Test(exceptions, interrupt_gate_clears_if)
{
    run_to("exc32", 32, "sti_ud32", 6);
    check_frame32(hv_sym(&h, "sti_ud32_at"), false, 0);
    cr_assert(hv_rd32(&h, STACK0_TOP - 4) & 0x200, "the frame keeps IF=1");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_EFLAGS) & 0x200, 0, "an interrupt gate clears IF");
}

Test(exceptions, trap_gate_keeps_if)
{
    hv_init(&h, "exc32", 32);
    hv_gate(&h, 6, hv_sym(&h, "h_6"), 0xf, 0, 0, true);
    hv_start(&h, "sti_ud32", 0, 0);
    /* HLT with IF=1 and nothing pending still halts. */
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6);
    cr_assert(hv_reg(&h, UC_X86_REG_EFLAGS) & 0x200, "a trap gate keeps IF");
}

Test(exceptions, frame32_is_not_realigned)
{
    run_to("exc32", 32, "odd_stack32", 6);
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(sp, STACK0_TOP - 6 - 12);
    cr_assert_eq(hv_rd32(&h, sp), hv_sym(&h, "odd_stack32_at"));
}

Test(exceptions, stats_count_exceptions)
{
    run_to("exc32", 32, "gp32", 13);
    cr_assert_eq(cpu_stats(h.cpu)->exceptions, 1);
    cr_assert_eq(h.nevents, 1);
    cr_assert_eq(h.events[0].kind, 0);
    cr_assert_eq(h.events[0].err, 0x1238);
    cr_assert_eq(h.events[0].rip, hv_sym(&h, "gp32_at"));
}

/* The 64-bit frame: [error code] RIP CS RFLAGS RSP SS, 8 bytes each, from a
 * 16-byte aligned stack; ring 0 to ring 0 here, so SS:RSP are the old ones. */
static void check_frame64(uint64_t top, uint64_t rip, bool has_err, uint64_t err, uint64_t old_rsp)
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
    cr_assert_eq(hv_rd64(&h, sp + 8), SEL_KCODE64);
    cr_assert_eq(hv_rd64(&h, sp + 16) & 0x202, 0x2);
    cr_assert_eq(hv_rd64(&h, sp + 24), old_rsp);
    cr_assert_eq(hv_rd64(&h, sp + 32), SEL_KDATA);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CS), SEL_KCODE64);
}

Test(exceptions, de64_frame)
{
    run_to("exc64", 64, "de64", 0);
    check_frame64(STACK0_TOP, hv_sym(&h, "de64_at"), false, 0, STACK0_TOP);
}

Test(exceptions, ud64_frame)
{
    run_to("exc64", 64, "ud64", 6);
    check_frame64(STACK0_TOP, hv_sym(&h, "ud64_at"), false, 0, STACK0_TOP);
}

Test(exceptions, gp64_selector_error_code)
{
    run_to("exc64", 64, "gp64", 13);
    check_frame64(STACK0_TOP, hv_sym(&h, "gp64_at"), true, 0x1238, STACK0_TOP);
}

Test(exceptions, gp64_non_canonical_address)
{
    run_to("exc64", 64, "noncanon64", 13);
    check_frame64(STACK0_TOP, hv_sym(&h, "noncanon64_at"), true, 0, STACK0_TOP);
}

Test(exceptions, int64_frame_points_after_int)
{
    run_to("exc64", 64, "int64", VEC_INT);
    check_frame64(STACK0_TOP, hv_sym(&h, "int64_after"), false, 0, STACK0_TOP);
}

Test(exceptions, frame64_is_16_byte_aligned)
{
    run_to("exc64", 64, "odd_stack64", 6);
    /* RSP was STACK0_TOP - 8: the frame starts at STACK0_TOP - 16 and saves the old RSP. */
    check_frame64(STACK0_TOP - 16, hv_sym(&h, "odd_stack64_at"), false, 0, STACK0_TOP - 8);
}

Test(exceptions, ist_stack_in_ring0)
{
    hv_init(&h, "exc64", 64);
    hv_gate(&h, 6, hv_sym(&h, "h_6"), 0xe, 0, 1, true);
    hv_start(&h, "ud64", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6);
    /* IST switches stacks even without a privilege change. */
    check_frame64(IST1_TOP, hv_sym(&h, "ud64_at"), false, 0, STACK0_TOP);
}
