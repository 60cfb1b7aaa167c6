/* hv_domctl: a domain's life as Xen's toolstack and the domain itself drive it,
 * in known numbers, for hvsim's hypervisor awareness (docs/hv.md "Domain ids
 * and lifecycle", tests/hv/). Like hv_hcalls this kernel stands in for Xen (its
 * version banner) and its ring-3 "guest kernels" call it by upper-half SYSCALL on
 * two page tables that differ in L4 slot 260. Domain A (Domain-0) makes:
 *   domctl createdomain that fails (no id written back),
 *   domctl createdomain that succeeds: "Xen" writes id 7 back into the struct,
 *   domctl setvcpucontext for domain 7's vCPU 0: CR3 = B's top-level table,
 *     RSI = a start_info whose console.domU.mfn is a ring page, out_cons =
 *     out_prod = 2000 (the console daemon has read everything so far);
 * then domain B (7) takes two #UD faults (UD2), writes two lines into its console ring (the second wraps
 * the 2048-byte out ring), each followed by event_channel_op (send), and shuts
 * itself down with SCHEDOP_shutdown(reboot); A then destroys it (domctl
 * destroydomain) and makes one xen_version. Each domctl returns to A's user
 * space through the iret hypercall, as a PV Linux does. The structs follow Xen 4.17's
 * public headers (domctl interface 0x15). The kernel checks its own tallies,
 * so it passes on QEMU too; tests/hv/ checks what awareness made of it. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

__attribute__((used)) static const char xen_signature[] =
    "Xen version %d.%d%s (\0" "4.17-hvsim-test\0" "gcc (hvsim test kernel, not Xen)";

#define ALIAS 0xffff800000000000ull
#define DOMAIN_SLOT 260
#define FMASK_BITS (EFLAGS_IF | EFLAGS_DF | EFLAGS_TF | EFLAGS_AC)
#define NEW_DOMID 7
#define BAD_SSIDREF 0xdeadu /* this "Xen" refuses a createdomain with it */

enum { SYS_SWITCH = 1000, SYS_EXIT = 1001 };
enum { HC_XEN_VERSION = 17, HC_IRET = 23, HC_SCHED_OP = 29, HC_EVTCHN_OP = 32, HC_DOMCTL = 36 };

/* public/domctl.h (0x15): cmd, interface_version, domain, pad, union at 16. */
struct domctl {
    uint32_t cmd, interface_version;
    uint16_t domain, pad[3];
    union {
        struct { uint32_t ssidref; uint8_t handle[16]; uint32_t flags; } create;
        struct { uint32_t vcpu, pad; uint64_t ctxt; } vcpucontext;
        uint8_t raw[128];
    } u;
};
/* public/arch-x86/xen.h vcpu_guest_context (x86_64): user_regs.rsi at 624, ctrlreg[3] at 5008. */
#define CTX_RSI 624
#define CTX_CR3 5008
static uint8_t vcpu_ctx[5120] __attribute__((aligned(16)));
/* public/xen.h start_info: magic, ..., console.domU.mfn at 72. */
static uint8_t start_info[4096] __attribute__((aligned(4096)));
/* public/io/console.h xencons_interface: in[1024], out[2048], in_cons, in_prod, out_cons, out_prod. */
struct xencons {
    char in[1024], out[2048];
    uint32_t in_cons, in_prod, out_cons, out_prod;
};
static struct xencons ring __attribute__((aligned(4096)));

static char user_stack[4096] __attribute__((aligned(16)));
char syscall_stack[4096] __attribute__((aligned(16)));
uint64_t syscall_user_rsp;
static struct pagetable dom_pt[2];
static unsigned cur_dom;
static unsigned hcalls[2][64];
static uint32_t shutdown_reason = 99;
static unsigned ud_traps;

/* A PV guest's fault goes to the hypervisor first: here, skip the UD2. */
static void on_ud(struct trapframe *tf)
{
    ud_traps++;
    tf->ip += 2;
}

static struct domctl *kptr(uint64_t va) { return (struct domctl *)(uintptr_t)(va - ALIAS); }

