/* hv_hcalls: hypercall-shaped calls in known numbers, for hvsim's hypervisor
 * awareness (docs/hv.md, tests/hv/). This kernel stands in for Xen: it carries
 * Xen's version-banner signature, so `hvsim boot --hv` recognises it as Xen, and
 * its ring-3 "guest kernel" calls it as a 64-bit Xen PV guest does: SYSCALL with
 * RAX = number from an upper-half address (Linux's xen_hypercall_pv), and INT
 * 0x82 with EAX = number (32-bit PV). Two "domains" run on two page tables that
 * differ only in L4 slot 260, where Xen keeps each domain's per-domain mappings.
 * SYSCALLs from the lower half are the guest's user space, not hypercalls.
 * Each domain writes once through console_io (CONSOLEIO_write): domain 0 a line,
 * domain 1 5900 bytes across pages, which awareness copies to its console files.
 * The kernel checks its own tallies, so it passes on QEMU too; tests/hv/ checks
 * that hvsim's awareness counted exactly the same calls per domain. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

/* The signature hvsim recognises (hv/xen.c): Xen's banner format, then the
 * compile-information block's version and compiler strings, in that order. */
__attribute__((used)) static const char xen_signature[] =
    "Xen version %d.%d%s (\0" "4.17-hvsim-test\0" "gcc (hvsim test kernel, not Xen)";

#define ALIAS 0xffff800000000000ull /* the "guest kernel" half */
#define DOMAIN_SLOT 260
#define VEC_PV32 0x82
#define FMASK_BITS (EFLAGS_IF | EFLAGS_DF | EFLAGS_TF | EFLAGS_AC)

/* User-space system calls share a number with sched_op on purpose. */
enum { SYS_NOP = 29, SYS_SWITCH = 1000, SYS_EXIT = 1001 };
enum { HC_MMU_UPDATE = 1, HC_XEN_VERSION = 17, HC_CONSOLE_IO = 18, HC_GRANT_TABLE_OP = 20, HC_SCHED_OP = 29, HC_EVTCHN_OP = 32 };

static char user_stack[4096] __attribute__((aligned(16)));
char syscall_stack[4096] __attribute__((aligned(16)));
uint64_t syscall_user_rsp;
static struct pagetable dom_pt[2];
static unsigned cur_dom, user_syscalls;
static unsigned hcalls[2][64];

/* SYSCALL: RCX = the caller's RIP tells a hypercall (upper half) from a user call. */
uint64_t syscall_c(uint64_t arg, uint64_t rip, uint64_t n);
uint64_t syscall_c(uint64_t arg, uint64_t rip, uint64_t n)
{
    (void)arg;
    if (rip >= ALIAS) {
        hcalls[cur_dom][n & 63]++;
        return 0;
    }
    user_syscalls++;
    switch (n) {
    case SYS_SWITCH:
        cur_dom = 1;
        write_cr3(dom_pt[1].root);
        return 0;
    case SYS_EXIT:
        user_return(0);
    }
    return 0;
}

asm(".text\n"
    "syscall_entry:\n"
    "    mov %rsp, syscall_user_rsp(%rip)\n"
    "    lea syscall_stack+4096(%rip), %rsp\n"
    "    push %rcx\n"
    "    push %r11\n"
    "    mov %rax, %rdx\n" /* syscall_c(arg, caller RIP, number) */
    "    mov %rcx, %rsi\n"
    "    call syscall_c\n"
    "    pop %r11\n"
    "    pop %rcx\n"
    "    mov syscall_user_rsp(%rip), %rsp\n"
    "    sysretq\n"
    /* The guest kernel's hypercall stubs, called at their upper-half alias:
     * RAX = number, RDI = first argument. */
    "hcall_syscall:\n"
    "    push %rcx\n"
    "    push %r11\n"
    "    syscall\n"
    "    pop %r11\n"
    "    pop %rcx\n"
    "    ret\n"
    "hcall_int82:\n"
    "    int $0x82\n"
    "    ret\n");
extern char syscall_entry[], hcall_syscall[], hcall_int82[];

static void on_int82(struct trapframe *tf)
{
    hcalls[cur_dom][tf->ax & 63]++;
    tf->ax = 0;
}

/* ---- ring 3 ---- */

static void hcall(const char *stub, uint64_t nr, uint64_t arg)
{
    uint64_t target = ALIAS + (uintptr_t)stub;
    asm volatile("call *%[t]" : "+a"(nr), "+D"(arg) : [t] "r"(target) : "rcx", "rdx", "rsi", "r8", "r9",
                 "r10", "r11", "memory");
}

/* console_io(CONSOLEIO_write, len, buf): buf at its upper-half alias, as a PV
 * kernel passes its own addresses. */
