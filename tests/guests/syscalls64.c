/* syscalls64: a ring-3 program makes system calls through SYSCALL/SYSRET (STAR,
 * LSTAR, FMASK) and through INT 0x80, an interrupt gate of DPL 3 with an IST
 * stack (Intel SDM vol. 3A 5.8.8, 6.14.4-5; vol. 2B SYSCALL, SYSRET). */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

enum { SYS_ADD, SYS_CHECK, SYS_EXIT };

#define VEC_RSP0_GATE 0x81      /* DPL 3, no IST: the TSS RSP0 stack */
#define VEC_DPL0_GATE 0x82      /* DPL 0: INT from ring 3 is refused */
#define FMASK_BITS (EFLAGS_IF | EFLAGS_DF | EFLAGS_TF | EFLAGS_AC)

static char user_stack[4096] __attribute__((aligned(16)));
static char ist_stack[4096] __attribute__((aligned(16)));
char syscall_stack[4096] __attribute__((aligned(16)));
uint64_t syscall_user_rsp;
static unsigned int80_calls, syscall_calls;
static uintptr_t int81_frame;

static int on_stack(uintptr_t p, const char *stack, size_t size)
{
    return p >= (uintptr_t)stack && p < (uintptr_t)stack + size;
}

static uint64_t do_syscall(uint64_t n, uint64_t a, uint64_t b)
{
    switch (n) {
    case SYS_ADD:
        return a + b;
    case SYS_CHECK:
        return check(a, "%s", (const char *)b);
    case SYS_EXIT:
        user_return(0);
    }
    return (uint64_t)-1;
}

/* INT 0x80: RAX = number, RDI and RSI = arguments, result in RAX. */
static void on_int80(struct trapframe *tf)
{
    if (int80_calls++ == 0) {
        check(tf->cs == USER_CS && tf->ss == USER_DS, "INT 0x80 frame holds CS %#lx and SS %#lx", tf->cs, tf->ss);
        check(on_stack((uintptr_t)tf, ist_stack, sizeof(ist_stack)), "the IST1 stack took the frame (at %p)",
              (void *)tf);
        check(on_stack(tf->sp, user_stack, sizeof(user_stack)), "the frame saved the user RSP %#lx", tf->sp);
        check(!(read_flags() & EFLAGS_IF) && (tf->flags & EFLAGS_IF), "an interrupt gate clears IF; RFLAGS saved it set");
    }
    tf->ax = do_syscall(tf->ax, tf->di, tf->si);
}

static void on_int81(struct trapframe *tf)
{
    int81_frame = (uintptr_t)tf;
}

/* SYSCALL: RCX = user RIP, R11 = user RFLAGS, RSP still the user's. */
uint64_t syscall_c(uint64_t a, uint64_t b, uint64_t n, uint64_t user_flags);
uint64_t syscall_c(uint64_t a, uint64_t b, uint64_t n, uint64_t user_flags)
{
    if (syscall_calls++ == 0) {
        check(read_cs() == SEG_KCODE && read_ss() == SEG_KDATA,
              "SYSCALL loads CS %#x and SS %#x from STAR[47:32]", read_cs(), read_ss());
        check((user_flags & EFLAGS_IF) && !(read_flags() & FMASK_BITS),
              "R11 holds the user RFLAGS; FMASK cleared IF, DF, TF and AC");
        check(syscall_user_rsp > (uintptr_t)user_stack && syscall_user_rsp <= (uintptr_t)user_stack + sizeof(user_stack),
              "SYSCALL left RSP at the user stack (%#lx)", syscall_user_rsp);
    }
    return do_syscall(n, a, b);
}

asm(".text\n"
    "syscall_entry:\n"
    "    mov %rsp, syscall_user_rsp(%rip)\n"
    "    lea syscall_stack+4096(%rip), %rsp\n"
    "    push %rcx\n"
    "    push %r11\n"
    "    mov %rax, %rdx\n"        /* syscall_c(a, b, number, user flags) */
    "    mov %r11, %rcx\n"
    "    call syscall_c\n"
    "    pop %r11\n"
    "    pop %rcx\n"
    "    mov syscall_user_rsp(%rip), %rsp\n"
    "    sysretq\n");
extern char syscall_entry[];

/* ---- ring 3 ---- */

static uint64_t int80(uint64_t n, uint64_t a, uint64_t b)
{
    uint64_t ret;
    asm volatile("int $0x80" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "memory");
    return ret;
}

