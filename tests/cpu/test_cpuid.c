/* The CPUID model: the vendor, leaf 1's identity and platform bits (APIC, x2APIC,
 * TSC-deadline, no hypervisor bit), the TSC frequency of leaf 0x15, long mode,
 * NX and SYSCALL in 0x80000001 (Intel SDM vol. 2A CPUID). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(cpuid, .fini = fini);

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "cpuid32", leaf, 0);
    cpu_reg_write(h.cpu, UC_X86_REG_RCX, sub);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1);
    r[0] = (uint32_t)hv_reg(&h, UC_X86_REG_EAX);
    r[1] = (uint32_t)hv_reg(&h, UC_X86_REG_EBX);
    r[2] = (uint32_t)hv_reg(&h, UC_X86_REG_ECX);
    r[3] = (uint32_t)hv_reg(&h, UC_X86_REG_EDX);
    hv_fini(&h);
}

Test(cpuid, vendor_and_max_leaf)
{
    uint32_t r[4];
    char vendor[13] = { 0 };
    cpuid(0, 0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cr_assert_str_eq(vendor, "GenuineIntel");
    cr_assert_geq(r[0], 0x15, "max leaf %#x must reach the TSC leaf", r[0]);
}

Test(cpuid, leaf1_platform_bits)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    cr_assert(r[3] & (1u << 9), "APIC");
    cr_assert(r[3] & (1u << 4), "TSC");
    cr_assert(r[3] & (1u << 5), "MSR");
    cr_assert(r[3] & (1u << 6), "PAE");
    cr_assert(r[3] & (1u << 16), "PAT");
    cr_assert(r[2] & (1u << 21), "x2APIC");
    cr_assert(r[2] & (1u << 24), "TSC-deadline");
    cr_assert_eq(r[2] & (1u << 31), 0, "no hypervisor bit");
    cr_assert_eq(r[1] >> 24, 0, "initial APIC ID");
}

Test(cpuid, leaf15_gives_the_tsc_frequency)
{
    uint32_t r[4];
    cpuid(0x15, 0, r);
    cr_assert_neq(r[0], 0);
    cr_assert_neq(r[1], 0);
    /* TSC Hz = crystal Hz (ECX) * EBX / EAX = the machine's 1 GHz. */
    cr_assert_eq((uint64_t)r[2] * r[1] / r[0], 1000000000ULL);
}

Test(cpuid, extended_leaf_long_mode_nx_syscall)
{
    uint32_t r[4];
    cpuid(0x80000001, 0, r);
    cr_assert(r[3] & (1u << 29), "LM");
    cr_assert(r[3] & (1u << 20), "NX");
    cr_assert(r[3] & (1u << 11), "SYSCALL");
}

Test(cpuid, same_answer_twice)
{
    uint32_t a[4], b[4];
    cpuid(1, 0, a);
    cpuid(1, 0, b);
    cr_assert_arr_eq(a, b, sizeof a);
}
