/* Xen: how hvsim recognises its image and how its guests call it. Hypercall
 * names are traces' (report_hypercall_name, from public/xen.h); notes from
 * public/elfnote.h (XEN_ELFNOTE_*); the hypercall entry points from
 * xen/arch/x86 (docs/hv.md). */
#include <stdio.h>
#include <string.h>

#include "hv_priv.h"
#include "traces/report.h"

/* The banner's format string in xen/common/version.c's print_version users
 * ("Xen version %d.%d%s (%s@%s) ..."): in every x86 Xen since 3.x. */
static const char banner[] = "Xen version %d.%d%s (";

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* The build's version string sits just before the compiler string in the
 * compile-information block (xen/include/xen/compile.h: XEN_COMPILER follows
 * the version): "4.17.7+13-...\0x86_64-linux-gnu-gcc (Debian 12.2.0...)". */
static void xen_version(const uint8_t *img, size_t len, char *out, size_t outlen)
{
    static const char *const compilers[] = { "gcc (", "clang version" };
    snprintf(out, outlen, "unknown");
    for (unsigned k = 0; k < 2; k++) {
        size_t clen = strlen(compilers[k]);
        for (const uint8_t *p = img; (p = memmem(p, len - (size_t)(p - img), compilers[k], clen)); p++) {
            const uint8_t *s = p; /* back to the start of this string, then over the NUL before it */
            while (s > img && s[-1])
                s--;
            if (s - img < 2)
                continue;
            const uint8_t *v = s - 1;
            while (v > img && v[-1] && s - 1 - v < 63)
                v--;
            /* MAJOR.MINOR at its start */
            const uint8_t *q = v;
            if (!is_digit(*q))
                continue;
            while (is_digit(*q))
                q++;
            if (*q != '.' || !is_digit(q[1]))
                continue;
            snprintf(out, outlen, "%.*s", (int)(s - 1 - v), (const char *)v);
            return;
        }
    }
}

static int xen_identify(const uint8_t *img, size_t len, struct hv_ident *id)
{
    /* A PVH-capable Xen carries XEN_ELFNOTE_PHYS32_ENTRY (18) under owner "Xen";
     * Debian's build has no Xen notes, so the banner is the other signature. */
    int note = hv_elf_find_note(img, len, "Xen");
    int has_banner = memmem(img, len, banner, sizeof banner - 1) != NULL;
    if (note < 0 && !has_banner)
        return 0;
    xen_version(img, len, id->version, sizeof id->version);
    if (note >= 0)
        snprintf(id->evidence, sizeof id->evidence, "ELF note \"Xen\" type %d%s", note,
                 has_banner ? " and the version banner" : "");
    else
        snprintf(id->evidence, sizeof id->evidence, "the version banner \"Xen version %%d.%%d%%s\"");
    return 1;
}

const struct hv_profile hv_xen_profile = {
    .name = "Xen",
    .identify = xen_identify,
    .hypercall_name = report_hypercall_name, /* the one table of Xen's numbers (traces/report_names.c) */
    /* xen/arch/x86/x86_64/compat entry: 32-bit PV guests call INT 0x82. */
    .pv_int_vector = 0x82,
    /* PERDOMAIN_VIRT_START is L4 slot 260 (xen/arch/x86/include/asm/config.h);
     * Xen writes d->arch.perdomain_l3_pg there in each PV guest's L4 table
     * (init_xen_l4_slots) and in the per-CPU root table under XPTI. */
    .pv_domain_l4_slot = 260,
    /* HYPERVISOR_VIRT_START..END of 64-bit PV guests (public/arch-x86/xen-x86_64.h):
     * L4 slots 256-271, Xen's own. */
    .pv_reserved_lo = 0xffff800000000000ull,
    .pv_reserved_hi = 0xffff880000000000ull,
    /* __HYPERVISOR_console_io (18), CONSOLEIO_write (0): public/xen.h. */
    .console_hypercall = 18,
    .console_write_cmd = 0,
    .on_hypercall = hv_xen_on_hypercall,
    .on_return = hv_xen_on_return,
};
