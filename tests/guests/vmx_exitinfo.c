/* vmx_exitinfo: exit information and VM-entry rules Xen relies on (issue 12
 * item 5). INVLPG exits with the operand's linear address as qualification;
 * INVD exits with no control set; a single-step #DB exits with DR6-style
 * qualification (BS) and leaves the guest's DR6 alone, as does an instruction
 * breakpoint (DR0, DR7.L0: B0); INT1 (ICEBP) exits as a
 * privileged software exception (type 5) of length 1, or without the exit is
 * delivered through the guest's IDT as a trap; INS and OUTS exits report the
 * instruction information (address size, segment) and linear address; the VM-entry MSR-load list
 * refuses IA32_FS_BASE, IA32_GS_BASE, x2APIC MSRs and reserved bits (exit 34
 * with the entry's index) and loads IA32_TSC; and the alignment and canonical
 * checks of VM entry on controls (VMfailValid(7)), host state
 * (VMfailValid(8)) and guest state (exit 33). The guest shares the host's GDT,
 * IDT and page tables (no EPT). Intel SDM vol. 3C 25.1.2-25.1.3 (what
 * exits), 27.1-27.2 (exit information, table 27-1), 26.2.1-26.2.3, 26.3.1
 * (entry checks), 26.4 (loading MSRs). 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define INVLPG_RAX     0xffff800012345678ull
#define INVLPG_RBX     0x0000123400000000ull
#define INVLPG_RCX     0x21
#define DR6_QUIET      0xffff0ff0ull  /* DR6 with no condition bit */
#define TSC_LOADED     (1ull << 40)
#define TSC_OFFSET     (1ull << 36)
#define NONCANON       0x0000800000000000ull
#define MAXPHYADDR_BIT (1ull << 40)   /* CPUID 0x80000008 of hvsim: 40 bits */

uint64_t dr6_seen, tsc_seen, db_frame_rip, db_count;
static char guest_stack[8192] __attribute__((aligned(16)));

extern char guest_ei[], g_invlpg1[], g_invlpg2[], g_invd[], g_ss_first[], g_ss_second[], g_icebp[],
    g_after_icebp[], g_icebp2[], g_icebp2_next[], g_vmcall[], g_tsc[], g_tsc_done[], g_outs[], g_ins[], g_bp[],
    g_bp_target[];
asm(".text\n"
    "guest_ei:\n"
    "g_invlpg1:\n"
    "    invlpg (%rax)\n"                       /* 0f 01 38 */
    "g_invlpg2:\n"
    "    invlpg 0x40(%rbx,%rcx,8)\n"            /* 0f 01 7c cb 40 */
    "g_invd:\n"
    "    invd\n"                                /* 0f 08 */
    "    mov $0xffff0ff0, %eax\n"
    "    mov %rax, %dr6\n"
    "    pushfq\n"
    "    orq $0x100, (%rsp)\n"                  /* TF */
    "    popfq\n"
    "g_ss_first:\n"
    "    nop\n"                                 /* the single-step trap after it */
    "g_ss_second:\n"
    "    mov %dr6, %rax\n"
    "    mov %rax, dr6_seen(%rip)\n"
    "g_icebp:\n"
    "    .byte 0xf1\n"                          /* INT1 */
    "g_after_icebp:\n"
    "    nop\n"
    "g_icebp2:\n"
    "    .byte 0xf1\n"                          /* no exit: the guest's #DB handler */
    "g_icebp2_next:\n"
    "g_vmcall:\n"
    "    vmcall\n"
    "    jmp g_vmcall\n"
    "g_bp:\n"
    "    lea g_bp_target(%rip), %rax\n"
    "    mov %rax, %dr0\n"
    "    mov $0x401, %eax\n"                   /* L0, execute, 1 byte */
    "    mov %rax, %dr7\n"
    "    nop\n"
    "g_bp_target:\n"
    "    nop\n"
    "    jmp g_vmcall\n"
    "g_outs:\n"
    "    fs outsb\n"                           /* 64 6e */
    "g_ins:\n"
    "    addr32 insb\n"                        /* 67 6c */
    "    jmp g_vmcall\n"
    "g_tsc:\n"
    "    rdtsc\n"
    "    mov %eax, tsc_seen(%rip)\n"
    "    mov %edx, tsc_seen+4(%rip)\n"
    "g_tsc_done:\n"
    "    vmcall\n"
    "    jmp g_tsc_done\n");

