/* VMX non-root operation: which guest actions cause VM exits (Intel SDM vol. 3C
 * ch. 25) and the exit information they carry (ch. 27.2). The non-root engine's
 * hooks ask here first; an exit is recorded and the engine stops before the
 * instruction, so the saved guest RIP points at it. */
#include <string.h>

#include "base/log.h"
#include "vmx/vmx_exit_info.h"
#include "vmx_priv.h"

static uint8_t *vmcs_of(struct cpu *g) { return vmx_vmcs(g->nr->root, g->nr->vmcs_pa); }
static uint64_t field(struct cpu *g, uint32_t enc) { return vget(vmcs_of(g), enc); }

void vmx_nr_exit(struct cpu *g, uint32_t reason, uint64_t qual, uint32_t insn_len)
{
    struct vmx_exit *e = &g->nr->exit;
    if (e->pending)
        return; /* the first cause wins */
    memset(e, 0, sizeof *e);
    e->pending = true;
    e->reason = reason;
    e->qualification = qual;
    e->insn_len = insn_len;
    g->hook_stopped = true;
    g->stop_cycles = 0;
}

/* One bit of a 4 KiB bitmap in guest-physical... in root memory (the bitmaps'
 * addresses are host-physical). Outside RAM reads as set: exit. */
static bool bitmap_bit(struct cpu *g, uint64_t base, uint64_t bit)
{
    struct cpu *root = g->nr->root;
    uint64_t pa = base + bit / 8;
    if (pa >= root->ram_size)
        return true;
    return (root->ram[pa] >> (bit % 8)) & 1;
}

static bool io_exits(struct cpu *g, uint16_t port, unsigned size)
{
    uint32_t proc = (uint32_t)field(g, VMCS_CTRL_PROC_BASED);
    if (!(proc & VMX_PROC_USE_IO_BITMAPS))
        return (proc & VMX_PROC_UNCOND_IO_EXITING) != 0;
    /* Bitmap A covers 0000-7FFF, B 8000-FFFF; any byte of the access exits (25.1.3). */
    for (unsigned i = 0; i < size; i++) {
        uint32_t p = (uint32_t)port + i;
        if (p > 0xffff)
            return true;
        uint64_t base = p < 0x8000 ? field(g, VMCS_CTRL_IO_BITMAP_A) : field(g, VMCS_CTRL_IO_BITMAP_B);
        if (bitmap_bit(g, base, p & 0x7fff))
            return true;
    }
    return false;
}

static bool msr_exits(struct cpu *g, uint32_t msr, bool write)
{
    uint32_t proc = (uint32_t)field(g, VMCS_CTRL_PROC_BASED);
    if (!(proc & VMX_PROC_USE_MSR_BITMAPS))
        return true;
    uint64_t bm = field(g, VMCS_CTRL_MSR_BITMAP);
    uint64_t off;
    if (msr <= 0x1fff)
        off = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        off = 1024;
    else
        return true; /* outside both ranges: always exits (25.1.3) */
    return bitmap_bit(g, bm + off + (write ? 2048 : 0), msr & 0x1fff);
}

