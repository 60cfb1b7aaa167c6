/* The event trace (.hvtrace): fixed-size records of VM exits, entries,
 * hypercalls, interrupts, exceptions, domain lifecycle, packets and run slices,
 * appended inline to a preallocated buffer and flushed in chunks (docs/traces.md). */
#ifndef TRACES_EVTRACE_H
#define TRACES_EVTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "base/vtime.h"

#define EVTRACE_VERSION 1
#define EVTRACE_REC_SIZE 40 /* bytes per record in the file */

enum evtrace_chunk_type {
    EVTRACE_CHUNK_HEADER = 1,
    EVTRACE_CHUNK_STRINGS = 2,
    EVTRACE_CHUNK_RECORDS = 3,
    EVTRACE_CHUNK_END = 4,
};

/* Record types and what a, b, c, sub and flags hold for each. */
enum evtrace_type {
    EVTRACE_VMEXIT = 1,    /* c = exit reason (SDM 24.9.1), a = qualification, b = modelled cycles */
    EVTRACE_VMENTRY = 2,   /* a = VM-entry interruption info, b = modelled cycles */
    EVTRACE_HYPERCALL = 3, /* c = hypercall number, a = first argument */
    EVTRACE_INTERRUPT = 4, /* c = vector, sub = interruption type (SDM), a = error code */
    EVTRACE_EXCEPTION = 5, /* c = vector, a = error code, b = RIP */
    EVTRACE_DOMAIN = 6,    /* sub = enum evtrace_domain_op, c = name (string index), a = shutdown reason */
    EVTRACE_PACKET = 7,    /* c = port (string index of its name), b = length, sub = direction */
    EVTRACE_RUN = 8,       /* a vCPU ran until time: a = instructions retired, b = virtual ns */
    EVTRACE_INSN = 9,      /* an instruction retired: b = RIP, c = disassembly (string index) */
};
#define EVTRACE_TYPE_MAX EVTRACE_INSN

enum evtrace_domain_op {
    EVTRACE_DOM_CREATE = 0,
    EVTRACE_DOM_DESTROY = 1,
    EVTRACE_DOM_PAUSE = 2,
    EVTRACE_DOM_UNPAUSE = 3,
    EVTRACE_DOM_SHUTDOWN = 4, /* a = the hypervisor's reason code (Xen: SHUTDOWN_* of public/sched.h) */
};

enum evtrace_dir { EVTRACE_RX = 0, EVTRACE_TX = 1 };

#define EVTRACE_F_DROPPED 0x1     /* packet: dropped (queue full, no route) */
#define EVTRACE_F_ERRCODE 0x1     /* interrupt: a holds an error code */
#define EVTRACE_NO_DOMAIN 0xffffu /* packets not tied to a domain */
#define EVTRACE_NO_STRING 0xffffffffu /* a name that could not be stored */

/* One record; the file stores the fields little-endian in this order. */
struct evtrace_rec {
    uint64_t time;
    uint64_t a, b, c;
    uint16_t domain, vcpu;
    uint8_t type, sub;
    uint16_t flags;
};

struct evtrace_info {
    const char *hvsim_version;
    uint64_t freq_hz; /* nominal CPU frequency: modelled cycles to virtual time */
    const char *label; /* what ran: a command line or a scenario name */
};

struct evtrace_file;

/* The writer. recs, n and cap are read by the inline appenders below; the rest
 * (file, string table) lives behind file. */
struct evtrace {
    struct evtrace_rec *recs;
    uint32_t n, cap;
    struct evtrace_file *file;
};

/* Create path with room for cap records between flushes (0 = 4096). NULL, logged, on failure. */
struct evtrace *evtrace_create(const char *path, const struct evtrace_info *info, uint32_t cap);
/* Index of s in the string table, adding it once (cold path: domain and port
 * names); EVTRACE_NO_STRING, logged, when it cannot be stored. */
uint32_t evtrace_string(struct evtrace *t, const char *s);
/* Write pending strings and records as chunks. Called when the buffer fills. */
int evtrace_flush(struct evtrace *t);
/* Flush, write the end chunk, close and free. The first error seen while writing. */
int evtrace_close(struct evtrace *t);

static inline struct evtrace_rec *evtrace_slot(struct evtrace *t, vtime_t time, uint8_t type,
                                               uint16_t domain, uint16_t vcpu)
{
    struct evtrace_rec *r;

    if (t->n == t->cap)
        evtrace_flush(t); /* empties the buffer even when the write fails (sticky error) */
    r = &t->recs[t->n++];
    r->time = time;
    r->type = type;
    r->domain = domain;
    r->vcpu = vcpu;
    r->sub = 0;
    r->flags = 0;
    r->a = r->b = r->c = 0;
    return r;
}

