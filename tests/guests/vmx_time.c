/* vmx_time: interrupts and time in VMX non-root operation (issue 12 item 4).
 * Blocking by STI or by MOV SS in the guest interruptibility state holds the
 * interrupt window shut for the first guest instruction after VM entry, and
 * an exit inside such a shadow saves it (STI with IF = 1, MOV SS with IF = 0);
 * the VMX-preemption timer counts while the guest is in activity state HLT
 * (entered so, or halted by its own HLT) and expires on time; the halted time
 * shows in the guest's TSC; the guest's LAPIC timer (xAPIC MMIO, shared with
 * the host, no EPT) fires when the same count fires natively. Intel SDM vol.
 * 3C 24.4.2 (interruptibility and activity state), 25.5.1 (VMX-preemption
 * timer), 26.6.1 (blocking after entry), 27.3.4 (saving them). 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define TIMER_HLT       1000            /* preemption-timer ticks of 2^rate TSC cycles */
#define TIMER_GUEST_HLT 2000
#define SLACK           20000           /* TSC cycles for the entry and exit around it */
#define LAPIC_COUNT     200000
#define VEC_TIMER       0x41

uint64_t g_tsc0, g_tsc1, fired_tsc, fired_count;
static char guest_stack[8192] __attribute__((aligned(16)));

extern char g_iw[], g_iw1[], g_iw_end[], g_sti_cpuid[], g_movss_cpuid[], g_shadow_end[], g_hlt_rdtsc[],
    g_hlt[], g_after_hlt[], g_hlt_done[], g_lapic[], g_lapic_done[];
asm(".text\n"
    "g_iw:\n"
    "    nop\n"
    "g_iw1:\n"
    "    nop\n"
    "    nop\n"
    "g_iw_end:\n"
    "    vmcall\n"
    "    jmp g_iw_end\n"
    /* Exits in an interrupt shadow: entered with IF = 0. */
    "    sti\n"
    "g_sti_cpuid:\n"
    "    cpuid\n"
    "    cli\n"
    "    mov %ss, %eax\n"
    "    mov %eax, %ss\n"
    "g_movss_cpuid:\n"
    "    cpuid\n"
    "g_shadow_end:\n"
    "    vmcall\n"
    /* HLT in the guest, timed by its TSC. */
    "g_hlt_rdtsc:\n"
    "    rdtsc\n"
    "    mov %eax, g_tsc0(%rip)\n"
    "    mov %edx, g_tsc0+4(%rip)\n"
    "g_hlt:\n"
    "    hlt\n"
    "g_after_hlt:\n"
    "    rdtsc\n"
    "    mov %eax, g_tsc1(%rip)\n"
    "    mov %edx, g_tsc1+4(%rip)\n"
    "g_hlt_done:\n"
    "    vmcall\n"
    /* The guest arms the LAPIC timer and halts until it fires. */
    "g_lapic:\n"
    "    rdtsc\n"
    "    mov %eax, g_tsc0(%rip)\n"
    "    mov %edx, g_tsc0+4(%rip)\n"
    "    mov $0xfee00380, %eax\n"           /* xAPIC timer initial count */
    "    movl $200000, (%rax)\n"
    "    sti\n"
    "    hlt\n"
    "    cli\n"
    "g_lapic_done:\n"
    "    vmcall\n");

#define RIP(label) ((uintptr_t)(label))

static void on_timer(struct trapframe *tf)
{
    (void)tf;
    fired_tsc = rdtsc();
    fired_count++;
    lapic_eoi();
}

static void window_cases(struct vmx_vcpu *v)
{
    static const struct {
        uint32_t blocking;
        uint64_t rflags;
        char *rip;
        uint32_t reason;
        const char *what;
    } cases[] = {
        { 0, EFLAGS_FIXED1 | EFLAGS_IF, g_iw, EXIT_REASON_INTERRUPT_WINDOW,
          "no blocking, IF = 1: the window is open at the first instruction" },
        { VMX_INTERRUPTIBILITY_STI, EFLAGS_FIXED1 | EFLAGS_IF, g_iw1, EXIT_REASON_INTERRUPT_WINDOW,
          "blocking by STI: the window opens after the first instruction" },
        { VMX_INTERRUPTIBILITY_MOV_SS, EFLAGS_FIXED1 | EFLAGS_IF, g_iw1, EXIT_REASON_INTERRUPT_WINDOW,
          "blocking by MOV SS: the window opens after the first instruction" },
        { 0, EFLAGS_FIXED1, g_iw_end, EXIT_REASON_VMCALL, "IF = 0: no window, the guest runs to its VMCALL" },
    };
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_INTR_WINDOW_EXITING));
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vmx_goto(v, (void (*)(void))g_iw, guest_stack + sizeof(guest_stack), cases[i].rflags);
        vmw(VMCS_GUEST_INTERRUPTIBILITY, cases[i].blocking);
        vmx_check_exit(v, cases[i].reason, RIP(cases[i].rip), cases[i].what);
    }
    vmw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, 0));

    /* Exits inside a shadow save it; the host clears it when it skips the
     * instruction, as hypervisors do. */
    vmx_goto(v, (void (*)(void))(g_sti_cpuid - 1), guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_expect_exit(v, EXIT_REASON_CPUID, RIP(g_sti_cpuid), "CPUID right after STI (IF was 0)");
    uint64_t st = vmr(VMCS_GUEST_INTERRUPTIBILITY);
    check(st == VMX_INTERRUPTIBILITY_STI, "  interruptibility state saved: blocking by STI (got %#llx)",
          (unsigned long long)st);
    vmw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmx_skip(v);
    vmx_expect_exit(v, EXIT_REASON_CPUID, RIP(g_movss_cpuid), "CPUID right after MOV SS (IF = 0)");
    st = vmr(VMCS_GUEST_INTERRUPTIBILITY);
    check(st == VMX_INTERRUPTIBILITY_MOV_SS, "  interruptibility state saved: blocking by MOV SS (got %#llx)",
          (unsigned long long)st);
    vmx_skip(v); /* left set: the next entry must accept it */
    vmx_expect_exit(v, EXIT_REASON_VMCALL, RIP(g_shadow_end), "the entry with that state succeeds");
}

