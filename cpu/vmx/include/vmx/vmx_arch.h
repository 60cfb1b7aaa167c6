/* Architectural VT-x constants: VM-instruction errors (SDM 30.4), exit reasons
 * (appendix C), control bits (24.6-24.8), capability MSRs (appendix A) and the
 * event formats (24.8.3, 24.9.2). Section numbers follow the SDM editions of
 * 2016-2020, where VM entries are chapter 26 (newer editions add one). */
#ifndef VMX_VMX_ARCH_H
#define VMX_VMX_ARCH_H

#include <stdint.h>

/* VM-instruction error numbers (SDM 30.4, table 30-1). */
enum vmx_insn_error {
    VMXERR_VMCALL_IN_ROOT = 1,
    VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
    VMXERR_VMCLEAR_VMXON_POINTER = 3,
    VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
    VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
    VMXERR_VMRESUME_AFTER_VMXOFF = 6,
    VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7,
    VMXERR_ENTRY_INVALID_HOST_STATE_FIELD = 8,
    VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
    VMXERR_VMPTRLD_VMXON_POINTER = 10,
    VMXERR_VMPTRLD_INCORRECT_REVISION = 11,
    VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12,
    VMXERR_VMWRITE_READ_ONLY_COMPONENT = 13,
    VMXERR_VMXON_IN_ROOT = 15,
    VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS = 16,
    VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS = 17,
    VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON = 18,
    VMXERR_VMCALL_NONCLEAR_VMCS = 19,
    VMXERR_VMCALL_INVALID_EXIT_CONTROLS = 20,
    VMXERR_VMCALL_INCORRECT_MSEG_REVISION = 22,
    VMXERR_VMXOFF_UNDER_DUAL_MONITOR = 23,
    VMXERR_VMCALL_INVALID_SMM_FEATURES = 24,
    VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS = 25,
    VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
    VMXERR_INVALID_INVEPT_INVVPID_OPERAND = 28,
};

/* Basic exit reasons (appendix C); bit 31 marks a VM-entry failure (24.9.1). */
enum vmx_exit_reason {
    EXIT_REASON_EXCEPTION_NMI = 0,
    EXIT_REASON_EXTERNAL_INTERRUPT = 1,
    EXIT_REASON_TRIPLE_FAULT = 2,
    EXIT_REASON_INIT = 3,
    EXIT_REASON_SIPI = 4,
    EXIT_REASON_IO_SMI = 5,
    EXIT_REASON_OTHER_SMI = 6,
    EXIT_REASON_INTERRUPT_WINDOW = 7,
    EXIT_REASON_NMI_WINDOW = 8,
    EXIT_REASON_TASK_SWITCH = 9,
    EXIT_REASON_CPUID = 10,
    EXIT_REASON_GETSEC = 11,
    EXIT_REASON_HLT = 12,
    EXIT_REASON_INVD = 13,
    EXIT_REASON_INVLPG = 14,
    EXIT_REASON_RDPMC = 15,
    EXIT_REASON_RDTSC = 16,
    EXIT_REASON_RSM = 17,
    EXIT_REASON_VMCALL = 18,
    EXIT_REASON_VMCLEAR = 19,
    EXIT_REASON_VMLAUNCH = 20,
    EXIT_REASON_VMPTRLD = 21,
    EXIT_REASON_VMPTRST = 22,
    EXIT_REASON_VMREAD = 23,
    EXIT_REASON_VMRESUME = 24,
    EXIT_REASON_VMWRITE = 25,
    EXIT_REASON_VMXOFF = 26,
    EXIT_REASON_VMXON = 27,
    EXIT_REASON_CR_ACCESS = 28,
    EXIT_REASON_DR_ACCESS = 29,
    EXIT_REASON_IO_INSTRUCTION = 30,
    EXIT_REASON_RDMSR = 31,
    EXIT_REASON_WRMSR = 32,
    EXIT_REASON_INVALID_GUEST_STATE = 33,
    EXIT_REASON_MSR_LOADING = 34,
    EXIT_REASON_MWAIT = 36,
    EXIT_REASON_MONITOR_TRAP_FLAG = 37,
    EXIT_REASON_MONITOR = 39,
    EXIT_REASON_PAUSE = 40,
    EXIT_REASON_MCE_DURING_ENTRY = 41,
    EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
    EXIT_REASON_APIC_ACCESS = 44,
    EXIT_REASON_VIRTUALIZED_EOI = 45,
    EXIT_REASON_GDTR_IDTR = 46,
    EXIT_REASON_LDTR_TR = 47,
    EXIT_REASON_EPT_VIOLATION = 48,
    EXIT_REASON_EPT_MISCONFIG = 49,
    EXIT_REASON_INVEPT = 50,
    EXIT_REASON_RDTSCP = 51,
    EXIT_REASON_PREEMPTION_TIMER = 52,
    EXIT_REASON_INVVPID = 53,
    EXIT_REASON_WBINVD = 54,
    EXIT_REASON_XSETBV = 55,
};
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Exit qualification of a VM-entry failure due to invalid guest state (26.7). */
enum vmx_entry_fail_qual {
    ENTRY_FAIL_DEFAULT = 0,
    ENTRY_FAIL_PDPTE = 2,
    ENTRY_FAIL_NMI_STI = 3,
    ENTRY_FAIL_VMCS_LINK_PTR = 4,
};

