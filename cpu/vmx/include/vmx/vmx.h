/* VT-x on a CPU: the layer above the ring model (cpu/) that runs VMX
 * operation, each guest in a non-root engine of its own. The ring model knows
 * VT-x only through the table vmx_attach gives it (cpu_priv.h's cpu_vmx_ops). */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <stdint.h>

#include "cpu/cpu.h"

/* Give the CPU VT-x (its capability MSRs, CR4.VMXE, the VMX instructions): 0,
 * or -1 when memory runs out. Right after cpu_new, before it runs. */
int vmx_attach(struct cpu *c);

/* Modelled cost of a VM exit and the next entry, in cycles (docs/vmx.md); 0
 * without VT-x. */
uint64_t cpu_vmx_round_trip_cycles(const struct cpu *c);
/* The current-VMCS pointer (VMPTRLD), UINT64_MAX when none: at a VM exit, the
 * VMCS of the guest that exited. For observers (hv/). */
uint64_t cpu_vmx_current_vmcs(const struct cpu *c);

#endif
