/* vmx_ept_dev: what EPT maps besides RAM, and how far (issue 12 item 2). A
 * guest with its own page tables behind EPT reaches the local APIC and the
 * I/O APIC through guest-physical pages the EPT maps onto their MMIO
 * (register reads equal the host's, a TPR write lands in the device; a
 * read-only mapping of the LAPIC page turns a write into an EPT violation;
 * a page mapped onto host-physical addresses with nothing behind them reads
 * all-ones);
 * guest-physical addresses above 512 GiB (PML4 entry 1) up to the last page
 * below 2^MAXPHYADDR translate; a guest paging-structure entry on a
 * guest-physical page the EPT does not map is an EPT violation whose
 * qualification says "linear address valid, not the final translation" with
 * the entry's guest-physical address; accessed and dirty flags are not
 * advertised, so an EPTP that enables them fails VM entry and the walk never
 * sets bits 8 and 9. Intel SDM vol. 3C 24.6.11 (EPTP), 28.2.2-28.2.4 (EPT
 * translation, violations, A/D flags), 27.2.1 table 27-7, A.10. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define LEAF(pa, perms, type) ((uint64_t)(uintptr_t)(pa) | (perms) | ((uint64_t)(type) << EPT_MEMTYPE_SHIFT))
#define TABLE(pa) ((uint64_t)(uintptr_t)(pa) | EPT_RWX)
#define MT_UC 0
#define MT_WB 6
#define ADDR_MASK 0x000ffffffffff000ull

/* Guest-physical layout (EPT). */
#define GPA_DEV      0xd0000000ull                  /* 4 KiB pages in one EPT page table: */
#define GPA_LAPIC    (GPA_DEV + 0x0000)             /*  -> LAPIC MMIO, RW */
#define GPA_IOAPIC   (GPA_DEV + 0x1000)             /*  -> I/O APIC MMIO, RW */
#define GPA_PT       (GPA_DEV + 0x2000)             /*  not present, then -> a guest page table */
#define GPA_LAPIC_RO (GPA_DEV + 0x3000)             /*  -> LAPIC MMIO, R only */
#define GPA_NOTHING  (GPA_DEV + 0x4000)             /*  -> HPA_NOTHING, RW */
#define HPA_NOTHING  0xe0000000ull                  /* no RAM, no device: the open bus */
#define GPA_FAR      (1ull << 39)                   /* the first page above 512 GiB */
#define GPA_TOP      ((1ull << 40) - SIZE_4K)       /* the last page below 2^40 (MAXPHYADDR 40) */
/* Guest-linear layout (the guest's page tables). */
#define LA           0x0000010000000000ull
#define LA_LAPIC     (LA + 0x0000)
#define LA_IOAPIC    (LA + 0x1000)
#define LA_LAPIC_RO  (LA + 0x3000)
#define LA_NOTHING   (LA + 0x4000)
#define LA_FAR       (LA + 0x10000)
#define LA_TOP       (LA + 0x11000)
#define LA_WALK      (LA + 0x205000)                /* entry 5 of a page table moved to GPA_PT */

static uint64_t *pml4, *pdpt0, *pd0, *pd3, *pt_dev, *pdpt1, *pd_far, *pt_far, *pd_top, *pt_top;
static uint64_t *page_far, *page_top, *page_walk, *pt_copy;
static uint64_t eptp;
static struct pagetable gpt;
static char guest_stack[8192] __attribute__((aligned(16)));
static void *stack_top = guest_stack + sizeof(guest_stack);

extern char g_read[], g_read_done[], g_read32[], g_read32_done[], g_write32[], g_write32_done[];
asm(".text\n"
    "g_read:        mov (%rdi), %rax\n"
    "g_read_done:   vmcall\n"
    "g_read32:      mov (%rdi), %eax\n"
    "g_read32_done: vmcall\n"
    "g_write32:     mov %esi, (%rdi)\n"
    "g_write32_done: vmcall\n");

