/* vmx.h: VT-x for the test hypervisors: the VMX instructions with their RFLAGS
 * outcome, VMCS field encodings, control bits, exit reasons and error numbers
 * with the names of the Intel SDM volume 3C (chapters 24-30, appendices A-C;
 * section numbers of the 2016-2020 editions, as docs/vmx.md), and a small
 * "vCPU": a VMCS filled for a flat 64-bit guest that shares the host's GDT and
 * page tables, entered with vmx_run() and left at every VM exit. 64-bit only. */
#ifndef KLIB_VMX_H
#define KLIB_VMX_H

#include <stdint.h>

/* ---- discovery and enabling (SDM 23.6-23.8, appendix A) ---- */
#define CPUID1_ECX_VMX          (1u << 5)
#define CR0_NE                  (1u << 5)
#define CR0_TS                  (1u << 3)
#define CR4_VMXE                (1u << 13)

#define MSR_FEATURE_CONTROL     0x03a
#define FEATURE_CONTROL_LOCK    (1u << 0)
#define FEATURE_CONTROL_VMX_SMX (1u << 1)
#define FEATURE_CONTROL_VMX     (1u << 2)   /* VMXON outside SMX */

#define MSR_FS_BASE             0xc0000100
#define MSR_GS_BASE             0xc0000101

#define MSR_VMX_BASIC           0x480
#define MSR_VMX_PINBASED_CTLS   0x481
#define MSR_VMX_PROCBASED_CTLS  0x482
#define MSR_VMX_EXIT_CTLS       0x483
#define MSR_VMX_ENTRY_CTLS      0x484
#define MSR_VMX_MISC            0x485
#define MSR_VMX_CR0_FIXED0      0x486
#define MSR_VMX_CR0_FIXED1      0x487
#define MSR_VMX_CR4_FIXED0      0x488
#define MSR_VMX_CR4_FIXED1      0x489
#define MSR_VMX_VMCS_ENUM       0x48a
#define MSR_VMX_PROCBASED_CTLS2 0x48b
#define MSR_VMX_EPT_VPID_CAP    0x48c
#define MSR_VMX_TRUE_PINBASED   0x48d
#define MSR_VMX_TRUE_PROCBASED  0x48e
#define MSR_VMX_TRUE_EXIT       0x48f
#define MSR_VMX_TRUE_ENTRY      0x490

/* IA32_VMX_BASIC (A.1) */
#define VMX_BASIC_REVISION(b)   ((uint32_t)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) ((uint32_t)((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b)    ((uint32_t)((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE_CTLS     (1ull << 55)
/* IA32_VMX_MISC (A.6) */
#define VMX_MISC_TIMER_RATE(m)  ((uint32_t)(m) & 0x1f)
#define VMX_MISC_VMWRITE_ALL    (1ull << 29)
/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define EPT_CAP_WALK4           (1ull << 6)
#define EPT_CAP_WB              (1ull << 14)
#define EPT_CAP_2M              (1ull << 16)
#define EPT_CAP_1G              (1ull << 17)
#define EPT_CAP_INVEPT          (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE   (1ull << 25)
#define EPT_CAP_INVEPT_ALL      (1ull << 26)

