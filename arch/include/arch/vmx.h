/* arch/vmx.h: Intel VT-x as the SDM volume 3C names it (chapters 23-30 and
 * appendices A-C; section numbers of the 2016-2020 editions, where VM entries
 * are chapter 26), one copy for hvsim's VT-x model and the test hypervisors:
 * VMCS field encodings (appendix B), VM-instruction errors (30.4), exit reasons
 * (appendix C), VM-execution, exit and entry controls (24.6-24.8), the
 * interruption-information format (24.8.3, 24.9.2), capability MSRs (appendix
 * A), EPT entries and pointers (24.6.11, 28.2) and exit-qualification layouts
 * (27.2.1). Values only, for C (the enums): no dependency beyond <stdint.h>. */
#ifndef ARCH_VMX_H
#define ARCH_VMX_H

#include <stdint.h>

#include "arch/x86.h"

/* ---- VMCS field encodings (appendix B; format 24.11.2, table 24-17) ---- */

/* 16-bit control fields (B.1.1). */
#define VMCS_CTRL_VPID 0x0000
/* 16-bit guest-state fields (B.1.2). */
#define VMCS_GUEST_ES_SELECTOR 0x0800
#define VMCS_GUEST_CS_SELECTOR 0x0802
#define VMCS_GUEST_SS_SELECTOR 0x0804
#define VMCS_GUEST_DS_SELECTOR 0x0806
#define VMCS_GUEST_FS_SELECTOR 0x0808
#define VMCS_GUEST_GS_SELECTOR 0x080a
#define VMCS_GUEST_LDTR_SELECTOR 0x080c
#define VMCS_GUEST_TR_SELECTOR 0x080e
/* 16-bit host-state fields (B.1.3). */
#define VMCS_HOST_ES_SELECTOR 0x0c00
#define VMCS_HOST_CS_SELECTOR 0x0c02
#define VMCS_HOST_SS_SELECTOR 0x0c04
#define VMCS_HOST_DS_SELECTOR 0x0c06
#define VMCS_HOST_FS_SELECTOR 0x0c08
#define VMCS_HOST_GS_SELECTOR 0x0c0a
#define VMCS_HOST_TR_SELECTOR 0x0c0c

/* 64-bit control fields (B.2.1); the high half of each is encoding + 1. */
#define VMCS_CTRL_IO_BITMAP_A 0x2000
#define VMCS_CTRL_IO_BITMAP_B 0x2002
#define VMCS_CTRL_MSR_BITMAP 0x2004
#define VMCS_CTRL_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_CTRL_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_CTRL_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_CTRL_TSC_OFFSET 0x2010
#define VMCS_CTRL_EPTP 0x201a
/* 64-bit read-only data field (B.2.2). */
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
/* 64-bit guest-state fields (B.2.3). */
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PDPTE0 0x280a
#define VMCS_GUEST_PDPTE1 0x280c
#define VMCS_GUEST_PDPTE2 0x280e
#define VMCS_GUEST_PDPTE3 0x2810
/* 64-bit host-state field (B.2.4). */
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02

/* 32-bit control fields (B.3.1). */
#define VMCS_CTRL_PIN_BASED 0x4000
#define VMCS_CTRL_PROC_BASED 0x4002
#define VMCS_CTRL_EXCEPTION_BITMAP 0x4004
#define VMCS_CTRL_PF_ERROR_CODE_MASK 0x4006
#define VMCS_CTRL_PF_ERROR_CODE_MATCH 0x4008
#define VMCS_CTRL_CR3_TARGET_COUNT 0x400a
#define VMCS_CTRL_EXIT 0x400c
#define VMCS_CTRL_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_CTRL_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_CTRL_ENTRY 0x4012
#define VMCS_CTRL_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_CTRL_ENTRY_INTR_INFO 0x4016
#define VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VMCS_CTRL_ENTRY_INSTRUCTION_LEN 0x401a
#define VMCS_CTRL_PROC_BASED2 0x401e
/* 32-bit read-only data fields (B.3.2). */
#define VMCS_VM_INSTRUCTION_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR_CODE 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE 0x440a
#define VMCS_EXIT_INSTRUCTION_LEN 0x440c
#define VMCS_EXIT_INSTRUCTION_INFO 0x440e
/* 32-bit guest-state fields (B.3.3). */
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_CS_LIMIT 0x4802
#define VMCS_GUEST_SS_LIMIT 0x4804
#define VMCS_GUEST_DS_LIMIT 0x4806
#define VMCS_GUEST_FS_LIMIT 0x4808
#define VMCS_GUEST_GS_LIMIT 0x480a
#define VMCS_GUEST_LDTR_LIMIT 0x480c
#define VMCS_GUEST_TR_LIMIT 0x480e
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_CS_AR 0x4816
#define VMCS_GUEST_SS_AR 0x4818
#define VMCS_GUEST_DS_AR 0x481a
#define VMCS_GUEST_FS_AR 0x481c
#define VMCS_GUEST_GS_AR 0x481e
#define VMCS_GUEST_LDTR_AR 0x4820
#define VMCS_GUEST_TR_AR 0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY_STATE 0x4826
#define VMCS_GUEST_SMBASE 0x4828
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_GUEST_PREEMPTION_TIMER 0x482e
/* 32-bit host-state field (B.3.4). */
#define VMCS_HOST_SYSENTER_CS 0x4c00

