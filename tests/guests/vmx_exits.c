/* vmx_exits: a 64-bit guest sharing the host's GDT, IDT and page tables (no
 * EPT) runs one straight-line program whose instructions exit in turn: CPUID,
 * OUT (unconditional I/O exiting), IN through I/O bitmaps A and B, RDMSR and
 * WRMSR through the MSR bitmaps, MOV to CR3 (CR3-load exiting), MOV to CR0
 * against a guest/host mask and read shadow, VMCALL and HLT. At each exit the
 * host checks the reason, guest RIP, instruction length, qualification and
 * the guest's general registers (left in the CPU by VT-x), emulates the
 * instruction and resumes. Intel SDM vol. 3C 25.1.2-25.1.3 (which
 * instructions exit), 27.1-27.2 (exit information: tables 27-3 and 27-5),
 * 24.6.4 (I/O bitmaps), 24.6.9 (MSR bitmaps), 24.6.6 (CR masks and shadows),
 * 30.3 (VMLAUNCH error 4). 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define PORT_OUT        0x1234      /* OUT under unconditional I/O exiting */
#define PORT_BITMAP_A   0x5a        /* IN imm8: set in bitmap A */
#define PORT_NATIVE     0x3fd       /* COM1 line status: not in the bitmaps */
#define PORT_BITMAP_B   0x9000      /* IN DX: set in bitmap B (ports 8000h-ffffh) */
#define MSR_READ_EXITS  MSR_IA32_STAR            /* read bit set (high MSRs, read) */
#define MSR_READ_NATIVE MSR_IA32_LSTAR           /* bitmap bit clear: RDMSR executes */
#define MSR_WRITE_EXITS MSR_IA32_SYSENTER_ESP    /* write bit set (low MSRs, write) */
#define MSR_WRITE_NATIVE MSR_IA32_FMASK          /* bitmap bit clear: WRMSR executes */
#define MSR_OUTSIDE     0x4b564d00          /* outside both bitmap ranges: always exits */
#define LSTAR_VALUE     0xffffffff81234560ull
#define FMASK_VALUE     0x4700
#define CPUID_EBX       0x6d737668u         /* "hvsm": the host's CPUID answer in EBX */

static const char *const gpr_name[15] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                          "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
uint64_t gpr_in[15], gpr_out[15];   /* struct vmx_regs order */
uint64_t io_in_imm, io_in_native, io_in_b, msr_read_exit, msr_read_native;
uint64_t alt_cr3, cr3_after, cr0_read1, cr0_read2, vmcall_rax, vmcall_r15;
static char guest_stack[8192] __attribute__((aligned(16)));

/* The guest. Labels mark the instructions the host expects to exit. */
extern char guest_exits[], g_cpuid[], g_out[], g_in_imm[], g_in_native[], g_in_b[], g_rdmsr_exit[],
    g_wrmsr_exit[], g_rdmsr_outside[], g_mov_cr3[], g_cr0_same[], g_cr0_exit[], g_vmcall[], g_hlt[], g_done[];
