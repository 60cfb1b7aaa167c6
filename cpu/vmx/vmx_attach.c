/* VT-x joined to a CPU: the table through which the ring model (cpu/) reaches
 * this layer, and vmx_attach, which gives a root CPU its VMX operation. */
#include "vmx/vmx.h"

#include "vmx_priv.h"

static bool entry_pending(const struct cpu *c) { return c->vmx->entry != VMX_ENTRY_NONE; }
static bool nr_exit_pending(const struct cpu *g) { return g->nr->exit.pending; }
static uint64_t nr_timer_deadline(const struct cpu *g) { return g->nr->timer_deadline; }

static const struct cpu_vmx_ops vmx_ops = {
    .free = vmx_root_free,
    .insn_root = vmx_insn_root,
    .insn_nm = vmx_insn_nm,
    .entry_pending = entry_pending,
    .enter = vmx_enter,
    .exit_to_root = vmx_exit_to_root,
    .msr_read = vmx_msr_read,
    .cr_write_ok = vmx_root_cr_write_ok,
    .save = vmx_save,
    .load = vmx_load,
    .hash = vmx_hash,
    .nr_gpa_to_hpa = vmx_gpa_to_hpa,
    .nr_site = vmx_nr_site,
    .nr_rdtscp_enabled = vmx_nr_rdtscp_enabled,
    .nr_invalid_insn = vmx_nr_invalid_insn,
    .nr_exception = vmx_nr_exception,
    .nr_check_events = vmx_nr_check_events,
    .nr_ept_fault = vmx_nr_ept_fault,
    .nr_walk_fault = vmx_nr_walk_fault,
    .nr_exit = vmx_nr_exit,
    .nr_exit_pending = nr_exit_pending,
    .nr_timer_deadline = nr_timer_deadline,
    .nr_idle_until = vmx_nr_idle_until,
};

int vmx_attach(struct cpu *c)
{
    vmx_root_init(c);
    if (!c->vmx)
        return -1;
    c->vmx_ops = &vmx_ops;
    return 0;
}