uint64_t syscall_c(uint64_t arg, uint64_t rip, uint64_t n, uint64_t arg2);
uint64_t syscall_c(uint64_t arg, uint64_t rip, uint64_t n, uint64_t arg2)
{
    if (rip >= ALIAS) {
        hcalls[cur_dom][n & 63]++;
        if (n == HC_DOMCTL && kptr(arg)->cmd == 1) { /* createdomain: the id goes back on success */
            if (kptr(arg)->u.create.ssidref == BAD_SSIDREF)
                return (uint64_t)-22;
            kptr(arg)->domain = NEW_DOMID;
        }
        if (n == HC_SCHED_OP && arg == 2) /* SCHEDOP_shutdown(&reason) */
            shutdown_reason = *(uint32_t *)(uintptr_t)(arg2 - ALIAS);
        return 0;
    }
    switch (n) {
    case SYS_SWITCH:
        cur_dom ^= 1;
        write_cr3(dom_pt[cur_dom].root);
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
    "    mov %rsi, %rcx\n" /* syscall_c(arg, caller RIP, number, second argument) */
    "    mov %rax, %rdx\n"
    "    mov 8(%rsp), %rsi\n"
    "    call syscall_c\n"
    "    pop %r11\n"
    "    pop %rcx\n"
    "    mov syscall_user_rsp(%rip), %rsp\n"
    "    sysretq\n"
    "hcall_syscall:\n"
    "    push %rcx\n"
    "    push %r11\n"
    "    syscall\n"
    "    pop %r11\n"
    "    pop %rcx\n"
    "    ret\n");
extern char syscall_entry[], hcall_syscall[];

/* ---- ring 3 ---- */

static uint64_t hcall2(uint64_t nr, uint64_t a0, uint64_t a1)
{
    uint64_t target = ALIAS + (uintptr_t)hcall_syscall;
    asm volatile("call *%[t]" : "+a"(nr), "+D"(a0), "+S"(a1) : [t] "r"(target) : "rcx", "rdx", "r8", "r9", "r10",
                 "r11", "memory");
    return nr;
}
static uint64_t up(const void *p) { return ALIAS + (uintptr_t)p; }

static void user_call(uint64_t n)
{
    asm volatile("syscall" : "+a"(n) : : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

/* A domctl from Domain-0's user space, returning to it as Linux's PV kernel
 * does: through the iret hypercall (arch/x86/xen/xen-asm.S), before user space
 * reuses the buffer. Awareness reads createdomain's id at that next call. */
static struct domctl dctl;
static uint64_t domctl_call(void)
{
    uint64_t st = hcall2(HC_DOMCTL, up(&dctl), 0);
    hcall2(HC_IRET, 0, 0);
    return st;
}
static uint32_t reason_reboot = 1; /* SHUTDOWN_reboot */
static uint64_t create_status[2];
static const char line1[] = "dom7: hello from the console ring\r\n";
static char line2[100];

/* The guest side of hvc_xen: bytes at out_prod, then the index, then a notification. */
static void ring_write(const char *s, unsigned n)
{
    uint32_t prod = ring.out_prod;
    for (unsigned i = 0; i < n; i++)
        ring.out[(prod + i) & 2047] = s[i];
    asm volatile("" ::: "memory");
    ring.out_prod = prod + n;
    hcall2(HC_EVTCHN_OP, 4 /* EVTCHNOP_send */, 0);
}

static void new_domctl(uint32_t cmd, uint16_t domain)
{
    memset(&dctl, 0, sizeof dctl);
    dctl.cmd = cmd;
    dctl.interface_version = 0x15;
    dctl.domain = domain;
}

static void user_main(void)
{
    new_domctl(1, 0x7ff4); /* DOMID_INVALID: Xen chooses */
    dctl.u.create.ssidref = BAD_SSIDREF;
    create_status[0] = domctl_call();
    new_domctl(1, 0x7ff4);
    create_status[1] = domctl_call();
    uint16_t domid = dctl.domain;
    new_domctl(12, domid);
    dctl.u.vcpucontext.ctxt = up(vcpu_ctx);
    domctl_call();

    user_call(SYS_SWITCH); /* domain 7 runs */
    asm volatile("ud2; ud2" ::: "memory"); /* two #UD in its code (two traps: the handler skips each) */
    ring_write(line1, sizeof line1 - 1);
    ring_write(line2, sizeof line2);
    hcall2(HC_SCHED_OP, 2 /* SCHEDOP_shutdown */, up(&reason_reboot));

    user_call(SYS_SWITCH); /* Domain-0 again */
    new_domctl(2, domid);
    domctl_call();
    hcall2(HC_XEN_VERSION, 0, 0);
    user_call(SYS_EXIT);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("a domain created, run, shut down and destroyed by hypercalls");
    for (unsigned i = 0; i < sizeof line2; i++)
        line2[i] = (char)(i == sizeof line2 - 2 ? '\r' : i == sizeof line2 - 1 ? '\n' : 'A' + i % 26);

    pt_init(&dom_pt[0], PT_4LEVEL);
    pt_identity(&dom_pt[0], 0, IDENTITY_MAP_END, PTE_W | PTE_U);
    for (uint64_t pa = 0; pa < IDENTITY_MAP_END; pa += SIZE_2M)
        pt_map(&dom_pt[0], ALIAS + pa, pa, SIZE_2M, PTE_W | PTE_U);
    uint64_t *l4a = (uint64_t *)dom_pt[0].root, *l4b = palloc();
    memcpy(l4b, l4a, SIZE_4K);
    l4a[DOMAIN_SLOT] = (uintptr_t)palloc() | PTE_P | PTE_W;
    l4b[DOMAIN_SLOT] = (uintptr_t)palloc() | PTE_P | PTE_W;
    dom_pt[1] = dom_pt[0];
    dom_pt[1].root = (uintptr_t)l4b;

    /* What the toolstack prepares before setvcpucontext: the new domain's page
     * tables, its start_info (at the address its RSI will hold) and console page. */
    memcpy(start_info, "xen-3.0-x86_64", 15);
    uint64_t mfn = (uintptr_t)&ring >> 12, cr3 = dom_pt[1].root, si = up(start_info);
    memcpy(start_info + 72, &mfn, 8);
    memcpy(vcpu_ctx + CTX_CR3, &cr3, 8);
    memcpy(vcpu_ctx + CTX_RSI, &si, 8);
    ring.out_cons = ring.out_prod = 2000;
    memset(ring.out, '#', sizeof ring.out); /* stale bytes the daemon has read: not output */

    pt_activate(&dom_pt[0]);
    trap_set_handler(6, on_ud);
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SCE);
    wrmsr(MSR_IA32_STAR, (uint64_t)SEG_UCODE32 << 48 | (uint64_t)SEG_KCODE << 32);
    wrmsr(MSR_IA32_LSTAR, (uintptr_t)syscall_entry);
    wrmsr(MSR_IA32_FMASK, FMASK_BITS);

    user_run(user_main, user_stack + sizeof(user_stack), EFLAGS_IF | EFLAGS_FIXED1);
    write_cr3(dom_pt[0].root);
    check(create_status[0] == (uint64_t)-22 && create_status[1] == 0, "one createdomain refused, one done");
    check(hcalls[0][HC_DOMCTL] == 4 && hcalls[0][HC_IRET] == 4 && hcalls[0][HC_XEN_VERSION] == 1,
          "Domain-0: 4 domctl, 4 iret, 1 xen_version (%u, %u, %u)", hcalls[0][HC_DOMCTL], hcalls[0][HC_IRET],
          hcalls[0][HC_XEN_VERSION]);
    check(hcalls[1][HC_EVTCHN_OP] == 2 && hcalls[1][HC_SCHED_OP] == 1,
          "domain 7: 2 event_channel_op, 1 sched_op (%u, %u)", hcalls[1][HC_EVTCHN_OP], hcalls[1][HC_SCHED_OP]);
    check(shutdown_reason == 1, "domain 7 asked for a reboot (%u)", shutdown_reason);
    check(ud_traps == 2, "domain 7 took 2 #UD (%u)", ud_traps);
    check(ring.out_prod == 2000 + sizeof line1 - 1 + sizeof line2, "ring out_prod %u", ring.out_prod);
    test_finish();
}