/* MOV to or from a control register: the qualification and whether it exits (25.1.3). */
static bool movcr_exits(struct cpu *g, const struct intercept_site *s, uint64_t *qual)
{
    uint32_t proc = (uint32_t)field(g, VMCS_CTRL_PROC_BASED);
    unsigned cr = s->cr, gpr = s->gpr;
    bool to_cr = s->to_cr;
    *qual = vmx_qual_mov_cr(cr, !to_cr, gpr);
    if (cr == 3 && to_cr) {
        if (!(proc & VMX_PROC_CR3_LOAD_EXITING))
            return false;
        /* A value among the first CR3-target-count target values does not exit. */
        static const uint32_t targets[4] = { VMCS_CTRL_CR3_TARGET_VALUE0, VMCS_CTRL_CR3_TARGET_VALUE1,
                                             VMCS_CTRL_CR3_TARGET_VALUE2, VMCS_CTRL_CR3_TARGET_VALUE3 };
        uint64_t val = reg_get(g, gpr_uc[gpr & 15]);
        uint32_t n = (uint32_t)field(g, VMCS_CTRL_CR3_TARGET_COUNT);
        for (uint32_t i = 0; i < n && i < 4; i++)
            if (field(g, targets[i]) == val)
                return false;
        return true;
    }
    if (cr == 3)
        return (proc & VMX_PROC_CR3_STORE_EXITING) != 0;
    if (cr == 8)
        return to_cr ? (proc & VMX_PROC_CR8_LOAD_EXITING) != 0 : (proc & VMX_PROC_CR8_STORE_EXITING) != 0;
    if (!to_cr)
        return false; /* reads of CR0/CR4 never exit; the shadow is applied below */
    uint64_t val = reg_get(g, gpr_uc[gpr & 15]);
    uint64_t mask = field(g, cr == 0 ? VMCS_CTRL_CR0_MASK : VMCS_CTRL_CR4_MASK);
    uint64_t shadow = field(g, cr == 0 ? VMCS_CTRL_CR0_READ_SHADOW : VMCS_CTRL_CR4_READ_SHADOW);
    /* Exits when a host-owned bit would differ from its read shadow. */
    return ((val ^ shadow) & mask) != 0;
}

/* MOV with CR0 or CR4 that does not exit (25.3): a read gives the host-owned
 * bits from the read shadow; a write leaves the host-owned bits as they are.
 * MOV with CR8 reaches the TPR. */
static bool movcr_emulate(struct cpu *g, const struct intercept_site *s)
{
    if (s->cr == 8) {
        /* Without a TPR shadow (not offered), MOV with CR8 is the processor's
         * TPR[7:4], the local APIC's (25.3); reserved bits 63:4 are left to
         * the engine. */
        int r = gpr_uc[s->gpr & 15];
        if (!s->to_cr) {
            reg_set(g, r, g->plat.tpr_read ? (uint64_t)(g->plat.tpr_read(g->plat.opaque) >> 4) : 0);
            return true;
        }
        uint64_t v = reg_get(g, r);
        if (v & ~0xfULL)
            return false;
        if (g->plat.tpr_write)
            g->plat.tpr_write(g->plat.opaque, (uint8_t)(v << 4));
        return true;
    }
    if (s->cr != 0 && s->cr != 4)
        return false;
    int reg = s->cr == 0 ? UC_X86_REG_CR0 : UC_X86_REG_CR4;
    uint64_t mask = field(g, s->cr == 0 ? VMCS_CTRL_CR0_MASK : VMCS_CTRL_CR4_MASK);
    uint64_t real = reg_get(g, reg);
    if (s->to_cr) {
        uint64_t val = reg_get(g, gpr_uc[s->gpr & 15]);
        reg_set(g, reg, (val & ~mask) | (real & mask));
    } else {
        uint64_t shadow = field(g, s->cr == 0 ? VMCS_CTRL_CR0_READ_SHADOW : VMCS_CTRL_CR4_READ_SHADOW);
        reg_set(g, gpr_uc[s->gpr & 15], (real & ~mask) | (shadow & mask));
    }
    return true; /* the site hook moves RIP past it */
}

static unsigned cpl_of(struct cpu *g)
{
    uc_blob_save(g);
    return uc_blob_hflags(g) & HF_CPL_MASK;
}

bool vmx_nr_rdtscp_enabled(struct cpu *g)
{
    return (field(g, VMCS_CTRL_PROC_BASED) & VMX_PROC_ACTIVATE_SECONDARY) &&
           (field(g, VMCS_CTRL_PROC_BASED2) & VMX_PROC2_ENABLE_RDTSCP);
}

