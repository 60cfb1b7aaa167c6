/* vmx_inv: INVEPT and INVVPID operand checks and individual-address INVVPID
 * (issue 12 item 3). Each type IA32_VMX_EPT_VPID_CAP does not list fails with
 * VMfailValid(28), as does a type with bits beyond the listed ones; INVEPT
 * single-context checks its EPTP as VM entry would; INVVPID fails on a
 * descriptor with bits 63:16 set, on VPID 0 (but for all-context), and on a
 * non-canonical linear address for the individual-address type; a descriptor
 * on a page that is not mapped is a #PF, at a non-canonical address a #GP(0). Then individual-address INVVPID (if
 * advertised) makes a guest with a VPID see the new mapping of a linear
 * address whose guest page-table entry the host changed. Intel SDM vol. 3C
 * 30.3 (INVEPT, INVVPID), 28.3.3 (invalidation), A.10 (the capability MSR).
 * 64-bit. */
#include <stdbool.h>

#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define ERR_INV         VMXERR_INVALID_INVEPT_INVVPID_OPERAND
#define NONCANON        0x0000800000000000ull
#define UNMAPPED        0x0000400000000000ull   /* canonical, never mapped by klib */
#define GUEST_LA        0x0000200000000000ull   /* where the guest reads, through its own page tables */
#define VPID            1

static char guest_stack[8192] __attribute__((aligned(16)));

extern char g_read[], g_read_done[];
asm(".text\n"
    "g_read:       mov (%rdi), %rax\n"
    "g_read_done:  vmcall\n");

/* `r` against the expected outcome: VMsucceed (err 0) or VMfailValid(err). */
static void expect(int r, uint32_t err, const char *what)
{
    if (err)
        check(r == VMX_FAIL_VALID && vmx_error() == err, "%s: VMfailValid(%u) (got %s)", what, err,
              vmx_result_str(r));
    else
        check(r == VMX_OK, "%s: VMsucceed (got %s)", what, vmx_result_str(r));
}

/* INVVPID or INVEPT (all-context) with its descriptor at `addr`: the vector
 * of the fault, 0 if none. */
static int invvpid_at(uint64_t addr)
{
    unsigned long before = fault_count;
    uint64_t type = 2;
    asm volatile("1: invvpid (%1), %0\n2:\n\t" EXTABLE(1b, 2b) : : "r"(type), "r"(addr) : "cc", "memory");
    return fault_count != before ? (int)fault_last.vector : 0;
}

static int invept_at(uint64_t addr)
{
    unsigned long before = fault_count;
    uint64_t type = 2;
    asm volatile("1: invept (%1), %0\n2:\n\t" EXTABLE(1b, 2b) : : "r"(type), "r"(addr) : "cc", "memory");
    return fault_count != before ? (int)fault_last.vector : 0;
}

