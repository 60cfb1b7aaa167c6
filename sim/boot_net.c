/* The machine's NICs on netsim's LAN, on the world's one clock. A frame the
 * guest sends at machine time t waits in the NIC's queue for a world event at
 * t, which hands it to netsim (its cable then adds latency and serialization);
 * frames netsim delivers to the NIC's port enter the NIC as world events, the
 * machine standing at the step's end, which is that event's time. The world's
 * steps are no longer than the cable's latency (world_set_max_step), so
 * nothing a frame causes can reach the machine in its past. Everything is
 * simulated, so a replay rebuilds the same network and gets the same frames. */
#include "boot_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "machine/nic.h"
#include "netsim/hosts.h"
#include "netsim/pcap.h"

#define BOOT_NET_QUEUE 512 /* frames a NIC may send within one step */
#define BOOT_NET_MAX_PORTS 8
/* The cable from the NIC to the LAN switch: gigabit, 50 us (netsim_world_attach's). */
#define BOOT_NET_LATENCY (50 * VTIME_US)

struct net_frame {
    vtime_t t;
    uint32_t len;
    uint8_t data[NETSIM_FRAME_MAX];
};

struct boot_nic {
    struct boot_net *bn;
    struct machine *m;
    int index;
    struct netsim_port port; /* the NIC's end of the cable (peth0 ...) */
    struct net_frame *q;     /* frames sent by the guest, not yet in netsim */
    unsigned head, n;
    struct event flush;
    uint64_t dropped;
};

struct boot_net {
    struct world *w;
    struct netsim own;           /* the netsim of a LAN of our own */
    struct netsim *net;          /* own, or the one whose LAN we joined */
    struct netsim_world *lan;
    int owned;                   /* lan (and own) are ours to free */
    const char *pcap_dir;
    struct boot_nic nics[BOOT_NET_MAX_PORTS];
    int nnics, nmachines;
    struct netsim_pcap *pcaps[BOOT_NET_MAX_PORTS + 1];
    int npcaps;
};

int boot_net_parse(const char *name) { return strcmp(name, "lan") ? HV_EINVAL : HV_OK; }

int boot_net_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 ||
        strlen(s) != 17 || (v[0] & 1))
        return HV_EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return HV_OK;
}

/* World event at the first queued frame's time: into netsim with the frames due. */
static void nic_flush(void *opaque, vtime_t now)
{
    struct boot_nic *bn = opaque;
    while (bn->n && bn->q[bn->head].t <= now) {
        struct net_frame *f = &bn->q[bn->head];
        netsim_port_send(&bn->port, f->data, f->len);
        bn->head = (bn->head + 1) % BOOT_NET_QUEUE;
        bn->n--;
    }
    if (bn->n)
        evq_schedule(bn->bn->net->q, &bn->flush, bn->q[bn->head].t);
}

static void nic_sent(void *opaque, int nic, vtime_t t, const uint8_t *frame, size_t len)
{
    struct boot_nic *bn = opaque;
    (void)nic;
    if (bn->n == BOOT_NET_QUEUE || len > NETSIM_FRAME_MAX) {
        bn->dropped++;
        bn->port.st.tx_dropped++;
        return;
    }
    struct net_frame *f = &bn->q[(bn->head + bn->n++) % BOOT_NET_QUEUE];
    f->t = t;
    f->len = (uint32_t)len;
    memcpy(f->data, frame, len);
    if (!event_pending(&bn->flush))
        evq_schedule(bn->bn->net->q, &bn->flush, t);
}

static void nic_arrived(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    struct boot_nic *bn = opaque;
    if (!machine_nic_receive(bn->m, bn->index, frame, len))
        port->st.rx_dropped++;
}

/* The cable's carrier (netsim_link_set_up, from either end): the NIC follows. */
static void nic_carrier(void *opaque, struct netsim_port *port, int up)
{
    struct boot_nic *bn = opaque;
    (void)port;
    machine_nic_set_link(bn->m, bn->index, up);
}

int boot_net_set_link(struct boot_net *bn, struct machine *m, int nic, int up)
{
    for (int i = 0; bn && i < bn->nnics; i++)
        if (bn->nics[i].m == m && bn->nics[i].index == nic)
            return netsim_link_set_up(&bn->nics[i].port, up);
    return HV_ENOENT;
}

static int add_capture(struct boot_net *bn, const char *dir, const char *name, struct netsim_port *port,
                       struct netsim_bridge *br)
{
    char path[1024];
    struct netsim_pcap *pc;

    snprintf(path, sizeof path, "%s/%s.pcap", dir, name);
    if (!(pc = netsim_pcap_open(path)))
        return -1;
    bn->pcaps[bn->npcaps++] = pc;
    return port ? netsim_pcap_attach_port(pc, port, NETSIM_CAP_RX | NETSIM_CAP_TX)
                : netsim_pcap_attach_bridge(pc, br);
}