static void preemption_in_hlt(struct vmx_vcpu *v)
{
    uint32_t rate = VMX_MISC_TIMER_RATE(rdmsr(MSR_IA32_VMX_MISC));
    uint32_t exit_ctl = (uint32_t)vmr(VMCS_CTRL_EXIT);
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, VMX_PIN_PREEMPTION_TIMER));
    vmw(VMCS_CTRL_EXIT, exit_ctl | VMX_EXIT_SAVE_PREEMPTION_TIMER);

    uint64_t want = (uint64_t)TIMER_HLT << rate;
    vmx_goto(v, (void (*)(void))g_after_hlt, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmw(VMCS_GUEST_INTERRUPTIBILITY, 0); /* HLT with MOV SS blocking fails the entry (26.3.1.5) */
    vmw(VMCS_GUEST_ACTIVITY_STATE, 1);
    vmw(VMCS_GUEST_PREEMPTION_TIMER, TIMER_HLT);
    uint64_t t0 = rdtsc();
    vmx_check_exit(v, EXIT_REASON_PREEMPTION_TIMER, RIP(g_after_hlt),
                   "entered in activity state HLT with the preemption timer at 1000");
    uint64_t dt = rdtsc() - t0;
    check(dt >= want && dt < want + SLACK, "  expired on time: %llu TSC cycles after the entry (timer rate %u: "
          "%llu, at most %u more) (got %llu)", (unsigned long long)want, rate, (unsigned long long)want, SLACK,
          (unsigned long long)dt);
    check(vmr(VMCS_GUEST_ACTIVITY_STATE) == 1, "  activity state saved: HLT (got %llu)",
          (unsigned long long)vmr(VMCS_GUEST_ACTIVITY_STATE));
    check(vmr(VMCS_GUEST_PREEMPTION_TIMER) == 0, "  preemption-timer value saved: 0 (got %llu)",
          (unsigned long long)vmr(VMCS_GUEST_PREEMPTION_TIMER));

    want = (uint64_t)TIMER_GUEST_HLT << rate;
    vmx_goto(v, (void (*)(void))g_hlt_rdtsc, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmw(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmw(VMCS_GUEST_PREEMPTION_TIMER, TIMER_GUEST_HLT);
    vmx_check_exit(v, EXIT_REASON_PREEMPTION_TIMER, RIP(g_after_hlt),
                   "the guest's own HLT (no HLT exiting) with the preemption timer at 2000");
    check(vmr(VMCS_GUEST_ACTIVITY_STATE) == 1, "  activity state saved: HLT (got %llu)",
          (unsigned long long)vmr(VMCS_GUEST_ACTIVITY_STATE));
    vmw(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, 0));
    vmw(VMCS_CTRL_EXIT, exit_ctl);
    vmx_expect_exit(v, EXIT_REASON_VMCALL, RIP(g_hlt_done), "resumed active, the guest reads its TSC again");
    dt = g_tsc1 - g_tsc0;
    check(dt >= want && dt < want + 2 * SLACK,
          "  the halted time is in the guest's TSC: %llu cycles across HLT (timer %llu, at most %u more) (got %llu)",
          (unsigned long long)dt, (unsigned long long)want, 2 * SLACK, (unsigned long long)dt);
}

static void lapic_timer(struct vmx_vcpu *v)
{
    trap_set_handler(VEC_TIMER, on_timer);
    lapic_enable();
    lapic_write(LAPIC_TIMER_DCR, LAPIC_DCR_DIV1);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_ONESHOT | VEC_TIMER);
    /* Natively first: how many TSC cycles the count takes. */
    uint64_t t0 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, LAPIC_COUNT);
    while (!fired_count)
        sti_hlt();
    cli();
    uint64_t native = fired_tsc - t0;
    check(native > 1000, "natively the LAPIC timer's count of %u takes %llu TSC cycles", LAPIC_COUNT,
          (unsigned long long)native);

    vmx_goto(v, (void (*)(void))g_lapic, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_check_exit(v, EXIT_REASON_VMCALL, RIP(g_lapic_done),
                   "the guest arms the LAPIC timer and halts (no external-interrupt exiting)");
    uint64_t guest = fired_tsc - g_tsc0;
    uint64_t tol = native / 50 + 2000;
    check(fired_count == 2 && guest + tol >= native && guest <= native + tol,
          "  its interrupt reached the guest's handler once, %llu TSC cycles after the guest armed it, as "
          "natively within 2%% (got %llu interrupts, %llu cycles)", (unsigned long long)native,
          (unsigned long long)fired_count - 1, (unsigned long long)guest);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))g_iw, guest_stack + sizeof(guest_stack));

    test_section("interrupt window and blocking by STI / MOV SS at VM entry (SDM 26.6.1, 27.3.4)");
    window_cases(&v);
    test_section("VMX-preemption timer in activity state HLT (SDM 25.5.1)");
    preemption_in_hlt(&v);
    test_section("the guest's LAPIC timer in virtual time");
    lapic_timer(&v);
    test_finish();
}
