/* Hypercalls from CPU events (docs/hv.md "Hypercalls"):
 *  - 64-bit PV: SYSCALL from the guest kernel (ring 3, upper-half RIP) with RAX
 *    the number; a SYSCALL from a lower-half RIP is the guest's user space.
 *  - 32-bit PV: INT 0x82 with EAX the number.
 *  - HVM/PVH: a VMCALL exit (basic reason 18) with RAX the number.
 * The domain: for PV, the frame in the per-domain slot of the guest's top-level
 * page table; for HVM, the VMCS. Everything here reads; nothing writes the guest. */
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "arch/vmx.h"
#include "base/log.h"
#include "cpu/cpu.h"
#include "vmx/vmx.h"
#include "hv/hv.h"
#include "traces/report.h"

#define PA_MASK 0x000ffffffffff000ull

struct hv {
    struct hv_ident id;
    struct cpu *cpu;
    const uint8_t *ram;
    uint64_t ram_size;
    struct evtrace *trace;
    unsigned n_domains, n_pv, n_hvm;
    struct hv_domain doms[HV_MAX_DOMAINS];
    struct hv_domain overflow; /* calls of domains beyond HV_MAX_DOMAINS */
    char *console_dir;         /* NULL: no console files */
};

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

/* 4-level paging walk (SDM vol. 3A 4.5) of a PV guest's address in its own page
 * tables, which hold machine addresses (hvsim's guest-physical): 1 and *pa, or 0
 * when not present or outside RAM. Reads only. */
static int walk(const struct hv *h, uint64_t cr3, uint64_t va, uint64_t *pa)
{
    uint64_t table = cr3 & PA_MASK;
    for (int level = 3; level >= 0; level--) {
        uint64_t at = table + ((va >> (12 + 9 * level)) & 511) * 8, e;
        if (at > h->ram_size - 8)
            return 0;
        memcpy(&e, h->ram + at, 8);
        if (!(e & 1))
            return 0;
        if (level == 0 || (level <= 2 && (e & 0x80))) { /* a 4 KiB, 2 MiB or 1 GiB page */
            uint64_t size = 1ull << (12 + 9 * level);
            *pa = (e & PA_MASK & ~(size - 1)) + (va & (size - 1));
            return *pa < h->ram_size;
        }
        table = e & PA_MASK;
    }
    return 0;
}

/* CONSOLEIO_write(len, buf): the domain's bytes into its console file. */
static void console_write(struct hv *h, struct hv_domain *d, uint64_t len, uint64_t va)
{
    uint8_t buf[4096];
    uint64_t cr3 = cpu_reg_read(h->cpu, UC_X86_REG_CR3);
    if (len > 65536) /* Xen takes at most what fits; more is a guest mistake */
        len = 65536;
    while (len) {
        uint64_t pa, n = 4096 - (va & 4095);
        if (n > len)
            n = len;
        if (!walk(h, cr3, va, &pa) || pa + n > h->ram_size)
            return;
        memcpy(buf, h->ram + pa, n);
        d->console_bytes += n;
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
        va += n;
        len -= n;
    }
}

void hv_rebind(struct hv *h, struct cpu *cpu, const uint8_t *ram, uint64_t ram_size)
{
    h->cpu = cpu;
    h->ram = ram;
    h->ram_size = ram_size;
}

static void trace_domain(struct hv *h, const struct hv_domain *d)
{
    char name[48];
    snprintf(name, sizeof name, "%s:%s", h->id.profile->name, d->name);
    evtrace_domain(h->trace, d->first_seen, d->trace_id, EVTRACE_DOM_CREATE, evtrace_string(h->trace, name));
}

void hv_set_trace(struct hv *h, struct evtrace *t)
{
    h->trace = t;
    for (unsigned i = 0; t && i < h->n_domains; i++)
        trace_domain(h, &h->doms[i]);
}

/* The domain of this key, made when first seen. The first PV domain to call is
 * the one the hypervisor started itself: Domain-0. */
static struct hv_domain *domain_of(struct hv *h, enum hv_dom_kind kind, uint64_t key)
{
    for (unsigned i = 0; i < h->n_domains; i++)
        if (h->doms[i].key == key && h->doms[i].kind == kind)
            return &h->doms[i];
    if (h->n_domains == HV_MAX_DOMAINS)
        return &h->overflow;
    struct hv_domain *d = &h->doms[h->n_domains];
    d->kind = kind;
    d->key = key;
    d->trace_id = (uint16_t)(1 + h->n_domains); /* trace domain 0 is the bare machine */
    d->first_seen = cpu_now(h->cpu);
    if (kind == HV_DOM_PV && h->n_pv++ == 0)
        snprintf(d->name, sizeof d->name, "dom0");
    else if (kind == HV_DOM_PV)
        snprintf(d->name, sizeof d->name, "pv%u", h->n_pv - 1);
    else
        snprintf(d->name, sizeof d->name, "hvm%u", ++h->n_hvm);
    h->n_domains++;
    if (h->trace)
        trace_domain(h, d);
    log_info("hv: %s domain '%s' first seen at t=%.9f s (%s 0x%llx)", h->id.profile->name, d->name,
             (double)d->first_seen / 1e9, kind == HV_DOM_PV ? "per-domain L4 slot frame" : "VMCS",
             (unsigned long long)key);
    return d;
}