/* Pin-based VM-execution controls (24.6.1, table 24-5). */
#define VMX_PIN_EXT_INTR_EXITING (1u << 0)
#define VMX_PIN_NMI_EXITING (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS (1u << 5)
#define VMX_PIN_PREEMPTION_TIMER (1u << 6)
#define VMX_PIN_POSTED_INTERRUPTS (1u << 7)
#define VMX_PIN_DEFAULT1 0x00000016u /* bits 1, 2, 4 (appendix A.3.1) */

/* Primary processor-based VM-execution controls (24.6.2, table 24-6). */
#define VMX_PROC_INTR_WINDOW_EXITING (1u << 2)
#define VMX_PROC_TSC_OFFSETTING (1u << 3)
#define VMX_PROC_HLT_EXITING (1u << 7)
#define VMX_PROC_INVLPG_EXITING (1u << 9)
#define VMX_PROC_MWAIT_EXITING (1u << 10)
#define VMX_PROC_RDPMC_EXITING (1u << 11)
#define VMX_PROC_RDTSC_EXITING (1u << 12)
#define VMX_PROC_CR3_LOAD_EXITING (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING (1u << 16)
#define VMX_PROC_CR8_LOAD_EXITING (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING (1u << 20)
#define VMX_PROC_TPR_SHADOW (1u << 21)
#define VMX_PROC_NMI_WINDOW_EXITING (1u << 22)
#define VMX_PROC_MOV_DR_EXITING (1u << 23)
#define VMX_PROC_UNCOND_IO_EXITING (1u << 24)
#define VMX_PROC_USE_IO_BITMAPS (1u << 25)
#define VMX_PROC_MONITOR_TRAP_FLAG (1u << 27)
#define VMX_PROC_USE_MSR_BITMAPS (1u << 28)
#define VMX_PROC_MONITOR_EXITING (1u << 29)
#define VMX_PROC_PAUSE_EXITING (1u << 30)
#define VMX_PROC_ACTIVATE_SECONDARY (1u << 31)
#define VMX_PROC_DEFAULT1 0x0401e172u /* bits 1, 4-6, 8, 13-16, 26 (A.3.2) */

/* Secondary processor-based VM-execution controls (24.6.2, table 24-7). */
#define VMX_PROC2_VIRT_APIC_ACCESSES (1u << 0)
#define VMX_PROC2_ENABLE_EPT (1u << 1)
#define VMX_PROC2_DESC_TABLE_EXITING (1u << 2)
#define VMX_PROC2_ENABLE_RDTSCP (1u << 3)
#define VMX_PROC2_VIRT_X2APIC (1u << 4)
#define VMX_PROC2_ENABLE_VPID (1u << 5)
#define VMX_PROC2_WBINVD_EXITING (1u << 6)
#define VMX_PROC2_UNRESTRICTED_GUEST (1u << 7)

/* VM-exit controls (24.7.1, table 24-11). */
#define VMX_EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define VMX_EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define VMX_EXIT_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define VMX_EXIT_ACK_INTR_ON_EXIT (1u << 15)
#define VMX_EXIT_SAVE_PAT (1u << 18)
#define VMX_EXIT_LOAD_PAT (1u << 19)
#define VMX_EXIT_SAVE_EFER (1u << 20)
#define VMX_EXIT_LOAD_EFER (1u << 21)
#define VMX_EXIT_SAVE_PREEMPTION_TIMER (1u << 22)
#define VMX_EXIT_DEFAULT1 0x00036dffu /* bits 0-8, 10, 11, 13, 14, 16, 17 (A.4) */

