/* Exit qualifications and instruction-information words (SDM 27.2.1 tables 27-3
 * to 27-5, 27.2.4 tables 27-8, 27-9, 27-13, 27-14), and the I/O- and MSR-bitmap
 * tests of SDM 25.1.3 over guest memory. */
#include "vmx/vmx_exit_info.h"

uint64_t vmx_qual_mov_cr(unsigned cr, bool from_cr, unsigned gpr)
{
    unsigned type = from_cr ? VMX_CR_MOV_FROM : VMX_CR_MOV_TO;
    return (cr & 0xf) | type << 4 | (uint64_t)(gpr & 0xf) << 8;
}

uint64_t vmx_qual_clts(void)
{
    return VMX_CR_CLTS << 4;
}

uint64_t vmx_qual_lmsw(uint16_t source, bool memory_operand)
{
    return VMX_CR_LMSW << 4 | (uint64_t)memory_operand << 6 | (uint64_t)source << 16;
}

uint64_t vmx_qual_mov_dr(unsigned dr, bool from_dr, unsigned gpr)
{
    return (dr & 7) | (uint64_t)from_dr << 4 | (uint64_t)(gpr & 0xf) << 8;
}

uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm)
{
    /* Bits 2:0 are the size minus 1: 0, 1 or 3. */
    return (uint64_t)((size - 1) & 7) | (uint64_t)in << 3 | (uint64_t)string << 4 |
           (uint64_t)rep << 5 | (uint64_t)imm << 6 | (uint64_t)port << 16;
}

uint32_t vmx_info_ins_outs(enum vmx_addr_size asize, unsigned seg)
{
    return (uint32_t)asize << 7 | (seg & 7) << 15;
}

/* The memory-operand bits shared by tables 27-9, 27-13 and 27-14: scaling (1:0),
 * address size (9:7), segment (17:15), index (21:18) and its invalid bit (22),
 * base (26:23) and its invalid bit (27). */
static uint32_t mem_operand_bits(const struct vmx_mem_operand *op)
{
    uint32_t v = (op->scale_log2 & 3) | (uint32_t)op->asize << 7 | (op->seg & 7) << 15;
    v |= op->index < 0 ? 1u << 22 : (uint32_t)(op->index & 0xf) << 18;
    v |= op->base < 0 ? 1u << 27 : (uint32_t)(op->base & 0xf) << 23;
    return v;
}

uint32_t vmx_info_vmx_mem(const struct vmx_mem_operand *op)
{
    return mem_operand_bits(op); /* bit 10 is 0: always a memory operand */
}

uint32_t vmx_info_invept(const struct vmx_mem_operand *op, unsigned type_reg)
{
    return mem_operand_bits(op) | (type_reg & 0xf) << 28;
}

uint32_t vmx_info_vmread(const struct vmx_mem_operand *op, unsigned reg1, unsigned reg2)
{
    uint32_t v = op ? mem_operand_bits(op) : (reg1 & 0xf) << 3 | 1u << 10;
    return v | (reg2 & 0xf) << 28;
}

static unsigned read_bit(const struct vmx_mem *mem, uint64_t pa, unsigned bit)
{
    uint64_t byte_pa = pa + bit / 8;
    uint64_t word = mem->read64(mem->opaque, byte_pa & ~7ull);
    return (word >> ((byte_pa & 7) * 8 + bit % 8)) & 1;
}

bool vmx_io_bitmap_exits(const struct vmx_mem *mem, uint64_t bitmap_a, uint64_t bitmap_b,
                         uint16_t port, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint32_t p = (uint32_t)port + i;
        if (p > 0xffff)
            return true;
        if (read_bit(mem, p < 0x8000 ? bitmap_a : bitmap_b, p & 0x7fff))
            return true;
    }
    return false;
}

bool vmx_msr_bitmap_exits(const struct vmx_mem *mem, uint64_t bitmap, uint32_t msr, bool write)
{
    uint64_t quarter = write ? 2048 : 0;
    if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        quarter += 1024;
    else if (msr > 0x1fff)
        return true;
    return read_bit(mem, bitmap + quarter, msr & 0x1fff);
}
