/* Tests for connection tracking: lookups both ways, TCP states and Linux's
 * timeouts, UDP stream timeout, expiry, a full table. */
#include <criterion/criterion.h>

#include "netsim/conntrack.h"
#include "netsim/frame.h"

static const struct netsim_tuple O = { .src = NETSIM_IP(192, 168, 122, 2), .dst = NETSIM_IP(192, 168, 1, 10),
                                       .sport = 40000, .dport = 80, .proto = IP_PROTO_TCP };
static const struct netsim_tuple R = { .src = NETSIM_IP(192, 168, 1, 10), .dst = NETSIM_IP(192, 168, 1, 2),
                                       .sport = 80, .dport = 40000, .proto = IP_PROTO_TCP };

Test(conntrack, lookup_both_directions)
{
    struct netsim_conntrack ct;
    int dir = -1;
    struct netsim_tuple other = O;

    cr_assert_eq(netsim_ct_init(&ct, 16), 0);
    cr_assert_not_null(netsim_ct_insert(&ct, &O, &R, 0));
    cr_assert_not_null(netsim_ct_lookup(&ct, &O, 1, &dir));
    cr_assert_eq(dir, 0);
    cr_assert_not_null(netsim_ct_lookup(&ct, &R, 1, &dir));
    cr_assert_eq(dir, 1);
    other.sport = 40001;
    cr_assert_null(netsim_ct_lookup(&ct, &other, 1, &dir));
    cr_assert(netsim_ct_reply_taken(&ct, &R, 1));
    netsim_ct_destroy(&ct);
}

Test(conntrack, tcp_states_and_timeouts)
{
    struct netsim_conntrack ct;
    struct netsim_conn *c;
    int dir;

    netsim_ct_init(&ct, 16);
    c = netsim_ct_insert(&ct, &O, &R, 0);
    netsim_ct_update(c, 0, TCP_SYN, 60, 0);
    cr_assert_eq(c->tcp_state, CT_TCP_SYN_SENT);
    cr_assert_eq(c->expires, 120 * VTIME_S);
    netsim_ct_update(c, 1, TCP_SYN | TCP_ACK, 60, 0);
    cr_assert_eq(c->tcp_state, CT_TCP_SYN_RECV);
    cr_assert_eq(c->expires, 60 * VTIME_S);
    netsim_ct_update(c, 0, TCP_ACK, 60, 0);
    cr_assert_eq(c->tcp_state, CT_TCP_ESTABLISHED);
    cr_assert_eq(c->expires, 432000 * VTIME_S);
    netsim_ct_update(c, 1, TCP_FIN | TCP_ACK, 60, 0);
    cr_assert_eq(c->tcp_state, CT_TCP_CLOSE_WAIT);
    cr_assert_eq(c->expires, 60 * VTIME_S);
    netsim_ct_update(c, 0, TCP_FIN | TCP_ACK, 60, 0);
    cr_assert_eq(c->tcp_state, CT_TCP_LAST_ACK);
    cr_assert_eq(c->expires, 30 * VTIME_S);
    netsim_ct_update(c, 1, TCP_ACK, 60, 0);
    cr_assert_eq(c->tcp_state, CT_TCP_TIME_WAIT);
    cr_assert_eq(c->expires, 120 * VTIME_S);
    cr_assert_not_null(netsim_ct_lookup(&ct, &O, 120 * VTIME_S - 1, &dir));
    cr_assert_null(netsim_ct_lookup(&ct, &O, 120 * VTIME_S, &dir), "expired entries vanish");
    cr_assert_eq(ct.count, 0);
    netsim_ct_destroy(&ct);
}

Test(conntrack, rst_closes)
{
    struct netsim_conntrack ct;
    struct netsim_conn *c;

    netsim_ct_init(&ct, 16);
    c = netsim_ct_insert(&ct, &O, &R, 0);
    netsim_ct_update(c, 0, TCP_SYN, 60, 0);
    netsim_ct_update(c, 1, TCP_RST | TCP_ACK, 60, 5);
    cr_assert_eq(c->tcp_state, CT_TCP_CLOSE);
    cr_assert_eq(c->expires, 5 + 10 * VTIME_S);
    netsim_ct_destroy(&ct);
}

Test(conntrack, udp_becomes_stream)
{
    struct netsim_conntrack ct;
    struct netsim_tuple o = O, r = R;
    struct netsim_conn *c;

    o.proto = r.proto = IP_PROTO_UDP;
    netsim_ct_init(&ct, 16);
    c = netsim_ct_insert(&ct, &o, &r, 0);
    netsim_ct_update(c, 0, 0, 60, 0);
    cr_assert_eq(c->expires, 30 * VTIME_S);
    netsim_ct_update(c, 1, 0, 60, 0);
    netsim_ct_update(c, 0, 0, 60, 0);
    cr_assert_eq(c->expires, 120 * VTIME_S);
    netsim_ct_destroy(&ct);
}

Test(conntrack, full_table_expires_or_refuses)
{
    struct netsim_conntrack ct;
    struct netsim_tuple o = O, r = R;

    netsim_ct_init(&ct, 4);
    for (int i = 0; i < 4; i++) {
        o.sport = r.dport = (uint16_t)(1000 + i);
        cr_assert_not_null(netsim_ct_insert(&ct, &o, &r, 0));
    }
    o.sport = r.dport = 2000;
    cr_assert_null(netsim_ct_insert(&ct, &o, &r, 1));
    cr_assert_eq(ct.insert_failed, 1);
    cr_assert_not_null(netsim_ct_insert(&ct, &o, &r, 31 * VTIME_S), "expired entries make room");
    cr_assert_eq(ct.count, 1);
    netsim_ct_destroy(&ct);
}
