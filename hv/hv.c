/* Hypercalls and domains from CPU events (docs/hv.md "Hypercalls", "Which domain"):
 *  - 64-bit PV: SYSCALL from the guest kernel (ring 3, upper-half RIP) with RAX
 *    the number; a SYSCALL from a lower-half RIP is the guest's user space.
 *  - 32-bit PV: INT 0x82 with EAX the number.
 *  - HVM/PVH: a VMCALL exit (basic reason 18) with RAX the number.
 * The caller: for PV, the frame in the per-domain slot of the guest's top-level
 * page table; for HVM, the VMCS. Each such key is bound to a domain record, whose
 * id, lifecycle and console ring the profile's on_hypercall learns from the
 * hypervisor's own interfaces (xen_dom.c). Everything here reads; nothing writes
 * the guest. */
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "arch/vmx.h"
#include "base/log.h"
#include "cpu/cpu.h"
#include "hv_priv.h"
#include "vmx/vmx.h"
#include "traces/report.h"

#define PA_MASK 0x000ffffffffff000ull
#define RING_OUT 1024    /* struct xencons_interface: in[1024], out[2048], then the indexes */
#define RING_OUT_SIZE 2048
#define RING_OUT_CONS 3080
#define RING_OUT_PROD 3084

struct hv *hv_new(const struct hv_ident *id, struct cpu *cpu, const uint8_t *ram, uint64_t ram_size)
{
    struct hv *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->id = *id;
    h->cpu = cpu;
    h->ram = ram;
    h->ram_size = ram_size;
    snprintf(h->overflow.name, sizeof h->overflow.name, "other");
    h->overflow.trace_id = EVTRACE_NO_DOMAIN;
    h->overflow.domid = -1;
    return h;
}

void hv_free(struct hv *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->n_domains; i++)
        if (h->doms[i].console)
            fclose(h->doms[i].console);
    free(h->console_dir);
    free(h);
}

void hv_set_console_dir(struct hv *h, const char *dir)
{
    free(h->console_dir);
    h->console_dir = dir ? strdup(dir) : NULL;
}

void hv_rebind(struct hv *h, struct cpu *cpu, const uint8_t *ram, uint64_t ram_size)
{
    h->cpu = cpu;
    h->ram = ram;
    h->ram_size = ram_size;
}

vtime_t hv_now(const struct hv *h) { return cpu_now(h->cpu); }

struct hv_gm hv_gm_machine(const struct hv *h)
{
    return (struct hv_gm){ .ram = h->ram, .ram_size = h->ram_size };
}

const char *hv_shutdown_reason_name(unsigned reason)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };
    return reason < sizeof names / sizeof names[0] ? names[reason] : "unknown";
}

/* Bytes for d's console file, opened at the first write. */
static void console_put(struct hv *h, struct hv_domain *d, const uint8_t *buf, size_t n)
{
    if (!d->console && h->console_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/console-%s.log", h->console_dir, d->name);
        if (!(d->console = fopen(path, "w"))) {
            log_warn("hv: %s: cannot create the console file", path);
            free(h->console_dir);
            h->console_dir = NULL;
        }
    }
    if (d->console) {
        fwrite(buf, 1, n, d->console);
        fflush(d->console);
    }
}

/* CONSOLEIO_write(len, buf): the domain's bytes into its console file. A
 * domain with a console ring (a DomU) shows the ring there, as `xl console`
 * does; its console_io bytes go to the hypervisor's log and are only counted. */
static void console_write(struct hv *h, struct hv_domain *d, const struct hv_gm *mem, uint64_t len, uint64_t va)
{
    uint8_t buf[4096];
    if (len > 65536) /* Xen takes at most what fits; more is a guest mistake */
        len = 65536;
    while (len) {
        uint64_t n = 4096 - (va & 4095);
        if (n > len)
            n = len;
        if (hv_gm_read(mem, va, buf, n))
            return;
        d->console_bytes += n;
        if (d->domid <= 0)
            console_put(h, d, buf, n);
        va += n;
        len -= n;
    }
}

/* New output in d's console ring (xen/include/public/io/console.h): out[] from
 * our index to out_prod, read without touching the ring's own indexes. */
