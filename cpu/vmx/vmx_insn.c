/* The VMX instructions in VMX root operation (Intel SDM vol. 3C ch. 30): VMXON,
 * VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME,
 * INVEPT, INVVPID. Unicorn reports them as invalid instructions; the hook decodes
 * the instruction with Capstone, applies the SDM's #UD/#GP conditions, performs
 * it on the VMCS in guest memory and reports VMsucceed/VMfail in RFLAGS. */
#include <string.h>

#include "base/log.h"
#include "vmx_priv.h"

#define RFLAGS_VMFAIL_MASK (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)

uint16_t vmx_field_offset[0x7000];

void vmx_field_offsets_init(void)
{
    for (unsigned i = 0; i < vmcs_field_count(); i++) {
        const struct vmcs_field *f = vmcs_field_at(i);
        vmx_field_offset[f->encoding] = (uint16_t)f->offset;
    }
}

void vmx_root_init(struct cpu *c)
{
    if (!vmx_field_offset[VMCS_GUEST_RIP])
        vmx_field_offsets_init();
    c->vmx = calloc(1, sizeof *c->vmx);
    if (!c->vmx)
        return;
    vmx_caps_init(&c->vmx->caps, VMX_FEATURES_DEFAULT);
    c->vmx->caps.maxphyaddr = 40; /* CPUID 0x80000008 says 40 */
    /* CR4 bits our CPU lets software set (FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP)
     * may be 1 in VMX operation as well. */
    c->vmx->caps.cr4_fixed1 |= (1ULL << 16) | (1ULL << 17) | (1ULL << 18) | (1ULL << 20) | (1ULL << 21);
    c->vmx->current = VMX_NO_VMCS;
    c->vmx->round_trip_cycles = VMX_ROUND_TRIP_CYCLES_DEFAULT;
    cs_open(CS_ARCH_X86, CS_MODE_64, &c->vmx->cs64d);
    cs_option(c->vmx->cs64d, CS_OPT_DETAIL, CS_OPT_ON);
    cs_open(CS_ARCH_X86, CS_MODE_32, &c->vmx->cs32d);
    cs_option(c->vmx->cs32d, CS_OPT_DETAIL, CS_OPT_ON);
}

void vmx_root_free(struct cpu *c)
{
    if (!c->vmx)
        return;
    for (int i = 0; i < c->vmx->nslots; i++)
        vmx_guest_free(c->vmx->slots[i].g);
    cs_close(&c->vmx->cs64d);
    cs_close(&c->vmx->cs32d);
    free(c->vmx);
    c->vmx = NULL;
}

uint64_t cpu_vmx_round_trip_cycles(const struct cpu *c)
{
    return c->vmx ? c->vmx->round_trip_cycles : 0;
}

uint64_t cpu_vmx_current_vmcs(const struct cpu *c)
{
    return c->vmx ? c->vmx->current : UINT64_MAX;
}

int vmx_msr_read(struct cpu *c, uint32_t msr, uint64_t *val)
{
    if (msr < MSR_IA32_VMX_BASIC || msr > MSR_IA32_VMX_VMFUNC)
        return 1;
    return vmx_caps_msr_read(&c->vmx->caps, msr, val);
}

bool vmx_root_cr_write_ok(struct cpu *c, const struct intercept_site *s)
{
    struct vmx_caps *k = &c->vmx->caps;
    if (!c->vmx->on)
        return true;
    uint64_t v = reg_get(c, gpr_uc[s->gpr & 15]);
    if (s->cr == 0)
        return (v & k->cr0_fixed0) == k->cr0_fixed0 && !(v & ~k->cr0_fixed1 & 0xffffffffULL);
    if (s->cr == 4)
        return (v & k->cr4_fixed0) == k->cr4_fixed0 && !(v & ~k->cr4_fixed1);
    return true;
}

/* The six arithmetic flags are all set by the result (30.2), so with the
 * live state they are written without reading RFLAGS first. */
