/* vmx.c: VMX instruction wrappers, capability-adjusted controls, a VMCS for a
 * flat 64-bit guest, and the VM entry/exit path of the test hypervisors
 * (Intel SDM vol. 3C chapters 23-27 and 30). Built into klib64 only. */
#include "klib/vmx.h"
#include "klib/console.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

#define RFLAGS_CF 0x001
#define RFLAGS_ZF 0x040

static int outcome(unsigned long rflags)
{
    if (rflags & RFLAGS_CF)
        return VMX_FAIL_INVALID;
    if (rflags & RFLAGS_ZF)
        return VMX_FAIL_VALID;
    return VMX_OK;
}

/* Each wrapper executes the instruction and reads RFLAGS right after it. */
#define VMX_INSN(insn, ...)                                                     \
    ({                                                                          \
        unsigned long fl_;                                                      \
        asm volatile(insn "\n\tpushfq\n\tpopq %0" : "=r"(fl_) : __VA_ARGS__ : "cc", "memory"); \
        outcome(fl_);                                                           \
    })

int vmxon(uint64_t pa) { return VMX_INSN("vmxon %1", "m"(pa)); }
int vmclear(uint64_t pa) { return VMX_INSN("vmclear %1", "m"(pa)); }
int vmptrld(uint64_t pa) { return VMX_INSN("vmptrld %1", "m"(pa)); }
int vmxoff(void) { return VMX_INSN("vmxoff", "i"(0)); }
int vmcall(void) { return VMX_INSN("vmcall", "i"(0)); }
int vmwrite(uint64_t field, uint64_t val) { return VMX_INSN("vmwrite %1, %2", "r"(val), "r"(field)); }

int vmptrst(uint64_t *pa)
{
    unsigned long fl;
    asm volatile("vmptrst %1\n\tpushfq\n\tpopq %0" : "=r"(fl), "=m"(*pa) : : "cc", "memory");
    return outcome(fl);
}

int vmread(uint64_t field, uint64_t *val)
{
    unsigned long fl;
    uint64_t v = 0;
    asm volatile("vmread %2, %1\n\tpushfq\n\tpopq %0" : "=r"(fl), "+r"(v) : "r"(field) : "cc", "memory");
    *val = v;
    return outcome(fl);
}

int invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
    return VMX_INSN("invept %1, %2", "m"(desc), "r"(type));
}

int invept_desc(uint64_t type, uint64_t lo, uint64_t hi)
{
    struct { uint64_t lo, hi; } desc = { lo, hi };
    return VMX_INSN("invept %1, %2", "m"(desc), "r"(type));
}

int invvpid(uint64_t type, uint64_t lo, uint64_t hi)
{
    struct { uint64_t lo, hi; } desc = { lo, hi };
    return VMX_INSN("invvpid %1, %2", "m"(desc), "r"(type));
}

uint64_t vmr(uint64_t field)
{
    uint64_t v;
    return vmread(field, &v) == VMX_OK ? v : 0;
}

uint32_t vmx_error(void)
{
    return (uint32_t)vmr(VMCS_VM_INSTRUCTION_ERROR);
}

const char *vmx_result_str(int result)
{
    static char buf[32];
    switch (result) {
    case VMX_OK:
        return "VMsucceed";
    case VMX_FAIL_INVALID:
        return "VMfailInvalid";
    default:
        ksnprintf(buf, sizeof(buf), "VMfailValid(%u)", vmx_error());
        return buf;
    }
}

