/* paging: 32-bit 2-level and PAE paging (the 32-bit build) or 4-level paging (the
 * 64-bit build): mappings, A/D bits, INVLPG, large pages, and a #PF handler that
 * checks CR2 and the error code (P, W/R, U/S, I/D) before fixing the entry and
 * resuming the access (Intel SDM vol. 3A 4.7, 4.8, 4.10.4). */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define MAGIC 0x5a5aa5a5u

static struct pagetable *cur;
static volatile unsigned pf_count;
static volatile unsigned long pf_err;
static volatile uint64_t pf_cr2;
static uint64_t fill_pa;                    /* what a not-present fault maps */
static char user_stack[4096] __attribute__((aligned(16)));
static uintptr_t user_va;

static volatile uint32_t *at(uint64_t va) { return (volatile uint32_t *)(uintptr_t)va; }

/* Records the fault, then removes its cause so the access succeeds on return. */
static void on_page_fault(struct trapframe *tf)
{
    uint64_t va = read_cr2() & ~(SIZE_4K - 1);
    pf_cr2 = read_cr2();
    pf_err = tf->err;
    if (++pf_count > 1000) {
        kprintf("page fault loop at %#llx\n", (unsigned long long)pf_cr2);
        hv_exit(EXIT_FAIL);
    }
    uint64_t e = pt_get(cur, va);
    if (!(tf->err & PF_P)) {
        pt_map(cur, va, fill_pa, SIZE_4K, PTE_W);
        invlpg((uintptr_t)va);
    } else if (tf->err & PF_I) {
        pt_set(cur, va, e & ~PTE_NX);
    } else if (tf->err & PF_U) {
        pt_set(cur, va, e | PTE_U);
    } else if (tf->err & PF_W) {
        pt_set(cur, va, e | PTE_W);
    }
}

/* One fault expected: the access happened (in `done`), CR2 and the code match. */
static void expect_fault(unsigned before, uint64_t va, unsigned long err, const char *what)
{
    check(pf_count == before + 1 && pf_cr2 == va && pf_err == err,
          "%s: #PF CR2 %#llx error %#lx (expected %#llx, %#lx)", what, (unsigned long long)pf_cr2, pf_err,
          (unsigned long long)va, err);
}

static uint64_t fresh_page(uint32_t value)
{
    uint64_t pa = (uintptr_t)palloc();
    *at(pa) = value;
    return pa;
}

static void on_user_done(struct trapframe *tf)
{
    user_return(tf->ax);
}

static void user_read(void)
{
    uint32_t v = *at(user_va);
    asm volatile("int $0x80" : : "a"(v));
}

