/* The EPT walker: 4-level translation of guest-physical addresses with 4 KiB,
 * 2 MiB and 1 GiB pages (SDM 28.2.2), EPT violations and misconfigurations
 * (28.2.3), and contiguous runs for mapping into a Unicorn engine. */
#include "vmx/ept.h"

#define EPT_LEVELS 4

static unsigned level_shift(int level)
{
    return 12 + 9 * (unsigned)(level - 1);
}

static uint64_t level_size(int level)
{
    return 1ull << level_shift(level);
}

static uint64_t phys_mask(const struct vmx_caps *caps)
{
    return (1ull << caps->maxphyaddr) - 1;
}

static uint64_t entry_addr(const struct vmx_caps *caps, uint64_t e)
{
    return e & phys_mask(caps) & ~0xfffull;
}

static uint64_t entry_pa(uint64_t table, uint64_t gpa, int level)
{
    return table + ((gpa >> level_shift(level)) & 0x1ff) * 8;
}

bool ept_eptp_valid(const struct vmx_caps *caps, uint64_t eptp)
{
    uint64_t cap = caps->ept_vpid_cap;
    unsigned mt = eptp & EPTP_MEMTYPE_MASK;
    if (!(mt == EPTP_MEMTYPE_UC && (cap & EPT_CAP_UC)) &&
        !(mt == EPTP_MEMTYPE_WB && (cap & EPT_CAP_WB)))
        return false;
    if (((eptp >> EPTP_WALK_LENGTH_SHIFT) & 7) != 3 || !(cap & EPT_CAP_WALK4))
        return false;
    if ((eptp & EPTP_AD_ENABLE) && !(cap & EPT_CAP_AD))
        return false;
    return (eptp & 0xf80) == 0 && (eptp & ~phys_mask(caps)) == 0;
}

static bool is_leaf(uint64_t e, int level)
{
    return level == 1 || ((level == 2 || level == 3) && (e & EPT_PS));
}

/* 28.2.3.1: a present entry is misconfigured if it is write-only or
 * write/execute, execute-only without that capability, sets a reserved bit, or
 * (as a page) has memory type 2, 3 or 7. Bits 11:8 and 63:52 are ignored when
 * A/D flags, mode-based execute control and #VE are not advertised. */
static bool entry_misconfigured(const struct vmx_caps *caps, uint64_t e, int level)
{
    unsigned p = e & 7;
    if ((p & EPT_W) && !(p & EPT_R))
        return true;
    if (p == EPT_X && !(caps->ept_vpid_cap & EPT_CAP_EXEC_ONLY))
        return true;
    if (e & ((1ull << 52) - 1) & ~phys_mask(caps))
        return true;
    if (!is_leaf(e, level))
        return (e & 0xf8) != 0; /* bits 7:3 of a PML4E, or of a table pointer */
    if (level == 3 && !(caps->ept_vpid_cap & EPT_CAP_1G))
        return true;
    if (level == 2 && !(caps->ept_vpid_cap & EPT_CAP_2M))
        return true;
    if (e & (level_size(level) - 1) & ~0xfffull) /* bits 29:12 or 20:12 */
        return true;
    unsigned mt = (e >> 3) & 7;
    return mt == 2 || mt == 3 || mt == 7;
}

/* Where the walk ended, for ept_walk_range's same-table fast path. */
struct walk_leaf {
    uint64_t table; /* physical address of the table holding the leaf entry */
    unsigned upper; /* AND of the permissions of the entries above it */
};

static enum ept_result walk(const struct vmx_mem *mem, const struct vmx_caps *caps,
                            uint64_t eptp, uint64_t gpa, unsigned access,
                            struct ept_translation *out, struct walk_leaf *leaf)
{
    *out = (struct ept_translation){ 0 };
    uint64_t table = entry_addr(caps, eptp);
    unsigned eff = EPT_R | EPT_W | EPT_X;