const char *vmx_exit_name(uint32_t reason)
{
    static const char *const names[] = {
        [0] = "exception or NMI", [1] = "external interrupt", [2] = "triple fault", [3] = "INIT",
        [7] = "interrupt window", [8] = "NMI window", [9] = "task switch", [10] = "CPUID", [12] = "HLT", [13] = "INVD", [14] = "INVLPG",
        [16] = "RDTSC", [18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH", [21] = "VMPTRLD",
        [22] = "VMPTRST", [23] = "VMREAD", [24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMXOFF",
        [27] = "VMXON", [28] = "CR access", [29] = "MOV DR", [30] = "I/O instruction", [31] = "RDMSR", [32] = "WRMSR",
        [33] = "VM-entry failure: invalid guest state", [34] = "VM-entry failure: MSR loading",
        [36] = "MWAIT", [39] = "MONITOR",
        [48] = "EPT violation", [49] = "EPT misconfiguration", [50] = "INVEPT", [52] = "preemption timer",
        [53] = "INVVPID",
    };
    uint32_t basic = reason & 0xffff;
    if (basic < sizeof(names) / sizeof(names[0]) && names[basic])
        return names[basic];
    return "?";
}

/* ---- capabilities ---- */

static uint32_t true_msr(uint32_t msr)
{
    if (!(rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS))
        return msr;
    switch (msr) {
    case MSR_IA32_VMX_PINBASED_CTLS: return MSR_IA32_VMX_TRUE_PINBASED_CTLS;
    case MSR_IA32_VMX_PROCBASED_CTLS: return MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
    case MSR_IA32_VMX_EXIT_CTLS: return MSR_IA32_VMX_TRUE_EXIT_CTLS;
    case MSR_IA32_VMX_ENTRY_CTLS: return MSR_IA32_VMX_TRUE_ENTRY_CTLS;
    default: return msr;        /* PROCBASED_CTLS2 has no TRUE form */
    }
}

uint32_t vmx_adjust_controls(uint32_t msr, uint32_t want)
{
    uint64_t cap = rdmsr(true_msr(msr));
    uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
    return (want | must1) & may1;
}

uint32_t vmx_missing_controls(uint32_t msr, uint32_t want)
{
    return want & ~(uint32_t)(rdmsr(true_msr(msr)) >> 32);
}

/* ---- enabling ---- */

uint64_t vmxon_region_pa;

uint64_t vmcs_alloc(void)
{
    uint32_t *page = palloc();
    page[0] = VMX_BASIC_REVISION(rdmsr(MSR_IA32_VMX_BASIC));
    return (uintptr_t)page;
}

int vmx_enable(void)
{
    write_cr0((read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
    write_cr4((read_cr4() | rdmsr(MSR_IA32_VMX_CR4_FIXED0) | CR4_VMXE) & rdmsr(MSR_IA32_VMX_CR4_FIXED1));
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK))
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX);
    vmxon_region_pa = vmcs_alloc();
    return vmxon(vmxon_region_pa);
}

void vmx_start(void)
{
    if (!check(cpuid(1, 0).ecx & CPUID1_ECX_VMX, "CPUID.1:ECX.VMX[bit 5] reports VMX"))
        test_finish();
    int r = vmx_enable();
    if (!check(r == VMX_OK, "VMXON with CR0/CR4 fixed bits applied and IA32_FEATURE_CONTROL locked: %s",
               vmx_result_str(r)))
        test_finish();
}

/* ---- the VMCS of a flat 64-bit guest ---- */

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint64_t base;
};

static struct dtr sgdt(void)
{
    struct dtr d;
    asm volatile("sgdt %0" : "=m"(d));
    return d;
}

static struct dtr sidt(void)
{
    struct dtr d;
    asm volatile("sidt %0" : "=m"(d));
    return d;
}

#define READ_SEG(s) ({ uint16_t v_; asm volatile("mov %%" #s ", %0" : "=r"(v_)); v_; })

static uint16_t str(void)
{
    uint16_t v;
    asm volatile("str %0" : "=r"(v));
    return v;
}

/* Base and limit of a system descriptor (16 bytes in IA-32e mode, SDM 7.2.3). */
static uint64_t tss_base(uint16_t sel, uint32_t *limit)
{
    const uint64_t *d = (const uint64_t *)(uintptr_t)(sgdt().base + (sel & ~7));
    *limit = (uint32_t)((d[0] & 0xffff) | ((d[0] >> 32) & 0xf0000));
    return ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) | ((d[1] & 0xffffffff) << 32);
}

extern char vmx_exit_stub[];

void vmw(uint64_t field, uint64_t val)
{
    int r = vmwrite(field, val);
    if (r != VMX_OK) {
        kprintf("vmx: VMWRITE of field %#llx = %#llx failed: %s\n", (unsigned long long)field,
                (unsigned long long)val, vmx_result_str(r));
        hv_exit(EXIT_UNEXPECTED);
    }
}

