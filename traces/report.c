/* Summarising an event trace into sorted tables, and the plain-text report.
 * Tables are keyed and sorted by number, never by address, so output is stable. */
#include "traces/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "report_priv.h"

void report_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n >= 0 && !buf_reserve(b, (size_t)n + 1)) {
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    va_end(ap);
}

void report_put_json_str(struct buf *b, const char *s)
{
    buf_put_u8(b, '"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            report_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            report_printf(b, "\\u%04x", ch);
        else
            buf_put_u8(b, ch);
    }
    buf_put_u8(b, '"');
}

const char *report_fmt_ratio(char out[REPORT_NUM_LEN], uint64_t num, uint64_t den, unsigned decimals)
{
    unsigned __int128 scale = 1, v;

    for (unsigned i = 0; i < decimals; i++)
        scale *= 10;
    v = den ? ((unsigned __int128)num * scale + den / 2) / den : 0;
    if (decimals)
        snprintf(out, REPORT_NUM_LEN, "%" PRIu64 ".%0*" PRIu64, (uint64_t)(v / scale), (int)decimals,
                 (uint64_t)(v % scale));
    else
        snprintf(out, REPORT_NUM_LEN, "%" PRIu64, (uint64_t)v);
    return out;
}

const char *report_fmt_seconds(char out[REPORT_NUM_LEN], uint64_t ns)
{
    snprintf(out, REPORT_NUM_LEN, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
    return out;
}

/* The row with key in a table sorted by each row's leading uint64_t, added
 * zeroed when missing. NULL when out of memory. */
static void *row_get(void *arrp, size_t *n, size_t *cap, size_t elem, uint64_t key)
{
    uint8_t **arr = arrp, *row;
    size_t lo = 0, hi = *n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint64_t k;
        memcpy(&k, *arr + mid * elem, sizeof k);
        if (k == key)
            return *arr + mid * elem;
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        uint8_t *na = realloc(*arr, nc * elem);
        if (!na)
            return NULL;
        *arr = na;
        *cap = nc;
    }
    row = *arr + lo * elem;
    memmove(row + elem, row, (*n - lo) * elem);
    memset(row, 0, elem);
    memcpy(row, &key, sizeof key);
    (*n)++;
    return row;
}

#define ROW(rep, field, key) row_get(&(rep)->field, &(rep)->n_##field, &(rep)->cap_##field, sizeof *(rep)->field, (key))

