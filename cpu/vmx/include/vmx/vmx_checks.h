/* VM-entry checks (SDM 26.2 controls and host state, 26.3.1 guest state): pure
 * functions over a VMCS region and the capability MSRs that name the first rule
 * a VMCS breaks, with the SDM section, so the CPU can log it and fail the entry
 * the architectural way. */
#ifndef VMX_VMX_CHECKS_H
#define VMX_VMX_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/vmx_arch.h"
#include "vmx/vmx_caps.h"

/* How a failed rule ends the VM entry (26.2, 26.7). */
enum vmx_check_class {
    VMX_CLASS_NONE,
    VMX_CLASS_CONTROL, /* VMfailValid, error 7 */
    VMX_CLASS_HOST,    /* VMfailValid, error 8 */
    VMX_CLASS_GUEST,   /* VM-entry failure exit, reason 33 with bit 31 */
};

/* X(id, class, exit qualification, SDM section, what failed). Rules marked
 * "segment" apply per segment register; the result names which. */
#define VMX_CHECK_LIST(X)                                                                  \
    X(OK, NONE, 0, "", "no rule failed")                                                   \
    X(PIN_CTLS, CONTROL, 0, "26.2.1.1", "pin-based controls: setting not allowed by IA32_VMX_TRUE_PINBASED_CTLS") \
    X(PROC_CTLS, CONTROL, 0, "26.2.1.1", "primary processor-based controls: setting not allowed by IA32_VMX_TRUE_PROCBASED_CTLS") \
    X(PROC2_CTLS, CONTROL, 0, "26.2.1.1", "secondary processor-based controls: setting not allowed by IA32_VMX_PROCBASED_CTLS2") \
    X(CR3_TARGET_COUNT, CONTROL, 0, "26.2.1.1", "CR3-target count above IA32_VMX_MISC[24:16]") \
    X(IO_BITMAP_ADDR, CONTROL, 0, "26.2.1.1", "I/O-bitmap address not 4 KiB aligned or beyond the physical-address width") \
    X(MSR_BITMAP_ADDR, CONTROL, 0, "26.2.1.1", "MSR-bitmap address not 4 KiB aligned or beyond the physical-address width") \
    X(VIRTUAL_NMIS, CONTROL, 0, "26.2.1.1", "virtual NMIs set with NMI exiting clear")    \
    X(NMI_WINDOW, CONTROL, 0, "26.2.1.1", "NMI-window exiting set with virtual NMIs clear") \
    X(VPID_ZERO, CONTROL, 0, "26.2.1.1", "enable VPID set with VPID 0")                   \
    X(EPTP, CONTROL, 0, "26.2.1.1", "EPT pointer: memory type, walk length, A/D enable or reserved bits") \
    X(UG_WITHOUT_EPT, CONTROL, 0, "26.2.1.1", "unrestricted guest set with enable EPT clear") \
    X(EXIT_CTLS, CONTROL, 0, "26.2.1.2", "VM-exit controls: setting not allowed by IA32_VMX_TRUE_EXIT_CTLS") \
    X(SAVE_TIMER, CONTROL, 0, "26.2.1.2", "save VMX-preemption timer value set with activate VMX-preemption timer clear") \
    X(EXIT_MSR_STORE_ADDR, CONTROL, 0, "26.2.1.2", "VM-exit MSR-store area not 16-byte aligned or beyond the physical-address width") \
    X(EXIT_MSR_LOAD_ADDR, CONTROL, 0, "26.2.1.2", "VM-exit MSR-load area not 16-byte aligned or beyond the physical-address width") \
    X(ENTRY_CTLS, CONTROL, 0, "26.2.1.3", "VM-entry controls: setting not allowed by IA32_VMX_TRUE_ENTRY_CTLS") \
    X(INJECT_TYPE, CONTROL, 0, "26.2.1.3", "VM-entry interruption information: reserved interruption type") \
    X(INJECT_VECTOR, CONTROL, 0, "26.2.1.3", "VM-entry interruption information: vector does not fit the type") \
    X(INJECT_DELIVER_ERROR_CODE, CONTROL, 0, "26.2.1.3", "VM-entry interruption information: deliver-error-code bit does not fit type, vector and CR0.PE") \
    X(INJECT_RESERVED, CONTROL, 0, "26.2.1.3", "VM-entry interruption information: bits 30:12 set") \
    X(INJECT_ERROR_CODE, CONTROL, 0, "26.2.1.3", "VM-entry exception error code: bits 31:15 set") \
    X(INJECT_INSTRUCTION_LEN, CONTROL, 0, "26.2.1.3", "VM-entry instruction length outside 1-15 for a software event") \
    X(ENTRY_MSR_LOAD_ADDR, CONTROL, 0, "26.2.1.3", "VM-entry MSR-load area not 16-byte aligned or beyond the physical-address width") \
    X(HOST_CR0, HOST, 0, "26.2.2", "host CR0: bit fixed by IA32_VMX_CR0_FIXED0/FIXED1 is wrong") \
    X(HOST_CR4, HOST, 0, "26.2.2", "host CR4: bit fixed by IA32_VMX_CR4_FIXED0/FIXED1 is wrong") \
    X(HOST_CR3, HOST, 0, "26.2.2", "host CR3: bits beyond the physical-address width set") \
    X(HOST_SYSENTER, HOST, 0, "26.2.2", "host IA32_SYSENTER_ESP or IA32_SYSENTER_EIP not canonical") \
    X(HOST_EFER_RESERVED, HOST, 0, "26.2.2", "host IA32_EFER: reserved bit set")           \
    X(HOST_EFER_LMA_LME, HOST, 0, "26.2.2", "host IA32_EFER: LMA or LME differs from host address-space size") \
    X(HOST_PAT, HOST, 0, "26.2.2", "host IA32_PAT: a memory type other than 0, 1, 4, 5, 6, 7") \
    X(HOST_SELECTOR, HOST, 0, "26.2.3", "selector: RPL or TI set")          \
    X(HOST_CS_NULL, HOST, 0, "26.2.3", "host CS selector null")                            \
    X(HOST_TR_NULL, HOST, 0, "26.2.3", "host TR selector null")                            \
    X(HOST_SS_NULL, HOST, 0, "26.2.3", "host SS selector null with host address-space size clear") \
    X(HOST_BASE, HOST, 0, "26.2.3", "host FS, GS, TR, GDTR or IDTR base not canonical")    \
    X(HOST_ADDR_SPACE_LEGACY, HOST, 0, "26.2.4", "outside IA-32e mode: IA-32e mode guest or host address-space size set") \
    X(HOST_ADDR_SPACE_IA32E, HOST, 0, "26.2.4", "in IA-32e mode: host address-space size clear") \
    X(HOST_32BIT_PCIDE, HOST, 0, "26.2.4", "host address-space size clear with host CR4.PCIDE set") \
    X(HOST_32BIT_RIP, HOST, 0, "26.2.4", "host address-space size clear with host RIP bits 63:32 set") \
    X(HOST_64BIT_PAE, HOST, 0, "26.2.4", "host address-space size set with host CR4.PAE clear") \
    X(HOST_64BIT_RIP, HOST, 0, "26.2.4", "host address-space size set with host RIP not canonical") \
    X(GUEST_CR0, GUEST, 0, "26.3.1.1", "guest CR0: bit fixed by IA32_VMX_CR0_FIXED0/FIXED1 is wrong") \
    X(GUEST_CR0_PG_PE, GUEST, 0, "26.3.1.1", "guest CR0: PG set with PE clear")          \
    X(GUEST_CR4, GUEST, 0, "26.3.1.1", "guest CR4: bit fixed by IA32_VMX_CR4_FIXED0/FIXED1 is wrong") \
    X(GUEST_DEBUGCTL, GUEST, 0, "26.3.1.1", "guest IA32_DEBUGCTL: reserved bit set")     \
    X(GUEST_IA32E_PG_PAE, GUEST, 0, "26.3.1.1", "IA-32e mode guest with CR0.PG or CR4.PAE clear") \
    X(GUEST_PCIDE, GUEST, 0, "26.3.1.1", "guest CR4.PCIDE set with IA-32e mode guest clear") \
    X(GUEST_CR3, GUEST, 0, "26.3.1.1", "guest CR3: bits beyond the physical-address width set") \
    X(GUEST_DR7, GUEST, 0, "26.3.1.1", "guest DR7: bits 63:32 set")                        \
    X(GUEST_SYSENTER, GUEST, 0, "26.3.1.1", "guest IA32_SYSENTER_ESP or IA32_SYSENTER_EIP not canonical") \
    X(GUEST_EFER_RESERVED, GUEST, 0, "26.3.1.1", "guest IA32_EFER: reserved bit set")    \
    X(GUEST_EFER_LMA, GUEST, 0, "26.3.1.1", "guest IA32_EFER.LMA differs from IA-32e mode guest") \
    X(GUEST_EFER_LME, GUEST, 0, "26.3.1.1", "guest IA32_EFER.LME differs from LMA with CR0.PG set") \
    X(GUEST_PAT, GUEST, 0, "26.3.1.1", "guest IA32_PAT: a memory type other than 0, 1, 4, 5, 6, 7") \
    X(SEG_TI, GUEST, 0, "26.3.1.2", "selector: TI set")                                   \
    X(SEG_SS_RPL, GUEST, 0, "26.3.1.2", "selector: RPL differs from the RPL of CS")      \
    X(SEG_V86_BASE, GUEST, 0, "26.3.1.2", "base: not selector * 16 for a virtual-8086 guest") \
    X(SEG_BASE_CANONICAL, GUEST, 0, "26.3.1.2", "base: not canonical")                    \
    X(SEG_BASE_HIGH, GUEST, 0, "26.3.1.2", "base: bits 63:32 set")                        \
    X(SEG_V86_LIMIT, GUEST, 0, "26.3.1.2", "limit: not 0xffff for a virtual-8086 guest") \
    X(SEG_V86_AR, GUEST, 0, "26.3.1.2", "access rights: not 0xf3 for a virtual-8086 guest") \
    X(SEG_TYPE, GUEST, 0, "26.3.1.2", "access rights: type not allowed")                  \
    X(SEG_S, GUEST, 0, "26.3.1.2", "access rights: S (descriptor type) wrong")            \
    X(SEG_DPL, GUEST, 0, "26.3.1.2", "access rights: DPL wrong")                          \
    X(SEG_P, GUEST, 0, "26.3.1.2", "access rights: not present")                          \
    X(SEG_RESERVED, GUEST, 0, "26.3.1.2", "access rights: bits 11:8 or 31:17 set")        \
    X(SEG_L_AND_D, GUEST, 0, "26.3.1.2", "access rights: L and D both set")               \
    X(SEG_G, GUEST, 0, "26.3.1.2", "access rights: G does not fit the limit")             \
    X(SEG_UNUSABLE, GUEST, 0, "26.3.1.2", "access rights: unusable")                      \
    X(GUEST_DTR_BASE, GUEST, 0, "26.3.1.3", "guest GDTR or IDTR base not canonical")      \
    X(GUEST_DTR_LIMIT, GUEST, 0, "26.3.1.3", "guest GDTR or IDTR limit: bits 31:16 set")  \
    X(GUEST_RIP, GUEST, 0, "26.3.1.4", "guest RIP: bits 63:32 set outside 64-bit mode, or not canonical") \
    X(GUEST_RFLAGS_RESERVED, GUEST, 0, "26.3.1.4", "guest RFLAGS: reserved bit wrong")   \
    X(GUEST_RFLAGS_VM, GUEST, 0, "26.3.1.4", "guest RFLAGS.VM set in IA-32e mode or with CR0.PE clear") \
    X(GUEST_RFLAGS_IF, GUEST, 0, "26.3.1.4", "guest RFLAGS.IF clear while injecting an external interrupt") \
    X(ACTIVITY_STATE, GUEST, 0, "26.3.1.5", "guest activity state not supported (IA32_VMX_MISC)") \
    X(ACTIVITY_HLT_DPL, GUEST, 0, "26.3.1.5", "guest activity state HLT with SS.DPL not 0") \
    X(ACTIVITY_BLOCKING, GUEST, 0, "26.3.1.5", "guest activity state not active with STI or MOV-SS blocking") \
    X(ACTIVITY_INJECTION, GUEST, 0, "26.3.1.5", "injected event is blocked in the guest activity state") \
    X(INTR_STATE_RESERVED, GUEST, 0, "26.3.1.5", "guest interruptibility state: bits 31:4 set") \
    X(INTR_STATE_STI_MOV_SS, GUEST, 0, "26.3.1.5", "guest interruptibility state: both STI and MOV-SS blocking") \
    X(INTR_STATE_STI_IF, GUEST, 0, "26.3.1.5", "guest interruptibility state: STI blocking with RFLAGS.IF clear") \
    X(INTR_STATE_INJECTION, GUEST, 0, "26.3.1.5", "guest interruptibility state: STI or MOV-SS blocking while injecting an external interrupt, or MOV-SS blocking while injecting an NMI") \
    X(INTR_STATE_NMI_STI, GUEST, ENTRY_FAIL_NMI_STI, "26.3.1.5", "guest interruptibility state: STI blocking while injecting an NMI") \
    X(INTR_STATE_SMI, GUEST, 0, "26.3.1.5", "guest interruptibility state: blocking by SMI outside SMM") \
    X(INTR_STATE_VIRTUAL_NMI, GUEST, 0, "26.3.1.5", "guest interruptibility state: blocking by NMI while injecting a virtual NMI") \
    X(PENDING_DBG_RESERVED, GUEST, 0, "26.3.1.5", "guest pending debug exceptions: reserved bit set") \
    X(PENDING_DBG_BS, GUEST, 0, "26.3.1.5", "guest pending debug exceptions: BS does not match RFLAGS.TF and IA32_DEBUGCTL.BTF") \
    X(LINK_POINTER_ADDR, GUEST, ENTRY_FAIL_VMCS_LINK_PTR, "26.3.1.5", "VMCS link pointer: not all ones, and not 4 KiB aligned or beyond the physical-address width") \
    X(LINK_POINTER_REVISION, GUEST, ENTRY_FAIL_VMCS_LINK_PTR, "26.3.1.5", "VMCS link pointer: region does not hold the VMCS revision id") \
    X(LINK_POINTER_CURRENT, GUEST, ENTRY_FAIL_VMCS_LINK_PTR, "26.3.1.5", "VMCS link pointer: equals the current-VMCS pointer") \
    X(GUEST_PDPTE, GUEST, ENTRY_FAIL_PDPTE, "26.3.1.6", "guest PDPTE: reserved bit set")

