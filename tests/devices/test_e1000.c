/* Tests for the 82540EM through its ops table and PCI function: identity and
 * BAR, the bit-banged EEPROM (MAC, checksum), the PHY behind MDIC, read-to-
 * clear ICR and statistics, INTx and ITR, transmit rings (legacy, checksum
 * offload, TSO), the receive ring and its filter, link changes, reset,
 * snapshots, and a buggy driver's rings and descriptors. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"
#include "e1000_rig.h"

#define TXR 0x1000  /* transmit ring: 8 descriptors */
#define RXR 0x2000  /* receive ring: 8 descriptors */
#define PKT 0x4000  /* packet buffers */
#define RXB 0x10000 /* receive buffers, 2 KiB each */

static struct rig R_;
static struct rig *r = &R_;

static void quiet(void *o, enum log_level l, const char *m) { (void)o, (void)l, (void)m; }
static void setup(void) { log_set_sink(quiet, NULL); rig_new(r); }
static void teardown(void) { rig_free(r); log_set_sink(NULL, NULL); }
TestSuite(e1000, .init = setup, .fini = teardown);

static void tx_ring(int n)
{
    wr(r, E1000_TDBAL, TXR);
    wr(r, E1000_TDBAH, 0);
    wr(r, E1000_TDLEN, 16 * n);
    wr(r, E1000_TDH, 0);
    wr(r, E1000_TDT, 0);
    wr(r, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

static void rx_ring(int n, int give)
{
    for (int i = 0; i < n; i++) {
        memset(r->ram + RXR + 16 * i, 0, 16);
        put_le(r->ram + RXR + 16 * i, RXB + 2048 * i, 8);
    }
    wr(r, E1000_RDBAL, RXR);
    wr(r, E1000_RDLEN, 16 * n);
    wr(r, E1000_RDH, 0);
    wr(r, E1000_RDT, give);
    wr(r, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
}

static size_t frame(uint8_t *f, const uint8_t *dst, size_t len)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
    f[12] = 0x08, f[13] = 0x00;
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(i * 7);
    return len;
}

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

Test(e1000, pci_identity_and_bar0)
{
    cr_assert_eq(rig_cfg_read(r, 0), 0x100e8086u);
    cr_assert_eq(rig_cfg_read(r, 8) >> 8, 0x020000u, "class: Ethernet controller");
    cr_assert_eq(rig_cfg_read(r, 0x3c) >> 8 & 0xff, 1, "INTA");
    rig_cfg_write(r, PCI_BAR0, 0xffffffffu);
    cr_assert_eq(rig_cfg_read(r, PCI_BAR0), 0xfffe0000u, "128 KiB memory BAR");
    rig_cfg_write(r, PCI_BAR0, 0xfebc0000u);
    cr_assert_eq(rig_cfg_read(r, PCI_BAR0), 0xfebc0000u);
}

/* The driver's Microwire read (Linux e1000_read_eeprom): request, CS, then
 * start bit, opcode 10, six address bits, and 16 data bits clocked out. */
static uint16_t ee_read(unsigned addr)
{
    uint32_t e = E1000_EECD_REQ;
    uint16_t v = 0;
    wr(r, E1000_EECD, e);
    cr_assert(rd(r, E1000_EECD) & E1000_EECD_GNT);
    e |= E1000_EECD_CS;
    wr(r, E1000_EECD, e);
    uint32_t bits = (E1000_EEPROM_READ_OPCODE << 6) | addr;
    for (int i = 8; i >= 0; i--) {
        e = (bits >> i & 1) ? e | E1000_EECD_DI : e & ~E1000_EECD_DI;
        wr(r, E1000_EECD, e);
        wr(r, E1000_EECD, e | E1000_EECD_SK);
        wr(r, E1000_EECD, e);
    }
    e &= ~E1000_EECD_DI;
    for (int i = 0; i < 16; i++) {
        wr(r, E1000_EECD, e | E1000_EECD_SK);
        v = (uint16_t)(v << 1 | ((rd(r, E1000_EECD) & E1000_EECD_DO) ? 1 : 0));
        wr(r, E1000_EECD, e);
    }
    wr(r, E1000_EECD, 0);
    return v;
}

Test(e1000, eeprom_mac_and_checksum)
{
    uint16_t sum = 0;
    for (unsigned a = 0; a < 64; a++) {
        uint16_t w = ee_read(a);
        sum = (uint16_t)(sum + w);
        if (a < 3)
            cr_assert_eq(w, rig_mac[2 * a] | rig_mac[2 * a + 1] << 8, "word %u", a);
        wr(r, E1000_EERD, a << 8 | E1000_EERD_START);
        uint32_t eerd = rd(r, E1000_EERD);
        cr_assert(eerd & E1000_EERD_DONE);
        cr_assert_eq(eerd >> 16, w, "EERD and Microwire agree on word %u", a);
    }
    cr_assert_eq(sum, 0xbaba, "Linux's e1000_validate_eeprom_checksum");
    cr_assert_eq(rd(r, E1000_RAL0), 0x12005452u);
    cr_assert_eq(rd(r, E1000_RAH0), 0x80005634u);
}

static uint32_t mdic(unsigned phy, unsigned reg, uint32_t op, uint16_t data)
{
    wr(r, E1000_MDIC, op | phy << 21 | reg << 16 | data);
    return rd(r, E1000_MDIC);
}

Test(e1000, phy_through_mdic)
{
    uint32_t v = mdic(1, E1000_PHY_ID1, E1000_MDIC_OP_READ, 0);
    cr_assert(v & E1000_MDIC_READY);
    cr_assert_eq(v & 0xffff, 0x0141);
    cr_assert_eq(mdic(1, E1000_PHY_ID2, E1000_MDIC_OP_READ, 0) & 0xfff0, 0x0c20, "M88E1011");
    cr_assert(mdic(1, E1000_PHY_STATUS, E1000_MDIC_OP_READ, 0) & E1000_MII_SR_LINK);
    mdic(1, E1000_PHY_AUTONEG_ADV, E1000_MDIC_OP_WRITE, 0x0de1);
    cr_assert_eq(mdic(1, E1000_PHY_AUTONEG_ADV, E1000_MDIC_OP_READ, 0) & 0xffff, 0x0de1);
    mdic(1, E1000_PHY_CTRL, E1000_MDIC_OP_WRITE, 0x1140 | E1000_MII_CR_RESTART_AN);
    cr_assert_eq(mdic(1, E1000_PHY_CTRL, E1000_MDIC_OP_READ, 0) & 0xffff, 0x1140, "restart clears itself");
    cr_assert(mdic(2, E1000_PHY_ID1, E1000_MDIC_OP_READ, 0) & E1000_MDIC_ERROR, "no PHY at address 2");
    cr_assert(rd(r, E1000_STATUS) & E1000_STATUS_LU);
}

Test(e1000, icr_read_clears_and_intx_follows)
{
    wr(r, E1000_ICS, E1000_ICR_TXDW);
    cr_assert_eq(r->line, 0, "masked cause: no interrupt");
    wr(r, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);
    cr_assert_eq(r->line, 1);
    cr_assert_eq(rd(r, E1000_IMS), E1000_ICR_TXDW | E1000_ICR_RXT0);
    cr_assert(rig_cfg_read(r, PCI_COMMAND) >> 16 & PCI_STATUS_INTERRUPT);
    cr_assert_eq(rd(r, E1000_ICR), E1000_ICR_TXDW);
    cr_assert_eq(r->line, 0);
    cr_assert_eq(rd(r, E1000_ICR), 0, "read to clear");
    wr(r, E1000_ICS, E1000_ICR_RXT0);
    cr_assert_eq(r->line, 1);
    wr(r, E1000_IMC, E1000_ICR_RXT0);
    cr_assert_eq(r->line, 0, "IMC masks a pending cause");
    cr_assert_eq(rd(r, E1000_ICR), E1000_ICR_RXT0, "the cause stays latched");
}

Test(e1000, itr_spaces_interrupts)
{
    wr(r, E1000_ITR, 1000); /* 256 us */
    wr(r, E1000_IMS, E1000_ICR_TXDW);
    wr(r, E1000_ICS, E1000_ICR_TXDW);
    cr_assert_eq(r->line_rises, 1);
    rd(r, E1000_ICR);
    wr(r, E1000_ICS, E1000_ICR_TXDW);
    cr_assert_eq(r->line, 0, "within the interval: held back");
    evq_run_until(&r->q, 255999);
    cr_assert_eq(r->line, 0);
    evq_run_until(&r->q, 256000);
    cr_assert_eq(r->line, 1, "raised when the interval ends");
    cr_assert_eq(r->line_rises, 2);
}

Test(e1000, legacy_transmit_ring)
{
    uint8_t f[100];
    tx_ring(8);
    wr(r, E1000_IMS, E1000_ICR_TXDW);
    memcpy(r->ram + PKT, frame(f, rig_mac, 100) ? f : f, 100);
    /* one frame in two descriptors, then a 42-byte frame padded to 60 (PSP) */
    rig_txd(r, TXR, 0, PKT, 30, E1000_TXD_CMD_IFCS);
    rig_txd(r, TXR, 1, PKT + 30, 70, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS);
    rig_txd(r, TXR, 2, PKT, 42, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);
    wr(r, E1000_TDT, 3);
    cr_assert_eq(r->ntx, 2);
    cr_assert_eq(r->tx_len[0], 100);
    cr_assert_arr_eq(r->tx[0], f, 100);
    cr_assert_eq(r->tx_len[1], 60);
    cr_assert_eq(r->tx[1][50], 0, "padding is zeros");
    cr_assert_eq(rd(r, E1000_TDH), 3);
    cr_assert_eq(r->ram[TXR + 12] & E1000_TXD_STAT_DD, 0, "no RS: no write-back");
    cr_assert(r->ram[TXR + 16 + 12] & E1000_TXD_STAT_DD);
    cr_assert(r->ram[TXR + 32 + 12] & E1000_TXD_STAT_DD);
    cr_assert_eq(r->line, 1);
    cr_assert(rd(r, E1000_ICR) & E1000_ICR_TXDW);
    cr_assert_eq(rd(r, E1000_GPTC), 2);
    cr_assert_eq(rd(r, E1000_GPTC), 0, "statistics clear when read");
    cr_assert_eq(rd(r, E1000_GOTCL), 100 + 4 + 60 + 4);
    cr_assert_eq(rd(r, E1000_TPT), 2);
}

Test(e1000, legacy_checksum_insert)
{
    uint8_t f[64];
    tx_ring(8);
    frame(f, rig_mac, 64);
    f[40] = f[41] = 0;
    memcpy(r->ram + PKT, f, 64);
    uint8_t *d = r->ram + TXR;
    rig_txd(r, TXR, 0, PKT, 64, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC);
    d[10] = 40; /* CSO */
    d[13] = 34; /* CSS */
    wr(r, E1000_TDT, 1);
    cr_assert_eq(r->ntx, 1);
    cr_assert_eq(sum16(r->tx[0] + 34, 30, 0), 0xffff, "the inserted sum makes the range add up");
}

/* A UDP/IPv4 frame as Linux hands it to e1000_tx_csum: IP checksum already
 * right, UDP checksum field seeded with the pseudo-header sum. */
static size_t udp_frame(uint8_t *f, size_t payload)
{
    size_t len = 14 + 20 + 8 + payload;
    memset(f, 0, len);
    memcpy(f, "\x02\x00\x5e\x01\x00\x01", 6);
    memcpy(f + 6, rig_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
    ip[2] = (uint8_t)((len - 14) >> 8), ip[3] = (uint8_t)(len - 14);
    memcpy(ip + 12, "\xc0\xa8\x01\x64\xc0\xa8\x01\x01", 8);
    uint16_t c = (uint16_t)~sum16(ip, 20, 0);
    ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
    uint8_t *u = ip + 20;
    u[0] = 0x30, u[1] = 0x39, u[2] = 0, u[3] = 7;
    u[4] = (uint8_t)((8 + payload) >> 8), u[5] = (uint8_t)(8 + payload);
    for (size_t i = 0; i < payload; i++)
        u[8 + i] = (uint8_t)(i * 13 + 1);
    /* pseudo-header: addresses, protocol, UDP length (not complemented) */
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0, ph[9] = 17, ph[10] = u[4], ph[11] = u[5];
    uint16_t seed = sum16(ph, 12, 0);
    u[6] = (uint8_t)(seed >> 8), u[7] = (uint8_t)seed;
    return len;
}

static void ctx_desc(int i, uint8_t ipcss, uint8_t ipcso, uint8_t tucss, uint8_t tucso, uint32_t paylen,
                     uint32_t tucmd, uint8_t hdr_len, uint16_t mss)
{
    uint8_t *d = r->ram + TXR + 16 * i;
    memset(d, 0, 16);
    d[0] = ipcss, d[1] = ipcso;
    d[4] = tucss, d[5] = tucso;
    put_le(d + 8, paylen | E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_C | tucmd, 4);
    d[13] = hdr_len;
    put_le(d + 14, mss, 2);
}

static void data_desc(int i, uint64_t buf, uint32_t len, uint32_t dcmd, uint8_t popts)
{
    uint8_t *d = r->ram + TXR + 16 * i;
    memset(d, 0, 16);
    put_le(d, buf, 8);
    put_le(d + 8, len | E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D | dcmd, 4);
    d[13] = popts;
}

Test(e1000, context_checksum_offload_udp)
{
    uint8_t f[200];
    size_t len = udp_frame(f, 101);
    tx_ring(8);
    memcpy(r->ram + PKT, f, len);
    ctx_desc(0, 14, 24, 34, 40, 0, E1000_TXD_CMD_IP, 0, 0);
    data_desc(1, PKT, 20, 0, E1000_TXD_POPTS_TXSM);
    data_desc(2, PKT + 20, (uint32_t)len - 20, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
    wr(r, E1000_TDT, 3);
    cr_assert_eq(r->ntx, 1);
    cr_assert_eq(r->tx_len[0], len);
    const uint8_t *ip = r->tx[0] + 14, *u = ip + 20;
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0, ph[9] = 17, ph[10] = u[4], ph[11] = u[5];
    cr_assert_eq(sum16(u, 8 + 101, sum16(ph, 12, 0)), 0xffff, "UDP checksum verifies");
    cr_assert_eq(sum16(ip, 20, 0), 0xffff);
    cr_assert(r->ram[TXR + 32 + 12] & E1000_TXD_STAT_DD);
}

Test(e1000, tso_segments_tcp)
{
    enum { HDR = 54, PAY = 2500, MSS = 1000 };
    uint8_t f[HDR + PAY];
    memset(f, 0, sizeof f);
    memcpy(f, "\x02\x00\x5e\x01\x00\x01", 6);
    memcpy(f + 6, rig_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14, *t = ip + 20;
    ip[0] = 0x45, ip[4] = 0x12, ip[5] = 0x34, ip[8] = 64, ip[9] = 6;
    memcpy(ip + 12, "\xc0\xa8\x01\x64\xc0\xa8\x01\x0a", 8);
    t[0] = 0x80, t[1] = 0x00, t[2] = 0, t[3] = 80;
    put_le(t + 4, 0, 4);
    t[4] = 0x10, t[5] = 0x20, t[6] = 0x30, t[7] = 0x40; /* seq 0x10203040 */
    t[12] = 0x50, t[13] = 0x19;                      /* FIN PSH ACK */
    for (int i = 0; i < PAY; i++)
        f[HDR + i] = (uint8_t)(i * 31 + 7);
    /* Linux's e1000_tso: IP total length and checksum 0, TCP checksum the
     * pseudo-header sum without the length. */
    uint8_t ph[12] = { 0xc0, 0xa8, 1, 0x64, 0xc0, 0xa8, 1, 0x0a, 0, 6, 0, 0 };
    uint16_t seed = sum16(ph, 12, 0);
    t[16] = (uint8_t)(seed >> 8), t[17] = (uint8_t)seed;
    tx_ring(8);
    memcpy(r->ram + PKT, f, sizeof f);
    ctx_desc(0, 14, 24, 34, 50, PAY, E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP | E1000_TXD_CMD_TSE, HDR, MSS);
    r->ram[TXR + 2] = 33; /* IPCSE: the IP header's last byte, as Linux sets it */
    data_desc(1, PKT, HDR, E1000_TXD_CMD_TSE, E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM);
    data_desc(2, PKT + HDR, 1500, E1000_TXD_CMD_TSE, 0);
    data_desc(3, PKT + HDR + 1500, PAY - 1500, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
    wr(r, E1000_TDT, 4);
    cr_assert_eq(r->ntx, 3);
    for (int s = 0; s < 3; s++) {
        size_t pay = s < 2 ? MSS : PAY - 2 * MSS;
        const uint8_t *sip = r->tx[s] + 14, *st = sip + 20;
        cr_assert_eq(r->tx_len[s], HDR + pay, "segment %d", s);
        cr_assert_eq(sip[2] << 8 | sip[3], 40 + pay);
        cr_assert_eq(sip[4] << 8 | sip[5], 0x1234 + s, "IP id counts up");
        cr_assert_eq(sum16(sip, 20, 0), 0xffff, "IP checksum of segment %d", s);
        uint32_t seq = (uint32_t)st[4] << 24 | st[5] << 16 | st[6] << 8 | st[7];
        cr_assert_eq(seq, 0x10203040u + (uint32_t)(s * MSS));
        cr_assert_eq(st[13], s < 2 ? 0x10 : 0x19, "FIN and PSH only on the last");
        uint8_t sph[12];
        memcpy(sph, sip + 12, 8);
        sph[8] = 0, sph[9] = 6, sph[10] = (uint8_t)((20 + pay) >> 8), sph[11] = (uint8_t)(20 + pay);
        cr_assert_eq(sum16(st, 20 + pay, sum16(sph, 12, 0)), 0xffff, "TCP checksum of segment %d", s);
        cr_assert_arr_eq(st + 20, f + HDR + s * MSS, pay);
    }
    cr_assert_eq(rd(r, E1000_TSCTC), 3);
}

Test(e1000, receive_into_ring)
{
    uint8_t f[300];
    rx_ring(8, 7);
    wr(r, E1000_IMS, E1000_ICR_RXT0);
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, rig_mac, 300)), 1);
    cr_assert_eq(rd(r, E1000_RDH), 1);
    const uint8_t *d = r->ram + RXR;
    cr_assert_eq(d[8] | d[9] << 8, 304, "length includes the FCS");
    cr_assert_eq(d[12] & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP), E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
    cr_assert_arr_eq(r->ram + RXB, f, 300);
    /* the FCS is Ethernet's CRC-32: residue over data + FCS is 0x2144df1c */
    uint32_t c = 0xffffffffu;
    for (int i = 0; i < 304; i++) {
        c ^= r->ram[RXB + i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    cr_assert_eq(c, 0xdebb20e3u);
    cr_assert_eq(r->line, 1);
    cr_assert(rd(r, E1000_ICR) & E1000_ICR_RXT0);
    cr_assert_eq(rd(r, E1000_GPRC), 1);
    cr_assert_eq(rd(r, E1000_GORCL), 304);
    /* a short frame is padded to 60 before the FCS */
    cr_assert_eq(e1000_receive(r->nic, f, 42), 1);
    cr_assert_eq(r->ram[RXR + 16 + 8], 64);
}

Test(e1000, receive_spans_descriptors)
{
    uint8_t f[1514];
    rx_ring(8, 7);
    wr(r, E1000_RCTL, E1000_RCTL_EN | (3u << E1000_RCTL_BSIZE_SHIFT)); /* 256-byte buffers */
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, rig_mac, 1514)), 1, "1518 bytes in six buffers");
    cr_assert_eq(rd(r, E1000_RDH), 6);
    for (int i = 0; i < 6; i++) {
        const uint8_t *d = r->ram + RXR + 16 * i;
        cr_assert_eq(d[8] | d[9] << 8, i < 5 ? 256 : 1518 - 5 * 256);
        cr_assert_eq(d[12] & E1000_RXD_STAT_EOP, i < 5 ? 0 : E1000_RXD_STAT_EOP, "EOP on the last only");
        cr_assert_arr_eq(r->ram + RXB + 2048 * i, f + 256 * i, i < 5 ? 256 : 1514 - 5 * 256);
    }
    cr_assert_eq(e1000_receive(r->nic, f, 1514), 0, "one buffer left: dropped whole");
    cr_assert_eq(rd(r, E1000_RDH), 6, "nothing half-written");
}

Test(e1000, receive_filter)
{
    uint8_t f[64];
    static const uint8_t other[6] = { 0x02, 1, 2, 3, 4, 5 }, bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
    rx_ring(8, 7);
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, other, 64)), 0, "someone else's unicast");
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, bc, 64)), 1, "broadcast with BAM");
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, mc, 64)), 0, "multicast not in the MTA");
    unsigned h = (mc[4] >> 4 | mc[5] << 4) & 0xfff; /* MO = 0 */
    wr(r, E1000_MTA + (h >> 5) * 4, 1u << (h & 31));
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, mc, 64)), 1, "multicast in the MTA");
    wr(r, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE);
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, other, 64)), 1, "promiscuous");
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, bc, 64)), 0, "broadcast without BAM");
    wr(r, E1000_RCTL, 0);
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, rig_mac, 64)), 0, "receiver off");
}

