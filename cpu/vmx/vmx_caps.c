/* The capability MSRs IA32_VMX_BASIC..IA32_VMX_TRUE_ENTRY_CTLS of the modelled
 * CPU (SDM appendix A) and the allowed-0/allowed-1 tests on them. */
#include "vmx/vmx_caps.h"

#include "vmx/vmcs_fields.h"
#include "vmx/vmx_arch.h"

/* A control MSR: allowed-0 settings in bits 31:0, allowed-1 in 63:32 (A.3). */
static uint64_t ctls_msr(uint32_t must_be_1, uint32_t may_be_1)
{
    return (uint64_t)must_be_1 | (uint64_t)(may_be_1 | must_be_1) << 32;
}

static void caps_fill_controls(struct vmx_caps *c)
{
    bool nmi = c->features & VMX_FEAT_NMI;

    uint32_t pin = VMX_PIN_EXT_INTR_EXITING | VMX_PIN_PREEMPTION_TIMER |
                   (nmi ? VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS : 0);
    /* Pin-based default1 bits are reserved: they stay 1 in the TRUE form. */
    c->pinbased = ctls_msr(VMX_PIN_DEFAULT1, pin);
    c->true_pinbased = c->pinbased;

    uint32_t proc = VMX_PROC_INTR_WINDOW_EXITING | VMX_PROC_TSC_OFFSETTING |
                    VMX_PROC_HLT_EXITING | VMX_PROC_INVLPG_EXITING |
                    VMX_PROC_RDTSC_EXITING | VMX_PROC_CR3_LOAD_EXITING |
                    VMX_PROC_CR3_STORE_EXITING | VMX_PROC_CR8_LOAD_EXITING |
                    VMX_PROC_CR8_STORE_EXITING | VMX_PROC_UNCOND_IO_EXITING |
                    VMX_PROC_USE_IO_BITMAPS | VMX_PROC_USE_MSR_BITMAPS |
                    VMX_PROC_ACTIVATE_SECONDARY | VMX_PROC_MOV_DR_EXITING |
                    VMX_PROC_MONITOR_EXITING | VMX_PROC_MWAIT_EXITING |
                    (nmi ? VMX_PROC_NMI_WINDOW_EXITING : 0);
    c->procbased = ctls_msr(VMX_PROC_DEFAULT1, proc);
    /* CR3-load and CR3-store exiting may be 0 (they are, with EPT). */
    c->true_procbased = ctls_msr(VMX_PROC_DEFAULT1 & ~(VMX_PROC_CR3_LOAD_EXITING |
                                                       VMX_PROC_CR3_STORE_EXITING),
                                 proc);

    uint32_t proc2 = VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID | VMX_PROC2_ENABLE_RDTSCP;
    if (c->features & VMX_FEAT_UNRESTRICTED_GUEST)
        proc2 |= VMX_PROC2_UNRESTRICTED_GUEST;
    c->procbased2 = ctls_msr(0, proc2);

    uint32_t exit = VMX_EXIT_SAVE_DEBUG_CONTROLS | VMX_EXIT_HOST_ADDR_SPACE_SIZE |
                    VMX_EXIT_ACK_INTR_ON_EXIT | VMX_EXIT_SAVE_EFER |
                    VMX_EXIT_LOAD_EFER | VMX_EXIT_SAVE_PREEMPTION_TIMER | VMX_EXIT_SAVE_PAT |
                    VMX_EXIT_LOAD_PAT;
    c->exit = ctls_msr(VMX_EXIT_DEFAULT1, exit);
    /* "Save debug controls" may be 0 in the TRUE form. */
    c->true_exit = ctls_msr(VMX_EXIT_DEFAULT1 & ~VMX_EXIT_SAVE_DEBUG_CONTROLS, exit);

    uint32_t entry = VMX_ENTRY_LOAD_DEBUG_CONTROLS | VMX_ENTRY_IA32E_MODE_GUEST |
                     VMX_ENTRY_LOAD_EFER | VMX_ENTRY_LOAD_PAT;
    c->entry = ctls_msr(VMX_ENTRY_DEFAULT1, entry);
    c->true_entry = ctls_msr(VMX_ENTRY_DEFAULT1 & ~VMX_ENTRY_LOAD_DEBUG_CONTROLS, entry);
}

