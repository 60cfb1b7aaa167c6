/* Helpers shared by the VM-entry check files (SDM 26.2, 26.3). */
#ifndef VMX_CHECKS_PRIV_H
#define VMX_CHECKS_PRIV_H

#include "vmx/vmcs.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_checks.h"

/* 48-bit linear addresses: bits 63:47 all equal (SDM vol. 1, 3.3.7.1). */
static inline bool vmx_canonical(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* IA32_PAT: each of the eight entries a memory type WRMSR accepts (0 UC, 1 WC,
 * 4 WT, 5 WP, 6 WB, 7 UC-), as VM entry requires of a PAT it loads (26.2.2,
 * 26.3.1.1). */
static inline bool vmx_pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/* No bit at or above the physical-address width. */
static inline bool vmx_phys_ok(const struct vmx_caps *caps, uint64_t pa)
{
    return (pa >> caps->maxphyaddr) == 0;
}

static inline struct vmx_check_failure vmx_fail(enum vmx_check c, enum vmx_seg seg)
{
    return (struct vmx_check_failure){ c, seg };
}

#define VMX_PASS vmx_fail(VMX_CHECK_OK, VMX_SEG_NONE)

/* IA32_EFER bits the model implements: SCE, LME, LMA, NXE; the rest are reserved. */
#define VMX_EFER_VALID (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* The secondary controls, which count as 0 unless "activate secondary controls"
 * is set (24.6.2). */
static inline uint32_t vmx_proc2(const uint8_t *vmcs)
{
    uint32_t proc = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_PROC_BASED);
    return (proc & VMX_PROC_ACTIVATE_SECONDARY)
               ? (uint32_t)vmcs_get(vmcs, VMCS_CTRL_PROC_BASED2)
               : 0;
}

#endif
