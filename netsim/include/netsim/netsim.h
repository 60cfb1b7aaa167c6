/* The network context: the event queue it runs on and a pool of frame buffers
 * shared by every link, so the forwarding path never calls malloc per frame. */
#ifndef NETSIM_NETSIM_H
#define NETSIM_NETSIM_H

#include <stddef.h>
#include <stdint.h>

#include "base/evq.h"
#include "base/vtime.h"

/* Largest Ethernet II frame carried, without FCS: 1514 plus an 802.1Q tag and slack. */
#define NETSIM_FRAME_MAX 1536
/* Shortest frame on the wire without FCS; shorter frames are padded with zeros. */
#define NETSIM_FRAME_MIN 60

/* A frame in flight on a link. */
struct netsim_pkt {
    struct netsim_pkt *next;
    vtime_t tx_end; /* when its last bit leaves the sender */
    vtime_t due;    /* when it reaches the peer */
    uint32_t len;
    uint8_t data[NETSIM_FRAME_MAX];
};

struct netsim {
    struct evq *q;
    struct netsim_pkt *free_pkts;
    size_t pkts_allocated;
    uint64_t malformed; /* frames any element found malformed, network-wide */
};

int netsim_init(struct netsim *net, struct evq *q);
void netsim_destroy(struct netsim *net);
static inline vtime_t netsim_now(const struct netsim *net) { return net->q->now; }

/* Pool buffers: NULL only when memory runs out. */
struct netsim_pkt *netsim_pkt_alloc(struct netsim *net);
static inline void netsim_pkt_free(struct netsim *net, struct netsim_pkt *p)
{
    p->next = net->free_pkts;
    net->free_pkts = p;
}

#endif
