/* Tests for the EPT walker: EPTP validity, translations at 4 KiB, 2 MiB and
 * 1 GiB, violations with their qualification bits, misconfigurations, and the
 * contiguous runs the CPU maps (SDM 24.6.11, 28.2). */
#include <criterion/criterion.h>
#include <string.h>

#include "vmx/ept.h"

#define MEM_SIZE (1u << 20)
static uint8_t ram[MEM_SIZE];
static struct vmx_caps caps;

static uint64_t ram_read64(void *opaque, uint64_t pa)
{
    uint64_t v;
    if (pa + 8 > MEM_SIZE)
        return ~0ull; /* the bus reads all ones outside RAM */
    memcpy(&v, ram + pa, 8);
    return v;
}

static const struct vmx_mem mem = { ram_read64, NULL };

static void put(uint64_t pa, uint64_t v)
{
    memcpy(ram + pa, &v, 8);
}

/* Tables: PML4 at 0x1000, PDPT at 0x2000, PD at 0x3000, PT at 0x4000. */
#define PML4 0x1000ull
#define PDPT 0x2000ull
#define PD 0x3000ull
#define PT 0x4000ull
#define EPTP (PML4 | 6 | 3 << 3)
#define RWX 7ull
#define WB (6ull << 3)

static void setup(void)
{
    memset(ram, 0, sizeof ram);
    vmx_caps_init(&caps, VMX_FEATURES_DEFAULT);
    put(PML4, PDPT | RWX);
    put(PDPT, PD | RWX);
    put(PD, PT | RWX);
}

TestSuite(ept, .init = setup);

static enum ept_result tr(uint64_t gpa, unsigned access, struct ept_translation *t)
{
    return ept_translate(&mem, &caps, EPTP, gpa, access, t);
}

Test(ept, eptp_validity)
{
    cr_assert(ept_eptp_valid(&caps, EPTP));
    cr_assert(ept_eptp_valid(&caps, PML4 | 0 | 3 << 3), "UC");
    cr_assert_not(ept_eptp_valid(&caps, PML4 | 1 | 3 << 3), "WC not allowed");
    cr_assert_not(ept_eptp_valid(&caps, PML4 | 6 | 4 << 3), "5-level walk");
    cr_assert_not(ept_eptp_valid(&caps, PML4 | 6 | 2 << 3), "3-level walk");
    cr_assert_not(ept_eptp_valid(&caps, EPTP | EPTP_AD_ENABLE), "A/D not advertised");
    cr_assert_not(ept_eptp_valid(&caps, EPTP | 1 << 7), "bit 7 reserved");
    cr_assert_not(ept_eptp_valid(&caps, EPTP | 1ull << 39), "beyond MAXPHYADDR");
    cr_assert(ept_eptp_valid(&caps, EPTP | 1ull << 38));
}

Test(ept, page_4k)
{
    struct ept_translation t;
    put(PT + 5 * 8, 0x100000 | RWX | WB);
    cr_assert_eq(tr(0x5123, EPT_R | EPT_W, &t), EPT_OK);
    cr_assert_eq(t.hpa, 0x100123);
    cr_assert_eq(t.page_size, 0x1000);
    cr_assert_eq(t.perms, 7);
    cr_assert_eq(t.memtype, 6);
    cr_assert_eq(t.level, 1);
}

Test(ept, page_2m)
{
    struct ept_translation t;
    put(PD + 1 * 8, 0x400000 | 1 << 7 | RWX | WB);
    cr_assert_eq(tr(0x2abcde, EPT_X, &t), EPT_OK);
    cr_assert_eq(t.hpa, 0x4abcde);
    cr_assert_eq(t.page_size, 2u << 20);
    cr_assert_eq(t.level, 2);
}

Test(ept, page_1g)
{
    struct ept_translation t;
    put(PDPT + 1 * 8, 0x80000000ull | 1 << 7 | RWX | WB);
    cr_assert_eq(tr(0x40012345, EPT_R, &t), EPT_OK);
    cr_assert_eq(t.hpa, 0x80012345);
    cr_assert_eq(t.page_size, 1u << 30);
    cr_assert_eq(t.level, 3);
}