/* The linear address of the memory operand of the instruction `code` at rip
 * (Capstone with details), in the engine's register state now. */
static bool insn_mem_linear(struct cpu *g, const uint8_t *code, size_t n, uint64_t rip, uint64_t *gla)
{
    struct cpu *root = g->nr->root;
    const uint8_t *p = code;
    uint64_t pc = rip;
    bool ok = false;
    uc_blob_save(g);
    bool cs64 = (uc_blob_hflags(g) & HF_CS64_MASK) != 0;
    csh h = cs64 ? root->vmx->cs64d : root->vmx->cs32d;
    cs_insn *in = cs_malloc(h);
    if (cs_disasm_iter(h, &p, &n, &pc, in)) {
        for (int i = 0; i < in->detail->x86.op_count; i++)
            if (in->detail->x86.operands[i].type == X86_OP_MEM) {
                *gla = vmx_mem_linear(g, &in->detail->x86.operands[i], rip + in->size, (efer_get(g) >> 10) & 1);
                ok = true;
                break;
            }
    }
    cs_free(in, 1);
    return ok;
}

/* INS and OUTS exits: the instruction-information field (table 27-8, which
 * IA32_VMX_BASIC bit 54 advertises: address size and, for OUTS, the segment,
 * DS unless a prefix overrides it) and the guest-linear address of the
 * access, ES:(R|E)DI for INS, segment:(R|E)SI for OUTS (27.2.1). */
static void string_io_info(struct cpu *g, const struct intercept_site *s, const uint8_t *bytes)
{
    static const int8_t seg_of_prefix[256] = { [0x26] = 1 + SEG_ES, [0x2e] = 1 + SEG_CS, [0x36] = 1 + SEG_SS,
                                               [0x3e] = 1 + SEG_DS, [0x64] = 1 + SEG_FS, [0x65] = 1 + SEG_GS };
    bool addr_prefix = false;
    unsigned seg = SEG_DS;
    for (unsigned i = 0; i < s->len; i++) {
        uint8_t b = bytes[i];
        if (b == 0x67)
            addr_prefix = true;
        else if (seg_of_prefix[b])
            seg = (unsigned)seg_of_prefix[b] - 1;
        else if (b != 0x66 && b != 0xf2 && b != 0xf3 && (b & 0xf0) != 0x40)
            break; /* the opcode */
    }
    if (s->io_in)
        seg = SEG_ES; /* INS always writes through ES */
    uc_blob_save(g);
    uint32_t hf = uc_blob_hflags(g);
    enum vmx_addr_size asize = (hf & HF_CS64_MASK) ? (addr_prefix ? VMX_ADDR32 : VMX_ADDR64)
                               : (hf & HF_CS32_MASK) ? (addr_prefix ? VMX_ADDR16 : VMX_ADDR32)
                                                     : (addr_prefix ? VMX_ADDR32 : VMX_ADDR16);
    uint64_t off = reg_get(g, s->io_in ? UC_X86_REG_RDI : UC_X86_REG_RSI);
    off &= asize == VMX_ADDR64 ? ~0ULL : asize == VMX_ADDR32 ? 0xffffffffULL : 0xffffULL;
    struct seg_cache sc;
    uc_blob_get_seg(g, (enum seg_index)seg, &sc);
    /* In 64-bit mode only FS and GS have a base. */
    uint64_t base = (hf & HF_CS64_MASK) && seg != SEG_FS && seg != SEG_GS ? 0 : sc.base;
    g->nr->exit.insn_info = vmx_info_ins_outs(asize, seg);
    g->nr->exit.gla = (hf & HF_CS64_MASK) ? base + off : (uint32_t)(base + off);
}

