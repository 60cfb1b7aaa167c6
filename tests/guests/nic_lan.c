/* nic_lan: a driver for the machine's 82540EM written the way Linux's e1000
 * brings one up, then a conversation with the LAN it is cabled to (hvsim boot
 * --net lan): find the NIC by scanning PCI bus 0, enable bus mastering, reset
 * it, read the MAC from the EEPROM (checksum 0xbaba) and the PHY's identity,
 * set up receive and transmit rings; DHCP DISCOVER (its IP and UDP checksums
 * left to the NIC's offload) -> OFFER, REQUEST -> ACK; ARP for the router; an
 * ICMP echo to it and its reply; the statistics registers agree with what
 * went through the rings. Polls descriptors; then one more echo waits in HLT
 * for the NIC's INTA, routed as the DSDT's _PRT says (slot s -> GSI 16 +
 * s % 4) through the I/O APIC. With "linkwait" on its command line it then
 * waits (in HLT, LSC enabled) for the cable to be pulled and plugged back by
 * the scenario (m:link), watching STATUS.LU and the PHY follow. 32-bit,
 * paging off: addresses are physical. */
#include "arch/e1000.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/multiboot.h"
#include "klib/trap.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

#define NDESC 8
#define BUFSZ 2048
#define POLL_LIMIT 200000000u /* ~ a virtual second of polling before giving up */

struct desc {
    uint64_t addr;
    uint32_t w2, w3;
};

static struct desc rxr[NDESC] __attribute__((aligned(128)));
static struct desc txr[NDESC] __attribute__((aligned(128)));
static uint8_t rxbuf[NDESC][BUFSZ] __attribute__((aligned(16)));
static uint8_t txbuf[NDESC][BUFSZ] __attribute__((aligned(16)));
static volatile uint32_t *regs;
static unsigned rx_next, tx_next, n_sent, n_received;
static uint8_t mac[6], router_mac[6];
static uint32_t my_ip, router_ip, server_id;
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint32_t rd(unsigned off) { return regs[off / 4]; }
static void wr(unsigned off, uint32_t v) { regs[off / 4] = v; }