asm(".text\n"
    "guest_exits:\n"
    "    mov gpr_in+0(%rip), %rax\n"
    "    mov gpr_in+8(%rip), %rbx\n"
    "    mov gpr_in+16(%rip), %rcx\n"
    "    mov gpr_in+24(%rip), %rdx\n"
    "    mov gpr_in+32(%rip), %rsi\n"
    "    mov gpr_in+40(%rip), %rdi\n"
    "    mov gpr_in+48(%rip), %rbp\n"
    "    mov gpr_in+56(%rip), %r8\n"
    "    mov gpr_in+64(%rip), %r9\n"
    "    mov gpr_in+72(%rip), %r10\n"
    "    mov gpr_in+80(%rip), %r11\n"
    "    mov gpr_in+88(%rip), %r12\n"
    "    mov gpr_in+96(%rip), %r13\n"
    "    mov gpr_in+104(%rip), %r14\n"
    "    mov gpr_in+112(%rip), %r15\n"
    "g_cpuid:\n"
    "    cpuid\n"                           /* 0f a2 */
    "    mov %rax, gpr_out+0(%rip)\n"
    "    mov %rbx, gpr_out+8(%rip)\n"
    "    mov %rcx, gpr_out+16(%rip)\n"
    "    mov %rdx, gpr_out+24(%rip)\n"
    "    mov %rsi, gpr_out+32(%rip)\n"
    "    mov %rdi, gpr_out+40(%rip)\n"
    "    mov %rbp, gpr_out+48(%rip)\n"
    "    mov %r8, gpr_out+56(%rip)\n"
    "    mov %r9, gpr_out+64(%rip)\n"
    "    mov %r10, gpr_out+72(%rip)\n"
    "    mov %r11, gpr_out+80(%rip)\n"
    "    mov %r12, gpr_out+88(%rip)\n"
    "    mov %r13, gpr_out+96(%rip)\n"
    "    mov %r14, gpr_out+104(%rip)\n"
    "    mov %r15, gpr_out+112(%rip)\n"
    /* I/O */
    "    mov $0x1234, %edx\n"
    "    mov $0xbeef, %eax\n"
    "g_out:\n"
    "    out %ax, (%dx)\n"                  /* 66 ef */
    "    mov $0xaaaa, %eax\n"
    "g_in_imm:\n"
    "    in $0x5a, %al\n"                   /* e4 5a */
    "    mov %rax, io_in_imm(%rip)\n"
    "    mov $0x3fd, %edx\n"
    "    mov $0xaaaa, %eax\n"
    "g_in_native:\n"
    "    in (%dx), %al\n"                   /* ec */
    "    mov %rax, io_in_native(%rip)\n"
    "    mov $0x9000, %edx\n"
    "g_in_b:\n"
    "    in (%dx), %eax\n"                  /* ed */
    "    mov %rax, io_in_b(%rip)\n"
    /* MSRs */
    "    mov $0xc0000081, %ecx\n"
    "g_rdmsr_exit:\n"
    "    rdmsr\n"                           /* 0f 32 */
    "    shl $32, %rdx\n"
    "    or %rdx, %rax\n"
    "    mov %rax, msr_read_exit(%rip)\n"
    "    mov $0xc0000082, %ecx\n"
    "    rdmsr\n"
    "    shl $32, %rdx\n"
    "    or %rdx, %rax\n"
    "    mov %rax, msr_read_native(%rip)\n"
    "    mov $0x175, %ecx\n"
    "    mov $0x89abcdef, %eax\n"
    "    mov $0x01234567, %edx\n"
    "g_wrmsr_exit:\n"
    "    wrmsr\n"                           /* 0f 30 */
    "    mov $0xc0000084, %ecx\n"
    "    mov $0x4700, %eax\n"
    "    xor %edx, %edx\n"
    "    wrmsr\n"
    "    mov $0x4b564d00, %ecx\n"
    "g_rdmsr_outside:\n"
    "    rdmsr\n"
    /* Control registers */
    "    mov alt_cr3(%rip), %r10\n"
    "g_mov_cr3:\n"
    "    mov %r10, %cr3\n"                  /* 41 0f 22 da */
    "    mov %cr3, %rax\n"
    "    mov %rax, cr3_after(%rip)\n"
    "    mov %cr0, %rax\n"
    "    mov %rax, cr0_read1(%rip)\n"
    "    mov %rax, %rbx\n"
    "g_cr0_same:\n"
    "    mov %rbx, %cr0\n"                  /* TS as in the shadow: no exit */
    "    and $-9, %rbx\n"
    "g_cr0_exit:\n"
    "    mov %rbx, %cr0\n"                  /* 0f 22 c3: TS differs from the shadow */
    "    mov %cr0, %rax\n"
    "    mov %rax, cr0_read2(%rip)\n"
    /* VMCALL and HLT */
    "    mov $0x5678, %eax\n"
    "g_vmcall:\n"
    "    vmcall\n"                          /* 0f 01 c1 */
    "    mov %rax, vmcall_rax(%rip)\n"
    "    mov %r15, vmcall_r15(%rip)\n"
    /* A new FS base (WRMSR of IA32_FS_BASE, not in the bitmap: no exit): the
     * HLT exit must save it, though no VMWRITE touched the segment fields. */
    "    mov $0xc0000100, %ecx\n"
    "    mov $0x5e9f5000, %eax\n"
    "    xor %edx, %edx\n"
    "    wrmsr\n"
    "g_hlt:\n"
    "    hlt\n"                             /* f4 */
    "g_done:\n"
    "    vmcall\n"
    "    jmp g_done\n");