bool vmx_nr_site(struct cpu *g, const struct intercept_site *s, const uint8_t *bytes)
{
    uint32_t proc = (uint32_t)field(g, VMCS_CTRL_PROC_BASED);
    uint64_t qual;

    switch (s->kind) {
    case SITE_CPUID:
        vmx_nr_exit(g, EXIT_REASON_CPUID, 0, s->len);
        return true;
    case SITE_HLT:
        if (!(proc & VMX_PROC_HLT_EXITING))
            return false;
        vmx_nr_exit(g, EXIT_REASON_HLT, 0, s->len);
        return true;
    case SITE_RDTSC:
        if (!(proc & VMX_PROC_RDTSC_EXITING))
            return false;
        vmx_nr_exit(g, EXIT_REASON_RDTSC, 0, s->len);
        return true;
    case SITE_RDTSCP:
        /* Enabled (else intercept.c raised #UD): it exits as RDTSC does (25.1.3),
         * or runs with the guest's TSC offset and IA32_TSC_AUX. */
        if (!(proc & VMX_PROC_RDTSC_EXITING))
            return false;
        vmx_nr_exit(g, EXIT_REASON_RDTSCP, 0, s->len);
        return true;
    case SITE_INVLPG: {
        if (!(proc & VMX_PROC_INVLPG_EXITING))
            return false;
        /* The qualification is the operand's linear address (27.2.1); INVLPG
         * at CPL > 0 is a #GP, which comes first (25.1.1). */
        if (cpl_of(g) != 0)
            return false;
        uint64_t lin = 0;
        insn_mem_linear(g, bytes, s->len, s->addr, &lin);
        vmx_nr_exit(g, EXIT_REASON_INVLPG, lin, s->len);
        return true;
    }
    case SITE_INVD:
        /* Unconditional (25.1.2) but for the #GP of CPL > 0 (25.1.1). */
        if (cpl_of(g) != 0)
            return false;
        vmx_nr_exit(g, EXIT_REASON_INVD, 0, s->len);
        return true;
    case SITE_RDMSR:
    case SITE_WRMSR: {
        uint32_t msr = (uint32_t)reg_get(g, UC_X86_REG_RCX);
        if (!msr_exits(g, msr, s->kind == SITE_WRMSR))
            return false;
        vmx_nr_exit(g, s->kind == SITE_WRMSR ? EXIT_REASON_WRMSR : EXIT_REASON_RDMSR, 0, s->len);
        return true;
    }
    case SITE_IO: {
        uint16_t port = s->io_port >= 0 ? (uint16_t)s->io_port : (uint16_t)reg_get(g, UC_X86_REG_DX);
        if (!io_exits(g, port, s->io_size))
            return false;
        vmx_nr_exit(g, EXIT_REASON_IO_INSTRUCTION,
                    vmx_qual_io(port, s->io_size, s->io_in, s->io_string, s->io_rep, s->io_port >= 0), s->len);
        if (s->io_string)
            string_io_info(g, s, bytes);
        return true;
    }
    case SITE_MOVCR:
        if (movcr_exits(g, s, &qual)) {
            vmx_nr_exit(g, EXIT_REASON_CR_ACCESS, qual, s->len);
            return true;
        }
        return movcr_emulate(g, s);
    case SITE_MOVDR:
        /* The #GP of CPL > 0 outranks the exit (25.1.1); at CPL 0 the exit
         * comes first, before DR7.GD's #DB and CR4.DE's #UD for DR4/DR5. */
        if (!(proc & VMX_PROC_MOV_DR_EXITING) || cpl_of(g) != 0)
            return false;
        vmx_nr_exit(g, EXIT_REASON_DR_ACCESS, vmx_qual_mov_dr(s->cr, !s->to_cr, s->gpr), s->len);
        return true;
    case SITE_MONITOR:
    case SITE_MWAIT: {
        /* Both are #UD at CPL > 0 (hvsim enables no user-level MONITOR), a
         * fault that outranks the exit (25.1.1). Otherwise the exit comes
         * before the #UD a clear CPUID.01H:ECX.MONITOR would give: the
         * hypervisor decides what its guest's CPUID says. */
        bool mon = s->kind == SITE_MONITOR;
        if (cpl_of(g) != 0)
            return false;
        if (!(proc & (mon ? VMX_PROC_MONITOR_EXITING : VMX_PROC_MWAIT_EXITING)))
            return false;
        /* MWAIT: bit 0 tells whether a MONITOR armed the monitoring hardware
         * (27.2.1); in hvsim a MONITOR that runs in the guest never arms it. */
        vmx_nr_exit(g, mon ? EXIT_REASON_MONITOR : EXIT_REASON_MWAIT, 0, s->len);
        return true;
    }
    }
    return false;
}

