/* Guest memory through the guest's page tables and the EPT (include/hv/guestmem.h).
 * Every table read is bounds-checked against RAM: a guest's bad pointer or a
 * torn page table gives -1, never a read outside RAM. */
#include <string.h>

#include "hv/guestmem.h"

#define PA_MASK 0x000ffffffffff000ull

static int load64(const struct hv_gm *g, uint64_t pa, uint64_t *v)
{
    if (pa > g->ram_size || g->ram_size - pa < 8)
        return -1;
    memcpy(v, g->ram + pa, 8);
    return 0;
}

int hv_gm_gpa(const struct hv_gm *g, uint64_t gpa, uint64_t *pa)
{
    if (!g->eptp) {
        if (gpa >= g->ram_size)
            return -1;
        *pa = gpa;
        return 0;
    }
    /* 4-level EPT: an entry is present when any of R, W, X (bits 0-2) is set;
     * bit 7 in a level-3 or level-2 entry maps a 1 GiB or 2 MiB page. */
    uint64_t table = g->eptp & PA_MASK;
    for (int level = 3; level >= 0; level--) {
        uint64_t e;
        if (load64(g, table + ((gpa >> (12 + 9 * level)) & 511) * 8, &e) || !(e & 7))
            return -1;
        if (level == 0 || (level <= 2 && (e & 0x80))) {
            uint64_t size = 1ull << (12 + 9 * level);
            *pa = (e & PA_MASK & ~(size - 1)) + (gpa & (size - 1));
            return *pa < g->ram_size ? 0 : -1;
        }
        table = e & PA_MASK;
    }
    return -1;
}

int hv_gm_translate(const struct hv_gm *g, uint64_t va, uint64_t *pa)
{
    if (!g->paging)
        return hv_gm_gpa(g, va, pa);
    uint64_t table = g->cr3 & PA_MASK;
    for (int level = 3; level >= 0; level--) {
        uint64_t at, e;
        if (hv_gm_gpa(g, table + ((va >> (12 + 9 * level)) & 511) * 8, &at) || load64(g, at, &e) || !(e & 1))
            return -1;
        if (level == 0 || (level <= 2 && (e & 0x80))) {
            uint64_t size = 1ull << (12 + 9 * level);
            return hv_gm_gpa(g, (e & PA_MASK & ~(size - 1)) + (va & (size - 1)), pa);
        }
        table = e & PA_MASK;
    }
    return -1;
}

/* Page by page: each page of the range may lie anywhere in RAM. */
static int read_range(const struct hv_gm *g, uint64_t addr, void *out, size_t len, int virt)
{
    uint8_t *o = out;
    while (len) {
        uint64_t pa, n = 4096 - (addr & 4095);
        if (n > len)
            n = len;
        if ((virt ? hv_gm_translate(g, addr, &pa) : hv_gm_gpa(g, addr, &pa)) || g->ram_size - pa < n)
            return -1;
        memcpy(o, g->ram + pa, n);
        o += n;
        addr += n;
        len -= n;
    }
    return 0;
}

int hv_gm_read(const struct hv_gm *g, uint64_t va, void *out, size_t len) { return read_range(g, va, out, len, 1); }
int hv_gm_read_phys(const struct hv_gm *g, uint64_t gpa, void *out, size_t len) { return read_range(g, gpa, out, len, 0); }
