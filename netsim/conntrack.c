/* Connection tracking (after Linux nf_conntrack_proto_tcp.c's state table,
 * simplified): two hash chains per connection (original and reply tuples),
 * hashed with FNV-1a over tuple fields so the table's order is reproducible. */
#include "netsim/conntrack.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "netsim/frame.h"

static const vtime_t tcp_timeout[] = {
    [CT_TCP_NONE] = 30 * VTIME_S,          [CT_TCP_SYN_SENT] = 120 * VTIME_S,
    [CT_TCP_SYN_RECV] = 60 * VTIME_S,      [CT_TCP_ESTABLISHED] = 432000 * VTIME_S,
    [CT_TCP_FIN_WAIT] = 120 * VTIME_S,     [CT_TCP_CLOSE_WAIT] = 60 * VTIME_S,
    [CT_TCP_LAST_ACK] = 30 * VTIME_S,      [CT_TCP_TIME_WAIT] = 120 * VTIME_S,
    [CT_TCP_CLOSE] = 10 * VTIME_S,
};
#define UDP_TIMEOUT (30 * VTIME_S)
#define UDP_STREAM_TIMEOUT (120 * VTIME_S)
#define ICMP_TIMEOUT (30 * VTIME_S)

static const char *const state_names[] = { "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
                                           "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE" };

const char *netsim_ct_tcp_state_name(int state)
{
    return state >= 0 && state <= CT_TCP_CLOSE ? state_names[state] : "?";
}

static uint32_t tuple_hash(const struct netsim_tuple *t, uint32_t nb)
{
    uint32_t h = 2166136261u;
    uint32_t w[4] = { t->src, t->dst, (uint32_t)t->sport << 16 | t->dport, t->proto };
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            h = (h ^ ((w[i] >> (8 * b)) & 0xff)) * 16777619u;
    return h & (nb - 1);
}

static int tuple_eq(const struct netsim_tuple *a, const struct netsim_tuple *b)
{
    return a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport &&
           a->proto == b->proto;
}

int netsim_ct_init(struct netsim_conntrack *ct, uint32_t cap)
{
    memset(ct, 0, sizeof *ct);
    ct->cap = cap;
    ct->nbuckets = 1;
    while (ct->nbuckets < cap)
        ct->nbuckets <<= 1;
    ct->conns = calloc(cap, sizeof *ct->conns);
    ct->bucket_o = malloc(ct->nbuckets * sizeof *ct->bucket_o);
    ct->bucket_r = malloc(ct->nbuckets * sizeof *ct->bucket_r);
    if (!ct->conns || !ct->bucket_o || !ct->bucket_r) {
        netsim_ct_destroy(ct);
        return HV_ENOMEM;
    }
    for (uint32_t i = 0; i < ct->nbuckets; i++)
        ct->bucket_o[i] = ct->bucket_r[i] = -1;
    return HV_OK;
}

void netsim_ct_destroy(struct netsim_conntrack *ct)
{
    free(ct->conns);
    free(ct->bucket_o);
    free(ct->bucket_r);
    memset(ct, 0, sizeof *ct);
}

static void unchain(int32_t *head, struct netsim_conn *conns, int32_t idx, int reply)
{
    int32_t *pp = head;
    while (*pp >= 0) {
        struct netsim_conn *c = &conns[*pp];
        if (*pp == idx) {
            *pp = reply ? c->next_r : c->next_o;
            return;
        }
        pp = reply ? &c->next_r : &c->next_o;
    }
}

static void ct_remove(struct netsim_conntrack *ct, int32_t idx)
{
    struct netsim_conn *c = &ct->conns[idx];
    unchain(&ct->bucket_o[tuple_hash(&c->orig, ct->nbuckets)], ct->conns, idx, 0);
    unchain(&ct->bucket_r[tuple_hash(&c->reply, ct->nbuckets)], ct->conns, idx, 1);
    c->used = 0;
    ct->count--;
    ct->expired++;
}