/* INT1 (ICEBP, F1), which Unicorn's decoder does not know: a #DB delivered as
 * a trap (RIP past it) with no gate DPL check, or, with bit 1 of the
 * exception bitmap, an exit reporting a privileged software exception of
 * length 1 at the instruction (27.2.2), with qualification 0 (no DR6 bit). */
static void icebp(struct cpu *g, uint64_t rip)
{
    if ((uint32_t)field(g, VMCS_CTRL_EXCEPTION_BITMAP) & (1u << EXC_DB)) {
        vmx_nr_exit(g, EXIT_REASON_EXCEPTION_NMI, 0, 1);
        g->nr->exit.intr_info = VMX_INTR_INFO_VALID | VMX_INTR_TYPE_PRIV_SW_EXCEPTION << VMX_INTR_INFO_TYPE_SHIFT |
                                EXC_DB;
        return;
    }
    reg_set(g, UC_X86_REG_RIP, rip + 1);
    cpu_raise(g, EXC_DB, false, 0);
}

/* An instruction Unicorn cannot execute in the guest: VMCALL and the VMX
 * instructions exit unconditionally (25.1.2), INT1 is a #DB; anything else is
 * #UD. */
bool vmx_nr_invalid_insn(struct cpu *g)
{
    static const struct { unsigned id; uint32_t reason; } vmx[] = {
        { X86_INS_VMCALL, EXIT_REASON_VMCALL },     { X86_INS_VMCLEAR, EXIT_REASON_VMCLEAR },
        { X86_INS_VMLAUNCH, EXIT_REASON_VMLAUNCH }, { X86_INS_VMPTRLD, EXIT_REASON_VMPTRLD },
        { X86_INS_VMPTRST, EXIT_REASON_VMPTRST },   { X86_INS_VMREAD, EXIT_REASON_VMREAD },
        { X86_INS_VMRESUME, EXIT_REASON_VMRESUME }, { X86_INS_VMWRITE, EXIT_REASON_VMWRITE },
        { X86_INS_VMXOFF, EXIT_REASON_VMXOFF },     { X86_INS_VMXON, EXIT_REASON_VMXON },
        { X86_INS_INVEPT, EXIT_REASON_INVEPT },     { X86_INS_INVVPID, EXIT_REASON_INVVPID },
    };
    struct pw_ctx m;
    uint8_t code[15];
    uint64_t rip = reg_get(g, UC_X86_REG_RIP), fl, pc = rip;
    uint32_t pe;
    const uint8_t *p = code;
    size_t left = sizeof code;
    cs_insn *in;
    bool hit = false;

    pw_ctx_read(g, &m);
    if (pw_read(g, &m, rip, code, sizeof code, &fl, &pe))
        return false;
    uc_blob_save(g);
    csh h = (uc_blob_hflags(g) & HF_CS64_MASK) ? g->cs64 : g->cs32;
    in = cs_malloc(h);
    if (cs_disasm_iter(h, &p, &left, &pc, in)) {
        if (in->id == X86_INS_INT1) {
            hit = true;
            icebp(g, rip);
        }
        for (size_t i = 0; i < sizeof vmx / sizeof vmx[0]; i++)
            if (in->id == vmx[i].id) {
                vmx_nr_exit(g, vmx[i].reason, 0, in->size);
                hit = true;
            }
    }
    cs_free(in, 1);
    return hit;
}