#define RIP(label) ((uintptr_t)(label))

static void check_len(struct vmx_vcpu *v, uint32_t len, const char *insn)
{
    check(v->len == len, "  VM-exit instruction length (0x440c) of %s is %u (got %u)", insn, len, v->len);
}

static void check_qual(struct vmx_vcpu *v, uint64_t qual, const char *what)
{
    check(v->qual == qual, "  exit qualification %#llx: %s (got %#llx)", (unsigned long long)qual, what,
          (unsigned long long)v->qual);
}

static void set_bit(uint8_t *bitmap, unsigned bit)
{
    bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("VMX on");
    vmx_start();

    /* Bitmaps: I/O A (ports 0-7fffh), I/O B (8000h-ffffh), MSRs (read low,
     * read high, write low, write high: 1 KiB each, 24.6.9). */
    uint8_t *io_a = palloc(), *io_b = palloc(), *msr_bitmap = palloc();
    set_bit(io_a, PORT_BITMAP_A);
    set_bit(io_b, PORT_BITMAP_B - 0x8000);
    set_bit(msr_bitmap + 1024, MSR_READ_EXITS - 0xc0000000);
    set_bit(msr_bitmap + 2048, MSR_WRITE_EXITS);
    /* A second PML4 with the same mappings: a CR3 value the guest can tell apart. */
    void *pml4 = palloc();
    memcpy(pml4, (void *)(read_cr3() & ~0xfffull), PAGE_SIZE);
    alt_cr3 = (uintptr_t)pml4;
    wrmsr(MSR_IA32_LSTAR, LSTAR_VALUE);
    wrmsr(MSR_IA32_FMASK, 0);
    for (int i = 0; i < 15; i++)
        gpr_in[i] = 0xa5a5000000000000ull | (uint64_t)(i + 1) << 32 | (uint64_t)(i + 1) * 0x1111;

    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))guest_exits, guest_stack + sizeof(guest_stack));
    uint32_t want = VMX_PROC_HLT_EXITING | VMX_PROC_UNCOND_IO_EXITING | VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_CR3_LOAD_EXITING;
    uint32_t missing = vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, want);
    if (!check(!missing, "primary controls HLT, unconditional I/O, MSR bitmaps, CR3-load exiting (%#x) allowed "
               "by IA32_VMX_TRUE_PROCBASED_CTLS (missing %#x)", want, missing))
        test_finish();
    uint32_t proc = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, want);
    vmw(VMCS_CTRL_PROC_BASED, proc);
    vmw(VMCS_CTRL_IO_BITMAP_A, (uintptr_t)io_a);
    vmw(VMCS_CTRL_IO_BITMAP_B, (uintptr_t)io_b);
    vmw(VMCS_CTRL_MSR_BITMAP, (uintptr_t)msr_bitmap);
    uint64_t guest_cr0 = read_cr0() & ~(uint64_t)CR0_TS;
    vmw(VMCS_GUEST_CR0, guest_cr0);
    vmw(VMCS_CTRL_CR0_MASK, CR0_TS);
    vmw(VMCS_CTRL_CR0_READ_SHADOW, guest_cr0 | CR0_TS);

    test_section("CPUID (SDM 25.1.2; GPRs stay in the CPU, 27.1)");
    vmx_expect_exit(&v, EXIT_REASON_CPUID, RIP(g_cpuid), "CPUID");
    check_len(&v, 2, "CPUID");
    int same = 1;
    for (int i = 0; i < 15; i++) {
        uint64_t got = (&v.regs.rax)[i];
        if (got != gpr_in[i]) {
            check(0, "  guest %s at the exit is %#llx, expected %#llx", gpr_name[i], (unsigned long long)got,
                  (unsigned long long)gpr_in[i]);
            same = 0;
        }
    }
    check(same, "  all 15 guest GPRs (RAX-R15 but RSP) reached the host's registers at the exit");
    check(vmr(VMCS_GUEST_RSP) == (uintptr_t)guest_stack + sizeof(guest_stack),
          "  guest RSP (0x681c) is the guest's stack top %p (got %#llx)", (void *)(guest_stack + sizeof(guest_stack)),
          (unsigned long long)vmr(VMCS_GUEST_RSP));
    v.regs.rax = 0x00000017;
    v.regs.rbx = CPUID_EBX;
    v.regs.rcx = 0x00000000;
    v.regs.rdx = 0x12345678;
    vmx_skip(&v);

    test_section("I/O: unconditional exiting and bitmaps (SDM 24.6.4, table 27-5)");
    vmx_expect_exit(&v, EXIT_REASON_IO_INSTRUCTION, RIP(g_out), "OUT DX, AX to port 0x1234 with unconditional I/O exiting");
    same = 1;
    for (int i = 4; i < 15; i++)
        same &= (&v.regs.rax)[i] == gpr_in[i];
    check(gpr_out[0] == 0x17 && gpr_out[1] == CPUID_EBX && gpr_out[2] == 0 && gpr_out[3] == 0x12345678,
          "  the host's CPUID answer reached the guest: EAX %#llx EBX %#llx ECX %#llx EDX %#llx",
          (unsigned long long)gpr_out[0], (unsigned long long)gpr_out[1], (unsigned long long)gpr_out[2],
          (unsigned long long)gpr_out[3]);
    int kept = 1;
    for (int i = 4; i < 15; i++)
        kept &= gpr_out[i] == gpr_in[i];
    check(kept && same, "  RSI..R15 went back into the guest on VMRESUME unchanged");
    check_len(&v, 2, "OUT DX, AX (66 ef)");
    check_qual(&v, (uint64_t)PORT_OUT << 16 | 1, "port 0x1234, 2 bytes (bits 2:0 = 1), OUT, DX operand");
    check((v.regs.rax & 0xffff) == 0xbeef && (v.regs.rdx & 0xffff) == PORT_OUT,
          "  guest AX %#llx and DX %#llx at the exit", (unsigned long long)(v.regs.rax & 0xffff),
          (unsigned long long)(v.regs.rdx & 0xffff));
    proc = (proc & ~VMX_PROC_UNCOND_IO_EXITING) | VMX_PROC_USE_IO_BITMAPS;
    check(!vmx_missing_controls(MSR_IA32_VMX_PROCBASED_CTLS, proc), "use I/O bitmaps (primary bit 25) is allowed");
    vmw(VMCS_CTRL_PROC_BASED, vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS, proc));
    vmx_skip(&v);

    vmx_expect_exit(&v, EXIT_REASON_IO_INSTRUCTION, RIP(g_in_imm), "IN AL, 0x5a: port set in I/O bitmap A");
    check_len(&v, 2, "IN AL, imm8 (e4 5a)");
    check_qual(&v, (uint64_t)PORT_BITMAP_A << 16 | QUAL_IO_IMMEDIATE | QUAL_IO_IN,
               "port 0x5a, 1 byte, IN, immediate operand (bit 6)");
    v.regs.rax = (v.regs.rax & ~0xffull) | 0xc3;
    vmx_skip(&v);

    vmx_expect_exit(&v, EXIT_REASON_IO_INSTRUCTION, RIP(g_in_b),
                    "IN AL, DX from port 0x3fd (bitmap bit clear) did not exit; IN EAX, DX from 0x9000 (bitmap B) did");
    check_len(&v, 1, "IN EAX, DX (ed)");
    check_qual(&v, (uint64_t)PORT_BITMAP_B << 16 | QUAL_IO_IN | 3, "port 0x9000, 4 bytes (bits 2:0 = 3), IN, DX operand");
    check((io_in_imm & 0xffff) == 0xaac3, "  the emulated IN AL gave the guest AL = 0xc3, AH kept (AX %#llx)",
          (unsigned long long)(io_in_imm & 0xffff));
    check((io_in_native & 0xff00) == 0xaa00 && (io_in_native & 0xff) != 0xaa,
          "  IN AL from the UART's line status register executed in the guest: AL = %#llx",
          (unsigned long long)(io_in_native & 0xff));
    v.regs.rax = 0x87654321;
    vmx_skip(&v);

    test_section("RDMSR and WRMSR through the MSR bitmaps (SDM 24.6.9, 25.1.3)");
    vmx_expect_exit(&v, EXIT_REASON_RDMSR, RIP(g_rdmsr_exit), "RDMSR of STAR (read-high bitmap bit set)");
    check(io_in_b == 0x87654321, "  IN EAX gave the guest the host's value 0x87654321 (got %#llx)",
          (unsigned long long)io_in_b);
    check_len(&v, 2, "RDMSR");
    check(v.regs.rcx == MSR_READ_EXITS, "  guest ECX is the MSR index %#x (got %#llx)", MSR_READ_EXITS,
          (unsigned long long)v.regs.rcx);
    v.regs.rax = 0x11112222;
    v.regs.rdx = 0x33334444;
    vmx_skip(&v);

    vmx_expect_exit(&v, EXIT_REASON_WRMSR, RIP(g_wrmsr_exit),
                    "RDMSR of LSTAR (bit clear) did not exit; WRMSR of SYSENTER_ESP (write-low bit set) did");
    check_len(&v, 2, "WRMSR");
    check(v.regs.rcx == MSR_WRITE_EXITS && (uint32_t)v.regs.rax == 0x89abcdef && (uint32_t)v.regs.rdx == 0x01234567,
          "  guest ECX %#llx, EDX:EAX %#x:%#x at the exit", (unsigned long long)v.regs.rcx, (uint32_t)v.regs.rdx,
          (uint32_t)v.regs.rax);
    check(msr_read_exit == 0x3333444411112222ull, "  the emulated RDMSR gave the guest EDX:EAX 0x33334444:0x11112222 "
          "(got %#llx)", (unsigned long long)msr_read_exit);
    check(msr_read_native == LSTAR_VALUE, "  the native RDMSR of LSTAR read the real MSR %#llx (got %#llx)",
          (unsigned long long)LSTAR_VALUE, (unsigned long long)msr_read_native);
    vmx_skip(&v);

    vmx_expect_exit(&v, EXIT_REASON_RDMSR, RIP(g_rdmsr_outside),
                    "WRMSR of FMASK (bit clear) did not exit; RDMSR of 0x4b564d00 (outside both ranges) did");
    check(v.regs.rcx == MSR_OUTSIDE, "  guest ECX %#x (got %#llx)", MSR_OUTSIDE, (unsigned long long)v.regs.rcx);
    check(rdmsr(MSR_IA32_FMASK) == FMASK_VALUE, "  the guest's native WRMSR reached FMASK: the host reads %#llx",
          (unsigned long long)rdmsr(MSR_IA32_FMASK));
    v.regs.rax = v.regs.rdx = 0;
    vmx_skip(&v);

    test_section("control registers (SDM 24.6.6, 25.1.3, table 27-3)");
    vmx_expect_exit(&v, EXIT_REASON_CR_ACCESS, RIP(g_mov_cr3), "MOV CR3, R10 with CR3-load exiting");
    check_len(&v, 4, "MOV CR3, R10 (41 0f 22 da)");
    check_qual(&v, 3 | 0 << 4 | 10 << 8, "CR3 (bits 3:0), MOV to CR (bits 5:4 = 0), R10 (bits 11:8 = 10)");
    check(v.regs.r10 == alt_cr3, "  guest R10 holds the new CR3 %#llx (got %#llx)", (unsigned long long)alt_cr3,
          (unsigned long long)v.regs.r10);
    vmw(VMCS_GUEST_CR3, v.regs.r10);
    vmx_skip(&v);

    vmx_expect_exit(&v, EXIT_REASON_CR_ACCESS, RIP(g_cr0_exit),
                    "MOV CR0 keeping TS as the shadow did not exit; MOV CR0, RBX clearing TS did");
    check(cr3_after == alt_cr3, "  the guest reads back the CR3 the host loaded: %#llx (got %#llx)",
          (unsigned long long)alt_cr3, (unsigned long long)cr3_after);
    check((cr0_read1 & CR0_TS) && !(vmr(VMCS_GUEST_CR0) & CR0_TS),
          "  guest MOV from CR0 read TS = 1 from the read shadow while guest CR0 (0x6800) has TS = 0 (read %#llx)",
          (unsigned long long)cr0_read1);
    check_len(&v, 3, "MOV CR0, RBX (0f 22 c3)");
    check_qual(&v, 0 | 0 << 4 | 3 << 8, "CR0, MOV to CR, RBX (bits 11:8 = 3)");
    check(v.regs.rbx == (cr0_read1 & ~(uint64_t)CR0_TS), "  guest RBX %#llx is the value written",
          (unsigned long long)v.regs.rbx);
    vmw(VMCS_CTRL_CR0_READ_SHADOW, v.regs.rbx);
    vmw(VMCS_GUEST_CR0, (vmr(VMCS_GUEST_CR0) & CR0_TS) | (v.regs.rbx & ~(uint64_t)CR0_TS));
    vmx_skip(&v);

    test_section("VMCALL and HLT (SDM 25.1.2, 25.1.3)");
    vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_vmcall), "VMCALL");
    check(!(cr0_read2 & CR0_TS), "  after the host updated the shadow the guest reads TS = 0 (CR0 %#llx)",
          (unsigned long long)cr0_read2);
    check_len(&v, 3, "VMCALL (0f 01 c1)");
    check((uint32_t)v.regs.rax == 0x5678, "  guest EAX 0x5678 at the exit (got %#llx)", (unsigned long long)v.regs.rax);
    v.regs.rax = 0x600d;
    v.regs.r15 = 0xf15f15;
    vmx_skip(&v);

    uint64_t fs_before = vmr(VMCS_GUEST_FS_BASE);
    vmx_expect_exit(&v, EXIT_REASON_HLT, RIP(g_hlt), "HLT with HLT exiting");
    check_len(&v, 1, "HLT (f4)");
    check(vmr(VMCS_GUEST_FS_BASE) == 0x5e9f5000 && fs_before != 0x5e9f5000,
          "  the FS base the guest wrote since the VMCALL exit is in the VMCS (%#llx, was %#llx)",
          (unsigned long long)vmr(VMCS_GUEST_FS_BASE), (unsigned long long)fs_before);
    check(vmcall_rax == 0x600d && vmcall_r15 == 0xf15f15,
          "  RAX and R15 set by the host went back on VMRESUME (RAX %#llx, R15 %#llx)",
          (unsigned long long)vmcall_rax, (unsigned long long)vmcall_r15);
    vmx_skip(&v);
    int r = vmx_enter(&v.regs, 0);
    check(r == VMX_FAIL_VALID && vmx_error() == VMXERR_VMLAUNCH_NONCLEAR_VMCS,
          "VMLAUNCH of the launched VMCS: VMfailValid(4) (got %s%s)", vmx_result_str(r),
          r == VMX_OK ? ": it entered the guest" : "");
    if (r != VMX_OK)
        vmx_expect_exit(&v, EXIT_REASON_VMCALL, RIP(g_done), "VMRESUME after the failed VMLAUNCH: the final VMCALL");
    check(v.exits == 12 || r == VMX_OK, "12 exits in all (counted %u)", v.exits);
    test_finish();
}
