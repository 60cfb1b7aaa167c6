/* Classic pcap capture files (nanosecond magic 0xa1b23c4d, LINKTYPE_ETHERNET),
 * timestamps = a fixed epoch + virtual time, so a run's capture is byte-identical
 * every time. Written directly (the format is 24 + 16 bytes of headers). */
#ifndef NETSIM_PCAP_H
#define NETSIM_PCAP_H

#include <stdio.h>

#include "netsim/bridge.h"
#include "netsim/port.h"

#define NETSIM_PCAP_MAGIC_NS 0xa1b23c4du
#define NETSIM_PCAP_LINKTYPE_ETHERNET 1
#define NETSIM_PCAP_SNAPLEN 65535
/* Virtual time 0 is 2020-01-01T00:00:00Z in captures. */
#define NETSIM_PCAP_EPOCH_S 1577836800ULL

struct netsim_pcap {
    FILE *f;
    uint64_t frames;
    int err;
};

/* NULL (logged) when the file cannot be created. */
struct netsim_pcap *netsim_pcap_open(const char *path);
/* Flush and close; returns 0 or HV_EIO if any write failed. Frees pc. */
int netsim_pcap_close(struct netsim_pcap *pc);
void netsim_pcap_write(struct netsim_pcap *pc, vtime_t t, const uint8_t *frame, size_t len);
/* Record what a port receives and/or sends (NETSIM_CAP_RX | NETSIM_CAP_TX). */
int netsim_pcap_attach_port(struct netsim_pcap *pc, struct netsim_port *p, int dirs);
/* Record every frame entering the bridge (as tcpdump -i on each port's ingress). */
int netsim_pcap_attach_bridge(struct netsim_pcap *pc, struct netsim_bridge *br);

#endif
