/* vmx_basic: VT-x discovery and enabling, and every VMX instruction's failure
 * modes outside a running guest: CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL, the
 * capability MSRs, CR4.VMXE, VMXON/VMXOFF, VMCLEAR/VMPTRLD/VMPTRST,
 * VMREAD/VMWRITE, VMLAUNCH/VMRESUME failures with their VM-instruction error
 * numbers, #UD without CR4.VMXE or outside VMX operation, #GP at CPL 3
 * (Intel SDM vol. 3C 23.6-23.8, 26.1-26.2, 30.2-30.4, appendix A). 64-bit. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define NO_FAULT (-1)
#define BAD_REVISION 0x7eadbeefu
#define VEC_USER_DONE 0x80
#define TEST_RIP 0x0000123456789abcull

/* A VMX instruction that may fault: the vector, or NO_FAULT (then *result
 * holds the RFLAGS outcome). Needs trap_catch(EXC_UD) and the #GP handler. */
#define TRY_VMX(insn, result, ...)                                              \
    ({                                                                          \
        unsigned long before_ = fault_count, fl_ = 0;                           \
        asm volatile("1: " insn "\n2: pushfq\n\tpopq %0\n\t" EXTABLE(1b, 2b)    \
                     : "+r"(fl_) : __VA_ARGS__ : "cc", "memory");               \
        *(result) = (fl_ & 1) ? VMX_FAIL_INVALID : (fl_ & 0x40) ? VMX_FAIL_VALID : VMX_OK; \
        fault_count != before_ ? (int)fault_last.vector : NO_FAULT;            \
    })

static const char *fault_name(int v)
{
    return v == NO_FAULT ? "no fault" : v == EXC_UD ? "#UD" : v == EXC_GP ? "#GP" : "another fault";
}

/* ---- ring 3 ---- */

static char user_stack[4096] __attribute__((aligned(16)));
static uint64_t user_operand;               /* the VMXON operand of the ring-3 attempt */
static volatile unsigned long user_err;
enum user_op { USER_VMXON, USER_VMREAD };
static volatile enum user_op user_op;

/* #GP: from ring 3, end the user run with the vector; in ring 0, the
 * exception table decides. */
static void on_gp(struct trapframe *tf)
{
    if ((tf->cs & 3) == 3) {
        user_err = tf->err;
        user_return(EXC_GP);
    }
    if (!trap_fixup(tf)) {
        kprintf("unexpected #GP in ring 0:\n");
        trap_dump(tf);
        hv_exit(EXIT_UNEXPECTED);
    }
}

static void on_user_done(struct trapframe *tf)
{
    (void)tf;
    user_return(NO_FAULT);
}

static void user_main(void)
{
    uint64_t v;
    if (user_op == USER_VMXON)
        asm volatile("vmxon %0" : : "m"(user_operand) : "cc", "memory");
    else
        asm volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)VMCS_GUEST_RIP) : "cc");
    asm volatile("int $0x80" ::: "memory");
}

static int in_ring3(enum user_op op)
{
    user_op = op;
    return (int)user_run(user_main, user_stack + sizeof(user_stack), EFLAGS_FIXED1);
}

/* ---- checks ---- */

