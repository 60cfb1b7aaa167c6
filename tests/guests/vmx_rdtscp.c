/* vmx_rdtscp: RDTSCP in VMX non-root operation, as a Linux guest under Xen uses
 * it (rdtsc_ordered, the pvclock): with the secondary control "enable RDTSCP"
 * clear it raises #UD (SDM 25.3; here through the exception bitmap, exit 0 with
 * vector 6); enabled with "RDTSC exiting" it exits with reason 51 and length 3
 * (25.1.3); enabled without it, it runs in the guest and returns the TSC plus
 * the VMCS's TSC offset and IA32_TSC_AUX in ECX (25.3). 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define TSC_AUX     0x5a5a1234u
#define TSC_OFFSET  0x0000100000000000ull   /* far ahead of any TSC this test reads */
static char guest_stack[8192] __attribute__((aligned(16)));
uint64_t g_tsc, g_aux;

extern char guest_rdtscp[], g_ud[], g_exit[], g_native[], g_done[];
asm(".text\n"
    "guest_rdtscp:\n"
    "g_ud:\n"
    "    rdtscp\n"                      /* 0f 01 f9: #UD while not enabled */
    "g_exit:\n"
    "    rdtscp\n"                      /* enabled, RDTSC exiting: exit 51 */
    "g_native:\n"
    "    rdtscp\n"                      /* enabled, no exiting: runs here */
    "    shl $32, %rdx\n"
    "    or %rdx, %rax\n"
    "    mov %rax, g_tsc(%rip)\n"
    "    mov %rcx, g_aux(%rip)\n"
    "g_done:\n"
    "    vmcall\n");

#define RIP(label) ((uintptr_t)(label))

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))guest_rdtscp, guest_stack + sizeof(guest_stack));
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_RDTSCP);
    if (!check(!missing, "\"enable RDTSCP\" allowed by IA32_VMX_PROCBASED_CTLS2 (missing %#x)", missing))
        test_finish();
    uint32_t proc = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY |
                                        VMX_PROC_TSC_OFFSETTING);
    vmw(VMCS_CTRL_PROC_BASED, proc);
    vmw(VMCS_CTRL_PROC_BASED2, 0);
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 1u << EXC_UD);

    test_section("RDTSCP without \"enable RDTSCP\": #UD (SDM 25.3)");
    vmx_expect_exit(&v, EXIT_REASON_EXCEPTION_NMI, RIP(g_ud), "RDTSCP exits with the #UD it raised");
    uint32_t info = (uint32_t)vmr(VMCS_EXIT_INTR_INFO);
    uint32_t want = VMX_INTR_INFO_VALID | VMX_INTR_TYPE_HW_EXCEPTION << VMX_INTR_INFO_TYPE_SHIFT | EXC_UD;
    check(info == want, "  interruption information %#x: valid, hardware exception, vector 6 (got %#x)", want, info);
    vmw(VMCS_GUEST_RIP, RIP(g_exit)); /* a fault has no instruction length: move on by hand */

    test_section("RDTSCP enabled, with RDTSC exiting: exit 51 (SDM 25.1.3)");
    vmw(VMCS_CTRL_PROC_BASED2, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_RDTSCP));
    vmw(VMCS_CTRL_PROC_BASED, proc | VMX_PROC_RDTSC_EXITING);
    vmx_expect_exit(&v, EXIT_REASON_RDTSCP, RIP(g_exit), "RDTSCP exits with reason 51");
    check(v.len == 3, "  VM-exit instruction length 3 (got %u)", v.len);
    vmx_skip(&v);

    test_section("RDTSCP enabled, no RDTSC exiting: TSC + offset, IA32_TSC_AUX (SDM 25.3)");
    vmw(VMCS_CTRL_PROC_BASED, proc);
    vmw(VMCS_CTRL_TSC_OFFSET, TSC_OFFSET);
    wrmsr(MSR_IA32_TSC_AUX, TSC_AUX);
    uint64_t before = rdtsc();
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_done), "RDTSCP runs in the guest, which goes on to VMCALL");
    uint64_t after = rdtsc();
    check(g_aux == TSC_AUX, "  ECX is IA32_TSC_AUX %#x (got %#llx)", TSC_AUX, (unsigned long long)g_aux);
    check(g_tsc > before + TSC_OFFSET && g_tsc < after + TSC_OFFSET,
          "  the TSC read is between the host's reads around the entry, plus the offset (got %#llx, host %#llx..%#llx)",
          (unsigned long long)g_tsc, (unsigned long long)before, (unsigned long long)after);
    test_finish();
}
