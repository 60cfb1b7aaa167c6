/* RDMSR and WRMSR through the model (intercepted by address, since Unicorn cannot
 * hook them): EFER, STAR/LSTAR/FMASK, SYSENTER, PAT's reset value, MTRRcap, the
 * TSC written then read by RDTSC, platform MSRs, and #GP(0) for unknown MSRs,
 * reserved values and CPL 3 (Intel SDM vol. 4; vol. 2B RDMSR/WRMSR). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(msr, .fini = fini);

static uint64_t edx_eax(void)
{
    return (hv_reg(&h, UC_X86_REG_RDX) & 0xffffffffu) << 32 | (hv_reg(&h, UC_X86_REG_RAX) & 0xffffffffu);
}

/* RDMSR of msr in 32-bit ring 0; returns EDX:EAX. Fails on any exception. */
static uint64_t rdmsr(const char *entry, uint32_t msr)
{
    hv_init(&h, "misc", strcmp(entry, "rdmsr64") ? 32 : 64);
    hv_start(&h, entry, 0, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, msr);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1, "RDMSR %#x raised vector %d", msr, hv_halted_vector(&h));
    return edx_eax();
}

/* WRMSR then RDMSR of the same MSR; returns what reads back. */
static uint64_t wrmsr_rdmsr(uint32_t msr, uint64_t val)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "wrmsr32", (uint32_t)val, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, msr);
    cpu_reg_write(h.cpu, UC_X86_REG_RDX, val >> 32);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1, "WRMSR %#x raised vector %d", msr, hv_halted_vector(&h));
    return edx_eax();
}

/* WRMSR that must raise #GP(0) at the instruction. */
static void wrmsr_gp(uint32_t msr, uint64_t val)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "wrmsr32", (uint32_t)val, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, msr);
    cpu_reg_write(h.cpu, UC_X86_REG_RDX, val >> 32);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 13, "WRMSR %#x <- %#llx: vector %d, expected #GP", msr,
                 (unsigned long long)val, hv_halted_vector(&h));
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(hv_rd32(&h, sp), 0);
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, "wrmsr32_at"));
}

Test(msr, efer_is_zero_in_the_multiboot_state)
{
    cr_assert_eq(rdmsr("rdmsr32", 0xc0000080), 0);
}

Test(msr, efer_in_long_mode_has_lma)
{
    /* ENTER_LM64 set SCE, LME and NXE; the CPU set LMA. */
    cr_assert_eq(rdmsr("rdmsr64", 0xc0000080), 0xd01);
}

Test(msr, pat_power_on_value)
{
    cr_assert_eq(rdmsr("rdmsr32", 0x277), 0x0007040600070406ULL);
}

Test(msr, mtrrcap)
{
    cr_assert_eq(rdmsr("rdmsr32", 0xfe), 0x508);
}

Test(msr, star_lstar_fmask_round_trip)
{
    cr_assert_eq(wrmsr_rdmsr(0xc0000081, 0x0023001012345678ULL), 0x0023001012345678ULL);
    hv_fini(&h);
    cr_assert_eq(wrmsr_rdmsr(0xc0000082, 0xffff800000101000ULL), 0xffff800000101000ULL);
    hv_fini(&h);
    cr_assert_eq(wrmsr_rdmsr(0xc0000084, 0x4700), 0x4700);
}

Test(msr, sysenter_msrs_round_trip)
{
    cr_assert_eq(wrmsr_rdmsr(0x174, 0x8), 0x8);
    hv_fini(&h);
    cr_assert_eq(wrmsr_rdmsr(0x175, 0xc000), 0xc000);
    hv_fini(&h);
    cr_assert_eq(wrmsr_rdmsr(0x176, 0x101234), 0x101234);
}

Test(msr, pat_write_round_trip)
{
    cr_assert_eq(wrmsr_rdmsr(0x277, 0x0000000100000006ULL), 0x0000000100000006ULL);
}

Test(msr, efer_sce_and_nxe_stick)
{
    /* Debian's Unicorn 2.0 dropped these writes; 2.1 and the model keep them. */
    cr_assert_eq(wrmsr_rdmsr(0xc0000080, 0x801), 0x801);
}

Test(msr, unknown_msr_read_is_gp)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "rdmsr32", 0, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, 0x12345);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 13, "unknown MSR: vector %d, expected #GP", hv_halted_vector(&h));
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(hv_rd32(&h, sp), 0);
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, "rdmsr32_at"));
}

Test(msr, unknown_msr_write_is_gp) { wrmsr_gp(0x12345, 1); }
Test(msr, non_canonical_lstar_is_gp) { wrmsr_gp(0xc0000082, 0x0000800000000000ULL); }
Test(msr, reserved_pat_type_is_gp) { wrmsr_gp(0x277, 0x0007040600070402ULL); }
Test(msr, reserved_efer_bit_is_gp) { wrmsr_gp(0xc0000080, 0x2); }

Test(msr, rdmsr_in_ring3_is_gp)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "rdmsr_ring3", 0, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, 0x277); /* a valid MSR: CPL alone faults */
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 13);
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(hv_rd32(&h, sp), 0);
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, "r3_rdmsr"));
    cr_assert_eq(hv_rd32(&h, sp + 8), SEL_UCODE32 | 3);
}

Test(msr, tsc_write_then_rdtsc)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "wrtsc", 0, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RDX, 0x1); /* TSC := 2^32 */
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    uint64_t tsc = edx_eax();
    /* RDTSC runs a handful of instructions after the write: the TSC went on counting from 2^32. */
    cr_assert(tsc >= 0x100000000ULL && tsc < 0x100000000ULL + 64, "RDTSC %#llx", (unsigned long long)tsc);
}

Test(msr, platform_msrs_go_to_the_platform)
{
    hv_init(&h, "misc", 32);
    h.plat_msr = 0x1b;
    h.plat_msr_val = 0xfee00900;
    hv_start(&h, "wrmsr32", 0xfee00d00, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, 0x1b);
    cpu_reg_write(h.cpu, UC_X86_REG_RDX, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1);
    cr_assert_eq(h.plat_msr_val, 0xfee00d00);
    cr_assert_eq(edx_eax(), 0xfee00d00);
}
