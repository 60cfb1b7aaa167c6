/* SYSCALL/SYSRET in long mode and SYSENTER/SYSEXIT in protected mode: the ring-0
 * entry state from STAR/LSTAR/FMASK and the SYSENTER MSRs, RCX/R11, and the way
 * back to ring 3 (Intel SDM vol. 2B SYSCALL, SYSRET, SYSENTER, SYSEXIT). */
#include <criterion/criterion.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(syscalls, .fini = fini);

Test(syscalls, syscall_and_sysret_64)
{
    hv_init(&h, "syscall", 64);
    hv_start(&h, "syscall64", 0, 0);
    cr_assert_eq(cpu_run(h.cpu, 2000), CPU_EXIT_LIMIT);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "sys64_entry"), "at LSTAR");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CS), SEL_KCODE64, "CS from STAR[47:32]");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_SS), SEL_KCODE64 + 8, "SS = CS + 8");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RCX), hv_sym(&h, "r64_sys_ret"), "RCX: the return RIP");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_R11), 0x602, "R11: RFLAGS at SYSCALL");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RFLAGS) & 0x600, 0, "FMASK cleared IF and DF");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RSP), STACK3_TOP, "SYSCALL keeps RSP");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RAX), 0x1234);
    cr_assert_eq(cpu_stats(h.cpu)->syscalls, 1);

    /* SYSRETQ back to ring 3, whose UD2 shows CS, SS, RFLAGS and RSP. */
    cpu_reg_write(h.cpu, UC_X86_REG_RIP, hv_sym(&h, "sys64_sysret"));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6);
    uint64_t sp = hv_reg(&h, UC_X86_REG_RSP);
    cr_assert_eq(sp, STACK0_TOP - 40);
    cr_assert_eq(hv_rd64(&h, sp), hv_sym(&h, "r64_sys_ret"));
    cr_assert_eq(hv_rd64(&h, sp + 8), SEL_UCODE64 | 3, "SYSRET CS = STAR[63:48] + 16");
    cr_assert_eq(hv_rd64(&h, sp + 16) & 0x600, 0x600, "RFLAGS from R11");
    cr_assert_eq(hv_rd64(&h, sp + 24), STACK3_TOP);
    cr_assert_eq(hv_rd64(&h, sp + 32), SEL_UDATA | 3, "SYSRET SS = STAR[63:48] + 8");
}

Test(syscalls, syscall_without_efer_sce_is_ud)
{
    hv_init(&h, "syscall", 32);
    hv_start(&h, "syscall_nosce", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6);
    cr_assert_eq(hv_rd32(&h, hv_reg(&h, UC_X86_REG_ESP)), hv_sym(&h, "syscall_nosce_at"));
    cr_assert_eq(cpu_stats(h.cpu)->syscalls, 0);
}

Test(syscalls, sysenter_and_sysexit_32)
{
    hv_init(&h, "syscall", 32);
    hv_start(&h, "sysenter32", 0, 0);
    cr_assert_eq(cpu_run(h.cpu, 2000), CPU_EXIT_LIMIT);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "sysenter_entry"), "at SYSENTER_EIP");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CS), SEL_KCODE32, "CS = SYSENTER_CS");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_SS), SEL_KDATA, "SS = SYSENTER_CS + 8");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_ESP), SYSENTER_STACK, "ESP = SYSENTER_ESP");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_EFLAGS) & 0x200, 0, "IF cleared");
    cr_assert_eq(cpu_stats(h.cpu)->syscalls, 1);

    /* SYSEXIT: EIP = EDX, ESP = ECX, CS = SYSENTER_CS + 16, SS = + 24, ring 3. */
    cpu_reg_write(h.cpu, UC_X86_REG_RIP, hv_sym(&h, "sysenter_sysexit"));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6);
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(sp, STACK0_TOP - 20);
    cr_assert_eq(hv_rd32(&h, sp), hv_sym(&h, "r3_sysexit_ret"));
    cr_assert_eq(hv_rd32(&h, sp + 4), SEL_UCODE32 | 3);
    cr_assert_eq(hv_rd32(&h, sp + 12), STACK3_TOP - 0x100);
    cr_assert_eq(hv_rd32(&h, sp + 16), SEL_UDATA | 3);
}