static void hcall_console(const char *msg, uint64_t len)
{
    uint64_t nr = HC_CONSOLE_IO, cmd = 0, va = ALIAS + (uintptr_t)msg, target = ALIAS + (uintptr_t)hcall_syscall;
    asm volatile("call *%[t]" : "+a"(nr), "+D"(cmd), "+S"(len), "+d"(va) : [t] "r"(target)
                 : "rcx", "r8", "r9", "r10", "r11", "memory");
}

static const char msg0[] = "dom0: hello through console_io\n";
/* Longer than a page and across a page boundary: the walk goes page by page. */
static char msg1[6000] __attribute__((aligned(4096)));

static void user_call(uint64_t n)
{
    asm volatile("syscall" : "+a"(n) : : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

static void user_main(void)
{
    for (int i = 0; i < 5; i++)
        hcall(hcall_syscall, HC_SCHED_OP, 0); /* SCHEDOP_yield: no shutdown */
    for (int i = 0; i < 4; i++)
        user_call(SYS_NOP);
    for (int i = 0; i < 3; i++)
        hcall(hcall_syscall, HC_MMU_UPDATE, i);
    for (int i = 0; i < 2; i++)
        hcall(hcall_syscall, HC_XEN_VERSION, i);
    hcall_console(msg0, sizeof msg0 - 1);
    user_call(SYS_SWITCH);
    hcall_console(msg1 + 100, sizeof msg1 - 100);
    for (int i = 0; i < 7; i++)
        hcall(hcall_syscall, HC_EVTCHN_OP, i);
    for (int i = 0; i < 2; i++)
        hcall(hcall_int82, HC_GRANT_TABLE_OP, i);
    user_call(SYS_EXIT);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("hypercall-shaped calls from two PV-style domains");
    for (unsigned i = 0; i < sizeof msg1; i++) /* 'a'..'z' lines of 60 */
        msg1[i] = (char)(i % 61 == 60 ? '\n' : 'a' + i % 26);

    /* Domain 0's tables: the identity map for the user half, an alias of it in
     * the upper half, each reachable from ring 3. */
    pt_init(&dom_pt[0], PT_4LEVEL);
    pt_identity(&dom_pt[0], 0, IDENTITY_MAP_END, PTE_W | PTE_U);
    for (uint64_t pa = 0; pa < IDENTITY_MAP_END; pa += SIZE_2M)
        pt_map(&dom_pt[0], ALIAS + pa, pa, SIZE_2M, PTE_W | PTE_U);
    /* Domain 1's top table shares every lower table; slot 260 differs. */
    uint64_t *l4a = (uint64_t *)dom_pt[0].root, *l4b = palloc();
    memcpy(l4b, l4a, SIZE_4K);
    l4a[DOMAIN_SLOT] = (uintptr_t)palloc() | PTE_P | PTE_W;
    l4b[DOMAIN_SLOT] = (uintptr_t)palloc() | PTE_P | PTE_W;
    dom_pt[1] = dom_pt[0];
    dom_pt[1].root = (uintptr_t)l4b;
    pt_activate(&dom_pt[0]);

    idt_set_gate(VEC_PV32, 3, 0, 0);
    trap_set_handler(VEC_PV32, on_int82);
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SCE);
    wrmsr(MSR_IA32_STAR, (uint64_t)SEG_UCODE32 << 48 | (uint64_t)SEG_KCODE << 32);
    wrmsr(MSR_IA32_LSTAR, (uintptr_t)syscall_entry);
    wrmsr(MSR_IA32_FMASK, FMASK_BITS);

    user_run(user_main, user_stack + sizeof(user_stack), EFLAGS_IF | EFLAGS_FIXED1);
    write_cr3(dom_pt[0].root);
    check(hcalls[0][HC_SCHED_OP] == 5 && hcalls[0][HC_MMU_UPDATE] == 3 && hcalls[0][HC_XEN_VERSION] == 2,
          "domain 0: 5 sched_op, 3 mmu_update, 2 xen_version by SYSCALL (%u, %u, %u)", hcalls[0][HC_SCHED_OP],
          hcalls[0][HC_MMU_UPDATE], hcalls[0][HC_XEN_VERSION]);
    check(hcalls[1][HC_EVTCHN_OP] == 7 && hcalls[1][HC_GRANT_TABLE_OP] == 2,
          "domain 1: 7 event_channel_op by SYSCALL, 2 grant_table_op by INT 0x82 (%u, %u)",
          hcalls[1][HC_EVTCHN_OP], hcalls[1][HC_GRANT_TABLE_OP]);
    check(hcalls[0][HC_CONSOLE_IO] == 1 && hcalls[1][HC_CONSOLE_IO] == 1, "one console_io from each domain");
    check(user_syscalls == 6, "6 user-space SYSCALLs from the lower half (%u)", user_syscalls);
    test_finish();
}