static void check_capabilities(void)
{
    test_section("capability MSRs (SDM appendix A)");
    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    uint32_t rev = VMX_BASIC_REVISION(basic), size = VMX_BASIC_REGION_SIZE(basic);
    kprintf("  IA32_VMX_BASIC = %#llx: revision %#x, region %u bytes, memory type %u%s\n",
            (unsigned long long)basic, rev, size, VMX_BASIC_MEMTYPE(basic),
            basic & VMX_BASIC_TRUE_CTLS ? ", TRUE controls" : "");
    check(rev != 0 && !(basic & (1ull << 31)), "IA32_VMX_BASIC: revision id %#x non-zero, bit 31 clear (A.1)", rev);
    check(size > 0 && size <= 4096, "IA32_VMX_BASIC[44:32]: VMXON/VMCS region size %u in 1..4096 (A.1)", size);
    check(VMX_BASIC_MEMTYPE(basic) == 6, "IA32_VMX_BASIC[53:50]: VMCS memory type write-back (6), got %u",
          VMX_BASIC_MEMTYPE(basic));

    static const struct { uint32_t msr; const char *name; } ctls[] = {
        { MSR_IA32_VMX_PINBASED_CTLS, "PINBASED_CTLS" }, { MSR_IA32_VMX_PROCBASED_CTLS, "PROCBASED_CTLS" },
        { MSR_IA32_VMX_EXIT_CTLS, "EXIT_CTLS" }, { MSR_IA32_VMX_ENTRY_CTLS, "ENTRY_CTLS" },
        { MSR_IA32_VMX_TRUE_PINBASED_CTLS, "TRUE_PINBASED_CTLS" }, { MSR_IA32_VMX_TRUE_PROCBASED_CTLS, "TRUE_PROCBASED_CTLS" },
        { MSR_IA32_VMX_TRUE_EXIT_CTLS, "TRUE_EXIT_CTLS" }, { MSR_IA32_VMX_TRUE_ENTRY_CTLS, "TRUE_ENTRY_CTLS" },
        { MSR_IA32_VMX_PROCBASED_CTLS2, "PROCBASED_CTLS2" },
    };
    for (unsigned i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
        if (ctls[i].msr >= MSR_IA32_VMX_TRUE_PINBASED_CTLS && ctls[i].msr <= MSR_IA32_VMX_TRUE_ENTRY_CTLS &&
            !(basic & VMX_BASIC_TRUE_CTLS))
            continue;
        uint64_t c = rdmsr(ctls[i].msr);
        uint32_t must1 = (uint32_t)c, may1 = (uint32_t)(c >> 32);
        check((must1 & ~may1) == 0, "IA32_VMX_%s (%#x) = %#llx: every bit that must be 1 may be 1 (A.3)",
              ctls[i].name, ctls[i].msr, (unsigned long long)c);
    }
    if (basic & VMX_BASIC_TRUE_CTLS) {
        for (unsigned i = 0; i < 4; i++) {
            uint64_t plain = rdmsr(MSR_IA32_VMX_PINBASED_CTLS + i), tru = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS + i);
            check((plain >> 32) == (tru >> 32) && ((uint32_t)tru & ~(uint32_t)plain) == 0,
                  "TRUE MSR %#x: same allowed-1 bits as %#x, allowed-0 bits a superset (A.3.1)",
                  MSR_IA32_VMX_TRUE_PINBASED_CTLS + i, MSR_IA32_VMX_PINBASED_CTLS + i);
        }
    }
    uint64_t f0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0), f1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    uint64_t g0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0), g1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    check((f0 & ~f1) == 0 && (g0 & ~g1) == 0, "CR0/CR4 FIXED0 bits are all allowed by FIXED1 (A.7, A.8)");
    check((g0 & CR4_VMXE) != 0, "IA32_VMX_CR4_FIXED0 (%#llx) requires CR4.VMXE (A.8)", (unsigned long long)g0);
    kprintf("  IA32_VMX_MISC = %#llx: preemption timer rate %u\n", (unsigned long long)rdmsr(MSR_IA32_VMX_MISC),
            VMX_MISC_TIMER_RATE(rdmsr(MSR_IA32_VMX_MISC)));
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    int r, f;
    trap_catch(EXC_UD);
    trap_set_handler(EXC_GP, on_gp);
    idt_set_gate(VEC_USER_DONE, 3, 0, 0);
    trap_set_handler(VEC_USER_DONE, on_user_done);
    /* Ring 3 needs user pages (kernel image, stacks, the pages of palloc). */
    struct pagetable pt;
    pt_init(&pt, PT_4LEVEL);
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W | PTE_U);
    pt_activate(&pt);

    test_section("discovery (SDM 23.6, 23.7)");
    if (!check(cpuid(1, 0).ecx & CPUID1_ECX_VMX, "CPUID.1:ECX.VMX[bit 5] reports VMX"))
        test_finish();
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    kprintf("  IA32_FEATURE_CONTROL = %#llx at boot\n", (unsigned long long)fc);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX);
        uint64_t now = rdmsr(MSR_IA32_FEATURE_CONTROL);
        check((now & (FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX)) == (FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX),
              "IA32_FEATURE_CONTROL (0x3a) unlocked at boot; written with lock + VMX outside SMX, reads %#llx",
              (unsigned long long)now);
        fc = now;
    }
    check((fc & FEATURE_CONTROL_LOCK) && (fc & FEATURE_CONTROL_VMX),
          "IA32_FEATURE_CONTROL: bit 0 (lock) and bit 2 (VMX outside SMX) set");
    if (fc & FEATURE_CONTROL_LOCK) {
        f = wrmsr_safe(MSR_IA32_FEATURE_CONTROL, fc & ~(uint64_t)FEATURE_CONTROL_VMX);
        check(f == EXC_GP && rdmsr(MSR_IA32_FEATURE_CONTROL) == fc,
              "WRMSR to a locked IA32_FEATURE_CONTROL raises #GP and changes nothing (got vector %d)", f);
    }
    check_capabilities();

    test_section("CR4.VMXE and #UD (SDM 23.7, 30.3 VMXON)");
    uint64_t vmxon_pa = vmcs_alloc();
    write_cr0((read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
    write_cr4(read_cr4() & ~(unsigned long)CR4_VMXE);
    f = TRY_VMX("vmxon %1", &r, "m"(vmxon_pa));
    check(f == EXC_UD, "VMXON with CR4.VMXE = 0 raises #UD (got %s)", fault_name(f));
    write_cr4((read_cr4() | rdmsr(MSR_IA32_VMX_CR4_FIXED0) | CR4_VMXE) & rdmsr(MSR_IA32_VMX_CR4_FIXED1));
    check((read_cr4() & CR4_VMXE) != 0, "CR4.VMXE (bit 13) can be set: CR4 = %#lx", read_cr4());
    uint64_t val = 0;
    f = TRY_VMX("vmread %2, %1", &r, "m"(val), "r"((uint64_t)VMCS_GUEST_RIP));
    check(f == EXC_UD, "VMREAD outside VMX operation raises #UD (got %s)", fault_name(f));
    f = TRY_VMX("vmxoff", &r, "i"(0));
    check(f == EXC_UD, "VMXOFF outside VMX operation raises #UD (got %s)", fault_name(f));

    test_section("VMXON (SDM 30.3)");
    user_operand = vmxon_pa;
    user_err = ~0ul;
    f = in_ring3(USER_VMXON);
    check(f == EXC_GP && user_err == 0, "VMXON at CPL 3 raises #GP(0) (got %s, error code %#lx)", fault_name(f),
          user_err);
    uint32_t *region = (uint32_t *)(uintptr_t)vmxon_pa;
    region[0] = BAD_REVISION;
    f = TRY_VMX("vmxon %1", &r, "m"(vmxon_pa));
    check(f == NO_FAULT && r == VMX_FAIL_INVALID, "VMXON of a region with revision %#x: VMfailInvalid, CF=1 (got %s, %s)",
          BAD_REVISION, fault_name(f), vmx_result_str(r));
    region[0] = VMX_BASIC_REVISION(rdmsr(MSR_IA32_VMX_BASIC));
    uint64_t unaligned = vmxon_pa | 0x800;
    f = TRY_VMX("vmxon %1", &r, "m"(unaligned));
    check(f == NO_FAULT && r == VMX_FAIL_INVALID, "VMXON of an address not 4 KiB aligned: VMfailInvalid (got %s, %s)",
          fault_name(f), vmx_result_str(r));
    f = TRY_VMX("vmxon %1", &r, "m"(vmxon_pa));
    if (!check(f == NO_FAULT && r == VMX_OK, "VMXON of a good region: VMsucceed (got %s, %s)", fault_name(f),
               vmx_result_str(r)))
        test_finish();
    uint64_t ptr = 0;
    r = vmptrst(&ptr);
    check(r == VMX_OK && ptr == ~0ull, "VMPTRST right after VMXON stores FFFFFFFF_FFFFFFFFH (got %#llx, %s)",
          (unsigned long long)ptr, vmx_result_str(r));
    r = vmread(VMCS_GUEST_RIP, &val);
    check(r == VMX_FAIL_INVALID, "VMREAD without a current VMCS: VMfailInvalid (got %s)", vmx_result_str(r));
    r = vmxon(vmxon_pa);
    check(r == VMX_FAIL_INVALID, "VMXON in VMX root operation without a current VMCS: VMfailInvalid (got %s)",
          vmx_result_str(r));
    f = TRY_VMX("mov %1, %%cr4", &r, "r"(read_cr4() & ~(unsigned long)CR4_VMXE));
    check(f == EXC_GP && (read_cr4() & CR4_VMXE), "clearing CR4.VMXE in VMX operation raises #GP (23.8; got %s, "
          "CR4 now %#lx)", fault_name(f), read_cr4());
    if (!(read_cr4() & CR4_VMXE))
        write_cr4(read_cr4() | CR4_VMXE);   /* carry on in VMX operation */

    test_section("VMCLEAR, VMPTRLD, VMPTRST (SDM 30.3)");
    uint64_t vmcs = vmcs_alloc();
    r = vmclear(vmcs);
    check(r == VMX_OK, "VMCLEAR of a fresh VMCS: VMsucceed (got %s)", vmx_result_str(r));
    r = vmptrld(vmcs);
    check(r == VMX_OK, "VMPTRLD of it: VMsucceed (got %s)", vmx_result_str(r));
    r = vmptrst(&ptr);
    check(r == VMX_OK && ptr == vmcs, "VMPTRST stores the current-VMCS pointer %#llx (got %#llx)",
          (unsigned long long)vmcs, (unsigned long long)ptr);
    r = vmxon(vmxon_pa);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMXON_IN_ROOT,
          "VMXON in VMX root operation: VMfailValid(15) (got %s)", vmx_result_str(r));
    r = vmptrld(vmxon_pa);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMPTRLD_VMXON_POINTER,
          "VMPTRLD of the VMXON region: VMfailValid(10) (got %s)", vmx_result_str(r));
    r = vmclear(vmxon_pa);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMCLEAR_VMXON_POINTER,
          "VMCLEAR of the VMXON region: VMfailValid(3) (got %s)", vmx_result_str(r));
    r = vmptrld(vmcs + 0x10);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMPTRLD_INVALID_ADDRESS,
          "VMPTRLD of an address not 4 KiB aligned: VMfailValid(9) (got %s)", vmx_result_str(r));
    r = vmptrld(1ull << 52);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMPTRLD_INVALID_ADDRESS,
          "VMPTRLD of an address beyond the physical-address width (2^52): VMfailValid(9) (got %s)",
          vmx_result_str(r));
    r = vmclear(vmcs + 0x10);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMCLEAR_INVALID_ADDRESS,
          "VMCLEAR of an address not 4 KiB aligned: VMfailValid(2) (got %s)", vmx_result_str(r));
    uint64_t wrong = vmcs_alloc();
    *(uint32_t *)(uintptr_t)wrong = BAD_REVISION;
    r = vmptrld(wrong);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMPTRLD_INCORRECT_REVISION,
          "VMPTRLD of a region with revision %#x: VMfailValid(11) (got %s)", BAD_REVISION, vmx_result_str(r));
    r = vmptrst(&ptr);
    check(ptr == vmcs, "the failed VMPTRLDs left the current VMCS at %#llx (VMPTRST: %#llx)",
          (unsigned long long)vmcs, (unsigned long long)ptr);

    test_section("VMREAD and VMWRITE (SDM 24.11.2, 30.3)");
    r = vmwrite(VMCS_GUEST_RIP, TEST_RIP);
    check(r == VMX_OK && vmr(VMCS_GUEST_RIP) == TEST_RIP, "guest RIP (0x681e) written and read back as %#llx",
          (unsigned long long)vmr(VMCS_GUEST_RIP));
    r = vmwrite(VMCS_GUEST_ES_SELECTOR, 0x12345678);
    check(r == VMX_OK && vmr(VMCS_GUEST_ES_SELECTOR) == 0x5678,
          "a 16-bit field (0x0800) keeps the low 16 bits of 0x12345678: reads %#llx",
          (unsigned long long)vmr(VMCS_GUEST_ES_SELECTOR));
    r = vmwrite(VMCS_CTRL_TSC_OFFSET, 0x1122334455667788ull);
    check(r == VMX_OK && vmr(VMCS_CTRL_TSC_OFFSET | 1) == 0x11223344,
          "high access (0x2011) of the 64-bit TSC offset reads bits 63:32: %#llx",
          (unsigned long long)vmr(VMCS_CTRL_TSC_OFFSET | 1));
    r = vmclear(vmcs);
    int r2 = vmptrld(vmcs);
    check(r == VMX_OK && r2 == VMX_OK && vmr(VMCS_GUEST_RIP) == TEST_RIP,
          "VMCLEAR + VMPTRLD keep the field values (guest RIP %#llx)", (unsigned long long)vmr(VMCS_GUEST_RIP));
    r = vmread(0x8000, &val);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_UNSUPPORTED_VMCS_COMPONENT,
          "VMREAD of encoding 0x8000 (reserved bit 15): VMfailValid(12) (got %s)", vmx_result_str(r));
    r = vmwrite(0x8000, 0);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_UNSUPPORTED_VMCS_COMPONENT,
          "VMWRITE of encoding 0x8000: VMfailValid(12) (got %s)", vmx_result_str(r));
    if (rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_VMWRITE_ALL) {
        kprintf("  skip IA32_VMX_MISC bit 29: VMWRITE may write exit-information fields\n");
    } else {
        r = vmwrite(VMCS_EXIT_REASON, 10);
        check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMWRITE_READ_ONLY_COMPONENT,
              "VMWRITE of the exit reason (0x4402, read-only): VMfailValid(13) (got %s)", vmx_result_str(r));
    }
    user_err = ~0ul;
    f = in_ring3(USER_VMREAD);
    check(f == EXC_GP && user_err == 0, "VMREAD at CPL 3 in VMX root operation raises #GP(0) (got %s)", fault_name(f));
    r = vmcall();
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMCALL_IN_ROOT,
          "VMCALL in VMX root operation: VMfailValid(1) (got %s)", vmx_result_str(r));

    test_section("VMLAUNCH and VMRESUME failures (SDM 26.1, 26.2)");
    /* A complete VMCS, then one fault at a time; the guest would only VMCALL. */
    static char guest_stack[4096] __attribute__((aligned(16)));
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))(uintptr_t)TEST_RIP, guest_stack + sizeof(guest_stack));
    r = vmx_enter(&v.regs, 1);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMRESUME_NONLAUNCHED_VMCS,
          "VMRESUME of a clear VMCS: VMfailValid(5) (got %s)", vmx_result_str(r));
    uint64_t pin = vmr(VMCS_CTRL_PIN_BASED);
    vmw(VMCS_CTRL_PIN_BASED, 0);
    r = vmx_run(&v);
    check(r == VMX_FAIL_VALID && v.error == VMXERR_ENTRY_INVALID_CONTROL_FIELD,
          "VMLAUNCH with pin-based controls 0 (IA32_VMX_TRUE_PINBASED_CTLS requires %#x): VMfailValid(7) (got %s%s)",
          (uint32_t)rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS), vmx_result_str(r), r == VMX_OK ? ": it entered the guest" : "");
    vmw(VMCS_CTRL_PIN_BASED, pin);
    uint64_t host_cr4 = vmr(VMCS_HOST_CR4);
    vmw(VMCS_HOST_CR4, host_cr4 & ~(uint64_t)CR4_VMXE);
    r = vmx_run(&v);
    check(r == VMX_FAIL_VALID && v.error == VMXERR_ENTRY_INVALID_HOST_STATE_FIELD,
          "VMLAUNCH with host CR4.VMXE clear (26.2.2): VMfailValid(8) (got %s%s)", vmx_result_str(r),
          r == VMX_OK ? ": it entered the guest" : "");
    vmw(VMCS_HOST_CR4, host_cr4);
    vmw(VMCS_HOST_CS_SELECTOR, 0);
    r = vmx_run(&v);
    check(r == VMX_FAIL_VALID && v.error == VMXERR_ENTRY_INVALID_HOST_STATE_FIELD,
          "VMLAUNCH with a null host CS selector (26.2.3): VMfailValid(8) (got %s%s)", vmx_result_str(r),
          r == VMX_OK ? ": it entered the guest" : "");

    test_section("VMXOFF (SDM 30.3)");
    r = vmxoff();
    check(r == VMX_OK, "VMXOFF: VMsucceed (got %s)", vmx_result_str(r));
    f = TRY_VMX("vmptrld %1", &r, "m"(vmcs));
    check(f == EXC_UD, "VMPTRLD after VMXOFF raises #UD (got %s)", fault_name(f));
    write_cr4(read_cr4() & ~(unsigned long)CR4_VMXE);
    check(!(read_cr4() & CR4_VMXE), "CR4.VMXE can be cleared after VMXOFF");
    f = TRY_VMX("vmxon %1", &r, "m"(vmxon_pa));
    check(f == EXC_UD, "VMXON with CR4.VMXE cleared again raises #UD (got %s)", fault_name(f));
    test_finish();
}