enum vmx_check {
#define VMX_CHECK_ENUM(id, cls, qual, sec, text) VMX_CHECK_##id,
    VMX_CHECK_LIST(VMX_CHECK_ENUM)
#undef VMX_CHECK_ENUM
    VMX_CHECK_COUNT
};

/* Segment registers in VMCS field order (B.1.2): selector 0x0800 + 2 * seg. */
enum vmx_seg {
    VMX_SEG_NONE = -1,
    VMX_SEG_ES = 0,
    VMX_SEG_CS,
    VMX_SEG_SS,
    VMX_SEG_DS,
    VMX_SEG_FS,
    VMX_SEG_GS,
    VMX_SEG_LDTR,
    VMX_SEG_TR,
};

/* What the checks need beyond the VMCS. */
struct vmx_entry_env {
    const struct vmx_caps *caps;
    const struct vmx_mem *mem; /* VMCS link pointer region, PDPTEs without EPT */
    bool cpu_ia32e;            /* IA32_EFER.LMA when VMLAUNCH/VMRESUME executes */
    uint64_t current_vmcs;     /* current-VMCS pointer */
};

struct vmx_check_failure {
    enum vmx_check check;
    enum vmx_seg seg; /* the segment a SEG_ or HOST_SELECTOR rule is about */
};

