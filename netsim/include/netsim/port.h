/* Named ports (vif1.0, peth0, virbr0 ...) with ifconfig's counters, joined in
 * pairs by links that model latency, rate (serialization delay), a transmit
 * queue of txqueuelen packets, random loss from a seeded PRNG, and carrier
 * (a link pulled out and plugged back). A port is the seam every element plugs into:
 * netsim_port_send() to transmit, an rx callback to receive. */
#ifndef NETSIM_PORT_H
#define NETSIM_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/prng.h"
#include "netsim/frame.h"
#include "netsim/netsim.h"

#define NETSIM_IFNAMSIZ 16
#define NETSIM_TXQUEUELEN_DEFAULT 1000
#define NETSIM_TXQUEUELEN_VIF 32 /* classic netback */
/* Bytes a frame costs on the wire beyond its data: preamble and SFD 8, FCS 4, gap 12. */
#define NETSIM_WIRE_OVERHEAD 24
#define NETSIM_PORT_CAPS 4

/* ifconfig's counters. */
struct netsim_port_stats {
    uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped, rx_overruns, rx_frame;
    uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped, tx_overruns, tx_carrier;
    uint64_t collisions;
};

struct netsim_port;
/* A frame arrived at `port`; the bytes are valid only during the call. */
typedef void netsim_rx_fn(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len);
/* A capture sink sees frames a port receives (dir 0) or transmits (dir 1). */
typedef void netsim_cap_fn(void *opaque, struct netsim_port *port, int dir, vtime_t t,
                           const uint8_t *frame, size_t len);
/* The port's carrier changed (its link went down or came up): a NIC raises its
 * link-status interrupt. Called with the port's rx_opaque. */
typedef void netsim_carrier_fn(void *opaque, struct netsim_port *port, int up);

enum { NETSIM_CAP_RX = 1, NETSIM_CAP_TX = 2 };

struct netsim_link_params {
    vtime_t latency;   /* propagation delay, each way */
    uint64_t rate_bps; /* 0: no serialization delay */
    uint32_t loss_ppm; /* frames lost on the wire, per million (0: none) */
};

struct netsim_port {
    char name[NETSIM_IFNAMSIZ];
    struct netsim *net;
    struct netsim_port *peer;
    uint8_t mac[ETH_ALEN]; /* HWaddr as ifconfig would show it */
    uint32_t txqueuelen;
    struct netsim_link_params link; /* of the direction this port sends on */
    netsim_rx_fn *rx;
    void *rx_opaque;
    netsim_carrier_fn *carrier; /* optional */
    void *owner; /* the element the port belongs to */
    int index;   /* its number inside the owner */
    struct netsim_port_stats st;

    /* Transmit side: frames queued or in flight toward the peer, in order. */
    struct netsim_pkt *head, *tail, *unsent; /* unsent: first not yet serialized */
    uint32_t backlog;                         /* frames not fully serialized */
    vtime_t wire_free;                        /* when the sender can start the next */
    struct event deliver;
    int down;           /* carrier lost: frames sent are dropped (tx carrier errors) */
    uint64_t lost;      /* frames this side sent that the wire lost (loss_ppm) */
    struct prng loss;   /* seeded from both ends' names at connect: same run, same losses */

    struct {
        netsim_cap_fn *fn;
        void *opaque;
        int dirs;
    } cap[NETSIM_PORT_CAPS];
    int ncap;
};

/* Set up a port (not yet linked). txqueuelen 0 means the default 1000. */
void netsim_port_init(struct netsim_port *p, struct netsim *net, const char *name,
                      netsim_rx_fn *rx, void *opaque);
/* Drop queued frames, unlink and cancel timers. */
void netsim_port_fini(struct netsim_port *p);
void netsim_port_set_rx(struct netsim_port *p, netsim_rx_fn *rx, void *opaque);

/* Join two ports with a full-duplex link; both directions use `lp` (NULL: ideal
 * link, no latency, no rate limit). HV_EEXIST if either is already linked. */
int netsim_link_connect(struct netsim_port *a, struct netsim_port *b, const struct netsim_link_params *lp);
void netsim_link_disconnect(struct netsim_port *a);
/* Change a link's parameters, both directions, from now on (frames in flight
 * keep theirs). HV_ENOENT when the port is not linked. */
int netsim_link_set(struct netsim_port *a, const struct netsim_link_params *lp);
/* Pull the cable (up 0) or plug it back (1): frames in flight are lost, frames
 * sent while down count as carrier errors, and both ends' carrier callbacks
 * run. HV_ENOENT when the port is not linked. */
int netsim_link_set_up(struct netsim_port *a, int up);
static inline int netsim_port_carrier(const struct netsim_port *p) { return p->peer && !p->down; }
void netsim_port_set_carrier_fn(struct netsim_port *p, netsim_carrier_fn *fn);

/* Queue a frame for the peer. Copies the bytes; pads to NETSIM_FRAME_MIN.
 * Counts a TX drop and returns HV_EFULL when txqueuelen frames wait, HV_EINVAL
 * (TX error) for a bad length, HV_ENOENT (TX carrier) when unlinked. */
int netsim_port_send(struct netsim_port *p, const uint8_t *frame, size_t len);

int netsim_port_add_capture(struct netsim_port *p, int dirs, netsim_cap_fn *fn, void *opaque);
void netsim_port_del_capture(struct netsim_port *p, void *opaque);

/* ifconfig-style block for the port. */
void netsim_port_print(const struct netsim_port *p, FILE *out);

#endif
