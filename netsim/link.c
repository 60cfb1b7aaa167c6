/* Links: each direction is a FIFO of frames with a serialization clock. A frame
 * starts when the wire is free, takes (len + 24) * 8 / rate seconds to send and
 * arrives `latency` later; one event per direction delivers every due frame.
 * Loss is decided when a frame is sent, from the sending side's PRNG, seeded
 * from the two ports' names: the same topology loses the same frames. */
#include "netsim/port.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"

static void link_deliver(void *opaque, vtime_t now);

/* FNV-1a over "from>to": a seed that depends on names only, never addresses. */
static uint64_t name_seed(const char *from, const char *to)
{
    uint64_t h = hash_fnv1a64(0xcbf29ce484222325ull, from, strlen(from));
    h = hash_fnv1a64(h, ">", 1);
    return hash_fnv1a64(h, to, strlen(to));
}

int netsim_link_connect(struct netsim_port *a, struct netsim_port *b, const struct netsim_link_params *lp)
{
    static const struct netsim_link_params ideal = { 0, 0, 0 };

    if (a->peer || b->peer || a == b)
        return HV_EEXIST;
    if (!lp)
        lp = &ideal;
    a->peer = b;
    b->peer = a;
    a->link = *lp;
    b->link = *lp;
    event_init(&a->deliver, "netsim.link", link_deliver, a);
    event_init(&b->deliver, "netsim.link", link_deliver, b);
    a->wire_free = b->wire_free = 0;
    a->down = b->down = 0;
    prng_seed(&a->loss, name_seed(a->name, b->name));
    prng_seed(&b->loss, name_seed(b->name, a->name));
    return HV_OK;
}

static void drop_queue(struct netsim_port *p)
{
    while (p->head) {
        struct netsim_pkt *k = p->head;
        p->head = k->next;
        netsim_pkt_free(p->net, k);
    }
    p->tail = p->unsent = NULL;
    p->backlog = 0;
    evq_cancel(p->net->q, &p->deliver);
}

void netsim_link_disconnect(struct netsim_port *a)
{
    struct netsim_port *b = a->peer;

    if (!b)
        return;
    drop_queue(a);
    drop_queue(b);
    a->peer = b->peer = NULL;
}

int netsim_link_set(struct netsim_port *a, const struct netsim_link_params *lp)
{
    if (!a->peer)
        return HV_ENOENT;
    a->link = *lp;
    a->peer->link = *lp;
    return HV_OK;
}

void netsim_port_set_carrier_fn(struct netsim_port *p, netsim_carrier_fn *fn) { p->carrier = fn; }

int netsim_link_set_up(struct netsim_port *a, int up)
{
    struct netsim_port *b = a->peer;

    if (!b)
        return HV_ENOENT;
    if (!a->down == !!up)
        return HV_OK;
    if (!up) {
        /* What was on the wire is gone with the cable. */
        for (struct netsim_pkt *k = a->head; k; k = k->next)
            a->lost += k->len != 0;
        for (struct netsim_pkt *k = b->head; k; k = k->next)
            b->lost += k->len != 0;
        drop_queue(a);
        drop_queue(b);
    }
    a->down = b->down = !up;
    if (a->carrier)
        a->carrier(a->rx_opaque, a, up);
    if (b->carrier)
        b->carrier(b->rx_opaque, b, up);
    return HV_OK;
}

/* Frames whose last bit has left no longer occupy the transmit queue. */
static void retire_sent(struct netsim_port *p, vtime_t now)
{
    while (p->unsent && p->unsent->tx_end <= now) {
        p->unsent = p->unsent->next;
        p->backlog--;
    }
}

static void run_captures(struct netsim_port *p, int dir, vtime_t now, const uint8_t *f, size_t len)
{
    for (int i = 0; i < p->ncap; i++)
        if (p->cap[i].dirs & dir)
            p->cap[i].fn(p->cap[i].opaque, p, dir == NETSIM_CAP_RX ? 0 : 1, now, f, len);
}

int netsim_port_send(struct netsim_port *p, const uint8_t *frame, size_t len)
{
    struct netsim_pkt *k;
    vtime_t now, start;

    if (len < ETH_HLEN || len > NETSIM_FRAME_MAX) {
        p->st.tx_errors++;
        return HV_EINVAL;
    }
    if (!p->peer || p->down) {
        p->st.tx_carrier++;
        p->st.tx_dropped++;
        return HV_ENOENT;
    }
    now = p->net->q->now;
    retire_sent(p, now);
    if (p->backlog >= p->txqueuelen) {
        p->st.tx_dropped++;
        return HV_EFULL;
    }
    k = netsim_pkt_alloc(p->net);
    if (!k) {
        p->st.tx_dropped++;
        return HV_ENOMEM;
    }
    memcpy(k->data, frame, len);
    if (len < NETSIM_FRAME_MIN) {
        memset(k->data + len, 0, NETSIM_FRAME_MIN - len);
        len = NETSIM_FRAME_MIN;
    }
    k->len = (uint32_t)len;
    k->next = NULL;
    start = p->wire_free > now ? p->wire_free : now;
    k->tx_end = start;
    if (p->link.rate_bps)
        k->tx_end += (vtime_t)((unsigned __int128)(len + NETSIM_WIRE_OVERHEAD) * 8 * VTIME_S / p->link.rate_bps);
    p->wire_free = k->tx_end;
    k->due = k->tx_end + p->link.latency;
    if (p->tail)
        p->tail->next = k;
    else
        p->head = k;
    p->tail = k;
    if (k->tx_end > now) {
        if (!p->unsent)
            p->unsent = k;
        p->backlog++;
    }
    p->st.tx_packets++;
    p->st.tx_bytes += len;
    if (p->ncap)
        run_captures(p, NETSIM_CAP_TX, now, k->data, len);
    /* Lost on the wire: it used the wire's time but never arrives. */
    if (p->link.loss_ppm && prng_below(&p->loss, 1000000) < p->link.loss_ppm) {
        k->len = 0;
        p->lost++;
    }
    if (!event_pending(&p->deliver))
        evq_schedule(p->net->q, &p->deliver, k->due);
    return HV_OK;
}

static void link_deliver(void *opaque, vtime_t now)
{
    struct netsim_port *p = opaque;
    struct netsim_port *peer = p->peer;

    retire_sent(p, now);
    while (p->head && p->head->due <= now) {
        struct netsim_pkt *k = p->head;
        p->head = k->next;
        if (!p->head)
            p->tail = NULL;
        if (!k->len) { /* lost on the wire */
            netsim_pkt_free(p->net, k);
            continue;
        }
        peer->st.rx_packets++;
        peer->st.rx_bytes += k->len;
        if (peer->ncap)
            run_captures(peer, NETSIM_CAP_RX, now, k->data, k->len);
        if (peer->rx)
            peer->rx(peer->rx_opaque, peer, k->data, k->len);
        else
            peer->st.rx_dropped++;
        netsim_pkt_free(p->net, k);
        /* The receiver may have unlinked the port from inside its callback. */
        if (p->peer != peer)
            return;
    }
    if (p->head)
        evq_schedule(p->net->q, &p->deliver, p->head->due);
}
