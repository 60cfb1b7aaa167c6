/* The VMCS field table of the modelled CPU (SDM appendix B): width, type, name,
 * and where hvsim stores each field in the VMCS region. The encodings
 * themselves are in arch/vmx.h; their format is SDM 24.11.2, table 24-17. */
#ifndef VMX_VMCS_FIELDS_H
#define VMX_VMCS_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/vmx.h"

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
