/* vmx_ctls2: the advertised VM-execution, exit and entry controls no other
 * test hypervisor sets: RDTSC exiting (exit 16), TSC offsetting (the guest's
 * RDTSC reads the host's TSC plus the offset), CR3-store exiting and the
 * CR3-target values (a MOV to CR3 of a target value does not exit, another
 * does), CR8-load and CR8-store exiting (exit 28, table 27-3) and, without
 * them, MOV to CR8 reaching the LAPIC TPR; "load debug controls" (DR7 and
 * IA32_DEBUGCTL from the VMCS), "save debug controls" (the guest's values back
 * into it, or not), and every exit leaving the host DR7 = 400H and
 * IA32_DEBUGCTL = 0; the VM-exit MSR-store and MSR-load lists. The guest shares the host's GDT, IDT and page tables (no
 * EPT). Intel SDM vol. 3C 24.6.2, 24.6.7, 25.1.3, 25.3, 26.3.2.1, 27.2.1,
 * 27.3.1, 27.5.1. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define TSC_OFFSET     (1ull << 38)
#define GUEST_DR7      0x700ull      /* GE, LE and the fixed bit 10: no breakpoint enabled */
#define GUEST_DR7_NEW  0x500ull      /* what the guest writes */
#define GUEST_DEBUGCTL 0x2ull        /* BTF */
#define DEBUGCTL_NEW   0x0ull

uint64_t tsc_seen, dr7_seen, debugctl_seen;
static char guest_stack[8192] __attribute__((aligned(16)));

extern char guest_c2[], g_rdtsc_exit[], g_rdtsc[], g_cr3_store[], g_cr3_target[], g_cr3_other[], g_cr8_load[],
    g_cr8_store[], g_cr8_native[], g_c2_done[], g_dbg[], g_dbg_done[], g_lstar[], g_lstar_done[];
asm(".text\n"
    "guest_c2:\n"
    "g_rdtsc_exit:\n"
    "    rdtsc\n"                               /* 0f 31: exits */
    "g_rdtsc:\n"
    "    rdtsc\n"                               /* no exiting: the offset applies */
    "    mov %eax, tsc_seen(%rip)\n"
    "    mov %edx, tsc_seen+4(%rip)\n"
    "g_cr3_store:\n"
    "    mov %cr3, %r10\n"                      /* 41 0f 20 da */
    "g_cr3_target:\n"
    "    mov %r10, %cr3\n"                      /* the host made R10 a target value: no exit */
    "    mov %r10, %r11\n"
    "    or $0x1000, %r11\n"
    "g_cr3_other:\n"
    "    mov %r11, %cr3\n"                      /* 41 0f 22 db: not a target, exits */
    "    mov $5, %eax\n"
    "g_cr8_load:\n"
    "    mov %rax, %cr8\n"                      /* 44 0f 22 c0 */
    "g_cr8_store:\n"
    "    mov %cr8, %rbx\n"                      /* 44 0f 20 c3 */
    "    mov $9, %ecx\n"
    "g_cr8_native:\n"
    "    mov %rcx, %cr8\n"                      /* no CR8 exiting: the TPR */
    "g_c2_done:\n"
    "    vmcall\n"
    "    jmp g_c2_done\n"
    "g_dbg:\n"
    "    mov %dr7, %rax\n"
    "    mov %rax, dr7_seen(%rip)\n"
    "    mov $0x1d9, %ecx\n"                    /* IA32_DEBUGCTL */
    "    rdmsr\n"
    "    mov %eax, debugctl_seen(%rip)\n"
    "    mov $0x500, %eax\n"
    "    mov %rax, %dr7\n"
    "    xor %eax, %eax\n"
    "    xor %edx, %edx\n"
    "    wrmsr\n"
    "g_dbg_done:\n"
    "    vmcall\n"
    "    jmp g_dbg_done\n"
    "g_lstar:\n"
    "    mov $0xc0000082, %ecx\n"              /* IA32_LSTAR */
    "    mov $0x89abcdef, %eax\n"
    "    mov $0xffff8000, %edx\n"
    "    wrmsr\n"
    "g_lstar_done:\n"
    "    vmcall\n"
    "    jmp g_lstar_done\n");

struct msr_entry {
    uint32_t index, reserved;
    uint64_t value;
};
#define GUEST_LSTAR 0xffff800089abcdefull
#define HOST_LSTAR  0xffffffff81000000ull

#define RIP(label) ((uintptr_t)(label))

static void check_qual(struct vmx_vcpu *v, uint64_t qual, const char *what)
{
    check(v->qual == qual, "  exit qualification %#llx: %s (got %#llx)", (unsigned long long)qual, what,
          (unsigned long long)v->qual);
}

static uint64_t read_dr7(void)
{
    uint64_t v;
    asm volatile("mov %%dr7, %0" : "=r"(v));
    return v;
}

