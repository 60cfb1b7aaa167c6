/* Tests for the capability MSRs: the exact values advertised (SDM appendix A),
 * the TRUE forms, optional features and the allowed-0/allowed-1 helpers. */
#include <criterion/criterion.h>

#include "vmx/vmx_arch.h"
#include "vmx/vmx_caps.h"

static uint64_t msr(const struct vmx_caps *c, uint32_t index)
{
    uint64_t v = 0;
    cr_assert_eq(vmx_caps_msr_read(c, index, &v), 0, "MSR 0x%x", index);
    return v;
}

Test(vmx_caps, basic)
{
    struct vmx_caps c;
    vmx_caps_init(&c, VMX_FEATURES_DEFAULT);
    uint64_t b = msr(&c, MSR_IA32_VMX_BASIC);
    cr_assert_eq(b & 0x7fffffff, VMX_REVISION_ID);
    cr_assert_eq(b & (1ull << 31), 0);
    cr_assert_eq((b >> 32) & 0x1fff, 4096);
    cr_assert_eq(b & (1ull << 48), 0, "addresses limited to MAXPHYADDR");
    cr_assert_eq((b >> 50) & 0xf, 6, "write-back");
    cr_assert(b & (1ull << 54));
    cr_assert(b & (1ull << 55));
    cr_assert_eq(b & (1ull << 56), 0);
}

Test(vmx_caps, control_msrs_default_features)
{
    struct vmx_caps c;
    vmx_caps_init(&c, VMX_FEATURES_DEFAULT);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_PINBASED_CTLS), 0x0000007f00000016ull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_TRUE_PINBASED_CTLS), 0x0000007f00000016ull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_PROCBASED_CTLS), 0xb7d9f7fe0401e172ull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_TRUE_PROCBASED_CTLS), 0xb7d9f7fe04006172ull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_PROCBASED_CTLS2), 0x0000002a00000000ull); /* EPT, RDTSCP, VPID */
    cr_assert_eq(msr(&c, MSR_IA32_VMX_EXIT_CTLS), 0x007fefff00036dffull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_TRUE_EXIT_CTLS), 0x007fefff00036dfbull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_ENTRY_CTLS), 0x0000d3ff000011ffull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_TRUE_ENTRY_CTLS), 0x0000d3ff000011fbull);
}

Test(vmx_caps, allowed_1_contains_allowed_0)
{
    struct vmx_caps c;
    vmx_caps_init(&c, VMX_FEAT_NMI | VMX_FEAT_UNRESTRICTED_GUEST);
    uint32_t msrs[] = { MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_PROCBASED_CTLS,
                        MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_ENTRY_CTLS,
                        MSR_IA32_VMX_PROCBASED_CTLS2, MSR_IA32_VMX_TRUE_PINBASED_CTLS,
                        MSR_IA32_VMX_TRUE_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
                        MSR_IA32_VMX_TRUE_ENTRY_CTLS };
    for (size_t i = 0; i < sizeof msrs / sizeof msrs[0]; i++) {
        uint64_t v = msr(&c, msrs[i]);
        cr_assert_eq((uint32_t)v & ~(uint32_t)(v >> 32), 0, "MSR 0x%x", msrs[i]);
    }
}

Test(vmx_caps, optional_features)
{
    struct vmx_caps c;
    vmx_caps_init(&c, 0);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_PROCBASED_CTLS2) & (1ull << 39), 0,
                 "unrestricted guest not advertised by default");
    cr_assert_eq(msr(&c, MSR_IA32_VMX_PINBASED_CTLS) & (1ull << 35), 0, "NMI exiting only with VMX_FEAT_NMI");
    cr_assert_eq(msr(&c, MSR_IA32_VMX_MISC) & (1u << 29), 0);
    /* Xen 4.17's minimum (vmx_init_vmcs_config): NMI exiting by default. */
    vmx_caps_init(&c, VMX_FEATURES_DEFAULT);
    cr_assert(msr(&c, MSR_IA32_VMX_PINBASED_CTLS) & (1ull << 35));

    vmx_caps_init(&c, VMX_FEAT_UNRESTRICTED_GUEST | VMX_FEAT_NMI | VMX_FEAT_VMWRITE_ALL);
    cr_assert(msr(&c, MSR_IA32_VMX_PROCBASED_CTLS2) & (1ull << 39));
    cr_assert(msr(&c, MSR_IA32_VMX_PINBASED_CTLS) & (1ull << 35));
    cr_assert(msr(&c, MSR_IA32_VMX_PINBASED_CTLS) & (1ull << 37));
    cr_assert(msr(&c, MSR_IA32_VMX_PROCBASED_CTLS) & (1ull << 54));
    cr_assert(msr(&c, MSR_IA32_VMX_MISC) & (1u << 29));
}