Test(e1000, ring_full_counts_and_drops)
{
    uint8_t f[64];
    rx_ring(8, 2);
    wr(r, E1000_IMS, E1000_ICR_RXO);
    frame(f, rig_mac, 64);
    cr_assert_eq(e1000_receive(r->nic, f, 64), 1);
    cr_assert_eq(e1000_receive(r->nic, f, 64), 1);
    cr_assert_eq(e1000_receive(r->nic, f, 64), 0, "RDH reached RDT");
    cr_assert_eq(rd(r, E1000_RNBC), 1);
    cr_assert_eq(rd(r, E1000_MPC), 1);
    cr_assert(rd(r, E1000_ICR) & E1000_ICR_RXO);
    wr(r, E1000_RDT, 4); /* the driver hands back two */
    cr_assert_eq(e1000_receive(r->nic, f, 64), 1);
    cr_assert_eq(rd(r, E1000_RDH), 3);
}

Test(e1000, link_down_and_up)
{
    uint8_t f[64];
    rx_ring(8, 3);
    wr(r, E1000_IMS, E1000_ICR_LSC);
    e1000_set_link(r->nic, 0);
    cr_assert_eq(rd(r, E1000_STATUS) & E1000_STATUS_LU, 0);
    cr_assert_eq(mdic(1, E1000_PHY_STATUS, E1000_MDIC_OP_READ, 0) & E1000_MII_SR_LINK, 0);
    cr_assert_eq(r->line, 1);
    cr_assert(rd(r, E1000_ICR) & E1000_ICR_LSC);
    cr_assert_eq(e1000_receive(r->nic, f, frame(f, rig_mac, 64)), 0, "no frames without a link");
    tx_ring(8);
    memcpy(r->ram + PKT, f, 64);
    rig_txd(r, TXR, 0, PKT, 64, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);
    wr(r, E1000_TDT, 1);
    cr_assert_eq(r->ntx, 0, "nothing leaves without a link");
    cr_assert(r->ram[TXR + 12] & E1000_TXD_STAT_DD, "the descriptor completes all the same");
    e1000_set_link(r->nic, 1);
    cr_assert(rd(r, E1000_STATUS) & E1000_STATUS_LU);
    cr_assert(rd(r, E1000_ICR) & E1000_ICR_LSC);
    cr_assert_eq(e1000_receive(r->nic, f, 64), 1);
}

