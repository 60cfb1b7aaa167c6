/* CRC-32 (IEEE 802.3, zlib's crc32()), table-driven one byte at a time.
 * The table is a compile-time constant function of the polynomial, built once. */
#include "traces/crc32.h"

static uint32_t crc_table[256];
static int crc_table_ready;

static void crc32_table_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    crc_table_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;

    if (!crc_table_ready)
        crc32_table_build();
    /* zlib convention: the register is kept inverted between calls. */
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
