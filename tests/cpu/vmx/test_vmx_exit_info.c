/* Tests for exit qualifications, instruction-information words (SDM 27.2.1,
 * 27.2.4) and the I/O- and MSR-bitmap lookups (25.1.3). */
#include <criterion/criterion.h>
#include <string.h>

#include "vmx/vmx_exit_info.h"

static uint8_t ram[0x4000];

static uint64_t ram_read64(void *opaque, uint64_t pa)
{
    uint64_t v;
    if (pa + 8 > sizeof ram)
        return ~0ull;
    memcpy(&v, ram + pa, 8);
    return v;
}

static const struct vmx_mem mem = { ram_read64, NULL };

Test(exit_info, control_register_access)
{
    cr_assert_eq(vmx_qual_mov_cr(3, false, 0), 0x003);        /* mov cr3, rax */
    cr_assert_eq(vmx_qual_mov_cr(0, true, 11), 0xb10);        /* mov r11, cr0 */
    cr_assert_eq(vmx_qual_mov_cr(8, false, 2), 0x208);        /* mov cr8, rdx */
    cr_assert_eq(vmx_qual_clts(), 0x20);
    cr_assert_eq(vmx_qual_lmsw(0x0031, true), 0x00310070);
}

Test(exit_info, debug_register_access)
{
    cr_assert_eq(vmx_qual_mov_dr(7, false, 1), 0x107);        /* mov dr7, rcx */
    cr_assert_eq(vmx_qual_mov_dr(6, true, 0), 0x016);         /* mov rax, dr6 */
}

Test(exit_info, io_instructions)
{
    cr_assert_eq(vmx_qual_io(0x3f8, 1, false, false, false, false), 0x03f80000); /* out dx, al */
    cr_assert_eq(vmx_qual_io(0x60, 1, true, false, false, true), 0x00600048);    /* in al, 0x60 */
    cr_assert_eq(vmx_qual_io(0x1f0, 2, true, true, true, false), 0x01f00039);    /* rep insw */
    cr_assert_eq(vmx_qual_io(0xcfc, 4, false, false, false, false), 0x0cfc0003); /* out dx, eax */
    cr_assert_eq(vmx_info_ins_outs(VMX_ADDR64, 3), 0x00018100);                 /* rep outsb, ds */
}

Test(exit_info, vmx_instruction_operands)
{
    /* vmptrld [rbx+rcx*8] in 64-bit mode, DS */
    struct vmx_mem_operand op = { 3, VMX_ADDR64, 3, 1, 3 };
    cr_assert_eq(vmx_info_vmx_mem(&op), 3u | 2u << 7 | 3u << 15 | 1u << 18 | 3u << 23);
    /* vmxon [rax], no index */
    struct vmx_mem_operand op2 = { 0, VMX_ADDR64, 3, -1, 0 };
    cr_assert_eq(vmx_info_vmx_mem(&op2), 2u << 7 | 3u << 15 | 1u << 22);
    /* invept rdx, [rsp] with SS, no index */
    struct vmx_mem_operand op3 = { 0, VMX_ADDR64, 2, -1, 4 };
    cr_assert_eq(vmx_info_invept(&op3, 2), 2u << 7 | 2u << 15 | 1u << 22 | 4u << 23 | 2u << 28);
    /* vmread rax, rdx: register form, reg1 = rax (destination), reg2 = rdx (encoding) */
    cr_assert_eq(vmx_info_vmread(NULL, 0, 2), 1u << 10 | 2u << 28);
    /* vmwrite rcx, [rbp] (32-bit address, SS, no index): reg2 = rcx */
    struct vmx_mem_operand op4 = { 0, VMX_ADDR32, 2, -1, 5 };
    cr_assert_eq(vmx_info_vmread(&op4, 0, 1), 1u << 7 | 2u << 15 | 1u << 22 | 5u << 23 | 1u << 28);
}

Test(exit_info, io_bitmaps)
{
    memset(ram, 0, sizeof ram);
    ram[0x1000 + 0x3f8 / 8] = 1 << (0x3f8 % 8);      /* bitmap A at 0x1000: port 0x3f8 */
    ram[0x2000 + 0x7ff0 / 8] = 1 << (0x7ff0 % 8);    /* bitmap B at 0x2000: port 0xfff0 */
    cr_assert(vmx_io_bitmap_exits(&mem, 0x1000, 0x2000, 0x3f8, 1));
    cr_assert_not(vmx_io_bitmap_exits(&mem, 0x1000, 0x2000, 0x3f9, 1));
    cr_assert(vmx_io_bitmap_exits(&mem, 0x1000, 0x2000, 0x3f6, 4), "any byte of the access");
    cr_assert(vmx_io_bitmap_exits(&mem, 0x1000, 0x2000, 0xfff0, 1));
    cr_assert_not(vmx_io_bitmap_exits(&mem, 0x1000, 0x2000, 0x7fff, 1));
    cr_assert(vmx_io_bitmap_exits(&mem, 0x1000, 0x2000, 0xffff, 2), "wraps past ffffh");
}

Test(exit_info, msr_bitmaps)
{
    memset(ram, 0, sizeof ram);
    uint64_t b = 0x1000;
    ram[b + 0x10 / 8] |= 1 << (0x10 % 8);                 /* read TSC (0x10) */
    ram[b + 1024 + 0x80 / 8] |= 1 << (0x80 % 8);          /* read 0xc0000080 EFER */
    ram[b + 2048 + 0x1b / 8] |= 1 << (0x1b % 8);          /* write APIC_BASE (0x1b) */
    ram[b + 3072 + 0x102 / 8] |= 1 << (0x102 % 8);        /* write 0xc0000102 KERNEL_GS */
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0x10, false));
    cr_assert_not(vmx_msr_bitmap_exits(&mem, b, 0x10, true));
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0xc0000080, false));
    cr_assert_not(vmx_msr_bitmap_exits(&mem, b, 0xc0000080, true));
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0x1b, true));
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0xc0000102, true));
    cr_assert_not(vmx_msr_bitmap_exits(&mem, b, 0xc0000101, true));
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0x2000, false), "outside both ranges");
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0xc0002000, true));
    cr_assert(vmx_msr_bitmap_exits(&mem, b, 0x40000000, false));
}
