/* syscalls32: a ring-3 program makes system calls through an INT 0x80 gate of
 * DPL 3 (with the TSS ESP0 stack switch) and through SYSENTER/SYSEXIT (Intel SDM
 * vol. 3A 6.12.1, 7.2.1; vol. 2B SYSENTER, SYSEXIT). 32-bit, paging off. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

enum { SYS_ADD, SYS_CHECK, SYS_EXIT };

static char user_stack[4096] __attribute__((aligned(16)));
static char sysenter_stack[4096] __attribute__((aligned(16)));
static unsigned int80_calls, sysenter_calls;

static int on_stack(uintptr_t p, const char *stack, size_t size)
{
    return p >= (uintptr_t)stack && p < (uintptr_t)stack + size;
}

static uint32_t do_syscall(uint32_t n, uint32_t a, uint32_t b)
{
    switch (n) {
    case SYS_ADD:
        return a + b;
    case SYS_CHECK:
        return check(a, "%s", (const char *)b);
    case SYS_EXIT:
        user_return(0);
    }
    return (uint32_t)-1;
}

/* INT 0x80: EAX = number, EBX and ECX = arguments, result in EAX. */
static void on_int80(struct trapframe *tf)
{
    if (int80_calls++ == 0) {
        check((tf->cs & 3) == 3 && tf->cs == USER_CS && tf->ss == USER_DS,
              "INT 0x80 frame holds the ring-3 CS %#x and SS %#x", tf->cs, tf->ss);
        check(on_stack((uintptr_t)tf, trap_stack, TRAP_STACK_SIZE),
              "the handler runs on the TSS ESP0 stack (frame at %p)", (void *)tf);
        check(on_stack(tf->sp, user_stack, sizeof(user_stack)), "the frame saved the user ESP %#x", tf->sp);
        check(!(read_flags() & EFLAGS_IF) && (tf->flags & EFLAGS_IF),
              "an interrupt gate clears IF; the saved EFLAGS has it set");
        check((read_cs() & 3) == 0, "the handler runs at CPL 0");
    }
    tf->ax = do_syscall(tf->ax, tf->bx, tf->cx);
}

/* SYSENTER: EAX = number, EBX and EDI = arguments; ECX = user ESP, EDX = user
 * EIP for SYSEXIT (the convention of Linux's vDSO). */
uint32_t sysenter_c(uint32_t n, uint32_t a, uint32_t b);
uint32_t sysenter_c(uint32_t n, uint32_t a, uint32_t b)
{
    if (sysenter_calls++ == 0) {
        uintptr_t sp;
        asm volatile("mov %%esp, %0" : "=r"(sp));
        check(read_cs() == SEG_KCODE && read_ss() == SEG_KDATA,
              "SYSENTER loads CS %#x and SS %#x from SYSENTER_CS", read_cs(), read_ss());
        check(on_stack(sp, sysenter_stack, sizeof(sysenter_stack)), "SYSENTER switches to SYSENTER_ESP");
        check(!(read_flags() & EFLAGS_IF), "SYSENTER clears IF");
    }
    return do_syscall(n, a, b);
}

asm(".text\n"
    "sysenter_entry:\n"
    "    push %ecx\n"          /* user ESP and EIP, for SYSEXIT */
    "    push %edx\n"
    "    push %edi\n"
    "    push %ebx\n"
    "    push %eax\n"
    "    call sysenter_c\n"
    "    add $12, %esp\n"
    "    pop %edx\n"
    "    pop %ecx\n"
    "    sti\n"                /* SYSEXIT leaves IF alone; the STI shadow covers it */
    "    sysexit\n");
extern char sysenter_entry[];

/* ---- ring 3 ---- */

static uint32_t int80(uint32_t n, uint32_t a, uint32_t b)
{
    uint32_t ret;
    asm volatile("int $0x80" : "=a"(ret) : "a"(n), "b"(a), "c"(b) : "memory");
    return ret;
}