struct boot_net *boot_net_create(struct world *w, const char *name, uint64_t seed, const char *pcap_dir, char *err,
                                 size_t errlen)
{
    struct boot_net *bn = calloc(1, sizeof *bn);

    if (!bn || boot_net_parse(name)) {
        snprintf(err, errlen, "--net %s: %s", name, bn ? "expected lan" : "out of memory");
        free(bn);
        return NULL;
    }
    bn->w = w;
    bn->pcap_dir = pcap_dir;
    bn->owned = 1;
    bn->net = &bn->own;
    netsim_init(&bn->own, world_queue(w));
    if (!(bn->lan = netsim_world_new(&bn->own, seed))) {
        snprintf(err, errlen, "--net %s: cannot build the LAN", name);
        goto fail;
    }
    if (pcap_dir && add_capture(bn, pcap_dir, "lan0", NULL, bn->lan->lan)) {
        snprintf(err, errlen, "--pcap %s: cannot write lan0.pcap", pcap_dir);
        goto fail;
    }
    world_set_max_step(w, BOOT_NET_LATENCY);
    return bn;
fail:
    boot_net_free(bn);
    return NULL;
}

struct boot_net *boot_net_join(struct world *w, struct netsim *net, struct netsim_world *lan, const char *pcap_dir,
                               char *err, size_t errlen)
{
    struct boot_net *bn = calloc(1, sizeof *bn);
    if (!bn) {
        snprintf(err, errlen, "--net: out of memory");
        return NULL;
    }
    bn->w = w;
    bn->pcap_dir = pcap_dir;
    bn->net = net;
    bn->lan = lan;
    world_set_max_step(w, BOOT_NET_LATENCY);
    return bn;
}

int boot_net_plug(struct boot_net *bn, struct machine *m, char *err, size_t errlen)
{
    static const struct netsim_link_params cable = { .latency = BOOT_NET_LATENCY, .rate_bps = 1000000000ULL };
    int mi = bn->nmachines++;

    for (int i = 0; i < machine_nic_count(m); i++) {
        struct boot_nic *n = &bn->nics[bn->nnics];
        char port[NETSIM_IFNAMSIZ], sw[NETSIM_IFNAMSIZ];
        if (bn->nnics == BOOT_NET_MAX_PORTS) {
            snprintf(err, errlen, "--net: at most %d NICs on the LAN", BOOT_NET_MAX_PORTS);
            return -1;
        }
        n->bn = bn;
        n->m = m;
        n->index = i;
        /* The first machine's NICs are peth0, peth1 ...; the next machine's m1-peth0 ... */
        if (mi)
            snprintf(port, sizeof port, "m%d-peth%d", mi, i);
        else
            snprintf(port, sizeof port, "peth%d", i);
        snprintf(sw, sizeof sw, "sw-%s", port);
        netsim_port_init(&n->port, bn->net, port, nic_arrived, n);
        netsim_port_set_carrier_fn(&n->port, nic_carrier);
        event_init(&n->flush, "nic-flush", nic_flush, n);
        bn->nnics++;
        if (!(n->q = malloc(sizeof *n->q * BOOT_NET_QUEUE)) ||
            netsim_world_attach(bn->lan, sw, &n->port, &cable) != HV_OK) {
            snprintf(err, errlen, "--net: cannot plug NIC %s into the LAN", port);
            return -1;
        }
        machine_nic_set_tx(m, i, nic_sent, n);
        if (bn->pcap_dir && add_capture(bn, bn->pcap_dir, port, &n->port, NULL)) {
            snprintf(err, errlen, "--pcap %s: cannot write %s.pcap", bn->pcap_dir, port);
            return -1;
        }
    }
    return 0;
}

void boot_net_replace(struct boot_net *bn, struct machine *old, struct machine *m)
{
    for (int i = 0; bn && i < bn->nnics; i++)
        if (bn->nics[i].m == old) {
            bn->nics[i].m = m;
            machine_nic_set_tx(m, bn->nics[i].index, nic_sent, &bn->nics[i]);
        }
}

struct boot_net *boot_net_attach(struct world *w, struct machine *m, const char *name, uint64_t seed,
                                 const char *pcap_dir, char *err, size_t errlen)
{
    struct boot_net *bn = boot_net_create(w, name, seed, pcap_dir, err, errlen);
    if (bn && boot_net_plug(bn, m, err, errlen)) {
        boot_net_free(bn);
        return NULL;
    }
    return bn;
}

int boot_net_free(struct boot_net *bn)
{
    int failed = 0;
    if (!bn)
        return 0;
    for (int i = 0; i < bn->npcaps; i++)
        if (netsim_pcap_close(bn->pcaps[i]) != HV_OK)
            failed = -1;
    for (int i = 0; i < bn->nnics; i++) {
        machine_nic_set_tx(bn->nics[i].m, bn->nics[i].index, NULL, NULL);
        evq_cancel(bn->net->q, &bn->nics[i].flush);
        netsim_port_fini(&bn->nics[i].port);
        free(bn->nics[i].q);
    }
    if (bn->owned) {
        netsim_world_free(bn->lan);
        netsim_destroy(&bn->own);
    }
    free(bn);
    return failed;
}
