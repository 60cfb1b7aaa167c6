/* I/O permission (Intel SDM vol. 1 sec. 19.5): IN, OUT, INS and OUTS at CPL > IOPL
 * are allowed only for ports whose bits are clear in the TSS I/O bitmap. Unicorn
 * does not check this; every I/O instruction is intercepted by address
 * (intercept.c) and asks here first. */
#include "cpu_priv.h"

bool ioperm_allowed(struct cpu *c, uint16_t port, unsigned size)
{
    uint64_t rflags = reg_get(c, UC_X86_REG_RFLAGS);
    unsigned iopl = (rflags >> 12) & 3;
    unsigned cpl = (unsigned)reg_get(c, UC_X86_REG_CS) & 3;
    struct pw_ctx m;
    uc_x86_mmr tr;
    uint16_t base;
    uint16_t bits;
    uint64_t fl;
    uint32_t pe;

    if (!(reg_get(c, UC_X86_REG_CR0) & 1))
        return true; /* real mode: no protection */
    if (cpl <= iopl && !(rflags & (1u << 17)))
        return true;
    /* Only a 32/64-bit available or busy TSS has a bitmap; its base is at 0x66. */
    uc_reg_read(c->uc, UC_X86_REG_TR, &tr);
    if (tr.limit < 0x67)
        return false;
    pw_ctx_read(c, &m);
    if (pw_read(c, &m, tr.base + 0x66, &base, 2, &fl, &pe))
        return false;
    if ((uint32_t)base + port / 8 + 1 > tr.limit)
        return false;
    if (pw_read(c, &m, tr.base + base + port / 8, &bits, 2, &fl, &pe))
        return false;
    return ((bits >> (port & 7)) & ((1u << size) - 1)) == 0;
}
