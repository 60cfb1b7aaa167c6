/* msr: RDMSR/WRMSR of the MSRs kernels touch return the model's values and keep
 * what was written; an unknown MSR raises #GP(0) as on hardware (Intel SDM
 * vol. 4 chapter 2; vol. 3A 11.11 MTRRs, 11.12 PAT, 17.17 TSC); the microcode
 * revision is non-zero, IA32_DEBUGCTL keeps BTF and refuses reserved bits. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define MSR_UNKNOWN      0x12345
#define PAT_RESET        0x0007040600070406ull   /* WB WT UC- UC, twice */
#define MTRRCAP_FIX      (1u << 8)

static int round_trip(uint32_t msr, uint64_t value)
{
    wrmsr(msr, value);
    return rdmsr(msr) == value;
}

static void check_round_trip(uint32_t msr, const char *name, uint64_t value)
{
    uint64_t old = rdmsr(msr);
    check(round_trip(msr, value), "%s (%#x) keeps %#llx", name, msr, (unsigned long long)value);
    wrmsr(msr, old);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    trap_catch(EXC_GP);
    struct cpuid_regs c1 = cpuid(1, 0), c81 = cpuid(0x80000001, 0);

    test_section("EFER");
    uint64_t efer = rdmsr(MSR_IA32_EFER);
    check((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA), "LME and LMA are set in long mode (%#llx)",
          (unsigned long long)efer);
    check(round_trip(MSR_IA32_EFER, efer | EFER_SCE) && round_trip(MSR_IA32_EFER, efer & ~(uint64_t)EFER_SCE),
          "SCE can be set and cleared");
    if (c81.edx & CPUID81_EDX_NX)
        check(round_trip(MSR_IA32_EFER, efer | EFER_NXE) && round_trip(MSR_IA32_EFER, efer & ~(uint64_t)EFER_NXE),
              "NXE can be set and cleared (CPUID reports NX)");
    wrmsr(MSR_IA32_EFER, efer);

    test_section("system-call MSRs");
    check_round_trip(MSR_IA32_STAR, "STAR", 0x0023001000000000ull);
    check_round_trip(MSR_IA32_LSTAR, "LSTAR", 0xffffffff81234560ull);
    check_round_trip(MSR_IA32_FMASK, "FMASK", 0x47700);
    check_round_trip(MSR_IA32_SYSENTER_CS, "SYSENTER_CS", 0x10);
    check_round_trip(MSR_IA32_SYSENTER_ESP, "SYSENTER_ESP", 0xffff800012345000ull);
    check_round_trip(MSR_IA32_SYSENTER_EIP, "SYSENTER_EIP", 0xffff800012346000ull);

    test_section("APIC base");
    uint64_t apic = rdmsr(MSR_IA32_APIC_BASE);
    check((apic & ~0xfffull) == LAPIC_MMIO_BASE && (apic & APIC_BASE_BSP) && (apic & APIC_BASE_EN),
          "APIC_BASE is %#llx: base 0xfee00000, BSP, enabled", (unsigned long long)apic);

    test_section("time-stamp counter");
    const uint64_t t = 1ull << 40;
    wrmsr(MSR_IA32_TSC, t);
    uint64_t r = rdmsr(MSR_IA32_TSC), d = rdtsc();
    if (tcg_quirks() && r == 0) {
        kprintf("  skip QEMU's TCG reads IA32_TSC as 0 and ignores writes (tcg-quirks)\n");
    } else {
        check(r >= t && r - t < (1ull << 32), "TSC written as %#llx reads %#llx", (unsigned long long)t,
              (unsigned long long)r);
        check(d >= r && d - r < (1ull << 32), "RDTSC continues from the written value (%#llx)",
              (unsigned long long)d);
    }

    test_section("PAT and MTRRs");
    if (c1.edx & CPUID1_EDX_PAT) {
        check(rdmsr(MSR_IA32_PAT) == PAT_RESET, "PAT holds its reset value %#llx", (unsigned long long)rdmsr(MSR_IA32_PAT));
        check_round_trip(MSR_IA32_PAT, "PAT", 0x0007010600070106ull);
    } else {
        check(0, "CPUID reports PAT");
    }
    if (c1.edx & CPUID1_EDX_MTRR) {
        uint64_t cap = rdmsr(MSR_IA32_MTRRCAP);
        check((cap & 0xff) >= 1 && (cap & MTRRCAP_FIX), "MTRRcap %#llx: variable ranges and fixed ranges",
              (unsigned long long)cap);
        check_round_trip(MSR_IA32_MTRR_DEF_TYPE, "MTRRdefType", 0xc06);
    } else {
        check(0, "CPUID reports MTRRs");
    }

    test_section("microcode, DEBUGCTL, PLATFORM_INFO");
    wrmsr(MSR_IA32_BIOS_SIGN_ID, 0);
    cpuid(1, 0); /* the revision is latched by CPUID after a write of 0 (SDM vol. 3A 9.11.7.1) */
    uint64_t ucode = rdmsr(MSR_IA32_BIOS_SIGN_ID) >> 32;
    if (tcg_quirks() && ucode == 0)
        kprintf("  skip QEMU's TCG reports microcode revision 0 (tcg-quirks)\n");
    else
        check(ucode != 0, "IA32_BIOS_SIGN_ID holds a microcode revision (%#llx)", (unsigned long long)ucode);
    uint64_t dbg = 0;
    if (tcg_quirks() && (wrmsr_safe(MSR_IA32_DEBUGCTL, DEBUGCTL_BTF), rdmsr_safe(MSR_IA32_DEBUGCTL, &dbg), dbg == 0)) {
        kprintf("  skip QEMU's TCG ignores IA32_DEBUGCTL (tcg-quirks)\n");
    } else {
        int ok = wrmsr_safe(MSR_IA32_DEBUGCTL, DEBUGCTL_BTF) == 0 && rdmsr_safe(MSR_IA32_DEBUGCTL, &dbg) == 0;
        check(ok && dbg == DEBUGCTL_BTF, "IA32_DEBUGCTL keeps BTF (%#llx)", (unsigned long long)dbg);
        check(wrmsr_safe(MSR_IA32_DEBUGCTL, 1ull << 2) == EXC_GP, "IA32_DEBUGCTL bit 2 (reserved) raises #GP");
        wrmsr(MSR_IA32_DEBUGCTL, 0);
    }
    uint64_t info = 0;
    int pr = rdmsr_safe(MSR_PLATFORM_INFO, &info);
    if (tcg_quirks() && (pr != 0 || info == 0))
        kprintf("  skip QEMU's TCG has no MSR_PLATFORM_INFO (tcg-quirks)\n");
    else
        check(pr == 0 && ((info >> 8) & 0xff) != 0, "MSR_PLATFORM_INFO gives a non-turbo ratio (%llu)",
              (unsigned long long)((info >> 8) & 0xff));
    unsigned long gp_so_far = fault_count;

    test_section("unknown MSR");
    uint64_t v = 0;
    int rd = rdmsr_safe(MSR_UNKNOWN, &v);
    unsigned long rd_err = fault_last.err;
    int wr = wrmsr_safe(MSR_UNKNOWN, 0x1234);
    unsigned long wr_err = fault_last.err;
    if (tcg_quirks() && rd == 0 && wr == 0) {
        kprintf("  skip QEMU's TCG ignores unknown MSRs (tcg-quirks)\n");
    } else {
        check(rd == EXC_GP && rd_err == 0, "RDMSR %#x raises #GP(0)", MSR_UNKNOWN);
        check(wr == EXC_GP && wr_err == 0, "WRMSR %#x raises #GP(0)", MSR_UNKNOWN);
    }
    check(fault_count - gp_so_far == (unsigned long)(rd != 0) + (wr != 0), "no other MSR access faulted");
    test_finish();
}
