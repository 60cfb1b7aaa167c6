/* vmx_ctls: the VM-execution controls Xen 4.17 requires of a CPU before it
 * enables HVM (its vmx_init_vmcs_config minimum) beyond those vmx_exits tests:
 * MOV-DR exiting (exit 29, qualification of table 27-4), MONITOR and MWAIT
 * exiting (exits 39 and 36), NMI exiting (exit 0 with NMI interruption
 * information, held back by blocking by NMI in the interruptibility state
 * until the guest's IRET), and with virtual NMIs, NMI-window exiting (exit 8
 * once the guest's IRET ends virtual-NMI blocking) while a real NMI still
 * exits; INVEPT runs with CR0.TS set (no #NM); IA32_PAT is loaded on entry
 * and saved and loaded on exit, and checked on entry. The guest shares the host's GDT, IDT and page tables (no EPT) and
 * sends itself NMIs through the local APIC's ICR. Intel SDM vol. 3C 24.6.1-
 * 24.6.2 (the controls), 25.1.3 and 25.2-25.3 (what exits), 27.2.1-27.2.2
 * (exit information), 24.4.2 (interruptibility state). 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define ICR_SELF_NMI   ((1u << 18) | (4u << 8))   /* shorthand self, delivery mode NMI */
#define NMI_INFO       (VMX_INTR_INFO_VALID | VMX_INTR_TYPE_NMI << VMX_INTR_INFO_TYPE_SHIFT | 2)
#define DR7_VALUE      0x400ull   /* DR7 with only its fixed bit 10 */

uint64_t dr7_native, pat_seen;
#define GUEST_PAT      0x0006050400070106ull   /* WB WC WT UC | UC- WP WB (bytes 0-7: 06 01 07 00 04 05 06 00) */
#define GUEST_PAT_BAD  0x0006050400070206ull   /* entry 1 = 2: a reserved memory type */
#define GUEST_PAT_NEW  0x0007000401050406ull   /* what the guest writes */
#define HOST_PAT       0x0001050400070406ull   /* the power-on entries 0-3, then WP WT WC UC */
static char guest_stack[8192] __attribute__((aligned(16)));

/* The guest. Labels mark where the host expects exits. iret_self: an IRETQ
 * to the next instruction (it ends blocking by NMI, SDM vol. 3A 6.7.1). */
extern char guest_ctls[], g_mov_to_dr7[], g_mov_from_dr3[], g_dr_native[], g_monitor[], g_mwait[],
    g_nmi_sent[], g_nmi_spin_end[], g_blocked_sent[], g_blocked_iret[], g_after_iret1[], g_blocked_spin_end[],
    g_vnmi_iret[], g_after_iret2[], g_vnmi_sent[], g_vnmi_spin_end[], g_done[], g_pat[], g_pat_done[],
    host_iret_self[];
asm(".text\n"
    ".macro iret_self\n"
    "    mov %ss, %eax\n"
    "    push %rax\n"
    "    lea 8(%rsp), %rax\n"
    "    push %rax\n"
    "    pushfq\n"
    "    mov %cs, %eax\n"
    "    push %rax\n"
    "    lea 9f(%rip), %rax\n"
    "    push %rax\n"
    "    iretq\n"
    "9:\n"
    ".endm\n"
    ".macro self_nmi\n"
    "    mov $0xfee00300, %eax\n"       /* xAPIC ICR, identity-mapped */
    "    movl $0x40400, (%rax)\n"
    ".endm\n"
    ".macro spin\n"
    "    mov $200, %ecx\n"
    "8:  dec %ecx\n"
    "    jnz 8b\n"
    ".endm\n"
    "guest_ctls:\n"
    "    mov $0x401, %ebx\n"
    "g_mov_to_dr7:\n"
    "    mov %rbx, %dr7\n"                  /* 0f 23 fb */
    "g_mov_from_dr3:\n"
    "    mov %dr3, %r9\n"                   /* 41 0f 21 d9 */
    "g_dr_native:\n"
    "    mov %dr7, %rax\n"                  /* MOV-DR exiting now clear: no exit */
    "    mov %rax, dr7_native(%rip)\n"
    "    xor %ecx, %ecx\n"
    "    xor %edx, %edx\n"
    "    lea guest_ctls(%rip), %rax\n"
    "g_monitor:\n"
    "    monitor\n"                         /* 0f 01 c8 */
    "    xor %eax, %eax\n"
    "g_mwait:\n"
    "    mwait\n"                           /* 0f 01 c9 */
    /* NMI exiting: the NMI exits at the next instruction boundary. */
    "    self_nmi\n"
    "g_nmi_sent:\n"
    "    spin\n"
    "g_nmi_spin_end:\n"
    "    vmcall\n"
    /* Entered with blocking by NMI: the NMI waits for the guest's IRET. */
    "    self_nmi\n"
    "g_blocked_sent:\n"
    "    spin\n"
    "g_blocked_iret:\n"
    "    iret_self\n"
    "g_after_iret1:\n"
    "    spin\n"
    "g_blocked_spin_end:\n"
    "    vmcall\n"
    /* Virtual NMIs and NMI-window exiting, entered with virtual-NMI blocking. */
    "    spin\n"
    "g_vnmi_iret:\n"
    "    iret_self\n"
    "g_after_iret2:\n"
    "    nop\n"
    /* Virtual-NMI blocking again (set by the host): a real NMI ignores it. */
    "    self_nmi\n"
    "g_vnmi_sent:\n"
    "    spin\n"
    "g_vnmi_spin_end:\n"
    "g_done:\n"
    "    vmcall\n"
    "    jmp g_done\n"
    /* IA32_PAT: read the PAT VM entry loaded, write another, exit. */
    "g_pat:\n"
    "    mov $0x277, %ecx\n"
    "    rdmsr\n"
    "    mov %eax, pat_seen(%rip)\n"
    "    mov %edx, pat_seen+4(%rip)\n"
    "    mov $0x01050406, %eax\n"
    "    mov $0x00070004, %edx\n"
    "    wrmsr\n"
    "g_pat_done:\n"
    "    vmcall\n"
    "    jmp g_pat_done\n"
    "host_iret_self:\n"
    "    iret_self\n"
    "    ret\n");