Test(e1000, software_reset)
{
    wr(r, E1000_RAL0, 0x11223344);
    wr(r, E1000_IMS, E1000_ICR_TXDW);
    wr(r, E1000_ICS, E1000_ICR_TXDW);
    cr_assert_eq(r->line, 1);
    wr(r, E1000_CTRL, E1000_CTRL_RST);
    cr_assert_eq(r->line, 0);
    cr_assert_eq(rd(r, E1000_CTRL) & E1000_CTRL_RST, 0, "RST clears itself");
    cr_assert_eq(rd(r, E1000_IMS), 0);
    cr_assert_eq(rd(r, E1000_RAL0), 0x12005452u, "the EEPROM's address again");
}

Test(e1000, save_load_round_trip)
{
    uint8_t f[64];
    struct buf a, b;
    struct buf_reader rr;
    rx_ring(8, 5);
    tx_ring(8);
    wr(r, E1000_ITR, 500);
    wr(r, E1000_IMS, E1000_ICR_RXT0);
    e1000_receive(r->nic, f, frame(f, rig_mac, 64));
    rd(r, E1000_ICR);
    wr(r, E1000_ICS, E1000_ICR_RXT0); /* held by ITR: its event is pending */
    rig_txd(r, TXR, 0, PKT, 30, 0); /* half a packet gathered */
    wr(r, E1000_TDT, 1);
    buf_init(&a);
    buf_init(&b);
    cr_assert_eq(e1000_ops.save(r->nic, &a), 0);

    struct rig *r2 = malloc(sizeof *r2);
    rig_new(r2);
    buf_reader_init(&rr, a.data, a.len - 1);
    cr_assert_eq(e1000_ops.load(r2->nic, &rr), HV_ECORRUPT, "short buffer");
    cr_assert_eq(rd(r2, E1000_RDLEN), 0, "and nothing changed");
    buf_reader_init(&rr, a.data, a.len);
    cr_assert_eq(e1000_ops.load(r2->nic, &rr), 0);
    cr_assert_eq(e1000_ops.save(r2->nic, &b), 0);
    cr_assert_eq(a.len, b.len);
    cr_assert_arr_eq(a.data, b.data, a.len, "every field restored");
    cr_assert_eq(evq_next(&r2->q), evq_next(&r->q), "the ITR event re-armed at its time");
    /* the restored one finishes the packet the same way */
    rig_txd(r2, TXR, 1, PKT, 34, E1000_TXD_CMD_EOP);
    memcpy(r2->ram + PKT, f, 64);
    wr(r2, E1000_TDT, 2);
    cr_assert_eq(r2->ntx, 1);
    cr_assert_eq(r2->tx_len[0], 64);
    rig_free(r2);
    free(r2);
    buf_free(&a);
    buf_free(&b);
}

