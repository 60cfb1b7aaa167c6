/* Pins the Unicorn context-layout discovery of cpu/uc_blob.c (ARCHITECTURE.md:
 * offsets measured at start-up, never hard-coded): the offsets are found, fit the
 * blob and are the same for every engine; the blob holds what the API reads; a
 * save/patch/restore of the segment caches changes CPL; and the exception
 * bookkeeping is reset after each delivered exception (Unicorn issue 1883). */
#include <criterion/criterion.h>

#include "cpu_priv.h"
#include "harness.h"

static struct hv h, h2;
static void fini(void)
{
    hv_fini(&h);
    hv_fini(&h2);
}
TestSuite(uc_blob, .fini = fini);

Test(uc_blob, offsets_found_and_stable)
{
    hv_init(&h, "exc32", 32);
    hv_init(&h2, "exc32", 32);
    const struct uc_blob_layout *a = &h.cpu->blob, *b = &h2.cpu->blob;
    cr_assert_arr_eq(a, b, sizeof *a, "two engines, two layouts");
    size_t offs[] = { a->rax, a->rip, a->hflags, a->segs, a->error_code, a->exception_is_int, a->old_exception };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        cr_assert_lt(offs[i] + 4, a->size, "offset %zu outside the %zu-byte blob", offs[i], a->size);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(offs[i], offs[j], "two fields at offset %zu", offs[i]);
    }
    cr_assert_geq(a->seg_stride, 24, "a segment cache holds selector, base, limit, flags");
    cr_assert_lt(a->segs + 6 * a->seg_stride, a->size);
}

Test(uc_blob, blob_holds_what_the_api_reads)
{
    hv_init(&h, "exc32", 32);
    cpu_reg_write(h.cpu, UC_X86_REG_RAX, 0x0123456789abcdefULL);
    cpu_reg_write(h.cpu, UC_X86_REG_RBX, 0x1111222233334444ULL);
    cpu_reg_write(h.cpu, UC_X86_REG_RIP, 0x100123);
    uc_blob_save(h.cpu);
    cr_assert_eq(uc_blob_get_reg(h.cpu, 0), 0x0123456789abcdefULL);
    cr_assert_eq(uc_blob_get_reg(h.cpu, 3), 0x1111222233334444ULL, "RBX is the fourth register");
    cr_assert_eq(uc_blob_get_reg(h.cpu, 16), 0x100123);
}

Test(uc_blob, multiboot_state_segment_caches)
{
    hv_init(&h, "exc32", 32);
    hv_start(&h, "ud32", 0, 0);
    uc_blob_save(h.cpu);
    struct seg_cache cs, ss;
    uc_blob_get_seg(h.cpu, SEG_CS, &cs);
    uc_blob_get_seg(h.cpu, SEG_SS, &ss);
    cr_assert_eq(cs.sel, 0x10);
    cr_assert_eq(cs.base, 0);
    cr_assert_eq(cs.limit, 0xffffffffu);
    cr_assert(cs.flags & DESC_B_MASK, "32-bit code");
    cr_assert(cs.flags & DESC_CS_MASK);
    cr_assert_eq(ss.sel, 0x18);
    uint32_t hf = uc_blob_hflags(h.cpu);
    cr_assert_eq(hf & HF_CPL_MASK, 0);
    cr_assert(hf & HF_PE_MASK);
    cr_assert(hf & HF_CS32_MASK);
    cr_assert_eq(hf & (HF_LMA_MASK | HF_CS64_MASK), 0, "not in long mode");
}

/* Spin in ring 0 with the test's tables, then patch CS and SS to ring-3
 * segments in the saved blob and restore it at CLI. */
static void patch_to_cpl(int cpl)
{
    hv_init(&h, "exc32", 32);
    hv_start(&h, "pm32_spin", 0, 0);
    cr_assert_eq(cpu_run(h.cpu, 500), CPU_EXIT_LIMIT);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "pm32_spin_at"));
    uc_blob_save(h.cpu);
    struct seg_cache cs = { .sel = (uint16_t)(cpl ? SEL_UCODE32 | 3 : SEL_KCODE32), .base = 0, .limit = 0xffffffffu,
                            .flags = 0x00cf9b00u | (uint32_t)cpl << DESC_DPL_SHIFT };
    struct seg_cache ss = { .sel = (uint16_t)(cpl ? SEL_UDATA | 3 : SEL_KDATA), .base = 0, .limit = 0xffffffffu,
                            .flags = 0x00cf9300u | (uint32_t)cpl << DESC_DPL_SHIFT };
    uc_blob_set_seg(h.cpu, SEG_CS, &cs);
    uc_blob_set_seg(h.cpu, SEG_SS, &ss);
    uc_blob_update_seg_hflags(h.cpu, hv_reg(&h, UC_X86_REG_CR0), false);
    uc_blob_set_reg(h.cpu, 16, hv_sym(&h, "r3_cli"));
    uc_blob_set_reg(h.cpu, 4, STACK3_TOP);
    uc_blob_restore(h.cpu);
}

Test(uc_blob, patched_cpl3_makes_cli_fault)
{
    patch_to_cpl(3);
    uc_blob_save(h.cpu);
    cr_assert_eq(uc_blob_hflags(h.cpu) & HF_CPL_MASK, 3);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 13, "CLI at CPL 3 must raise #GP (vector %d)", hv_halted_vector(&h));
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(sp, STACK0_TOP - 24, "a privilege change onto ESP0");
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, "r3_cli"));
    cr_assert_eq(hv_rd32(&h, sp + 8), SEL_UCODE32 | 3);
}

Test(uc_blob, patched_cpl0_runs_cli_and_hlt)
{
    patch_to_cpl(0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "r3_hlt") + 1, "CLI and HLT ran at CPL 0");
    cr_assert_eq(cpu_stats(h.cpu)->exceptions, 0);
}

Test(uc_blob, exception_bookkeeping_reset_after_delivery)
{
    hv_init(&h, "exc32", 32);
    hv_start(&h, "gp32", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 13);
    uc_blob_save(h.cpu);
    cr_assert_eq(uc_blob_error_code(h.cpu), 0x1238, "the engine's error code of the #GP");
    /* Left at 13, Unicorn would turn the next contributory fault into #DF. */
    uint32_t old;
    memcpy(&old, (uint8_t *)h.cpu->ctx + h.cpu->blob.old_exception, 4);
    cr_assert_eq(old, 0xffffffffu, "old_exception is %#x after delivery", old);
    cr_assert_not(uc_blob_exception_is_int(h.cpu));
}
