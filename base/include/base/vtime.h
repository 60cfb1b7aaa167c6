/* Virtual time: the only clock of a simulation, in nanoseconds since power-on.
 * Converting from instructions uses the nominal CPU frequency (one instruction per cycle). */
#ifndef BASE_VTIME_H
#define BASE_VTIME_H

#include <stdint.h>

typedef uint64_t vtime_t; /* virtual nanoseconds */

#define VTIME_NS 1ULL
#define VTIME_US 1000ULL
#define VTIME_MS 1000000ULL
#define VTIME_S 1000000000ULL
#define VTIME_NEVER UINT64_MAX

/* Cycles at freq_hz to nanoseconds and back, without overflow for any 64-bit count. */
static inline vtime_t vtime_from_cycles(uint64_t cycles, uint64_t freq_hz)
{
    return (vtime_t)((unsigned __int128)cycles * VTIME_S / freq_hz);
}

static inline uint64_t vtime_to_cycles(vtime_t t, uint64_t freq_hz)
{
    return (uint64_t)((unsigned __int128)t * freq_hz / VTIME_S);
}

/* Parse "10s", "250ms", "5us", "100ns" or a bare number of seconds. 0 or HV_EINVAL. */
int vtime_parse(const char *s, vtime_t *out);

#endif