void vmx_caps_init(struct vmx_caps *c, unsigned features)
{
    *c = (struct vmx_caps){ 0 };
    c->features = features;
    c->maxphyaddr = VMX_DEFAULT_MAXPHYADDR;

    /* A.1: revision, region size 4096 (bits 44:32), bit 48 clear (addresses
     * limited by the physical-address width), WB (6) in bits 53:50, INS/OUTS
     * instruction information (54), TRUE control MSRs (55); bit 56 clear, so
     * the error-code rules of 26.2.1.3 apply to every injected exception. */
    c->basic = VMX_REVISION_ID | (uint64_t)4096 << 32 | (uint64_t)6 << 50 |
               (uint64_t)1 << 54 | (uint64_t)1 << 55;

    caps_fill_controls(c);

    /* A.6: timer rate, EFER.LMA saved into "IA-32e mode guest" on exit (bit 5),
     * activity state HLT only (bit 6), CR3 targets (24:16), MSR lists of up to
     * 512 entries recommended (27:25 = 0), bit 29 only with VMWRITE_ALL, bit 30
     * clear (injecting a software event needs an instruction length >= 1). */
    c->misc = VMX_PREEMPTION_TIMER_RATE | 1u << 5 | 1u << 6 |
              (uint64_t)VMX_CR3_TARGET_COUNT << 16;
    if (features & VMX_FEAT_VMWRITE_ALL)
        c->misc |= 1u << 29;

    /* A.7, A.8: PE, NE, PG fixed to 1 in CR0 (PE and PG relaxed for an
     * unrestricted guest by the entry checks, not here); VMXE fixed in CR4. */
    c->cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG;
    c->cr0_fixed1 = 0xffffffffu;
    c->cr4_fixed0 = CR4_VMXE;
    c->cr4_fixed1 = VMX_DEFAULT_CR4_SUPPORTED;

    /* A.9: highest index of any supported field encoding, in bits 9:1. */
    c->vmcs_enum = (uint64_t)vmcs_field_highest_index() << 1;

    /* A.10: 4-level walk (6), UC (8) and WB (14) EPTP memory types, 2 MiB (16)
     * and 1 GiB (17) pages, INVEPT (20) single-context (25) and all-context (26);
     * INVVPID (32) individual-address (40), single-context (41), all-context
     * (42), single-context-retaining-globals (43). Not advertised: execute-only
     * pages (0), accessed/dirty flags (21), advanced violation information (22). */
    c->ept_vpid_cap = 1ull << 6 | 1ull << 8 | 1ull << 14 | 1ull << 16 | 1ull << 17 |
                      1ull << 20 | 1ull << 25 | 1ull << 26 | 1ull << 32 |
                      1ull << 40 | 1ull << 41 | 1ull << 42 | 1ull << 43;
}

int vmx_caps_msr_read(const struct vmx_caps *c, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_VMX_BASIC: *val = c->basic; return 0;
    case MSR_IA32_VMX_PINBASED_CTLS: *val = c->pinbased; return 0;
    case MSR_IA32_VMX_PROCBASED_CTLS: *val = c->procbased; return 0;
    case MSR_IA32_VMX_EXIT_CTLS: *val = c->exit; return 0;
    case MSR_IA32_VMX_ENTRY_CTLS: *val = c->entry; return 0;
    case MSR_IA32_VMX_MISC: *val = c->misc; return 0;
    case MSR_IA32_VMX_CR0_FIXED0: *val = c->cr0_fixed0; return 0;
    case MSR_IA32_VMX_CR0_FIXED1: *val = c->cr0_fixed1; return 0;
    case MSR_IA32_VMX_CR4_FIXED0: *val = c->cr4_fixed0; return 0;
    case MSR_IA32_VMX_CR4_FIXED1: *val = c->cr4_fixed1; return 0;
    case MSR_IA32_VMX_VMCS_ENUM: *val = c->vmcs_enum; return 0;
    case MSR_IA32_VMX_PROCBASED_CTLS2: *val = c->procbased2; return 0;
    case MSR_IA32_VMX_EPT_VPID_CAP: *val = c->ept_vpid_cap; return 0;
    case MSR_IA32_VMX_TRUE_PINBASED_CTLS: *val = c->true_pinbased; return 0;
    case MSR_IA32_VMX_TRUE_PROCBASED_CTLS: *val = c->true_procbased; return 0;
    case MSR_IA32_VMX_TRUE_EXIT_CTLS: *val = c->true_exit; return 0;
    case MSR_IA32_VMX_TRUE_ENTRY_CTLS: *val = c->true_entry; return 0;
    default: return -1;
    }
}

bool vmx_caps_ctls_valid(uint64_t cap_msr, uint32_t ctls)
{
    uint32_t must_be_1 = (uint32_t)cap_msr;
    uint32_t may_be_1 = (uint32_t)(cap_msr >> 32);
    return (ctls & must_be_1) == must_be_1 && (ctls & ~may_be_1) == 0;
}

bool vmx_caps_cr_valid(uint64_t fixed0, uint64_t fixed1, uint64_t cr, uint64_t ignore)
{
    uint64_t must_be_1 = fixed0 & ~ignore;
    return (cr & must_be_1) == must_be_1 && (cr & ~fixed1) == 0;
}
