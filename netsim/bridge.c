/* The learning bridge (IEEE 802.1D forwarding process, Linux bridge defaults).
 * The forwarding database is an open-addressed table hashed on the MAC bytes,
 * never on addresses of memory, so runs are reproducible; ageing is checked
 * on lookup against virtual time, so no timer is needed. */
#include "netsim/bridge.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

static void bridge_port_rx(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    netsim_bridge_forward(opaque, port->index, frame, len);
}

struct netsim_bridge *netsim_bridge_new(struct netsim *net, const char *name)
{
    struct netsim_bridge *br = calloc(1, sizeof *br);

    if (!br) {
        log_error("netsim: no memory for bridge %s", name);
        return NULL;
    }
    snprintf(br->name, sizeof br->name, "%s", name);
    br->net = net;
    br->ageing = NETSIM_BRIDGE_AGEING;
    return br;
}

void netsim_bridge_free(struct netsim_bridge *br)
{
    if (!br)
        return;
    for (int i = 0; i < br->nports; i++) {
        netsim_port_fini(br->ports[i]);
        free(br->ports[i]);
    }
    free(br);
}

struct netsim_port *netsim_bridge_add_port(struct netsim_bridge *br, const char *name, uint32_t txqueuelen)
{
    struct netsim_port *p;

    if (br->nports == NETSIM_BRIDGE_MAX_PORTS) {
        log_error("netsim: bridge %s is full, cannot add %s", br->name, name);
        return NULL;
    }
    p = malloc(sizeof *p);
    if (!p) {
        log_error("netsim: no memory for port %s", name);
        return NULL;
    }
    netsim_port_init(p, br->net, name, bridge_port_rx, br);
    /* Backend ports show FE:FF:FF:FF:FF:FF in Xen's ifconfig output. */
    memset(p->mac, 0xff, ETH_ALEN);
    p->mac[0] = 0xfe;
    if (txqueuelen)
        p->txqueuelen = txqueuelen;
    p->owner = br;
    p->index = br->nports;
    br->ports[br->nports++] = p;
    if (br->cap_fn)
        netsim_port_add_capture(p, NETSIM_CAP_RX, br->cap_fn, br->cap_opaque);
    return p;
}

struct netsim_port *netsim_bridge_port(struct netsim_bridge *br, const char *name)
{
    for (int i = 0; i < br->nports; i++)
        if (!strcmp(br->ports[i]->name, name))
            return br->ports[i];
    return NULL;
}

int netsim_bridge_set_capture(struct netsim_bridge *br, netsim_cap_fn *fn, void *opaque)
{
    int rc = HV_OK;

    br->cap_fn = fn;
    br->cap_opaque = opaque;
    for (int i = 0; i < br->nports && rc == HV_OK; i++)
        rc = netsim_port_add_capture(br->ports[i], NETSIM_CAP_RX, fn, opaque);
    return rc;
}

static uint32_t mac_hash(const uint8_t *m)
{
    /* The low bytes of a MAC vary most; mix them all (FNV-1a). */
    uint32_t h = 2166136261u;
    for (int i = 0; i < ETH_ALEN; i++)
        h = (h ^ m[i]) * 16777619u;
    return h & (NETSIM_BRIDGE_FDB_SIZE - 1);
}

static struct netsim_fdb_entry *fdb_find(struct netsim_bridge *br, const uint8_t *mac)
{
    uint32_t i = mac_hash(mac);

    for (uint32_t n = 0; n < NETSIM_BRIDGE_FDB_SIZE; n++, i = (i + 1) & (NETSIM_BRIDGE_FDB_SIZE - 1)) {
        struct netsim_fdb_entry *e = &br->fdb[i];
        if (!e->used)
            return NULL;
        if (!memcmp(e->mac, mac, ETH_ALEN))
            return e;
    }
    return NULL;
}

static void fdb_learn(struct netsim_bridge *br, const uint8_t *mac, int port, vtime_t now)
{
    uint32_t i = mac_hash(mac);

    /* Entries are never removed (an aged one is ignored until its MAC is seen
     * again), so linear probing needs no tombstones. A full table stops
     * learning and the bridge degrades to flooding, as a hub would. */
    for (uint32_t n = 0; n < NETSIM_BRIDGE_FDB_SIZE; n++, i = (i + 1) & (NETSIM_BRIDGE_FDB_SIZE - 1)) {
        struct netsim_fdb_entry *e = &br->fdb[i];
        if (e->used && !memcmp(e->mac, mac, ETH_ALEN)) {
            e->port = (int16_t)port;
            e->seen = now;
            return;
        }
        if (!e->used) {
            memcpy(e->mac, mac, ETH_ALEN);
            e->used = 1;
            e->port = (int16_t)port;
            e->seen = now;
            br->fdb_count++;
            return;
        }
    }
}

int netsim_bridge_fdb_lookup(struct netsim_bridge *br, const uint8_t *mac)
{
    struct netsim_fdb_entry *e = fdb_find(br, mac);

    if (!e || br->net->q->now - e->seen >= br->ageing)
        return -1;
    return e->port;
}

void netsim_bridge_forward(struct netsim_bridge *br, int in, const uint8_t *frame, size_t len)
{
    const uint8_t *dst = frame, *src = frame + ETH_ALEN;
    int out;

    if (len < ETH_HLEN) {
        br->ports[in]->st.rx_errors++;
        br->ports[in]->st.rx_frame++;
        br->net->malformed++;
        return;
    }
    if (!netsim_mac_is_group(src))
        fdb_learn(br, src, in, br->net->q->now);
    out = netsim_mac_is_group(dst) ? -1 : netsim_bridge_fdb_lookup(br, dst);
    if (out == in) {
        br->filtered++;
        return;
    }
    if (out >= 0) {
        br->forwarded++;
        netsim_port_send(br->ports[out], frame, len);
        return;
    }
    br->flooded++;
    for (int i = 0; i < br->nports; i++)
        if (i != in)
            netsim_port_send(br->ports[i], frame, len);
}