/* Each returns VMX_CHECK_OK or the first rule, in SDM order, that fails. */
struct vmx_check_failure vmx_check_controls(const uint8_t *vmcs, const struct vmx_entry_env *env);
struct vmx_check_failure vmx_check_host(const uint8_t *vmcs, const struct vmx_entry_env *env);
struct vmx_check_failure vmx_check_guest(const uint8_t *vmcs, const struct vmx_entry_env *env);

/* All three in the order of 26.2 and 26.3, and how the entry must end. */
struct vmx_entry_result {
    struct vmx_check_failure fail;
    unsigned vm_error;            /* 7 or 8 for VMfailValid, else 0 */
    uint32_t exit_reason;         /* 33 | bit 31 for a guest-state failure, else 0 */
    uint64_t exit_qualification;  /* 0, 2, 3 or 4 (26.7) */
};
void vmx_entry_check(const uint8_t *vmcs, const struct vmx_entry_env *env,
                     struct vmx_entry_result *res);

enum vmx_check_class vmx_check_class_of(enum vmx_check c);
const char *vmx_check_section(enum vmx_check c);
const char *vmx_check_text(enum vmx_check c);
const char *vmx_seg_name(enum vmx_seg seg);

/* "guest CS access rights: L and D both set (SDM 26.3.1.2)"; snprintf's result. */
int vmx_check_format(struct vmx_check_failure f, char *buf, size_t size);

#endif