/* ---- VMCS field encodings (appendix B) ---- */
/* 16-bit */
#define VMCS_GUEST_ES_SELECTOR  0x0800
#define VMCS_GUEST_CS_SELECTOR  0x0802
#define VMCS_GUEST_SS_SELECTOR  0x0804
#define VMCS_GUEST_DS_SELECTOR  0x0806
#define VMCS_GUEST_FS_SELECTOR  0x0808
#define VMCS_GUEST_GS_SELECTOR  0x080a
#define VMCS_GUEST_LDTR_SELECTOR 0x080c
#define VMCS_GUEST_TR_SELECTOR  0x080e
#define VMCS_HOST_ES_SELECTOR   0x0c00
#define VMCS_HOST_CS_SELECTOR   0x0c02
#define VMCS_HOST_SS_SELECTOR   0x0c04
#define VMCS_HOST_DS_SELECTOR   0x0c06
#define VMCS_HOST_FS_SELECTOR   0x0c08
#define VMCS_HOST_GS_SELECTOR   0x0c0a
#define VMCS_HOST_TR_SELECTOR   0x0c0c
/* 64-bit */
#define VMCS_IO_BITMAP_A        0x2000
#define VMCS_IO_BITMAP_B        0x2002
#define VMCS_MSR_BITMAP         0x2004
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_TSC_OFFSET         0x2010
#define VMCS_EPT_POINTER        0x201a
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400   /* read-only */
#define VMCS_LINK_POINTER       0x2800
#define VMCS_GUEST_DEBUGCTL     0x2802
#define VMCS_GUEST_EFER         0x2806
#define VMCS_HOST_EFER          0x2c02
/* 32-bit */
#define VMCS_PIN_CONTROLS       0x4000
#define VMCS_PROC_CONTROLS      0x4002
#define VMCS_EXCEPTION_BITMAP   0x4004
#define VMCS_PF_ERROR_MASK      0x4006
#define VMCS_PF_ERROR_MATCH     0x4008
#define VMCS_CR3_TARGET_COUNT   0x400a
#define VMCS_EXIT_CONTROLS      0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS     0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO    0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSTRUCTION_LEN 0x401a
#define VMCS_PROC_CONTROLS2     0x401e
#define VMCS_VM_INSTRUCTION_ERROR 0x4400    /* read-only from here ... */
#define VMCS_EXIT_REASON        0x4402
#define VMCS_EXIT_INTR_INFO     0x4404
#define VMCS_EXIT_INTR_ERROR    0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSTRUCTION_LEN 0x440c
#define VMCS_EXIT_INSTRUCTION_INFO 0x440e   /* ... to here */
#define VMCS_GUEST_ES_LIMIT     0x4800
#define VMCS_GUEST_CS_LIMIT     0x4802
#define VMCS_GUEST_SS_LIMIT     0x4804
#define VMCS_GUEST_DS_LIMIT     0x4806
#define VMCS_GUEST_FS_LIMIT     0x4808
#define VMCS_GUEST_GS_LIMIT     0x480a
#define VMCS_GUEST_LDTR_LIMIT   0x480c
#define VMCS_GUEST_TR_LIMIT     0x480e
#define VMCS_GUEST_GDTR_LIMIT   0x4810
#define VMCS_GUEST_IDTR_LIMIT   0x4812
#define VMCS_GUEST_ES_AR        0x4814
#define VMCS_GUEST_CS_AR        0x4816
#define VMCS_GUEST_SS_AR        0x4818
#define VMCS_GUEST_DS_AR        0x481a
#define VMCS_GUEST_FS_AR        0x481c
#define VMCS_GUEST_GS_AR        0x481e
#define VMCS_GUEST_LDTR_AR      0x4820
#define VMCS_GUEST_TR_AR        0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY_STATE 0x4826
#define VMCS_GUEST_SYSENTER_CS  0x482a
#define VMCS_PREEMPTION_TIMER   0x482e
#define VMCS_HOST_SYSENTER_CS   0x4c00
/* natural width */
#define VMCS_CR0_MASK           0x6000
#define VMCS_CR4_MASK           0x6002
#define VMCS_CR0_READ_SHADOW    0x6004
#define VMCS_CR4_READ_SHADOW    0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400      /* read-only */
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a    /* read-only */
#define VMCS_GUEST_CR0          0x6800
#define VMCS_GUEST_CR3          0x6802
#define VMCS_GUEST_CR4          0x6804
#define VMCS_GUEST_ES_BASE      0x6806
#define VMCS_GUEST_CS_BASE      0x6808
#define VMCS_GUEST_SS_BASE      0x680a
#define VMCS_GUEST_DS_BASE      0x680c
#define VMCS_GUEST_FS_BASE      0x680e
#define VMCS_GUEST_GS_BASE      0x6810
#define VMCS_GUEST_LDTR_BASE    0x6812
#define VMCS_GUEST_TR_BASE      0x6814
#define VMCS_GUEST_GDTR_BASE    0x6816
#define VMCS_GUEST_IDTR_BASE    0x6818
#define VMCS_GUEST_DR7          0x681a
#define VMCS_GUEST_RSP          0x681c
#define VMCS_GUEST_RIP          0x681e
#define VMCS_GUEST_RFLAGS       0x6820
#define VMCS_GUEST_PENDING_DBG  0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0           0x6c00
#define VMCS_HOST_CR3           0x6c02
#define VMCS_HOST_CR4           0x6c04
#define VMCS_HOST_FS_BASE       0x6c06
#define VMCS_HOST_GS_BASE       0x6c08
#define VMCS_HOST_TR_BASE       0x6c0a
#define VMCS_HOST_GDTR_BASE     0x6c0c
#define VMCS_HOST_IDTR_BASE     0x6c0e
#define VMCS_HOST_SYSENTER_ESP  0x6c10
#define VMCS_HOST_SYSENTER_EIP  0x6c12
#define VMCS_HOST_RSP           0x6c14
#define VMCS_HOST_RIP           0x6c16

