/* VMX operation in snapshots and state hashes: whether the CPU is in VMX
 * operation, its VMXON and current-VMCS pointers, and, in non-root operation,
 * the active guest engine's whole state. VMCS contents live in guest memory and
 * travel with it. */
#include "base/err.h"
#include "vmx_priv.h"


int vmx_save(struct cpu *root, struct buf *out)
{
    struct vmx_root *v = root->vmx;
    buf_put_u32(out, CPU_VMX_SNAPSHOT_MAGIC);
    buf_put_u8(out, v && v->on);
    if (!v || !v->on)
        return out->err;
    buf_put_u64(out, v->vmxon_pa);
    buf_put_u64(out, v->current);
    buf_put_u8(out, (uint8_t)v->entry);
    buf_put_u8(out, root->guest != NULL);
    if (root->guest) {
        struct vmx_nonroot *nr = root->guest->nr;
        buf_put_u64(out, nr->vmcs_pa);
        buf_put_u64(out, nr->timer_deadline);
        return cpu_save(root->guest, out);
    }
    return out->err;
}

int vmx_load(struct cpu *root, struct buf_reader *in)
{
    struct vmx_root *v = root->vmx;
    if (buf_get_u32(in) != CPU_VMX_SNAPSHOT_MAGIC)
        return HV_ECORRUPT;
    bool on = buf_get_u8(in);
    if (!v)
        return on ? HV_ECORRUPT : HV_OK;
    v->on = on;
    root->guest = NULL;
    v->entry = VMX_ENTRY_NONE;
    v->current = VMX_NO_VMCS;
    /* Engines keep translations of memory that was just replaced: remap them. */
    for (int i = 0; i < v->nslots; i++) {
        v->slots[i].mapped = false;
        v->slots[i].checked = v->slots[i].engine_current = false;
    }
    if (!on)
        return in->err ? HV_ECORRUPT : HV_OK;
    v->vmxon_pa = buf_get_u64(in);
    v->current = buf_get_u64(in);
    v->entry = (enum vmx_entry_kind)buf_get_u8(in);
    bool active = buf_get_u8(in);
    if (in->err || v->entry > VMX_ENTRY_RESUME)
        return HV_ECORRUPT;
    if (!active)
        return HV_OK;
    uint64_t vmcs_pa = buf_get_u64(in), deadline = buf_get_u64(in);
    if (in->err || vmcs_pa + 0x1000 > root->ram_size)
        return HV_ECORRUPT;
    struct cpu *g = vmx_guest_engine(root, vmcs_pa);
    if (!g)
        return HV_ENOMEM;
    /* The engine's memory first (the guest's registers refer to it), then its state. */
    int r = vmx_remap(root, g, vmcs_pa);
    if (r)
        return r;
    r = cpu_load(g, in);
    if (r)
        return r;
    g->nr->vmcs_pa = vmcs_pa;
    g->nr->timer_deadline = deadline;
    g->nr->cr0 = g->nr->cr3 = g->nr->cr4 = g->nr->efer = ~0ULL; /* reload all on the next entry */
    root->guest = g;
    return HV_OK;
}

uint64_t vmx_hash(struct cpu *root, uint64_t h)
{
    struct vmx_root *v = root->vmx;
    if (!v || !v->on)
        return h;
    h = hash_fnv1a64(h, &v->vmxon_pa, sizeof v->vmxon_pa);
    h = hash_fnv1a64(h, &v->current, sizeof v->current);
    if (root->guest) {
        uint64_t g = cpu_state_hash(root->guest);
        h = hash_fnv1a64(h, &g, sizeof g);
    }
    return h;
}
