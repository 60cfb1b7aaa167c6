/* hv/'s internals shared by the generic layer (hv.c) and a hypervisor's
 * domain-management decoding (xen_dom.c): the awareness state and the calls
 * that record domains' ids, vCPU bindings, lifecycle and console rings. */
#ifndef HV_HV_PRIV_H
#define HV_HV_PRIV_H

#include "hv/guestmem.h"
#include "hv/hv.h"

struct hv_key {
    enum hv_dom_kind kind;
    uint64_t key;  /* PV: the per-domain slot's frame; HVM: the VMCS address */
    unsigned dom;  /* index in doms */
    int down;      /* HVM: its last exit was HLT with interrupts off */
};

/* A call whose result is read after it returned (createdomain's domain id). */
struct hv_pending {
    int active;
    unsigned caller; /* index of the calling domain */
    uint64_t nr, va;
    struct hv_gm mem; /* the caller's memory at the call */
    uint32_t cmd, flags, domain;
    vtime_t t;
};

struct hv {
    struct hv_ident id;
    struct cpu *cpu;
    const uint8_t *ram;
    uint64_t ram_size;
    struct evtrace *trace;
    unsigned n_domains, n_pv, n_hvm, n_keys;
    struct hv_domain doms[HV_MAX_DOMAINS];
    struct hv_key keys[HV_MAX_KEYS];
    struct hv_domain overflow; /* calls of domains beyond HV_MAX_DOMAINS */
    struct hv_pending pending;
    char *console_dir; /* NULL: no console files */
    int warned_version;
};

/* The domain with this hypervisor id, NULL when none (destroyed ones too when dead). */
struct hv_domain *hv_dom_by_id(struct hv *h, int domid, int dead_too);
/* A domain created at time t by the hypervisor with this id and kind (its
 * record, or the overflow one when there is no room). */
struct hv_domain *hv_dom_created(struct hv *h, int domid, enum hv_dom_kind kind, vtime_t t);
void hv_dom_shutdown(struct hv *h, struct hv_domain *d, unsigned reason, vtime_t t);
void hv_dom_destroyed(struct hv *h, struct hv_domain *d, vtime_t t);
/* Bind a PV domain key (the per-domain slot's frame) to d. */
void hv_dom_bind_pv(struct hv *h, struct hv_domain *d, uint64_t key);
/* The per-domain slot's frame of the top-level table at RAM offset cr3, 0 if none. */
uint64_t hv_pv_key_of(const struct hv *h, uint64_t cr3);
/* d's console ring is at RAM offset pa: copy its output from now on. */
void hv_dom_ring(struct hv *h, struct hv_domain *d, uint64_t pa);
/* Memory as the machine sees it (no paging, no EPT). */
struct hv_gm hv_gm_machine(const struct hv *h);
vtime_t hv_now(const struct hv *h);

/* Xen's domain management (xen_dom.c), the on_hypercall and on_return of its profile. */
void hv_xen_on_hypercall(struct hv *h, struct hv_domain *d, uint64_t nr, const uint64_t args[5],
                         const struct hv_gm *mem);
void hv_xen_on_return(struct hv *h, struct hv_domain *caller);

#endif