/* ---- controls (24.6-24.8) ---- */
#define PIN_EXTERNAL_INTERRUPT  (1u << 0)
#define PIN_NMI_EXITING         (1u << 3)
#define PIN_PREEMPTION_TIMER    (1u << 6)

#define PROC_INTERRUPT_WINDOW   (1u << 2)
#define PROC_TSC_OFFSETTING     (1u << 3)
#define PROC_HLT                (1u << 7)
#define PROC_INVLPG             (1u << 9)
#define PROC_RDTSC              (1u << 12)
#define PROC_CR3_LOAD           (1u << 15)
#define PROC_CR3_STORE          (1u << 16)
#define PROC_UNCOND_IO          (1u << 24)
#define PROC_IO_BITMAPS         (1u << 25)
#define PROC_MSR_BITMAPS        (1u << 28)
#define PROC_SECONDARY          (1u << 31)

#define PROC2_EPT               (1u << 1)
#define PROC2_VPID              (1u << 5)

#define EXIT_SAVE_DEBUG         (1u << 2)
#define EXIT_HOST_64            (1u << 9)
#define EXIT_ACK_INTERRUPT      (1u << 15)
#define EXIT_SAVE_EFER          (1u << 20)
#define EXIT_LOAD_EFER          (1u << 21)
#define EXIT_SAVE_TIMER         (1u << 22)

#define ENTRY_LOAD_DEBUG        (1u << 2)
#define ENTRY_IA32E_GUEST       (1u << 9)
#define ENTRY_LOAD_EFER         (1u << 15)

/* Interruption information: VM-entry 0x4016, VM-exit 0x4404 (24.8.3, 24.9.2) */
#define INTR_INFO_VALID         (1u << 31)
#define INTR_INFO_DELIVER_ERROR (1u << 11)
#define INTR_TYPE_EXTERNAL      (0u << 8)
#define INTR_TYPE_NMI           (2u << 8)
#define INTR_TYPE_HW_EXCEPTION  (3u << 8)
#define INTR_TYPE_SW_INTERRUPT  (4u << 8)
#define INTR_TYPE_SW_EXCEPTION  (6u << 8)

/* ---- basic exit reasons (appendix C); bit 31: VM-entry failure ---- */
#define EXIT_REASON_EXCEPTION_NMI   0
#define EXIT_REASON_EXTERNAL_INTR   1
#define EXIT_REASON_TRIPLE_FAULT    2
#define EXIT_REASON_INTERRUPT_WINDOW 7
#define EXIT_REASON_CPUID           10
#define EXIT_REASON_HLT             12
#define EXIT_REASON_VMCALL          18
#define EXIT_REASON_CR_ACCESS       28
#define EXIT_REASON_IO              30
#define EXIT_REASON_RDMSR           31
#define EXIT_REASON_WRMSR           32
#define EXIT_REASON_INVALID_GUEST   33
#define EXIT_REASON_MSR_LOADING     34
#define EXIT_REASON_EPT_VIOLATION   48
#define EXIT_REASON_EPT_MISCONFIG   49
#define EXIT_REASON_PREEMPTION_TIMER 52
#define EXIT_REASON_ENTRY_FAILURE   (1u << 31)

