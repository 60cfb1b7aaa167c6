/* Changing paging modes in a Unicorn engine: the register writes that make QEMU
 * recompute long mode (LMA) the way a CPU does it, written once for the start-up
 * paths and the VM entry and exit loads (SDM vol. 3A 9.8.5 and 2.5). */
#include "cpu_priv.h"

/* Unicorn starts with LMA set and paging off, a state hardware never has. LMA is
 * cleared only by turning paging off, so turn it on, then off (no memory is
 * touched in between), then clear LME: legacy protected mode without paging. */
int engine_leave_start_state(struct cpu *c)
{
    uc_x86_msr efer = { .rid = MSR_IA32_EFER, .value = 0 };
    reg_set(c, UC_X86_REG_CR4, CR4_PAE);
    reg_set(c, UC_X86_REG_CR0, CR0_PG | CR0_ET | CR0_PE);
    reg_set(c, UC_X86_REG_CR0, CR0_ET | CR0_PE); /* PG off: LMA off */
    if (uc_reg_write(c->uc, UC_X86_REG_MSR, &efer) != UC_ERR_OK)
        return -1;
    reg_set(c, UC_X86_REG_CR4, 0);
    return 0;
}

/* Load CR0, CR3, CR4 and EFER as one state (a VM entry or exit): through paging
 * off, so QEMU derives LMA from EFER.LME and CR0.PG as the CPU would; only CR3
 * when the rest is already in place. */
void engine_load_paging(struct cpu *c, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer, bool same_modes)
{
    if (same_modes) {
        if (cr3 != reg_get(c, UC_X86_REG_CR3))
            reg_set(c, UC_X86_REG_CR3, cr3);
        return;
    }
    uc_x86_msr m = { .rid = MSR_IA32_EFER, .value = efer & ~EFER_LMA }; /* LMA follows */
    reg_set(c, UC_X86_REG_CR0, CR0_ET | CR0_PE);
    uc_reg_write(c->uc, UC_X86_REG_MSR, &m);
    reg_set(c, UC_X86_REG_CR4, cr4);
    reg_set(c, UC_X86_REG_CR3, cr3);
    reg_set(c, UC_X86_REG_CR0, cr0);
}
