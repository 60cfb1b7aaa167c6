/* random_user: ring 3 cannot escape. Runs 1500 pages of pseudo-random bytes as
 * 64-bit user code, each from a random offset with interrupts on and a 1 kHz
 * PIT as the watchdog, and checks after every run that the code only ever came
 * back to the kernel through the IDT from CPL 3 and changed nothing the kernel
 * owns: CR0, CR3, CR4, EFER, the GDT and IDT registers, kernel memory (every
 * other page is supervisor-only). Whatever the bytes are, hardware raises an
 * exception or the timer interrupts them; so must hvsim (Intel SDM vol. 3A 5,
 * 6). The seeds are fixed: the run is deterministic. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/pic.h"
#include "klib/pit.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define ROUNDS     1500
#define USER_CODE  0x40000000ull          /* one page of random code */
#define USER_STACK 0x40002000ull          /* one page of stack; a hole between */
#define KERNEL_MAP (64ull << 20)          /* supervisor-only identity map */

struct desc_reg {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Everything ring 3 must not be able to change. */
struct kernel_state {
    unsigned long cr0, cr3, cr4;
    uint64_t efer;
    struct desc_reg gdtr, idtr;
    uint32_t canary_sum;
};

static unsigned long counts[256];         /* returns to the kernel, per vector */
static unsigned long from_ring0;          /* traps that arrived from CPL 0: a bug */
static uint8_t canary[4096];              /* kernel data ring 3 must not reach */
static struct trapframe last;             /* how the last run came back */
static unsigned long last_cr2;            /* CR2 when that was a #PF */

/* XOR of each general register with itself (R8-R15 with a REX prefix). */
static const uint8_t zero_regs[] = {
    0x31, 0xc0, 0x31, 0xdb, 0x31, 0xc9, 0x31, 0xd2, 0x31, 0xf6, 0x31, 0xff, 0x31, 0xed,
#ifdef __x86_64__
    0x45, 0x31, 0xc0, 0x45, 0x31, 0xc9, 0x45, 0x31, 0xd2, 0x45, 0x31, 0xdb,
    0x45, 0x31, 0xe4, 0x45, 0x31, 0xed, 0x45, 0x31, 0xf6, 0x45, 0x31, 0xff,
#endif
};
#define STUB_SIZE 64

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void snapshot(struct kernel_state *s)
{
    memset(s, 0, sizeof(*s));
    s->cr0 = read_cr0();
    s->cr3 = read_cr3();
    s->cr4 = read_cr4();
    s->efer = rdmsr(MSR_IA32_EFER);
    asm volatile("sgdt %0; sidt %1" : "=m"(s->gdtr), "=m"(s->idtr));
    for (unsigned i = 0; i < sizeof(canary); i++)
        s->canary_sum = s->canary_sum * 31 + canary[i];
}

/* Every vector: back to the kernel when ring 3 was running; anything from
 * ring 0 is the kernel's own fault, which this test must never see. */
static void on_trap(struct trapframe *tf)
{
    if (tf->trapno == VEC_IRQ0)
        pic_eoi(0);
    if ((tf->cs & 3) != 3) {
        if (tf->trapno == VEC_IRQ0)
            return;                       /* a tick that raced user_return */
        from_ring0++;
        kprintf("random_user: trap from ring 0:\n");
        trap_dump(tf);
        hv_exit(EXIT_FAIL);
    }
    counts[tf->trapno & 0xff]++;
    last = *tf;
    last_cr2 = tf->trapno == EXC_PF ? read_cr2() : 0;
    user_return(tf->trapno);
}

/* Runs the user page from `start` in ring 3 with interrupts on. A stub at the
 * page's start clears every register, so each run starts from the same state
 * on any machine, then jumps to `start`. Returns the vector that ended it. */
static unsigned long run_from(uint8_t *code, uint64_t start)
{
    memcpy(code, zero_regs, sizeof(zero_regs));
    uint32_t rel = (uint32_t)(start - (USER_CODE + sizeof(zero_regs) + 5));
    code[sizeof(zero_regs)] = 0xe9;                   /* JMP rel32 */
    memcpy(code + sizeof(zero_regs) + 1, &rel, 4);
    return user_run((void (*)(void))(uintptr_t)USER_CODE,
                    (void *)(uintptr_t)(USER_STACK + 4096 - 64), EFLAGS_FIXED1 | EFLAGS_IF);
}

/* Runs `len` bytes of code placed at `at` in the user page (after the stub). */
static unsigned long run_fixed(uint8_t *code, unsigned at, const uint8_t *bytes, unsigned len)
{
    memset(code + STUB_SIZE, 0xcc, 4096 - STUB_SIZE);
    memcpy(code + at, bytes, len);
    return run_from(code, USER_CODE + at);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    /* Kernel memory supervisor-only, the user pages as aliases of two allocated ones. */
    static struct pagetable pt;
    pt_init(&pt, PT_WIDE);
    for (uint64_t va = 0; va < KERNEL_MAP; va += SIZE_2M)
        pt_map(&pt, va, va, SIZE_2M, PTE_W);
    uint8_t *code = palloc(), *stack = palloc();
    pt_map(&pt, USER_CODE, (uintptr_t)code, SIZE_4K, PTE_W | PTE_U);
    pt_map(&pt, USER_STACK, (uintptr_t)stack, SIZE_4K, PTE_W | PTE_U);
    pt_activate(&pt);
    /* SYSCALL off: with it on, LSTAR = 0 would be a ring-0 entry point. */
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_SCE);
    for (int v = 0; v < 256; v++)
        trap_set_handler(v, on_trap);
    for (unsigned i = 0; i < sizeof(canary); i++)
        canary[i] = (uint8_t)(i * 7 + 3);
    pit_periodic(PIT_HZ / 1000);
    pic_unmask(0);

