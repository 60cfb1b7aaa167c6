/* Helpers shared by the netsim tests: frame makers, a receiving sink, tshark checks. */
#ifndef TESTS_NETSIM_NSTEST_H
#define TESTS_NETSIM_NSTEST_H

#include <stddef.h>
#include <stdint.h>

#include "netsim/port.h"

/* A port that records what it receives. */
struct sink {
    struct netsim_port port;
    int frames;
    size_t bytes;
    uint8_t last[NETSIM_FRAME_MAX];
    size_t last_len;
    vtime_t last_t;
};
void sink_init(struct sink *s, struct netsim *net, const char *name);

/* A UDP/IPv4 frame of total length len (>= 42) from smac/sip to dmac/dip. */
size_t make_udp(uint8_t *f, size_t len, const uint8_t *smac, const uint8_t *dmac, uint32_t sip,
                uint32_t dip, uint16_t sport, uint16_t dport);

/* Frames tshark flags as malformed or with an expert error (checksums checked);
 * -1 when tshark cannot run. */
int tshark_bad(const char *path);
/* Output of `tshark -r path -T fields -E separator=, <args>`, caller frees. */
char *tshark_run(const char *path, const char *args);
/* Read a whole file; caller frees. */
uint8_t *slurp(const char *path, size_t *len);

#endif