Test(ept, permission_violation_reports_access_and_effective_rights)
{
    struct ept_translation t;
    put(PT + 5 * 8, 0x100000 | EPT_R | WB);
    cr_assert_eq(tr(0x5000, EPT_W, &t), EPT_VIOLATION);
    cr_assert_eq(t.qualification, EPT_W | EPT_R << 3);
    cr_assert_eq(tr(0x5000, EPT_X, &t), EPT_VIOLATION);
    cr_assert_eq(t.qualification, EPT_X | EPT_R << 3);
    cr_assert_eq(tr(0x5000, EPT_R, &t), EPT_OK);
}

Test(ept, effective_rights_are_the_and_of_the_walk)
{
    struct ept_translation t;
    put(PDPT, PD | EPT_R | EPT_X); /* no write at the PDPTE */
    put(PT + 5 * 8, 0x100000 | RWX | WB);
    cr_assert_eq(tr(0x5000, EPT_R, &t), EPT_OK);
    cr_assert_eq(t.perms, EPT_R | EPT_X);
    cr_assert_eq(tr(0x5000, EPT_W, &t), EPT_VIOLATION);
    cr_assert_eq(t.qualification, EPT_W | (EPT_R | EPT_X) << 3);
}

Test(ept, not_present_entries_are_violations_without_rights)
{
    struct ept_translation t;
    cr_assert_eq(tr(0x6000, EPT_R, &t), EPT_VIOLATION, "PTE not present");
    cr_assert_eq(t.qualification, EPT_R);
    cr_assert_eq(t.level, 1);
    cr_assert_eq(t.page_size, 0x1000);
    cr_assert_eq(tr(1ull << 39, EPT_W | EPT_R, &t), EPT_VIOLATION, "PML4E not present");
    cr_assert_eq(t.qualification, EPT_W | EPT_R);
    cr_assert_eq(t.level, 4);
    cr_assert_eq(t.page_size, 1ull << 39);
    cr_assert_eq(tr(1ull << 48, EPT_R, &t), EPT_VIOLATION, "beyond 48 bits");
}

static void expect_misconfig(uint64_t pa, uint64_t entry, uint64_t gpa)
{
    struct ept_translation t;
    put(pa, entry);
    cr_assert_eq(tr(gpa, EPT_R, &t), EPT_MISCONFIG, "entry 0x%llx", (unsigned long long)entry);
    cr_assert_eq(t.entry_pa, pa);
}

Test(ept, write_without_read_is_a_misconfiguration)
{
    expect_misconfig(PT + 5 * 8, 0x100000 | EPT_W | WB, 0x5000);
    expect_misconfig(PT + 5 * 8, 0x100000 | EPT_W | EPT_X | WB, 0x5000);
    expect_misconfig(PD, PT | EPT_W, 0x5000);
}

Test(ept, execute_only_is_a_misconfiguration_without_the_capability)
{
    expect_misconfig(PT + 5 * 8, 0x100000 | EPT_X | WB, 0x5000);
}

Test(ept, reserved_bits_are_misconfigurations)
{
    expect_misconfig(PML4, PDPT | RWX | 1 << 7, 0x5000);        /* PML4E bit 7 */
    setup();
    expect_misconfig(PML4, PDPT | RWX | 6 << 3, 0x5000);        /* PML4E bits 5:3 */
    setup();
    expect_misconfig(PD, PT | RWX | 1 << 4, 0x5000);            /* PDE table pointer */
    setup();
    expect_misconfig(PT + 5 * 8, 0x100000 | RWX | WB | 1ull << 39, 0x5000); /* > MAXPHYADDR */
    setup();
    expect_misconfig(PD + 8, 0x400000 | 1 << 7 | RWX | WB | 0x1000, 0x200000); /* 2M bits 20:12 */
    setup();
    expect_misconfig(PDPT + 8, 0x80000000ull | 1 << 7 | RWX | WB | 0x200000, 0x40000000); /* 1G bits 29:12 */
}

Test(ept, bad_memory_types_are_misconfigurations)
{
    static const uint64_t bad[] = { 2, 3, 7 };
    for (int i = 0; i < 3; i++)
        expect_misconfig(PT + 5 * 8, 0x100000 | RWX | bad[i] << 3, 0x5000);
    struct ept_translation t;
    put(PT + 5 * 8, 0x100000 | RWX | 0 << 3);
    cr_assert_eq(tr(0x5000, EPT_R, &t), EPT_OK, "UC is fine");
}

