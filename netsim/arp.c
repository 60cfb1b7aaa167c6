/* ARP (RFC 826) for an interface: answering requests for its own address or a
 * proxied one (RFC 1027), learning senders, resolving next hops with up to
 * three frames held per unresolved address and three requests a second apart. The cache is a small array
 * scanned in order, so its behaviour never depends on memory addresses. */
#include <string.h>

#include "base/err.h"
#include "netsim/ipv4.h"

static struct netsim_arp_entry *arp_find(struct netsim_iface *ifc, uint32_t ip)
{
    for (int i = 0; i < ifc->narp; i++)
        if (ifc->arp[i].ip == ip)
            return &ifc->arp[i];
    return NULL;
}

static void entry_drop_pending(struct netsim_iface *ifc, struct netsim_arp_entry *e)
{
    while (e->pending) {
        struct netsim_pkt *k = e->pending;
        e->pending = k->next;
        netsim_pkt_free(ifc->port.net, k);
    }
    e->npending = 0;
}

/* A new entry, recycling the least recently updated one when the cache is full. */
static struct netsim_arp_entry *arp_new(struct netsim_iface *ifc, uint32_t ip)
{
    struct netsim_arp_entry *e;

    if (ifc->narp < NETSIM_ARP_ENTRIES) {
        e = &ifc->arp[ifc->narp++];
    } else {
        e = &ifc->arp[0];
        for (int i = 1; i < NETSIM_ARP_ENTRIES; i++)
            if (ifc->arp[i].updated < e->updated)
                e = &ifc->arp[i];
        entry_drop_pending(ifc, e);
    }
    memset(e, 0, sizeof *e);
    e->ip = ip;
    return e;
}

const uint8_t *netsim_arp_lookup(struct netsim_iface *ifc, uint32_t ip)
{
    struct netsim_arp_entry *e = arp_find(ifc, ip);
    return e && e->resolved ? e->mac : NULL;
}

void netsim_arp_flush(struct netsim_iface *ifc)
{
    for (int i = 0; i < ifc->narp; i++)
        entry_drop_pending(ifc, &ifc->arp[i]);
    ifc->narp = 0;
    evq_cancel(ifc->port.net->q, &ifc->arp_timer);
}

static void arp_send(struct netsim_iface *ifc, uint16_t op, const uint8_t *dst_mac, const uint8_t *tha,
                     uint32_t tpa, uint32_t spa)
{
    uint8_t f[ETH_HLEN + ARP_LEN];
    size_t n = netsim_arp_write(f, op, ifc->mac, spa, dst_mac, tha, tpa);
    netsim_port_send(&ifc->port, f, n);
}

/* Every second, ask again for addresses that hold frames; after
 * NETSIM_ARP_TRIES unanswered requests drop the frames (the host is unreachable). */
void netsim_arp_timer(void *opaque, vtime_t now)
{
    static const uint8_t zero[ETH_ALEN];
    struct netsim_iface *ifc = opaque;
    int again = 0;

    for (int i = 0; i < ifc->narp; i++) {
        struct netsim_arp_entry *e = &ifc->arp[i];
        if (e->resolved || !e->pending || now - e->updated < NETSIM_ARP_RETRY) {
            again |= e->pending != NULL;
            continue;
        }
        if (e->tries >= NETSIM_ARP_TRIES) {
            ifc->port.st.tx_dropped += (uint64_t)e->npending;
            entry_drop_pending(ifc, e);
            continue;
        }
        e->tries++;
        e->updated = now;
        ifc->arp_sent++;
        arp_send(ifc, ARP_REQUEST, netsim_mac_broadcast, zero, e->ip, ifc->ip);
        again = 1;
    }
    if (again)
        evq_schedule(ifc->port.net->q, &ifc->arp_timer, now + NETSIM_ARP_RETRY);
}