/* The per-domain slot of the running page table: CR3's frame + slot * 8. */
static uint64_t pv_domain_key(struct hv *h)
{
    int slot = h->id.profile->pv_domain_l4_slot;
    uint64_t pa = (cpu_reg_read(h->cpu, UC_X86_REG_CR3) & PA_MASK) + (uint64_t)slot * 8;
    uint64_t e = 0;
    if (slot < 0 || pa > h->ram_size - 8)
        return 0;
    memcpy(&e, h->ram + pa, 8);
    return e & PA_MASK;
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

void hv_on_event(void *opaque, int kind, int vector, uint32_t error_code, uint64_t rip)
{
    struct hv *h = opaque;
    (void)error_code;
    switch (kind) {
    case 4: { /* SYSCALL, registers still the caller's */
        /* From the guest kernel's upper half only, and from the root engine: a
         * VMX guest's SYSCALL comes here too, while the root's RIP is elsewhere. */
        if (!(rip >> 63) || cpu_reg_read(h->cpu, UC_X86_REG_RIP) != rip)
            return;
        struct hv_domain *d = domain_of(h, HV_DOM_PV, pv_domain_key(h));
        uint64_t nr = cpu_reg_read(h->cpu, UC_X86_REG_RAX), cmd = cpu_reg_read(h->cpu, UC_X86_REG_RDI);
        hypercall(h, d, nr, cmd);
        if ((int64_t)nr == h->id.profile->console_hypercall && (int32_t)cmd == h->id.profile->console_write_cmd)
            console_write(h, d, (uint32_t)cpu_reg_read(h->cpu, UC_X86_REG_RSI), cpu_reg_read(h->cpu, UC_X86_REG_RDX));
        return;
    }
    case 1: /* INT n, delivered: RAX and CR3 are still the caller's */
        if (!h->id.profile->pv_int_vector || vector != h->id.profile->pv_int_vector)
            return;
        hypercall(h, domain_of(h, HV_DOM_PV, pv_domain_key(h)), cpu_reg_read(h->cpu, UC_X86_REG_RAX) & 0xffffffffu,
                  cpu_reg_read(h->cpu, UC_X86_REG_RBX) & 0xffffffffu);
        return;
    case 3: { /* VM exit: the guest's GPRs are in the root's registers now */
        struct hv_domain *d = domain_of(h, HV_DOM_HVM, cpu_vmx_current_vmcs(h->cpu));
        unsigned reason = (unsigned)vector & 0xffff;
        d->vmexits++;
        if (reason < HV_MAX_EXIT_REASON)
            d->exit_counts[reason]++;
        if (reason == EXIT_REASON_VMCALL)
            hypercall(h, d, cpu_reg_read(h->cpu, UC_X86_REG_RAX), cpu_reg_read(h->cpu, UC_X86_REG_RDI));
        return;
    }
    default:
        return;
    }
}

unsigned hv_domain_count(const struct hv *h) { return h->n_domains; }
const struct hv_domain *hv_domain(const struct hv *h, unsigned i) { return i < h->n_domains ? &h->doms[i] : NULL; }

void hv_write_summary(const struct hv *h, FILE *f)
{
    fprintf(f, "hv: %s %s: %u domain(s) seen\n", h->id.profile->name, h->id.version, h->n_domains);
    for (unsigned i = 0; i <= h->n_domains; i++) {
        const struct hv_domain *d = i < h->n_domains ? &h->doms[i] : &h->overflow;
        if (i == h->n_domains && !d->hypercalls)
            break;
        fprintf(f, "hv: domain %s (%s): %llu hypercalls", d->name, d->kind == HV_DOM_PV ? "PV" : "HVM",
                (unsigned long long)d->hypercalls);
        if (d->kind == HV_DOM_HVM)
            fprintf(f, ", %llu VM exits", (unsigned long long)d->vmexits);
        if (d->console_bytes)
            fprintf(f, ", %llu console bytes", (unsigned long long)d->console_bytes);
        fputc('\n', f);
        for (unsigned nr = 0; nr < HV_MAX_HYPERCALL; nr++) {
            if (!d->counts[nr])
                continue;
            const char *n = hv_hypercall_name(h->id.profile, nr);
            fprintf(f, "hv:   %-28s %3u %12llu\n", n ? n : "?", nr, (unsigned long long)d->counts[nr]);
        }
        if (d->other)
            fprintf(f, "hv:   %-28s %3s %12llu\n", "(number >= 64)", "-", (unsigned long long)d->other);
        for (unsigned r = 0; r < HV_MAX_EXIT_REASON; r++) {
            if (!d->exit_counts[r])
                continue;
            const char *n = report_exit_reason_name(r);
            fprintf(f, "hv:   exit %-23s %3u %12llu\n", n ? n : "?", r, (unsigned long long)d->exit_counts[r]);
        }
    }
}