/* Natural-width control fields (B.4.1). */
#define VMCS_CTRL_CR0_MASK 0x6000
#define VMCS_CTRL_CR4_MASK 0x6002
#define VMCS_CTRL_CR0_READ_SHADOW 0x6004
#define VMCS_CTRL_CR4_READ_SHADOW 0x6006
#define VMCS_CTRL_CR3_TARGET_VALUE0 0x6008
#define VMCS_CTRL_CR3_TARGET_VALUE1 0x600a
#define VMCS_CTRL_CR3_TARGET_VALUE2 0x600c
#define VMCS_CTRL_CR3_TARGET_VALUE3 0x600e
/* Natural-width read-only data fields (B.4.2). */
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_IO_RCX 0x6402
#define VMCS_IO_RSI 0x6404
#define VMCS_IO_RDI 0x6406
#define VMCS_IO_RIP 0x6408
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a
/* Natural-width guest-state fields (B.4.3). */
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_CS_BASE 0x6808
#define VMCS_GUEST_SS_BASE 0x680a
#define VMCS_GUEST_DS_BASE 0x680c
#define VMCS_GUEST_FS_BASE 0x680e
#define VMCS_GUEST_GS_BASE 0x6810
#define VMCS_GUEST_LDTR_BASE 0x6812
#define VMCS_GUEST_TR_BASE 0x6814
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
/* Natural-width host-state fields (B.4.4). */
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

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
#define VMX_INTR_INFO_TYPE(t) ((uint32_t)(t) << VMX_INTR_INFO_TYPE_SHIFT) /* enum vmx_intr_type */
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

/* Capability MSRs (appendix A); IA32_FEATURE_CONTROL is in arch/x86.h. */
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

/* IA32_VMX_BASIC (A.1). */
#define VMX_BASIC_REVISION(b) ((uint32_t)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) ((uint32_t)((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b) ((uint32_t)((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
/* IA32_VMX_MISC (A.6). */
#define VMX_MISC_TIMER_RATE(m) ((uint32_t)(m) & 0x1f)
#define VMX_MISC_VMWRITE_ALL (1ull << 29)
/* IA32_VMX_EPT_VPID_CAP (A.10). */
#define EPT_CAP_EXEC_ONLY (1ull << 0)
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_UC (1ull << 8)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_1G (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_AD (1ull << 21)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_INDIVIDUAL_ADDR (1ull << 40)
#define VPID_CAP_SINGLE_CONTEXT (1ull << 41)
#define VPID_CAP_ALL_CONTEXT (1ull << 42)
#define VPID_CAP_SINGLE_CONTEXT_GLOBALS (1ull << 43)

/* ---- EPT (24.6.11, 28.2) ---- */
/* Permissions (entry bits 2:0) and access types (violation qualification bits
 * 2:0) share one encoding. */
#define EPT_R 1u
#define EPT_W 2u
#define EPT_X 4u
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
/* Leaf entries: memory type in bits 5:3 (28.2.6); bit 7 maps a page in a
 * PDPTE (1 GiB) or PDE (2 MiB). */
#define EPT_MEMTYPE_SHIFT 3
#define EPT_MEMTYPE_WB (6ull << EPT_MEMTYPE_SHIFT)
#define EPT_PS (1ull << 7)
/* EPTP fields (24.6.11, table 24-8). */
#define EPTP_MEMTYPE_MASK 0x7ull
#define EPTP_MEMTYPE_UC 0
#define EPTP_MEMTYPE_WB 6
#define EPTP_WALK_LENGTH_SHIFT 3 /* bits 5:3: walk length minus 1 */
#define EPTP_AD_ENABLE (1ull << 6)
#define EPTP_WB_4LEVEL (EPTP_MEMTYPE_WB | 3ull << EPTP_WALK_LENGTH_SHIFT)
/* INVEPT types (30.3, INVEPT). */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
/* INVVPID types (30.3, INVVPID); IA32_VMX_EPT_VPID_CAP bit 40 + type says
 * whether one is supported. */
#define INVVPID_INDIVIDUAL_ADDR 0
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT_GLOBALS 3

/* ---- exit qualifications (27.2.1) ---- */
/* Debug exceptions (table 27-1): DR6's layout. */
#define DR6_B0_B3 0xfull
#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)
/* Control-register accesses (table 27-3). */
#define QUAL_CR_NUMBER(q) ((q) & 0xf)
#define QUAL_CR_TYPE(q) (((q) >> 4) & 3)   /* enum vmx_cr_access: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW */
#define QUAL_CR_GPR(q) (((q) >> 8) & 0xf) /* 0 RAX, 1 RCX, 2 RDX, 3 RBX, ... 15 R15 */
enum vmx_cr_access {
    VMX_CR_MOV_TO = 0,
    VMX_CR_MOV_FROM = 1,
    VMX_CR_CLTS = 2,
    VMX_CR_LMSW = 3,
};
/* I/O instructions (table 27-5). */
#define QUAL_IO_SIZE(q) (((q) & 7) + 1)
#define QUAL_IO_IN (1u << 3)
#define QUAL_IO_STRING (1u << 4)
#define QUAL_IO_REP (1u << 5)
#define QUAL_IO_IMMEDIATE (1u << 6)
#define QUAL_IO_PORT(q) (((q) >> 16) & 0xffff)
/* EPT violations (table 27-7): bits 2:0 the access (EPT_R/W/X), bits 5:3 the
 * effective permissions of the walk, then what only the CPU knows. */
#define EPT_QUAL_READ (1u << 0)
#define EPT_QUAL_WRITE (1u << 1)
#define EPT_QUAL_FETCH (1u << 2)
#define EPT_QUAL_READABLE (1u << 3)
#define EPT_QUAL_WRITABLE (1u << 4)
#define EPT_QUAL_EXECUTABLE (1u << 5)
#define EPT_QUAL_GLA_VALID (1ull << 7)
#define EPT_QUAL_GLA_TRANSLATION (1ull << 8) /* the access was to the translated address */
#define EPT_QUAL_NMI_UNBLOCKING (1ull << 12)

#endif