    /* A 4-level walk translates 48 bits; the guest cannot form wider
     * guest-physical addresses, so treat them as unmapped. */
    if (gpa >> 48) {
        out->level = EPT_LEVELS;
        out->page_size = level_size(EPT_LEVELS);
        out->qualification = access & 7;
        return EPT_VIOLATION;
    }
    for (int level = EPT_LEVELS; level >= 1; level--) {
        uint64_t pa = entry_pa(table, gpa, level);
        uint64_t e = mem->read64(mem->opaque, pa);
        out->level = level;
        if ((e & 7) == 0) {
            /* Not present: bits 5:3 are the AND over the entries used, this
             * one included, so 0. */
            out->page_size = level_size(level);
            out->qualification = access & 7;
            return EPT_VIOLATION;
        }
        if (entry_misconfigured(caps, e, level)) {
            out->entry_pa = pa;
            return EPT_MISCONFIG;
        }
        if (is_leaf(e, level)) {
            uint64_t size = level_size(level);
            leaf->table = table;
            leaf->upper = eff;
            eff &= e & 7;
            out->hpa = (entry_addr(caps, e) & ~(size - 1)) | (gpa & (size - 1));
            out->page_size = size;
            out->perms = eff;
            out->memtype = (e >> 3) & 7;
            if (access & ~eff) {
                out->qualification = (access & 7) | (uint64_t)eff << 3;
                return EPT_VIOLATION;
            }
            return EPT_OK;
        }
        eff &= e & 7;
        table = entry_addr(caps, e);
    }
    return EPT_VIOLATION; /* unreachable: level 1 is always a leaf */
}

enum ept_result ept_translate(const struct vmx_mem *mem, const struct vmx_caps *caps,
                              uint64_t eptp, uint64_t gpa, unsigned access,
                              struct ept_translation *out)
{
    struct walk_leaf leaf;
    return walk(mem, caps, eptp, gpa, access, out, &leaf);
}

/* The next page of a run when it sits in the same table as the previous leaf:
 * one read instead of a walk. False if a full walk must decide. */
static bool next_in_table(const struct vmx_mem *mem, const struct vmx_caps *caps,
                          const struct walk_leaf *leaf, int level, uint64_t gpa,
                          struct ept_translation *t)
{
    uint64_t e = mem->read64(mem->opaque, entry_pa(leaf->table, gpa, level));
    if ((e & 7) == 0 || !is_leaf(e, level) || entry_misconfigured(caps, e, level))
        return false;
    t->hpa = entry_addr(caps, e) & ~(level_size(level) - 1);
    t->page_size = level_size(level);
    t->perms = leaf->upper & e & 7;
    return true;
}

enum ept_result ept_walk_range(const struct vmx_mem *mem, const struct vmx_caps *caps,
                               uint64_t eptp, uint64_t gpa, uint64_t max_size,
                               struct ept_run *run)
{
    struct ept_translation t;
    struct walk_leaf leaf;
    uint64_t start = gpa & ~0xfffull;
    uint64_t limit = start + max_size < start ? ~0ull : start + max_size;

    *run = (struct ept_run){ .gpa = start };
    enum ept_result r = walk(mem, caps, eptp, start, 0, &t, &leaf);
    if (r == EPT_MISCONFIG)
        return r;
    uint64_t end = (start & ~(t.page_size - 1)) + t.page_size;
    if (r == EPT_VIOLATION) {
        run->size = (end < limit ? end : limit) - start;
        return r;
    }
    run->hpa = t.hpa;
    run->perms = t.perms;
    int level = t.level;

    while (end < limit && end != 0) {
        bool same_table = (end >> level_shift(level + 1)) ==
                          ((end - 1) >> level_shift(level + 1));
        if (!(same_table && next_in_table(mem, caps, &leaf, level, end, &t))) {
            if (walk(mem, caps, eptp, end, 0, &t, &leaf) != EPT_OK)
                break;
            level = t.level;
        }
        if (t.perms != run->perms || t.hpa != run->hpa + (end - start))
            break;
        end += t.page_size;
    }
    run->size = (end < limit && end != 0 ? end : limit) - start;
    return EPT_OK;
}