static uint32_t cfg_read(unsigned dev, unsigned reg)
{
    outl(0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
    return inl(0xcfc);
}

static void cfg_write(unsigned dev, unsigned reg, uint32_t v)
{
    outl(0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
    outl(0xcfc, v);
}

static void put16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static uint16_t get16be(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put32be(uint8_t *p, uint32_t v) { put16be(p, (uint16_t)(v >> 16)), put16be(p + 2, (uint16_t)v); }
static uint32_t get32be(const uint8_t *p) { return (uint32_t)get16be(p) << 16 | get16be(p + 2); }

static uint32_t sum_add(uint32_t s, const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i + 1 < n; i += 2)
        s += get16be(p + i);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t sum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static void print_ip(const char *what, uint32_t ip)
{
    kprintf("  %s %u.%u.%u.%u\n", what, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* ---- bring-up ---- */

static int find_nic(void)
{
    for (unsigned dev = 0; dev < 32; dev++)
        if (cfg_read(dev, 0) == (E1000_DEVICE_ID << 16 | E1000_VENDOR_ID))
            return (int)dev;
    return -1;
}

static uint16_t eeprom_word(unsigned a)
{
    wr(E1000_EERD, a << E1000_EERD_ADDR_SHIFT | E1000_EERD_START);
    for (unsigned i = 0; i < 1000; i++) {
        uint32_t v = rd(E1000_EERD);
        if (v & E1000_EERD_DONE)
            return (uint16_t)(v >> E1000_EERD_DATA_SHIFT);
    }
    return 0xffff;
}

static uint16_t phy_read(unsigned reg)
{
    wr(E1000_MDIC, E1000_MDIC_OP_READ | E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT | reg << E1000_MDIC_REG_SHIFT);
    for (unsigned i = 0; i < 1000; i++) {
        uint32_t v = rd(E1000_MDIC);
        if (v & E1000_MDIC_READY)
            return (v & E1000_MDIC_ERROR) ? 0xffff : (uint16_t)v;
    }
    return 0xffff;
}

static void rings_init(void)
{
    for (int i = 0; i < NDESC; i++) {
        rxr[i].addr = (uint32_t)rxbuf[i];
        rxr[i].w2 = rxr[i].w3 = 0;
        txr[i].addr = 0;
        txr[i].w2 = txr[i].w3 = 0;
    }
    wr(E1000_RDBAL, (uint32_t)rxr);
    wr(E1000_RDBAH, 0);
    wr(E1000_RDLEN, sizeof rxr);
    wr(E1000_RDH, 0);
    wr(E1000_RDT, NDESC - 1);
    wr(E1000_TDBAL, (uint32_t)txr);
    wr(E1000_TDBAH, 0);
    wr(E1000_TDLEN, sizeof txr);
    wr(E1000_TDH, 0);
    wr(E1000_TDT, 0);
    for (int i = 0; i < 128; i++)
        wr(E1000_MTA + 4 * i, 0);
    wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM); /* 2048-byte buffers, FCS kept */
    wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | 0x0f0u << 0 | 0x40u << 12);
}

/* ---- frames ---- */

/* Transmit len bytes of txbuf[slot] with a legacy descriptor and wait for DD. */
static int send_legacy(unsigned len)
{
    unsigned i = tx_next;
    txr[i].addr = (uint32_t)txbuf[i];
    txr[i].w2 = len | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    txr[i].w3 = 0;
    tx_next = (i + 1) % NDESC;
    wr(E1000_TDT, tx_next);
    for (unsigned k = 0; k < POLL_LIMIT; k++)
        if (((volatile struct desc *)&txr[i])->w3 & E1000_TXD_STAT_DD) {
            n_sent++;
            return 1;
        }
    return 0;
}

/* The same through a TCP/IP context descriptor and a data descriptor asking
 * for the IP header checksum and the UDP checksum (IXSM | TXSM): two slots. */
static int send_offload_udp(unsigned len)
{
    unsigned c = tx_next, d = (c + 1) % NDESC;
    uint8_t *cd = (uint8_t *)&txr[c];
    memset(cd, 0, 16);
    cd[0] = 14, cd[1] = 24, cd[2] = 33; /* IPCSS, IPCSO, IPCSE */
    cd[4] = 34, cd[5] = 40;             /* TUCSS, TUCSO (UDP checksum), TUCSE 0: to the end */
    txr[c].w2 = E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_C | E1000_TXD_CMD_IP; /* IPv4, UDP */
    txr[d].addr = (uint32_t)txbuf[c];
    txr[d].w2 = len | E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                E1000_TXD_CMD_RS;
    txr[d].w3 = (uint32_t)(E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM) << 8;
    tx_next = (d + 1) % NDESC;
    wr(E1000_TDT, tx_next);
    for (unsigned k = 0; k < POLL_LIMIT; k++)
        if (((volatile struct desc *)&txr[d])->w3 & E1000_TXD_STAT_DD) {
            n_sent++;
            return 1;
        }
    return 0;
}

/* The next received frame (FCS taken off), or NULL after the polling limit.
 * The descriptor goes back to the NIC at the next call. */
static const uint8_t *recv_frame(unsigned *len)
{
    static int held = -1;
    if (held >= 0) {
        rxr[held].w3 = 0;
        wr(E1000_RDT, (unsigned)held);
        held = -1;
    }
    volatile struct desc *d = &rxr[rx_next];
    for (unsigned k = 0; k < POLL_LIMIT; k++)
        if (d->w3 & E1000_RXD_STAT_DD) {
            unsigned i = rx_next;
            *len = (d->w2 & 0xffff) - 4;
            held = (int)i;
            rx_next = (i + 1) % NDESC;
            n_received++;
            return rxbuf[i];
        }
    return NULL;
}

static uint8_t *eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, mac, 6);
    put16be(f + 12, type);
    return f + 14;
}

/* IPv4 header (checksum computed here unless the NIC is to insert it). */
static uint8_t *ipv4(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, unsigned payload, int sw_csum)
{
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16be(ip + 2, (uint16_t)(20 + payload));
    put16be(ip + 4, 0x4242);
    ip[8] = 64;
    ip[9] = proto;
    put32be(ip + 12, src);
    put32be(ip + 16, dst);
    if (sw_csum)
        put16be(ip + 10, (uint16_t)~sum_fold(sum_add(0, ip, 20)));
    return ip + 20;
}

/* ---- DHCP (RFC 2131) ---- */

/* "NI" and the MAC's last two bytes: two machines on one LAN tell their
 * broadcast answers apart. */
#define XID (0x4e490000u | (uint32_t)mac[4] << 8 | mac[5])

static unsigned dhcp_build(uint8_t *f, uint8_t type)
{
    uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8, *o = b + 240;
    unsigned blen;

    eth(f, bcast, 0x0800);
    memset(b, 0, 240);
    b[0] = 1, b[1] = 1, b[2] = 6;
    put32be(b + 4, XID);
    put16be(b + 10, 0x8000); /* broadcast the answer: no address yet */
    memcpy(b + 28, mac, 6);
    put32be(b + 236, 0x63825363);
    *o++ = 53, *o++ = 1, *o++ = type;
    if (type == 3) {
        *o++ = 50, *o++ = 4, put32be(o, my_ip), o += 4;
        *o++ = 54, *o++ = 4, put32be(o, server_id), o += 4;
    }
    *o++ = 55, *o++ = 3, *o++ = 1, *o++ = 3, *o++ = 6;
    *o++ = 255;
    blen = (unsigned)(o - b);
    ipv4(ip, 17, 0, 0xffffffffu, 8 + blen, 0); /* IP checksum: the NIC's (IXSM) */
    put16be(udp, 68);
    put16be(udp + 2, 67);
    put16be(udp + 4, (uint16_t)(8 + blen));
    /* Linux's CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the NIC
     * adds the rest and complements (TXSM). */
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0, ph[9] = 17;
    put16be(ph + 10, (uint16_t)(8 + blen));
    put16be(udp + 6, sum_fold(sum_add(0, ph, 12)));
    return 14 + 20 + 8 + blen;
}

/* A DHCP reply of `type` for our XID: 1 with its fields noted. */
static int dhcp_wait(uint8_t type, int *csum_ok)
{
    for (int tries = 0; tries < 16; tries++) {
        unsigned len;
        const uint8_t *f = recv_frame(&len);
        if (!f)
            return 0;
        const uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
        if (len < 14 + 20 + 8 + 240 || get16be(f + 12) != 0x0800 || ip[9] != 17 || get16be(udp) != 67 ||
            b[0] != 2 || get32be(b + 4) != XID || memcmp(b + 28, mac, 6))
            continue;
        *csum_ok = sum_fold(sum_add(0, ip, 20)) == 0xffff;
        uint8_t got = 0;
        for (const uint8_t *o = b + 240; o < f + len && *o != 255;) {
            if (*o == 0) {
                o++;
                continue;
            }
            if (o[0] == 53)
                got = o[2];
            else if (o[0] == 54)
                server_id = get32be(o + 2);
            else if (o[0] == 3)
                router_ip = get32be(o + 2);
            o += 2 + o[1];
        }
        if (got != type)
            continue;
        my_ip = get32be(b + 16);
        return 1;
    }
    return 0;
}

/* ---- ARP and ICMP ---- */

static int arp_router(void)
{
    uint8_t *f = txbuf[tx_next], *a = eth(f, bcast, 0x0806);
    put16be(a, 1), put16be(a + 2, 0x0800), a[4] = 6, a[5] = 4, put16be(a + 6, 1);
    memcpy(a + 8, mac, 6), put32be(a + 14, my_ip);
    memset(a + 18, 0, 6), put32be(a + 24, router_ip);
    if (!send_legacy(42))
        return 0;
    for (int tries = 0; tries < 16; tries++) {
        unsigned len;
        const uint8_t *r = recv_frame(&len);
        if (!r)
            return 0;
        if (len >= 42 && get16be(r + 12) == 0x0806 && get16be(r + 20) == 2 && get32be(r + 28) == router_ip) {
            memcpy(router_mac, r + 22, 6);
            return 1;
        }
    }
    return 0;
}

static int ping_router(unsigned seq)
{
    uint8_t *f = txbuf[tx_next], *ip = f + 14, *icmp;
    eth(f, router_mac, 0x0800);
    icmp = ipv4(ip, 1, my_ip, router_ip, 8 + 32, 1);
    icmp[0] = 8, icmp[1] = 0, icmp[2] = icmp[3] = 0;
    put16be(icmp + 4, 0x1234), put16be(icmp + 6, (uint16_t)seq);
    for (int i = 0; i < 32; i++)
        icmp[8 + i] = (uint8_t)('a' + i % 26);
    put16be(icmp + 2, (uint16_t)~sum_fold(sum_add(0, icmp, 40)));
    if (!send_legacy(14 + 20 + 40))
        return 0;
    for (int tries = 0; tries < 16; tries++) {
        unsigned len;
        const uint8_t *r = recv_frame(&len);
        if (!r)
            return 0;
        const uint8_t *rip = r + 14, *ri = rip + 20;
        if (len >= 14 + 20 + 40 && get16be(r + 12) == 0x0800 && rip[9] == 1 && ri[0] == 0 &&
            get16be(ri + 4) == 0x1234 && get16be(ri + 6) == seq)
            return sum_fold(sum_add(0, ri, 40)) == 0xffff && !memcmp(ri + 8, icmp + 8, 32) ? 1 : -1;
    }
    return 0;
}

/* ---- interrupts ---- */

#define VEC_NIC 0x40
static volatile unsigned nic_irqs;
static volatile uint32_t nic_causes;

static void on_nic(struct trapframe *tf)
{
    (void)tf;
    nic_irqs++;
    nic_causes |= rd(E1000_ICR); /* read to clear: INTA drops before the EOI */
    lapic_eoi();
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(uintptr_t)IOAPIC_MMIO_BASE = reg;
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_MMIO_BASE + 0x10) = val;
}

