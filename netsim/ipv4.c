/* IPv4 interfaces (RFC 791, RFC 1122 host requirements for what is accepted):
 * Ethernet demultiplexing, validation of every frame before it reaches an IP
 * consumer, next-hop choice and output through ARP. */
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "netsim/ipv4.h"

static void iface_rx(void *opaque, struct netsim_port *port, const uint8_t *cframe, size_t len)
{
    struct netsim_iface *ifc = opaque;
    struct netsim_pinfo pi;
    /* Receivers may rewrite a frame in place (NAT); the link's buffer is ours
     * for the duration of the call, so casting away const is safe here. */
    uint8_t *frame = (uint8_t *)cframe;
    int rc;

    if (len >= ETH_HLEN && !netsim_mac_is_group(frame) && memcmp(frame, ifc->mac, ETH_ALEN)) {
        port->st.rx_dropped++; /* not for us: a NIC without promiscuous mode filters it */
        return;
    }
    rc = netsim_frame_parse(frame, len, &pi);
    if (rc != NETSIM_PARSE_OK) {
        port->st.rx_errors++;
        if (rc == NETSIM_PARSE_RUNT || rc == NETSIM_PARSE_BADLEN)
            port->st.rx_frame++;
        ifc->malformed++;
        port->net->malformed++;
        log_guest("netsim: %s: malformed frame dropped (%d)", port->name, rc);
        return;
    }
    if (pi.ethertype == ETHERTYPE_ARP)
        netsim_arp_input(ifc, frame, len, &pi);
    else if (pi.ethertype == ETHERTYPE_IPV4 && ifc->input)
        ifc->input(ifc->opaque, ifc, frame, len, &pi);
    else
        port->st.rx_dropped++;
}

void netsim_iface_init(struct netsim_iface *ifc, struct netsim *net, const char *name, const uint8_t *mac,
                       netsim_ip_input_fn *input, void *opaque)
{
    memset(ifc, 0, sizeof *ifc);
    netsim_port_init(&ifc->port, net, name, iface_rx, ifc);
    memcpy(ifc->mac, mac, ETH_ALEN);
    memcpy(ifc->port.mac, mac, ETH_ALEN);
    ifc->input = input;
    ifc->opaque = opaque;
    ifc->port.owner = ifc;
    event_init(&ifc->arp_timer, "netsim.arp", netsim_arp_timer, ifc);
}

void netsim_iface_fini(struct netsim_iface *ifc)
{
    netsim_arp_flush(ifc);
    netsim_port_fini(&ifc->port);
}

void netsim_iface_set_addr(struct netsim_iface *ifc, uint32_t ip, uint32_t mask, uint32_t gw)
{
    ifc->ip = ip;
    ifc->mask = mask;
    ifc->gw = gw;
}

uint32_t netsim_iface_nexthop(const struct netsim_iface *ifc, uint32_t dst)
{
    if (dst == 0xffffffffu || (ifc->mask && (dst & ifc->mask) == (ifc->ip & ifc->mask)))
        return dst;
    return ifc->gw;
}

int netsim_iface_output_mac(struct netsim_iface *ifc, const uint8_t *mac, uint8_t *frame, size_t len)
{
    netsim_eth_write(frame, mac, ifc->mac, ETHERTYPE_IPV4);
    return netsim_port_send(&ifc->port, frame, len);
}

int netsim_iface_output(struct netsim_iface *ifc, uint32_t nexthop, uint8_t *frame, size_t len)
{
    uint32_t bcast = ifc->ip | ~ifc->mask;

    if (nexthop == 0xffffffffu || (ifc->mask && nexthop == bcast))
        return netsim_iface_output_mac(ifc, netsim_mac_broadcast, frame, len);
    if (!nexthop) {
        ifc->port.st.tx_errors++; /* no route: ENETUNREACH */
        return HV_ENOENT;
    }
    netsim_eth_write(frame, netsim_mac_broadcast, ifc->mac, ETHERTYPE_IPV4);
    return netsim_arp_resolve_and_send(ifc, nexthop, frame, len);
}
