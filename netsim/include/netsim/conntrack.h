/* Connection tracking as Linux's nf_conntrack keeps it for NAT: each connection
 * has an original and a reply tuple, TCP states with Linux's timeouts, UDP
 * (30 s, 120 s once replied to) and ICMP echo by identifier. */
#ifndef NETSIM_CONNTRACK_H
#define NETSIM_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/vtime.h"

struct netsim_tuple {
    uint32_t src, dst;
    uint16_t sport, dport; /* ICMP echo: the identifier in both */
    uint8_t proto;
};

enum netsim_ct_tcp {
    CT_TCP_NONE = 0, CT_TCP_SYN_SENT, CT_TCP_SYN_RECV, CT_TCP_ESTABLISHED, CT_TCP_FIN_WAIT,
    CT_TCP_CLOSE_WAIT, CT_TCP_LAST_ACK, CT_TCP_TIME_WAIT, CT_TCP_CLOSE,
};

struct netsim_conn {
    struct netsim_tuple orig, reply; /* reply: as packets from the far side look after NAT */
    vtime_t expires;
    uint8_t used, tcp_state, replied;
    uint8_t fin_orig, fin_reply;
    int32_t next_o, next_r; /* hash chains */
    uint64_t packets[2], bytes[2];
};

struct netsim_conntrack {
    struct netsim_conn *conns;
    int32_t *bucket_o, *bucket_r;
    uint32_t cap, nbuckets, count, free_hint;
    uint64_t created, expired, insert_failed;
};

int netsim_ct_init(struct netsim_conntrack *ct, uint32_t cap);
void netsim_ct_destroy(struct netsim_conntrack *ct);
/* Find by a packet's tuple: *dir is 0 when it matched the original direction,
 * 1 for the reply. Expired entries are removed on the way. */
struct netsim_conn *netsim_ct_lookup(struct netsim_conntrack *ct, const struct netsim_tuple *t, vtime_t now, int *dir);
/* Is the reply tuple taken by a live connection? (MASQUERADE's uniqueness test) */
int netsim_ct_reply_taken(struct netsim_conntrack *ct, const struct netsim_tuple *reply, vtime_t now);
struct netsim_conn *netsim_ct_insert(struct netsim_conntrack *ct, const struct netsim_tuple *orig,
                                     const struct netsim_tuple *reply, vtime_t now);
/* Advance the state machine for a packet seen in direction dir; sets the timeout. */
void netsim_ct_update(struct netsim_conn *c, int dir, uint8_t tcp_flags, size_t len, vtime_t now);
/* Remove every expired connection; returns how many. */
uint32_t netsim_ct_expire(struct netsim_conntrack *ct, vtime_t now);
const char *netsim_ct_tcp_state_name(int state);

#endif
