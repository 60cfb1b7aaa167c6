/* CRC-32 as in IEEE 802.3 / zlib (reflected polynomial 0xEDB88320), the
 * checksum of every chunk in hvsim's .hvrec and .hvtrace files. */
#ifndef TRACES_CRC32_H
#define TRACES_CRC32_H

#include <stddef.h>
#include <stdint.h>

#define CRC32_INIT 0u

/* Continue a CRC over p[0..n): crc32_update(CRC32_INIT, "123456789", 9) == 0xCBF43926. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
