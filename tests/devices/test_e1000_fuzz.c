/* The e1000 fuzz entry (fuzz/fuzz_e1000.c) run over a fixed corpus: inputs
 * from the base PRNG with a fixed seed, half of them shaped like a driver
 * (descriptor pokes followed by tail writes), so CI covers what a fuzzing
 * session would start from. A crash, a sanitizer report or a snapshot that does
 * not reload fails it; so does a corpus that never moves a frame. */
#include <criterion/criterion.h>

#include "base/prng.h"
#include "fuzz/fuzz_e1000.c"

#define CORPUS 1500
#define INPUT 512

/* A driver-shaped operation: a legacy descriptor at slot i of the transmit
 * ring pointing into the packet area, then TDT; or a frame from the wire. */
static void shaped(struct prng *p, uint8_t *in)
{
    for (int k = 0; k < INPUT; k += 8) {
        uint8_t *op = in + k;
        uint64_t x = prng_next(p);
        unsigned slot = (unsigned)(x % 16);
        switch ((x >> 8) % 4) {
        case 0: /* descriptor address word: the packet buffers */
            op[0] = 5;
            op[1] = (uint8_t)((FZ_TXR + 16 * slot) / 4), op[2] = (uint8_t)((FZ_TXR + 16 * slot) / 4 >> 8);
            put_le(op + 3, FZ_BUF + (x >> 16) % 0x8000, 4);
            op[7] = 0;
            break;
        case 1: /* descriptor command/length word */
            op[0] = 6;
            op[1] = (uint8_t)((FZ_TXR + 16 * slot + 8) / 4), op[2] = (uint8_t)((FZ_TXR + 16 * slot + 8) / 4 >> 8);
            put_le(op + 3, (uint32_t)(x >> 16) % 1600 | ((x >> 32) & 1 ? 0x09000000u : 0x02000000u) |
                               ((x >> 33) & 1 ? 0x20100000u : 0), 4);
            op[7] = 0;
            break;
        case 2: /* TDT, or RDT */
            op[0] = 0;
            op[1] = (x >> 20) & 1 ? 21 : 16, op[2] = 0; /* fz_regs index: TDT or RDT */
            put_le(op + 3, slot, 4);
            op[7] = 0;
            break;
        default:
            for (int b = 0; b < 8; b++)
                op[b] = (uint8_t)(x >> (8 * b));
            op[0] = (uint8_t)(op[0] % 12);
            break;
        }
    }
}

Test(e1000_fuzz, fixed_corpus)
{
    struct prng p;
    uint8_t in[INPUT];

    prng_seed(&p, 0x100e);
    for (int n = 0; n < CORPUS; n++) {
        if (n & 1) {
            shaped(&p, in);
        } else {
            for (int k = 0; k < INPUT; k += 8) {
                uint64_t x = prng_next(&p);
                memcpy(in + k, &x, 8);
            }
        }
        LLVMFuzzerTestOneInput(in, (size_t)(prng_next(&p) % (INPUT + 1)));
    }
    cr_assert_gt(fz_frames_sent, 100, "the corpus transmits (sent %llu)", (unsigned long long)fz_frames_sent);
    cr_assert_gt(fz_frames_received, 100, "the corpus receives (%llu)", (unsigned long long)fz_frames_received);
    cr_assert_gt(fz_snapshots, 100, "snapshots checked (%llu)", (unsigned long long)fz_snapshots);
}
