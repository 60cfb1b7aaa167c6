/* The 82540EM's transmit path (8254x SDM 3.3, 3.5): legacy descriptors and
 * TCP/IP context + data descriptors, gathered by DMA into one packet, with IP
 * and TCP/UDP checksum insertion and TCP segmentation (TSO), each frame handed
 * to the machine's tx callback. A bad descriptor ends the packet as a real
 * NIC's would (dropped and counted), never hvsim. */
#include <string.h>

#include "base/log.h"
#include "e1000_priv.h"

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += get16be(p + i);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Insert the ones'-complement sum of [start, end] (end 0: to the packet's end)
 * at `at`, as the checksum offload does; offsets outside the packet do nothing. */
static void csum_insert(uint8_t *p, size_t len, unsigned start, unsigned at, unsigned end)
{
    size_t stop = end ? (size_t)end + 1 : len;
    if (stop > len)
        stop = len;
    if (start >= stop || (size_t)at + 2 > len)
        return;
    put16be(p + at, csum_fold(csum_add(0, p + start, stop - start)));
}

static void tx_emit(struct e1000 *d, uint8_t *p, size_t len)
{
    uint8_t frame[TXBUF + 4];

    if (len < 14 || !d->st.link_up)
        return; /* no cable: the frame goes nowhere, its descriptors still complete */
    if (d->st.tx_vle && (R(E1000_CTRL) & 0x40000000u) && len + 4 <= sizeof frame) { /* CTRL.VME: insert the tag */
        memcpy(frame, p, 12);
        put16be(frame + 12, (uint16_t)R(E1000_VET));
        put16be(frame + 14, d->st.tx_vlan);
        memcpy(frame + 16, p + 12, len - 12);
        p = frame;
        len += 4;
    }
    if (len < 60 && (R(E1000_TCTL) & E1000_TCTL_PSP)) {
        if (p != frame)
            memcpy(frame, p, len);
        memset(frame + len, 0, 60 - len);
        p = frame;
        len = 60;
    }
    e1000_stat_inc(d, E1000_GPTC);
    e1000_stat_inc(d, E1000_TPT);
    e1000_stat_add64(d, E1000_GOTCL, len + 4);
    e1000_stat_add64(d, E1000_TOTL, len + 4);
    if (p[0] & 1)
        e1000_stat_inc(d, (p[0] == 0xff && p[1] == 0xff) ? E1000_BPTC : E1000_MPTC);
    if (d->cfg.tx)
        d->cfg.tx(d->cfg.opaque, p, len);
}

static void tx_offload(struct e1000 *d, uint8_t *p, size_t len)
{
    const struct e1000_txctx *c = &d->st.ctx;
    if (d->st.tx_popts & E1000_TXD_POPTS_IXSM)
        csum_insert(p, len, c->ipcss, c->ipcso, c->ipcse);
    if (d->st.tx_popts & E1000_TXD_POPTS_TXSM)
        csum_insert(p, len, c->tucss, c->tucso, c->tucse);
}

/* One TSO segment from the header and the payload gathered so far: lengths,
 * IP id, sequence number and flags fixed up, the pseudo-header's length added
 * to the checksum seed the driver left, checksums inserted. */
