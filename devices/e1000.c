/* Intel 82540EM gigabit NIC (8254x SDM rev. 4.0): the register file behind BAR0,
 * the Microwire EEPROM the driver bit-bangs through EECD, an M88E1011 PHY behind
 * MDIC, interrupt causes with read-to-clear ICR and ITR throttling, legacy
 * receive descriptors, statistics that clear when read, snapshots; the
 * transmit path (descriptors, checksum insertion, TSO) is e1000_tx.c. Everything happens at the guest's accesses or at
 * e1000_receive: the device has one timer, the ITR's. A buggy driver (rings
 * out of range, lengths of 0 or 1 MiB, addresses outside RAM) gets the
 * master aborts and drops a real NIC would give, never a crash. */
#include "devices/e1000.h"

#include <stdlib.h>
#include <string.h>

#include "arch/e1000.h"
#include "base/log.h"
#include "dev_priv.h"
#include "e1000_priv.h"


/* ---- DMA: only while the guest lets the function master the bus ---- */

static int bus_master(const struct e1000 *d)
{
    return !d->fn || (d->fn->cfg[PCI_COMMAND] & 0x04);
}

int e1000_dma_rd(struct e1000 *d, uint64_t gpa, void *buf, size_t len)
{
    if (!bus_master(d) || !d->cfg.dma_read || d->cfg.dma_read(d->cfg.opaque, gpa, buf, len)) {
        log_guest("e1000: DMA read of %zu bytes at %#llx aborted", len, (unsigned long long)gpa);
        return -1;
    }
    return 0;
}

int e1000_dma_wr(struct e1000 *d, uint64_t gpa, const void *buf, size_t len)
{
    if (!bus_master(d) || !d->cfg.dma_write || d->cfg.dma_write(d->cfg.opaque, gpa, (void *)buf, len)) {
        log_guest("e1000: DMA write of %zu bytes at %#llx aborted", len, (unsigned long long)gpa);
        return -1;
    }
    return 0;
}

/* ---- interrupts ---- */

static void set_intx(struct e1000 *d, int level)
{
    d->st.irq_level = (uint8_t)level;
    if (d->fn)
        pci_func_set_intx(d->fn, level);
}

/* INTA follows ICR & IMS; a new assertion waits for the ITR interval (in
 * 256 ns units) since the last one, as the 82540's throttle does. */
static void update_irq(struct e1000 *d)
{
    int want = (R(E1000_ICR) & R(E1000_IMS)) != 0;

    if (want == d->st.irq_level)
        return;
    if (!want) {
        set_intx(d, 0);
        return;
    }
    if (d->q->now < d->st.itr_next) {
        if (!event_pending(&d->itr_ev))
            evq_schedule(d->q, &d->itr_ev, d->st.itr_next);
        return;
    }
    evq_cancel(d->q, &d->itr_ev);
    d->st.itr_next = d->q->now + (vtime_t)(R(E1000_ITR) & 0xffff) * 256;
    set_intx(d, 1);
}

static void itr_fire(void *opaque, vtime_t now)
{
    (void)now;
    update_irq(opaque);
}

void e1000_irq_cause(struct e1000 *d, uint32_t cause)
{
    R(E1000_ICR) |= cause;
    update_irq(d);
}

/* ---- statistics: 32-bit counters that stick at all-ones, 64-bit pairs ---- */

void e1000_stat_inc(struct e1000 *d, unsigned off)
{
    if (R(off) != UINT32_MAX)
        R(off)++;
}

void e1000_stat_add64(struct e1000 *d, unsigned lo, uint64_t n)
{
    uint64_t v = R(lo) | (uint64_t)R(lo + 4) << 32;
    v += n;
    R(lo) = (uint32_t)v;
    R(lo + 4) = (uint32_t)(v >> 32);
}

/* ---- EEPROM and PHY ---- */

