/* Non-maskable interrupts (Intel SDM vol. 3A 6.7 and 6.7.1): taken from the
 * platform's latch, delivered as vector 2 through the IDT whatever EFLAGS.IF
 * says and before any maskable interrupt, then blocked until the next IRET.
 * IRET unblocks at its start, so a faulting IRET unblocks too (vol. 3C 27.2.3:
 * "NMI unblocking due to IRET" is how VT-x reports exactly that). Unicorn
 * runs IRET natively; a code hook on each IRET (intercept.c, SITE_IRET) tells
 * us. In VMX non-root operation NMIs stay in the platform's latch: with NMI
 * exiting they cause VM exits (cpu/vmx/vmx_nonroot.c), without it they wait for the
 * next VM exit; the guest's IRET ends its (virtual-)NMI blocking here. */
#include "cpu_priv.h"

int nmi_take(struct cpu *c)
{
    c->nmi_one_block = false;
    if (c->nr)
        return 0;
    if (c->plat.nmi_take && c->plat.nmi_take(c->plat.opaque))
        c->nmi_pending = true; /* one more while one waits is lost, as on hardware */
    if (!nmi_deliverable(c))
        return 0;
    uc_blob_save(c);
    if (!c->halted && (uc_blob_hflags(c) & HF_INHIBIT_IRQ_MASK)) {
        /* MOV SS (and, on many CPUs, STI) blocks NMI for one instruction too.
         * That instruction starts a block of its own: let one block run. */
        c->nmi_one_block = true;
        return 0;
    }
    c->nmi_pending = false;
    c->nmi_blocked = true;
    c->halted = false;
    return exc_deliver(c, EXC_NMI, EV_EXTERNAL, false, 0) ? -1 : 1;
}

void nmi_iret(struct cpu *c)
{
    if (!c->nmi_blocked)
        return;
    c->nmi_blocked = false;
    /* Non-root: an NMI (window) exit may be due now (vmx_nr_check_events). */
    if (c->nmi_pending || c->nr)
        c->stop_cycles = 0; /* deliver at the boundary after the IRET */
}
