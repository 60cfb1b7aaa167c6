/* The VMCS as hvsim stores it: a 4 KiB region in guest memory (SDM 24.2) with
 * the revision id, the VMX-abort indicator, the launch state and every field at
 * a fixed offset; VMREAD/VMWRITE semantics (SDM 30.3). Layout: docs/vmx.md. */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

#define VMCS_REGION_SIZE 4096u
/* Offsets in the region. The first two are architectural (24.2); the rest are
 * this implementation's choice, as on real CPUs. All values are little endian. */
#define VMCS_OFF_REVISION 0     /* bits 30:0 revision id, bit 31 shadow-VMCS indicator */
#define VMCS_OFF_ABORT 4        /* VMX-abort indicator (27.7) */
#define VMCS_OFF_LAUNCH_STATE 8 /* enum vmcs_launch_state, 32 bits */
#define VMCS_OFF_FIELDS 16      /* field i of vmcs_field_at() at 16 + 8 * i */
#define VMCS_REVISION_SHADOW (1u << 31)

/* Launch state of a VMCS (24.1): VMCLEAR makes it clear, VMLAUNCH launched. It
 * lives in the region, so it survives VMCLEAR/VMPTRLD cycles as on hardware. A
 * zeroed page reads as clear. */
enum vmcs_launch_state {
    VMCS_LAUNCH_CLEAR = 0,
    VMCS_LAUNCH_LAUNCHED = 1,
};

uint32_t vmcs_revision_get(const uint8_t *region);
void vmcs_revision_set(uint8_t *region, uint32_t dword);

/* True if the first dword equals revision_id with bit 31 clear: the VMXON check
 * (VMfailInvalid otherwise) and the VMPTRLD check (error 11 otherwise), since
 * the model has no VMCS shadowing (30.3 VMXON, VMPTRLD). */
bool vmcs_revision_matches(const uint8_t *region, uint32_t revision_id);

uint32_t vmcs_abort_get(const uint8_t *region);
void vmcs_abort_set(uint8_t *region, uint32_t indicator);

enum vmcs_launch_state vmcs_launch_state_get(const uint8_t *region);
void vmcs_launch_state_set(uint8_t *region, enum vmcs_launch_state state);

/* VMCLEAR's effect on the region (30.3): launch state clear. Field data stays;
 * the model writes every field through, so there is nothing to flush. */
void vmcs_clear(uint8_t *region);

/* VMREAD (30.3). long_mode: the instruction executes in 64-bit mode (operands of
 * 64 bits); otherwise operands are 32 bits and natural-width and 64-bit fields
 * read as their low 32 bits. A high encoding reads bits 63:32 of a 64-bit field.
 * Returns 0 or VMXERR_UNSUPPORTED_VMCS_COMPONENT (12). */
int vmcs_read(const uint8_t *region, uint64_t encoding, bool long_mode, uint64_t *val);

/* VMWRITE (30.3): bits beyond the field's width are ignored; outside 64-bit mode
 * the source is 32 bits and the rest of a longer field is cleared; a high
 * encoding writes bits 63:32 only. vmwrite_all is IA32_VMX_MISC bit 29.
 * Returns 0, VMXERR_UNSUPPORTED_VMCS_COMPONENT (12) or
 * VMXERR_VMWRITE_READ_ONLY_COMPONENT (13). */
int vmcs_write(uint8_t *region, uint64_t encoding, uint64_t val, bool long_mode,
               bool vmwrite_all);

/* The CPU's own access on VM entry and exit: full encoding of a supported field
 * (asserted), whole field, no read-only rule. vmcs_set truncates to the width. */
uint64_t vmcs_get(const uint8_t *region, uint32_t encoding);
void vmcs_set(uint8_t *region, uint32_t encoding, uint64_t val);

#endif
