/* syscall_ud: on Intel CPUs SYSCALL raises #UD outside 64-bit mode even with
 * EFER.SCE set (SDM vol. 2B SYSCALL: "IF (CS.L ≠ 1) or (IA32_EFER.LMA ≠ 1) or
 * (IA32_EFER.SCE ≠ 1) THEN #UD"): from a compatibility-mode ring-3 segment
 * under the 64-bit kernel, and in legacy protected mode in the 32-bit one. The
 * #UD points at the SYSCALL itself. AMD CPUs (QEMU's default model) take it as
 * a legacy SYSCALL through CSTAR/STAR instead, so the kernel checks the vendor.
 * 32- and 64-bit. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"


extern char syscall_insn[];

static int intel(void)
{
    struct cpuid_regs r = cpuid(0, 0);
    return r.ebx == 0x756e6547 && r.edx == 0x49656e69 && r.ecx == 0x6c65746e; /* GenuineIntel */
}

#ifdef __x86_64__
static char user_stack[4096] __attribute__((aligned(16)));
static volatile unsigned long ud_cs, ud_ip;

static void on_ud(struct trapframe *tf)
{
    ud_cs = tf->cs;
    ud_ip = tf->ip;
    user_return(tf->trapno);
}

static void on_gp(struct trapframe *tf)
{
    user_return(tf->trapno);
}

/* Ring 3, 64-bit: far return into the 32-bit user segment, then SYSCALL. */
void compat_user(void);
asm(".text\n"
    "compat_user:\n"
    "    pushq $" "0x1b" "\n"          /* SEG_UCODE32 | 3 */
    "    lea compat32(%rip), %rax\n"
    "    push %rax\n"
    "    lretq\n"
    ".code32\n"
    "compat32:\n"
    ".globl syscall_insn\n"
    "syscall_insn:\n"
    "    syscall\n"
    "    ud2\n"
    ".code64\n");

static void run(void)
{
    _Static_assert((SEG_UCODE32 | 3) == 0x1b, "compat_user pushes SEG_UCODE32 | 3");
    struct pagetable pt;
    pt_init(&pt, PT_4LEVEL);
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W | PTE_U);
    pt_activate(&pt);
    trap_set_handler(EXC_UD, on_ud);
    trap_set_handler(EXC_GP, on_gp);
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SCE);
    wrmsr(MSR_IA32_STAR, (uint64_t)SEG_UCODE32 << 48 | (uint64_t)SEG_KCODE << 32);
    wrmsr(MSR_IA32_LSTAR, 0);
    wrmsr(MSR_IA32_CSTAR, 0);
    unsigned long v = user_run(compat_user, user_stack + sizeof(user_stack), EFLAGS_FIXED1);
    check(v == EXC_UD, "SYSCALL in compatibility mode raises #UD (vector %lu)", v);
    check(ud_cs == (SEG_UCODE32 | 3), "from the 32-bit user segment (CS %#lx)", ud_cs);
    check(ud_ip == (uintptr_t)syscall_insn, "at the SYSCALL (%#lx, %p)", ud_ip, (void *)syscall_insn);
}
#else
static void run(void)
{
    trap_catch(EXC_UD);
    if (cpuid(0x80000001, 0).edx & CPUID81_EDX_NX)
        wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SCE);
    else
        kprintf("  skip no EFER (CPUID 0x80000001): SCE left clear\n");
    unsigned long before = fault_count;
    asm volatile(".globl syscall_insn\nsyscall_insn:\n1: syscall\n2:\n\t" EXTABLE(1b, 2b) : : : "memory", "ecx");
    check(fault_count != before && fault_last.vector == EXC_UD, "SYSCALL in legacy protected mode raises #UD");
    check(fault_last.ip == (uintptr_t)syscall_insn, "at the SYSCALL (%#lx)", fault_last.ip);
}
#endif

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("SYSCALL outside 64-bit mode");
    if (!intel()) {
        kprintf("  skip not an Intel CPU: AMD's SYSCALL works outside 64-bit mode\n");
        test_finish();
    }
    run();
    test_finish();
}