static void set_result(struct cpu *c, int result, unsigned err)
{
    uint32_t arith = result == 1 ? 1u : result == 2 ? 0x40u : 0; /* CF: VMfailInvalid; ZF: VMfailValid */
    if (result == 2)
        vset(vmx_vmcs(c, c->vmx->current), VMCS_VM_INSTRUCTION_ERROR, err);
    if (uc_blob_set_arith_flags(c, arith))
        return;
    uint64_t fl = reg_get(c, UC_X86_REG_RFLAGS) & ~(uint64_t)RFLAGS_VMFAIL_MASK;
    reg_set(c, UC_X86_REG_RFLAGS, fl | arith);
}

static void succeed(struct cpu *c) { set_result(c, 0, 0); }
static void fail_invalid(struct cpu *c) { set_result(c, 1, 0); }
static void fail(struct cpu *c, unsigned err)
{
    if (c->vmx->current == VMX_NO_VMCS)
        fail_invalid(c);
    else
        set_result(c, 2, err);
}

/* Capstone register id -> Unicorn register id (64- and 32-bit GPRs), through a
 * table indexed by Capstone's id, filled on first use: operands are looked up
 * several times per VM exit. */
static int uc_reg_of(unsigned r, unsigned *width)
{
    static const struct { unsigned cs; int uc; unsigned w; } map[] = {
        { X86_REG_RAX, UC_X86_REG_RAX, 8 }, { X86_REG_RBX, UC_X86_REG_RBX, 8 }, { X86_REG_RCX, UC_X86_REG_RCX, 8 },
        { X86_REG_RDX, UC_X86_REG_RDX, 8 }, { X86_REG_RSI, UC_X86_REG_RSI, 8 }, { X86_REG_RDI, UC_X86_REG_RDI, 8 },
        { X86_REG_RBP, UC_X86_REG_RBP, 8 }, { X86_REG_RSP, UC_X86_REG_RSP, 8 }, { X86_REG_R8, UC_X86_REG_R8, 8 },
        { X86_REG_R9, UC_X86_REG_R9, 8 },   { X86_REG_R10, UC_X86_REG_R10, 8 }, { X86_REG_R11, UC_X86_REG_R11, 8 },
        { X86_REG_R12, UC_X86_REG_R12, 8 }, { X86_REG_R13, UC_X86_REG_R13, 8 }, { X86_REG_R14, UC_X86_REG_R14, 8 },
        { X86_REG_R15, UC_X86_REG_R15, 8 }, { X86_REG_RIP, UC_X86_REG_RIP, 8 },
        { X86_REG_EAX, UC_X86_REG_RAX, 4 }, { X86_REG_EBX, UC_X86_REG_RBX, 4 }, { X86_REG_ECX, UC_X86_REG_RCX, 4 },
        { X86_REG_EDX, UC_X86_REG_RDX, 4 }, { X86_REG_ESI, UC_X86_REG_RSI, 4 }, { X86_REG_EDI, UC_X86_REG_RDI, 4 },
        { X86_REG_EBP, UC_X86_REG_RBP, 4 }, { X86_REG_ESP, UC_X86_REG_RSP, 4 }, { X86_REG_R8D, UC_X86_REG_R8, 4 },
        { X86_REG_R9D, UC_X86_REG_R9, 4 },  { X86_REG_R10D, UC_X86_REG_R10, 4 }, { X86_REG_R11D, UC_X86_REG_R11, 4 },
        { X86_REG_R12D, UC_X86_REG_R12, 4 }, { X86_REG_R13D, UC_X86_REG_R13, 4 }, { X86_REG_R14D, UC_X86_REG_R14, 4 },
        { X86_REG_R15D, UC_X86_REG_R15, 4 }, { X86_REG_EIP, UC_X86_REG_RIP, 4 },
    };
    static struct { int uc; unsigned char w; } table[X86_REG_ENDING];
    static bool filled;
    if (!filled) {
        for (size_t i = 0; i < X86_REG_ENDING; i++)
            table[i].uc = -1;
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            table[map[i].cs].uc = map[i].uc, table[map[i].cs].w = (unsigned char)map[i].w;
        filled = true;
    }
    if (r >= X86_REG_ENDING || table[r].uc < 0) {
        *width = 0;
        return -1;
    }
    *width = table[r].w;
    return table[r].uc;
}

