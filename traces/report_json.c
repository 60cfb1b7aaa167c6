/* The report as JSON (docs/traces.md, "Report"): fixed key order, integers for
 * counts, exact fixed-point decimals for shares, so equal traces give equal bytes. */
#include <inttypes.h>

#include "report_priv.h"
#include "traces/report.h"

static void json_name_or_null(struct buf *b, const char *name)
{
    if (name)
        report_put_json_str(b, name);
    else
        report_printf(b, "null");
}

static void json_domains(const struct report *rep, struct buf *b)
{
    char s[REPORT_NUM_LEN];

    report_printf(b, "  \"domains\": [");
    for (size_t i = 0; i < rep->n_domains; i++) {
        const struct report_domain *d = &rep->domains[i];
        report_printf(b, "%s\n    {\"id\": %" PRIu64 ", \"name\": ", i ? "," : "", d->id);
        json_name_or_null(b, d->name);
        report_printf(b,
                      ", \"vcpus\": %" PRIu64 ", \"instructions\": %" PRIu64 ", \"cpu_ns\": %" PRIu64
                      ", \"cpu_s\": %s, \"exits\": %" PRIu64 ", \"exit_cycles\": %" PRIu64
                      ", \"hypercalls\": %" PRIu64 ", \"interrupts\": %" PRIu64 ", \"exceptions\": %" PRIu64
                      ", \"destroyed\": %s}",
                      d->vcpus, d->instructions, d->cpu_ns, report_fmt_seconds(s, d->cpu_ns), d->exits,
                      d->exit_cycles, d->hypercalls, d->interrupts, d->exceptions, d->destroyed ? "true" : "false");
    }
    report_printf(b, "%s],\n", rep->n_domains ? "\n  " : "");
}

static void json_exits(const struct report *rep, struct buf *b)
{
    char s[REPORT_NUM_LEN];

    report_printf(b, "  \"vm_exits\": {\"total\": %" PRIu64 ", \"cycles\": %" PRIu64 ", \"by_reason\": [", rep->exits,
                  rep->exit_cycles);
    for (size_t i = 0; i < rep->n_exit_rows; i++) {
        const struct report_exit *x = &rep->exit_rows[i];
        report_printf(b, "%s\n    {\"reason\": %" PRIu64 ", \"name\": ", i ? "," : "", x->reason & 0xffff);
        json_name_or_null(b, report_exit_reason_name((uint32_t)x->reason));
        report_printf(b,
                      ", \"entry_failure\": %s, \"count\": %" PRIu64 ", \"share_pct\": %s, \"cycles\": %" PRIu64
                      "}",
                      x->reason >> 31 ? "true" : "false", x->count, report_fmt_ratio(s, x->count * 100, rep->exits, 2),
                      x->cycles);
    }
    report_printf(b, "%s]},\n", rep->n_exit_rows ? "\n  " : "");
}