/* VM-entry controls (24.8.1, table 24-13). */
#define VMX_ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define VMX_ENTRY_IA32E_MODE_GUEST (1u << 9)
#define VMX_ENTRY_SMM (1u << 10)
#define VMX_ENTRY_DEACT_DUAL_MONITOR (1u << 11)
#define VMX_ENTRY_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define VMX_ENTRY_LOAD_PAT (1u << 14)
#define VMX_ENTRY_LOAD_EFER (1u << 15)
#define VMX_ENTRY_DEFAULT1 0x000011ffu /* bits 0-8, 12 (A.5) */

/* Interruption-information format: VM-entry (24.8.3), VM-exit and IDT-vectoring
 * (24.9.2). */
#define VMX_INTR_INFO_VECTOR_MASK 0xffu
#define VMX_INTR_INFO_TYPE_SHIFT 8
#define VMX_INTR_INFO_TYPE_MASK (7u << 8)
#define VMX_INTR_INFO_DELIVER_ERROR_CODE (1u << 11)
#define VMX_INTR_INFO_NMI_UNBLOCKING (1u << 12)
#define VMX_INTR_INFO_VALID (1u << 31)
enum vmx_intr_type {
    VMX_INTR_TYPE_EXT_INTR = 0,
    VMX_INTR_TYPE_NMI = 2,
    VMX_INTR_TYPE_HW_EXCEPTION = 3,
    VMX_INTR_TYPE_SW_INTR = 4,
    VMX_INTR_TYPE_PRIV_SW_EXCEPTION = 5,
    VMX_INTR_TYPE_SW_EXCEPTION = 6,
    VMX_INTR_TYPE_OTHER_EVENT = 7,
};

/* Guest activity states (24.4.2). */
enum vmx_activity_state {
    VMX_ACTIVITY_ACTIVE = 0,
    VMX_ACTIVITY_HLT = 1,
    VMX_ACTIVITY_SHUTDOWN = 2,
    VMX_ACTIVITY_WAIT_SIPI = 3,
};

/* Guest interruptibility state (24.4.2, table 24-3). */
#define VMX_INTERRUPTIBILITY_STI (1u << 0)
#define VMX_INTERRUPTIBILITY_MOV_SS (1u << 1)
#define VMX_INTERRUPTIBILITY_SMI (1u << 2)
#define VMX_INTERRUPTIBILITY_NMI (1u << 3)
#define VMX_INTERRUPTIBILITY_ENCLAVE (1u << 4)

/* Segment access-rights format of the VMCS (24.4.1, table 24-2). */
#define VMX_AR_TYPE_MASK 0xfu
#define VMX_AR_S (1u << 4)
#define VMX_AR_DPL_SHIFT 5
#define VMX_AR_P (1u << 7)
#define VMX_AR_AVL (1u << 12)
#define VMX_AR_L (1u << 13)
#define VMX_AR_DB (1u << 14)
#define VMX_AR_G (1u << 15)
#define VMX_AR_UNUSABLE (1u << 16)
#define VMX_AR_RESERVED 0xfffe0f00u /* bits 11:8 and 31:17 */

/* Capability and control MSRs (appendix A; 23.7 for FEATURE_CONTROL). */
#define MSR_IA32_FEATURE_CONTROL 0x03a
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_VMCS_ENUM 0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_VMX_VMFUNC 0x491

/* Control-register and MSR bits the checks look at (SDM vol. 3A 2.5, 2.2.1). */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_VMXE (1ull << 13)
#define X86_CR4_PCIDE (1ull << 17)
#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)
#define X86_RFLAGS_TF (1ull << 8)
#define X86_RFLAGS_IF (1ull << 9)
#define X86_RFLAGS_VM (1ull << 17)
#define X86_DEBUGCTL_BTF (1ull << 1)

/* Physical memory as the model reads it (VMCS link pointer, PDPTEs, EPT entries).
 * Reads of addresses outside RAM return all ones, as the platform's bus does;
 * reads are 8 bytes at an 8-byte aligned address. */
struct vmx_mem {
    uint64_t (*read64)(void *opaque, uint64_t pa);
    void *opaque;
};

#endif