static void run_checks(struct pagetable *pt, const char *name, uint64_t va, uint64_t large, int nx)
{
    test_section(name);
    cur = pt;
    pt_identity(pt, 0, IDENTITY_MAP_END, PTE_W | PTE_U);
    pt_activate(pt);
    check((read_cr0() & CR0_PG) && read_cr3() == pt->root, "paging on with CR3 = %#lx", read_cr3());

    /* An alias of a physical page: both views see the same bytes. */
    uint64_t pa = fresh_page(MAGIC);
    pt_map(pt, va, pa, SIZE_4K, PTE_W);
    check(*at(va) == MAGIC, "a read through the mapping at %#llx sees the page", (unsigned long long)va);
    *at(va + 4) = ~MAGIC;
    check(*at(pa + 4) == ~MAGIC, "a write through the mapping lands in the page");
    check((pt_get(pt, va) & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "the CPU set the Accessed and Dirty bits");

    pt_set(pt, va, pa | PTE_P | PTE_W);
    (void)*at(va);
    check((pt_get(pt, va) & (PTE_A | PTE_D)) == PTE_A, "a read sets Accessed only");

    /* Not present, read then write: the handler maps a page and the access resumes. */
    unsigned n = pf_count;
    fill_pa = fresh_page(0x1111);
    uint32_t v = *at(va + SIZE_4K + 0x234);
    v = *at(va + SIZE_4K);
    expect_fault(n, va + SIZE_4K + 0x234, 0, "read of a not-present page");
    check(v == 0x1111, "the read resumed and saw the page the handler mapped");
    n = pf_count;
    fill_pa = fresh_page(0);
    *at(va + 2 * SIZE_4K + 8) = 0x2222;
    expect_fault(n, va + 2 * SIZE_4K + 8, PF_W, "write to a not-present page");
    check(*at(fill_pa + 8) == 0x2222, "the write resumed and reached the new page");

    /* CR0.WP: even ring 0 cannot write a read-only page. */
    n = pf_count;
    pt_set(pt, va, pa | PTE_P);
    *at(va) = 0x3333;
    expect_fault(n, va, PF_P | PF_W, "write to a read-only page");
    check(*at(pa) == 0x3333, "the write resumed once the page was made writable");

    /* INVLPG: an unmapped page faults again even though it was just used. */
    n = pf_count;
    pt_set(pt, va, 0);
    fill_pa = pa;
    v = *at(va);
    expect_fault(n, va, 0, "read after unmap and INVLPG");

    /* Ring 3 reading a supervisor page. */
    n = pf_count;
    user_va = (uintptr_t)va + 3 * SIZE_4K;
    pt_map(pt, user_va, fresh_page(0x4444), SIZE_4K, PTE_W);
    v = (uint32_t)user_run(user_read, user_stack + sizeof(user_stack), EFLAGS_FIXED1);
    expect_fault(n, user_va, PF_P | PF_U, "ring-3 read of a supervisor page");
    check(v == 0x4444, "the ring-3 read resumed once U/S was set");

    if (nx) {
        /* A RET in a no-execute page. */
        n = pf_count;
        uint64_t code = fresh_page(0xc3c3c3c3);
        pt_map(pt, va + 4 * SIZE_4K, code, SIZE_4K, PTE_W | PTE_NX);
        ((void (*)(void))(uintptr_t)(va + 4 * SIZE_4K))();
        expect_fault(n, va + 4 * SIZE_4K, PF_P | PF_I, "fetch from a no-execute page");
    } else {
        kprintf("  skip no NX: no-execute pages and the I/D bit\n");
    }

    /* A large page maps the kernel's own data at another address. */
    static volatile uint32_t marker = MAGIC;
    uint64_t size = pt->mode == PT_2LEVEL ? SIZE_4M : SIZE_2M;
    pt_map(pt, large, 0, size, PTE_W);
    check(*at(large + (uintptr_t)&marker) == MAGIC && (pt_get(pt, large) & PTE_PS),
          "a %llu MiB page maps physical 0 at %#llx", (unsigned long long)(size >> 20), (unsigned long long)large);
}

#ifdef __x86_64__
static void run_long_mode_checks(struct pagetable *pt, int nx)
{
    run_checks(pt, "4-level paging", 0xffff800000000000ull, 0x0000700000000000ull, nx);

    if (cpuid(0x80000001, 0).edx & CPUID81_EDX_1GB) {
        pt_map(pt, 0x0000600000000000ull, 0, SIZE_1G, PTE_W);
        check(*at(0x0000600000000000ull + (uintptr_t)&pf_count) == pf_count, "a 1 GiB page maps physical 0");
    } else {
        kprintf("  skip no 1 GiB pages\n");
    }

    /* A non-canonical address is a #GP, never a #PF. */
    unsigned n = pf_count;
    unsigned long faults = fault_count;
    uint64_t bad = 0x0000800000000000ull, v = 0;
    asm volatile("1: mov (%1), %0\n2:\n\t" EXTABLE(1b, 2b) : "+r"(v) : "r"(bad) : "memory");
    check(fault_count == faults + 1 && fault_last.vector == EXC_GP && pf_count == n,
          "a non-canonical access raises #GP, not #PF");
}
#endif

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    trap_set_handler(EXC_PF, on_page_fault);
    trap_set_handler(VEC_SYSCALL, on_user_done);
    idt_set_gate(VEC_SYSCALL, 3, 0, 0);
    trap_catch(EXC_GP);

    int nx = !!(cpuid(0x80000001, 0).edx & CPUID81_EDX_NX);
    if (nx)
        wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
    static struct pagetable pt;
#ifdef __x86_64__
    pt_init(&pt, PT_4LEVEL);
    run_long_mode_checks(&pt, nx);
#else
    if (check(cpuid(1, 0).edx & CPUID1_EDX_PSE, "CPUID reports PSE (4 MiB pages)"))
        write_cr4(read_cr4() | CR4_PSE);
    pt_init(&pt, PT_2LEVEL);
    run_checks(&pt, "32-bit 2-level paging", 0x40000000, 0x80000000, 0);
    pt_disable();
    if (check(cpuid(1, 0).edx & CPUID1_EDX_PAE, "CPUID reports PAE")) {
        static struct pagetable pae;
        pt_init(&pae, PT_PAE);
        run_checks(&pae, "32-bit PAE paging", 0x40000000, 0x80000000, nx);
    }
#endif
    test_finish();
}