Test(vmx_caps, misc_fixed_enum_ept)
{
    struct vmx_caps c;
    vmx_caps_init(&c, VMX_FEATURES_DEFAULT);
    uint64_t m = msr(&c, MSR_IA32_VMX_MISC);
    cr_assert_eq(m & 0x1f, 5);
    cr_assert(m & (1u << 6), "HLT activity state");
    cr_assert_eq(m & (3u << 7), 0, "no shutdown or wait-for-SIPI");
    cr_assert_eq((m >> 16) & 0x1ff, 4);
    cr_assert_eq((m >> 25) & 7, 0);
    cr_assert_eq(m >> 32, 0, "MSEG revision 0");
    cr_assert_eq(msr(&c, MSR_IA32_VMX_CR0_FIXED0), 0x80000021);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_CR0_FIXED1), 0xffffffff);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_CR4_FIXED0), 0x2000);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_CR4_FIXED1), 0x27ff);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_VMCS_ENUM), 0x2e);
    uint64_t e = msr(&c, MSR_IA32_VMX_EPT_VPID_CAP);
    cr_assert_eq(e, 0x00000f0106134140ull);
    cr_assert_eq(e & 1, 0, "no execute-only");
    cr_assert_eq(e & (1ull << 21), 0, "no A/D flags");
}

Test(vmx_caps, non_vmx_msrs_are_refused)
{
    struct vmx_caps c;
    uint64_t v = 5;
    vmx_caps_init(&c, VMX_FEATURES_DEFAULT);
    cr_assert_eq(vmx_caps_msr_read(&c, MSR_IA32_VMX_VMFUNC, &v), -1);
    cr_assert_eq(vmx_caps_msr_read(&c, MSR_IA32_FEATURE_CONTROL, &v), -1);
    cr_assert_eq(vmx_caps_msr_read(&c, 0x47f, &v), -1);
    cr_assert_eq(vmx_caps_msr_read(&c, 0x492, &v), -1);
    cr_assert_eq(v, 5);
    for (uint32_t i = MSR_IA32_VMX_BASIC; i <= MSR_IA32_VMX_TRUE_ENTRY_CTLS; i++)
        cr_assert_eq(vmx_caps_msr_read(&c, i, &v), 0);
}

Test(vmx_caps, ctls_and_cr_helpers)
{
    uint64_t cap = 0x0000005700000016ull;
    cr_assert(vmx_caps_ctls_valid(cap, 0x16));
    cr_assert(vmx_caps_ctls_valid(cap, 0x57));
    cr_assert_not(vmx_caps_ctls_valid(cap, 0x14), "default1 bit 1 cleared");
    cr_assert_not(vmx_caps_ctls_valid(cap, 0x16 | 0x80), "posted interrupts");
    cr_assert(vmx_caps_cr_valid(0x80000021, 0xffffffff, 0x80000031, 0));
    cr_assert_not(vmx_caps_cr_valid(0x80000021, 0xffffffff, 0x80000011, 0));
    cr_assert_not(vmx_caps_cr_valid(0x80000021, 0xffffffff, 0x180000031ull, 0));
    cr_assert(vmx_caps_cr_valid(0x80000021, 0xffffffff, 0x20, CR0_PE | CR0_PG));
}

Test(vmx_caps, basic_and_misc_exact_values)
{
    struct vmx_caps c;
    vmx_caps_init(&c, VMX_FEATURES_DEFAULT);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_BASIC), 0x00d8100048560001ull);
    cr_assert_eq(msr(&c, MSR_IA32_VMX_MISC), 0x0000000000040065ull);
}
