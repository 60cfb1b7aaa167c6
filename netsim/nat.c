/* NAT router: MASQUERADE (SNAT to the uplink address) and port forwarding (DNAT)
 * driven by conntrack, as iptables' nat table does (RFC 3022 for the model,
 * RFC 1812 5.3.1 for TTL, RFC 1624 for checksum updates, RFC 5508 for ICMP errors). */
#include "netsim/nat.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

void netsim_nat_config_default(struct netsim_nat_config *c)
{
    static const uint8_t lan_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x01 };
    static const uint8_t wan_mac[ETH_ALEN] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02 };

    memset(c, 0, sizeof *c);
    c->lan_name = "virbr0";
    c->wan_name = "eth0";
    memcpy(c->lan_mac, lan_mac, ETH_ALEN);
    memcpy(c->wan_mac, wan_mac, ETH_ALEN);
    c->lan_ip = NETSIM_IP(192, 168, 122, 1);
    c->lan_mask = 0xffffff00u;
    c->wan_ip = NETSIM_IP(192, 168, 1, 2);
    c->wan_mask = 0xffffff00u;
    c->wan_gw = NETSIM_IP(192, 168, 1, 1);
    c->dns_upstream = NETSIM_IP(192, 168, 1, 1);
    c->dhcp_lo = NETSIM_IP(192, 168, 122, 2);
    c->dhcp_hi = NETSIM_IP(192, 168, 122, 254);
    c->seed = 1;
}

static void tuple_of(const struct netsim_pinfo *pi, struct netsim_tuple *t)
{
    t->src = pi->src;
    t->dst = pi->dst;
    t->sport = pi->sport;
    t->dport = pi->dport;
    t->proto = pi->proto;
}

/* Rewrite addresses and ports of the packet at ip (L4 at l4), fixing every checksum. */
static void rewrite(uint8_t *ip, uint8_t *l4, uint8_t proto, uint32_t nsrc, uint16_t nsport, uint32_t ndst,
                    uint16_t ndport)
{
    uint32_t osrc = netsim_get32(ip + 12), odst = netsim_get32(ip + 16);
    uint8_t *csum = NULL;

    netsim_csum_replace32(ip + 10, osrc, nsrc);
    netsim_csum_replace32(ip + 10, odst, ndst);
    netsim_put32(ip + 12, nsrc);
    netsim_put32(ip + 16, ndst);
    if (proto == IP_PROTO_TCP)
        csum = l4 + 16;
    else if (proto == IP_PROTO_UDP && netsim_get16(l4 + 6))
        csum = l4 + 6;
    if (csum) {
        /* TCP and UDP checksums cover the pseudo-header addresses. */
        netsim_csum_replace32(csum, osrc, nsrc);
        netsim_csum_replace32(csum, odst, ndst);
        netsim_csum_replace16(csum, netsim_get16(l4), nsport);
        netsim_csum_replace16(csum, netsim_get16(l4 + 2), ndport);
        netsim_put16(l4, nsport);
        netsim_put16(l4 + 2, ndport);
        if (proto == IP_PROTO_UDP && netsim_get16(csum) == 0)
            netsim_put16(csum, 0xffff);
    } else if (proto == IP_PROTO_UDP) {
        netsim_put16(l4, nsport);
        netsim_put16(l4 + 2, ndport);
    } else if (proto == IP_PROTO_ICMP) {
        netsim_csum_replace16(l4 + 2, netsim_get16(l4 + 4), nsport); /* echo identifier */
        netsim_put16(l4 + 4, nsport);
    }
}

static void ttl_dec(uint8_t *ip)
{
    uint16_t old = netsim_get16(ip + 8);
    ip[8]--;
    netsim_csum_replace16(ip + 10, old, netsim_get16(ip + 8));
}

static int trackable(const struct netsim_pinfo *pi)
{
    if (!pi->l4_ok)
        return 0;
    if (pi->proto == IP_PROTO_TCP || pi->proto == IP_PROTO_UDP)
        return 1;
    return pi->proto == IP_PROTO_ICMP && (pi->icmp_type == ICMP_ECHO || pi->icmp_type == ICMP_ECHOREPLY);
}

/* iptables MASQUERADE port choice: keep the source port if free, else search the
 * port's class (below 512, 512-1023, 1024-65535) from a rotating start. Like
 * Linux (nf_nat_l4proto_unique_tuple) it gives up after 128 tries, so a
 * destination whose ports are exhausted costs a bounded search, not 64k lookups. */
