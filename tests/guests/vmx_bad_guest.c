/* vmx_bad_guest: VM entries that must fail after the guest-state checks, as
 * VM-entry failure exits: exit reason 33 (invalid guest state) or 34 (MSR
 * loading) with bit 31 set, the exit qualification of 26.7, host state loaded
 * and the host continuing at HOST_RIP. One fault per entry: CS access rights
 * with L and D both set, a VMCS link pointer that is not all ones, RFLAGS bit 1
 * clear, an unsupported activity state, a non-canonical RIP, an entry MSR-load
 * list with an unknown MSR; then a wild EPT pointer (tables outside RAM). A
 * good entry at the end shows the machine is still sound. Intel SDM vol. 3C
 * 26.3.1 (guest-state checks), 26.4 (MSR loading), 26.7 (failures), 28.2.3.1;
 * docs/vmx.md for hvsim's reading of EPT tables outside RAM. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define MSR_UNKNOWN 0x12345
#define WILD_EPT_PML4 0x7ff0000000ull   /* below 2^39 (MAXPHYADDR), far beyond RAM */

static char guest_stack[4096] __attribute__((aligned(16)));
static void *stack_top = guest_stack + sizeof(guest_stack);
static struct vmx_vcpu v;
static uint64_t msr_area[4] __attribute__((aligned(16)));   /* two entries: index/reserved, value */
static volatile uint64_t host_canary;

extern char g_entry[];
asm(".text\n"
    "g_entry: vmcall\n"
    "         jmp g_entry\n");

/* Launches from a clear VMCS with `field` set to `bad`, expects a VM-entry
 * failure exit with `reason` and qualification `qual`, then restores the field. */
static void bad_entry(uint32_t field, uint64_t bad, uint32_t reason, uint64_t qual, const char *what)
{
    uint64_t good = vmr(field);
    int r = vmclear(v.vmcs);
    if (r == VMX_OK)
        r = vmptrld(v.vmcs);
    if (r != VMX_OK) {
        check(0, "%s: VMCLEAR + VMPTRLD failed: %s", what, vmx_result_str(r));
        test_finish();
    }
    v.launched = 0;
    v.regs.host_rsp = 0;
    vmw(field, bad);
    host_canary = 0xca7a11e5;
    uint64_t rsp_before;
    asm volatile("mov %%rsp, %0" : "=r"(rsp_before));
    if (vmx_check_exit(&v, reason | EXIT_REASON_ENTRY_FAILURE, 0, what)) {
        check(v.qual == qual, "  exit qualification %llu (got %#llx)", (unsigned long long)qual,
              (unsigned long long)v.qual);
        uint64_t rsp_after;
        asm volatile("mov %%rsp, %0" : "=r"(rsp_after));
        check(rsp_after == rsp_before && host_canary == 0xca7a11e5 && read_cs() == 0x08,
              "  the host continued at HOST_RIP on its own stack (RSP %#llx, CS %#x)", (unsigned long long)rsp_after,
              read_cs());
    }
    vmw(field, good);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    vmx_vcpu_init(&v, (void (*)(void))g_entry, stack_top);

    test_section("invalid guest state: exit reason 33 | bit 31 (SDM 26.3.1, 26.7)");
    bad_entry(VMCS_GUEST_CS_AR, 0xe09b, EXIT_REASON_INVALID_GUEST_STATE, 0,
              "guest CS access rights 0xe09b: L and D both set (26.3.1.2)");
    uint64_t not_vmcs = (uintptr_t)palloc();
    bad_entry(VMCS_LINK_POINTER, not_vmcs, EXIT_REASON_INVALID_GUEST_STATE, 4,
              "VMCS link pointer a zeroed page, not FFFFFFFF_FFFFFFFFH (26.3.1.5; qualification 4)");
    bad_entry(VMCS_GUEST_RFLAGS, 0, EXIT_REASON_INVALID_GUEST_STATE, 0, "guest RFLAGS 0: reserved bit 1 clear (26.3.1.4)");
    bad_entry(VMCS_GUEST_ACTIVITY_STATE, 2, EXIT_REASON_INVALID_GUEST_STATE, 0,
              "guest activity state 2 (shutdown), not in IA32_VMX_MISC[8:6] (26.3.1.5)");
    bad_entry(VMCS_GUEST_RIP, 0x0000800000000000ull, EXIT_REASON_INVALID_GUEST_STATE, 0,
              "guest RIP 0x0000800000000000, not canonical in 64-bit mode (26.3.1.4)");
    bad_entry(VMCS_GUEST_CR0, vmr(VMCS_GUEST_CR0) & ~(uint64_t)CR0_NE, EXIT_REASON_INVALID_GUEST_STATE, 0,
              "guest CR0.NE clear, fixed to 1 by IA32_VMX_CR0_FIXED0 (26.3.1.1)");

    test_section("MSR loading: exit reason 34 | bit 31 (SDM 26.4)");
    msr_area[0] = MSR_IA32_STAR;
    msr_area[1] = rdmsr(MSR_IA32_STAR);
    msr_area[2] = MSR_UNKNOWN;
    msr_area[3] = 0;
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_area);
    bad_entry(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 2, EXIT_REASON_MSR_LOADING, 2,
              "VM-entry MSR-load list whose entry 2 is MSR 0x12345 (qualification: 1-based index 2)");

    test_section("a wild EPT pointer (SDM 28.2.3.1; docs/vmx.md: tables outside RAM read as all ones)");
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY) |
                       vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_EPT);
    if (check(!missing, "enable EPT allowed")) {
        uint64_t proc = vmr(VMCS_CTRL_PROC_BASED);
        vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY));
        vmw(VMCS_CTRL_PROC_BASED2, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_EPT));
        vmw(VMCS_CTRL_EPTP, WILD_EPT_PML4 | EPTP_WB_4LEVEL);
        vmclear(v.vmcs);
        vmptrld(v.vmcs);
        v.launched = 0;
        v.regs.host_rsp = 0;
        /* The first guest-physical access is the guest's own page walk for
         * the fetch: PML4 entry 0 of the guest's CR3 (28.2.1). */
        uint64_t pml4e = (vmr(VMCS_GUEST_CR3) & ~0xfffull) + 8 * (((uintptr_t)g_entry >> 39) & 511);
        if (vmx_check_exit(&v, EXIT_REASON_EPT_MISCONFIG, (uintptr_t)g_entry,
                           "EPTP -> PML4 at 0x7ff0000000: the first access finds a misconfigured entry"))
            check(vmr(VMCS_GUEST_PHYSICAL_ADDRESS) == pml4e,
                  "  guest-physical address (0x2400) is the guest PML4 entry %#llx its page walk reads first "
                  "(got %#llx)", (unsigned long long)pml4e, (unsigned long long)vmr(VMCS_GUEST_PHYSICAL_ADDRESS));
        vmw(VMCS_CTRL_PROC_BASED, proc);
        vmw(VMCS_CTRL_PROC_BASED2, 0);
    }

    test_section("and a good entry after all that");
    int r = vmclear(v.vmcs), r2 = vmptrld(v.vmcs);
    check(r == VMX_OK && r2 == VMX_OK, "VMCLEAR (%s) and VMPTRLD (%s) of the launched VMCS at %#llx",
          vmx_result_str(r), vmx_result_str(r2), (unsigned long long)v.vmcs);
    v.launched = 0;
    v.regs.host_rsp = 0;
    vmw(VMCS_GUEST_RIP, (uintptr_t)g_entry);
    vmx_check_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_entry, "VMLAUNCH of the repaired VMCS: the guest's VMCALL");
    test_finish();
}
