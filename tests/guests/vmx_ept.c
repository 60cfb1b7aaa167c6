/* vmx_ept: a guest behind EPT. Guest-physical memory below 16 MiB maps one to
 * one (2 MiB pages); above it, a 1 GiB page, a 2 MiB page and 4 KiB pages map
 * guest-physical addresses to host-physical ones at an offset, and the guest
 * reads the host's values through them. Then the faults: a not-present page
 * (EPT violation, exit 48: guest-physical and guest-linear address,
 * qualification access and permission bits; the host maps it and resumes), a
 * write to a read-only page, a fetch from a page without X, and an entry with
 * W but not R (EPT misconfiguration, exit 49). INVEPT after each change.
 * Intel SDM vol. 3C 28.2 (EPT translation, 28.2.2 entry formats, 28.2.3
 * violations and misconfigurations), 27.2.1 table 27-7, 28.3.3.1 and 30.3
 * INVEPT. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define GPA_1G   0x40000000ull      /* 1 GiB page -> host-physical 0 */
#define GPA_2M   0x80000000ull      /* 2 MiB page -> the 2 MiB frame holding page2m */
#define GPA_4K   0xc0000000ull      /* 4 KiB pages: */
#define PG_A     0                  /*  RWX -> page_a */
#define PG_HOLE  1                  /*  not present, then RW -> page_b */
#define PG_RO    2                  /*  R only, then RW -> page_c */
#define PG_WONLY 3                  /*  W without R: misconfigured, then RW -> page_d */
#define PG_NOX   4                  /*  RW without X, then RWX -> page_code */
#define GPA_PAGE(i) (GPA_4K + (uint64_t)(i) * PAGE_SIZE)
#define LEAF(pa, perms) ((uint64_t)(uintptr_t)(pa) | (perms) | EPT_MEMTYPE_WB)
#define TABLE(pa) ((uint64_t)(uintptr_t)(pa) | EPT_RWX)

static uint64_t *pml4, *pdpt, *pd0, *pd2, *pd3, *pt3;
static uint64_t *page_a, *page_b, *page_c, *page_d, *page_2m;
static uint8_t *page_code;
static uint64_t eptp;
static volatile uint64_t marker_1g = 0x1ce1ce1ce1ce1ce1ull;
static char guest_stack[8192] __attribute__((aligned(16)));
static void *stack_top = guest_stack + sizeof(guest_stack);

/* Guest snippets: the host sets RDI (and RSI) and points RIP at one. */
extern char g_read[], g_read_done[], g_write[], g_write_done[], g_call[], g_call_done[];
asm(".text\n"
    "g_read:       mov (%rdi), %rax\n"
    "g_read_done:  vmcall\n"
    "g_write:      mov %rsi, (%rdi)\n"
    "g_write_done: vmcall\n"
    "g_call:       call *%rdi\n"
    "g_call_done:  vmcall\n");

static void build_ept(void)
{
    pml4 = palloc(), pdpt = palloc(), pd0 = palloc(), pd2 = palloc(), pd3 = palloc(), pt3 = palloc();
    page_a = palloc(), page_b = palloc(), page_c = palloc(), page_d = palloc(), page_2m = palloc();
    page_code = palloc();
    pml4[0] = TABLE(pdpt);
    pdpt[0] = TABLE(pd0);
    for (uint64_t i = 0; i < IDENTITY_MAP_END / SIZE_2M; i++)
        pd0[i] = LEAF(i * SIZE_2M, EPT_RWX | EPT_PS);
    pdpt[GPA_1G >> 30] = LEAF(0, EPT_RWX | EPT_PS);
    pdpt[GPA_2M >> 30] = TABLE(pd2);
    pd2[0] = LEAF((uintptr_t)page_2m & ~(SIZE_2M - 1), EPT_RWX | EPT_PS);
    pdpt[GPA_4K >> 30] = TABLE(pd3);
    pd3[0] = TABLE(pt3);
    pt3[PG_A] = LEAF(page_a, EPT_RWX);
    pt3[PG_RO] = LEAF(page_c, EPT_R);
    pt3[PG_WONLY] = LEAF(page_d, EPT_W);
    pt3[PG_NOX] = LEAF(page_code, EPT_R | EPT_W);
    page_a[0] = 0xaaaa0000aaaa0000ull;
    page_b[2] = 0xbbbb0000bbbb0002ull;
    page_c[0] = 0xcccc0000cccc0000ull;
    page_d[0] = 0xdddd0000dddd0000ull;
    page_2m[5] = 0x2222000022220005ull;
    static const uint8_t code[] = { 0xb8, 0x54, 0x45, 0x00, 0x00, 0xc3 };   /* mov $0x4554, %eax; ret */
    for (unsigned i = 0; i < sizeof(code); i++)
        page_code[i] = code[i];
    eptp = (uintptr_t)pml4 | EPTP_WB_4LEVEL;
}