/* ---- VM-instruction error numbers (30.4, table 30-1) ---- */
#define VMERR_VMCALL_IN_ROOT        1
#define VMERR_VMCLEAR_BAD_ADDR      2
#define VMERR_VMCLEAR_VMXON_PTR     3
#define VMERR_VMLAUNCH_NOT_CLEAR    4
#define VMERR_VMRESUME_NOT_LAUNCHED 5
#define VMERR_ENTRY_BAD_CONTROLS    7
#define VMERR_ENTRY_BAD_HOST_STATE  8
#define VMERR_VMPTRLD_BAD_ADDR      9
#define VMERR_VMPTRLD_VMXON_PTR     10
#define VMERR_VMPTRLD_BAD_REVISION  11
#define VMERR_UNSUPPORTED_FIELD     12
#define VMERR_READ_ONLY_FIELD       13
#define VMERR_VMXON_IN_ROOT         15

/* ---- exit qualifications (27.2.1) ---- */
/* Control-register accesses (table 27-3) */
#define QUAL_CR_NUMBER(q)       ((q) & 0xf)
#define QUAL_CR_TYPE(q)         (((q) >> 4) & 3)    /* 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW */
#define QUAL_CR_GPR(q)          (((q) >> 8) & 0xf)  /* 0 RAX, 1 RCX, 2 RDX, 3 RBX, ... 15 R15 */
/* I/O instructions (table 27-5) */
#define QUAL_IO_SIZE(q)         (((q) & 7) + 1)
#define QUAL_IO_IN              (1u << 3)
#define QUAL_IO_STRING          (1u << 4)
#define QUAL_IO_REP             (1u << 5)
#define QUAL_IO_IMMEDIATE       (1u << 6)
#define QUAL_IO_PORT(q)         (((q) >> 16) & 0xffff)
/* EPT violations (table 27-7) */
#define QUAL_EPT_READ           (1u << 0)
#define QUAL_EPT_WRITE          (1u << 1)
#define QUAL_EPT_FETCH          (1u << 2)
#define QUAL_EPT_READABLE       (1u << 3)
#define QUAL_EPT_WRITABLE       (1u << 4)
#define QUAL_EPT_EXECUTABLE     (1u << 5)
#define QUAL_EPT_LINEAR_VALID   (1u << 7)
#define QUAL_EPT_FINAL          (1u << 8)   /* the access was to the translated address */

/* ---- EPT (28.2) ---- */
#define EPT_R                   (1ull << 0)
#define EPT_W                   (1ull << 1)
#define EPT_X                   (1ull << 2)
#define EPT_RWX                 (EPT_R | EPT_W | EPT_X)
#define EPT_MEMTYPE_WB          (6ull << 3)     /* leaf entries */
#define EPT_LARGE               (1ull << 7)     /* 2 MiB (PDE) or 1 GiB (PDPTE) page */
#define EPTP_WB_4LEVEL          (6ull | 3ull << 3)
#define INVEPT_SINGLE_CONTEXT   1
#define INVEPT_ALL_CONTEXT      2

#ifndef __ASSEMBLER__

/* The outcome of a VMX instruction, from RFLAGS (30.2): VMsucceed clears CF
 * and ZF, VMfailInvalid sets CF, VMfailValid sets ZF (error in 0x4400). */
enum vmx_result { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };

int vmxon(uint64_t pa);
int vmxoff(void);
int vmclear(uint64_t pa);
int vmptrld(uint64_t pa);
int vmptrst(uint64_t *pa);
int vmread(uint64_t field, uint64_t *val);
int vmwrite(uint64_t field, uint64_t val);
int vmcall(void);                   /* root mode: VMfailValid(1) */
int invept(uint64_t type, uint64_t eptp);
/* VMREAD that returns the value (0 if the VMREAD failed). */
uint64_t vmr(uint64_t field);
/* The VM-instruction error field of the current VMCS. */
uint32_t vmx_error(void);
/* "VMsucceed", "VMfailInvalid", "VMfailValid(n)": for messages (static buffer). */
const char *vmx_result_str(int result);
/* A short name of a basic exit reason, for messages. */
const char *vmx_exit_name(uint32_t reason);

/* The control value `want` adjusted by the capability MSR of its kind: bits
 * that must be 1 set, bits that must be 0 cleared (A.3-A.5). `msr` is the
 * plain MSR (0x481-0x484, 0x48b); the TRUE_ MSR is used instead when
 * IA32_VMX_BASIC bit 55 says it exists. */