/* Access rights (24.4.1): type, S, DPL, P, AVL, L, D/B, G, unusable (bit 16). */
#define AR_CODE64   0xa09b      /* execute/read accessed, S, P, L, G */
#define AR_DATA     0xc093      /* read/write accessed, S, P, D/B, G */
#define AR_TSS64    0x008b      /* busy 64-bit TSS, P */
#define AR_UNUSABLE 0x10000

static void host_state(void)
{
    struct dtr g = sgdt(), i = sidt();
    uint32_t tr_limit;
    vmw(VMCS_HOST_CR0, read_cr0());
    vmw(VMCS_HOST_CR3, read_cr3());
    vmw(VMCS_HOST_CR4, read_cr4());
    vmw(VMCS_HOST_CS_SELECTOR, read_cs());
    vmw(VMCS_HOST_SS_SELECTOR, read_ss());
    vmw(VMCS_HOST_DS_SELECTOR, READ_SEG(ds));
    vmw(VMCS_HOST_ES_SELECTOR, READ_SEG(es));
    vmw(VMCS_HOST_FS_SELECTOR, READ_SEG(fs));
    vmw(VMCS_HOST_GS_SELECTOR, READ_SEG(gs));
    vmw(VMCS_HOST_TR_SELECTOR, str());
    vmw(VMCS_HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
    vmw(VMCS_HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
    vmw(VMCS_HOST_TR_BASE, tss_base(str(), &tr_limit));
    vmw(VMCS_HOST_GDTR_BASE, g.base);
    vmw(VMCS_HOST_IDTR_BASE, i.base);
    vmw(VMCS_HOST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
    vmw(VMCS_HOST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
    vmw(VMCS_HOST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
    vmw(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
    vmw(VMCS_HOST_RIP, (uintptr_t)vmx_exit_stub);
    /* HOST_RSP: written by vmx_enter. */
}

static void guest_segment(uint32_t sel_field, uint16_t sel, uint32_t ar)
{
    uint32_t i = sel_field - VMCS_GUEST_ES_SELECTOR;    /* ES, CS, SS, DS, FS, GS: 0, 2, ... 10 */
    vmw(sel_field, sel);
    vmw(VMCS_GUEST_ES_BASE + i, 0);
    vmw(VMCS_GUEST_ES_LIMIT + i, 0xffffffff);
    vmw(VMCS_GUEST_ES_AR + i, ar);
}

static void guest_state(void (*entry)(void), void *stack_top)
{
    struct dtr g = sgdt(), i = sidt();
    uint32_t tr_limit;
    uint64_t tr_base = tss_base(str(), &tr_limit);

    vmw(VMCS_GUEST_CR0, read_cr0());
    vmw(VMCS_GUEST_CR3, read_cr3());
    vmw(VMCS_GUEST_CR4, read_cr4());
    vmw(VMCS_GUEST_DR7, 0x400);
    vmw(VMCS_GUEST_RSP, (uintptr_t)stack_top);
    vmw(VMCS_GUEST_RIP, (uintptr_t)entry);
    vmw(VMCS_GUEST_RFLAGS, EFLAGS_FIXED1);

    guest_segment(VMCS_GUEST_CS_SELECTOR, read_cs(), AR_CODE64);
    guest_segment(VMCS_GUEST_SS_SELECTOR, read_ss(), AR_DATA);
    guest_segment(VMCS_GUEST_DS_SELECTOR, read_ss(), AR_DATA);
    guest_segment(VMCS_GUEST_ES_SELECTOR, read_ss(), AR_DATA);
    guest_segment(VMCS_GUEST_FS_SELECTOR, read_ss(), AR_DATA);
    guest_segment(VMCS_GUEST_GS_SELECTOR, read_ss(), AR_DATA);
    vmw(VMCS_GUEST_LDTR_SELECTOR, 0);
    vmw(VMCS_GUEST_LDTR_BASE, 0);
    vmw(VMCS_GUEST_LDTR_LIMIT, 0);
    vmw(VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
    vmw(VMCS_GUEST_TR_SELECTOR, str());
    vmw(VMCS_GUEST_TR_BASE, tr_base);
    vmw(VMCS_GUEST_TR_LIMIT, tr_limit);
    vmw(VMCS_GUEST_TR_AR, AR_TSS64);
    vmw(VMCS_GUEST_GDTR_BASE, g.base);
    vmw(VMCS_GUEST_GDTR_LIMIT, g.limit);
    vmw(VMCS_GUEST_IDTR_BASE, i.base);
    vmw(VMCS_GUEST_IDTR_LIMIT, i.limit);

    vmw(VMCS_GUEST_DEBUGCTL, 0);
    vmw(VMCS_GUEST_EFER, rdmsr(MSR_IA32_EFER));
    vmw(VMCS_GUEST_SYSENTER_CS, 0);
    vmw(VMCS_GUEST_SYSENTER_ESP, 0);
    vmw(VMCS_GUEST_SYSENTER_EIP, 0);
    vmw(VMCS_LINK_POINTER, ~0ull);
    vmw(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmw(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

void vmx_vcpu_init(struct vmx_vcpu *v, void (*entry)(void), void *stack_top)
{
    memset(v, 0, sizeof(*v));
    v->vmcs = vmcs_alloc();
    int r = vmclear(v->vmcs);
    if (r == VMX_OK)
        r = vmptrld(v->vmcs);
    if (r != VMX_OK) {
        kprintf("vmx: VMCLEAR/VMPTRLD of a fresh VMCS at %#llx failed: %s\n", (unsigned long long)v->vmcs,
                vmx_result_str(r));
        hv_exit(EXIT_UNEXPECTED);
    }
    vmw(VMCS_CTRL_PIN_BASED, vmx_adjust_controls(MSR_IA32_VMX_PINBASED_CTLS, 0));
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, 0));
    vmw(VMCS_CTRL_EXIT,
        vmx_adjust_controls(MSR_IA32_VMX_EXIT_CTLS, VMX_EXIT_HOST_ADDR_SPACE_SIZE | VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER));
    vmw(VMCS_CTRL_ENTRY, vmx_adjust_controls(MSR_IA32_VMX_ENTRY_CTLS, VMX_ENTRY_IA32E_MODE_GUEST | VMX_ENTRY_LOAD_EFER));
    vmw(VMCS_CTRL_EXCEPTION_BITMAP, 0);
    vmw(VMCS_CTRL_PF_ERROR_CODE_MASK, 0);
    vmw(VMCS_CTRL_PF_ERROR_CODE_MATCH, 0);
    vmw(VMCS_CTRL_CR3_TARGET_COUNT, 0);
    vmw(VMCS_CTRL_CR0_MASK, 0);
    vmw(VMCS_CTRL_CR4_MASK, 0);
    vmw(VMCS_CTRL_CR0_READ_SHADOW, read_cr0());
    vmw(VMCS_CTRL_CR4_READ_SHADOW, read_cr4());
    vmw(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 0);
    vmw(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 0);
    vmw(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 0);
    vmw(VMCS_CTRL_ENTRY_INTR_INFO, 0);
    host_state();
    guest_state(entry, stack_top);
}

int vmx_run(struct vmx_vcpu *v)
{
    int r = vmx_enter(&v->regs, v->launched);
    if (r != VMX_OK) {
        v->error = r == VMX_FAIL_VALID ? vmx_error() : 0;
        return r;
    }
    v->exits++;
    v->reason = (uint32_t)vmr(VMCS_EXIT_REASON);
    v->qual = vmr(VMCS_EXIT_QUALIFICATION);
    v->len = (uint32_t)vmr(VMCS_EXIT_INSTRUCTION_LEN);
    v->rip = vmr(VMCS_GUEST_RIP);
    /* A VM-entry failure leaves the VMCS clear (26.7): launch again. */
    if (!(v->reason & EXIT_REASON_ENTRY_FAILURE))
        v->launched = 1;
    return VMX_OK;
}

void vmx_dump_guest(void)
{
    kprintf("  guest state: CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx RFLAGS %#llx RIP %#llx RSP %#llx\n",
            (unsigned long long)vmr(VMCS_GUEST_CR0), (unsigned long long)vmr(VMCS_GUEST_CR3),
            (unsigned long long)vmr(VMCS_GUEST_CR4), (unsigned long long)vmr(VMCS_GUEST_EFER),
            (unsigned long long)vmr(VMCS_GUEST_RFLAGS), (unsigned long long)vmr(VMCS_GUEST_RIP),
            (unsigned long long)vmr(VMCS_GUEST_RSP));
    static const char *const names[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    for (int i = 0; i < 8; i++)
        kprintf("%s%s %#llx base %#llx limit %#llx AR %#llx%s", i % 4 ? "; " : "  guest ", names[i],
                (unsigned long long)vmr(VMCS_GUEST_ES_SELECTOR + 2 * i), (unsigned long long)vmr(VMCS_GUEST_ES_BASE + 2 * i),
                (unsigned long long)vmr(VMCS_GUEST_ES_LIMIT + 2 * i), (unsigned long long)vmr(VMCS_GUEST_ES_AR + 2 * i),
                i % 4 == 3 ? "\n" : "");
    kprintf("  guest interruptibility %#llx activity %#llx pending debug %#llx link %#llx; entry info %#llx "
            "error code %#llx length %#llx; controls pin %#llx proc %#llx entry %#llx\n",
            (unsigned long long)vmr(VMCS_GUEST_INTERRUPTIBILITY), (unsigned long long)vmr(VMCS_GUEST_ACTIVITY_STATE),
            (unsigned long long)vmr(VMCS_GUEST_PENDING_DBG_EXCEPTIONS), (unsigned long long)vmr(VMCS_LINK_POINTER),
            (unsigned long long)vmr(VMCS_CTRL_ENTRY_INTR_INFO), (unsigned long long)vmr(VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE),
            (unsigned long long)vmr(VMCS_CTRL_ENTRY_INSTRUCTION_LEN), (unsigned long long)vmr(VMCS_CTRL_PIN_BASED),
            (unsigned long long)vmr(VMCS_CTRL_PROC_BASED), (unsigned long long)vmr(VMCS_CTRL_ENTRY));
}

int vmx_check_exit(struct vmx_vcpu *v, uint32_t reason, uint64_t rip, const char *what)
{
    int r = vmx_run(v);
    if (r != VMX_OK)
        return check(0, "%s: expected exit %#x (%s); %s failed: %s", what, reason, vmx_exit_name(reason),
                     v->launched ? "VMRESUME" : "VMLAUNCH", vmx_result_str(r));
    if ((v->reason & EXIT_REASON_ENTRY_FAILURE) && v->reason != reason)
        vmx_dump_guest();
    if (v->reason == reason && (!rip || v->rip == rip))
        return check(1, "%s: exit %#x (%s) at guest RIP %#llx", what, reason, vmx_exit_name(reason),
                     (unsigned long long)v->rip);
    return check(0, "%s: expected exit %#x (%s) at guest RIP %#llx; got exit reason %#x (%s), qualification "
                 "%#llx, at guest RIP %#llx, interruption info %#x",
                 what, reason, vmx_exit_name(reason), (unsigned long long)rip, v->reason, vmx_exit_name(v->reason),
                 (unsigned long long)v->qual, (unsigned long long)v->rip, (uint32_t)vmr(VMCS_EXIT_INTR_INFO));
}

int vmx_expect_exit(struct vmx_vcpu *v, uint32_t reason, uint64_t rip, const char *what)
{
    if (!vmx_check_exit(v, reason, rip, what))
        test_finish();
    return 1;
}

void vmx_skip(struct vmx_vcpu *v)
{
    v->rip += v->len;
    vmw(VMCS_GUEST_RIP, v->rip);
}

void vmx_goto(struct vmx_vcpu *v, void (*rip)(void), void *rsp, uint64_t rflags)
{
    v->rip = (uintptr_t)rip;
    vmw(VMCS_GUEST_RIP, v->rip);
    vmw(VMCS_GUEST_RSP, (uintptr_t)rsp);
    vmw(VMCS_GUEST_RFLAGS, rflags);
}

/* int vmx_enter(struct vmx_regs *regs, int launched)
 * Saves the callee-saved registers, leaves `regs` on top of the stack and
 * makes that stack pointer HOST_RSP, loads the guest registers and enters.
 * A VMfail falls through (the flags tell which); a VM exit arrives at
 * vmx_exit_stub (HOST_RIP) on the same stack. Offsets: struct vmx_regs. */
asm(".text\n"
    ".globl vmx_enter\n"
    "vmx_enter:\n"
    "    push %rbp\n"
    "    push %rbx\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    push %rdi\n"                   /* regs, at HOST_RSP */
    "    cmp %rsp, 120(%rdi)\n"         /* regs->host_rsp */
    "    je 1f\n"
    "    mov %rsp, 120(%rdi)\n"
    "    mov $0x6c14, %eax\n"           /* VMCS_HOST_RSP */
    "    vmwrite %rsp, %rax\n"
    "1:  test %esi, %esi\n"             /* ZF = !launched; the MOVs keep it */
    "    mov 0(%rdi), %rax\n"
    "    mov 8(%rdi), %rbx\n"
    "    mov 16(%rdi), %rcx\n"
    "    mov 24(%rdi), %rdx\n"
    "    mov 32(%rdi), %rsi\n"
    "    mov 48(%rdi), %rbp\n"
    "    mov 56(%rdi), %r8\n"
    "    mov 64(%rdi), %r9\n"
    "    mov 72(%rdi), %r10\n"
    "    mov 80(%rdi), %r11\n"
    "    mov 88(%rdi), %r12\n"
    "    mov 96(%rdi), %r13\n"
    "    mov 104(%rdi), %r14\n"
    "    mov 112(%rdi), %r15\n"
    "    mov 40(%rdi), %rdi\n"
    "    jnz 2f\n"
    "    vmlaunch\n"
    "    jmp 3f\n"
    "2:  vmresume\n"
    /* VMfail: the result from CF and ZF. */
    "3:  pushfq\n"
    "    pop %rax\n"
    "    add $8, %rsp\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbx\n"
    "    pop %rbp\n"
    "    test $1, %al\n"                /* CF */
    "    jnz 4f\n"
    "    test $0x40, %al\n"             /* ZF */
    "    jnz 5f\n"
    "    mov $3, %eax\n"                /* neither: not a VMX outcome */
    "    ret\n"
    "4:  mov $1, %eax\n"                /* VMX_FAIL_INVALID */
    "    ret\n"
    "5:  mov $2, %eax\n"                /* VMX_FAIL_VALID */
    "    ret\n"
    "\n"
    /* VM exit: RSP = HOST_RSP, (%rsp) = regs, the guest's registers live. */
    ".globl vmx_exit_stub\n"
    "vmx_exit_stub:\n"
    "    push %rdi\n"
    "    mov 8(%rsp), %rdi\n"
    "    mov %rax, 0(%rdi)\n"
    "    mov %rbx, 8(%rdi)\n"
    "    mov %rcx, 16(%rdi)\n"
    "    mov %rdx, 24(%rdi)\n"
    "    mov %rsi, 32(%rdi)\n"
    "    mov %rbp, 48(%rdi)\n"
    "    mov %r8, 56(%rdi)\n"
    "    mov %r9, 64(%rdi)\n"
    "    mov %r10, 72(%rdi)\n"
    "    mov %r11, 80(%rdi)\n"
    "    mov %r12, 88(%rdi)\n"
    "    mov %r13, 96(%rdi)\n"
    "    mov %r14, 104(%rdi)\n"
    "    mov %r15, 112(%rdi)\n"
    "    pop %rax\n"                    /* the guest's RDI */
    "    mov %rax, 40(%rdi)\n"
    "    add $8, %rsp\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbx\n"
    "    pop %rbp\n"
    "    xor %eax, %eax\n"              /* VMX_OK */
    "    ret\n");

_Static_assert(__builtin_offsetof(struct vmx_regs, rdi) == 40, "vmx_enter's register offsets");
_Static_assert(__builtin_offsetof(struct vmx_regs, r15) == 112, "vmx_enter's register offsets");
_Static_assert(__builtin_offsetof(struct vmx_regs, host_rsp) == 120, "vmx_enter's register offsets");
