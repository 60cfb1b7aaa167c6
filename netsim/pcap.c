/* Classic pcap writer (the libpcap file format, tcpdump.org/manpages/pcap-savefile.5):
 * little-endian headers written field by field, so the bytes do not depend on
 * the host's struct layout. */
#include "netsim/pcap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

struct netsim_pcap *netsim_pcap_open(const char *path)
{
    uint8_t h[24];
    struct netsim_pcap *pc = calloc(1, sizeof *pc);

    if (!pc) {
        log_error("netsim: no memory for capture %s", path);
        return NULL;
    }
    pc->f = fopen(path, "wb");
    if (!pc->f) {
        log_error("netsim: cannot create capture %s: %s", path, strerror(errno));
        free(pc);
        return NULL;
    }
    put32(h, NETSIM_PCAP_MAGIC_NS);
    h[4] = 2; /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    put32(h + 8, 0);  /* thiszone: UTC */
    put32(h + 12, 0); /* sigfigs */
    put32(h + 16, NETSIM_PCAP_SNAPLEN);
    put32(h + 20, NETSIM_PCAP_LINKTYPE_ETHERNET);
    if (fwrite(h, sizeof h, 1, pc->f) != 1)
        pc->err = HV_EIO;
    return pc;
}

int netsim_pcap_close(struct netsim_pcap *pc)
{
    int rc;

    if (!pc)
        return HV_OK;
    rc = pc->err;
    if (fclose(pc->f) != 0)
        rc = HV_EIO;
    free(pc);
    return rc;
}

void netsim_pcap_write(struct netsim_pcap *pc, vtime_t t, const uint8_t *frame, size_t len)
{
    uint8_t h[16];
    uint64_t s = NETSIM_PCAP_EPOCH_S + t / VTIME_S;

    put32(h, (uint32_t)s);
    put32(h + 4, (uint32_t)(t % VTIME_S));
    put32(h + 8, (uint32_t)len);
    put32(h + 12, (uint32_t)len);
    if (fwrite(h, sizeof h, 1, pc->f) != 1 || fwrite(frame, len, 1, pc->f) != 1)
        pc->err = HV_EIO;
    pc->frames++;
}

static void pcap_cap(void *opaque, struct netsim_port *port, int dir, vtime_t t, const uint8_t *frame,
                     size_t len)
{
    netsim_pcap_write(opaque, t, frame, len);
}

int netsim_pcap_attach_port(struct netsim_pcap *pc, struct netsim_port *p, int dirs)
{
    return netsim_port_add_capture(p, dirs, pcap_cap, pc);
}

int netsim_pcap_attach_bridge(struct netsim_pcap *pc, struct netsim_bridge *br)
{
    return netsim_bridge_set_capture(br, pcap_cap, pc);
}
