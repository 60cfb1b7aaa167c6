/* The VMCS fields of the modelled CPU (SDM appendix B) and O(1) lookup by
 * encoding. The order of the list is the order of the fields in a VMCS region
 * (docs/vmx.md, "VMCS layout"): append only, and bump the revision id if it changes. */
#include "vmx/vmcs_fields.h"

#include <stddef.h>

#include "vmx/vmcs.h"

/* Only fields whose feature the capability MSRs advertise are here: no perf
 * or APIC-virtualization fields, no shadow-VMCS or VM-function fields. */
#define VMCS_FIELD_LIST(X)                                                     \
    X(VMCS_CTRL_VPID, "virtual-processor identifier")                          \
    X(VMCS_GUEST_ES_SELECTOR, "guest ES selector")                             \
    X(VMCS_GUEST_CS_SELECTOR, "guest CS selector")                             \
    X(VMCS_GUEST_SS_SELECTOR, "guest SS selector")                             \
    X(VMCS_GUEST_DS_SELECTOR, "guest DS selector")                             \
    X(VMCS_GUEST_FS_SELECTOR, "guest FS selector")                             \
    X(VMCS_GUEST_GS_SELECTOR, "guest GS selector")                             \
    X(VMCS_GUEST_LDTR_SELECTOR, "guest LDTR selector")                         \
    X(VMCS_GUEST_TR_SELECTOR, "guest TR selector")                             \
    X(VMCS_HOST_ES_SELECTOR, "host ES selector")                               \
    X(VMCS_HOST_CS_SELECTOR, "host CS selector")                               \
    X(VMCS_HOST_SS_SELECTOR, "host SS selector")                               \
    X(VMCS_HOST_DS_SELECTOR, "host DS selector")                               \
    X(VMCS_HOST_FS_SELECTOR, "host FS selector")                               \
    X(VMCS_HOST_GS_SELECTOR, "host GS selector")                               \
    X(VMCS_HOST_TR_SELECTOR, "host TR selector")                               \
    X(VMCS_CTRL_IO_BITMAP_A, "address of I/O bitmap A")                        \
    X(VMCS_CTRL_IO_BITMAP_B, "address of I/O bitmap B")                        \
    X(VMCS_CTRL_MSR_BITMAP, "address of MSR bitmaps")                          \
    X(VMCS_CTRL_EXIT_MSR_STORE_ADDR, "VM-exit MSR-store address")              \
    X(VMCS_CTRL_EXIT_MSR_LOAD_ADDR, "VM-exit MSR-load address")                \
    X(VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, "VM-entry MSR-load address")              \
    X(VMCS_CTRL_TSC_OFFSET, "TSC offset")                                      \
    X(VMCS_CTRL_EPTP, "EPT pointer")                                           \
    X(VMCS_GUEST_PHYSICAL_ADDRESS, "guest-physical address")                   \
    X(VMCS_LINK_POINTER, "VMCS link pointer")                                  \
    X(VMCS_GUEST_DEBUGCTL, "guest IA32_DEBUGCTL")                              \
    X(VMCS_GUEST_EFER, "guest IA32_EFER")                                      \
    X(VMCS_GUEST_PDPTE0, "guest PDPTE0")                                       \
    X(VMCS_GUEST_PDPTE1, "guest PDPTE1")                                       \
    X(VMCS_GUEST_PDPTE2, "guest PDPTE2")                                       \
    X(VMCS_GUEST_PDPTE3, "guest PDPTE3")                                       \
    X(VMCS_HOST_EFER, "host IA32_EFER")                                        \
    X(VMCS_CTRL_PIN_BASED, "pin-based VM-execution controls")                  \
    X(VMCS_CTRL_PROC_BASED, "primary processor-based VM-execution controls")   \
    X(VMCS_CTRL_EXCEPTION_BITMAP, "exception bitmap")                          \
    X(VMCS_CTRL_PF_ERROR_CODE_MASK, "page-fault error-code mask")              \
    X(VMCS_CTRL_PF_ERROR_CODE_MATCH, "page-fault error-code match")            \
    X(VMCS_CTRL_CR3_TARGET_COUNT, "CR3-target count")                          \
    X(VMCS_CTRL_EXIT, "VM-exit controls")                                      \
    X(VMCS_CTRL_EXIT_MSR_STORE_COUNT, "VM-exit MSR-store count")               \
    X(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, "VM-exit MSR-load count")                 \
    X(VMCS_CTRL_ENTRY, "VM-entry controls")                                    \
    X(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, "VM-entry MSR-load count")               \
    X(VMCS_CTRL_ENTRY_INTR_INFO, "VM-entry interruption-information field")    \
    X(VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, "VM-entry exception error code")   \
    X(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, "VM-entry instruction length")          \
    X(VMCS_CTRL_PROC_BASED2, "secondary processor-based VM-execution controls") \
    X(VMCS_VM_INSTRUCTION_ERROR, "VM-instruction error")                       \
    X(VMCS_EXIT_REASON, "exit reason")                                         \
    X(VMCS_EXIT_INTR_INFO, "VM-exit interruption information")                 \
    X(VMCS_EXIT_INTR_ERROR_CODE, "VM-exit interruption error code")            \
    X(VMCS_IDT_VECTORING_INFO, "IDT-vectoring information field")             \
    X(VMCS_IDT_VECTORING_ERROR_CODE, "IDT-vectoring error code")               \
    X(VMCS_EXIT_INSTRUCTION_LEN, "VM-exit instruction length")                 \
    X(VMCS_EXIT_INSTRUCTION_INFO, "VM-exit instruction information")           \
    X(VMCS_GUEST_ES_LIMIT, "guest ES limit")                                   \
    X(VMCS_GUEST_CS_LIMIT, "guest CS limit")                                   \
    X(VMCS_GUEST_SS_LIMIT, "guest SS limit")                                   \
    X(VMCS_GUEST_DS_LIMIT, "guest DS limit")                                   \
    X(VMCS_GUEST_FS_LIMIT, "guest FS limit")                                   \
    X(VMCS_GUEST_GS_LIMIT, "guest GS limit")                                   \
    X(VMCS_GUEST_LDTR_LIMIT, "guest LDTR limit")                               \
    X(VMCS_GUEST_TR_LIMIT, "guest TR limit")                                   \
    X(VMCS_GUEST_GDTR_LIMIT, "guest GDTR limit")                               \
    X(VMCS_GUEST_IDTR_LIMIT, "guest IDTR limit")                               \
    X(VMCS_GUEST_ES_AR, "guest ES access rights")                              \
    X(VMCS_GUEST_CS_AR, "guest CS access rights")                              \
    X(VMCS_GUEST_SS_AR, "guest SS access rights")                              \
    X(VMCS_GUEST_DS_AR, "guest DS access rights")                              \
    X(VMCS_GUEST_FS_AR, "guest FS access rights")                              \
    X(VMCS_GUEST_GS_AR, "guest GS access rights")                              \
    X(VMCS_GUEST_LDTR_AR, "guest LDTR access rights")                          \
    X(VMCS_GUEST_TR_AR, "guest TR access rights")                              \
    X(VMCS_GUEST_INTERRUPTIBILITY, "guest interruptibility state")             \
    X(VMCS_GUEST_ACTIVITY_STATE, "guest activity state")                       \
    X(VMCS_GUEST_SMBASE, "guest SMBASE")                                       \
    X(VMCS_GUEST_SYSENTER_CS, "guest IA32_SYSENTER_CS")                        \
    X(VMCS_GUEST_PREEMPTION_TIMER, "VMX-preemption timer value")              \
    X(VMCS_HOST_SYSENTER_CS, "host IA32_SYSENTER_CS")                          \
    X(VMCS_CTRL_CR0_MASK, "CR0 guest/host mask")                               \
    X(VMCS_CTRL_CR4_MASK, "CR4 guest/host mask")                               \
    X(VMCS_CTRL_CR0_READ_SHADOW, "CR0 read shadow")                            \
    X(VMCS_CTRL_CR4_READ_SHADOW, "CR4 read shadow")                            \
    X(VMCS_CTRL_CR3_TARGET_VALUE0, "CR3-target value 0")                       \
    X(VMCS_CTRL_CR3_TARGET_VALUE1, "CR3-target value 1")                       \
    X(VMCS_CTRL_CR3_TARGET_VALUE2, "CR3-target value 2")                       \
    X(VMCS_CTRL_CR3_TARGET_VALUE3, "CR3-target value 3")                       \
    X(VMCS_EXIT_QUALIFICATION, "exit qualification")                           \
    X(VMCS_IO_RCX, "I/O RCX")                                                  \
    X(VMCS_IO_RSI, "I/O RSI")                                                  \
    X(VMCS_IO_RDI, "I/O RDI")                                                  \
    X(VMCS_IO_RIP, "I/O RIP")                                                  \
    X(VMCS_GUEST_LINEAR_ADDRESS, "guest-linear address")                       \
    X(VMCS_GUEST_CR0, "guest CR0")                                             \
    X(VMCS_GUEST_CR3, "guest CR3")                                             \
    X(VMCS_GUEST_CR4, "guest CR4")                                             \
    X(VMCS_GUEST_ES_BASE, "guest ES base")                                     \
    X(VMCS_GUEST_CS_BASE, "guest CS base")                                     \
    X(VMCS_GUEST_SS_BASE, "guest SS base")                                     \
    X(VMCS_GUEST_DS_BASE, "guest DS base")                                     \
    X(VMCS_GUEST_FS_BASE, "guest FS base")                                     \
    X(VMCS_GUEST_GS_BASE, "guest GS base")                                     \
    X(VMCS_GUEST_LDTR_BASE, "guest LDTR base")                                 \
    X(VMCS_GUEST_TR_BASE, "guest TR base")                                     \
    X(VMCS_GUEST_GDTR_BASE, "guest GDTR base")                                 \
    X(VMCS_GUEST_IDTR_BASE, "guest IDTR base")                                 \
    X(VMCS_GUEST_DR7, "guest DR7")                                             \
    X(VMCS_GUEST_RSP, "guest RSP")                                             \
    X(VMCS_GUEST_RIP, "guest RIP")                                             \
    X(VMCS_GUEST_RFLAGS, "guest RFLAGS")                                       \
    X(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, "guest pending debug exceptions")     \
    X(VMCS_GUEST_SYSENTER_ESP, "guest IA32_SYSENTER_ESP")                      \
    X(VMCS_GUEST_SYSENTER_EIP, "guest IA32_SYSENTER_EIP")                      \
    X(VMCS_HOST_CR0, "host CR0")                                               \
    X(VMCS_HOST_CR3, "host CR3")                                               \
    X(VMCS_HOST_CR4, "host CR4")                                               \
    X(VMCS_HOST_FS_BASE, "host FS base")                                       \
    X(VMCS_HOST_GS_BASE, "host GS base")                                       \
    X(VMCS_HOST_TR_BASE, "host TR base")                                       \
    X(VMCS_HOST_GDTR_BASE, "host GDTR base")                                   \
    X(VMCS_HOST_IDTR_BASE, "host IDTR base")                                   \
    X(VMCS_HOST_SYSENTER_ESP, "host IA32_SYSENTER_ESP")                        \
    X(VMCS_HOST_SYSENTER_EIP, "host IA32_SYSENTER_EIP")                        \
    X(VMCS_HOST_RSP, "host RSP")                                               \
    X(VMCS_HOST_RIP, "host RIP")                                               \
    X(VMCS_GUEST_PAT, "guest IA32_PAT")                                        \
    X(VMCS_HOST_PAT, "host IA32_PAT")