/* The appenders take a NULL trace (tracing off) and then do nothing. */
static inline void evtrace_vmexit(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu,
                                  uint32_t reason, uint64_t qualification, uint64_t cycles)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_VMEXIT, dom, vcpu);
        r->c = reason;
        r->a = qualification;
        r->b = cycles;
    }
}

static inline void evtrace_insn(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu, uint64_t rip,
                                uint32_t text)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_INSN, dom, vcpu);
        r->b = rip;
        r->c = text;
    }
}

static inline void evtrace_vmentry(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu,
                                   uint32_t intr_info, uint64_t cycles)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_VMENTRY, dom, vcpu);
        r->a = intr_info;
        r->b = cycles;
    }
}

static inline void evtrace_hypercall(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu,
                                     uint32_t nr, uint64_t arg0)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_HYPERCALL, dom, vcpu);
        r->c = nr;
        r->a = arg0;
    }
}

/* type: the SDM interruption type (0 external, 2 NMI, 3 hardware exception, 4
 * software interrupt, ...); has_err says whether err is delivered. */
static inline void evtrace_interrupt(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu,
                                     uint8_t vector, uint8_t type, int has_err, uint32_t err)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_INTERRUPT, dom, vcpu);
        r->c = vector;
        r->sub = type;
        r->a = err;
        r->flags = has_err ? EVTRACE_F_ERRCODE : 0;
    }
}

static inline void evtrace_exception(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu,
                                     uint8_t vector, uint32_t err, uint64_t rip)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_EXCEPTION, dom, vcpu);
        r->c = vector;
        r->a = err;
        r->b = rip;
    }
}

/* name: from evtrace_string(), on create (later ops may repeat it). */
static inline void evtrace_domain(struct evtrace *t, vtime_t time, uint16_t dom,
                                  enum evtrace_domain_op op, uint32_t name)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_DOMAIN, dom, 0);
        r->sub = (uint8_t)op;
        r->c = name;
    }
}

/* A domain shut down for reason (the hypervisor's code). */
static inline void evtrace_domain_shutdown(struct evtrace *t, vtime_t time, uint16_t dom, uint32_t name,
                                           uint64_t reason)
{
    if (t) {
        evtrace_domain(t, time, dom, EVTRACE_DOM_SHUTDOWN, name);
        t->recs[t->n - 1].a = reason;
    }
}

/* port: evtrace_string() of the port's name ("vif1.0", "xenbr0"); dom owns it or EVTRACE_NO_DOMAIN. */
static inline void evtrace_packet(struct evtrace *t, vtime_t time, uint16_t dom, uint32_t port,
                                  uint32_t len, enum evtrace_dir dir, int dropped)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_PACKET, dom, 0);
        r->c = port;
        r->b = len;
        r->sub = (uint8_t)dir;
        r->flags = dropped ? EVTRACE_F_DROPPED : 0;
    }
}

/* A vCPU stopped running at time after retiring instructions over ns virtual nanoseconds. */
static inline void evtrace_run(struct evtrace *t, vtime_t time, uint16_t dom, uint16_t vcpu,
                               uint64_t instructions, uint64_t ns)
{
    if (t) {
        struct evtrace_rec *r = evtrace_slot(t, time, EVTRACE_RUN, dom, vcpu);
        r->a = instructions;
        r->b = ns;
    }
}

/* --- Reading ------------------------------------------------------------- */

enum evtrace_open_flags {
    EVTRACE_SALVAGE = 1u << 0, /* keep the chunks before the first bad one */
};

struct evtrace_reader;

/* Load and validate a whole trace; NULL when refused, with
 * "PATH: chunk N at offset X: what" logged. */
struct evtrace_reader *evtrace_reader_open(const char *path, unsigned flags);
void evtrace_reader_close(struct evtrace_reader *r);
const struct evtrace_info *evtrace_reader_info(const struct evtrace_reader *r);
size_t evtrace_reader_n_records(const struct evtrace_reader *r);
/* All records, in the order they were appended (non-decreasing time per vCPU). */
const struct evtrace_rec *evtrace_reader_records(const struct evtrace_reader *r);
size_t evtrace_reader_n_strings(const struct evtrace_reader *r);
/* String i, or NULL when there is no such string. */
const char *evtrace_reader_string(const struct evtrace_reader *r, uint32_t i);
/* Whole-file or salvaged: chunks kept, and the damage ("" when whole). */
uint64_t evtrace_reader_chunks_kept(const struct evtrace_reader *r);
const char *evtrace_reader_damage(const struct evtrace_reader *r);

#endif
