/* Helpers shared by the netsim tests. */
#include "nstest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sink_rx(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    struct sink *s = opaque;
    s->frames++;
    s->bytes += len;
    memcpy(s->last, frame, len);
    s->last_len = len;
    s->last_t = port->net->q->now;
}

void sink_init(struct sink *s, struct netsim *net, const char *name)
{
    memset(s, 0, sizeof *s);
    netsim_port_init(&s->port, net, name, sink_rx, s);
}

size_t make_udp(uint8_t *f, size_t len, const uint8_t *smac, const uint8_t *dmac, uint32_t sip,
                uint32_t dip, uint16_t sport, uint16_t dport)
{
    size_t plen = len - ETH_HLEN - IPV4_HLEN - UDP_HLEN;
    uint8_t payload[NETSIM_FRAME_MAX];

    for (size_t i = 0; i < plen; i++)
        payload[i] = (uint8_t)i;
    netsim_eth_write(f, dmac, smac, ETHERTYPE_IPV4);
    netsim_ipv4_write(f + ETH_HLEN, IP_PROTO_UDP, sip, dip, 1, 64, UDP_HLEN + plen);
    netsim_udp_write(f + ETH_HLEN + IPV4_HLEN, sip, dip, sport, dport, payload, plen);
    return len;
}

static char *run_cmd(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char *out;
    size_t n = 0, cap = 4096;

    if (!p)
        return NULL;
    out = malloc(cap);
    for (;;) {
        size_t r = fread(out + n, 1, cap - n - 1, p);
        n += r;
        if (r == 0)
            break;
        if (n + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[n] = 0;
    if (pclose(p) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

#define TSHARK_CSUM "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE "

int tshark_bad(const char *path)
{
    char cmd[1024];
    char *out;
    int bad = 0;

    snprintf(cmd, sizeof cmd,
             "tshark -n " TSHARK_CSUM "-r '%s' -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null",
             path);
    out = run_cmd(cmd);
    if (!out)
        return -1;
    for (char *l = out; *l; l++)
        if (*l == '\n')
            bad++;
    if (bad)
        fprintf(stderr, "tshark flags in %s:\n%s", path, out);
    free(out);
    /* The expert summary too, in case a filter field name changes between versions. */
    snprintf(cmd, sizeof cmd, "tshark -n " TSHARK_CSUM "-r '%s' -q -z expert,error 2>/dev/null", path);
    out = run_cmd(cmd);
    if (!out)
        return -1;
    if (strstr(out, "Malformed") || strstr(out, "Errors (")) {
        fprintf(stderr, "tshark expert in %s:\n%s", path, out);
        bad++;
    }
    free(out);
    return bad;
}

char *tshark_run(const char *path, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "tshark -n -r '%s' -T fields -E separator=, %s 2>/dev/null", path, args);
    return run_cmd(cmd);
}

uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}
