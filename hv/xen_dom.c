/* Xen's domains as its toolstack and guests manage them, from the hypercalls'
 * arguments in guest memory (docs/hv.md "Domain ids and lifecycle"):
 *  - domctl (36), interface version 0x15 (Xen 4.17, public/domctl.h):
 *    createdomain (1): the new id is in the caller's struct once the call has
 *    returned; destroydomain (2); setvcpucontext (12): vCPU 0's CR3 and
 *    start_info address (RSI) of a PV domain (public/arch-x86/xen.h);
 *  - sched_op (29): SCHEDOP_shutdown (2) from the domain itself,
 *    SCHEDOP_remote_shutdown (4); sched_op_compat (6) SCHEDOP_shutdown;
 *  - hvm_op (34): HVMOP_set_param (0) of HVM_PARAM_CONSOLE_PFN (17) for a
 *    PVH/HVM domain's console ring (public/hvm/params.h);
 *  - a PV domain's console ring: start_info's console.domU.mfn (public/xen.h).
 * Only reads; a bad pointer is skipped. */
#include <string.h>

#include "base/log.h"
#include "hv_priv.h"

#define PA_MASK 0x000ffffffffff000ull
#define DOMCTL_VERSION 0x15
#define DOMID_FIRST_RESERVED 0x7ff0

enum { HC_SCHED_OP_COMPAT = 6, HC_SCHED_OP = 29, HC_HVM_OP = 34, HC_DOMCTL = 36 };
enum { DOMCTL_CREATEDOMAIN = 1, DOMCTL_DESTROYDOMAIN = 2, DOMCTL_SETVCPUCONTEXT = 12 };
enum { SCHEDOP_SHUTDOWN = 2, SCHEDOP_REMOTE_SHUTDOWN = 4 };
enum { HVMOP_SET_PARAM = 0, HVM_PARAM_CONSOLE_PFN = 17 };

/* struct xen_domctl: cmd, interface_version, domain, pad, then the union at 16. */
#define DOMCTL_U 16
/* struct xen_domctl_createdomain: ssidref, handle[16], flags (XEN_DOMCTL_CDF_hvm = bit 0). */
#define CREATE_FLAGS (DOMCTL_U + 20)
/* struct xen_domctl_vcpucontext: vcpu, pad, the context's address. */
#define VCPUCTX_PTR (DOMCTL_U + 8)
/* struct vcpu_guest_context (x86_64): fpu_ctxt[512], flags, user_regs
 * (cpu_user_regs: r15 ... rsi at 104), trap_ctxt[256] of 16 bytes, ldt_base,
 * ldt_ents, gdt_frames[16], gdt_ents, kernel_ss, kernel_sp, ctrlreg[8]. */
#define CTX_RSI (512 + 8 + 104)
#define CTX_CR3 (512 + 8 + 200 + 256 * 16 + 8 * 2 + 8 * 17 + 8 * 2 + 8 * 3)
/* struct start_info (x86_64): magic[32], nr_pages, shared_info, flags,
 * store_mfn, store_evtchn, console.domU.mfn at 72. */
#define SI_CONSOLE_MFN 72

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A PV domain's console ring: its start_info through its initial page tables. */
static void pv_console(struct hv *h, struct hv_domain *d, uint64_t si_va)
{
    struct hv_gm g = hv_gm_machine(h);
    uint8_t si[SI_CONSOLE_MFN + 8];
    g.cr3 = d->pv_cr3;
    g.paging = 1;
    if (hv_gm_read(&g, si_va, si, sizeof si) || memcmp(si, "xen-", 4))
        return;
    uint64_t mfn = rd64(si + SI_CONSOLE_MFN);
    if (mfn && mfn < (h->ram_size >> 12))
        hv_dom_ring(h, d, mfn << 12);
}

