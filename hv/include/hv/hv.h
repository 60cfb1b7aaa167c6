/* Hypervisor awareness (docs/hv.md): recognises the hypervisor image a machine
 * boots and turns the CPU's events (SYSCALL, INT n, VM exits) into hypervisor
 * events: hypercalls by number and name, per domain, with virtual timestamps,
 * into counters and the event trace. It only reads guest state: a run with
 * awareness is the same run as without it. */
#ifndef HV_HV_H
#define HV_HV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "traces/evtrace.h"

struct cpu;
struct hv;
struct hv_domain;
struct hv_gm;

/* What an image was recognised as. */
struct hv_ident {
    const struct hv_profile *profile; /* NULL: not recognised */
    char version[64];                 /* "4.17.7+13-g2445b30a44-0+deb12u1", or "unknown" */
    char evidence[96];                /* how it was recognised, for the log */
};

/* One hypervisor hvsim knows (hv/xen.c): how to recognise its image and how its
 * guests call it. Another hypervisor is one more entry in hv_profiles. */
struct hv_profile {
    const char *name;
    /* 1 and id filled when img (the decompressed image) is this hypervisor. */
    int (*identify)(const uint8_t *img, size_t len, struct hv_ident *id);
    const char *(*hypercall_name)(uint32_t nr); /* NULL when unnamed */
    uint8_t pv_int_vector; /* INT n of 32-bit PV guests' hypercalls, 0 if none */
    /* The top-level page-table slot whose entry the hypervisor sets per domain
     * in every PV page table it runs (a domain key), or -1. */
    int pv_domain_l4_slot;
    /* The virtual range the hypervisor reserves for itself in PV guests' address
     * spaces: an event interrupting code there is the hypervisor's own. */
    uint64_t pv_reserved_lo, pv_reserved_hi;
    /* The console write hypercall: number and command (first argument); the
     * second argument is the length, the third the buffer's guest-virtual address. */
    int console_hypercall, console_write_cmd;
    /* Optional: the domain-management calls among a domain's hypercalls
     * (creation, vCPU contexts, shutdown, destruction, console rings): sees
     * each 64-bit call with its five arguments and the caller's memory
     * (hv_priv.h). */
    void (*on_hypercall)(struct hv *h, struct hv_domain *d, uint64_t nr, const uint64_t args[5],
                         const struct hv_gm *mem);
    /* Optional: finish a call whose results are in guest memory only after it
     * returned; called at the caller's next hypercall and at the end. */
    void (*on_return)(struct hv *h, struct hv_domain *d);
};

extern const struct hv_profile *const hv_profiles[];

/* Find the hypervisor of an image; id->profile NULL when none matches. */
void hv_recognise(const uint8_t *img, size_t len, struct hv_ident *id);
/* Look for an ELF note of owner `name` in an ELF32/ELF64 image: its type of the
 * first one found, or -1. */
int hv_elf_find_note(const uint8_t *img, size_t len, const char *name);
const char *hv_hypercall_name(const struct hv_profile *p, uint32_t nr);

#define HV_MAX_DOMAINS 32
#define HV_MAX_KEYS 64      /* page-table keys and VMCSs bound to domains */
#define HV_MAX_HYPERCALL 64 /* numbers counted one by one; the rest in "other" */
#define HV_MAX_EXIT_REASON 80

enum hv_dom_kind { HV_DOM_PV = 0, HV_DOM_HVM = 1 };

/* Why a domain shut down (Xen's SHUTDOWN_* of public/sched.h). */
const char *hv_shutdown_reason_name(unsigned reason);

struct hv_domain {
    enum hv_dom_kind kind;
    int domid;      /* the hypervisor's domain id, -1 when not learnt */
    uint16_t trace_id;
    char name[32];  /* "dom<N>" with an id, else "pvN"/"hvmN" in order first seen */
    vtime_t first_seen;
    /* Lifecycle, with virtual times: created (the createdomain call), shut down
     * (its reason), destroyed (the destroydomain call). */
    int created, shut_down, destroyed;
    vtime_t t_created, t_shutdown, t_destroyed;
    unsigned shutdown_reason;
    uint64_t hypercalls, counts[HV_MAX_HYPERCALL], other;
    uint64_t vmexits, exit_counts[HV_MAX_EXIT_REASON]; /* HVM: VM exits by basic reason */
    uint64_t traps, trap_counts[32]; /* PV: exceptions (vectors 0-31) in the domain's code */
    unsigned vcpus;         /* keys (PV) or VMCSs (HVM) bound to it */
    uint64_t console_bytes; /* written through console_io (PV) */
    uint64_t ring_bytes;    /* read from its console ring */
    FILE *console;          /* DIR/console-NAME.log, opened at the first write */
    /* How its vCPUs are recognised: PV, the top-level table the toolstack gave
     * vCPU 0 (setvcpucontext); HVM, the EPT pointer of its first VMCS. */
    uint64_t pv_cr3, eptp;
    /* The console ring: RAM offset once known (0: not yet), its guest frame
     * (HVM, until the EPT maps it), and the next output byte to copy. */
    uint64_t ring_pa, ring_gfn;
    uint32_t ring_cons;
};

struct hv;

/* Awareness of a recognised hypervisor on the machine whose root CPU is cpu and
 * RAM is ram (guest-physical from 0). NULL when out of memory. */
struct hv *hv_new(const struct hv_ident *id, struct cpu *cpu, const uint8_t *ram, uint64_t ram_size);
void hv_free(struct hv *h);
/* The machine was replaced by one restored from a snapshot: observe its CPU and RAM. */
void hv_rebind(struct hv *h, struct cpu *cpu, const uint8_t *ram, uint64_t ram_size);
/* Events from the CPU (struct cpu_platform's on_event signature); returns the
 * trace domain the event belongs to (0: the machine, or not known). */
unsigned hv_on_event(void *h, int kind, int vector, uint32_t error_code, uint64_t rip);
/* Write hypercall and domain records to t from now on (NULL: stop). */
void hv_set_trace(struct hv *h, struct evtrace *t);
unsigned hv_domain_count(const struct hv *h);
const struct hv_domain *hv_domain(const struct hv *h, unsigned i);
/* PV domains' console_io writes (Xen's CONSOLEIO_write: Domain-0's hvc0) into
 * dir/console-NAME.log, one file per domain (NULL: none). */
void hv_set_console_dir(struct hv *h, const char *dir);
/* Read what is new in every console ring (also done at each hypercall). */
void hv_poll_consoles(struct hv *h);
/* The counters as text: per domain, its id, lifecycle, hypercalls by name. */
void hv_write_summary(struct hv *h, FILE *f);

#endif