static void arp_learn(struct netsim_iface *ifc, uint32_t ip, const uint8_t *mac, int create)
{
    struct netsim_arp_entry *e = arp_find(ifc, ip);

    if (!e && !create)
        return;
    if (!e)
        e = arp_new(ifc, ip);
    memcpy(e->mac, mac, ETH_ALEN);
    e->resolved = 1;
    e->updated = ifc->port.net->q->now;
    /* Release the frames that waited, in the order they were sent. */
    while (e->pending) {
        struct netsim_pkt *k = e->pending;
        e->pending = k->next;
        memcpy(k->data, mac, ETH_ALEN);
        netsim_port_send(&ifc->port, k->data, k->len);
        netsim_pkt_free(ifc->port.net, k);
    }
    e->npending = 0;
}

void netsim_arp_input(struct netsim_iface *ifc, const uint8_t *frame, size_t len, const struct netsim_pinfo *pi)
{
    uint32_t spa = pi->src, tpa = pi->dst;
    int for_us = ifc->ip && tpa == ifc->ip;

    if (netsim_mac_is_group(pi->arp_sha) || spa == 0) {
        /* Probes (sender 0.0.0.0, RFC 5227) are not learnt from. */
        if (!(spa == 0 && pi->arp_op == ARP_REQUEST))
            return;
    }
    if (spa)
        /* RFC 826: update an existing entry; create one only when addressed to us. */
        arp_learn(ifc, spa, pi->arp_sha, for_us);
    if (pi->arp_op != ARP_REQUEST || spa == tpa)
        return;
    if (for_us || (ifc->proxy_arp && ifc->proxy_arp(ifc->proxy_opaque, ifc, tpa))) {
        ifc->arp_answered++;
        arp_send(ifc, ARP_REPLY, pi->arp_sha, pi->arp_sha, spa, tpa);
    }
}

int netsim_arp_resolve_and_send(struct netsim_iface *ifc, uint32_t nexthop, uint8_t *frame, size_t len)
{
    struct netsim_arp_entry *e = arp_find(ifc, nexthop);
    vtime_t now = ifc->port.net->q->now;
    struct netsim_pkt *k, **tail;

    if (e && e->resolved && now - e->updated < NETSIM_ARP_TIMEOUT) {
        memcpy(frame, e->mac, ETH_ALEN);
        return netsim_port_send(&ifc->port, frame, len);
    }
    if (!e)
        e = arp_new(ifc, nexthop);
    if (e->resolved) {
        /* Stale: keep using the old MAC while asking again, as Linux's STALE state does. */
        memcpy(frame, e->mac, ETH_ALEN);
        e->updated = now;
        ifc->arp_sent++;
        arp_send(ifc, ARP_REQUEST, e->mac, e->mac, nexthop, ifc->ip);
        return netsim_port_send(&ifc->port, frame, len);
    }
    if (e->npending == NETSIM_ARP_PENDING) {
        k = e->pending; /* drop the oldest */
        e->pending = k->next;
        e->npending--;
        netsim_pkt_free(ifc->port.net, k);
        ifc->port.st.tx_dropped++;
    }
    k = netsim_pkt_alloc(ifc->port.net);
    if (!k)
        return HV_ENOMEM;
    memcpy(k->data, frame, len);
    k->len = (uint32_t)len;
    k->next = NULL;
    for (tail = &e->pending; *tail; tail = &(*tail)->next)
        ;
    *tail = k;
    e->npending++;
    if (e->npending == 1) {
        static const uint8_t zero[ETH_ALEN];
        e->updated = now;
        e->tries = 1;
        ifc->arp_sent++;
        arp_send(ifc, ARP_REQUEST, netsim_mac_broadcast, zero, nexthop, ifc->ip);
        if (!event_pending(&ifc->arp_timer))
            evq_schedule(ifc->port.net->q, &ifc->arp_timer, now + NETSIM_ARP_RETRY);
    }
    return HV_OK;
}