static void tso_segment(struct e1000 *d, int last)
{
    struct e1000_state *s = &d->st;
    const struct e1000_txctx *c = &s->ctx;
    uint8_t *p = s->txbuf;
    uint32_t len = s->txlen, payload = len - c->hdr_len;

    if (c->tucmd & (E1000_TXD_CMD_IP >> 24)) {
        if ((unsigned)c->ipcss + 6 <= c->hdr_len) {
            put16be(p + c->ipcss + 2, (uint16_t)(len - c->ipcss));
            put16be(p + c->ipcss + 4, (uint16_t)(get16be(p + c->ipcss + 4) + s->tso_frames));
        }
    } else if ((unsigned)c->ipcss + 6 <= c->hdr_len) {
        put16be(p + c->ipcss + 4, (uint16_t)(len - c->ipcss - 40)); /* IPv6 payload length */
    }
    if (c->tucmd & (E1000_TXD_CMD_TCP >> 24)) {
        if ((unsigned)c->tucss + 14 <= c->hdr_len) {
            put32be(p + c->tucss + 4, get32be(p + c->tucss + 4) + s->tso_sent);
            if (!last)
                p[c->tucss + 13] &= (uint8_t)~0x09; /* FIN and PSH only on the last segment */
        }
    } else if ((unsigned)c->tucss + 6 <= c->hdr_len) {
        put16be(p + c->tucss + 4, (uint16_t)(len - c->tucss));
    }
    if ((s->tx_popts & E1000_TXD_POPTS_TXSM) && (unsigned)c->tucso + 2 <= c->hdr_len && c->tucss < len) {
        uint32_t seed = get16be(p + c->tucso) + (len - c->tucss);
        put16be(p + c->tucso, (uint16_t)((seed & 0xffff) + (seed >> 16)));
    }
    tx_offload(d, p, len);
    tx_emit(d, p, len);
    e1000_stat_inc(d, E1000_TSCTC);
    s->tso_frames++;
    s->tso_sent += payload;
    memcpy(p, s->tso_hdr, c->hdr_len); /* the next segment starts from the original header */
    s->txlen = c->hdr_len;
}

static void tx_packet_end(struct e1000 *d)
{
    struct e1000_state *s = &d->st;

    if (!s->tx_bad) {
        if (s->tx_tse) {
            if (s->txlen > s->ctx.hdr_len || s->tso_frames == 0)
                tso_segment(d, 1);
        } else if (s->tx_legacy) {
            if (s->tx_cso) /* legacy IC: the checksum from CSS to the end at CSO */
                csum_insert(s->txbuf, s->txlen, s->tx_css, s->tx_cso, 0);
            tx_emit(d, s->txbuf, s->txlen);
        } else {
            tx_offload(d, s->txbuf, s->txlen);
            tx_emit(d, s->txbuf, s->txlen);
        }
    }
    s->txlen = 0;
    s->tx_started = 0;
    s->tx_bad = 0;
    s->tso_sent = 0;
    s->tso_frames = 0;
}

/* Gather `len` bytes at gpa into the packet; TSO cuts a segment each time
 * the payload reaches the MSS. */
static void tx_gather(struct e1000 *d, uint64_t gpa, uint32_t len)
{
    struct e1000_state *s = &d->st;

    while (len && !s->tx_bad) {
        uint32_t room, chunk;
        if (s->tx_tse) {
            uint32_t limit = s->txlen < s->ctx.hdr_len ? s->ctx.hdr_len : (uint32_t)s->ctx.hdr_len + s->ctx.mss;
            room = limit - s->txlen;
        } else {
            room = TXBUF - s->txlen;
        }
        if (!room) { /* a packet longer than the buffer: dropped at EOP */
            log_guest("e1000: transmit packet longer than %u bytes dropped", TXBUF);
            s->tx_bad = 1;
            return;
        }
        chunk = len < room ? len : room;
        if (e1000_dma_rd(d, gpa, s->txbuf + s->txlen, chunk)) {
            s->tx_bad = 1;
            return;
        }
        s->txlen += chunk;
        gpa += chunk;
        len -= chunk;
        if (s->tx_tse && s->txlen == s->ctx.hdr_len && s->tso_frames == 0 && !s->tso_sent)
            memcpy(s->tso_hdr, s->txbuf, s->ctx.hdr_len);
        if (s->tx_tse && s->txlen == (uint32_t)s->ctx.hdr_len + s->ctx.mss) {
            if (s->tso_sent + s->ctx.mss > s->ctx.paylen) {
                log_guest("e1000: TSO payload beyond the context's %u bytes dropped", s->ctx.paylen);
                s->tx_bad = 1;
                return;
            }
            tso_segment(d, s->tso_sent + s->ctx.mss >= s->ctx.paylen && !len);
        }
    }
}