static void eeprom_init(struct e1000 *d, const uint8_t *mac)
{
    uint16_t *e = d->st.eeprom, sum = 0;

    for (int i = 0; i < E1000_EEPROM_WORDS; i++)
        e[i] = 0xffff;
    for (int i = 0; i < 3; i++)
        e[i] = (uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
    e[0x03] = 0x0000;          /* compatibility: nothing special */
    e[0x04] = 0xffff;          /* LED settings: the driver's defaults */
    e[0x08] = 0x1000;          /* PBA number */
    e[0x09] = 0x0001;
    e[0x0a] = 0x6400;          /* initialization control 1 */
    e[0x0b] = E1000_SUBSYS_ID; /* subsystem id, vendor, device id, vendor */
    e[0x0c] = E1000_VENDOR_ID;
    e[0x0d] = E1000_DEVICE_ID;
    e[0x0e] = E1000_VENDOR_ID;
    e[0x0f] = 0x0000;          /* initialization control 2: no pause frames */
    for (int i = 0; i < E1000_EEPROM_WORDS - 1; i++)
        sum = (uint16_t)(sum + e[i]);
    e[E1000_EEPROM_WORDS - 1] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

/* Status bits that follow the cable. */
static void phy_link(struct e1000 *d)
{
    uint16_t *p = d->st.phy;
    int up = d->st.link_up;

    p[E1000_PHY_STATUS] = (uint16_t)(0x7949 | (up ? E1000_MII_SR_LINK | E1000_MII_SR_AN_DONE : 0));
    p[E1000_PHY_LP_ABILITY] = up ? 0x41e1 : 0;
    p[E1000_PHY_AUTONEG_EXP] = up ? 0x0001 : 0;
    p[E1000_PHY_1000T_STATUS] = up ? 0x3c00 : 0;
    p[E1000_PHY_M88_SPEC_STATUS] = up ? 0xac00 : 0; /* 1000 Mb/s, full duplex, resolved, link */
}

static void phy_reset(struct e1000 *d)
{
    uint16_t *p = d->st.phy;

    memset(p, 0, sizeof d->st.phy);
    p[E1000_PHY_CTRL] = 0x1140;       /* autonegotiation, full duplex, 1000 Mb/s */
    p[E1000_PHY_ID1] = 0x0141;        /* Marvell M88E1011: what Linux expects on an 82540 */
    p[E1000_PHY_ID2] = 0x0c20;
    p[E1000_PHY_AUTONEG_ADV] = 0x01e1;
    p[E1000_PHY_1000T_CTRL] = 0x0300;
    p[E1000_PHY_M88_SPEC_CTRL] = 0x0068;
    p[E1000_PHY_M88_EXT_CTRL] = 0x0d60;
    phy_link(d);
}

static int phy_reg_writable(unsigned r)
{
    return r != E1000_PHY_STATUS && r != E1000_PHY_ID1 && r != E1000_PHY_ID2 && r != E1000_PHY_LP_ABILITY &&
           r != E1000_PHY_AUTONEG_EXP && r != E1000_PHY_1000T_STATUS && r != E1000_PHY_M88_SPEC_STATUS;
}

static void mdic_write(struct e1000 *d, uint32_t val)
{
    unsigned reg = (val >> E1000_MDIC_REG_SHIFT) & 31, phy = (val >> E1000_MDIC_PHY_SHIFT) & 31;
    uint32_t out = val & ~(E1000_MDIC_READY | E1000_MDIC_ERROR);

    if (phy != E1000_PHY_ADDR) {
        out |= E1000_MDIC_ERROR; /* nobody answers at that address */
    } else if (val & E1000_MDIC_OP_READ) {
        out = (out & ~E1000_MDIC_DATA_MASK) | d->st.phy[reg];
    } else if (val & E1000_MDIC_OP_WRITE) {
        uint16_t v = (uint16_t)val;
        if (reg == E1000_PHY_CTRL && (v & E1000_MII_CR_RESET)) {
            phy_reset(d);
        } else if (phy_reg_writable(reg)) {
            /* Reset and restart-autonegotiation clear themselves: autonegotiation
             * completes at once against the simulated link partner. */
            d->st.phy[reg] = reg == E1000_PHY_CTRL ? (uint16_t)(v & ~(E1000_MII_CR_RESET | E1000_MII_CR_RESTART_AN)) : v;
        }
    } else {
        out |= E1000_MDIC_ERROR;
    }
    R(E1000_MDIC) = out | E1000_MDIC_READY;
    if (val & E1000_MDIC_INT_EN)
        e1000_irq_cause(d, E1000_ICR_MDAC);
}

/* Microwire (93C46, 64 words): on each rising SK with CS high one DI bit
 * shifts in; after the start bit, the 2-bit opcode and 6 address bits a READ
 * puts a dummy 0 and then the words' bits, MSB first, on DO from the next
 * rising edges on, running on into the following words. */
static void eecd_write(struct e1000 *d, uint32_t val)
{
    uint32_t old = d->st.ee_pins;
    struct e1000_state *s = &d->st;

    s->ee_pins = val & (E1000_EECD_SK | E1000_EECD_CS | E1000_EECD_DI | E1000_EECD_REQ);
    if (!(val & E1000_EECD_CS)) {
        s->ee_nbits = 0;
        s->ee_in = 0;
        s->ee_reading = 0;
        return;
    }
    if (!(old & E1000_EECD_CS)) { /* chip select rising: a new command */
        s->ee_nbits = 0;
        s->ee_in = 0;
        s->ee_reading = 0;
    }
    if (!(val & E1000_EECD_SK) || (old & E1000_EECD_SK))
        return; /* only rising clock edges move the EEPROM */
    if (s->ee_reading) {
        s->ee_pos++;
        return;
    }
    if (s->ee_nbits == 0 && !(val & E1000_EECD_DI))
        return; /* waiting for the start bit */
    s->ee_in = s->ee_in << 1 | ((val & E1000_EECD_DI) ? 1 : 0);
    if (++s->ee_nbits == 9) {
        if ((s->ee_in >> 6) == E1000_EEPROM_READ_OPCODE) {
            s->ee_reading = 1;
            s->ee_addr = (uint8_t)(s->ee_in & 0x3f);
            s->ee_pos = -1;
        } else {
            s->ee_nbits = 0; /* write, erase ...: not supported, ignored */
            s->ee_in = 0;
        }
    }
}

static uint32_t eecd_read(struct e1000 *d)
{
    const struct e1000_state *s = &d->st;
    uint32_t v = s->ee_pins | E1000_EECD_PRES | ((s->ee_pins & E1000_EECD_REQ) ? E1000_EECD_GNT : 0);

    if (s->ee_reading && s->ee_pos >= 0) {
        unsigned word = (s->ee_addr + (unsigned)s->ee_pos / 16) % E1000_EEPROM_WORDS;
        if ((s->eeprom[word] >> (15 - s->ee_pos % 16)) & 1)
            v |= E1000_EECD_DO;
    }
    return v;
}

/* ---- reset ---- */

static void regs_reset(struct e1000 *d)
{
    struct e1000_state *s = &d->st;
    uint16_t eeprom[E1000_EEPROM_WORDS];
    uint8_t link = s->link_up;

    memcpy(eeprom, s->eeprom, sizeof eeprom);
    evq_cancel(d->q, &d->itr_ev);
    if (s->irq_level)
        set_intx(d, 0);
    memset(s, 0, offsetof(struct e1000_state, txbuf));
    memcpy(s->eeprom, eeprom, sizeof eeprom);
    s->link_up = link;
    phy_reset(d);
    R(E1000_CTRL) = E1000_CTRL_FD | E1000_CTRL_ASDE | E1000_CTRL_SLU;
    R(E1000_LEDCTL) = 0x07068302;
    R(E1000_PBA) = 0x00100030; /* 48 KiB receive, 16 KiB transmit */
    R(E1000_VET) = 0x8100;
    /* The hardware loads its address from the EEPROM into RAL0/RAH0. */
    R(E1000_RAL0) = eeprom[0] | (uint32_t)eeprom[1] << 16;
    R(E1000_RAH0) = eeprom[2] | E1000_RAH_AV;
}

static void e1000_reset(void *opaque)
{
    regs_reset(opaque);
}

/* ---- receive ---- */

static uint32_t crc32_le(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static unsigned rx_buf_size(const struct e1000 *d)
{
    uint32_t rctl = d->st.reg[E1000_RCTL / 4];
    unsigned bs = (rctl >> E1000_RCTL_BSIZE_SHIFT) & 3;
    if (rctl & E1000_RCTL_BSEX)
        return bs == 0 ? 2048 : 32768u >> bs; /* 16384, 8192, 4096 (BSEX with 00 is reserved) */
    return 2048u >> bs;
}

/* The 12-bit hash of a multicast address into the 4096-bit MTA, as RCTL.MO picks. */
static unsigned mta_hash(const struct e1000 *d, const uint8_t *a)
{
    unsigned mo = (d->st.reg[E1000_RCTL / 4] >> E1000_RCTL_MO_SHIFT) & 3;
    unsigned h = (unsigned)a[4] >> (4 - mo) | (unsigned)a[5] << (4 + mo);
    return h & 0xfff;
}

static int rx_accept(struct e1000 *d, const uint8_t *dst)
{
    uint32_t rctl = R(E1000_RCTL);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    if (!memcmp(dst, bcast, 6))
        return (rctl & (E1000_RCTL_BAM | E1000_RCTL_MPE)) != 0;
    if (dst[0] & 1) {
        unsigned h = mta_hash(d, dst);
        return (rctl & E1000_RCTL_MPE) || ((R(E1000_MTA + (h >> 5) * 4) >> (h & 31)) & 1);
    }
    if (rctl & E1000_RCTL_UPE)
        return 1;
    for (int i = 0; i < E1000_RA_ENTRIES; i++) {
        uint32_t lo = R(E1000_RAL0 + 8 * i), hi = R(E1000_RAH0 + 8 * i);
        uint8_t a[6] = { (uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16), (uint8_t)(lo >> 24),
                         (uint8_t)hi, (uint8_t)(hi >> 8) };
        if ((hi & E1000_RAH_AV) && !memcmp(a, dst, 6))
            return 1;
    }
    return 0;
}

/* Descriptors the hardware owns: from RDH up to (not including) RDT. 0 when
 * the ring registers make no sense (empty ring, head or tail beyond it). */
static uint32_t rx_owned(struct e1000 *d, uint32_t *n)
{
    *n = R(E1000_RDLEN) / E1000_DESC_SIZE;
    if (!*n || R(E1000_RDH) >= *n || R(E1000_RDT) >= *n)
        return 0;
    return (R(E1000_RDT) + *n - R(E1000_RDH)) % *n;
}

int e1000_receive(struct e1000 *d, const uint8_t *frame, size_t len)
{
    uint8_t buf[RX_MAX + 4];
    uint32_t n, owned, rdmts;
    unsigned bsize = rx_buf_size(d);
    size_t total, done = 0;
    uint64_t base = R(E1000_RDBAL) | (uint64_t)R(E1000_RDBAH) << 32;

    if (!(R(E1000_RCTL) & E1000_RCTL_EN) || !d->st.link_up || len < 14)
        return 0;
    if (len > RX_MAX || (len > 1522 && !(R(E1000_RCTL) & E1000_RCTL_LPE))) {
        e1000_stat_inc(d, E1000_ROC); /* oversize */
        return 0;
    }
    if (!rx_accept(d, frame))
        return 0;
    /* Shorter frames arrive padded; the FCS follows unless the driver strips it. */
    memcpy(buf, frame, len);
    total = len < 60 ? 60 : len;
    if (total > len)
        memset(buf + len, 0, total - len);
    if (!(R(E1000_RCTL) & E1000_RCTL_SECRC)) {
        uint32_t fcs = crc32_le(buf, total);
        for (int i = 0; i < 4; i++)
            buf[total + i] = (uint8_t)(fcs >> (8 * i));
        total += 4;
    }
    owned = rx_owned(d, &n);
    if (owned < (total + bsize - 1) / bsize) {
        e1000_stat_inc(d, E1000_RNBC);
        e1000_stat_inc(d, E1000_MPC);
        e1000_irq_cause(d, E1000_ICR_RXO);
        return 0;
    }
    while (done < total) {
        uint8_t desc[E1000_DESC_SIZE];
        uint64_t at = base + (uint64_t)R(E1000_RDH) * E1000_DESC_SIZE;
        size_t chunk = total - done < bsize ? total - done : bsize;

        if (e1000_dma_rd(d, at, desc, sizeof desc))
            return 0; /* the rest of the frame is lost with the descriptor */
        e1000_dma_wr(d, get64(desc), buf + done, chunk);
        done += chunk;
        put16(desc + 8, (uint16_t)chunk);
        put16(desc + 10, 0);
        desc[12] = (uint8_t)(E1000_RXD_STAT_DD | E1000_RXD_STAT_IXSM | (done == total ? E1000_RXD_STAT_EOP : 0));
        desc[13] = 0;
        put16(desc + 14, 0);
        e1000_dma_wr(d, at + 8, desc + 8, 8);
        R(E1000_RDH) = (R(E1000_RDH) + 1) % n;
    }
    e1000_stat_inc(d, E1000_GPRC);
    e1000_stat_inc(d, E1000_TPR);
    e1000_stat_add64(d, E1000_GORCL, total);
    e1000_stat_add64(d, E1000_TORL, total);
    if (frame[0] & 1)
        e1000_stat_inc(d, (frame[0] == 0xff && frame[1] == 0xff) ? E1000_BPRC : E1000_MPRC);
    rdmts = (R(E1000_RCTL) >> E1000_RCTL_RDMTS_SHIFT) & 3;
    if (rx_owned(d, &n) <= n >> (rdmts + 1))
        R(E1000_ICR) |= E1000_ICR_RXDMT0;
    e1000_irq_cause(d, E1000_ICR_RXT0);
    return 1;
}


static int reg_known(unsigned off)
{
    switch (off) {
    case E1000_CTRL: case E1000_STATUS: case E1000_EECD: case E1000_EERD: case E1000_CTRL_EXT:
    case E1000_MDIC: case E1000_FCAL: case E1000_FCAH: case E1000_FCT: case E1000_VET:
    case E1000_ICR: case E1000_ITR: case E1000_ICS: case E1000_IMS: case E1000_IMC:
    case E1000_RCTL: case E1000_FCTTV: case E1000_TXCW: case E1000_RXCW: case E1000_TCTL:
    case E1000_TIPG: case E1000_AIT: case E1000_LEDCTL: case E1000_PBA: case E1000_FCRTL: case E1000_FCRTH:
    case E1000_RDBAL: case E1000_RDBAH: case E1000_RDLEN: case E1000_RDH: case E1000_RDT:
    case E1000_RDTR: case E1000_RADV: case E1000_RSRPD: case E1000_TDBAL: case E1000_TDBAH:
    case E1000_TDLEN: case E1000_TDH: case E1000_TDT: case E1000_TIDV: case E1000_TXDCTL:
    case E1000_TADV: case E1000_RXCSUM: case E1000_WUC: case E1000_WUFC: case E1000_WUS: case E1000_MANC:
        return 1;
    }
    return (off >= E1000_STATS_FIRST && off < E1000_STATS_END) || (off >= E1000_MTA && off < E1000_MTA + 512) ||
           (off >= E1000_RAL0 && off < E1000_RAL0 + 8 * E1000_RA_ENTRIES) || (off >= E1000_VFTA && off < E1000_VFTA + 512);
}

static uint64_t e1000_read(void *opaque, uint64_t off, unsigned size)
{
    struct e1000 *d = opaque;
    uint32_t v;

    if (size != 4 || (off & 3) || off >= REG_END || !reg_known((unsigned)off)) {
        if (size != 4 || (off & 3))
            log_guest("e1000: %u-byte read at %#llx", size, (unsigned long long)off);
        return size == 4 && !(off & 3) ? 0 : dev_ones(size); /* unimplemented registers read 0 */
    }
    switch (off) {
    case E1000_STATUS:
        return (d->st.link_up ? E1000_STATUS_LU : 0) | E1000_STATUS_FD | E1000_STATUS_SPEED_1000 |
               E1000_STATUS_GIO_MASTER_EN;
    case E1000_EECD:
        return eecd_read(d);
    case E1000_ICR: /* read to clear: the line drops */
        v = R(E1000_ICR);
        R(E1000_ICR) = 0;
        update_irq(d);
        return v;
    case E1000_ICS: case E1000_IMC:
        return 0; /* write-only */
    }
    v = R(off);
    if (off >= E1000_STATS_FIRST && off < E1000_STATS_END)
        R(off) = 0;
    return v;
}

static void e1000_write(void *opaque, uint64_t off, uint64_t val64, unsigned size)
{
    struct e1000 *d = opaque;
    uint32_t val = (uint32_t)val64;

    if (size != 4 || (off & 3) || off >= REG_END || !reg_known((unsigned)off)) {
        log_guest("e1000: %u-byte write of %#llx at %#llx ignored", size, (unsigned long long)val64,
                  (unsigned long long)off);
        return;
    }
    switch (off) {
    case E1000_CTRL:
        if (val & E1000_CTRL_RST) {
            regs_reset(d);
            return;
        }
        if ((val & E1000_CTRL_PHY_RST) && !(R(E1000_CTRL) & E1000_CTRL_PHY_RST))
            phy_reset(d);
        R(E1000_CTRL) = val;
        return;
    case E1000_STATUS: case E1000_RXCW:
        return; /* read-only */
    case E1000_EECD:
        eecd_write(d, val);
        return;
    case E1000_EERD:
        if (val & E1000_EERD_START) {
            unsigned a = (val >> E1000_EERD_ADDR_SHIFT) & 0xff;
            uint16_t w = a < E1000_EEPROM_WORDS ? d->st.eeprom[a] : 0xffff;
            R(E1000_EERD) = (val & 0xff00) | E1000_EERD_DONE | (uint32_t)w << E1000_EERD_DATA_SHIFT;
        }
        return;
    case E1000_MDIC:
        mdic_write(d, val);
        return;
    case E1000_ICR: /* writing ones clears those causes */
        R(E1000_ICR) &= ~val;
        update_irq(d);
        return;
    case E1000_ICS:
        e1000_irq_cause(d, val & E1000_ICR_ALL);
        return;
    case E1000_IMS:
        R(E1000_IMS) |= val & E1000_ICR_ALL;
        update_irq(d);
        return;
    case E1000_IMC:
        R(E1000_IMS) &= ~val;
        update_irq(d);
        return;
    case E1000_ITR:
        R(off) = val & 0xffff;
        return;
    case E1000_RDLEN: case E1000_TDLEN:
        R(off) = val & 0x000fff80u;
        return;
    case E1000_RDBAL: case E1000_TDBAL:
        R(off) = val & ~0xfu;
        return;
    case E1000_RDH: case E1000_RDT: case E1000_TDH:
        R(off) = val & 0xffff;
        return;
    case E1000_TDT:
        R(off) = val & 0xffff;
        e1000_tx_run(d);
        return;
    case E1000_TCTL:
        R(off) = val;
        e1000_tx_run(d);
        return;
    }
    if (off >= E1000_STATS_FIRST && off < E1000_STATS_END)
        return; /* statistics are read-only */
    R(off) = val;
}

/* The I/O BAR (8254x SDM 13.2.2): IOADDR selects a register, IODATA reads or
 * writes it. Linux resets an 82540 through it ("can't ack the 64-bit write"). */
static uint64_t e1000_io_read(void *opaque, uint64_t off, unsigned size)
{
    struct e1000 *d = opaque;
    if (size != 4 || (off != E1000_IOADDR && off != E1000_IODATA))
        return dev_ones(size);
    return off == E1000_IOADDR ? d->st.io_addr : e1000_read(d, d->st.io_addr, 4);
}

static void e1000_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct e1000 *d = opaque;
    if (size != 4 || (off != E1000_IOADDR && off != E1000_IODATA)) {
        log_guest("e1000: %u-byte I/O write at %#llx ignored", size, (unsigned long long)off);
        return;
    }
    if (off == E1000_IOADDR)
        d->st.io_addr = (uint32_t)val & 0x1fffc;
    else
        e1000_write(d, d->st.io_addr, val, 4);
}

static void io_reset(void *opaque) { (void)opaque; }
static int io_save(void *opaque, struct buf *out) { (void)opaque, (void)out; return 0; }
static int io_load(void *opaque, struct buf_reader *in) { (void)opaque, (void)in; return 0; }

/* Its state (IOADDR) is saved by e1000_ops with the rest. */
const struct dev_ops e1000_io_ops = {
    .name = "e1000-io",
    .read = e1000_io_read,
    .write = e1000_io_write,
    .reset = io_reset,
    .save = io_save,
    .load = io_load,
};

void e1000_set_link(struct e1000 *d, int up)
{
    if (!!up == d->st.link_up)
        return;
    d->st.link_up = (uint8_t)!!up;
    phy_link(d);
    e1000_irq_cause(d, E1000_ICR_LSC);
}

int e1000_link_up(const struct e1000 *d) { return d->st.link_up; }

/* ---- snapshots ---- */

static void put_ctx(struct buf *b, const struct e1000_txctx *c)
{
    uint8_t v8[] = { c->ipcss, c->ipcso, c->tucss, c->tucso, c->hdr_len, c->tucmd };
    buf_put(b, v8, sizeof v8);
    buf_put_u16(b, c->ipcse);
    buf_put_u16(b, c->tucse);
    buf_put_u16(b, c->mss);
    buf_put_u32(b, c->paylen);
}

static void get_ctx(struct buf_reader *r, struct e1000_txctx *c)
{
    uint8_t v8[6];
    buf_get(r, v8, sizeof v8);
    c->ipcss = v8[0], c->ipcso = v8[1], c->tucss = v8[2], c->tucso = v8[3], c->hdr_len = v8[4], c->tucmd = v8[5];
    c->ipcse = buf_get_u16(r);
    c->tucse = buf_get_u16(r);
    c->mss = buf_get_u16(r);
    c->paylen = buf_get_u32(r);
}

static int e1000_save(void *opaque, struct buf *b)
{
    struct e1000 *d = opaque;
    const struct e1000_state *s = &d->st;

    dev_save_header(b, E1000_MAGIC, E1000_VERSION);
    for (int i = 0; i < NREGS; i++)
        buf_put_u32(b, s->reg[i]);
    for (int i = 0; i < E1000_EEPROM_WORDS; i++)
        buf_put_u16(b, s->eeprom[i]);
    for (int i = 0; i < E1000_PHY_REGS; i++)
        buf_put_u16(b, s->phy[i]);
    buf_put_u32(b, s->ee_pins);
    buf_put_u32(b, s->ee_in);
    buf_put_u8(b, s->ee_nbits);
    buf_put_u8(b, s->ee_reading);
    buf_put_u8(b, s->ee_addr);
    buf_put_u32(b, (uint32_t)s->ee_pos);
    buf_put_u8(b, s->link_up);
    buf_put_u8(b, s->irq_level);
    buf_put_u32(b, s->io_addr);
    buf_put_u64(b, s->itr_next);
    dev_save_event(b, &d->itr_ev);
    put_ctx(b, &s->ctx);
    uint8_t flags[] = { s->tx_started, s->tx_tse, s->tx_popts, s->tx_bad, s->tx_legacy, s->tx_cso, s->tx_css, s->tx_vle };
    buf_put(b, flags, sizeof flags);
    buf_put_u16(b, s->tx_vlan);
    buf_put_u32(b, s->tso_sent);
    buf_put_u16(b, s->tso_frames);
    buf_put(b, s->tso_hdr, sizeof s->tso_hdr);
    buf_put_u32(b, s->txlen);
    buf_put(b, s->txbuf, s->txlen);
    return b->err;
}

/* Parsed into a copy first: a short or foreign buffer changes nothing. */
static int e1000_load(void *opaque, struct buf_reader *r)
{
    struct e1000 *d = opaque;
    struct e1000_state *s;
    struct dev_saved_event itr;
    uint8_t flags[8];

    if (dev_load_header(r, E1000_MAGIC, E1000_VERSION))
        return HV_ECORRUPT;
    s = malloc(sizeof *s);
    if (!s)
        return HV_ENOMEM;
    memset(s, 0, offsetof(struct e1000_state, txbuf));
    for (int i = 0; i < NREGS; i++)
        s->reg[i] = buf_get_u32(r);
    for (int i = 0; i < E1000_EEPROM_WORDS; i++)
        s->eeprom[i] = buf_get_u16(r);
    for (int i = 0; i < E1000_PHY_REGS; i++)
        s->phy[i] = buf_get_u16(r);
    s->ee_pins = buf_get_u32(r);
    s->ee_in = buf_get_u32(r);
    s->ee_nbits = buf_get_u8(r);
    s->ee_reading = buf_get_u8(r);
    s->ee_addr = buf_get_u8(r);
    s->ee_pos = (int32_t)buf_get_u32(r);
    s->link_up = buf_get_u8(r);
    s->irq_level = buf_get_u8(r);
    s->io_addr = buf_get_u32(r) & 0x1fffc;
    s->itr_next = buf_get_u64(r);
    itr = dev_load_event(r);
    get_ctx(r, &s->ctx);
    buf_get(r, flags, sizeof flags);
    s->tx_started = flags[0], s->tx_tse = flags[1], s->tx_popts = flags[2], s->tx_bad = flags[3];
    s->tx_legacy = flags[4], s->tx_cso = flags[5], s->tx_css = flags[6], s->tx_vle = flags[7];
    s->tx_vlan = buf_get_u16(r);
    s->tso_sent = buf_get_u32(r);
    s->tso_frames = buf_get_u16(r);
    buf_get(r, s->tso_hdr, sizeof s->tso_hdr);
    s->txlen = buf_get_u32(r);
    if (r->err || s->txlen > TXBUF || s->ee_addr >= E1000_EEPROM_WORDS || buf_get(r, s->txbuf, s->txlen) || r->err) {
        free(s);
        return HV_ECORRUPT;
    }
    memcpy(&d->st, s, offsetof(struct e1000_state, txbuf) + s->txlen);
    free(s);
    /* The INTx level is the PCI function's, which the host bridge saves. */
    dev_rearm_event(d->q, &d->itr_ev, itr);
    return HV_OK;
}

const struct dev_ops e1000_ops = {
    .name = "e1000",
    .read = e1000_read,
    .write = e1000_write,
    .reset = e1000_reset,
    .save = e1000_save,
    .load = e1000_load,
};

struct e1000 *e1000_create(struct evq *q, struct pci_host *pci, unsigned slot, const struct e1000_config *cfg)
{
    struct e1000 *d = calloc(1, sizeof *d);

    if (!d) {
        log_error("e1000: out of memory");
        return NULL;
    }
    d->q = q;
    d->cfg = *cfg;
    event_init(&d->itr_ev, "e1000-itr", itr_fire, d);
    if (pci) {
        d->fn = pci_host_add_func(pci, slot, 0, E1000_VENDOR_ID, E1000_DEVICE_ID, E1000_CLASS_REV);
        if (!d->fn) {
            free(d);
            return NULL;
        }
        pci_func_set_bar(d->fn, 0, E1000_BAR0_SIZE, 0);
        pci_func_set_bar(d->fn, 1, E1000_BAR1_SIZE, 1);
        pci_func_set_intx_pin(d->fn, 1);
        d->fn->cfg[0x2c] = (uint8_t)E1000_VENDOR_ID; /* subsystem vendor and id */
        d->fn->cfg[0x2d] = (uint8_t)(E1000_VENDOR_ID >> 8);
        d->fn->cfg[0x2e] = (uint8_t)E1000_SUBSYS_ID;
        d->fn->cfg[0x2f] = (uint8_t)(E1000_SUBSYS_ID >> 8);
    }
    d->st.link_up = 1;
    eeprom_init(d, cfg->mac);
    regs_reset(d);
    return d;
}

void e1000_destroy(struct e1000 *d)
{
    if (!d)
        return;
    evq_cancel(d->q, &d->itr_ev);
    free(d);
}

struct pci_func *e1000_pci_func(struct e1000 *d) { return d->fn; }
