/* Export to the Chrome trace-event JSON format ("Trace Event Format", Google
 * doc 1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU), as Perfetto loads it:
 * ts and dur in microseconds, pid = domain + 1, tid = vCPU + 1 (Perfetto treats
 * pid 0 as the kernel's idle task: google/perfetto issue 394). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "report_priv.h"
#include "traces/report.h"

#define CHROME_NET_PID 65536 /* packets, one thread per port; above every domain's pid */

/* Nanoseconds as microseconds with 3 exact decimals. */
static const char *fmt_us(char out[REPORT_NUM_LEN], uint64_t ns)
{
    return report_fmt_ratio(out, ns, 1000, 3);
}

static void meta(struct buf *b, const char *what, unsigned pid, unsigned tid, const char *name, const char *suffix)
{
    report_printf(b, "\n{\"name\": \"%s\", \"ph\": \"M\", \"pid\": %u, \"tid\": %u, \"args\": {\"name\": ", what,
                  pid, tid);
    if (suffix) {
        struct buf tmp;
        buf_init(&tmp);
        report_printf(&tmp, "%s%s", name ? name : "?", suffix);
        buf_put_u8(&tmp, 0);
        report_put_json_str(b, tmp.err ? "?" : (const char *)tmp.data);
        buf_free(&tmp);
    } else {
        report_put_json_str(b, name);
    }
    report_printf(b, "}},");
}

static void metadata(const struct report *rep, struct buf *b)
{
    char tmp[40];

    if (rep->n_ports)
        meta(b, "process_name", CHROME_NET_PID, 0, "network", NULL);
    for (size_t i = 0; i < rep->n_ports; i++)
        meta(b, "thread_name", CHROME_NET_PID, (unsigned)rep->ports[i].port + 1, rep->ports[i].name, NULL);
    for (size_t i = 0; i < rep->n_domains; i++) {
        const struct report_domain *d = &rep->domains[i];
        snprintf(tmp, sizeof tmp, " (domain %" PRIu64 ")", d->id);
        meta(b, "process_name", (unsigned)d->id + 1, 0, d->name, tmp);
        for (uint64_t v = 0; v < d->vcpus; v++) {
            snprintf(tmp, sizeof tmp, "vcpu%" PRIu64, v);
            meta(b, "thread_name", (unsigned)d->id + 1, (unsigned)v + 1, tmp, NULL);
        }
    }
}

/* name, or "prefix N" in tmp when the number has no name. */
static const char *name_or(const char *name, char tmp[40], const char *prefix, uint64_t v)
{
    if (name)
        return name;
    snprintf(tmp, 40, "%s %" PRIu64, prefix, v);
    return tmp;
}

/* Events are written as "\n{...}," and the last comma is dropped at the end. */

/* The start of an event: name, category, phase and time. */
static void ev_begin(struct buf *b, const char *name, const char *cat, char ph, uint64_t ns)
{
    char us[REPORT_NUM_LEN];

    report_printf(b, "\n{\"name\": ");
    report_put_json_str(b, name);
    report_printf(b, ", \"cat\": \"%s\", \"ph\": \"%c\", \"ts\": %s", cat, ph, fmt_us(us, ns));
}