static void build_ept(void)
{
    pml4 = palloc(), pdpt0 = palloc(), pd0 = palloc(), pd3 = palloc(), pt_dev = palloc();
    pdpt1 = palloc(), pd_far = palloc(), pt_far = palloc(), pd_top = palloc(), pt_top = palloc();
    page_far = palloc(), page_top = palloc(), page_walk = palloc(), pt_copy = palloc();
    pml4[0] = TABLE(pdpt0);
    pdpt0[0] = TABLE(pd0);
    for (uint64_t i = 0; i < IDENTITY_MAP_END / SIZE_2M; i++)
        pd0[i] = LEAF(i * SIZE_2M, EPT_RWX | EPT_PS, MT_WB);
    pdpt0[GPA_DEV >> 30] = TABLE(pd3);
    pd3[(GPA_DEV >> 21) & 511] = TABLE(pt_dev);
    pt_dev[(GPA_LAPIC >> 12) & 511] = LEAF(LAPIC_MMIO_BASE, EPT_R | EPT_W, MT_UC);
    pt_dev[(GPA_IOAPIC >> 12) & 511] = LEAF(IOAPIC_MMIO_BASE, EPT_R | EPT_W, MT_UC);
    pt_dev[(GPA_LAPIC_RO >> 12) & 511] = LEAF(LAPIC_MMIO_BASE, EPT_R, MT_UC);
    pt_dev[(GPA_NOTHING >> 12) & 511] = LEAF(HPA_NOTHING, EPT_R | EPT_W, MT_UC);
    /* PML4 entry 1: 512 GiB and up. */
    pml4[1] = TABLE(pdpt1);
    pdpt1[0] = TABLE(pd_far);
    pd_far[0] = TABLE(pt_far);
    pt_far[0] = LEAF(page_far, EPT_RWX, MT_WB);
    pdpt1[511] = TABLE(pd_top);
    pd_top[511] = TABLE(pt_top);
    pt_top[511] = LEAF(page_top, EPT_RWX, MT_WB);
    page_far[1] = 0xfa4fa4fa4fa4fa41ull;
    page_top[2] = 0x7097097097097092ull;
    page_walk[3] = 0x3a1c3a1c3a1c3a13ull;
    eptp = (uintptr_t)pml4 | EPTP_WB_4LEVEL;
}

/* The guest's page tables: the identity map, then the test pages. LA_WALK's
 * page table is then copied to pt_copy and its PDE pointed at GPA_PT, which
 * the EPT does not map yet. */
static void build_guest_paging(void)
{
    pt_init(&gpt, PT_4LEVEL);
    pt_identity(&gpt, 0, IDENTITY_MAP_END, PTE_W);
    pt_map(&gpt, LA_LAPIC, GPA_LAPIC, SIZE_4K, PTE_W | PTE_PCD);
    pt_map(&gpt, LA_IOAPIC, GPA_IOAPIC, SIZE_4K, PTE_W | PTE_PCD);
    pt_map(&gpt, LA_LAPIC_RO, GPA_LAPIC_RO, SIZE_4K, PTE_W | PTE_PCD);
    pt_map(&gpt, LA_NOTHING, GPA_NOTHING, SIZE_4K, PTE_W | PTE_PCD);
    pt_map(&gpt, LA_FAR, GPA_FAR, SIZE_4K, PTE_W);
    pt_map(&gpt, LA_TOP, GPA_TOP, SIZE_4K, PTE_W);
    pt_map(&gpt, LA_WALK, (uintptr_t)page_walk, SIZE_4K, PTE_W);
    uint64_t *l4 = (uint64_t *)gpt.root;
    uint64_t *l3 = (uint64_t *)(uintptr_t)(l4[(LA_WALK >> 39) & 511] & ADDR_MASK);
    uint64_t *l2 = (uint64_t *)(uintptr_t)(l3[(LA_WALK >> 30) & 511] & ADDR_MASK);
    uint64_t *pde = &l2[(LA_WALK >> 21) & 511];
    const uint64_t *pt = (const uint64_t *)(uintptr_t)(*pde & ADDR_MASK);
    for (int i = 0; i < 512; i++)
        pt_copy[i] = pt[i];
    *pde = GPA_PT | (*pde & ~ADDR_MASK);
}

static void flush(void)
{
    int r = invept(INVEPT_SINGLE_CONTEXT, eptp);
    check(r == VMX_OK, "  INVEPT single-context: %s", vmx_result_str(r));
}

/* Runs one guest snippet at `rip` with RDI (and RSI) set; the exit must be
 * its VMCALL. Returns RAX. */
