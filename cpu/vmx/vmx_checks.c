/* VM-entry checks on the VMX controls and the host-state area (SDM 26.2.1 to
 * 26.2.4), the rule table, and the whole entry check of 26.2-26.3 with the
 * failure the SDM prescribes. */
#include <stdio.h>

#include "vmx/ept.h"
#include "vmx_checks_priv.h"

static const struct {
    enum vmx_check_class cls;
    uint8_t qual;
    const char *section;
    const char *text;
} rules[VMX_CHECK_COUNT] = {
#define VMX_CHECK_RULE(id, c, q, sec, txt) [VMX_CHECK_##id] = { VMX_CLASS_##c, q, sec, txt },
    VMX_CHECK_LIST(VMX_CHECK_RULE)
#undef VMX_CHECK_RULE
};

/* An MSR-load/store area: 16-byte aligned, first and last byte within the
 * physical-address width (26.2.1.2, 26.2.1.3). Unchecked when the count is 0. */
static bool msr_area_ok(const struct vmx_caps *caps, uint64_t addr, uint32_t count)
{
    if (count == 0)
        return true;
    uint64_t last = addr + (uint64_t)count * 16 - 1;
    return (addr & 0xf) == 0 && vmx_phys_ok(caps, addr) && vmx_phys_ok(caps, last);
}

static bool bitmap_addr_ok(const struct vmx_caps *caps, uint64_t addr)
{
    return (addr & 0xfff) == 0 && vmx_phys_ok(caps, addr);
}