/* An echo request, then HLT until the NIC interrupts with its reply in the ring. */
static int ping_by_interrupt(unsigned slot)
{
    unsigned gsi = 16 + slot % 4;
    lapic_enable();
    trap_set_handler(VEC_NIC, on_nic);
    ioapic_write(0x10 + 2 * gsi + 1, 0);                   /* to APIC 0 */
    ioapic_write(0x10 + 2 * gsi, VEC_NIC | 1u << 15);       /* fixed, level, unmasked */
    rd(E1000_ICR);
    wr(E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_TXDW);
    nic_irqs = 0, nic_causes = 0;
    uint8_t *f = txbuf[tx_next], *ip = f + 14, *icmp;
    unsigned i = tx_next;
    eth(f, router_mac, 0x0800);
    icmp = ipv4(ip, 1, my_ip, router_ip, 8 + 32, 1);
    icmp[0] = 8, icmp[1] = 0, icmp[2] = icmp[3] = 0;
    put16be(icmp + 4, 0x1234), put16be(icmp + 6, 99);
    memset(icmp + 8, 'z', 32);
    put16be(icmp + 2, (uint16_t)~sum_fold(sum_add(0, icmp, 40)));
    txr[i].addr = (uint32_t)txbuf[i];
    txr[i].w2 = 74 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    txr[i].w3 = 0;
    tx_next = (i + 1) % NDESC;
    wr(E1000_TDT, tx_next);
    for (int k = 0; k < 1000 && !(nic_causes & E1000_ICR_RXT0); k++)
        sti_hlt(); /* the PIT is masked: only the NIC wakes us */
    cli();
    kprintf("  %u interrupt(s), causes %#x on GSI %u\n", nic_irqs, nic_causes, gsi);
    n_sent++;
    unsigned len;
    const uint8_t *r = recv_frame(&len);
    const uint8_t *ri = r ? r + 34 : NULL;
    wr(E1000_IMC, 0xffffffffu);
    return (nic_causes & E1000_ICR_RXT0) && nic_irqs >= 1 && nic_irqs <= 3 && r && ri[0] == 0 &&
           get16be(ri + 6) == 99;
}