/* ---- a buggy driver ---- */

Test(e1000, transmit_ring_nonsense_is_survived)
{
    tx_ring(8);
    wr(r, E1000_TDLEN, 0);
    wr(r, E1000_TDT, 3);
    cr_assert_eq(r->ntx, 0, "empty ring: nothing sent");
    wr(r, E1000_TDLEN, 16 * 8);
    wr(r, E1000_TDH, 0);
    wr(r, E1000_TDT, 100);
    cr_assert_eq(r->ntx, 0, "tail beyond the ring: nothing");
    cr_assert_eq(rd(r, E1000_TDH), 0);
    wr(r, E1000_TDBAL, 0xfffff000u); /* ring outside RAM */
    wr(r, E1000_TDT, 2);
    cr_assert_eq(rd(r, E1000_TDH), 0, "the ring stalls at the master abort");
}

Test(e1000, transmit_descriptor_nonsense_is_survived)
{
    uint8_t f[64];
    tx_ring(8);
    memcpy(r->ram + PKT, frame(f, rig_mac, 64) ? f : f, 64);
    rig_txd(r, TXR, 0, PKT, 0, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);          /* length 0 */
    rig_txd(r, TXR, 1, 0x7ffff000ull, 64, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS); /* outside RAM */
    data_desc(2, PKT, 0xfffff, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);      /* 1 MiB, past RAM's end */
    ctx_desc(3, 200, 250, 250, 255, 5, E1000_TXD_CMD_TSE, 10, 1);              /* MSS 1 */
    data_desc(4, PKT, 64, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP, E1000_TXD_POPTS_TXSM);
    ctx_desc(5, 200, 250, 250, 255, 0, 0, 0, 0);                               /* offsets past the packet */
    data_desc(6, PKT, 64, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
    wr(r, E1000_TDT, 7);
    cr_assert_eq(rd(r, E1000_TDH), 7, "every descriptor consumed");
    cr_assert_eq(r->ntx, 1, "only the last, sane packet goes out");
    cr_assert_arr_eq(r->tx[0], f, 64, "unchanged: its checksum offsets lie outside it");
    cr_assert(r->ram[TXR + 12] & E1000_TXD_STAT_DD, "write-back even for an empty packet");
}

Test(e1000, receive_ring_nonsense_is_survived)
{
    uint8_t f[64];
    frame(f, rig_mac, 64);
    rx_ring(8, 7);
    wr(r, E1000_RDT, 50);
    cr_assert_eq(e1000_receive(r->nic, f, 64), 0, "tail beyond the ring: no buffers");
    cr_assert_eq(rd(r, E1000_RNBC), 1);
    wr(r, E1000_RDT, 7);
    put_le(r->ram + RXR, 0xfffffffff000ull, 8); /* buffer outside RAM */
    cr_assert_eq(e1000_receive(r->nic, f, 64), 1, "the data is lost, the descriptor completes");
    cr_assert(r->ram[RXR + 12] & E1000_RXD_STAT_DD);
    wr(r, E1000_RDBAL, 0xfffff000u); /* ring outside RAM */
    cr_assert_eq(e1000_receive(r->nic, f, 64), 0);
    wr(r, E1000_RDLEN, 64);
    cr_assert_eq(rd(r, E1000_RDLEN), 0, "not a multiple of 128: an empty ring");
    cr_assert_eq(e1000_receive(r->nic, f, 64), 0);
    cr_assert_eq(e1000_receive(r->nic, f, 10), 0, "runt");
}

Test(e1000, no_dma_without_bus_master)
{
    uint8_t f[64];
    tx_ring(8);
    memcpy(r->ram + PKT, frame(f, rig_mac, 64) ? f : f, 64);
    rig_txd(r, TXR, 0, PKT, 64, E1000_TXD_CMD_EOP);
    rig_cfg_write(r, PCI_COMMAND, 0x0002);
    wr(r, E1000_TDT, 1);
    cr_assert_eq(r->ntx, 0);
    rig_cfg_write(r, PCI_COMMAND, 0x0006);
    wr(r, E1000_TDT, 1);
    cr_assert_eq(r->ntx, 1);
}

Test(e1000, io_bar_reaches_the_registers)
{
    rig_cfg_write(r, PCI_BAR0 + 4, 0xffffffffu);
    cr_assert_eq(rig_cfg_read(r, PCI_BAR0 + 4), 0xffffffc1u, "64 bytes of I/O");
    e1000_io_ops.write(r->nic, E1000_IOADDR, E1000_IMS, 4);
    e1000_io_ops.write(r->nic, E1000_IODATA, E1000_ICR_LSC, 4);
    cr_assert_eq(rd(r, E1000_IMS), E1000_ICR_LSC);
    cr_assert_eq(e1000_io_ops.read(r->nic, E1000_IOADDR, 4), E1000_IMS);
    cr_assert_eq(e1000_io_ops.read(r->nic, E1000_IODATA, 4), E1000_ICR_LSC);
    /* Linux's reset of an 82540 goes this way */
    e1000_io_ops.write(r->nic, E1000_IOADDR, E1000_CTRL, 4);
    e1000_io_ops.write(r->nic, E1000_IODATA, E1000_CTRL_RST, 4);
    cr_assert_eq(rd(r, E1000_IMS), 0, "reset");
    cr_assert_eq(e1000_io_ops.read(r->nic, 2, 2), 0xffff);
}

Test(e1000, odd_accesses)
{
    cr_assert_eq(e1000_ops.read(r->nic, E1000_STATUS, 2), 0xffff);
    cr_assert_eq(e1000_ops.read(r->nic, 0x1fffc, 4), 0, "unimplemented: reads 0");
    e1000_ops.write(r->nic, E1000_IMS, 0xff, 1);
    cr_assert_eq(rd(r, E1000_IMS), 0, "sub-dword writes are ignored");
    wr(r, E1000_GPRC, 5);
    cr_assert_eq(rd(r, E1000_GPRC), 0, "statistics are read-only");
}