static void json_events(const struct report *rep, struct buf *b)
{
    report_printf(b, "  \"hypercalls\": [");
    for (size_t i = 0; i < rep->n_hypercalls; i++) {
        report_printf(b, "%s\n    {\"nr\": %" PRIu64 ", \"name\": ", i ? "," : "", rep->hypercalls[i].nr);
        json_name_or_null(b, report_hypercall_name((uint32_t)rep->hypercalls[i].nr));
        report_printf(b, ", \"count\": %" PRIu64 "}", rep->hypercalls[i].count);
    }
    report_printf(b, "%s],\n  \"hypercalls_by_domain\": [", rep->n_hypercalls ? "\n  " : "");
    for (size_t i = 0; i < rep->n_dom_hypercalls; i++) {
        const struct report_dom_hypercall *x = &rep->dom_hypercalls[i];
        report_printf(b, "%s\n    {\"domain\": %" PRIu64 ", \"nr\": %" PRIu64 ", \"name\": ", i ? "," : "",
                      x->key >> 32, x->key & 0xffffffffu);
        json_name_or_null(b, report_hypercall_name((uint32_t)x->key));
        report_printf(b, ", \"count\": %" PRIu64 "}", x->count);
    }
    report_printf(b, "%s],\n  \"interrupts\": [", rep->n_dom_hypercalls ? "\n  " : "");
    for (size_t i = 0; i < rep->n_interrupts; i++) {
        const struct report_interrupt *x = &rep->interrupts[i];
        report_printf(b, "%s\n    {\"vector\": %" PRIu64 ", \"type\": %" PRIu64 ", \"type_name\": ", i ? "," : "",
                      x->key & 0xff, x->key >> 8);
        json_name_or_null(b, report_interruption_type_name((uint32_t)(x->key >> 8)));
        report_printf(b, ", \"count\": %" PRIu64 ", \"with_error_code\": %" PRIu64 "}", x->count, x->with_error);
    }
    report_printf(b, "%s],\n  \"exceptions\": [", rep->n_interrupts ? "\n  " : "");
    for (size_t i = 0; i < rep->n_exceptions; i++) {
        report_printf(b, "%s\n    {\"vector\": %" PRIu64 ", \"name\": ", i ? "," : "", rep->exceptions[i].vector);
        json_name_or_null(b, report_exception_name((uint32_t)rep->exceptions[i].vector));
        report_printf(b, ", \"count\": %" PRIu64 "}", rep->exceptions[i].count);
    }
    report_printf(b, "%s],\n  \"vm_exits_by_domain\": [", rep->n_exceptions ? "\n  " : "");
    for (size_t i = 0; i < rep->n_dom_exits; i++) {
        const struct report_dom_exit *x = &rep->dom_exits[i];
        uint32_t reason = (uint32_t)x->key;
        report_printf(b, "%s\n    {\"domain\": %" PRIu64 ", \"reason\": %u, \"name\": ", i ? "," : "", x->key >> 32,
                      reason & 0xffff);
        json_name_or_null(b, reason >> 31 ? NULL : report_exit_reason_name(reason));
        report_printf(b, ", \"entry_failure\": %s, \"count\": %" PRIu64 ", \"cycles\": %" PRIu64 "}",
                      reason >> 31 ? "true" : "false", x->count, x->cycles);
    }
    report_printf(b, "%s],\n  \"exceptions_by_domain\": [", rep->n_dom_exits ? "\n  " : "");
    for (size_t i = 0; i < rep->n_dom_exceptions; i++) {
        const struct report_dom_exception *x = &rep->dom_exceptions[i];
        report_printf(b, "%s\n    {\"domain\": %" PRIu64 ", \"vector\": %" PRIu64 ", \"name\": ", i ? "," : "",
                      x->key >> 32, x->key & 0xffffffffu);
        json_name_or_null(b, report_exception_name((uint32_t)x->key));
        report_printf(b, ", \"count\": %" PRIu64 "}", x->count);
    }
    report_printf(b, "%s],\n  \"domain_events\": [", rep->n_dom_exceptions ? "\n  " : "");
    for (size_t i = 0; i < rep->n_dom_events; i++) { /* in trace order; time_ns says when */
        const struct report_dom_event *e = &rep->dom_events[i];
        report_printf(b, "%s\n    {\"time_ns\": %" PRIu64 ", \"domain\": %" PRIu64 ", \"event\": ", i ? "," : "",
                      (uint64_t)e->time, e->domain);
        json_name_or_null(b, report_domain_op_name(e->op));
        report_printf(b, ", \"reason\": ");
        json_name_or_null(b, e->op == EVTRACE_DOM_SHUTDOWN ? report_shutdown_reason_name(e->reason) : NULL);
        report_printf(b, "}");
    }
    report_printf(b, "%s],\n  \"ports\": [", rep->n_dom_events ? "\n  " : "");
    for (size_t i = 0; i < rep->n_ports; i++) {
        const struct report_port *p = &rep->ports[i];
        report_printf(b, "%s\n    {\"port\": ", i ? "," : "");
        json_name_or_null(b, p->name);
        report_printf(b,
                      ", \"rx\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 ", \"tx\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
                      ", \"dropped\": %" PRIu64 "}",
                      p->rx, p->rx_bytes, p->tx, p->tx_bytes, p->drops);
    }
    report_printf(b, "%s]\n", rep->n_ports ? "\n  " : "");
}

static void json_insns(const struct report *rep, struct buf *b)
{
    if (!rep->n_insns)
        return;
    /* json_events closed its array with a newline: reopen the object's list. */
    b->len -= 1;
    report_printf(b, ",\n  \"instructions\": [");
    for (size_t i = 0; i < rep->n_insns; i++) {
        report_printf(b, "%s\n    {\"time_ns\": %" PRIu64 ", \"rip\": %" PRIu64 ", \"text\": ", i ? "," : "",
                      rep->insns[i].time, rep->insns[i].rip);
        json_name_or_null(b, rep->insns[i].text);
        report_printf(b, "}");
    }
    report_printf(b, "\n  ]\n");
}

int report_write_json(const struct report *rep, struct buf *b)
{
    report_printf(b, "{\n  \"format\": \"hvsim-report\",\n  \"version\": 1,\n  \"source\": ");
    json_name_or_null(b, rep->source);
    report_printf(b, ",\n  \"trace\": {\"hvsim_version\": ");
    json_name_or_null(b, rep->hvsim_version);
    report_printf(b, ", \"label\": ");
    json_name_or_null(b, rep->label);
    report_printf(b, ", \"freq_hz\": %" PRIu64 ", \"records\": %" PRIu64 ", \"end_ns\": %" PRIu64 "},\n",
                  rep->freq_hz, rep->n_records, rep->t_end);
    json_domains(rep, b);
    json_exits(rep, b);
    json_events(rep, b);
    json_insns(rep, b);
    report_printf(b, "}\n");
    return b->err;
}