static uint64_t reg_value(struct cpu *c, unsigned csreg, uint64_t rip_next)
{
    unsigned w;
    int r = uc_reg_of(csreg, &w);
    if (r < 0)
        return 0;
    uint64_t v = r == UC_X86_REG_RIP ? rip_next : reg_get(c, r);
    return w == 4 ? (uint32_t)v : v;
}

/* Linear address of a memory operand (flat segments: only FS and GS add a base). */
uint64_t vmx_mem_linear(struct cpu *c, const cs_x86_op *op, uint64_t rip_next, bool lma)
{
    uint64_t a = (uint64_t)op->mem.disp;
    if (op->mem.base != X86_REG_INVALID)
        a += reg_value(c, op->mem.base, rip_next);
    if (op->mem.index != X86_REG_INVALID)
        a += reg_value(c, op->mem.index, rip_next) * (uint64_t)op->mem.scale;
    if (op->mem.segment == X86_REG_FS)
        a += reg_get(c, UC_X86_REG_FS_BASE);
    else if (op->mem.segment == X86_REG_GS)
        a += reg_get(c, UC_X86_REG_GS_BASE);
    return lma ? a : (uint32_t)a;
}

static bool canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* A memory operand in 64-bit mode must be canonical: #GP(0) (30.3, "64-bit
 * mode exceptions"; #SS for the SS segment is not told apart). Outside 64-bit
 * mode linear addresses have 32 bits and always are. */
static bool operand_canonical(struct cpu *c, uint64_t lin)
{
    if (canonical(lin))
        return true;
    cpu_raise(c, EXC_GP, true, 0);
    return false;
}

static bool mem_read(struct cpu *c, uint64_t lin, void *buf, size_t n)
{
    struct pw_ctx m;
    uint64_t fl;
    uint32_t pe;
    if (!operand_canonical(c, lin))
        return false;
    pw_ctx_read(c, &m);
    if (pw_read(c, &m, lin, buf, n, &fl, &pe)) {
        reg_set(c, UC_X86_REG_CR2, fl);
        cpu_raise(c, EXC_PF, true, pe);
        return false;
    }
    return true;
}

static bool mem_write(struct cpu *c, uint64_t lin, const void *buf, size_t n)
{
    struct pw_ctx m;
    uint64_t fl;
    uint32_t pe;
    if (!operand_canonical(c, lin))
        return false;
    pw_ctx_read(c, &m);
    if (pw_write(c, &m, lin, buf, n, &fl, &pe)) {
        reg_set(c, UC_X86_REG_CR2, fl);
        cpu_raise(c, EXC_PF, true, pe | PF_W);
        return false;
    }
    return true;
}

static bool pa_ok(struct cpu *c, uint64_t pa)
{
    return (pa & 0xfff) == 0 && (pa >> c->vmx->caps.maxphyaddr) == 0 && pa + 0x1000 <= c->ram_size;
}

static bool is_vmx_insn(unsigned id)
{
    return id == X86_INS_VMXON || id == X86_INS_VMXOFF || id == X86_INS_VMCLEAR || id == X86_INS_VMPTRLD ||
           id == X86_INS_VMPTRST || id == X86_INS_VMREAD || id == X86_INS_VMWRITE || id == X86_INS_VMLAUNCH ||
           id == X86_INS_VMRESUME || id == X86_INS_INVEPT || id == X86_INS_INVVPID || id == X86_INS_VMCALL;
}

