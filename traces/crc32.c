/* CRC-32 (IEEE 802.3, zlib's crc32()), slicing-by-8: eight 256-entry tables
 * let the loop fold 8 bytes per step (Intel's "slicing-by-8" technique). The
 * tables are a pure function of the polynomial, built once on first use. */
#include "traces/crc32.h"

static uint32_t crc_table[8][256];
static int crc_table_ready;

static void crc32_table_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    /* table[k][i]: the CRC of byte i followed by k zero bytes */
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc_table[k][i] = crc_table[0][crc_table[k - 1][i] & 0xff] ^ (crc_table[k - 1][i] >> 8);
    crc_table_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;

    if (!crc_table_ready)
        crc32_table_build();
    /* zlib convention: the register is kept inverted between calls. */
    crc = ~crc;
    for (; n >= 8; n -= 8, s += 8) {
        uint32_t lo = crc ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
        uint32_t hi = (uint32_t)s[4] | (uint32_t)s[5] << 8 | (uint32_t)s[6] << 16 | (uint32_t)s[7] << 24;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    }
    for (; n; n--, s++)
        crc = crc_table[0][(crc ^ *s) & 0xff] ^ (crc >> 8);
    return ~crc;
}
