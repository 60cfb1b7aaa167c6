/* The network context and its pool of frame buffers (a free list that only
 * grows, so steady forwarding allocates nothing). */
#include "netsim/netsim.h"

#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"

int netsim_init(struct netsim *net, struct evq *q)
{
    net->q = q;
    net->free_pkts = NULL;
    net->pkts_allocated = 0;
    net->malformed = 0;
    return HV_OK;
}

void netsim_destroy(struct netsim *net)
{
    while (net->free_pkts) {
        struct netsim_pkt *p = net->free_pkts;
        net->free_pkts = p->next;
        free(p);
        net->pkts_allocated--;
    }
}

struct netsim_pkt *netsim_pkt_alloc(struct netsim *net)
{
    struct netsim_pkt *p = net->free_pkts;

    if (p) {
        net->free_pkts = p->next;
        return p;
    }
    p = malloc(sizeof *p);
    if (!p) {
        log_error("netsim: out of memory for a frame buffer");
        return NULL;
    }
    net->pkts_allocated++;
    return p;
}