static void ring_poll(struct hv *h, struct hv_domain *d)
{
    uint32_t prod;
    uint8_t buf[RING_OUT_SIZE];
    if (!d->ring_pa && d->ring_gfn && d->eptp) {
        struct hv_gm g = { .ram = h->ram, .ram_size = h->ram_size, .eptp = d->eptp };
        uint64_t pa;
        if (!hv_gm_gpa(&g, d->ring_gfn << 12, &pa))
            hv_dom_ring(h, d, pa);
    }
    if (!d->ring_pa || d->ring_pa > h->ram_size || h->ram_size - d->ring_pa < 4096)
        return;
    memcpy(&prod, h->ram + d->ring_pa + RING_OUT_PROD, 4);
    uint32_t n = prod - d->ring_cons;
    if (!n)
        return;
    if (n > RING_OUT_SIZE) { /* the guest wrote more than the ring holds since we looked: keep the newest */
        d->ring_cons = prod - RING_OUT_SIZE;
        n = RING_OUT_SIZE;
    }
    for (uint32_t i = 0; i < n; i++)
        buf[i] = h->ram[d->ring_pa + RING_OUT + ((d->ring_cons + i) & (RING_OUT_SIZE - 1))];
    d->ring_cons = prod;
    d->ring_bytes += n;
    console_put(h, d, buf, n);
}

void hv_dom_ring(struct hv *h, struct hv_domain *d, uint64_t pa)
{
    if (d == &h->overflow || pa > h->ram_size || h->ram_size - pa < 4096)
        return;
    d->ring_pa = pa;
    /* Start where the console daemon is: what it has not read yet is still to come. */
    memcpy(&d->ring_cons, h->ram + pa + RING_OUT_CONS, 4);
    log_info("hv: %s: console ring at 0x%llx", d->name, (unsigned long long)pa);
}

void hv_poll_consoles(struct hv *h)
{
    for (unsigned i = 0; i < h->n_domains; i++)
        if (!h->doms[i].destroyed)
            ring_poll(h, &h->doms[i]);
}

static void trace_domain(struct hv *h, const struct hv_domain *d, enum evtrace_domain_op op, vtime_t t)
{
    char name[48];
    if (!h->trace || d->trace_id == EVTRACE_NO_DOMAIN)
        return;
    snprintf(name, sizeof name, "%s:%s", h->id.profile->name, d->name);
    if (op == EVTRACE_DOM_SHUTDOWN)
        evtrace_domain_shutdown(h->trace, t, d->trace_id, evtrace_string(h->trace, name), d->shutdown_reason);
    else
        evtrace_domain(h->trace, t, d->trace_id, op, evtrace_string(h->trace, name));
}

static void trace_lifecycle(struct hv *h, const struct hv_domain *d)
{
    trace_domain(h, d, EVTRACE_DOM_CREATE, d->created ? d->t_created : d->first_seen);
    if (d->shut_down)
        trace_domain(h, d, EVTRACE_DOM_SHUTDOWN, d->t_shutdown);
    if (d->destroyed)
        trace_domain(h, d, EVTRACE_DOM_DESTROY, d->t_destroyed);
}

void hv_set_trace(struct hv *h, struct evtrace *t)
{
    h->trace = t;
    for (unsigned i = 0; t && i < h->n_domains; i++)
        trace_lifecycle(h, &h->doms[i]);
}

static struct hv_domain *dom_new(struct hv *h, enum hv_dom_kind kind, int domid, vtime_t t)
{
    if (h->n_domains == HV_MAX_DOMAINS)
        return &h->overflow;
    struct hv_domain *d = &h->doms[h->n_domains];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->domid = domid;
    d->trace_id = (uint16_t)(1 + h->n_domains); /* trace domain 0 is the bare machine */
    d->first_seen = t;
    if (domid >= 0)
        snprintf(d->name, sizeof d->name, "dom%d", domid);
    else if (kind == HV_DOM_PV)
        snprintf(d->name, sizeof d->name, "pv%u", ++h->n_pv);
    else
        snprintf(d->name, sizeof d->name, "hvm%u", ++h->n_hvm);
    h->n_domains++;
    return d;
}