static int report_add(struct report *rep, const struct evtrace_reader *r, const struct evtrace_rec *e)
{
    struct report_domain *d = NULL;

    /* Packets are counted per port; every other record belongs to a domain. */
    if (e->type != EVTRACE_PACKET) {
        if (!(d = ROW(rep, domains, e->domain)))
            return HV_ENOMEM;
        if (e->vcpu + 1u > d->vcpus && e->type != EVTRACE_DOMAIN)
            d->vcpus = e->vcpu + 1u;
    }
    switch (e->type) {
    case EVTRACE_INSN:
        if (rep->n_insns == rep->cap_insns) {
            size_t cap = rep->cap_insns ? rep->cap_insns * 2 : 256;
            struct report_insn *n = realloc(rep->insns, cap * sizeof *n);
            if (!n)
                return HV_ENOMEM;
            rep->insns = n;
            rep->cap_insns = cap;
        }
        rep->insns[rep->n_insns++] = (struct report_insn){ e->time, e->b, evtrace_reader_string(r, (uint32_t)e->c) };
        return HV_OK;
    case EVTRACE_RUN:
        d->instructions += e->a;
        d->cpu_ns += e->b;
        return HV_OK;
    case EVTRACE_VMEXIT: {
        struct report_exit *x = ROW(rep, exit_rows, (uint32_t)e->c);
        if (!x)
            return HV_ENOMEM;
        x->count++;
        x->cycles += e->b;
        rep->exits++;
        rep->exit_cycles += e->b;
        d->exits++;
        d->exit_cycles += e->b;
        struct report_dom_exit *dx = ROW(rep, dom_exits, (uint64_t)e->domain << 32 | (uint32_t)e->c);
        if (!dx)
            return HV_ENOMEM;
        dx->count++;
        dx->cycles += e->b;
        return HV_OK;
    }
    case EVTRACE_HYPERCALL: {
        struct report_hypercall *h = ROW(rep, hypercalls, e->c);
        if (!h)
            return HV_ENOMEM;
        h->count++;
        struct report_dom_hypercall *dh = ROW(rep, dom_hypercalls, (uint64_t)e->domain << 32 | (uint32_t)e->c);
        if (!dh)
            return HV_ENOMEM;
        dh->count++;
        d->hypercalls++;
        return HV_OK;
    }
    case EVTRACE_INTERRUPT: {
        struct report_interrupt *i = ROW(rep, interrupts, (uint64_t)e->sub << 8 | (e->c & 0xff));
        if (!i)
            return HV_ENOMEM;
        i->count++;
        i->with_error += (e->flags & EVTRACE_F_ERRCODE) != 0;
        d->interrupts++;
        return HV_OK;
    }
    case EVTRACE_EXCEPTION: {
        struct report_exception *x = ROW(rep, exceptions, e->c);
        if (!x)
            return HV_ENOMEM;
        x->count++;
        d->exceptions++;
        struct report_dom_exception *dx = ROW(rep, dom_exceptions, (uint64_t)e->domain << 32 | (uint32_t)e->c);
        if (!dx)
            return HV_ENOMEM;
        dx->count++;
        return HV_OK;
    }
    case EVTRACE_DOMAIN:
        if (e->sub == EVTRACE_DOM_CREATE)
            d->name = evtrace_reader_string(r, (uint32_t)e->c);
        if (e->sub == EVTRACE_DOM_DESTROY)
            d->destroyed = 1;
        if (e->sub == EVTRACE_DOM_CREATE || e->sub == EVTRACE_DOM_DESTROY || e->sub == EVTRACE_DOM_SHUTDOWN) {
            if (rep->n_dom_events == rep->cap_dom_events) {
                size_t cap = rep->cap_dom_events ? rep->cap_dom_events * 2 : 16;
                struct report_dom_event *n = realloc(rep->dom_events, cap * sizeof *n);
                if (!n)
                    return HV_ENOMEM;
                rep->dom_events = n;
                rep->cap_dom_events = cap;
            }
            rep->dom_events[rep->n_dom_events++] = (struct report_dom_event){ e->time, e->domain, e->sub, e->a };
        }
        return HV_OK;
    case EVTRACE_PACKET: {
        struct report_port *p = ROW(rep, ports, e->c);
        if (!p)
            return HV_ENOMEM;
        p->name = evtrace_reader_string(r, (uint32_t)e->c);
        if (e->sub == EVTRACE_RX) {
            p->rx++;
            p->rx_bytes += e->b;
        } else {
            p->tx++;
            p->tx_bytes += e->b;
        }
        p->drops += (e->flags & EVTRACE_F_DROPPED) != 0;
        return HV_OK;
    }
    default: /* VM entries are counted in no table; the Chrome export shows them */
        return HV_OK;
    }
}

struct report *report_build(const struct evtrace_reader *r, const char *source)
{
    struct report *rep = calloc(1, sizeof *rep);
    const struct evtrace_rec *e = evtrace_reader_records(r);
    size_t n = evtrace_reader_n_records(r);

    if (!rep)
        return NULL;
    rep->source = source;
    rep->hvsim_version = evtrace_reader_info(r)->hvsim_version;
    rep->label = evtrace_reader_info(r)->label;
    rep->freq_hz = evtrace_reader_info(r)->freq_hz;
    rep->n_records = n;
    for (size_t i = 0; i < n; i++) {
        if (e[i].time > rep->t_end)
            rep->t_end = e[i].time;
        if (report_add(rep, r, &e[i])) {
            report_free(rep);
            return NULL;
        }
    }
    return rep;
}

void report_free(struct report *rep)
{
    if (!rep)
        return;
    free(rep->domains);
    free(rep->exit_rows);
    free(rep->hypercalls);
    free(rep->dom_hypercalls);
    free(rep->interrupts);
    free(rep->exceptions);
    free(rep->ports);
    free(rep->insns);
    free(rep->dom_events);
    free(rep->dom_exits);
    free(rep->dom_exceptions);
    free(rep);
}

/* A name column: the known name, or the unknown prefix and number. */
static void text_name(struct buf *b, const char *name, uint64_t num, const char *unknown)
{
    char tmp[40];

    if (!name) {
        snprintf(tmp, sizeof tmp, "%s_%" PRIu64, unknown, num);
        name = tmp;
    }
    report_printf(b, "%-26s", name);
}