/* 26.2.1.3: the VM-entry event-injection fields. */
static enum vmx_check check_injection(const uint8_t *vmcs, const struct vmx_caps *caps,
                                      uint32_t proc2)
{
    uint32_t info = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_ENTRY_INTR_INFO);
    if (!(info & VMX_INTR_INFO_VALID))
        return VMX_CHECK_OK;
    unsigned type = (info & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT;
    unsigned vector = info & VMX_INTR_INFO_VECTOR_MASK;
    /* Type 1 is reserved everywhere; 7 (other event) without the monitor trap
     * flag, which the model does not offer. */
    bool mtf = (caps->procbased >> 32) & VMX_PROC_MONITOR_TRAP_FLAG;
    if (type == 1 || (type == VMX_INTR_TYPE_OTHER_EVENT && !mtf))
        return VMX_CHECK_INJECT_TYPE;
    if ((type == VMX_INTR_TYPE_NMI && vector != 2) ||
        (type == VMX_INTR_TYPE_HW_EXCEPTION && vector > 31) ||
        (type == VMX_INTR_TYPE_OTHER_EVENT && vector != 0))
        return VMX_CHECK_INJECT_VECTOR;

    bool ug = proc2 & VMX_PROC2_UNRESTRICTED_GUEST;
    bool pe = vmcs_get(vmcs, VMCS_GUEST_CR0) & CR0_PE;
    bool has_code = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
    bool want = (!ug || pe) && type == VMX_INTR_TYPE_HW_EXCEPTION && has_code;
    if (!!(info & VMX_INTR_INFO_DELIVER_ERROR_CODE) != want)
        return VMX_CHECK_INJECT_DELIVER_ERROR_CODE;
    if (info & 0x7ffff000u)
        return VMX_CHECK_INJECT_RESERVED;
    if ((info & VMX_INTR_INFO_DELIVER_ERROR_CODE) &&
        (vmcs_get(vmcs, VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff8000u))
        return VMX_CHECK_INJECT_ERROR_CODE;
    if (type == VMX_INTR_TYPE_SW_INTR || type == VMX_INTR_TYPE_PRIV_SW_EXCEPTION ||
        type == VMX_INTR_TYPE_SW_EXCEPTION) {
        uint64_t len = vmcs_get(vmcs, VMCS_CTRL_ENTRY_INSTRUCTION_LEN);
        bool zero_ok = caps->misc & (1u << 30);
        if (len > 15 || (len == 0 && !zero_ok))
            return VMX_CHECK_INJECT_INSTRUCTION_LEN;
    }
    return VMX_CHECK_OK;
}

static enum vmx_check check_controls(const uint8_t *vmcs, const struct vmx_caps *caps)
{
    uint32_t pin = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_PIN_BASED);
    uint32_t proc = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_PROC_BASED);
    uint32_t proc2 = vmx_proc2(vmcs);
    uint32_t exit = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_EXIT);
    uint32_t entry = (uint32_t)vmcs_get(vmcs, VMCS_CTRL_ENTRY);

    /* 26.2.1.1. With IA32_VMX_BASIC[55] set the CPU checks the TRUE MSRs. */
    if (!vmx_caps_ctls_valid(caps->true_pinbased, pin))
        return VMX_CHECK_PIN_CTLS;
    if (!vmx_caps_ctls_valid(caps->true_procbased, proc))
        return VMX_CHECK_PROC_CTLS;
    if (!vmx_caps_ctls_valid(caps->procbased2, proc2))
        return VMX_CHECK_PROC2_CTLS;
    if (vmcs_get(vmcs, VMCS_CTRL_CR3_TARGET_COUNT) > ((caps->misc >> 16) & 0x1ff))
        return VMX_CHECK_CR3_TARGET_COUNT;
    if ((proc & VMX_PROC_USE_IO_BITMAPS) &&
        (!bitmap_addr_ok(caps, vmcs_get(vmcs, VMCS_CTRL_IO_BITMAP_A)) ||
         !bitmap_addr_ok(caps, vmcs_get(vmcs, VMCS_CTRL_IO_BITMAP_B))))
        return VMX_CHECK_IO_BITMAP_ADDR;
    if ((proc & VMX_PROC_USE_MSR_BITMAPS) &&
        !bitmap_addr_ok(caps, vmcs_get(vmcs, VMCS_CTRL_MSR_BITMAP)))
        return VMX_CHECK_MSR_BITMAP_ADDR;
    if ((pin & VMX_PIN_VIRTUAL_NMIS) && !(pin & VMX_PIN_NMI_EXITING))
        return VMX_CHECK_VIRTUAL_NMIS;
    if ((proc & VMX_PROC_NMI_WINDOW_EXITING) && !(pin & VMX_PIN_VIRTUAL_NMIS))
        return VMX_CHECK_NMI_WINDOW;
    if ((proc2 & VMX_PROC2_ENABLE_VPID) && vmcs_get(vmcs, VMCS_CTRL_VPID) == 0)
        return VMX_CHECK_VPID_ZERO;
    if ((proc2 & VMX_PROC2_ENABLE_EPT) && !ept_eptp_valid(caps, vmcs_get(vmcs, VMCS_CTRL_EPTP)))
        return VMX_CHECK_EPTP;
    if ((proc2 & VMX_PROC2_UNRESTRICTED_GUEST) && !(proc2 & VMX_PROC2_ENABLE_EPT))
        return VMX_CHECK_UG_WITHOUT_EPT;

    /* 26.2.1.2 */
    if (!vmx_caps_ctls_valid(caps->true_exit, exit))
        return VMX_CHECK_EXIT_CTLS;
    if ((exit & VMX_EXIT_SAVE_PREEMPTION_TIMER) && !(pin & VMX_PIN_PREEMPTION_TIMER))
        return VMX_CHECK_SAVE_TIMER;
    if (!msr_area_ok(caps, vmcs_get(vmcs, VMCS_CTRL_EXIT_MSR_STORE_ADDR),
                     (uint32_t)vmcs_get(vmcs, VMCS_CTRL_EXIT_MSR_STORE_COUNT)))
        return VMX_CHECK_EXIT_MSR_STORE_ADDR;
    if (!msr_area_ok(caps, vmcs_get(vmcs, VMCS_CTRL_EXIT_MSR_LOAD_ADDR),
                     (uint32_t)vmcs_get(vmcs, VMCS_CTRL_EXIT_MSR_LOAD_COUNT)))
        return VMX_CHECK_EXIT_MSR_LOAD_ADDR;

    /* 26.2.1.3 */
    if (!vmx_caps_ctls_valid(caps->true_entry, entry))
        return VMX_CHECK_ENTRY_CTLS;
    enum vmx_check c = check_injection(vmcs, caps, proc2);
    if (c != VMX_CHECK_OK)
        return c;
    if (!msr_area_ok(caps, vmcs_get(vmcs, VMCS_CTRL_ENTRY_MSR_LOAD_ADDR),
                     (uint32_t)vmcs_get(vmcs, VMCS_CTRL_ENTRY_MSR_LOAD_COUNT)))
        return VMX_CHECK_ENTRY_MSR_LOAD_ADDR;
    return VMX_CHECK_OK;
}