    int verbose = cmdline_has("verbose");
    struct kernel_state before, after;
    snapshot(&before);
    unsigned bad = 0;
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned i = 0; i < 4096; i += 8) {
            uint64_t r = next_random();
            memcpy(code + i, &r, 8);
        }
        uint64_t start = USER_CODE + STUB_SIZE + next_random() % (4000 - STUB_SIZE);
        memset(stack, 0, 4096);
        run_from(code, start);
        snapshot(&after);
        /* "verbose" on the command line lists every run, to diff against QEMU's
         * list (the timer vector differs: QEMU's PIT follows the wall clock). */
        if (verbose)
            kprintf("round %u start %llx vector %lu err %lx rip %lx cs %lx cr2 %lx\n", round,
                    (unsigned long long)start, (unsigned long)last.trapno, (unsigned long)last.err,
                    (unsigned long)last.ip, (unsigned long)last.cs, last_cr2);
        if (memcmp(&before, &after, sizeof(before)) != 0) {
            if (bad++ < 5)
                kprintf("random_user: round %u changed kernel state (cr0 %lx cr3 %lx cr4 %lx "
                        "efer %llx canary %x)\n", round, after.cr0, after.cr3, after.cr4,
                        (unsigned long long)after.efer, after.canary_sum);
            before = after;
        }
    }
    pic_mask(0);

    test_section("1500 pages of random code in ring 3");
    kprintf("  returns per vector:");
    unsigned long total = 0;
    for (int v = 0; v < 256; v++) {
        total += counts[v];
        if (counts[v])
            kprintf(" %d:%lu", v, counts[v]);
    }
    kprintf("\n");
    check(total == ROUNDS, "every run came back through the IDT from CPL 3 (%lu of %u)", total,
          ROUNDS);
    check(bad == 0, "no run changed CR0/CR3/CR4/EFER, GDTR/IDTR or kernel memory (%u did)", bad);
    check(from_ring0 == 0, "no trap arrived from ring 0");
    check(counts[EXC_UD] && counts[EXC_GP] && counts[EXC_PF],
          "random bytes raise #UD, #GP and #PF (%lu, %lu, %lu)", counts[EXC_UD], counts[EXC_GP],
          counts[EXC_PF]);

    /* New code in a block of the same address and size as code that ran before
     * (a program loaded where another ran): its IN must still be checked. */
    test_section("code rewritten in place");
    static const uint8_t mov_ud2[] = { 0x89, 0xc0, 0x0f, 0x0b };   /* MOV EAX,EAX; UD2 */
    static const uint8_t in_ud2[] = { 0x66, 0xed, 0x0f, 0x0b };    /* IN AX,DX; UD2 */
    for (unsigned at = 0x800; at < 0x800 + 4 * 16; at += 16) {
        unsigned long v1 = run_fixed(code, at, mov_ud2, sizeof(mov_ud2));
        uint64_t ip1 = last.ip;
        unsigned long v2 = run_fixed(code, at, in_ud2, sizeof(in_ud2));
        check(v1 == EXC_UD && ip1 == USER_CODE + at + 2 && v2 == EXC_GP && last.err == 0 &&
                  last.ip == USER_CODE + at && last.ax == 0,
              "at %#x: MOV+UD2 gives #UD at +2 (%lu at +%llu), then IN+UD2 #GP(0) at +0 with "
              "RAX untouched (%lu err %lu at +%llu, rax %#lx)",
              at, v1, (unsigned long long)(ip1 - USER_CODE - at), v2, (unsigned long)last.err,
              (unsigned long long)(last.ip - USER_CODE - at), (unsigned long)last.ax);
    }
    /* RDMSR and MOV from CR0 in the same situation: #GP(0) at the instruction. */
    static const struct { uint8_t before[5], after[5]; const char *what; } priv[] = {
        { { 0x89, 0xc0, 0x0f, 0x0b }, { 0x0f, 0x32, 0x0f, 0x0b }, "RDMSR" },
        { { 0x8d, 0x40, 0x00, 0x0f, 0x0b }, { 0x0f, 0x20, 0xc0, 0x0f, 0x0b }, "MOV EAX, CR0" },
    };
    for (unsigned k = 0; k < 2; k++) {
        unsigned at = 0x900 + 16 * k;
        unsigned len = k == 0 ? 4 : 5;
        run_fixed(code, at, priv[k].before, len);
        unsigned long v = run_fixed(code, at, priv[k].after, len);
        check(v == EXC_GP && last.err == 0 && last.ip == USER_CODE + at,
              "%s over a same-size block: #GP(0) at +0 (%lu err %lu at +%llu)", priv[k].what, v,
              (unsigned long)last.err, (unsigned long long)(last.ip - USER_CODE - at));
    }
    /* INT n through a DPL-0 gate faults at the instruction, prefixes included
     * (error code: the vector with the IDT bit; QEMU's long-mode code differs). */
    static const struct { uint8_t bytes[4]; unsigned len, at_off; const char *what; } ints[] = {
#ifdef __x86_64__
        { { 0x48, 0xcd, 0x50 }, 3, 0, "REX.W INT 0x50" },
#else
        { { 0x26, 0xcd, 0x50 }, 3, 0, "ES: INT 0x50" },
#endif
        { { 0x66, 0xcd, 0x50 }, 3, 0, "66h INT 0x50" },
        { { 0xb0, 0xcd, 0xcc }, 3, 2, "MOV AL, 0xCD; INT3" },
    };
    for (unsigned k = 0; k < 3; k++) {
        unsigned at = 0xa00 + 16 * k;
        unsigned long v = run_fixed(code, at, ints[k].bytes, ints[k].len);
        check(v == EXC_GP && (last.err & 7) == 2 && last.ip == USER_CODE + at + ints[k].at_off,
              "%s: #GP(IDT) at +%u (%lu err %#lx at +%llu)", ints[k].what, ints[k].at_off, v,
              (unsigned long)last.err, (unsigned long long)(last.ip - USER_CODE - at));
    }
    test_finish();
}
