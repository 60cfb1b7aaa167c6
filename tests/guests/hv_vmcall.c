/* hv_vmcall: VMCALL hypercalls in known numbers from two VMX guests (two VMCSs),
 * as Xen's HVM and PVH guests call it (RAX = number), for hvsim's hypervisor
 * awareness (docs/hv.md, tests/hv/). Like hv_hcalls it carries Xen's banner
 * signature, so `hvsim boot --hv` takes it for Xen. Guest A makes 4 hvm_op and
 * 3 xen_version calls; guest B 6 event_channel_op and 2 sched_op, each after a
 * CPUID exit with RAX = 32 that is no hypercall. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

__attribute__((used)) static const char xen_signature[] =
    "Xen version %d.%d%s (\0" "4.17-hvsim-test\0" "gcc (hvsim test kernel, not Xen)";

enum { HC_XEN_VERSION = 17, HC_SCHED_OP = 29, HC_EVTCHN_OP = 32, HC_HVM_OP = 34 };

static char stack_a[8192] __attribute__((aligned(16))), stack_b[8192] __attribute__((aligned(16)));

extern char guest_a[], guest_b[];
asm(".text\n"
    "guest_a:\n"
    "    vmcall\n"
    "    jmp guest_a\n"
    "guest_b:\n"
    "    cpuid\n"
    "    vmcall\n"
    "    jmp guest_b\n");

static unsigned calls;

/* One hypercall of guest v: RAX = nr at VM entry, a VMCALL exit, RIP moved on. */
static void hypercall(struct vmx_vcpu *v, uint64_t nr, int after_cpuid)
{
    vmptrld(v->vmcs);
    if (after_cpuid) {
        v->regs.rax = HC_EVTCHN_OP; /* a CPUID leaf that looks like a hypercall number */
        if (!vmx_check_exit(v, EXIT_REASON_CPUID, 0, "a CPUID exit"))
            test_finish();
        vmx_skip(v);
    }
    v->regs.rax = nr;
    if (!vmx_check_exit(v, EXIT_REASON_VMCALL, 0, "a VMCALL exit"))
        test_finish();
    vmx_skip(v);
    calls++;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on, two guests");
    vmx_start();
    struct vmx_vcpu a, b;
    vmx_vcpu_init(&a, (void (*)(void))guest_a, stack_a + sizeof(stack_a));
    vmx_vcpu_init(&b, (void (*)(void))guest_b, stack_b + sizeof(stack_b));

    test_section("hypercalls by VMCALL, interleaved between the guests");
    for (int i = 0; i < 4; i++)
        hypercall(&a, HC_HVM_OP, 0);
    for (int i = 0; i < 6; i++)
        hypercall(&b, HC_EVTCHN_OP, 1);
    for (int i = 0; i < 3; i++)
        hypercall(&a, HC_XEN_VERSION, 0);
    for (int i = 0; i < 2; i++)
        hypercall(&b, HC_SCHED_OP, 1);
    check(calls == 15, "15 VMCALL exits taken (%u)", calls);
    test_finish();
}