#define RIP(label) ((uintptr_t)(label))

static void check_len(struct vmx_vcpu *v, uint32_t len, const char *insn)
{
    check(v->len == len, "  VM-exit instruction length of %s is %u (got %u)", insn, len, v->len);
}

static void check_qual(struct vmx_vcpu *v, uint64_t qual, const char *what)
{
    check(v->qual == qual, "  exit qualification %#llx: %s (got %#llx)", (unsigned long long)qual, what,
          (unsigned long long)v->qual);
}

/* An NMI exit somewhere in [from, to): the NMI arrived while the guest ran there. */
static void expect_nmi_exit(struct vmx_vcpu *v, const char *from_name, char *from, char *to, const char *what)
{
    vmx_run(v);
    check(v->reason == EXIT_REASON_EXCEPTION_NMI, "%s: exit reason 0 (got %u)", what, v->reason);
    uint32_t info = (uint32_t)vmr(VMCS_EXIT_INTR_INFO);
    check(info == NMI_INFO, "  VM-exit interruption information %#x: valid, type NMI (2), vector 2 (got %#x)",
          NMI_INFO, info);
    check(v->rip >= RIP(from) && v->rip <= RIP(to), "  guest RIP %#llx at an instruction boundary after %s",
          (unsigned long long)v->rip, from_name);
    /* NMIs stay blocked after an NMI exit (25.3) until the host's IRET. */
    ((void (*)(void))host_iret_self)();
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    lapic_enable();

    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))guest_ctls, guest_stack + sizeof(guest_stack));
    uint32_t want = VMX_PROC_MOV_DR_EXITING | VMX_PROC_MONITOR_EXITING | VMX_PROC_MWAIT_EXITING;
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, want);
    if (!check(!missing, "MOV-DR, MONITOR and MWAIT exiting (%#x) allowed by IA32_VMX_TRUE_PROCBASED_CTLS "
               "(missing %#x)", want, missing))
        test_finish();
    uint32_t pin_want = VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS;
    missing = vmx_missing_controls(MSR_IA32_VMX_PINBASED_CTLS, pin_want);
    if (!check(!missing, "NMI exiting and virtual NMIs (%#x) allowed by IA32_VMX_TRUE_PINBASED_CTLS (missing %#x)",
               pin_want, missing))
        test_finish();
    missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_NMI_WINDOW_EXITING);
    if (!check(!missing, "NMI-window exiting allowed (missing %#x)", missing))
        test_finish();
    uint32_t proc = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, want);
    vmw(VMCS_CTRL_PROC_BASED, proc);
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, VMX_PIN_NMI_EXITING));

    test_section("MOV-DR exiting (SDM 25.1.3, table 27-4)");
    vmx_expect_exit(&v, EXIT_REASON_DR_ACCESS, RIP(g_mov_to_dr7), "MOV DR7, RBX with MOV-DR exiting");
    check_len(&v, 3, "MOV DR7, RBX (0f 23 fb)");
    check_qual(&v, 7 | 0 << 4 | 3 << 8, "DR7 (bits 2:0), MOV to DR (bit 4 = 0), RBX (bits 11:8 = 3)");
    vmw(VMCS_GUEST_DR7, DR7_VALUE); /* the host refuses the guest's L0 */
    vmx_skip(&v);
    vmx_expect_exit(&v, EXIT_REASON_DR_ACCESS, RIP(g_mov_from_dr3), "MOV R9, DR3");
    check_len(&v, 4, "MOV R9, DR3 (41 0f 21 d9)");
    check_qual(&v, 3 | 1 << 4 | 9 << 8, "DR3, MOV from DR (bit 4 = 1), R9 (bits 11:8 = 9)");
    check(v.regs.rbx == 0x401, "  guest RBX 0x401 is the value the guest wrote (got %#llx)",
          (unsigned long long)v.regs.rbx);
    vmx_skip(&v);
    vmw(VMCS_CTRL_PROC_BASED, proc & ~VMX_PROC_MOV_DR_EXITING);

    test_section("MONITOR and MWAIT exiting (SDM 25.1.3)");
    vmx_expect_exit(&v, EXIT_REASON_MONITOR, RIP(g_monitor), "MONITOR with MONITOR exiting");
    check(dr7_native == DR7_VALUE, "  with MOV-DR exiting clear MOV RAX, DR7 ran in the guest and read the "
          "VMCS's guest DR7 %#llx (got %#llx)", DR7_VALUE, (unsigned long long)dr7_native);
    check_len(&v, 3, "MONITOR (0f 01 c8)");
    check_qual(&v, 0, "none");
    vmx_skip(&v);
    vmx_expect_exit(&v, EXIT_REASON_MWAIT, RIP(g_mwait), "MWAIT with MWAIT exiting");
    check_len(&v, 3, "MWAIT (0f 01 c9)");
    check_qual(&v, 0, "bit 0 clear: the exiting MONITOR armed no monitoring hardware");
    vmx_skip(&v);

    test_section("NMI exiting (SDM 25.2, 25.3, 27.2.2)");
    expect_nmi_exit(&v, "the ICR write", g_nmi_sent, g_nmi_spin_end, "self-NMI with NMI exiting");
    check(!(vmr(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_NMI),
          "  interruptibility state: no blocking by NMI (got %#llx)",
          (unsigned long long)vmr(VMCS_GUEST_INTERRUPTIBILITY));
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_nmi_spin_end), "the guest runs on to its VMCALL");
    vmx_skip(&v);

    test_section("blocking by NMI in the interruptibility state (SDM 24.4.2, 6.7.1)");
    vmw(VMCS_GUEST_INTERRUPTIBILITY, VMX_INTERRUPTIBILITY_NMI);
    expect_nmi_exit(&v, "the guest's IRET", g_after_iret1, g_blocked_spin_end,
                    "entered with blocking by NMI, the self-NMI exits only after the guest's IRET");
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_blocked_spin_end), "the guest runs on to its VMCALL");
    vmx_skip(&v);

    test_section("virtual NMIs and NMI-window exiting (SDM 24.6.1, 25.2, 25.3)");
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, pin_want));
    vmw(VMCS_CTRL_PROC_BASED, (proc & ~VMX_PROC_MOV_DR_EXITING) | VMX_PROC_NMI_WINDOW_EXITING);
    vmw(VMCS_GUEST_INTERRUPTIBILITY, VMX_INTERRUPTIBILITY_NMI);
    vmx_expect_exit(&v, EXIT_REASON_NMI_WINDOW, RIP(g_after_iret2),
                    "entered with virtual-NMI blocking: the NMI window opens at the guest's IRET");
    check_len(&v, 0, "an NMI-window exit");
    check(!(vmr(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_NMI),
          "  interruptibility state: no virtual-NMI blocking after the IRET (got %#llx)",
          (unsigned long long)vmr(VMCS_GUEST_INTERRUPTIBILITY));
    /* Virtual-NMI blocking again: the window stays shut (the guest does no
     * more IRETs), and real NMIs do not heed it. */
    vmw(VMCS_GUEST_INTERRUPTIBILITY, VMX_INTERRUPTIBILITY_NMI);
    expect_nmi_exit(&v, "the ICR write", g_vnmi_sent, g_vnmi_spin_end,
                    "with virtual-NMI blocking a real NMI still exits");
    check(vmr(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_NMI,
          "  interruptibility state keeps virtual-NMI blocking (got %#llx)",
          (unsigned long long)vmr(VMCS_GUEST_INTERRUPTIBILITY));
    vmw(VMCS_CTRL_PROC_BASED, proc & ~VMX_PROC_MOV_DR_EXITING);
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_done), "the guest runs on to its final VMCALL");

    /* Xen keeps CR0.TS set (lazy FPU) when it flushes EPT at start-up. INVEPT
     * is no SSE instruction: TS does not matter (SDM 30.3 lists no #NM). An
     * #NM here ends the test in the default handler. */
    test_section("INVEPT with CR0.TS = 1 (SDM 30.3)");
    write_cr0(read_cr0() | CR0_TS);
    int r = invept(INVEPT_ALL_CONTEXT, 0);
    write_cr0(read_cr0() & ~(uint64_t)CR0_TS);
    check(r == VMX_OK, "INVEPT all-context with TS set: VMsucceed, no #NM (got %s)", vmx_result_str(r));

    /* Xen enables HAP (EPT) only with "load IA32_PAT" on entry (XSA-60). */
    test_section("load and save IA32_PAT (SDM 24.7.1, 24.8.1, 26.2.2, 26.3.1.1, 27.3.1, 27.5.1)");
    uint32_t pat_exit = VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT;
    missing = vmx_missing_controls(MSR_IA32_VMX_EXIT_CTLS, pat_exit) |
              vmx_missing_controls(MSR_IA32_VMX_ENTRY_CTLS, VMX_ENTRY_LOAD_PAT);
    if (!check(!missing, "exit controls save/load IA32_PAT and entry control load IA32_PAT allowed (missing %#x)",
               missing))
        test_finish();
    uint8_t *msr_bitmap = palloc(); /* all clear: RDMSR and WRMSR of IA32_PAT run in the guest */
    vmw(VMCS_CTRL_MSR_BITMAP, (uintptr_t)msr_bitmap);
    vmw(VMCS_CTRL_PROC_BASED, (proc & ~VMX_PROC_MOV_DR_EXITING) | VMX_PROC_USE_MSR_BITMAPS);
    vmw(VMCS_CTRL_EXIT, vmr(VMCS_CTRL_EXIT) | pat_exit);
    vmw(VMCS_CTRL_ENTRY, vmr(VMCS_CTRL_ENTRY) | VMX_ENTRY_LOAD_PAT);
    vmx_goto(&v, (void (*)(void))g_pat, guest_stack + sizeof(guest_stack), 2);
    vmw(VMCS_HOST_PAT, HOST_PAT);
    vmw(VMCS_GUEST_PAT, GUEST_PAT_BAD);
    vmx_check_exit(&v, EXIT_REASON_INVALID_GUEST_STATE | EXIT_REASON_ENTRY_FAILURE, 0,
                   "guest IA32_PAT entry 1 = 2 (reserved type): VM-entry failure, invalid guest state");
    /* A failed guest-state check loads the host state as an exit does (26.8). */
    check(rdmsr(MSR_IA32_PAT) == HOST_PAT, "  host IA32_PAT loaded by the failed entry: %#llx (got %#llx)", HOST_PAT,
          (unsigned long long)rdmsr(MSR_IA32_PAT));
    vmw(VMCS_GUEST_PAT, GUEST_PAT);
    vmw(VMCS_HOST_PAT, GUEST_PAT_BAD);
    r = vmx_enter(&v.regs, v.launched);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_ENTRY_INVALID_HOST_STATE_FIELD,
          "host IA32_PAT with a reserved type: VMfailValid(8) (got %s)", vmx_result_str(r));
    vmw(VMCS_HOST_PAT, HOST_PAT);
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_pat_done), "the guest reads and writes IA32_PAT");
    check(pat_seen == GUEST_PAT, "  the guest read the guest IA32_PAT the entry loaded, %#llx (got %#llx)",
          GUEST_PAT, (unsigned long long)pat_seen);
    check(vmr(VMCS_GUEST_PAT) == GUEST_PAT_NEW, "  the exit saved the PAT the guest wrote, %#llx (got %#llx)",
          GUEST_PAT_NEW, (unsigned long long)vmr(VMCS_GUEST_PAT));
    check(rdmsr(MSR_IA32_PAT) == HOST_PAT, "  the exit loaded the host IA32_PAT %#llx (got %#llx)", HOST_PAT,
          (unsigned long long)rdmsr(MSR_IA32_PAT));
    test_finish();
}