static uint64_t guest_read(struct vmx_vcpu *v, uint64_t gpa, const char *what)
{
    vmx_goto(v, (void (*)(void))g_read, stack_top, EFLAGS_FIXED1);
    v->regs.rdi = gpa;
    v->regs.rax = 0;
    if (!vmx_check_exit(v, EXIT_REASON_VMCALL, (uintptr_t)g_read_done, what))
        return ~0ull;
    return v->regs.rax;
}

static void flush(const char *why)
{
    int r = invept(INVEPT_SINGLE_CONTEXT, eptp);
    check(r == VMX_OK, "  INVEPT single-context after %s: %s", why, vmx_result_str(r));
}

static void check_violation(struct vmx_vcpu *v, uint64_t gpa, uint32_t qual, const char *what)
{
    uint64_t got_gpa = vmr(VMCS_GUEST_PHYSICAL_ADDRESS), linear = vmr(VMCS_GUEST_LINEAR_ADDRESS);
    check(got_gpa == gpa, "  guest-physical address (0x2400) %#llx (got %#llx)", (unsigned long long)gpa,
          (unsigned long long)got_gpa);
    check((v->qual & 0x1ff) == qual, "  exit qualification bits 8:0 = %#x: %s (got %#llx)", qual, what,
          (unsigned long long)v->qual);
    if (v->qual & EPT_QUAL_GLA_VALID)
        check(linear == gpa, "  guest-linear address (0x640a) %#llx (identity guest paging; got %#llx)",
              (unsigned long long)gpa, (unsigned long long)linear);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX and EPT capabilities (SDM A.10)");
    vmx_start();
    uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    uint64_t need = EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_1G | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE |
                    EPT_CAP_INVEPT_ALL;
    check((cap & need) == need, "IA32_VMX_EPT_VPID_CAP %#llx: 4-level walk, WB, 2 MiB and 1 GiB pages, INVEPT "
          "single- and all-context (missing %#llx)", (unsigned long long)cap, (unsigned long long)(need & ~cap));
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY) |
                       vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_EPT);
    if (!check(!missing, "activate secondary controls (primary 31) and enable EPT (secondary 1) allowed"))
        test_finish();

    build_ept();
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))g_read, stack_top);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY));
    vmw(VMCS_CTRL_PROC_BASED2, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_EPT));
    vmw(VMCS_CTRL_EPTP, eptp);
    kprintf("  EPTP %#llx; guest RAM below %#x is identity-mapped with 2 MiB pages\n", (unsigned long long)eptp,
            IDENTITY_MAP_END);

    test_section("translation through 4 KiB, 2 MiB and 1 GiB pages (SDM 28.2.2)");
    uint64_t val = guest_read(&v, GPA_PAGE(PG_A), "guest read of GPA 0xc0000000 (4 KiB page)");
    check(val == page_a[0], "  it read %#llx from host page %p (expected %#llx)", (unsigned long long)val,
          (void *)page_a, (unsigned long long)page_a[0]);
    uint64_t off2m = (uintptr_t)&page_2m[5] & (SIZE_2M - 1);
    val = guest_read(&v, GPA_2M + off2m, "guest read through the 2 MiB page at GPA 0x80000000");
    check(val == page_2m[5], "  GPA %#llx -> HPA %p gave %#llx (expected %#llx)", (unsigned long long)(GPA_2M + off2m),
          (void *)&page_2m[5], (unsigned long long)val, (unsigned long long)page_2m[5]);
    val = guest_read(&v, GPA_1G + (uintptr_t)&marker_1g, "guest read through the 1 GiB page at GPA 0x40000000");
    check(val == marker_1g, "  GPA %#llx -> HPA %p gave %#llx (expected %#llx)",
          (unsigned long long)(GPA_1G + (uintptr_t)&marker_1g), (void *)&marker_1g, (unsigned long long)val,
          (unsigned long long)marker_1g);
    vmx_goto(&v, (void (*)(void))g_write, stack_top, EFLAGS_FIXED1);
    v.regs.rdi = GPA_PAGE(PG_A) + 0x18;
    v.regs.rsi = 0x5a5a5a5a12345678ull;
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_write_done, "guest write to GPA 0xc0000018");
    check(page_a[3] == 0x5a5a5a5a12345678ull, "  the host sees it in its page at offset 0x18: %#llx",
          (unsigned long long)page_a[3]);

    test_section("EPT violation: not-present page (SDM 28.2.3.2, table 27-7)");
    v.regs.rdi = GPA_PAGE(PG_HOLE) + 0x10;
    vmx_goto(&v, (void (*)(void))g_read, stack_top, EFLAGS_FIXED1);
    vmx_expect_exit(&v, EXIT_REASON_EPT_VIOLATION, (uintptr_t)g_read, "guest read of unmapped GPA 0xc0001010");
    check_violation(&v, GPA_PAGE(PG_HOLE) + 0x10, EPT_QUAL_READ | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_TRANSLATION,
                    "data read (bit 0), not present (bits 5:3 = 0), linear address valid (7), final translation (8)");
    pt3[PG_HOLE] = LEAF(page_b, EPT_R | EPT_W);
    flush("mapping the page");
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_read_done, "VMRESUME re-executes the read, which completes");
    check(v.regs.rax == page_b[2], "  it read %#llx from the newly mapped host page (expected %#llx)",
          (unsigned long long)v.regs.rax, (unsigned long long)page_b[2]);

    test_section("EPT violation: write to a read-only page");
    val = guest_read(&v, GPA_PAGE(PG_RO), "guest read of the read-only page at GPA 0xc0002000");
    check(val == page_c[0], "  it read %#llx (expected %#llx)", (unsigned long long)val, (unsigned long long)page_c[0]);
    vmx_goto(&v, (void (*)(void))g_write, stack_top, EFLAGS_FIXED1);
    v.regs.rdi = GPA_PAGE(PG_RO) + 8;
    v.regs.rsi = 0x77;
    vmx_expect_exit(&v, EXIT_REASON_EPT_VIOLATION, (uintptr_t)g_write, "guest write to GPA 0xc0002008 (EPT R only)");
    check_violation(&v, GPA_PAGE(PG_RO) + 8,
                    EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_TRANSLATION,
                    "data write (bit 1), readable only (bit 3), linear valid, final translation");
    check(page_c[1] == 0, "  the write did not reach the host page (%#llx)", (unsigned long long)page_c[1]);
    pt3[PG_RO] = LEAF(page_c, EPT_R | EPT_W);
    flush("granting W");
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_write_done, "VMRESUME re-executes the write, which completes");
    check(page_c[1] == 0x77, "  the host page now holds 0x77 at offset 8 (%#llx)", (unsigned long long)page_c[1]);

    test_section("EPT violation: instruction fetch from a page without X");
    vmx_goto(&v, (void (*)(void))g_call, stack_top, EFLAGS_FIXED1);
    v.regs.rdi = GPA_PAGE(PG_NOX);
    v.regs.rax = 0;
    vmx_expect_exit(&v, EXIT_REASON_EPT_VIOLATION, GPA_PAGE(PG_NOX), "guest CALL to GPA 0xc0004000 (EPT RW, no X)");
    check_violation(&v, GPA_PAGE(PG_NOX),
                    EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_WRITABLE | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_TRANSLATION,
                    "instruction fetch (bit 2), readable and writable (bits 3, 4), linear valid, final translation");
    pt3[PG_NOX] = LEAF(page_code, EPT_RWX);
    flush("granting X");
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_call_done, "VMRESUME runs the code and it returns");
    check(v.regs.rax == 0x4554, "  the code at GPA 0xc0004000 ran: EAX = %#llx (expected 0x4554)",
          (unsigned long long)v.regs.rax);

    test_section("EPT misconfiguration: W without R (SDM 28.2.3.1)");
    vmx_goto(&v, (void (*)(void))g_read, stack_top, EFLAGS_FIXED1);
    v.regs.rdi = GPA_PAGE(PG_WONLY);
    vmx_expect_exit(&v, EXIT_REASON_EPT_MISCONFIG, (uintptr_t)g_read, "guest read of GPA 0xc0003000 (EPT entry W, not R)");
    check(vmr(VMCS_GUEST_PHYSICAL_ADDRESS) == GPA_PAGE(PG_WONLY), "  guest-physical address (0x2400) %#llx (got %#llx)",
          (unsigned long long)GPA_PAGE(PG_WONLY), (unsigned long long)vmr(VMCS_GUEST_PHYSICAL_ADDRESS));
    pt3[PG_WONLY] = LEAF(page_d, EPT_R | EPT_W);
    flush("fixing the entry");
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_read_done, "VMRESUME re-executes the read, which completes");
    check(v.regs.rax == page_d[0], "  it read %#llx (expected %#llx)", (unsigned long long)v.regs.rax,
          (unsigned long long)page_d[0]);

    test_section("INVEPT (SDM 30.3)");
    int r = invept(INVEPT_ALL_CONTEXT, 0);
    check(r == VMX_OK, "INVEPT all-context: %s", vmx_result_str(r));
    r = invept(0, eptp);
    check(r == VMX_FAIL_VALID && vmx_error() == 28, "INVEPT type 0 (not supported): VMfailValid(28) (got %s)",
          vmx_result_str(r));
    /* Unmapping works too: after INVEPT the old translation is gone. */
    pt3[PG_A] = 0;
    flush("unmapping the 4 KiB page at GPA 0xc0000000");
    vmx_goto(&v, (void (*)(void))g_read, stack_top, EFLAGS_FIXED1);
    v.regs.rdi = GPA_PAGE(PG_A);
    vmx_expect_exit(&v, EXIT_REASON_EPT_VIOLATION, (uintptr_t)g_read, "guest read of the page unmapped after INVEPT");
    test_finish();
}