#define NAT_PORT_TRIES 128
static int choose_port(struct netsim_nat *nat, struct netsim_tuple *reply, uint16_t orig)
{
    vtime_t now = nat->net->q->now;
    uint32_t lo = 1024, hi = 65535, n;

    reply->dport = orig;
    if (!netsim_ct_reply_taken(&nat->ct, reply, now))
        return HV_OK;
    if (reply->proto == IP_PROTO_ICMP) {
        lo = 0; /* echo identifiers have no classes */
    } else if (orig < 512) {
        lo = 1;
        hi = 511;
    } else if (orig < 1024) {
        lo = 600;
        hi = 1023;
    }
    n = hi - lo + 1;
    for (uint32_t i = 0; i < n && i < NAT_PORT_TRIES; i++) {
        reply->dport = (uint16_t)(lo + (nat->next_port + i) % n);
        if (!netsim_ct_reply_taken(&nat->ct, reply, now)) {
            nat->next_port = (uint16_t)(nat->next_port + i + 1);
            return HV_OK;
        }
    }
    return HV_EFULL;
}

static void translate_and_send(struct netsim_nat *nat, struct netsim_conn *c, int dir, uint8_t *frame, size_t len,
                               const struct netsim_pinfo *pi, struct netsim_host *out)
{
    const struct netsim_tuple *t = dir == 0 ? &c->reply : &c->orig;
    uint8_t *ip = frame + ETH_HLEN;

    netsim_ct_update(c, dir, pi->tcp_flags, pi->ip_len, nat->net->q->now);
    /* Packets in one direction take the other direction's tuple, mirrored. */
    rewrite(ip, frame + pi->l4off, pi->proto, t->dst, t->dport, t->src, t->sport);
    ttl_dec(ip);
    netsim_iface_output(&out->ifc, netsim_iface_nexthop(&out->ifc, t->src), frame, len);
}

