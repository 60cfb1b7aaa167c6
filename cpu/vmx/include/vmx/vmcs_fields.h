/* VMCS field encodings (SDM appendix B) and the field table of the modelled CPU:
 * width, type, name, and where hvsim stores each field in the VMCS region.
 * Encoding format: SDM 24.11.2, table 24-17. */
#ifndef VMX_VMCS_FIELDS_H
#define VMX_VMCS_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

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
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PDPTE0 0x280a
#define VMCS_GUEST_PDPTE1 0x280c
#define VMCS_GUEST_PDPTE2 0x280e
#define VMCS_GUEST_PDPTE3 0x2810
/* 64-bit host-state field (B.2.4). */
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

/* Encoding components (24.11.2): bit 0 access type (1 = high 32 bits of a 64-bit
 * field), bits 9:1 index, bits 11:10 type, bits 14:13 width; 12 and 31:15 are 0. */
#define VMCS_ENC_HIGH 0x1u
#define VMCS_ENC_INDEX(enc) (((enc) >> 1) & 0x1ffu)
#define VMCS_ENC_TYPE(enc) (((enc) >> 10) & 0x3u)
#define VMCS_ENC_WIDTH(enc) (((enc) >> 13) & 0x3u)

enum vmcs_width {
    VMCS_WIDTH_16 = 0,
    VMCS_WIDTH_64 = 1,
    VMCS_WIDTH_32 = 2,
    VMCS_WIDTH_NATURAL = 3,
};

enum vmcs_type {
    VMCS_TYPE_CONTROL = 0,
    VMCS_TYPE_EXIT_INFO = 1, /* "read-only data": VMWRITE fails unless MISC[29] */
    VMCS_TYPE_GUEST = 2,
    VMCS_TYPE_HOST = 3,
};

struct vmcs_field {
    uint32_t encoding; /* the full (access type 0) encoding */
    uint8_t width;     /* enum vmcs_width */
    uint8_t type;      /* enum vmcs_type */
    uint16_t offset;   /* byte offset of the field's 8-byte slot in a VMCS region */
    const char *name;  /* the SDM's name, for logs */
};

/* The field a VMREAD/VMWRITE encoding names, or NULL if the modelled CPU has no
 * such component (VM-instruction error 12). High encodings (bit 0 set) of 64-bit
 * fields name the field itself; the caller applies the high-half rule. Bits 63:32
 * of the encoding must be 0, as VMREAD/VMWRITE in 64-bit mode require. */
const struct vmcs_field *vmcs_field_find(uint64_t encoding);

/* The table in layout order, for dumps, tests and VMCS_ENUM. */
unsigned vmcs_field_count(void);
const struct vmcs_field *vmcs_field_at(unsigned i);

/* Highest index (bits 9:1) of any supported encoding: IA32_VMX_VMCS_ENUM[9:1]. */
unsigned vmcs_field_highest_index(void);

/* Whether a VMWRITE to the field is refused with error 13: exit-information
 * fields are read-only unless IA32_VMX_MISC bit 29 is set (A.6). */
bool vmcs_field_is_read_only(const struct vmcs_field *f, bool vmwrite_all);

/* The mask of bits a field holds: 16, 32 or 64 bits (natural width is 64 on a
 * CPU with Intel 64). */
uint64_t vmcs_field_mask(const struct vmcs_field *f);

#endif
