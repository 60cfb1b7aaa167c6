/* vmx.h: VT-x for the test hypervisors: the VMX instructions with their RFLAGS
 * outcome and a small "vCPU": a VMCS filled for a flat 64-bit guest that shares
 * the host's GDT and page tables, entered with vmx_run() and left at every VM
 * exit. 64-bit only. The architecture (VMCS encodings, controls, exit reasons,
 * errors, capability MSRs) is arch/vmx.h, shared with hvsim's VT-x model. */
#ifndef KLIB_VMX_H
#define KLIB_VMX_H

#include <stdint.h>

#include "arch/vmx.h"

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
/* INVEPT and INVVPID with the whole 128-bit descriptor: for INVVPID, lo holds
 * the VPID in bits 15:0 (63:16 reserved), hi the linear address. */
int invept_desc(uint64_t type, uint64_t lo, uint64_t hi);
int invvpid(uint64_t type, uint64_t lo, uint64_t hi);
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