/* The instruction at RIP, from the cache or decoded now; NULL if not VMX. */
static const struct vmx_decoded *decode_at(struct cpu *c, uint64_t rip)
{
    struct vmx_root *v = c->vmx;
    uint64_t cr3 = reg_get(c, UC_X86_REG_CR3);
    struct vmx_decoded *d = &v->dcache[(rip ^ (rip >> 6)) & (VMX_DECODE_CACHE - 1)];
    uint8_t code[15];
    const uint8_t *p = code;
    size_t left = sizeof code;
    uint64_t fl, pc = rip;
    uint32_t pe;
    struct pw_ctx m;

    if (d->valid && d->rip == rip && d->cr3 == cr3)
        return d;
    pw_ctx_read(c, &m);
    if (pw_read(c, &m, rip, code, sizeof code, &fl, &pe))
        return NULL;
    uc_blob_save(c);
    bool cs64 = (uc_blob_hflags(c) & HF_CS64_MASK) != 0;
    csh h = cs64 ? v->cs64d : v->cs32d;
    cs_insn *in = cs_malloc(h);
    bool ok = cs_disasm_iter(h, &p, &left, &pc, in) && is_vmx_insn(in->id);
    if (ok) {
        *d = (struct vmx_decoded){ .rip = rip, .cr3 = cr3, .id = in->id, .size = (uint8_t)in->size,
                                   .valid = true, .cs64 = cs64, .lma = (m.efer >> 10) & 1 };
        d->op_count = in->detail->x86.op_count > 2 ? 2 : in->detail->x86.op_count;
        memcpy(d->ops, in->detail->x86.operands, d->op_count * sizeof d->ops[0]);
    }
    cs_free(in, 1);
    return ok ? d : NULL;
}

/* RIP past an instruction emulated in the #UD hook: Unicorn resumes from the
 * CPU state's RIP after the hook, so with the live state a plain store does;
 * the API's RIP write would also end the engine's inner loop. */
static void set_rip_after_ud(struct cpu *c, uint64_t next)
{
    if (c->blob_live)
        uc_blob_set_reg(c, 16, next);
    else
        reg_set(c, UC_X86_REG_RIP, next);
}

/* INVEPT and INVVPID (30.3): 0 done, 1 VMfailValid(28) (a type
 * IA32_VMX_EPT_VPID_CAP does not list, or a bad descriptor), -1 a fault
 * reading the 128-bit descriptor. The type is checked before the descriptor
 * is read. Cached translations live in the non-root engines: INVEPT may
 * follow a change of the EPT, so the engines' memory maps are rebuilt;
 * INVVPID only drops their TLBs (any address, any VPID: invalidating more
 * than asked is always allowed, 28.3.3.3). */
static int invalidate(struct cpu *c, const struct vmx_decoded *d, uint64_t next)
{
    struct vmx_root *v = c->vmx;
    bool ept = d->id == X86_INS_INVEPT;
    uint64_t type = d->op_count > 0 ? reg_value(c, d->ops[0].reg, next) : ~0ULL;
    uint64_t desc[2];
    /* INVEPT types 1-2 are capability bits 25-26, INVVPID types 0-3 bits 40-43. */
    unsigned bit = ept ? 24 + (unsigned)type : 40 + (unsigned)type;
    if (type > (ept ? 2u : 3u) || (ept && type == 0) || !((v->caps.ept_vpid_cap >> bit) & 1))
        return 1;
    if (d->op_count < 2 || d->ops[1].type != X86_OP_MEM ||
        !mem_read(c, vmx_mem_linear(c, &d->ops[1], next, d->lma), desc, sizeof desc))
        return -1;
    if (ept) {
        if (type == INVEPT_SINGLE_CONTEXT && !ept_eptp_valid(&v->caps, desc[0]))
            return 1;
    } else {
        if (desc[0] >> 16)
            return 1; /* bits 63:16 reserved */
        if (type != INVVPID_ALL_CONTEXT && (desc[0] & 0xffff) == 0)
            return 1; /* VPID 0 is the host's */
        if (type == INVVPID_INDIVIDUAL_ADDR && !canonical(desc[1]))
            return 1;
    }
    for (int i = 0; i < v->nslots; i++) {
        if (ept)
            v->slots[i].mapped = false;
        uc_ctl_flush_tlb(v->slots[i].g->uc);
        uc_tlb_forget_page(v->slots[i].g);
    }
    return 0;
}