/* One descriptor; returns the interrupt causes it reports. */
static uint32_t tx_desc(struct e1000 *d, uint8_t *desc, uint64_t at)
{
    struct e1000_state *s = &d->st;
    uint64_t addr = get64(desc);
    uint32_t cl = get32(desc + 8), cmd = cl & 0xff000000u;

    if ((cl & E1000_TXD_CMD_DEXT) && (cl & E1000_TXD_DTYP_MASK) == E1000_TXD_DTYP_C) {
        struct e1000_txctx *c = &s->ctx;
        c->ipcss = desc[0];
        c->ipcso = desc[1];
        c->ipcse = get16(desc + 2);
        c->tucss = desc[4];
        c->tucso = desc[5];
        c->tucse = get16(desc + 6);
        c->paylen = cl & 0xfffff;
        c->tucmd = (uint8_t)(cl >> 24);
        c->hdr_len = desc[13];
        c->mss = get16(desc + 14);
    } else if (cl & E1000_TXD_CMD_DEXT) {
        if ((cl & E1000_TXD_DTYP_MASK) != E1000_TXD_DTYP_D) {
            log_guest("e1000: transmit descriptor of reserved type %u skipped", (cl >> 20) & 15);
        } else {
            if (!s->tx_started) {
                s->tx_started = 1;
                s->tx_legacy = 0;
                s->tx_popts = desc[13];
                s->tx_tse = (cl & E1000_TXD_CMD_TSE) != 0;
                if (s->tx_tse && (s->ctx.mss < MIN_MSS || !s->ctx.hdr_len)) {
                    log_guest("e1000: TSO with MSS %u and header %u bytes dropped", s->ctx.mss, s->ctx.hdr_len);
                    s->tx_bad = 1;
                }
            }
            s->tx_vle = (cl & E1000_TXD_CMD_VLE) != 0;
            s->tx_vlan = get16(desc + 14);
            tx_gather(d, addr, cl & 0xfffff);
            if (cl & E1000_TXD_CMD_EOP)
                tx_packet_end(d);
        }
    } else {
        if (!s->tx_started) {
            s->tx_started = 1;
            s->tx_legacy = 1;
            s->tx_tse = 0;
            s->tx_cso = 0;
        }
        if (cl & E1000_TXD_CMD_IC) { /* the last descriptor's CSO/CSS count */
            s->tx_cso = desc[10];
            s->tx_css = desc[13];
        }
        s->tx_vle = (cl & E1000_TXD_CMD_VLE) != 0;
        s->tx_vlan = get16(desc + 14);
        tx_gather(d, addr, cl & 0xffff);
        if (cl & E1000_TXD_CMD_EOP)
            tx_packet_end(d);
    }
    if (cmd & E1000_TXD_CMD_RS) {
        uint8_t sta = (uint8_t)(desc[12] | E1000_TXD_STAT_DD);
        e1000_dma_wr(d, at + 12, &sta, 1);
        return E1000_ICR_TXDW;
    }
    return 0;
}

/* Send what lies between TDH and TDT; each descriptor at most once a call. */
void e1000_tx_run(struct e1000 *d)
{
    uint32_t n = R(E1000_TDLEN) / E1000_DESC_SIZE, cause = 0;
    uint64_t base = R(E1000_TDBAL) | (uint64_t)R(E1000_TDBAH) << 32;

    if (!(R(E1000_TCTL) & E1000_TCTL_EN) || R(E1000_TDH) == R(E1000_TDT))
        return;
    if (!n || R(E1000_TDH) >= n || R(E1000_TDT) >= n) {
        log_guest("e1000: transmit ring head %u tail %u outside its %u descriptors", R(E1000_TDH), R(E1000_TDT), n);
        return;
    }
    for (uint32_t i = 0; i < n && R(E1000_TDH) != R(E1000_TDT); i++) {
        uint8_t desc[E1000_DESC_SIZE];
        uint64_t at = base + (uint64_t)R(E1000_TDH) * E1000_DESC_SIZE;
        if (e1000_dma_rd(d, at, desc, sizeof desc))
            break; /* master abort: the ring stalls where it is */
        cause |= tx_desc(d, desc, at);
        R(E1000_TDH) = (R(E1000_TDH) + 1) % n;
    }
    if (R(E1000_TDH) == R(E1000_TDT))
        cause |= E1000_ICR_TXQE;
    e1000_irq_cause(d, cause);
}

/* ---- the register file ---- */