static void domctl(struct hv *h, uint64_t va, const struct hv_gm *mem, unsigned caller)
{
    uint8_t op[DOMCTL_U + 32];
    if (hv_gm_read(mem, va, op, sizeof op))
        return;
    uint32_t cmd = rd32(op), version = rd32(op + 4), domain = op[8] | (uint32_t)op[9] << 8;
    if (version != DOMCTL_VERSION) {
        if (!h->warned_version++)
            log_warn("hv: Xen domctl interface version 0x%x, not 0x%x: domain ids not decoded", version,
                     DOMCTL_VERSION);
        return;
    }
    switch (cmd) {
    case DOMCTL_CREATEDOMAIN: /* the id is written back when the call returns */
        h->pending = (struct hv_pending){ .active = 1, .caller = caller, .nr = HC_DOMCTL, .va = va, .mem = *mem,
                                          .cmd = cmd, .flags = rd32(op + CREATE_FLAGS), .domain = domain,
                                          .t = hv_now(h) };
        return;
    case DOMCTL_DESTROYDOMAIN: {
        struct hv_domain *d = hv_dom_by_id(h, (int)domain, 0);
        if (d && domain) /* a continuation enters again: the first entry counts */
            hv_dom_destroyed(h, d, hv_now(h));
        return;
    }
    case DOMCTL_SETVCPUCONTEXT: {
        struct hv_domain *d = hv_dom_by_id(h, (int)domain, 0);
        uint8_t cr3[8], rsi[8];
        uint64_t ctx = rd64(op + VCPUCTX_PTR);
        if (!d || d->kind != HV_DOM_PV || rd32(op + DOMCTL_U) != 0 || !ctx || hv_gm_read(mem, ctx + CTX_CR3, cr3, 8) ||
            hv_gm_read(mem, ctx + CTX_RSI, rsi, 8))
            return;
        d->pv_cr3 = rd64(cr3) & PA_MASK;
        /* Xen fills the per-domain slot when it validates the table, inside this call. */
        hv_dom_bind_pv(h, d, hv_pv_key_of(h, d->pv_cr3));
        pv_console(h, d, rd64(rsi));
        return;
    }
    default:
        return;
    }
}

void hv_xen_on_return(struct hv *h, struct hv_domain *caller)
{
    struct hv_pending p = h->pending;
    uint8_t op[16];
    (void)caller;
    h->pending.active = 0;
    if (p.nr != HC_DOMCTL || p.cmd != DOMCTL_CREATEDOMAIN || hv_gm_read(&p.mem, p.va, op, sizeof op))
        return;
    uint32_t domain = op[8] | (uint32_t)op[9] << 8;
    /* Written back only on success; a failed call leaves the requested id,
     * which is either reserved (Xen to choose) or one that exists already. */
    if (rd32(op) != DOMCTL_CREATEDOMAIN || domain == 0 || domain >= DOMID_FIRST_RESERVED ||
        hv_dom_by_id(h, (int)domain, 0))
        return;
    hv_dom_created(h, (int)domain, p.flags & 1 ? HV_DOM_HVM : HV_DOM_PV, p.t);
}

void hv_xen_on_hypercall(struct hv *h, struct hv_domain *d, uint64_t nr, const uint64_t a[5],
                             const struct hv_gm *mem)
{
    uint8_t b[16];
    switch (nr) {
    case HC_DOMCTL:
        domctl(h, a[0], mem, (unsigned)(d - h->doms));
        return;
    case HC_SCHED_OP:
        if (a[0] == SCHEDOP_SHUTDOWN && !hv_gm_read(mem, a[1], b, 4))
            hv_dom_shutdown(h, d, rd32(b), hv_now(h));
        else if (a[0] == SCHEDOP_REMOTE_SHUTDOWN && !hv_gm_read(mem, a[1], b, 8)) {
            struct hv_domain *t = hv_dom_by_id(h, b[0] | b[1] << 8, 0);
            if (t)
                hv_dom_shutdown(h, t, rd32(b + 4), hv_now(h));
        }
        return;
    case HC_SCHED_OP_COMPAT:
        if (a[0] == SCHEDOP_SHUTDOWN)
            hv_dom_shutdown(h, d, (uint32_t)a[1], hv_now(h));
        return;
    case HC_HVM_OP:
        if (a[0] == HVMOP_SET_PARAM && !hv_gm_read(mem, a[1], b, 16) && rd32(b + 4) == HVM_PARAM_CONSOLE_PFN) {
            struct hv_domain *t = hv_dom_by_id(h, b[0] | b[1] << 8, 0);
            if (t && t->kind == HV_DOM_HVM && !t->ring_pa)
                t->ring_gfn = rd64(b + 8);
        }
        return;
    default:
        return;
    }
}
