/* vmx_cpuid_loop: the VT-x round-trip benchmark kernel (bench/vmx/run.sh). A
 * guest executes CPUID n times under a minimal root-mode handler (read the exit
 * reason, advance RIP by the instruction length, VMRESUME); then the same loop
 * runs natively, without VMX. Prints both TSC deltas. Command line: n=N
 * (default 1000000) and mode=vmx|native|both (default both), so that the
 * benchmark can time each loop as a whole process. Checks that every CPUID
 * exited exactly once. 64-bit. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/multiboot.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/vmx.h"
#include "klib/x86.h"

#define DEFAULT_N 1000000ull

static char guest_stack[4096] __attribute__((aligned(16)));

/* The loop, for the guest and natively: R8 = n. */
extern char g_loop[], g_loop_done[];
void native_loop(uint64_t n);
asm(".text\n"
    "g_loop:\n"
    "    test %r8, %r8\n"
    "    jz 2f\n"
    "1:  xor %eax, %eax\n"
    "    cpuid\n"
    "    dec %r8\n"
    "    jnz 1b\n"
    "2:\n"
    "g_loop_done:\n"
    "    vmcall\n"
    "    jmp g_loop_done\n"
    "\n"
    ".globl native_loop\n"
    "native_loop:\n"
    "    push %rbx\n"
    "    mov %rdi, %r8\n"
    "    test %r8, %r8\n"
    "    jz 2f\n"
    "1:  xor %eax, %eax\n"
    "    cpuid\n"
    "    dec %r8\n"
    "    jnz 1b\n"
    "2:  pop %rbx\n"
    "    ret\n");

/* The value of `key=` on the command line, or NULL. */
static const char *cmdline_value(const char *key)
{
    if (!(boot_info->flags & MULTIBOOT_INFO_CMDLINE) || !boot_info->cmdline)
        return 0;
    size_t n = strlen(key);
    for (const char *p = (const char *)(uintptr_t)boot_info->cmdline; *p; p++)
        if ((p == (const char *)(uintptr_t)boot_info->cmdline || p[-1] == ' ') && strncmp(p, key, n) == 0 &&
            p[n] == '=')
            return p + n + 1;
    return 0;
}

static uint64_t parse_u64(const char *s, uint64_t dflt)
{
    if (!s || *s < '0' || *s > '9')
        return dflt;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

static int mode_is(const char *mode, const char *want)
{
    size_t n = strlen(want);
    return strncmp(mode, want, n) == 0 && (mode[n] == 0 || mode[n] == ' ');
}

static void vmx_loop(uint64_t n)
{
    test_section("CPUID under VMX: one exit per CPUID, minimal handler");
    vmx_start();
    struct vmx_vcpu v;
    vmx_vcpu_init(&v, (void (*)(void))g_loop, guest_stack + sizeof(guest_stack));
    v.regs.r8 = n;
    uint64_t exits = 0, reason = 0;
    int launched = 0, r;
    uint64_t t0 = rdtsc();
    for (;;) {
        r = vmx_enter(&v.regs, launched);
        if (r != VMX_OK)
            break;
        launched = 1;
        reason = vmr(VMCS_EXIT_REASON);
        if (reason != EXIT_REASON_CPUID)
            break;
        vmwrite(VMCS_GUEST_RIP, vmr(VMCS_GUEST_RIP) + vmr(VMCS_EXIT_INSTRUCTION_LEN));
        v.regs.rax = v.regs.rbx = v.regs.rcx = v.regs.rdx = 0;
        exits++;
    }
    uint64_t dt = rdtsc() - t0;
    if (!check(r == VMX_OK, "VM entries succeed (%s)", vmx_result_str(r)))
        return;
    check(reason == EXIT_REASON_VMCALL && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_loop_done,
          "the loop ends with the guest's VMCALL (exit reason %llu at %#llx)", (unsigned long long)reason,
          (unsigned long long)vmr(VMCS_GUEST_RIP));
    check(exits == n, "%llu CPUID exits for n = %llu", (unsigned long long)exits, (unsigned long long)n);
    kprintf("vmx: %llu CPUID exits in %llu TSC cycles (%llu per round trip)\n", (unsigned long long)exits,
            (unsigned long long)dt, (unsigned long long)(exits ? dt / exits : 0));
    vmxoff();
}

static void native(uint64_t n)
{
    test_section("the same CPUID loop natively");
    uint64_t t0 = rdtsc();
    native_loop(n);
    uint64_t dt = rdtsc() - t0;
    kprintf("native: %llu CPUIDs in %llu TSC cycles (%llu per CPUID)\n", (unsigned long long)n,
            (unsigned long long)dt, (unsigned long long)(n ? dt / n : 0));
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    uint64_t n = parse_u64(cmdline_value("n"), DEFAULT_N);
    const char *mode = cmdline_value("mode");
    if (!mode)
        mode = "both";
    kprintf("vmx_cpuid_loop: n = %llu, mode = %s\n", (unsigned long long)n, mode);
    if (mode_is(mode, "vmx") || mode_is(mode, "both"))
        vmx_loop(n);
    if (mode_is(mode, "native") || mode_is(mode, "both"))
        native(n);
    test_finish();
}