/* HLT until an LSC interrupt leaves STATUS.LU == up. */
static int wait_link(int up)
{
    nic_causes = 0;
    for (int k = 0; k < 100000; k++) {
        if ((nic_causes & E1000_ICR_LSC) && !!(rd(E1000_STATUS) & E1000_STATUS_LU) == up)
            return 1;
        sti_hlt();
        cli();
    }
    return 0;
}

static void link_changes(void)
{
    wr(E1000_IMS, E1000_ICR_LSC);
    kprintf("  waiting for the link to go down\n");
    check(wait_link(0), "link down (LSC interrupt, STATUS.LU clear)");
    check(!(phy_read(E1000_PHY_STATUS) & E1000_MII_SR_LINK), "the PHY says no link");
    kprintf("  waiting for the link to come back\n");
    check(wait_link(1), "link up again (LSC interrupt, STATUS.LU set)");
    check(phy_read(E1000_PHY_STATUS) & E1000_MII_SR_LINK, "the PHY says link");
    wr(E1000_IMC, 0xffffffffu);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    int slot, ok;

    test_section("the NIC on the PCI bus");
    slot = find_nic();
    if (!check(slot >= 0, "an 8086:100e on bus 0 (slot %d)", slot))
        test_finish();
    uint32_t bar = cfg_read((unsigned)slot, 0x10);
    check(cfg_read((unsigned)slot, 8) >> 8 == 0x020000, "class 02/00/00 (Ethernet)");
    check(bar && !(bar & 1), "BAR0 is memory at %#x", bar & ~0xfu);
    cfg_write((unsigned)slot, 4, cfg_read((unsigned)slot, 4) | 0x6); /* memory and bus master */
    regs = (volatile uint32_t *)(bar & ~0xfu);

    test_section("reset, EEPROM, PHY");
    wr(E1000_IMC, 0xffffffffu);
    wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_RST);
    for (int i = 0; i < 1000 && (rd(E1000_CTRL) & E1000_CTRL_RST); i++)
        ;
    check(!(rd(E1000_CTRL) & E1000_CTRL_RST), "CTRL.RST clears itself");
    uint16_t sum = 0;
    for (unsigned a = 0; a < E1000_EEPROM_WORDS; a++) {
        uint16_t w = eeprom_word(a);
        sum = (uint16_t)(sum + w);
        if (a < 3)
            mac[2 * a] = (uint8_t)w, mac[2 * a + 1] = (uint8_t)(w >> 8);
    }
    check(sum == E1000_EEPROM_SUM, "EEPROM checksum %#x", sum);
    kprintf("  mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    check(rd(E1000_RAL0) == (uint32_t)(mac[0] | mac[1] << 8 | mac[2] << 16 | (uint32_t)mac[3] << 24),
          "RAL0 holds the EEPROM's address");
    check(phy_read(E1000_PHY_ID1) == 0x0141 && (phy_read(E1000_PHY_ID2) & 0xfff0) == 0x0c20, "PHY M88E1011");
    check(phy_read(E1000_PHY_STATUS) & E1000_MII_SR_LINK, "PHY link up");
    check(rd(E1000_STATUS) & E1000_STATUS_LU, "STATUS.LU");
    rings_init();
    rd(E1000_GPRC), rd(E1000_GPTC), rd(E1000_ICR); /* clear */

    test_section("DHCP from the LAN's router");
    int csum_ok = 0;
    ok = send_offload_udp(dhcp_build(txbuf[tx_next], 1));
    check(ok, "DISCOVER sent (IP and UDP checksums by the NIC)");
    ok = ok && dhcp_wait(2, &csum_ok);
    if (check(ok, "OFFER received")) {
        print_ip("offer", my_ip);
        print_ip("server", server_id);
        check(csum_ok, "its IP header checksum verifies");
    }
    ok = ok && send_offload_udp(dhcp_build(txbuf[tx_next], 3)) && dhcp_wait(5, &csum_ok);
    if (check(ok, "REQUEST -> ACK")) {
        print_ip("lease", my_ip);
        print_ip("router", router_ip);
    }

    test_section("ARP and ICMP echo to the router");
    ok = ok && arp_router();
    if (check(ok, "ARP reply from the router"))
        kprintf("  router mac %02x:%02x:%02x:%02x:%02x:%02x\n", router_mac[0], router_mac[1], router_mac[2],
                router_mac[3], router_mac[4], router_mac[5]);
    for (unsigned seq = 1; seq <= 3 && ok; seq++) {
        int r = ping_router(seq);
        check(r == 1, "echo reply %u (checksum and payload)", seq);
        ok = r == 1;
    }

    test_section("the NIC's interrupt");
    ok = ok && ping_by_interrupt((unsigned)slot);
    check(ok, "the echo reply woke HLT through INTA, the I/O APIC and the local APIC");
    if (cmdline_has("linkwait")) {
        test_section("the cable pulled and plugged back");
        link_changes();
    }

    test_section("statistics");
    uint32_t gptc = rd(E1000_GPTC), gprc = rd(E1000_GPRC);
    kprintf("  sent %u received %u; GPTC %u GPRC %u\n", n_sent, n_received, gptc, gprc);
    check(gptc == n_sent, "GPTC counts the frames sent");
    check(gprc >= n_received, "GPRC counts at least the frames looked at");
    check(rd(E1000_GPTC) == 0, "GPTC cleared by the read");
    test_finish();
}