static void debug_controls(struct vmx_vcpu *v)
{
    test_section("load and save debug controls; DR7 and IA32_DEBUGCTL after an exit (SDM 26.3.2.1, 27.3.1, 27.5.1)");
    uint32_t exit_ctl = (uint32_t)vmr(VMCS_CTRL_EXIT), entry_ctl = (uint32_t)vmr(VMCS_CTRL_ENTRY);
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_EXIT_CTLS, VMX_EXIT_SAVE_DEBUG_CONTROLS) |
                       vmx_missing_controls(MSR_IA32_VMX_ENTRY_CTLS, VMX_ENTRY_LOAD_DEBUG_CONTROLS);
    if (!check(!missing, "save debug controls (exit 2) and load debug controls (entry 2) allowed"))
        return;
    uint8_t *msr_bitmap = palloc(); /* all clear: RDMSR/WRMSR of IA32_DEBUGCTL run in the guest */
    vmw(VMCS_CTRL_MSR_BITMAP, (uintptr_t)msr_bitmap);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_USE_MSR_BITMAPS));
    vmw(VMCS_CTRL_EXIT, exit_ctl | VMX_EXIT_SAVE_DEBUG_CONTROLS);
    vmw(VMCS_CTRL_ENTRY, entry_ctl | VMX_ENTRY_LOAD_DEBUG_CONTROLS);
    vmw(VMCS_GUEST_DR7, GUEST_DR7);
    vmw(VMCS_GUEST_DEBUGCTL, GUEST_DEBUGCTL);
    vmx_goto(v, (void (*)(void))g_dbg, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_expect_exit(v, EXIT_REASON_VMCALL, RIP(g_dbg_done), "the guest reads and writes DR7 and IA32_DEBUGCTL");
    check(dr7_seen == GUEST_DR7, "  the entry loaded the guest DR7 %#llx (got %#llx)", GUEST_DR7,
          (unsigned long long)dr7_seen);
    check(debugctl_seen == GUEST_DEBUGCTL, "  and the guest IA32_DEBUGCTL %#llx (got %#llx)", GUEST_DEBUGCTL,
          (unsigned long long)debugctl_seen);
    check(vmr(VMCS_GUEST_DR7) == GUEST_DR7_NEW, "  the exit saved the guest's DR7 %#llx (got %#llx)",
          GUEST_DR7_NEW, (unsigned long long)vmr(VMCS_GUEST_DR7));
    check(vmr(VMCS_GUEST_DEBUGCTL) == DEBUGCTL_NEW, "  and its IA32_DEBUGCTL %#llx (got %#llx)", DEBUGCTL_NEW,
          (unsigned long long)vmr(VMCS_GUEST_DEBUGCTL));
    uint64_t dr7 = read_dr7();
    check(dr7 == 0x400, "  the host's DR7 after the exit is 0x400 (got %#llx)", (unsigned long long)dr7);

    /* Without "save debug controls" the fields keep what the host wrote. */
    vmw(VMCS_CTRL_EXIT, exit_ctl & ~VMX_EXIT_SAVE_DEBUG_CONTROLS);
    vmw(VMCS_GUEST_DR7, GUEST_DR7);
    vmw(VMCS_GUEST_DEBUGCTL, GUEST_DEBUGCTL);
    vmx_goto(v, (void (*)(void))g_dbg, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_expect_exit(v, EXIT_REASON_VMCALL, RIP(g_dbg_done), "the same with save debug controls clear");
    check(vmr(VMCS_GUEST_DR7) == GUEST_DR7 && vmr(VMCS_GUEST_DEBUGCTL) == GUEST_DEBUGCTL,
          "  guest DR7 and IA32_DEBUGCTL fields unchanged (got %#llx, %#llx)", (unsigned long long)vmr(VMCS_GUEST_DR7),
          (unsigned long long)vmr(VMCS_GUEST_DEBUGCTL));
    uint64_t debugctl = rdmsr(MSR_IA32_DEBUGCTL);
    check(debugctl == 0, "  the host's IA32_DEBUGCTL after the exit is 0 (got %#llx)", (unsigned long long)debugctl);
    vmw(VMCS_CTRL_EXIT, exit_ctl);
    vmw(VMCS_CTRL_ENTRY, entry_ctl);
}

static void exit_msr_lists(struct vmx_vcpu *v)
{
    test_section("VM-exit MSR-store and MSR-load lists (SDM 24.7.2, 27.4, 27.6)");
    struct msr_entry *store = palloc(), *load = palloc();
    store[0] = (struct msr_entry){ MSR_IA32_LSTAR, 0, 0 };
    load[0] = (struct msr_entry){ MSR_IA32_LSTAR, 0, HOST_LSTAR };
    vmw(VMCS_CTRL_EXIT_MSR_STORE_ADDR, (uintptr_t)store);
    vmw(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 1);
    vmw(VMCS_CTRL_EXIT_MSR_LOAD_ADDR, (uintptr_t)load);
    vmw(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 1);
    vmx_goto(v, (void (*)(void))g_lstar, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_expect_exit(v, EXIT_REASON_VMCALL, RIP(g_lstar_done), "the guest writes IA32_LSTAR (MSR bitmap clear)");
    check(store[0].value == GUEST_LSTAR, "  the exit stored the guest's IA32_LSTAR %#llx in the list (got %#llx)",
          GUEST_LSTAR, (unsigned long long)store[0].value);
    uint64_t lstar = rdmsr(MSR_IA32_LSTAR);
    check(lstar == HOST_LSTAR, "  and loaded the host's %#llx from the other list (got %#llx)", HOST_LSTAR,
          (unsigned long long)lstar);
    vmw(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 0);
    vmw(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 0);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    lapic_enable();

    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))guest_c2, guest_stack + sizeof(guest_stack));
    uint32_t want = VMX_PROC_RDTSC_EXITING | VMX_PROC_TSC_OFFSETTING | VMX_PROC_CR3_STORE_EXITING |
                    VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING;
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, want);
    if (!check(!missing, "RDTSC exiting, TSC offsetting, CR3 and CR8 load/store exiting allowed (missing %#x)",
               missing))
        test_finish();
    uint32_t proc = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, want);
    vmw(VMCS_CTRL_PROC_BASED, proc);
    vmw(VMCS_CTRL_TSC_OFFSET, TSC_OFFSET);

    test_section("RDTSC exiting and TSC offsetting (SDM 25.1.3, 25.3)");
    vmx_expect_exit(&v, EXIT_REASON_RDTSC, RIP(g_rdtsc_exit), "RDTSC with RDTSC exiting");
    check(v.len == 2, "  VM-exit instruction length 2 (got %u)", v.len);
    vmx_skip(&v);
    vmw(VMCS_CTRL_PROC_BASED, proc & ~VMX_PROC_RDTSC_EXITING);
    uint64_t cr3 = read_cr3();
    vmw(VMCS_CTRL_CR3_TARGET_COUNT, 1);
    vmw(VMCS_CTRL_CR3_TARGET_VALUE0, cr3);
    uint64_t t0 = rdtsc();
    vmx_expect_exit(&v, EXIT_REASON_CR_ACCESS, RIP(g_cr3_store), "MOV R10, CR3 with CR3-store exiting");
    uint64_t t1 = rdtsc();
    check(tsc_seen >= t0 + TSC_OFFSET && tsc_seen <= t1 + TSC_OFFSET,
          "  the guest's RDTSC read the host's TSC plus the offset %#llx: %#llx in [%#llx, %#llx]", TSC_OFFSET,
          (unsigned long long)tsc_seen, (unsigned long long)(t0 + TSC_OFFSET), (unsigned long long)(t1 + TSC_OFFSET));

    test_section("CR3-store exiting and CR3-target values (SDM 24.6.7, 25.1.3, table 27-3)");
    check_qual(&v, 3 | 1 << 4 | 10 << 8, "CR3, MOV from CR (type 1), R10");
    v.regs.r10 = cr3;
    vmx_skip(&v);
    vmx_expect_exit(&v, EXIT_REASON_CR_ACCESS, RIP(g_cr3_other),
                    "MOV to CR3 of target value 0 ran in the guest; of another value it exits");
    check_qual(&v, 3 | 0 << 4 | 11 << 8, "CR3, MOV to CR (type 0), R11");
    vmx_skip(&v); /* the host declines the new CR3 */

    test_section("CR8-load and CR8-store exiting (SDM 25.1.3, table 27-3)");
    vmx_expect_exit(&v, EXIT_REASON_CR_ACCESS, RIP(g_cr8_load), "MOV CR8, RAX with CR8-load exiting");
    check_qual(&v, 8 | 0 << 4 | 0 << 8, "CR8, MOV to CR, RAX");
    check(v.len == 4, "  VM-exit instruction length 4 (got %u)", v.len);
    vmx_skip(&v);
    vmx_expect_exit(&v, EXIT_REASON_CR_ACCESS, RIP(g_cr8_store), "MOV RBX, CR8 with CR8-store exiting");
    check_qual(&v, 8 | 1 << 4 | 3 << 8, "CR8, MOV from CR, RBX");
    vmx_skip(&v);
    vmw(VMCS_CTRL_PROC_BASED, proc & ~(VMX_PROC_RDTSC_EXITING | VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING));
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_c2_done), "MOV CR8, RCX without CR8 exiting runs in the guest");
    uint32_t tpr = lapic_read(LAPIC_TPR);
    check(tpr == 0x90, "  it set the LAPIC TPR to 0x90 (got %#x)", tpr);
    lapic_write(LAPIC_TPR, 0);
    vmw(VMCS_CTRL_CR3_TARGET_COUNT, 0);

    debug_controls(&v);
    exit_msr_lists(&v);
    test_finish();
}
