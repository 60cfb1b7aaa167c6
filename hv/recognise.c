/* Recognising the hypervisor image: each profile of hv_profiles looks at the
 * decompressed image (ELF notes, version strings); the first that knows it wins.
 * An image nobody knows leaves awareness off and the run unchanged. */
#include <string.h>

#include "hv/hv.h"

extern const struct hv_profile hv_xen_profile;

const struct hv_profile *const hv_profiles[] = { &hv_xen_profile, NULL };

void hv_recognise(const uint8_t *img, size_t len, struct hv_ident *id)
{
    memset(id, 0, sizeof *id);
    for (unsigned i = 0; hv_profiles[i]; i++) {
        struct hv_ident t = { 0 };
        if (hv_profiles[i]->identify(img, len, &t)) {
            *id = t;
            id->profile = hv_profiles[i];
            return;
        }
    }
}

const char *hv_hypercall_name(const struct hv_profile *p, uint32_t nr)
{
    return p && p->hypercall_name ? p->hypercall_name(nr) : NULL;
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The notes of one PT_NOTE segment or SHT_NOTE section: 4-byte aligned
 * (namesz, descsz, type, name, desc) entries (ELF gABI "Note Section"). */
static int notes_find(const uint8_t *img, size_t len, uint64_t off, uint64_t size, const char *name)
{
    size_t nlen = strlen(name) + 1;
    if (off > len || size > len - off)
        return -1;
    const uint8_t *p = img + off, *end = p + size;
    while (end - p >= 12) {
        uint64_t namesz = rd(p, 4), descsz = rd(p + 4, 4), type = rd(p + 8, 4);
        uint64_t step = 12 + ((namesz + 3) & ~3ull) + ((descsz + 3) & ~3ull);
        if (step > (uint64_t)(end - p))
            return -1;
        if (namesz == nlen && !memcmp(p + 12, name, nlen))
            return (int)(type & 0x7fffffff);
        p += step;
    }
    return -1;
}

int hv_elf_find_note(const uint8_t *img, size_t len, const char *name)
{
    if (len < 52 || memcmp(img, "\177ELF", 4) || img[5] != 1)
        return -1;
    int is64 = img[4] == 2;
    if (!is64 && img[4] != 1)
        return -1;
    uint64_t phoff = is64 ? rd(img + 32, 8) : rd(img + 28, 4);
    unsigned phentsize = (unsigned)(is64 ? rd(img + 54, 2) : rd(img + 42, 2));
    unsigned phnum = (unsigned)(is64 ? rd(img + 56, 2) : rd(img + 44, 2));
    if (is64 && len < 64)
        return -1;
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t ph = phoff + (uint64_t)i * phentsize;
        if (phentsize < (is64 ? 56u : 32u) || ph > len || len - ph < phentsize)
            return -1;
        const uint8_t *e = img + ph;
        if (rd(e, 4) != 4 /* PT_NOTE */)
            continue;
        uint64_t off = is64 ? rd(e + 8, 8) : rd(e + 4, 4);
        uint64_t size = is64 ? rd(e + 32, 8) : rd(e + 16, 4);
        int t = notes_find(img, len, off, size, name);
        if (t >= 0)
            return t;
    }
    return -1;
}
