/* The seeded PRNG of a run (xoshiro256**, seeded through splitmix64): the only
 * source of randomness on the simulation path, so a seed reproduces a run. */
#ifndef BASE_PRNG_H
#define BASE_PRNG_H

#include <stdint.h>

struct prng {
    uint64_t s[4];
};

void prng_seed(struct prng *p, uint64_t seed);
uint64_t prng_next(struct prng *p);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t prng_below(struct prng *p, uint64_t bound);

#endif
