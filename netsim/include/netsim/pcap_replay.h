/* A capture played back into the network: a port that sends each frame of a
 * pcap file at its recorded spacing (the first frame at a chosen virtual time),
 * as if the host that sent them were plugged in there. Frames the network sends
 * back to the port are counted, not answered. */
#ifndef NETSIM_PCAP_REPLAY_H
#define NETSIM_PCAP_REPLAY_H

#include "base/evq.h"
#include "netsim/pcap.h"
#include "netsim/port.h"

struct netsim_pcap_replay {
    struct netsim_port port; /* link this to where the frames enter */
    struct netsim_pcap_reader rd;
    struct event ev;
    vtime_t start;      /* virtual time of the first frame */
    uint64_t first_ns;  /* its capture stamp */
    uint8_t next[NETSIM_FRAME_MAX];
    size_t next_len;
    uint64_t sent, dropped, received;
    int done;           /* 1 at the end of the file, HV_EIO on a damaged one */
    char err[512];
};

/* Open `path` and schedule its first frame at virtual time `start`. NULL with
 * err naming the file (and record) when it cannot be read. */
struct netsim_pcap_replay *netsim_pcap_replay_new(struct netsim *net, const char *name, const char *path,
                                                  vtime_t start, char *err, size_t errlen);
void netsim_pcap_replay_free(struct netsim_pcap_replay *r);

#endif