enum {
#define VMCS_FIELD_INDEX(enc, name) FIELD_IDX_##enc,
    VMCS_FIELD_LIST(VMCS_FIELD_INDEX)
#undef VMCS_FIELD_INDEX
    VMCS_FIELD_COUNT
};

/* Every supported field has an index below 32; the lookup map is addressed by
 * (width, type, index), 4 x 4 x 32 slots. */
#define SLOT_INDEX_LIMIT 32u
#define SLOT_OF(enc)                                                           \
    ((VMCS_ENC_WIDTH(enc) * 4u + VMCS_ENC_TYPE(enc)) * SLOT_INDEX_LIMIT +      \
     VMCS_ENC_INDEX(enc))

static const struct vmcs_field fields[VMCS_FIELD_COUNT] = {
#define VMCS_FIELD_ENTRY(enc, str)                                             \
    [FIELD_IDX_##enc] = { enc, VMCS_ENC_WIDTH(enc), VMCS_ENC_TYPE(enc),        \
                          VMCS_OFF_FIELDS + 8 * FIELD_IDX_##enc, str },
    VMCS_FIELD_LIST(VMCS_FIELD_ENTRY)
#undef VMCS_FIELD_ENTRY
};

/* slot -> table index + 1; 0 means no such field. */
static const uint8_t slot_map[16 * SLOT_INDEX_LIMIT] = {
#define VMCS_FIELD_SLOT(enc, str) [SLOT_OF(enc)] = FIELD_IDX_##enc + 1,
    VMCS_FIELD_LIST(VMCS_FIELD_SLOT)
#undef VMCS_FIELD_SLOT
};

_Static_assert(VMCS_OFF_FIELDS + 8 * VMCS_FIELD_COUNT <= VMCS_REGION_SIZE,
               "VMCS fields must fit the 4 KiB region");
_Static_assert(VMCS_FIELD_COUNT < 255, "slot_map holds uint8_t");

const struct vmcs_field *vmcs_field_find(uint64_t encoding)
{
    /* Bits 63:15 and 12 are reserved (24.11.2): such encodings name nothing. */
    if (encoding & ~(uint64_t)0x6fff)
        return NULL;
    uint32_t enc = (uint32_t)encoding;
    if (VMCS_ENC_INDEX(enc) >= SLOT_INDEX_LIMIT)
        return NULL;
    unsigned i = slot_map[SLOT_OF(enc)];
    if (i == 0)
        return NULL;
    const struct vmcs_field *f = &fields[i - 1];
    /* The high access type exists only for 64-bit fields (24.11.2). */
    if ((enc & VMCS_ENC_HIGH) && f->width != VMCS_WIDTH_64)
        return NULL;
    return f;
}

unsigned vmcs_field_count(void)
{
    return VMCS_FIELD_COUNT;
}

const struct vmcs_field *vmcs_field_at(unsigned i)
{
    return i < VMCS_FIELD_COUNT ? &fields[i] : NULL;
}

unsigned vmcs_field_highest_index(void)
{
    unsigned hi = 0;
    for (unsigned i = 0; i < VMCS_FIELD_COUNT; i++)
        if (VMCS_ENC_INDEX(fields[i].encoding) > hi)
            hi = VMCS_ENC_INDEX(fields[i].encoding);
    return hi;
}

bool vmcs_field_is_read_only(const struct vmcs_field *f, bool vmwrite_all)
{
    return f->type == VMCS_TYPE_EXIT_INFO && !vmwrite_all;
}

uint64_t vmcs_field_mask(const struct vmcs_field *f)
{
    switch (f->width) {
    case VMCS_WIDTH_16:
        return 0xffffu;
    case VMCS_WIDTH_32:
        return 0xffffffffu;
    default:
        return ~(uint64_t)0;
    }
}
