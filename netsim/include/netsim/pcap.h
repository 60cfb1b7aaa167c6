/* Capture files through libpcap: classic pcap with nanosecond timestamps
 * (magic 0xa1b23c4d, LINKTYPE_ETHERNET), timestamps = a fixed epoch + virtual
 * time, so a run's capture is byte-identical every time; and a reader for
 * replaying a capture into the network (`hvsim net --replay-pcap`). */
#ifndef NETSIM_PCAP_H
#define NETSIM_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "netsim/bridge.h"
#include "netsim/port.h"

#define NETSIM_PCAP_MAGIC_NS 0xa1b23c4du
#define NETSIM_PCAP_LINKTYPE_ETHERNET 1
#define NETSIM_PCAP_SNAPLEN 65535
/* Virtual time 0 is 2020-01-01T00:00:00Z in captures. */
#define NETSIM_PCAP_EPOCH_S 1577836800ULL

struct netsim_pcap {
    void *dead;   /* libpcap's pcap_t the dumper writes for */
    void *dumper; /* pcap_dumper_t */
    uint64_t frames;
    int err;
};

/* NULL (logged) when the file cannot be created. */
struct netsim_pcap *netsim_pcap_open(const char *path);
/* Flush and close; returns 0 or HV_EIO if any write failed. Frees pc. */
int netsim_pcap_close(struct netsim_pcap *pc);
void netsim_pcap_write(struct netsim_pcap *pc, vtime_t t, const uint8_t *frame, size_t len);
/* Push buffered records to the file (a paced run keeps whole records on disk). */
void netsim_pcap_flush(struct netsim_pcap *pc);
/* Record what a port receives and/or sends (NETSIM_CAP_RX | NETSIM_CAP_TX). */
int netsim_pcap_attach_port(struct netsim_pcap *pc, struct netsim_port *p, int dirs);
/* Record every frame entering the bridge (as tcpdump -i on each port's ingress). */
int netsim_pcap_attach_bridge(struct netsim_pcap *pc, struct netsim_bridge *br);

/* A capture read back, frame by frame (any pcap file libpcap reads whose link
 * type is Ethernet; microsecond files too, their stamps scaled to ns). */
struct netsim_pcap_reader {
    void *p;          /* pcap_t */
    char path[256];
    uint64_t record;  /* records read so far */
};

/* 0, or HV_EIO with err naming the file and what is wrong with it. */
int netsim_pcap_reader_open(struct netsim_pcap_reader *r, const char *path, char *err, size_t errlen);
/* The next frame: 1 with *ns (ns since the Unix epoch), *frame (valid until
 * the next call) and *len; 0 at the end; HV_EIO with err naming the file and
 * record when the file is damaged or a frame is not one netsim can carry. */
int netsim_pcap_reader_next(struct netsim_pcap_reader *r, uint64_t *ns, const uint8_t **frame, size_t *len,
                            char *err, size_t errlen);
void netsim_pcap_reader_close(struct netsim_pcap_reader *r);

#endif
