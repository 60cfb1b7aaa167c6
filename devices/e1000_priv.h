/* What the 82540EM's files share (e1000.c: the register file, interrupts,
 * receive, EEPROM and PHY, snapshots; e1000_tx.c: the transmit path): the
 * device's state, the register accessor, byte-order helpers, and the few
 * internals the transmit path calls. */
#ifndef DEVICES_E1000_PRIV_H
#define DEVICES_E1000_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "arch/e1000.h"
#include "base/evq.h"
#include "devices/e1000.h"
#include "devices/pci_host.h"

#define E1000_MAGIC 0x4531304bu /* "E10K" */
#define E1000_VERSION 1
#define REG_END 0x5a00                   /* registers kept: up to MANC and a little beyond */
#define NREGS (REG_END / 4)
#define TXBUF (65536 + 256)              /* a TSO segment: header + MSS of 16 bits */
#define RX_MAX 16384                     /* longest frame accepted from the wire */
#define MIN_MSS 64                       /* smaller MSS values are refused (see docs/devices.md) */
#define R(off) (d->st.reg[(off) / 4])

/* The transmit context the last context descriptor loaded. */
struct e1000_txctx {
    uint8_t ipcss, ipcso, tucss, tucso, hdr_len, tucmd;
    uint16_t ipcse, tucse, mss;
    uint32_t paylen;
};

/* Every field a snapshot holds (plain data, so load can parse into a copy). */
struct e1000_state {
    uint32_t reg[NREGS];
    uint16_t eeprom[E1000_EEPROM_WORDS];
    uint16_t phy[E1000_PHY_REGS];
    /* Microwire: pins last written, bits shifted in, read position (-1: the
     * dummy zero before the data). */
    uint32_t ee_pins, ee_in;
    uint8_t ee_nbits, ee_reading, ee_addr;
    int32_t ee_pos;
    uint8_t link_up, irq_level;
    uint32_t io_addr;                    /* IOADDR: the register IODATA reaches */
    vtime_t itr_next;                    /* no new interrupt before this */
    struct e1000_txctx ctx;
    /* The packet being gathered from data descriptors. */
    uint32_t txlen;
    uint8_t tx_started, tx_tse, tx_popts, tx_bad, tx_legacy, tx_cso, tx_css, tx_vle;
    uint16_t tx_vlan;
    uint32_t tso_sent;                   /* payload bytes already segmented */
    uint16_t tso_frames;
    uint8_t tso_hdr[256];
    uint8_t txbuf[TXBUF];
};

struct e1000 {
    struct evq *q;
    struct pci_func *fn;
    struct e1000_config cfg;
    struct event itr_ev;
    struct e1000_state st;
};


static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline uint16_t get16be(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void put16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline uint32_t get32be(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static inline void put32be(uint8_t *p, uint32_t v) { put16be(p, (uint16_t)(v >> 16)); put16be(p + 2, (uint16_t)v); }

/* e1000.c */
int e1000_dma_rd(struct e1000 *d, uint64_t gpa, void *buf, size_t len);  /* 0, or -1: master abort */
int e1000_dma_wr(struct e1000 *d, uint64_t gpa, const void *buf, size_t len);
void e1000_irq_cause(struct e1000 *d, uint32_t cause);                 /* ICR |= cause, INTA follows */
void e1000_stat_inc(struct e1000 *d, unsigned off);                    /* a 32-bit counter, sticky at ~0 */
void e1000_stat_add64(struct e1000 *d, unsigned lo, uint64_t n);       /* a 64-bit low/high pair */

/* e1000_tx.c: process transmit descriptors from TDH up to TDT. */
void e1000_tx_run(struct e1000 *d);

#endif