Test(ept, ignored_bits_do_not_matter)
{
    struct ept_translation t;
    /* Bits 11:8 (A/D, user-execute, ignored) and 63:52 without A/D, MBEC, #VE. */
    put(PT + 5 * 8, 0x100000 | RWX | WB | 0xf00 | 0xfff0000000000000ull);
    cr_assert_eq(tr(0x5000, EPT_R, &t), EPT_OK);
    cr_assert_eq(t.hpa, 0x100000);
}

Test(ept, pages_without_1g_capability)
{
    put(PDPT + 8, 0x80000000ull | 1 << 7 | RWX | WB);
    caps.ept_vpid_cap &= ~(1ull << 17);
    expect_misconfig(PDPT + 8, 0x80000000ull | 1 << 7 | RWX | WB, 0x40000000);
}

Test(ept, run_of_contiguous_pages)
{
    struct ept_run run;
    for (int i = 0; i < 8; i++)
        put(PT + (16 + i) * 8, (0x200000 + 0x1000 * i) | RWX | WB);
    put(PT + 24 * 8, 0x300000 | RWX | WB); /* not contiguous */
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x10800, 1ull << 30, &run), EPT_OK);
    cr_assert_eq(run.gpa, 0x10000);
    cr_assert_eq(run.hpa, 0x200000);
    cr_assert_eq(run.size, 0x8000);
    cr_assert_eq(run.perms, 7);

    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x10000, 0x3000, &run), EPT_OK);
    cr_assert_eq(run.size, 0x3000, "clipped to max_size");
}

Test(ept, run_stops_at_a_permission_change)
{
    struct ept_run run;
    for (int i = 0; i < 4; i++)
        put(PT + i * 8, (0x200000 + 0x1000 * i) | (i == 3 ? EPT_R : RWX) | WB);
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0, 1ull << 30, &run), EPT_OK);
    cr_assert_eq(run.size, 0x3000);
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x3000, 1ull << 30, &run), EPT_OK);
    cr_assert_eq(run.perms, EPT_R);
    cr_assert_eq(run.size, 0x1000);
}

Test(ept, run_spans_page_sizes_and_tables)
{
    struct ept_run run;
    /* The last 4 KiB page of the PT, then a contiguous 2 MiB page, then a 1 GiB
     * page that is not contiguous with it. */
    put(PT + 511 * 8, 0x1ff000 | RWX | WB);
    put(PD + 1 * 8, 0x200000 | 1 << 7 | RWX | WB);
    put(PDPT + 1 * 8, 0x40000000ull | 1 << 7 | RWX | WB);
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x1ff000, 1ull << 40, &run), EPT_OK);
    cr_assert_eq(run.hpa, 0x1ff000);
    cr_assert_eq(run.size, 0x1000 + 0x200000);

    put(PD + 2 * 8, 0x400000 | 1 << 7 | RWX | WB);
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x200000, 1ull << 40, &run), EPT_OK);
    cr_assert_eq(run.size, 0x400000);
}

Test(ept, hole_runs_cover_the_missing_entry)
{
    struct ept_run run;
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x7000, 1ull << 40, &run), EPT_VIOLATION);
    cr_assert_eq(run.gpa, 0x7000);
    cr_assert_eq(run.size, 0x1000, "missing PTE");
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x40001000, 1ull << 40, &run), EPT_VIOLATION);
    cr_assert_eq(run.size, (1u << 30) - 0x1000, "missing PDPTE, to its end");
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0x40001000, 0x5000, &run), EPT_VIOLATION);
    cr_assert_eq(run.size, 0x5000);
}

Test(ept, misconfigured_run)
{
    struct ept_run run;
    put(PT, 0x100000 | EPT_W | WB);
    cr_assert_eq(ept_walk_range(&mem, &caps, EPTP, 0, 0x1000, &run), EPT_MISCONFIG);
    cr_assert_eq(run.size, 0);
}

Test(ept, tables_outside_ram_read_all_ones)
{
    struct ept_translation t;
    put(PML4, 0x7ffff000ull | RWX); /* points beyond RAM */
    cr_assert_eq(tr(0x5000, EPT_R, &t), EPT_MISCONFIG);
}