#define RIP(label) ((uintptr_t)(label))

/* #DB in the guest (shared IDT): where the frame says to return. */
static void on_db(struct trapframe *tf)
{
    db_frame_rip = tf->ip;
    db_count++;
}

static void check_qual(struct vmx_vcpu *v, uint64_t qual, const char *what)
{
    check(v->qual == qual, "  exit qualification %#llx: %s (got %#llx)", (unsigned long long)qual, what,
          (unsigned long long)v->qual);
}

static void check_len(struct vmx_vcpu *v, uint32_t len, const char *insn)
{
    check(v->len == len, "  VM-exit instruction length of %s is %u (got %u)", insn, len, v->len);
}

static void check_info(uint32_t info, const char *what)
{
    uint32_t got = (uint32_t)vmr(VMCS_EXIT_INTR_INFO);
    check(got == info, "  VM-exit interruption information %#x: %s (got %#x)", info, what, got);
}

/* One VM entry that must fail: VMfailValid(err) when err is 7 or 8, else an
 * exit with reason `reason` (bit 31 set) and qualification qual. The field is
 * written with `bad` and restored after. */
static void expect_entry_fail(struct vmx_vcpu *v, uint32_t fld, uint64_t bad, uint32_t err, uint32_t reason,
                              uint64_t qual, const char *what)
{
    uint64_t old = vmr(fld);
    vmw(fld, bad);
    int r = vmx_run(v);
    if (err)
        check(r == VMX_FAIL_VALID && v->error == err, "%s: VMfailValid(%u) (got %s)", what, err,
              vmx_result_str(r));
    else
        check(r == VMX_OK && v->reason == reason && v->qual == qual,
              "%s: exit reason %#x, qualification %llu (got %s, reason %#x, qualification %llu)", what, reason,
              (unsigned long long)qual, vmx_result_str(r), v->reason, (unsigned long long)v->qual);
    vmw(fld, old);
}

struct msr_entry {
    uint32_t index, reserved;
    uint64_t value;
};

static void msr_load_cases(struct vmx_vcpu *v, struct msr_entry *list)
{
    static const struct {
        uint32_t index, reserved, count;
        const char *what;
    } bad[] = {
        { MSR_IA32_FS_BASE, 0, 2, "IA32_FS_BASE as entry 2 (the guest FS base field loads it)" },
        { MSR_IA32_GS_BASE, 0, 2, "IA32_GS_BASE as entry 2" },
        { 0x808, 0, 2, "x2APIC TPR (bits 31:8 = 8) as entry 2" },
        { MSR_IA32_KERNEL_GS_BASE, 1, 2, "bits 63:32 of entry 2 not 0" },
    };
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, (uintptr_t)list);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        list[0] = (struct msr_entry){ MSR_IA32_KERNEL_GS_BASE, 0, 0x1000 };
        list[1] = (struct msr_entry){ bad[i].index, bad[i].reserved, 0 };
        vmx_goto(v, (void (*)(void))g_vmcall, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
        vmw(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, bad[i].count);
        int r = vmx_run(v);
        check(r == VMX_OK && v->reason == (EXIT_REASON_MSR_LOADING | EXIT_REASON_ENTRY_FAILURE) && v->qual == 2,
              "%s: VM-entry failure, exit reason 34 with bit 31, qualification 2 (got %s, reason %#x, "
              "qualification %llu)", bad[i].what, vmx_result_str(r), v->reason, (unsigned long long)v->qual);
    }

    /* IA32_TSC: the processor's TSC, which the guest reads plus the offset. */
    list[0] = (struct msr_entry){ MSR_IA32_TSC, 0, TSC_LOADED };
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 1);
    vmw(VMCS_CTRL_TSC_OFFSET, TSC_OFFSET);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_TSC_OFFSETTING));
    vmx_goto(v, (void (*)(void))g_tsc, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_expect_exit(v, EXIT_REASON_VMCALL, RIP(g_tsc_done), "IA32_TSC in the VM-entry MSR-load list");
    uint64_t host_tsc = rdtsc();
    check(tsc_seen >= TSC_LOADED + TSC_OFFSET && tsc_seen < TSC_LOADED + TSC_OFFSET + (1ull << 24),
          "  the guest's RDTSC reads the loaded TSC %#llx plus the offset %#llx, plus a little (got %#llx)",
          TSC_LOADED, TSC_OFFSET, (unsigned long long)tsc_seen);
    check(host_tsc > tsc_seen - TSC_OFFSET && host_tsc < TSC_LOADED + (1ull << 26),
          "  after the exit the host's TSC goes on from the loaded value, without the offset (got %#llx)",
          (unsigned long long)host_tsc);
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 0);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, 0));
}