struct hv_domain *hv_dom_by_id(struct hv *h, int domid, int dead_too)
{
    for (unsigned i = h->n_domains; i-- > 0;) /* the newest first: ids are reused */
        if (h->doms[i].domid == domid && (dead_too || !h->doms[i].destroyed))
            return &h->doms[i];
    return NULL;
}

struct hv_domain *hv_dom_created(struct hv *h, int domid, enum hv_dom_kind kind, vtime_t t)
{
    struct hv_domain *d = dom_new(h, kind, domid, t);
    if (d == &h->overflow)
        return d;
    d->created = 1;
    d->t_created = t;
    trace_domain(h, d, EVTRACE_DOM_CREATE, t);
    log_info("hv: %s: t=%.9f s: domain %d created (%s)", h->id.profile->name, (double)t / 1e9, domid,
             kind == HV_DOM_PV ? "PV" : "HVM/PVH");
    return d;
}

void hv_dom_shutdown(struct hv *h, struct hv_domain *d, unsigned reason, vtime_t t)
{
    if (d == &h->overflow || d->destroyed)
        return;
    ring_poll(h, d);
    d->shut_down = 1;
    d->t_shutdown = t;
    d->shutdown_reason = reason;
    trace_domain(h, d, EVTRACE_DOM_SHUTDOWN, t);
    log_info("hv: %s: t=%.9f s: %s shut down (%s)", h->id.profile->name, (double)t / 1e9, d->name,
             hv_shutdown_reason_name(reason));
}

void hv_dom_destroyed(struct hv *h, struct hv_domain *d, vtime_t t)
{
    if (d == &h->overflow || d->destroyed)
        return;
    ring_poll(h, d);
    d->destroyed = 1;
    d->t_destroyed = t;
    /* Its pages and VMCSs go back to the hypervisor and may serve a later domain. */
    unsigned idx = (unsigned)(d - h->doms), k = 0;
    for (unsigned i = 0; i < h->n_keys; i++)
        if (h->keys[i].dom != idx)
            h->keys[k++] = h->keys[i];
    h->n_keys = k;
    trace_domain(h, d, EVTRACE_DOM_DESTROY, t);
    log_info("hv: %s: t=%.9f s: %s destroyed", h->id.profile->name, (double)t / 1e9, d->name);
}

static void key_add(struct hv *h, struct hv_domain *d, enum hv_dom_kind kind, uint64_t key)
{
    if (d == &h->overflow || h->n_keys == HV_MAX_KEYS)
        return;
    h->keys[h->n_keys++] = (struct hv_key){ kind, key, (unsigned)(d - h->doms), 0 };
    d->vcpus++;
}

void hv_dom_bind_pv(struct hv *h, struct hv_domain *d, uint64_t key)
{
    for (unsigned i = 0; i < h->n_keys; i++)
        if (h->keys[i].kind == HV_DOM_PV && h->keys[i].key == key)
            return;
    if (key)
        key_add(h, d, HV_DOM_PV, key);
}

uint64_t hv_pv_key_of(const struct hv *h, uint64_t cr3)
{
    int slot = h->id.profile->pv_domain_l4_slot;
    uint64_t pa = (cr3 & PA_MASK) + (uint64_t)slot * 8, e = 0;
    if (slot < 0 || pa > h->ram_size - 8)
        return 0;
    memcpy(&e, h->ram + pa, 8);
    return e & 1 ? e & PA_MASK : 0;
}

static uint64_t vmcs_field(const struct hv *h, uint32_t enc)
{
    uint64_t v = 0;
    return cpu_vmx_read_field(h->cpu, enc, &v) ? 0 : v;
}

/* The EPT pointer of the current VMCS, 0 when it does not use EPT. */
static uint64_t current_eptp(const struct hv *h)
{
    if (!(vmcs_field(h, VMCS_CTRL_PROC_BASED) & (1u << 31)) || !(vmcs_field(h, VMCS_CTRL_PROC_BASED2) & 2))
        return 0;
    return vmcs_field(h, VMCS_CTRL_EPTP) & PA_MASK;
}