bool vmx_insn_root(struct cpu *c)
{
    struct vmx_root *v = c->vmx;
    uint64_t rip = reg_get(c, UC_X86_REG_RIP);
    uint64_t cr0 = reg_get(c, UC_X86_REG_CR0), cr4 = reg_get(c, UC_X86_REG_CR4);
    bool handled = true;
    const struct vmx_decoded *d = decode_at(c, rip);

    if (!d)
        return false;
    unsigned id = d->id;
    uint64_t next = rip + d->size;
    const cs_x86_op *ops = d->ops;
    bool lma = d->lma, cs64 = d->cs64;
    int cpl = (int)(reg_get(c, UC_X86_REG_CS) & 3);

    /* The #UD conditions (30.3): CR4.VMXE clear, real or virtual-8086 mode, or
     * compatibility mode; VMXON aside, outside VMX operation. VMCALL outside VMX
     * operation is #UD too. */
    if (!(cr4 & CR4_VMXE) || !(cr0 & 1) || (lma && !cs64) || (id != X86_INS_VMXON && !v->on)) {
        cpu_raise(c, EXC_UD, false, 0);
        goto out;
    }
    if (id == X86_INS_VMCALL) {
        /* In root operation VMCALL is a call to an SMM monitor (30.3): not
         * modelled, so it fails as with the dual-monitor treatment off. */
        fail(c, 1);
        reg_set(c, UC_X86_REG_RIP, next);
        goto out;
    }
    if (cpl > 0) {
        cpu_raise(c, EXC_GP, true, 0);
        goto out;
    }

    uint64_t ptr = 0, lin = 0;
    if (id == X86_INS_VMXON || id == X86_INS_VMCLEAR || id == X86_INS_VMPTRLD || id == X86_INS_VMPTRST) {
        if (d->op_count < 1 || ops[0].type != X86_OP_MEM) {
            cpu_raise(c, EXC_UD, false, 0);
            goto out;
        }
        lin = vmx_mem_linear(c, &ops[0], next, lma);
        if (id != X86_INS_VMPTRST && !mem_read(c, lin, &ptr, 8))
            goto out;
    }

    switch (id) {
    case X86_INS_VMXON: {
        uint64_t fc = c->msr.feature_control;
        if (v->on) {
            fail(c, 15); /* VMXON executed in VMX root operation */
            break;
        }
        /* Feature control locked with VMX outside SMX, and CR0/CR4 within the
         * fixed bits (30.3, VMXON): else #GP(0). */
        if (!(fc & 1) || !(fc & 4) || (cr0 & v->caps.cr0_fixed0) != v->caps.cr0_fixed0 ||
            (cr0 & ~v->caps.cr0_fixed1 & 0xffffffffULL) || (cr4 & v->caps.cr4_fixed0) != v->caps.cr4_fixed0 ||
            (cr4 & ~v->caps.cr4_fixed1)) {
            cpu_raise(c, EXC_GP, true, 0);
            goto out;
        }
        if (!pa_ok(c, ptr) || !vmcs_revision_matches(c->ram + ptr, (uint32_t)(v->caps.basic & 0x7fffffff))) {
            fail_invalid(c);
            break;
        }
        v->on = true;
        v->vmxon_pa = ptr;
        v->current = VMX_NO_VMCS;
        succeed(c);
        break;
    }
    case X86_INS_VMXOFF:
        v->on = false;
        v->current = VMX_NO_VMCS;
        succeed(c);
        break;
    case X86_INS_VMCLEAR:
        if (!pa_ok(c, ptr))
            fail(c, 2);
        else if (ptr == v->vmxon_pa)
            fail(c, 3);
        else {
            vmcs_clear(c->ram + ptr);
            vmx_vmcs_touched(c, ptr, 0);
            if (ptr == v->current)
                v->current = VMX_NO_VMCS;
            succeed(c);
        }
        break;
    case X86_INS_VMPTRLD:
        if (!pa_ok(c, ptr))
            fail(c, 9);
        else if (ptr == v->vmxon_pa)
            fail(c, 10);
        else if (!vmcs_revision_matches(c->ram + ptr, (uint32_t)(v->caps.basic & 0x7fffffff)))
            fail(c, 11);
        else {
            v->current = ptr;
            vmx_vmcs_touched(c, ptr, 0); /* its contents may have been written as memory */
            succeed(c);
        }
        break;
    case X86_INS_VMPTRST: {
        uint64_t cur = v->current;
        if (!mem_write(c, lin, &cur, 8))
            goto out;
        succeed(c);
        break;
    }
    case X86_INS_VMREAD:
    case X86_INS_VMWRITE: {
        if (v->current == VMX_NO_VMCS) {
            fail_invalid(c);
            break;
        }
        const cs_x86_op *enc_op = id == X86_INS_VMREAD ? &ops[1] : &ops[0];
        const cs_x86_op *val_op = id == X86_INS_VMREAD ? &ops[0] : &ops[1];
        uint64_t enc = reg_value(c, enc_op->reg, next), val = 0;
        unsigned size = cs64 ? 8 : 4;
        if (id == X86_INS_VMREAD) {
            int err = vmcs_read(c->ram + v->current, enc, cs64, &val);
            if (err) {
                fail(c, (unsigned)err);
                break;
            }
            if (val_op->type == X86_OP_REG) {
                unsigned w;
                int r = uc_reg_of(val_op->reg, &w);
                reg_set(c, r, w == 4 ? (uint32_t)val : val);
            } else if (!mem_write(c, vmx_mem_linear(c, val_op, next, lma), &val, size)) {
                goto out;
            }
        } else {
            if (val_op->type == X86_OP_REG)
                val = reg_value(c, val_op->reg, next);
            else if (!mem_read(c, vmx_mem_linear(c, val_op, next, lma), &val, size))
                goto out;
            int err = vmcs_write(c->ram + v->current, enc, size == 4 ? (uint32_t)val : val, cs64,
                                 (v->caps.misc >> 29) & 1);
            vmx_vmcs_touched(c, v->current, enc);
            if (err) {
                fail(c, (unsigned)err);
                break;
            }
        }
        succeed(c);
        break;
    }
    case X86_INS_VMLAUNCH:
    case X86_INS_VMRESUME: {
        if (v->current == VMX_NO_VMCS) {
            fail_invalid(c);
            break;
        }
        enum vmcs_launch_state ls = vmcs_launch_state_get(c->ram + v->current);
        if (id == X86_INS_VMLAUNCH && ls != VMCS_LAUNCH_CLEAR) {
            fail(c, 4);
            break;
        }
        if (id == X86_INS_VMRESUME && ls != VMCS_LAUNCH_LAUNCHED) {
            fail(c, 5);
            break;
        }
        /* Performed by the caller (hook_insn_invalid): it needs another engine. */
        v->entry = id == X86_INS_VMLAUNCH ? VMX_ENTRY_LAUNCH : VMX_ENTRY_RESUME;
        break;
    }
    case X86_INS_INVEPT:
    case X86_INS_INVVPID: {
        int r = invalidate(c, d, next);
        if (r < 0)
            goto out; /* a fault reading the descriptor */
        if (r > 0)
            fail(c, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
        else
            succeed(c);
        break;
    }
    default:
        handled = false;
        break;
    }
    if (handled)
        set_rip_after_ud(c, next);
out:
    return true;
}

/* QEMU's decoder checks CR0.TS for the whole 0F 38 opcode map, so INVEPT and
 * INVVPID (66 0F 38 80 and 81) raise #NM in Unicorn while TS = 1 (Xen leaves TS
 * set: lazy FPU), which hardware never does for them. The #NM is taken back
 * here and the instruction runs as from the #UD hook. */
bool vmx_insn_nm(struct cpu *c)
{
    if (!(reg_get(c, UC_X86_REG_CR0) & CR0_TS))
        return false;
    if (c->nr)
        return vmx_nr_invalid_insn(c); /* INVEPT and INVVPID exit (25.1.2) */
    /* Only 0F 38 instructions fault so; other VMX instructions never get here.
     * vmx_insn_root is false for anything not VMX (decode_at stays inlined
     * there: the VM round trip's VMRESUME runs through it). */
    return c->vmx && vmx_insn_root(c);
}
