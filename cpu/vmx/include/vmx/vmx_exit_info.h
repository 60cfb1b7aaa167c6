/* VM-exit information words (SDM 27.2.1 exit qualifications, 27.2.4 instruction
 * information) and the I/O- and MSR-bitmap lookups (25.1.3) that decide whether
 * an I/O instruction, RDMSR or WRMSR exits. */
#ifndef VMX_VMX_EXIT_INFO_H
#define VMX_VMX_EXIT_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_arch.h"

/* Control-register access types: enum vmx_cr_access (arch/vmx.h). */
/* MOV to/from CRn with general register gpr (0 = RAX .. 15 = R15). */
uint64_t vmx_qual_mov_cr(unsigned cr, bool from_cr, unsigned gpr);
uint64_t vmx_qual_clts(void);
/* LMSW: the 16-bit source, and whether it came from memory. */
uint64_t vmx_qual_lmsw(uint16_t source, bool memory_operand);

/* MOV to/from DRn (table 27-4). */
uint64_t vmx_qual_mov_dr(unsigned dr, bool from_dr, unsigned gpr);

/* I/O instruction (table 27-5): size 1, 2 or 4 bytes; imm: port given as an
 * immediate rather than in DX. */
uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm);

/* Memory operand of an instruction, for the instruction-information field. */
enum vmx_addr_size { VMX_ADDR16 = 0, VMX_ADDR32 = 1, VMX_ADDR64 = 2 };
struct vmx_mem_operand {
    unsigned scale_log2;       /* 0..3: index scaled by 1, 2, 4, 8 */
    enum vmx_addr_size asize;
    unsigned seg;              /* 0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS */
    int index;                 /* general register number, or -1 for none */
    int base;                  /* general register number, or -1 for none */
};

/* INS/OUTS (table 27-8, IA32_VMX_BASIC bit 54): address size and, for OUTS,
 * the source segment (INS always writes through ES). */
uint32_t vmx_info_ins_outs(enum vmx_addr_size asize, unsigned seg);

/* VMCLEAR, VMPTRLD, VMPTRST, VMXON (table 27-13): the memory operand. */
uint32_t vmx_info_vmx_mem(const struct vmx_mem_operand *op);

/* INVEPT, INVVPID (table 27-9): the memory operand and the type register. */
uint32_t vmx_info_invept(const struct vmx_mem_operand *op, unsigned type_reg);

/* VMREAD, VMWRITE (table 27-14): reg2 holds the field encoding; the other
 * operand is register reg1 (op NULL) or memory op. */
uint32_t vmx_info_vmread(const struct vmx_mem_operand *op, unsigned reg1, unsigned reg2);

/* Whether an access of size bytes at port exits under the I/O bitmaps A (ports
 * 0-7fffh) and B (8000h-ffffh): any bit set for port..port+size-1, or the
 * access wrapping past ffffh (25.1.3). */
bool vmx_io_bitmap_exits(const struct vmx_mem *mem, uint64_t bitmap_a, uint64_t bitmap_b,
                         uint16_t port, unsigned size);

/* Whether RDMSR (write false) or WRMSR of msr exits under the 4 KiB MSR bitmap:
 * read-low, read-high, write-low, write-high quarters for MSRs 0-1fffh and
 * c0000000h-c0001fffh; every other MSR exits (24.6.9, 25.1.3). */
bool vmx_msr_bitmap_exits(const struct vmx_mem *mem, uint64_t bitmap, uint32_t msr, bool write);

#endif