/* The domain of this key. An unknown PV key: the domain whose vCPU 0 was given
 * the running top-level table, else Domain-0 when none is known yet (the
 * hypervisor starts Domain-0 itself; every other domain is created later by its
 * toolstack), else a new unnamed one. An unknown VMCS: the domain whose other
 * VMCSs share its EPT, else the oldest created HVM domain without a VMCS (order
 * of creation: nothing in the VMCS names the domain), else a new one. */
static struct hv_domain *domain_of(struct hv *h, enum hv_dom_kind kind, uint64_t key)
{
    for (unsigned i = 0; i < h->n_keys; i++)
        if (h->keys[i].key == key && h->keys[i].kind == kind)
            return &h->doms[h->keys[i].dom];
    struct hv_domain *d = NULL;
    vtime_t now = cpu_now(h->cpu);
    int made = 0; /* a record made here, for a domain not seen being created */
    if (kind == HV_DOM_PV) {
        uint64_t cr3 = cpu_reg_read(h->cpu, UC_X86_REG_CR3) & PA_MASK;
        for (unsigned i = 0; !d && i < h->n_domains; i++)
            if (h->doms[i].kind == HV_DOM_PV && !h->doms[i].destroyed && h->doms[i].pv_cr3 == cr3 && cr3)
                d = &h->doms[i];
        if (!d && !hv_dom_by_id(h, 0, 1)) {
            d = dom_new(h, HV_DOM_PV, 0, now);
            made = 1;
        }
    } else {
        uint64_t eptp = current_eptp(h);
        for (unsigned i = 0; !d && eptp && i < h->n_domains; i++)
            if (h->doms[i].kind == HV_DOM_HVM && !h->doms[i].destroyed && h->doms[i].eptp == eptp)
                d = &h->doms[i];
        for (unsigned i = 0; !d && i < h->n_domains; i++)
            if (h->doms[i].kind == HV_DOM_HVM && h->doms[i].created && !h->doms[i].destroyed && !h->doms[i].vcpus)
                d = &h->doms[i];
        if (d && !d->eptp)
            d->eptp = eptp;
    }
    if (!d) {
        d = dom_new(h, kind, -1, now);
        made = 1;
    }
    if (d == &h->overflow)
        return d;
    if (kind == HV_DOM_HVM && !d->eptp)
        d->eptp = current_eptp(h);
    key_add(h, d, kind, key);
    if (made)
        trace_domain(h, d, EVTRACE_DOM_CREATE, now);
    log_info("hv: %s domain '%s' vCPU key %u at t=%.9f s (%s 0x%llx)", h->id.profile->name, d->name, d->vcpus - 1,
             (double)now / 1e9, kind == HV_DOM_PV ? "per-domain L4 slot frame" : "VMCS", (unsigned long long)key);
    return d;
}

/* Xen's hvm_hlt (xen/arch/x86/hvm/hvm.c): HLT with interrupts off takes the
 * vCPU down (hvm_vcpu_down), and when no vCPU of the domain is left online Xen
 * shuts it down, SHUTDOWN_poweroff ("All CPUs offline -- powering off"). Linux
 * halts so when it has no power-off method (a PVH guest's `poweroff`). Any
 * other exit of that VMCS means it runs again. */
static void hvm_vcpu_down(struct hv *h, struct hv_domain *d, uint64_t vmcs, unsigned reason)
{
    unsigned idx = (unsigned)(d - h->doms), up = 0;
    for (unsigned i = 0; i < h->n_keys; i++) {
        struct hv_key *k = &h->keys[i];
        if (k->kind == HV_DOM_HVM && k->key == vmcs)
            k->down = reason == EXIT_REASON_HLT && !(vmcs_field(h, VMCS_GUEST_RFLAGS) & (1u << 9));
        if (k->dom == idx && !k->down)
            up++;
    }
    if (!up && reason == EXIT_REASON_HLT && !d->shut_down)
        hv_dom_shutdown(h, d, 0 /* SHUTDOWN_poweroff */, cpu_now(h->cpu));
}

static void hypercall(struct hv *h, struct hv_domain *d, uint64_t nr, uint64_t arg0)
{
    d->hypercalls++;
    if (nr < HV_MAX_HYPERCALL)
        d->counts[nr]++;
    else
        d->other++;
    evtrace_hypercall(h->trace, cpu_now(h->cpu), d->trace_id, 0, (uint32_t)nr, arg0);
}

