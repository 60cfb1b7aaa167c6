/* Ports: names, ifconfig counters, capture sinks and the ifconfig-style report
 * (net-tools' ifconfig output format). Transmission is in link.c. */
#include "netsim/port.h"

#include <inttypes.h>
#include <string.h>

#include "base/err.h"

void netsim_port_init(struct netsim_port *p, struct netsim *net, const char *name,
                      netsim_rx_fn *rx, void *opaque)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->net = net;
    p->txqueuelen = NETSIM_TXQUEUELEN_DEFAULT;
    p->rx = rx;
    p->rx_opaque = opaque;
    p->index = -1;
}

void netsim_port_set_rx(struct netsim_port *p, netsim_rx_fn *rx, void *opaque)
{
    p->rx = rx;
    p->rx_opaque = opaque;
}

void netsim_port_fini(struct netsim_port *p)
{
    if (p->peer)
        netsim_link_disconnect(p);
    p->ncap = 0;
}

int netsim_port_add_capture(struct netsim_port *p, int dirs, netsim_cap_fn *fn, void *opaque)
{
    if (p->ncap == NETSIM_PORT_CAPS)
        return HV_EFULL;
    p->cap[p->ncap].fn = fn;
    p->cap[p->ncap].opaque = opaque;
    p->cap[p->ncap].dirs = dirs;
    p->ncap++;
    return HV_OK;
}

void netsim_port_del_capture(struct netsim_port *p, void *opaque)
{
    int j = 0;

    for (int i = 0; i < p->ncap; i++)
        if (p->cap[i].opaque != opaque)
            p->cap[j++] = p->cap[i];
    p->ncap = j;
}

static void print_bytes(FILE *out, uint64_t b)
{
    if (b >= 1000000000ULL)
        fprintf(out, "%.1f GB", (double)b / 1e9);
    else if (b >= 1000000ULL)
        fprintf(out, "%.1f MB", (double)b / 1e6);
    else
        fprintf(out, "%.1f KB", (double)b / 1e3);
}

void netsim_port_print(const struct netsim_port *p, FILE *out)
{
    const struct netsim_port_stats *s = &p->st;
    const uint8_t *m = p->mac;

    fprintf(out, "%-9s Link encap:Ethernet  HWaddr %02X:%02X:%02X:%02X:%02X:%02X\n", p->name,
            m[0], m[1], m[2], m[3], m[4], m[5]);
    fprintf(out, "          RX packets:%" PRIu64 " errors:%" PRIu64 " dropped:%" PRIu64
                 " overruns:%" PRIu64 " frame:%" PRIu64 "\n",
            s->rx_packets, s->rx_errors, s->rx_dropped, s->rx_overruns, s->rx_frame);
    fprintf(out, "          TX packets:%" PRIu64 " errors:%" PRIu64 " dropped:%" PRIu64
                 " overruns:%" PRIu64 " carrier:%" PRIu64 "\n",
            s->tx_packets, s->tx_errors, s->tx_dropped, s->tx_overruns, s->tx_carrier);
    fprintf(out, "          collisions:%" PRIu64 " txqueuelen:%u\n", s->collisions, p->txqueuelen);
    fprintf(out, "          RX bytes:%" PRIu64 " (", s->rx_bytes);
    print_bytes(out, s->rx_bytes);
    fprintf(out, ")  TX bytes:%" PRIu64 " (", s->tx_bytes);
    print_bytes(out, s->tx_bytes);
    fprintf(out, ")\n\n");
}