uint32_t vmx_adjust_controls(uint32_t msr, uint32_t want);
/* The wanted bits the capability MSR does not allow to be 1 (0: all allowed). */
uint32_t vmx_missing_controls(uint32_t msr, uint32_t want);

/* Sets CR0 and CR4 to values VMX operation supports (FIXED0/FIXED1, so CR0.NE
 * and CR4.VMXE), locks IA32_FEATURE_CONTROL with VMX outside SMX if it is
 * unlocked, and executes VMXON on a fresh region. Returns the outcome. */
int vmx_enable(void);
extern uint64_t vmxon_region_pa;
/* The preamble of a test hypervisor: checks CPUID for VMX and vmx_enable()s,
 * reporting both; on a failure it ends the test (test_finish). */
void vmx_start(void);
/* A zeroed page holding the VMCS revision identifier. */
uint64_t vmcs_alloc(void);

/* The guest's general registers, as vmx_enter() loads them before VM entry and
 * stores them at VM exit (VT-x leaves them in the CPU: 27.1). No RSP: it is in
 * the VMCS. The layout is known to the assembly in vmx.c. */
struct vmx_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t host_rsp;      /* the HOST_RSP last written; vmx_enter writes it when it changes */
};

/* Loads the guest registers and executes VMLAUNCH (launched == 0) or VMRESUME.
 * Returns VMX_OK after a VM exit (or a VM-entry failure exit) with the guest
 * registers saved in *regs, or VMX_FAIL_* when the instruction failed. */
int vmx_enter(struct vmx_regs *regs, int launched);

struct vmx_vcpu {
    struct vmx_regs regs;
    uint64_t vmcs;          /* physical address of the VMCS */
    int launched;
    unsigned exits;
    /* The last exit, read by vmx_run(). */
    uint32_t reason;        /* the exit-reason field, bit 31 included */
    uint64_t qual;          /* exit qualification */
    uint32_t len;           /* VM-exit instruction length */
    uint64_t rip;           /* guest RIP */
    uint32_t error;         /* the VM-instruction error after VMX_FAIL_VALID */
};

/* Allocates a VMCS, makes it current and fills it for a flat 64-bit guest at
 * `entry` on `stack_top`: CS 0x08 (64-bit), the data selectors 0x10, the
 * host's TR, GDT, IDT, CR0, CR3, CR4 and EFER; RFLAGS 0x2; the link pointer
 * all ones. Controls: pin-based none, primary none, exit "host address-space
 * size" + save/load IA32_EFER, entry "IA-32e mode guest" + load IA32_EFER,
 * each adjusted by its capability MSR. Host state from the running CPU, with
 * HOST_RIP at vmx_enter's exit path. */
void vmx_vcpu_init(struct vmx_vcpu *v, void (*entry)(void), void *stack_top);
/* VMWRITE that reports a failure (it should never fail) and exits. */
void vmw(uint64_t field, uint64_t val);
/* Enters the guest (VMLAUNCH first, then VMRESUME) and returns after one exit
 * with reason, qualification, length and RIP read, or VMX_FAIL_* with the
 * error. */
int vmx_run(struct vmx_vcpu *v);
/* Enters the guest and checks that the next exit has reason `reason` (bit 31
 * included) at guest RIP `rip` (any RIP if 0), printing one check line named
 * `what`. A VMfail or any other exit is printed in full and ends the test
 * (test_finish): the steps after it would only fail in its wake. */
int vmx_expect_exit(struct vmx_vcpu *v, uint32_t reason, uint64_t rip, const char *what);
/* The same check without ending the test; returns whether it passed. For
 * steps that start afresh (vmx_goto) whatever the previous one did. */
int vmx_check_exit(struct vmx_vcpu *v, uint32_t reason, uint64_t rip, const char *what);
/* Prints the guest-state fields the VM-entry checks look at (after an
 * unexpected VM-entry failure, vmx_check_exit calls it). */
void vmx_dump_guest(void);
/* Guest RIP += the VM-exit instruction length. */
void vmx_skip(struct vmx_vcpu *v);
/* Points the guest at `rip` with its stack at `rsp` and RFLAGS `rflags`. */
void vmx_goto(struct vmx_vcpu *v, void (*rip)(void), void *rsp, uint64_t rflags);

#endif /* __ASSEMBLER__ */
#endif