static void operand_checks(uint64_t cap, uint64_t eptp_ok)
{
    char what[128];
    test_section("INVEPT types and EPTP (SDM 30.3 INVEPT)");
    for (uint64_t type = 0; type <= 3; type++) {
        bool listed = (type == 1 && (cap & EPT_CAP_INVEPT_SINGLE)) || (type == 2 && (cap & EPT_CAP_INVEPT_ALL));
        ksnprintf(what, sizeof(what), "INVEPT type %llu (%s in IA32_VMX_EPT_VPID_CAP)", (unsigned long long)type,
                  listed ? "listed" : "not listed");
        expect(invept_desc(type, eptp_ok, 0), listed ? 0 : ERR_INV, what);
    }
    expect(invept_desc((1ull << 32) | 2, eptp_ok, 0), ERR_INV, "INVEPT type 2 with bit 32 of the register set");
    expect(invept_desc(1, (eptp_ok & ~EPTP_MEMTYPE_MASK) | 2, 0), ERR_INV,
           "INVEPT single-context, EPTP memory type 2 (reserved)");
    expect(invept_desc(1, eptp_ok & ~(7ull << EPTP_WALK_LENGTH_SHIFT), 0), ERR_INV,
           "INVEPT single-context, EPTP walk length 1");
    expect(invept_desc(1, eptp_ok | (1ull << 40), 0), ERR_INV,
           "INVEPT single-context, EPTP beyond the physical-address width");
    expect(invept_desc(2, 0x123, ~0ull), 0, "INVEPT all-context ignores the descriptor");

    test_section("INVVPID types and descriptor (SDM 30.3 INVVPID)");
    for (uint64_t type = 0; type <= 4; type++) {
        bool listed = type <= 3 && ((cap >> (40 + type)) & 1);
        ksnprintf(what, sizeof(what), "INVVPID type %llu, VPID 1 (%s in IA32_VMX_EPT_VPID_CAP)",
                  (unsigned long long)type, listed ? "listed" : "not listed");
        expect(invvpid(type, VPID, GUEST_LA), listed ? 0 : ERR_INV, what);
    }
    static const struct {
        uint64_t type, lo, hi;
        bool ok;
        const char *what;
    } cases[] = {
        { INVVPID_INDIVIDUAL_ADDR, VPID, NONCANON, false, "individual-address, linear address not canonical" },
        { INVVPID_INDIVIDUAL_ADDR, 0, GUEST_LA, false, "individual-address, VPID 0" },
        { INVVPID_INDIVIDUAL_ADDR, VPID | 1ull << 16, GUEST_LA, false, "individual-address, bit 16 set" },
        { INVVPID_SINGLE_CONTEXT, 0, 0, false, "single-context, VPID 0" },
        { INVVPID_SINGLE_CONTEXT, VPID | 1ull << 63, 0, false, "single-context, bit 63 set" },
        { INVVPID_SINGLE_CONTEXT, VPID, NONCANON, true, "single-context ignores the linear address" },
        { INVVPID_ALL_CONTEXT, 0, NONCANON, true, "all-context, VPID 0" },
        { INVVPID_ALL_CONTEXT, 1ull << 16, 0, false, "all-context, bit 16 set" },
        { INVVPID_SINGLE_CONTEXT_GLOBALS, 0, 0, false, "single-context-retaining-globals, VPID 0" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!((cap >> (40 + cases[i].type)) & 1))
            continue; /* the type check comes first: covered above */
        ksnprintf(what, sizeof(what), "INVVPID %s", cases[i].what);
        expect(invvpid(cases[i].type, cases[i].lo, cases[i].hi), cases[i].ok ? 0 : ERR_INV, what);
    }
    trap_catch(EXC_PF);
    trap_catch(EXC_GP);
    int vec = invvpid_at(UNMAPPED);
    check(vec == EXC_PF && fault_last.cr2 == UNMAPPED,
          "INVVPID with its descriptor on an unmapped page: #PF at %#llx (got vector %d, CR2 %#llx)",
          UNMAPPED, vec, (unsigned long long)fault_last.cr2);
    vec = invvpid_at(NONCANON);
    check(vec == EXC_GP && fault_last.err == 0, "INVVPID with its descriptor at non-canonical %#llx: #GP(0) (got "
          "vector %d, error %#lx)", NONCANON, vec, fault_last.err);
    vec = invept_at(NONCANON);
    check(vec == EXC_GP && fault_last.err == 0, "INVEPT with its descriptor at non-canonical %#llx: #GP(0) (got "
          "vector %d, error %#lx)", NONCANON, vec, fault_last.err);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();
    uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    check(!!(cap & VPID_CAP_INVVPID), "IA32_VMX_EPT_VPID_CAP %#llx lists INVVPID (bit 32)", (unsigned long long)cap);
    check(!!(cap & EPT_CAP_INVEPT), "  and INVEPT (bit 20)");

    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))g_read, guest_stack + sizeof(guest_stack));
    uint64_t *pml4 = palloc();
    uint64_t eptp_ok = (uintptr_t)pml4 | EPTP_WB_4LEVEL;
    operand_checks(cap, eptp_ok);

    test_section("individual-address INVVPID (SDM 28.3.3.3)");
    if (!(cap & VPID_CAP_INDIVIDUAL_ADDR)) {
        kprintf("  skip individual-address INVVPID not advertised (its type fails, checked above)\n");
        test_finish();
    }
    /* The guest's own page tables: the identity map, and GUEST_LA on page a. */
    struct pagetable gpt;
    uint64_t *page_a = palloc(), *page_b = palloc();
    page_a[0] = 0xaaaa;
    page_b[0] = 0xbbbb;
    pt_init(&gpt, PT_4LEVEL);
    pt_identity(&gpt, 0, IDENTITY_MAP_END, PTE_W);
    pt_map(&gpt, GUEST_LA, (uintptr_t)page_a, SIZE_4K, PTE_W);
    vmw(VMCS_GUEST_CR3, gpt.root);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY));
    vmw(VMCS_CTRL_PROC_BASED2, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_VPID));
    vmw(VMCS_CTRL_VPID, VPID);
    v.regs.rdi = GUEST_LA;
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_read_done, "the guest (VPID 1) reads its linear address");
    check(v.regs.rax == 0xaaaa, "  through its page tables: page a's 0xaaaa (got %#llx)", (unsigned long long)v.regs.rax);
    pt_set(&gpt, GUEST_LA, (uintptr_t)page_b | PTE_P | PTE_W);
    expect(invvpid(INVVPID_INDIVIDUAL_ADDR, VPID, GUEST_LA), 0,
           "the host points the entry at page b, then INVVPID individual-address (VPID 1, that address)");
    vmx_goto(&v, (void (*)(void))g_read, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, (uintptr_t)g_read_done, "the guest reads it again");
    check(v.regs.rax == 0xbbbb, "  and sees page b's 0xbbbb (got %#llx)", (unsigned long long)v.regs.rax);
    test_finish();
}