static void text_domains(const struct report *rep, struct buf *b)
{
    char s[REPORT_NUM_LEN];

    report_printf(b, "Domains\n%6s  %-16s %5s %16s %14s %10s %10s %10s %10s\n", "id", "name", "vcpus",
                  "instructions", "cpu time (s)", "exits", "hypercalls", "interrupts", "exceptions");
    for (size_t i = 0; i < rep->n_domains; i++) {
        const struct report_domain *d = &rep->domains[i];
        report_printf(b, "%6" PRIu64 "  %-16s %5" PRIu64 " %16" PRIu64 " %14s %10" PRIu64 " %10" PRIu64
                         " %10" PRIu64 " %10" PRIu64 "%s\n",
                      d->id, d->name ? d->name : "?", d->vcpus, d->instructions, report_fmt_seconds(s, d->cpu_ns),
                      d->exits, d->hypercalls, d->interrupts, d->exceptions, d->destroyed ? "  (destroyed)" : "");
    }
}

static void text_exits(const struct report *rep, struct buf *b)
{
    char share[REPORT_NUM_LEN];

    report_printf(b, "\nVM exits: %" PRIu64 ", modelled cycles %" PRIu64 "\n", rep->exits, rep->exit_cycles);
    report_printf(b, "%6s  %-26s %10s %8s %14s %10s\n", "reason", "name", "count", "share %", "cycles", "avg");
    for (size_t i = 0; i < rep->n_exit_rows; i++) {
        const struct report_exit *x = &rep->exit_rows[i];
        report_printf(b, "%6" PRIu64 "  ", x->reason & 0xffff);
        text_name(b, x->reason >> 31 ? "(failed VM entry)" : report_exit_reason_name((uint32_t)x->reason),
                  x->reason & 0xffff, "REASON");
        report_printf(b, " %10" PRIu64 " %8s %14" PRIu64 " %10" PRIu64 "\n", x->count,
                      report_fmt_ratio(share, x->count * 100, rep->exits, 2), x->cycles,
                      x->count ? x->cycles / x->count : 0);
    }
}

static const char *domain_name(const struct report *rep, uint64_t id)
{
    for (size_t i = 0; i < rep->n_domains; i++)
        if (rep->domains[i].id == id)
            return rep->domains[i].name ? rep->domains[i].name : "?";
    return "?";
}

/* Hypercalls per domain, when a hypervisor-aware run named the caller (hv/). */
static void text_dom_hypercalls(const struct report *rep, struct buf *b)
{
    report_printf(b, "\nHypercalls by domain\n%6s  %-16s %6s  %-26s %10s\n", "id", "domain", "nr", "name", "count");
    for (size_t i = 0; i < rep->n_dom_hypercalls; i++) {
        const struct report_dom_hypercall *x = &rep->dom_hypercalls[i];
        report_printf(b, "%6" PRIu64 "  %-16s %6" PRIu64 "  ", x->key >> 32, domain_name(rep, x->key >> 32),
                      x->key & 0xffffffffu);
        text_name(b, report_hypercall_name((uint32_t)x->key), x->key & 0xffffffffu, "hypercall");
        report_printf(b, " %10" PRIu64 "\n", x->count);
    }
}

/* VM exits and exceptions per domain, when a hypervisor-aware run charged
 * them to guest domains (hv/: HVM domains' exits, PV domains' traps). */
static void text_dom_exits(const struct report *rep, struct buf *b)
{
    report_printf(b, "\nVM exits by domain\n%6s  %-16s %6s  %-26s %10s %14s\n", "id", "domain", "reason", "name",
                  "count", "cycles");
    for (size_t i = 0; i < rep->n_dom_exits; i++) {
        const struct report_dom_exit *x = &rep->dom_exits[i];
        uint32_t reason = (uint32_t)x->key;
        report_printf(b, "%6" PRIu64 "  %-16s %6u  ", x->key >> 32, domain_name(rep, x->key >> 32), reason & 0xffff);
        text_name(b, reason >> 31 ? "(failed VM entry)" : report_exit_reason_name(reason), reason & 0xffff, "REASON");
        report_printf(b, " %10" PRIu64 " %14" PRIu64 "\n", x->count, x->cycles);
    }
    report_printf(b, "\nExceptions by domain\n%6s  %-16s %6s  %-26s %10s\n", "id", "domain", "vector", "name", "count");
    for (size_t i = 0; i < rep->n_dom_exceptions; i++) {
        const struct report_dom_exception *x = &rep->dom_exceptions[i];
        report_printf(b, "%6" PRIu64 "  %-16s %6" PRIu64 "  ", x->key >> 32, domain_name(rep, x->key >> 32),
                      x->key & 0xffffffffu);
        text_name(b, report_exception_name((uint32_t)x->key), x->key & 0xffffffffu, "vector");
        report_printf(b, " %10" PRIu64 "\n", x->count);
    }
}

/* Domains created, shut down and destroyed, in time order (a stable sort of
 * the trace's order: the hypervisor layer may write an event after its time). */