/* Outbound: a packet from the inside not addressed to the router. */
static void nat_forward_out(void *opaque, struct netsim_host *h, uint8_t *frame, size_t len,
                            const struct netsim_pinfo *pi)
{
    struct netsim_nat *nat = opaque;
    struct netsim_tuple t, reply;
    struct netsim_conn *c;
    int dir;

    if ((pi->dst & nat->cfg.lan_mask) == (nat->cfg.lan_ip & nat->cfg.lan_mask) || (pi->dst >> 28) == 14) {
        nat->dropped++; /* on-link or multicast: not routed */
        return;
    }
    if (pi->ttl <= 1) {
        nat->ttl_exceeded++;
        netsim_host_icmp_error(h, nat->cfg.lan_ip, frame, pi, ICMP_TIME_EXCEEDED, 0);
        return;
    }
    if (!trackable(pi)) {
        /* Fragments would need defragmentation first (Linux reassembles before
         * conntrack); other protocols are not masqueraded. Count and drop. */
        if (pi->frag & (IPV4_MF | IPV4_OFFMASK))
            nat->frags_dropped++;
        nat->dropped++;
        return;
    }
    tuple_of(pi, &t);
    c = netsim_ct_lookup(&nat->ct, &t, nat->net->q->now, &dir);
    if (!c) {
        if (pi->proto == IP_PROTO_ICMP && pi->icmp_type != ICMP_ECHO) {
            nat->dropped++;
            return;
        }
        if (pi->proto == IP_PROTO_TCP && (pi->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) {
            nat->dropped++; /* conntrack marks a mid-stream packet INVALID */
            return;
        }
        reply.src = t.dst;
        reply.sport = t.dport;
        reply.dst = nat->cfg.wan_ip;
        reply.proto = t.proto;
        if (choose_port(nat, &reply, t.sport) != HV_OK) {
            nat->dropped++;
            return;
        }
        if (t.proto == IP_PROTO_ICMP)
            reply.sport = reply.dport; /* echo replies carry the mapped identifier */
        c = netsim_ct_insert(&nat->ct, &t, &reply, nat->net->q->now);
        if (!c) {
            nat->dropped++;
            return;
        }
        dir = 0;
    }
    nat->out_packets++;
    translate_and_send(nat, c, dir, frame, len, pi, &nat->wan);
}

/* An ICMP error from outside about a masqueraded packet (RELATED): rewrite the
 * outer destination and the quoted header back to the inside host. */
static int nat_icmp_error_in(struct netsim_nat *nat, uint8_t *frame, size_t len, const struct netsim_pinfo *pi)
{
    uint8_t *icmp = frame + pi->l4off, *in = icmp + ICMP_HLEN, *inl4;
    size_t ihl;
    struct netsim_tuple t;
    struct netsim_conn *c;
    int dir;

    if (pi->l4len < ICMP_HLEN + IPV4_HLEN + 8 || (in[0] >> 4) != 4)
        return 0;
    if (netsim_csum(icmp, pi->l4len) != 0) {
        nat->dropped++; /* a corrupt error must not be "repaired" by our rewrite */
        return 1;
    }
    ihl = (size_t)(in[0] & 15) * 4;
    if (ihl < IPV4_HLEN || pi->l4len < ICMP_HLEN + ihl + 8)
        return 0;
    inl4 = in + ihl;
    /* The quoted packet went out from us: look it up as the reply direction would see it. */
    t.src = netsim_get32(in + 16);
    t.dst = netsim_get32(in + 12);
    t.proto = in[9];
    t.sport = t.proto == IP_PROTO_ICMP ? netsim_get16(inl4 + 4) : netsim_get16(inl4 + 2);
    t.dport = t.proto == IP_PROTO_ICMP ? netsim_get16(inl4 + 4) : netsim_get16(inl4);
    c = netsim_ct_lookup(&nat->ct, &t, nat->net->q->now, &dir);
    if (!c || dir != 1)
        return 0;
    if (pi->ttl <= 1)
        return 1;
    /* Quoted packet: its source becomes the inside host again. */
    netsim_csum_replace32(in + 10, netsim_get32(in + 12), c->orig.src);
    netsim_put32(in + 12, c->orig.src);
    if (t.proto == IP_PROTO_ICMP)
        netsim_put16(inl4 + 4, c->orig.sport);
    else
        netsim_put16(inl4, c->orig.sport);
    netsim_csum_replace32(frame + ETH_HLEN + 10, netsim_get32(frame + ETH_HLEN + 16), c->orig.src);
    netsim_put32(frame + ETH_HLEN + 16, c->orig.src);
    ttl_dec(frame + ETH_HLEN);
    /* The quote changed in several places: recompute the ICMP checksum whole. */
    netsim_put16(icmp + 2, 0);
    netsim_put16(icmp + 2, netsim_csum(icmp, pi->l4len));
    nat->related++;
    nat->in_packets++;
    netsim_iface_output(&nat->lan.ifc, c->orig.src, frame, len);
    return 1;
}

/* Inbound: every unicast packet reaching the uplink address passes here first. */
static int nat_prerouting_in(void *opaque, struct netsim_host *h, uint8_t *frame, size_t len,
                             const struct netsim_pinfo *pi)
{
    struct netsim_nat *nat = opaque;
    struct netsim_tuple t, orig, reply;
    struct netsim_conn *c;
    int dir;

    if (pi->dst != nat->cfg.wan_ip || !pi->l4_ok)
        return 0;
    if (pi->proto == IP_PROTO_ICMP && (pi->icmp_type == ICMP_DEST_UNREACH || pi->icmp_type == ICMP_TIME_EXCEEDED))
        return nat_icmp_error_in(nat, frame, len, pi);
    if (!trackable(pi))
        return 0;
    tuple_of(pi, &t);
    c = netsim_ct_lookup(&nat->ct, &t, nat->net->q->now, &dir);
    if (!c && pi->proto != IP_PROTO_ICMP) {
        for (int i = 0; i < nat->nfwd && !c; i++) {
            if (nat->fwd[i].proto != pi->proto || nat->fwd[i].ext_port != pi->dport)
                continue;
            if (pi->proto == IP_PROTO_TCP && (pi->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
                break;
            orig = t;
            reply.src = nat->fwd[i].int_ip;
            reply.sport = nat->fwd[i].int_port;
            reply.dst = t.src;
            reply.dport = t.sport;
            reply.proto = t.proto;
            c = netsim_ct_insert(&nat->ct, &orig, &reply, nat->net->q->now);
            dir = 0;
        }
    }
    if (!c)
        return 0; /* for the router itself */
    if (pi->ttl <= 1) {
        nat->ttl_exceeded++;
        netsim_host_icmp_error(h, nat->cfg.wan_ip, frame, pi, ICMP_TIME_EXCEEDED, 0);
        return 1;
    }
    nat->in_packets++;
    translate_and_send(nat, c, dir, frame, len, pi, &nat->lan);
    return 1;
}

struct netsim_nat *netsim_nat_new(struct netsim *net, const struct netsim_nat_config *cfg)
{
    struct netsim_nat *nat = calloc(1, sizeof *nat);

    if (!nat) {
        log_error("netsim: nat: no memory");
        return NULL;
    }
    nat->net = net;
    nat->cfg = *cfg;
    if (netsim_ct_init(&nat->ct, cfg->conns ? cfg->conns : NETSIM_NAT_CONNS) != HV_OK) {
        log_error("netsim: nat: no memory for conntrack");
        goto fail_after_alloc;
    }
    netsim_host_init(&nat->lan, net, "nat-lan", cfg->lan_name, cfg->lan_mac, cfg->seed);
    netsim_host_init(&nat->wan, net, "nat-wan", cfg->wan_name, cfg->wan_mac, cfg->seed + 1);
    netsim_iface_set_addr(&nat->lan.ifc, cfg->lan_ip, cfg->lan_mask, 0);
    netsim_iface_set_addr(&nat->wan.ifc, cfg->wan_ip, cfg->wan_mask, cfg->wan_gw);
    nat->lan.forward = nat_forward_out;
    nat->lan.fwd_opaque = nat;
    nat->wan.prerouting = nat_prerouting_in;
    nat->wan.pre_opaque = nat;
    nat->next_port = (uint16_t)prng_next(&nat->lan.rng);
    if (cfg->dhcp_lo) {
        struct netsim_dhcp_config dc = { .pool_lo = cfg->dhcp_lo, .pool_hi = cfg->dhcp_hi, .mask = cfg->lan_mask,
                                         .router = cfg->lan_ip, .dns = cfg->lan_ip, .domain = cfg->domain };
        nat->dhcp = netsim_dhcp_server_new(&nat->lan, &dc);
        if (!nat->dhcp)
            goto fail_after_hosts;
    }
    nat->dns = netsim_dns_server_new(&nat->lan, NULL);
    if (!nat->dns)
        goto fail_after_dhcp;
    if (nat->dhcp)
        netsim_dns_use_dhcp(nat->dns, nat->dhcp, cfg->domain);
    if (cfg->dns_upstream && netsim_dns_set_upstream(nat->dns, &nat->wan, cfg->dns_upstream) != HV_OK)
        goto fail_after_dns;
    return nat;

fail_after_dns:
    netsim_dns_server_free(nat->dns);
fail_after_dhcp:
    netsim_dhcp_server_free(nat->dhcp);
fail_after_hosts:
    netsim_host_fini(&nat->lan);
    netsim_host_fini(&nat->wan);
    netsim_ct_destroy(&nat->ct);
fail_after_alloc:
    free(nat);
    return NULL;
}

void netsim_nat_free(struct netsim_nat *nat)
{
    if (!nat)
        return;
    netsim_dns_server_free(nat->dns);
    netsim_dhcp_server_free(nat->dhcp);
    netsim_host_fini(&nat->lan);
    netsim_host_fini(&nat->wan);
    netsim_ct_destroy(&nat->ct);
    free(nat);
}

int netsim_nat_add_forward(struct netsim_nat *nat, uint8_t proto, uint16_t ext_port, uint32_t int_ip, uint16_t int_port)
{
    if (nat->nfwd == NETSIM_NAT_FORWARDS)
        return HV_EFULL;
    if (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP)
        return HV_EINVAL;
    nat->fwd[nat->nfwd].proto = proto;
    nat->fwd[nat->nfwd].ext_port = ext_port;
    nat->fwd[nat->nfwd].int_ip = int_ip;
    nat->fwd[nat->nfwd].int_port = int_port;
    nat->nfwd++;
    return HV_OK;
}

static void print_ip(FILE *out, const char *k, uint32_t ip)
{
    fprintf(out, "%s=%u.%u.%u.%u ", k, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void netsim_nat_print_conns(struct netsim_nat *nat, FILE *out)
{
    vtime_t now = nat->net->q->now;

    for (uint32_t i = 0; i < nat->ct.cap; i++) {
        const struct netsim_conn *c = &nat->ct.conns[i];
        if (!c->used || c->expires <= now)
            continue;
        fprintf(out, "%-4s %u %" PRIu64 " ",
                c->orig.proto == IP_PROTO_TCP ? "tcp" : c->orig.proto == IP_PROTO_UDP ? "udp" : "icmp",
                c->orig.proto, (uint64_t)((c->expires - now) / VTIME_S));
        if (c->orig.proto == IP_PROTO_TCP)
            fprintf(out, "%s ", netsim_ct_tcp_state_name(c->tcp_state));
        print_ip(out, "src", c->orig.src);
        print_ip(out, "dst", c->orig.dst);
        fprintf(out, "sport=%u dport=%u ", c->orig.sport, c->orig.dport);
        print_ip(out, "src", c->reply.src);
        print_ip(out, "dst", c->reply.dst);
        fprintf(out, "sport=%u dport=%u%s\n", c->reply.sport, c->reply.dport, c->replied ? " [ASSURED]" : "");
    }
}
