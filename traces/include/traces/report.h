/* Reports from an event trace: per-domain instructions and CPU time, VM exits by
 * reason (SDM names), hypercalls, interrupts, exceptions, packets per port; as
 * text, JSON, Chrome trace-event JSON (Perfetto) and SVG plots. */
#ifndef TRACES_REPORT_H
#define TRACES_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/vtime.h"
#include "traces/evtrace.h"

/* Each row type starts with its uint64_t sort key; rows are sorted by it. */
struct report_domain {
    uint64_t id;
    const char *name; /* from its create record, or NULL */
    uint64_t instructions, cpu_ns, vcpus;
    uint64_t exits, exit_cycles, hypercalls, interrupts, exceptions;
    int destroyed;
};

struct report_exit {
    uint64_t reason; /* the whole exit-reason field: bit 31 marks a failed entry */
    uint64_t count, cycles;
};

struct report_hypercall {
    uint64_t nr;
    uint64_t count;
};

/* One domain's calls of one hypercall. */
struct report_dom_hypercall {
    uint64_t key; /* domain << 32 | nr */
    uint64_t count;
};

/* One domain's VM exits of one reason; one domain's exceptions of one vector. */
struct report_dom_exit {
    uint64_t key; /* domain << 32 | the exit-reason field */
    uint64_t count, cycles;
};
struct report_dom_exception {
    uint64_t key; /* domain << 32 | vector */
    uint64_t count;
};

struct report_interrupt {
    uint64_t key; /* interruption type << 8 | vector */
    uint64_t count, with_error;
};

struct report_exception {
    uint64_t vector;
    uint64_t count;
};

struct report_port {
    uint64_t port; /* string index of the name */
    const char *name;
    uint64_t rx, rx_bytes, tx, tx_bytes, drops;
};

/* A domain's lifecycle event (created, shut down, destroyed), in trace order. */
struct report_dom_event {
    vtime_t time;
    uint64_t domain;
    unsigned op;     /* enum evtrace_domain_op */
    uint64_t reason; /* shutdown: the hypervisor's reason code */
};

struct report_insn {
    vtime_t time;
    uint64_t rip;
    const char *text; /* disassembly, from the trace's string table */
};

struct report {
    const char *source; /* the trace's file name, as given */
    const char *hvsim_version, *label;
    uint64_t freq_hz, n_records;
    vtime_t t_end; /* time of the last record */
    uint64_t exits, exit_cycles;
    struct report_domain *domains;
    size_t n_domains, cap_domains;
    struct report_exit *exit_rows;
    size_t n_exit_rows, cap_exit_rows;
    struct report_hypercall *hypercalls;
    size_t n_hypercalls, cap_hypercalls;
    struct report_dom_hypercall *dom_hypercalls;
    size_t n_dom_hypercalls, cap_dom_hypercalls;
    struct report_dom_exit *dom_exits;
    size_t n_dom_exits, cap_dom_exits;
    struct report_dom_exception *dom_exceptions;
    size_t n_dom_exceptions, cap_dom_exceptions;
    struct report_interrupt *interrupts;
    size_t n_interrupts, cap_interrupts;
    struct report_exception *exceptions;
    size_t n_exceptions, cap_exceptions;
    struct report_port *ports;
    size_t n_ports, cap_ports;
    struct report_dom_event *dom_events;
    size_t n_dom_events, cap_dom_events;
    struct report_insn *insns; /* the instruction-trace window, in order */
    size_t n_insns, cap_insns;
};

/* Summarise r (which must outlive the report: names point into it). NULL when out of memory. */
struct report *report_build(const struct evtrace_reader *r, const char *source);
void report_free(struct report *rep);

/* Each writer appends to out and returns 0 or HV_ENOMEM. Output depends only on the trace. */
int report_write_text(const struct report *rep, struct buf *out);
int report_write_json(const struct report *rep, struct buf *out);
/* Chrome trace-event JSON: run slices and VM exits as "X" events, the rest as
 * "i" events; pid = domain + 1, tid = vCPU + 1 (Perfetto reserves pid 0), named
 * by metadata events; packets under a "network" process, one thread per port. */
int report_write_chrome(const struct evtrace_reader *r, struct buf *out);
/* SVG: VM exits by reason as a bar chart. */
int report_write_svg_exits(const struct report *rep, struct buf *out);
/* SVG: each domain's CPU use (in vCPUs busy) over time, in bins time slots. */
int report_write_svg_cpu(const struct evtrace_reader *r, unsigned bins, struct buf *out);

/* Names: the SDM's basic exit reasons (Appendix C), Xen's hypercall numbers
 * (public/xen.h), exception vectors and SDM interruption types; NULL if unknown. */
const char *report_exit_reason_name(uint32_t reason);
const char *report_hypercall_name(uint32_t nr);
const char *report_exception_name(uint32_t vector);
const char *report_interruption_type_name(uint32_t type);
/* Domain operations ("create", "shutdown", ...) and Xen's shutdown reasons
 * (public/sched.h SHUTDOWN_*: "poweroff", "reboot", ...). */
const char *report_domain_op_name(uint32_t op);
const char *report_shutdown_reason_name(uint64_t reason);

#endif