static uint64_t guest(struct vmx_vcpu *v, char *rip, char *done, uint64_t rdi, uint64_t rsi, const char *what)
{
    vmx_goto(v, (void (*)(void))rip, stack_top, EFLAGS_FIXED1);
    v->regs.rdi = rdi;
    v->regs.rsi = rsi;
    v->regs.rax = 0;
    vmx_check_exit(v, EXIT_REASON_VMCALL, (uintptr_t)done, what);
    return v->regs.rax;
}

static void check_violation(struct vmx_vcpu *v, uint64_t gpa, uint64_t gla, uint64_t qual, const char *what)
{
    uint64_t got_gpa = vmr(VMCS_GUEST_PHYSICAL_ADDRESS), got_gla = vmr(VMCS_GUEST_LINEAR_ADDRESS);
    check((v->qual & 0x1ff) == qual, "  exit qualification bits 8:0 = %#llx: %s (got %#llx)",
          (unsigned long long)qual, what, (unsigned long long)v->qual);
    check(got_gpa == gpa, "  guest-physical address %#llx (got %#llx)", (unsigned long long)gpa,
          (unsigned long long)got_gpa);
    check(got_gla == gla, "  guest-linear address %#llx (got %#llx)", (unsigned long long)gla,
          (unsigned long long)got_gla);
}

static void devices(struct vmx_vcpu *v)
{
    test_section("EPT onto device memory: the LAPIC and the I/O APIC (SDM 28.2)");
    uint32_t version = lapic_read(LAPIC_VERSION);
    uint64_t got = guest(v, g_read32, g_read32_done, LA_LAPIC + LAPIC_VERSION, 0,
                         "guest read of the LAPIC version register through GPA 0xd0000030");
    check(got == version, "  it reads the host's LAPIC version %#x (got %#llx)", version, (unsigned long long)got);
    guest(v, g_write32, g_write32_done, LA_LAPIC + LAPIC_TPR, 0x50, "guest write of 0x50 to the LAPIC TPR");
    uint32_t tpr = lapic_read(LAPIC_TPR);
    check(tpr == 0x50, "  the host's LAPIC TPR is now 0x50 (got %#x)", tpr);
    lapic_write(LAPIC_TPR, 0);

    volatile uint32_t *ioapic = (volatile uint32_t *)(uintptr_t)IOAPIC_MMIO_BASE;
    ioapic[0] = 1; /* IOREGSEL: the version register */
    uint32_t ioversion = ioapic[4];
    guest(v, g_write32, g_write32_done, LA_IOAPIC, 1, "guest write of 1 (version) to the I/O APIC's IOREGSEL");
    got = guest(v, g_read32, g_read32_done, LA_IOAPIC + 0x10, 0, "guest read of the I/O APIC's IOWIN");
    check(got == ioversion, "  it reads the host's I/O APIC version %#x (got %#llx)", ioversion,
          (unsigned long long)got);

    vmx_goto(v, (void (*)(void))g_write32, stack_top, EFLAGS_FIXED1);
    v->regs.rdi = LA_LAPIC_RO + LAPIC_TPR;
    v->regs.rsi = 0x70;
    vmx_check_exit(v, EXIT_REASON_EPT_VIOLATION, (uintptr_t)g_write32,
                   "guest write to the LAPIC through a read-only EPT mapping");
    check_violation(v, GPA_LAPIC_RO + LAPIC_TPR, LA_LAPIC_RO + LAPIC_TPR,
                    EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_TRANSLATION,
                    "data write, readable, linear address valid, final translation");
    tpr = lapic_read(LAPIC_TPR);
    check(tpr == 0, "  the write did not reach the LAPIC: TPR %#x", tpr);

    guest(v, g_write32, g_write32_done, LA_NOTHING, 0x1234,
          "guest write to a page the EPT maps onto host-physical 0xe0000000 (nothing there): no exit");
    got = guest(v, g_read32, g_read32_done, LA_NOTHING, 0, "guest read of it: no exit");
    check(got == 0xffffffffu, "  it reads all-ones, the open bus (got %#llx)", (unsigned long long)got);
}