static void event(const struct evtrace_reader *r, const struct evtrace_rec *e, struct buf *b)
{
    const char *name;
    char us[REPORT_NUM_LEN], tmp[40];
    uint64_t freq = evtrace_reader_info(r)->freq_hz;
    unsigned pid = e->domain + 1u, tid = e->vcpu + 1u;

    switch (e->type) {
    case EVTRACE_RUN:
        ev_begin(b, "run", "cpu", 'X', e->time - (e->b < e->time ? e->b : e->time));
        report_printf(b, ", \"dur\": %s, \"args\": {\"instructions\": %" PRIu64 "}", fmt_us(us, e->b), e->a);
        break;
    case EVTRACE_VMEXIT:
        name = name_or(e->c >> 31 ? NULL : report_exit_reason_name((uint32_t)e->c), tmp, "exit", e->c);
        ev_begin(b, name, "vmexit", 'X', e->time);
        report_printf(b, ", \"dur\": %s, \"args\": {\"reason\": %" PRIu64 ", \"qualification\": \"0x%" PRIx64
                         "\", \"cycles\": %" PRIu64 "}",
                      fmt_us(us, freq ? vtime_from_cycles(e->b, freq) : 0), e->c, e->a, e->b);
        break;
    case EVTRACE_VMENTRY:
        ev_begin(b, "vmentry", "vmentry", 'i', e->time);
        report_printf(b, ", \"s\": \"t\", \"args\": {\"interruption_info\": \"0x%" PRIx64 "\"}", e->a);
        break;
    case EVTRACE_HYPERCALL:
        name = name_or(report_hypercall_name((uint32_t)e->c), tmp, "hypercall", e->c);
        ev_begin(b, name, "hypercall", 'i', e->time);
        report_printf(b, ", \"s\": \"t\", \"args\": {\"nr\": %" PRIu64 ", \"arg0\": \"0x%" PRIx64 "\"}", e->c, e->a);
        break;
    case EVTRACE_INTERRUPT:
        snprintf(tmp, sizeof tmp, "inject 0x%02" PRIx64, e->c);
        ev_begin(b, tmp, "interrupt", 'i', e->time);
        report_printf(b, ", \"s\": \"t\", \"args\": {\"vector\": %" PRIu64 ", \"type\": %u}", e->c, e->sub);
        break;
    case EVTRACE_EXCEPTION:
        name = name_or(report_exception_name((uint32_t)e->c), tmp, "vector", e->c);
        ev_begin(b, name, "exception", 'i', e->time);
        report_printf(b, ", \"s\": \"t\", \"args\": {\"error_code\": \"0x%" PRIx64 "\", \"rip\": \"0x%" PRIx64 "\"}",
                      e->a, e->b);
        break;
    case EVTRACE_DOMAIN:
        name = report_domain_op_name(e->sub);
        ev_begin(b, name ? name : "domain op", "domain", 'i', e->time);
        report_printf(b, ", \"s\": \"p\", \"args\": {\"name\": ");
        report_put_json_str(b, evtrace_reader_string(r, (uint32_t)e->c));
        if (e->sub == EVTRACE_DOM_SHUTDOWN) {
            report_printf(b, ", \"reason\": ");
            report_put_json_str(b, name_or(report_shutdown_reason_name(e->a), tmp, "reason", e->a));
        }
        report_printf(b, "}");
        break;
    case EVTRACE_PACKET:
        ev_begin(b, e->flags & EVTRACE_F_DROPPED ? "drop" : e->sub == EVTRACE_RX ? "rx" : "tx", "packet", 'i', e->time);
        report_printf(b, ", \"s\": \"t\", \"args\": {\"len\": %" PRIu64 ", \"dir\": \"%s\", \"domain\": %u}",
                      e->b, e->sub == EVTRACE_RX ? "rx" : "tx", e->domain);
        pid = CHROME_NET_PID;
        tid = (unsigned)e->c + 1;
        break;
    default:
        return;
    }
    report_printf(b, ", \"pid\": %u, \"tid\": %u},", pid, tid);
}

int report_write_chrome(const struct evtrace_reader *r, struct buf *b)
{
    struct report *rep = report_build(r, NULL);
    const struct evtrace_rec *e = evtrace_reader_records(r);

    if (!rep)
        return HV_ENOMEM;
    report_printf(b, "{\"displayTimeUnit\": \"ns\",\n\"otherData\": {\"hvsim_version\": ");
    report_put_json_str(b, rep->hvsim_version);
    report_printf(b, ", \"label\": ");
    report_put_json_str(b, rep->label);
    report_printf(b, "},\n\"traceEvents\": [");
    metadata(rep, b);
    for (size_t i = 0; i < evtrace_reader_n_records(r); i++)
        event(r, &e[i], b);
    /* Every event ends in a comma; JSON allows none after the last. */
    if (b->len && b->data[b->len - 1] == ',')
        b->len--;
    report_printf(b, "\n]}\n");
    report_free(rep);
    return b->err;
}