static void text_dom_events(const struct report *rep, struct buf *b)
{
    char s[REPORT_NUM_LEN];
    size_t n = rep->n_dom_events, *order = n ? malloc(n * sizeof *order) : NULL;

    if (n && !order) {
        b->err = HV_ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++) { /* insertion sort: a few events per domain */
        size_t j = i;
        while (j && rep->dom_events[order[j - 1]].time > rep->dom_events[i].time) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    report_printf(b, "\nDomain events\n%-14s %6s  %-16s %-10s %s\n", "time (s)", "id", "domain", "event", "reason");
    for (size_t i = 0; i < n; i++) {
        const struct report_dom_event *e = &rep->dom_events[order[i]];
        const char *op = report_domain_op_name(e->op), *why = report_shutdown_reason_name(e->reason);
        report_printf(b, "%-14s %6" PRIu64 "  %-16s %s", report_fmt_seconds(s, e->time), e->domain,
                      domain_name(rep, e->domain), op ? op : "?");
        if (e->op == EVTRACE_DOM_SHUTDOWN) {
            if (why)
                report_printf(b, "%*s%s", 11 - (int)strlen(op), "", why);
            else
                report_printf(b, "%*sreason_%" PRIu64, 11 - (int)strlen(op), "", e->reason);
        }
        report_printf(b, "\n");
    }
    free(order);
}

int report_write_text(const struct report *rep, struct buf *b)
{
    char s[REPORT_NUM_LEN];

    report_printf(b, "hvsim report: %s\n", rep->source ? rep->source : "-");
    report_printf(b, "recorded by %s (%s), %" PRIu64 " Hz, %" PRIu64 " records, last at t=%s s\n\n",
                  rep->hvsim_version, rep->label, rep->freq_hz, rep->n_records, report_fmt_seconds(s, rep->t_end));
    text_domains(rep, b);
    text_exits(rep, b);

    report_printf(b, "\nHypercalls (Xen numbering)\n%6s  %-26s %10s\n", "nr", "name", "count");
    for (size_t i = 0; i < rep->n_hypercalls; i++) {
        report_printf(b, "%6" PRIu64 "  ", rep->hypercalls[i].nr);
        text_name(b, report_hypercall_name((uint32_t)rep->hypercalls[i].nr), rep->hypercalls[i].nr, "hypercall");
        report_printf(b, " %10" PRIu64 "\n", rep->hypercalls[i].count);
    }

    text_dom_hypercalls(rep, b);
    text_dom_exits(rep, b);
    text_dom_events(rep, b);

    report_printf(b, "\nInterrupts injected\n%6s  %-26s %10s %10s\n", "vector", "type", "count", "error code");
    for (size_t i = 0; i < rep->n_interrupts; i++) {
        const struct report_interrupt *x = &rep->interrupts[i];
        report_printf(b, "  0x%02" PRIx64 "  ", x->key & 0xff);
        text_name(b, report_interruption_type_name((uint32_t)(x->key >> 8)), x->key >> 8, "type");
        report_printf(b, " %10" PRIu64 " %10" PRIu64 "\n", x->count, x->with_error);
    }

    report_printf(b, "\nExceptions\n%6s  %-26s %10s\n", "vector", "name", "count");
    for (size_t i = 0; i < rep->n_exceptions; i++) {
        report_printf(b, "%6" PRIu64 "  ", rep->exceptions[i].vector);
        text_name(b, report_exception_name((uint32_t)rep->exceptions[i].vector), rep->exceptions[i].vector,
                  "vector");
        report_printf(b, " %10" PRIu64 "\n", rep->exceptions[i].count);
    }

    report_printf(b, "\nPackets\n%-16s %10s %12s %10s %12s %10s\n", "port", "rx", "rx bytes", "tx", "tx bytes",
                  "dropped");
    for (size_t i = 0; i < rep->n_ports; i++) {
        const struct report_port *p = &rep->ports[i];
        report_printf(b, "%-16s %10" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12" PRIu64 " %10" PRIu64 "\n",
                      p->name ? p->name : "?", p->rx, p->rx_bytes, p->tx, p->tx_bytes, p->drops);
    }
    if (rep->n_insns) {
        report_printf(b, "\nInstruction trace (%zu instructions)\n%-14s %-18s %s\n", rep->n_insns, "time (s)", "rip",
                      "instruction");
        for (size_t i = 0; i < rep->n_insns; i++)
            report_printf(b, "%-14s 0x%016" PRIx64 " %s\n", report_fmt_seconds(s, rep->insns[i].time),
                          rep->insns[i].rip, rep->insns[i].text ? rep->insns[i].text : "?");
    }
    return b->err;
}
