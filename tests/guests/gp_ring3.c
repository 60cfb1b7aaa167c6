/* gp_ring3: privileged instructions in ring 3 raise #GP(0), IN/OUT obey IOPL
 * and the TSS I/O permission bitmap (Intel SDM vol. 1 18.5; vol. 3A 5.9, 7.2.1).
 * 32-bit, paging off. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define ALLOWED_PORT (COM1_PORT + 5)     /* the UART's line status register */
#define UART_LSR_THRE 0x20

enum { SYS_CHECK, SYS_EXIT };

/* A TSS followed by its I/O bitmap: one bit per port, 1 = refused, and the
 * 0xff byte the CPU may read past the last port. */
static struct {
    struct tss32 tss;
    uint8_t bitmap[65536 / 8 + 1];
} __attribute__((packed)) io_tss;

static char user_stack[4096] __attribute__((aligned(16)));

static void on_syscall(struct trapframe *tf)
{
    if (tf->ax == SYS_EXIT)
        user_return(0);
    check(tf->bx, "%s", (const char *)tf->cx);
}

/* ---- ring 3 ---- */

static void report(int ok, const char *what)
{
    asm volatile("int $0x80" : : "a"(SYS_CHECK), "b"(ok), "c"(what) : "memory");
}

static void user_exit(void)
{
    asm volatile("int $0x80" : : "a"(SYS_EXIT) : "memory");
}

/* Runs one instruction under the exception table, then tells whether it raised
 * #GP(0) (or nothing). The operands follow the instruction, colons included. */
#define RAISES_GP(insn, ...)                                                         \
    ({                                                                               \
        unsigned long n_ = fault_count;                                              \
        asm volatile("1: " insn "\n2:\n\t" EXTABLE(1b, 2b) __VA_ARGS__);          \
        fault_count == n_ + 1 && fault_last.vector == EXC_GP && fault_last.err == 0;   \
    })
#define NO_FAULT(insn, ...)                                                          \
    ({                                                                               \
        unsigned long n_ = fault_count;                                              \
        asm volatile("1: " insn "\n2:\n\t" EXTABLE(1b, 2b) __VA_ARGS__);          \
        fault_count == n_;                                                           \
    })

static void user_privileged(void)
{
    static const char gdtr[6];
    uint32_t v = 0;
    report(RAISES_GP("cli", : : : "memory"), "CLI at CPL 3, IOPL 0: #GP(0)");
    report(RAISES_GP("sti", : : : "memory"), "STI at CPL 3, IOPL 0: #GP(0)");
    report(RAISES_GP("hlt", : : : "memory"), "HLT at CPL 3: #GP(0)");
    report(RAISES_GP("mov %0, %%cr3", : : "r"(0) : "memory"), "MOV to CR3 at CPL 3: #GP(0)");
    report(RAISES_GP("mov %%cr0, %0", : "+r"(v) : : "memory"), "MOV from CR0 at CPL 3: #GP(0)");
    report(RAISES_GP("lgdt %0", : : "m"(gdtr) : "memory"), "LGDT at CPL 3: #GP(0)");
    report(RAISES_GP("rdmsr", : "+a"(v) : "c"(MSR_IA32_EFER) : "edx", "memory"), "RDMSR at CPL 3: #GP(0)");
    report(RAISES_GP("invlpg (%0)", : : "r"(0) : "memory"), "INVLPG at CPL 3: #GP(0)");
    report(RAISES_GP("inb %%dx, %%al", : "+a"(v) : "d"(CMOS_RTC_PORT + 1) : "memory"), "IN at CPL 3, IOPL 0, no bitmap: #GP(0)");
    report(RAISES_GP("outb %%al, %%dx", : : "a"(0), "d"(0x80) : "memory"), "OUT at CPL 3, IOPL 0, no bitmap: #GP(0)");

    /* POPF at CPL 3 with IOPL 0 leaves IF alone, silently. */
    unsigned long before = read_flags(), after;
    asm volatile("pushf\n\txorl %1, (%%esp)\n\tpopf\n\tpushf\n\tpop %0" : "=r"(after) : "i"(EFLAGS_IF) : "memory");
    report((after & EFLAGS_IF) == (before & EFLAGS_IF), "POPF at CPL 3, IOPL 0 does not change IF");
    user_exit();
}

static void user_bitmap(void)
{
    uint32_t v = 0xff;
    report(NO_FAULT("inb %%dx, %%al", : "+a"(v) : "d"(ALLOWED_PORT) : "memory") && (v & UART_LSR_THRE) && v != 0xff,
           "IN from the one port the bitmap allows (COM1 LSR reads THRE)");
    report(RAISES_GP("inb %%dx, %%al", : "+a"(v) : "d"(ALLOWED_PORT - 1) : "memory"), "IN from the port below: #GP(0)");
    report(RAISES_GP("inb %%dx, %%al", : "+a"(v) : "d"(ALLOWED_PORT + 1) : "memory"), "IN from the port above: #GP(0)");
    report(RAISES_GP("inw %%dx, %%ax", : "+a"(v) : "d"(ALLOWED_PORT) : "memory"),
           "a 16-bit IN that also covers a refused port: #GP(0)");
    report(RAISES_GP("inb %%dx, %%al", : "+a"(v) : "d"(CMOS_RTC_PORT + 1) : "memory"), "IN from a far port: #GP(0)");
    user_exit();
}

static void user_iopl3(void)
{
    uint32_t v = 0;
    report(NO_FAULT("cli\n\tsti", : : : "memory"), "CLI and STI at CPL 3 with IOPL 3");
    report(NO_FAULT("inb %%dx, %%al", : "+a"(v) : "d"(ALLOWED_PORT - 1) : "memory"), "IN from any port with IOPL 3");
    report(RAISES_GP("hlt", : : : "memory"), "HLT still needs CPL 0: #GP(0)");
    user_exit();
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    idt_set_gate(VEC_SYSCALL, 3, 0, 0);
    trap_set_handler(VEC_SYSCALL, on_syscall);
    trap_catch(EXC_GP);
    void *stack = user_stack + sizeof(user_stack);

    test_section("ring 3, IOPL 0, no I/O bitmap");
    user_run(user_privileged, stack, EFLAGS_FIXED1);

    test_section("ring 3, IOPL 0, an I/O bitmap allowing one port");
    io_tss.tss = kernel_tss;
    io_tss.tss.iomap_base = sizeof(io_tss.tss);
    memset(io_tss.bitmap, 0xff, sizeof(io_tss.bitmap));
    io_tss.bitmap[ALLOWED_PORT / 8] &= ~(1 << ALLOWED_PORT % 8);
    tss_load(&io_tss, sizeof(io_tss));
    user_run(user_bitmap, stack, EFLAGS_FIXED1);

    test_section("ring 3, IOPL 3");
    user_run(user_iopl3, stack, EFLAGS_FIXED1 | EFLAGS_IOPL);
    test_finish();
}
