/* Capture files through libpcap (Debian's libpcap-dev): a dumper on a "dead"
 * handle opened with nanosecond precision writes the classic format with the
 * nanosecond magic, and pcap_next_ex reads captures back for replay. Virtual
 * time goes into the records' seconds and nanoseconds fields, so two runs give
 * the same bytes. */
#include "netsim/pcap.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

struct netsim_pcap *netsim_pcap_open(const char *path)
{
    struct netsim_pcap *pc = calloc(1, sizeof *pc);
    pcap_t *dead;

    if (!pc) {
        log_error("netsim: no memory for capture %s", path);
        return NULL;
    }
    dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, NETSIM_PCAP_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    if (!dead) {
        log_error("netsim: libpcap cannot make a capture handle for %s", path);
        free(pc);
        return NULL;
    }
    pc->dumper = pcap_dump_open(dead, path);
    if (!pc->dumper) {
        log_error("netsim: cannot create capture %s: %s", path, pcap_geterr(dead));
        pcap_close(dead);
        free(pc);
        return NULL;
    }
    pc->dead = dead;
    return pc;
}

int netsim_pcap_close(struct netsim_pcap *pc)
{
    int rc;

    if (!pc)
        return HV_OK;
    rc = pc->err;
    if (pcap_dump_flush(pc->dumper) != 0 || ferror(pcap_dump_file(pc->dumper)))
        rc = HV_EIO;
    pcap_dump_close(pc->dumper);
    pcap_close(pc->dead);
    free(pc);
    return rc;
}

void netsim_pcap_write(struct netsim_pcap *pc, vtime_t t, const uint8_t *frame, size_t len)
{
    struct pcap_pkthdr h;

    /* With nanosecond precision libpcap stores tv_usec as the nanoseconds. */
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(NETSIM_PCAP_EPOCH_S + t / VTIME_S);
    h.ts.tv_usec = (suseconds_t)(t % VTIME_S);
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)pc->dumper, &h, frame);
    pc->frames++;
}

void netsim_pcap_flush(struct netsim_pcap *pc)
{
    if (pcap_dump_flush(pc->dumper) != 0)
        pc->err = HV_EIO;
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

int netsim_pcap_reader_open(struct netsim_pcap_reader *r, const char *path, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p;

    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    /* Nanosecond precision: libpcap scales microsecond files up, so the
     * stamps read are ns whatever the file holds. */
    p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        snprintf(err, errlen, "%s: not a capture libpcap can read: %s", path, ebuf);
        return HV_EIO;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        snprintf(err, errlen, "%s: link type %s, expected EN10MB (Ethernet)", path,
                 pcap_datalink_val_to_name(pcap_datalink(p)) ? pcap_datalink_val_to_name(pcap_datalink(p)) : "?");
        pcap_close(p);
        return HV_EIO;
    }
    r->p = p;
    return HV_OK;
}

int netsim_pcap_reader_next(struct netsim_pcap_reader *r, uint64_t *ns, const uint8_t **frame, size_t *len,
                            char *err, size_t errlen)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(r->p, &h, &d);

    if (rc == PCAP_ERROR_BREAK)
        return 0; /* the end of the file */
    if (rc != 1) {
        snprintf(err, errlen, "%s: record %llu: %s", r->path, (unsigned long long)r->record + 1,
                 pcap_geterr(r->p));
        return HV_EIO;
    }
    r->record++;
    if (h->caplen < h->len) {
        snprintf(err, errlen, "%s: record %llu: frame cut to %u of its %u bytes (captured with a short snaplen)",
                 r->path, (unsigned long long)r->record, h->caplen, h->len);
        return HV_EIO;
    }
    if (h->caplen < ETH_HLEN || h->caplen > NETSIM_FRAME_MAX) {
        snprintf(err, errlen, "%s: record %llu: a %u-byte frame (netsim carries %d to %d bytes)", r->path,
                 (unsigned long long)r->record, h->caplen, ETH_HLEN, NETSIM_FRAME_MAX);
        return HV_EIO;
    }
    if (h->ts.tv_sec < 0 || h->ts.tv_usec < 0 || h->ts.tv_usec >= 1000000000) {
        snprintf(err, errlen, "%s: record %llu: timestamp out of range", r->path, (unsigned long long)r->record);
        return HV_EIO;
    }
    *ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
    *frame = d;
    *len = h->caplen;
    return 1;
}

void netsim_pcap_reader_close(struct netsim_pcap_reader *r)
{
    if (r->p)
        pcap_close(r->p);
    r->p = NULL;
}