/* A 64-bit hypercall with its arguments (RDI, RSI, RDX, R10, R8: Xen's ABI for
 * both SYSCALL and VMCALL) and the caller's memory. */
static void hypercall64(struct hv *h, struct hv_domain *d, const struct hv_gm *mem)
{
    static const int regs[5] = { UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX, UC_X86_REG_R10, UC_X86_REG_R8 };
    uint64_t nr = cpu_reg_read(h->cpu, UC_X86_REG_RAX), a[5];
    for (int i = 0; i < 5; i++)
        a[i] = cpu_reg_read(h->cpu, regs[i]);
    /* The caller's previous call has returned: its results are in its memory now. */
    if (h->pending.active && h->pending.caller == (unsigned)(d - h->doms) && h->id.profile->on_return)
        h->id.profile->on_return(h, d);
    hypercall(h, d, nr, a[0]);
    if ((int64_t)nr == h->id.profile->console_hypercall && (int32_t)a[0] == h->id.profile->console_write_cmd)
        console_write(h, d, mem, (uint32_t)a[1], a[2]);
    if (d != &h->overflow && h->id.profile->on_hypercall)
        h->id.profile->on_hypercall(h, d, nr, a, mem);
    if (d != &h->overflow)
        ring_poll(h, d);
}

/* The PV domain of the running page table when it is bound already (events
 * other than hypercalls make no new domain), else NULL. */
static struct hv_domain *pv_known(struct hv *h)
{
    uint64_t key = hv_pv_key_of(h, cpu_reg_read(h->cpu, UC_X86_REG_CR3));
    for (unsigned i = 0; key && i < h->n_keys; i++)
        if (h->keys[i].kind == HV_DOM_PV && h->keys[i].key == key)
            return &h->doms[h->keys[i].dom];
    return NULL;
}

unsigned hv_on_event(void *opaque, int kind, int vector, uint32_t error_code, uint64_t rip)
{
    struct hv *h = opaque;
    (void)error_code;
    switch (kind) {
    case 4: { /* SYSCALL, registers still the caller's */
        /* From the guest kernel's upper half only, and from the root engine: a
         * VMX guest's SYSCALL comes here too, while the root's RIP is elsewhere. */
        if (!(rip >> 63) || cpu_reg_read(h->cpu, UC_X86_REG_RIP) != rip)
            return 0;
        uint64_t cr3 = cpu_reg_read(h->cpu, UC_X86_REG_CR3);
        struct hv_domain *d = domain_of(h, HV_DOM_PV, hv_pv_key_of(h, cr3));
        struct hv_gm mem = { .ram = h->ram, .ram_size = h->ram_size, .cr3 = cr3, .paging = 1 };
        hypercall64(h, d, &mem);
        return d == &h->overflow ? 0 : d->trace_id;
    }
    case 1: /* INT n, delivered: RAX and CR3 are still the caller's */
        if (h->id.profile->pv_int_vector && vector == h->id.profile->pv_int_vector) {
            struct hv_domain *d = domain_of(h, HV_DOM_PV, hv_pv_key_of(h, cpu_reg_read(h->cpu, UC_X86_REG_CR3)));
            hypercall(h, d, cpu_reg_read(h->cpu, UC_X86_REG_RAX) & 0xffffffffu,
                      cpu_reg_read(h->cpu, UC_X86_REG_RBX) & 0xffffffffu);
            return d == &h->overflow ? 0 : d->trace_id;
        }
        /* fall through - INT3, INTO and other software interrupts are the guest's traps */
    case 0:   /* an exception */
    case 2: { /* an external interrupt */
        /* Delivered through the hypervisor's IDT: CR3 is still the interrupted
         * one's. Code outside the hypervisor's reserved range is a PV guest's. */
        if (rip >= h->id.profile->pv_reserved_lo && rip < h->id.profile->pv_reserved_hi)
            return 0;
        struct hv_domain *d = pv_known(h);
        if (!d)
            return 0;
        if (kind != 2 && vector >= 0 && vector < 32) {
            d->traps++;
            d->trap_counts[vector]++;
        }
        return d->trace_id;
    }
    case 3: { /* VM exit: the guest's GPRs are in the root's registers now */
        uint64_t vmcs = cpu_vmx_current_vmcs(h->cpu);
        struct hv_domain *d = domain_of(h, HV_DOM_HVM, vmcs);
        unsigned reason = (unsigned)vector & 0xffff;
        d->vmexits++;
        if (reason < HV_MAX_EXIT_REASON)
            d->exit_counts[reason]++;
        if (d != &h->overflow)
            hvm_vcpu_down(h, d, vmcs, reason);
        if (reason == EXIT_REASON_VMCALL) {
            struct hv_gm mem = { .ram = h->ram, .ram_size = h->ram_size, .cr3 = vmcs_field(h, VMCS_GUEST_CR3),
                                 .eptp = current_eptp(h), .paging = (vmcs_field(h, VMCS_GUEST_CR0) >> 31) & 1 };
            hypercall64(h, d, &mem);
        }
        return d == &h->overflow ? 0 : d->trace_id;
    }
    default:
        return 0;
    }
}