static void entry_checks(struct vmx_vcpu *v)
{
    uint8_t *page = palloc();
    uint32_t proc = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, 0);
    vmx_goto(v, (void (*)(void))g_vmcall, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);

    test_section("VM-entry checks on the controls: alignment and address width (SDM 26.2.1)");
    vmw(VMCS_CTRL_PROC_BASED, proc | VMX_PROC_USE_IO_BITMAPS | VMX_PROC_USE_MSR_BITMAPS);
    vmw(VMCS_CTRL_IO_BITMAP_A, (uintptr_t)page);
    vmw(VMCS_CTRL_IO_BITMAP_B, (uintptr_t)page);
    vmw(VMCS_CTRL_MSR_BITMAP, (uintptr_t)page);
    expect_entry_fail(v, VMCS_CTRL_IO_BITMAP_A, (uintptr_t)page + 0x800, 7, 0, 0, "I/O bitmap A not 4 KiB aligned");
    expect_entry_fail(v, VMCS_CTRL_IO_BITMAP_B, MAXPHYADDR_BIT, 7, 0, 0,
                      "I/O bitmap B beyond the physical-address width");
    expect_entry_fail(v, VMCS_CTRL_MSR_BITMAP, (uintptr_t)page + 8, 7, 0, 0, "MSR bitmaps not 4 KiB aligned");
    vmw(VMCS_CTRL_PROC_BASED, proc);
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 1);
    expect_entry_fail(v, VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, (uintptr_t)page + 8, 7, 0, 0,
                      "VM-entry MSR-load address not 16-byte aligned");
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 0);
    vmw(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 2);
    expect_entry_fail(v, VMCS_CTRL_EXIT_MSR_STORE_ADDR, MAXPHYADDR_BIT - 16, 7, 0, 0,
                      "VM-exit MSR-store area whose last byte is beyond the physical-address width");
    vmw(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 0);
    vmw(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 1);
    expect_entry_fail(v, VMCS_CTRL_EXIT_MSR_LOAD_ADDR, (uintptr_t)page + 4, 7, 0, 0,
                      "VM-exit MSR-load address not 16-byte aligned");
    vmw(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 0);

    test_section("VM-entry checks on the host state: canonical addresses (SDM 26.2.2-26.2.4)");
    static const struct {
        uint32_t field;
        const char *name;
    } host[] = {
        { VMCS_HOST_RIP, "host RIP" }, { VMCS_HOST_FS_BASE, "host FS base" },
        { VMCS_HOST_GS_BASE, "host GS base" }, { VMCS_HOST_TR_BASE, "host TR base" },
        { VMCS_HOST_GDTR_BASE, "host GDTR base" }, { VMCS_HOST_IDTR_BASE, "host IDTR base" },
        { VMCS_HOST_SYSENTER_ESP, "host IA32_SYSENTER_ESP" }, { VMCS_HOST_SYSENTER_EIP, "host IA32_SYSENTER_EIP" },
    };
    char what[96];
    for (unsigned i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
        ksnprintf(what, sizeof(what), "%s %#llx not canonical", host[i].name, NONCANON);
        expect_entry_fail(v, host[i].field, NONCANON, 8, 0, 0, what);
    }
    expect_entry_fail(v, VMCS_HOST_CR3, MAXPHYADDR_BIT, 8, 0, 0, "host CR3 beyond the physical-address width");

    test_section("VM-entry checks on the guest state: canonical addresses, widths (SDM 26.3.1)");
    const uint32_t bad_state = EXIT_REASON_INVALID_GUEST_STATE | EXIT_REASON_ENTRY_FAILURE;
    static const struct {
        uint32_t field;
        uint64_t value;
        uint64_t qual;
        const char *what;
    } guest[] = {
        { VMCS_GUEST_RIP, NONCANON, 0, "guest RIP not canonical with CS.L = 1" },
        { VMCS_GUEST_FS_BASE, NONCANON, 0, "guest FS base not canonical" },
        { VMCS_GUEST_GS_BASE, NONCANON, 0, "guest GS base not canonical" },
        { VMCS_GUEST_TR_BASE, NONCANON, 0, "guest TR base not canonical" },
        { VMCS_GUEST_CS_BASE, 1ull << 32, 0, "guest CS base with bits 63:32 set" },
        { VMCS_GUEST_SS_BASE, 1ull << 32, 0, "usable guest SS base with bits 63:32 set" },
        { VMCS_GUEST_DS_BASE, 1ull << 32, 0, "usable guest DS base with bits 63:32 set" },
        { VMCS_GUEST_GDTR_BASE, NONCANON, 0, "guest GDTR base not canonical" },
        { VMCS_GUEST_IDTR_BASE, NONCANON, 0, "guest IDTR base not canonical" },
        { VMCS_GUEST_GDTR_LIMIT, 0x10000, 0, "guest GDTR limit with bits 31:16 set" },
        { VMCS_GUEST_SYSENTER_EIP, NONCANON, 0, "guest IA32_SYSENTER_EIP not canonical" },
        { VMCS_GUEST_CR3, MAXPHYADDR_BIT, 0, "guest CR3 beyond the physical-address width" },
        { VMCS_LINK_POINTER, 0x1008, 4, "VMCS link pointer not 4 KiB aligned (qualification 4)" },
    };
    for (unsigned i = 0; i < sizeof(guest) / sizeof(guest[0]); i++)
        expect_entry_fail(v, guest[i].field, guest[i].value, 0, bad_state, guest[i].qual, guest[i].what);

    /* DR7 is loaded, and checked, only with "load debug controls". */
    uint64_t entry = vmr(VMCS_CTRL_ENTRY);
    vmw(VMCS_CTRL_ENTRY, entry | VMX_ENTRY_LOAD_DEBUG_CONTROLS);
    expect_entry_fail(v, VMCS_GUEST_DR7, 1ull << 32, 0, bad_state, 0,
                      "guest DR7 with bits 63:32 set and \"load debug controls\"");
    vmw(VMCS_CTRL_ENTRY, entry);

    /* The good case: all restored, the same VMCS enters. */
    vmx_check_exit(v, EXIT_REASON_VMCALL, RIP(g_vmcall), "with every field restored the entry succeeds");
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();

    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))guest_ei, guest_stack + sizeof(guest_stack));
    uint32_t proc = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_INVLPG_EXITING);
    vmw(VMCS_CTRL_PROC_BASED, proc);
    v.regs.rax = INVLPG_RAX;
    v.regs.rbx = INVLPG_RBX;
    v.regs.rcx = INVLPG_RCX;

    test_section("INVLPG exiting: the qualification is the linear address (SDM 25.1.3, 27.2.1)");
    vmx_expect_exit(&v, EXIT_REASON_INVLPG, RIP(g_invlpg1), "INVLPG (%rax)");
    check_len(&v, 3, "INVLPG (%rax) (0f 01 38)");
    check_qual(&v, INVLPG_RAX, "RAX");
    vmx_skip(&v);
    vmx_expect_exit(&v, EXIT_REASON_INVLPG, RIP(g_invlpg2), "INVLPG 0x40(%rbx,%rcx,8)");
    check_len(&v, 5, "INVLPG 0x40(%rbx,%rcx,8) (0f 01 7c cb 40)");
    check_qual(&v, INVLPG_RBX + INVLPG_RCX * 8 + 0x40, "RBX + RCX * 8 + 0x40");
    vmx_skip(&v);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, 0));

    test_section("INVD exits unconditionally (SDM 25.1.2)");
    vmx_expect_exit(&v, EXIT_REASON_INVD, RIP(g_invd), "INVD with no VM-execution control set");
    check_len(&v, 2, "INVD (0f 08)");
    check_qual(&v, 0, "none");
    vmx_skip(&v);

    test_section("#DB from single-stepping: DR6-style qualification (SDM 27.1, table 27-1)");
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 1u << EXC_DB);
    vmx_expect_exit(&v, EXIT_REASON_EXCEPTION_NMI, RIP(g_ss_second),
                    "TF set by POPF: a #DB trap after the next instruction exits");
    check_info(VMX_INTR_INFO_VALID | VMX_INTR_TYPE_HW_EXCEPTION << VMX_INTR_INFO_TYPE_SHIFT | EXC_DB,
               "valid, hardware exception (3), vector 1");
    check_qual(&v, DR6_BS, "BS (bit 14): single step");
    vmw(VMCS_GUEST_RFLAGS, vmr(VMCS_GUEST_RFLAGS) & ~(uint64_t)EFLAGS_TF);
    vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);

    test_section("INT1 (ICEBP): a privileged software exception (SDM 27.2.2)");
    vmx_expect_exit(&v, EXIT_REASON_EXCEPTION_NMI, RIP(g_icebp), "INT1 with bit 1 of the exception bitmap");
    check(dr6_seen == DR6_QUIET, "  the exiting #DB left the guest's DR6 at %#llx (got %#llx)", DR6_QUIET,
          (unsigned long long)dr6_seen);
    check_info(VMX_INTR_INFO_VALID | VMX_INTR_TYPE_PRIV_SW_EXCEPTION << VMX_INTR_INFO_TYPE_SHIFT | EXC_DB,
               "valid, privileged software exception (5), vector 1");
    check_len(&v, 1, "INT1 (f1)");
    check_qual(&v, 0, "none: INT1 sets no DR6 condition");
    vmx_skip(&v);
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 0);
    trap_set_handler(EXC_DB, on_db);
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_vmcall), "INT1 without the exit reaches the guest's #DB handler");
    check(db_count == 1 && db_frame_rip == RIP(g_icebp2_next),
          "  one #DB, delivered as a trap: the frame's RIP is past INT1, %#llx (got %llu, RIP %#llx)",
          (unsigned long long)RIP(g_icebp2_next), (unsigned long long)db_count, (unsigned long long)db_frame_rip);
    trap_set_handler(EXC_DB, 0);

    test_section("#DB from an instruction breakpoint (SDM 27.1, table 27-1)");
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 1u << EXC_DB);
    vmx_goto(&v, (void (*)(void))g_bp, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmx_check_exit(&v, EXIT_REASON_EXCEPTION_NMI, RIP(g_bp_target), "DR0 at an instruction, DR7.L0: a #DB fault exits");
    check_qual(&v, 1, "B0");
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 0);

    test_section("INS and OUTS: instruction information and guest-linear address (SDM 27.2.1, table 27-8)");
    check(!!(rdmsr(MSR_IA32_VMX_BASIC) & (1ull << 54)), "IA32_VMX_BASIC bit 54: INS/OUTS instruction information");
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_UNCOND_IO_EXITING));
    vmx_goto(&v, (void (*)(void))g_outs, guest_stack + sizeof(guest_stack), EFLAGS_FIXED1);
    vmw(VMCS_GUEST_FS_BASE, 0x10000);
    v.regs.rdx = 0x80;
    v.regs.rsi = 0x2000;
    v.regs.rdi = 0xffffffff00003000ull;
    vmx_expect_exit(&v, EXIT_REASON_IO_INSTRUCTION, RIP(g_outs), "OUTSB with an FS override, unconditional I/O exiting");
    check_qual(&v, 0x10 | 0x80ull << 16, "1 byte, out, string (bit 4), port 0x80 in DX");
    uint64_t info = vmr(VMCS_EXIT_INSTRUCTION_INFO), gla = vmr(VMCS_GUEST_LINEAR_ADDRESS);
    check(info == (2u << 7 | 4u << 15), "  instruction information %#x: 64-bit address size (9:7 = 2), FS (17:15 = 4) "
          "(got %#llx)", 2u << 7 | 4u << 15, (unsigned long long)info);
    check(gla == 0x12000, "  guest-linear address FS base 0x10000 + RSI 0x2000 (got %#llx)", (unsigned long long)gla);
    vmx_skip(&v);
    vmx_expect_exit(&v, EXIT_REASON_IO_INSTRUCTION, RIP(g_ins), "INSB with a 67h (32-bit address) prefix");
    check_qual(&v, 0x18 | 0x80ull << 16, "1 byte, in (bit 3), string, port 0x80");
    info = vmr(VMCS_EXIT_INSTRUCTION_INFO), gla = vmr(VMCS_GUEST_LINEAR_ADDRESS);
    check(info == (1u << 7), "  instruction information %#x: 32-bit address size, ES (got %#llx)", 1u << 7,
          (unsigned long long)info);
    check(gla == 0x3000, "  guest-linear address ES:EDI = 0x3000, the upper half of RDI ignored (got %#llx)",
          (unsigned long long)gla);
    vmw(VMCS_GUEST_FS_BASE, 0);
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, 0));

    test_section("VM-entry MSR-load list (SDM 26.4)");
    msr_load_cases(&v, palloc());

    entry_checks(&v);
    test_finish();
}
