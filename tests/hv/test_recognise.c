/* Tests for recognising hypervisor images (hv/recognise.c, hv/xen.c): Xen from
 * an ELF note of owner "Xen" or from its version banner, its version string
 * from the compile-information block; anything else, and every truncated or
 * malformed ELF header, is "not recognised" without reading out of bounds. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* An ELF32 image with one PT_NOTE segment holding a note (owner, type). */
static size_t elf32_with_note(uint8_t *img, size_t cap, const char *owner, uint32_t type)
{
    memset(img, 0, cap);
    memcpy(img, "\177ELF", 4);
    img[4] = 1; /* ELFCLASS32 */
    img[5] = 1; /* little-endian */
    img[6] = 1;
    put16(img + 16, 2);  /* ET_EXEC */
    put16(img + 18, 3);  /* EM_386 */
    put32(img + 28, 52); /* e_phoff */
    put16(img + 42, 32); /* e_phentsize */
    put16(img + 44, 1);  /* e_phnum */
    uint8_t *ph = img + 52, *note = img + 128;
    size_t nlen = strlen(owner) + 1;
    put32(ph, 4);          /* PT_NOTE */
    put32(ph + 4, 128);    /* p_offset */
    put32(ph + 16, (uint32_t)(12 + ((nlen + 3) & ~3u) + 4));
    put32(note, (uint32_t)nlen);
    put32(note + 4, 4);
    put32(note + 8, type);
    memcpy(note + 12, owner, nlen);
    return 256;
}

Test(recognise, xen_elf_note)
{
    uint8_t img[256];
    struct hv_ident id;
    size_t len = elf32_with_note(img, sizeof img, "Xen", 18 /* XEN_ELFNOTE_PHYS32_ENTRY */);

    cr_assert_eq(hv_elf_find_note(img, len, "Xen"), 18);
    hv_recognise(img, len, &id);
    cr_assert_not_null(id.profile);
    cr_assert_str_eq(id.profile->name, "Xen");
    cr_assert(strstr(id.evidence, "ELF note \"Xen\" type 18"), "evidence: %s", id.evidence);
    cr_assert_str_eq(id.version, "unknown");
}

Test(recognise, other_owner_is_not_xen)
{
    uint8_t img[256];
    struct hv_ident id;
    size_t len = elf32_with_note(img, sizeof img, "GNU", 3);

    cr_assert_eq(hv_elf_find_note(img, len, "Xen"), -1);
    cr_assert_eq(hv_elf_find_note(img, len, "GNU"), 3);
    hv_recognise(img, len, &id);
    cr_assert_null(id.profile);
}

Test(recognise, xen_banner_and_version)
{
    /* As in Debian's xen-4.17-amd64.gz: banner far away, version then compiler. */
    static const char body[] = "junk\0Xen version %d.%d%s (%s %s)\0more\0Debian\0"
                               "4.17.7+13-g2445b30a44-0+deb12u1\0x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\0";
    struct hv_ident id;

    hv_recognise((const uint8_t *)body, sizeof body, &id);
    cr_assert_not_null(id.profile);
    cr_assert_str_eq(id.version, "4.17.7+13-g2445b30a44-0+deb12u1");
    cr_assert(strstr(id.evidence, "banner"));
    cr_assert_str_eq(hv_hypercall_name(id.profile, 29), "sched_op");
    cr_assert_str_eq(hv_hypercall_name(id.profile, 1), "mmu_update");
    cr_assert_str_eq(hv_hypercall_name(id.profile, 41), "dm_op");
    cr_assert_null(hv_hypercall_name(id.profile, 11));
    cr_assert_null(hv_hypercall_name(id.profile, 4096));
}

Test(recognise, unknown_images)
{
    static const char linux_like[] = "Linux version %s (%s)\0" "6.1.0\0gcc (Debian 12.2.0) 12.2.0";
    struct hv_ident id;

    hv_recognise((const uint8_t *)linux_like, sizeof linux_like, &id);
    cr_assert_null(id.profile);
    hv_recognise((const uint8_t *)"", 0, &id);
    cr_assert_null(id.profile);
}

/* Every prefix of a valid image and every byte of its headers flipped: no
 * crash, no read past the end (run under ASan/valgrind to see it). */
Test(recognise, malformed_headers)
{
    uint8_t img[256], *cut;
    struct hv_ident id;
    size_t len = elf32_with_note(img, sizeof img, "Xen", 18);

    for (size_t n = 0; n <= len; n++) {
        cut = malloc(n ? n : 1);
        memcpy(cut, img, n);
        hv_recognise(cut, n, &id);
        cr_assert(n >= 148 || !id.profile, "a %zu-byte prefix was recognised", n);
        free(cut);
    }
    for (size_t i = 0; i < 148; i++) {
        uint8_t m[256];
        memcpy(m, img, sizeof m);
        m[i] ^= 0xff;
        hv_recognise(m, len, &id); /* either answer, never a crash */
    }
}