/* An exception in the guest: exits when its bit is set in the exception bitmap
 * (for #PF, filtered by the error-code mask and match, 25.2). */
bool vmx_nr_exception(struct cpu *g, int vector, bool soft, bool has_err, uint32_t err)
{
    uint32_t bitmap = (uint32_t)field(g, VMCS_CTRL_EXCEPTION_BITMAP);
    bool exits = vector < 32 && ((bitmap >> vector) & 1);

    if (soft && vector != 3 && vector != 4)
        return false; /* INT n is not an exception */
    if (vector == 14) {
        uint32_t mask = (uint32_t)field(g, VMCS_CTRL_PF_ERROR_CODE_MASK);
        uint32_t match = (uint32_t)field(g, VMCS_CTRL_PF_ERROR_CODE_MATCH);
        bool eq = (err & mask) == match;
        exits = eq ? exits : !exits;
    }
    if (!exits)
        return false;
    uint32_t type = soft ? VMX_INTR_TYPE_SW_EXCEPTION : VMX_INTR_TYPE_HW_EXCEPTION;
    uint64_t qual = 0;
    if (vector == 14) {
        qual = reg_get(g, UC_X86_REG_CR2);
    } else if (vector == EXC_DB) {
        /* A #DB that exits leaves DR6 alone and reports DR6's B3-B0, BD and
         * BS in the qualification (27.1, table 27-1). Unicorn has already
         * set them in the engine's DR6: move them over. */
        uint64_t dr6 = reg_get(g, UC_X86_REG_DR6);
        qual = dr6 & (DR6_B0_B3 | DR6_BD | DR6_BS);
        reg_set(g, UC_X86_REG_DR6, dr6 & ~qual);
    }
    vmx_nr_exit(g, EXIT_REASON_EXCEPTION_NMI, qual, soft ? 1 : 0);
    g->nr->exit.intr_info = VMX_INTR_INFO_VALID | (type << VMX_INTR_INFO_TYPE_SHIFT) | (uint32_t)vector |
                            (has_err ? VMX_INTR_INFO_DELIVER_ERROR_CODE : 0);
    g->nr->exit.intr_error = has_err ? err : 0;
    return true;
}

/* NMI exiting (25.2, 25.3): an NMI from the platform's latch exits with
 * reason 0 and NMI interruption information instead of reaching the guest's
 * IDT. Blocking by NMI holds it back while virtual NMIs are off; with them on,
 * bit 3 of the interruptibility state is virtual-NMI blocking, which real NMIs
 * ignore. NMIs stay blocked after the exit until the host's next IRET. */
static bool nmi_exits(struct cpu *g, struct cpu *root, uint32_t pin)
{
    if (!root->nmi_pending && root->plat.nmi_take && root->plat.nmi_take(root->plat.opaque))
        root->nmi_pending = true;
    if (!root->nmi_pending || (!(pin & VMX_PIN_VIRTUAL_NMIS) && g->nmi_blocked))
        return false;
    uc_blob_save(g);
    if (!g->halted && (uc_blob_hflags(g) & HF_INHIBIT_IRQ_MASK)) {
        /* A MOV SS (or STI) shadow blocks it for one instruction, as in nmi.c. */
        g->irq_after_block = true;
        return false;
    }
    root->nmi_pending = false;
    root->nmi_blocked = true;
    vmx_nr_exit(g, EXIT_REASON_EXCEPTION_NMI, 0, 0);
    g->nr->exit.intr_info = VMX_INTR_INFO_VALID | VMX_INTR_TYPE_NMI << VMX_INTR_INFO_TYPE_SHIFT | 2;
    return true;
}