static uint32_t sysenter_call(uint32_t n, uint32_t a, uint32_t b)
{
    uint32_t ret;
    asm volatile("mov %%esp, %%ecx\n\t"
                 "mov $1f, %%edx\n\t"
                 "sysenter\n"
                 "1:"
                 : "=a"(ret) : "a"(n), "b"(a), "D"(b) : "ecx", "edx", "memory");
    return ret;
}

#define USER_CHECK(call, cond, what) call(SYS_CHECK, (cond), (uint32_t)(what))

static void user_main(void)
{
    USER_CHECK(int80, (read_cs() & 3) == 3, "user code runs at CPL 3");
    USER_CHECK(int80, int80(SYS_ADD, 40, 2) == 42, "INT 0x80 returns its result in EAX");

    /* Registers the kernel must not touch survive the call. */
    uint32_t si = 0x5151, di = 0xd1d1, bp;
    asm volatile("push %%ebp\n\t"
                 "mov $0xb0b0, %%ebp\n\t"
                 "int $0x80\n\t"
                 "mov %%ebp, %%edx\n\t"
                 "pop %%ebp"
                 : "+S"(si), "+D"(di), "=d"(bp) : "a"(SYS_ADD), "b"(1), "c"(2) : "memory");
    USER_CHECK(int80, si == 0x5151 && di == 0xd1d1 && bp == 0xb0b0, "ESI, EDI and EBP survive INT 0x80");

    /* A gate of DPL 0 refuses INT n from ring 3: #GP with the IDT bit set. */
    unsigned long faults = fault_count;
    asm volatile("1: int $0x81\n2:\n\t" EXTABLE(1b, 2b) ::: "memory");
    USER_CHECK(int80, fault_count == faults + 1 && fault_last.vector == EXC_GP && fault_last.err == (0x81 * 8 | 2),
               "INT 0x81 through a DPL-0 gate raises #GP(0x40a)");

    USER_CHECK(sysenter_call, sysenter_call(SYS_ADD, 1000, 337) == 1337, "SYSENTER returns its result in EAX");
    USER_CHECK(int80, read_cs() == USER_CS && read_ss() == USER_DS && (read_flags() & EFLAGS_IF),
               "SYSEXIT returns to CS 0x1b, SS 0x23 with IF set");
    int80(SYS_EXIT, 0, 0);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("ring 3 system calls: INT 0x80 and SYSENTER/SYSEXIT");
    idt_set_gate(VEC_SYSCALL, 3, 0, 0);
    trap_set_handler(VEC_SYSCALL, on_int80);
    trap_catch(EXC_GP);

    if (!check(cpuid(1, 0).edx & CPUID1_EDX_SEP, "CPUID reports SYSENTER/SYSEXIT"))
        test_finish();
    wrmsr(MSR_IA32_SYSENTER_CS, SEG_KCODE);
    wrmsr(MSR_IA32_SYSENTER_ESP, (uintptr_t)(sysenter_stack + sizeof(sysenter_stack)));
    wrmsr(MSR_IA32_SYSENTER_EIP, (uintptr_t)sysenter_entry);
    check(rdmsr(MSR_IA32_SYSENTER_CS) == SEG_KCODE && rdmsr(MSR_IA32_SYSENTER_EIP) == (uintptr_t)sysenter_entry &&
          rdmsr(MSR_IA32_SYSENTER_ESP) == (uintptr_t)(sysenter_stack + sizeof(sysenter_stack)),
          "SYSENTER_CS/ESP/EIP read back");

    user_run(user_main, user_stack + sizeof(user_stack), EFLAGS_IF | EFLAGS_FIXED1);
    check(read_cs() == SEG_KCODE, "back in the kernel after SYS_EXIT");
    check(int80_calls == 8 && sysenter_calls == 2, "8 INT 0x80 and 2 SYSENTER calls counted (%u, %u)",
          int80_calls, sysenter_calls);
    test_finish();
}
