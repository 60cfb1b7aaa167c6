/* vmx_events: timers, exceptions and interrupts around a 64-bit guest with its
 * own IDT: the VMX-preemption timer (value 0 exits before the first guest
 * instruction; value V after about V * 2^rate TSC cycles), the exception
 * bitmap (#UD exits, or goes to the guest's IDT), event injection on VM entry
 * (external interrupt, #GP with an error code, INT n with its instruction
 * length), external-interrupt exiting with and without acknowledge-interrupt-
 * on-exit (LAPIC timer), interrupt-window exiting after STI and its shadow,
 * and a guest triple fault. Intel SDM vol. 3C 24.6.1-24.6.3, 24.8.3, 24.9.2,
 * 25.2, 25.5.1, 26.5 (event injection), 26.6.4, 27.2.2, appendix C. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define VEC_GUEST_EXT  0x40     /* injected external interrupt */
#define VEC_GUEST_SOFT 0x21     /* injected software interrupt */
#define VEC_LAPIC      0x41     /* the host's LAPIC timer */
#define GP_ERROR_CODE  0x1234
#define TIMER_VALUE    1000
#define LAPIC_COUNT    20000
#define SPIN_BUDGET    200000000ull   /* TSC cycles a spinning guest waits before giving up */

/* Guest-side records, written by the guest's interrupt handlers. */
volatile uint32_t g_ud_count, g_gp_count, g_int21_count, g_ext_count;
volatile uint64_t g_gp_err, g_gp_rip, g_int21_rip, g_ext_rip, g_ext_rflags;
uint64_t spin_budget = SPIN_BUDGET;
static volatile unsigned host_ticks;
static char guest_stack[8192] __attribute__((aligned(16)));
static void *stack_top = guest_stack + sizeof(guest_stack);

extern char g_spin[], g_spin_timeout[], g_ud[], g_ud_done[], g_nop[], g_nop_done[], g_int21[], g_int21_done[],
    g_sti[], g_window[], g_window_done[], g_triple[], g_isr_ud[], g_isr_gp[], g_isr_21[], g_isr_40[];
asm(".text\n"
    /* Counts in R12 until SPIN_BUDGET TSC cycles have passed, then VMCALLs. */
    "g_spin:\n"
    "    rdtsc\n"
    "    shl $32, %rdx\n"
    "    or %rdx, %rax\n"
    "    mov %rax, %r13\n"
    "1:  inc %r12\n"
    "    rdtsc\n"
    "    shl $32, %rdx\n"
    "    or %rdx, %rax\n"
    "    sub %r13, %rax\n"
    "    cmp spin_budget(%rip), %rax\n"
    "    jb 1b\n"
    "g_spin_timeout:\n"
    "    vmcall\n"
    "g_ud:          ud2\n"
    "g_ud_done:     vmcall\n"
    "g_nop:         nop\n"
    "g_nop_done:    vmcall\n"
    "g_int21:       int $0x21\n"
    "g_int21_done:  vmcall\n"
    "g_sti:         sti\n"
    "               nop\n"              /* the STI shadow */
    "g_window:      nop\n"
    "g_window_done: vmcall\n"
    "g_triple:      lidt g_empty_idtr(%rip)\n"
    "               ud2\n"
    "g_empty_idtr:  .word 0\n"
    "               .quad 0\n"
    /* The guest's interrupt handlers (frame: RIP, CS, RFLAGS, RSP, SS). */
    "g_isr_ud:\n"
    "    incl g_ud_count(%rip)\n"
    "    addq $2, (%rsp)\n"                 /* past the UD2 */
    "    iretq\n"
    "g_isr_gp:\n"
    "    push %rax\n"
    "    mov 8(%rsp), %rax\n"               /* error code */
    "    mov %rax, g_gp_err(%rip)\n"
    "    mov 16(%rsp), %rax\n"
    "    mov %rax, g_gp_rip(%rip)\n"
    "    incl g_gp_count(%rip)\n"
    "    pop %rax\n"
    "    add $8, %rsp\n"
    "    iretq\n"
    "g_isr_21:\n"
    "    push %rax\n"
    "    mov 8(%rsp), %rax\n"
    "    mov %rax, g_int21_rip(%rip)\n"
    "    incl g_int21_count(%rip)\n"
    "    pop %rax\n"
    "    iretq\n"
    "g_isr_40:\n"
    "    push %rax\n"
    "    mov 8(%rsp), %rax\n"
    "    mov %rax, g_ext_rip(%rip)\n"
    "    mov 24(%rsp), %rax\n"
    "    mov %rax, g_ext_rflags(%rip)\n"
    "    incl g_ext_count(%rip)\n"
    "    pop %rax\n"
    "    iretq\n");