uint64_t vmx_nr_idle_until(struct cpu *g, uint64_t cycles)
{
    if (g->nr->timer_deadline < cycles)
        cycles = g->nr->timer_deadline;
    if (cycles > g->cycles && cycles != UINT64_MAX)
        g->cycles = cycles;
    return cycles;
}

/* Checked at each instruction-block boundary of the guest engine. */
bool vmx_nr_check_events(struct cpu *g)
{
    struct cpu *root = g->nr->root;
    uint32_t pin = (uint32_t)field(g, VMCS_CTRL_PIN_BASED);
    uint32_t proc = (uint32_t)field(g, VMCS_CTRL_PROC_BASED);

    if (g->cycles >= g->nr->timer_deadline) {
        vmx_nr_exit(g, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
        return true;
    }
    /* NMI-window exiting needs virtual NMIs, which need NMI exiting (26.2.1.1):
     * one test when none is on. */
    if (pin & VMX_PIN_NMI_EXITING) {
        if (nmi_exits(g, root, pin))
            return true;
        if ((proc & VMX_PROC_NMI_WINDOW_EXITING) && !g->nmi_blocked) {
            /* No virtual-NMI blocking: the NMI window is open (25.2), unless
             * an STI or MOV SS shadow holds it one more instruction. */
            uc_blob_save(g);
            if (!g->halted && (uc_blob_hflags(g) & HF_INHIBIT_IRQ_MASK)) {
                g->irq_after_block = true;
                return false;
            }
            vmx_nr_exit(g, EXIT_REASON_NMI_WINDOW, 0, 0);
            return true;
        }
    }
    if ((pin & VMX_PIN_EXT_INTR_EXITING) && root->plat.intr_pending &&
        root->plat.intr_pending(root->plat.opaque) >= 0) {
        vmx_nr_exit(g, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0);
        if (field(g, VMCS_CTRL_EXIT) & VMX_EXIT_ACK_INTR_ON_EXIT) {
            int v = root->plat.intr_ack(root->plat.opaque);
            if (v >= 0)
                g->nr->exit.intr_info = VMX_INTR_INFO_VALID | (uint32_t)v;
        }
        return true;
    }
    g->nr_watch = false;
    if (proc & VMX_PROC_INTR_WINDOW_EXITING) {
        /* The window is open when IF = 1 and no STI or MOV SS shadow blocks. */
        if (!(reg_get(g, UC_X86_REG_EFLAGS) & (1u << 9))) {
            g->nr_watch = true; /* the block hook stops once IF is set */
            return false;
        }
        uc_blob_save(g);
        if (uc_blob_hflags(g) & HF_INHIBIT_IRQ_MASK) {
            g->irq_after_block = true;
            return false;
        }
        vmx_nr_exit(g, EXIT_REASON_INTERRUPT_WINDOW, 0, 0);
        return true;
    }
    return false;
}

/* The linear address the faulting instruction used: RIP for a fetch, else its
 * memory operand, decoded with Capstone. */
static bool guest_linear(struct cpu *g, unsigned acc, uint64_t *gla)
{
    uint64_t rip = reg_get(g, UC_X86_REG_RIP), fl;
    uint8_t code[15];
    struct pw_ctx m;
    uint32_t pe;

    if (acc == EPT_X) {
        *gla = rip;
        return true;
    }
    pw_ctx_read(g, &m);
    if (pw_read(g, &m, rip, code, sizeof code, &fl, &pe))
        return false;
    return insn_mem_linear(g, code, sizeof code, rip, gla);
}

/* An access to a guest-physical address the engine has no mapping for: an EPT
 * violation or misconfiguration (28.2.3), or, without EPT, the open bus. */
bool vmx_nr_ept_fault(struct cpu *g, uc_mem_type type, uint64_t gpa)
{
    uint8_t *vmcs = vmcs_of(g);
    bool ept = (vget(vmcs, VMCS_CTRL_PROC_BASED) & VMX_PROC_ACTIVATE_SECONDARY) &&
               (vget(vmcs, VMCS_CTRL_PROC_BASED2) & VMX_PROC2_ENABLE_EPT);
    struct cpu *root = g->nr->root;
    struct ept_translation t;
    unsigned acc;

    if (!ept)
        return false;
    switch (type) {
    case UC_MEM_WRITE_UNMAPPED: case UC_MEM_WRITE_PROT: acc = EPT_W; break;
    case UC_MEM_FETCH_UNMAPPED: case UC_MEM_FETCH_PROT: acc = EPT_X; break;
    default: acc = EPT_R; break;
    }
    struct vmx_mem mem = { .read64 = vmx_phys_read64, .opaque = root };
    enum ept_result r = ept_translate(&mem, &root->vmx->caps, vget(vmcs, VMCS_CTRL_EPTP), gpa, acc, &t);
    if (r == EPT_MISCONFIG) {
        vmx_nr_exit(g, EXIT_REASON_EPT_MISCONFIG, 0, 0);
    } else {
        uint64_t gla = 0, qual = r == EPT_VIOLATION ? t.qualification : acc;
        bool known = guest_linear(g, acc, &gla);
        /* The linear address is known and this was the access itself, not a
         * guest page-table walk (28.2.3.2): bits 7 and 8. */
        if (known)
            qual |= EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_TRANSLATION;
        vmx_nr_exit(g, EXIT_REASON_EPT_VIOLATION, qual, 0);
        g->nr->exit.gla = gla;
    }
    g->nr->exit.gpa = gpa;
    return true;
}

bool vmx_nr_walk_fault(struct cpu *g)
{
    struct cpu *root = g->nr->root;
    struct pw_ctx m;
    uint64_t lin = reg_get(g, UC_X86_REG_CR2), pa;
    uint32_t pe;

    g->ept_fault = false;
    pw_ctx_read(g, &m);
    pw_translate(g, &m, lin, PW_READ, false, &pa, &pe);
    if (!g->ept_fault)
        return false;
    uint8_t *vmcs = vmcs_of(g);
    struct vmx_mem mem = { .read64 = vmx_phys_read64, .opaque = root };
    struct ept_translation t;
    uint64_t gpa = g->ept_fault_gpa;
    enum ept_result r = ept_translate(&mem, &root->vmx->caps, vget(vmcs, VMCS_CTRL_EPTP), gpa, EPT_R, &t);
    if (r == EPT_MISCONFIG) {
        vmx_nr_exit(g, EXIT_REASON_EPT_MISCONFIG, 0, 0);
    } else {
        /* A read by the page walk: the linear address is valid, bit 8 clear. */
        vmx_nr_exit(g, EXIT_REASON_EPT_VIOLATION, (r == EPT_VIOLATION ? t.qualification : EPT_R) | EPT_QUAL_GLA_VALID, 0);
        g->nr->exit.gla = lin;
    }
    g->nr->exit.gpa = gpa;
    return true;
}

bool vmx_gpa_to_hpa(struct cpu *g, uint64_t gpa, uint64_t *hpa)
{
    uint8_t *vmcs = vmcs_of(g);
    struct cpu *root = g->nr->root;
    bool ept = (vget(vmcs, VMCS_CTRL_PROC_BASED) & VMX_PROC_ACTIVATE_SECONDARY) &&
               (vget(vmcs, VMCS_CTRL_PROC_BASED2) & VMX_PROC2_ENABLE_EPT);
    if (!ept) {
        *hpa = gpa;
        return true;
    }
    struct vmx_mem mem = { .read64 = vmx_phys_read64, .opaque = root };
    struct ept_translation t;
    if (ept_translate(&mem, &root->vmx->caps, vget(vmcs, VMCS_CTRL_EPTP), gpa, EPT_R, &t) != EPT_OK)
        return false;
    *hpa = t.hpa;
    return true;
}