struct vmx_check_failure vmx_check_controls(const uint8_t *vmcs, const struct vmx_entry_env *env)
{
    return vmx_fail(check_controls(vmcs, env->caps), VMX_SEG_NONE);
}

/* 26.2.2: host control registers and MSRs. */
static enum vmx_check check_host_regs(const uint8_t *vmcs, const struct vmx_caps *caps,
                                      bool host64)
{
    if (!vmx_caps_cr_valid(caps->cr0_fixed0, caps->cr0_fixed1, vmcs_get(vmcs, VMCS_HOST_CR0), 0))
        return VMX_CHECK_HOST_CR0;
    if (!vmx_caps_cr_valid(caps->cr4_fixed0, caps->cr4_fixed1, vmcs_get(vmcs, VMCS_HOST_CR4), 0))
        return VMX_CHECK_HOST_CR4;
    if (!vmx_phys_ok(caps, vmcs_get(vmcs, VMCS_HOST_CR3)))
        return VMX_CHECK_HOST_CR3;
    if (!vmx_canonical(vmcs_get(vmcs, VMCS_HOST_SYSENTER_ESP)) ||
        !vmx_canonical(vmcs_get(vmcs, VMCS_HOST_SYSENTER_EIP)))
        return VMX_CHECK_HOST_SYSENTER;
    if (vmcs_get(vmcs, VMCS_CTRL_EXIT) & VMX_EXIT_LOAD_EFER) {
        uint64_t efer = vmcs_get(vmcs, VMCS_HOST_EFER);
        if (efer & ~VMX_EFER_VALID)
            return VMX_CHECK_HOST_EFER_RESERVED;
        if (!!(efer & EFER_LMA) != host64 || !!(efer & EFER_LME) != host64)
            return VMX_CHECK_HOST_EFER_LMA_LME;
    }
    if ((vmcs_get(vmcs, VMCS_CTRL_EXIT) & VMX_EXIT_LOAD_PAT) && !vmx_pat_valid(vmcs_get(vmcs, VMCS_HOST_PAT)))
        return VMX_CHECK_HOST_PAT;
    return VMX_CHECK_OK;
}

struct vmx_check_failure vmx_check_host(const uint8_t *vmcs, const struct vmx_entry_env *env)
{
    const struct vmx_caps *caps = env->caps;
    bool host64 = vmcs_get(vmcs, VMCS_CTRL_EXIT) & VMX_EXIT_HOST_ADDR_SPACE_SIZE;
    bool guest64 = vmcs_get(vmcs, VMCS_CTRL_ENTRY) & VMX_ENTRY_IA32E_MODE_GUEST;

    enum vmx_check c = check_host_regs(vmcs, caps, host64);
    if (c != VMX_CHECK_OK)
        return vmx_fail(c, VMX_SEG_NONE);

    /* 26.2.3: selectors of ES, CS, SS, DS, FS, GS (0x0c00 + 2 * seg) and TR. */
    for (int seg = VMX_SEG_ES; seg <= VMX_SEG_TR; seg++) {
        if (seg == VMX_SEG_LDTR)
            continue; /* the host state has no LDTR */
        uint32_t enc = seg == VMX_SEG_TR ? VMCS_HOST_TR_SELECTOR : VMCS_HOST_ES_SELECTOR + 2u * seg;
        if (vmcs_get(vmcs, enc) & 7)
            return vmx_fail(VMX_CHECK_HOST_SELECTOR, (enum vmx_seg)seg);
    }
    if (vmcs_get(vmcs, VMCS_HOST_CS_SELECTOR) == 0)
        return vmx_fail(VMX_CHECK_HOST_CS_NULL, VMX_SEG_NONE);
    if (vmcs_get(vmcs, VMCS_HOST_TR_SELECTOR) == 0)
        return vmx_fail(VMX_CHECK_HOST_TR_NULL, VMX_SEG_NONE);
    if (!host64 && vmcs_get(vmcs, VMCS_HOST_SS_SELECTOR) == 0)
        return vmx_fail(VMX_CHECK_HOST_SS_NULL, VMX_SEG_NONE);
    static const uint32_t bases[] = { VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE, VMCS_HOST_TR_BASE,
                                      VMCS_HOST_GDTR_BASE, VMCS_HOST_IDTR_BASE };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (!vmx_canonical(vmcs_get(vmcs, bases[i])))
            return vmx_fail(VMX_CHECK_HOST_BASE, VMX_SEG_NONE);