struct gate64 {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, reserved;
};
static struct gate64 guest_idt[256] __attribute__((aligned(16)));

static void guest_gate(int vec, char *handler)
{
    uintptr_t off = (uintptr_t)handler;
    guest_idt[vec] = (struct gate64){ .off_lo = off & 0xffff, .sel = read_cs(), .type = 0x8e,  /* P, DPL 0, interrupt gate */
                                      .off_mid = off >> 16 & 0xffff, .off_hi = off >> 32 };
}

static void on_host_timer(struct trapframe *tf)
{
    (void)tf;
    host_ticks++;
    lapic_eoi();
}

/* Each step starts afresh at `rip`. CS is reset too, so that a bad saved CS
 * (checked once, after the guest's first IRETQ) does not fail every later entry. */
static void run_at(struct vmx_vcpu *v, char *rip, uint64_t rflags)
{
    vmx_goto(v, (void (*)(void))rip, stack_top, rflags);
    vmw(VMCS_GUEST_CS_AR, 0xa09b);
}

static void check_injection_consumed(void)
{
    uint32_t info = (uint32_t)vmr(VMCS_CTRL_ENTRY_INTR_INFO);
    check(!(info & VMX_INTR_INFO_VALID), "  the exit cleared the valid bit of the VM-entry interruption information "
          "(24.8.3; now %#x)", info);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PINBASED_CTLS, VMX_PIN_PREEMPTION_TIMER | VMX_PIN_EXT_INTR_EXITING) |
                       vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_INTR_WINDOW_EXITING) |
                       vmx_missing_controls(MSR_IA32_VMX_EXIT_CTLS, VMX_EXIT_ACK_INTR_ON_EXIT);
    if (!check(!missing, "preemption timer, external-interrupt exiting, interrupt-window exiting and acknowledge "
               "interrupt on exit are allowed by the capability MSRs"))
        test_finish();

    guest_gate(EXC_UD, g_isr_ud);
    guest_gate(EXC_GP, g_isr_gp);
    guest_gate(VEC_GUEST_SOFT, g_isr_21);
    guest_gate(VEC_GUEST_EXT, g_isr_40);
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))g_spin, stack_top);
    vmw(VMCS_GUEST_IDTR_BASE, (uintptr_t)guest_idt);
    vmw(VMCS_GUEST_IDTR_LIMIT, sizeof(guest_idt) - 1);
    uint32_t pin0 = (uint32_t)vmr(VMCS_CTRL_PIN_BASED), proc0 = (uint32_t)vmr(VMCS_CTRL_PROC_BASED);
    uint32_t exit0 = (uint32_t)vmr(VMCS_CTRL_EXIT);

    test_section("VMX-preemption timer (SDM 25.5.1, 26.6.4)");
    uint32_t rate = VMX_MISC_TIMER_RATE(rdmsr(MSR_IA32_VMX_MISC));
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, VMX_PIN_PREEMPTION_TIMER));
    vmw(VMCS_GUEST_PREEMPTION_TIMER, 0);
    run_at(&v, g_spin, EFLAGS_FIXED1);
    v.regs.r12 = 0;
    if (vmx_check_exit(&v, EXIT_REASON_PREEMPTION_TIMER, (uintptr_t)g_spin,
                       "timer value 0: exit before the guest's first instruction"))
        check(v.regs.r12 == 0, "  the guest executed nothing (R12 = %llu)", (unsigned long long)v.regs.r12);
    vmw(VMCS_GUEST_PREEMPTION_TIMER, TIMER_VALUE);
    run_at(&v, g_spin, EFLAGS_FIXED1);
    v.regs.r12 = 0;
    uint64_t expected = (uint64_t)TIMER_VALUE << rate;
    uint64_t t0 = rdtsc();
    int fired = vmx_check_exit(&v, EXIT_REASON_PREEMPTION_TIMER, 0, "timer value 1000: exit while the guest spins");
    uint64_t dt = rdtsc() - t0;
    if (fired) {
        check(v.regs.r12 > 0, "  the guest ran meanwhile (%llu loop iterations)", (unsigned long long)v.regs.r12);
        check(dt >= expected && dt <= 4 * expected + 100000,
              "  it fired %llu TSC cycles after VMRESUME: plausible for 1000 << rate %u = %llu (at least that, "
              "at most 4x + 100000)", (unsigned long long)dt, rate, (unsigned long long)expected);
    }
    vmw(VMCS_CTRL_PIN_BASED, pin0);

    test_section("exception bitmap (SDM 24.6.3, 25.2, 27.2.2)");
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 1u << EXC_UD);
    run_at(&v, g_ud, EFLAGS_FIXED1);
    if (vmx_check_exit(&v, EXIT_REASON_EXCEPTION_NMI, (uintptr_t)g_ud, "UD2 with exception-bitmap bit 6 set")) {
        uint32_t info = (uint32_t)vmr(VMCS_EXIT_INTR_INFO);
        check(info == (VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_HW_EXCEPTION) | EXC_UD),
              "  VM-exit interruption information (0x4404) %#x: valid, hardware exception (type 3), vector 6, "
              "no error code (got %#x)", VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_HW_EXCEPTION) | EXC_UD, info);
        vmw(VMCS_CTRL_EXCEPTION_BITMAP, 0);
        vmx_check_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_ud_done,
                       "bit 6 cleared, VMRESUME: UD2 again, now handled by the guest's IDT");
        check(g_ud_count == 1, "  the guest's #UD handler ran once (%u)", g_ud_count);
        uint64_t cs_ar = vmr(VMCS_GUEST_CS_AR), ss_ar = vmr(VMCS_GUEST_SS_AR);
        check(cs_ar == 0xa09b && ss_ar == 0xc093, "  after the guest's IRETQ the exit saved CS access rights 0xa09b "
              "and SS 0xc093 (accessed bit set when loaded, 24.4.1; got %#llx, %#llx)", (unsigned long long)cs_ar,
              (unsigned long long)ss_ar);
    }
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 0);

    test_section("event injection on VM entry (SDM 24.8.3, 26.5.1)");
    run_at(&v, g_nop, EFLAGS_FIXED1 | EFLAGS_IF);
    vmw(VMCS_CTRL_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_EXT_INTR) | VEC_GUEST_EXT);
    if (vmx_check_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_nop_done, "external interrupt 0x40 injected (type 0)")) {
        check(g_ext_count == 1 && g_ext_rip == (uintptr_t)g_nop,
              "  the guest's vector-0x40 handler ran once before the first instruction: frame RIP %#llx, "
              "expected %p (count %u)", (unsigned long long)g_ext_rip, (void *)g_nop, g_ext_count);
        check(g_ext_rflags & EFLAGS_IF, "  the frame's RFLAGS has IF set (%#llx)", (unsigned long long)g_ext_rflags);
        check_injection_consumed();
    }

    run_at(&v, g_nop, EFLAGS_FIXED1);
    vmw(VMCS_CTRL_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_HW_EXCEPTION) | VMX_INTR_INFO_DELIVER_ERROR_CODE | EXC_GP);
    vmw(VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, GP_ERROR_CODE);
    if (vmx_check_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_nop_done,
                       "#GP injected (type 3, deliver error code, error 0x1234)"))
        check(g_gp_count == 1 && g_gp_err == GP_ERROR_CODE && g_gp_rip == (uintptr_t)g_nop,
              "  the guest's #GP handler got error code %#llx (expected 0x1234) and frame RIP %#llx (expected %p)",
              (unsigned long long)g_gp_err, (unsigned long long)g_gp_rip, (void *)g_nop);

    run_at(&v, g_int21, EFLAGS_FIXED1);
    vmw(VMCS_CTRL_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_SW_INTR) | VEC_GUEST_SOFT);
    vmw(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, 2);
    if (vmx_check_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_int21_done,
                       "software interrupt 0x21 injected (type 4, instruction length 2)"))
        check(g_int21_count == 1 && g_int21_rip == (uintptr_t)g_int21 + 2,
              "  the guest's vector-0x21 handler ran once with frame RIP = RIP + 2 = %p (got %#llx, count %u)",
              (void *)(g_int21 + 2), (unsigned long long)g_int21_rip, g_int21_count);

    test_section("external-interrupt exiting (SDM 24.6.1, 24.7.1, 27.2.2)");
    trap_set_handler(VEC_LAPIC, on_host_timer);
    lapic_enable();
    lapic_write(LAPIC_TIMER_DCR, LAPIC_DCR_DIV1);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_ONESHOT | VEC_LAPIC);
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, VMX_PIN_EXT_INTR_EXITING));
    vmw(VMCS_CTRL_EXIT, exit0 | VMX_EXIT_ACK_INTR_ON_EXIT);
    run_at(&v, g_spin, EFLAGS_FIXED1);
    v.regs.r12 = 0;
    lapic_write(LAPIC_TIMER_ICR, LAPIC_COUNT);
    if (vmx_check_exit(&v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, "LAPIC timer while the guest spins, acknowledge on exit")) {
        uint32_t info = (uint32_t)vmr(VMCS_EXIT_INTR_INFO);
        check(info == (VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_EXT_INTR) | VEC_LAPIC),
              "  VM-exit interruption information %#x: valid, external interrupt, vector 0x41 (got %#x)",
              VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_EXT_INTR) | VEC_LAPIC, info);
        check(v.regs.r12 > 0, "  the guest ran until the interrupt (%llu iterations)", (unsigned long long)v.regs.r12);
        lapic_eoi();
        sti();
        tsc_delay(10000);
        cli();
        check(host_ticks == 0, "  acknowledged by the exit: the host's IDT never sees it (%u deliveries)", host_ticks);
    }
    lapic_write(LAPIC_TIMER_ICR, 0);
    vmw(VMCS_CTRL_EXIT, exit0 & ~VMX_EXIT_ACK_INTR_ON_EXIT);
    run_at(&v, g_spin, EFLAGS_FIXED1);
    v.regs.r12 = 0;
    lapic_write(LAPIC_TIMER_ICR, LAPIC_COUNT);
    if (vmx_check_exit(&v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, "LAPIC timer while the guest spins, no acknowledge")) {
        uint32_t info = (uint32_t)vmr(VMCS_EXIT_INTR_INFO);
        check(!(info & VMX_INTR_INFO_VALID), "  VM-exit interruption information not valid (bit 31 clear; got %#x)", info);
        sti();
        tsc_delay(10000);
        cli();
        check(host_ticks == 1, "  still pending: delivered through the host's IDT once IF = 1 (%u deliveries)",
              host_ticks);
    }
    lapic_write(LAPIC_TIMER_ICR, 0);
    vmw(VMCS_CTRL_PIN_BASED, pin0);
    vmw(VMCS_CTRL_EXIT, exit0);

    test_section("interrupt-window exiting (SDM 24.6.2, 25.2, 26.6.5)");
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, proc0 | VMX_PROC_INTR_WINDOW_EXITING));
    run_at(&v, g_sti, EFLAGS_FIXED1);
    g_ext_count = 0;
    if (vmx_check_exit(&v, EXIT_REASON_INTERRUPT_WINDOW, (uintptr_t)g_window,
                       "guest STI; NOP (the STI shadow): exit before the next instruction")) {
        check(vmr(VMCS_GUEST_RFLAGS) & EFLAGS_IF, "  guest RFLAGS.IF = 1 at the exit (%#llx)",
              (unsigned long long)vmr(VMCS_GUEST_RFLAGS));
        check(vmr(VMCS_GUEST_INTERRUPTIBILITY) == 0, "  guest interruptibility state 0: no STI blocking left (%#llx)",
              (unsigned long long)vmr(VMCS_GUEST_INTERRUPTIBILITY));
        vmw(VMCS_CTRL_PROC_BASED, proc0);
        vmw(VMCS_CTRL_ENTRY_INTR_INFO, VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_EXT_INTR) | VEC_GUEST_EXT);
        if (vmx_check_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_window_done, "window exiting off, 0x40 injected"))
            check(g_ext_count == 1 && g_ext_rip == (uintptr_t)g_window,
                  "  the guest's vector-0x40 handler ran at the window: frame RIP %#llx (expected %p, count %u)",
                  (unsigned long long)g_ext_rip, (void *)g_window, g_ext_count);
    }
    vmw(VMCS_CTRL_PROC_BASED, proc0);

    test_section("triple fault (SDM 25.2, appendix C)");
    run_at(&v, g_triple, EFLAGS_FIXED1);
    vmx_check_exit(&v, EXIT_REASON_TRIPLE_FAULT, 0, "guest loads an empty IDT and executes UD2");
    test_finish();
}
