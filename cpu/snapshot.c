/* Saving, restoring and hashing the vCPU for snapshots and replay checkpoints.
 * The engine's state travels as the register part of Unicorn's context blob
 * (measured layout, uc_blob.c); the hash reads a fixed list of architectural
 * registers so it never depends on host addresses. */
#include <string.h>

#include "base/err.h"
#include "cpu_priv.h"

#define CPU_SNAPSHOT_MAGIC 0x48564350u /* "HVCP" */
#define CPU_SNAPSHOT_VERSION 4
/* The context blob ends with a host pointer (Unicorn's back-reference), which is
 * neither state nor the same from process to process: never saved, never loaded. */
#define BLOB_TAIL 8

int cpu_save(struct cpu *c, struct buf *out)
{
    uc_blob_copy_out(c);
    buf_put_u32(out, CPU_SNAPSHOT_MAGIC);
    buf_put_u32(out, CPU_SNAPSHOT_VERSION);
    buf_put_u64(out, c->blob.size - c->blob.rax - BLOB_TAIL);
    buf_put(out, (const uint8_t *)c->ctx + c->blob.rax, c->blob.size - c->blob.rax - BLOB_TAIL);
    buf_put_u64(out, c->cycles);
    buf_put_u64(out, c->instructions);
    buf_put_u8(out, c->halted);
    buf_put(out, &c->msr, sizeof c->msr); /* plain integers, fixed layout */
    buf_put_u8(out, c->exc.valid);
    buf_put_u32(out, (uint32_t)c->exc.vector);
    buf_put_u8(out, c->exc.soft);
    buf_put_u8(out, c->exc.has_err);
    buf_put_u32(out, c->exc.err);
    buf_put_u8(out, c->exc.from_unicorn);
    buf_put_u8(out, (uint8_t)c->op);
    buf_put_u8(out, c->exc.at_rip);
    buf_put_u64(out, c->exc.rip);
    buf_put_u64(out, c->exc.rax);
    buf_put_u8(out, c->nmi_pending);
    buf_put_u8(out, c->nmi_blocked);
    blocks_save(c, out);
    if (c->vmx_ops)
        return c->vmx_ops->save(c, out);
    buf_put_u32(out, CPU_VMX_SNAPSHOT_MAGIC); /* no VT-x: as VT-x before VMXON */
    buf_put_u8(out, 0);
    return out->err;
}

int cpu_load(struct cpu *c, struct buf_reader *in)
{
    size_t n;
    struct msr_file msr;

    ffwd_reset(c); /* a watched loop is the old state's */
    if (buf_get_u32(in) != CPU_SNAPSHOT_MAGIC || buf_get_u32(in) != CPU_SNAPSHOT_VERSION)
        return HV_ECORRUPT;
    n = buf_get_u64(in);
    if (in->err || n != c->blob.size - c->blob.rax - BLOB_TAIL || buf_remaining(in) < n)
        return HV_ECORRUPT; /* a different Unicorn build or a damaged snapshot */
    uc_blob_copy_out(c); /* a valid header for the restore */
    buf_get(in, (uint8_t *)c->ctx + c->blob.rax, n);
    uint64_t cycles = buf_get_u64(in), instructions = buf_get_u64(in);
    bool halted = buf_get_u8(in);
    buf_get(in, &msr, sizeof msr);
    struct pending_exc exc = { 0 };
    exc.valid = buf_get_u8(in);
    exc.vector = (int)buf_get_u32(in);
    exc.soft = buf_get_u8(in);
    exc.has_err = buf_get_u8(in);
    exc.err = buf_get_u32(in);
    exc.from_unicorn = buf_get_u8(in);
    uint8_t op = buf_get_u8(in);
    exc.at_rip = buf_get_u8(in);
    exc.rip = buf_get_u64(in);
    exc.rax = buf_get_u64(in);
    bool nmi_pending = buf_get_u8(in), nmi_blocked = buf_get_u8(in);
    if (in->err || op > OP_SYSENTER)
        return HV_ECORRUPT;
    int br = blocks_load(c, in);
    if (br)
        return br;
    int vr;
    if (c->vmx_ops)
        vr = c->vmx_ops->load(c, in);
    else
        vr = buf_get_u32(in) != CPU_VMX_SNAPSHOT_MAGIC || buf_get_u8(in) != 0 || in->err ? HV_ECORRUPT : 0;
    if (vr)
        return vr;
    uc_blob_copy_in(c);
    c->cycles = cycles;
    c->instructions = instructions;
    c->tlb_flushed_at = cycles;
    c->halted = halted;
    c->msr = msr;
    c->exc = exc;
    c->op = (enum pending_op)op;
    c->nmi_pending = nmi_pending;
    c->nmi_blocked = nmi_blocked;
    c->nmi_one_block = false;
    c->irq_watch = c->irq_after_block = c->kicked = c->stop_requested = false;
    /* Translations predate the restored memory and sites: drop them. The
     * decoded blocks came with the snapshot (blocks_load). */
    uc_ctl_flush_tb(c->uc);
    uc_ctl_flush_tlb(c->uc);
    uc_tlb_forget_page(c);
    return HV_OK;
}

uint64_t cpu_state_hash(struct cpu *c)
{
    static const int regs[] = {
        UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI, UC_X86_REG_RDI,
        UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
        UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS,
        UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS,
        UC_X86_REG_CR0, UC_X86_REG_CR2, UC_X86_REG_CR3, UC_X86_REG_CR4,
    };
    uint64_t h = HASH_FNV1A64_INIT, v;
    uc_x86_mmr tab;

    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        v = reg_get(c, regs[i]);
        h = hash_fnv1a64(h, &v, sizeof v);
    }
    uc_reg_read(c->uc, UC_X86_REG_GDTR, &tab);
    h = hash_fnv1a64(h, &tab.base, sizeof tab.base);
    h = hash_fnv1a64(h, &tab.limit, sizeof tab.limit);
    uc_reg_read(c->uc, UC_X86_REG_IDTR, &tab);
    h = hash_fnv1a64(h, &tab.base, sizeof tab.base);
    h = hash_fnv1a64(h, &tab.limit, sizeof tab.limit);
    v = efer_get(c);
    h = hash_fnv1a64(h, &v, sizeof v);
    h = hash_fnv1a64(h, &c->cycles, sizeof c->cycles);
    h = hash_fnv1a64(h, &c->instructions, sizeof c->instructions);
    h = hash_fnv1a64(h, &c->msr, sizeof c->msr);
    uint8_t nmi[2] = { c->nmi_pending, c->nmi_blocked };
    h = hash_fnv1a64(h, nmi, sizeof nmi);
    return c->vmx_ops ? c->vmx_ops->hash(c, h) : h;
}
