/* The VMCS region: header words, launch state and VMREAD/VMWRITE over the field
 * slots (SDM 24.2, 24.11.2, 30.3 VMREAD/VMWRITE/VMCLEAR). */
#include "vmx/vmcs.h"

#include <assert.h>
#include <stddef.h>

#include "vmx/vmcs_fields.h"
#include "vmx/vmx_arch.h"

/* Explicit little-endian bytes: the region is guest memory and its layout must
 * not depend on the host. */
static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t load64(const uint8_t *p)
{
    return (uint64_t)load32(p) | (uint64_t)load32(p + 4) << 32;
}

static void store64(uint8_t *p, uint64_t v)
{
    store32(p, (uint32_t)v);
    store32(p + 4, (uint32_t)(v >> 32));
}

uint32_t vmcs_revision_get(const uint8_t *region)
{
    return load32(region + VMCS_OFF_REVISION);
}

void vmcs_revision_set(uint8_t *region, uint32_t dword)
{
    store32(region + VMCS_OFF_REVISION, dword);
}

bool vmcs_revision_matches(const uint8_t *region, uint32_t revision_id)
{
    return vmcs_revision_get(region) == (revision_id & ~VMCS_REVISION_SHADOW);
}

uint32_t vmcs_abort_get(const uint8_t *region)
{
    return load32(region + VMCS_OFF_ABORT);
}

void vmcs_abort_set(uint8_t *region, uint32_t indicator)
{
    store32(region + VMCS_OFF_ABORT, indicator);
}

enum vmcs_launch_state vmcs_launch_state_get(const uint8_t *region)
{
    /* Any value but "launched" (software scribbling on an inactive region) is
     * treated as clear, the state VMCLEAR would give it. */
    return load32(region + VMCS_OFF_LAUNCH_STATE) == VMCS_LAUNCH_LAUNCHED
               ? VMCS_LAUNCH_LAUNCHED
               : VMCS_LAUNCH_CLEAR;
}

void vmcs_launch_state_set(uint8_t *region, enum vmcs_launch_state state)
{
    store32(region + VMCS_OFF_LAUNCH_STATE, (uint32_t)state);
}

void vmcs_clear(uint8_t *region)
{
    vmcs_launch_state_set(region, VMCS_LAUNCH_CLEAR);
}

int vmcs_read(const uint8_t *region, uint64_t encoding, bool long_mode, uint64_t *val)
{
    const struct vmcs_field *f = vmcs_field_find(encoding);
    if (!f)
        return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
    uint64_t v = load64(region + f->offset);
    if (encoding & VMCS_ENC_HIGH)
        v >>= 32;
    /* The destination is 32 bits outside 64-bit mode: the field's high bits are
     * not read. Shorter fields were stored zero-extended already. */
    if (!long_mode)
        v &= 0xffffffffu;
    *val = v;
    return 0;
}

int vmcs_write(uint8_t *region, uint64_t encoding, uint64_t val, bool long_mode,
               bool vmwrite_all)
{
    const struct vmcs_field *f = vmcs_field_find(encoding);
    if (!f)
        return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
    if (vmcs_field_is_read_only(f, vmwrite_all))
        return VMXERR_VMWRITE_READ_ONLY_COMPONENT;
    if (!long_mode)
        val &= 0xffffffffu;
    uint8_t *slot = region + f->offset;
    if (encoding & VMCS_ENC_HIGH)
        store64(slot, (load64(slot) & 0xffffffffu) | (val & 0xffffffffu) << 32);
    else
        store64(slot, val & vmcs_field_mask(f));
    return 0;
}

uint64_t vmcs_get(const uint8_t *region, uint32_t encoding)
{
    const struct vmcs_field *f = vmcs_field_find(encoding);
    assert(f && !(encoding & VMCS_ENC_HIGH));
    return load64(region + f->offset);
}

void vmcs_set(uint8_t *region, uint32_t encoding, uint64_t val)
{
    const struct vmcs_field *f = vmcs_field_find(encoding);
    assert(f && !(encoding & VMCS_ENC_HIGH));
    store64(region + f->offset, val & vmcs_field_mask(f));
}
