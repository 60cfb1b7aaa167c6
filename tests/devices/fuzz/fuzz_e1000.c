/* libFuzzer target for the e1000's register interface: a NIC set up as a
 * driver would (rings in RAM, receiver and transmitter on) and then driven by
 * the input, 8 bytes an operation: register writes and reads (the known
 * registers mostly, any offset sometimes, also through the I/O BAR),
 * descriptor and RAM pokes, frames
 * from the wire, link changes, time passing, snapshots and resets. The
 * device must survive all of it; a snapshot must load into a fresh NIC and
 * save to the same bytes. Built by the CMake target fuzz_e1000 (clang); the
 * Criterion test test_dev_e1000_fuzz runs this entry over a fixed PRNG corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "../e1000_rig.h"

#define FZ_TXR 0x1000
#define FZ_RXR 0x2000
#define FZ_BUF 0x8000

static const unsigned fz_regs[] = {
    E1000_CTRL, E1000_STATUS, E1000_EECD, E1000_EERD, E1000_MDIC, E1000_ICR, E1000_ITR, E1000_ICS,
    E1000_IMS, E1000_IMC, E1000_RCTL, E1000_TCTL, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH,
    E1000_RDT, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT, E1000_MTA, E1000_RAL0,
    E1000_RAH0, E1000_GPRC, E1000_GPTC, E1000_GORCL, E1000_TPR, E1000_RNBC, E1000_MPC, E1000_TSCTC,
};

static void fz_quiet(void *o, enum log_level l, const char *m) { (void)o, (void)l, (void)m; }

/* The setup Linux's e1000_configure does, in short. */
static void fz_setup(struct rig *r)
{
    for (int i = 0; i < 16; i++)
        put_le(r->ram + FZ_RXR + 16 * i, FZ_BUF + 2048 * i, 8);
    wr(r, E1000_RDBAL, FZ_RXR);
    wr(r, E1000_RDLEN, 16 * 16);
    wr(r, E1000_RDT, 15);
    wr(r, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
    wr(r, E1000_TDBAL, FZ_TXR);
    wr(r, E1000_TDLEN, 16 * 16);
    wr(r, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    wr(r, E1000_IMS, 0x9d);
}

static int fz_snapshot_check(struct rig *r)
{
    struct buf a, b;
    struct buf_reader rr;
    struct rig *r2 = malloc(sizeof *r2);
    int ok;

    buf_init(&a);
    buf_init(&b);
    rig_new(r2);
    e1000_ops.save(r->nic, &a);
    buf_reader_init(&rr, a.data, a.len);
    ok = e1000_ops.load(r2->nic, &rr) == 0 && e1000_ops.save(r2->nic, &b) == 0 && a.len == b.len &&
         !memcmp(a.data, b.data, a.len);
    rig_free(r2);
    free(r2);
    buf_free(&a);
    buf_free(&b);
    return ok;
}

/* What the inputs reached, for the deterministic test's coverage checks. */
static uint64_t fz_frames_sent, fz_frames_received, fz_snapshots;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rig *r;
    uint8_t frame[1600];

    if (!r) {
        log_set_sink(fz_quiet, NULL);
        r = malloc(sizeof *r);
    }
    rig_new(r);
    fz_setup(r);
    for (size_t i = 0; i + 8 <= size; i += 8) {
        const uint8_t *op = data + i;
        uint16_t sel = (uint16_t)(op[1] | op[2] << 8);
        uint32_t val = op[3] | op[4] << 8 | op[5] << 16 | (uint32_t)op[6] << 24;
        unsigned reg = (op[7] & 0x80) ? (sel * 4u) % E1000_BAR0_SIZE
                                      : fz_regs[sel % (sizeof fz_regs / sizeof fz_regs[0])];
        switch (op[0] % 12) {
        case 0: case 1: case 2:
            wr(r, reg, val);
            break;
        case 3:
            rd(r, reg);
            break;
        case 4: { /* a frame from the wire, to us or broadcast, of a length from the input */
            size_t len = val % sizeof frame;
            memcpy(frame, r->ram + (sel * 16u) % (RIG_RAM - sizeof frame), len);
            if (len >= 6)
                memcpy(frame, (op[7] & 1) ? (const uint8_t *)"\xff\xff\xff\xff\xff\xff" : rig_mac, 6);
            fz_frames_received += (uint64_t)e1000_receive(r->nic, frame, len);
            break;
        }
        case 5: case 6: case 7: /* descriptors and packet bytes */
            put_le(r->ram + (sel * 4u) % (RIG_RAM - 4), val, 4);
            break;
        case 8:
            e1000_set_link(r->nic, op[7] & 1);
            break;
        case 9:
            evq_run_until(&r->q, r->q.now + (val & 0xfffff));
            break;
        case 10:
            if (!fz_snapshot_check(r))
                abort();
            fz_snapshots++;
            break;
        case 11:
            if (op[7] & 1)
                e1000_ops.reset(r->nic);
            else if (op[7] & 2) /* the I/O BAR: IOADDR, then IODATA */
                (op[7] & 4) ? e1000_io_ops.write(r->nic, (op[7] & 8) ? E1000_IODATA : E1000_IOADDR, (op[7] & 16) ? reg : val, 4)
                            : (void)e1000_io_ops.read(r->nic, op[7] & 0x3c, 1 + (op[7] >> 6));
            else
                e1000_ops.write(r->nic, reg, val, 1 + (op[7] & 7)); /* odd sizes */
            break;
        }
    }
    fz_frames_sent += (uint64_t)r->ntx;
    rig_free(r);
    return 0;
}
