/* The VMX capability MSRs of the modelled CPU (SDM appendix A): they advertise
 * exactly what hvsim implements. docs/vmx.md lists the values and why. */
#ifndef VMX_VMX_CAPS_H
#define VMX_VMX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

/* VMCS revision identifier, IA32_VMX_BASIC[30:0] ("HV" and layout version 1). */
#define VMX_REVISION_ID 0x48560001u

/* VMX-preemption timer rate, IA32_VMX_MISC[4:0]: the timer counts down by 1
 * every 2^5 TSC cycles (25.5.1). */
#define VMX_PREEMPTION_TIMER_RATE 5

/* CR3-target values supported, IA32_VMX_MISC[24:16]. */
#define VMX_CR3_TARGET_COUNT 4

/* Optional features, each one a thing the CPU side must implement before it is
 * advertised. */
#define VMX_FEAT_UNRESTRICTED_GUEST (1u << 0) /* secondary control 7 (25.6) */
#define VMX_FEAT_NMI (1u << 1) /* NMI exiting, virtual NMIs, NMI-window exiting */
#define VMX_FEAT_VMWRITE_ALL (1u << 2) /* MISC[29]: VMWRITE to exit-info fields */
/* What the model advertises. Flip a feature on here once cpu/ models it. */
#define VMX_FEATURES_DEFAULT VMX_FEAT_NMI

/* Physical-address width (CPUID.80000008H:EAX[7:0]) unless the CPU says otherwise. */
#define VMX_DEFAULT_MAXPHYADDR 39

/* CR4 bits the modelled CPU supports outside VMX: VME..OSXMMEXCPT (0-10) and
 * VMXE (13). cpu/ widens caps.cr4_fixed1 if its CPUID advertises more. */
#define VMX_DEFAULT_CR4_SUPPORTED 0x000027ffull

/* The values of the capability MSRs plus what the checks need alongside them. */
struct vmx_caps {
    unsigned features;   /* VMX_FEAT_* */
    unsigned maxphyaddr; /* physical-address width the address checks use */
    uint64_t basic;
    uint64_t pinbased, procbased, exit, entry; /* the non-TRUE forms */
    uint64_t true_pinbased, true_procbased, true_exit, true_entry;
    uint64_t procbased2;
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t vmcs_enum;
    uint64_t ept_vpid_cap;
};

/* Fill caps for the given VMX_FEAT_* set, with VMX_DEFAULT_MAXPHYADDR and
 * VMX_DEFAULT_CR4_SUPPORTED; the CPU may then set maxphyaddr and widen
 * cr4_fixed1 to match its CPUID. */
void vmx_caps_init(struct vmx_caps *caps, unsigned features);

/* RDMSR of a VMX capability MSR: 0 and *val, or -1 if msr is not one the model
 * has (the CPU raises #GP as for any unknown MSR). IA32_VMX_VMFUNC is absent
 * since VM functions are not advertised. */
int vmx_caps_msr_read(const struct vmx_caps *caps, uint32_t msr, uint64_t *val);

/* Control-field checks against a capability MSR: bits set in the low dword
 * (allowed-0 settings) must be 1, bits clear in the high dword (allowed-1
 * settings) must be 0 (A.3). */
bool vmx_caps_ctls_valid(uint64_t cap_msr, uint32_t ctls);

/* CR0/CR4 against FIXED0/FIXED1 (A.7, A.8). ignore: bits not checked (CR0.PE
 * and PG for an unrestricted guest, 26.3.1.1). */
bool vmx_caps_cr_valid(uint64_t fixed0, uint64_t fixed1, uint64_t cr, uint64_t ignore);

#endif