    /* 26.2.4: address-space size. */
    uint64_t cr4 = vmcs_get(vmcs, VMCS_HOST_CR4);
    uint64_t rip = vmcs_get(vmcs, VMCS_HOST_RIP);
    if (!env->cpu_ia32e && (guest64 || host64))
        return vmx_fail(VMX_CHECK_HOST_ADDR_SPACE_LEGACY, VMX_SEG_NONE);
    if (env->cpu_ia32e && !host64)
        return vmx_fail(VMX_CHECK_HOST_ADDR_SPACE_IA32E, VMX_SEG_NONE);
    /* "Host address-space size clear needs IA-32e mode guest clear" follows from
     * the two rules above, so it has no rule of its own. */
    if (!host64) {
        if (cr4 & CR4_PCIDE)
            return vmx_fail(VMX_CHECK_HOST_32BIT_PCIDE, VMX_SEG_NONE);
        if (rip >> 32)
            return vmx_fail(VMX_CHECK_HOST_32BIT_RIP, VMX_SEG_NONE);
    } else {
        if (!(cr4 & CR4_PAE))
            return vmx_fail(VMX_CHECK_HOST_64BIT_PAE, VMX_SEG_NONE);
        if (!vmx_canonical(rip))
            return vmx_fail(VMX_CHECK_HOST_64BIT_RIP, VMX_SEG_NONE);
    }
    return VMX_PASS;
}

void vmx_entry_check(const uint8_t *vmcs, const struct vmx_entry_env *env,
                     struct vmx_entry_result *res)
{
    *res = (struct vmx_entry_result){ .fail = vmx_check_controls(vmcs, env) };
    if (res->fail.check == VMX_CHECK_OK)
        res->fail = vmx_check_host(vmcs, env);
    if (res->fail.check == VMX_CHECK_OK)
        res->fail = vmx_check_guest(vmcs, env);
    switch (rules[res->fail.check].cls) {
    case VMX_CLASS_CONTROL:
        res->vm_error = VMXERR_ENTRY_INVALID_CONTROL_FIELD;
        break;
    case VMX_CLASS_HOST:
        res->vm_error = VMXERR_ENTRY_INVALID_HOST_STATE_FIELD;
        break;
    case VMX_CLASS_GUEST:
        res->exit_reason = EXIT_REASON_INVALID_GUEST_STATE | EXIT_REASON_ENTRY_FAILURE;
        res->exit_qualification = rules[res->fail.check].qual;
        break;
    case VMX_CLASS_NONE:
        break;
    }
}

enum vmx_check_class vmx_check_class_of(enum vmx_check c)
{
    return rules[c].cls;
}

const char *vmx_check_section(enum vmx_check c)
{
    return rules[c].section;
}

const char *vmx_check_text(enum vmx_check c)
{
    return rules[c].text;
}

const char *vmx_seg_name(enum vmx_seg seg)
{
    static const char *const names[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    return seg >= VMX_SEG_ES && seg <= VMX_SEG_TR ? names[seg] : "";
}

int vmx_check_format(struct vmx_check_failure f, char *buf, size_t size)
{
    if (f.check == VMX_CHECK_OK)
        return snprintf(buf, size, "%s", rules[f.check].text);
    if (f.seg == VMX_SEG_NONE)
        return snprintf(buf, size, "%s (SDM %s)", rules[f.check].text, rules[f.check].section);
    return snprintf(buf, size, "%s %s %s (SDM %s)",
                    rules[f.check].cls == VMX_CLASS_HOST ? "host" : "guest",
                    vmx_seg_name(f.seg), rules[f.check].text, rules[f.check].section);
}