unsigned hv_domain_count(const struct hv *h) { return h->n_domains; }
const struct hv_domain *hv_domain(const struct hv *h, unsigned i) { return i < h->n_domains ? &h->doms[i] : NULL; }

void hv_write_summary(struct hv *h, FILE *f)
{
    if (h->pending.active && h->id.profile->on_return)
        h->id.profile->on_return(h, &h->doms[h->pending.caller]);
    hv_poll_consoles(h);
    fprintf(f, "hv: %s %s: %u domain(s) seen\n", h->id.profile->name, h->id.version, h->n_domains);
    for (unsigned i = 0; i <= h->n_domains; i++) {
        const struct hv_domain *d = i < h->n_domains ? &h->doms[i] : &h->overflow;
        if (i == h->n_domains && !d->hypercalls)
            break;
        fprintf(f, "hv: domain %s (%s): %llu hypercalls", d->name, d->kind == HV_DOM_PV ? "PV" : "HVM",
                (unsigned long long)d->hypercalls);
        if (d->kind == HV_DOM_HVM)
            fprintf(f, ", %llu VM exits", (unsigned long long)d->vmexits);
        if (d->traps)
            fprintf(f, ", %llu traps", (unsigned long long)d->traps);
        if (d->console_bytes)
            fprintf(f, ", %llu console bytes", (unsigned long long)d->console_bytes);
        if (d->ring_bytes)
            fprintf(f, ", %llu console ring bytes", (unsigned long long)d->ring_bytes);
        fputc('\n', f);
        if (d->created)
            fprintf(f, "hv:   event created t=%.9f\n", (double)d->t_created / 1e9);
        if (d->shut_down)
            fprintf(f, "hv:   event shutdown t=%.9f %s\n", (double)d->t_shutdown / 1e9,
                    hv_shutdown_reason_name(d->shutdown_reason));
        if (d->destroyed)
            fprintf(f, "hv:   event destroyed t=%.9f\n", (double)d->t_destroyed / 1e9);
        for (unsigned nr = 0; nr < HV_MAX_HYPERCALL; nr++) {
            if (!d->counts[nr])
                continue;
            const char *n = hv_hypercall_name(h->id.profile, nr);
            fprintf(f, "hv:   %-28s %3u %12llu\n", n ? n : "?", nr, (unsigned long long)d->counts[nr]);
        }
        if (d->other)
            fprintf(f, "hv:   %-28s %3s %12llu\n", "(number >= 64)", "-", (unsigned long long)d->other);
        for (unsigned v = 0; v < 32; v++) {
            if (!d->trap_counts[v])
                continue;
            const char *n = report_exception_name(v);
            fprintf(f, "hv:   trap %-23s %3u %12llu\n", n ? n : "?", v, (unsigned long long)d->trap_counts[v]);
        }
        for (unsigned r = 0; r < HV_MAX_EXIT_REASON; r++) {
            if (!d->exit_counts[r])
                continue;
            const char *n = report_exit_reason_name(r);
            fprintf(f, "hv:   exit %-23s %3u %12llu\n", n ? n : "?", r, (unsigned long long)d->exit_counts[r]);
        }
    }
}