static uint64_t syscall(uint64_t n, uint64_t a, uint64_t b)
{
    uint64_t ret;
    asm volatile("syscall" : "=a"(ret), "+D"(a), "+S"(b) : "a"(n)
                 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
    return ret;
}

#define USER_CHECK(call, cond, what) call(SYS_CHECK, (cond), (uint64_t)(what))

static void user_main(void)
{
    USER_CHECK(syscall, (read_cs() & 3) == 3, "user code runs at CPL 3");
    USER_CHECK(syscall, syscall(SYS_ADD, 1000, 337) == 1337, "SYSCALL returns its result in RAX");
    USER_CHECK(syscall, read_cs() == USER_CS && read_ss() == USER_DS && (read_flags() & EFLAGS_IF),
               "SYSRET returns to CS 0x2b, SS 0x23 with RFLAGS from R11");

    /* Callee-saved registers survive SYSCALL. */
    uint64_t bx = 0xb0b0, r12 = 0x1212, r15;
    asm volatile("mov $0x1515, %%r15\n\t"
                 "syscall\n\t"
                 "mov %%r15, %2"
                 : "+b"(bx), "+r"(r12), "=r"(r15) : "a"(SYS_ADD), "D"(1), "S"(2)
                 : "rcx", "rdx", "r8", "r9", "r10", "r11", "r15", "memory");
    USER_CHECK(syscall, bx == 0xb0b0 && r12 == 0x1212 && r15 == 0x1515, "RBX, R12 and R15 survive SYSCALL");

    USER_CHECK(int80, int80(SYS_ADD, 40, 2) == 42, "INT 0x80 returns its result in RAX");
    asm volatile("int $0x81" ::: "memory");
    USER_CHECK(int80, on_stack(int81_frame, trap_stack, TRAP_STACK_SIZE),
               "a DPL-3 gate without IST switches to TSS.RSP0");

    /* The error code is the gate's index with the IDT bit; QEMU's TCG scales
     * the index by the 16-byte gate size instead (a tcg quirk). */
    unsigned long faults = fault_count, idt_err = VEC_DPL0_GATE * 8 | 2;
    asm volatile("1: int $0x82\n2:\n\t" EXTABLE(1b, 2b) ::: "memory");
    USER_CHECK(int80, fault_count == faults + 1 && fault_last.vector == EXC_GP &&
                          (fault_last.err == idt_err || (tcg_quirks() && fault_last.err == (VEC_DPL0_GATE * 16 | 2))),
               "INT 0x82 through a DPL-0 gate raises #GP(0x412)");
    int80(SYS_EXIT, 0, 0);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("ring 3 system calls: SYSCALL/SYSRET and INT 0x80 with IST");

    /* Ring 3 needs user pages: the kernel image, its stacks and its data. */
    struct pagetable pt;
    pt_init(&pt, PT_4LEVEL);
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W | PTE_U);
    pt_activate(&pt);

    kernel_tss.ist[1] = (uintptr_t)(ist_stack + sizeof(ist_stack));
    idt_set_gate(VEC_SYSCALL, 3, 0, 1);
    idt_set_gate(VEC_RSP0_GATE, 3, 0, 0);
    trap_set_handler(VEC_SYSCALL, on_int80);
    trap_set_handler(VEC_RSP0_GATE, on_int81);
    trap_catch(EXC_GP);

    if (!check(cpuid(0x80000001, 0).edx & CPUID81_EDX_SYSCALL, "CPUID reports SYSCALL/SYSRET"))
        test_finish();
    uint64_t star = (uint64_t)SEG_UCODE32 << 48 | (uint64_t)SEG_KCODE << 32;
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SCE);
    wrmsr(MSR_IA32_STAR, star);
    wrmsr(MSR_IA32_LSTAR, (uintptr_t)syscall_entry);
    wrmsr(MSR_IA32_FMASK, FMASK_BITS);
    check((rdmsr(MSR_IA32_EFER) & EFER_SCE) && rdmsr(MSR_IA32_STAR) == star && rdmsr(MSR_IA32_LSTAR) == (uintptr_t)syscall_entry &&
          rdmsr(MSR_IA32_FMASK) == FMASK_BITS, "EFER.SCE, STAR, LSTAR and FMASK read back");

    user_run(user_main, user_stack + sizeof(user_stack), EFLAGS_IF | EFLAGS_FIXED1);
    check(read_cs() == SEG_KCODE, "back in the kernel after SYS_EXIT");
    check(syscall_calls == 6 && int80_calls == 5, "6 SYSCALL and 5 INT 0x80 calls counted (%u, %u)",
          syscall_calls, int80_calls);
    test_finish();
}