struct netsim_conn *netsim_ct_lookup(struct netsim_conntrack *ct, const struct netsim_tuple *t, vtime_t now, int *dir)
{
    for (int reply = 0; reply < 2; reply++) {
        int32_t *heads = reply ? ct->bucket_r : ct->bucket_o;
        int32_t i = heads[tuple_hash(t, ct->nbuckets)];
        while (i >= 0) {
            struct netsim_conn *c = &ct->conns[i];
            int32_t next = reply ? c->next_r : c->next_o;
            if (tuple_eq(reply ? &c->reply : &c->orig, t)) {
                if (c->expires <= now) {
                    ct_remove(ct, i);
                    return NULL;
                }
                *dir = reply;
                return c;
            }
            i = next;
        }
    }
    return NULL;
}

int netsim_ct_reply_taken(struct netsim_conntrack *ct, const struct netsim_tuple *reply, vtime_t now)
{
    int dir;
    struct netsim_conn *c = netsim_ct_lookup(ct, reply, now, &dir);
    return c && dir == 1;
}

struct netsim_conn *netsim_ct_insert(struct netsim_conntrack *ct, const struct netsim_tuple *orig,
                                     const struct netsim_tuple *reply, vtime_t now)
{
    struct netsim_conn *c;
    uint32_t i, ho, hr;

    if (ct->count == ct->cap && netsim_ct_expire(ct, now) == 0) {
        ct->insert_failed++;
        log_guest("netsim: conntrack table full (%u), dropping new connection", ct->cap);
        return NULL;
    }
    for (i = ct->free_hint; ct->conns[i].used; i = (i + 1) % ct->cap)
        ;
    ct->free_hint = (i + 1) % ct->cap;
    c = &ct->conns[i];
    memset(c, 0, sizeof *c);
    c->orig = *orig;
    c->reply = *reply;
    c->used = 1;
    c->expires = now + (orig->proto == IP_PROTO_TCP ? tcp_timeout[CT_TCP_NONE] : UDP_TIMEOUT);
    ho = tuple_hash(orig, ct->nbuckets);
    hr = tuple_hash(reply, ct->nbuckets);
    c->next_o = ct->bucket_o[ho];
    ct->bucket_o[ho] = (int32_t)i;
    c->next_r = ct->bucket_r[hr];
    ct->bucket_r[hr] = (int32_t)i;
    ct->count++;
    ct->created++;
    return c;
}

static uint8_t tcp_next(struct netsim_conn *c, int dir, uint8_t fl)
{
    uint8_t s = c->tcp_state;

    if (fl & TCP_RST)
        return CT_TCP_CLOSE;
    if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN && dir == 0 && (s == CT_TCP_NONE || s >= CT_TCP_TIME_WAIT))
        return CT_TCP_SYN_SENT;
    if ((fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && dir == 1 && s == CT_TCP_SYN_SENT)
        return CT_TCP_SYN_RECV;
    if (fl & TCP_FIN) {
        if (dir == 0)
            c->fin_orig = 1;
        else
            c->fin_reply = 1;
        if (c->fin_orig && c->fin_reply)
            return CT_TCP_LAST_ACK;
        return dir == 0 ? CT_TCP_FIN_WAIT : CT_TCP_CLOSE_WAIT;
    }
    if (fl & TCP_ACK) {
        if (s == CT_TCP_SYN_RECV && dir == 0)
            return CT_TCP_ESTABLISHED;
        if (s == CT_TCP_LAST_ACK)
            return CT_TCP_TIME_WAIT; /* the ACK of the second FIN */
    }
    return s;
}

void netsim_ct_update(struct netsim_conn *c, int dir, uint8_t tcp_flags, size_t len, vtime_t now)
{
    c->packets[dir]++;
    c->bytes[dir] += len;
    if (dir == 1)
        c->replied = 1;
    switch (c->orig.proto) {
    case IP_PROTO_TCP:
        c->tcp_state = tcp_next(c, dir, tcp_flags);
        c->expires = now + tcp_timeout[c->tcp_state];
        break;
    case IP_PROTO_UDP:
        c->expires = now + (c->replied && c->packets[0] > 1 ? UDP_STREAM_TIMEOUT : UDP_TIMEOUT);
        break;
    default:
        c->expires = now + ICMP_TIMEOUT;
    }
}

uint32_t netsim_ct_expire(struct netsim_conntrack *ct, vtime_t now)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ct->cap; i++)
        if (ct->conns[i].used && ct->conns[i].expires <= now) {
            ct_remove(ct, (int32_t)i);
            n++;
        }
    return n;
}