static void far(struct vmx_vcpu *v)
{
    test_section("guest-physical addresses above 512 GiB, up to 2^MAXPHYADDR (SDM 28.2.2)");
    uint64_t got = guest(v, g_read, g_read_done, LA_FAR + 8, 0, "guest read of GPA 0x8000000008 (PML4 entry 1)");
    check(got == page_far[1], "  it reads the host page's %#llx (got %#llx)", (unsigned long long)page_far[1],
          (unsigned long long)got);
    got = guest(v, g_read, g_read_done, LA_TOP + 16, 0, "guest read of GPA 0xfffffff010 (the last page below 2^40)");
    check(got == page_top[2], "  it reads the host page's %#llx (got %#llx)", (unsigned long long)page_top[2],
          (unsigned long long)got);
    pt_far[0] = 0;
    flush();
    vmx_goto(v, (void (*)(void))g_read, stack_top, EFLAGS_FIXED1);
    v->regs.rdi = LA_FAR + 8;
    vmx_check_exit(v, EXIT_REASON_EPT_VIOLATION, (uintptr_t)g_read, "the same read once the EPT entry is cleared");
    check_violation(v, GPA_FAR + 8, LA_FAR + 8, EPT_QUAL_READ | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_TRANSLATION,
                    "data read, not present, linear address valid, final translation");
}

static void walk(struct vmx_vcpu *v)
{
    test_section("EPT violation on a guest paging-structure entry (SDM 28.2.3.2, table 27-7)");
    vmx_goto(v, (void (*)(void))g_read, stack_top, EFLAGS_FIXED1);
    v->regs.rdi = LA_WALK + 0x18;
    vmx_check_exit(v, EXIT_REASON_EPT_VIOLATION, (uintptr_t)g_read,
                   "guest read whose page table sits at GPA 0xd0002000, not mapped by the EPT");
    check_violation(v, GPA_PT + ((LA_WALK >> 12) & 511) * 8, LA_WALK + 0x18, EPT_QUAL_READ | EPT_QUAL_GLA_VALID,
                    "read, not present, linear address valid, bit 8 clear: an access to a paging-structure entry");
    pt_dev[(GPA_PT >> 12) & 511] = LEAF(pt_copy, EPT_R | EPT_W, MT_WB);
    flush();
    vmx_check_exit(v, EXIT_REASON_VMCALL, (uintptr_t)g_read_done, "the host maps it; the read completes");
    check(v->regs.rax == page_walk[3], "  it read %#llx (got %#llx)", (unsigned long long)page_walk[3],
          (unsigned long long)v->regs.rax);
}

static void accessed_dirty(struct vmx_vcpu *v, uint64_t cap)
{
    test_section("EPT accessed and dirty flags (SDM 28.2.4, 24.6.11, A.10)");
    if (cap & EPT_CAP_AD) {
        kprintf("  skip accessed and dirty flags are advertised: this kernel checks the model that does not\n");
        return;
    }
    check(1, "IA32_VMX_EPT_VPID_CAP bit 21 clear: accessed and dirty flags not supported");
    vmw(VMCS_CTRL_EPTP, eptp | EPTP_AD_ENABLE);
    int r = vmx_run(v);
    check(r == VMX_FAIL_VALID && v->error == VMXERR_ENTRY_INVALID_CONTROL_FIELD,
          "an EPTP with bit 6 (enable A/D) set: VMfailValid(7) (got %s)", vmx_result_str(r));
    vmw(VMCS_CTRL_EPTP, eptp);
    uint64_t before = pt_top[511];
    guest(v, g_write32, g_write32_done, LA_TOP + 32, 0x1234, "guest write through the last page");
    check(pt_top[511] == before && !(pd0[0] & (3ull << 8)),
          "  the walk set neither bit 8 nor bit 9 in the leaf entries (leaf %#llx)", (unsigned long long)pt_top[511]);
    check(page_top[4] == 0x1234, "  and the write landed (got %#llx)", (unsigned long long)page_top[4]);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX and EPT");
    vmx_start();
    lapic_enable();
    uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    build_ept();
    build_guest_paging();
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))g_read, stack_top);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY));
    vmw(VMCS_CTRL_PROC_BASED2, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_EPT));
    vmw(VMCS_CTRL_EPTP, eptp);
    vmw(VMCS_GUEST_CR3, gpt.root);
    kprintf("  EPTP %#llx, guest CR3 %#llx\n", (unsigned long long)eptp, (unsigned long long)gpt.root);

    devices(&v);
    far(&v);
    walk(&v);
    accessed_dirty(&v, cap);
    test_finish();
}
